"""Facet values with their counts and toggle links, and the active-filter chips."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from app.query.listing.filters import FILTERS
from app.query.listing.snapshot import snapshot
from app.query.listing.sql import Resolved, filter_key, plain_only, source, sql_where, where
from app.query.listing.tokens import list_url

Pairs = list[tuple[str, str]]


def _toggle(
    kept: Pairs, param: str, value: str, aliases: tuple[str, ...] = ()
) -> tuple[Pairs, bool]:
    names = (param, *aliases)
    if any(k in names and v == value for k, v in kept):
        return [(k, v) for k, v in kept if not (k in names and v == value)], True
    return [*kept, (param, value)], False


def _category_counts(
    conn: Connection, r: Resolved, *, without: str | None, memo: dict[str | None, dict]
) -> dict[str, int]:
    """Papers per category (rolled up) among those matching every filter but ``without``'s.

    One query serves every dimension facet whose own dimension is not filtered (``memo``
    keeps it per list). With no filter at all, the counts are the build's roll-up counts.
    """
    if without in memo:
        return memo[without]
    counts = snapshot(conn).counts
    key = ("categories", without, filter_key(r))
    found = counts.get(key)
    if found is not None:
        memo[without] = found
        return found
    clauses, params = where(r, without=without)
    if not clauses and r.query.q is None:
        sql = "SELECT id, rollup_count FROM category"
    else:
        # paper_category's primary key (paper_id, category_id) covers this: no table reads.
        sql = (
            "SELECT pc.category_id, COUNT(*) FROM paper_category pc WHERE pc.paper_id IN "
            f"(SELECT p.id FROM {source(r)}{sql_where(clauses)}) GROUP BY pc.category_id"
        )
    memo[without] = dict(conn.execute(text(sql), params).all())
    counts.put(key, memo[without])
    return memo[without]


def _column_counts(conn: Connection, r: Resolved, name: str) -> list[tuple[Any, int]]:
    """(value, papers) of the column filter ``name`` among papers matching the other filters."""
    cache = snapshot(conn).counts
    cache_key = ("facet", name, filter_key(r))
    counts = cache.get(cache_key)
    if counts is None:
        clauses, params = where(r, without=name)
        condition = sql_where([*clauses, f"p.{name} IS NOT NULL"])
        table, n = ("paper_rollup p", "SUM(p.n)") if plain_only(r) else (source(r), "COUNT(*)")
        sql = f"SELECT p.{name} AS value, {n} AS n FROM {table}{condition} GROUP BY 1"
        counts = [(row.value, row.n) for row in conn.execute(text(sql), params)]
        cache.put(cache_key, counts)
    return counts


def facet(
    conn: Connection,
    r: Resolved,
    name: str,
    base_path: str,
    kept: Pairs,
    memo: dict[str | None, dict],
) -> dict[str, Any]:
    """One facet: a column filter's values, or a dimension's categories, with counts."""
    values = []
    taxonomy = snapshot(conn)
    if name in FILTERS:
        # Years newest first; other values by count, then alphabetically.
        order = (lambda c: -c[0]) if name == "year" else (lambda c: (-c[1], str(c[0])))
        for raw, n in sorted(_column_counts(conn, r, name), key=order):
            value = str(raw)
            pairs, selected = _toggle(kept, name, value)
            values.append(
                {
                    "value": value,
                    "label": value,
                    "count": n,
                    "selected": selected,
                    "toggle_url": list_url(base_path, pairs),
                    "parent": None,
                    "depth": None,
                }
            )
        return {"name": name, "label": name.capitalize(), "type": name, "values": values}
    dim_counts = _category_counts(conn, r, without=name if name in r.groups else None, memo=memo)
    for cat in taxonomy.by_dimension[name]:
        pairs, selected = _toggle(kept, name, cat.id, aliases=("category",))
        values.append(
            {
                "value": cat.id,
                "label": cat.name,
                "count": dim_counts.get(cat.id, 0),
                "selected": selected,
                "toggle_url": list_url(base_path, pairs),
                "parent": cat.parent_id,
                "depth": cat.depth,
            }
        )
    return {
        "name": name,
        "label": taxonomy.dimension_names[name],
        "type": "dimension",
        "values": values,
    }


def chips(conn: Connection, r: Resolved, base_path: str, kept: Pairs) -> list[dict[str, Any]]:
    """The active filters as removable chips: ``{"param", "value", "label", "remove_url"}``."""
    taxonomy = snapshot(conn)
    names, dims = taxonomy.category_names, taxonomy.dimension_names
    out = []
    for key, value in kept:
        if key.startswith("_"):
            continue
        name, _, op = key.partition("__")
        if key == "q":
            label = f"matching “{value}”"
        elif name in FILTERS:
            label = FILTERS[name].human_clause(op or None, value)
        else:
            dim = (
                key
                if key != "category"
                else next((d for d, ids in r.groups.items() if value in ids), key)
            )
            label = f"{dims.get(dim, dim)}: {names.get(value, value)}"
        remaining = [(k, v) for k, v in kept if (k, v) != (key, value)]
        out.append(
            {
                "param": key,
                "value": value,
                "label": label,
                "remove_url": list_url(base_path, remaining),
            }
        )
    return out
