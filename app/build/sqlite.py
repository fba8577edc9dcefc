"""Write a SQLite database file from the build's rows, atomically.

The whole database is written to a temporary file beside the target, fsynced, and renamed into
place only when everything succeeded, so a failed or interrupted build never touches the
previous database.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel

from app.build.rows import DERIVED, Rows
from app.store import tables as _tables  # noqa: F401  (registers the tables)

# No stemmer: app.query.textquery folds plurals itself, so "processing" never matches "process".
FTS_TABLES = (
    # One row per paper: what full-text search over papers reads.
    "CREATE VIRTUAL TABLE paper_fts USING fts5("
    "paper_id UNINDEXED, names, title, authors, summary, categories, venue, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    # One row per category (and per dimension): what /search reads besides papers.
    "CREATE VIRTUAL TABLE category_fts USING fts5("
    "category_id UNINDEXED, kind UNINDEXED, name, description, "
    "tokenize = 'unicode61 remove_diacritics 2')",
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


def write_atomically(rows: Rows, db: Path, step: Callable[[str], None]) -> None:
    """Write ``rows`` to a temp file beside ``db``, then rename it over ``db``."""
    db.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{db.name}.", suffix=".tmp", dir=db.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _write(rows, tmp, step)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, db)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    remove_stale_temp_files(db)


# A temp file nobody has written to for this long belongs to a build that was killed.
STALE_AFTER_SECONDS = 300


def remove_stale_temp_files(db: Path) -> list[Path]:
    """Delete the temp files of killed builds beside ``db`` (a running build keeps writing to
    its own, so recent ones are left alone); return what was removed."""
    removed = []
    cutoff = time.time() - STALE_AFTER_SECONDS
    for path in db.parent.glob(f".{db.name}.*.tmp"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:  # another build cleaned it up first
            continue
    return removed


def _write(rows: Rows, path: Path, step: Callable[[str], None]) -> None:
    # Tables from the SQLModel metadata; fast, unsafe pragmas are fine on a temp file that is
    # never renamed into place if anything fails.
    engine = create_engine(f"sqlite:///{path}", poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        for statement in FTS_TABLES:
            conn.execute(statement)
        step("rows")
        conn.execute("BEGIN")
        for table, table_rows in rows.tables().items():
            _insert(conn, table, table_rows)
            if table == "paper":
                step("papers")
        # Each search row takes its paper's rowid: app.store.sqlite joins matches on rowids
        # and breaks rank ties by rowid (papers go in in id order, so rowid order is id order).
        rowids = dict(conn.execute("SELECT id, rowid FROM paper").fetchall())
        conn.executemany(
            "INSERT INTO paper_fts "
            "(rowid, paper_id, names, title, authors, summary, categories, venue) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(rowids[row[0]], *row) for row in rows.paper_fts],
        )
        for statement in DERIVED:
            conn.execute(statement)
        conn.executemany(
            "INSERT INTO category_fts (category_id, kind, name, description) VALUES (?, ?, ?, ?)",
            rows.category_fts,
        )
        step("search index")
        conn.execute("COMMIT")
        _optimise(conn)
        step("indexes")
    finally:
        conn.close()


def _optimise(conn: sqlite3.Connection) -> None:
    """Optimise the FTS indexes and planner statistics before the file is published."""
    conn.execute("INSERT INTO paper_fts(paper_fts) VALUES('optimize')")
    conn.execute("INSERT INTO category_fts(category_fts) VALUES('optimize')")
    conn.execute("ANALYZE")
    # The INSERTs above opened an implicit transaction (sqlite3's default isolation level):
    # commit it. Closing without a commit rolls back, and with journal_mode=OFF a rollback of
    # pages already spilled to disk corrupts the file (seen at 10k papers: "malformed").
    conn.commit()


def _insert(conn: sqlite3.Connection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    conn.executemany(sql, [tuple(row[c] for c in columns) for row in rows])
