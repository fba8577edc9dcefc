"""Fault drill: what 20 clients see while the database under a running server is corrupted,
truncated, deleted and rebuilt (issue 17).

Starts `reward-atlas serve` on 127.0.0.1 over the fixture taxonomy, keeps N clients requesting
/api/v1/meta and /api/v1/papers, and goes through the phases: healthy, corrupt (garbage written
over the file), rebuild, truncated (the file cut to half), rebuild, deleted, rebuild. For each
phase it prints the answers by status, transport errors (dropped connections), and for each
rebuild the time from the build's end to the first answer with the new data version.

    .venv/bin/python benchmarks/fault_drill.py                 # 20 clients, 3 s a phase
    .venv/bin/python benchmarks/fault_drill.py --clients 5 --phase 1
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.build import build  # noqa: E402
from benchmarks.serving import serving  # noqa: E402

PATHS = ["/api/v1/meta", "/api/v1/papers"]
PAPER = "papers/rafailov2023-dpo.yaml"


class Clients:
    def __init__(self, url: str, count: int) -> None:
        self.url = url
        self.phase = "start"
        self.counts: dict[str, Counter[str]] = {}
        self.versions: list[tuple[float, str]] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(count)]

    def run(self, index: int) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            i = index
            while not self.stop.is_set():
                path = PATHS[i % len(PATHS)]
                i += 1
                try:
                    response = http.get(path)
                    outcome = str(response.status_code)
                    if path.endswith("meta") and response.status_code == 200:
                        with self.lock:
                            self.versions.append(
                                (time.monotonic(), response.json()["data_version"])
                            )
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                with self.lock:
                    self.counts.setdefault(self.phase, Counter())[outcome] += 1

    def first_seen(self, version: str, after: float) -> float | None:
        with self.lock:
            times = [t for t, v in self.versions if v == version and t >= after]
        return min(times) - after if times else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--phase", type=float, default=3.0, help="seconds per phase")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tree = shutil.copytree(ROOT / "tests" / "fixtures" / "good", Path(tmp) / "taxonomy")
        db = Path(tmp) / "atlas.db"
        build(tree, db)
        heal: dict[str, float | None] = {}
        with open(Path(tmp) / "serve.log", "w") as log, serving(tree, db, output=log) as (url, _):
            clients = Clients(url, args.clients)
            for thread in clients.threads:
                thread.start()
            year = 2023

            def step(name: str, action) -> None:
                clients.phase = name
                action()
                time.sleep(args.phase)

            def rebuild(name: str) -> None:
                nonlocal year
                paper = tree / PAPER
                paper.write_text(paper.read_text().replace(f"year: {year}", f"year: {year + 1}", 1))
                year += 1
                clients.phase = name
                version = build(tree, db, force=True).data_version
                done = time.monotonic()
                time.sleep(args.phase)
                heal[name] = clients.first_seen(version, done)

            step("healthy", lambda: None)
            step("corrupt", lambda: db.write_bytes(b"this is not a database\n" * 4000))
            rebuild("rebuild after corrupt")
            step("truncated", lambda: db.write_bytes(db.read_bytes()[: db.stat().st_size // 2]))
            rebuild("rebuild after truncate")
            step("deleted", lambda: db.unlink())
            rebuild("rebuild after delete")
            clients.stop.set()
            for thread in clients.threads:
                thread.join(30)
        output = (Path(tmp) / "serve.log").read_text()
    for phase, counts in clients.counts.items():
        line = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        extra = ""
        if phase in heal:
            seconds = heal[phase]
            extra = (
                f"; healed {seconds * 1000:.0f} ms after the build"
                if seconds is not None
                else "; not healed"
            )
        print(f"{phase:>24}: {line}{extra}")
    print(
        f"server log: {output.count('Traceback')} tracebacks, "
        f"{output.count('cannot serve the database')} 'cannot serve' lines"
    )


if __name__ == "__main__":
    main()
