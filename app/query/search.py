"""Full-text search over papers and over categories and dimensions."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import Connection, text

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
