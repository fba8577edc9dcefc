"""Pages of the real atlas (data/taxonomy) in Chromium: the most-built-on papers stay readable."""

from __future__ import annotations

import re

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


# --- The lineage graph ----------------------------------------------------------------------


def _steps(page):
    return page.locator(".path-steps li").evaluate_all(
        "lis => lis.map(li => [li.querySelector('.rel-type')?.textContent || null,"
        " li.querySelector('a').textContent, li.querySelector('.muted').textContent])"
    )


def test_path_from_instructgpt_to_simpo_is_shown_as_named_steps(page, watch, real_server):
    """Named by their short names, as a reader would: the lineage path runs InstructGPT ->
    DPO (which extends it) -> SimPO (a variant of DPO), and the drawing marks it."""
    page.goto(f"{real_server.url}/graph")
    page.wait_for_selector("#cy[data-ready=true]")
    page.fill("#path-from", "InstructGPT")
    page.fill("#path-to", "SimPO")
    page.locator("#graph-path button[type=submit]").click()
    page.wait_for_url("**/graph?*from=InstructGPT*")
    page.wait_for_selector("#cy[data-ready=true]")
    assert _steps(page) == [
        [None, "InstructGPT", "(2022)"],
        ["extended by", "DPO", "(2023)"],
        ["has the variant", "SimPO", "(2024)"],
    ]
    on_path = page.evaluate("() => window.atlasGraph.nodes('.on-path').map(n => n.id()).sort()")
    assert on_path == [
        "paper:meng2024-simpo",
        "paper:ouyang2022-instructgpt",
        "paper:rafailov2023-dpo",
    ]
    # drawn oldest on the left
    xs = page.evaluate(
        "() => ['paper:ouyang2022-instructgpt', 'paper:rafailov2023-dpo', 'paper:meng2024-simpo']"
        ".map(id => window.atlasGraph.getElementById(id).position('x'))"
    )
    assert xs == sorted(xs) and len(set(xs)) == 3
    assert not watch.errors, watch.errors
    assert not watch.outside, watch.outside


def test_the_lineage_view_reads_oldest_to_newest(page, watch, real_server):
    """Every drawn paper sits left of every paper of a later year."""
    page.goto(f"{real_server.url}/graph?paper=rafailov2023-dpo&depth=1")
    page.wait_for_selector("#cy[data-ready=true]")
    spans = page.evaluate(
        """() => {
          const by = {};
          window.atlasGraph.nodes('.paper').forEach(n => {
            const y = n.data('year'), x = n.position('x');
            by[y] = by[y] || [Infinity, -Infinity];
            by[y] = [Math.min(by[y][0], x), Math.max(by[y][1], x)];
          });
          return Object.keys(by).map(Number).sort().map(y => [y, by[y]]);
        }"""
    )
    assert len(spans) >= 3
    for (_, (_, right)), (_, (left, _)) in zip(spans, spans[1:], strict=False):
        assert right < left
    labels = page.evaluate(
        "() => window.atlasGraph.getElementById('paper:meng2024-simpo').style('label')"
    )
    assert labels == "SimPO"
    assert not watch.errors, watch.errors


def test_find_a_node_centres_it_without_leaving_the_page(page, watch, real_server):
    url = f"{real_server.url}/graph?paper=rafailov2023-dpo"
    page.goto(url)
    page.wait_for_selector("#cy[data-ready=true]")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.fill("#graph-search", "SimPO")
    page.press("#graph-search", "Enter")
    page.wait_for_function(
        "() => window.atlasGraph.getElementById('paper:meng2024-simpo').hasClass('match')"
        " && !window.atlasGraph.animated()"
    )
    page.wait_for_timeout(300)  # the centring animation is 250 ms
    assert page.url == url and navigations == []
    offset = page.evaluate(
        """() => {
          const cy = window.atlasGraph, p = cy.getElementById('paper:meng2024-simpo');
          const r = p.renderedPosition();
          return [Math.abs(r.x - cy.width() / 2), Math.abs(r.y - cy.height() / 2)];
        }"""
    )
    assert max(offset) < 20, offset  # centred on the node with its label
    assert (
        page.evaluate(
            "() => window.atlasGraph.getElementById('paper:meng2024-simpo').style('opacity')"
        )
        == "1"
    )
    assert "Centred on SimPO" in page.locator("#graph-status").inner_text()
    assert not watch.errors, watch.errors


@pytest.mark.parametrize("path", ["/graph", "/graph?from=InstructGPT&to=SimPO&paper=DPO"])
def test_graph_on_a_phone_has_no_horizontal_overflow(phone, watch, real_server, path):
    phone.goto(real_server.url + path)
    phone.wait_for_selector("#cy[data-ready=true]")
    overflow = phone.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1
    assert phone.locator(".year-list a").first.is_visible()
    assert phone.locator("#cy").bounding_box()["width"] <= 390
    assert not watch.errors, watch.errors
    assert not watch.outside, watch.outside


# --- The matrix -----------------------------------------------------------------------------


def test_a_matrix_gap_opens_its_list_which_leads_back(page, watch, real_server):
    page.goto(f"{real_server.url}/matrix?rows=optimization&cols=granularity")
    gap = page.locator("td.l0 a.gap").first
    cell_id = gap.evaluate("a => a.parentElement.id")
    gap.click()
    page.wait_for_url("**/papers?*")
    assert "optimization=" in page.url and "granularity=" in page.url
    assert page.locator(".paper-item").count() == 0  # a gap: nothing in both
    page.get_by_role("link", name=re.compile("Back to the matrix")).click()
    page.wait_for_url(f"**/matrix?rows=optimization&cols=granularity#{cell_id}")
    assert page.evaluate("() => document.querySelector('td:target').id") == cell_id
    assert not watch.errors, watch.errors


def test_matrix_rows_weigh_less_the_deeper_they_sit(page, watch, real_server):
    page.goto(f"{real_server.url}/matrix?rows=granularity&cols=optimization")
    weights = page.evaluate(
        """() => [0, 1, 2].map(d => {
          const th = document.querySelector(`th[scope=row].depth-${d}`);
          return th ? Number(getComputedStyle(th).fontWeight) : null;
        })"""
    )
    assert None not in weights
    assert weights[0] > weights[1] > weights[2], weights
    assert not watch.errors, watch.errors
