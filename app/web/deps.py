"""Dependencies declared once, so handler signatures read like sentences."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Connection

from app.query.graph import build_graph

if TYPE_CHECKING:
    import networkx as nx


def get_conn(request: Request) -> Iterator[Connection]:
    with request.app.state.engine.connect() as conn:
        yield conn


def get_graph(request: Request, conn: Annotated[Connection, Depends(get_conn)]) -> nx.MultiDiGraph:
    """The graph of the database, built once by the first request that needs it (sync, so it
    runs in the thread pool; concurrent first requests wait for the one building it).

    It is built on the request's own connection: taking a second one from the pool while every
    waiting request holds one deadlocked the pool under load (40 concurrent paper pages)."""
    state = request.app.state
    if state.graph is None:
        with state.graph_lock:
            if state.graph is None:
                state.graph = build_graph(conn)
    return state.graph


def build_problems(request: Request) -> list[str]:
    """The problems of the last failed ``serve --reload`` build (empty when all is well)."""
    return list(getattr(request.app.state, "build_problems", []))


def get_templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


ConnDep = Annotated[Connection, Depends(get_conn)]
# A string: networkx is imported with the first graph (query.graph.build_graph), not at start-up.
GraphDep = Annotated["nx.MultiDiGraph", Depends(get_graph)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
BuildProblemsDep = Annotated[list[str], Depends(build_problems)]
