"""/api/v1/papers over real HTTP on the fixture taxonomy: filters (AND across dimensions, OR
within, descendants included), facets, sorting, keyset pages, 400s, detail, aliases, lineage.

Expected counts are worked out by hand from tests/fixtures/good/papers/*.yaml (11 papers) and,
where noted, checked against a direct SQL count on the built database.
"""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qsl, urlsplit

import pytest

ALL = {
    "azar2023-ipo",
    "christiano2017-deep-rl-human-preferences",
    "ethayarajh2024-kto",
    "lightman2023-lets-verify-step-by-step",
    "meng2024-simpo",
    "ouyang2022-instructgpt",
    "rafailov2023-dpo",
    "schulman2017-ppo",
    "shao2024-deepseekmath",
    "stiennon2020-learning-to-summarize",
    "zheng2023-llm-as-judge",
}
IMPLICIT = {"azar2023-ipo", "ethayarajh2024-kto", "meng2024-simpo", "rafailov2023-dpo"}


@pytest.fixture(scope="module")
def db(fixture_db):
    conn = sqlite3.connect(f"file:{fixture_db}?mode=ro", uri=True)
    yield conn
    conn.close()


def ids(client, query: str) -> set[str]:
    body = client.get(f"/api/v1/papers?{query}&_size=200").json()
    assert body["count"] == len(body["rows"])
    return {row["id"] for row in body["rows"]}


# --- Filters ---------------------------------------------------------------------------------

# (query, expected ids) — all worked out from the fixture YAML by hand.
FILTERS = [
    ("expression=implicit", IMPLICIT),
    # OR within one dimension
    ("expression=implicit&expression=explicit", ALL - {"schulman2017-ppo"}),
    (
        "feedback-source=human-feedback&feedback-source=ai-feedback",
        ALL - {"schulman2017-ppo", "shao2024-deepseekmath"},
    ),
    # AND across dimensions
    (
        "expression=explicit&granularity=multi-stage",
        {"lightman2023-lets-verify-step-by-step", "shao2024-deepseekmath"},
    ),
    ("expression=implicit&granularity=multi-stage", set()),
    (
        "optimization=rl-based&feedback-source=human-feedback",
        {
            "christiano2017-deep-rl-human-preferences",
            "ouyang2022-instructgpt",
            "stiennon2020-learning-to-summarize",
        },
    ),
    # descendants included: rl-based holds actor-critic and critic-free papers
    (
        "optimization=rl-based",
        {
            "christiano2017-deep-rl-human-preferences",
            "ouyang2022-instructgpt",
            "schulman2017-ppo",
            "shao2024-deepseekmath",
            "stiennon2020-learning-to-summarize",
        },
    ),
    (
        "granularity=multi-objective",
        {"lightman2023-lets-verify-step-by-step", "shao2024-deepseekmath"},
    ),
    ("granularity=fine-grained", ALL - {"schulman2017-ppo"}),
    ("granularity=general-reward", set()),
    (
        "optimization=rl-based&optimization=in-context",
        {
            "christiano2017-deep-rl-human-preferences",
            "ouyang2022-instructgpt",
            "schulman2017-ppo",
            "shao2024-deepseekmath",
            "stiennon2020-learning-to-summarize",
            "lightman2023-lets-verify-step-by-step",
        },
    ),
    # category= groups by dimension: same dimension OR, different dimensions AND
    ("category=implicit&category=explicit", ALL - {"schulman2017-ppo"}),
    ("category=implicit&category=multi-stage", set()),
    (
        "category=explicit&category=multi-stage",
        {"lightman2023-lets-verify-step-by-step", "shao2024-deepseekmath"},
    ),
    (
        "category=explicit&granularity=multi-stage",
        {"lightman2023-lets-verify-step-by-step", "shao2024-deepseekmath"},
    ),
    # plain fields
    (
        "year__gte=2023",
        {
            "azar2023-ipo",
            "ethayarajh2024-kto",
            "lightman2023-lets-verify-step-by-step",
            "meng2024-simpo",
            "rafailov2023-dpo",
            "shao2024-deepseekmath",
            "zheng2023-llm-as-judge",
        },
    ),
    (
        "year__gte=2023&year__lte=2023",
        {
            "azar2023-ipo",
            "lightman2023-lets-verify-step-by-step",
            "rafailov2023-dpo",
            "zheng2023-llm-as-judge",
        },
    ),
    (
        "year=2017&year=2020",
        {
            "christiano2017-deep-rl-human-preferences",
            "schulman2017-ppo",
            "stiennon2020-learning-to-summarize",
        },
    ),
    ("status=preprint", {"schulman2017-ppo", "shao2024-deepseekmath"}),
    ("venue=NeurIPS+2023", {"rafailov2023-dpo"}),
    ("venue=NeurIPS+2023&venue=ICML+2024", {"rafailov2023-dpo", "ethayarajh2024-kto"}),
    ("kind=benchmark", {"zheng2023-llm-as-judge"}),
    ("status=published&expression=implicit&year__lte=2023", {"azar2023-ipo", "rafailov2023-dpo"}),
    # full text: "Bradley-Terry" is in five summaries; "prospect" in one title
    (
        "q=bradley",
        {
            "azar2023-ipo",
            "christiano2017-deep-rl-human-preferences",
            "meng2024-simpo",
            "ouyang2022-instructgpt",
            "rafailov2023-dpo",
        },
    ),
    ("q=prospect", {"ethayarajh2024-kto"}),
    ("q=bradley&expression=implicit", {"azar2023-ipo", "meng2024-simpo", "rafailov2023-dpo"}),
    ("q=%21%21%21", set()),  # nothing searchable: no match, not everything
    ("", ALL),
    ("venue=&q=&expression=", ALL),  # empty form fields are ignored
]


@pytest.mark.parametrize(("query", "expected"), FILTERS, ids=[q or "none" for q, _ in FILTERS])
def test_filter_returns_exactly_the_expected_papers(client, query, expected):
    assert ids(client, query) == expected


def test_category_count_matches_direct_sql_including_descendants(client, db):
    for category in ("rl-based", "fine-grained", "shaping-objectives", "numerical", "rl-free"):
        (expected,) = db.execute(
            "WITH RECURSIVE sub(id) AS (SELECT :c UNION SELECT c.id FROM category c "
            "JOIN sub ON c.parent_id = sub.id) "
            "SELECT COUNT(DISTINCT pc.paper_id) FROM paper_category pc "
            "JOIN sub ON sub.id = pc.category_id WHERE pc.direct",
            {"c": category},
        ).fetchone()
        body = client.get(f"/api/v1/papers?category={category}").json()
        assert body["count"] == expected, category


def test_rows_carry_direct_classification(client):
    rows = client.get("/api/v1/papers?q=prospect").json()["rows"]
    assert rows[0]["classification"]["optimization"] == ["offline-preference"]
    assert rows[0]["authors"][0] == "Kawin Ethayarajh"


# --- Facets ----------------------------------------------------------------------------------


def _values(facet):
    return {v["value"]: v["count"] for v in facet["values"]}


def test_facet_counts_within_filtered_list(client):
    body = client.get("/api/v1/papers?expression=implicit&_facet=granularity&_facet=year").json()
    assert body["count"] == 4
    gran = _values(body["facets"]["granularity"])
    # the four implicit papers are all response-level, rolled up to both ancestors
    assert gran["response-level"] == 4
    assert gran["response-vs-token"] == 4
    assert gran["fine-grained"] == 4
    assert sum(gran.values()) == 12
    assert [(v["value"], v["count"]) for v in body["facets"]["year"]["values"]] == [
        ("2024", 2),
        ("2023", 2),
    ]


def test_facet_on_a_filtered_dimension_is_disjunctive(client):
    body = client.get("/api/v1/papers?expression=implicit&_facet=expression").json()
    values = {v["value"]: v for v in body["facets"]["expression"]["values"]}
    assert values["implicit"]["count"] == 4 and values["implicit"]["selected"]
    assert values["explicit"]["count"] == 6 and not values["explicit"]["selected"]


def test_facet_toggle_urls_add_and_remove_values(client):
    body = client.get("/api/v1/papers?expression=implicit&_facet=expression&_size=2").json()
    values = {v["value"]: v for v in body["facets"]["expression"]["values"]}
    add = values["explicit"]["toggle_url"]
    assert add.startswith("/api/v1/papers?")
    assert sorted(parse_qsl(urlsplit(add).query)) == sorted(
        [
            ("expression", "implicit"),
            ("expression", "explicit"),
            ("_facet", "expression"),
            ("_size", "2"),
        ]
    )
    assert client.get(add).json()["count"] == 10
    remove = values["implicit"]["toggle_url"]
    assert ("expression", "implicit") not in parse_qsl(urlsplit(remove).query)
    assert client.get(remove).json()["count"] == 11


def test_toggle_removes_a_category_given_as_category_param(client):
    body = client.get("/api/v1/papers?category=implicit&_facet=expression").json()
    implicit = next(v for v in body["facets"]["expression"]["values"] if v["value"] == "implicit")
    assert implicit["selected"]
    assert "implicit" not in implicit["toggle_url"]


def test_toggle_urls_drop_the_page_token(client):
    first = client.get("/api/v1/papers?_size=2&_facet=status").json()
    second = client.get(first["next_url"]).json()
    for value in second["facets"]["status"]["values"]:
        assert "_next" not in value["toggle_url"]


def test_status_and_venue_facets(client):
    body = client.get("/api/v1/papers?_facet=status&_facet=venue&_facet=kind").json()
    assert _values(body["facets"]["status"]) == {"published": 9, "preprint": 2}
    assert _values(body["facets"]["kind"]) == {"method": 10, "benchmark": 1}
    assert _values(body["facets"]["venue"])["NeurIPS 2023"] == 1
    assert sum(_values(body["facets"]["venue"]).values()) == 9  # preprints have no venue


def test_filters_are_listed_with_remove_urls(client):
    body = client.get("/api/v1/papers?expression=implicit&year__gte=2024").json()
    chips = {(f["param"], f["value"]): f for f in body["filters"]}
    assert chips[("expression", "implicit")]["label"] == "Expression: Implicit"
    assert client.get(chips[("year__gte", "2024")]["remove_url"]).json()["count"] == 4


# --- Sorting and pages -----------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["year", "-year", "-added", "title", "relevance"])
@pytest.mark.parametrize("size", [1, 3, 4, 11])
def test_pages_cover_every_row_once(client, sort, size):
    query = "q=reward" if sort == "relevance" else "granularity=fine-grained"
    full = client.get(f"/api/v1/papers?{query}&_sort={sort}&_size=200").json()
    seen, url, pages = [], f"/api/v1/papers?{query}&_sort={sort}&_size={size}", 0
    while url:
        response = client.get(url)
        body = response.json()
        assert body["count"] == full["count"]
        assert len(body["rows"]) <= size
        seen += [row["id"] for row in body["rows"]]
        url = body["next_url"]
        if url:
            assert response.headers["link"].endswith(f'{url}>; rel="next"')
        else:
            assert "link" not in response.headers
        pages += 1
    assert seen == [row["id"] for row in full["rows"]]  # same order, no duplicate, none missing
    assert len(set(seen)) == full["count"]
    assert pages == max(1, -(-full["count"] // size))


def test_sort_orders(client):
    rows = client.get("/api/v1/papers?_sort=year&_size=200").json()["rows"]
    assert [r["year"] for r in rows] == sorted(r["year"] for r in rows)
    assert rows[0]["id"] == "christiano2017-deep-rl-human-preferences"  # 2017, id breaks the tie
    rows = client.get("/api/v1/papers?_size=200").json()["rows"]  # default -year
    assert [r["year"] for r in rows] == sorted((r["year"] for r in rows), reverse=True)
    titles = [
        r["title"].lower()
        for r in client.get("/api/v1/papers?_sort=title&_size=200").json()["rows"]
    ]
    assert titles == sorted(titles)
    # every fixture paper was added on the same day: the id breaks the tie
    rows = client.get("/api/v1/papers?_sort=-added&_size=200").json()["rows"]
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def test_relevance_is_default_with_q_and_ranks_title_hits_first(client):
    body = client.get("/api/v1/papers?q=preference+optimization").json()
    assert body["sort"] == "relevance"
    assert {r["id"] for r in body["rows"][:2]} == {"rafailov2023-dpo", "meng2024-simpo"}


def test_default_page_size_and_limit(client):
    assert client.get("/api/v1/papers").json()["size"] == 50
    assert client.get("/api/v1/papers?_size=200").status_code == 200
    assert client.get("/api/v1/papers?_size=201").status_code == 400


# --- 400s ------------------------------------------------------------------------------------

BAD = [
    ("colour=red", ["colour"]),
    ("year__gt=2020", ["year__gt"]),
    ("venue__contains=ICML", ["venue__contains"]),
    ("_page=2", ["_page"]),
    ("_sort=newest", ["_sort"]),
    ("_size=0", ["_size"]),
    ("_size=abc", ["_size"]),
    ("year=twenty", ["year"]),
    ("status=draft", ["status"]),
    ("kind=poem", ["kind"]),
    ("_facet=colour", ["_facet"]),
    ("expression=token-level", ["expression"]),  # a category of another dimension
    ("expression=nope", ["expression"]),
    ("category=nope", ["category"]),
    ("_next=garbage", ["_next"]),
    ("_sort=relevance", ["_sort"]),  # relevance needs q
    ("q=a&q=b", ["q"]),
    ("colour=red&year__gt=1&Bad%20Name=1", ["colour", "year__gt", "Bad Name"]),
]


@pytest.mark.parametrize(("query", "named"), BAD, ids=[q for q, _ in BAD])
def test_bad_query_is_400_naming_each_parameter(client, query, named):
    response = client.get(f"/api/v1/papers?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert [d["parameter"] for d in error["details"]] == named
    for name in named:
        assert name in error["message"]


def test_token_from_another_sort_is_rejected(client):
    token = client.get("/api/v1/papers?_size=1").json()["next"]
    response = client.get(f"/api/v1/papers?_size=1&_sort=title&_next={token}")
    assert response.status_code == 400


# --- Detail, aliases, lineage ----------------------------------------------------------------


def test_paper_detail(client):
    body = client.get("/api/v1/papers/rafailov2023-dpo").json()
    assert body["bibkey"] == "rafailov2023direct"
    assert body["bibtex"].startswith("@inproceedings{rafailov2023direct,")
    assert body["losses"] == ["dpo"]
    by_dim = {c["dimension"]["id"]: c for c in body["classification"]}
    assert len(by_dim) == 9  # every dimension, placed or not
    assert by_dim["evaluation"]["categories"] == []
    gran = by_dim["granularity"]
    assert gran["dimension"]["name"] == "Granularity"
    assert gran["categories"][0]["id"] == "response-level"
    assert [p["id"] for p in gran["categories"][0]["path"]] == ["fine-grained", "response-vs-token"]
    assert [(r["type"], r["paper"]["id"]) for r in body["relations"]["out"]] == [
        ("extends", "ouyang2022-instructgpt")
    ]
    assert sorted((r["type"], r["paper"]["id"]) for r in body["relations"]["in"]) == [
        ("compares-with", "ethayarajh2024-kto"),
        ("variant-of", "azar2023-ipo"),
        ("variant-of", "ethayarajh2024-kto"),
        ("variant-of", "meng2024-simpo"),
    ]
    assert body["provenance"]["source_path"] == "papers/rafailov2023-dpo.yaml"


def test_lineage_follows_extends_and_variant_of_transitively(client):
    body = client.get("/api/v1/papers/rafailov2023-dpo/lineage").json()
    assert {(p["id"], p["distance"]) for p in body["ancestors"]} == {
        ("ouyang2022-instructgpt", 1),
        ("schulman2017-ppo", 2),
        ("stiennon2020-learning-to-summarize", 2),
    }
    assert {(p["id"], p["distance"]) for p in body["descendants"]} == {
        ("azar2023-ipo", 1),
        ("ethayarajh2024-kto", 1),
        ("meng2024-simpo", 1),
    }
    body = client.get("/api/v1/papers/schulman2017-ppo/lineage").json()
    assert body["ancestors"] == []
    assert {(p["id"], p["distance"]) for p in body["descendants"]} == {
        ("ouyang2022-instructgpt", 1),
        ("stiennon2020-learning-to-summarize", 1),
        ("shao2024-deepseekmath", 1),
        ("rafailov2023-dpo", 2),
        ("azar2023-ipo", 2),
        ("ethayarajh2024-kto", 3),
        ("meng2024-simpo", 3),
    }
    assert {
        "source": "azar2023-ipo",
        "target": "ouyang2022-instructgpt",
        "kind": "extends",
    } in body["edges"]


ALIASES = [
    ("arxiv:2305.18290", "/api/v1/papers/rafailov2023-dpo"),
    ("arxiv:2305.18290v3", "/api/v1/papers/rafailov2023-dpo"),
    ("doi:10.48550/arXiv.2305.18290", "/api/v1/papers/rafailov2023-dpo"),
    ("doi:10.48550/ARXIV.2305.18290", "/api/v1/papers/rafailov2023-dpo"),
    ("doi:10.48550/arXiv.2305.18290/bibtex", "/api/v1/papers/rafailov2023-dpo/bibtex"),
    ("arxiv:2402.01306/lineage", "/api/v1/papers/ethayarajh2024-kto/lineage"),
]


@pytest.mark.parametrize(("alias", "target"), ALIASES)
def test_external_id_redirects_permanently(client, alias, target):
    response = client.get(f"/api/v1/papers/{alias}")
    assert response.status_code == 301
    assert response.headers["location"] == target
    assert client.get(target).status_code == 200


NOT_FOUND = [
    "/api/v1/papers/nope",
    "/api/v1/papers/nope/bibtex",
    "/api/v1/papers/nope/lineage",
    "/api/v1/papers/arxiv:9999.99999",
    "/api/v1/papers/doi:10.1/none",
    "/api/v1/papers/isbn:123",
]


@pytest.mark.parametrize("url", NOT_FOUND)
def test_unknown_paper_is_404_with_error_shape(client, url):
    response = client.get(url)
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == 404
    assert body["error"]["message"].startswith("no paper")
    assert body["error"]["details"]


@pytest.mark.parametrize(
    "token",
    [
        {"s": "-year", "k": [{}], "x": []},
        {"s": "-year", "k": [[1], "a"]},
        {"s": "-year", "k": [1e308, "a"]},
        {"s": "-year", "k": [True, "a"]},
        {"s": "-year", "k": [2023, 5]},
        {"s": "title", "k": [3, "a"]},
        {"s": "relevance", "o": 2**63},
        {"s": "relevance", "o": -1},
        [1, 2],
    ],
)
def test_crafted_next_token_is_a_400_not_a_500(client, token):
    import base64
    import json as _json

    raw = base64.urlsafe_b64encode(_json.dumps(token).encode()).decode().rstrip("=")
    sort = token["s"] if isinstance(token, dict) else "-year"
    q = "&q=reward" if sort == "relevance" else ""
    for path in ("/api/v1/papers", "/papers"):
        response = client.get(f"{path}?_sort={sort}&_next={raw}{q}")
        assert response.status_code == 400, (path, token)
