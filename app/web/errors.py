"""One error shape for every API failure: ``{"error": {"status", "message", "details"}}``."""

from __future__ import annotations

from typing import Any


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
