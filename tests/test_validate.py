"""The validator: one broken fixture per rule, each with its exact message, all errors at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.contract.validate import load_taxonomy
from tests.conftest import BAD, GOOD

# fixture (folder/file) -> the exact line the validator must print for it (path relative to the
# data folder). Where one mistake is reported in two files (duplicates), both lines are listed.
EXPECTED = {
    "papers/arxiv-malformed.yaml": [
        "papers/arxiv-malformed.yaml:10: arxiv: '22-12-08073' is not an arXiv id "
        "(expected like 2305.18290)"
    ],
    "papers/arxiv-versioned.yaml": [
        "papers/arxiv-versioned.yaml:10: arxiv: '2212.08073v2' must be versionless: "
        "write '2212.08073'"
    ],
    "papers/attested-not-in-classification.yaml": [
        "papers/attested-not-in-classification.yaml:25: provenance.attested[0]: 'implicit' is "
        "not in this paper's classification"
    ],
    "papers/category-of-other-dimension.yaml": [
        "papers/category-of-other-dimension.yaml:17: classification.expression[0]: "
        "'token-level' belongs to dimension 'granularity', not 'expression'"
    ],
    "papers/code-javascript-url.yaml": [
        "papers/code-javascript-url.yaml:12: code: 'javascript:alert(1)' must be an http(s) URL"
    ],
    "papers/date-invalid.yaml": [
        "papers/date-invalid.yaml:25: provenance.added: '2026-13-45' is not a date "
        "(write YYYY-MM-DD)"
    ],
    "papers/doi-malformed.yaml": [
        "papers/doi-malformed.yaml:11: doi: 'doi.org/123' is not a DOI (expected like 10.1234/abc)"
    ],
    "papers/duplicate-arxiv.yaml": [
        "papers/duplicate-arxiv.yaml:10: arxiv: duplicate arXiv id '2305.18290' "
        "(also in papers/rafailov2023-dpo.yaml:15)",
        "papers/rafailov2023-dpo.yaml:15: arxiv: duplicate arXiv id '2305.18290' "
        "(also in papers/duplicate-arxiv.yaml:10)",
    ],
    "papers/duplicate-doi.yaml": [
        "papers/duplicate-doi.yaml:11: doi: duplicate DOI '10.48550/arxiv.2305.18290' "
        "(also in papers/rafailov2023-dpo.yaml:16)"
    ],
    "papers/duplicate-key.yaml": [
        "papers/duplicate-key.yaml:8: year: duplicate key (first at line 7)"
    ],
    "papers/duplicate-title.yaml": [
        "papers/duplicate-title.yaml:3: title: duplicate normalised title 'Direct preference "
        "optimization -- your language model is secretly a reward model!' "
        "(also in papers/rafailov2023-dpo.yaml:3)"
    ],
    "papers/empty-summary.yaml": [
        "papers/empty-summary.yaml:12: summary: must not be empty: say in 1-3 sentences what the "
        "paper does"
    ],
    "papers/file-name-mismatch.yaml": [
        "papers/file-name-mismatch.yaml:2: id: 'some-other-id' does not match the file name "
        "'file-name-mismatch.yaml'"
    ],
    "papers/id-format.yaml": [
        "papers/id-format.yaml:2: id: 'Id_Format.v2' is not a valid id: use lowercase kebab-case "
        "(a-z, 0-9, '-'), no dots"
    ],
    "papers/kind-not-allowed.yaml": [
        "papers/kind-not-allowed.yaml:8: kind: blogpost is not one of: method, model, benchmark, "
        "dataset, survey or analysis"
    ],
    "papers/missing-modeline.yaml": [
        "papers/missing-modeline.yaml:1: (file): first line must be "
        "'# yaml-language-server: $schema=../schema/paper.schema.json'"
    ],
    "papers/missing-title.yaml": ["papers/missing-title.yaml:2: title: required field is missing"],
    "papers/no-classification.yaml": [
        "papers/no-classification.yaml:15: classification: a paper must be placed in at least one "
        "dimension"
    ],
    "papers/ouyang2022-instructgpt.yaml": [
        "papers/ouyang2022-instructgpt.yaml:47: relations[0].target: cycle in 'extends': "
        "ouyang2022-instructgpt -> rafailov2023-dpo -> ouyang2022-instructgpt"
    ],
    "papers/relation-duplicate.yaml": [
        "papers/relation-duplicate.yaml:23: relations[1].target: duplicate relation extends "
        "'ouyang2022-instructgpt'"
    ],
    "papers/relation-missing-target.yaml": [
        "papers/relation-missing-target.yaml:20: relations[0].target: required field is missing"
    ],
    "papers/relation-to-itself.yaml": [
        "papers/relation-to-itself.yaml:21: relations[0].target: a paper cannot relate to itself"
    ],
    "papers/relation-unknown-paper.yaml": [
        "papers/relation-unknown-paper.yaml:21: relations[0].target: unknown paper "
        "'nobody2099-missing'"
    ],
    "papers/relation-unknown-type.yaml": [
        "papers/relation-unknown-type.yaml:20: relations[0].type: cites is not one of: extends, "
        "variant-of, uses-reward-from, evaluates or compares-with"
    ],
    "papers/root-not-mapping.yaml": [
        "papers/root-not-mapping.yaml:1: (root): expected a mapping, got list"
    ],
    "papers/unknown-category.yaml": [
        "papers/unknown-category.yaml:17: classification.expression[0]: unknown category "
        "'telepathic'"
    ],
    "papers/unknown-dimension.yaml": [
        "papers/unknown-dimension.yaml:19: classification.colour: unknown dimension 'colour' "
        "(known: construction, evaluation, expression, feedback-source, format, formulation, "
        "granularity, optimization, setting)"
    ],
    "papers/relation-to-later-paper.yaml": [
        "papers/relation-to-later-paper.yaml:20: relations[0].type: extends points to a later "
        "paper ('rafailov2023-dpo', arXiv 2305.18290; this paper arXiv 2212.08073): reverse the "
        "relation, or add a note saying why (a later version, for instance)"
    ],
    "papers/short-name-too-long.yaml": [
        "papers/short-name-too-long.yaml:4: short_name: String should have at most 40 characters"
    ],
    "synonyms.yaml": ["synonyms.yaml:5: groups[2][0]: 'Reward-Hacking' is already in groups[0][0]"],
    "papers/title-control-character.yaml": [
        "papers/title-control-character.yaml:3: title: contains the invisible or control "
        "character U+202E at position 18: remove it"
    ],
    "papers/title-too-long.yaml": [
        "papers/title-too-long.yaml:3: title: String should have at most 400 characters"
    ],
    "papers/category-typo.yaml": [
        "papers/category-typo.yaml:13: classification.feedback-source[0]: unknown category "
        "'ai-judge' (did you mean 'ai-feedback'?) (valid in feedback-source: human-feedback, "
        "ai-feedback, verifier-feedback, environment-feedback, self-feedback)"
    ],
    "papers/relation-target-typo.yaml": [
        "papers/relation-target-typo.yaml:16: relations[0].target: unknown paper "
        "'rafailov2023-dpos' (did you mean 'rafailov2023-dpo'?)"
    ],
    "papers/relation-type-typo.yaml": [
        "papers/relation-type-typo.yaml:15: relations[0].type: extend is not one of: extends, "
        "variant-of, uses-reward-from, evaluates or compares-with (did you mean 'extends'?)"
    ],
    "papers/loss-not-linked-back.yaml": [
        "papers/loss-not-linked-back.yaml:14: losses[0]: the loss lab's 'dpo' entry does not name "
        "this paper: add a PaperRef with paper_id 'loss-not-linked-back' to its papers in "
        "app/losses/registry_*.py (CONTRIBUTING.md, 'Linking a paper to a loss')"
    ],
    "papers/arxiv-too-few-digits.yaml": [
        "papers/arxiv-too-few-digits.yaml:9: arxiv: '2507.1862' is not an arXiv id: ids from "
        "2015 on have 5 digits after the dot"
    ],
    "papers/arxiv-bad-month.yaml": [
        "papers/arxiv-bad-month.yaml:9: arxiv: '1234.5678' has month 34: the four digits before "
        "the dot are YYMM"
    ],
    "papers/arxiv-url-disagree.yaml": [
        "papers/arxiv-url-disagree.yaml:10: url: names arXiv 2507.18642, but arxiv is '2507.18624'"
    ],
    "papers/arxiv-after-year.yaml": [
        "papers/arxiv-after-year.yaml:9: arxiv: '2507.18624' was posted in 2025, more than a "
        "year after year 2019: check the id (year is the first public version's)"
    ],
    "papers/unknown-field.yaml": [
        "papers/unknown-field.yaml:9: colour: unknown field (allowed: id, title, short_name, "
        "aliases, authors, year, kind, status, venue, arxiv, doi, url, code, summary, "
        "classification, relations, losses, method, provenance)"
    ],
    "papers/method-on-benchmark.yaml": [
        "papers/method-on-benchmark.yaml:19: method: method facts apply to kind method or model, "
        "not 'benchmark'"
    ],
    "papers/method-signal-typo.yaml": [
        "papers/method-signal-typo.yaml:20: method.learns_from[0]: paired-preference is not one "
        "of: paired-preferences, unpaired-labels, scalar-rewards, verifiable-outcomes, "
        "rubric-scores, step-labels or demonstrations (did you mean 'paired-preferences'?)",
        "papers/method-signal-typo.yaml:21: method.policy_data: offline is not one of: on-policy "
        "or off-policy",
    ],
    "papers/unknown-loss.yaml": [
        "papers/unknown-loss.yaml:22: losses[0]: unknown loss 'magic-loss' (known: "
    ],
    "papers/url-not-http.yaml": [
        "papers/url-not-http.yaml:11: url: 'ftp://example.org/paper.pdf' must be an http(s) URL"
    ],
    "papers/verified-source-not-http.yaml": [
        "papers/verified-source-not-http.yaml:27: provenance.verified.source: "
        "'data:text/html,hello' must be an http(s) URL"
    ],
    "papers/wrong-type-authors.yaml": [
        "papers/wrong-type-authors.yaml:4: authors: must be a list, got dict"
    ],
    "papers/wrong-type-year.yaml": [
        "papers/wrong-type-year.yaml:7: year: must be a whole number, got 'twenty-twenty-two'"
    ],
    "papers/yaml-alias.yaml": [
        "papers/yaml-alias.yaml:4: yaml: anchors and aliases are not allowed"
    ],
    "papers/yaml-syntax.yaml": [
        "papers/yaml-syntax.yaml:8: yaml: mapping values are not allowed in this context"
    ],
    "papers/year-out-of-range.yaml": [
        "papers/year-out-of-range.yaml:7: year: 1890 is out of range (1950..2027)"
    ],
    "dimensions/category-cycle.yaml": [
        "dimensions/category-cycle.yaml:11: categories[0].parent: cycle in category tree: "
        "category-cycle-a -> category-cycle-b -> category-cycle-a"
    ],
    "dimensions/category-parent-in-other-dimension.yaml": [
        "dimensions/category-parent-in-other-dimension.yaml:15: categories[1].parent: 'implicit' "
        "belongs to dimension 'expression', not 'category-parent-in-other-dimension'"
    ],
    "dimensions/category-unknown-parent.yaml": [
        "dimensions/category-unknown-parent.yaml:15: categories[1].parent: unknown category "
        "'nowhere'"
    ],
    "dimensions/dimension-name-mismatch.yaml": [
        "dimensions/dimension-name-mismatch.yaml:2: id: 'another-axis' does not match the file "
        "name 'dimension-name-mismatch.yaml'"
    ],
    "dimensions/dimension-no-categories.yaml": [
        "dimensions/dimension-no-categories.yaml:8: categories: must not be empty"
    ],
    "dimensions/provenance-unknown.yaml": [
        "dimensions/provenance-unknown.yaml:6: provenance[0]: blog is not one of: survey-v1, "
        "survey-v2 or curated"
    ],
    "dimensions/sparse-without-reason.yaml": [
        "dimensions/sparse-without-reason.yaml:15: categories[1].sparse_reason: required when "
        "sparse is true: say why the field has few papers here"
    ],
    "dimensions/zz-duplicate-category.yaml": [
        "dimensions/expression.yaml:17: categories[1].id: duplicate id 'implicit' "
        "(also at dimensions/zz-duplicate-category.yaml:13)",
        "dimensions/zz-duplicate-category.yaml:13: categories[1].id: duplicate id 'implicit' "
        "(also at dimensions/expression.yaml:17)",
    ],
}


def _tree_with(tmp_path: Path, fixture: str) -> Path:
    tree = tmp_path / "taxonomy"
    shutil.copytree(GOOD, tree)
    shutil.copy(BAD / fixture, tree / fixture)
    return tree


def _messages(tree: Path) -> list[str]:
    taxonomy, problems = load_taxonomy(tree)
    assert taxonomy is None
    return [p.format(tree) for p in problems]


def test_every_bad_fixture_has_an_expected_message():
    on_disk = {p.relative_to(BAD).as_posix() for p in BAD.rglob("*.yaml")}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 30


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_bad_fixture_reports_its_exact_message(tmp_path: Path, fixture: str):
    messages = _messages(_tree_with(tmp_path, fixture))
    for expected in EXPECTED[fixture]:
        assert any(m.startswith(expected) for m in messages), (expected, messages)


def test_good_fixture_tree_is_valid():
    taxonomy, problems = load_taxonomy(GOOD)
    assert problems == []
    assert taxonomy is not None and len(taxonomy.papers) == 11


def test_all_errors_are_reported_at_once(tmp_path: Path):
    tree = tmp_path / "taxonomy"
    shutil.copytree(GOOD, tree)
    for fixture in (
        "papers/wrong-type-year.yaml",
        "papers/url-not-http.yaml",
        "dimensions/category-cycle.yaml",
    ):
        shutil.copy(BAD / fixture, tree / fixture)
    messages = _messages(tree)
    assert len(messages) == 3
    assert [m.split(":")[0] for m in messages] == [
        "dimensions/category-cycle.yaml",
        "papers/url-not-http.yaml",
        "papers/wrong-type-year.yaml",
    ]


def test_yaml_on_key_is_a_string_not_a_boolean():
    taxonomy, _ = load_taxonomy(GOOD)
    assert taxonomy is not None
    dpo = next(p for p in taxonomy.papers if p.id == "rafailov2023-dpo")
    assert dpo.provenance.verified is not None
    assert dpo.provenance.verified.on.isoformat() == "2026-11-27"


def test_billion_laughs_is_refused_quickly(tmp_path: Path):
    import time

    tree = tmp_path / "taxonomy"
    shutil.copytree(GOOD, tree)
    lines = ["# yaml-language-server: $schema=../schema/paper.schema.json", "a: &a [x, x, x, x]"]
    lines += [
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]"
        for i in range(9)
    ]
    (tree / "papers" / "laughs.yaml").write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    messages = _messages(tree)
    assert time.perf_counter() - started < 5
    assert "papers/laughs.yaml:2: yaml: anchors and aliases are not allowed" in messages


def test_real_data_validates():
    from tests.conftest import REPO

    taxonomy, problems = load_taxonomy(REPO / "data" / "taxonomy")
    assert [p.format() for p in problems] == []
    assert taxonomy is not None
