"""The SQLite side of the store: read-only engines, the data version, and FTS5 search SQL.

This module implements :class:`app.store.dialect.Dialect` (a test checks it); the writer that
fills a SQLite file lives in :mod:`app.build.sqlite`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import QueuePool

from app.store.dialect import HIT_END, HIT_START, Clause
from app.store.version import sqlite_version

NAME = "sqlite"


def path_of(url: str) -> Path:
    """The file a ``sqlite:///path`` URL names."""
    return Path(url.removeprefix("sqlite:///"))


def url_for(path: Path) -> str:
    return f"sqlite:///{path}"


def display_url(url: str) -> str:
    return str(path_of(url))


def current_version(url: str) -> str | None:
    """The data version of the database file, or None when it is missing or unreadable."""
    return sqlite_version(path_of(url))


def readonly_engine(url: str) -> Engine:
    """An engine that cannot write: the file is opened with ``mode=ro`` and ``query_only``."""
    uri = f"file:{path_of(url).resolve()}?mode=ro"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        return conn

    # An explicit QueuePool: with a bare "sqlite://" URL SQLAlchemy picks SingletonThreadPool,
    # which closes a connection another request thread is still using once more than five
    # threads have asked for one ("Cannot operate on a closed database" under load).
    return create_engine(
        "sqlite://",
        creator=connect,
        poolclass=QueuePool,
        pool_size=8,
        max_overflow=32,
        pool_pre_ping=False,
    )


# --- Full-text search statements (read side) ------------------------------------------------
def fts_query(clauses: Sequence[Clause]) -> str | None:
    """The FTS5 MATCH expression of a parsed query: clauses joined by AND, the phrases of one
    clause by OR. None when there is nothing to search for."""
    if not clauses:
        return None
    rendered = []
    for clause in clauses:
        phrases = [f'"{" ".join(p.words)}"' + ("*" if p.prefix else "") for p in clause]
        rendered.append(phrases[0] if len(phrases) == 1 else f"({' OR '.join(phrases)})")
    return " AND ".join(rendered)


# What ``:fts_match`` is bound to when the user typed nothing searchable: matches no row.
NO_MATCH = '""'

# Column weights for bm25 in paper_fts column order: paper_id (unindexed), names (short name and
# aliases), title, authors, summary, categories, venue. A name or title hit should outrank a
# passing mention in a summary.
_PAPER_WEIGHTS = "0.0, 12.0, 10.0, 4.0, 1.0, 2.0, 1.0"
# An exact short-name or alias match (paper_name, keyed by the paper's rowid) ranks first.
_NAME_BOOST = (
    "COALESCE((SELECT MAX(n.weight) FROM paper_name n WHERE n.paper_rowid = paper_fts.rowid "
    "AND instr(:name_keys, '|' || n.name_key || '|') > 0), 0)"
)
# bm25 is negative (lower is better): the prior factor (>= 1) pushes often-built-on papers up.
_PRIOR = "(SELECT pp.factor FROM paper_prior pp WHERE pp.paper_rowid = paper_fts.rowid)"
# A match in the short name, aliases or title outranks any match found only in the other
# columns (a constant above any bm25 difference, below the exact-name boosts).
TITLE_BOOST = 200
_TITLE_HIT = (
    f"(CASE WHEN paper_fts.rowid IN (SELECT rowid FROM paper_fts WHERE paper_fts MATCH "
    f"'{{names title}} : (' || :fts_match || ')') THEN {TITLE_BOOST} ELSE 0 END)"
)
_PAPER_RANK = f"bm25(paper_fts, {_PAPER_WEIGHTS}) * {_PRIOR} - {_NAME_BOOST} - {_TITLE_HIT}"
_CATEGORY_WEIGHTS = "0.0, 0.0, 5.0, 1.0"


# The build gives each paper_fts row the rowid of its paper row (app.build.sqlite), so matches are
# joined on rowids: reading the UNINDEXED paper_id column loads each match's whole content row
# (summary included), which made counting 4k matches at 10k papers ~10x slower.


def paper_match_subquery() -> str:
    """``SELECT paper_id`` of papers matching ``:fts_match`` (no ranking: cheaper to filter)."""
    return (
        "SELECT id FROM paper WHERE rowid IN "
        "(SELECT rowid FROM paper_fts WHERE paper_fts MATCH :fts_match)"
    )


def paper_rank_subquery() -> str:
    """``SELECT paper_id, rank`` of papers matching ``:fts_match``; lower rank is better."""
    return (
        f"SELECT fp.id AS paper_id, fr.rank FROM (SELECT rowid, {_PAPER_RANK} "
        "AS rank FROM paper_fts WHERE paper_fts MATCH :fts_match) fr "
        "JOIN paper fp ON fp.rowid = fr.rowid"
    )


def paper_rank_page_subquery() -> str:
    """``SELECT page_id, page_rank``: one page (``:limit``, ``:offset``) of the papers matching
    ``:fts_match``, best first, ties by id. The build inserts papers in id order, so rowid order
    is id order and the papers table is read only for the page's rows."""
    return (
        f"SELECT fp.id AS page_id, fr.rank AS page_rank FROM (SELECT rowid, {_PAPER_RANK} "
        "AS rank FROM paper_fts WHERE paper_fts MATCH :fts_match "
        "ORDER BY rank, rowid LIMIT :limit OFFSET :offset) fr JOIN paper fp ON fp.rowid = fr.rowid"
    )


def paper_search_statement() -> str:
    """Best papers for ``:fts_match`` (at most ``:limit``) with a highlighted title and a snippet
    of the summary."""
    return (
        f"SELECT paper_id, {_PAPER_RANK} AS rank, "
        f"highlight(paper_fts, 2, '{HIT_START}', '{HIT_END}') AS title_hl, "
        f"snippet(paper_fts, 4, '{HIT_START}', '{HIT_END}', '…', 24) AS snippet "
        "FROM paper_fts WHERE paper_fts MATCH :fts_match ORDER BY rank, paper_id LIMIT :limit"
    )


def paper_highlight_statement(placeholders: str) -> str:
    """Highlighted title and summary snippet of the papers whose ids are bound to
    ``placeholders`` (``:h0, :h1``) and that match ``:fts_match``: the marks of a page whose
    order is already known."""
    return (
        f"SELECT paper_id, highlight(paper_fts, 2, '{HIT_START}', '{HIT_END}') AS title_hl, "
        f"highlight(paper_fts, 1, '{HIT_START}', '{HIT_END}') AS names_hl, "
        f"snippet(paper_fts, 4, '{HIT_START}', '{HIT_END}', '…', 24) AS snippet "
        "FROM paper_fts WHERE paper_fts MATCH :fts_match "
        f"AND rowid IN (SELECT rowid FROM paper WHERE id IN ({placeholders}))"
    )


def paper_match_count_statement() -> str:
    return "SELECT COUNT(*) FROM paper_fts WHERE paper_fts MATCH :fts_match"


def category_search_statement() -> str:
    """Best categories and dimensions for ``:fts_match`` with highlighted name and snippet."""
    return (
        f"SELECT category_id, kind, bm25(category_fts, {_CATEGORY_WEIGHTS}) AS rank, "
        f"highlight(category_fts, 2, '{HIT_START}', '{HIT_END}') AS name_hl, "
        f"snippet(category_fts, 3, '{HIT_START}', '{HIT_END}', '…', 24) AS snippet "
        "FROM category_fts WHERE category_fts MATCH :fts_match "
        "ORDER BY rank, category_id LIMIT :limit"
    )


def category_match_count_statement() -> str:
    return "SELECT COUNT(*) FROM category_fts WHERE category_fts MATCH :fts_match"
