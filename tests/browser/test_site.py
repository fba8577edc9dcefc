"""The web explorer in real headless Chromium, on the fixture taxonomy served over 127.0.0.1.

Each test ends by asserting that the pages it opened logged no console error, threw nothing,
made no request outside 127.0.0.1 and opened no dialog (see ``conftest.Watch``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser

MAIN_PAGES = {
    "home": "/",
    "taxonomy": "/taxonomy",
    "dimension": "/dimensions/optimization",
    "category": "/categories/rl-free",
    "papers": "/papers?optimization=rl-free&optimization=rl-based",
    "paper": "/papers/rafailov2023-dpo",
    "matrix": "/matrix?rows=optimization&cols=feedback-source",
    "timeline": "/timeline",
    "graph": "/graph",
    "graph-full": "/graph?view=full",
    "compare": "/compare?papers=rafailov2023-dpo,azar2023-ipo,meng2024-simpo",
    "search": "/search?q=preference",
    "not-found": "/papers/no-such-paper",
}


def assert_clean(watch: Watch) -> None:
    assert watch.errors == [], watch.errors
    assert watch.outside == [], f"requests left 127.0.0.1: {watch.outside}"
    assert watch.requests, "the guard saw no request at all"
    assert all(re.match(r"http://127\.0\.0\.1:\d+/", url) for url in watch.requests)


def shoot(page, folder: Path, name: str, *, full_page: bool = True) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"screenshot: {path}")


def test_home_to_dimension_to_category_to_paper(page, watch, live_server, screenshot_dir):
    page.goto(live_server.url + "/")
    assert page.title() == "Reward design for LLM alignment · Reward Atlas"
    shoot(page, screenshot_dir, "home")

    page.locator("#dim-optimization h3 a").click()
    page.wait_for_url("**/dimensions/optimization")
    assert page.locator("h1").inner_text() == "Optimization paradigm"

    page.locator(".tree a", has_text="RL-free").first.click()
    page.wait_for_url("**/categories/rl-free")
    assert page.locator("h1").inner_text() == "RL-free"
    assert page.locator(".breadcrumbs a", has_text="Optimization paradigm").count() == 1

    page.locator(".papers a", has_text="Direct Preference Optimization").first.click()
    page.wait_for_url("**/papers/rafailov2023-dpo")
    assert page.locator("h1").inner_text().startswith("Direct Preference Optimization")
    assert page.locator("a[href='/losses/dpo']").count() == 1
    assert_clean(watch)


def test_apply_two_facets_then_remove_one(page, watch, live_server, screenshot_dir):
    page.goto(live_server.url + "/papers")
    total = int(page.locator(".result-count strong").inner_text())

    page.locator(".facet--dimension a", has_text="RL-free").first.click()
    page.wait_for_url(re.compile(r"/papers\?optimization=rl-free$"))
    after_one = int(page.locator(".result-count strong").inner_text())
    assert 0 < after_one < total

    page.locator(".facet--year a", has_text="2023").click()
    page.wait_for_url(re.compile(r"/papers\?optimization=rl-free&year=2023$"))
    chips = page.locator("a.chip")
    assert chips.count() == 2
    after_two = int(page.locator(".result-count strong").inner_text())
    assert 0 < after_two <= after_one
    assert page.locator(".paper-item").count() == after_two
    shoot(page, screenshot_dir, "papers-two-facets")

    page.locator("a.chip", has_text="RL-free").click()
    page.wait_for_url(re.compile(r"/papers\?year=2023$"))
    assert page.locator("a.chip").count() == 1
    assert "2023" in page.locator("a.chip").inner_text()
    export = page.locator("a.export-csv").get_attribute("href")
    assert export == "/api/v1/export/csv?year=2023"
    assert_clean(watch)


def test_full_text_box_and_sort_keep_the_filters(page, watch, live_server):
    page.goto(live_server.url + "/papers?optimization=rl-free")
    page.fill("#list-q", "preference")
    page.select_option("#list-sort", "title")
    page.locator(".toolbar button[type=submit]").click()
    page.wait_for_url(re.compile(r"q=preference"))
    assert "optimization=rl-free" in page.url and "_sort=title" in page.url
    titles = page.locator(".paper-item h3 a").all_inner_texts()
    assert titles == sorted(titles, key=str.lower)
    assert_clean(watch)


def test_search_from_the_header(page, watch, live_server, screenshot_dir):
    page.goto(live_server.url + "/taxonomy")
    page.fill("#site-search-q", "preference")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/search?q=preference")
    assert page.locator("mark").count() > 0
    shoot(page, screenshot_dir, "search")
    page.locator(".search-results .paper-item h3 a").first.click()
    page.wait_for_url(re.compile(r"/papers/[a-z0-9-]+$"))
    assert_clean(watch)


def test_graph_search_filter_and_click_a_node(page, watch, live_server, screenshot_dir):
    page.goto(live_server.url + "/graph?view=full")
    page.wait_for_selector("#cy[data-ready=true]")
    shoot(page, screenshot_dir, "graph")

    page.fill("#graph-search", "direct preference")
    page.wait_for_selector("#graph-matches a")
    assert page.locator("#graph-matches a").first.get_attribute("href") == (
        "/papers/rafailov2023-dpo"
    )

    page.select_option("#graph-dimension", "granularity")
    page.wait_for_function(
        "() => window.atlasGraph.getElementById('category:rl-free').style('display') === 'none'"
    )
    assert (
        page.evaluate(
            "() => window.atlasGraph.getElementById('category:token-level').style('display')"
        )
        == "element"
    )

    page.fill("#graph-search", "")
    page.select_option("#graph-dimension", "optimization")
    page.wait_for_function("() => !window.atlasGraph.animated()")
    box = page.locator("#cy").bounding_box()
    point = page.evaluate(
        "() => window.atlasGraph.getElementById('paper:rafailov2023-dpo').renderedPosition()"
    )
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url("**/papers/rafailov2023-dpo")
    assert_clean(watch)


@pytest.mark.parametrize("name", list(MAIN_PAGES))
def test_page_loads_clean(page, watch, live_server, screenshot_dir, name):
    response = page.goto(live_server.url + MAIN_PAGES[name])
    page.wait_for_load_state("networkidle")
    if name.startswith("graph"):
        page.wait_for_selector("#cy[data-ready=true]")
    if name == "not-found":
        assert response.status == 404
        # Chromium logs the 404 of the document itself as a console error: that one is expected.
        watch.errors[:] = [e for e in watch.errors if "404" not in e]
    else:
        assert response.status == 200
    assert page.title().endswith("· Reward Atlas")
    assert page.locator("body").get_attribute("class")
    if name != "not-found":
        assert page.locator("a.json-link").count() == 1
    if name not in ("home", "papers-two-facets", "search", "graph", "graph-full"):
        shoot(page, screenshot_dir, name)
    assert_clean(watch)


@pytest.mark.parametrize("name", ["home", "papers", "paper", "timeline", "matrix", "graph"])
def test_phone_width_has_no_horizontal_scroll(phone, watch, live_server, screenshot_dir, name):
    phone.goto(live_server.url + MAIN_PAGES[name])
    if name == "graph":
        phone.wait_for_selector("#cy[data-ready=true]")
    overflow = phone.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1
    shoot(phone, screenshot_dir, f"phone-{name}", full_page=False)
    assert_clean(watch)


def test_keyboard_skip_link_and_focus_order(page, watch, live_server):
    page.goto(live_server.url + "/papers")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # From the main landmark, Tab reaches the filters, and Enter on a facet link applies it.
    for _ in range(40):
        page.keyboard.press("Tab")
        href = page.evaluate("() => document.activeElement.getAttribute('href') || ''")
        if href.startswith("/papers?"):
            break
    else:
        pytest.fail("no facet link reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/papers\?.+"))
    assert page.locator("a.chip").count() == 1
    assert_clean(watch)


def test_copy_bibtex_button(page, watch, live_server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(live_server.url + "/papers/rafailov2023-dpo")
    button = page.locator("button[data-copy-target=bibtex-text]")
    assert button.is_visible()
    button.click()
    page.wait_for_function("() => document.querySelector('.copy-status').textContent !== ''")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("@") and "rafailov2023direct" in copied
    assert_clean(watch)


def test_taxonomy_and_graph_work_without_javascript(no_js_page, watch, live_server):
    page = no_js_page
    page.goto(live_server.url + "/taxonomy")
    branch = page.locator("#cat-rl-free > details")
    assert branch.get_attribute("open") is not None
    branch.locator("> summary").click()
    assert branch.get_attribute("open") is None
    assert not page.locator("#cat-offline-preference").is_visible()
    branch.locator("> summary").click()
    assert page.locator("#cat-offline-preference").is_visible()

    page.goto(live_server.url + "/graph")
    assert not page.locator("#cy").is_visible()
    assert page.locator(".year-list a[href='/papers/rafailov2023-dpo']").first.is_visible()
    page.fill("#path-from", "ouyang2022-instructgpt")
    page.fill("#path-to", "meng2024-simpo")
    page.locator("#graph-path button[type=submit]").click()
    page.wait_for_url(re.compile(r"from=ouyang2022-instructgpt"))
    page.wait_for_load_state("load")  # leaving while its images load would abort them
    assert page.locator(".path-steps a").all_inner_texts() == [
        "Training language models to follow instructions with human feedback",
        "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
        "SimPO: Simple Preference Optimization with a Reference-Free Reward",
    ]
    page.goto(live_server.url + "/graph?view=full")
    assert not page.locator("#cy").is_visible()
    assert page.locator(".fallback-papers a[href='/papers/rafailov2023-dpo']").first.is_visible()

    page.goto(live_server.url + "/papers")
    page.locator(".facet--year a", has_text="2024").click()
    page.wait_for_url(re.compile(r"year=2024"))
    assert page.locator("a.chip").count() == 1
    assert page.locator("button[data-copy-target]").count() == 0
    assert_clean(watch)


CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text()


@pytest.mark.parametrize(
    "name",
    ["home", "papers", "paper", "matrix", "timeline", "compare", "search", "category", "graph"],
)
def test_text_contrast_meets_wcag_aa(page, watch, live_server, name):
    page.goto(live_server.url + MAIN_PAGES[name])
    page.wait_for_load_state("networkidle")
    assert page.evaluate(CONTRAST_JS) == []
    assert_clean(watch)


def test_guard_refuses_outside_requests(page, watch, live_server):
    """The guard itself works: a request for another host is aborted and recorded."""
    page.goto(live_server.url + "/")
    with pytest.raises(Exception, match="ERR_FAILED"):
        page.goto("http://example.invalid/")
    assert watch.outside == ["http://example.invalid/"]
