"""Pages of the real atlas (data/taxonomy) in Chromium: the most-built-on papers stay readable."""

from __future__ import annotations

import pytest

from app.build import build
from app.config import Settings
from tests.conftest import REPO, LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    data = REPO / "data" / "taxonomy"
    db = tmp_path_factory.mktemp("real-browser") / "atlas.db"
    build(data, db)
    with LiveServer(Settings(data_dir=data, db=db)) as server:
        yield server


@pytest.mark.parametrize(
    "paper_id", ["rafailov2023-dpo", "ouyang2022-instructgpt", "shao2024-deepseekmath"]
)
def test_a_much_built_on_paper_page_stays_short(page, watch, real_server, paper_id):
    """The DPO page was 8,700 px tall: its lineage now groups direct relations by type, shows
    a few per group and folds the rest behind a count."""
    page.goto(f"{real_server.url}/papers/{paper_id}")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3000, height
    assert page.locator("details.more summary").count() >= 1
    assert not watch.errors, watch.errors


def test_a_folded_group_opens_on_click(page, watch, real_server):
    page.goto(f"{real_server.url}/papers/rafailov2023-dpo")
    hidden = page.locator("details.more").first
    assert not hidden.evaluate("d => d.open")
    hidden.locator("summary").click()
    assert hidden.evaluate("d => d.open")
    assert hidden.locator("li").count() >= 1
    assert not watch.errors, watch.errors
