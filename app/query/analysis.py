"""Views across the taxonomy: the dimension × dimension matrix, the timeline per year, and a
side-by-side comparison of papers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from app.errors import InvalidQuery, NotFound
from app.query.listing.page import paper_row
from app.query.listing.sql import in_list


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
