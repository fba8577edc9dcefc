"""Response headers and request limits that hold for every route, before any handler runs.

* A strict Content-Security-Policy (no ``unsafe-inline``): pages load scripts and styles from
  ``/static`` only, so text from an entry that slipped past escaping still could not run.
* ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.
* Every answer carries these headers (and CORS under ``/api/``), errors and 500s included.
* Request bodies over :data:`MAX_BODY_BYTES` get ``413``; query strings with more than
  :data:`MAX_PARAMS` parameters, more than :data:`MAX_QUERY_BYTES` in all or a value longer than
  :data:`MAX_VALUE_BYTES` get ``400`` -- both in the shared error shape, without reaching a route.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import anyio
import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.errors import error_body
from app.web.headers import CORS
from app.web.urls import is_api

MAX_BODY_BYTES = 1024 * 1024
MAX_QUERY_BYTES = 4096
MAX_VALUE_BYTES = 1024
MAX_PARAMS = 100
TOO_LARGE = f"request body is larger than {MAX_BODY_BYTES} bytes"
# How much of an oversized body is read (and dropped) so that the client sees the 413.
MAX_DRAIN_BYTES = 16 * 1024 * 1024
DRAIN_SECONDS = 10

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# ReDoc (styled-components) writes its styles into <style> elements at run time and renders
# unstyled without them, so /redoc alone may apply inline *styles*; scripts stay 'self' only.
# Swagger UI on /docs works under the strict policy.
# Its search index runs in a worker it creates from a blob: URL.
CSP_REDOC = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + (
    "; worker-src 'self' blob:"
)
_OTHER_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), *_OTHER_HEADERS]
REDOC_HEADERS = [(b"content-security-policy", CSP_REDOC.encode()), *_OTHER_HEADERS]


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a body without Content-Length passes the limit. An
    HTTPException, so FastAPI's body parsing passes it on and the app renders the shared shape."""

    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE)


def query_problem(query_string: bytes) -> str | None:
    """Why a raw query string is refused, or None when it is within the limits."""
    if len(query_string) > MAX_QUERY_BYTES:
        return f"query string is longer than {MAX_QUERY_BYTES} bytes"
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    if len(pairs) > MAX_PARAMS:
        return f"more than {MAX_PARAMS} query parameters"
    for name, value in pairs:
        if len(value.encode("latin-1", "replace")) > MAX_VALUE_BYTES:
            return f"query parameter {name[:40]!r} is longer than {MAX_VALUE_BYTES} bytes"
    return None


class ResponseHeaders:
    """The outermost layer: every answer gets the security headers, every ``/api/`` answer
    CORS, and every error ``Cache-Control: no-store`` unless it says otherwise -- whether it
    comes from a route, a middleware's refusal or the last-resort 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = REDOC_HEADERS if scope["path"] == "/redoc" else SECURITY_HEADERS
        if is_api(scope["path"]):
            extra = [*extra, *CORS]
        names = {name for name, _ in extra}
        own = _own_origin(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, _relative(v, own) if k.lower() == b"location" else v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in names
                ]
                if message["status"] >= 400 and not any(
                    k.lower() == b"cache-control" for k, _ in kept
                ):
                    kept.append((b"cache-control", b"no-store"))
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _own_origin(scope: Scope) -> bytes:
    """``scheme://host`` as Starlette builds absolute URLs (from the Host header)."""
    host = dict(scope["headers"]).get(b"host", b"")
    return scope.get("scheme", "http").encode() + b"://" + host


def _relative(location: bytes, own: bytes) -> bytes:
    """A redirect to this same site as a path: Starlette's trailing-slash redirect builds an
    absolute URL from the Host header, which a client (or a cache poisoner) chooses."""
    if location.startswith(own) and location[len(own) : len(own) + 1] in (b"/", b"?", b""):
        return location[len(own) :] or b"/"
    return location


class SecurityMiddleware:
    """Enforces the request limits before any route runs.

    An oversized body is read and dropped (up to :data:`MAX_DRAIN_BYTES`, for at most
    :data:`DRAIN_SECONDS`) before the ``413`` goes out: a client that sends its body without
    waiting for ``100 Continue`` would otherwise be reset by the kernel (a socket closed with
    unread data sends RST) and never see the answer. A client that does wait is answered at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = query_problem(scope.get("query_string", b""))
        if problem:
            await _send_error(send, 400, problem)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            if headers.get(b"expect", b"").lower() != b"100-continue":
                await _drain(receive, 0)
            await _send_error(send, 413, TOO_LARGE, close=True)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    # A chunked body with no Content-Length: refused once it passes the limit
                    # (FastAPI's body parsing passes the HTTPException on to the app's handler).
                    if message.get("more_body"):
                        await _drain(receive, received)
                    raise BodyTooLarge
            return message

        await self.app(scope, limited_receive, send)


async def _drain(receive: Receive, already: int) -> None:
    """Read and drop the rest of a request body, within the drain limits."""
    total = already
    with anyio.move_on_after(DRAIN_SECONDS):
        while total <= MAX_DRAIN_BYTES:
            message = await receive()
            if message["type"] != "http.request":
                return
            total += len(message.get("body", b""))
            if not message.get("more_body"):
                return


async def _send_error(send: Send, status: int, message: str, *, close: bool = False) -> None:
    body = orjson.dumps(error_body(status, message))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
