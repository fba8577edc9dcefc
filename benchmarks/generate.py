"""Write a synthetic but realistic taxonomy of N papers over the real dimensions.

    python benchmarks/generate.py 10000 --out /tmp/atlas-10k

Papers get full metadata, summaries of realistic length (two to three sentences), placements on
five to eight dimensions, and one to three relations to earlier papers (so the lineage is acyclic).
The output validates with `reward-atlas validate`. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "data" / "taxonomy"

WORDS = (
    "reward preference policy alignment feedback verifier process token critique judge ensemble "
    "margin calibration robust online offline iterative self-play listwise pairwise dense sparse "
    "shaping length safety helpfulness reasoning multimodal agent tool decoding contrastive "
    "uncertainty distribution shift overoptimization hacking generalization benchmark rubric"
).split()
FIRST = "Ana Ben Chen Dara Eli Fatima Gao Hana Ivan Jun Kai Lena Mo Nia Omar Priya Qi Rui Sara Tao"
LAST = "Smith Wang Li Zhang Kumar Garcia Müller Rossi Kim Nguyen Patel Silva Cohen Sato Novak Ito"
TYPES = ["extends", "variant-of", "uses-reward-from", "evaluates", "compares-with"]
SENTENCES = [
    "Trains a {a} reward model on {b} comparisons and uses it to steer a {c} policy.",
    "Replaces the learned scorer with a {a} signal computed from {b} checks during {c} training.",
    "Adds a {a} penalty to the {b} objective so that the policy cannot exploit {c} features.",
    "Evaluates how well {a} rewards transfer to {b} tasks under {c} shift.",
    "Assigns {a} credit at the level of {b} steps, which stabilises {c} optimisation.",
]


def _categories() -> dict[str, list[str]]:
    out = {}
    for path in sorted((REAL / "dimensions").glob("*.yaml")):
        dim = yaml.safe_load(path.read_text())
        out[dim["id"]] = [c["id"] for c in dim["categories"]]
    return out


def generate(n: int, out: Path, seed: int = 7) -> Path:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "papers").mkdir(parents=True)
    shutil.copytree(REAL / "dimensions", out / "dimensions")
    shutil.copy(REAL / "survey.yaml", out / "survey.yaml")
    cats = _categories()
    first, last = FIRST.split(), LAST.split()
    ids: list[str] = []
    for i in range(n):
        family = rng.choice(last)
        rng.randint(2017, 2026)  # drawn as before, so every other field stays the same
        # Years rise with i, so relations (to earlier papers) point back in time, as the
        # validator requires; arXiv ids rise with i within a year for the same reason.
        year = 2017 + (i * 10) // n
        words = rng.sample(WORDS, 3)
        paper_id = f"{family.lower().replace('ü', 'u')}{year}-{words[0]}-{i}"
        title = f"{words[0].title()} {words[1]} for {words[2]} alignment, study {i}"
        authors = [f"{rng.choice(first)} {rng.choice(last)}" for _ in range(rng.randint(1, 9))]
        authors[0] = f"{rng.choice(first)} {family}"
        summary = " ".join(
            rng.choice(SENTENCES).format(**dict(zip("abc", rng.sample(WORDS, 3), strict=True)))
            for _ in range(rng.randint(2, 3))
        )
        classification = {
            dim: sorted(rng.sample(options, rng.randint(1, min(2, len(options)))))
            for dim, options in rng.sample(sorted(cats.items()), rng.randint(5, 8))
        }
        relations = []
        for target in sorted(set(rng.sample(ids, min(len(ids), rng.randint(1, 3))))):
            relations.append({"type": rng.choice(TYPES), "target": target})
        paper = {
            "id": paper_id,
            "title": title,
            "authors": authors,
            "year": year,
            "kind": rng.choice(["method", "method", "method", "benchmark", "analysis", "model"]),
            "status": rng.choice(["published", "preprint"]),
            "venue": rng.choice(["NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", None]),
            "arxiv": f"{year % 100:02d}{1 + (i // 90000) % 12:02d}.{i % 90000 + 10000:05d}",
            "url": f"https://example.org/papers/{i}",
            "summary": summary,
            "classification": classification,
            "relations": relations,
            "losses": [],
            "provenance": {"classification": "curated", "added": "2026-11-27"},
        }
        if paper["venue"] is None:
            del paper["venue"]
        text = "# yaml-language-server: $schema=../schema/paper.schema.json\n" + yaml.safe_dump(
            paper, sort_keys=False, allow_unicode=True, width=100
        )
        (out / "papers" / f"{paper_id}.yaml").write_text(text, encoding="utf-8")
        ids.append(paper_id)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10_000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    out = args.out or Path(f"/tmp/reward-atlas-synthetic-{args.n}")
    generate(args.n, out, args.seed)
    print(out)


if __name__ == "__main__":
    main()
