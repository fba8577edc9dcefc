"""``reward-atlas fmt``: rewrite every data file in its canonical layout
(:mod:`app.contrib.canonical`).

Formatting never changes the data: every output is parsed again and compared with the input, and
a file that would lose something (a comment, a YAML error) is reported and left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.contract.files import data_files
from app.contract.problems import Problem
from app.contract.validate import MODELINE_PREFIX
from app.contract.yamlio import parse_yaml
from app.contrib.canonical import canonical_text


def _comment_lines(text: str) -> list[int]:
    """1-based lines holding a YAML comment (formatting would drop it)."""
    spans = []
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, yaml.ScalarToken):
            spans.append((token.start_mark.index, token.end_mark.index))
    found = []
    for match in re.finditer(r"(?:^|(?<=[ \t]))#", text, flags=re.MULTILINE):
        at = match.start()
        if not any(start <= at < end for start, end in spans):
            found.append(text.count("\n", 0, at) + 1)
    return found


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types (so 1 is not True and '1' is not 1), ignoring key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def file_kind(data_dir: Path, path: Path) -> str:
    if path.parent.name == "dimensions":
        return "dimension"
    if path.parent.name == "papers":
        return "paper"
    return path.stem  # survey.yaml, synonyms.yaml


def dimension_order(data_dir: Path) -> dict[str, tuple[int, str]]:
    """Dimension id -> sort key, read leniently (the files may not validate yet)."""
    order = {}
    for path in sorted((data_dir / "dimensions").glob("*.y*ml")):
        data = parse_yaml(path.read_bytes()).data
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            rank = data.get("order")
            rank = rank if isinstance(rank, int) and not isinstance(rank, bool) else 1 << 30
            order[data["id"]] = (rank, data["id"])
    return order


@dataclass
class FileResult:
    path: Path
    changed: bool = False
    text: str | None = None  # the canonical text, when it could be made
    problems: list[Problem] = field(default_factory=list)


# ``arxiv: 2507.18620`` parses as the number 2507.1862: quote it from the source text, where the
# digits (a trailing zero included) are still all there.
_BARE_ARXIV = re.compile(rb"^(\s*arxiv:[ \t]*)(\d{4}\.\d{4,5})([ \t]*)$", re.MULTILINE)


def _quote_bare_arxiv_ids(raw: bytes) -> bytes:
    return _BARE_ARXIV.sub(rb"\1'\2'\3", raw)


def format_file(
    path: Path, *, kind: str, dimension_order: dict[str, tuple[int, str]] | None = None
) -> FileResult:
    """The canonical text of one file, or the problems that stop us from making it."""
    raw = path.read_bytes()
    parsed = parse_yaml(_quote_bare_arxiv_ids(raw))
    result = FileResult(path)
    if parsed.problems:
        result.problems = [
            Problem(path, line, where, f"cannot format: {message}")
            for line, where, message in parsed.problems
        ]
        return result
    if not isinstance(parsed.data, dict):
        result.problems = [Problem(path, 1, "(root)", "cannot format: expected a mapping")]
        return result
    text = raw.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    first = text.split("\n", 1)[0].rstrip()
    modeline = first if first.startswith(MODELINE_PREFIX) else None
    comments = [n for n in _comment_lines(text) if not (n == 1 and modeline)]
    if comments:
        result.problems = [
            Problem(
                path,
                n,
                "(comment)",
                "cannot format: comments are not kept; move the text into a field "
                "(summary, note, description) or delete it",
            )
            for n in comments
        ]
        return result
    out = canonical_text(parsed.data, kind=kind, modeline=modeline, dimension_order=dimension_order)
    again = parse_yaml(out.encode())
    if again.problems or not _same(again.data, parsed.data):
        result.problems = [
            Problem(
                path,
                1,
                "(file)",
                "cannot format: the result would change the data (please report this as a bug)",
            )
        ]
        return result
    result.text = out
    result.changed = out.encode() != raw
    return result


@dataclass
class FormatReport:
    files: list[FileResult]

    @property
    def changed(self) -> list[FileResult]:
        return [f for f in self.files if f.changed]

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]


def format_tree(data_dir: Path, *, write: bool) -> FormatReport:
    """Format every data file under ``data_dir``; write the changed ones when ``write``."""
    data_dir = Path(data_dir)
    order = dimension_order(data_dir)
    results = []
    for path in data_files(data_dir):
        result = format_file(path, kind=file_kind(data_dir, path), dimension_order=order)
        if write and result.changed and result.text is not None:
            path.write_text(result.text, encoding="utf-8")
        results.append(result)
    return FormatReport(results)
