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
