"""What every JSON route shares: the refusal of unknown query parameters, the router factory,
and the paper-list parameters (declared for OpenAPI, parsed by the list's own grammar)."""

from __future__ import annotations

from typing import Annotated, get_args, get_origin

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.dependencies.models import Dependant

from app.contract.vocab import KINDS, STATUSES
from app.query.listing.grammar import MAX_SIZE, SORTS, PaperQuery, parse_paper_query
from app.query.listing.snapshot import cached_dimension_ids, known_dimension_ids
from app.web.api import models as m
from app.web.deps import generation_of, run_with_connection
from app.web.errors import ApiError
from app.web.urls import API

# Route names whose handlers parse their query themselves (one parameter per dimension, or
# per loss parameter for a curve), and name what they refuse in their own 400 or 422.
_OPEN_QUERY = {"papers", "export", "loss_curve"}
_KNOWN: dict[str, frozenset[str]] = {}  # route path -> query parameter names it declares
_SINGLE: dict[str, frozenset[str]] = {}  # route path -> those that take a single value


async def reject_unknown_params(request: Request) -> None:
    """400 naming every query parameter the matched route does not declare, or that it takes
    once and was given more often (async: no I/O, so no trip through the thread pool)."""
    route = request.scope.get("route")
    if route is None or route.name in _OPEN_QUERY:
        return
    known = _KNOWN.get(route.path)
    if known is None:
        known = _KNOWN[route.path] = frozenset(_query_names(route.dependant))
        _SINGLE[route.path] = frozenset(_query_names(route.dependant, single_only=True))
    keys = [k for k, _ in request.query_params.multi_items()]
    repeated = [k for k in _SINGLE[route.path] if keys.count(k) > 1] if len(keys) > 1 else []
    if repeated:
        raise ApiError(
            400,
            f"query parameter given more than once: {', '.join(sorted(repeated))}",
            [{"parameter": k, "message": f"give '{k}' once"} for k in sorted(repeated)],
        )
    unknown = [k for k in dict.fromkeys(keys) if k not in known]
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


def _query_names(dependant: Dependant, *, single_only: bool = False) -> set[str]:
    """The query parameters of a route (with ``single_only``, those that take one value)."""
    names = {
        p.alias
        for p in dependant.query_params
        if not (single_only and _is_sequence(p.field_info.annotation))
    }
    for sub in dependant.dependencies:
        names |= _query_names(sub, single_only=single_only)
    return names


def _is_sequence(annotation: object) -> bool:
    if get_origin(annotation) in (list, set, tuple, frozenset):
        return True
    return any(_is_sequence(arg) for arg in get_args(annotation) if arg is not type(None))


def new_router() -> APIRouter:
    """A router for JSON routes: under the API prefix, refusing unknown query parameters, with
    the shared error responses documented."""
    return APIRouter(prefix=API, dependencies=[Depends(reject_unknown_params)], responses=m.ERRORS)


# --- Parameters shared by the paper list and its exports -------------------------------------

YEAR = "^(?:[0-9]{4})?$"  # empty is "no bound" (the page form sends empty fields)


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
    year: Annotated[
        list[str] | None,
        Query(
            description="Exact year; repeat for OR.",
            json_schema_extra={"items": {"type": "string", "pattern": YEAR}},
        ),
    ] = None,
    year__gte: Annotated[
        str | None,
        Query(
            description="Published in or after this year.",
            examples=["2023"],
            json_schema_extra={"pattern": YEAR},
        ),
    ] = None,
    year__lte: Annotated[
        str | None,
        Query(description="Published in or before this year.", json_schema_extra={"pattern": YEAR}),
    ] = None,
    venue: Annotated[
        list[str] | None, Query(description="Exact venue, e.g. `ICML 2024`; repeat for OR.")
    ] = None,
    status: Annotated[
        list[str] | None,
        Query(
            description="`preprint` or `published`; repeat for OR.",
            json_schema_extra={"items": {"type": "string", "enum": [*STATUSES, ""]}},
        ),
    ] = None,
    kind: Annotated[
        list[str] | None,
        Query(
            description="Paper kind; repeat for OR.",
            json_schema_extra={"items": {"type": "string", "enum": [*KINDS, ""]}},
        ),
    ] = None,
    kind__not: Annotated[
        list[str] | None,
        Query(
            description="Leave out papers of this kind (`survey` leaves out surveys); repeat "
            "for more.",
            json_schema_extra={"items": {"type": "string", "enum": [*KINDS, ""]}},
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
            json_schema_extra={
                "items": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"}
            },
        ),
    ] = None,
) -> PaperQuery:
    """Declared for the documentation; the raw pairs are parsed so that dimension parameters
    (``expression=implicit``) and unknown names are handled by one grammar."""
    dimensions = known_dimension_ids(generation_of(request.scope).engine)
    if dimensions is None:  # the first list request of this data reads them (in a thread)
        dimensions = await run_with_connection(request.scope, cached_dimension_ids)
    return parse_paper_query(list(request.query_params.multi_items()), dimensions=set(dimensions))


PaperQueryDep = Annotated[PaperQuery, Depends(paper_query)]

FILTERS_DOC = """
**Filters** combine with AND across dimensions and OR within one dimension. Besides the
parameters below, every dimension id is a parameter taking category ids of that dimension:
`?expression=implicit&granularity=token-level` (implicit AND token-level);
`?granularity=token-level&granularity=multi-aspect` (either). `category=` takes ids of any
dimension and groups them the same way. A category includes its descendants.
Unknown parameters, operators (`year__gt`) and values are a 400 naming each of them.
"""


def split_values(values: list[str] | None) -> list[str] | None:
    """``a,b`` and repeated values -> one list (None when absent)."""
    return [v for value in values for v in value.split(",") if v] if values else None


def download(body: str | bytes, media_type: str, filename: str) -> Response:
    """An attachment download with the right media type and file name."""
    charset = "; charset=utf-8" if media_type.startswith("text/") else ""
    return Response(
        body,
        media_type=f"{media_type}{charset}",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
