"""Coverage statistics of the taxonomy, computed straight from the validated YAML."""

from __future__ import annotations

from collections import Counter, defaultdict

from app.contract.validate import Taxonomy

MIN_PAPERS = 5


def rollup_counts(taxonomy: Taxonomy) -> dict[str, set[str]]:
    """Category id -> ids of papers placed in it or in any of its descendants."""
    parent = {c.id: c.parent for d in taxonomy.dimensions for c in d.categories}
    members: dict[str, set[str]] = defaultdict(set)
    for paper in taxonomy.papers:
        for cats in paper.classification.values():
            for cat in cats:
                node: str | None = cat
                while node:
                    members[node].add(paper.id)
                    node = parent[node]
    return members


def thin_categories(taxonomy: Taxonomy) -> list[tuple[str, str, int]]:
    """(dimension, category, papers) for categories under MIN_PAPERS papers, not marked sparse."""
    members = rollup_counts(taxonomy)
    return [
        (d.id, c.id, len(members.get(c.id, ())))
        for d in taxonomy.dimensions
        for c in d.categories
        if len(members.get(c.id, ())) < MIN_PAPERS and not c.sparse
    ]


def render_stats(taxonomy: Taxonomy) -> tuple[str, list[tuple[str, str, int]]]:
    members = rollup_counts(taxonomy)
    lines = [f"{len(taxonomy.papers)} papers", "", "papers per category (with descendants)"]
    lines.append(f"  {'dimension':<16} {'category':<28} {'papers':>6}  note")
    for dim in taxonomy.dimensions:
        depth = {}
        for cat in dim.categories:
            depth[cat.id] = depth.get(cat.parent, -1) + 1 if cat.parent else 0
            count = len(members.get(cat.id, ()))
            note = "sparse" if cat.sparse else (f"BELOW {MIN_PAPERS}" if count < MIN_PAPERS else "")
            name = "  " * depth[cat.id] + cat.id
            lines.append(f"  {dim.id:<16} {name:<28} {count:>6}  {note}")
    lines += ["", "papers per dimension (placed on it)"]
    for dim in taxonomy.dimensions:
        placed = sum(1 for p in taxonomy.papers if p.classification.get(dim.id))
        lines.append(f"  {dim.id:<16} {placed:>6}")
    lines += ["", "papers per year"]
    for year, count in sorted(Counter(p.year for p in taxonomy.papers).items()):
        lines.append(f"  {year}  {count:>4}  {'#' * count}")
    thin = thin_categories(taxonomy)
    lines += ["", f"categories below {MIN_PAPERS} papers and not marked sparse: {len(thin)}"]
    lines += [f"  {dim}/{cat}: {n}" for dim, cat, n in thin]
    return "\n".join(lines), thin
