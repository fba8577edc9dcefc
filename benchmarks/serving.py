"""A real ``reward-atlas serve`` in a subprocess on a free loopback port, for the scripts that
measure the server from outside (hostile load, fault drill, the full schemathesis run)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@contextmanager
def serving(
    tree: Path, db: Path, *, output: int | IO[str] = subprocess.DEVNULL
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Serve ``tree`` from ``db`` (SQLite, whatever the environment names) until the block
    ends; yields the base URL once ``/api/v1/meta`` answers, and the process."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", str(tree), "--db", str(db)]
        + ["--port", str(port), "--host", LOOPBACK],
        cwd=ROOT,
        env={**os.environ, "REWARD_ATLAS_DATABASE_URL": ""},
        stdout=output,
        stderr=subprocess.STDOUT if output is not subprocess.DEVNULL else subprocess.DEVNULL,
    )
    url = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{url}/api/v1/meta", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("server did not start") from None
                time.sleep(0.2)
        yield url, server
    finally:
        server.terminate()
        server.wait(15)
