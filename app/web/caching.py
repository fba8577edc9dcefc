"""The two caches of whole responses: HTML pages and JSON answers, kept as bytes.

The database is read-only while the app runs, so a GET's answer is a pure function of its URL
(no page varies on a header; only error pages do, on Accept, and errors are never kept). Both
caches are bounded LRUs, per app.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from sqlalchemy import Connection

from app.query.cache import LRU
from app.store.live import generation_extra
from app.web.deps import generation_of, run_with_connection
from app.web.headers import etag_of, matches
from app.web.work import heavy_limiter

# --- Whole HTML pages ---------------------------------------------------------------------

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
    etag = etag_of(request.scope)
    if request.method != "GET" or etag is None or _DEBUG in request.scope.get("extensions", {}):
        return await handler(request)
    if matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers={"etag": etag})
    cache = _page_cache(request)
    key = (etag, request.url.path, request.url.query)
    body = cache.get(key)
    if body is None:
        response = await handler(request)
        if response.status_code != 200 or not isinstance(response, HTMLResponse):
            return response  # redirects (and anything unusual) are not kept
        body = bytes(response.body)
        rendered_from = etag_of(request.scope)  # another pin if the data changed meanwhile
        if rendered_from != etag:
            return HTMLResponse(body, headers={"etag": rendered_from} if rendered_from else {})
        cache.put(key, body)
    return HTMLResponse(body, headers={"etag": etag})


class CachedPageRoute(APIRoute):
    """The route class of the HTML page routers: every GET goes through :func:`cached_page`,
    and every GET route also answers HEAD (the server sends the headers without the body)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = kwargs.get("methods")
        if methods is not None and "GET" in methods:
            kwargs["methods"] = {*methods, "HEAD"}
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            return await cached_page(request, handler)

        return route_handler


# --- JSON answers -------------------------------------------------------------------------
# The dicts the query functions return already have exactly the shape of the response models
# (tests/test_api_* check it), so they go straight to orjson: no validation pass.


async def cached_json(
    request: Request, produce: Callable[[Connection], tuple[Any, dict[str, str]]]
) -> Response:
    """The JSON of ``produce(conn)`` (content, headers), from the cache of this request's data
    generation when this exact GET was answered before.

    A miss runs in a worker thread under the app's limiter of heavy work
    (:func:`app.web.work.heavy_limiter`): a slow search never holds the event loop, and a flood of
    them cannot take every thread from the requests that only read a row."""
    generation = generation_of(request.scope)
    cache = generation_extra(
        generation, "response_cache", lambda: LRU(entries=512, max_bytes=64 * 2**20)
    )
    key = (request.url.path, request.url.query)
    hit = cache.get(key)
    if hit is None:

        def run(conn: Connection) -> tuple[bytes, tuple[tuple[str, str], ...]]:
            content, headers = produce(conn)
            return orjson.dumps(content), tuple(headers.items())

        hit = await run_with_connection(request.scope, run, heavy_limiter(request))
        if generation_of(request.scope) is generation:  # not re-pinned to newer data
            cache.put(key, hit)
    body, headers = hit
    return Response(body, media_type="application/json", headers=dict(headers))
