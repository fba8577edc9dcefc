"""Scoring search against a relevance set: success@k and mean reciprocal rank.

A relevance set (tests/fixtures/relevance.yaml) is a list of ``{q, expect, k}``: a query, the
papers any of which must come back, and how high. Used by tests/test_search.py and by
``benchmarks/search_relevance.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

DEPTH = 10  # reciprocal ranks are counted within the first ten papers


@dataclass(frozen=True)
class Outcome:
    q: str
    k: int
    rank: int | None  # 1-based rank of the first expected paper, None if not in the top DEPTH

    @property
    def hit(self) -> bool:
        return self.rank is not None and self.rank <= self.k


def score(cases: Iterable[dict[str, Any]], ranked: Callable[[str], list[str]]) -> list[Outcome]:
    """Run each case's query through ``ranked`` (query -> paper ids, best first)."""
    out = []
    for case in cases:
        ids = ranked(case["q"])[:DEPTH]
        rank = next((i + 1 for i, pid in enumerate(ids) if pid in case["expect"]), None)
        out.append(Outcome(case["q"], case.get("k", 1), rank))
    return out


def summary(outcomes: list[Outcome]) -> dict[str, float]:
    n = len(outcomes) or 1
    return {
        "queries": len(outcomes),
        "success_at_k": sum(o.hit for o in outcomes) / n,
        "mrr": sum(1 / o.rank for o in outcomes if o.rank) / n,
    }
