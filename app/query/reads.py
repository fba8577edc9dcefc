"""Read functions shared by the JSON API and the HTML pages.

Every function is keyword-only, takes an open read-only connection, and returns plain data
(dicts and lists) that both renderings use unchanged.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text

from app.contract.ids import ARXIV_NEW_RE, DOI_RE, without_version
from app.errors import NotFound
from app.query.exports import bibtex
from app.query.graph import lineage
from app.query.listing.page import classifications, paper_row
from app.query.listing.snapshot import cached_dimension_ids

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "dimension_ids",
    "get_category",
    "get_dimension",
    "get_meta",
    "get_paper",
    "get_paper_citation",
    "list_dimensions",
    "resolve_paper",
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
        "method": json.loads(row.method) if row.method else None,
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


def external_ref(ref: str) -> tuple[str, str] | None:
    """``(scheme, value)`` when ``ref`` names a paper by an outside id rather than the atlas id:
    ``arxiv:ID`` in any case (``arXiv:`` is arXiv's own spelling), ``doi:DOI``, or a bare arXiv
    id or DOI. Atlas ids have no dots or colons, so nothing else is mistaken for one.

    >>> external_ref("arXiv:2305.18290"), external_ref("2305.18290v2"), external_ref("x2023-y")
    (('arxiv', '2305.18290'), ('arxiv', '2305.18290v2'), None)
    """
    scheme, sep, value = ref.partition(":")
    if sep and scheme.lower() in ("arxiv", "doi"):
        return scheme.lower(), value
    if ARXIV_NEW_RE.match(without_version(ref)):
        return "arxiv", ref
    if DOI_RE.match(ref):
        return "doi", ref
    return None


def resolve_paper(*, conn: Connection, scheme: str, value: str) -> str:
    """An external id (``arxiv`` with or without a version suffix, or ``doi``, compared
    case-insensitively as DOIs are) -> the paper id; NotFound when no paper has it."""
    if scheme == "arxiv":
        sql, key = "SELECT id FROM paper WHERE arxiv = :v", without_version(value)
    else:
        sql, key = "SELECT id FROM paper WHERE lower(doi) = :v", value.lower()
    found = conn.execute(text(sql), {"v": key}).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no paper with {scheme} '{value}'", [{scheme: value}])
    return found


def dimension_ids(*, conn: Connection) -> list[str]:
    """Dimension ids in display order (what ``/papers`` accepts as parameter names)."""
    return cached_dimension_ids(conn)
