"""Shared fixtures: a database built from the tiny fixture taxonomy, and the real app serving it
over real HTTP on 127.0.0.1 (uvicorn in a background thread).

With ``TEST_DATABASE_URL=postgresql://…`` set, the API suite (tests/test_api_*.py, test_app.py)
runs twice, on SQLite and on PostgreSQL (``db_engine`` is "sqlite" or "postgres"), and must give
the same answers on both; without it, everything runs on SQLite alone.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from app.build import build
from app.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"
REPO = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or None
# Test modules whose tests also run on PostgreSQL when TEST_DATABASE_URL is set.
BOTH_ENGINES = ("test_api_", "test_app")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if (
        TEST_DATABASE_URL
        and "db_engine" in metafunc.fixturenames
        and module.startswith(BOTH_ENGINES)
    ):
        metafunc.parametrize("db_engine", ["sqlite", "postgres"], indirect=True, scope="session")


@pytest.fixture(scope="session")
def db_engine(request: pytest.FixtureRequest) -> str:
    """The engine the app under test reads: "sqlite" unless parametrised to "postgres"."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def good_dir() -> Path:
    return GOOD


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("db") / "atlas.db"
    build(GOOD, db)
    return db


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """TEST_DATABASE_URL with the fixture taxonomy built into it (forced: a fresh schema)."""
    assert TEST_DATABASE_URL, "postgres tests run only with TEST_DATABASE_URL set"
    build(GOOD, Path("unused.db"), force=True, database_url=TEST_DATABASE_URL)
    return TEST_DATABASE_URL


@pytest.fixture(scope="session")
def settings(db_engine: str, fixture_db: Path, request: pytest.FixtureRequest) -> Settings:
    # database_url is always passed, so a DATABASE_URL in the environment never leaks in.
    url = request.getfixturevalue("postgres_url") if db_engine == "postgres" else None
    return Settings(data_dir=GOOD, db=fixture_db, database_url=url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """uvicorn serving ``create_app(settings)`` in a thread, for real HTTP and browser tests."""

    def __init__(self, settings: Settings, app: object | None = None) -> None:
        from app.main import create_app

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app or create_app(settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(settings) as server:
        yield server


@pytest.fixture()
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=10, follow_redirects=False) as http:
        yield http


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run browser tests last: Playwright's sync API keeps an event loop running in the main
    thread for the rest of the session, and tests that call asyncio.run() must come before it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def exported_site(tmp_path_factory: pytest.TempPathFactory, fixture_db: Path) -> Path:
    """The fixture taxonomy exported as a static site (relative links) into ``…/www/atlas``,
    so a static server over ``www`` shows it under the sub-path ``/atlas/``."""
    from app.publish import export_site

    out = tmp_path_factory.mktemp("www") / "atlas"
    export_site(settings=Settings(data_dir=GOOD, db=fixture_db), out=out)
    return out
