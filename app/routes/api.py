"""JSON routes under /api/v1. Handlers are thin: parse, call a query function, return."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app import queries
from app.deps import ConnDep

router = APIRouter(prefix="/api/v1", tags=["atlas"])


@router.get("/meta", summary="Data version, build time and counts")
def meta(conn: ConnDep) -> dict[str, Any]:
    """The data version (a hash of the YAML content), when the database was built, how many
    dimensions, categories, papers and relations it holds, and the survey it is built on."""
    return queries.get_meta(conn=conn)


@router.get("/dimensions", summary="All dimensions with their category trees")
def dimensions(conn: ConnDep) -> list[dict[str, Any]]:
    """Every dimension with its full category tree; counts roll up to ancestors."""
    return queries.list_dimensions(conn=conn)
