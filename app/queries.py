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


# --- Contract for the HTML pages and the JSON API -------------------------------------------
# Signatures below are stable; bodies are being filled in (see issue 4). Every function returns
# plain dicts/lists; ids are plain ids (no "kind:" prefix) unless a docstring says otherwise.

from dataclasses import dataclass, field  # noqa: E402

import networkx as nx  # noqa: E402


@dataclass
class PaperQuery:
    """A parsed ``/papers`` query string (what ``parse_paper_query`` returns).

    ``categories`` maps a dimension id (or ``"category"`` for the generic ``category=`` filter,
    resolved to dimensions by ``list_papers``) to category ids: OR within one dimension, AND
    across dimensions; a category matches papers placed in it or in any descendant.
    """

    categories: dict[str, list[str]] = field(default_factory=dict)
    year: list[int] = field(default_factory=list)
    year_gte: int | None = None
    year_lte: int | None = None
    venue: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    q: str | None = None
    sort: str | None = None  # year | -year | title | relevance; None = relevance if q else -year
    size: int = 50
    next: str | None = None
    facets: list[str] = field(default_factory=list)
    items: list[tuple[str, str]] = field(default_factory=list)  # the raw pairs, for toggle_url


def parse_paper_query(
    items: list[tuple[str, str]], *, dimensions: set[str] | None = None
) -> PaperQuery:
    """Parse ``request.query_params.multi_items()``; raise ``ApiError(400)`` naming every
    unknown parameter or operator. Empty values (from HTML forms) are ignored."""
    raise NotImplementedError


def list_papers(*, conn: Connection, query: PaperQuery, base_path: str) -> dict[str, Any]:
    """One page of papers matching ``query``.

    Returns ``{"rows": [paper summary], "count": int, "facets": {name: {"name", "label",
    "values": [{"value", "label", "count", "selected", "toggle_url", ...}]}}, "next": token|None,
    "next_url": str|None, "filters": [{"param", "value", "label", "remove_url"}], "sort", "size"}``.
    URLs are ``base_path`` + query string (``/papers`` for pages, ``/api/v1/papers`` for the API).
    """
    raise NotImplementedError


def get_dimension(*, conn: Connection, dimension_id: str) -> dict[str, Any]:
    """One dimension with its nested category tree and counts; ``ApiError(404)`` if unknown."""
    raise NotImplementedError


def get_category(*, conn: Connection, category_id: str) -> dict[str, Any]:
    """``{..category fields.., "dimension": {id, name}, "breadcrumbs": [root..parent],
    "children": [categories with counts], "papers": [paper summaries incl. descendants]}``."""
    raise NotImplementedError


def get_paper(*, conn: Connection, graph: nx.MultiDiGraph, paper_id: str) -> dict[str, Any]:
    """Full detail: metadata, ``classification`` grouped by dimension (with names),
    ``relations`` {"out", "in"}, ``lineage``, ``bibtex`` (string), ``losses``."""
    raise NotImplementedError


def resolve_paper(*, conn: Connection, scheme: str, value: str) -> str | None:
    """``arxiv``/``doi`` external id -> paper id, or None."""
    raise NotImplementedError


def search(*, conn: Connection, q: str, limit: int = 20) -> dict[str, Any]:
    """Ranked papers and categories. Highlighted text comes as segments
    ``[{"text": str, "hit": bool}]`` so a template escapes everything and marks hits."""
    raise NotImplementedError


def matrix(*, conn: Connection, rows: str, cols: str) -> dict[str, Any]:
    """Co-occurrence of two dimensions' categories with the paper ids behind each cell."""
    raise NotImplementedError


def timeline(*, conn: Connection, dimension: str | None = None) -> dict[str, Any]:
    """Papers per year per category of ``dimension``."""
    raise NotImplementedError


def compare(*, conn: Connection, paper_ids: list[str]) -> dict[str, Any]:
    """Classification of several papers side by side."""
    raise NotImplementedError
