"""Taxonomy, search, graph, matrix, timeline and compare endpoints over real HTTP on the fixture
taxonomy. Expected numbers come from tests/fixtures/good by hand (or a direct SQL count)."""

from __future__ import annotations

import sqlite3

import pytest


@pytest.fixture(scope="module")
def db(fixture_db):
    conn = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    yield conn
    conn.close()


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node["children"])


# --- Dimensions and categories ---------------------------------------------------------------


def test_dimensions_list_every_tree_with_rollup_counts(client, db):
    body = client.get("/api/v1/dimensions").json()
    assert [d["id"] for d in body][:4] == ["construction", "format", "expression", "granularity"]
    assert len(body) == 9
    assert sum(1 for d in body for _ in _walk(d["categories"])) == 49
    gran = next(d for d in body if d["id"] == "granularity")
    assert gran["count"] == 10  # every paper but PPO has a granularity
    cats = {c["id"]: c for c in _walk(gran["categories"])}
    # fine-grained holds every placed paper once, however many descendants it is in
    assert cats["fine-grained"]["count"] == 10
    assert cats["fine-grained"]["direct_count"] == 0
    assert cats["multi-objective"]["count"] == 2  # lightman, deepseekmath (multi-stage)
    assert cats["general-reward"]["count"] == 0
    assert [c["id"] for c in cats["response-vs-token"]["children"]] == [
        "response-level",
        "token-level",
    ]
    for cat in cats.values():
        (direct,) = db.execute(
            "SELECT COUNT(*) FROM paper_category WHERE category_id = ? AND direct", (cat["id"],)
        ).fetchone()
        assert cat["direct_count"] == direct


def test_one_dimension(client):
    body = client.get("/api/v1/dimensions/optimization").json()
    assert body["name"] == "Optimization paradigm"
    tops = {c["id"]: c["count"] for c in body["categories"]}
    assert tops == {"rl-based": 5, "rl-free": 4, "in-context": 1}


def test_category_with_breadcrumbs_children_and_descendant_papers(client):
    body = client.get("/api/v1/categories/response-vs-token").json()
    assert body["dimension"] == {"id": "granularity", "name": "Granularity"}
    assert [b["id"] for b in body["breadcrumbs"]] == ["fine-grained"]
    assert [(c["id"], c["count"]) for c in body["children"]] == [
        ("response-level", 9),
        ("token-level", 0),
    ]
    assert body["count"] == 9 and len(body["papers"]) == 9
    assert not any(p["direct"] for p in body["papers"])  # all placed in a child
    leaf = client.get("/api/v1/categories/multi-stage").json()
    assert [b["id"] for b in leaf["breadcrumbs"]] == ["fine-grained", "multi-objective"]
    assert leaf["children"] == []
    assert {p["id"] for p in leaf["papers"]} == {
        "lightman2023-lets-verify-step-by-step",
        "shao2024-deepseekmath",
    }
    assert all(p["direct"] for p in leaf["papers"])


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/dimensions/nope",
        "/api/v1/categories/nope",
        "/api/v1/matrix?rows=nope&cols=format",
        "/api/v1/timeline?dimension=nope",
        "/api/v1/compare?papers=rafailov2023-dpo,nope",
        "/api/v1/graph?root=nope",
        "/api/v1/graph/path?from=nope&to=schulman2017-ppo",
        "/api/v1/export/pdf",
    ],
)
def test_unknown_id_is_404_with_error_shape(client, url):
    response = client.get(url)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["status"] == 404 and "nope" in error["message"] or "pdf" in error["message"]
    assert error["details"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/dimensions?x=1",
        "/api/v1/meta?verbose=1",
        "/api/v1/categories/implicit?depth=2",
        "/api/v1/search?q=dpo&page=2",
        "/api/v1/graph?rooot=x",
        "/api/v1/export/graphml?x=1",
        "/api/v1/matrix?rows=expression&cols=format&colour=red",
    ],
)
def test_unknown_query_parameter_is_400_naming_it(client, url):
    response = client.get(url)
    assert response.status_code == 400
    error = response.json()["error"]
    name = url.rsplit("&", 1)[-1].rsplit("?", 1)[-1].split("=")[0]
    assert [d["parameter"] for d in error["details"]] == [name]
    assert name in error["message"]


# --- Search ----------------------------------------------------------------------------------


def test_search_ranks_papers_and_categories_with_segments(client):
    body = client.get("/api/v1/search?q=implicit").json()
    assert body["categories"][0]["id"] == "implicit"
    assert body["categories"][0]["dimension"] == "expression"
    name = body["categories"][0]["name"]
    assert name == [{"text": "Implicit", "hit": True}]
    assert body["counts"]["papers"] == len(body["papers"]) > 0
    for paper in body["papers"]:
        assert any(s["hit"] for s in paper["title"] + paper["snippet"])
        assert all(
            "\x02" not in s["text"] and "\x03" not in s["text"]
            for s in paper["title"] + paper["snippet"]
        )
    scores = [p["score"] for p in body["papers"]]
    assert scores == sorted(scores, reverse=True)


def test_search_counts_match_fts(client):
    body = client.get("/api/v1/search?q=bradley&limit=2").json()
    assert len(body["papers"]) == 2
    assert body["counts"]["papers"] == 5  # five summaries mention Bradley-Terry


def test_search_with_nothing_searchable_is_empty(client):
    body = client.get("/api/v1/search?q=%22%28%29").json()
    assert body["papers"] == [] and body["categories"] == []


def test_search_text_is_never_markup(client):
    # The highlight is structural, so a client escapes all text; nothing arrives as HTML.
    body = client.get("/api/v1/search?q=reward").json()
    assert all("<mark>" not in s["text"] for p in body["papers"] for s in p["snippet"])


def test_search_needs_q(client):
    response = client.get("/api/v1/search")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "query.q"


# --- Graph -----------------------------------------------------------------------------------


def test_whole_graph_is_cytoscape_elements(client, db):
    body = client.get("/api/v1/graph").json()
    kinds = {}
    for node in body["nodes"]:
        kinds[node["data"]["kind"]] = kinds.get(node["data"]["kind"], 0) + 1
    assert kinds == {"dimension": 9, "category": 49, "paper": 11}
    edges = {}
    for edge in body["edges"]:
        edges[edge["data"]["kind"]] = edges.get(edge["data"]["kind"], 0) + 1
    (direct,) = db.execute("SELECT COUNT(*) FROM paper_category WHERE direct").fetchone()
    assert edges["contains"] == 49
    assert edges["classified"] == direct
    assert sum(edges.values()) - 49 - direct == 10  # the relations
    node_ids = {n["data"]["id"] for n in body["nodes"]}
    assert all(
        e["data"]["source"] in node_ids and e["data"]["target"] in node_ids for e in body["edges"]
    )


def test_graph_cut_to_a_subtree(client):
    body = client.get("/api/v1/graph?root=granularity&depth=1&edges=contains").json()
    assert {n["data"]["id"] for n in body["nodes"]} == {
        "dimension:granularity",
        "category:general-reward",
        "category:fine-grained",
    }
    assert len(body["edges"]) == 2


def test_graph_lineage_edges_only(client):
    body = client.get("/api/v1/graph?edges=extends,variant-of").json()
    assert len(body["edges"]) == 9  # 6 extends + 3 variant-of in the fixture
    assert all(n["data"]["kind"] == "paper" for n in body["nodes"])
    repeated = client.get("/api/v1/graph?edges=extends&edges=variant-of").json()
    assert repeated == body


def test_graph_rejects_unknown_edge_kind(client):
    response = client.get("/api/v1/graph?edges=cites")
    assert response.status_code == 400
    assert "cites" in response.json()["error"]["message"]


def test_graph_path(client):
    body = client.get(
        "/api/v1/graph/path?from=meng2024-simpo&to=schulman2017-ppo&edges=extends,variant-of"
    ).json()
    assert body["found"] and body["length"] == 3
    assert [n["data"]["ref"] for n in body["nodes"]] == [
        "meng2024-simpo",
        "rafailov2023-dpo",
        "ouyang2022-instructgpt",
        "schulman2017-ppo",
    ]
    assert [e["data"]["kind"] for e in body["edges"]] == ["variant-of", "extends", "extends"]


def test_graph_path_not_connected(client):
    body = client.get(
        "/api/v1/graph/path?from=zheng2023-llm-as-judge&to=schulman2017-ppo&edges=extends"
    ).json()
    assert body == {"found": False, "length": None, "directed": False, "nodes": [], "edges": []}


def test_graph_path_follows_lineage_by_default(client):
    """Over every edge kind InstructGPT and SimPO are two steps apart through a shared
    category; the default keeps to paper-to-paper lineage."""
    body = client.get("/api/v1/graph/path?from=ouyang2022-instructgpt&to=meng2024-simpo").json()
    assert [n["data"]["ref"] for n in body["nodes"]] == [
        "ouyang2022-instructgpt",
        "rafailov2023-dpo",
        "meng2024-simpo",
    ]
    assert [n["data"]["kind"] for n in body["nodes"]] == ["paper"] * 3
    # each step keeps the edge's own direction: DPO extends InstructGPT, SimPO varies DPO
    assert [
        (e["data"]["source"], e["data"]["kind"], e["data"]["target"]) for e in body["edges"]
    ] == [
        ("paper:rafailov2023-dpo", "extends", "paper:ouyang2022-instructgpt"),
        ("paper:meng2024-simpo", "variant-of", "paper:rafailov2023-dpo"),
    ]
    assert body["directed"] is True
    named = client.get(
        "/api/v1/graph/path?from=ouyang2022-instructgpt&to=meng2024-simpo&edges=lineage"
    ).json()
    assert named == body


def test_graph_path_over_all_edges_may_pass_through_categories(client):
    """The LLM-as-a-judge paper has no paper-to-paper link to PPO; over all edges it reaches
    PPO through a category both sides are placed in."""
    query = "/api/v1/graph/path?from=zheng2023-llm-as-judge&to=schulman2017-ppo"
    assert client.get(query).json()["found"] is False
    body = client.get(query + "&edges=all").json()
    assert body["found"] and body["directed"] is False
    assert "category" in {n["data"]["kind"] for n in body["nodes"]}


def test_graph_path_between_siblings_turns_and_says_so(client):
    """KTO and IPO are both variants of DPO: linked, but not one descending from the other."""
    body = client.get("/api/v1/graph/path?from=ethayarajh2024-kto&to=azar2023-ipo").json()
    assert [n["data"]["ref"] for n in body["nodes"]] == [
        "ethayarajh2024-kto",
        "rafailov2023-dpo",
        "azar2023-ipo",
    ]
    assert body["directed"] is False
    down = client.get("/api/v1/graph/path?from=ouyang2022-instructgpt&to=meng2024-simpo").json()
    up = client.get("/api/v1/graph/path?from=meng2024-simpo&to=ouyang2022-instructgpt").json()
    assert [n["data"]["ref"] for n in up["nodes"]] == [
        n["data"]["ref"] for n in reversed(down["nodes"])
    ]
    assert up["directed"] is True


def test_graph_scoped_to_a_category(client, db):
    body = client.get("/api/v1/graph?category=rl-free&edges=lineage").json()
    placed = {
        pid
        for (pid,) in db.execute(
            "SELECT paper_id FROM paper_category WHERE category_id = 'rl-free'"
        )
    }
    assert {n["data"]["ref"] for n in body["nodes"]} == placed
    assert {e["data"]["kind"] for e in body["edges"]} <= {"extends", "variant-of"}
    refs = {n["data"]["id"] for n in body["nodes"]}
    assert all(e["data"]["source"] in refs and e["data"]["target"] in refs for e in body["edges"])


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("category=rl-free&root=rafailov2023-dpo", 400),
        ("category=no-such-category", 404),
        ("edges=lineage,cites", 400),
    ],
)
def test_graph_scope_errors_keep_the_error_shape(client, query, status):
    response = client.get(f"/api/v1/graph?{query}")
    assert response.status_code == status
    assert response.json()["error"]["status"] == status


# --- Matrix, timeline, compare ----------------------------------------------------------------


def test_matrix_cells_and_gaps(client, db):
    body = client.get("/api/v1/matrix?rows=expression&cols=optimization").json()
    rows = [c["id"] for c in body["rows"]["categories"]]
    cols = [c["id"] for c in body["cols"]["categories"]]
    assert rows == ["explicit", "implicit"]
    cell = {(r, c): body["cells"][i][j] for i, r in enumerate(rows) for j, c in enumerate(cols)}
    assert cell[("implicit", "offline-preference")]["papers"] == [
        "azar2023-ipo",
        "ethayarajh2024-kto",
        "meng2024-simpo",
        "rafailov2023-dpo",
    ]
    assert cell[("implicit", "rl-based")]["count"] == 0  # a gap
    assert cell[("explicit", "rl-based")]["count"] == 4  # PPO itself has no expression
    assert cell[("explicit", "in-context")]["papers"] == ["lightman2023-lets-verify-step-by-step"]
    for (r, c), value in cell.items():
        (n,) = db.execute(
            "SELECT COUNT(*) FROM paper_category a JOIN paper_category b USING (paper_id) "
            "WHERE a.category_id = ? AND b.category_id = ?",
            (r, c),
        ).fetchone()
        assert value["count"] == n == len(value["papers"])
    assert body["empty"] == sum(1 for v in cell.values() if v["count"] == 0)
    assert body["papers"] == 9  # placed in both: all but PPO and the judge benchmark


def test_timeline(client):
    body = client.get("/api/v1/timeline?dimension=optimization").json()
    assert body["years"] == list(range(2017, 2025))
    series = {
        s["category"]["id"]: dict(zip(body["years"], s["counts"], strict=True))
        for s in body["series"]
    }
    assert series["rl-free"][2023] == 2 and series["rl-free"][2024] == 2
    assert series["rl-based"][2017] == 2  # christiano and PPO
    assert dict(zip(body["years"], body["totals"], strict=True))[2023] == 3  # judge: none
    assert client.get("/api/v1/timeline").json()["dimension"]["id"] == "optimization"


def test_compare_side_by_side(client):
    body = client.get("/api/v1/compare?papers=rafailov2023-dpo,schulman2017-ppo").json()
    assert [p["id"] for p in body["papers"]] == ["rafailov2023-dpo", "schulman2017-ppo"]
    opt = next(d for d in body["dimensions"] if d["id"] == "optimization")
    marks = {r["category"]["id"]: r["papers"] for r in opt["rows"]}
    assert marks == {
        "rl-based": [None, "direct"],
        "actor-critic": [None, "direct"],
        "rl-free": ["inherited", None],
        "offline-preference": ["direct", None],
    }
    expr = next(d for d in body["dimensions"] if d["id"] == "expression")
    assert [(r["category"]["id"], r["shared"]) for r in expr["rows"]] == [("implicit", False)]
    same = client.get("/api/v1/compare?papers=rafailov2023-dpo&papers=azar2023-ipo").json()
    expr = next(d for d in same["dimensions"] if d["id"] == "expression")
    assert expr["rows"][0]["shared"] is True


def test_compare_needs_one_to_twenty_ids(client):
    assert client.get("/api/v1/compare?papers=").status_code == 400
