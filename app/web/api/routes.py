"""JSON routes under /api/v1. Handlers are thin: parse, call a query function, return.

Every route rejects query parameters it does not know with a 400 naming them; the paper list and
its exports parse their own (open-ended: one parameter per dimension) grammar.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection

from app.contract.vocab import KINDS, STATUSES
from app.query import analysis, bibtex, graph
from app.query import reads as queries
from app.query import search as text_search
from app.query import tabular as exports
from app.query.listing.grammar import MAX_SIZE, SORTS, PaperQuery, parse_paper_query
from app.query.listing.page import list_papers, matching_papers
from app.query.listing.snapshot import engine_dimension_ids
from app.web.api import models as m
from app.web.caching import cached_json
from app.web.deps import ConnDep, GraphDep
from app.web.errors import ApiError
from app.web.urls import API

_OPEN_QUERY = {"papers", "export"}  # route names whose handlers parse the query themselves
_KNOWN: dict[str, frozenset[str]] = {}  # route path -> query parameter names it declares


async def reject_unknown_params(request: Request) -> None:
    """400 naming every query parameter the matched route does not declare (async: no I/O, so
    no trip through the thread pool)."""
    route = request.scope.get("route")
    if route is None or route.name in _OPEN_QUERY:
        return
    known = _KNOWN.get(route.path)
    if known is None:
        known = _KNOWN[route.path] = frozenset(_query_names(route.dependant))
    unknown = [k for k in dict.fromkeys(request.query_params.keys()) if k not in known]
    if unknown:
        raise ApiError(
            400,
            f"unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
            [
                {
                    "parameter": k,
                    "message": f"unknown parameter '{k}' (valid: "
                    f"{', '.join(sorted(known)) or 'none'})",
                }
                for k in unknown
            ],
        )


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


router = APIRouter(prefix=API, dependencies=[Depends(reject_unknown_params)], responses=m.ERRORS)


# --- Parameters shared by the paper list and its exports -------------------------------------


async def paper_query(
    request: Request,
    category: Annotated[
        list[str] | None,
        Query(
            description="Category id, any dimension; repeat for more. Grouped by dimension like "
            "the per-dimension parameters. Matches the category and all its descendants.",
            examples=["implicit"],
        ),
    ] = None,
    year: Annotated[list[str] | None, Query(description="Exact year; repeat for OR.")] = None,
    year__gte: Annotated[
        str | None, Query(description="Published in or after this year.", examples=["2023"])
    ] = None,
    year__lte: Annotated[str | None, Query(description="Published in or before this year.")] = None,
    venue: Annotated[
        list[str] | None, Query(description="Exact venue, e.g. `ICML 2024`; repeat for OR.")
    ] = None,
    status: Annotated[
        list[str] | None,
        Query(
            description="`preprint` or `published`; repeat for OR.",
            json_schema_extra={"items": {"type": "string", "enum": list(STATUSES)}},
        ),
    ] = None,
    kind: Annotated[
        list[str] | None,
        Query(
            description="Paper kind; repeat for OR.",
            json_schema_extra={"items": {"type": "string", "enum": list(KINDS)}},
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            description="Full-text query over title, authors, summary, "
            "categories and venue (all words; the last as a prefix).",
            examples=["preference"],
        ),
    ] = None,
    sort: Annotated[
        str | None,
        Query(
            alias="_sort",
            description="`year`, `-year` (default), `-added` (most recently added to the atlas "
            "first), `title`, or `relevance` "
            "(default when `q` is given).",
            json_schema_extra={"enum": list(SORTS)},
        ),
    ] = None,
    size: Annotated[
        str | None,
        Query(alias="_size", description=f"Rows per page, 1 to {MAX_SIZE} (default 50)."),
    ] = None,
    next_: Annotated[
        str | None,
        Query(alias="_next", description="Opaque token from `next` of the previous page."),
    ] = None,
    facet: Annotated[
        list[str] | None,
        Query(
            alias="_facet",
            description="Facet to count: a dimension id, `year`, `venue`, `status` "
            "or `kind`; repeat for more.",
            examples=["granularity"],
        ),
    ] = None,
) -> PaperQuery:
    """Declared for the documentation; the raw pairs are parsed so that dimension parameters
    (``expression=implicit``) and unknown names are handled by one grammar."""
    return parse_paper_query(
        list(request.query_params.multi_items()),
        dimensions=set(engine_dimension_ids(engine=request.app.state.engine)),
    )


PaperQueryDep = Annotated[PaperQuery, Depends(paper_query)]

_FILTERS_DOC = """
**Filters** combine with AND across dimensions and OR within one dimension. Besides the
parameters below, every dimension id is a parameter taking category ids of that dimension:
`?expression=implicit&granularity=token-level` (implicit AND token-level);
`?granularity=token-level&granularity=multi-aspect` (either). `category=` takes ids of any
dimension and groups them the same way. A category includes its descendants.
Unknown parameters, operators (`year__gt`) and values are a 400 naming each of them.
"""


# --- Meta and taxonomy ---------------------------------------------------------------------


@router.get("/meta", summary="Data version, build time and counts", tags=["taxonomy"])
def meta(conn: ConnDep) -> m.Meta:
    """The data version (a hash of the YAML content), when the database was built, how many
    dimensions, categories, papers and relations it holds, and the survey it is built on."""
    return queries.get_meta(conn=conn)


@router.get("/dimensions", summary="All dimensions with their category trees", tags=["taxonomy"])
def dimensions(conn: ConnDep) -> list[m.Dimension]:
    """Every dimension with its full category tree. Counts roll up: a paper counts under every
    ancestor of the categories it is placed in (once, however many descendants it is in)."""
    return queries.list_dimensions(conn=conn)


@router.get(
    "/dimensions/{dimension_id}", summary="One dimension with its category tree", tags=["taxonomy"]
)
def dimension(
    conn: ConnDep, dimension_id: Annotated[str, Path(examples=["granularity"])]
) -> m.Dimension:
    """One dimension, its question and provenance, and its category tree with roll-up counts."""
    return queries.get_dimension(conn=conn, dimension_id=dimension_id)


@router.get(
    "/categories/{category_id}",
    summary="One category with parents, children, papers",
    tags=["taxonomy"],
)
def category(
    conn: ConnDep, category_id: Annotated[str, Path(examples=["response-vs-token"])]
) -> m.CategoryDetail:
    """A category's definition and provenance, its parent chain (`breadcrumbs`), its children
    with counts, and every paper placed in it or in any descendant."""
    return queries.get_category(conn=conn, category_id=category_id)


# --- Papers ------------------------------------------------------------------------------


@router.get(
    "/papers",
    name="papers",
    response_model=m.PaperList,
    summary="Filter, sort, page and facet the papers",
    tags=["papers"],
    description=(
        "One page of papers with facet counts. "
        + _FILTERS_DOC
        + """
**Pages** are keyset-paginated: follow `next_url` (also sent as a `Link: rel="next"` header)
until it is null. **Facets** (`_facet=`) return every value with `count` and a `toggle_url`.
"""
    ),
)
async def papers(request: Request, query: PaperQueryDep) -> Response:
    def produce(conn: Connection) -> tuple[Any, dict[str, str]]:
        result = list_papers(conn=conn, query=query, base_path=f"{API}/papers")
        link = result["next_url"] and f'<{_absolute(request, result["next_url"])}>; rel="next"'
        return result, {"Link": link} if link else {}

    return await cached_json(request, produce)


def _absolute(request: Request, url: str) -> str:
    return str(request.base_url).rstrip("/") + url


@router.get(
    "/papers/{paper_id}/bibtex",
    summary="One paper as a BibTeX entry",
    tags=["exports"],
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/x-bibtex": {
                    "schema": {"type": "string"},
                    "example": "@inproceedings{rafailov2023direct,\n  title = {Direct ...},\n}\n",
                }
            }
        }
    },
)
def paper_bibtex(
    conn: ConnDep, paper_id: Annotated[str, Path(examples=["rafailov2023-dpo"])]
) -> Response:
    """The paper's BibTeX entry with its stable citation key (`rafailov2023direct`)."""
    if ":" in paper_id:
        return _alias(conn, paper_id, "/bibtex")
    paper = queries.get_paper_citation(conn=conn, paper_id=paper_id)
    return _text(bibtex.bibtex_entry(paper), "text/x-bibtex", f"{paper['bibkey']}.bib")


@router.get(
    "/papers/{paper_id}/lineage", summary="Ancestors and descendants of a paper", tags=["graph"]
)
def paper_lineage(
    conn: ConnDep, g: GraphDep, paper_id: Annotated[str, Path(examples=["rafailov2023-dpo"])]
) -> m.Lineage:
    """Papers this one builds on (`ancestors`) and papers that build on it (`descendants`),
    following `extends` and `variant-of` transitively, each with its distance in steps."""
    if ":" in paper_id:
        return _alias(conn, paper_id, "/lineage")
    return graph.lineage(graph=g, paper_id=paper_id)


@router.get(
    "/papers/{paper_ref:path}",
    summary="One paper, or an arXiv/DOI alias of it",
    tags=["papers"],
    responses={301: {"description": "Alias: redirect to the paper"}},
)
def paper(
    conn: ConnDep,
    g: GraphDep,
    paper_ref: Annotated[
        str,
        Path(
            description="A paper id, or `arxiv:<id>` (version suffix allowed) or `doi:<doi>`, "
            "which answer 301 with the canonical URL.",
            examples=["rafailov2023-dpo"],
        ),
    ],
) -> m.PaperDetail:
    """Everything about one paper: metadata, its classification on every dimension, relations
    in both directions, lineage, a BibTeX entry and the loss-lab losses it defines."""
    if ":" not in paper_ref:
        return queries.get_paper(conn=conn, graph=g, paper_id=paper_ref)
    # A DOI holds slashes, so doi:…/bibtex arrives here rather than at the sub-resource.
    suffix = next((s for s in ("/bibtex", "/lineage") if paper_ref.endswith(s)), "")
    return _alias(conn, paper_ref.removesuffix(suffix), suffix)


def _alias(conn: Connection, ref: str, suffix: str) -> RedirectResponse:
    """``arxiv:<id>`` / ``doi:<doi>`` -> 301 to the canonical URL (plus ``suffix``), or 404."""
    scheme, _, value = ref.partition(":")
    if scheme not in ("arxiv", "doi"):
        raise ApiError(404, f"no paper with {scheme} '{value}'", [{scheme: value}])
    paper_id = queries.resolve_paper(conn=conn, scheme=scheme, value=value)
    return RedirectResponse(f"{API}/papers/{paper_id}{suffix}", status_code=301)


# --- Search --------------------------------------------------------------------------------


@router.get(
    "/search",
    summary="Full-text search over papers and categories",
    tags=["search"],
    response_model=m.SearchResult,
)
async def search(
    request: Request,
    q: Annotated[
        str,
        Query(
            min_length=1,
            examples=["reward model"],
            description="Words to find (all of them; the last as a prefix).",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=100, description="Results per list.")] = 20,
) -> Response:
    """Papers and categories (and dimensions) matching `q`, each list ranked by bm25. Titles,
    names and snippets are lists of `{text, hit}` segments, so clients escape the text and
    mark the hits themselves; no HTML comes from the server."""
    return await cached_json(
        request, lambda conn: (text_search.search(conn=conn, q=q, limit=limit), {})
    )


# --- Graph ---------------------------------------------------------------------------------

EdgesParam = Annotated[
    list[str] | None,
    Query(
        description="Edge kinds to keep, comma-separated or repeated: "
        f"{', '.join(graph.EDGE_KINDS)}. Default: all.",
        examples=["extends,variant-of"],
    ),
]


def _split(values: list[str] | None) -> list[str] | None:
    return [v for value in values for v in value.split(",") if v] if values else None


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
        int | None, Query(description="Hops from `root` (default 2, at most 10).", examples=[2])
    ] = None,
    edges: EdgesParam = None,
) -> m.GraphElements:
    """Dimensions, categories and papers as nodes; `contains` (tree), `classified` (paper to
    category, direct placements) and the paper relation types as edges."""
    return graph.graph_elements(graph=g, root=root, depth=depth, edges=_split(edges))


@router.get("/graph/path", summary="Shortest path between two nodes", tags=["graph"])
def graph_path(
    g: GraphDep,
    source: Annotated[str, Query(alias="from", examples=["meng2024-simpo"])],
    target: Annotated[str, Query(alias="to", examples=["schulman2017-ppo"])],
    edges: EdgesParam = None,
) -> m.GraphPath:
    """A shortest chain of edges (either direction) from `from` to `to`, over the kept edge
    kinds; `found` is false when they are not connected."""
    return graph.graph_path(graph=g, source=source, target=target, edges=_split(edges))


# --- Matrix, timeline, compare ---------------------------------------------------------------


@router.get("/matrix", summary="Co-occurrence of two dimensions", tags=["analysis"])
def matrix(
    conn: ConnDep,
    rows: Annotated[str, Query(description="Dimension id.", examples=["expression"])],
    cols: Annotated[str, Query(description="Dimension id.", examples=["optimization"])],
) -> m.Matrix:
    """Papers per pair of categories (with roll-up), and which papers: the empty cells are the
    open research gaps."""
    return analysis.matrix(conn=conn, rows=rows, cols=cols)


@router.get("/timeline", summary="Papers per year per category", tags=["analysis"])
def timeline(
    conn: ConnDep,
    dimension: Annotated[
        str | None,
        Query(description="Dimension id (default `optimization`).", examples=["optimization"]),
    ] = None,
) -> m.Timeline:
    """For each category of the dimension, how many papers per year, so shifts (RL-based to
    RL-free) show up. Years run without gaps from the first paper to the last."""
    return analysis.timeline(conn=conn, dimension=dimension)


@router.get("/compare", summary="Classifications side by side", tags=["analysis"])
def compare(
    conn: ConnDep,
    papers: Annotated[
        list[str],
        Query(
            description="Paper ids, comma-separated or repeated (1 to 20).",
            examples=["rafailov2023-dpo,azar2023-ipo"],
        ),
    ],
) -> m.Comparison:
    """Per dimension, each category any of the papers is in, marked `direct`, `inherited`
    (through a descendant) or null for each paper, and whether all of them share it."""
    ids = analysis.compare_ids(papers)
    return analysis.compare(conn=conn, paper_ids=ids)


# --- Exports -------------------------------------------------------------------------------

_EXPORTS: dict[str, tuple[str, str]] = {
    "bibtex": ("text/x-bibtex", "reward-atlas.bib"),
    "csl": ("application/vnd.citationstyles.csl+json", "reward-atlas.csl.json"),
    "csv": ("text/csv", "reward-atlas.csv"),
    "jsonl": ("application/x-ndjson", "reward-atlas.jsonl"),
}


def _text(body: str | bytes, media_type: str, filename: str) -> Response:
    charset = "; charset=utf-8" if media_type.startswith("text/") else ""
    return Response(
        body,
        media_type=f"{media_type}{charset}",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/export/graphml",
    summary="The whole graph as GraphML",
    tags=["exports"],
    response_class=Response,
    responses={200: {"content": {"application/graphml+xml": {"schema": {"type": "string"}}}}},
)
def export_graphml(g: GraphDep) -> Response:
    """Every node and edge of `/api/v1/graph`, for Gephi, yEd or Cytoscape desktop."""
    return _text(graph.graphml(g), "application/graphml+xml", "reward-atlas.graphml")


@router.get(
    "/export/{fmt}",
    name="export",
    summary="Export a filtered paper list",
    tags=["exports"],
    response_class=Response,
    description="Every paper matching the query (no paging; `_size`, `_next` and "
    "`_facet` are accepted and ignored), as BibTeX, CSL-JSON, CSV or JSON Lines. " + _FILTERS_DOC,
    responses={
        200: {
            "content": {
                "text/x-bibtex": {"schema": {"type": "string"}},
                "application/vnd.citationstyles.csl+json": {"schema": {"type": "array"}},
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "id,title,authors,year,...\n",
                },
                "application/x-ndjson": {"schema": {"type": "string"}},
            }
        }
    },
)
def export(
    conn: ConnDep,
    query: PaperQueryDep,
    fmt: Annotated[str, Path(json_schema_extra={"enum": list(_EXPORTS)}, examples=["bibtex"])],
) -> Response:
    if fmt not in _EXPORTS:
        raise ApiError(
            404, f"no export format '{fmt}' (valid: {', '.join(_EXPORTS)})", [{"format": fmt}]
        )
    rows = matching_papers(conn=conn, query=query)
    media_type, filename = _EXPORTS[fmt]
    body: str | bytes
    if fmt == "bibtex":
        body = bibtex.bibtex(rows)
    elif fmt == "csl":
        body = orjson.dumps(bibtex.csl(rows), option=orjson.OPT_INDENT_2)
    elif fmt == "csv":
        body = exports.to_csv(rows, queries.dimension_ids(conn=conn))
    else:
        body = exports.to_jsonl(rows)
    return _text(body, media_type, filename)
