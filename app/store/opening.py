"""Opening the built database for reading, or saying which command makes it servable."""

from __future__ import annotations

from sqlalchemy import Engine

from app.config import Settings
from app.store import dialect
from app.store.version import is_built_by_this_app


class DatabaseUnusable(RuntimeError):
    """The database cannot be served; the message says which command fixes it."""


class DatabaseMissing(DatabaseUnusable):
    pass


class DatabaseCorrupt(DatabaseUnusable):
    pass


class DatabaseStale(DatabaseUnusable):
    pass


def open_readonly(settings: Settings) -> Engine:
    """A read-only engine on the database ``settings`` names; a :class:`DatabaseUnusable`
    whose message says which command to run when it is missing, unreadable or stale."""
    url = settings.url
    store = dialect.for_url(url)
    shown = store.display_url(url)
    rebuild = "" if settings.postgres_url else " (or `reward-atlas serve`, which rebuilds it)"
    version = store.current_version(url)
    if settings.postgres_url is None and not settings.db.exists():
        raise DatabaseMissing(
            f"database not found at {shown}: run `reward-atlas build` first "
            "(or `reward-atlas serve`, which builds it)"
        )
    if version is None and settings.postgres_url:
        raise DatabaseMissing(
            f"no Reward Atlas schema in {shown}: run `reward-atlas build` first "
            "(or `reward-atlas serve`, which builds it)"
        )
    if version is None:
        raise DatabaseCorrupt(
            f"database at {shown} is unreadable or not a Reward Atlas database: run "
            f"`reward-atlas build --force`{rebuild}"
        )
    if not is_built_by_this_app(version):
        raise DatabaseStale(
            f"database at {shown} was built by another version of the app ({version}): "
            f"run `reward-atlas build --force`{rebuild}"
        )
    return store.readonly_engine(url)
