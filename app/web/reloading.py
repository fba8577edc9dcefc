"""``serve --reload``: watch the data folder, rebuild on change, and swap the new database in.

The build is the normal atomic one (a temporary file renamed over the old one), so a request
sees either the old data or the new, never a half-built file. A build that fails validation
leaves the old database serving and puts its problems on ``app.state.build_problems``: the
pages show them in a banner and ``/api/v1/meta`` lists them, until a later change fixes them.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from app.config import Settings
from app.store.opening import DatabaseUnusable

log = logging.getLogger("uvicorn.error")


def forget_answers(app: FastAPI) -> None:
    """Drop every page and JSON answer kept for the data being served (they carry, or lack,
    the problems banner); the ETag follows the problems (app.web.headers.etag_of)."""
    app.state.page_cache = None
    app.state.live.forget_derived(("response_cache",))


def rebuild(app: FastAPI, settings: Settings) -> None:
    """Build the data folder; serve the new database, or keep the old and record why."""
    from app.build import build
    from app.contract.problems import ValidationFailed

    try:
        result = build(settings.data_dir, settings.db, database_url=settings.postgres_url)
    except ValidationFailed as exc:
        base = Path.cwd()
        app.state.build_problems = [problem.format(base) for problem in exc.problems]
        forget_answers(app)
        log.warning("reload: %d problem(s); still serving the last good data", len(exc.problems))
        for line in app.state.build_problems:
            log.warning("  %s", line)
        return
    app.state.build_problems = []
    # SQLite: requests follow the renamed file on their own; PostgreSQL has no file to follow.
    try:
        app.state.live.reopen()
    except DatabaseUnusable as exc:  # each request reports it (503) until a build fixes it
        log.error("reload: the new database cannot be served: %s", exc)
        return
    log.info("reload: %s %s", result.status, result.data_version)


async def watch(app: FastAPI, settings: Settings, stop: asyncio.Event) -> None:
    """Rebuild after each burst of changes under ``settings.data_dir`` until ``stop`` is set."""
    from watchfiles import awatch

    async for _changes in awatch(settings.data_dir, stop_event=stop, debounce=200, step=50):
        await run_in_threadpool(rebuild, app, settings)
