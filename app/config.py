"""Settings: one typed object, read from ``REWARD_ATLAS_*`` environment variables or passed in."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Where the data lives, where the database goes, and how the server listens.

    Every field can be set by an environment variable (``REWARD_ATLAS_DATA_DIR``,
    ``REWARD_ATLAS_DB``, ...) or by the CLI's options, and tests build their own instance.
    """

    model_config = SettingsConfigDict(env_prefix="REWARD_ATLAS_", extra="ignore")

    data_dir: Path = ROOT / "data" / "taxonomy"
    db: Path = ROOT / "var" / "reward-atlas.db"
    host: str = "127.0.0.1"
    port: int = 8000
    templates_dir: Path = ROOT / "templates"
    static_dir: Path = ROOT / "static"
