"""The /graph page's lineage view: which part of the graph to draw, the path between two papers
as named steps, and the same papers as a year-ordered list (what phones and readers without
JavaScript get)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.errors import AtlasError, InvalidQuery
from app.query import graph as g
from app.web.pages.present import RELATION_LABELS, plain_title
from app.web.urls import api

DEFAULT_PAPER = "ouyang2022-instructgpt"  # RLHF as most of the atlas builds on it
DEFAULT_DEPTH = 1
DEPTHS = (1, 2, 3)
VIEWS = ("lineage", "full")
PAGES = {"paper": "/papers/", "category": "/categories/", "dimension": "/dimensions/"}
# Each step of a path, phrased for the direction the reader walks it: "out" along the edge
# (from the paper that builds on the next one), "in" against it.
STEP_LABELS = {
    "out": {
        "extends": "extends",
        "variant-of": "is a variant of",
        "uses-reward-from": "uses the reward of",
        "evaluates": "evaluates",
        "compares-with": "compares with",
        "classified": "is placed in",
        "contains": "contains",
    },
    "in": {
        "extends": "extended by",
        "variant-of": "has the variant",
        "uses-reward-from": "reward used by",
        "evaluates": "evaluated by",
        "compares-with": "compared with by",
        "classified": "holds",
        "contains": "is part of",
    },
}


@dataclass
class Scope:
    """What the lineage view draws, as the reader asked for it in the query string."""

    paper: str = ""
    category: str = ""
    depth: int = DEFAULT_DEPTH
    source: str = ""
    target: str = ""
    through: str = ""  # "all": the path may pass through categories
    problems: list[AtlasError] = field(default_factory=list)


def check_view(view: str) -> str:
    if view not in VIEWS:
        raise InvalidQuery(
            f"unknown view '{view}'",
            [{"parameter": "view", "message": f"valid: {', '.join(VIEWS)}"}],
        )
    return view


def lineage_twins(graph: Any, scope: Scope) -> dict[str, tuple[str, Any]]:
    """The view's JSON documents: the scoped lineage graph and, when asked, the path.

    A path naming an unknown or ambiguous paper leaves the error in ``scope.problems`` (the
    page shows it by the path box) instead of failing the whole page."""
    if scope.depth not in DEPTHS:
        raise InvalidQuery(
            f"depth must be one of {', '.join(map(str, DEPTHS))}",
            [{"parameter": "depth", "message": f"got {scope.depth}"}],
        )
    if scope.category:
        pairs = [("category", scope.category), ("edges", "lineage")]
        elements = g.graph_elements(graph=graph, category=scope.category, edges=["lineage"])
    else:
        paper = g.paper_named(graph=graph, name=scope.paper or DEFAULT_PAPER, param="paper")
        scope.paper = paper
        pairs = [("root", f"paper:{paper}"), ("depth", str(scope.depth)), ("edges", "lineage")]
        elements = g.graph_elements(
            graph=graph, root=f"paper:{paper}", depth=scope.depth, edges=["lineage"]
        )
    twins: dict[str, tuple[str, Any]] = {"graph": (api("/graph", pairs), elements)}
    if scope.source and scope.target:
        try:
            ends = [
                g.paper_named(graph=graph, name=scope.source, param="from"),
                g.paper_named(graph=graph, name=scope.target, param="to"),
            ]
        except AtlasError as error:
            scope.problems.append(error)
            return twins
        edges = ["all"] if scope.through == "all" else ["lineage"]
        path = g.graph_path(graph=graph, source=ends[0], target=ends[1], edges=edges)
        path_pairs = [("from", ends[0]), ("to", ends[1]), ("edges", edges[0])]
        twins["path"] = (api("/graph/path", path_pairs), path)
    return twins


def name_of(data: dict[str, Any]) -> str:
    """What a node is called on the page: a paper's short name, else its title."""
    return data.get("short_name") or plain_title(data["label"])


def path_steps(path: dict[str, Any]) -> list[dict[str, Any]]:
    """The path as steps: each node with the relation that leads to it from the one before,
    phrased the way the reader walks (``extended by`` when walking from the older paper)."""
    steps = []
    for i, node in enumerate(path["nodes"]):
        data = node["data"]
        href = f"{PAGES[data['kind']]}{data['ref']}"
        step = {"data": data, "name": name_of(data), "href": href, "relation": None, "kind": None}
        if i:
            edge = path["edges"][i - 1]["data"]
            side = "out" if edge["source"] == path["nodes"][i - 1]["data"]["id"] else "in"
            step["kind"] = edge["kind"]
            step["relation"] = STEP_LABELS[side][edge["kind"]]
        steps.append(step)
    return steps


def year_list(elements: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The drawn papers oldest first (as the graph reads left to right), each with the
    relations it has to other drawn papers."""
    nodes = {n["data"]["id"]: n["data"] for n in elements["nodes"]}
    links: dict[str, list[dict[str, Any]]] = {}
    for edge in elements["edges"]:
        e = edge["data"]
        target = nodes[e["target"]]
        links.setdefault(e["source"], []).append(
            {
                "label": RELATION_LABELS["out"].get(e["kind"], e["kind"]).lower(),
                "ref": target["ref"],
                "name": name_of(target),
                "year": target.get("year"),
            }
        )
    papers = [n for n in nodes.values() if n["kind"] == "paper"]
    papers.sort(key=lambda n: (n.get("year") or 0, name_of(n).casefold(), n["ref"]))
    return [{**p, "name": name_of(p), "links": links.get(p["id"], [])} for p in papers]


def paper_choices(graph: Any) -> list[dict[str, str]]:
    """Suggestions for the paper boxes: the short name where it names one paper only (the
    server accepts it), else the id; the title and year as the hint."""
    papers = [a for _, a in graph.nodes(data=True) if a["kind"] == "paper"]
    counts: dict[str, int] = {}
    for p in papers:
        if p.get("short_name"):
            key = p["short_name"].casefold()
            counts[key] = counts.get(key, 0) + 1
    out = []
    for p in sorted(papers, key=lambda p: (p.get("short_name") or p["id"]).casefold()):
        short = p.get("short_name")
        value = short if short and counts[short.casefold()] == 1 else p["id"]
        hint = f"{plain_title(p['label'])} ({p['year']})"
        out.append({"id": p["id"], "value": value, "hint": hint})
    return out


def category_choices(dimensions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every category grouped under its dimension, in tree order with its depth."""

    def walk(cats: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for c in cats:
            out.append({"id": c["id"], "name": c["name"], "depth": c["depth"]})
            out.extend(walk(c["children"]))
        return out

    return [{"name": d["name"], "categories": walk(d["categories"])} for d in dimensions]
