"""The real taxonomy (data/taxonomy), built into a temporary database and served over HTTP:
``/api/v1/papers?expression=implicit&_facet=granularity`` must agree with a direct SQL count
that uses only the direct placements and the category tree (not the rolled-up rows)."""

from __future__ import annotations

import re
import sqlite3

import httpx
import pytest

from app.build import build
from app.config import Settings
from tests.conftest import REPO, LiveServer

DATA = REPO / "data" / "taxonomy"

# Papers directly placed in the category or any descendant, via the tree only.
SUBTREE = (
    "WITH RECURSIVE sub(root, id) AS ("
    "  SELECT id, id FROM category WHERE {where}"
    "  UNION ALL SELECT sub.root, c.id FROM category c JOIN sub ON c.parent_id = sub.id) "
)


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    db = tmp_path_factory.mktemp("real") / "atlas.db"
    build(DATA, db)
    with LiveServer(Settings(data_dir=DATA, db=db)) as server:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            yield http, conn
            conn.close()


def test_implicit_with_granularity_facet_matches_direct_sql(real):
    client, db = real
    body = client.get("/api/v1/papers?expression=implicit&_facet=granularity").json()
    implicit = {
        pid
        for (pid,) in db.execute(
            SUBTREE.format(where="id = 'implicit'") + "SELECT DISTINCT pc.paper_id FROM sub "
            "JOIN paper_category pc ON pc.category_id = sub.id AND pc.direct"
        )
    }
    assert len(implicit) > 10, "the real data should hold a fair number of implicit-reward papers"
    assert body["count"] == len(implicit)
    expected = {}
    for root, paper_id in db.execute(
        SUBTREE.format(where="dimension_id = 'granularity'")
        + "SELECT DISTINCT sub.root, pc.paper_id FROM sub "
        "JOIN paper_category pc ON pc.category_id = sub.id AND pc.direct"
    ):
        if paper_id in implicit:
            expected[root] = expected.get(root, 0) + 1
    got = {v["value"]: v["count"] for v in body["facets"]["granularity"]["values"]}
    (n_categories,) = db.execute(
        "SELECT COUNT(*) FROM category WHERE dimension_id = 'granularity'"
    ).fetchone()
    assert len(got) == n_categories
    assert {k: v for k, v in got.items() if v} == expected


def test_real_data_pages_cover_every_paper_once(real):
    client, db = real
    (total,) = db.execute("SELECT COUNT(*) FROM paper").fetchone()
    seen, url = [], "/api/v1/papers?_size=37&_sort=title"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["rows"]]
        url = body["next_url"]
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize(
    "paper_id",
    ["rafailov2023-dpo", "ouyang2022-instructgpt", "schulman2017-ppo", "bai2022-hh-rlhf"],
)
def test_compare_link_of_a_much_cited_paper_opens_a_comparison(real, paper_id):
    """The most-related papers used to link to a 60-paper comparison that answered a raw JSON
    400; the link now takes direct relatives only, within the limit, and opens a page."""
    client, _ = real
    page = client.get(f"/papers/{paper_id}", headers={"accept": "text/html"})
    link = re.findall(r'href="(/compare\?papers=[^"]+)"', page.text)[0]
    ids = link.split("=", 1)[1].replace("%2C", ",").split(",")
    assert ids[0] == paper_id and 2 <= len(ids) <= 6
    compared = client.get(link.replace("&amp;", "&"))
    assert compared.status_code == 200
    assert compared.headers["content-type"].startswith("text/html")


def test_too_many_ids_get_the_html_error_page_even_when_json_is_accepted(real):
    client, _ = real
    ids = ",".join(f"p{i}" for i in range(25))
    response = client.get(f"/compare?papers={ids}", headers={"accept": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "compare takes 1 to 20 paper ids" in response.text
