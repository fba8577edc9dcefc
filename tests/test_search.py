"""Search over the real data: the relevance set (tests/fixtures/relevance.yaml) at its
thresholds, the examples the finding issue names, and how queries are read (plurals, no
stemming, synonyms, exact names)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.build import build
from app.query import search
from app.query.textquery import SynonymIndex, clauses_for, name_keys
from app.store import sqlite
from benchmarks.relevance import score, summary
from tests.conftest import REPO

DATA = REPO / "data" / "taxonomy"
CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "relevance.yaml").read_text())


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("real-search") / "atlas.db"
    build(DATA, db)
    engine = sqlite.readonly_engine(sqlite.url_for(db))
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _ranked(conn, q: str) -> list[str]:
    return [p["id"] for p in search.search(conn=conn, q=q, limit=10)["papers"]]


def test_relevance_set_is_large_enough():
    assert len(CASES) >= 50


def test_relevance_set_meets_its_thresholds(conn):
    outcomes = score(CASES, lambda q: _ranked(conn, q))
    figures = summary(outcomes)
    misses = [(o.q, o.rank) for o in outcomes if not o.hit]
    assert figures["success_at_k"] >= 0.95, misses
    assert figures["mrr"] >= 0.9, misses


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("DPO", "rafailov2023-dpo"),
        ("GRPO", "shao2024-deepseekmath"),
        ("PPO", "schulman2017-ppo"),
        ("InstructGPT", "ouyang2022-instructgpt"),
        ("process reward model", "lightman2023-lets-verify-step-by-step"),
        ("DDPO", "black2023-ddpo"),  # a short name outranks another paper's alias
    ],
)
def test_the_paper_that_introduces_a_name_ranks_first(conn, q, first):
    assert _ranked(conn, q)[0] == first


def test_reward_hacking_finds_reward_model_overoptimization(conn):
    assert "gao2022-reward-overoptimization" in _ranked(conn, "reward hacking")[:3]


def test_a_long_author_list_does_not_bury_a_paper(conn):
    # DeepSeek-R1 names GRPO once in its summary and has ~200 authors; it was last for "GRPO"
    ranked = [p["id"] for p in search.search(conn=conn, q="GRPO", limit=20)["papers"]]
    assert "deepseekai2025-r1" in ranked


def test_plurals_fold_but_words_are_not_stemmed():
    forms = {p.words for clause in clauses_for("processing models") for p in clause}
    assert ("process",) not in forms and ("processing",) in forms
    assert {("model",), ("models",)} <= forms
    assert {p.words for c in clauses_for("policies") for p in c} >= {("policy",), ("policies",)}


def test_a_synonym_phrase_matches_every_phrase_of_its_group():
    index = SynonymIndex.of(
        [["reward hacking", "specification gaming"], ["PRM", "process reward model"]]
    )
    (clause,) = clauses_for("reward hacking", index)
    assert ("specification", "gaming") in {p.words for p in clause}
    assert (
        name_keys("process reward models", index)
        == "|process reward models|prm|process reward model|"
    )
    assert name_keys("!!", index) == ""


# --- The search page's one ranked list --------------------------------------------------------


def _page_rows(conn, q: str, size: int = 20) -> list[dict]:
    from app.query.listing.grammar import parse_paper_query
    from app.query.listing.page import list_papers

    query = parse_paper_query([("q", q), ("_size", str(size))], dimensions=set())
    return list_papers(conn=conn, query=query, base_path="/search")["rows"]


def _merged(conn, q: str, with_categories: bool = True) -> dict:
    return search.merged_page(
        conn=conn, q=q, rows=_page_rows(conn, q), with_categories=with_categories
    )


def test_a_method_name_puts_its_paper_first_in_the_merged_list(conn):
    items = _merged(conn, "DPO")["items"]
    assert (items[0]["kind"], items[0]["id"]) == ("paper", "rafailov2023-dpo")
    assert items[0]["tier"] == search.TIER_PAPER_NAME


def test_a_category_name_ranks_its_category_above_papers_that_only_mention_it(conn):
    items = _merged(conn, "implicit")["items"]
    first = items[0]
    assert (first["kind"], first["id"], first["tier"]) == (
        "category",
        "implicit",
        search.TIER_CATEGORY_NAME,
    )


def test_the_merged_list_keeps_tiers_in_order_and_each_stream_in_its_own_order(conn):
    merged = _merged(conn, "reward model")
    tiers = [item["tier"] for item in merged["items"] if item["tier"] < search.TIER_CATEGORY_TEXT]
    papers = [item for item in merged["items"] if item["kind"] == "paper"]
    assert [p["id"] for p in papers] == [r["id"] for r in _page_rows(conn, "reward model")]
    # a category never jumps ahead of a paper of a better tier
    for earlier, later in zip(merged["items"], merged["items"][1:], strict=False):
        if later["kind"] != "paper" and earlier["kind"] == "paper":
            assert earlier["tier"] <= later["tier"]
    assert tiers  # something matched by name or title
    shown = [i for i in merged["items"] if i["tier"] == search.TIER_CATEGORY_TEXT]
    assert len(shown) <= search.INLINE_TEXT_CATEGORIES
    assert merged["category_count"] == sum(
        1 for i in merged["items"] if i["kind"] != "paper"
    ) + len(merged["more_categories"])


def test_title_hits_are_marked_and_outrank_summary_only_matches(conn):
    items = [i for i in _merged(conn, "process reward")["items"] if i["kind"] == "paper"]
    title_hit = [any(s["hit"] for s in i["title"]) for i in items]
    assert any(title_hit)
    # within the first page, every paper with a title hit comes before the first without one
    # (exact names aside, which lead)
    ranked = [i for i in items if i["tier"] >= search.TIER_TITLE_HIT]
    seen_text_only = False
    for item in ranked:
        if item["tier"] == search.TIER_PAPER_TEXT:
            seen_text_only = True
        else:
            assert not seen_text_only, item["id"]


def test_without_categories_the_list_is_only_papers(conn):
    merged = _merged(conn, "implicit", with_categories=False)
    assert {i["kind"] for i in merged["items"]} == {"paper"}
    assert merged["category_count"] == 0
