"""A parsed query resolved against the database, and the SQL that filters and counts it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from app.query.listing.filters import FILTERS
from app.query.listing.grammar import PLAIN_FACETS, PaperQuery, invalid, problem
from app.query.listing.snapshot import snapshot
from app.query.textquery import clauses_for, name_keys
from app.store import dialect
from app.store.dialect import Dialect


@dataclass
class Resolved:
    """The query with categories grouped by their real dimension, ready to become SQL."""

    groups: dict[str, list[str]]  # dimension id -> category ids (OR)
    query: PaperQuery
    fts_match: str | None
    sql: Dialect  # the engine serving the connection
    name_keys: str = ""  # names that rank a paper first (textquery.name_keys)


def resolve(conn: Connection, query: PaperQuery) -> Resolved:
    """Check dimension and category ids against the database and group categories."""
    taxonomy = snapshot(conn)
    cats = taxonomy.category_dims
    dims = taxonomy.dimension_names
    problems = []
    groups: dict[str, list[str]] = {}
    for param, ids in query.categories.items():
        if param != "category" and param not in dims:
            problems.append(problem(param, f"unknown parameter '{param}' (not a dimension)"))
            continue
        for cat in ids:
            dim = cats.get(cat)
            if dim is None:
                problems.append(problem(param, f"unknown category '{cat}'"))
            elif param != "category" and dim != param:
                problems.append(
                    problem(param, f"category '{cat}' belongs to dimension '{dim}', not '{param}'")
                )
            elif cat not in groups.get(dim, []):
                groups.setdefault(dim, []).append(cat)
    for facet in query.facets:
        if facet not in PLAIN_FACETS and facet not in dims:
            problems.append(problem("_facet", f"unknown facet '{facet}'"))
    if problems:
        raise invalid(problems)
    sql = dialect.of(conn)
    fts = sql.fts_query(clauses_for(query.q, taxonomy.synonyms)) if query.q else None
    return Resolved(groups, query, fts, sql, name_keys(query.q or "", taxonomy.synonyms))


def in_list(column: str, values: list[Any], prefix: str, params: dict[str, Any]) -> str:
    """``column IN (:prefix0, ...)``, adding the values to ``params``."""
    names = []
    for i, value in enumerate(values):
        params[f"{prefix}{i}"] = value
        names.append(f":{prefix}{i}")
    return f"{column} IN ({', '.join(names)})"


def where(
    r: Resolved, *, without: str | None = None, ranked: bool = False
) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions on ``p`` (paper) for every filter except the group named ``without``
    (a dimension, or a column filter's plain equality: a facet's counts ignore its own filter).

    With ``ranked`` the full-text condition is left to the join with the ranks (see source)."""
    q = r.query
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for n, (dim, ids) in enumerate(sorted(r.groups.items())):
        if dim == without:
            continue
        inner = in_list("category_id", ids, f"c{n}_", params)
        clauses.append(f"p.id IN (SELECT paper_id FROM paper_category WHERE {inner})")
    for (name, op), values in sorted(
        q.values.items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        if name == without and op is None:
            continue
        clauses.append(FILTERS[name].where_clause(op, values, params))
    if q.q is not None:
        params["fts_match"] = r.fts_match or r.sql.NO_MATCH
        params["name_keys"] = r.name_keys
    if q.q is not None and not ranked:
        # A q with nothing searchable in it ("!!") matches nothing rather than everything.
        clauses.append(f"p.id IN ({r.sql.paper_match_subquery()})")
    return clauses, params


def source(r: Resolved, *, ranked: bool = False) -> str:
    """The FROM clause: ``paper p``, joined to the full-text ranks ``r`` when ``ranked``."""
    if not ranked:
        return "paper p"
    return f"paper p JOIN ({r.sql.paper_rank_subquery()}) r ON r.paper_id = p.id"


def sql_where(clauses: list[str]) -> str:
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""


def plain_only(r: Resolved) -> bool:
    """Whether every filter is a column filter: then counts come from the build's
    ``paper_rollup`` (a few hundred rows) with the same conditions."""
    return not r.groups and r.query.q is None


def filter_key(r: Resolved) -> tuple:
    """What the counts depend on: the filters alone (not the page, sort or size), each value
    list as a set, since the SQL tests membership."""
    q = r.query
    return (
        tuple((dim, tuple(sorted(ids))) for dim, ids in sorted(r.groups.items())),
        tuple(
            sorted(
                (name, op or "", tuple(sorted(set(values))))
                for (name, op), values in q.values.items()
            )
        ),
        None if q.q is None else (r.fts_match or ""),
    )


def count(conn: Connection, r: Resolved) -> int:
    """How many papers match every filter."""
    counts = snapshot(conn).counts
    key = ("count", filter_key(r))
    found = counts.get(key)
    if found is None:
        clauses, params = where(r)
        if plain_only(r):
            sql = f"SELECT COALESCE(SUM(p.n), 0) FROM paper_rollup p{sql_where(clauses)}"
        elif r.query.q is not None and len(clauses) == 1:
            # Full text alone: count the index's matches (10x cheaper than joining papers).
            sql = r.sql.paper_match_count_statement()
        else:
            sql = f"SELECT COUNT(*) FROM paper p{sql_where(clauses)}"
        found = conn.execute(text(sql), params).scalar_one()
        counts.put(key, found)
    return found
