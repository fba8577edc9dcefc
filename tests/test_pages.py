"""HTML pages: every page renders for every dimension, category and paper of the fixture
taxonomy, and every page's context equals its JSON twin.

Parity is checked on the template context itself, not on scraped HTML: the app runs behind a
small ASGI wrapper that turns on Starlette's ``http.response.debug`` extension, so each
``TemplateResponse`` reports its template name and context. A page's context names its twins
(``twins``: context key -> JSON URL); the test fetches each URL from the same app and compares.
Pages link to ``/papers`` where the API links to ``/api/v1/papers``, and the list pages ask for
every facet (the twin URL carries the same ``_facet`` parameters): the comparison maps those link
targets to one form, and treats a null field like a missing one, before comparing.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
import yaml

from app.build import build
from app.config import Settings
from app.main import create_app
from app.web.pages import present

GOOD = Path(__file__).parent / "fixtures" / "good"


def _fixture_ids() -> tuple[list[str], list[str], list[str]]:
    dims, cats = [], []
    for path in sorted((GOOD / "dimensions").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        dims.append(doc["id"])
        cats.extend(c["id"] for c in doc["categories"])
    papers = sorted(p.stem for p in (GOOD / "papers").glob("*.yaml"))
    return dims, cats, papers


DIMENSIONS, CATEGORIES, PAPERS = _fixture_ids()


# --- A client that sees template contexts ------------------------------------------------


class _Capture:
    """ASGI wrapper: asks for Starlette's template debug message and keeps the last one."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last: dict[str, Any] | None = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = {**scope, "extensions": {**scope.get("extensions", {}), "http.response.debug": {}}}

        async def capture(message) -> None:
            if message["type"] == "http.response.debug":
                self.last = message["info"]
                return
            await send(message)

        self.last = None
        await self.app(scope, receive, capture)


@dataclass
class Page:
    status: int
    text: str
    headers: httpx.Headers
    template: str | None
    context: dict[str, Any]

    @property
    def html(self) -> Doc:
        return Doc.parse(self.text)


class Site:
    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.capture = _Capture(self.app)
        self.loop = asyncio.new_event_loop()
        self.lifespan = self.app.router.lifespan_context(self.app)
        self.loop.run_until_complete(self.lifespan.__aenter__())
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.capture), base_url="http://127.0.0.1"
        )

    def get(self, path: str) -> Page:
        response = self.loop.run_until_complete(
            self.client.get(path, headers={"accept": "text/html"})
        )
        info = self.capture.last or {}
        template = info.get("template")
        return Page(
            response.status_code,
            response.text,
            response.headers,
            getattr(template, "name", None),
            info.get("context") or {},
        )

    def json(self, path: str) -> Any:
        response = self.loop.run_until_complete(self.client.get(path))
        assert response.status_code == 200, (path, response.text[:300])
        return response.json()

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.run_until_complete(self.lifespan.__aexit__(None, None, None))
        self.loop.close()


@pytest.fixture(scope="module")
def site(settings: Settings) -> Iterator[Site]:
    s = Site(settings)
    yield s
    s.close()


# --- A tiny HTML reader (stdlib only) ------------------------------------------------------


@dataclass(eq=False)
class El:
    tag: str
    attrs: dict[str, str]
    ancestors: list[El]
    text: str = ""

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()


class Doc(HTMLParser):
    """Every element with its attributes and its own text, in document order."""

    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[El] = []
        self.open: list[El] = []

    @classmethod
    def parse(cls, text: str) -> Doc:
        doc = cls()
        doc.feed(text)
        doc.close()
        return doc

    def handle_starttag(self, tag, attrs) -> None:
        el = El(tag, {k: v or "" for k, v in attrs}, list(self.open))
        self.elements.append(el)
        if tag not in self.VOID:
            self.open.append(el)

    def handle_endtag(self, tag) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i].tag == tag:
                del self.open[i:]
                break

    def handle_data(self, data) -> None:
        for el in self.open:
            el.text += data

    def all(self, tag: str, **attrs: str) -> list[El]:
        """Elements by tag and attributes (``class_`` matches one class, ``data_x`` data-x)."""

        def match(e: El, key: str, value: str) -> bool:
            if key == "class_":
                return e.has_class(value)
            return e.attrs.get(key.rstrip("_").replace("_", "-")) == value

        return [
            e
            for e in self.elements
            if e.tag == tag and all(match(e, k, v) for k, v in attrs.items())
        ]

    def one(self, tag: str, **attrs: str) -> El:
        found = self.all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def inside(self, container: El, tag: str) -> list[El]:
        return [e for e in self.elements if e.tag == tag and container in e.ancestors]

    def hrefs(self) -> list[str]:
        return [e.attrs.get("href", "") for e in self.all("a")]

    def h1(self) -> str:
        return " ".join(self.one("h1").text.split())


# --- Parity ---------------------------------------------------------------------------------

_LINK_KEYS = {"toggle_url", "remove_url", "next_url"}


def _link(url: str) -> str:
    """One form for list links: ``/papers`` base, no ``_facet`` pairs."""
    parts = urlsplit(url)
    path = parts.path.removeprefix("/api/v1")
    # The search page pages through the paper list under its own path.
    path = "/papers" if path == "/search" else path
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "_facet"]
    return f"{path}?{urlencode(pairs)}" if pairs else path


def _normal(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        # The API's response models write optional fields as null where a query function may
        # leave them out (e.g. ``parent`` on a year facet value): both say "no value".
        return {k: _normal(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if key in _LINK_KEYS and isinstance(value, str):
        return _link(value)
    return value


PARITY_PAGES = [
    "/",
    "/taxonomy",
    "/papers",
    "/papers?optimization=rl-free&year=2023",
    "/papers?q=preference&_sort=relevance",
    "/papers?_size=3",
    "/papers?category=implicit",
    "/matrix",
    "/matrix?rows=granularity&cols=expression",
    "/timeline",
    "/timeline?dimension=feedback-source",
    "/graph",
    "/graph?view=full",
    "/graph?paper=rafailov2023-dpo&depth=2",
    "/graph?category=rl-free",
    "/graph?from=ouyang2022-instructgpt&to=meng2024-simpo",
    "/graph?from=zheng2023-llm-as-judge&to=schulman2017-ppo&through=all",
    "/compare?papers=rafailov2023-dpo,azar2023-ipo,meng2024-simpo",
    "/search?q=reward",
    *[f"/dimensions/{d}" for d in DIMENSIONS],
    *[f"/categories/{c}" for c in CATEGORIES],
    *[f"/papers/{p}" for p in PAPERS],
]


@pytest.mark.parametrize("path", PARITY_PAGES)
def test_page_context_equals_its_json_twin(site: Site, path: str) -> None:
    page = site.get(path)
    assert page.status == 200, page.text[:500]
    twins = page.context["twins"]
    assert twins, "every page with data names its JSON twin"
    assert page.context["json_url"] == next(iter(twins.values()))
    for key, url in twins.items():
        mine = json.loads(json.dumps(page.context[key]))
        assert _normal(mine) == _normal(site.json(url)), f"{path}: {key} differs from {url}"


def test_next_page_link_keeps_parity(site: Site) -> None:
    first = site.get("/papers?_size=4")
    next_url = first.context["listing"]["next_url"]
    assert next_url and next_url.startswith("/papers?")
    second = site.get(next_url)
    assert second.status == 200
    assert second.context["listing"]["rows"][0]["id"] not in {
        r["id"] for r in first.context["listing"]["rows"]
    }
    twin = site.json(second.context["json_url"])
    assert _normal(json.loads(json.dumps(second.context["listing"]))) == _normal(twin)


# --- Every page renders, with a title, a body class and a JSON link ----------------------

PAGES = {
    "/": "index.html",
    "/taxonomy": "taxonomy.html",
    "/papers": "papers.html",
    "/matrix": "matrix.html",
    "/timeline": "timeline.html",
    "/graph": "graph.html",
    "/compare?papers=rafailov2023-dpo,azar2023-ipo": "compare.html",
    "/search?q=reward": "search.html",
    **{f"/dimensions/{d}": "dimension.html" for d in DIMENSIONS},
    **{f"/categories/{c}": "category.html" for c in CATEGORIES},
    **{f"/papers/{p}": "paper.html" for p in PAPERS},
}


@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders_with_title_body_class_and_json_link(site: Site, path: str) -> None:
    page = site.get(path)
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.template == PAGES[path]
    doc = page.html
    title = " ".join(doc.all("title")[0].text.split())
    assert title.endswith("· Reward Atlas") and len(title) > len("· Reward Atlas")
    assert doc.one("body").attrs["class"].strip()
    assert page.context["json_url"] in doc.hrefs()
    assert doc.one("link", rel="alternate").attrs["href"] == page.context["json_url"]
    assert doc.h1()


@pytest.mark.parametrize("path", list(PAGES) + ["/compare", "/search", "/nope"])
def test_page_has_no_inline_script_or_style(site: Site, path: str) -> None:
    """The Content-Security-Policy forbids inline code: scripts come from files (JSON data
    blocks are not executed), and no element carries a style= or on*= attribute."""
    doc = site.get(path).html
    for script in doc.all("script"):
        assert script.attrs.get("src") or script.attrs.get("type") == "application/json"
        if script.attrs.get("src"):
            assert not script.text.strip()
    assert not doc.all("style")
    for el in doc.elements:
        assert "style" not in el.attrs, el
        assert not any(name.startswith("on") for name in el.attrs), el


@pytest.mark.parametrize("dimension_id", DIMENSIONS)
def test_dimension_page_shows_its_tree_and_papers(site: Site, dimension_id: str) -> None:
    page = site.get(f"/dimensions/{dimension_id}")
    data = page.context["dimension"]
    doc = page.html
    assert doc.h1() == data["name"]
    hrefs = doc.hrefs()
    for cat in data["categories"]:
        assert f"/categories/{cat['id']}" in hrefs
    assert page.context["listing"]["count"] == data["count"]
    assert len(doc.all("li", class_="paper-item")) == len(page.context["listing"]["rows"])


@pytest.mark.parametrize("category_id", CATEGORIES)
def test_category_page_shows_breadcrumbs_children_and_papers(site: Site, category_id: str):
    page = site.get(f"/categories/{category_id}")
    data = page.context["category"]
    doc = page.html
    assert doc.h1() == data["name"]
    nav = next(e for e in doc.all("nav") if e.has_class("breadcrumbs"))
    crumbs = [a.attrs["href"] for a in doc.inside(nav, "a")]
    assert crumbs == ["/", "/taxonomy", f"/dimensions/{data['dimension']['id']}"] + [
        f"/categories/{b['id']}" for b in data["breadcrumbs"]
    ]
    hrefs = doc.hrefs()
    for child in data["children"]:
        assert f"/categories/{child['id']}" in hrefs
    for paper in data["papers"]:
        assert f"/papers/{paper['id']}" in hrefs
    assert len(data["papers"]) == data["count"]


@pytest.mark.parametrize("paper_id", PAPERS)
def test_paper_page_shows_metadata_placements_lineage_and_bibtex(site: Site, paper_id: str):
    page = site.get(f"/papers/{paper_id}")
    data = page.context["paper"]
    doc = page.html
    assert doc.h1() == " ".join(data["title"].split())
    hrefs = doc.hrefs()
    for group in data["classification"]:
        assert f"/dimensions/{group['dimension']['id']}" in hrefs
        for cat in group["categories"]:
            assert f"/categories/{cat['id']}" in hrefs
    for side in ("ancestors", "descendants"):
        for other in data["lineage"][side]:
            assert f"/papers/{other['id']}" in hrefs
    for loss in data["losses"]:
        assert f"/losses/{loss}" in hrefs
    if data["arxiv"]:
        assert f"https://arxiv.org/abs/{data['arxiv']}" in hrefs
    bib = doc.one("pre", id="bibtex-text")
    assert bib.text.strip() == data["bibtex"].strip()
    assert doc.one("button", data_copy_target="bibtex-text")


# --- Lists, facets and exports --------------------------------------------------------------


def test_papers_list_shows_all_facets_with_toggle_links(site: Site) -> None:
    page = site.get("/papers")
    facets = page.context["listing"]["facets"]
    assert set(DIMENSIONS) | {"year", "kind", "status", "venue"} == set(facets)
    hrefs = page.html.hrefs()
    assert "/papers?optimization=rl-free" in hrefs
    assert "/papers?year=2023" in hrefs


def test_two_facets_show_as_removable_chips(site: Site) -> None:
    page = site.get("/papers?optimization=rl-free&year=2023")
    doc = page.html
    chips = doc.all("a", class_="chip")
    assert [c.attrs["href"] for c in chips] == ["/papers?year=2023", "/papers?optimization=rl-free"]
    assert page.context["listing"]["count"] == len(doc.all("li", class_="paper-item"))
    assert all(r["year"] == 2023 for r in page.context["listing"]["rows"])


def test_export_links_carry_the_same_query(site: Site) -> None:
    doc = site.get("/papers?optimization=rl-free&year=2023&_sort=title&_size=2").html
    bib = doc.one("a", class_="export-bibtex").attrs["href"]
    csv = doc.one("a", class_="export-csv").attrs["href"]
    expected = "?optimization=rl-free&year=2023&_sort=title"
    assert bib == f"/api/v1/export/bibtex{expected}"
    assert csv == f"/api/v1/export/csv{expected}"


def test_list_form_keeps_filters_as_hidden_fields(site: Site) -> None:
    doc = site.get("/papers?optimization=rl-free&q=preference").html
    hidden = [(e.attrs["name"], e.attrs["value"]) for e in doc.all("input", type="hidden")]
    assert hidden == [("optimization", "rl-free")]
    assert doc.one("input", id="list-q").attrs["value"] == "preference"


def test_unknown_filter_is_a_400_page(site: Site) -> None:
    page = site.get("/papers?colour=blue")
    assert page.status == 400
    assert page.template == "error.html"
    assert "colour" in page.text


# --- Redirects and errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "alias",
    [
        "/papers/arxiv:2305.18290",
        "/papers/arxiv:2305.18290v2",
        "/papers/doi:10.48550/arXiv.2305.18290",
        "/papers/doi:10.48550/ARXIV.2305.18290",
    ],
)
def test_external_id_redirects_to_the_paper_page(site: Site, alias: str) -> None:
    page = site.get(alias)
    assert page.status == 301
    assert page.headers["location"] == "/papers/rafailov2023-dpo"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/nothing-here", 404),
        ("/papers/no-such-paper", 404),
        ("/categories/no-such", 404),
        ("/dimensions/no-such", 404),
        ("/papers/arxiv:9999.99999", 404),
        ("/matrix?rows=no-such", 404),
        ("/timeline?dimension=no-such", 404),
        ("/compare?papers=rafailov2023-dpo,no-such", 404),
        ("/papers?year=twenty", 400),
    ],
)
def test_errors_render_the_site_error_page(site: Site, path: str, status: int) -> None:
    page = site.get(path)
    assert page.status == status
    assert page.template == "error.html"
    doc = page.html
    assert "error-page" in doc.one("body").attrs["class"]
    assert "/" in doc.hrefs() and "/search" in [f.attrs.get("action") for f in doc.all("form")]


def test_forms_without_input_render_without_twin(site: Site) -> None:
    for path in ("/compare", "/search", "/search?q=%20"):
        page = site.get(path)
        assert page.status == 200
        assert page.context["twins"] == {}


# --- Matrix, timeline, graph, compare, search ------------------------------------------------


def test_matrix_marks_gaps_and_links_cells_to_the_list(site: Site) -> None:
    page = site.get("/matrix?rows=optimization&cols=granularity")
    doc = page.html
    gaps = [td for td in doc.all("td") if td.attrs.get("class") == "l0"]
    assert len(gaps) == page.context["matrix"]["empty"] > 0
    links = [h for h in doc.hrefs() if h.startswith("/papers?optimization=")]
    # the list a cell opens counts what the cell counts: surveys are left out of both
    assert "/papers?optimization=rl-free&granularity=response-level&kind__not=survey" in links
    # a gap links to the (empty) list of its row and column too
    for td in gaps:
        (link,) = doc.inside(td, "a")
        row, col = td.attrs["id"].removeprefix("cell--").split("--")
        assert link.attrs["href"] == (
            f"/papers?optimization={row}&granularity={col}&kind__not=survey"
        )


def test_the_list_a_matrix_cell_opens_links_back_to_that_cell(site: Site) -> None:
    doc = site.get("/matrix?rows=optimization&cols=granularity").html
    gap = next(td for td in doc.all("td") if td.attrs.get("class") == "l0")
    (link,) = doc.inside(gap, "a")
    listing = site.get(link.attrs["href"])
    assert listing.status == 200 and listing.context["listing"]["count"] == 0
    back = listing.context["matrix_link"]["url"]
    assert back == f"/matrix?rows=optimization&cols=granularity#{gap.attrs['id']}"
    assert back in listing.html.hrefs()
    assert site.get("/papers?optimization=rl-free").context["matrix_link"] is None


def test_matrix_row_headers_carry_their_depth(site: Site) -> None:
    page = site.get("/matrix?rows=granularity&cols=optimization")
    rows = page.context["matrix"]["rows"]["categories"]
    heads = page.html.all("th", scope="row")
    assert [h.attrs["class"] for h in heads] == [f"depth-{r['depth']}" for r in rows]
    assert {r["depth"] for r in rows} >= {0, 1, 2}


def test_timeline_draws_an_svg_chart_and_a_table(site: Site) -> None:
    page = site.get("/timeline")
    doc = page.html
    data = page.context["timeline"]
    assert doc.all("svg") and doc.all("rect", class_="s0")
    top = [s for s in data["series"] if s["category"]["depth"] == 0]
    assert [s["category"]["id"] for s in top] == ["rl-based", "rl-free", "in-context"]
    drawn = sum(1 for e in doc.elements if e.tag == "rect" and "bar" in e.attrs.get("class", ""))
    assert drawn == sum(1 for s in top for n in s["counts"] if n)
    headers = [" ".join(th.text.split()) for th in doc.all("th", scope="col")]
    assert [str(y) for y in data["years"]] == headers[1 : 1 + len(data["years"])]


def test_full_graph_page_loads_its_twin_and_lists_every_paper(site: Site) -> None:
    page = site.get("/graph?view=full")
    doc = page.html
    assert doc.one("div", id="cy").attrs["data-src"] == page.context["json_url"] == "/api/v1/graph"
    hrefs = doc.hrefs()
    for paper in PAPERS:
        assert f"/papers/{paper}" in hrefs
    srcs = [s.attrs.get("src", "") for s in doc.all("script")]
    assert "/static/vendor/cytoscape/cytoscape.min.js" in srcs
    assert "/graph" in hrefs  # back to the lineage view


def test_graph_opens_on_a_lineage_neighbourhood_listed_oldest_first(site: Site) -> None:
    page = site.get("/graph")
    doc = page.html
    cy = doc.one("div", id="cy")
    assert cy.attrs["data-view"] == "lineage"
    assert cy.attrs["data-src"] == page.context["json_url"]
    assert page.context["json_url"] == (
        "/api/v1/graph?root=paper%3Aouyang2022-instructgpt&depth=1&edges=lineage"
    )
    years = [p["year"] for p in page.context["years"]]
    assert years == sorted(years) and len(years) == len(page.context["graph"]["nodes"])
    srcs = [s.attrs.get("src", "") for s in doc.all("script")]
    assert "/static/vendor/cytoscape-dagre/cytoscape-dagre.min.js" in srcs
    assert "/graph?view=full" in doc.hrefs()


def test_graph_path_is_listed_as_named_steps_without_javascript(site: Site) -> None:
    page = site.get("/graph?from=ouyang2022-instructgpt&to=meng2024-simpo")
    assert page.context["twins"]["path"] == (
        "/api/v1/graph/path?from=ouyang2022-instructgpt&to=meng2024-simpo&edges=lineage"
    )
    doc = page.html
    steps = doc.inside(doc.one("ol", class_="path-steps"), "a")
    assert [a.attrs["href"] for a in steps] == [
        "/papers/ouyang2022-instructgpt",
        "/papers/rafailov2023-dpo",
        "/papers/meng2024-simpo",
    ]
    assert [s["relation"] for s in page.context["steps"]] == [
        None,
        "extended by",
        "has the variant",
    ]


def test_graph_path_naming_no_paper_says_so_by_the_box(site: Site) -> None:
    page = site.get("/graph?from=ouyang2022-instructgpt&to=no-such-paper")
    assert page.status == 404
    assert "no paper called 'no-such-paper'" in page.html.one("p", role="alert").text
    assert "path" not in page.context["twins"]


@pytest.mark.parametrize(
    ("query", "status"),
    [("view=circle", 400), ("depth=9", 400), ("paper=nope", 404), ("category=nope", 404)],
)
def test_graph_page_refuses_bad_scopes(site: Site, query: str, status: int) -> None:
    assert site.get(f"/graph?{query}").status == status


def test_compare_table_has_one_column_per_paper(site: Site) -> None:
    ids = ["rafailov2023-dpo", "azar2023-ipo", "meng2024-simpo"]
    page = site.get("/compare?papers=" + ",".join(ids))
    doc = page.html
    heads = doc.all("th", scope="col")
    assert len(heads) == 1 + len(ids)
    assert page.context["remove_urls"][0] == "/compare?papers=azar2023-ipo,meng2024-simpo"


def test_compare_accepts_the_checkbox_form(site: Site) -> None:
    page = site.get("/compare?papers=rafailov2023-dpo&papers=azar2023-ipo")
    assert page.status == 200
    assert page.context["json_url"] == "/api/v1/compare?papers=rafailov2023-dpo%2Cazar2023-ipo"


def test_search_marks_hits(site: Site) -> None:
    doc = site.get("/search?q=preference").html
    marks = [" ".join(m.text.split()).lower() for m in doc.all("mark")]
    assert marks and all(m.startswith("prefer") for m in marks)  # stems match too


# --- Hostile text stays text ----------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("hostile") / "taxonomy"
    shutil.copytree(GOOD, data)
    path = data / "papers" / "rafailov2023-dpo.yaml"
    text = path.read_text()
    text = re.sub(r"(?m)^title: .*$", "title: " + json.dumps(f"DPO {HOSTILE}"), text)
    text = re.sub(
        r"(?m)^summary: >-\n(?:  .*\n)+",
        "summary: "
        + json.dumps(f"A summary with {HOSTILE}, **markdown** and [a link](javascript:alert(1)).")
        + "\n",
        text,
    )
    text = text.replace("  - Rafael Rafailov", "  - " + json.dumps(f"Rafael {HOSTILE}"))
    path.write_text(text)
    db = data.parent / "atlas.db"
    build(data, db)
    s = Site(Settings(data_dir=data, db=db))
    yield s
    s.close()


@pytest.mark.parametrize(
    "path",
    [
        "/papers/rafailov2023-dpo",
        "/papers",
        "/",
        "/search?q=alert",
        "/graph",
        "/categories/offline-preference",
        "/compare?papers=rafailov2023-dpo,azar2023-ipo",
    ],
)
def test_hostile_text_renders_inert(hostile_site: Site, path: str) -> None:
    page = hostile_site.get(path)
    assert page.status == 200
    doc = page.html
    for script in doc.all("script"):
        assert (
            script.attrs.get("src", "").startswith("/static/")
            or script.attrs.get("type") == "application/json"
        )
    assert not doc.all("img", src="x")
    assert not any(name.startswith("on") for e in doc.elements for name in e.attrs)
    assert not any(h.startswith("javascript:") for h in doc.hrefs())


def test_hostile_title_shows_as_text(hostile_site: Site) -> None:
    doc = hostile_site.get("/papers/rafailov2023-dpo").html
    assert doc.h1() == f"DPO {HOSTILE}"
    assert HOSTILE in doc.one("p", class_="authors").text


# --- Presentation helpers -------------------------------------------------------------------


def test_timeline_chart_stacks_top_level_series() -> None:
    data = {
        "dimension": {"id": "d", "name": "D"},
        "years": [2020, 2021, 2022],
        "totals": [1, 0, 4],
        "series": [
            {"category": {"id": "a", "name": "A", "depth": 0}, "counts": [1, 0, 3]},
            {"category": {"id": "a1", "name": "A1", "depth": 1}, "counts": [1, 0, 2]},
            {"category": {"id": "b", "name": "B", "depth": 0}, "counts": [0, 0, 2]},
        ],
    }
    chart = present.timeline_chart(data)
    assert [s["id"] for s in chart["series"]] == ["a", "b"]
    assert [b["total"] for b in chart["bars"]] == [1, 0, 5]
    top, bottom = chart["bars"][2]["segments"][1], chart["bars"][2]["segments"][0]
    assert top["y"] + top["h"] == pytest.approx(bottom["y"])
    assert bottom["y"] + bottom["h"] == pytest.approx(chart["baseline"])
    assert [t["label"] for t in chart["ticks"]] == ["0", "2", "4", "6"]
    shares = present.timeline_shares(data)
    assert shares[0]["shares"] == [100, None, 75]


def test_heat_levels_mark_empty_cells_and_scale_to_the_fullest() -> None:
    axis = {"dimension": {"id": "r"}, "categories": [{"id": "x"}, {"id": "y"}]}
    cols = {"dimension": {"id": "c"}, "categories": [{"id": "p"}, {"id": "q"}]}
    cells = [[{"count": 0}, {"count": 1}], [{"count": 4}, {"count": 2}]]
    heat = present.heat_levels({"rows": axis, "cols": cols, "cells": cells})
    assert [[c["level"] for c in line] for line in heat] == [[0, 2], [5, 3]]
    assert heat[1][0]["url"] == "/papers?r=y&c=p"


def test_taxonomy_and_category_pages_show_the_ids_contributors_type(site: Site) -> None:
    ids = {c.text for c in site.get("/taxonomy").html.all("code", class_="cat-id")}
    assert {"token-level", "response-level", "implicit"} <= ids
    page = site.get("/categories/token-level").html
    assert [c.text for c in page.all("code") if c.attrs.get("id") == "category-id"] == [
        "token-level"
    ]


@pytest.mark.parametrize(
    "ref",
    ["arXiv:2305.18290", "ARXIV:2305.18290v3", "2305.18290", "2305.18290v2", "arxiv:2305.18290"],
)
def test_arxiv_spellings_and_bare_ids_redirect_to_the_paper(client, ref) -> None:
    response = client.get(f"/papers/{ref}", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"].endswith("/papers/rafailov2023-dpo")
    api = client.get(f"/api/v1/papers/{ref}", follow_redirects=False)
    assert api.status_code == 301
    assert api.headers["location"].endswith("/api/v1/papers/rafailov2023-dpo")


def test_an_unknown_bare_id_is_the_html_404(client) -> None:
    response = client.get("/papers/2305.99999")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_paper_list_has_a_year_range_that_keeps_the_other_filters(site: Site) -> None:
    page = site.get("/papers?optimization=rl-free&year__gte=2023")
    doc = page.html
    inputs = {i.attrs.get("name"): i.attrs.get("value") for i in doc.all("input")}
    assert inputs["year__gte"] == "2023" and inputs["year__lte"] == ""
    hidden = [
        (i.attrs["name"], i.attrs["value"])
        for i in doc.all("input")
        if i.attrs.get("type") == "hidden"
    ]
    assert ("optimization", "rl-free") in hidden
    assert all(name != "year__gte" for name, _ in hidden)  # the range field carries it
    assert all(row["year"] >= 2023 for row in page.context["listing"]["rows"])


# --- Method facts, the compare table, the search page ----------------------------------------


def _words(el: El) -> str:
    return " ".join(el.text.split())


def test_a_paper_page_shows_how_the_method_trains(site: Site) -> None:
    doc = site.get("/papers/rafailov2023-dpo").html
    facts = doc.one("dl", class_="method-facts")
    pairs = dict(
        zip(
            [_words(d) for d in doc.inside(facts, "dt")],
            [_words(d) for d in doc.inside(facts, "dd")],
            strict=True,
        )
    )
    assert pairs == {
        "Learns from": "paired preferences",
        "Training data": "off-policy",
        "Frozen reference model": "yes",
        "Separate reward model": "no",
    }
    assert not site.get("/papers/zheng2023-llm-as-judge").html.all("dl", class_="method-facts")


def test_compare_opens_on_method_rows_with_short_names_as_heads(site: Site) -> None:
    ids = ["ouyang2022-instructgpt", "rafailov2023-dpo", "meng2024-simpo"]
    page = site.get("/compare?papers=" + ",".join(ids))
    doc = page.html
    # the fixture papers have no short names, so their titles head the columns (the real
    # data's short names are checked in tests/browser/test_real_data.py)
    assert [_words(a) for a in doc.all("a", class_="compare-name")] == [
        p["short_name"] or p["title"] for p in page.context["compare"]["papers"]
    ]
    rows = doc.all("tr", class_="method-row")
    assert [_words(doc.inside(r, "th")[0]) for r in rows] == [
        "Loss in the lab",
        "Learns from",
        "Training data",
        "Frozen reference model",
        "Separate reward model",
    ]
    reward_model = [_words(td) for td in doc.inside(rows[-1], "td")]
    assert reward_model == ["yes", "no", "no"]
    assert rows[-1].has_class("differs")
    assert "/losses/dpo" in [a.attrs["href"] for a in doc.inside(rows[0], "a")]
    # the method rows come before the first taxonomy row
    body = doc.all("tbody")
    assert body[0].has_class("method-rows")
    assert page.context["loss_chart"] and "meng2024-simpo (simpo)" in page.context["loss_chart"]


def test_compare_folds_rows_every_paper_shares_into_the_heading(site: Site) -> None:
    ids = ["rafailov2023-dpo", "azar2023-ipo"]
    page = site.get("/compare?papers=" + ",".join(ids))
    shared = [
        row["category"]["name"]
        for dim in page.context["compare"]["dimensions"]
        for row in dim["rows"]
        if row["shared"]
    ]
    assert shared
    doc = page.html
    row_heads = [
        _words(th) for tr in doc.all("tr", class_="differs") for th in doc.inside(tr, "th")
    ]
    headings = " ".join(_words(tr) for tr in doc.all("tr", class_="dim-row"))
    for name in shared:
        assert name not in row_heads
        assert name in headings


def test_compare_json_carries_losses_and_method_facts(site: Site) -> None:
    data = site.json("/api/v1/compare?papers=rafailov2023-dpo,zheng2023-llm-as-judge")
    dpo, judge = data["papers"]
    assert dpo["losses"] == ["dpo"]
    assert dpo["method"]["learns_from"] == ["paired-preferences"]
    assert judge["method"] is None and judge["losses"] == []


def test_search_page_pages_like_the_paper_list_and_keeps_the_query(site: Site) -> None:
    page = site.get("/search?q=reward&_size=2")
    listing = page.context["listing"]
    assert listing["next_url"].startswith("/search?")
    second = site.get(listing["next_url"])
    assert second.status == 200
    assert {i["kind"] for i in second.context["merged"]["items"]} == {"paper"}
    first_ids = [i["id"] for i in page.context["merged"]["items"] if i["kind"] == "paper"]
    second_ids = [i["id"] for i in second.context["merged"]["items"]]
    assert first_ids and second_ids and not set(first_ids) & set(second_ids)
    facet_links = [v["toggle_url"] for f in listing["facets"].values() for v in f["values"]]
    assert facet_links and all(u.startswith("/search?") and "q=reward" in u for u in facet_links)


def test_search_page_narrowed_by_a_facet_lists_only_papers(site: Site) -> None:
    page = site.get("/search?q=reward&kind=method")
    items = page.context["merged"]["items"]
    assert items and {i["kind"] for i in items} == {"paper"}
    assert all(i["paper"]["kind"] == "method" for i in items)


def test_search_page_ignores_the_compare_tray_parameter(site: Site) -> None:
    assert site.get("/search?q=reward&pick=rafailov2023-dpo").status == 200
    assert site.get("/papers?pick=rafailov2023-dpo,azar2023-ipo").status == 200


def test_a_paper_page_links_to_its_lineage_on_the_graph(site: Site) -> None:
    doc = site.get("/papers/rafailov2023-dpo").html
    (link,) = doc.all("a", class_="graph-link")
    target = site.get(link.attrs["href"])
    assert target.status == 200
    assert "rafailov2023-dpo" in target.text


def test_search_page_puts_a_category_named_by_the_query_first(site: Site) -> None:
    page = site.get("/search?q=implicit")
    first = page.context["merged"]["items"][0]
    assert (first["kind"], first["id"]) == ("category", "implicit")
    doc = page.html
    results = doc.one("ol", class_="search-results")
    first_link = doc.inside(results, "a")[0]
    assert first_link.attrs["href"] == "/categories/implicit"
    assert "categor" in _words(doc.one("p", class_="result-count"))
