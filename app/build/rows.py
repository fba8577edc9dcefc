"""Taxonomy -> table rows, computed once and handed to the writer of either engine."""

from __future__ import annotations

import datetime as dt
import json
import math
import unicodedata
from collections import Counter
from dataclasses import dataclass

from app.contract.schema import Paper
from app.contract.text import phrase_key
from app.contract.validate import Taxonomy
from app.store.version import BUILD_VERSION, version_for

# Tables the build derives from the others with plain SQL, once they are filled (both engines).
DERIVED: tuple[str, ...] = (
    "INSERT INTO paper_rollup (year, venue, status, kind, n) "
    "SELECT year, venue, status, kind, COUNT(*) FROM paper GROUP BY year, venue, status, kind",
)


@dataclass(frozen=True)
class Rows:
    """Every row of a build, per table, in insert order."""

    dimensions: list[dict]
    categories: list[dict]
    papers: list[dict]
    placements: list[dict]
    relations: list[dict]
    meta: list[dict]
    paper_names: list[dict]
    paper_priors: list[dict]
    synonyms: list[dict]
    paper_fts: list[tuple]  # paper_id, names, title, authors, summary, categories, venue
    category_fts: list[tuple]  # category_id, kind, name, description
    counts: dict[str, int]

    def tables(self) -> dict[str, list[dict]]:
        """Plain tables by name, in an order that satisfies their foreign keys."""
        return {
            "dimension": self.dimensions,
            "category": self.categories,
            "paper": self.papers,
            "paper_category": self.placements,
            "relation": self.relations,
            "paper_name": self.paper_names,
            "paper_prior": self.paper_priors,
            "synonym": self.synonyms,
            "meta": self.meta,
        }


# What an exact short-name or alias match adds to a paper's search rank (ranks are "lower is
# better" and full-text scores stay well inside this margin on both engines).
SHORT_NAME_WEIGHT = 1000
TITLE_WEIGHT = 800
ALIAS_WEIGHT = 500
# How much being built on helps a paper's full-text rank: its bm25 is scaled by
# 1 + PRIOR * ln(1 + papers in the atlas that relate to it), so the paper a field grew from
# comes before later papers that mention the same words as often.
PRIOR = 0.2


def _name_rows(papers: list[dict]) -> list[dict]:
    """One row per (paper, name key): short name, full title (and the part before a colon),
    aliases. Papers are written in this order, so position + 1 is the paper's rowid on SQLite."""
    rows: dict[tuple[str, str], dict] = {}
    for rowid, paper in enumerate(papers, start=1):
        title = paper["title"]
        names = [(paper["short_name"], SHORT_NAME_WEIGHT)] if paper["short_name"] else []
        names += [(title, TITLE_WEIGHT), (title.split(":")[0], TITLE_WEIGHT)]
        names += [(alias, ALIAS_WEIGHT) for alias in json.loads(paper["aliases"])]
        for name, weight in names:
            key = phrase_key(name)
            if key and (paper["id"], key) not in rows:
                rows[(paper["id"], key)] = {
                    "paper_id": paper["id"],
                    "name_key": key,
                    "paper_rowid": rowid,
                    "weight": weight,
                }
    return list(rows.values())


# Full-text ranking normalises by the length of the whole row, so a 200-author technical report
# would rank below every short paper that says the same thing: index its first and last authors.
AUTHORS_INDEXED = (15, 5)


def _searched_authors(authors: list[str]) -> list[str]:
    head, tail = AUTHORS_INDEXED
    return authors if len(authors) <= head + tail else [*authors[:head], *authors[-tail:]]


def _prior_rows(papers: list[dict], relations: list[dict]) -> list[dict]:
    cited = Counter(r["target_id"] for r in relations)
    return [
        {
            "paper_rowid": rowid,
            "paper_id": paper["id"],
            "factor": round(1 + PRIOR * math.log1p(cited[paper["id"]]), 6),
        }
        for rowid, paper in enumerate(papers, start=1)
    ]


def data_version(taxonomy: Taxonomy) -> str:
    return version_for(taxonomy.content_hash)


def rows_for(taxonomy: Taxonomy) -> Rows:
    """All rows of the database built from ``taxonomy``."""
    categories = {row["id"]: row for row in _category_rows(taxonomy)}
    papers, placements, relations, paper_fts = _paper_rows(taxonomy, categories)
    counts = {
        "dimensions": len(taxonomy.dimensions),
        "categories": len(categories),
        "papers": len(papers),
        "relations": len(relations),
        "placements": sum(1 for p in placements if p["direct"]),
    }
    survey = taxonomy.survey.model_dump(mode="json") if taxonomy.survey else None
    meta = {
        "data_version": data_version(taxonomy),
        "content_hash": taxonomy.content_hash,
        "build_version": BUILD_VERSION,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "counts": json.dumps(counts),
        "survey": json.dumps(survey, ensure_ascii=False),
    }
    return Rows(
        dimensions=[
            {
                "id": d.id,
                "name": d.name,
                "question": d.question,
                "description": d.description,
                "provenance": json.dumps(list(d.provenance)),
                "ord": d.order,
            }
            for d in taxonomy.dimensions
        ],
        categories=list(categories.values()),
        papers=papers,
        placements=placements,
        relations=relations,
        paper_names=_name_rows(papers),
        paper_priors=_prior_rows(papers, relations),
        synonyms=[
            {"group_id": g, "ord": i, "phrase": phrase}
            for g, group in enumerate(taxonomy.synonyms.groups if taxonomy.synonyms else [])
            for i, phrase in enumerate(group)
        ],
        meta=[{"key": k, "value": v} for k, v in meta.items()],
        paper_fts=paper_fts,
        category_fts=[
            (c["id"], "category", c["name"], c["description"]) for c in categories.values()
        ]
        + [(d.id, "dimension", d.name, d.description) for d in taxonomy.dimensions],
        counts=counts,
    )


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


_STOP = {"a", "an", "the", "on", "of", "for", "to", "in", "and", "is", "are", "from", "with", "via"}


def citation_key(paper: Paper) -> str:
    """``rafailov2023direct``: family name of the first author, year, first real title word."""
    family = "".join(ch for ch in _ascii(paper.authors[0].split()[-1]) if ch.isalnum())
    words = ["".join(ch for ch in _ascii(w) if ch.isalnum()) for w in paper.title.split()]
    word = next((w for w in words if w and w not in _STOP), "paper")
    return f"{family}{paper.year}{word}"


def _category_rows(taxonomy: Taxonomy) -> list[dict]:
    rows = []
    for dim in taxonomy.dimensions:
        parent = {c.id: c.parent for c in dim.categories}
        for ord_, cat in enumerate(dim.categories):
            chain = [cat.id]
            while parent[chain[-1]]:
                chain.append(parent[chain[-1]])
            rows.append(
                {
                    "id": cat.id,
                    "dimension_id": dim.id,
                    "parent_id": cat.parent,
                    "name": cat.name,
                    "description": cat.description,
                    "provenance": json.dumps(list(cat.provenance)),
                    "depth": len(chain) - 1,
                    "path": "/".join(reversed(chain)),
                    "ord": ord_,
                    "sparse": cat.sparse,
                    "sparse_reason": cat.sparse_reason,
                    "direct_count": 0,
                    "rollup_count": 0,
                }
            )
    return rows


def _paper_rows(taxonomy: Taxonomy, categories: dict[str, dict]) -> tuple[list, list, list, list]:
    papers, placements, relations, fts = [], [], [], []
    keys: dict[str, int] = {}
    for paper in sorted(taxonomy.papers, key=lambda p: p.id):
        key = citation_key(paper)
        keys[key] = keys.get(key, 0) + 1
        if keys[key] > 1:  # stable disambiguation: second paper with the same key gets "b", ...
            key = f"{key}{chr(ord('a') + keys[key] - 1)}"
        src = taxonomy.sources[f"paper:{paper.id}"].path
        verified = paper.provenance.verified
        papers.append(
            {
                "id": paper.id,
                "title": paper.title,
                "short_name": paper.short_name,
                "aliases": json.dumps(paper.aliases, ensure_ascii=False),
                "authors": json.dumps(paper.authors, ensure_ascii=False),
                "first_author": paper.authors[0],
                "year": paper.year,
                "kind": paper.kind,
                "status": paper.status,
                "venue": paper.venue,
                "arxiv": paper.arxiv,
                "doi": paper.doi,
                "url": paper.url,
                "code": paper.code,
                "summary": paper.summary,
                "losses": json.dumps(paper.losses),
                "method": paper.method.model_dump_json() if paper.method else None,
                "classification_source": paper.provenance.classification,
                "attested": json.dumps(paper.provenance.attested),
                "added": paper.provenance.added.isoformat(),
                "verified_source": verified.source if verified else None,
                "verified_on": verified.on.isoformat() if verified else None,
                "bibkey": key,
                "source_path": src.relative_to(taxonomy.data_dir).as_posix(),
            }
        )
        rolled: dict[str, bool] = {}
        names = []
        for cat_ids in paper.classification.values():
            for cat_id in cat_ids:
                rolled[cat_id] = True
                names.append(categories[cat_id]["name"])
                for ancestor in categories[cat_id]["path"].split("/")[:-1]:
                    rolled.setdefault(ancestor, False)
        for cat_id, direct in rolled.items():
            cat = categories[cat_id]
            placements.append(
                {
                    "paper_id": paper.id,
                    "category_id": cat_id,
                    "dimension_id": cat["dimension_id"],
                    "direct": direct,
                }
            )
            cat["rollup_count"] += 1
            if direct:
                cat["direct_count"] += 1
        for rel in paper.relations:
            relations.append(
                {"source_id": paper.id, "type": rel.type, "target_id": rel.target, "note": rel.note}
            )
        fts.append(
            (
                paper.id,
                " · ".join([*([paper.short_name] if paper.short_name else []), *paper.aliases]),
                paper.title,
                ", ".join(_searched_authors(paper.authors)),
                paper.summary,
                " | ".join(names),
                paper.venue or "",
            )
        )
    return papers, placements, relations, fts
