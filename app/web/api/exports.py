"""Downloads of the whole atlas or a filtered list: BibTeX, CSL-JSON, CSV, JSON Lines, GraphML."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import Path, Response

from app.query import graph
from app.query import reads as queries
from app.query.exports import bibtex
from app.query.exports import tabular as exports
from app.query.listing.page import matching_papers
from app.web.api.params import FILTERS_DOC, PaperQueryDep, download, new_router
from app.web.deps import ConnDep, GraphDep
from app.web.errors import ApiError
from app.web.work import HeavyDep

router = new_router()

_EXPORTS: dict[str, tuple[str, str]] = {
    "bibtex": ("text/x-bibtex", "reward-atlas.bib"),
    "csl": ("application/vnd.citationstyles.csl+json", "reward-atlas.csl.json"),
    "csv": ("text/csv", "reward-atlas.csv"),
    "jsonl": ("application/x-ndjson", "reward-atlas.jsonl"),
}


@router.get(
    "/export/graphml",
    summary="The whole graph as GraphML",
    tags=["exports"],
    response_class=Response,
    dependencies=[HeavyDep],
    responses={200: {"content": {"application/graphml+xml": {"schema": {"type": "string"}}}}},
)
def export_graphml(g: GraphDep) -> Response:
    """Every node and edge of `/api/v1/graph`, for Gephi, yEd or Cytoscape desktop."""
    return download(graph.graphml(g), "application/graphml+xml", "reward-atlas.graphml")


@router.get(
    "/export/{fmt}",
    name="export",
    summary="Export a filtered paper list",
    dependencies=[HeavyDep],
    tags=["exports"],
    response_class=Response,
    description="Every paper matching the query (no paging; `_size`, `_next` and "
    "`_facet` are accepted and ignored), as BibTeX, CSL-JSON, CSV or JSON Lines. " + FILTERS_DOC,
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
    return download(body, media_type, filename)
