"""What the list reads once per database: the dimensions, categories and search synonyms (which
change only with a rebuild), and a bounded cache of counts keyed by the filters."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, text

from app.query.cache import LRU
from app.query.textquery import SynonymIndex


@dataclass
class Snapshot:
    dimension_names: dict[str, str]  # in display order
    category_dims: dict[str, str]  # category id -> dimension id
    category_names: dict[str, str]
    category_rank: dict[str, tuple[int, int]]  # category id -> (dimension ord, category ord)
    by_dimension: dict[str, list[Any]]  # dimension id -> rows (id, name, parent_id, depth)
    synonyms: SynonymIndex = field(default_factory=SynonymIndex)
    counts: LRU = field(default_factory=lambda: LRU(entries=2048))  # filters -> counts


# Keyed by engine: an engine serves one database file or schema for its whole life.
_SNAPSHOTS: weakref.WeakKeyDictionary[Engine, Snapshot] = weakref.WeakKeyDictionary()


def snapshot(conn: Connection) -> Snapshot:
    found = _SNAPSHOTS.get(conn.engine)
    if found is not None:
        return found
    dims = conn.execute(text("SELECT id, name, ord FROM dimension ORDER BY ord, id")).all()
    dim_ord = {d.id: d.ord for d in dims}
    cats = conn.execute(
        text("SELECT id, name, parent_id, depth, dimension_id, ord FROM category ORDER BY ord")
    ).all()
    by_dimension: dict[str, list[Any]] = {d.id: [] for d in dims}
    for c in cats:
        by_dimension.setdefault(c.dimension_id, []).append(c)
    groups: dict[int, list[str]] = {}
    for row in conn.execute(text("SELECT group_id, phrase FROM synonym ORDER BY group_id, ord")):
        groups.setdefault(row.group_id, []).append(row.phrase)
    found = _SNAPSHOTS[conn.engine] = Snapshot(
        dimension_names={d.id: d.name for d in dims},
        category_dims={c.id: c.dimension_id for c in cats},
        category_names={c.id: c.name for c in cats},
        category_rank={c.id: (dim_ord.get(c.dimension_id, 0), c.ord) for c in cats},
        by_dimension=by_dimension,
        synonyms=SynonymIndex.of(groups.values()),
    )
    return found


def cached_dimension_ids(conn: Connection) -> list[str]:
    """Dimension ids in display order, from the per-database snapshot."""
    return list(snapshot(conn).dimension_names)


def known_dimension_ids(engine: Engine) -> list[str] | None:
    """Dimension ids of an engine's snapshot when it was read already (no I/O), else None."""
    found = _SNAPSHOTS.get(engine)
    return None if found is None else list(found.dimension_names)
