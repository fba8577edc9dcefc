"""schemathesis with every check and negative data against a real server (issue 17).

Starts `reward-atlas serve` on 127.0.0.1 over the fixture taxonomy and runs
`st run --checks all --mode all` (positive and negative data, every phase) on its OpenAPI
document; prints schemathesis's summary (cases generated, failures by check). The suite runs a
bounded version of this (tests/test_fuzz_api.py); this is the long run.

    .venv/bin/python benchmarks/fuzz_all_checks.py                 # 150 examples an operation
    .venv/bin/python benchmarks/fuzz_all_checks.py --examples 30 --seed 7
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    st = Path(sys.executable).with_name("st")
    with tempfile.TemporaryDirectory() as tmp:
        tree = shutil.copytree(ROOT / "tests" / "fixtures" / "good", Path(tmp) / "taxonomy")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", str(tree), "--db", f"{tmp}/atlas.db"]
            + ["--port", str(port), "--host", LOOPBACK],
            cwd=ROOT,
            env={**os.environ, "REWARD_ATLAS_DATABASE_URL": ""},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
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
            done = subprocess.run(
                [str(st), "run", f"{url}/openapi.json", "--checks", "all", "--mode", "all"]
                + ["-n", str(args.examples), "--seed", str(args.seed), "-w", "2"],
                check=False,
            )
        finally:
            server.terminate()
            server.wait(15)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
