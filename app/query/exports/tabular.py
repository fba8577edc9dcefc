"""Tabular exports of a paper list: CSV (one row per paper) and JSON Lines.

Both take the rows :func:`app.query.listing.page.matching_papers` returns. Citation formats (BibTeX,
CSL-JSON) are in :mod:`app.query.exports.bibtex`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

COLUMNS = (
    "id",
    "title",
    "short_name",
    "aliases",
    "authors",
    "year",
    "kind",
    "status",
    "venue",
    "arxiv",
    "doi",
    "url",
    "code",
    "summary",
    "bibkey",
)
AUTHOR_SEP = "; "
CATEGORY_SEP = "|"


# Spreadsheets run a cell that starts with one of these as a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet will show as text: a leading formula character gets a leading
    single quote, OWASP's recommended neutralisation. Numbers pass unchanged.

    >>> safe_cell("=HYPERLINK(1)"), safe_cell("-1 weird"), safe_cell(2023)
    ("'=HYPERLINK(1)", "'-1 weird", 2023)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(papers: list[dict[str, Any]], dimensions: list[str]) -> str:
    """One row per paper: the fields in ``COLUMNS`` (authors and aliases joined by ``"; "``),
    then one column per dimension with the directly placed category ids joined by ``"|"``.
    Empty cells are empty strings; text that a spreadsheet would run as a formula is
    neutralised (:func:`safe_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*COLUMNS, *dimensions])
    for paper in papers:
        row = [
            AUTHOR_SEP.join(paper[c]) if c in ("authors", "aliases") else paper.get(c)
            for c in COLUMNS
        ]
        row += [CATEGORY_SEP.join(paper["classification"].get(d, [])) for d in dimensions]
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return buffer.getvalue()


def to_jsonl(papers: list[dict[str, Any]]) -> bytes:
    """One JSON object per line, the same objects ``/api/v1/papers`` lists."""
    return b"".join(orjson.dumps(p) + b"\n" for p in papers)
