"""Static export time and size: a full export, then an unchanged re-export (skipped by the
manifest's inputs hash).

    python benchmarks/export_bench.py            # the real data
    python benchmarks/export_bench.py 10000      # N synthetic papers (benchmarks/generate.py)

Prints files, MiB, seconds of the full export (wall and CPU) and of the re-export.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.build import build  # noqa: E402
from app.config import Settings  # noqa: E402
from app.publish import export_site  # noqa: E402
from benchmarks.generate import REAL, generate  # noqa: E402


def measure(tree: Path, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    db = work / "atlas.db"
    build(tree, db)
    settings = Settings(data_dir=tree, db=db)
    cpu = time.process_time()
    full = export_site(settings=settings, out=work / "site")
    cpu = time.process_time() - cpu
    again = export_site(settings=settings, out=work / "site")
    print(
        f"{tree.name:>12}: {full.files} files, {full.bytes / 2**20:.1f} MiB, "
        f"export {full.seconds:.1f}s wall / {cpu:.1f}s CPU; unchanged re-export "
        f"{again.seconds:.2f}s ({again.status})"
    )


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]]
    with tempfile.TemporaryDirectory(prefix="atlas-export-bench-") as tmp:
        work = Path(tmp)
        if not sizes:
            measure(REAL, work / "real")
        for n in sizes:
            tree = work / f"synthetic-{n}"
            generate(n, tree)
            measure(tree, work / f"run-{n}")


if __name__ == "__main__":
    main()
