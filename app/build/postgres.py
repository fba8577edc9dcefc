"""Write the PostgreSQL database from the build's rows: a fresh schema swapped in atomically.

A build writes a fresh schema ``atlas_build_<random>`` and, in the same transaction, renames it
to ``atlas`` (dropping the previous one), so readers see the old database or the new one, never
half of one.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import psycopg
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import SQLModel

from app.build.rows import DERIVED, Rows
from app.store import tables as _tables  # noqa: F401  (registers the tables)
from app.store.postgres import SCHEMA, TEXT_CONFIG, libpq_url

# Serialises concurrent builds into the same database (any constant; "atlas" in ASCII).
_BUILD_LOCK = 0x61746C6173


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
    # No stemmer and no stop words, like the SQLite index: plurals are folded by the query.
    f"CREATE TEXT SEARCH CONFIGURATION {TEXT_CONFIG} (COPY = pg_catalog.simple)",
    f"CREATE TABLE paper_fts (paper_id {_C} PRIMARY KEY, names TEXT, title TEXT, authors TEXT, "
    "summary TEXT, categories TEXT, venue TEXT, document tsvector)",
    f"CREATE TABLE category_fts (category_id {_C}, kind {_C}, name TEXT, description TEXT, "
    "document tsvector, PRIMARY KEY (category_id, kind))",
)
# Weights follow the bm25 column weights of the SQLite index: a short name, alias or title hit
# (A) outranks authors (B), category names (C) and the summary or venue (D).
_FTS_FILL = (
    f"UPDATE paper_fts SET document = setweight(to_tsvector('{TEXT_CONFIG}', names), 'A') "
    f"|| setweight(to_tsvector('{TEXT_CONFIG}', title), 'A') "
    f"|| setweight(to_tsvector('{TEXT_CONFIG}', authors), 'B') "
    f"|| setweight(to_tsvector('{TEXT_CONFIG}', categories), 'C') "
    f"|| setweight(to_tsvector('{TEXT_CONFIG}', summary || ' ' || venue), 'D')",
    f"UPDATE category_fts SET document = setweight(to_tsvector('{TEXT_CONFIG}', name), 'A') "
    f"|| setweight(to_tsvector('{TEXT_CONFIG}', description), 'D')",
    "CREATE INDEX paper_fts_document ON paper_fts USING gin (document)",
    "CREATE INDEX category_fts_document ON category_fts USING gin (document)",
)


def write(rows: Rows, url: str) -> None:
    """Write every table, run the derived statements and fill the search tables in a fresh
    schema; then swap it in for ``atlas`` — all in one transaction."""
    tables = rows.tables()
    build_schema = f"atlas_build_{secrets.token_hex(6)}"
    old_schema = f"atlas_old_{secrets.token_hex(6)}"
    with psycopg.connect(libpq_url(url), autocommit=False) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_BUILD_LOCK,))
        conn.execute(f"CREATE SCHEMA {build_schema}")
        conn.execute(f"SET LOCAL search_path = {build_schema}")
        for statement in (*_ddl(), *_FTS_DDL):
            conn.execute(statement)
        with conn.cursor() as cur:
            for table, table_rows in tables.items():
                _copy(cur, table, list(table_rows[0]) if table_rows else [], table_rows)
            _copy(
                cur,
                "paper_fts",
                ["paper_id", "names", "title", "authors", "summary", "categories", "venue"],
                rows.paper_fts,
            )
            _copy(
                cur,
                "category_fts",
                ["category_id", "kind", "name", "description"],
                rows.category_fts,
            )
        for statement in DERIVED:
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


def _copy(cur: psycopg.Cursor, table: str, columns: list[str], rows: list[Any]) -> None:
    if not rows:
        return
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row[c] for c in columns) if isinstance(row, dict) else row)
