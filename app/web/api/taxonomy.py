"""The survey's taxonomy: meta, dimensions and categories."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from app.query import reads as queries
from app.web.api import models as m
from app.web.api.params import new_router
from app.web.deps import BuildProblemsDep, ConnDep

router = new_router()


@router.get("/meta", summary="Data version, build time and counts", tags=["taxonomy"])
def meta(conn: ConnDep, build_problems: BuildProblemsDep) -> m.Meta:
    """The data version (a hash of the YAML content), when the database was built, how many
    dimensions, categories, papers and relations it holds, the survey it is built on, and
    (under `serve --reload`) the problems of an edit that did not validate."""
    return {**queries.get_meta(conn=conn), "build_problems": build_problems}


@router.get("/dimensions", summary="All dimensions with their category trees", tags=["taxonomy"])
def dimensions(conn: ConnDep) -> list[m.Dimension]:
    """Every dimension with its full category tree. Counts roll up: a paper counts under every
    ancestor of the categories it is placed in (once, however many descendants it is in)."""
    return queries.list_dimensions(conn=conn)


@router.get(
    "/dimensions/{dimension_id}", summary="One dimension with its category tree", tags=["taxonomy"]
)
def dimension(
    conn: ConnDep, dimension_id: Annotated[str, Path(examples=["granularity"])]
) -> m.Dimension:
    """One dimension, its question and provenance, and its category tree with roll-up counts."""
    return queries.get_dimension(conn=conn, dimension_id=dimension_id)


@router.get(
    "/categories/{category_id}",
    summary="One category with parents, children, papers",
    tags=["taxonomy"],
)
def category(
    conn: ConnDep, category_id: Annotated[str, Path(examples=["response-vs-token"])]
) -> m.CategoryDetail:
    """A category's definition and provenance, its parent chain (`breadcrumbs`), its children
    with counts, and every paper placed in it or in any descendant."""
    return queries.get_category(conn=conn, category_id=category_id)
