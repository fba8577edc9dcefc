"""``reward-atlas diff BASE_REF``: what a change does to the data, as a Markdown summary.

The base side is read from git (``git ls-tree`` for the file list, ``git cat-file --batch`` for
the contents, the bulk form of ``git show REF:path``); the other side is the working tree. Both
sides are read leniently, so a summary can be written even when one side does not validate.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from app.contract.files import data_files
from app.contract.yamlio import parse_yaml

PLACEMENT_FIELDS = {"classification", "relations"}
CELL_MAX = 70


class DiffError(Exception):
    """The base cannot be read (not a git repository, unknown ref ...)."""


@dataclass
class Snapshot:
    """The data files of one side, parsed: entity id -> mapping."""

    survey: dict[str, Any] = field(default_factory=dict)
    dimensions: dict[str, dict[str, Any]] = field(default_factory=dict)
    papers: dict[str, dict[str, Any]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def add(self, rel: str, raw: bytes) -> None:
        parsed = parse_yaml(raw)
        data = parsed.data
        if parsed.problems or not isinstance(data, dict):
            self.unreadable.append(rel)
            return
        path = PurePosixPath(rel)
        key = data["id"] if isinstance(data.get("id"), str) else path.stem
        if path.parent.name == "papers":
            self.papers[key] = data
        elif path.parent.name == "dimensions":
            self.dimensions[key] = data
        else:
            self.survey = data


def _is_data_path(rel: str) -> bool:
    path = PurePosixPath(rel)
    if path.suffix not in (".yaml", ".yml"):
        return False
    if len(path.parts) == 1:
        return path.name == "survey.yaml"
    return len(path.parts) == 2 and path.parts[0] in ("dimensions", "papers")


def working_tree(data_dir: Path) -> Snapshot:
    snap = Snapshot()
    for path in data_files(data_dir):
        snap.add(path.relative_to(data_dir).as_posix(), path.read_bytes())
    return snap


def _git(args: list[str], cwd: Path, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False
        )
    except FileNotFoundError as exc:
        raise DiffError("git is not installed") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise DiffError(f"git {' '.join(args[:2])}: {message[-1] if message else 'failed'}")
    return done.stdout


def at_ref(data_dir: Path, ref: str) -> Snapshot:
    """The data files under ``data_dir`` as they were at ``ref``."""
    data_dir = Path(data_dir).resolve()
    root = Path(_git(["rev-parse", "--show-toplevel"], data_dir).decode().strip()).resolve()
    prefix = data_dir.relative_to(root).as_posix()
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    except DiffError:
        raise DiffError(f"unknown git ref {ref!r} (fetch it first?)") from None
    listing = _git(["ls-tree", "-r", "-z", ref, "--", prefix], root).decode()
    blobs: list[tuple[str, str]] = []
    for entry in filter(None, listing.split("\0")):
        meta, _, path = entry.partition("\t")
        _, kind, sha = meta.split()
        rel = PurePosixPath(path).relative_to(prefix).as_posix() if prefix != "." else path
        if kind == "blob" and _is_data_path(rel):
            blobs.append((rel, sha))
    snap = Snapshot()
    if not blobs:
        return snap
    out = _git(["cat-file", "--batch"], root, "".join(f"{sha}\n" for _, sha in blobs).encode())
    at = 0
    for rel, _ in blobs:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        body = out[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
        snap.add(rel, body)
    return snap


# ---------------------------------------------------------------------------------------------
# Comparing


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    metadata: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, field, old, new
    placements: list[tuple[str, str, list[str], list[str]]] = field(default_factory=list)
    relations_added: list[tuple[str, str, str]] = field(default_factory=list)
    relations_removed: list[tuple[str, str, str]] = field(default_factory=list)
    categories: list[tuple[str, str, str, str]] = field(default_factory=list)  # what, dim, id, note
    survey: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        return not any(vars(self).values())


def _classification(paper: dict) -> dict[str, list[str]]:
    value = paper.get("classification")
    if not isinstance(value, dict):
        return {}
    return {str(k): [str(c) for c in v] if isinstance(v, list) else [] for k, v in value.items()}


def _edges(papers: dict[str, dict]) -> set[tuple[str, str, str]]:
    edges = set()
    for pid, paper in papers.items():
        for rel in paper.get("relations") or []:
            if isinstance(rel, dict):
                edges.add((pid, str(rel.get("type")), str(rel.get("target"))))
    return edges


def _categories(dims: dict[str, dict]) -> dict[str, tuple[str, dict]]:
    out = {}
    for dim_id, dim in dims.items():
        for cat in dim.get("categories") or []:
            if isinstance(cat, dict) and isinstance(cat.get("id"), str):
                out[cat["id"]] = (dim_id, cat)
    return out


def _shown(value: Any) -> str:
    return "—" if value is None else str(value)


def _field_changes(where: str, old: Any, new: Any) -> list[tuple[str, str, str]]:
    """(dotted field, before, after) for one changed value: nested mappings field by field,
    lists of names as the items taken out and put in."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in [*old, *(k for k in new if k not in old)]:
            if old.get(key) != new.get(key):
                out += _field_changes(f"{where}.{key}", old.get(key), new.get(key))
        return out
    scalars = (str, int, float)
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and all(isinstance(x, scalars) for x in [*old, *new])
    ):
        removed = [str(x) for x in old if x not in new]
        added = [str(x) for x in new if x not in old]
        if not removed and not added:
            return [(where, "same items, other order", ", ".join(map(str, new)))]
        return [
            (
                where,
                "− " + ", ".join(removed) if removed else "",
                "+ " + ", ".join(added) if added else "",
            )
        ]
    return [(where, _shown(old), _shown(new))]


def compare(base: Snapshot, head: Snapshot) -> Changes:
    changes = Changes()
    changes.added = sorted(head.papers.keys() - base.papers.keys())
    changes.removed = sorted(base.papers.keys() - head.papers.keys())
    for pid in sorted(base.papers.keys() & head.papers.keys()):
        old, new = base.papers[pid], head.papers[pid]
        for key in [*old, *(k for k in new if k not in old)]:
            if key not in PLACEMENT_FIELDS and old.get(key) != new.get(key):
                for where, before, after in _field_changes(key, old.get(key), new.get(key)):
                    changes.metadata.append((pid, where, before, after))
        old_cls, new_cls = _classification(old), _classification(new)
        for dim in [*old_cls, *(d for d in new_cls if d not in old_cls)]:
            before, after = old_cls.get(dim, []), new_cls.get(dim, [])
            plus = [c for c in after if c not in before]
            minus = [c for c in before if c not in after]
            if plus or minus:
                changes.placements.append((pid, dim, plus, minus))
    old_edges, new_edges = _edges(base.papers), _edges(head.papers)
    changes.relations_added = sorted(new_edges - old_edges)
    changes.relations_removed = sorted(old_edges - new_edges)

    for dim in sorted(head.dimensions.keys() - base.dimensions.keys()):
        changes.categories.append(("dimension added", dim, "", ""))
    for dim in sorted(base.dimensions.keys() - head.dimensions.keys()):
        changes.categories.append(("dimension removed", dim, "", ""))
    old_cats, new_cats = _categories(base.dimensions), _categories(head.dimensions)
    for cid in sorted(new_cats.keys() - old_cats.keys()):
        dim, cat = new_cats[cid]
        parent = f"under `{cat['parent']}`" if cat.get("parent") else "top level"
        changes.categories.append(("added", dim, cid, parent))
    for cid in sorted(old_cats.keys() - new_cats.keys()):
        changes.categories.append(("removed", old_cats[cid][0], cid, ""))
    for cid in sorted(old_cats.keys() & new_cats.keys()):
        (old_dim, old), (new_dim, new) = old_cats[cid], new_cats[cid]
        if old_dim != new_dim or old.get("parent") != new.get("parent"):
            where = f"`{old_dim}`/{old.get('parent') or 'top'} → `{new_dim}`/" + (
                new.get("parent") or "top"
            )
            changes.categories.append(("moved", new_dim, cid, where))
        elif old != new:
            fields = ", ".join(k for k in {**old, **new} if old.get(k) != new.get(k))
            changes.categories.append(("changed", new_dim, cid, fields))
    if base.survey != head.survey:
        survey_keys = {**base.survey, **head.survey}
        changes.survey = [k for k in survey_keys if base.survey.get(k) != head.survey.get(k)]
    changes.unreadable = sorted(set(head.unreadable))
    return changes


# ---------------------------------------------------------------------------------------------
# Markdown


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    text = " ".join(str(value).split())
    if len(text) > CELL_MAX:
        text = text[: CELL_MAX - 1] + "…"
    return text.replace("|", "\\|")


def _ids(items: list[str]) -> str:
    return ", ".join(f"`{i}`" for i in items) or "—"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_markdown(changes: Changes, *, ref: str, head: Snapshot) -> str:
    if changes.empty():
        return f"## Data changes against `{ref}`\n\nNo changes to the data.\n"
    moved_papers = len({pid for pid, *_ in changes.placements})
    changed_papers = len({pid for pid, *_ in changes.metadata})
    out = [
        f"## Data changes against `{ref}`",
        "",
        f"- **Papers:** {len(changes.added)} added, {len(changes.removed)} removed, "
        f"{changed_papers} with changed metadata",
        f"- **Placements:** {_count(len(changes.placements), 'change')} "
        f"in {_count(moved_papers, 'paper')}",
        f"- **Relations:** {len(changes.relations_added)} added, "
        f"{len(changes.relations_removed)} removed",
    ]
    if changes.categories:
        out.append(f"- **Taxonomy:** {_count(len(changes.categories), 'change')}")
    if changes.unreadable:
        out.append(f"- **Unreadable files:** {_ids(changes.unreadable)} (run validate)")
    if changes.added:
        out += [
            "",
            "### Papers added",
            "",
            "| Paper | Title | Year | Placements |",
            "|---|---|---|---|",
        ]
        for pid in changes.added:
            paper = head.papers[pid]
            placed = "; ".join(
                f"{dim}: {', '.join(cats)}" for dim, cats in _classification(paper).items() if cats
            )
            out.append(
                f"| `{pid}` | {_cell(paper.get('title'))} | {_cell(paper.get('year'))} "
                f"| {placed.replace('|', '')} |"
            )
    if changes.removed:
        out += ["", "### Papers removed", ""] + [f"- `{pid}`" for pid in changes.removed]
    if changes.metadata:
        out += [
            "",
            "### Metadata changed",
            "",
            "| Paper | Field | Before | After |",
            "|---|---|---|---|",
        ]
        for pid, key, old, new in changes.metadata:
            out.append(f"| `{pid}` | {key} | {_cell(old)} | {_cell(new)} |")
    if changes.placements:
        out += [
            "",
            "### Placements moved",
            "",
            "| Paper | Dimension | Added | Removed |",
            "|---|---|---|---|",
        ]
        for pid, dim, plus, minus in changes.placements:
            out.append(f"| `{pid}` | {dim} | {_ids(plus)} | {_ids(minus)} |")
    if changes.relations_added or changes.relations_removed:
        out += ["", "### Relations", "", "| Change | From | Type | To |", "|---|---|---|---|"]
        for label, edges in (
            ("added", changes.relations_added),
            ("removed", changes.relations_removed),
        ):
            out += [f"| {label} | `{a}` | {t} | `{b}` |" for a, t, b in edges]
    if changes.categories:
        out += [
            "",
            "### Taxonomy",
            "",
            "| Change | Dimension | Category | Detail |",
            "|---|---|---|---|",
        ]
        for what, dim, cid, note in changes.categories:
            out.append(f"| {what} | `{dim}` | {f'`{cid}`' if cid else ''} | {note} |")
    if changes.survey:
        out += ["", "### Survey", "", f"Changed fields of survey.yaml: {', '.join(changes.survey)}"]
    return "\n".join(out) + "\n"


def diff_markdown(data_dir: Path, ref: str) -> str:
    """The Markdown summary of the data in ``data_dir`` against the same folder at ``ref``."""
    head = working_tree(Path(data_dir))
    return render_markdown(compare(at_ref(Path(data_dir), ref), head), ref=ref, head=head)
