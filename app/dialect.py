"""Everything SQLite-specific: connection URLs, read-only opening, and FTS5.

Keep engine-specific SQL here and nowhere else, so another engine can take over by replacing
this module (see docs/architecture.md).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

FTS_TABLES = (
    # One row per paper: what full-text search over papers reads.
    "CREATE VIRTUAL TABLE paper_fts USING fts5("
    "paper_id UNINDEXED, title, authors, summary, categories, venue, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
    # One row per category (and per dimension): what /search reads besides papers.
    "CREATE VIRTUAL TABLE category_fts USING fts5("
    "category_id UNINDEXED, kind UNINDEXED, name, description, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
)


def write_engine(path: Path) -> Engine:
    """An engine on a fresh file the build writes into (fast, unsafe pragmas are fine there:
    a crash leaves only a temp file that is never renamed into place)."""
    engine = create_engine(f"sqlite:///{path}", poolclass=StaticPool)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.execute("PRAGMA journal_mode = OFF")
        dbapi_conn.execute("PRAGMA synchronous = OFF")
        dbapi_conn.execute("PRAGMA foreign_keys = ON")

    return engine


def readonly_engine(path: Path) -> Engine:
    """An engine that cannot write: the file is opened with ``mode=ro`` and ``query_only``."""
    uri = f"file:{path.resolve()}?mode=ro"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        return conn

    return create_engine("sqlite://", creator=connect, pool_pre_ping=False)


def check_fts5() -> None:
    """Fail early and clearly when this Python's SQLite lacks FTS5."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    except sqlite3.OperationalError as exc:  # pragma: no cover - depends on the platform
        raise RuntimeError("this Python's SQLite has no FTS5; install a build with FTS5") from exc
    finally:
        conn.close()


_TOKEN = re.compile(r"[\w]+", re.UNICODE)


def fts_query(text: str) -> str | None:
    """Turn what a person typed into a safe FTS5 MATCH expression.

    Every word must match (AND); the last word also matches as a prefix, so results appear
    while typing. FTS5 operators and quotes typed by the user are treated as plain words.
    Returns None when nothing searchable is left.
    """
    words = _TOKEN.findall(text.lower())[:16]
    if not words:
        return None
    terms = [f'"{w}"' for w in words[:-1]] + [f'"{words[-1]}"*']
    return " ".join(terms)


def finish_build(conn: sqlite3.Connection) -> None:
    """Optimise the FTS indexes and planner statistics before the file is published."""
    conn.execute("INSERT INTO paper_fts(paper_fts) VALUES('optimize')")
    conn.execute("INSERT INTO category_fts(category_fts) VALUES('optimize')")
    conn.execute("ANALYZE")
