"""HTML pages. Each renders the same data as its JSON twin, from the same query function."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import queries
from app.deps import ConnDep, TemplatesDep

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, conn: ConnDep, templates: TemplatesDep):
    context = {
        "meta": queries.get_meta(conn=conn),
        "dimensions": queries.list_dimensions(conn=conn),
        "json_url": "/api/v1/meta",
    }
    return templates.TemplateResponse(request, "index.html", context)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message, "json_url": None},
        status_code=status,
    )
