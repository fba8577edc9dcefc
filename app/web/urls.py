"""The URL scheme of the web layer: the API prefix, written once, and one way to build a URL
with a query string (the same encoding the paper list uses for its own links)."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request

from app.query.listing.tokens import list_url

API = "/api/v1"


def is_api(path: str) -> bool:
    """Whether a request path belongs to the JSON API (any version)."""
    return path.startswith("/api/")


def url(path: str, pairs: Iterable[tuple[str, str]] = ()) -> str:
    """``path`` with ``pairs`` as its query string (none when there are no pairs)."""
    return list_url(path, list(pairs))


def api(path: str, pairs: Iterable[tuple[str, str]] = ()) -> str:
    """The JSON API URL ``/api/v1{path}``, with ``pairs`` as its query string."""
    return url(f"{API}{path}", pairs)


def query_string(pairs: Iterable[tuple[str, str]]) -> str:
    """``?a=1&b=2`` (or nothing), to append to a URL a template builds."""
    return url("", pairs)


def public_url(request: Request, path: str) -> str:
    """``path`` under the configured public base URL (``Settings.public_url``), or ``path`` as
    it is: a link is never built from the Host header, which the client chooses."""
    base = request.app.state.settings.public_url
    return f"{base.rstrip('/')}{path}" if base else path
