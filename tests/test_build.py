"""The build: atomic, skipped when unchanged, and never touching the old database on failure."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.build import build
from app.build.rows import citation_key
from app.contract.problems import ValidationFailed
from app.store.version import sqlite_version as current_version
from tests.conftest import BAD, GOOD


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    copy = tmp_path / "taxonomy"
    shutil.copytree(GOOD, copy)
    return copy


def test_build_writes_tables_counts_and_fts(tree: Path, tmp_path: Path):
    db = tmp_path / "atlas.db"
    result = build(tree, db)
    assert result.status == "built"
    assert result.counts["papers"] == 11
    conn = sqlite3.connect(db)
    # the fixture places 4 papers (DPO, IPO, KTO, SimPO) under expression/implicit
    implicit = conn.execute(
        "SELECT COUNT(*) FROM paper_category WHERE category_id = 'implicit'"
    ).fetchone()[0]
    assert implicit == 4
    # roll-up: token-level's parent chain is counted for papers placed at token-level
    row = conn.execute("SELECT path, depth FROM category WHERE id = 'token-level'").fetchone()
    assert row == ("fine-grained/response-vs-token/token-level", 2)
    hits = conn.execute(
        "SELECT paper_id FROM paper_fts WHERE paper_fts MATCH 'secretly'"
    ).fetchall()
    assert hits == [("rafailov2023-dpo",)]
    conn.close()


def test_unchanged_tree_is_not_rebuilt_and_force_rebuilds(tree: Path, tmp_path: Path):
    db = tmp_path / "atlas.db"
    first = build(tree, db)
    assert build(tree, db).status == "up-to-date"
    assert build(tree, db, force=True).status == "built"
    assert current_version(db) == first.data_version


def test_content_change_changes_the_data_version(tree: Path, tmp_path: Path):
    db = tmp_path / "atlas.db"
    before = build(tree, db).data_version
    paper = tree / "papers" / "meng2024-simpo.yaml"
    paper.write_text(paper.read_text().replace("summary: >-", "summary: >-\n  Edited.", 1))
    after = build(tree, db)
    assert after.status == "built" and after.data_version != before


def test_failed_build_leaves_previous_database_byte_identical(tree: Path, tmp_path: Path):
    db = tmp_path / "atlas.db"
    build(tree, db)
    digest = _sha(db)
    shutil.copy(BAD / "papers" / "wrong-type-year.yaml", tree / "papers")
    with pytest.raises(ValidationFailed) as failure:
        build(tree, db, force=True)
    assert any("year: must be a whole number" in p.format() for p in failure.value.problems)
    assert _sha(db) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atlas.db", "taxonomy"]  # no temp left


def test_cli_build_on_broken_tree_exits_nonzero_and_keeps_database(tree: Path, tmp_path: Path):
    db = tmp_path / "atlas.db"
    cli = [sys.executable, "-m", "app.cli"]
    ok = subprocess.run([*cli, "build", str(tree), "--db", str(db)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    digest = _sha(db)
    shutil.copy(BAD / "papers" / "url-not-http.yaml", tree / "papers")
    broken = subprocess.run(
        [*cli, "build", str(tree), "--db", str(db), "--force"], capture_output=True, text=True
    )
    assert broken.returncode == 1
    assert "url-not-http.yaml:11: url: 'ftp://example.org/paper.pdf' must be an http(s) URL" in (
        broken.stdout
    )
    assert "database unchanged" in broken.stderr
    assert _sha(db) == digest


def test_interrupted_build_leaves_previous_database_usable(tree: Path, tmp_path: Path):
    """Kill a build midway (on the synthetic tree, big enough to catch it running)."""
    import signal
    import time

    db = tmp_path / "atlas.db"
    build(tree, db)
    digest = _sha(db)
    big = tmp_path / "big"
    subprocess.run(
        [sys.executable, "benchmarks/generate.py", "3000", "--out", str(big)],
        check=True,
        capture_output=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "build", str(big), "--db", str(db), "--force"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # wait until the build is writing its temporary database, then kill it there
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".atlas.db.*.tmp")):
        assert proc.poll() is None, "build ended before it was caught writing"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _sha(db) == digest
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert conn.execute("SELECT COUNT(*) FROM paper").fetchone()[0] == 11
    conn.close()
    # the next build cleans nothing up by accident and still succeeds
    assert build(tree, db, force=True).status == "built"


def test_citation_keys_follow_family_name_year_first_word(tree: Path, tmp_path: Path):
    from app.contract.validate import load_or_raise

    papers = {p.id: p for p in load_or_raise(tree).papers}
    assert citation_key(papers["rafailov2023-dpo"]) == "rafailov2023direct"
    assert citation_key(papers["ouyang2022-instructgpt"]) == "ouyang2022training"
    assert citation_key(papers["schulman2017-ppo"]) == "schulman2017proximal"


def test_settings_come_from_environment(monkeypatch, tmp_path: Path):
    from app.config import Settings

    monkeypatch.setenv("REWARD_ATLAS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REWARD_ATLAS_DB", str(tmp_path / "x.db"))
    settings = Settings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.db == tmp_path / "x.db"
    assert Settings(db=tmp_path / "y.db").db == tmp_path / "y.db"  # explicit beats environment


def test_build_commits_its_finishing_steps(tmp_path: Path) -> None:
    """The FTS optimise and ANALYZE run after the main transaction; left uncommitted they were
    rolled back on close, which with journal_mode=OFF corrupted databases of 10k papers."""
    db = tmp_path / "atlas.db"
    build(GOOD, db)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT COUNT(*) FROM sqlite_stat1").fetchone()[0] > 0
    finally:
        conn.close()


def test_a_good_build_removes_temp_files_of_killed_builds(tree: Path, tmp_path: Path):
    import os
    import time

    db = tmp_path / "atlas.db"
    stale = tmp_path / ".atlas.db.killed.tmp"
    fresh = tmp_path / ".atlas.db.running.tmp"
    for path in (stale, fresh):
        path.write_bytes(b"half a database")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    build(tree, db, force=True)
    assert not stale.exists()
    assert fresh.exists()  # may belong to a build still running
