"""The taxonomy and lineage as one networkx graph, built once at start-up from the database.

Nodes are ``dimension:<id>``, ``category:<id>`` and ``paper:<id>``; edges carry a ``kind``:
``contains`` (dimension -> top category, category -> child), ``classified`` (paper -> category,
direct placements only) and the paper relation types (paper -> paper).
"""

from __future__ import annotations

import networkx as nx
from sqlalchemy import Connection, text


def build_graph(conn: Connection) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for row in conn.execute(text("SELECT id, name FROM dimension ORDER BY ord")):
        graph.add_node(f"dimension:{row.id}", kind="dimension", id=row.id, label=row.name)
    for row in conn.execute(
        text("SELECT id, name, dimension_id, parent_id FROM category ORDER BY dimension_id, ord")
    ):
        node = f"category:{row.id}"
        graph.add_node(node, kind="category", id=row.id, label=row.name,
                       dimension=row.dimension_id)
        parent = f"category:{row.parent_id}" if row.parent_id else f"dimension:{row.dimension_id}"
        graph.add_edge(parent, node, kind="contains")
    for row in conn.execute(text("SELECT id, title, year FROM paper ORDER BY id")):
        graph.add_node(f"paper:{row.id}", kind="paper", id=row.id, label=row.title, year=row.year)
    for row in conn.execute(
        text("SELECT paper_id, category_id FROM paper_category WHERE direct ORDER BY 1, 2")
    ):
        graph.add_edge(f"paper:{row.paper_id}", f"category:{row.category_id}", kind="classified")
    for row in conn.execute(
        text("SELECT source_id, type, target_id FROM relation ORDER BY 1, 2, 3")
    ):
        graph.add_edge(f"paper:{row.source_id}", f"paper:{row.target_id}", kind=row.type)
    return graph


def graph_elements(
    *,
    graph: nx.MultiDiGraph,
    root: str | None = None,
    depth: int | None = None,
    edges: list[str] | None = None,
) -> dict[str, list[dict]]:
    """Cytoscape.js elements ``{"nodes": [{"data": ...}], "edges": [{"data": ...}]}``."""
    raise NotImplementedError


def lineage(*, graph: nx.MultiDiGraph, paper_id: str) -> dict:
    """Ancestors and descendants of a paper along ``extends`` / ``variant-of``."""
    raise NotImplementedError


def graph_path(*, graph: nx.MultiDiGraph, source: str, target: str) -> dict:
    """Shortest path between two nodes (ids or ``kind:id``)."""
    raise NotImplementedError
