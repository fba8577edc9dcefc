"""Build the SQLite database (or, given a ``postgresql://`` URL, the PostgreSQL schema) from the
validated taxonomy, atomically.

The whole database is written to a temporary file beside the target and renamed into place only
when everything succeeded, so a failed or interrupted build never touches the previous database;
PostgreSQL gets the same guarantee from a fresh schema swapped in by one transaction
(:func:`app.store.postgres.write_database`).
An unchanged tree (same content hash and build version) is not rebuilt unless forced.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import SQLModel

from app.contract.schema import Paper
from app.contract.validate import Taxonomy, load_or_raise
from app.store import dialect
from app.store import tables as _tables  # noqa: F401  (registers the tables)
from app.store.version import BUILD_VERSION, content_hash, current_version  # noqa: F401
from app.store.version import version_for as _version

Progress = Callable[[str, int, int], None]

# Tables the build derives from the others with plain SQL, once they are filled (both engines).
DERIVED: tuple[str, ...] = (
    "INSERT INTO paper_rollup (year, venue, status, kind, n) "
    "SELECT year, venue, status, kind, COUNT(*) FROM paper GROUP BY year, venue, status, kind",
)


@dataclass
class BuildResult:
    status: str  # "built" or "up-to-date"
    db: Path | str  # the SQLite file, or the PostgreSQL URL without its password
    data_version: str
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


def data_version(taxonomy: Taxonomy) -> str:
    return _version(taxonomy.content_hash)


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
                paper.title,
                ", ".join(paper.authors),
                paper.summary,
                " | ".join(names),
                paper.venue or "",
            )
        )
    return papers, placements, relations, fts


def _write(taxonomy: Taxonomy, path: Path, progress: Progress | None) -> dict[str, int]:
    engine = dialect.write_engine(path)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        for statement in dialect.FTS_TABLES:
            conn.execute(statement)
        step = _stepper(progress, 5)
        categories = {row["id"]: row for row in _category_rows(taxonomy)}
        papers, placements, relations, fts = _paper_rows(taxonomy, categories)
        step("rows")

        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO dimension (id, name, question, description, provenance, ord) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (d.id, d.name, d.question, d.description, json.dumps(list(d.provenance)), d.order)
                for d in taxonomy.dimensions
            ],
        )
        _insert(conn, "category", list(categories.values()))
        _insert(conn, "paper", papers)
        step("papers")
        _insert(conn, "paper_category", placements)
        _insert(conn, "relation", relations)
        # Each search row takes its paper's rowid: app.store.sqlite joins matches on rowids
        # and breaks rank ties by rowid (papers go in in id order, so rowid order is id order).
        rowids = dict(conn.execute("SELECT id, rowid FROM paper").fetchall())
        conn.executemany(
            "INSERT INTO paper_fts (rowid, paper_id, title, authors, summary, categories, venue) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(rowids[row[0]], *row) for row in fts],
        )
        for statement in DERIVED:
            conn.execute(statement)
        conn.executemany(
            "INSERT INTO category_fts (category_id, kind, name, description) VALUES (?, ?, ?, ?)",
            [(c["id"], "category", c["name"], c["description"]) for c in categories.values()]
            + [(d.id, "dimension", d.name, d.description) for d in taxonomy.dimensions],
        )
        step("search index")
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
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", list(meta.items()))
        conn.execute("COMMIT")
        dialect.finish_build(conn)
        step("indexes")
    finally:
        conn.close()
    return counts


def _meta(taxonomy: Taxonomy, counts: dict[str, int]) -> dict[str, str]:
    survey = taxonomy.survey.model_dump(mode="json") if taxonomy.survey else None
    return {
        "data_version": data_version(taxonomy),
        "content_hash": taxonomy.content_hash,
        "build_version": BUILD_VERSION,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "counts": json.dumps(counts),
        "survey": json.dumps(survey, ensure_ascii=False),
    }


def _write_postgres(taxonomy: Taxonomy, url: str, progress: Progress | None) -> dict[str, int]:
    """The same rows as :func:`_write`, handed to the PostgreSQL dialect in one transaction."""
    step = _stepper(progress, 5)
    categories = {row["id"]: row for row in _category_rows(taxonomy)}
    papers, placements, relations, fts = _paper_rows(taxonomy, categories)
    step("rows")
    counts = {
        "dimensions": len(taxonomy.dimensions),
        "categories": len(categories),
        "papers": len(papers),
        "relations": len(relations),
        "placements": sum(1 for p in placements if p["direct"]),
    }
    dimensions = [
        {
            "id": d.id,
            "name": d.name,
            "question": d.question,
            "description": d.description,
            "provenance": json.dumps(list(d.provenance)),
            "ord": d.order,
        }
        for d in taxonomy.dimensions
    ]
    meta = [{"key": k, "value": v} for k, v in _meta(taxonomy, counts).items()]
    dialect.for_url(url).write_database(
        url,
        tables={
            "dimension": dimensions,
            "category": list(categories.values()),
            "paper": papers,
            "paper_category": placements,
            "relation": relations,
            "meta": meta,
        },
        derived=DERIVED,
        paper_fts=fts,
        category_fts=[
            (c["id"], "category", c["name"], c["description"]) for c in categories.values()
        ]
        + [(d.id, "dimension", d.name, d.description) for d in taxonomy.dimensions],
    )
    step("papers")
    step("search index")
    step("indexes")
    return counts


def _insert(conn: sqlite3.Connection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    conn.executemany(sql, [tuple(row[c] for c in columns) for row in rows])


def _stepper(progress: Progress | None, total: int) -> Callable[[str], None]:
    done = 1  # validation, reported by build(), was the first step

    def step(label: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(label, done, total)

    return step


def build(
    data_dir: Path,
    db: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    database_url: str | None = None,
) -> BuildResult:
    """Validate ``data_dir`` and (re)build ``db`` from it (or the PostgreSQL database at
    ``database_url``, when given).

    Raises :class:`app.contract.validate.ValidationFailed` with every problem when the data is
    invalid; the
    existing database is then left exactly as it was.
    """
    if dialect.is_postgres(database_url):
        return _build_postgres(Path(data_dir), database_url, force=force, progress=progress)
    started = time.perf_counter()
    dialect.check_fts5()
    db = Path(db)
    # Fast path: the database already holds exactly these bytes, which validated when it was
    # built; hashing 10k files takes ~0.1 s where validating them again takes seconds.
    if not force and current_version(db) == _version(content_hash(Path(data_dir))):
        if progress:
            progress("validated", 1, 5)
        return BuildResult(
            "up-to-date", db, current_version(db) or "", time.perf_counter() - started
        )
    taxonomy = load_or_raise(Path(data_dir))
    version = data_version(taxonomy)
    if progress:
        progress("validated", 1, 5)
    if not force and current_version(db) == version:
        return BuildResult("up-to-date", db, version, time.perf_counter() - started)

    db.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{db.name}.", suffix=".tmp", dir=db.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        counts = _write(taxonomy, tmp, progress)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, db)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BuildResult("built", db, version, time.perf_counter() - started, counts)


def _build_postgres(
    data_dir: Path, url: str, *, force: bool, progress: Progress | None
) -> BuildResult:
    started = time.perf_counter()
    sql = dialect.for_url(url)
    shown = sql.display_url(url)
    if not force and sql.current_version(url) == _version(content_hash(data_dir)):
        if progress:
            progress("validated", 1, 5)
        return BuildResult(
            "up-to-date", shown, sql.current_version(url) or "", time.perf_counter() - started
        )
    taxonomy = load_or_raise(data_dir)
    if progress:
        progress("validated", 1, 5)
    counts = _write_postgres(taxonomy, url, progress)
    return BuildResult(
        "built", shown, data_version(taxonomy), time.perf_counter() - started, counts
    )
