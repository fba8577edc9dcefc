"""Build time against the floor of merely parsing the same YAML files with PyYAML's C loader.

    python benchmarks/build_bench.py            # 1k, 10k and 20k synthetic papers + the real data
    python benchmarks/build_bench.py 1000 5000  # chosen sizes

Prints one row per size: parse floor, validate, full build, and build / floor (target <= 2).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.build import build  # noqa: E402
from app.contract.files import data_files  # noqa: E402
from app.contract.validate import load_taxonomy  # noqa: E402
from benchmarks.generate import REAL, generate  # noqa: E402


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(tree: Path, work: Path) -> tuple[int, float, float, float]:
    files = data_files(tree)

    def parse() -> None:
        for path in files:
            with open(path, "rb") as handle:
                yaml.load(handle, Loader=yaml.CSafeLoader)

    floor = _best(parse)
    validate = _best(lambda: load_taxonomy(tree))
    db = work / "bench.db"
    full = _best(lambda: build(tree, db, force=True))
    return len(files), floor, validate, full


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1_000, 10_000, 20_000]
    print(
        f"{'tree':>12} {'files':>7} {'parse s':>8} {'validate s':>10} {'build s':>8} "
        f"{'build/parse':>11} {'ms/paper':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        trees = [("real", REAL)] + [
            (f"{n // 1000}k", generate(n, work / f"tree-{n}")) for n in sizes
        ]
        for label, tree in trees:
            files, floor, validate, full = measure(tree, work)
            print(
                f"{label:>12} {files:>7} {floor:>8.2f} {validate:>10.2f} {full:>8.2f} "
                f"{full / floor:>11.2f} {1000 * full / files:>9.3f}"
            )


if __name__ == "__main__":
    main()
