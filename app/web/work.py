"""Work that can take more than a moment (search, the paper list, exports, loss computations)
runs in worker threads under one per-app limit, so it never holds the event loop and a burst of
it leaves threads free for the requests that only read a row or a cached answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request

T = TypeVar("T")

# SQLite releases the GIL while a statement runs, so a few slow statements can run side by
# side; more than this many queue for a slot instead of taking threads from the other requests.
HEAVY_SLOTS = 4


def heavy_limiter(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    limiter = getattr(state, "heavy_limiter", None)
    if limiter is None:
        limiter = state.heavy_limiter = anyio.CapacityLimiter(HEAVY_SLOTS)
    return limiter


async def run_heavy(request: Request, work: Callable[[], T]) -> T:
    """``work()`` in a worker thread, holding one of the app's heavy-work slots."""
    return await anyio.to_thread.run_sync(work, limiter=heavy_limiter(request))


async def heavy_slot(request: Request) -> AsyncIterator[None]:
    """Holds a heavy-work slot while a synchronous handler runs (it runs in the thread pool)."""
    async with heavy_limiter(request):
        yield


HeavyDep = Depends(heavy_slot)
