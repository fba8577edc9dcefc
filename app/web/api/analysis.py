"""Views across the atlas: the lineage graph and paths, the matrix, the timeline and comparisons."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.query import analysis, graph
from app.query.analysis import MAX_COMPARE
from app.web.api import models as m
from app.web.api.params import new_router, split_values
from app.web.deps import ConnDep, GraphDep

router = new_router()

Surveys = Annotated[
    bool,
    Query(
        description="Count surveys too (`true`). By default they are left out: a survey is "
        "placed on almost every category and would inflate every count."
    ),
]

# --- Graph ---------------------------------------------------------------------------------

_KINDS_TEXT = (
    f"Edge kinds to keep, comma-separated or repeated: {', '.join(graph.EDGE_KINDS)}; "
    f"or `lineage` ({', '.join(graph.LINEAGE_KINDS)}) or `all`."
)
# edges: an empty value is the default; `lineage` and `all` name groups of kinds.
_KIND = "|".join([*graph.EDGE_KINDS, "lineage", "all"])
_KINDS_SCHEMA = {"items": {"type": "string", "pattern": f"^(?:(?:{_KIND})(?:,(?:{_KIND}))*)?$"}}
_ID = "[a-z0-9]+(?:-[a-z0-9]+)*"
# What the schema promises is what the handlers accept (the handlers keep their own messages).
ID_SCHEMA = {"pattern": f"^{_ID}$", "maxLength": 120}
# At most MAX_COMPARE ids in one comma-joined value (the handler counts all values together).
ID_LIST_SCHEMA = {
    "items": {"type": "string", "pattern": f"^{_ID}(?:,{_ID}){{0,{MAX_COMPARE - 1}}}$"}
}
# A graph node: a bare id or ``kind:id`` (app.query.graph.resolve_node).
NODE_SCHEMA = {"pattern": f"^(?:(?:dimension|category|paper):)?{_ID}$", "maxLength": 130}

EdgesParam = Annotated[
    list[str] | None,
    Query(
        description=f"{_KINDS_TEXT} Default: all.",
        examples=["extends,variant-of"],
        json_schema_extra=_KINDS_SCHEMA,
    ),
]
PathEdgesParam = Annotated[
    list[str] | None,
    Query(
        description=f"{_KINDS_TEXT} Default: lineage, so the chain goes from paper to paper "
        "(`all` lets it pass through categories).",
        examples=["all"],
        json_schema_extra=_KINDS_SCHEMA,
    ),
]


@router.get("/graph", summary="Taxonomy and lineage as Cytoscape.js elements", tags=["graph"])
def graph_view(
    g: GraphDep,
    root: Annotated[
        str | None,
        Query(
            description="Keep only the neighbourhood of this node: a dimension, category or paper "
            "id, or `kind:id`.",
            examples=["granularity"],
        ),
    ] = None,
    depth: Annotated[
        int | None,
        Query(
            description="Hops from `root` (default 2, at most 10).",
            examples=[2],
            json_schema_extra={"minimum": 0, "maximum": graph.MAX_DEPTH},
        ),
    ] = None,
    edges: EdgesParam = None,
    category: Annotated[
        str | None,
        Query(
            description="Keep only the papers placed in this category or below it (not with "
            "`root`).",
            examples=["rl-free"],
        ),
    ] = None,
) -> m.GraphElements:
    """Dimensions, categories and papers as nodes; `contains` (tree), `classified` (paper to
    category, direct placements) and the paper relation types as edges."""
    return graph.graph_elements(
        graph=g, root=root, depth=depth, edges=split_values(edges), category=category
    )


@router.get("/graph/path", summary="Shortest path between two nodes", tags=["graph"])
def graph_path(
    g: GraphDep,
    source: Annotated[
        str, Query(alias="from", examples=["meng2024-simpo"], json_schema_extra=NODE_SCHEMA)
    ],
    target: Annotated[
        str, Query(alias="to", examples=["schulman2017-ppo"], json_schema_extra=NODE_SCHEMA)
    ],
    edges: PathEdgesParam = None,
) -> m.GraphPath:
    """A shortest chain of edges from `from` to `to` over the kept edge kinds (lineage unless
    `edges` says otherwise). A chain that follows the edges' direction throughout (one paper
    building on the other, step by step) is preferred to a shorter one that turns; `found` is
    false when they are not connected."""
    return graph.graph_path(graph=g, source=source, target=target, edges=split_values(edges))


# --- Matrix, timeline, compare ---------------------------------------------------------------


@router.get("/matrix", summary="Co-occurrence of two dimensions", tags=["analysis"])
def matrix(
    conn: ConnDep,
    rows: Annotated[
        str,
        Query(description="Dimension id.", examples=["expression"], json_schema_extra=ID_SCHEMA),
    ],
    cols: Annotated[
        str,
        Query(description="Dimension id.", examples=["optimization"], json_schema_extra=ID_SCHEMA),
    ],
    surveys: Surveys = False,
) -> m.Matrix:
    """Papers per pair of categories (with roll-up), and which papers: the empty cells are the
    open research gaps."""
    return analysis.matrix(conn=conn, rows=rows, cols=cols, surveys=surveys)


@router.get("/timeline", summary="Papers per year per category", tags=["analysis"])
def timeline(
    conn: ConnDep,
    dimension: Annotated[
        str | None,
        Query(description="Dimension id (default `optimization`).", examples=["optimization"]),
    ] = None,
    surveys: Surveys = False,
) -> m.Timeline:
    """For each category of the dimension, how many papers per year, so shifts (RL-based to
    RL-free) show up. Years run without gaps from the first paper to the last; the current year,
    when it is the last, is named in `partial_year`."""
    return analysis.timeline(conn=conn, dimension=dimension, surveys=surveys)


@router.get("/compare", summary="Classifications side by side", tags=["analysis"])
def compare(
    conn: ConnDep,
    papers: Annotated[
        list[str],
        Query(
            description="Paper ids, comma-separated or repeated (1 to 20).",
            examples=["rafailov2023-dpo,azar2023-ipo"],
            json_schema_extra={**ID_LIST_SCHEMA, "minItems": 1, "maxItems": MAX_COMPARE},
        ),
    ],
) -> m.Comparison:
    """Per dimension, each category any of the papers is in, marked `direct`, `inherited`
    (through a descendant) or null for each paper, and whether all of them share it."""
    ids = analysis.compare_ids(papers)
    return analysis.compare(conn=conn, paper_ids=ids)
