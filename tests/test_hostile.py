"""Hostile entry text (issue 9): unsafe URLs are refused by the validator; markup in titles,
authors, venues and summaries validates but renders as inert text."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from app.build import build
from app.config import Settings
from app.contract.validate import load_taxonomy
from tests.conftest import FIXTURES, GOOD, LiveServer

HOSTILE_OVERLAY = FIXTURES / "hostile"
HOSTILE_ID = "hostile2025-script-injection"
HOSTILE_TITLE = "<script>alert(1)</script> Reward <img src=x onerror=alert(1)> Hacking"
HOSTILE_PATHS = [
    f"/papers/{HOSTILE_ID}",
    "/papers",
    "/search?q=script",
    "/",
    f"/compare?papers={HOSTILE_ID},rafailov2023-dpo",
    "/categories/robustness",
]
PAPER = Path("papers/rafailov2023-dpo.yaml")


def assemble_hostile(target: Path) -> Path:
    """The good fixture taxonomy with the hostile overlay's files added."""
    shutil.copytree(GOOD, target)
    for path in HOSTILE_OVERLAY.rglob("*.yaml"):
        destination = target / path.relative_to(HOSTILE_OVERLAY)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return target


@pytest.fixture(scope="session")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return assemble_hostile(tmp_path_factory.mktemp("hostile") / "taxonomy")


@pytest.fixture(scope="session")
def hostile_server(hostile_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("hostile-db") / "atlas.db"
    build(hostile_dir, db)
    with LiveServer(Settings(data_dir=hostile_dir, db=db)) as server:
        yield server


# --- the validator ------------------------------------------------------------------------------

UNSAFE_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/x",
    "/relative/path",
    "https://ok.example/ javascript:alert(1)",
]


@pytest.mark.parametrize("field", ["url", "code", "provenance.verified.source"])
@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_validator_refuses_unsafe_urls(tmp_path: Path, field: str, url: str) -> None:
    data = shutil.copytree(GOOD, tmp_path / "taxonomy")
    path = data / PAPER
    text = path.read_text()
    quoted = "'" + url.replace("'", "''") + "'"
    if field == "url":
        text = text.replace("url: https://arxiv.org/abs/2305.18290", f"url: {quoted}", 1)
    elif field == "code":
        text = re.sub(r"(?m)^code: .*$", lambda _: f"code: {quoted}", text, count=1)
    else:
        text = text.replace("    source: https://arxiv.org/abs/2305.18290", f"    source: {quoted}")
    assert quoted in text, "fixture layout changed"
    path.write_text(text)
    _, problems = load_taxonomy(data)
    lines = [p.format(data) for p in problems]
    assert any(
        line.startswith(f"{PAPER.as_posix()}:") and field in line and "http(s) URL" in line
        for line in lines
    ), lines


def test_hostile_fixture_validates(hostile_dir: Path) -> None:
    taxonomy, problems = load_taxonomy(hostile_dir)
    assert problems == []
    assert HOSTILE_ID in {p.id for p in taxonomy.papers}


# --- the pages, over HTTP -----------------------------------------------------------------------


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.imgs: list[str | None] = []
        self.hrefs: list[str] = []
        self.styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts.append(found)
        if tag == "style":
            self.styles += 1
        if tag == "img":
            self.imgs.append(found.get("src"))
        self.handlers += [name for name in found if name.startswith("on")]
        self.hrefs += [v for k, v in attrs if k in ("href", "src", "action") and v]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_text_is_inert_in_html(hostile_server, path: str) -> None:
    response = httpx.get(hostile_server.url + path, timeout=10)
    assert response.status_code == 200
    found = _Elements()
    found.feed(response.text)
    assert found.handlers == []
    assert found.styles == 0
    assert "x" not in found.imgs
    assert all(s.get("src") or s.get("type") == "application/json" for s in found.scripts)
    assert not any(h.strip().lower().startswith(("javascript:", "data:")) for h in found.hrefs)
    if path != "/":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_hostile_paper_json_twin_keeps_the_text(hostile_server) -> None:
    paper = httpx.get(f"{hostile_server.url}/api/v1/papers/{HOSTILE_ID}", timeout=10).json()
    assert paper["title"] == HOSTILE_TITLE
