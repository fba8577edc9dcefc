"""The rules that span files: unique ids, references that resolve, no cycles, no duplicate
papers, relations that point back in time. One function per rule; each appends to ``problems``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import networkx as nx

from app.contract import schema as s
from app.contract.ids import ARXIV_NEW_RE
from app.contract.problems import Problem, SourceFile
from app.contract.text import did_you_mean, phrase_key
from app.contract.vocab import DIRECTIONAL_RELATIONS


def normalise_title(title: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", title.lower()).split())


def check_synonyms(synonyms: s.Synonyms, src: SourceFile, problems: list[Problem]) -> None:
    """A phrase belongs to one group only, once, and has at least one word."""
    seen: dict[str, tuple[int, int]] = {}
    for g, group in enumerate(synonyms.groups):
        for i, phrase in enumerate(group):
            key = phrase_key(phrase)
            where = f"groups[{g}][{i}]"
            line = src.parsed.line_of(("groups", g, i))
            if not key:
                problems.append(Problem(src.path, line, where, f"{phrase!r} has no word in it"))
            elif key in seen:
                first = seen[key]
                message = f"{phrase!r} is already in groups[{first[0]}][{first[1]}]"
                problems.append(Problem(src.path, line, where, message))
            else:
                seen[key] = (g, i)


def check_dimensions(dims: list[tuple[s.Dimension, SourceFile]], problems: list[Problem]) -> None:
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
                message = f"unknown category {cat.parent!r}{did_you_mean(cat.parent, owner)}"
                problems.append(Problem(src.path, line, where, message))
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


def check_papers(
    papers: list[tuple[s.Paper, SourceFile]],
    dims: list[s.Dimension],
    loss_papers: dict[str, set[str]] | None,
    problems: list[Problem],
) -> None:
    """Every rule on papers that needs the other files."""
    cat_dim: dict[str, str] = {}
    for dim in dims:
        for cat in dim.categories:
            cat_dim.setdefault(cat.id, dim.id)  # a duplicate id is reported once, where defined
    by_id = {p.id: (p, src) for p, src in papers}
    _check_duplicates(papers, problems)
    for paper, src in papers:
        _check_placements(paper, src, {d.id for d in dims}, cat_dim, problems)
        _check_relations(paper, src, by_id, problems)
        _check_identifiers(paper, src, problems)
        _check_method(paper, src, problems)
        if loss_papers is not None:
            _check_losses(paper, src, loss_papers, problems)
    _check_extends_cycles(papers, by_id, problems)


def _check_duplicates(papers: list[tuple[s.Paper, SourceFile]], problems: list[Problem]) -> None:
    """No two papers share an id, an arXiv id, a DOI or a normalised title."""
    groups: dict[tuple[str, str], list[tuple[SourceFile, str, str]]] = {}
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


def _check_placements(
    paper: s.Paper,
    src: SourceFile,
    dim_ids: set[str],
    cat_dim: dict[str, str],
    problems: list[Problem],
) -> None:
    """Each placement names a known dimension and a category of that dimension, once; attested
    categories are placements."""
    line_of = src.parsed.line_of
    placed: set[str] = set()
    for dim_id, cats in paper.classification.items():
        if dim_id not in dim_ids:
            problems.append(
                Problem(
                    src.path,
                    line_of(("classification", dim_id)),
                    f"classification.{dim_id}",
                    f"unknown dimension {dim_id!r}{did_you_mean(dim_id, dim_ids)} "
                    f"(known: {', '.join(sorted(dim_ids))})",
                )
            )
            continue
        for index, cat in enumerate(cats):
            where = f"classification.{dim_id}[{index}]"
            loc = ("classification", dim_id, index)
            if cat not in cat_dim:
                valid = [c for c, d in cat_dim.items() if d == dim_id]
                message = (
                    f"unknown category {cat!r}{did_you_mean(cat, valid)} "
                    f"(valid in {dim_id}: {', '.join(valid)})"
                )
                problems.append(Problem(src.path, line_of(loc), where, message))
            elif cat_dim[cat] != dim_id:
                message = f"{cat!r} belongs to dimension {cat_dim[cat]!r}, not {dim_id!r}"
                problems.append(Problem(src.path, line_of(loc), where, message))
            elif cat in placed:
                problems.append(Problem(src.path, line_of(loc), where, f"{cat!r} is listed twice"))
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


def _check_relations(
    paper: s.Paper,
    src: SourceFile,
    by_id: dict[str, tuple[s.Paper, SourceFile]],
    problems: list[Problem],
) -> None:
    """Relations point to another known paper, once each, and directional ones back in time."""
    line_of = src.parsed.line_of
    edges: set[tuple[str, str]] = set()
    for index, rel in enumerate(paper.relations):
        where = f"relations[{index}].target"
        loc = ("relations", index, "target")
        if rel.target == paper.id:
            problems.append(
                Problem(src.path, line_of(loc), where, "a paper cannot relate to itself")
            )
        elif rel.target not in by_id:
            message = f"unknown paper {rel.target!r}{did_you_mean(rel.target, set(by_id))}"
            problems.append(Problem(src.path, line_of(loc), where, message))
        if (rel.type, rel.target) in edges:
            message = f"duplicate relation {rel.type} {rel.target!r}"
            problems.append(Problem(src.path, line_of(loc), where, message))
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


_ARXIV_URL = re.compile(
    r"^https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/([^?#]+?)(?:v\d+)?(?:\.pdf)?/?$"
)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)


def _check_identifiers(paper: s.Paper, src: SourceFile, problems: list[Problem]) -> None:
    """The arXiv id agrees with the year, the URL and the DOI where they name one."""
    line_of = src.parsed.line_of
    arxiv = paper.arxiv
    if arxiv and ARXIV_NEW_RE.match(arxiv):
        posted = 2000 + int(arxiv[:2])
        if posted > paper.year + 1:
            problems.append(
                Problem(
                    src.path,
                    line_of(("arxiv",)),
                    "arxiv",
                    f"{arxiv!r} was posted in {posted}, more than a year after year {paper.year}: "
                    "check the id (year is the first public version's)",
                )
            )
    for field, pattern, value in (
        ("url", _ARXIV_URL, paper.url),
        ("doi", _ARXIV_DOI, paper.doi),
    ):
        found = pattern.match(value) if value else None
        if not found:
            continue
        named = found.group(1)
        if arxiv is None:
            message = f"names arXiv {named}: set arxiv: '{named}' too"
        elif named.lower() != arxiv.lower():
            message = f"names arXiv {named}, but arxiv is {arxiv!r}"
        else:
            continue
        problems.append(Problem(src.path, line_of((field,)), field, message))


# Paper kinds that describe a way of training a model, so method facts can apply to them.
METHOD_KINDS = frozenset({"method", "model"})


def _check_method(paper: s.Paper, src: SourceFile, problems: list[Problem]) -> None:
    """Method facts describe how something trains: only methods and models have them."""
    if paper.method is not None and paper.kind not in METHOD_KINDS:
        problems.append(
            Problem(
                src.path,
                src.parsed.line_of(("method",)),
                "method",
                f"method facts apply to kind method or model, not {str(paper.kind)!r}",
            )
        )


def _check_losses(
    paper: s.Paper, src: SourceFile, loss_papers: dict[str, set[str]], problems: list[Problem]
) -> None:
    """A loss the paper names exists in the loss lab, and that loss's entry names the paper
    among its sources (the link runs both ways, so the lab's page links back)."""
    for index, loss in enumerate(paper.losses):
        line, where = src.parsed.line_of(("losses", index)), f"losses[{index}]"
        if loss not in loss_papers:
            message = (
                f"unknown loss {loss!r}{did_you_mean(loss, set(loss_papers))} "
                f"(known: {', '.join(sorted(loss_papers))})"
            )
            problems.append(Problem(src.path, line, where, message))
        elif paper.id not in loss_papers[loss]:
            problems.append(
                Problem(
                    src.path,
                    line,
                    where,
                    f"the loss lab's {loss!r} entry does not name this paper: add a PaperRef "
                    f"with paper_id {paper.id!r} to its papers in app/losses/registry_*.py "
                    "(CONTRIBUTING.md, 'Linking a paper to a loss')",
                )
            )


def _check_extends_cycles(
    papers: list[tuple[s.Paper, SourceFile]],
    by_id: dict[str, tuple[s.Paper, SourceFile]],
    problems: list[Problem],
) -> None:
    """``extends`` never loops back to where it started."""
    extends = nx.DiGraph()
    for paper, _ in papers:
        for rel in paper.relations:
            if rel.type == "extends" and rel.target != paper.id and rel.target in by_id:
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
        a, b = ARXIV_NEW_RE.match(source.arxiv), ARXIV_NEW_RE.match(target.arxiv)
        if a and b:
            return tuple(map(int, source.arxiv.split("."))) < tuple(
                map(int, target.arxiv.split("."))
            )
    return source.year < target.year


def known_loss_papers() -> dict[str, set[str]] | None:
    """Loss-lab id -> the paper ids its entry names, or None when the loss lab is not
    importable."""
    try:
        from app.losses import registry
    except ImportError:
        return None
    return {loss_id: set(spec.paper_ids) for loss_id, spec in registry.LOSSES.items()}
