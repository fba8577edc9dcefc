"""Views across the taxonomy: the dimension × dimension matrix, the timeline per year, and a
side-by-side comparison of papers."""

from __future__ import annotations

import datetime as dt
import json
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


# Surveys are placed on almost every category; counts that show where the field's work is leave
# them out unless asked (``surveys=True``).
_NO_SURVEYS = "p.kind <> 'survey'"


def _kept(surveys: bool) -> str:
    return "1 = 1" if surveys else _NO_SURVEYS


def _axis(conn: Connection, dim: Any, *, surveys: bool = True) -> dict[str, Any]:
    count = (
        "c.rollup_count"
        if surveys
        else "(SELECT COUNT(*) FROM paper_category pc JOIN paper p ON p.id = pc.paper_id "
        f"WHERE pc.category_id = c.id AND {_NO_SURVEYS})"
    )
    cats = [
        {"id": r.id, "name": r.name, "parent": r.parent_id, "depth": r.depth, "count": r.n}
        for r in conn.execute(
            text(
                f"SELECT c.id, c.name, c.parent_id, c.depth, {count} AS n FROM category c "
                "WHERE c.dimension_id = :d ORDER BY c.ord"
            ),
            {"d": dim.id},
        )
    ]
    return {"dimension": {"id": dim.id, "name": dim.name}, "categories": cats}


def survey_count(conn: Connection) -> int:
    """How many papers are surveys (what the matrix and timeline leave out by default)."""
    return conn.execute(text("SELECT COUNT(*) FROM paper WHERE kind = 'survey'")).scalar_one()


def matrix(*, conn: Connection, rows: str, cols: str, surveys: bool = False) -> dict[str, Any]:
    """Co-occurrence of the categories of two dimensions: ``cells[i][j]`` holds the papers
    placed (with roll-up) in row category i and column category j. Empty cells are open gaps.
    Surveys are left out unless ``surveys``."""
    row_dim = _dimension_or_404(conn, rows, "rows")
    col_dim = _dimension_or_404(conn, cols, "cols")
    row_axis = _axis(conn, row_dim, surveys=surveys)
    col_axis = _axis(conn, col_dim, surveys=surveys)
    ri = {c["id"]: i for i, c in enumerate(row_axis["categories"])}
    ci = {c["id"]: j for j, c in enumerate(col_axis["categories"])}
    cells = [[{"count": 0, "papers": []} for _ in ci] for _ in ri]
    both: set[str] = set()
    for r in conn.execute(
        text(
            "SELECT a.category_id AS r, b.category_id AS c, a.paper_id AS p "
            "FROM paper_category a JOIN paper_category b ON a.paper_id = b.paper_id "
            "JOIN paper p ON p.id = a.paper_id "
            f"WHERE a.dimension_id = :rows AND b.dimension_id = :cols AND {_kept(surveys)} "
            "ORDER BY a.paper_id"
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
        "surveys": surveys,
    }


def timeline(
    *,
    conn: Connection,
    dimension: str | None = None,
    surveys: bool = False,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Papers per year per category of ``dimension`` (default: ``optimization`` if it exists,
    else the first dimension), counted with roll-up; ``totals`` counts distinct papers placed in
    the dimension per year. Years run without gaps from the first to the last paper. Surveys are
    left out unless ``surveys``. ``partial_year`` names the last year when it is the current
    one (``today``'s), whose count is still growing."""
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
            "JOIN paper p ON p.id = pc.paper_id "
            f"WHERE pc.dimension_id = :d AND {_kept(surveys)} GROUP BY 1, 2"
        ),
        {"d": dim.id},
    ):
        counts[(r.category_id, r.year)] = r.n
    totals = dict(
        conn.execute(
            text(
                "SELECT p.year, COUNT(DISTINCT p.id) FROM paper_category pc "
                "JOIN paper p ON p.id = pc.paper_id "
                f"WHERE pc.dimension_id = :d AND {_kept(surveys)} GROUP BY 1"
            ),
            {"d": dim.id},
        ).all()
    )
    axis = _axis(conn, dim, surveys=surveys)
    current = (today or dt.date.today()).year
    return {
        "dimension": axis["dimension"],
        "years": years,
        "series": [
            {"category": cat, "counts": [counts.get((cat["id"], y), 0) for y in years]}
            for cat in axis["categories"]
        ],
        "totals": [totals.get(y, 0) for y in years],
        "surveys": surveys,
        "partial_year": current if years and years[-1] == current else None,
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
    """Several papers side by side: each paper's loss-lab ids and method facts, then per
    dimension one row per category any of them is in, with ``"direct"``, ``"inherited"`` (via
    a descendant) or None per paper, and ``shared`` when all of them are in it. 404 naming
    every unknown id."""
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
    papers = [
        {
            **paper_row(found[pid]),
            "losses": json.loads(found[pid].losses),
            "method": json.loads(found[pid].method) if found[pid].method else None,
        }
        for pid in ids
    ]
    return {"papers": papers, "dimensions": dimensions}
