"""Response headers of the JSON API that are not any one route's business: validators and
cache lifetimes, CORS and HEAD.

The database is read-only and rebuilt only between runs (or by ``serve --reload``, which drops
the kept ETag), so every ``/api/`` response and every page is a pure function of (data version,
app version): that pair is the strong ETag, and a matching ``If-None-Match`` gets a ``304``
without running the handler at all.
"""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.store.opening import DatabaseUnusable
from app.web.deps import generation_of
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


def matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison, as If-None-Match requires: ``W/`` prefixes are ignored.
    ``*`` ("any current representation") is not answered here: whether the URL names anything
    is only known once the route runs, so the request goes on and gets its 200 or 404."""
    if if_none_match.strip() == "*":
        return False
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


class ApiHttpMiddleware:
    """ETag/304, Cache-Control, CORS preflight and HEAD for everything under ``/api/`` (the
    CORS headers of every answer are set by :class:`app.web.security.ResponseHeaders`)."""

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
        etag = etag_of(scope) if cacheable else None
        if etag and matches(headers.get("if-none-match", ""), etag):
            await _send_empty(send, 304, [(b"etag", etag.encode()), (b"cache-control", CACHE_OK)])
            return
        head = method == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = []
                if cacheable and status < 400:
                    extra.append((b"cache-control", CACHE_OK))
                    answered_from = etag_of(scope)  # the pin may have moved to newer data
                    if answered_from and status == 200:
                        extra.append((b"etag", answered_from.encode()))
                elif status >= 400:
                    extra.append((b"cache-control", CACHE_ERROR))
                names = {name for name, _ in extra}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + extra}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_wrapper)


def etag_of(scope: Scope) -> str | None:
    """The ETag of the data this request reads (its pinned generation); None when the app
    serves no database or the database cannot be served (the route then answers the error)."""
    app = scope.get("app")
    if not hasattr(getattr(app, "state", None), "live"):
        return None
    try:
        generation = generation_of(scope)
    except DatabaseUnusable:
        return None
    version = generation.version
    problems = getattr(app.state, "build_problems", None)
    if problems:  # the same data, shown with the banner of a failed reload: another representation
        version += "-" + hashlib.sha256("\n".join(problems).encode()).hexdigest()[:8]
    return etag_for(version)


async def _send_empty(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
