"""The database a running server reads, followed across rebuilds.

``build`` replaces the SQLite file by a rename, so the path names a new file (a new inode)
afterwards. Each request pins one :class:`Generation` (an engine on one file and that file's
data version) at its start and uses it to the end: one request sees one data version, and its
ETag is that version's. A request that finds the file changed opens a new generation; the old
engine is disposed, so no pooled connection keeps reading the replaced (or broken) file.

A file that cannot be served (missing, garbage, built by another app version) is reported once
per file identity, in the log and in a :class:`DatabaseUnusable` every request raises until a
good build lands; the next request after that serves the new data, without a restart.

PostgreSQL swaps a whole schema in one transaction and has no file to watch: its generation is
opened once and kept until restart (docs/deploying.md).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError

from app.config import Settings
from app.store.opening import DatabaseUnusable, open_readonly
from app.store.version import DATA_VERSION_SQL

log = logging.getLogger("reward_atlas.store")

Identity = tuple[int, int, int, int] | None
# The most connections a read-only engine's pool opens (pool_size 8 + max_overflow 32 in
# app.store.sqlite and app.store.postgres).
MAX_CONNECTIONS = 40


class DataReplaced(DatabaseUnusable):
    """A connection opened during a request found another data version than the request's
    (the file was replaced in between): the request cannot be answered consistently."""


@dataclass(eq=False)
class Generation:
    """One database file (or schema) with its data version, for as long as it is served.

    ``extras`` holds what the web layer derives from this data only (caches, the graph)."""

    engine: Engine
    version: str
    identity: Identity
    extras: SimpleNamespace = field(default_factory=SimpleNamespace)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _identity(path: str) -> Identity:
    """What changes when the file at ``path`` is replaced or rewritten (None when absent)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class LiveDatabase:
    """The current :class:`Generation` of the database ``settings`` names."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._path = None if settings.postgres_url else str(settings.db)
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        self._failure: tuple[Identity, DatabaseUnusable] | None = None
        self._suspect = False

    def open(self) -> Generation:
        """The first generation; raises :class:`DatabaseUnusable` (start-up refuses to serve)."""
        with self._lock:
            self._generation = self._open(self._current_identity())
            return self._generation

    def current(self) -> Generation:
        """The generation to serve this request from: the open one while its file is in place,
        else a new one on the file now at the path, else the error saying what is wrong."""
        generation = self._generation
        if self._path is None and generation is not None:
            return generation
        identity = self._current_identity()
        if generation is not None and generation.identity == identity and not self._suspect:
            return generation
        with self._lock:
            return self._switch(identity)

    def invalidate(self, generation: Generation, reason: str) -> None:
        """A query on ``generation`` failed as a broken file fails: look at the file again on
        the next request (logged once per generation)."""
        with self._lock:
            if self._generation is generation and not self._suspect:
                self._suspect = True
                log.error("database read failed (%s); checking the file again", reason)

    def reopen(self) -> None:
        """Serve a new generation from the next request on (after a build made by this process:
        needed for PostgreSQL, harmless for SQLite, which follows the file anyway)."""
        with self._lock:
            self._suspect = True
            self._switch(self._current_identity())

    def forget_derived(self, names: tuple[str, ...]) -> None:
        """Drop the named things derived from the current generation (kept answers, say), so
        they are made again from the same data."""
        with self._lock:
            if self._generation is not None:
                for name in names:
                    self._generation.extras.__dict__.pop(name, None)

    def dispose(self) -> None:
        with self._lock:
            if self._generation is not None:
                self._generation.engine.dispose()

    def _current_identity(self) -> Identity:
        return None if self._path is None else _identity(self._path)

    def _switch(self, identity: Identity) -> Generation:
        old = self._generation
        if old is not None and old.identity == identity and not self._suspect:
            return old  # another request switched while this one waited for the lock
        if self._failure is not None and self._failure[0] == identity:
            raise self._failure[1]
        try:
            new = self._open(identity)
        except DatabaseUnusable as exc:
            self._failure = (identity, exc)
            self._drop(old)
            log.error("cannot serve the database: %s", exc)
            raise
        self._failure = None
        self._suspect = False
        self._drop(old)
        self._generation = new
        if old is not None:
            log.warning("serving data version %s (was %s)", new.version, old.version)
        return new

    def _drop(self, old: Generation | None) -> None:
        if old is not None and old is self._generation:
            self._generation = None
            # Connections in use finish their request on the old file; the rest close now.
            old.engine.dispose()

    def _open(self, identity: Identity) -> Generation:
        engine = open_readonly(self.settings)
        try:
            with engine.connect() as conn:
                version = conn.exec_driver_sql(DATA_VERSION_SQL).scalar_one()
        except DBAPIError as exc:
            engine.dispose()
            raise DataReplaced(f"the database changed while it was opened ({exc.orig})") from exc
        if self._path is not None:
            event.listen(engine, "connect", _same_version(version))
        return Generation(engine=engine, version=version, identity=identity)


def _same_version(version: str):
    """A check for every later SQLite connection: it must read the generation's data version,
    or the file was replaced since the generation opened."""

    def check(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        try:
            row = dbapi_conn.execute(DATA_VERSION_SQL).fetchone()
        except sqlite3.DatabaseError as exc:
            raise DataReplaced(f"the database file changed during the request ({exc})") from exc
        if row is None or row[0] != version:
            raise DataReplaced("the database was rebuilt during the request; please retry")

    return check


def generation_extra(generation: Generation, name: str, make: Any) -> Any:
    """``generation.extras.<name>``, made once (under the generation's lock) by ``make()``."""
    found = getattr(generation.extras, name, None)
    if found is None:
        with generation.lock:
            found = getattr(generation.extras, name, None)
            if found is None:
                found = make()
                setattr(generation.extras, name, found)
    return found
