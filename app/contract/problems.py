"""What validation reports: one :class:`Problem` per thing wrong, at a file and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.contract.yamlio import Loc, ParsedYaml


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file, at one line."""

    path: Path
    line: int
    field: str
    message: str

    def format(self, base: Path | None = None) -> str:
        shown = self.path
        if base is not None:
            try:
                shown = self.path.relative_to(base)
            except ValueError:
                pass
        return f"{shown.as_posix()}:{self.line}: {self.field}: {self.message}"

    def github(self, base: Path | None = None) -> str:
        """A GitHub Actions annotation (``::error file=…,line=…::…``), shown on the pull
        request's diff line. ``file`` must be relative to the repository root (the job's working
        directory); values are escaped as the workflow-command syntax requires."""
        shown = self.path
        if base is not None:
            try:
                shown = self.path.resolve().relative_to(base.resolve())
            except ValueError:
                pass
        file = _escape_property(shown.as_posix())
        text = _escape_data(f"{self.field}: {self.message}")
        return f"::error file={file},line={self.line}::{text}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass
class SourceFile:
    path: Path
    parsed: ParsedYaml
    placeholders: list[Loc] = field(default_factory=list)  # values still reading "TODO ..."


class ValidationFailed(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems
