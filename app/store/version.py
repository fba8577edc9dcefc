"""Which data a database holds, without importing the loader, the models or the web stack.

``reward-atlas serve`` and the app's start-up only need to know whether the database is current;
keeping that here (hashlib and sqlite3 only) saves them importing pydantic schemas, PyYAML and
SQLModel (~0.2 s of a 1 s start-up budget at 10k papers).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

# Bump when the database layout or the way it is filled changes: forces a rebuild.
BUILD_VERSION = "2"


def version_for(content_hash: str) -> str:
    """The data version of a tree with this content hash, built by this app."""
    return f"{content_hash[:16]}-b{BUILD_VERSION}"


def current_version(db: Path) -> str | None:
    """The data version recorded in an existing database, or None if absent or unreadable."""
    if not db.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db.resolve()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def content_hash(data_dir: Path, contents: dict[Path, bytes] | None = None) -> str:
    """Hash of every YAML file's path and bytes: the data version.

    ``contents`` (path -> bytes) saves reading the files again when the loader already has them.
    """
    digest = hashlib.sha256()
    files = contents if contents is not None else {p: p.read_bytes() for p in data_files(data_dir)}
    for path in sorted(files, key=lambda p: p.relative_to(data_dir).as_posix()):
        digest.update(path.relative_to(data_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(files[path])
        digest.update(b"\0")
    return digest.hexdigest()


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(
        (p for p in folder.glob("*") if p.suffix in (".yaml", ".yml")), key=lambda p: p.name
    )


def data_files(data_dir: Path) -> list[Path]:
    files = [data_dir / "survey.yaml"] if (data_dir / "survey.yaml").exists() else []
    return files + _yaml_files(data_dir / "dimensions") + _yaml_files(data_dir / "papers")


def is_current(data_dir: Path, db: Path) -> bool:
    """Whether ``db`` was built by this app from exactly the files now in ``data_dir``."""
    return current_version(db) == version_for(content_hash(data_dir))
