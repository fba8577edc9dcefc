"""Domain errors: what the query and loss packages raise when a request cannot be answered.

They know nothing of HTTP; :mod:`app.web.errors` maps each to a status in one place.
``details`` name what was wrong (``[{"field": ..., "message": ...}]`` or the valid choices).
"""

from __future__ import annotations

from typing import Any


class AtlasError(Exception):
    def __init__(self, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFound(AtlasError):
    """Nothing has that id."""


class InvalidQuery(AtlasError):
    """Query parameters that are unknown, malformed or contradict each other."""


class InvalidInput(AtlasError):
    """Inputs that have the right shape but cannot be computed with (loss-lab bodies)."""
