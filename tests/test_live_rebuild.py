"""A rebuild or a broken database under a running server (issue 17), on a real `serve`
subprocess: one request sees one data version with its own ETag; a replaced file is served from
the next request on; a corrupt file gets a clean 503 (logged once) and heals with the next good
build, without a restart."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import httpx
import pytest

from app import __version__
from app.build import build
from tests.conftest import GOOD
from tests.test_faults import PAPER, _corrupt, _serve, _stop


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    return shutil.copytree(GOOD, tmp_path / "taxonomy")


def _change(tree: Path, year: str) -> None:
    path = tree / PAPER
    path.write_text(path.read_text().replace("year: 2023", f"year: {year}", 1))


def _meta(url: str) -> tuple[int, str | None, str | None]:
    response = httpx.get(f"{url}/api/v1/meta", timeout=10)
    if response.status_code != 200:
        return response.status_code, None, None
    return 200, response.json()["data_version"], response.headers.get("etag")


def test_rebuild_under_load_never_mixes_versions_or_etags(tree, tmp_path) -> None:
    db = tmp_path / "atlas.db"
    old = build(tree, db).data_version
    process, _ = _serve(tree, db)
    url = f"http://127.0.0.1:{process.args[process.args.index('--port') + 1]}"
    stop = threading.Event()
    seen: list[list[tuple[int, str | None, str | None]]] = [[] for _ in range(6)]

    def hammer(log: list) -> None:
        while not stop.is_set():
            log.append(_meta(url))

    workers = [threading.Thread(target=hammer, args=(log,)) for log in seen]
    try:
        for worker in workers:
            worker.start()
        _change(tree, "2024")
        new = build(tree, db, force=True).data_version
        after = [_meta(url) for _ in range(20)]
        stop.set()
        for worker in workers:
            worker.join(30)
    finally:
        stop.set()
        output = _stop(process)
    assert old != new
    assert {version for _, version, _ in after} == {new}, output
    for log in seen:
        assert all(status == 200 for status, _, _ in log), (log, output)
        for _, version, etag in log:
            assert etag == f'"{version}-{__version__}"'  # the ETag names the data it came with
        versions = [version for _, version, _ in log]
        if new in versions:  # once a client has seen the new data, never the old again
            assert old not in versions[versions.index(new) :], versions


def test_corrupt_database_is_a_clean_503_logged_once_and_heals(tree, tmp_path) -> None:
    db = tmp_path / "atlas.db"
    build(tree, db)
    process, _ = _serve(tree, db)
    url = f"http://127.0.0.1:{process.args[process.args.index('--port') + 1]}"
    try:
        assert httpx.get(f"{url}/api/v1/papers", timeout=10).status_code == 200
        _corrupt(db)
        broken = [
            httpx.get(f"{url}{path}", timeout=10)
            for path in ["/api/v1/meta"] * 10 + ["/api/v1/papers", "/papers"]
        ]
        _change(tree, "2025")
        healed = build(tree, db, force=True).data_version
        after = [_meta(url) for _ in range(10)]
    finally:
        output = _stop(process)
    for response in broken:
        assert response.status_code == 503, output
        assert response.headers["retry-after"]
        assert "reward-atlas build --force" in response.text
    assert broken[0].json()["error"]["status"] == 503
    assert after == [(200, healed, f'"{healed}-{__version__}"')] * 10, output
    assert "Traceback" not in output
    assert output.count("cannot serve the database") == 1, output
