"""Dependencies declared once, so handler signatures read like sentences.

Every request reads one :class:`~app.store.live.Generation` of the database, pinned in its
scope by the first thing that needs it (the ETag, a connection, a cache): a rebuild during the
request never mixes two data versions in one answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Connection

from app.query.graph import build_graph
from app.store.live import Generation, generation_extra

if TYPE_CHECKING:
    import networkx as nx

_PINNED = "reward_atlas.generation"


def generation_of(scope: dict[str, Any]) -> Generation:
    """The generation this request reads (pinned on first use); raises
    :class:`~app.store.opening.DatabaseUnusable` while the database cannot be served."""
    found = scope.get(_PINNED)
    if found is None:
        found = scope[_PINNED] = scope["app"].state.live.current()
    return found


def pinned_generation(scope: dict[str, Any]) -> Generation | None:
    """The generation this request has read so far, if any."""
    return scope.get(_PINNED)


async def get_generation(request: Request) -> Generation:
    """(async: a stat of the file, no thread hop; a new file is opened once per rebuild)"""
    return generation_of(request.scope)


def get_conn(generation: Annotated[Generation, Depends(get_generation)]) -> Iterator[Connection]:
    with generation.engine.connect() as conn:
        yield conn


def get_graph(
    generation: Annotated[Generation, Depends(get_generation)],
    conn: Annotated[Connection, Depends(get_conn)],
) -> nx.MultiDiGraph:
    """The graph of this generation, built once by the first request that needs it (sync, so it
    runs in the thread pool; concurrent first requests wait for the one building it).

    It is built on the request's own connection: taking a second one from the pool while every
    waiting request holds one deadlocked the pool under load (40 concurrent paper pages)."""
    return generation_extra(generation, "graph", lambda: build_graph(conn))


def get_templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


GenerationDep = Annotated[Generation, Depends(get_generation)]
ConnDep = Annotated[Connection, Depends(get_conn)]
# A string: networkx is imported with the first graph (query.graph.build_graph), not at start-up.
GraphDep = Annotated["nx.MultiDiGraph", Depends(get_graph)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
