"""Everything SQLite-specific: connection URLs, read-only opening, and FTS5.

Keep SQLite-specific SQL here and nowhere else; :mod:`app.store.postgres` exposes the same
names for PostgreSQL and :mod:`app.store.dialect` picks one (see docs/architecture.md).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool, StaticPool

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

    # An explicit QueuePool: with a bare "sqlite://" URL SQLAlchemy picks SingletonThreadPool,
    # which closes a connection another request thread is still using once more than five
    # threads have asked for one ("Cannot operate on a closed database" under load).
    return create_engine(
        "sqlite://",
        creator=connect,
        poolclass=QueuePool,
        pool_size=8,
        max_overflow=32,
        pool_pre_ping=False,
    )


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
    # The INSERTs above opened an implicit transaction (sqlite3's default isolation level):
    # commit it. Closing without a commit rolls back, and with journal_mode=OFF a rollback of
    # pages already spilled to disk corrupts the file (seen at 10k papers: "malformed").
    conn.commit()


# --- Full-text search statements (read side) ------------------------------------------------
# Highlights are marked with two control characters no paper text contains; app.query.reads splits
# on them into {"text", "hit"} segments, so pages escape everything and never trust markup.
HIT_START = "\x02"
HIT_END = "\x03"
# What ``:fts_match`` is bound to when the user typed nothing searchable: matches no row.
NO_MATCH = '""'

# Column weights for bm25 in paper_fts column order: paper_id (unindexed), title, authors,
# summary, categories, venue. A title hit should outrank a passing mention in a summary.
_PAPER_WEIGHTS = "0.0, 10.0, 4.0, 1.0, 2.0, 1.0"
_CATEGORY_WEIGHTS = "0.0, 0.0, 5.0, 1.0"


# The build gives each paper_fts row the rowid of its paper row (app.build.build), so matches are
# joined on rowids: reading the UNINDEXED paper_id column loads each match's whole content row
# (summary included), which made counting 4k matches at 10k papers ~10x slower.


def paper_match_subquery() -> str:
    """``SELECT paper_id`` of papers matching ``:fts_match`` (no ranking: cheaper to filter)."""
    return (
        "SELECT id FROM paper WHERE rowid IN "
        "(SELECT rowid FROM paper_fts WHERE paper_fts MATCH :fts_match)"
    )


def paper_rank_subquery() -> str:
    """``SELECT paper_id, rank`` of papers matching ``:fts_match``; lower rank is better."""
    return (
        f"SELECT fp.id AS paper_id, fr.rank FROM (SELECT rowid, bm25(paper_fts, {_PAPER_WEIGHTS}) "
        "AS rank FROM paper_fts WHERE paper_fts MATCH :fts_match) fr "
        "JOIN paper fp ON fp.rowid = fr.rowid"
    )


def paper_rank_page_subquery() -> str:
    """``SELECT page_id, page_rank``: one page (``:limit``, ``:offset``) of the papers matching
    ``:fts_match``, best first, ties by id. The build inserts papers in id order, so rowid order
    is id order and the papers table is read only for the page's rows."""
    return (
        f"SELECT fp.id AS page_id, fr.rank AS page_rank FROM (SELECT rowid, bm25(paper_fts, "
        f"{_PAPER_WEIGHTS}) AS rank FROM paper_fts WHERE paper_fts MATCH :fts_match "
        "ORDER BY rank, rowid LIMIT :limit OFFSET :offset) fr JOIN paper fp ON fp.rowid = fr.rowid"
    )


def paper_search_statement() -> str:
    """Best papers for ``:fts_match`` (at most ``:limit``) with a highlighted title and a snippet
    of the best-matching column."""
    return (
        f"SELECT paper_id, bm25(paper_fts, {_PAPER_WEIGHTS}) AS rank, "
        f"highlight(paper_fts, 1, '{HIT_START}', '{HIT_END}') AS title_hl, "
        f"snippet(paper_fts, -1, '{HIT_START}', '{HIT_END}', '…', 24) AS snippet "
        "FROM paper_fts WHERE paper_fts MATCH :fts_match ORDER BY rank, paper_id LIMIT :limit"
    )


def paper_match_count_statement() -> str:
    return "SELECT COUNT(*) FROM paper_fts WHERE paper_fts MATCH :fts_match"


def category_search_statement() -> str:
    """Best categories and dimensions for ``:fts_match`` with highlighted name and snippet."""
    return (
        f"SELECT category_id, kind, bm25(category_fts, {_CATEGORY_WEIGHTS}) AS rank, "
        f"highlight(category_fts, 2, '{HIT_START}', '{HIT_END}') AS name_hl, "
        f"snippet(category_fts, 3, '{HIT_START}', '{HIT_END}', '…', 24) AS snippet "
        "FROM category_fts WHERE category_fts MATCH :fts_match "
        "ORDER BY rank, category_id LIMIT :limit"
    )


def category_match_count_statement() -> str:
    return "SELECT COUNT(*) FROM category_fts WHERE category_fts MATCH :fts_match"
