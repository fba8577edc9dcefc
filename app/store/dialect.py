"""Pick the engine-specific module for a database URL or an open connection.

All engine-specific SQL lives in one module per engine: :mod:`app.store.sqlite` (the embedded
default, FTS5) and :mod:`app.store.postgres` (PostgreSQL, tsvector/tsquery). Both expose the
same names; read code asks ``dialect.of(conn)`` for the one serving a connection. The SQLite
names are re-exported here so existing callers keep working.
"""

from __future__ import annotations

from types import ModuleType

from sqlalchemy import Connection

from app.store import sqlite as dialect_sqlite
from app.store.sqlite import (  # noqa: F401  (the SQLite default, re-exported)
    FTS_TABLES,
    HIT_END,
    HIT_START,
    NO_MATCH,
    category_match_count_statement,
    category_search_statement,
    check_fts5,
    finish_build,
    fts_query,
    paper_match_count_statement,
    paper_match_subquery,
    paper_rank_subquery,
    paper_search_statement,
    readonly_engine,
    write_engine,
)

POSTGRES_SCHEMES = ("postgresql", "postgres")


def is_postgres(url: str | None) -> bool:
    """Whether ``url`` names a PostgreSQL database (``postgresql://``, ``postgresql+psycopg://``,
    ``postgres://``)."""
    return bool(url) and url.split(":", 1)[0].split("+", 1)[0] in POSTGRES_SCHEMES


def for_url(url: str | None) -> ModuleType:
    """The dialect module for a database URL (None or a SQLite URL: SQLite)."""
    if is_postgres(url):
        from app.store import (
            postgres as dialect_postgres,  # imported lazily: psycopg is an optional extra
        )

        return dialect_postgres
    return dialect_sqlite


def of(conn: Connection) -> ModuleType:
    """The dialect module serving an open connection."""
    if conn.dialect.name == "postgresql":
        from app.store import postgres as dialect_postgres

        return dialect_postgres
    return dialect_sqlite
