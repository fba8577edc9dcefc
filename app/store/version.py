"""Which data a database holds: the data version and how to read it back.

Kept to hashlib and sqlite3 (through :mod:`app.contract.files`) so that ``serve`` and the app's
start-up can tell whether the database is current without importing the loader, pydantic,
PyYAML or SQLModel.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.contract.files import content_hash

# Bump when the database layout or the way it is filled changes: forces a rebuild.
BUILD_VERSION = "4"

# The one query that reads the data version of a built database (both engines).
DATA_VERSION_SQL = "SELECT value FROM meta WHERE key = 'data_version'"


def version_for(content_hash: str) -> str:
    """The data version of a tree with this content hash, built by this app."""
    return f"{content_hash[:16]}-b{BUILD_VERSION}"


def is_built_by_this_app(version: str) -> bool:
    return version.endswith(f"-b{BUILD_VERSION}")


def sqlite_version(db: Path) -> str | None:
    """The data version recorded in a SQLite file, or None if absent or unreadable."""
    if not db.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db.resolve()}?mode=ro", uri=True)
        try:
            row = conn.execute(DATA_VERSION_SQL).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def is_current(data_dir: Path, db: Path) -> bool:
    """Whether ``db`` was built by this app from exactly the files now in ``data_dir``."""
    return sqlite_version(db) == version_for(content_hash(data_dir))
