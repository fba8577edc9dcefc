"""The taxonomy and lineage as one networkx graph, built from the database by the first request
that needs it.

Nodes are ``dimension:<id>``, ``category:<id>`` and ``paper:<id>``; edges carry a ``kind``:
``contains`` (dimension -> top category, category -> child), ``classified`` (paper -> category,
direct placements only) and the paper relation types (paper -> paper).
"""

from __future__ import annotations

import io
from collections import deque
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text

from app.contract.vocab import LINEAGE_RELATIONS, RELATION_TYPES
from app.errors import InvalidQuery, NotFound

if TYPE_CHECKING:
    import networkx as nx

# Taxonomy edges (dimension/category -> category, category -> paper), then the relation types.
EDGE_KINDS = ("contains", "classified", *RELATION_TYPES)
LINEAGE_KINDS = tuple(r.value for r in LINEAGE_RELATIONS)
# Names for sets of edge kinds, accepted wherever edge kinds are.
EDGE_GROUPS = {"lineage": LINEAGE_KINDS, "all": EDGE_KINDS}
MAX_DEPTH = 10


def build_graph(conn: Connection) -> nx.MultiDiGraph:
    import networkx as nx  # imported on first use: start-up does not need it

    graph = nx.MultiDiGraph()
    for row in conn.execute(text("SELECT id, name FROM dimension ORDER BY ord")):
        graph.add_node(f"dimension:{row.id}", kind="dimension", id=row.id, label=row.name)
    for row in conn.execute(
        text("SELECT id, name, dimension_id, parent_id FROM category ORDER BY dimension_id, ord")
    ):
        node = f"category:{row.id}"
        graph.add_node(node, kind="category", id=row.id, label=row.name, dimension=row.dimension_id)
        parent = f"category:{row.parent_id}" if row.parent_id else f"dimension:{row.dimension_id}"
        graph.add_edge(parent, node, kind="contains")
    for row in conn.execute(text("SELECT id, title, year, short_name FROM paper ORDER BY id")):
        names = {"short_name": row.short_name} if row.short_name else {}  # GraphML refuses None
        graph.add_node(
            f"paper:{row.id}", kind="paper", id=row.id, label=row.title, year=row.year, **names
        )
    for row in conn.execute(
        text("SELECT paper_id, category_id FROM paper_category WHERE direct ORDER BY 1, 2")
    ):
        graph.add_edge(f"paper:{row.paper_id}", f"category:{row.category_id}", kind="classified")
    for row in conn.execute(
        text("SELECT source_id, type, target_id FROM relation ORDER BY 1, 2, 3")
    ):
        graph.add_edge(f"paper:{row.source_id}", f"paper:{row.target_id}", kind=row.type)
    return graph


def resolve_node(graph: nx.MultiDiGraph, ref: str, *, param: str = "id") -> str:
    """``kind:id`` as given, or a bare id looked up as a dimension, category, then paper.

    Raises ``NotFound`` naming ``param`` when nothing has that id."""
    if ":" in ref:
        if ref in graph:
            return ref
    else:
        for kind in ("dimension", "category", "paper"):
            if f"{kind}:{ref}" in graph:
                return f"{kind}:{ref}"
    raise NotFound(f"no node '{ref}' in the graph", [{param: ref}])


def check_edge_kinds(
    edges: list[str] | None, *, default: tuple[str, ...] = EDGE_KINDS
) -> tuple[str, ...]:
    """The edge kinds to keep (``default`` when None), with the group names of
    :data:`EDGE_GROUPS` expanded; ``InvalidQuery`` naming unknown ones."""
    if not edges:
        return default
    valid = ", ".join([*EDGE_KINDS, *EDGE_GROUPS])
    unknown = [e for e in edges if e not in EDGE_KINDS and e not in EDGE_GROUPS]
    if unknown:
        raise InvalidQuery(
            f"unknown edge kind {', '.join(repr(u) for u in unknown)}",
            [
                {"parameter": "edges", "message": f"unknown edge kind '{u}' (valid: {valid})"}
                for u in unknown
            ],
        )
    return tuple(dict.fromkeys(k for e in edges for k in EDGE_GROUPS.get(e, (e,))))


def _node(graph: nx.MultiDiGraph, node: str) -> dict[str, Any]:
    attrs = graph.nodes[node]
    data = {**attrs, "ref": attrs["id"], "id": node}
    return {"data": data, "classes": graph.nodes[node]["kind"]}


def _edge(source: str, target: str, kind: str) -> dict[str, Any]:
    return {
        "data": {
            "id": f"{source}|{kind}|{target}",
            "source": source,
            "target": target,
            "kind": kind,
        },
        "classes": kind,
    }


def graph_elements(
    *,
    graph: nx.MultiDiGraph,
    root: str | None = None,
    depth: int | None = None,
    edges: list[str] | None = None,
    category: str | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Cytoscape.js elements ``{"nodes": [{"data", "classes"}], "edges": [...]}``.

    Node ``data`` has ``id`` (``kind:id``), ``ref`` (the plain id), ``kind``, ``label`` and
    ``dimension``/``year``/``short_name`` where they apply. ``edges`` keeps only those edge kinds
    (and the nodes they touch). ``root`` keeps the nodes within ``depth`` hops of it (default 2,
    at most 10), following kept edges in either direction. ``category`` keeps the papers placed
    in that category or below it, linked or not (and the categories themselves when taxonomy
    edges are kept).
    """
    kinds = set(check_edge_kinds(edges))
    if depth is not None and not 0 <= depth <= MAX_DEPTH:
        raise InvalidQuery(
            f"depth must be from 0 to {MAX_DEPTH}",
            [{"parameter": "depth", "message": f"got {depth}"}],
        )
    if root is not None and category is not None:
        raise InvalidQuery(
            "give root or category, not both",
            [
                {
                    "parameter": "category",
                    "message": "a neighbourhood (root) or a category, not both",
                }
            ],
        )
    kept_edges = [(u, v, k) for u, v, k in graph.edges(data="kind") if k in kinds]
    if root is not None:
        start = resolve_node(graph, root, param="root")
        seen = _within(start, kept_edges, 2 if depth is None else depth)
        nodes = [n for n in graph.nodes if n in seen]
    elif category is not None:
        inside = category_members(graph=graph, category_id=category)
        taxonomy = kinds & {"contains", "classified"}
        nodes = [
            n
            for n in graph.nodes
            if n in inside and (taxonomy or graph.nodes[n]["kind"] == "paper")
        ]
    elif edges:
        touched = {n for u, v, _ in kept_edges for n in (u, v)}
        nodes = [n for n in graph.nodes if n in touched]
    else:
        nodes = list(graph.nodes)
    keep = set(nodes)
    return {
        "nodes": [_node(graph, n) for n in nodes],
        "edges": [_edge(u, v, k) for u, v, k in kept_edges if u in keep and v in keep],
    }


def _within(start: str, edges: list[tuple[str, str, str]], limit: int) -> set[str]:
    """The nodes at most ``limit`` hops from ``start`` over ``edges``, in either direction."""
    adjacent: dict[str, set[str]] = {}
    for u, v, _ in edges:
        adjacent.setdefault(u, set()).add(v)
        adjacent.setdefault(v, set()).add(u)
    seen = {start: 0}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        if seen[node] == limit:
            continue
        for nxt in sorted(adjacent.get(node, ())):
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                todo.append(nxt)
    return set(seen)


def category_members(*, graph: nx.MultiDiGraph, category_id: str) -> set[str]:
    """The category's node, its subcategories' and the papers placed in any of them."""
    start = f"category:{category_id}"
    if start not in graph:
        raise NotFound(f"no category '{category_id}'", [{"category": category_id}])
    below = {start}
    todo = [start]
    while todo:
        for _, child, kind in graph.out_edges(todo.pop(), data="kind"):
            if kind == "contains" and child not in below:
                below.add(child)
                todo.append(child)
    papers = {u for u, v, k in graph.in_edges(below, data="kind") if k == "classified"}
    return below | papers


def _paper_node(graph: nx.MultiDiGraph, paper_id: str) -> str:
    node = f"paper:{paper_id}"
    if node not in graph:
        raise NotFound(f"no paper '{paper_id}'", [{"paper": paper_id}])
    return node


def _walk(graph: nx.MultiDiGraph, start: str, *, forward: bool) -> list[dict[str, Any]]:
    found: dict[str, int] = {start: 0}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        steps = graph.out_edges(node, data="kind") if forward else graph.in_edges(node, data="kind")
        for u, v, kind in sorted(steps):
            nxt = v if forward else u
            if kind in LINEAGE_KINDS and nxt not in found:
                found[nxt] = found[node] + 1
                todo.append(nxt)
    del found[start]
    return [
        {
            "id": graph.nodes[n]["id"],
            "title": graph.nodes[n]["label"],
            "year": graph.nodes[n]["year"],
            "distance": d,
        }
        for n, d in sorted(found.items(), key=lambda item: (item[1], item[0]))
    ]


def lineage(*, graph: nx.MultiDiGraph, paper_id: str) -> dict[str, Any]:
    """Ancestors (what the paper extends or is a variant of, transitively) and descendants
    (what extends it), each with its ``distance`` in steps, and the lineage ``edges`` between
    them (``source`` builds on ``target``). 404 if unknown."""
    start = _paper_node(graph, paper_id)
    ancestors = _walk(graph, start, forward=True)
    descendants = _walk(graph, start, forward=False)
    members = {start} | {f"paper:{p['id']}" for p in ancestors + descendants}
    edges = sorted(
        {
            (graph.nodes[u]["id"], graph.nodes[v]["id"], k)
            for u, v, k in graph.subgraph(members).edges(data="kind")
            if k in LINEAGE_KINDS
        }
    )
    return {
        "paper": paper_id,
        "ancestors": ancestors,
        "descendants": descendants,
        "edges": [{"source": u, "target": v, "kind": k} for u, v, k in edges],
    }


def graph_path(
    *,
    graph: nx.MultiDiGraph,
    source: str,
    target: str,
    edges: list[str] | None = None,
) -> dict[str, Any]:
    """A shortest path between two nodes (bare ids or ``kind:id``) over the kept edge kinds
    (lineage by default). A chain whose every edge runs the same way (one paper building on the
    other, step by step) is preferred; otherwise any chain, ignoring direction. ``found`` is
    false (and the lists empty) when they are not connected; unknown ids are a 404."""
    import networkx as nx  # loaded by build_graph already; a dict lookup here

    kinds = set(check_edge_kinds(edges, default=LINEAGE_KINDS))
    start = resolve_node(graph, source, param="from")
    end = resolve_node(graph, target, param="to")
    one_way = nx.DiGraph()
    one_way.add_nodes_from(graph.nodes)
    one_way.add_edges_from((u, v) for u, v, k in graph.edges(data="kind") if k in kinds)
    nodes = _shortest(one_way, start, end) or _shortest(one_way, end, start)[::-1]
    directed = bool(nodes)
    if not nodes:
        nodes = _shortest(one_way.to_undirected(as_view=True), start, end)
    if not nodes:
        return {"found": False, "length": None, "directed": False, "nodes": [], "edges": []}
    steps = []
    for a, b in zip(nodes, nodes[1:], strict=False):
        forward = _kinds_between(graph, a, b, kinds)
        steps.append(
            _edge(a, b, forward[0])
            if forward
            else _edge(b, a, _kinds_between(graph, b, a, kinds)[0])
        )
    return {
        "found": True,
        "length": len(nodes) - 1,
        "directed": directed,
        "nodes": [_node(graph, n) for n in nodes],
        "edges": steps,
    }


def _kinds_between(graph: nx.MultiDiGraph, a: str, b: str, kinds: set[str]) -> list[str]:
    return sorted(
        e["kind"] for e in graph.get_edge_data(a, b, default={}).values() if e["kind"] in kinds
    )


def _shortest(view: Any, start: str, end: str) -> list[str]:
    import networkx as nx

    try:
        return nx.shortest_path(view, start, end)
    except nx.NetworkXNoPath:
        return []


def graphml(graph: nx.MultiDiGraph) -> str:
    """The whole graph as GraphML (Gephi, yEd, Cytoscape desktop read it)."""
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8")
    return buffer.getvalue().decode("utf-8")


def paper_named(*, graph: nx.MultiDiGraph, name: str, param: str) -> str:
    """The id of the paper a reader names: its id, short name or full title, in any case.

    ``NotFound`` when no paper has that name; ``InvalidQuery`` listing the candidates when a
    short name is shared by several papers."""
    wanted = name.strip().casefold()
    if f"paper:{wanted}" in graph:
        return wanted
    found = sorted(
        attrs["id"]
        for _, attrs in graph.nodes(data=True)
        if attrs["kind"] == "paper"
        and wanted in (attrs.get("short_name", "").casefold(), attrs["label"].casefold())
    )
    if not found:
        raise NotFound(
            f"no paper called '{name.strip()}' (give its id, short name or title)", [{param: name}]
        )
    if len(found) > 1:
        raise InvalidQuery(
            f"'{name.strip()}' names {len(found)} papers ({', '.join(found)}): give the id",
            [{"parameter": param, "message": f"one of {', '.join(found)}"}],
        )
    return found[0]
