"""One error shape for every API failure: ``{"error": {"status", "message", "details"}}``."""

from __future__ import annotations

from typing import Any

from app.errors import AtlasError, InvalidInput, InvalidQuery, NotFound

# The one place a domain error becomes an HTTP status.
STATUS_OF: dict[type[AtlasError], int] = {NotFound: 404, InvalidQuery: 400, InvalidInput: 422}


class ApiError(Exception):
    """An error a client caused (or a server fault) with the shared JSON shape.

    Raise it from a handler or a query function; the app's exception handler renders it.
    """

    def __init__(self, status: int, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []

    def body(self) -> dict[str, Any]:
        return {"error": {"status": self.status, "message": self.message, "details": self.details}}


def error_body(status: int, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    return {"error": {"status": status, "message": message, "details": details or []}}


def from_domain(exc: AtlasError) -> ApiError:
    """The HTTP error for a domain error (404, 400 or 422; see :data:`STATUS_OF`)."""
    status = next(code for kind, code in STATUS_OF.items() if isinstance(exc, kind))
    return ApiError(status, exc.message, exc.details)
