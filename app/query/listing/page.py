"""One page of the paper list (keyset pages, ranked pages for full text), and every match."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from app.query.listing.facets import chips, facet
from app.query.listing.grammar import PaperQuery
from app.query.listing.snapshot import snapshot
from app.query.listing.sql import count, in_list, resolve, source, sql_where, where
from app.query.listing.tokens import decode_token, encode_token, list_url

# Sort -> (ORDER BY, the keyset condition after the row (k0, kid)).
_ORDER = {
    "year": ("p.year ASC, p.id ASC", "(p.year > :k0 OR (p.year = :k0 AND p.id > :kid))"),
    "-year": ("p.year DESC, p.id ASC", "(p.year < :k0 OR (p.year = :k0 AND p.id > :kid))"),
    # most recently added to the atlas first (provenance.added, an ISO date)
    "-added": ("p.added DESC, p.id ASC", "(p.added < :k0 OR (p.added = :k0 AND p.id > :kid))"),
    "title": (
        "lower(p.title) ASC, p.id ASC",
        "(lower(p.title) > :k0 OR (lower(p.title) = :k0 AND p.id > :kid))",
    ),
}


def paper_row(row: Any) -> dict[str, Any]:
    """A paper summary as every list returns it."""
    return {
        "id": row.id,
        "title": row.title,
        "short_name": row.short_name,
        "aliases": json.loads(row.aliases),
        "authors": json.loads(row.authors),
        "year": row.year,
        "kind": row.kind,
        "status": row.status,
        "venue": row.venue,
        "arxiv": row.arxiv,
        "doi": row.doi,
        "url": row.url,
        "code": row.code,
        "summary": row.summary,
        "bibkey": row.bibkey,
    }


def classifications(conn: Connection, paper_ids: list[str]) -> dict[str, dict[str, list[str]]]:
    """paper id -> {dimension id: [directly placed category ids]}, in taxonomy order."""
    if not paper_ids:
        return {}
    params: dict[str, Any] = {}
    # One query over the covering index ix_paper_category_placed; taxonomy order is applied
    # here from the cached ranks instead of joining category and dimension for every row.
    sql = (
        "SELECT pc.paper_id, pc.dimension_id, pc.category_id FROM paper_category pc "
        f"WHERE pc.direct AND {in_list('pc.paper_id', paper_ids, 'pid', params)}"
    )
    rank = snapshot(conn).category_rank
    rows = sorted(
        conn.execute(text(sql), params).all(),
        key=lambda r: (r.paper_id, rank.get(r.category_id, (0, 0))),
    )
    out: dict[str, dict[str, list[str]]] = {pid: {} for pid in paper_ids}
    for row in rows:
        out[row.paper_id].setdefault(row.dimension_id, []).append(row.category_id)
    return out


def _with_classification(conn: Connection, rows: list[Any]) -> list[dict[str, Any]]:
    papers = [paper_row(row) for row in rows]
    placed = classifications(conn, [p["id"] for p in papers])
    for paper in papers:
        paper["classification"] = placed[paper["id"]]
    return papers


def _page_sql(r: Any, clauses: list[str], sort: str) -> str:
    if sort != "relevance":
        return (
            f"SELECT p.*, lower(p.title) AS title_key FROM {source(r)}{sql_where(clauses)} "
            f"ORDER BY {_ORDER[sort][0]} LIMIT :limit OFFSET :offset"
        )
    # Rank every match but read only the page's rows: sorting p.* for all matches would load
    # each wide row (summary included) just to throw most of them away. Full text alone: the
    # dialect picks the page straight from the search index.
    ranks = (
        r.sql.paper_rank_page_subquery()
        if not clauses
        else f"SELECT p.id AS page_id, r.rank AS page_rank FROM {source(r, ranked=True)}"
        f"{sql_where(clauses)} ORDER BY r.rank ASC, p.id ASC LIMIT :limit OFFSET :offset"
    )
    return (
        f"SELECT p.*, lower(p.title) AS title_key FROM paper p JOIN ({ranks}) k "
        "ON k.page_id = p.id ORDER BY k.page_rank ASC, p.id ASC"
    )


def list_papers(*, conn: Connection, query: PaperQuery, base_path: str) -> dict[str, Any]:
    """One page of the papers matching ``query``, with facets, filters and the next page link.

    Returns ``{"rows", "count", "facets", "filters", "next", "next_url", "sort", "size", "q"}``.
    ``rows`` are paper summaries with ``classification`` (direct placements per dimension).
    Every URL is ``base_path`` plus a query string, so ``/papers`` and ``/api/v1/papers`` each
    get links to themselves.
    """
    r = resolve(conn, query)
    sort = query.effective_sort
    total = count(conn, r)
    clauses, params = where(r, ranked=sort == "relevance")
    offset = 0
    if query.next:
        token = decode_token(query.next, sort)
        if sort == "relevance":
            offset = token["o"]
        else:
            params["k0"], params["kid"] = token["k"]
            clauses.append(_ORDER[sort][1])
    params.update(limit=query.size + 1, offset=offset)
    rows = conn.execute(text(_page_sql(r, clauses, sort)), params).all()
    more = len(rows) > query.size
    rows = rows[: query.size]
    next_token = None
    if more:
        last = rows[-1]
        if sort == "relevance":
            next_token = encode_token({"s": sort, "o": offset + query.size})
        else:
            key = {"title": last.title_key, "-added": last.added}.get(sort, last.year)
            next_token = encode_token({"s": sort, "k": [key, last.id]})
    kept = [(k, v) for k, v in query.items if k != "_next"]
    memo: dict[str | None, dict] = {}
    return {
        "rows": _with_classification(conn, rows),
        "count": total,
        "q": query.q,
        "sort": sort,
        "size": query.size,
        "next": next_token,
        "next_url": list_url(base_path, [*kept, ("_next", next_token)]) if next_token else None,
        "facets": {name: facet(conn, r, name, base_path, kept, memo) for name in query.facets},
        "filters": chips(conn, r, base_path, kept),
    }


def matching_papers(*, conn: Connection, query: PaperQuery) -> list[dict[str, Any]]:
    """Every paper matching ``query`` (no paging, facets ignored): what the exports write."""
    r = resolve(conn, query)
    ranked = query.effective_sort == "relevance"
    clauses, params = where(r, ranked=ranked)
    order = "r.rank ASC, p.id ASC" if ranked else _ORDER[query.effective_sort][0]
    rows = conn.execute(
        text(f"SELECT p.* FROM {source(r, ranked=ranked)}{sql_where(clauses)} ORDER BY {order}"),
        params,
    ).all()
    return _with_classification(conn, rows)
