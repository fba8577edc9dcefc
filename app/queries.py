"""Read functions shared by the JSON API and the HTML pages.

Every function is keyword-only, takes an open read-only connection, and returns plain data
(dicts and lists) that both renderings use unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text


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


def list_dimensions(*, conn: Connection) -> list[dict[str, Any]]:
    """Every dimension with its category tree (nested ``children``) and roll-up counts."""
    cats: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(text("SELECT * FROM category ORDER BY dimension_id, ord")):
        cats.setdefault(row.dimension_id, []).append(_category(row))
    placed = dict(
        conn.execute(
            text("SELECT dimension_id, COUNT(DISTINCT paper_id) FROM paper_category GROUP BY 1")
        ).all()
    )
    out = []
    for row in conn.execute(text("SELECT * FROM dimension ORDER BY ord, id")):
        out.append(
            {
                "id": row.id,
                "name": row.name,
                "question": row.question,
                "description": row.description,
                "provenance": json.loads(row.provenance),
                "count": placed.get(row.id, 0),
                "categories": nest(cats.get(row.id, [])),
            }
        )
    return out


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
