"""The store's contract: both engine modules implement every member of the Dialect protocol
with the same signature, and the engine is picked from the URL."""

from __future__ import annotations

import inspect

import pytest

from app.query.textquery import clauses_for
from app.store import dialect, postgres, sqlite
from app.store.dialect import Dialect, Phrase

MEMBERS = sorted(
    name for name in {*Dialect.__annotations__, *vars(Dialect)} if not name.startswith("_")
)


def _params(func) -> list[str]:
    return [p for p in inspect.signature(func).parameters if p != "self"]


def test_protocol_lists_the_members_read_code_uses():
    assert {"NAME", "NO_MATCH", "readonly_engine", "current_version", "fts_query"} <= set(MEMBERS)


@pytest.mark.parametrize("module", [sqlite, postgres], ids=["sqlite", "postgres"])
@pytest.mark.parametrize("member", MEMBERS)
def test_engine_module_implements_the_protocol(module, member):
    assert hasattr(module, member), f"{module.__name__} lacks {member}"
    declared = getattr(Dialect, member, None)
    if callable(declared):
        assert callable(getattr(module, member))
        assert _params(getattr(module, member)) == _params(declared)
    else:
        assert isinstance(getattr(module, member), str)


@pytest.mark.parametrize(
    ("url", "module"),
    [
        ("sqlite:///var/x.db", sqlite),
        ("postgresql://u:p@127.0.0.1/db", postgres),
        ("postgres://u@h/db", postgres),
        ("postgresql+psycopg://u@h/db", postgres),
    ],
)
def test_for_url_picks_the_engine(url, module):
    assert dialect.for_url(url) is module


def test_both_engines_render_the_same_clauses():
    clauses = [
        (Phrase(("reward", "hacking")), Phrase(("overoptimization",))),
        (Phrase(("model",), prefix=True),),
    ]
    assert sqlite.fts_query(clauses) == '("reward hacking" OR "overoptimization") AND "model"*'
    assert postgres.fts_query(clauses) == (
        "(('reward' <-> 'hacking') | ('overoptimization')) & (('model':*))"
    )
    assert sqlite.fts_query([]) is None and postgres.fts_query([]) is None


def test_typed_operators_and_quotes_stay_plain_words():
    clauses = clauses_for('reward "hacking" OR -model*')
    rendered = sqlite.fts_query(clauses)
    assert [p.words for c in clauses for p in c][:2] == [("reward",), ("rewards",)]
    assert '""' not in rendered and "-" not in rendered and "OR -" not in rendered
