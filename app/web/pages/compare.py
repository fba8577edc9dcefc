"""The compare page's presentation: the link a paper page offers, the links that drop one
paper, the method-fact rows and the overlay of the compared losses.

Like :mod:`app.web.pages.present`, it reads no database: every function takes what a query
function returned.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

COMPARE_FROM_PAGE = 6  # the paper and its five closest relatives: a table that stays readable


def compare_url(paper: dict[str, Any]) -> str:
    """``/compare`` for a paper and its *direct* relatives: the papers it builds on first, then
    the newest papers that build on it, at most :data:`COMPARE_FROM_PAGE` in all."""
    out = [r["paper"] for r in paper["relations"]["out"]]
    newest_in = sorted(
        (r["paper"] for r in paper["relations"]["in"]),
        key=lambda p: (-(p.get("year") or 0), p["id"]),
    )
    ids = list(dict.fromkeys([paper["id"], *(p["id"] for p in out + newest_in)]))
    return f"/compare?{urlencode([('papers', ','.join(ids[:COMPARE_FROM_PAGE]))], safe=',')}"


def compare_remove_urls(ids: list[str]) -> list[str | None]:
    """For each compared paper, the ``/compare`` URL without it (None when only two remain)."""
    if len(ids) <= 2:
        return [None for _ in ids]
    return [
        f"/compare?{urlencode([('papers', ','.join(i for i in ids if i != pid))], safe=',')}"
        for pid in ids
    ]


# The method facts the compare page shows first, in order: (key, row label, how to show a value).
_LEARNS_FROM = {
    "paired-preferences": "paired preferences",
    "unpaired-labels": "unpaired good/bad labels",
    "scalar-rewards": "scalar rewards",
    "verifiable-outcomes": "verifiable outcomes",
    "rubric-scores": "rubric scores",
    "step-labels": "step-level labels",
    "demonstrations": "demonstrations",
}


def method_rows(papers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The compare page's first rows, one per method fact: ``cells`` (one text per paper, None
    where the paper has no method facts) and ``shared`` when every paper has the same value.
    The loss row's cells are lists of loss ids (links to the lab)."""

    def fact(paper: dict[str, Any], key: str) -> str | None:
        method = paper.get("method")
        if method is None:
            return None
        value = method[key]
        if key == "learns_from":
            return ", ".join(_LEARNS_FROM.get(v, v) for v in value)
        if key == "policy_data":
            return value
        return "yes" if value else "no"

    rows = [
        {"label": "Learns from", "key": "learns_from"},
        {"label": "Training data", "key": "policy_data"},
        {"label": "Frozen reference model", "key": "reference_model"},
        {"label": "Separate reward model", "key": "reward_model"},
    ]
    out = [
        {
            "label": "Loss in the lab",
            "losses": [p.get("losses", []) for p in papers],
            "shared": len({tuple(p.get("losses", [])) for p in papers}) == 1,
        }
    ]
    for row in rows:
        cells = [fact(p, row["key"]) for p in papers]
        out.append({"label": row["label"], "cells": cells, "shared": len(set(cells)) == 1})
    if all(p.get("method") is None for p in papers) and not any(p.get("losses") for p in papers):
        return []
    return out


def compare_loss_chart(papers: list[dict[str, Any]]) -> str | None:
    """One chart of the compared papers' losses against their margin (β = 1, the lab's overlay
    settings), labelled by short name; None when fewer than one compared paper has a curve."""
    from app.losses.compute import curve
    from app.losses.curves import CURVES
    from app.losses.registry import LOSSES
    from app.web.lab.svg import Series, line_chart
    from app.web.lab.views import OVERLAY_PARAMS, OVERLAY_RANGE

    series = []
    seen: set[str] = set()
    for paper in papers:
        for loss_id in paper.get("losses", []):
            if loss_id not in CURVES or loss_id in seen:
                continue
            seen.add(loss_id)
            spec = LOSSES[loss_id]
            params = {
                k: v for k, v in OVERLAY_PARAMS.items() if any(p.name == k for p in spec.params)
            }
            data = curve(loss_id, params, lo=OVERLAY_RANGE[0], hi=OVERLAY_RANGE[1], points=161)
            label = f"{paper.get('short_name') or paper['id']} ({loss_id})"
            series.append(Series(label, data["margins"], data["loss"]))
    if not series:
        return None
    return line_chart(
        series,
        chart_id="compare-losses",
        title="The compared methods' losses against their margin (β = 1, other parameters at "
        "the lab's defaults)",
        x_label="margin (each loss's own; see its page in the lab)",
        y_label="loss",
        y_limits=(-1.0, 5.0),
        height=320,
    )
