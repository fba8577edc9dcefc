"""The app skeleton over real HTTP: meta, home page, read-only database, error shape."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.config import Settings
from app.main import create_app


def test_meta_reports_counts_and_version(client):
    body = client.get("/api/v1/meta").json()
    assert body["counts"] == {
        "dimensions": 9,
        "categories": 49,
        "papers": 11,
        "relations": 10,
        "placements": body["counts"]["placements"],
    }
    assert body["counts"]["placements"] > 11
    assert len(body["data_version"]) > 16
    assert body["survey"]["arxiv"] == "2505.02666"


def test_home_lists_dimensions_with_counts(client):
    page = client.get("/", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Granularity" in page.text and "Optimization paradigm" in page.text


def test_unknown_api_path_is_404_with_error_shape(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_app_cannot_write_to_its_database(settings):
    app = create_app(settings)

    async def try_write():
        async with app.router.lifespan_context(app):
            with app.state.live.current().engine.connect() as conn:
                conn.execute(text("INSERT INTO meta (key, value) VALUES ('x', 'y')"))

    # SQLite: "attempt to write a readonly database"; PostgreSQL: "cannot execute INSERT in a
    # read-only transaction" (every connection has default_transaction_read_only on).
    with pytest.raises(DBAPIError, match="readonly|read-only"):
        asyncio.run(try_write())


def test_missing_database_is_a_clear_error(tmp_path, good_dir):
    from app.store.opening import DatabaseMissing

    app = create_app(Settings(data_dir=good_dir, db=tmp_path / "absent.db"))

    async def start():
        async with app.router.lifespan_context(app):
            pass

    with pytest.raises(DatabaseMissing, match="reward-atlas build"):
        asyncio.run(start())


def test_database_file_is_not_opened_writable(fixture_db):
    # Even a raw sqlite3 write through the same URI the app uses must fail.
    conn = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("CREATE TABLE t (x)")
    conn.close()
