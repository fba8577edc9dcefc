"""The lineage graph's path rule on small hand-made graphs, where the answer is plain to see."""

from __future__ import annotations

import networkx as nx

from app.query.graph import graph_path


def _lineage(*edges: tuple[str, str, str]) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    for source, kind, target in edges:
        for ref in (source, target):
            graph.add_node(f"paper:{ref}", kind="paper", id=ref, label=ref.upper(), year=2020)
        graph.add_edge(f"paper:{source}", f"paper:{target}", kind=kind)
    return graph


def test_a_line_of_descent_beats_a_shorter_chain_that_turns():
    # new -> mid -> base -> old is three steps down; new <- sib -> old is two, but turns.
    graph = _lineage(
        ("new", "extends", "mid"),
        ("mid", "variant-of", "base"),
        ("base", "extends", "old"),
        ("sib", "extends", "new"),
        ("sib", "extends", "old"),
    )
    body = graph_path(graph=graph, source="old", target="new")
    assert [n["data"]["ref"] for n in body["nodes"]] == ["old", "base", "mid", "new"]
    assert body["directed"] is True
    assert [e["data"]["kind"] for e in body["edges"]] == ["extends", "variant-of", "extends"]


def test_without_a_line_of_descent_the_shortest_chain_is_taken():
    graph = _lineage(
        ("a", "extends", "root"),
        ("b", "extends", "root"),
        ("b", "extends", "far"),
    )
    body = graph_path(graph=graph, source="a", target="far")
    assert [n["data"]["ref"] for n in body["nodes"]] == ["a", "root", "b", "far"]
    assert body["directed"] is False
    assert body["length"] == 3


def test_relations_outside_lineage_are_not_followed_by_default():
    graph = _lineage(("a", "compares-with", "b"))
    assert graph_path(graph=graph, source="a", target="b")["found"] is False
    assert graph_path(graph=graph, source="a", target="b", edges=["all"])["length"] == 1
