"""The contract between read code and a SQL engine, and how an engine is picked.

Each engine has one module that implements :class:`Dialect`: :mod:`app.store.sqlite` (the
embedded default, FTS5) and :mod:`app.store.postgres` (tsvector/tsquery). Read code asks
:func:`of` for the dialect serving a connection; start-up and the build ask :func:`for_url`.
``tests/test_store.py`` checks that both modules implement every member with the same signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from app.contract.text import words

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

POSTGRES_SCHEMES = ("postgresql", "postgres")

# Highlights are marked with two control characters that validated text cannot contain;
# app.query.search splits on them into {"text", "hit"} segments, so pages escape everything.
HIT_START = "\x02"
HIT_END = "\x03"

MAX_QUERY_WORDS = 16


def query_words(text: str) -> list[str]:
    """The searchable words of what a person typed (lower-cased, at most 16), in order."""
    return words(text)[:MAX_QUERY_WORDS]


@dataclass(frozen=True)
class Phrase:
    """Words that must appear in this order; with ``prefix`` the last may go on (``model`` ->
    ``models``, ``modelling``). Words are ``\\w+`` only, so they need no escaping."""

    words: tuple[str, ...]
    prefix: bool = False


# A full-text query is a list of clauses, all of which must match; a clause matches when any
# of its phrases does. app.query.textquery builds them (plurals, synonyms); dialects render them.
Clause = tuple[Phrase, ...]


class Dialect(Protocol):
    """What one engine module provides. Statements bind ``:fts_match`` (from :meth:`fts_query`,
    or :attr:`NO_MATCH` when nothing is searchable), ``:name_keys`` (``|key|key|``: a paper
    with one of these names ranks first, see :func:`app.query.textquery.name_keys`) and, where
    they page, ``:limit``/``:offset``; ranks are "lower is better"."""

    NAME: str
    NO_MATCH: str

    def display_url(self, url: str) -> str: ...

    def current_version(self, url: str) -> str | None: ...

    def readonly_engine(self, url: str) -> Engine: ...

    def fts_query(self, clauses: Sequence[Clause]) -> str | None: ...

    def paper_match_subquery(self) -> str: ...

    def paper_rank_subquery(self) -> str: ...

    def paper_rank_page_subquery(self) -> str: ...

    def paper_search_statement(self) -> str: ...

    def paper_match_count_statement(self) -> str: ...

    def paper_highlight_statement(self, placeholders: str) -> str: ...

    def category_search_statement(self) -> str: ...

    def category_match_count_statement(self) -> str: ...


def is_postgres(url: str | None) -> bool:
    """Whether ``url`` names a PostgreSQL database (``postgresql://``, ``postgresql+psycopg://``,
    ``postgres://``)."""
    return bool(url) and url.split(":", 1)[0].split("+", 1)[0] in POSTGRES_SCHEMES


def for_url(url: str) -> Dialect:
    """The dialect for a database URL (``sqlite:///path`` or PostgreSQL)."""
    if is_postgres(url):
        from app.store import postgres  # imported lazily: psycopg is an optional extra

        return postgres
    from app.store import sqlite

    return sqlite


def of(conn: Connection) -> Dialect:
    """The dialect serving an open connection."""
    if conn.dialect.name == "postgresql":
        from app.store import postgres

        return postgres
    from app.store import sqlite

    return sqlite
