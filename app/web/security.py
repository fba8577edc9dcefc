"""Response headers and request limits that hold for every route, before any handler runs.

* A strict Content-Security-Policy (no ``unsafe-inline``): pages load scripts and styles from
  ``/static`` only, so text from an entry that slipped past escaping still could not run.
* ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.
* Request bodies over :data:`MAX_BODY_BYTES` get ``413``; query strings with more than
  :data:`MAX_PARAMS` parameters, more than :data:`MAX_QUERY_BYTES` in all or a value longer than
  :data:`MAX_VALUE_BYTES` get ``400`` -- both in the shared error shape, without reaching a route.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.errors import error_body

MAX_BODY_BYTES = 1024 * 1024
MAX_QUERY_BYTES = 4096
MAX_VALUE_BYTES = 1024
MAX_PARAMS = 100

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
_NAMES = {name for name, _ in SECURITY_HEADERS}


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a body without Content-Length passes the limit. An
    HTTPException, so FastAPI's body parsing passes it on and the app renders the shared shape."""

    def __init__(self) -> None:
        super().__init__(413, f"request body is larger than {MAX_BODY_BYTES} bytes")


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


class SecurityMiddleware:
    """Adds the security headers to every response and enforces the request limits."""

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
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            await _send_error(send, 413, f"request body is larger than {MAX_BODY_BYTES} bytes")
            return

        started = False
        received = 0
        extra = REDOC_HEADERS if scope["path"] == "/redoc" else SECURITY_HEADERS

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _NAMES]
                message = {**message, "headers": kept + extra}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            # A chunked body with no Content-Length: refused once it passes the limit.
            if started:
                raise
            await _send_error(send, 413, f"request body is larger than {MAX_BODY_BYTES} bytes")


async def _send_error(send: Send, status: int, message: str) -> None:
    body = orjson.dumps(error_body(status, message))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *SECURITY_HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
