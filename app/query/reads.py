"""Read functions shared by the JSON API and the HTML pages.

Every function is keyword-only, takes an open read-only connection, and returns plain data
(dicts and lists) that both renderings use unchanged.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text

from app.errors import InvalidQuery, NotFound
from app.query import bibtex
from app.query.graph import lineage
from app.query.listing.page import classifications, paper_row
from app.query.listing.snapshot import cached_dimension_ids
from app.query.listing.sql import in_list
from app.store import dialect
from app.store.dialect import HIT_END, HIT_START

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "compare",
    "dimension_ids",
    "get_category",
    "get_dimension",
    "get_meta",
    "get_paper",
    "get_paper_citation",
    "list_dimensions",
    "matrix",
    "resolve_paper",
    "search",
    "timeline",
]


def get_meta(*, conn: Connection) -> dict[str, Any]:
    """Data version, build time, counts and the survey the atlas is built on."""
    rows = dict(conn.execute(text("SELECT key, value FROM meta")).all())
    return {
        "data_version": rows["data_version"],
        "built_at": rows["built_at"],
        "counts": json.loads(rows["counts"]),
        "survey": json.loads(rows.get("survey") or "null"),
    }


def _category(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "dimension": row.dimension_id,
        "parent": row.parent_id,
        "description": row.description,
        "provenance": json.loads(row.provenance),
        "depth": row.depth,
        "sparse": bool(row.sparse),
        "sparse_reason": row.sparse_reason,
        "direct_count": row.direct_count,
        "count": row.rollup_count,
    }


def _dimension(row: Any, categories: list[dict[str, Any]], count: int) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "question": row.question,
        "description": row.description,
        "provenance": json.loads(row.provenance),
        "count": count,
        "categories": nest(categories),
    }


def list_dimensions(*, conn: Connection) -> list[dict[str, Any]]:
    """Every dimension with its category tree (nested ``children``) and roll-up counts.

    A dimension's ``count`` is the number of distinct papers placed anywhere in it.
    """
    cats: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(text("SELECT * FROM category ORDER BY dimension_id, ord")):
        cats.setdefault(row.dimension_id, []).append(_category(row))
    placed = dict(
        conn.execute(
            text("SELECT dimension_id, COUNT(DISTINCT paper_id) FROM paper_category GROUP BY 1")
        ).all()
    )
    return [
        _dimension(row, cats.get(row.id, []), placed.get(row.id, 0))
        for row in conn.execute(text("SELECT * FROM dimension ORDER BY ord, id"))
    ]


def get_dimension(*, conn: Connection, dimension_id: str) -> dict[str, Any]:
    """One dimension with its nested category tree and roll-up counts; 404 if unknown."""
    row = conn.execute(
        text("SELECT * FROM dimension WHERE id = :id"), {"id": dimension_id}
    ).one_or_none()
    if row is None:
        raise NotFound(f"no dimension '{dimension_id}'", [{"dimension": dimension_id}])
    cats = [
        _category(c)
        for c in conn.execute(
            text("SELECT * FROM category WHERE dimension_id = :id ORDER BY ord"), {"id": row.id}
        )
    ]
    count = conn.execute(
        text("SELECT COUNT(DISTINCT paper_id) FROM paper_category WHERE dimension_id = :id"),
        {"id": row.id},
    ).scalar_one()
    return _dimension(row, cats, count)


def nest(flat: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flat categories (in file order) -> roots with nested ``children``."""
    by_id = {c["id"]: {**c, "children": []} for c in flat}
    roots = []
    for cat in by_id.values():
        if cat["parent"] and cat["parent"] in by_id:
            by_id[cat["parent"]]["children"].append(cat)
        else:
            roots.append(cat)
    return roots


def _papers_in_category(conn: Connection, category_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        text(
            "SELECT p.*, pc.direct AS placed_here FROM paper p "
            "JOIN paper_category pc ON pc.paper_id = p.id WHERE pc.category_id = :id "
            "ORDER BY p.year DESC, p.id"
        ),
        {"id": category_id},
    ).all()
    return [{**paper_row(r), "direct": bool(r.placed_here)} for r in rows]


def get_category(*, conn: Connection, category_id: str) -> dict[str, Any]:
    """A category: definition and provenance, its dimension, ``breadcrumbs`` (root first, up to
    the parent), ``children`` with counts, and ``papers`` placed in it or any descendant (each
    with ``direct``: placed exactly here). 404 if unknown."""
    row = conn.execute(
        text("SELECT * FROM category WHERE id = :id"), {"id": category_id}
    ).one_or_none()
    if row is None:
        raise NotFound(f"no category '{category_id}'", [{"category": category_id}])
    ancestors = row.path.split("/")[:-1]
    names = {
        r.id: r.name
        for r in conn.execute(
            text("SELECT id, name FROM category WHERE dimension_id = :d"), {"d": row.dimension_id}
        )
    }
    dimension = conn.execute(
        text("SELECT id, name FROM dimension WHERE id = :id"), {"id": row.dimension_id}
    ).one()
    children = [
        _category(c)
        for c in conn.execute(
            text("SELECT * FROM category WHERE parent_id = :id ORDER BY ord"), {"id": row.id}
        )
    ]
    return {
        **_category(row),
        "dimension": {"id": dimension.id, "name": dimension.name},
        "breadcrumbs": [{"id": a, "name": names[a]} for a in ancestors],
        "children": children,
        "papers": _papers_in_category(conn, row.id),
    }


def _paper_or_404(conn: Connection, paper_id: str) -> Any:
    row = conn.execute(text("SELECT * FROM paper WHERE id = :id"), {"id": paper_id}).one_or_none()
    if row is None:
        raise NotFound(f"no paper '{paper_id}'", [{"paper": paper_id}])
    return row


def _classification(conn: Connection, paper_id: str) -> list[dict[str, Any]]:
    """Every dimension (in order) with the categories the paper is placed in directly, each
    with its ``path`` of ancestors (root first)."""
    cats = {
        r.id: r for r in conn.execute(text("SELECT id, name, path, dimension_id FROM category"))
    }
    placed = classifications(conn, [paper_id])[paper_id]
    out = []
    for dim in conn.execute(text("SELECT id, name FROM dimension ORDER BY ord, id")):
        out.append(
            {
                "dimension": {"id": dim.id, "name": dim.name},
                "categories": [
                    {
                        "id": cid,
                        "name": cats[cid].name,
                        "path": [
                            {"id": a, "name": cats[a].name} for a in cats[cid].path.split("/")[:-1]
                        ],
                    }
                    for cid in placed.get(dim.id, [])
                ],
            }
        )
    return out


def _relations(conn: Connection, paper_id: str) -> dict[str, list[dict[str, Any]]]:
    def side(sql: str) -> list[dict[str, Any]]:
        return [
            {
                "type": r.type,
                "note": r.note,
                "paper": {"id": r.id, "title": r.title, "year": r.year},
            }
            for r in conn.execute(text(sql), {"id": paper_id})
        ]

    return {
        "out": side(
            "SELECT r.type, r.note, p.id, p.title, p.year FROM relation r "
            "JOIN paper p ON p.id = r.target_id WHERE r.source_id = :id ORDER BY r.type, p.id"
        ),
        "in": side(
            "SELECT r.type, r.note, p.id, p.title, p.year FROM relation r "
            "JOIN paper p ON p.id = r.source_id WHERE r.target_id = :id ORDER BY r.type, p.id"
        ),
    }


def get_paper(*, conn: Connection, graph: nx.MultiDiGraph, paper_id: str) -> dict[str, Any]:
    """Everything about one paper: metadata, ``classification`` on every dimension (grouped,
    with names), ``relations`` (``out`` and ``in``), ``lineage`` (ancestors and descendants
    along extends/variant-of), ``bibtex`` (one entry, as a string), ``losses`` (loss-lab ids) and
    ``provenance``. 404 if unknown."""
    row = _paper_or_404(conn, paper_id)
    paper = paper_row(row)
    return {
        **paper,
        "classification": _classification(conn, row.id),
        "relations": _relations(conn, row.id),
        "lineage": lineage(graph=graph, paper_id=row.id),
        "bibtex": bibtex.bibtex_entry(paper),
        "losses": json.loads(row.losses),
        "provenance": {
            "classification": row.classification_source,
            "attested": json.loads(row.attested),
            "added": row.added,
            "verified": (
                {"source": row.verified_source, "on": row.verified_on}
                if row.verified_source
                else None
            ),
            "source_path": row.source_path,
        },
    }


def get_paper_citation(*, conn: Connection, paper_id: str) -> dict[str, Any]:
    """The fields the citation exports need for one paper; 404 if unknown."""
    return paper_row(_paper_or_404(conn, paper_id))


_ARXIV_VERSION = re.compile(r"v\d+$")


def resolve_paper(*, conn: Connection, scheme: str, value: str) -> str:
    """An external id (``arxiv`` with or without a version suffix, or ``doi``, compared
    case-insensitively as DOIs are) -> the paper id; NotFound when no paper has it."""
    if scheme == "arxiv":
        sql, key = "SELECT id FROM paper WHERE arxiv = :v", _ARXIV_VERSION.sub("", value)
    else:
        sql, key = "SELECT id FROM paper WHERE lower(doi) = :v", value.lower()
    found = conn.execute(text(sql), {"v": key}).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no paper with {scheme} '{value}'", [{scheme: value}])
    return found


def segments(marked: str) -> list[dict[str, Any]]:
    """Split FTS-highlighted text into ``[{"text", "hit"}]`` (hits between the dialect's
    sentinels), so a template can escape every piece and wrap only hits in ``<mark>``.

    >>> segments("a \x02b\x03 c")
    [{'text': 'a ', 'hit': False}, {'text': 'b', 'hit': True}, {'text': ' c', 'hit': False}]
    """
    out: list[dict[str, Any]] = []
    for n, part in enumerate(re.split(f"[{HIT_START}{HIT_END}]", marked)):
        if part:
            out.append({"text": part, "hit": n % 2 == 1})
    return out


def search(*, conn: Connection, q: str, limit: int = 20) -> dict[str, Any]:
    """Full-text search over papers and over categories/dimensions, each ranked by relevance
    (bm25 on SQLite, ts_rank on PostgreSQL: only the order is comparable across engines).

    Titles, names and snippets come as segments (see :func:`segments`) — never as HTML.
    """
    fts = dialect.of(conn)
    match = fts.fts_query(q)
    result: dict[str, Any] = {
        "q": q,
        "papers": [],
        "categories": [],
        "counts": {"papers": 0, "categories": 0},
    }
    if match is None:
        return result
    params = {"fts_match": match, "limit": limit}
    papers = conn.execute(text(fts.paper_search_statement()), params).all()
    ids: dict[str, Any] = {}
    where = in_list("id", [r.paper_id for r in papers], "p", ids) if papers else "1 = 0"
    sql = f"SELECT id, year, venue, authors FROM paper WHERE {where}"
    details = {r.id: r for r in conn.execute(text(sql), ids)}
    result["papers"] = [
        {
            "id": r.paper_id,
            "year": details[r.paper_id].year,
            "venue": details[r.paper_id].venue,
            "authors": json.loads(details[r.paper_id].authors),
            "score": -r.rank,
            "title": segments(r.title_hl),
            "snippet": segments(r.snippet),
        }
        for r in papers
    ]
    cats = conn.execute(text(fts.category_search_statement()), params).all()
    dims_of = dict(conn.execute(text("SELECT id, dimension_id FROM category")).all())
    result["categories"] = [
        {
            "id": r.category_id,
            "kind": r.kind,
            "dimension": dims_of.get(r.category_id) if r.kind == "category" else r.category_id,
            "score": -r.rank,
            "name": segments(r.name_hl),
            "snippet": segments(r.snippet),
        }
        for r in cats
    ]
    result["counts"] = {
        "papers": conn.execute(text(fts.paper_match_count_statement()), params).scalar_one(),
        "categories": conn.execute(text(fts.category_match_count_statement()), params).scalar_one(),
    }
    return result


def _dimension_or_404(conn: Connection, dimension_id: str, param: str) -> Any:
    row = conn.execute(
        text("SELECT id, name FROM dimension WHERE id = :id"), {"id": dimension_id}
    ).one_or_none()
    if row is None:
        raise NotFound(f"no dimension '{dimension_id}'", [{param: dimension_id}])
    return row


def _axis(conn: Connection, dim: Any) -> dict[str, Any]:
    cats = [
        {
            "id": r.id,
            "name": r.name,
            "parent": r.parent_id,
            "depth": r.depth,
            "count": r.rollup_count,
        }
        for r in conn.execute(
            text(
                "SELECT id, name, parent_id, depth, rollup_count FROM category "
                "WHERE dimension_id = :d ORDER BY ord"
            ),
            {"d": dim.id},
        )
    ]
    return {"dimension": {"id": dim.id, "name": dim.name}, "categories": cats}


def matrix(*, conn: Connection, rows: str, cols: str) -> dict[str, Any]:
    """Co-occurrence of the categories of two dimensions: ``cells[i][j]`` holds the papers
    placed (with roll-up) in row category i and column category j. Empty cells are open gaps."""
    row_dim = _dimension_or_404(conn, rows, "rows")
    col_dim = _dimension_or_404(conn, cols, "cols")
    row_axis, col_axis = _axis(conn, row_dim), _axis(conn, col_dim)
    ri = {c["id"]: i for i, c in enumerate(row_axis["categories"])}
    ci = {c["id"]: j for j, c in enumerate(col_axis["categories"])}
    cells = [[{"count": 0, "papers": []} for _ in ci] for _ in ri]
    both: set[str] = set()
    for r in conn.execute(
        text(
            "SELECT a.category_id AS r, b.category_id AS c, a.paper_id AS p "
            "FROM paper_category a JOIN paper_category b ON a.paper_id = b.paper_id "
            "WHERE a.dimension_id = :rows AND b.dimension_id = :cols ORDER BY a.paper_id"
        ),
        {"rows": row_dim.id, "cols": col_dim.id},
    ):
        cell = cells[ri[r.r]][ci[r.c]]
        cell["count"] += 1
        cell["papers"].append(r.p)
        both.add(r.p)
    return {
        "rows": row_axis,
        "cols": col_axis,
        "cells": cells,
        "papers": len(both),
        "empty": sum(1 for line in cells for cell in line if not cell["count"]),
    }


def timeline(*, conn: Connection, dimension: str | None = None) -> dict[str, Any]:
    """Papers per year per category of ``dimension`` (default: ``optimization`` if it exists,
    else the first dimension), counted with roll-up; ``totals`` counts distinct papers placed in
    the dimension per year. Years run without gaps from the first to the last paper."""
    if dimension is None:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM dimension ORDER BY ord, id"))]
        dimension = "optimization" if "optimization" in ids else ids[0]
    dim = _dimension_or_404(conn, dimension, "dimension")
    first, last = conn.execute(text("SELECT MIN(year), MAX(year) FROM paper")).one()
    years = list(range(first, last + 1)) if first is not None else []
    counts: dict[tuple[str, int], int] = {}
    for r in conn.execute(
        text(
            "SELECT pc.category_id, p.year, COUNT(*) AS n FROM paper_category pc "
            "JOIN paper p ON p.id = pc.paper_id WHERE pc.dimension_id = :d GROUP BY 1, 2"
        ),
        {"d": dim.id},
    ):
        counts[(r.category_id, r.year)] = r.n
    totals = dict(
        conn.execute(
            text(
                "SELECT p.year, COUNT(DISTINCT p.id) FROM paper_category pc "
                "JOIN paper p ON p.id = pc.paper_id WHERE pc.dimension_id = :d GROUP BY 1"
            ),
            {"d": dim.id},
        ).all()
    )
    axis = _axis(conn, dim)
    return {
        "dimension": axis["dimension"],
        "years": years,
        "series": [
            {"category": cat, "counts": [counts.get((cat["id"], y), 0) for y in years]}
            for cat in axis["categories"]
        ],
        "totals": [totals.get(y, 0) for y in years],
    }


MAX_COMPARE = 20


def compare_ids(values: list[str], *, minimum: int = 1) -> list[str]:
    """Paper ids from ``papers=a,b`` and/or repeated ``papers=`` values, in order, each once;
    InvalidQuery when there are fewer than ``minimum`` or more than :data:`MAX_COMPARE`."""
    ids = list(dict.fromkeys(p.strip() for v in values for p in v.split(",") if p.strip()))
    if not minimum <= len(ids) <= MAX_COMPARE:
        raise InvalidQuery(
            f"compare takes {max(minimum, 1)} to {MAX_COMPARE} paper ids",
            [{"parameter": "papers", "message": f"got {len(ids)}"}],
        )
    return ids


def compare(*, conn: Connection, paper_ids: list[str]) -> dict[str, Any]:
    """Several papers' classifications side by side: per dimension, one row per category any
    of them is in, with ``"direct"``, ``"inherited"`` (via a descendant) or None per paper, and
    ``shared`` when all of them are in it. 404 naming every unknown id."""
    ids = list(dict.fromkeys(paper_ids))
    params: dict[str, Any] = {}
    where = in_list("id", ids, "p", params)
    found = {r.id: r for r in conn.execute(text(f"SELECT * FROM paper WHERE {where}"), params)}
    missing = [pid for pid in ids if pid not in found]
    if missing:
        raise NotFound(
            f"no paper {', '.join(repr(m) for m in missing)}", [{"paper": m} for m in missing]
        )
    placed: dict[tuple[str, str], str] = {}
    params = {}
    where = in_list("paper_id", ids, "p", params)
    for r in conn.execute(
        text(f"SELECT paper_id, category_id, direct FROM paper_category WHERE {where}"), params
    ):
        placed[(r.paper_id, r.category_id)] = "direct" if r.direct else "inherited"
    dimensions = []
    for dim in conn.execute(text("SELECT id, name FROM dimension ORDER BY ord, id")):
        rows = []
        for cat in _axis(conn, dim)["categories"]:
            marks = [placed.get((pid, cat["id"])) for pid in ids]
            if any(marks):
                rows.append({"category": cat, "papers": marks, "shared": all(marks)})
        dimensions.append({"id": dim.id, "name": dim.name, "rows": rows})
    return {"papers": [paper_row(found[pid]) for pid in ids], "dimensions": dimensions}


def dimension_ids(*, conn: Connection) -> list[str]:
    """Dimension ids in display order (what ``/papers`` accepts as parameter names)."""
    return cached_dimension_ids(conn)
