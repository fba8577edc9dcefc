"""Dependencies declared once, so handler signatures read like sentences.

Every request reads one :class:`~app.store.live.Generation` of the database, pinned in its
scope by the first thing that needs it (the ETag, a connection, a cache): a rebuild during the
request never mixes two data versions in one answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Connection

from app.query.graph import build_graph
from app.store.live import MAX_CONNECTIONS, DataReplaced, Generation, generation_extra

if TYPE_CHECKING:
    import networkx as nx

_PINNED = "reward_atlas.generation"
T = TypeVar("T")


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


def connection_slots(generation: Generation) -> anyio.Semaphore:
    """One slot per connection the generation's pool can open.

    A request takes a slot (waiting on the event loop, holding no thread) before it takes a
    connection, so a thread never blocks on an exhausted pool: with 100 concurrent requests,
    40 threads blocked in checkout while the 40 connection holders waited for a thread to run
    their handler deadlocked the server until the pool's 30 s timeout."""
    return generation_extra(generation, "slots", lambda: anyio.Semaphore(MAX_CONNECTIONS))


async def run_with_connection(
    scope: dict[str, Any],
    work: Callable[[Connection], T],
    limiter: anyio.CapacityLimiter | None = None,
) -> T:
    """``work(conn)`` in a worker thread on a connection of the request's generation, holding
    one of its connection slots (and a token of ``limiter``)."""
    for attempt in (1, 2):
        generation = generation_of(scope)
        async with connection_slots(generation):
            try:
                return await anyio.to_thread.run_sync(
                    _with_connection, generation, work, limiter=limiter
                )
            except DataReplaced:
                if attempt == 2:
                    raise
                _repin(scope)
    raise AssertionError("unreachable")


def _with_connection(generation: Generation, work: Callable[[Connection], T]) -> T:
    with generation.engine.connect() as conn:
        return work(conn)


def _repin(scope: dict[str, Any]) -> None:
    """The file was replaced between the pin and a new connection (the pool refuses a
    connection to other data): pin the request again, once, to the new data. Nothing of the old
    data has been read, and the ETag is taken from the pin when the answer starts."""
    scope.pop(_PINNED, None)


async def get_conn(request: Request) -> AsyncIterator[Connection]:
    for attempt in (1, 2):
        generation = generation_of(request.scope)
        async with connection_slots(generation):
            try:
                conn = await anyio.to_thread.run_sync(generation.engine.connect)
            except DataReplaced:
                if attempt == 2:
                    raise
                _repin(request.scope)
                continue
            try:
                yield conn
            finally:
                conn.close()  # back to the pool: a rollback, no I/O wait
            return


def get_graph(request: Request, conn: Annotated[Connection, Depends(get_conn)]) -> nx.MultiDiGraph:
    """The graph of this request's generation, built once by the first request that needs it
    (sync, so it runs in the thread pool; concurrent first requests wait for the one building
    it).

    It is built on the request's own connection: taking a second one from the pool while every
    waiting request holds one deadlocked the pool under load (40 concurrent paper pages)."""
    generation = generation_of(request.scope)
    return generation_extra(generation, "graph", lambda: build_graph(conn))


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
