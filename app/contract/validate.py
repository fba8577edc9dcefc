"""Read and validate the taxonomy: all problems in all files at once, as ``path:line: field: msg``.

Single-file shape comes from the pydantic models in :mod:`app.contract.schema`; the cross-file rules
(unique ids, dangling references, cycles, duplicate arXiv ids / DOIs / titles) live here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import BaseModel, ValidationError

from app.contract import schema as s
from app.contract.files import content_hash, yaml_files
from app.contract.vocab import DIRECTIONAL_RELATIONS
from app.contract.yamlio import Loc, ParsedYaml, dotted, parse_yaml

MODELINE_PREFIX = "# yaml-language-server: $schema="
EXPECTED_MODELINE = {
    "paper": MODELINE_PREFIX + "../schema/paper.schema.json",
    "dimension": MODELINE_PREFIX + "../schema/dimension.schema.json",
    "survey": MODELINE_PREFIX + "schema/survey.schema.json",
}


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


class ValidationFailed(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def normalise_title(title: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", title.lower()).split())


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
        return f"{value!r} is not one of: {ctx.get('expected', '')}".replace("'", "")
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
# Cross-file rules


def _check_dimensions(dims: list[tuple[s.Dimension, SourceFile]], problems: list[Problem]) -> None:
    where_defined: dict[str, list[tuple[SourceFile, int, int]]] = {}
    for dim, src in dims:
        for index, cat in enumerate(dim.categories):
            line = src.parsed.line_of(("categories", index, "id"))
            where_defined.setdefault(cat.id, []).append((src, line, index))
    owner: dict[str, str] = {}
    for dim, _ in dims:
        for cat in dim.categories:
            owner.setdefault(cat.id, dim.id)
    for cat_id, places in where_defined.items():
        if len(places) < 2:
            continue
        for src, line, index in places:
            others = ", ".join(
                f"{o.path.parent.name}/{o.path.name}:{o_line}"
                for o, o_line, o_index in places
                if (o, o_index) != (src, index)
            )
            problems.append(
                Problem(
                    src.path,
                    line,
                    f"categories[{index}].id",
                    f"duplicate id {cat_id!r} (also at {others})",
                )
            )
    for dim, src in dims:
        parents: dict[str, str | None] = {}
        for index, cat in enumerate(dim.categories):
            if cat.sparse and not cat.sparse_reason:
                problems.append(
                    Problem(
                        src.path,
                        src.parsed.line_of(("categories", index, "sparse")),
                        f"categories[{index}].sparse_reason",
                        "required when sparse is true: say why the field has few papers here",
                    )
                )
            if cat.parent is None:
                parents[cat.id] = None
                continue
            line = src.parsed.line_of(("categories", index, "parent"))
            where = f"categories[{index}].parent"
            if cat.parent not in owner:
                problems.append(Problem(src.path, line, where, f"unknown category {cat.parent!r}"))
            elif owner[cat.parent] != dim.id:
                problems.append(
                    Problem(
                        src.path,
                        line,
                        where,
                        f"{cat.parent!r} belongs to dimension {owner[cat.parent]!r}, "
                        f"not {dim.id!r}",
                    )
                )
            else:
                parents[cat.id] = cat.parent
        graph = nx.DiGraph((child, parent) for child, parent in parents.items() if parent)
        for cycle in _cycles(graph):
            start = min(cycle)
            index = next(i for i, c in enumerate(dim.categories) if c.id == start)
            problems.append(
                Problem(
                    src.path,
                    src.parsed.line_of(("categories", index, "parent")),
                    f"categories[{index}].parent",
                    "cycle in category tree: " + " -> ".join(_rotate(cycle, start) + [start]),
                )
            )


def _cycles(graph: nx.DiGraph) -> Iterable[list[str]]:
    """Each cycle once, as the list of nodes in order."""
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1 or any(graph.has_edge(n, n) for n in component):
            sub = graph.subgraph(component)
            yield [edge[0] for edge in nx.find_cycle(sub)]


def _rotate(cycle: list[str], start: str) -> list[str]:
    at = cycle.index(start)
    return cycle[at:] + cycle[:at]


def _check_papers(
    papers: list[tuple[s.Paper, SourceFile]],
    dims: list[s.Dimension],
    loss_ids: set[str] | None,
    problems: list[Problem],
) -> None:
    dim_ids = {d.id for d in dims}
    cat_dim: dict[str, str] = {}
    for dim in dims:
        for cat in dim.categories:
            cat_dim.setdefault(cat.id, dim.id)  # a duplicate id is reported once, where defined
    paper_ids = {p.id for p, _ in papers}
    by_id = {p.id: (p, src) for p, src in papers}
    groups: dict[tuple[str, str], list[tuple[SourceFile, int, str]]] = {}
    for paper, src in papers:
        for key, value in (
            ("id", paper.id),
            ("arxiv", paper.arxiv),
            ("doi", paper.doi.lower() if paper.doi else None),
            ("title", normalise_title(paper.title)),
        ):
            if value is not None:
                shown = paper.title if key == "title" else value
                groups.setdefault((key, value), []).append((src, key, shown))
    labels = {"title": "normalised title", "arxiv": "arXiv id", "doi": "DOI", "id": "id"}
    for (key, _), members in groups.items():
        if len(members) < 2:
            continue
        placed_at = [(src, src.parsed.line_of((field_,)), shown) for src, field_, shown in members]
        for src, line, shown in placed_at:
            others = ", ".join(
                f"{o.path.parent.name}/{o.path.name}:{o_line}"
                for o, o_line, _ in placed_at
                if o is not src
            )
            problems.append(
                Problem(
                    src.path, line, key, f"duplicate {labels[key]} {shown!r} (also in {others})"
                )
            )

    for paper, src in papers:
        line_of = src.parsed.line_of
        placed: set[str] = set()
        for dim_id, cats in paper.classification.items():
            if dim_id not in dim_ids:
                problems.append(
                    Problem(
                        src.path,
                        line_of(("classification", dim_id)),
                        f"classification.{dim_id}",
                        f"unknown dimension {dim_id!r} (known: {', '.join(sorted(dim_ids))})",
                    )
                )
                continue
            for index, cat in enumerate(cats):
                where = f"classification.{dim_id}[{index}]"
                loc = ("classification", dim_id, index)
                if cat not in cat_dim:
                    problems.append(
                        Problem(src.path, line_of(loc), where, f"unknown category {cat!r}")
                    )
                elif cat_dim[cat] != dim_id:
                    problems.append(
                        Problem(
                            src.path,
                            line_of(loc),
                            where,
                            f"{cat!r} belongs to dimension {cat_dim[cat]!r}, not {dim_id!r}",
                        )
                    )
                elif cat in placed:
                    problems.append(
                        Problem(src.path, line_of(loc), where, f"{cat!r} is listed twice")
                    )
                placed.add(cat)
        for index, cat in enumerate(paper.provenance.attested):
            if cat not in placed:
                problems.append(
                    Problem(
                        src.path,
                        line_of(("provenance", "attested", index)),
                        f"provenance.attested[{index}]",
                        f"{cat!r} is not in this paper's classification",
                    )
                )

        edges: set[tuple[str, str]] = set()
        for index, rel in enumerate(paper.relations):
            where = f"relations[{index}].target"
            loc = ("relations", index, "target")
            if rel.target == paper.id:
                problems.append(
                    Problem(src.path, line_of(loc), where, "a paper cannot relate to itself")
                )
            elif rel.target not in paper_ids:
                problems.append(
                    Problem(src.path, line_of(loc), where, f"unknown paper {rel.target!r}")
                )
            if (rel.type, rel.target) in edges:
                problems.append(
                    Problem(
                        src.path,
                        line_of(loc),
                        where,
                        f"duplicate relation {rel.type} {rel.target!r}",
                    )
                )
            edges.add((rel.type, rel.target))
            target = by_id.get(rel.target)
            if (
                rel.type in DIRECTIONAL_RELATIONS
                and rel.note is None
                and target is not None
                and _predates(paper, target[0])
            ):
                problems.append(
                    Problem(
                        src.path,
                        line_of(("relations", index, "type")),
                        f"relations[{index}].type",
                        f"{rel.type} points to a later paper ({rel.target!r}, "
                        f"{_first_seen(target[0])}; this paper {_first_seen(paper)}): reverse "
                        "the relation, or add a note saying why (a later version, for instance)",
                    )
                )

        if loss_ids is not None:
            for index, loss in enumerate(paper.losses):
                if loss not in loss_ids:
                    problems.append(
                        Problem(
                            src.path,
                            line_of(("losses", index)),
                            f"losses[{index}]",
                            f"unknown loss {loss!r} (known: {', '.join(sorted(loss_ids))})",
                        )
                    )

    extends = nx.DiGraph()
    for paper, _ in papers:
        for rel in paper.relations:
            if rel.type == "extends" and rel.target != paper.id and rel.target in paper_ids:
                extends.add_edge(paper.id, rel.target)
    for cycle in _cycles(extends):
        start = min(cycle)
        ordered = _rotate(cycle, start)
        paper, src = by_id[start]
        nxt = ordered[1] if len(ordered) > 1 else start
        index = next(
            i for i, r in enumerate(paper.relations) if r.type == "extends" and r.target == nxt
        )
        problems.append(
            Problem(
                src.path,
                src.parsed.line_of(("relations", index, "target")),
                f"relations[{index}].target",
                "cycle in 'extends': " + " -> ".join(ordered + [start]),
            )
        )


def _first_seen(paper: s.Paper) -> str:
    return f"arXiv {paper.arxiv}" if paper.arxiv else str(paper.year)


def _predates(source: s.Paper, target: s.Paper) -> bool:
    """Whether ``source`` appeared before ``target``: by new-style arXiv ids (YYMM.NNNNN, which
    arXiv hands out in order) when both have one, else by year."""
    if source.arxiv and target.arxiv:
        a, b = s.ARXIV_NEW_RE.match(source.arxiv), s.ARXIV_NEW_RE.match(target.arxiv)
        if a and b:
            return tuple(map(int, source.arxiv.split("."))) < tuple(
                map(int, target.arxiv.split("."))
            )
    return source.year < target.year


def known_loss_ids() -> set[str] | None:
    """Ids in the loss lab's registry, or None when the loss lab is not importable."""
    try:
        from app.losses import registry
    except ImportError:
        return None
    return set(registry.LOSSES)


# ---------------------------------------------------------------------------------------------
# Entry point


def load_taxonomy(data_dir: Path) -> tuple[Taxonomy | None, list[Problem]]:
    """Validate every file under ``data_dir``; return the taxonomy only when there is no problem."""
    data_dir = Path(data_dir)
    problems: list[Problem] = []
    contents: dict[Path, bytes] = {}
    if not data_dir.is_dir():
        return None, [Problem(data_dir, 1, "(dir)", "data directory does not exist")]

    survey: s.Survey | None = None
    survey_path = data_dir / "survey.yaml"
    if survey_path.exists():
        src = _read(survey_path, "survey", problems, contents)
        if src is not None:
            survey = _validate_model(s.Survey, src, problems)  # type: ignore[assignment]
    else:
        problems.append(Problem(survey_path, 1, "(file)", "survey.yaml is missing"))

    dims: list[tuple[s.Dimension, SourceFile]] = []
    for path in yaml_files(data_dir / "dimensions"):
        src = _read(path, "dimension", problems, contents)
        if src is None:
            continue
        dim = _validate_model(s.Dimension, src, problems)
        if dim is not None:
            _check_file_name(src, dim.id, problems)
            dims.append((dim, src))  # type: ignore[arg-type]
    if not dims:
        problems.append(Problem(data_dir / "dimensions", 1, "(dir)", "no dimension files found"))
    _check_dimensions(dims, problems)

    papers: list[tuple[s.Paper, SourceFile]] = []
    for path in yaml_files(data_dir / "papers"):
        src = _read(path, "paper", problems, contents)
        if src is None:
            continue
        paper = _validate_model(s.Paper, src, problems)
        if paper is not None:
            _check_file_name(src, paper.id, problems)
            papers.append((paper, src))  # type: ignore[arg-type]
    _check_papers(papers, [d for d, _ in dims], known_loss_ids(), problems)

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
    )
    return taxonomy, []


def load_or_raise(data_dir: Path) -> Taxonomy:
    taxonomy, problems = load_taxonomy(data_dir)
    if problems or taxonomy is None:
        raise ValidationFailed(problems)
    return taxonomy
