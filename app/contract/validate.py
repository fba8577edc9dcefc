"""Read and validate the taxonomy: all problems in all files at once, as ``path:line: field: msg``.

Single-file shape comes from the pydantic models in :mod:`app.contract.schema`; the cross-file
rules live in :mod:`app.contract.rules`; problems are :class:`app.contract.problems.Problem`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from app.contract import schema as s
from app.contract.files import content_hash, yaml_files
from app.contract.problems import Problem, SourceFile, ValidationFailed
from app.contract.rules import check_dimensions, check_papers, check_synonyms, known_loss_papers
from app.contract.text import did_you_mean
from app.contract.yamlio import Loc, dotted, parse_yaml

MODELINE_PREFIX = "# yaml-language-server: $schema="
EXPECTED_MODELINE = {
    "paper": MODELINE_PREFIX + "../schema/paper.schema.json",
    "dimension": MODELINE_PREFIX + "../schema/dimension.schema.json",
    "survey": MODELINE_PREFIX + "schema/survey.schema.json",
    "synonyms": MODELINE_PREFIX + "schema/synonyms.schema.json",
}


PLACEHOLDER = "TODO"


def find_placeholders(data: Any, loc: Loc = ()) -> list[tuple[Loc, str]]:
    """Every text value that still starts with ``TODO`` (``reward-atlas new-paper`` writes them)."""
    if isinstance(data, str):
        return [(loc, data)] if data.lstrip().startswith(PLACEHOLDER) else []
    if isinstance(data, dict):
        return [hit for key, value in data.items() for hit in find_placeholders(value, (*loc, key))]
    if isinstance(data, list):
        return [hit for i, value in enumerate(data) for hit in find_placeholders(value, (*loc, i))]
    return []


@dataclass
class Taxonomy:
    """Everything the build needs, all of it valid."""

    data_dir: Path
    survey: s.Survey | None
    dimensions: list[s.Dimension]
    papers: list[s.Paper]
    content_hash: str
    sources: dict[str, SourceFile] = field(default_factory=dict)  # entity key -> file
    synonyms: s.Synonyms | None = None


# ---------------------------------------------------------------------------------------------
# pydantic errors -> friendly messages

_NESTED_MODELS: dict[str, type[BaseModel]] = {
    "categories": s.Category,
    "relations": s.Relation,
    "provenance": s.PaperProvenance,
    "verified": s.Verified,
    "framing": s.FramingStep,
    "versions": s.SurveyVersion,
}


def _allowed_fields(model: type[BaseModel], loc: Loc) -> list[str]:
    owner = model
    for part in loc[:-1]:
        if isinstance(part, str) and part in _NESTED_MODELS:
            owner = _NESTED_MODELS[part]
    return list(owner.model_fields)


def _friendly(error: dict[str, Any], model: type[BaseModel]) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    loc = error["loc"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_fields(model, loc))
        return f"unknown field (allowed: {allowed})"
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not a valid id: use lowercase kebab-case (a-z, 0-9, '-'), no dots"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number, got {value!r}"
    if kind in ("string_type",):
        return f"must be text, got {type(value).__name__} {value!r}"
    if kind in ("list_type",):
        return f"must be a list, got {type(value).__name__}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping, got {type(value).__name__}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, got {value!r}"
    if kind == "enum":
        expected = str(ctx.get("expected", ""))
        message = f"{value!r} is not one of: {expected}".replace("'", "")
        return message + did_you_mean(str(value), re.findall(r"'([^']+)'", expected))
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"{value!r} is not a date (write YYYY-MM-DD)"
    if kind == "too_short":
        if ctx.get("min_length") == 1:
            return "must not be empty"
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{value!r} is out of range"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def _validate_model(
    model: type[BaseModel], src: SourceFile, problems: list[Problem]
) -> BaseModel | None:
    try:
        return model.model_validate(src.parsed.data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            if any(loc[: len(todo)] == todo for todo in src.placeholders):
                continue  # the placeholder is reported already, with what to write instead
            problems.append(
                Problem(src.path, src.parsed.line_of(loc), dotted(loc), _friendly(error, model))
            )
        return None


def _read(
    path: Path, kind: str, problems: list[Problem], contents: dict[Path, bytes]
) -> SourceFile | None:
    if path.is_symlink():
        problems.append(
            Problem(
                path,
                1,
                "(file)",
                "is a symbolic link; data files must be regular files inside the tree "
                "(copy the file here instead)",
            )
        )
        return None
    raw = contents[path] = path.read_bytes()
    parsed = parse_yaml(raw)
    first_line = raw.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    if not first_line.startswith(MODELINE_PREFIX):
        problems.append(
            Problem(path, 1, "(file)", f"first line must be {EXPECTED_MODELINE[kind]!r}")
        )
    for line, where, message in parsed.problems:
        problems.append(Problem(path, line, where, message))
    if parsed.data is None:
        return None
    if not isinstance(parsed.data, dict):
        problems.append(
            Problem(path, 1, "(root)", f"expected a mapping, got {type(parsed.data).__name__}")
        )
        return None
    src = SourceFile(path, parsed)
    # Only files whose text holds the marker can have one: skip the walk for the rest.
    found = find_placeholders(parsed.data) if PLACEHOLDER.encode() in raw else []
    for loc, text in found:
        src.placeholders.append(loc)
        problems.append(
            Problem(path, parsed.line_of(loc), dotted(loc), f"fill in the placeholder: {text}")
        )
    return src


def _check_file_name(src: SourceFile, entity_id: str, problems: list[Problem]) -> None:
    if src.path.stem != entity_id:
        problems.append(
            Problem(
                src.path,
                src.parsed.line_of(("id",)),
                "id",
                f"{entity_id!r} does not match the file name {src.path.name!r}",
            )
        )


# ---------------------------------------------------------------------------------------------
# Entry point


def _load_file(
    path: Path,
    kind: str,
    model: type[BaseModel],
    problems: list[Problem],
    contents: dict[Path, bytes],
) -> tuple[Any, SourceFile | None]:
    """(entity, source) of one optional top-level file; (None, None) when it is absent or does
    not read or validate (the problems say why)."""
    if not path.exists():
        return None, None
    src = _read(path, kind, problems, contents)
    if src is None:
        return None, None
    return _validate_model(model, src, problems), src


def _load_folder(
    folder: Path,
    kind: str,
    model: type[BaseModel],
    problems: list[Problem],
    contents: dict[Path, bytes],
) -> list[Any]:
    """(entity, source) for every file of ``folder`` that reads and validates as ``model``."""
    if folder.is_symlink():
        problems.append(
            Problem(folder, 1, "(dir)", "is a symbolic link; the data folders must be real folders")
        )
        return []
    found = []
    for path in yaml_files(folder):
        src = _read(path, kind, problems, contents)
        if src is None:
            continue
        entity = _validate_model(model, src, problems)
        if entity is not None:
            _check_file_name(src, entity.id, problems)  # type: ignore[attr-defined]
            found.append((entity, src))
    return found


def load_taxonomy(data_dir: Path) -> tuple[Taxonomy | None, list[Problem]]:
    """Validate every file under ``data_dir``; return the taxonomy only when there is no problem."""
    data_dir = Path(data_dir)
    problems: list[Problem] = []
    contents: dict[Path, bytes] = {}
    if not data_dir.is_dir():
        return None, [Problem(data_dir, 1, "(dir)", "data directory does not exist")]

    survey_path = data_dir / "survey.yaml"
    survey, _ = _load_file(survey_path, "survey", s.Survey, problems, contents)
    if not survey_path.exists():
        problems.append(Problem(survey_path, 1, "(file)", "survey.yaml is missing"))
    synonyms, src = _load_file(
        data_dir / "synonyms.yaml", "synonyms", s.Synonyms, problems, contents
    )
    if synonyms is not None and src is not None:
        check_synonyms(synonyms, src, problems)

    dims = _load_folder(data_dir / "dimensions", "dimension", s.Dimension, problems, contents)
    if not dims:
        problems.append(Problem(data_dir / "dimensions", 1, "(dir)", "no dimension files found"))
    check_dimensions(dims, problems)
    papers = _load_folder(data_dir / "papers", "paper", s.Paper, problems, contents)
    check_papers(papers, [d for d, _ in dims], known_loss_papers(), problems)

    problems.sort(key=lambda p: (p.path.as_posix(), p.line, p.field, p.message))
    if problems:
        return None, problems
    sources = {f"dimension:{d.id}": src for d, src in dims}
    sources.update({f"paper:{p.id}": src for p, src in papers})
    taxonomy = Taxonomy(
        data_dir=data_dir,
        survey=survey,
        dimensions=sorted((d for d, _ in dims), key=lambda d: (d.order, d.id)),
        papers=[p for p, _ in papers],
        content_hash=content_hash(data_dir, contents),
        sources=sources,
        synonyms=synonyms,
    )
    return taxonomy, []


def load_or_raise(data_dir: Path) -> Taxonomy:
    taxonomy, problems = load_taxonomy(data_dir)
    if problems or taxonomy is None:
        raise ValidationFailed(problems)
    return taxonomy
