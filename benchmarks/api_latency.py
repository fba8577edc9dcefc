"""Latency of the JSON API over real HTTP: median and p95 of a 3-facet list and of full-text
queries, on the real taxonomy and on a 10k-paper synthetic tree (benchmarks/generate.py).

    .venv/bin/python benchmarks/api_latency.py                   # real data + 10k synthetic
    .venv/bin/python benchmarks/api_latency.py --papers 0        # real data only
    .venv/bin/python benchmarks/api_latency.py --requests 500

Each dataset is built into a temporary database and served by uvicorn in a subprocess on
127.0.0.1 (one worker, as `make serve` runs it). One client sends requests one at a time, after
a warm-up, without If-None-Match (so every request runs the query). Prints a table.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.build import build  # noqa: E402

QUERIES = {
    "3-facet list": "/api/v1/papers?_facet=expression&_facet=granularity&_facet=year",
    "3-facet, filtered": (
        "/api/v1/papers?optimization=rl-free&year__gte=2023"
        "&_facet=expression&_facet=granularity&_facet=year"
    ),
    "full text, list": "/api/v1/papers?q=reward+model",
    "full text, search": "/api/v1/search?q=preference",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(data_dir: Path, db: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "REWARD_ATLAS_DATA_DIR": str(data_dir), "REWARD_ATLAS_DB": str(db)}
    proc = subprocess.Popen(
        [
            sys.executable,
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
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/meta", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("server did not start")


def _measure(client: httpx.Client, path: str, n: int) -> tuple[float, float, int]:
    for _ in range(max(10, n // 10)):
        client.get(path).raise_for_status()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    return statistics.median(times), p95, response.json().get("count", -1)


def run(label: str, data_dir: Path, workdir: Path, n: int) -> list[tuple]:
    db = workdir / f"{label}.db"
    build(data_dir, db)
    proc, url = _serve(data_dir, db)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            papers = client.get("/api/v1/meta").json()["counts"]["papers"]
            return [
                (label, papers, name, *_measure(client, path, n)) for name, path in QUERIES.items()
            ]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per query")
    parser.add_argument(
        "--papers", type=int, default=10_000, help="size of the synthetic tree (0: skip it)"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows += run("real", ROOT / "data" / "taxonomy", work, args.requests)
        if args.papers:
            try:
                from benchmarks.generate import generate
            except ImportError:  # pragma: no cover - generator not there
                print("benchmarks/generate.py missing: synthetic tree skipped")
            else:
                tree = generate(args.papers, work / "synthetic")
                rows += run(f"synthetic-{args.papers // 1000}k", tree, work, args.requests)
    print(f"\n{'data':<15}{'papers':>7}  {'query':<20}{'median ms':>10}{'p95 ms':>9}{'matches':>9}")
    for label, papers, name, median, p95, count in rows:
        print(f"{label:<15}{papers:>7}  {name:<20}{median:>10.2f}{p95:>9.2f}{count:>9}")
    print("\nqueries:")
    for name, path in QUERIES.items():
        print(f"  {name:<20}{path}")
    print(f"{args.requests} timed requests per query, one at a time, after a warm-up.")


if __name__ == "__main__":
    main()
