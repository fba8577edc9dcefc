"""``reward-atlas serve --reload`` as a contributor runs it: a real server process, real HTTP,
and YAML files edited under it."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import GOOD, REPO, _free_port
from tests.test_pages import Doc

DPO = "rafailov2023-dpo"
WAIT = 30.0  # seconds for a change to show; a rebuild of the fixture tree takes well under one


class Served:
    def __init__(self, data: Path, url: str, process: subprocess.Popen) -> None:
        self.data, self.url, self.process = data, url, process

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10)

    def h1(self, path: str) -> str:
        return " ".join(Doc.parse(self.get(path).text).one("h1").text.split())

    def banner(self, path: str) -> list[str]:
        doc = Doc.parse(self.get(path).text)
        return [
            " ".join(li.text.split())
            for section in doc.all("section", class_="build-problems")
            for li in doc.inside(section, "li")
        ]

    def until(self, probe: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT
        while not probe():
            assert self.process.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, "the change did not show in time"
            time.sleep(0.1)


def _serve(tmp_path: Path) -> Iterator[Served]:
    data = tmp_path / "data" / "taxonomy"
    if not data.exists():
        shutil.copytree(GOOD, data)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REWARD_ATLAS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--reload", str(data)]
        + ["--db", str(tmp_path / "atlas.db"), "--port", str(port)],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    site = Served(data, f"http://127.0.0.1:{port}", process)

    def up() -> bool:
        try:
            return site.get("/api/v1/meta").status_code == 200
        except httpx.TransportError:
            return False

    try:
        site.until(up)
        yield site
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[Served]:
    yield from _serve(tmp_path)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_an_edit_shows_on_the_running_site(served: Served):
    page = f"/papers/{DPO}"
    assert served.h1(page).startswith("Direct Preference Optimization")
    _edit(
        served.data / "papers" / f"{DPO}.yaml",
        "title: 'Direct Preference Optimization:",
        "title: 'Direct Preference Optimisation:",
    )
    served.until(lambda: served.h1(page).startswith("Direct Preference Optimisation"))
    assert (
        served.get(f"/api/v1/papers/{DPO}")
        .json()["title"]
        .startswith("Direct Preference Optimisation")
    )
    assert served.get("/api/v1/meta").json()["build_problems"] == []


def test_a_new_file_is_served_without_a_restart(served: Served):
    assert served.get("/papers/rafailov2024-dpo-copy").status_code == 404
    text = (served.data / "papers" / f"{DPO}.yaml").read_text()
    text = text.replace(f"id: {DPO}", "id: rafailov2024-dpo-copy")
    text = text.replace("arxiv: '2305.18290'", "arxiv: '2305.18291'")
    text = text.replace(
        "url: https://arxiv.org/abs/2305.18290", "url: https://arxiv.org/abs/2305.18291"
    )
    text = text.replace("title: 'Direct Preference Optimization:", "title: 'A Copy of DPO:")
    text = text.replace("losses: [dpo]", "losses: []")
    text = text.replace("doi: 10.48550/arXiv.2305.18290", "doi: 10.48550/arXiv.2305.18291")
    (served.data / "papers" / "rafailov2024-dpo-copy.yaml").write_text(text)
    served.until(lambda: served.get("/papers/rafailov2024-dpo-copy").status_code == 200)
    assert served.h1("/papers/rafailov2024-dpo-copy").startswith("A Copy of DPO")


def test_a_broken_edit_keeps_the_old_page_and_reports_the_problem(served: Served):
    page = f"/papers/{DPO}"
    before = served.h1(page)
    path = served.data / "papers" / f"{DPO}.yaml"
    good = path.read_text()
    _edit(path, "feedback-source: [human-feedback]", "feedback-source: [human-judge]")

    def reported() -> bool:
        return bool(served.get("/api/v1/meta").json()["build_problems"])

    served.until(reported)
    (problem,) = served.get("/api/v1/meta").json()["build_problems"]
    assert problem.startswith(f"data/taxonomy/papers/{DPO}.yaml:")
    assert (
        "unknown category 'human-judge'" in problem and "did you mean 'human-feedback'" in problem
    )
    assert served.h1(page) == before  # the last good data is still served
    assert served.banner(page) == [problem]
    assert served.banner("/") == [problem]
    path.write_text(good)  # fixing the file clears the banner
    served.until(lambda: not reported())
    assert served.banner(page) == []


def test_a_tree_broken_while_stopped_serves_the_last_build_with_the_banner(tmp_path: Path):
    """Stop the server with a broken edit in the tree; start it again: it still serves."""
    with contextlib.contextmanager(_serve)(tmp_path) as first:
        _edit(
            first.data / "papers" / f"{DPO}.yaml",
            "feedback-source: [human-feedback]",
            "feedback-source: [human-judge]",
        )
        first.until(lambda: bool(first.get("/api/v1/meta").json()["build_problems"]))
    with contextlib.contextmanager(_serve)(tmp_path) as second:
        (problem,) = second.get("/api/v1/meta").json()["build_problems"]
        assert "unknown category 'human-judge'" in problem
        assert second.h1(f"/papers/{DPO}").startswith("Direct Preference Optimization")
        assert second.banner("/") == [problem]
