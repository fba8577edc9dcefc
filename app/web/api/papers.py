"""Papers: the list, one paper (with its BibTeX and lineage), external-id redirects, search."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection

from app.query import graph
from app.query import reads as queries
from app.query import search as text_search
from app.query.exports import bibtex
from app.query.listing.page import list_papers
from app.web.api import models as m
from app.web.api.params import FILTERS_DOC, PaperQueryDep, download, new_router
from app.web.caching import cached_json
from app.web.deps import ConnDep, GraphDep
from app.web.errors import ApiError
from app.web.urls import API, public_url

router = new_router()


@router.get(
    "/papers",
    name="papers",
    response_model=m.PaperList,
    summary="Filter, sort, page and facet the papers",
    tags=["papers"],
    description=(
        "One page of papers with facet counts. "
        + FILTERS_DOC
        + """
**Pages** are keyset-paginated: follow `next_url` (also sent as a `Link: rel="next"` header)
until it is null. **Facets** (`_facet=`) return every value with `count` and a `toggle_url`.
"""
    ),
)
async def papers(request: Request, query: PaperQueryDep) -> Response:
    def produce(conn: Connection) -> tuple[Any, dict[str, str]]:
        result = list_papers(conn=conn, query=query, base_path=f"{API}/papers")
        link = result["next_url"] and f'<{public_url(request, result["next_url"])}>; rel="next"'
        return result, {"Link": link} if link else {}

    return await cached_json(request, produce)


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
    if ":" in paper_id or queries.external_ref(paper_id):
        return _alias(conn, paper_id, "/bibtex")
    paper = queries.get_paper_citation(conn=conn, paper_id=paper_id)
    return download(bibtex.bibtex_entry(paper), "text/x-bibtex", f"{paper['bibkey']}.bib")


@router.get(
    "/papers/{paper_id}/lineage", summary="Ancestors and descendants of a paper", tags=["graph"]
)
def paper_lineage(
    conn: ConnDep, g: GraphDep, paper_id: Annotated[str, Path(examples=["rafailov2023-dpo"])]
) -> m.Lineage:
    """Papers this one builds on (`ancestors`) and papers that build on it (`descendants`),
    following `extends` and `variant-of` transitively, each with its distance in steps."""
    if ":" in paper_id or queries.external_ref(paper_id):
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
    # A DOI holds slashes, so doi:…/bibtex arrives here rather than at the sub-resource.
    suffix = next((s for s in ("/bibtex", "/lineage") if paper_ref.endswith(s)), "")
    if queries.external_ref(paper_ref.removesuffix(suffix)) is None and ":" not in paper_ref:
        return queries.get_paper(conn=conn, graph=g, paper_id=paper_ref)
    return _alias(conn, paper_ref.removesuffix(suffix), suffix)


def _alias(conn: Connection, ref: str, suffix: str) -> RedirectResponse:
    """``arxiv:<id>`` (any case), ``doi:<doi>`` or a bare arXiv id or DOI -> 301 to the
    canonical URL (plus ``suffix``), or 404."""
    found = queries.external_ref(ref)
    if found is None:
        scheme, _, value = ref.partition(":")
        raise ApiError(404, f"no paper with {scheme} '{value}'", [{scheme: value}])
    scheme, value = found
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
    """Papers and categories (and dimensions) matching `q`, each list ranked.

    **How papers are ranked**, best first:
    1. a paper whose short name (1000) or alias (800) is the whole query, or whose title is
       (500): `DPO` finds the paper that introduced DPO; a query that is a synonym phrase
       (`process reward model`) also counts its synonyms (`PRM`) as names;
    2. then papers with a hit in the short name, aliases or title (200);
    3. within these steps, bm25 (SQLite; ts_rank_cd on PostgreSQL) with column weights
       names 12, title 10, authors 4, categories 2, summary 1, venue 1, multiplied by
       1 + 0.2·ln(1 + the number of papers that build on it).

    Words match as whole words or plurals (no stemming: `processing` does not match
    `process`), the last word also as a prefix; synonyms from `data/taxonomy/synonyms.yaml`
    widen a phrase. Categories rank by bm25 with name 5, definition 1. The same paper order
    pages through `/api/v1/papers?q=...` (sort `relevance`) with facets; the `/search` page
    merges categories into its first page. Titles, names and snippets are lists of
    `{text, hit}` segments, so clients escape the text and mark the hits themselves; no HTML
    comes from the server."""
    return await cached_json(
        request, lambda conn: (text_search.search(conn=conn, q=q, limit=limit), {})
    )
