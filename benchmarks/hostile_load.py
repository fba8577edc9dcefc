"""Hostile load: do normal clients stay fast while one client sends the most expensive requests
the server accepts? (issue 17)

Starts `reward-atlas serve` on 127.0.0.1 over the fixture taxonomy plus one paper with the
longest accepted title and summary, runs N normal clients (meta, dimensions, one paper) for a
while alone, then again beside one hostile client that loops over the worst search (cache
missed: each request asks for another limit) and the largest accepted loss body (~1 MiB of
DPO inputs). Prints the normal clients' p50/p95 in both phases and the ratio of the p95s.

    .venv/bin/python benchmarks/hostile_load.py                       # 100 clients, 10 s a phase
    .venv/bin/python benchmarks/hostile_load.py --clients 20 --duration 5
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.serving import serving  # noqa: E402

NORMAL = ["/api/v1/meta", "/api/v1/dimensions", "/api/v1/papers/rafailov2023-dpo"]
TITLE_WORDS = 57  # "Reward " x 57 = 399 characters, under the 400-character title limit


def hostile_tree(target: Path) -> Path:
    tree = shutil.copytree(ROOT / "tests" / "fixtures" / "good", target)
    source = tree / "papers" / "rafailov2023-dpo.yaml"
    text = source.read_text()
    paper = tree / "papers" / "zz2024-hostile.yaml"
    lines = []
    skipping = False
    for line in text.splitlines():
        if skipping and line.startswith((" ", "-")):
            continue
        skipping = line.startswith("losses:")  # the loss lab names its papers itself
        if skipping:
            continue
        if line.startswith("id:"):
            line = "id: zz2024-hostile"
        elif line.startswith("title:"):
            line = "title: " + ("Reward " * TITLE_WORDS).strip()
        elif line.startswith(("arxiv:", "doi:", "url:", "short_name:", "code:")):
            continue
        lines.append(line)
    paper.write_text("\n".join(lines) + "\n")
    return tree


def largest_loss_body() -> bytes:
    n = 10_000  # the most elements the loss API accepts per input
    logp = [-1.2345678901234567] * n  # long numbers: close to the 1 MiB body limit
    inputs = {
        "policy_chosen_logps": logp,
        "policy_rejected_logps": logp,
        "reference_chosen_logps": logp,
        "reference_rejected_logps": logp,
    }
    import orjson

    return orjson.dumps({"inputs": inputs, "params": {"beta": 0.1}})


async def normal_client(http: httpx.AsyncClient, until: float, times: list[float], errors: list):
    i = 0
    while time.monotonic() < until:
        path = NORMAL[i % len(NORMAL)]
        i += 1
        start = time.perf_counter()
        try:
            response = await http.get(path)
            if response.status_code != 200:
                errors.append(response.status_code)
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
        times.append(time.perf_counter() - start)


async def hostile_client(http: httpx.AsyncClient, until: float, done: list[str]) -> None:
    body = largest_loss_body()
    i = 0
    while time.monotonic() < until:
        i += 1
        try:
            search = await http.get(f"/api/v1/search?q=reward&limit={1 + i % 100}", timeout=300)
            loss = await http.post(
                "/api/v1/losses/dpo",
                content=body,
                headers={"content-type": "application/json"},
                timeout=300,
            )
            done.append(f"{search.status_code}/{loss.status_code}")
        except httpx.HTTPError as exc:
            done.append(type(exc).__name__)


async def phase(url: str, clients: int, duration: float, hostile: bool) -> dict:
    limits = httpx.Limits(max_connections=clients + 2)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        until = time.monotonic() + duration
        times: list[float] = []
        errors: list = []
        done: list[str] = []
        tasks = [normal_client(http, until, times, errors) for _ in range(clients)]
        if hostile:
            tasks.append(hostile_client(http, until, done))
        await asyncio.gather(*tasks)
    times.sort()
    return {
        "requests": len(times),
        "errors": len(errors),
        "p50": statistics.median(times) * 1000,
        "p95": times[int(len(times) * 0.95)] * 1000,
        "hostile": len(done),
        "kinds": [str(e) for e in errors] + [d for d in done if "/" not in d],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tree = hostile_tree(Path(tmp) / "taxonomy")
        db = Path(tmp) / "atlas.db"
        with serving(tree, db) as (url, _server):
            quiet = asyncio.run(phase(url, args.clients, args.duration, hostile=False))
            loud = asyncio.run(phase(url, args.clients, args.duration, hostile=True))
    for name, result in (("normal only", quiet), ("with hostile", loud)):
        print(
            f"{name:>13}: {result['requests']} requests, {result['errors']} errors, "
            f"p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms"
            + (f", hostile rounds {result['hostile']}" if name == "with hostile" else "")
            + (f" ({', '.join(sorted(set(result['kinds'])))})" if result["errors"] else "")
        )
    print(f"p95 ratio (with hostile / without): {loud['p95'] / quiet['p95']:.2f}")


if __name__ == "__main__":
    main()
