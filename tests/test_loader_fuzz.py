"""The validator under hostile and broken data files (issue 9).

Random mutations of the valid fixture files (dropped lines and keys, changed types, truncation,
control characters, alias bombs, huge or deeply nested files, bad encodings, unsafe tags) must
always end in ``path:line: field: message`` problems or success: never a traceback, and within a
time bound. YAML is read with the safe loader only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.contract.files import data_files
from app.contract.validate import load_taxonomy

GOOD = Path(__file__).parent / "fixtures" / "good"
APP = Path(__file__).resolve().parents[1] / "app"
PROBLEM = re.compile(
    r"^(?P<path>[^\n]+?\.ya?ml|[^\n]+?):(?P<line>[1-9][0-9]*): (?P<field>[^:\n]+): \S"
)
TIME_BOUND = 5.0  # seconds per validation of the whole fixture tree
FILES = [p.relative_to(GOOD) for p in data_files(GOOD)]

BILLION_LAUGHS = b"""\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
CONTROL = ["\x00", "\x07", "\x1b[31m", "\x7f", "\ufeff", "\u2028", "\x85", "\r", "\t", "\ud800"]
TYPE_SWAPS = [0, -1, 3.5, True, None, [], {}, ["x", 1], {"k": "v"}, "", "x" * 300, "2026-13-45"]


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    target = tmp_path / "taxonomy"
    shutil.copytree(GOOD, target)
    return target


def _validate(data_dir: Path) -> list[str]:
    """Validate ``data_dir``; every problem must read ``path:line: field: message``."""
    start = time.perf_counter()
    taxonomy, problems = load_taxonomy(data_dir)
    elapsed = time.perf_counter() - start
    assert elapsed < TIME_BOUND, f"validation took {elapsed:.1f}s"
    assert (taxonomy is None) == bool(problems)
    lines = [p.format(data_dir) for p in problems]
    for line in lines:
        assert PROBLEM.match(line), line
        assert "\n" not in line and "Traceback" not in line, line
    return lines


# --- mutations --------------------------------------------------------------------------------


def _paths(data, loc=()):
    yield loc
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*loc, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*loc, index))


def _set(data, loc, value):
    if not loc:
        return value
    node = data
    for part in loc[:-1]:
        node = node[part]
    node[loc[-1]] = value
    return data


def _delete(data, loc):
    if not loc:
        return {}
    node = data
    for part in loc[:-1]:
        node = node[part]
    del node[loc[-1]]
    return data


@st.composite
def mutated(draw, raw: bytes) -> bytes:
    kind = draw(
        st.sampled_from(
            [
                "drop_line",
                "drop_key",
                "change_type",
                "truncate",
                "control",
                "bytes",
                "alias",
                "duplicate",
                "tag",
                "deep",
            ]
        )
    )
    text = raw.decode()
    lines = text.splitlines(keepends=True)
    if kind == "drop_line":
        del lines[draw(st.integers(0, len(lines) - 1))]
        return "".join(lines).encode()
    if kind in ("drop_key", "change_type"):
        data = yaml.safe_load(text)
        locs = list(_paths(data))
        loc = draw(st.sampled_from(locs[1:] or locs))
        if kind == "drop_key":
            data = _delete(data, loc)
        else:
            data = _set(data, loc, draw(st.sampled_from(TYPE_SWAPS)))
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()
    if kind == "truncate":
        return raw[: draw(st.integers(0, len(raw)))]
    if kind == "control":
        at = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from(CONTROL))
        return (text[:at] + char + text[at:]).encode("utf-8", "surrogatepass")
    if kind == "bytes":
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    if kind == "alias":
        return raw + b"\nx-anchor: &a [1, 2]\nx-alias: *a\n"
    if kind == "duplicate":
        first = next(line for line in lines if re.match(r"^[a-z_]+:", line))
        return (text + first).encode()
    if kind == "tag":
        return raw + b'\npwn: !!python/object/apply:os.system ["echo pwned"]\n'
    depth = draw(st.integers(50, 5000))
    return raw + b"\ndeep: " + b"[" * depth + b"]" * depth + b"\n"


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_mutations_end_in_problems_or_success(tree: Path, data) -> None:
    name = data.draw(st.sampled_from(FILES))
    target = tree / name
    original = (GOOD / name).read_bytes()
    try:
        target.write_bytes(data.draw(mutated(original)))
        _validate(tree)
    finally:
        target.write_bytes(original)


# --- explicit hostile files -------------------------------------------------------------------

PAPER = Path("papers/rafailov2023-dpo.yaml")


def _hostile(name: str) -> bytes:
    original = (GOOD / PAPER).read_bytes()
    return {
        "billion_laughs": BILLION_LAUGHS,
        "alias_in_paper": original + b"\nx: &a [1]\ny: *a\n",
        "merge_key": original + b"\nbase: &b {k: 1}\nother:\n  <<: *b\n",
        "huge": original + b"\n# " + b"x" * (2 * 1024 * 1024) + b"\n",
        "many_lines": original + b"#\n" * 600_000,
        "deep_flow": b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        "deep_block": b"".join(b"  " * i + b"k:\n" for i in range(3000)),
        "nul": original.replace(b"title:", b"title:\x00", 1),
        "latin1": original.replace(b"title: ", b"title: caf\xe9 ", 1),
        "python_tag": b'!!python/object/apply:os.system ["touch /tmp/reward-atlas-pwned"]\n',
        "empty": b"",
        "only_comment": b"# nothing\n",
        "list_root": b"- 1\n- 2\n",
        "scalar_root": b"just text\n",
        "tabs": original.replace(b"\n  ", b"\n\t", 3),
    }[name]


HOSTILE = [
    "billion_laughs",
    "alias_in_paper",
    "merge_key",
    "huge",
    "many_lines",
    "deep_flow",
    "deep_block",
    "nul",
    "latin1",
    "python_tag",
    "empty",
    "only_comment",
    "list_root",
    "scalar_root",
    "tabs",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_is_reported_at_a_line(tree: Path, name: str) -> None:
    (tree / PAPER).write_bytes(_hostile(name))
    problems = _validate(tree)
    assert problems, name
    assert any(p.startswith(PAPER.as_posix() + ":") for p in problems), problems
    assert not Path("/tmp/reward-atlas-pwned").exists()


def test_billion_laughs_is_refused_quickly(tree: Path) -> None:
    (tree / PAPER).write_bytes(BILLION_LAUGHS)
    start = time.perf_counter()
    problems = _validate(tree)
    assert time.perf_counter() - start < 1.0
    assert any("alias" in p for p in problems), problems


@pytest.mark.parametrize("name", ["billion_laughs", "deep_flow", "python_tag", "latin1"])
def test_cli_validate_prints_problems_not_a_traceback(tree: Path, name: str) -> None:
    (tree / PAPER).write_bytes(_hostile(name))
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "validate", str(tree)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    printed = [line for line in done.stdout.splitlines() if line.strip()]
    assert printed and all(":" in line for line in printed), done.stdout


def test_app_parses_yaml_with_the_safe_loader_only() -> None:
    unsafe = re.compile(
        r"yaml\.(load|load_all|full_load|full_load_all|unsafe_load|unsafe_load_all)\(|"
        r"\b(Unsafe|Full)?Loader\b(?<!SafeLoader)|yaml\.(Unsafe|Full)Loader|yaml\.Loader\b"
    )
    hits = []
    for path in APP.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if unsafe.search(line) and "SafeLoader" not in line and "CSafeLoader" not in line:
                hits.append(f"{path.relative_to(APP.parent)}:{number}: {line.strip()}")
    assert hits == [], hits
