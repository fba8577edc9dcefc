"""Everything PostgreSQL-specific: engines, the atomic schema-swap build, and full-text search
with tsvector/tsquery. It exposes the same names as :mod:`app.store.sqlite`.

The atlas lives in one schema, ``atlas``. A build writes a fresh schema ``atlas_build_<random>``
and, in the same transaction, renames it to ``atlas`` (dropping the previous one), so readers
see the old database or the new one, never half of one. Readers connect with ``search_path``
set to ``atlas`` and ``default_transaction_read_only`` on.

Results must equal SQLite's: every text column is created with ``COLLATE "C"`` (byte order, as
SQLite's BINARY); under "C", ``lower()`` also folds only A-Z, as SQLite's does. Full text
uses a configuration with the Snowball English stemmer and *no* stop words, like FTS5's
``porter`` tokenizer. Relevance is ``ts_rank_cd`` (cover density: query words close together
in a heavily weighted column rank first), not bm25: scores differ between engines, and only what
both agree on (e.g. a title holding every query word beats a passing mention) is promised.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.dialects import postgresql
from sqlalchemy.pool import QueuePool
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import SQLModel

from app.store import tables as _tables  # noqa: F401  (registers the tables)

SCHEMA = "atlas"
TEXT_CONFIG = "atlas_text"
# Serialises concurrent builds into the same database (any constant; "atlas" in ASCII).
_BUILD_LOCK = 0x61746C6173

HIT_START = "\x02"
HIT_END = "\x03"
# An empty tsquery matches no row (PostgreSQL notes "doesn't contain lexemes" and moves on).
NO_MATCH = ""


def _driver_url(url: str) -> str:
    """``postgresql://`` or ``postgres://`` → SQLAlchemy's psycopg (v3) URL."""
    rest = url.split("://", 1)[1]
    return f"postgresql+psycopg://{rest}"


def _libpq_url(url: str) -> str:
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
        with psycopg.connect(_libpq_url(url), connect_timeout=10) as conn:
            row = conn.execute(
                f"SELECT value FROM {SCHEMA}.meta WHERE key = 'data_version'"
            ).fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return row[0] if row else None


def check_fts5() -> None:
    """Nothing to check: text search is built into PostgreSQL."""


# --- The build ------------------------------------------------------------------------------


def _ddl() -> list[str]:
    """CREATE TABLE/INDEX for the SQLModel tables, every text column in the "C" collation."""
    dialect = postgresql.dialect()
    out = []
    for table in SQLModel.metadata.sorted_tables:
        sql = str(CreateTable(table).compile(dialect=dialect))
        out.append(re.sub(r"\bVARCHAR\b", 'VARCHAR COLLATE "C"', sql))
    for table in SQLModel.metadata.sorted_tables:
        out += [str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes]
    return out


_C = 'TEXT COLLATE "C"'
_FTS_DDL = (
    # No stop words (FTS5's porter tokenizer has none): "the" is searchable on both engines.
    "CREATE TEXT SEARCH DICTIONARY atlas_stem (TEMPLATE = snowball, Language = english)",
    f"CREATE TEXT SEARCH CONFIGURATION {TEXT_CONFIG} (COPY = pg_catalog.english)",
    f"ALTER TEXT SEARCH CONFIGURATION {TEXT_CONFIG} ALTER MAPPING FOR asciiword, word, "
    "hword, hword_part, asciihword, hword_asciipart WITH atlas_stem",
    f"CREATE TABLE paper_fts (paper_id {_C} PRIMARY KEY, title TEXT, authors TEXT, "
    "summary TEXT, categories TEXT, venue TEXT, document tsvector)",
    f"CREATE TABLE category_fts (category_id {_C}, kind {_C}, name TEXT, description TEXT, "
    "document tsvector, PRIMARY KEY (category_id, kind))",
)
# Weights follow the bm25 column weights of the SQLite index: a title hit (A) outranks authors
# (B), category names (C) and the summary or venue (D).
_FTS_FILL = (
    f"UPDATE paper_fts SET document = setweight(to_tsvector('{TEXT_CONFIG}', title), 'A') "
    f"|| setweight(to_tsvector('{TEXT_CONFIG}', authors), 'B') "
    f"|| setweight(to_tsvector('{TEXT_CONFIG}', categories), 'C') "
    f"|| setweight(to_tsvector('{TEXT_CONFIG}', summary || ' ' || venue), 'D')",
    f"UPDATE category_fts SET document = setweight(to_tsvector('{TEXT_CONFIG}', name), 'A') "
    f"|| setweight(to_tsvector('{TEXT_CONFIG}', description), 'D')",
    "CREATE INDEX paper_fts_document ON paper_fts USING gin (document)",
    "CREATE INDEX category_fts_document ON category_fts USING gin (document)",
)


def write_database(
    url: str,
    *,
    tables: dict[str, list[dict[str, Any]]],
    derived: tuple[str, ...] = (),
    paper_fts: list[tuple],
    category_fts: list[tuple],
) -> None:
    """Write ``tables`` (name → rows, in insert order), then run the ``derived`` statements, and
    fill the search tables, in a fresh schema; then swap it in for ``atlas`` — all in one
    transaction."""
    build_schema = f"atlas_build_{secrets.token_hex(6)}"
    old_schema = f"atlas_old_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq_url(url), autocommit=False) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_BUILD_LOCK,))
        conn.execute(f"CREATE SCHEMA {build_schema}")
        conn.execute(f"SET LOCAL search_path = {build_schema}")
        for statement in (*_ddl(), *_FTS_DDL):
            conn.execute(statement)
        with conn.cursor() as cur:
            for table, rows in tables.items():
                _copy(cur, table, list(rows[0]) if rows else [], rows)
            _copy(
                cur,
                "paper_fts",
                ["paper_id", "title", "authors", "summary", "categories", "venue"],
                paper_fts,
            )
            _copy(cur, "category_fts", ["category_id", "kind", "name", "description"], category_fts)
        for statement in derived:
            conn.execute(statement)
        for statement in _FTS_FILL:
            conn.execute(statement)
        # Every table is new: plan with real statistics (only ours, not the whole database).
        conn.execute(f"ANALYZE {', '.join([*tables, 'paper_fts', 'category_fts'])}")
        exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,)).fetchone()
        if exists:
            conn.execute(f"ALTER SCHEMA {SCHEMA} RENAME TO {old_schema}")
        conn.execute(f"ALTER SCHEMA {build_schema} RENAME TO {SCHEMA}")
        if exists:
            # Waits for readers still inside a statement on the old tables, then frees them.
            conn.execute(f"DROP SCHEMA {old_schema} CASCADE")
        conn.commit()


def _copy(cur: psycopg.Cursor, table: str, columns: list[str], rows: list) -> None:
    if not rows:
        return
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row[c] for c in columns) if isinstance(row, dict) else row)


# --- Full-text search statements (read side) ------------------------------------------------

_TOKEN = re.compile(r"[\w]+", re.UNICODE)


def fts_query(text: str) -> str | None:
    """Turn what a person typed into a safe ``to_tsquery`` input, with the SQLite dialect's
    meaning: every word must match (AND), the last also as a prefix. Each word is only letters,
    digits or ``_`` and is quoted, so no tsquery operator typed by the user survives. Returns
    None when nothing searchable is left.
    """
    words = _TOKEN.findall(text.lower())[:16]
    if not words:
        return None
    terms = [f"'{w}'" for w in words[:-1]] + [f"'{words[-1]}':*"]
    return " & ".join(terms)


_QUERY = f"to_tsquery('{TEXT_CONFIG}', :fts_match)"
# ts_headline marks hits with the same sentinels as SQLite's highlight(); it returns the source
# text unescaped, and app.query.reads.segments turns it into {"text", "hit"} pieces.
_MARKS = f"StartSel={HIT_START}, StopSel={HIT_END}"
_WHOLE = f"'{_MARKS}, HighlightAll=true'"
_SNIPPET = f"'{_MARKS}, MaxWords=24, MinWords=12'"


def paper_match_subquery() -> str:
    """``SELECT paper_id`` of papers matching ``:fts_match``."""
    return f"SELECT paper_id FROM paper_fts WHERE document @@ {_QUERY}"


def paper_rank_subquery() -> str:
    """``SELECT paper_id, rank`` of papers matching ``:fts_match``; lower rank is better."""
    return (
        "SELECT paper_id, -ts_rank_cd(document, fq) AS rank "
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
    of the best-matching column (summary, categories, authors, then the title)."""
    best = (
        f"CASE WHEN to_tsvector('{TEXT_CONFIG}', summary) @@ fq THEN summary "
        f"WHEN to_tsvector('{TEXT_CONFIG}', categories) @@ fq THEN categories "
        f"WHEN to_tsvector('{TEXT_CONFIG}', authors) @@ fq THEN authors "
        f"WHEN to_tsvector('{TEXT_CONFIG}', title) @@ fq THEN title ELSE summary END"
    )
    return (
        "SELECT paper_id, -ts_rank_cd(document, fq) AS rank, "
        f"ts_headline('{TEXT_CONFIG}', title, fq, {_WHOLE}) AS title_hl, "
        f"ts_headline('{TEXT_CONFIG}', {best}, fq, {_SNIPPET}) AS snippet "
        f"FROM paper_fts, {_QUERY} AS fq WHERE document @@ fq "
        "ORDER BY rank, paper_id LIMIT :limit"
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
