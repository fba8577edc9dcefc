"""HTML pages. Each renders the same data as its JSON twin, from the same query function.

A page's context holds the twin's data under one key per JSON document, ``twins`` mapping each
of those keys to the JSON URL it came from (the parity test walks it), ``json_url`` (the page's
main twin, linked from every page) and, at most, a few presentational extras.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.errors import NotFound
from app.query import analysis
from app.query import reads as queries
from app.query import search as text_search
from app.query.graph import graph_elements
from app.query.listing.grammar import parse_paper_query
from app.query.listing.page import list_papers
from app.web.caching import CachedPageRoute
from app.web.deps import ConnDep, GraphDep, TemplatesDep, build_problems
from app.web.errors import from_domain
from app.web.pages import compare as compare_view
from app.web.pages import lineage, present
from app.web.urls import api, query_string, url
from app.web.work import HeavyDep

router = APIRouter(include_in_schema=False, route_class=CachedPageRoute)

TIMELINE_DEFAULT = "optimization"  # the survey's RL-based -> RL-free -> in-context shift
MATRIX_DEFAULT = ("optimization", "feedback-source")
HOME_RECENT = 6
GRAPH_DEFAULT = "optimization"  # one dimension keeps the first view readable


def _render(
    request: Request,
    templates: Any,
    name: str,
    twins: dict[str, tuple[str, Any]],
    **extra: Any,
) -> HTMLResponse:
    """Render ``name`` with each twin's data under its key, plus ``twins`` and ``json_url``."""
    context: dict[str, Any] = {key: data for key, (_, data) in twins.items()}
    context["twins"] = {key: url for key, (url, _) in twins.items()}
    context["json_url"] = next(iter(context["twins"].values()), None)
    context.update(extra)
    return templates.TemplateResponse(request, name, context)


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, conn: ConnDep, templates: TemplatesDep):
    recent_items = [("_sort", "-added"), ("_size", str(HOME_RECENT))]
    recent = list_papers(conn=conn, query=parse_paper_query(recent_items), base_path="/papers")
    trend = analysis.timeline(conn=conn, dimension=TIMELINE_DEFAULT)
    return _render(
        request,
        templates,
        "index.html",
        {
            "meta": (
                api("/meta"),
                {**queries.get_meta(conn=conn), "build_problems": build_problems(request)},
            ),
            "dimensions": (api("/dimensions"), queries.list_dimensions(conn=conn)),
            "trend": (api("/timeline", [("dimension", TIMELINE_DEFAULT)]), trend),
            "recent": (api("/papers", recent_items), recent),
        },
        chart=present.timeline_chart(trend, compact=True),
    )


@router.get("/taxonomy", response_class=HTMLResponse, name="taxonomy_page")
def taxonomy(request: Request, conn: ConnDep, templates: TemplatesDep):
    dimensions = queries.list_dimensions(conn=conn)
    return _render(
        request, templates, "taxonomy.html", {"dimensions": (api("/dimensions"), dimensions)}
    )


@router.get("/dimensions/{dimension_id}", response_class=HTMLResponse, name="dimension_page")
def dimension(request: Request, dimension_id: str, conn: ConnDep, templates: TemplatesDep):
    data = queries.get_dimension(conn=conn, dimension_id=dimension_id)
    # Every paper on the dimension: OR over its top-level categories (which roll up).
    items = [(dimension_id, cat["id"]) for cat in data["categories"]]
    listing_url, listing, extra = _listing(conn, items)
    return _render(
        request,
        templates,
        "dimension.html",
        {
            "dimension": (api(f"/dimensions/{dimension_id}"), data),
            "listing": (listing_url, listing),
        },
        **extra,
    )


@router.get("/categories/{category_id}", response_class=HTMLResponse, name="category_page")
def category(request: Request, category_id: str, conn: ConnDep, templates: TemplatesDep):
    data = queries.get_category(conn=conn, category_id=category_id)
    listing_url, listing, extra = _listing(conn, [("category", category_id)])
    return _render(
        request,
        templates,
        "category.html",
        {"category": (api(f"/categories/{category_id}"), data), "listing": (listing_url, listing)},
        crumbs=present.category_crumbs(data),
        **extra,
    )


@router.get("/papers", response_class=HTMLResponse, name="papers_page", dependencies=[HeavyDep])
def papers(request: Request, conn: ConnDep, templates: TemplatesDep):
    items = request.query_params.multi_items()
    listing_url, listing, extra = _listing(conn, items)
    matrix_link = present.matrix_link(items, queries.list_dimensions(conn=conn))
    return _render(
        request,
        templates,
        "papers.html",
        {"listing": (listing_url, listing)},
        matrix_link=matrix_link,
        **extra,
    )


# The add-to-compare tray keeps its picks in this query parameter on every page (static/js/
# compare.js); the server ignores it.
PICK_PARAM = "pick"


def _listing(
    conn: Any, items: list[tuple[str, str]], base: str = "/papers"
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A faceted list for a page: every facet shown (the twin URL asks for the same ones),
    links relative to ``base``, and what the template needs to keep the query in forms."""
    items = [(k, v) for k, v in items if k != PICK_PARAM]
    dimensions = queries.list_dimensions(conn=conn)
    query = parse_paper_query(items, dimensions={d["id"] for d in dimensions})
    added = [f for f in present.page_facets(dimensions, query.facets) if f not in query.facets]
    query.facets = [*query.facets, *added]
    listing = list_papers(conn=conn, query=query, base_path=base)
    kept = [(k, v) for k, v in query.items if k != "_next"]
    filters = [(k, v) for k, v in kept if not k.startswith("_")]
    extra = {
        "query": query,
        "labels": present.labels(dimensions),
        "hidden": [
            (k, v) for k, v in kept if k not in ("q", "_sort", "_facet", "year__gte", "year__lte")
        ],
        "first_url": url(base, kept) if query.next else None,
        "clear_url": url(base, [(k, v) for k, v in kept if k == "q"]),
        "export_qs": query_string([*filters, *[(k, v) for k, v in kept if k == "_sort"]]),
        "survey_toggle": present.survey_toggle(kept),
    }
    twin = api("/papers", [*query.items, *[("_facet", f) for f in added]])
    return twin, listing, extra


@router.get("/papers/arxiv:{value:path}", name="paper_by_arxiv")
def paper_by_arxiv(value: str, conn: ConnDep):
    return _redirect_to_paper(conn, "arxiv", value)


@router.get("/papers/doi:{value:path}", name="paper_by_doi")
def paper_by_doi(value: str, conn: ConnDep):
    return _redirect_to_paper(conn, "doi", value)


def _redirect_to_paper(conn: Any, scheme: str, value: str) -> RedirectResponse:
    paper_id = queries.resolve_paper(conn=conn, scheme=scheme, value=value)
    return RedirectResponse(f"/papers/{paper_id}", status_code=301)


@router.get("/papers/{paper_id}", response_class=HTMLResponse, name="paper_page")
def paper(request: Request, paper_id: str, conn: ConnDep, graph: GraphDep, templates: TemplatesDep):
    found = queries.external_ref(paper_id)  # arXiv:2305.18290, a bare arXiv id
    if found is not None:
        return _redirect_to_paper(conn, *found)
    data = queries.get_paper(conn=conn, graph=graph, paper_id=paper_id)
    return _render(
        request,
        templates,
        "paper.html",
        {"paper": (api(f"/papers/{paper_id}"), data)},
        compare_url=compare_view.compare_url(data),
        method_facts=compare_view.method_rows([data]),
        lineage_groups=present.lineage_groups(data),
    )


@router.get("/papers/{ref:path}", name="paper_by_ref")
def paper_by_ref(ref: str, conn: ConnDep):
    """A bare DOI (it holds a slash), or any other outside id: redirect or 404."""
    found = queries.external_ref(ref)
    if found is None:
        raise NotFound(f"no paper '{ref}'", [{"paper": ref}])
    return _redirect_to_paper(conn, *found)


@router.get("/matrix", response_class=HTMLResponse, name="matrix_page")
def matrix(
    request: Request,
    conn: ConnDep,
    templates: TemplatesDep,
    rows: str = MATRIX_DEFAULT[0],
    cols: str = MATRIX_DEFAULT[1],
    surveys: bool = False,
):
    data = analysis.matrix(conn=conn, rows=rows, cols=cols, surveys=surveys)
    pairs = [("rows", rows), ("cols", cols), *([("surveys", "true")] if surveys else [])]
    return _render(
        request,
        templates,
        "matrix.html",
        {"matrix": (api("/matrix", pairs), data)},
        heat=present.heat_levels(data),
        dimensions=queries.list_dimensions(conn=conn),
        survey_count=analysis.survey_count(conn),
    )


@router.get("/timeline", response_class=HTMLResponse, name="timeline_page")
def timeline(
    request: Request,
    conn: ConnDep,
    templates: TemplatesDep,
    dimension: str = TIMELINE_DEFAULT,
    surveys: bool = False,
):
    data = analysis.timeline(conn=conn, dimension=dimension, surveys=surveys)
    pairs = [("dimension", dimension), *([("surveys", "true")] if surveys else [])]
    return _render(
        request,
        templates,
        "timeline.html",
        {"timeline": (api("/timeline", pairs), data)},
        survey_count=analysis.survey_count(conn),
        chart=present.timeline_chart(data),
        shares=present.timeline_shares(data),
        dimensions=queries.list_dimensions(conn=conn),
    )


@router.get("/graph", response_class=HTMLResponse, name="graph_page")
def graph_view(
    request: Request,
    graph: GraphDep,
    templates: TemplatesDep,
    conn: ConnDep,
    view: str = "lineage",
    paper: str = "",
    category: str = "",
    depth: int = lineage.DEFAULT_DEPTH,
    source: Annotated[str, Query(alias="from")] = "",
    to: str = "",
    through: str = "",
):
    dimensions = queries.list_dimensions(conn=conn)
    if lineage.check_view(view) == "full":
        elements = graph_elements(graph=graph)
        return _render(
            request,
            templates,
            "graph.html",
            {"graph": (api("/graph"), elements)},
            view=view,
            dimensions=dimensions,
            fallback=present.graph_fallback(elements),
            default_dimension=GRAPH_DEFAULT,
        )
    scope = lineage.Scope(paper, category, depth, source.strip(), to.strip(), through)
    twins = lineage.lineage_twins(graph, scope)
    choices = lineage.paper_choices(graph)
    response = _render(
        request,
        templates,
        "graph.html",
        twins,
        view=view,
        scope=scope,
        # the scope's paper as the reader would type it (its short name when that is unique)
        paper_value=next((c["value"] for c in choices if c["id"] == scope.paper), ""),
        depths=lineage.DEPTHS,
        years=lineage.year_list(twins["graph"][1]),
        steps=lineage.path_steps(twins["path"][1]) if "path" in twins else None,
        choices=choices,
        categories=lineage.category_choices(dimensions),
    )
    if scope.problems:
        response.status_code = from_domain(scope.problems[0]).status
    return response


@router.get("/compare", response_class=HTMLResponse, name="compare_page")
def compare(request: Request, conn: ConnDep, templates: TemplatesDep):
    # ``papers=a,b,c`` (the canonical form) or ``papers=a&papers=b`` (the picker form); none
    # shows the picker.
    ids = analysis.compare_ids(request.query_params.getlist("papers"), minimum=0)
    twins: dict[str, tuple[str, Any]] = {}
    extra: dict[str, Any] = {"method_rows": [], "loss_chart": None}
    if ids:
        data = analysis.compare(conn=conn, paper_ids=ids)
        twins["compare"] = (api("/compare", [("papers", ",".join(ids))]), data)
        extra = {
            "method_rows": compare_view.method_rows(data["papers"]),
            "loss_chart": compare_view.compare_loss_chart(data["papers"]),
        }
    return _render(
        request,
        templates,
        "compare.html",
        twins,
        remove_urls=compare_view.compare_remove_urls(ids),
        **extra,
    )


@router.get("/search", response_class=HTMLResponse, name="search_page", dependencies=[HeavyDep])
def search(request: Request, conn: ConnDep, templates: TemplatesDep):
    """One ranked list of papers and categories for ``q``, paged and faceted like /papers (the
    papers are the paper list's relevance order; categories join the first page by tier)."""
    items = [(k, v.strip() if k == "q" else v) for k, v in request.query_params.multi_items()]
    q = next((v for k, v in items if k == "q"), "")
    if not q:
        return _render(request, templates, "search.html", {}, q="")
    listing_url, listing, extra = _listing(conn, items, base="/search")
    # Categories join the first page of the bare query: a facet or a later page lists papers.
    first_page = not any(k == "_next" for k, _ in items)
    narrowed = any(chip["param"] != "q" for chip in listing["filters"])
    merged = text_search.merged_page(
        conn=conn, q=q, rows=listing["rows"], with_categories=first_page and not narrowed
    )
    twins = {"listing": (listing_url, listing)}
    return _render(request, templates, "search.html", twins, q=q, merged=merged, **extra)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "message": message, "json_url": None},
        status_code=status,
    )
