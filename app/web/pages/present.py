"""Presentation helpers for the HTML pages: plain functions that shape query results for a
template (names for ids, chart geometry, heat-map levels), so templates hold no arithmetic.

Nothing here reads the database; every function takes what a query function returned.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from app.web.charts import nice_step
from app.web.urls import url

PLAIN_FACETS = ("year", "kind", "status", "venue")


def labels(dimensions: list[dict[str, Any]]) -> dict[str, str]:
    """Dimension and category id -> display name, from :func:`app.query.reads.list_dimensions`."""
    out: dict[str, str] = {}

    def walk(cats: list[dict[str, Any]]) -> None:
        for cat in cats:
            out[cat["id"]] = cat["name"]
            walk(cat.get("children", []))

    for dim in dimensions:
        out[dim["id"]] = dim["name"]
        walk(dim["categories"])
    return out


def page_facets(dimensions: list[dict[str, Any]], requested: list[str]) -> list[str]:
    """The facets a list page shows: what the URL asked for, then every dimension and the plain
    fields (year, kind, status, venue) not already asked for."""
    wanted = [d["id"] for d in dimensions] + list(PLAIN_FACETS)
    return list(requested) + [f for f in wanted if f not in requested]


def _nice_step(top: int, ticks: int = 4) -> int:
    """A whole round step (1, 2, 5, 10, 20, 50, ...) giving about ``ticks`` grid lines up to
    ``top``."""
    return max(1, int(nice_step(max(top, 1) / ticks)))


def timeline_chart(data: dict[str, Any], *, compact: bool = False) -> dict[str, Any]:
    """Geometry of a stacked bar chart (one bar per year, one segment per top-level category of
    the timeline's dimension) for a server-rendered SVG. Coordinates are in SVG user units.

    >>> chart = timeline_chart({"years": [2020, 2021], "totals": [1, 2], "series": [
    ...     {"category": {"id": "a", "name": "A", "depth": 0}, "counts": [1, 2]}]})
    >>> [len(bar["segments"]) for bar in chart["bars"]], chart["ticks"][-1]["label"]
    ([1, 1], '2')
    """
    series = [s for s in data["series"] if s["category"]["depth"] == 0]
    years = data["years"]
    width, height = 760, (190 if compact else 300)
    left, right, top, bottom = 40, 12, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    stacked = [sum(s["counts"][i] for s in series) for i in range(len(years))]
    step = _nice_step(max(stacked, default=0))
    y_max = max(step, -(-max(stacked, default=0) // step) * step)
    band = plot_w / max(len(years), 1)
    bar_w = min(band * 0.64, 56)
    label_every = 1 if len(years) <= 14 else 2

    def y_of(value: float) -> float:
        return round(top + plot_h - plot_h * value / y_max, 2)

    bars = []
    for i, year in enumerate(years):
        x = round(left + band * i + (band - bar_w) / 2, 2)
        base, segments = 0, []
        for k, s in enumerate(series):
            n = s["counts"][i]
            if n:
                segments.append(
                    {
                        "y": y_of(base + n),
                        "h": round(y_of(base) - y_of(base + n), 2),
                        "cls": f"s{k % 6}",
                        "title": f"{year} · {s['category']['name']}: {n}",
                    }
                )
            base += n
        bars.append(
            {
                "x": x,
                "w": round(bar_w, 2),
                "year": year,
                "total": stacked[i],
                "label_x": round(x + bar_w / 2, 2),
                "show_label": i % label_every == 0,
                "total_y": round(y_of(stacked[i]) - 5, 2),
                "segments": segments,
                "partial": year == data.get("partial_year"),
            }
        )
    ticks = [
        {"y": y_of(v), "text_x": left - 8, "text_y": y_of(v) + 4, "label": str(v)}
        for v in range(0, y_max + 1, step)
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "baseline": y_of(0),
        "label_y": height - 10,
        "bars": bars,
        "ticks": ticks,
        "series": [
            {
                "id": s["category"]["id"],
                "name": s["category"]["name"],
                "cls": f"s{k % 6}",
                "key": f"k{k % 6}",
                "total": sum(s["counts"]),
            }
            for k, s in enumerate(series)
        ],
        "dimension": data.get("dimension"),
        "partial_year": data.get("partial_year"),
        "surveys": data.get("surveys", True),
    }


def survey_toggle(kept: list[tuple[str, str]]) -> dict[str, Any]:
    """The paper list's one-click switch that leaves surveys out (``kind__not=survey``) or
    brings them back."""
    pair = ("kind__not", "survey")
    if pair in kept:
        rest = [p for p in kept if p != pair]
        return {"active": True, "url": url("/papers", rest), "label": "Show surveys again"}
    return {"active": False, "url": url("/papers", [*kept, pair]), "label": "Leave out surveys"}


def timeline_shares(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per top-level category, its share (whole percent) of each year's papers on the
    dimension; ``None`` for years with no papers."""
    out = []
    for s in data["series"]:
        if s["category"]["depth"] != 0:
            continue
        shares = [
            round(100 * n / total) if total else None
            for n, total in zip(s["counts"], data["totals"], strict=True)
        ]
        out.append({"category": s["category"], "shares": shares})
    return out


def heat_levels(data: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """For each matrix cell: its ``level`` (0 = empty, an open gap; 1-5 by share of the
    fullest cell) and ``url``, the paper list filtered to both categories."""
    peak = max((c["count"] for line in data["cells"] for c in line), default=0)
    rows_dim, cols_dim = data["rows"]["dimension"]["id"], data["cols"]["dimension"]["id"]
    out = []
    for row, line in zip(data["rows"]["categories"], data["cells"], strict=True):
        out_line = []
        for col, cell in zip(data["cols"]["categories"], line, strict=True):
            n = cell["count"]
            level = 0 if not n else max(1, min(5, -(-5 * n // peak)))
            pairs = [(rows_dim, row["id"]), (cols_dim, col["id"])]
            if rows_dim == cols_dim:
                pairs = [("category", row["id"]), ("category", col["id"])]
            if not data.get("surveys", True):
                pairs.append(("kind__not", "survey"))  # the list counts what the cell counts
            out_line.append(
                {
                    "count": n,
                    "level": level,
                    "url": f"/papers?{urlencode(pairs)}",
                    "id": matrix_cell_id(row["id"], col["id"]),
                }
            )
        out.append(out_line)
    return out


def matrix_cell_id(row: str, col: str) -> str:
    """The anchor of one matrix cell (ids never hold a double hyphen, so this cannot clash)."""
    return f"cell--{row}--{col}"


def matrix_link(
    items: list[tuple[str, str]], dimensions: list[dict[str, Any]]
) -> dict[str, str] | None:
    """For a paper list that is exactly one matrix cell (one category on each of two dimensions,
    or two ``category=`` filters, as the matrix links them), the matrix it belongs to, anchored
    at that cell, with surveys counted unless the list leaves them out; otherwise None.

    The link is read from the list's own query string, so it survives bookmarks and needs no
    referrer."""
    dimension_of: dict[str, str] = {}

    def walk(dim: str, cats: list[dict[str, Any]]) -> None:
        for cat in cats:
            dimension_of[cat["id"]] = dim
            walk(dim, cat.get("children", []))

    for dim in dimensions:
        walk(dim["id"], dim["categories"])
    named = {d["id"]: d["name"] for d in dimensions}
    picks = [(k, v) for k, v in items if k in named or k == "category"]
    if len(picks) != 2:
        return None
    axes = [k if k in named else dimension_of.get(v, "") for k, v in picks]
    same = {k for k, _ in picks} == {"category"}
    if not all(axes) or (axes[0] == axes[1]) != same or picks[0][1] == picks[1][1]:
        return None
    pairs = [("rows", axes[0]), ("cols", axes[1])]
    if ("kind__not", "survey") not in items:
        pairs.append(("surveys", "true"))
    cell = matrix_cell_id(picks[0][1], picks[1][1])
    return {
        "url": f"{url('/matrix', pairs)}#{cell}",
        "label": f"{named[axes[0]]} × {named[axes[1]]}",
    }


def category_crumbs(category: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Breadcrumbs for a category page: overview, taxonomy, dimension, ancestors, itself."""
    dim = category["dimension"]
    return [
        ("Overview", "/"),
        ("Taxonomy", "/taxonomy"),
        (dim["name"], f"/dimensions/{dim['id']}"),
        *[(a["name"], f"/categories/{a['id']}") for a in category["breadcrumbs"]],
        (category["name"], None),
    ]


RELATION_LABELS = {
    "out": {
        "extends": "Extends",
        "variant-of": "Variant of",
        "uses-reward-from": "Uses the reward of",
        "evaluates": "Evaluates",
        "compares-with": "Compares with",
    },
    "in": {
        "extends": "Extended by",
        "variant-of": "Variants",
        "uses-reward-from": "Reward used by",
        "evaluates": "Evaluated by",
        "compares-with": "Compared with by",
    },
}
SHOWN_PER_GROUP = 3  # longer groups show the newest few; the rest fold behind a count


def lineage_groups(paper: dict[str, Any]) -> dict[str, Any]:
    """The paper page's lineage: its direct relations grouped by type and direction (what it
    builds on oldest first, what builds on it newest first), each group with the first few
    ``shown`` and the ``rest`` folded; then the transitive lineage beyond one step, folded."""
    groups: dict[str, list[dict[str, Any]]] = {"out": [], "in": []}
    for side, newest_first in (("out", False), ("in", True)):
        for rel_type, label in RELATION_LABELS[side].items():
            items = [r for r in paper["relations"][side] if r["type"] == rel_type]
            items.sort(key=lambda r: (r["paper"].get("year") or 0, r["paper"]["id"]))
            if newest_first:
                items.reverse()
            if items:
                groups[side].append(
                    {
                        "type": rel_type,
                        "label": label,
                        "count": len(items),
                        "shown": items[:SHOWN_PER_GROUP],
                        "rest": items[SHOWN_PER_GROUP:],
                    }
                )
    lineage = paper["lineage"]
    return {
        **groups,
        "further_back": [a for a in lineage["ancestors"] if a["distance"] > 1],
        "further_on": [d for d in lineage["descendants"] if d["distance"] > 1],
    }


def graph_fallback(elements: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The graph's papers as a plain list (for readers without JavaScript): each paper with its
    outgoing paper-to-paper links, newest first."""
    nodes = {n["data"]["id"]: n["data"] for n in elements["nodes"]}
    links: dict[str, list[dict[str, Any]]] = {}
    for edge in elements["edges"]:
        e = edge["data"]
        target = nodes.get(e["target"])
        if target and target["kind"] == "paper" and nodes[e["source"]]["kind"] == "paper":
            links.setdefault(e["source"], []).append(
                {"kind": e["kind"], "ref": target["ref"], "label": target["label"]}
            )
    papers = [n for n in nodes.values() if n["kind"] == "paper"]
    papers.sort(key=lambda n: (-n.get("year", 0), n["ref"]))
    return [{**p, "links": links.get(p["id"], [])} for p in papers]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "vs.", "cf.", "approx.", "fig.", "eq.")
_SUPERSCRIPT = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")


def first_sentence(text: str) -> str:
    """The first sentence of a summary (the whole text when it is one sentence).

    >>> first_sentence("Shows that A. Then B.")
    'Shows that A.'
    """
    text = text.strip()
    for match in _SENTENCE_END.finditer(text):
        head = text[: match.start()]
        if not head.lower().endswith(_ABBREVIATIONS):
            return head
    return text


def plain_title(title: str) -> str:
    r"""A title with its inline LaTeX shown as text: no ``$``, ``^2`` as a superscript, ``^*``
    as a star, ``\cmd`` without the backslash.

    >>> plain_title("From $r$ to $Q^*$: Your Language Model"), plain_title("GRAM-R$^2$: X")
    ('From r to Q*: Your Language Model', 'GRAM-R²: X')
    """
    if "$" not in title and "\\" not in title:
        return title

    def math(match: re.Match[str]) -> str:
        body = match.group(1)
        body = re.sub(r"\^\{?([0-9+-]+)\}?", lambda m: m.group(1).translate(_SUPERSCRIPT), body)
        body = re.sub(r"\^\{?\*\}?", "*", body)
        body = re.sub(r"\\([A-Za-z]+)", r"\1", body)
        return body.replace("{", "").replace("}", "")

    return re.sub(r"\$([^$]*)\$", math, title)
