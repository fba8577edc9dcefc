"""Full-text search over papers and over categories and dimensions."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import Connection, text

from app.contract.text import phrase_key
from app.query.listing.snapshot import snapshot
from app.query.listing.sql import in_list
from app.query.textquery import clauses_for, name_keys
from app.store import dialect
from app.store.dialect import HIT_END, HIT_START


def segments(marked: str) -> list[dict[str, Any]]:
    """Split FTS-highlighted text into ``[{"text", "hit"}]`` (hits between the dialect's
    sentinels), so a template can escape every piece and wrap only hits in ``<mark>``.

    >>> segments("a \x02b\x03 c")
    [{'text': 'a ', 'hit': False}, {'text': 'b', 'hit': True}, {'text': ' c', 'hit': False}]
    """
    out: list[dict[str, Any]] = []
    for n, part in enumerate(re.split(f"[{HIT_START}{HIT_END}]", marked)):
        if part:
            out.append({"text": part, "hit": n % 2 == 1})
    return out


def search(*, conn: Connection, q: str, limit: int = 20) -> dict[str, Any]:
    """Full-text search over papers and over categories/dimensions, each ranked by relevance
    (bm25 on SQLite, ts_rank on PostgreSQL: only the order is comparable across engines).

    Titles, names and snippets come as segments (see :func:`segments`) — never as HTML.
    """
    fts = dialect.of(conn)
    synonyms = snapshot(conn).synonyms
    match = fts.fts_query(clauses_for(q, synonyms))
    result: dict[str, Any] = {
        "q": q,
        "papers": [],
        "categories": [],
        "counts": {"papers": 0, "categories": 0},
    }
    if match is None:
        return result
    params = {
        "fts_match": match,
        "limit": limit,
        "name_keys": name_keys(q, synonyms),
    }
    papers = conn.execute(text(fts.paper_search_statement()), params).all()
    ids: dict[str, Any] = {}
    where = in_list("id", [r.paper_id for r in papers], "p", ids) if papers else "1 = 0"
    sql = f"SELECT id, year, venue, authors FROM paper WHERE {where}"
    details = {r.id: r for r in conn.execute(text(sql), ids)}
    result["papers"] = [
        {
            "id": r.paper_id,
            "year": details[r.paper_id].year,
            "venue": details[r.paper_id].venue,
            "authors": json.loads(details[r.paper_id].authors),
            "score": -r.rank,
            "title": segments(r.title_hl),
            "snippet": segments(r.snippet),
        }
        for r in papers
    ]
    cats = conn.execute(text(fts.category_search_statement()), params).all()
    dims_of = dict(conn.execute(text("SELECT id, dimension_id FROM category")).all())
    result["categories"] = [
        {
            "id": r.category_id,
            "kind": r.kind,
            "dimension": dims_of.get(r.category_id) if r.kind == "category" else r.category_id,
            "score": -r.rank,
            "name": segments(r.name_hl),
            "snippet": segments(r.snippet),
        }
        for r in cats
    ]
    result["counts"] = {
        "papers": conn.execute(text(fts.paper_match_count_statement()), params).scalar_one(),
        "categories": conn.execute(text(fts.category_match_count_statement()), params).scalar_one(),
    }
    return result


# Where a result sits in the merged list of the search page: lower tiers come first, and each
# stream keeps its own order inside a tier. A paper named by the query (short name or alias)
# leads, then a category or dimension named by it, then a paper whose whole title it is, then
# title and name hits, and last the matches found only in summaries and descriptions.
TIER_PAPER_NAME, TIER_CATEGORY_NAME, TIER_PAPER_TITLE = 0, 1, 2
TIER_TITLE_HIT, TIER_NAME_HIT, TIER_PAPER_TEXT, TIER_CATEGORY_TEXT = 3, 4, 5, 6
# Categories that match only in their description are listed after the page's papers; past
# this many they fold into one expandable line.
INLINE_TEXT_CATEGORIES = 3


def _tier(item: dict[str, Any]) -> int:
    return item["tier"]


def _has_hit(parts: list[dict[str, Any]]) -> bool:
    return any(part["hit"] for part in parts)


def _paper_tier(
    paper: dict[str, Any], keys: set[str], title: list[dict[str, Any]], named: bool
) -> int:
    names = [paper.get("short_name") or "", *paper.get("aliases", [])]
    if any(phrase_key(n) in keys for n in names if n):
        return TIER_PAPER_NAME
    if phrase_key(paper["title"]) in keys:
        return TIER_PAPER_TITLE
    return TIER_TITLE_HIT if named or _has_hit(title) else TIER_PAPER_TEXT


def merged_page(
    *, conn: Connection, q: str, rows: list[dict[str, Any]], with_categories: bool
) -> dict[str, Any]:
    """The search page's one ranked list: the page of papers ``rows`` (already in relevance
    order, from the paper list) with their highlighted title and snippet, and, when
    ``with_categories``, the matching categories and dimensions merged in by tier (see
    ``TIER_*``). Returns ``{"items", "more_categories", "category_count"}``; every item has
    ``kind`` (paper, category, dimension), ``tier``, ``title`` and ``snippet`` segments."""
    fts = dialect.of(conn)
    synonyms = snapshot(conn).synonyms
    match = fts.fts_query(clauses_for(q, synonyms))
    keys = {k for k in name_keys(q, synonyms).split("|") if k}
    marks: dict[str, Any] = {}
    if match is not None and rows:
        params: dict[str, Any] = {"fts_match": match}
        for i, paper in enumerate(rows):
            params[f"h{i}"] = paper["id"]
        placeholders = ", ".join(f":h{i}" for i in range(len(rows)))
        statement = text(fts.paper_highlight_statement(placeholders))
        marks = {r.paper_id: r for r in conn.execute(statement, params)}
    papers = []
    for paper in rows:
        mark = marks.get(paper["id"])
        title = segments(mark.title_hl) if mark else [{"text": paper["title"], "hit": False}]
        papers.append(
            {
                "kind": "paper",
                "id": paper["id"],
                "tier": _paper_tier(
                    paper, keys, title, bool(mark) and _has_hit(segments(mark.names_hl))
                ),
                "paper": paper,
                "title": title,
                "snippet": segments(mark.snippet) if mark else [],
            }
        )
    categories: list[dict[str, Any]] = []
    if with_categories and match is not None:
        statement = text(fts.category_search_statement())
        for r in conn.execute(statement, {"fts_match": match, "limit": 100}):
            name = segments(r.name_hl)
            plain = "".join(part["text"] for part in name)
            if phrase_key(plain) in keys:
                tier = TIER_CATEGORY_NAME
            else:
                tier = TIER_NAME_HIT if _has_hit(name) else TIER_CATEGORY_TEXT
            categories.append(
                {
                    "kind": r.kind,
                    "id": r.category_id,
                    "tier": tier,
                    "title": name,
                    "snippet": segments(r.snippet),
                }
            )
    items: list[dict[str, Any]] = []
    pending = sorted((c for c in categories if c["tier"] != TIER_CATEGORY_TEXT), key=_tier)
    for paper in papers:
        while pending and pending[0]["tier"] < paper["tier"]:
            items.append(pending.pop(0))
        items.append(paper)
    text_only = [c for c in categories if c["tier"] == TIER_CATEGORY_TEXT]
    items += pending + text_only[:INLINE_TEXT_CATEGORIES]
    return {
        "items": items,
        "more_categories": text_only[INLINE_TEXT_CATEGORIES:],
        "category_count": len(categories),
    }
