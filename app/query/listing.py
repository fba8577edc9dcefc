"""The faceted paper list: query-string grammar, filters, sort, keyset pages and facets.

The grammar follows Datasette: filters are plain parameters (``expression=implicit``,
``year__gte=2023``), system parameters start with ``_`` (``_sort``, ``_size``, ``_next``,
``_facet``). Category filters are OR within one dimension and AND across dimensions, and a
category matches papers placed in it or in any descendant (``paper_category`` holds the rolled-up
rows). Facet counts are *disjunctive*: a dimension's counts ignore that dimension's own filter, so
each count says how many results the list would have if that value were toggled on alone.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import Connection, Engine, text

from app.errors import InvalidQuery
from app.query.cache import LRU
from app.store import dialect
from app.store.dialect import Dialect

SORTS = ("year", "-year", "-added", "title", "relevance")
MAX_SIZE = 200
DEFAULT_SIZE = 50
STATUSES = ("preprint", "published")
KINDS = ("method", "model", "benchmark", "dataset", "survey", "analysis")
# Filters that are not dimensions, and the operators each accepts (None = plain equality).
_FIELDS: dict[str, tuple[str | None, ...]] = {
    "category": (None,),
    "year": (None, "gte", "lte"),
    "venue": (None,),
    "status": (None,),
    "kind": (None,),
    "q": (None,),
}
_SYSTEM = ("_sort", "_size", "_next", "_facet")
_PLAIN_FACETS = ("year", "venue", "status", "kind")
_SINGLE = {"q", "year__gte", "year__lte", "_sort", "_size", "_next"}
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class PaperQuery:
    """A parsed ``/papers`` query string (what :func:`parse_paper_query` returns).

    ``categories`` maps a dimension id (or ``"category"`` for the generic ``category=`` filter,
    which :func:`list_papers` resolves to dimensions) to category ids.
    """

    categories: dict[str, list[str]] = field(default_factory=dict)
    year: list[int] = field(default_factory=list)
    year_gte: int | None = None
    year_lte: int | None = None
    venue: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    q: str | None = None
    sort: str | None = None  # None: relevance when q is given, else -year
    size: int = DEFAULT_SIZE
    next: str | None = None
    facets: list[str] = field(default_factory=list)
    items: list[tuple[str, str]] = field(default_factory=list)  # the pairs kept, for URLs

    @property
    def effective_sort(self) -> str:
        return self.sort or ("relevance" if self.q else "-year")


def _problem(param: str, message: str) -> dict[str, str]:
    return {"parameter": param, "message": message}


def parse_paper_query(
    items: list[tuple[str, str]], *, dimensions: set[str] | None = None
) -> PaperQuery:
    """Parse query-string pairs (``request.query_params.multi_items()``).

    Raises ``InvalidQuery`` whose details name every unknown parameter, unknown operator and
    bad value at once. Empty values (what an HTML form sends for an untouched field) are skipped.
    Dimension parameters are only checked against ``dimensions`` when it is given;
    :func:`list_papers` checks them against the database either way.
    """
    query = PaperQuery()
    problems: list[dict[str, str]] = []
    seen: set[str] = set()
    for key, raw in items:
        value = raw.strip()
        if value == "":
            continue
        if key in _SINGLE:
            if key in seen:
                problems.append(_problem(key, f"'{key}' may be given only once"))
                continue
            seen.add(key)
        name, _, op = key.partition("__")
        if key.startswith("_"):
            if key not in _SYSTEM:
                problems.append(
                    _problem(key, f"unknown system parameter '{key}' (valid: {', '.join(_SYSTEM)})")
                )
                continue
            _parse_system(query, key, value, problems, dimensions)
        elif name in _FIELDS:
            ops = _FIELDS[name]
            if (op or None) not in ops:
                valid = ", ".join(f"{name}__{o}" for o in ops if o) or "none"
                problems.append(
                    _problem(key, f"unknown operator '{op}' on '{name}' (valid operators: {valid})")
                )
                continue
            _parse_field(query, name, op, value, problems)
        elif op:
            problems.append(
                _problem(
                    key,
                    f"unknown parameter '{key}' (operators apply only to "
                    "year: year__gte, year__lte)",
                )
            )
        elif not _ID.match(key) or (dimensions is not None and key not in dimensions):
            problems.append(_problem(key, f"unknown parameter '{key}'"))
        else:
            query.categories.setdefault(key, []).append(value)
        query.items.append((key, value))
    if query.sort == "relevance" and not query.q:
        problems.append(_problem("_sort", "_sort=relevance needs a full-text query q"))
    if problems:
        raise InvalidQuery(_summary(problems), problems)
    return query


def _summary(problems: list[dict[str, str]]) -> str:
    names = ", ".join(dict.fromkeys(p["parameter"] for p in problems))
    return f"invalid query parameters: {names}"


def _parse_system(
    query: PaperQuery,
    key: str,
    value: str,
    problems: list[dict[str, str]],
    dimensions: set[str] | None,
) -> None:
    if key == "_sort":
        if value not in SORTS:
            problems.append(_problem(key, f"unknown sort '{value}' (valid: {', '.join(SORTS)})"))
        query.sort = value
    elif key == "_size":
        if not value.isdigit() or not 1 <= int(value) <= MAX_SIZE:
            problems.append(_problem(key, f"_size must be a whole number from 1 to {MAX_SIZE}"))
        else:
            query.size = int(value)
    elif key == "_next":
        query.next = value
    elif key == "_facet":
        known = value in _PLAIN_FACETS or (
            _ID.match(value) if dimensions is None else value in dimensions
        )
        if not known:
            problems.append(_problem(key, f"unknown facet '{value}'"))
        elif value not in query.facets:
            query.facets.append(value)


def _parse_field(
    query: PaperQuery, name: str, op: str, value: str, problems: list[dict[str, str]]
) -> None:
    key = f"{name}__{op}" if op else name
    if name == "year":
        if not re.fullmatch(r"\d{4}", value):
            problems.append(_problem(key, f"'{value}' is not a year (expected like 2023)"))
            return
        if op == "gte":
            query.year_gte = int(value)
        elif op == "lte":
            query.year_lte = int(value)
        else:
            query.year.append(int(value))
    elif name == "status":
        if value not in STATUSES:
            problems.append(_problem(key, f"unknown status '{value}' (valid: preprint, published)"))
        query.status.append(value)
    elif name == "kind":
        if value not in KINDS:
            problems.append(_problem(key, f"unknown kind '{value}' (valid: {', '.join(KINDS)})"))
        query.kind.append(value)
    elif name == "venue":
        query.venue.append(value)
    elif name == "q":
        query.q = value
    elif name == "category":
        query.categories.setdefault("category", []).append(value)


# --- Resolving against the database -------------------------------------------------------


@dataclass
class _Resolved:
    """The query with categories grouped by their real dimension, ready to become SQL."""

    groups: dict[str, list[str]]  # dimension id -> category ids (OR)
    query: PaperQuery
    fts_match: str | None
    sql: Dialect  # the engine serving the connection


@dataclass
class _Taxonomy:
    """The dimensions and categories of one database, read once: every list needs them and they
    change only with a rebuild (which a server picks up by restarting)."""

    dimension_names: dict[str, str]  # in display order
    category_dims: dict[str, str]  # category id -> dimension id
    category_names: dict[str, str]
    category_rank: dict[str, tuple[int, int]]  # category id -> (dimension ord, category ord)
    by_dimension: dict[str, list[Any]]  # dimension id -> rows (id, name, parent_id, depth)
    counts: LRU = field(default_factory=lambda: LRU(entries=2048))  # filters -> counts


_TAXONOMIES: weakref.WeakKeyDictionary[Engine, _Taxonomy] = weakref.WeakKeyDictionary()


def _taxonomy(conn: Connection) -> _Taxonomy:
    found = _TAXONOMIES.get(conn.engine)
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
    found = _TAXONOMIES[conn.engine] = _Taxonomy(
        dimension_names={d.id: d.name for d in dims},
        category_dims={c.id: c.dimension_id for c in cats},
        category_names={c.id: c.name for c in cats},
        category_rank={c.id: (dim_ord.get(c.dimension_id, 0), c.ord) for c in cats},
        by_dimension=by_dimension,
    )
    return found


def cached_dimension_ids(conn: Connection) -> list[str]:
    """Dimension ids in display order, from the per-database snapshot."""
    return list(_taxonomy(conn).dimension_names)


def engine_dimension_ids(engine: Engine) -> list[str]:
    """The same for an engine: connects only the first time (async code calls this)."""
    found = _TAXONOMIES.get(engine)
    if found is None:
        with engine.connect() as conn:
            found = _taxonomy(conn)
    return list(found.dimension_names)


def _resolve(conn: Connection, query: PaperQuery) -> _Resolved:
    taxonomy = _taxonomy(conn)
    cats = taxonomy.category_dims
    dims = taxonomy.dimension_names
    problems = []
    groups: dict[str, list[str]] = {}
    for param, ids in query.categories.items():
        if param != "category" and param not in dims:
            problems.append(_problem(param, f"unknown parameter '{param}' (not a dimension)"))
            continue
        for cat in ids:
            dim = cats.get(cat)
            if dim is None:
                problems.append(_problem(param, f"unknown category '{cat}'"))
            elif param != "category" and dim != param:
                problems.append(
                    _problem(param, f"category '{cat}' belongs to dimension '{dim}', not '{param}'")
                )
            elif cat not in groups.get(dim, []):
                groups.setdefault(dim, []).append(cat)
    for facet in query.facets:
        if facet not in _PLAIN_FACETS and facet not in dims:
            problems.append(_problem("_facet", f"unknown facet '{facet}'"))
    if problems:
        raise InvalidQuery(_summary(problems), problems)
    sql = dialect.of(conn)
    fts = sql.fts_query(query.q) if query.q else None
    return _Resolved(groups, query, fts, sql)


def in_list(column: str, values: list[Any], prefix: str, params: dict[str, Any]) -> str:
    """``column IN (:prefix0, ...)``, adding the values to ``params``."""
    names = []
    for i, value in enumerate(values):
        params[f"{prefix}{i}"] = value
        names.append(f":{prefix}{i}")
    return f"{column} IN ({', '.join(names)})"


def _where(
    r: _Resolved, *, without: str | None = None, ranked: bool = False
) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions on ``p`` (paper) for every filter except the group named ``without``.

    With ``ranked`` the full-text condition is left to the join with the ranks (see _from)."""
    q = r.query
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for n, (dim, ids) in enumerate(sorted(r.groups.items())):
        if dim == without:
            continue
        inner = in_list("category_id", ids, f"c{n}_", params)
        clauses.append(f"p.id IN (SELECT paper_id FROM paper_category WHERE {inner})")
    if q.year and without != "year":
        clauses.append(in_list("p.year", q.year, "y", params))
    if q.year_gte is not None:
        clauses.append("p.year >= :year_gte")
        params["year_gte"] = q.year_gte
    if q.year_lte is not None:
        clauses.append("p.year <= :year_lte")
        params["year_lte"] = q.year_lte
    for name in ("venue", "status", "kind"):
        values = getattr(q, name)
        if values and without != name:
            clauses.append(in_list(f"p.{name}", values, name[0] + "v", params))
    if q.q is not None:
        params["fts_match"] = r.fts_match or r.sql.NO_MATCH
    if q.q is not None and not ranked:
        # A q with nothing searchable in it ("!!") matches nothing rather than everything.
        clauses.append(f"p.id IN ({r.sql.paper_match_subquery()})")
    return clauses, params


def _from(r: _Resolved, params: dict[str, Any], *, ranked: bool = False) -> str:
    """The FROM clause: ``paper p``, joined to the full-text ranks ``r`` when ``ranked``."""
    if not ranked:
        return "paper p"
    return f"paper p JOIN ({r.sql.paper_rank_subquery()}) r ON r.paper_id = p.id"


def _sql_where(clauses: list[str]) -> str:
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""


def _plain_only(r: _Resolved) -> bool:
    """Whether every filter is on year, venue, status or kind: then counts come from the
    build's ``paper_rollup`` (a few hundred rows) with the same conditions."""
    return not r.groups and r.query.q is None


def _filter_key(r: _Resolved) -> tuple:
    """What the counts depend on: the filters alone (not the page, sort or size), each value
    list as a set, since the SQL tests membership."""
    q = r.query
    return (
        tuple((dim, tuple(sorted(ids))) for dim, ids in sorted(r.groups.items())),
        tuple(sorted(set(q.year))),
        q.year_gte,
        q.year_lte,
        tuple(sorted(set(q.venue))),
        tuple(sorted(set(q.status))),
        tuple(sorted(set(q.kind))),
        None if q.q is None else (r.fts_match or ""),
    )


def _count(conn: Connection, r: _Resolved) -> int:
    counts = _taxonomy(conn).counts
    key = ("count", _filter_key(r))
    found = counts.get(key)
    if found is None:
        clauses, params = _where(r)
        if _plain_only(r):
            sql = f"SELECT COALESCE(SUM(p.n), 0) FROM paper_rollup p{_sql_where(clauses)}"
        elif r.query.q is not None and len(clauses) == 1:
            # Full text alone: count the index's matches (10x cheaper than joining papers).
            sql = r.sql.paper_match_count_statement()
        else:
            sql = f"SELECT COUNT(*) FROM paper p{_sql_where(clauses)}"
        found = conn.execute(text(sql), params).scalar_one()
        counts.put(key, found)
    return found


# --- Keyset pages -------------------------------------------------------------------------

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


def encode_token(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, sort: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        data = None
    ok = (
        isinstance(data, dict)
        and data.get("s") == sort
        and (
            isinstance(data.get("o"), int)
            if sort == "relevance"
            else isinstance(data.get("k"), list) and len(data["k"]) == 2
        )
    )
    if not ok:
        raise InvalidQuery(
            "invalid _next token",
            [
                _problem(
                    "_next", "use the next_url of the previous page unchanged (and the same _sort)"
                )
            ],
        )
    return data


@lru_cache(maxsize=8192)
def _pair(key: str, value: str) -> str:
    # A list with facets builds hundreds of URLs from the same few pairs: encode each once.
    return f"{quote_plus(key)}={quote_plus(value)}"


def _url(base_path: str, pairs: list[tuple[str, str]]) -> str:
    """``base_path`` with ``pairs`` as its query string (what ``urlencode`` would give)."""
    return f"{base_path}?{'&'.join(_pair(k, v) for k, v in pairs)}" if pairs else base_path


# --- The list -----------------------------------------------------------------------------


def paper_row(row: Any) -> dict[str, Any]:
    """A paper summary as every list returns it."""
    return {
        "id": row.id,
        "title": row.title,
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
    rank = _taxonomy(conn).category_rank
    rows = sorted(
        conn.execute(text(sql), params).all(),
        key=lambda r: (r.paper_id, rank.get(r.category_id, (0, 0))),
    )
    out: dict[str, dict[str, list[str]]] = {pid: {} for pid in paper_ids}
    for row in rows:
        out[row.paper_id].setdefault(row.dimension_id, []).append(row.category_id)
    return out


def list_papers(*, conn: Connection, query: PaperQuery, base_path: str) -> dict[str, Any]:
    """One page of the papers matching ``query``, with facets, filters and the next page link.

    Returns ``{"rows", "count", "facets", "filters", "next", "next_url", "sort", "size", "q"}``.
    ``rows`` are paper summaries with ``classification`` (direct placements per dimension).
    Every URL is ``base_path`` plus a query string, so ``/papers`` and ``/api/v1/papers`` each
    get links to themselves.
    """
    r = _resolve(conn, query)
    sort = query.effective_sort
    count = _count(conn, r)

    ranked = sort == "relevance"
    page_clauses, params = _where(r, ranked=ranked)
    source = _from(r, params, ranked=ranked)
    offset = 0
    if query.next:
        token = decode_token(query.next, sort)
        if sort == "relevance":
            offset = token["o"]
        else:
            params["k0"], params["kid"] = token["k"]
            page_clauses.append(_ORDER[sort][1])
    params.update(limit=query.size + 1, offset=offset)
    if ranked:
        # Rank every match but read only the page's rows: sorting p.* for all matches would
        # load each wide row (summary included) just to throw most of them away.
        # Full text alone: the dialect picks the page straight from the search index.
        ranks = (
            r.sql.paper_rank_page_subquery()
            if not page_clauses
            else f"SELECT p.id AS page_id, r.rank AS page_rank FROM {source}"
            f"{_sql_where(page_clauses)} ORDER BY r.rank ASC, p.id ASC "
            "LIMIT :limit OFFSET :offset"
        )
        sql = (
            f"SELECT p.*, lower(p.title) AS title_key FROM paper p JOIN ({ranks}) k "
            "ON k.page_id = p.id ORDER BY k.page_rank ASC, p.id ASC"
        )
    else:
        sql = (
            f"SELECT p.*, lower(p.title) AS title_key FROM {source}{_sql_where(page_clauses)} "
            f"ORDER BY {_ORDER[sort][0]} LIMIT :limit OFFSET :offset"
        )
    rows = conn.execute(text(sql), params).all()
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
    papers = [paper_row(row) for row in rows]
    placed = classifications(conn, [p["id"] for p in papers])
    for paper in papers:
        paper["classification"] = placed[paper["id"]]
    memo: dict[str | None, dict] = {}
    return {
        "rows": papers,
        "count": count,
        "q": query.q,
        "sort": sort,
        "size": query.size,
        "next": next_token,
        "next_url": _url(base_path, [*kept, ("_next", next_token)]) if next_token else None,
        "facets": {name: _facet(conn, r, name, base_path, kept, memo) for name in query.facets},
        "filters": _filters(conn, r, base_path, kept),
    }


def matching_papers(*, conn: Connection, query: PaperQuery) -> list[dict[str, Any]]:
    """Every paper matching ``query`` (no paging, facets ignored): what the exports write."""
    r = _resolve(conn, query)
    sort = query.effective_sort
    ranked = sort == "relevance"
    clauses, params = _where(r, ranked=ranked)
    source = _from(r, params, ranked=ranked)
    order = "r.rank ASC, p.id ASC" if ranked else _ORDER[sort][0]
    rows = conn.execute(
        text(f"SELECT p.* FROM {source}{_sql_where(clauses)} ORDER BY {order}"), params
    ).all()
    papers = [paper_row(row) for row in rows]
    placed = classifications(conn, [p["id"] for p in papers])
    for paper in papers:
        paper["classification"] = placed[paper["id"]]
    return papers


def _toggle(kept: list[tuple[str, str]], param: str, value: str, aliases: tuple[str, ...] = ()):
    names = (param, *aliases)
    if any(k in names and v == value for k, v in kept):
        return [(k, v) for k, v in kept if not (k in names and v == value)], True
    return [*kept, (param, value)], False


def _category_counts(
    conn: Connection, r: _Resolved, *, without: str | None, memo: dict[str | None, dict]
) -> dict[str, int]:
    """Papers per category (rolled up) among those matching every filter but ``without``'s.

    One query serves every dimension facet whose own dimension is not filtered (``memo``
    keeps it per list). With no filter at all, the counts are the build's roll-up counts.
    """
    if without in memo:
        return memo[without]
    counts = _taxonomy(conn).counts
    key = ("categories", without, _filter_key(r))
    found = counts.get(key)
    if found is not None:
        memo[without] = found
        return found
    clauses, params = _where(r, without=without)
    if not clauses and r.query.q is None:
        sql = "SELECT id, rollup_count FROM category"
    else:
        source = _from(r, params)
        # paper_category's primary key (paper_id, category_id) covers this: no table reads.
        sql = (
            "SELECT pc.category_id, COUNT(*) FROM paper_category pc WHERE pc.paper_id IN "
            f"(SELECT p.id FROM {source}{_sql_where(clauses)}) GROUP BY pc.category_id"
        )
    memo[without] = dict(conn.execute(text(sql), params).all())
    counts.put(key, memo[without])
    return memo[without]


def _facet(
    conn: Connection,
    r: _Resolved,
    name: str,
    base_path: str,
    kept: list[tuple[str, str]],
    memo: dict[str | None, dict],
) -> dict[str, Any]:
    values = []
    taxonomy = _taxonomy(conn)
    if name in _PLAIN_FACETS:
        cache_key = ("facet", name, _filter_key(r))
        counts = taxonomy.counts.get(cache_key)
        if counts is None:
            clauses, params = _where(r, without=name)
            where = _sql_where([*clauses, f"p.{name} IS NOT NULL"])
            if _plain_only(r):
                source, n = "paper_rollup p", "SUM(p.n)"
            else:
                source, n = _from(r, params), "COUNT(*)"
            sql = f"SELECT p.{name} AS value, {n} AS n FROM {source}{where} GROUP BY 1"
            counts = [(row.value, row.n) for row in conn.execute(text(sql), params)]
            taxonomy.counts.put(cache_key, counts)
        # Years newest first; other values by count, then alphabetically.
        key = (lambda c: -c[0]) if name == "year" else (lambda c: (-c[1], str(c[0])))
        for raw, n in sorted(counts, key=key):
            value = str(raw)
            pairs, selected = _toggle(kept, name, value)
            values.append(
                {
                    "value": value,
                    "label": value,
                    "count": n,
                    "selected": selected,
                    "toggle_url": _url(base_path, pairs),
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
                "toggle_url": _url(base_path, pairs),
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


def _filters(
    conn: Connection, r: _Resolved, base_path: str, kept: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The active filters as removable chips: ``{"param", "value", "label", "remove_url"}``."""
    taxonomy = _taxonomy(conn)
    names, dims = taxonomy.category_names, taxonomy.dimension_names
    chips = []
    for key, value in kept:
        if key.startswith("_"):
            continue
        if key == "q":
            label = f"matching “{value}”"
        elif key == "year__gte":
            label = f"year ≥ {value}"
        elif key == "year__lte":
            label = f"year ≤ {value}"
        elif key in ("year", "venue", "status", "kind"):
            label = f"{key}: {value}"
        else:
            dim = (
                key
                if key != "category"
                else next((d for d, ids in r.groups.items() if value in ids), key)
            )
            label = f"{dims.get(dim, dim)}: {names.get(value, value)}"
        remaining = [(k, v) for k, v in kept if (k, v) != (key, value)]
        chips.append(
            {"param": key, "value": value, "label": label, "remove_url": _url(base_path, remaining)}
        )
    return chips
