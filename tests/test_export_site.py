"""``reward-atlas export-site`` on the fixture taxonomy: every link of the tree resolves to a
file, JSON twins equal the live API's answers, and two exports are byte-identical."""

from __future__ import annotations

import hashlib
import json
import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from app.config import Settings
from app.publish import ExportError, base_path_of, export_site, paths
from app.publish.searchindex import Record, document, synonyms_for
from app.query.textquery import SynonymIndex
from tests.conftest import GOOD


class _Links(HTMLParser):
    """Every URL-valued attribute of a page (independent of app.publish.links)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name in ("href", "src", "action") or name == "data-src"):
                self.urls.append(value)


def _page_links(path: Path) -> list[str]:
    parser = _Links()
    parser.feed(path.read_text())
    return parser.urls


def _target(site: Path, page: Path, url: str) -> Path | None:
    """The file a link on ``page`` opens, or None for a link outside the site."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path:
        return None  # another site, or a fragment / query on the page itself
    assert not parts.path.startswith("/"), f"{page}: root-absolute link {url}"
    rel = posixpath.normpath(
        posixpath.join(page.parent.relative_to(site).as_posix(), unquote(parts.path))
    )
    assert not rel.startswith(".."), f"{page}: {url} leaves the site"
    target = site / rel
    return target / "index.html" if url.endswith("/") else target


def test_every_internal_link_of_the_tree_resolves_to_a_file(exported_site: Path):
    pages = sorted(exported_site.rglob("*.html"))
    assert len(pages) > 100
    broken = []
    for page in pages:
        for url in _page_links(page):
            target = _target(exported_site, page, url)
            if target is not None and not target.is_file():
                broken.append(f"{page.relative_to(exported_site)}: {url}")
    assert broken == []


def test_the_pages_the_issue_names_are_all_there(exported_site: Path):
    manifest = json.loads((exported_site / "manifest.json").read_text())
    urls = set(manifest["urls"].values())
    dims = sorted(p.stem for p in (GOOD / "dimensions").glob("*.yaml"))
    papers = sorted(p.stem for p in (GOOD / "papers").glob("*.yaml"))
    wanted = {"/", "/taxonomy", "/papers", "/graph", "/losses", "/search"}
    wanted |= {f"/dimensions/{d}" for d in dims} | {f"/papers/{p}" for p in papers}
    wanted |= {f"/api/v1/papers/{p}" for p in papers} | {f"/timeline?dimension={d}" for d in dims}
    wanted |= {f"/matrix?rows={a}&cols={b}" for a in dims for b in dims if a != b}
    wanted |= {f"/api/v1/export/{f}" for f in ("bibtex", "csv", "jsonl", "graphml")}
    assert wanted - urls == set()
    assert any(u.startswith("/compare?papers=") for u in urls)
    assert any(u.startswith("/papers?") for u in urls)  # facet pages
    assert any(u.startswith("/api/v1/papers?") for u in urls)  # and their twins
    assert (exported_site / "pagefind" / "pagefind-ui.js").is_file()
    assert manifest["data_version"] and manifest["base_url"] is None
    for name, sha in manifest["files"].items():
        assert hashlib.sha256((exported_site / name).read_bytes()).hexdigest() == sha, name


def test_json_twins_equal_the_live_api(exported_site: Path, client: httpx.Client):
    manifest = json.loads((exported_site / "manifest.json").read_text())
    twins = {
        f: u for f, u in manifest["urls"].items() if f.endswith(".json") and u.startswith("/api/")
    }
    assert len(twins) > 50
    for file, url in sorted(twins.items()):
        live = client.get(url)
        assert live.status_code == 200, url
        assert (exported_site / file).read_bytes() == live.content, url
        assert json.loads(live.content) == json.loads((exported_site / file).read_bytes())


def test_two_exports_are_byte_identical_and_a_third_is_up_to_date(
    exported_site: Path, fixture_db: Path, tmp_path: Path
):
    settings = Settings(data_dir=GOOD, db=fixture_db)
    again = export_site(settings=settings, out=tmp_path / "again")
    assert again.status == "exported"

    def tree(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    first, second = tree(exported_site), tree(tmp_path / "again")
    assert sorted(first) == sorted(second)
    assert [n for n in first if first[n] != second[n]] == []
    third = export_site(settings=settings, out=tmp_path / "again")
    assert (third.status, third.written) == ("up-to-date", 0)


def test_forms_that_need_the_server_point_at_files_and_say_so(exported_site: Path):
    loss = (exported_site / "losses" / "dpo" / "index.html").read_text()
    assert 'name="atlas-static"' in loss and "static/js/static-site.js" in loss
    offline = (exported_site / "static-copy" / "index.html").read_text()
    assert "needs the live server" in offline


@pytest.mark.parametrize(
    ("url", "media", "expected"),
    [
        ("/", "text/html", "index.html"),
        ("/taxonomy", "text/html; charset=utf-8", "taxonomy/index.html"),
        (
            "/papers?venue=ICLR+2024&category=rl-free",
            "text/html",
            "papers/category=rl-free&venue=ICLR~202024/index.html",
        ),
        ("/api/v1/papers/x", "application/json", "api/v1/papers/x.json"),
        ("/api/v1/matrix?rows=a&cols=b", "application/json", "api/v1/matrix/cols=b&rows=a.json"),
        ("/api/v1/export/bibtex", "text/x-bibtex; charset=utf-8", "api/v1/export/bibtex.bib"),
        ("/static/css/site.css", "text/css", "static/css/site.css"),
        ("/papers/../etc", "text/html", None),
    ],
)
def test_file_for_maps_urls_to_tree_paths(url: str, media: str, expected: str | None):
    assert paths.file_for(url, media) == expected


def test_query_order_does_not_matter_and_links_are_relative_or_rooted():
    assert paths.key("/papers?b=2&a=1") == paths.key("/papers?a=1&b=2")
    assert paths.key("/papers?a=1&a=2") != paths.key("/papers?a=2&a=1")
    page = "papers/x/index.html"
    assert (
        paths.link("taxonomy/index.html", page=page, base_path=None) == "../../taxonomy/index.html"
    )
    assert paths.link("taxonomy/index.html", page=page, base_path="/atlas/") == "/atlas/taxonomy/"
    assert (
        paths.link("api/v1/meta.json", page="index.html", base_path=None, fragment="x")
        == "api/v1/meta.json#x"
    )
    assert base_path_of("https://org.github.io/reward-atlas") == "/reward-atlas/"
    with pytest.raises(ExportError):
        base_path_of("ftp://example.org/")


def test_search_records_carry_the_synonyms_their_text_holds():
    index = SynonymIndex.of([["PRM", "process reward model"], ["RLHF", "human feedback"]])
    assert synonyms_for("Trains process reward models", index) == ["prm", "process reward model"]
    assert synonyms_for("nothing relevant", index) == []
    html = document(
        Record("/p/index.html", "Let's Verify <b>", ["PRM800K"], ["process reward model"]), index
    )
    assert "&lt;b&gt;" in html and "PRM800K" in html and ">prm · process reward model<" in html
