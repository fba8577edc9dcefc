"""The exported static site in real Chromium, served by ``python -m http.server`` under the
sub-path ``/atlas/``: the main flows work with no console errors and no outside requests.

Pages here get no Content-Security-Policy added (unlike the app's pages in conftest): a static
host sends none, and Pagefind's search runs WebAssembly, which the app's strict policy forbids.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import LOCAL_HOSTS, Watch, _close

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def static_site(exported_site: Path) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=exported_site.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("http.server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/{exported_site.name}/"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture()
def static_page(browser, watch: Watch):
    context = browser.new_context(viewport={"width": 1280, "height": 860})

    def guard(route, request) -> None:
        watch.requests.append(request.url)
        if urlsplit(request.url).hostname not in LOCAL_HOSTS:
            watch.outside.append(request.url)
            route.abort()
            return
        route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and watch.errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda exc: watch.errors.append(f"pageerror: {exc}"))
    page.on(
        "response", lambda r: r.status >= 400 and watch.errors.append(f"HTTP {r.status}: {r.url}")
    )
    page.set_default_timeout(10_000)
    yield page
    _close(context)


def assert_clean(watch: Watch, base: str) -> None:
    assert watch.errors == []
    assert watch.outside == []
    assert watch.requests and all(r.startswith(base) for r in watch.requests)


def test_overview_to_category_to_paper_to_its_lineage(static_page, watch, static_site):
    page = static_page
    page.goto(static_site)
    page.locator("main a[href$='categories/rl-free/index.html']").first.click()
    page.wait_for_url("**/atlas/categories/rl-free/index.html")
    assert page.locator("h1").first.inner_text().strip()
    page.locator("main a[href$='papers/rafailov2023-dpo/index.html']").first.click()
    page.wait_for_url("**/atlas/papers/rafailov2023-dpo/index.html")
    assert "Direct Preference Optimization" in page.locator("h1").inner_text()
    page.locator(".lineage a[href$='ouyang2022-instructgpt/index.html']").first.click()
    page.wait_for_url("**/atlas/papers/ouyang2022-instructgpt/index.html")
    assert "instructions" in page.locator("h1").inner_text()
    assert page.locator("link[rel=stylesheet]").count() >= 1
    assert page.evaluate("getComputedStyle(document.body).margin") is not None
    assert_clean(watch, static_site)


def test_search_from_the_header_finds_a_paper_by_its_author(static_page, watch, static_site):
    page = static_page
    page.goto(static_site + "taxonomy/index.html")
    page.fill("#site-search-q", "Rafailov")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/atlas/search/index.html?q=Rafailov")
    result = page.locator("#static-search a[href*='papers/rafailov2023-dpo/']").first
    result.wait_for(timeout=30_000)  # Pagefind loads its WebAssembly first
    result.click()
    page.wait_for_url("**/atlas/papers/rafailov2023-dpo/index.html")
    assert_clean(watch, static_site)


def test_matrix_cell_opens_its_papers(static_page, watch, static_site):
    page = static_page
    page.goto(static_site + "matrix/index.html")
    cell = page.locator("td a").first
    count = int(cell.inner_text())
    cell.click()
    page.wait_for_url("**/atlas/papers/*/index.html")
    assert page.locator(".result-count strong").inner_text() == str(count)
    assert page.locator("main .paper-item, main li.paper").count() >= 1 or count == 0
    assert_clean(watch, static_site)


def test_matrix_picker_goes_to_the_exported_pair(static_page, watch, static_site):
    page = static_page
    page.goto(static_site + "matrix/index.html")
    form = page.locator("form.form-row")
    form.locator("select[name=rows]").select_option("format")
    form.locator("select[name=cols]").select_option("granularity")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/atlas/matrix/cols=granularity&rows=format/index.html")
    assert_clean(watch, static_site)


def test_loss_form_is_switched_off_and_says_where_the_live_lab_is(static_page, watch, static_site):
    page = static_page
    page.goto(static_site + "losses/dpo/index.html")
    assert page.locator("form.loss-form button[type=submit]").is_disabled()
    assert "needs the server" in page.locator("form.loss-form .static-note").inner_text()
    assert page.locator("#result").inner_text().strip()  # the preset's result, precomputed
    assert_clean(watch, static_site)
