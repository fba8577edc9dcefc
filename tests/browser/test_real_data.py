"""Pages of the real atlas (data/taxonomy) in Chromium: the most-built-on papers stay readable."""

from __future__ import annotations

import pytest

from app.build import build
from app.config import Settings
from app.losses.curves import CURVES
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


# --- Search, the compare tray and the compare page ------------------------------------------


def _overflow(page) -> int:
    """How far the page is wider than its viewport (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _search(page, base: str, query: str) -> None:
    box = page.locator("#site-search-q")
    box.fill(query)
    box.press("Enter")
    page.wait_for_url(f"{base}/search?**")


def test_three_methods_picked_from_three_searches_are_compared(page, watch, real_server):
    """A pick survives every new search (it rides in the address), the tray lists the picks in
    order, and the compare page opens on the method rows with the loss overlay."""
    base = real_server.url
    page.goto(f"{base}/")
    for query, paper_id in (
        ("DPO", "rafailov2023-dpo"),
        ("SimPO", "meng2024-simpo"),
        ("KTO", "ethayarajh2024-kto"),
    ):
        _search(page, base, query)
        first = page.locator("ol.search-results > li").first
        assert first.get_attribute("id") == f"paper-{paper_id}", query
        first.locator(".add-compare").click()
        assert first.locator(".add-compare").get_attribute("aria-pressed") == "true"
    tray = page.locator("#compare-tray")
    assert tray.is_visible()
    names = tray.locator(".compare-tray__list li span").all_inner_texts()
    assert names == ["DPO", "SimPO", "KTO"]
    tray.locator(".compare-tray__go").click()
    page.wait_for_url(f"{base}/compare?**")
    heads = page.locator("table.compare thead .compare-name").all_inner_texts()
    assert heads == ["DPO", "SimPO", "KTO"]  # picking order
    first_body_row = page.locator("table.compare tbody").first.locator("tr.method-row").first
    assert first_body_row.locator("th").inner_text() == "Loss in the lab"
    learns = page.locator("tr.method-row", has_text="Learns from").locator("td")
    assert learns.all_inner_texts() == [
        "paired preferences",
        "paired preferences",
        "unpaired good/bad labels",
    ]
    reference = page.locator("tr.method-row", has_text="Frozen reference model").locator("td")
    assert reference.all_inner_texts() == ["yes", "no", "yes"]
    chart = page.locator(".compare-losses svg")
    assert chart.count() == 1
    legend = chart.text_content()
    drawn = [(n, loss) for n, loss in (("DPO", "dpo"), ("SimPO", "simpo"), ("KTO", "kto"))]
    for name, loss in drawn:  # a loss with a margin curve in the lab is drawn, the others not
        assert (f"{name} ({loss})" in legend) == (loss in CURVES), loss
    assert "DPO (dpo)" in legend
    assert not watch.errors, watch.errors


def test_a_pick_can_be_removed_and_the_tray_hides_when_empty(page, watch, real_server):
    base = real_server.url
    page.goto(f"{base}/search?q=DPO")
    button = page.locator('.add-compare[data-pick="rafailov2023-dpo"]').first
    button.click()
    assert "pick=rafailov2023-dpo" in page.url
    page.locator(".compare-tray__remove").click()
    assert page.locator("#compare-tray").is_hidden()
    assert "pick=" not in page.url
    assert button.get_attribute("aria-pressed") == "false"
    assert not watch.errors, watch.errors


@pytest.mark.parametrize(
    "paper_id",
    ["rafailov2023-dpo", "ouyang2022-instructgpt", "schulman2017-ppo", "bai2022-hh-rlhf"],
)
def test_the_compare_link_of_a_much_visited_paper_opens_the_table(
    page, watch, real_server, paper_id
):
    page.goto(f"{real_server.url}/papers/{paper_id}")
    page.get_by_role("link", name="Compare it with its closest relatives side by side").click()
    page.wait_for_url("**/compare?**")
    heads = page.locator("table.compare thead .compare-name")
    assert 2 <= heads.count() <= 6
    assert page.locator("h1").inner_text() == "Compare papers"
    assert not watch.errors, watch.errors


@pytest.mark.parametrize(
    "path",
    [
        "/search?q=process%20reward%20model",
        "/compare?papers=ouyang2022-instructgpt,rafailov2023-dpo,azar2023-ipo,meng2024-simpo,"
        "ethayarajh2024-kto,shao2024-deepseekmath",
        "/papers/rafailov2023-dpo",
    ],
)
def test_search_and_compare_fit_a_phone(phone, watch, real_server, path):
    phone.goto(f"{real_server.url}{path}")
    assert _overflow(phone) <= 0
    picks = phone.locator(".add-compare")
    if picks.count():
        picks.first.click()
        assert phone.locator("#compare-tray").is_visible()
        assert _overflow(phone) <= 0
    assert not watch.errors, watch.errors
