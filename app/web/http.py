"""HTTP behaviour that is not any one route's business: validators and caching, CORS and HEAD
for the JSON API; the cache of whole HTML pages; and the offline API reference pages (/docs,
/redoc) served from ``static/vendor``.

The database is read-only and rebuilt only between runs, so every ``/api/`` response and every
page is a pure function of (data version, app version): that pair is the strong ETag, and a
matching ``If-None-Match`` gets a ``304`` without running the handler at all.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.query.cache import LRU
from app.store.version import DATA_VERSION_SQL
from app.web.urls import is_api

CACHE_OK = b"public, max-age=300"
CACHE_ERROR = b"no-store"
CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"ETag, Link, Content-Disposition"),
]
PREFLIGHT = [
    (b"access-control-allow-methods", b"GET, HEAD, POST, OPTIONS"),
    (b"access-control-max-age", b"86400"),
]


def etag_for(data_version: str) -> str:
    return f'"{data_version}-{__version__}"'


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison, as If-None-Match requires: ``W/`` prefixes are ignored."""
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


class ApiHttpMiddleware:
    """ETag/304, Cache-Control, CORS ``*`` and HEAD for everything under ``/api/``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api(scope["path"]):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if method == "OPTIONS" and "access-control-request-method" in headers:
            allow = headers.get("access-control-request-headers", "")
            await _send_empty(
                send,
                204,
                [
                    *CORS,
                    *PREFLIGHT,
                    *(
                        [(b"access-control-allow-headers", allow.encode("latin-1"))]
                        if allow
                        else []
                    ),
                ],
            )
            return
        cacheable = method in ("GET", "HEAD")
        etag = _etag(scope) if cacheable else None
        if etag and _matches(headers.get("if-none-match", ""), etag):
            await _send_empty(
                send, 304, [(b"etag", etag.encode()), (b"cache-control", CACHE_OK), *CORS]
            )
            return
        head = method == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = list(CORS)
                if cacheable and status < 400:
                    extra.append((b"cache-control", CACHE_OK))
                    if etag and status == 200:
                        extra.append((b"etag", etag.encode()))
                elif status >= 400:
                    extra.append((b"cache-control", CACHE_ERROR))
                names = {name for name, _ in extra}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + extra}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_wrapper)


def _etag(scope: Scope) -> str | None:
    """The ETag of the data being served, read once from the database and kept on app.state."""
    app = scope.get("app")
    state = getattr(app, "state", None)
    if state is None or not hasattr(state, "engine"):
        return None
    etag = getattr(state, "api_etag", None)
    if etag is None:
        with state.engine.connect() as conn:
            version = conn.execute(text(DATA_VERSION_SQL)).scalar_one()
        etag = state.api_etag = etag_for(version)
    return etag


async def _send_empty(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


# --- Whole HTML pages, cached -----------------------------------------------------------------
# A page GET is a pure function of its URL while the app runs (no page varies on a header; only
# error pages do, on Accept, and errors are never kept), so a 200's HTML is kept as bytes and
# served again without opening a connection, querying or rendering.

PAGE_CACHE_ENTRIES = 256
PAGE_CACHE_BYTES = 32 * 2**20
_DEBUG = "http.response.debug"  # tests ask for the template and context: those must render

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _page_cache(request: Request) -> LRU:
    state = request.app.state
    cache = getattr(state, "page_cache", None)
    if cache is None:
        cache = state.page_cache = LRU(entries=PAGE_CACHE_ENTRIES, max_bytes=PAGE_CACHE_BYTES)
    return cache


async def cached_page(request: Request, handler: Handler) -> Response:
    """``handler``'s page from the cache when this URL was rendered before; ``304`` when the
    client already holds it (``If-None-Match``)."""
    etag = _etag(request.scope)
    if request.method != "GET" or etag is None or _DEBUG in request.scope.get("extensions", {}):
        return await handler(request)
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers={"etag": etag})
    cache = _page_cache(request)
    key = (etag, str(request.base_url), request.url.path, request.url.query)
    body = cache.get(key)
    if body is None:
        response = await handler(request)
        if response.status_code != 200 or not isinstance(response, HTMLResponse):
            return response  # redirects (and anything unusual) are not kept
        body = bytes(response.body)
        cache.put(key, body)
    return HTMLResponse(body, headers={"etag": etag})


class CachedPageRoute(APIRoute):
    """The route class of the HTML page routers: every GET goes through :func:`cached_page`."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            return await cached_page(request, handler)

        return route_handler


# --- /docs and /redoc, with no internet -----------------------------------------------------

docs_router = APIRouter(include_in_schema=False)
VENDOR = "/static/vendor"


# The HTML FastAPI generates carries an inline <script> (and <style>), which the app's
# Content-Security-Policy refuses, so these pages load their start-up code from /static.
SWAGGER_HTML = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reward Atlas API</title>
<link rel="stylesheet" href="{VENDOR}/swagger-ui/swagger-ui.css">
<link rel="icon" href="{VENDOR}/swagger-ui/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{VENDOR}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/swagger-init.js"></script>
</body>
</html>
"""

REDOC_HTML = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reward Atlas API</title>
<link rel="stylesheet" href="/static/css/redoc.css">
<link rel="icon" href="{VENDOR}/swagger-ui/favicon-32x32.png">
</head>
<body>
<noscript>ReDoc needs JavaScript; the API description is at /openapi.json.</noscript>
<redoc spec-url="/openapi.json"></redoc>
<script src="{VENDOR}/redoc/redoc.standalone.js"></script>
</body>
</html>
"""


@docs_router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    return HTMLResponse(SWAGGER_HTML)


@docs_router.get("/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    return HTMLResponse(REDOC_HTML)
