"""Settings: one typed object, read from ``REWARD_ATLAS_*`` environment variables or passed in."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.store.dialect import is_postgres

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Where the data lives, where the database goes, and how the server listens.

    Every field can be set by an environment variable (``REWARD_ATLAS_DATA_DIR``,
    ``REWARD_ATLAS_DB``, ...) or by the CLI's options, and tests build their own instance.
    ``database_url`` (``REWARD_ATLAS_DATABASE_URL`` or plain ``DATABASE_URL``), when it names
    PostgreSQL, replaces the SQLite file ``db`` for both ``build`` and ``serve``.
    """

    model_config = SettingsConfigDict(env_prefix="REWARD_ATLAS_", extra="ignore")

    data_dir: Path = ROOT / "data" / "taxonomy"
    db: Path = ROOT / "var" / "reward-atlas.db"
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("database_url", "REWARD_ATLAS_DATABASE_URL", "DATABASE_URL"),
    )
    # The site's public address (https://atlas.example.org), for the absolute links some
    # answers carry; without it they are paths. Never taken from a request's Host header.
    public_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # Where `new-paper --fetch` and `check-metadata --fetch` read metadata (tests: a replay server)
    arxiv_api: str = "https://export.arxiv.org/api/query"
    crossref_api: str = "https://api.crossref.org"
    fetch_timeout: float = 10.0
    fetch_retries: int = 2
    # `serve --reload`: watch data_dir and rebuild on change (one worker only)
    reload: bool = False
    templates_dir: Path = ROOT / "templates"
    static_dir: Path = ROOT / "static"

    @model_validator(mode="after")
    def _sqlite_url_is_a_path(self) -> Settings:
        """``sqlite:///path`` is the SQLite file ``path``; anything else must be PostgreSQL."""
        url = self.database_url
        if url and url.startswith("sqlite:///"):
            self.db, self.database_url = Path(url.removeprefix("sqlite:///")), None
        elif url and not is_postgres(url):
            raise ValueError(
                f"database_url must be postgresql://… or sqlite:///path, not {url.split(':')[0]}:…"
            )
        return self

    @property
    def postgres_url(self) -> str | None:
        """The PostgreSQL URL to build into and serve from, or None for the SQLite file."""
        return self.database_url or None

    @property
    def url(self) -> str:
        """The database to build into and serve from, as a URL for :mod:`app.store.dialect`."""
        return self.postgres_url or f"sqlite:///{self.db}"
