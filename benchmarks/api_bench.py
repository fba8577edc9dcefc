"""Our JSON API against Datasette on the same SQLite file, plus start-up, memory and the loss lab.

    python benchmarks/api_bench.py                       # 10k synthetic papers, 400 requests each
    python benchmarks/api_bench.py --papers 10000 --requests 400 --concurrency 8
    python benchmarks/api_bench.py --tree /tmp/atlas-10k  # reuse a generated tree

Both servers run as subprocesses on 127.0.0.1 (one process each); one client process drives them
in turn with the same bounded load (``--concurrency`` requests in flight, ``--requests`` in all).
Scenarios: (a) a 3-facet list (year, venue, status), (b) full text, (c) a filtered list.
*cold*: every request has a query string not seen before (the server cannot answer from a cache
of earlier requests); *warm*: one query string repeated. Ratios are ours / Datasette's:
throughput ratio > 1 and p95 ratio < 1 mean we are faster. Targets (issue 8): 3-facet cold
throughput >= 3x and p95 <= 1/3; full text >= 2x; start-up <= 1 s; loss endpoint <= 2x numpy.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.build import build  # noqa: E402
from benchmarks.generate import WORDS, generate  # noqa: E402

BIN = Path(sys.executable).parent
DB_NAME = "atlas"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> float:
    """Seconds from now until ``url`` answers 200 (polling every 5 ms)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.args}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def server(
    cmd: list[str], ready_path: str, port: int, env: dict[str, str] | None = None
) -> Iterator[tuple[str, float, psutil.Process]]:
    """Start ``cmd``, yield (base url, seconds until ``ready_path`` answered, process)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + ready_path, proc)
        yield base, time.perf_counter() - started, psutil.Process(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def rss_mb(proc: psutil.Process) -> float:
    """Resident memory of the server and any worker processes it started."""
    procs = [proc, *proc.children(recursive=True)]
    return sum(p.memory_info().rss for p in procs) / 2**20


# --- Load ---------------------------------------------------------------------------------


async def _drive(base: str, paths: list[str], concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(paths)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def worker() -> None:
            for path in queue:
                t0 = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    raise RuntimeError(f"{base}{path}: {response.status_code} {response.text}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


def drive(base: str, paths: list[str], concurrency: int) -> dict[str, float]:
    elapsed, lat = asyncio.run(_drive(base, paths, concurrency))
    lat.sort()
    return {
        "rps": len(paths) / elapsed,
        "median": statistics.median(lat) * 1000,
        "p95": lat[int(0.95 * (len(lat) - 1))] * 1000,
    }


# --- Scenarios: the same question in each server's grammar --------------------------------


def scenarios(n: int, seed: int = 0) -> dict[str, tuple[Callable[[int], tuple[str, str]], int]]:
    """name -> (i -> (our path, Datasette path), number of distinct i for *cold*)."""
    rng = random.Random(seed)
    word_pairs = list(itertools.permutations(WORDS, 2))
    rng.shuffle(word_pairs)

    def facets(i: int) -> tuple[str, str]:
        # year__lte beyond every year and a varying page size: same rows, new query string.
        qs = f"_facet=year&_facet=venue&_facet=status&year__lte={2100 + i}&_size={10 + i % 40}"
        return f"/api/v1/papers?{qs}", f"/{DB_NAME}/paper.json?{qs}"

    def fulltext(i: int) -> tuple[str, str]:
        a, b = word_pairs[i % len(word_pairs)]
        size = 10 + (i // len(word_pairs)) % 40
        return (
            f"/api/v1/papers?q={a}+{b}&_size={size}",
            f"/{DB_NAME}/paper_fts.json?_search={a}+{b}&_size={size}",
        )

    def filtered(i: int) -> tuple[str, str]:
        qs = f"year__gte={2015 + i % 10}&status=published&_size={10 + (i // 10) % 40}"
        return f"/api/v1/papers?{qs}", f"/{DB_NAME}/paper.json?{qs}"

    return {"3-facet list": (facets, n), "full text": (fulltext, n), "filtered list": (filtered, n)}


def run_load(ours: str, theirs: str, requests: int, concurrency: int) -> list[tuple]:
    rows = []
    for name, (make, _) in scenarios(requests).items():
        for mode in ("cold", "warm"):
            # Cold: request i uses query string i (each new to both servers); warm: string 0.
            # The cold strings of one round are offset so warm-ups never pre-fill them.
            offset = 1000 if mode == "cold" else 0
            pairs = [make(offset + i if mode == "cold" else 0) for i in range(requests)]
            # Warm-up: connections, code paths, and (warm rows only) the repeated query itself.
            warm = make(0) if mode == "warm" else make(offset + requests + 1)
            drive(ours, [warm[0]] * concurrency, concurrency)
            drive(theirs, [warm[1]] * concurrency, concurrency)
            a = drive(ours, [p[0] for p in pairs], concurrency)
            b = drive(theirs, [p[1] for p in pairs], concurrency)
            rows.append((name, mode, a, b))
    return rows


def print_load(rows: list[tuple], requests: int, concurrency: int) -> None:
    print(
        f"\nLoad: {requests} requests per row, {concurrency} in flight, one client process, "
        "loopback; ms = latency per request"
    )
    head = (
        f"{'scenario':14} {'mode':5} {'ours r/s':>9} {'DS r/s':>8} {'r/s ratio':>9} "
        f"{'ours med':>9} {'DS med':>8} {'ours p95':>9} {'DS p95':>8} {'p95 ratio':>9}"
    )
    print(head)
    print("-" * len(head))
    for name, mode, a, b in rows:
        print(
            f"{name:14} {mode:5} {a['rps']:9.0f} {b['rps']:8.0f} {a['rps'] / b['rps']:9.2f} "
            f"{a['median']:9.1f} {b['median']:8.1f} {a['p95']:9.1f} {b['p95']:8.1f} "
            f"{a['p95'] / b['p95']:9.2f}"
        )


def per_call(fn: Callable[[], object], repeat: int = 5, budget: float = 0.2) -> float:
    """Median seconds per call over ``repeat`` samples of enough calls to last ``budget``."""
    fn()
    calls = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - t0 >= budget:
            break
        calls *= 2
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - t0) / calls)
    return statistics.median(samples)


# --- Loss lab over HTTP -------------------------------------------------------------------


def loss_rows(base: str, pairs: int) -> list[tuple[str, float]] | None:
    """Median seconds per call: bare numpy, and POST /api/v1/losses/dpo to the running server.

    Reuses benchmarks/loss_bench.py's pairs and formula rather than repeating them."""
    try:
        from benchmarks import loss_bench
    except ImportError as exc:
        print(f"\n(loss rows skipped: {exc})")
        return None
    arrays = loss_bench.make_pairs(pairs)
    body = json.dumps(
        {"inputs": {k: v.tolist() for k, v in arrays.items()}, "params": {"beta": loss_bench.BETA}}
    ).encode()
    client = httpx.Client(base_url=base, timeout=60)
    headers = {"content-type": "application/json"}

    def post() -> None:
        response = client.post("/api/v1/losses/dpo", content=body, headers=headers)
        assert response.status_code == 200, response.text

    def post_bare_json() -> None:
        # The floor for any JSON-over-HTTP evaluation: parse the same body, then numpy.
        data = json.loads(body)["inputs"]
        import numpy as np

        loss_bench.bare_dpo(*(np.asarray(v) for v in data.values()))

    bare = per_call(lambda: loss_bench.bare_dpo(*arrays.values()))
    parse = per_call(post_bare_json)
    http = per_call(post)
    client.close()
    return [
        ("bare numpy (arrays in memory)", bare),
        ("json.loads(body) + numpy (no server)", parse),
        ("POST /api/v1/losses/dpo over loopback", http),
    ]


# --- Main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--tree", type=Path, help="an existing generated tree (skips generate)")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for our server")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tree = args.tree or generate(args.papers, work / "tree")
        db = work / f"{DB_NAME}.db"
        t0 = time.perf_counter()
        result = build(tree, db)
        print(
            f"tree {tree}: {result.counts.get('papers')} papers, built in "
            f"{time.perf_counter() - t0:.1f} s -> {db}"
        )
        env = {"REWARD_ATLAS_DATA_DIR": str(tree), "REWARD_ATLAS_DB": str(db)}

        # Start-up: `reward-atlas serve` on an up-to-date database (checks the data is unchanged,
        # then starts), and the app alone under uvicorn.
        startup = []
        port = free_port()
        serve = [
            str(BIN / "reward-atlas"),
            "serve",
            str(tree),
            "--db",
            str(db),
            "--port",
            str(port),
        ]
        with server(serve, "/api/v1/meta", port, env) as (_, seconds, proc):
            startup.append(("reward-atlas serve (up-to-date db)", seconds, rss_mb(proc)))

        port = free_port()
        ours_cmd = [
            str(BIN / "python"),
            "-m",
            "uvicorn",
            "app.main:app_from_env",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",
            str(args.workers),
        ]
        ds_port = free_port()
        # --immutable: Datasette's fastest mode for a file that never changes (as ours); no
        # facet suggestions, which we do not compute either.
        ds_cmd = [
            str(BIN / "datasette"),
            "serve",
            "--immutable",
            str(db),
            "-h",
            "127.0.0.1",
            "-p",
            str(ds_port),
            "--setting",
            "suggest_facets",
            "off",
        ]
        with (
            server(ours_cmd, "/api/v1/meta", port, env) as (ours, ours_s, ours_proc),
            server(ds_cmd, f"/{DB_NAME}.json", ds_port) as (theirs, ds_s, ds_proc),
        ):
            rows = run_load(ours, theirs, args.requests, args.concurrency)
            startup.append((f"uvicorn app ({args.workers} worker)", ours_s, rss_mb(ours_proc)))
            startup.append(("datasette serve --immutable", ds_s, rss_mb(ds_proc)))
            losses = loss_rows(ours, 10_000)

    print_load(rows, args.requests, args.concurrency)
    print("\nStart-up (process start until the first JSON answer) and resident memory after load")
    print(f"{'server':40} {'start-up s':>10} {'RSS MB':>8}")
    for name, seconds, mb in startup:
        print(f"{name:40} {seconds:10.2f} {mb:8.0f}")
    if losses:
        print("\nDPO loss, 10,000 pairs, median per call")
        print(f"{'path':40} {'ms':>8} {'ratio':>7}")
        for name, seconds in losses:
            print(f"{name:40} {seconds * 1000:8.2f} {seconds / losses[0][1]:7.2f}")


if __name__ == "__main__":
    main()
