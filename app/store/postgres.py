"""The PostgreSQL side of the store: read-only engines, the data version, and full-text search
with tsvector/tsquery. It implements :class:`app.store.dialect.Dialect`; the writer (a fresh
schema swapped in by one transaction) lives in :mod:`app.build.postgres`.

The atlas lives in one schema, ``atlas``. Readers connect with ``search_path`` set to ``atlas``
and ``default_transaction_read_only`` on.

Results must equal SQLite's: every text column is created with ``COLLATE "C"`` (byte order, as
SQLite's BINARY); under "C", ``lower()`` also folds only A-Z, as SQLite's does. Full text
uses the ``simple`` configuration (no stemmer, no stop words), like the FTS5 ``unicode61``
index: plurals are folded by the query (app.query.textquery), never by the index. Relevance
is ``ts_rank_cd`` (cover density: query words close together in a heavily weighted column
rank first), not bm25: scores differ between engines, and only what
both agree on (e.g. a title holding every query word beats a passing mention) is promised.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.pool import QueuePool

from app.store.dialect import HIT_END, HIT_START, Clause
from app.store.version import DATA_VERSION_SQL

SCHEMA = "atlas"
TEXT_CONFIG = "atlas_text"

NAME = "postgresql"
# An empty tsquery matches no row (PostgreSQL notes "doesn't contain lexemes" and moves on).
NO_MATCH = ""


def _driver_url(url: str) -> str:
    """``postgresql://`` or ``postgres://`` → SQLAlchemy's psycopg (v3) URL."""
    rest = url.split("://", 1)[1]
    return f"postgresql+psycopg://{rest}"


def libpq_url(url: str) -> str:
    return f"postgresql://{url.split('://', 1)[1]}"


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    shown = make_url(_driver_url(url)).render_as_string(hide_password=True)
    return shown.replace("postgresql+psycopg://", "postgresql://", 1)


def readonly_engine(url: str) -> Engine:
    """An engine whose every connection reads the ``atlas`` schema in read-only transactions."""
    options = f"-c default_transaction_read_only=on -c search_path={SCHEMA}"
    return create_engine(
        _driver_url(url),
        connect_args={"options": options, "application_name": "reward-atlas"},
        poolclass=QueuePool,
        pool_size=8,
        max_overflow=32,
        pool_pre_ping=True,
    )


def current_version(url: str) -> str | None:
    """The data version of the published ``atlas`` schema, or None if there is none."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=10) as conn:
            conn.execute(f"SET search_path = {SCHEMA}")
            row = conn.execute(DATA_VERSION_SQL).fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return row[0] if row else None


# --- Full-text search statements (read side) ------------------------------------------------


def fts_query(clauses: Sequence[Clause]) -> str | None:
    """The ``to_tsquery`` input of a parsed query, with the SQLite dialect's meaning: clauses
    joined by AND (``&``), the phrases of one clause by OR (``|``), words of a phrase in order
    (``<->``), a prefix as ``:*``. Words are quoted lexemes, so no operator can be injected.
    None when there is nothing to search for."""
    if not clauses:
        return None
    rendered = []
    for clause in clauses:
        phrases = []
        for phrase in clause:
            words = [f"'{w}'" for w in phrase.words]
            if phrase.prefix:
                words[-1] += ":*"
            phrases.append(" <-> ".join(words))
        rendered.append("(" + " | ".join(f"({p})" for p in phrases) + ")")
    return " & ".join(rendered)


_QUERY = f"to_tsquery('{TEXT_CONFIG}', :fts_match)"
# ts_headline marks hits with the same sentinels as SQLite's highlight(); it returns the source
# text unescaped, and app.query.search.segments turns it into {"text", "hit"} pieces.
_MARKS = f"StartSel={HIT_START}, StopSel={HIT_END}"
_WHOLE = f"'{_MARKS}, HighlightAll=true'"
_SNIPPET = f"'{_MARKS}, MaxWords=24, MinWords=12'"


def paper_match_subquery() -> str:
    """``SELECT paper_id`` of papers matching ``:fts_match``."""
    return f"SELECT paper_id FROM paper_fts WHERE document @@ {_QUERY}"


# An exact short-name or alias match (paper_name) ranks first.
_NAME_BOOST = (
    "COALESCE((SELECT MAX(n.weight) FROM paper_name n WHERE n.paper_id = paper_fts.paper_id "
    "AND strpos(:name_keys, '|' || n.name_key || '|') > 0), 0)"
)
_PRIOR = "(SELECT pp.factor FROM paper_prior pp WHERE pp.paper_id = paper_fts.paper_id)"
# A match in the short name, aliases or title (weight A) outranks any match found only in the
# other columns (as on SQLite: app.store.sqlite.TITLE_BOOST).
_TITLE_HIT = "(CASE WHEN ts_filter(document, '{a}') @@ fq THEN 200 ELSE 0 END)"
_PAPER_RANK = f"-ts_rank_cd(document, fq) * {_PRIOR} - {_NAME_BOOST} - {_TITLE_HIT}"


def paper_rank_subquery() -> str:
    """``SELECT paper_id, rank`` of papers matching ``:fts_match``; lower rank is better."""
    return (
        f"SELECT paper_id, {_PAPER_RANK} AS rank "
        f"FROM paper_fts, {_QUERY} AS fq WHERE document @@ fq"
    )


def paper_rank_page_subquery() -> str:
    """``SELECT page_id, page_rank``: one page (``:limit``, ``:offset``) of the papers matching
    ``:fts_match``, best first, ties by id."""
    return (
        f"SELECT paper_id AS page_id, rank AS page_rank FROM ({paper_rank_subquery()}) r "
        "ORDER BY rank, paper_id LIMIT :limit OFFSET :offset"
    )


def paper_search_statement() -> str:
    """Best papers for ``:fts_match`` (at most ``:limit``) with a highlighted title and a snippet
    of the summary."""
    return (
        f"SELECT paper_id, {_PAPER_RANK} AS rank, "
        f"ts_headline('{TEXT_CONFIG}', title, fq, {_WHOLE}) AS title_hl, "
        f"ts_headline('{TEXT_CONFIG}', summary, fq, {_SNIPPET}) AS snippet "
        f"FROM paper_fts, {_QUERY} AS fq WHERE document @@ fq "
        "ORDER BY rank, paper_id LIMIT :limit"
    )


def paper_highlight_statement(placeholders: str) -> str:
    """Highlighted title and summary snippet of the papers whose ids are bound to
    ``placeholders`` (``:h0, :h1``) and that match ``:fts_match``: the marks of a page whose
    order is already known."""
    return (
        f"SELECT paper_id, ts_headline('{TEXT_CONFIG}', title, fq, {_WHOLE}) AS title_hl, "
        f"ts_headline('{TEXT_CONFIG}', names, fq, {_WHOLE}) AS names_hl, "
        f"ts_headline('{TEXT_CONFIG}', summary, fq, {_SNIPPET}) AS snippet "
        f"FROM paper_fts, {_QUERY} AS fq WHERE document @@ fq AND paper_id IN ({placeholders})"
    )


def paper_match_count_statement() -> str:
    return f"SELECT COUNT(*) FROM paper_fts WHERE document @@ {_QUERY}"


def category_search_statement() -> str:
    """Best categories and dimensions for ``:fts_match`` with highlighted name and snippet."""
    return (
        "SELECT category_id, kind, -ts_rank_cd(document, fq) AS rank, "
        f"ts_headline('{TEXT_CONFIG}', name, fq, {_WHOLE}) AS name_hl, "
        f"ts_headline('{TEXT_CONFIG}', description, fq, {_SNIPPET}) AS snippet "
        f"FROM category_fts, {_QUERY} AS fq WHERE document @@ fq "
        "ORDER BY rank, category_id LIMIT :limit"
    )


def category_match_count_statement() -> str:
    return f"SELECT COUNT(*) FROM category_fts WHERE document @@ {_QUERY}"
