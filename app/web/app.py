"""The FastAPI application: ``create_app(settings)`` wires the read-only database, the graph,
the templates and the routers together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from sqlalchemy.exc import DatabaseError
from starlette.datastructures import URL
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp

from app import __version__
from app.config import Settings
from app.errors import AtlasError
from app.store.live import DataReplaced, LiveDatabase
from app.store.opening import DatabaseUnusable
from app.web import reloading
from app.web.api import analysis as api_analysis
from app.web.api import exports as api_exports
from app.web.api import papers as api_papers
from app.web.api import taxonomy as api_taxonomy
from app.web.deps import pinned_generation
from app.web.docs import docs_router
from app.web.errors import ApiError, error_body, from_domain
from app.web.headers import ApiHttpMiddleware
from app.web.lab import routes as losses
from app.web.pages import present as pages_present
from app.web.pages import routes as pages
from app.web.security import ResponseHeaders, SecurityMiddleware
from app.web.urls import is_api


class _AtlasApp(FastAPI):
    """FastAPI with one outermost layer that sets the headers every answer carries, so the
    500s of Starlette's error middleware (which sits outside all user middleware) get them too."""

    def build_middleware_stack(self) -> ASGIApp:
        return ResponseHeaders(super().build_middleware_stack())


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app on ``settings`` (tests pass their own, pointing at a fixture database)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        live = LiveDatabase(settings)
        live.open()  # an unusable database at start-up is a refusal to start, naming the fix
        app.state.live = live
        app.state.build_problems = []  # set by serve --reload when an edit does not validate
        stop, watcher = asyncio.Event(), None
        if settings.reload:
            # The tree may have changed (or be broken) since the database was built.
            await run_in_threadpool(reloading.rebuild, app, settings)
            watcher = asyncio.create_task(reloading.watch(app, settings, stop))
        try:
            yield
        finally:
            stop.set()
            if watcher is not None:
                await watcher
            live.dispose()

    app = _AtlasApp(
        title="Reward Atlas API",
        version=__version__,
        summary="Reward design for LLM alignment: taxonomy, papers, lineage and a loss lab.",
        description=(
            "Read-only JSON API over the Reward Atlas knowledge base, organised by the taxonomy "
            "of *A Survey on Progress in LLM Alignment from the Perspective of Reward Design* "
            "(arXiv 2505.02666). Every HTML page has a JSON twin here."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.templates = _templates(app, settings)
    app.mount("/static", _ExactStaticFiles(directory=str(settings.static_dir)), name="static")
    _install_error_handlers(app)
    app.add_middleware(ApiHttpMiddleware)
    app.add_middleware(SecurityMiddleware)  # outermost: limits before anything else runs
    app.include_router(docs_router)
    for module in (api_taxonomy, api_papers, api_analysis, api_exports):
        app.include_router(module.router)
    app.include_router(losses.api_router)
    app.include_router(losses.page_router)
    app.include_router(pages.router)
    return app


def _templates(app: FastAPI, settings: Settings) -> Jinja2Templates:
    """The page templates, with a ``url_for`` that remembers what it built.

    Starlette's ``url_for`` asks every route in turn (each miss raises and catches an
    exception): ~140 us a call, and /papers makes 615 of them (a link per paper and per
    classification chip), ~80% of its render time. Routes never change while the app runs, so
    each (root path, name, parameters) is resolved once."""
    templates = Jinja2Templates(
        directory=str(settings.templates_dir), context_processors=[_build_state]
    )

    @lru_cache(maxsize=8192)
    def resolve(root_path: str, name: str, params: tuple[tuple[str, Any], ...]) -> URL:
        return URL(root_path + app.url_path_for(name, **dict(params)))

    # Links are paths, never built from the Host header: a forged Host cannot end up in a page
    # (or in a cached copy of it that others are served).
    @pass_context
    def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
        request: Request = context["request"]
        root_path = request.scope.get("root_path", "")
        return resolve(root_path, name, tuple(sorted(path_params.items())))

    templates.env.globals["url_for"] = url_for
    templates.env.filters["first_sentence"] = pages_present.first_sentence
    templates.env.filters["plain_title"] = pages_present.plain_title
    return templates


class _ExactStaticFiles(StaticFiles):
    """Static files at their exact paths only: ``/static/css/site.css/`` is a 404, not a second
    URL for the same file (the directory listing is off, so a trailing slash names nothing)."""

    async def get_response(self, path: str, scope: Any) -> Any:
        if scope["path"].endswith("/"):
            raise StarletteHTTPException(status_code=404)
        return await super().get_response(path, scope)


def _build_state(request: Request) -> dict[str, Any]:
    """What every page shows in its banner: the problems of a failed ``serve --reload`` build."""
    return {"build_problems": getattr(request.app.state, "build_problems", [])}


# Machine-readable paths outside /api/: their errors stay JSON.
_JSON_PATHS = ("/openapi.json", "/static/")


def _wants_html(request: Request) -> bool:
    """Pages answer errors with the HTML error page whatever the Accept header says (a link
    followed from a page must never show raw JSON); the API and machine paths answer JSON."""
    path = request.url.path
    return not is_api(path) and not path.startswith(_JSON_PATHS)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        if _wants_html(request):
            return pages.error_page(request, exc.status, exc.message)
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(AtlasError)
    async def _domain_error(request: Request, exc: AtlasError):
        return await _api_error(request, from_domain(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        if _wants_html(request):
            return pages.error_page(request, 422, "The request is not valid.")
        return JSONResponse(error_body(422, "invalid request", details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        headers = {k.lower(): v for k, v in (getattr(exc, "headers", None) or {}).items()}
        if exc.status_code == 405:
            # Starlette names the methods of the first route on the path only; GET and POST
            # of /api/v1/losses/{id} are two routes.
            headers["allow"] = ", ".join(_allowed_methods(request))
        if _wants_html(request):
            response = pages.error_page(request, exc.status_code, message)
            response.headers.update(headers)
            return response
        return JSONResponse(
            error_body(exc.status_code, message), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(DatabaseUnusable)
    async def _unusable(request: Request, exc: DatabaseUnusable):
        retry = "1" if isinstance(exc, DataReplaced) else "5"
        return _error(request, 503, str(exc), {"retry-after": retry})

    @app.exception_handler(DatabaseError)
    async def _unreadable(request: Request, exc: DatabaseError):
        # The file broke under an open engine (rewritten in place, truncated): look at it again
        # on the next request; this one gets a clean 503, and the log one line, not a traceback.
        generation = pinned_generation(request.scope)
        if generation is not None:
            request.app.state.live.invalidate(generation, str(exc.orig))
        message = "the database cannot be read right now; retry shortly"
        return _error(request, 503, message, {"retry-after": "5"})

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):  # pragma: no cover - last resort
        if _wants_html(request):
            return pages.error_page(request, 500, "Something went wrong on our side.")
        return JSONResponse(error_body(500, "internal error"), status_code=500)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on this path (the API answers HEAD wherever GET)."""
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]
    if "GET" in allowed and "HEAD" not in allowed and is_api(request.url.path):
        allowed.insert(1, "HEAD")
    return allowed


def _error(request: Request, status: int, message: str, headers: dict[str, str]) -> Response:
    if _wants_html(request):
        response = pages.error_page(request, status, message)
        response.headers.update(headers)
        return response
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def app_from_env() -> FastAPI:
    """Factory for uvicorn (``--factory``): settings from ``REWARD_ATLAS_*`` variables."""
    return create_app(Settings())
