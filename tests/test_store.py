"""The store's contract: both engine modules implement every member of the Dialect protocol
with the same signature, and the engine is picked from the URL."""

from __future__ import annotations

import inspect

import pytest

from app.store import dialect, postgres, sqlite
from app.store.dialect import Dialect

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


def test_both_engines_read_the_same_words_from_a_query():
    text = 'reward "hacking" OR -model*'
    assert sqlite.fts_query(text) == '"reward" "hacking" "or" "model"*'
    assert postgres.fts_query(text) == "'reward' & 'hacking' & 'or' & 'model':*"
    assert sqlite.fts_query("!!") is None and postgres.fts_query("!!") is None
