"""The static site's search index, built by Pagefind from the same records the server searches.

The server matches titles, authors, summaries, category descriptions, a paper's short name and
aliases, and expands a query by the synonym groups of ``data/taxonomy/synonyms.yaml``. A static
index cannot expand the query, so each record is expanded instead: a record that holds a phrase
of a synonym group also carries the group's other phrases, which finds the same records.
"""

from __future__ import annotations

import html
import json
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.contract.text import singular, words
from app.query.textquery import SynonymIndex


@dataclass(frozen=True)
class Record:
    url: str  # where the result links, from the site root: /papers/x/index.html
    title: str
    names: list[str]  # short name, aliases: ranked above the rest
    body: list[str]  # authors, summary, description


def synonyms_for(text: str, index: SynonymIndex) -> list[str]:
    """The phrases of every synonym group that ``text`` holds a phrase of, in group order."""
    folded = " " + " ".join(singular(w) for w in words(text)) + " "
    out: list[str] = []
    seen: set[int] = set()
    for key, group in sorted(index.by_words.items(), key=lambda kv: (kv[1], kv[0])):
        if group in seen or f" {' '.join(key)} " not in folded:
            continue
        seen.add(group)
        out.extend(" ".join(p) for p in index.groups[group])
    return out


def document(record: Record, index: SynonymIndex) -> str:
    """The HTML Pagefind indexes for a record: headings and weights carry the ranking."""
    esc = html.escape
    names = " · ".join(record.names)
    expanded = synonyms_for(" ".join([record.title, *record.names, *record.body]), index)
    parts = [
        '<html lang="en"><body>',
        f'<h1 data-pagefind-meta="title">{esc(record.title)}</h1>',
        f'<p data-pagefind-weight="8">{esc(names)}</p>' if names else "",
        *(f"<p>{esc(b)}</p>" for b in record.body if b),
        f'<p data-pagefind-weight="2">{esc(" · ".join(expanded))}</p>' if expanded else "",
        "</body></html>",
    ]
    return "".join(parts)


async def build_index(records: Iterable[Record], index: SynonymIndex) -> dict[str, bytes]:
    """Pagefind's bundle for ``records``: tree path (under ``pagefind/``) -> bytes.

    The bundle must hold every record: one that came back short (seen once under heavy load)
    is built again, and a second short one is an error rather than a search that misses pages.
    """
    records = list(records)
    for _ in range(2):
        files = await _pagefind(records, index)
        entry = json.loads(files["pagefind/pagefind-entry.json"])
        if sum(lang["page_count"] for lang in entry["languages"].values()) == len(records):
            # Pagefind lists the extra word characters from a hash set, in no fixed order:
            # sorted, so two exports stay byte-identical (the order means nothing to the UI).
            entry["include_characters"] = sorted(entry.get("include_characters", []))
            dumped = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
            files["pagefind/pagefind-entry.json"] = dumped.encode()
            return files
    raise RuntimeError(f"Pagefind indexed fewer than the {len(records)} search records")


async def _pagefind(records: list[Record], index: SynonymIndex) -> dict[str, bytes]:
    from pagefind.index import IndexConfig, PagefindIndex

    with tempfile.TemporaryDirectory(prefix="atlas-pagefind-") as tmp:
        config = IndexConfig(output_path=str(Path(tmp) / "pagefind"), force_language="en")
        async with PagefindIndex(config=config) as pf:
            for record in records:
                await pf.add_html_file(content=document(record, index), url=record.url)
        root = Path(tmp)
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }
