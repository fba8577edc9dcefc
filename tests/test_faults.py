"""Server start with a missing, corrupt or stale database (issue 9).

Serving the app directly (uvicorn on ``app.main:app_from_env``) refuses to start with a message
naming the fix and a non-zero exit; ``reward-atlas serve`` builds or rebuilds the database first.
(An interrupted build leaving the previous database usable: tests/test_build.py.)
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.build import build
from app.config import Settings
from app.main import create_app
from app.store.opening import DatabaseCorrupt, DatabaseMissing, DatabaseStale
from app.store.version import sqlite_version as current_version
from tests.conftest import GOOD, REPO, _free_port

PAPER = "papers/rafailov2023-dpo.yaml"


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    return shutil.copytree(GOOD, tmp_path / "taxonomy")


def _corrupt(db: Path) -> None:
    db.write_bytes(b"this is not an SQLite database\n" * 100)


def _stale_build(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = 'feedfacefeedface-b0' WHERE key = 'data_version'")
    conn.commit()
    conn.close()


def _start(settings: Settings) -> None:
    app = create_app(settings)

    async def run() -> None:
        async with app.router.lifespan_context(app):
            pass

    asyncio.run(run())


def _break_database(tree: Path, db: Path, fault: str) -> None:
    """Leave ``db`` missing, corrupt, empty, from another app version, or older than the data."""
    if fault != "missing":
        build(tree, db)
    if fault == "corrupt":
        _corrupt(db)
    elif fault == "empty":
        db.write_bytes(b"")
    elif fault in ("stale", "stale-build"):
        _stale_build(db)
    elif fault == "stale-data":
        path = tree / PAPER
        path.write_text(path.read_text().replace("year: 2023", "year: 2024", 1))


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        ("missing", DatabaseMissing, "reward-atlas build"),
        ("corrupt", DatabaseCorrupt, "reward-atlas build --force"),
        ("empty", DatabaseCorrupt, "not a Reward Atlas database"),
        ("stale", DatabaseStale, "another version of the app"),
    ],
)
def test_app_refuses_an_unusable_database(tree, tmp_path, fault, error, words) -> None:
    db = tmp_path / "atlas.db"
    _break_database(tree, db, fault)
    with pytest.raises(error, match=words):
        _start(Settings(data_dir=tree, db=db))


def _env(tree: Path, db: Path) -> dict[str, str]:
    return {**os.environ, "REWARD_ATLAS_DATA_DIR": str(tree), "REWARD_ATLAS_DB": str(db)}


@pytest.mark.parametrize("fault", ["missing", "corrupt"])
def test_uvicorn_on_an_unusable_database_exits_nonzero_with_the_fix(tree, tmp_path, fault):
    db = tmp_path / "atlas.db"
    if fault == "corrupt":
        _corrupt(db)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app.main:app_from_env",
            "--host",
            "127.0.0.1",
            "--port",
            str(_free_port()),
        ],
        cwd=REPO,
        env=_env(tree, db),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "reward-atlas build" in done.stderr
    assert str(db) in done.stderr


def _serve(tree: Path, db: Path):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", str(tree), "--db", str(db), "--port", str(port)],
        cwd=REPO,
        env=_env(tree, db),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return process, httpx.get(f"{url}/api/v1/meta", timeout=2).json()
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"serve did not start: {process.communicate()[0]}")


def _stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        return process.communicate(timeout=15)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0]


@pytest.mark.parametrize("fault", ["missing", "corrupt", "empty", "stale-data", "stale-build"])
def test_serve_rebuilds_a_missing_corrupt_or_stale_database(tree, tmp_path, fault) -> None:
    db = tmp_path / "atlas.db"
    _break_database(tree, db, fault)
    before = current_version(db)
    process, meta = _serve(tree, db)
    output = _stop(process)
    expected = build(tree, tmp_path / "fresh.db").data_version
    assert before != expected
    assert meta["data_version"] == expected, output
    assert current_version(db) == expected
    assert "database built" in output, output
