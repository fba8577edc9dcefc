"""Time per call of the DPO loss on 10,000 pairs: bare numpy vs the loss lab's ``compute``.

    python benchmarks/loss_bench.py [--pairs 10000] [--repeat 7] [--no-http]

Prints a table: median and best time per call and the ratio to the bare numpy evaluation of the
same formula (target: ``compute`` on numpy arrays ≤ 2× bare). ``compute`` on Python lists adds
the list → array conversion a JSON request needs; the HTTP rows go through the full app in process
(ASGI, JSON parsing, validation, response model), no network.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.losses.compute import compute  # noqa: E402

BETA = 0.1


def make_pairs(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "policy_chosen_logps": -rng.uniform(5, 60, n),
        "policy_rejected_logps": -rng.uniform(5, 60, n),
        "reference_chosen_logps": -rng.uniform(5, 60, n),
        "reference_rejected_logps": -rng.uniform(5, 60, n),
    }


def bare_dpo(pc: np.ndarray, pr: np.ndarray, rc: np.ndarray, rr: np.ndarray) -> float:
    """The same formula with nothing around it: mean −log σ(β((pc − rc) − (pr − rr)))."""
    return float(np.mean(np.logaddexp(0.0, -BETA * ((pc - rc) - (pr - rr)))))


def calls_for(fn: Callable[[], object], target: float = 0.1) -> int:
    """How many calls make one sample last about ``target`` seconds."""
    fn()
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - start >= target:
            return calls
        calls *= 2


def interleaved(rows: list[tuple[str, Callable[[], object]]], repeat: int) -> list[list[float]]:
    """Seconds per call, ``repeat`` samples per row, rows taken in turn so that load from other
    processes falls on all of them alike."""
    counts = [calls_for(fn) for _, fn in rows]
    samples: list[list[float]] = [[] for _ in rows]
    for _ in range(repeat):
        for index, ((_, fn), calls) in enumerate(zip(rows, counts, strict=True)):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            samples[index].append((time.perf_counter() - start) / calls)
    return samples


def http_timer(body: bytes) -> Callable[[], object] | None:
    try:
        import httpx

        from app.main import create_app
    except Exception as exc:  # noqa: BLE001 - the app may not be importable in a partial checkout
        print(f"(HTTP rows skipped: {exc})")
        return None
    app = create_app()  # routes under test need no database, so the lifespan is not run
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    headers = {"content-type": "application/json"}

    def call() -> object:
        response = loop.run_until_complete(
            client.post("/api/v1/losses/dpo", content=body, headers=headers)
        )
        assert response.status_code == 200, response.text
        return response

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()

    arrays = make_pairs(args.pairs)
    lists = {k: v.tolist() for k, v in arrays.items()}
    params = {"beta": BETA}
    expected = bare_dpo(*arrays.values())
    assert abs(compute("dpo", arrays, params).loss - expected) <= 1e-12 * abs(expected)

    rows: list[tuple[str, Callable[[], object]]] = [
        ("bare numpy (same formula)", lambda: bare_dpo(*arrays.values())),
        ("compute('dpo', numpy arrays)", lambda: compute("dpo", arrays, params)),
        ("compute('dpo', Python lists)", lambda: compute("dpo", lists, params)),
    ]
    if not args.no_http:
        body = json.dumps({"inputs": lists, "params": params}).encode()
        call = http_timer(body)
        if call is not None:
            rows.append(("POST /api/v1/losses/dpo (in-process ASGI)", call))

    print(f"DPO loss, {args.pairs:,} pairs; {args.repeat} interleaved samples per path\n")
    print(
        f"{'path':44} {'median µs':>10} {'best µs':>9} {'ratio (median)':>15} {'ratio (best)':>13}"
    )
    samples = interleaved(rows, args.repeat)
    base_median, base_best = statistics.median(samples[0]), min(samples[0])
    for (name, _), times in zip(rows, samples, strict=True):
        median, best = statistics.median(times), min(times)
        print(
            f"{name:44} {median * 1e6:10.1f} {best * 1e6:9.1f} "
            f"{median / base_median:15.2f} {best / base_best:13.2f}"
        )
    print("\nratio = time / time of bare numpy; target for compute on numpy arrays: <= 2")


if __name__ == "__main__":
    main()
