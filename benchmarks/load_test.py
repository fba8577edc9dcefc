"""Bounded load test: 100 concurrent clients for 30 s against a server this script starts itself.

Loopback only: the server listens on 127.0.0.1 and the script refuses any other target. The mix
covers HTML pages, API lists and details, search and loss-lab calls (GET and POST). It prints the
request count, throughput, error count (any non-2xx/3xx status or transport error) and latency
percentiles overall and per kind, and exits non-zero if there was any error.

    .venv/bin/python benchmarks/load_test.py                 # real data, 100 clients, 30 s
    .venv/bin/python benchmarks/load_test.py --clients 20 --duration 5 --data tests/fixtures/good
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.build import build  # noqa: E402
from app.losses.registry_pairwise import PAIRS  # noqa: E402

LOOPBACK = "127.0.0.1"
DPO_BODY = {"inputs": PAIRS, "params": {"beta": 0.1}}


def mix(paper_ids: list[str], category_ids: list[str]) -> list[tuple[str, str, str, dict | None]]:
    """(kind, method, path, json body) with repetition as the weight."""
    paper = random.choice
    return [
        ("page", "GET", "/", None),
        ("page", "GET", "/papers", None),
        ("page", "GET", "/papers?_sort=year", None),
        ("page", "GET", f"/papers/{paper(paper_ids)}", None),
        ("page", "GET", f"/categories/{paper(category_ids)}", None),
        ("page", "GET", "/taxonomy", None),
        ("page", "GET", "/losses/dpo", None),
        ("api-list", "GET", "/api/v1/papers", None),
        ("api-list", "GET", "/api/v1/papers?_size=100&_sort=title", None),
        ("api-list", "GET", "/api/v1/dimensions", None),
        ("api-list", "GET", "/api/v1/losses", None),
        ("api-detail", "GET", f"/api/v1/papers/{paper(paper_ids)}", None),
        ("search", "GET", "/search?q=preference", None),
        ("search", "GET", "/api/v1/search?q=reward", None),
        ("search", "GET", "/api/v1/search?q=dpo", None),
        ("loss", "POST", "/api/v1/losses/dpo", DPO_BODY),
        ("loss", "GET", "/api/v1/losses/dpo/curve?points=101", None),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, db: Path, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "REWARD_ATLAS_DATA_DIR": str(data_dir), "REWARD_ATLAS_DB": str(db)}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "app.main:app_from_env",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--workers",
        str(workers),
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{LOOPBACK}:{port}/api/v1/meta", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("server did not start within 30 s")


async def client(base: str, requests: list, deadline: float, results: dict, errors: list) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < deadline:
            kind, method, path, body = random.choice(requests)
            start = time.perf_counter()
            try:
                response = await http.request(method, path, json=body)
                ok = response.status_code < 400
                if not ok:
                    errors.append(f"{response.status_code} {method} {path}")
            except httpx.HTTPError as exc:
                ok = False
                errors.append(f"{type(exc).__name__} {method} {path}")
            if ok:
                results[kind].append(time.perf_counter() - start)


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    p50, p95, p99 = (cuts[i] * 1e3 for i in (49, 94, 98))
    return f"p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   p99 {p99:7.1f} ms"


async def run(base: str, clients: int, duration: float, paper_ids, category_ids) -> int:
    assert urlsplit(base).hostname == LOOPBACK, "loopback only"
    results: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    requests = mix(paper_ids, category_ids)
    # Paper and category picks vary per request: rebuild the mix for each client.
    start = time.monotonic()
    deadline = start + duration
    await asyncio.gather(
        *(
            client(base, mix(paper_ids, category_ids) if i else requests, deadline, results, errors)
            for i in range(clients)
        )
    )
    elapsed = time.monotonic() - start
    every = [value for values in results.values() for value in values]
    total = len(every) + len(errors)
    print(
        f"{clients} clients, {elapsed:.1f} s: {total} requests ({total / elapsed:.0f}/s), "
        f"{len(errors)} errors"
    )
    print(f"  all          {percentiles(every)}")
    for kind in sorted(results):
        print(f"  {kind:<12} {percentiles(results[kind])}   (n={len(results[kind])})")
    for line in sorted(set(errors))[:20]:
        print(f"  error: {line}")
    return 1 if errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "taxonomy")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "atlas.db"
        build(args.data, db)
        from app.contract.validate import load_or_raise

        taxonomy = load_or_raise(args.data)
        paper_ids = [p.id for p in taxonomy.papers]
        category_ids = [c.id for d in taxonomy.dimensions for c in d.categories]
        port = free_port()
        server = start_server(args.data, db, port, args.workers)
        try:
            return asyncio.run(
                run(
                    f"http://{LOOPBACK}:{port}",
                    args.clients,
                    args.duration,
                    paper_ids,
                    category_ids,
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
