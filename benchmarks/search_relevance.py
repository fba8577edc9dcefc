"""Search relevance on the real data: success@k and MRR over tests/fixtures/relevance.yaml.

.venv/bin/python benchmarks/search_relevance.py          # figures, then the misses
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.build import build  # noqa: E402
from app.query import search  # noqa: E402
from app.store import sqlite  # noqa: E402
from benchmarks.relevance import score, summary  # noqa: E402


def main() -> None:
    cases = yaml.safe_load((ROOT / "tests" / "fixtures" / "relevance.yaml").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "atlas.db"
        build(ROOT / "data" / "taxonomy", db)
        engine = sqlite.readonly_engine(sqlite.url_for(db))
        with engine.connect() as conn:
            outcomes = score(
                cases,
                lambda q: [p["id"] for p in search.search(conn=conn, q=q, limit=10)["papers"]],
            )
        engine.dispose()
    figures = summary(outcomes)
    print(
        f"queries {figures['queries']}  success@k {figures['success_at_k']:.3f}  "
        f"MRR {figures['mrr']:.3f}"
    )
    for o in outcomes:
        if not o.hit:
            print(f"  miss: {o.q!r} (k={o.k}): first expected at {o.rank or '>10'}")


if __name__ == "__main__":
    main()
