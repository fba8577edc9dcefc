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
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.serving import serving  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    st = Path(sys.executable).with_name("st")
    with tempfile.TemporaryDirectory() as tmp:
        tree = shutil.copytree(ROOT / "tests" / "fixtures" / "good", Path(tmp) / "taxonomy")
        with serving(tree, Path(tmp) / "atlas.db") as (url, _server):
            done = subprocess.run(
                [str(st), "run", f"{url}/openapi.json", "--checks", "all", "--mode", "all"]
                + ["-n", str(args.examples), "--seed", str(args.seed), "-w", "2"],
                check=False,
            )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
