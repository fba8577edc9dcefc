"""Real headless Chromium (Debian's package, driven by Playwright) against the live test server.

Every page a test opens is watched: console errors, page errors and failed requests are
collected and must stay empty, and any request for a host other than 127.0.0.1 is aborted and
recorded (the tests assert none was made). Responses from the app get a strict
Content-Security-Policy (no ``unsafe-inline``) when the app does not send one itself, so a
stray inline script or style shows up here as a console error.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(
    os.environ.get("REWARD_ATLAS_SCREENSHOTS", REPO / "test-artifacts" / "screenshots")
)
CHROMIUM = os.environ.get("REWARD_ATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
LOCAL_HOSTS = {"127.0.0.1"}
_TOOK_SCREENSHOTS = False  # set when this session (re)created the screenshot folder


@dataclass
class Watch:
    """What one page did that it should not have."""

    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: run `make browser-deps` (installs it with apt)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    global _TOOK_SCREENSHOTS
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    _TOOK_SCREENSHOTS = True
    print(f"\nscreenshots: {SCREENSHOTS}")
    return SCREENSHOTS


def _guard(watch: Watch):
    def handle(route, request) -> None:
        host = urlsplit(request.url).hostname
        watch.requests.append(request.url)
        if host not in LOCAL_HOSTS:
            watch.outside.append(request.url)
            route.abort()
            return
        response = route.fetch()
        headers = dict(response.headers)
        if "content-security-policy" not in {k.lower() for k in headers}:
            headers["content-security-policy"] = STRICT_CSP
        route.fulfill(response=response, headers=headers)

    return handle


@pytest.fixture()
def watch() -> Watch:
    return Watch()


def _page(browser, watch: Watch, **context_args):
    context = browser.new_context(**context_args)
    context.route("**/*", _guard(watch))
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and watch.errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda exc: watch.errors.append(f"pageerror: {exc}"))
    page.on(
        "requestfailed",
        lambda r: (
            urlsplit(r.url).hostname in LOCAL_HOSTS
            # a request the browser cancelled because the page navigated away (the favicon,
            # fetched after the load event, often is) is not a failure of the server
            and r.failure != "net::ERR_ABORTED"
            and watch.errors.append(f"request failed: {r.url} {r.failure}")
        ),
    )
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and not r.request.is_navigation_request()
            and watch.errors.append(f"HTTP {r.status}: {r.url}")
        ),
    )
    page.on("dialog", lambda d: (watch.errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.set_default_timeout(10_000)
    return context, page


def _close(context) -> None:
    # A request still in the guard when the test ends must not fail the teardown.
    context.unroute_all(behavior="ignoreErrors")
    context.close()


@pytest.fixture()
def page(browser, watch: Watch):
    context, page = _page(browser, watch, viewport={"width": 1280, "height": 860})
    yield page
    _close(context)


@pytest.fixture()
def phone(browser, watch: Watch):
    context, page = _page(
        browser,
        watch,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield page
    _close(context)


@pytest.fixture()
def no_js_page(browser, watch: Watch):
    context, page = _page(
        browser, watch, viewport={"width": 1280, "height": 860}, java_script_enabled=False
    )
    yield page
    _close(context)


def pytest_terminal_summary(terminalreporter) -> None:
    shots = sorted(SCREENSHOTS.glob("*.png")) if _TOOK_SCREENSHOTS else []
    if shots:
        terminalreporter.write_line(f"browser screenshots ({len(shots)}): {SCREENSHOTS}")
