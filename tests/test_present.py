"""Small view helpers: titles with LaTeX shown as text, first sentences of summaries, and the
doctests of the modules that carry examples."""

from __future__ import annotations

import doctest

import pytest

from app.contract import text
from app.query import reads
from app.query.exports import bibtex, tabular
from app.web import charts
from app.web.pages import present


@pytest.mark.parametrize("module", [text, reads, bibtex, tabular, charts, present])
def test_module_examples_hold(module):
    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        (
            "From $r$ to $Q^*$: Your Language Model is Secretly a Q-Function",
            "From r to Q*: Your Language Model is Secretly a Q-Function",
        ),
        (
            "GRAM-R$^2$: Self-Training Generative Foundation Reward Models",
            "GRAM-R²: Self-Training Generative Foundation Reward Models",
        ),
        ("$\\beta$-DPO", "beta-DPO"),
        ("Plain title", "Plain title"),
    ],
)
def test_titles_show_their_latex_as_text(title, shown):
    assert present.plain_title(title) == shown


def test_first_sentence_keeps_abbreviations_inside_a_sentence():
    assert present.first_sentence("Uses e.g. RLHF. Then more.") == "Uses e.g. RLHF."


DIMS = [
    {
        "id": "optimization",
        "name": "Optimization paradigm",
        "categories": [
            {"id": "rl-free", "name": "RL-free", "children": [{"id": "offline", "name": "Off"}]}
        ],
    },
    {"id": "feedback-source", "name": "Feedback source", "categories": [{"id": "human"}]},
]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            [("optimization", "rl-free"), ("feedback-source", "human"), ("kind__not", "survey")],
            "/matrix?rows=optimization&cols=feedback-source#cell--rl-free--human",
        ),
        (
            [("feedback-source", "human"), ("optimization", "offline"), ("_sort", "title")],
            "/matrix?rows=feedback-source&cols=optimization&surveys=true#cell--human--offline",
        ),
        (
            [("category", "rl-free"), ("category", "offline"), ("kind__not", "survey")],
            "/matrix?rows=optimization&cols=optimization#cell--rl-free--offline",
        ),
    ],
)
def test_a_list_that_is_one_matrix_cell_links_back_to_it(items, expected):
    assert present.matrix_link(items, DIMS)["url"] == expected


@pytest.mark.parametrize(
    "items",
    [
        [("optimization", "rl-free")],
        [("optimization", "rl-free"), ("optimization", "offline"), ("feedback-source", "human")],
        [("category", "rl-free"), ("category", "human")],  # two dimensions: not how cells link
        [("category", "rl-free"), ("category", "no-such-category")],
        [("optimization", "rl-free"), ("year", "2023")],
    ],
)
def test_other_lists_have_no_matrix_link(items):
    assert present.matrix_link(items, DIMS) is None
