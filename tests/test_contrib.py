"""The contribution workflow through the CLI: new-paper, fmt, validate --format github, diff,
schema --check, and the worked example in CONTRIBUTING.md run as written."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.contract.problems import Problem
from app.contract.schema import json_schemas
from app.contract.validate import load_taxonomy
from app.contrib.canonical import canonical_text
from app.contrib.newpaper import NewPaperError, normalise_arxiv, paper_id
from tests.conftest import BAD, GOOD, REPO
from tests.replay import ReplayServer

runner = CliRunner()

ZIEGLER = [
    "--arxiv",
    "1909.08593",
    "--year",
    "2019",
    "--title",
    "Fine-Tuning Language Models from Human Preferences",
    "--author",
    "Daniel M. Ziegler",
    "--author",
    "Nisan Stiennon",
]
ZIEGLER_ID = "ziegler2019-fine-tuning"


def run(*args: str | Path):
    return runner.invoke(cli, [str(a) for a in args])


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """A private copy of the good fixture taxonomy."""
    target = tmp_path / "taxonomy"
    shutil.copytree(GOOD, target)
    return target


def _fill_todos(path: Path) -> None:
    """What a contributor does in an editor: replace every TODO, delete optional lines."""
    lines = []
    for line in path.read_text().splitlines():
        key = line.strip().split(":", 1)[0]
        if "TODO" not in line:
            lines.append(line)
        elif key in (
            "venue",
            "code",
            "format",
            "expression",
            "granularity",
            "formulation",
            "evaluation",
            "setting",
        ):
            continue
        elif key == "kind":
            lines.append("kind: method")
        elif key == "status":
            lines.append("status: preprint")
        elif key == "construction":
            lines.append("  construction: [data-driven]")
        elif key == "optimization":
            lines.append("  optimization: [actor-critic]")
        elif key == "feedback-source":
            lines.append("  feedback-source: [human-feedback]")
        elif key == "on":
            lines.append("    on: 2026-11-27")
        else:  # the folded summary's text line
            lines.append("  Tunes GPT-2 with PPO against a reward model of human choices.")
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# new-paper


def test_new_paper_writes_named_skeleton_that_fails_at_each_todo(tree: Path):
    result = run("new-paper", *ZIEGLER, tree)
    assert result.exit_code == 0, result.output
    path = tree / "papers" / f"{ZIEGLER_ID}.yaml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../schema/paper.schema.json\n")
    assert "arxiv: '1909.08593'\n" in text and "  - Nisan Stiennon\n" in text

    checked = run("validate", tree)
    assert checked.exit_code == 1
    lines = text.splitlines()
    reported = set()
    for out in checked.output.splitlines():
        pattern = rf".*papers/{ZIEGLER_ID}\.yaml:(\d+): (\S+): fill in the placeholder: TODO"
        match = re.match(pattern, out)
        if match:
            n = int(match[1])
            # the line itself, or a folded block's key line whose text follows it
            assert "TODO" in lines[n - 1] or lines[n - 1].endswith(">-") and "TODO" in lines[n]
            reported.add(n if "TODO" in lines[n - 1] else n + 1)
    todo_lines = {i for i, line in enumerate(lines, 1) if "TODO" in line}
    assert reported == todo_lines and len(todo_lines) >= 10
    problems = [line for line in checked.output.splitlines() if ".yaml:" in line]
    assert all("fill in the placeholder: TODO" in line for line in problems)  # nothing else


def test_new_paper_validates_once_the_todos_are_filled(tree: Path):
    assert run("new-paper", *ZIEGLER, tree).exit_code == 0
    _fill_todos(tree / "papers" / f"{ZIEGLER_ID}.yaml")
    result = run("validate", tree)
    assert result.exit_code == 0, result.output
    assert "12 papers" in result.output
    assert run("fmt", "--check", tree).exit_code == 0


def test_new_paper_skeleton_is_already_canonical(tree: Path):
    assert run("fmt", tree).exit_code == 0
    assert run("new-paper", *ZIEGLER, tree).exit_code == 0
    result = run("fmt", "--check", tree)
    assert result.exit_code == 0, result.output


def test_new_paper_refuses_a_known_arxiv_id_naming_the_file(tree: Path):
    before = sorted(p.name for p in (tree / "papers").iterdir())
    result = run(
        "new-paper",
        "--arxiv",
        "arXiv:2305.18290v3",
        "--title",
        "Some other title",
        "--year",
        "2023",
        "--author",
        "Rafael Rafailov",
        tree,
    )
    assert result.exit_code == 1
    assert "arXiv id '2305.18290' is already in" in result.output
    assert "papers/rafailov2023-dpo.yaml:15" in result.output
    assert sorted(p.name for p in (tree / "papers").iterdir()) == before


def test_new_paper_refuses_a_known_normalised_title(tree: Path):
    result = run(
        "new-paper",
        "--arxiv",
        "2401.00001",
        "--year",
        "2023",
        "--author",
        "A Person",
        "--title",
        "direct preference optimization -- your language model is SECRETLY a reward model!",
        tree,
    )
    assert result.exit_code == 1
    assert "normalised title" in result.output and "rafailov2023-dpo.yaml:3" in result.output


def test_new_paper_refuses_an_existing_id(tree: Path):
    result = run(
        "new-paper",
        "--arxiv",
        "2401.00001",
        "--year",
        "2023",
        "--title",
        "A new one",
        "--id",
        "rafailov2023-dpo",
        tree,
    )
    assert result.exit_code == 1
    assert "id 'rafailov2023-dpo' is already in" in result.output


def test_new_paper_needs_an_author_or_an_id(tree: Path):
    result = run("new-paper", "--arxiv", "2401.00001", "--year", "2023", "--title", "X", tree)
    assert result.exit_code == 1 and "--author" in result.output


@pytest.mark.parametrize(
    ("author", "year", "title", "expected"),
    [
        (
            "Daniel M. Ziegler",
            2019,
            "Fine-Tuning Language Models from Human Preferences",
            "ziegler2019-fine-tuning",
        ),
        (
            "Kawin Ethayarajh",
            2024,
            "KTO: Model Alignment as Prospect Theoretic Optimization",
            "ethayarajh2024-kto",
        ),
        (
            "Rafael Rafailov",
            2023,
            "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
            "rafailov2023-dpo",
        ),
        ("Hunter Lightman", 2023, "Let's Verify Step by Step", "lightman2023-lets"),
        ("Rémi Munos", 2023, "A Theory of Everything", "munos2023-theory"),
        (
            "Dongfu Jiang",
            2023,
            "LLM-Blender: Ensembling Large Language Models",
            "jiang2023-llm-blender",
        ),
        (
            "V. Viswanathan",
            2025,
            "Checklists Are Better Than Reward Models For Aligning Language Models",
            "viswanathan2025-checklists",
        ),
    ],
)
def test_paper_id_is_family_name_year_and_short_name(author, year, title, expected):
    assert paper_id(first_author=author, year=year, title=title) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2305.18290", "2305.18290"),
        ("arXiv:2305.18290v2", "2305.18290"),
        ("https://arxiv.org/abs/2305.18290v1", "2305.18290"),
        ("hep-th/9901001", "hep-th/9901001"),
    ],
)
def test_arxiv_ids_are_normalised(given, expected):
    assert normalise_arxiv(given) == expected


def test_malformed_arxiv_id_is_refused():
    with pytest.raises(NewPaperError, match="not an arXiv id"):
        normalise_arxiv("23-05-18290")


# ---------------------------------------------------------------------------------------------
# fmt


def test_fmt_is_idempotent_and_keeps_the_data(tree: Path):
    before, _ = load_taxonomy(tree)
    assert run("fmt", tree).exit_code == 0
    first = {p: p.read_bytes() for p in sorted(tree.rglob("*.yaml"))}
    second = run("fmt", tree)
    assert second.exit_code == 0 and "0 of 21 file(s) reformatted" in second.output
    assert {p: p.read_bytes() for p in sorted(tree.rglob("*.yaml"))} == first
    after, problems = load_taxonomy(tree)
    assert problems == [] and before is not None and after is not None
    assert [p.model_dump() for p in after.papers] == [p.model_dump() for p in before.papers]
    assert [d.model_dump() for d in after.dimensions] == [d.model_dump() for d in before.dimensions]
    assert after.survey == before.survey


def test_fmt_check_fails_on_a_reordered_file_and_changes_nothing(tree: Path):
    assert run("fmt", tree).exit_code == 0
    path = tree / "papers" / "rafailov2023-dpo.yaml"
    lines = path.read_text().splitlines(keepends=True)
    year = next(i for i, line in enumerate(lines) if line.startswith("year:"))
    lines.insert(1, lines.pop(year))  # year moves above id
    reordered = "".join(lines)
    path.write_text(reordered)

    result = run("fmt", "--check", tree)
    assert result.exit_code == 1
    assert "not canonical: " in result.output and "papers/rafailov2023-dpo.yaml" in result.output
    assert "1 of 21 file(s) not canonical" in result.output
    assert path.read_text() == reordered

    assert run("fmt", tree).exit_code == 0
    assert path.read_text().splitlines()[1:3] == [
        "id: rafailov2023-dpo",
        "title: 'Direct Preference Optimization: Your Language Model is Secretly a Reward Model'",
    ]
    assert run("fmt", "--check", tree).exit_code == 0


def test_fmt_refuses_to_drop_a_comment(tree: Path):
    path = tree / "papers" / "azar2023-ipo.yaml"
    text = path.read_text().replace("year: 2023\n", "year: 2023  # of v1\n")
    path.write_text(text)
    result = run("fmt", tree)
    assert result.exit_code == 1
    assert re.search(r"papers/azar2023-ipo\.yaml:\d+: \(comment\): cannot format", result.output)
    assert path.read_text() == text


def test_fmt_layout():
    data = {
        "provenance": {"added": dt.date(2026, 11, 27), "classification": "curated"},
        "classification": {"granularity": ["token-level"], "construction": ["data-driven"]},
        "summary": "Short.",
        "title": "X: Y",
        "arxiv": "2305.18290",
        "id": "a2023-x",
        "authors": ["A B", "C D'E"],
        "losses": ["dpo"],
        "relations": [{"target": "b2022-y", "type": "extends", "note": " ".join(["word"] * 30)}],
    }
    order = {"construction": (1, "construction"), "granularity": (4, "granularity")}
    assert canonical_text(data, kind="paper", dimension_order=order) == (
        "# yaml-language-server: $schema=../schema/paper.schema.json\n"
        "id: a2023-x\n"
        "title: 'X: Y'\n"
        "authors:\n  - A B\n  - C D'E\n"
        "arxiv: '2305.18290'\n"
        "summary: >-\n  Short.\n"
        "classification:\n  construction: [data-driven]\n  granularity: [token-level]\n"
        "relations:\n  - type: extends\n    target: b2022-y\n    note: >-\n"
        f"      {'word ' * 18}word\n      {'word ' * 10}word\n"
        "losses: [dpo]\n"
        "provenance:\n  classification: curated\n  added: 2026-11-27\n"
    )


def test_fmt_wraps_folded_text_at_100_columns(tree: Path):
    assert run("fmt", tree).exit_code == 0
    for path in tree.rglob("*.yaml"):
        for line in path.read_text().splitlines():
            if " " in line.strip() and not line.lstrip().startswith(("title:", "source:", "url:")):
                assert len(line) <= 100, (path.name, line)


def test_good_fixtures_are_canonical():
    result = run("fmt", "--check", GOOD)
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------------------------------------
# validate --format github


def test_validate_github_format_for_a_broken_fixture(tree: Path, monkeypatch: pytest.MonkeyPatch):
    shutil.copy(BAD / "papers" / "arxiv-versioned.yaml", tree / "papers")
    shutil.copy(BAD / "papers" / "url-not-http.yaml", tree / "papers")
    monkeypatch.chdir(tree.parent)
    result = run("validate", "taxonomy", "--format", "github")
    assert result.exit_code == 1
    annotations = [line for line in result.output.splitlines() if line.startswith("::")]
    assert annotations == [
        "::error file=taxonomy/papers/arxiv-versioned.yaml,line=10::arxiv: '2212.08073v2' "
        "must be versionless: write '2212.08073'",
        "::error file=taxonomy/papers/url-not-http.yaml,line=11::url: "
        "'ftp://example.org/paper.pdf' must be an http(s) URL",
    ]
    for line in annotations:
        assert re.fullmatch(r"::error file=[^,:]+,line=\d+::[^\n]+", line)


def test_github_annotation_escapes_values():
    problem = Problem(Path("/repo/data/odd,name:x.yaml"), 3, "summary", "50% done\nsecond line")
    assert problem.github(Path("/repo")) == (
        "::error file=data/odd%2Cname%3Ax.yaml,line=3::summary: 50%25 done%0Asecond line"
    )


# ---------------------------------------------------------------------------------------------
# diff


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A git repository whose first commit holds the good fixtures under data/taxonomy."""
    root = tmp_path / "repo"
    shutil.copytree(GOOD, root / "data" / "taxonomy")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "base")
    return root


def test_diff_reports_an_added_paper_and_a_moved_placement(repo: Path):
    data = repo / "data" / "taxonomy"
    assert run("new-paper", *ZIEGLER, data).exit_code == 0
    _fill_todos(data / "papers" / f"{ZIEGLER_ID}.yaml")
    dpo = data / "papers" / "rafailov2023-dpo.yaml"
    dpo.write_text(
        dpo.read_text().replace("granularity: [response-level]", "granularity: [token-level]")
    )
    result = run("diff", "main", data)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("## Data changes against `main`")
    assert "- **Papers:** 1 added, 0 removed, 0 with changed metadata" in out
    assert "### Papers added" in out
    assert re.search(
        rf"^\| `{ZIEGLER_ID}` \| Fine-Tuning Language Models from Human "
        r"Preferences \| 2019 \| construction: data-driven;",
        out,
        re.MULTILINE,
    )
    assert "| `rafailov2023-dpo` | granularity | `token-level` | `response-level` |" in out


def test_diff_reports_relations_metadata_and_categories(repo: Path):
    data = repo / "data" / "taxonomy"
    kto = data / "papers" / "ethayarajh2024-kto.yaml"
    text = kto.read_text().replace("venue: ICML 2024", "venue: ICML 2024 (oral)")
    text = text.replace("https://github.com/huggingface/trl\n", "https://example.org/kto\n")
    kto.write_text(text.replace("  - type: compares-with\n    target: rafailov2023-dpo\n", ""))
    dim = data / "dimensions" / "granularity.yaml"
    dim.write_text(
        dim.read_text() + "  - id: sentence-level\n    name: Sentence level\n"
        "    parent: response-vs-token\n    description: >-\n      Per sentence.\n"
        "    provenance: [curated]\n"
    )
    (data / "papers" / "meng2024-simpo.yaml").unlink()
    out = run("diff", "main", data).output
    assert "| `ethayarajh2024-kto` | venue | ICML 2024 | ICML 2024 (oral) |" in out
    assert (
        "| `ethayarajh2024-kto` | provenance.verified.source | "
        "https://github.com/huggingface/trl | https://example.org/kto |"
    ) in out
    assert "| removed | `ethayarajh2024-kto` | compares-with | `rafailov2023-dpo` |" in out
    assert "| added | `granularity` | `sentence-level` | under `response-vs-token` |" in out
    assert "### Papers removed\n\n- `meng2024-simpo`" in out


def test_diff_without_changes_says_so(repo: Path):
    result = run("diff", "main", repo / "data" / "taxonomy")
    assert result.exit_code == 0 and "No changes to the data." in result.output


def test_diff_unknown_ref_is_an_error(repo: Path):
    result = run("diff", "no-such-branch", repo / "data" / "taxonomy")
    assert result.exit_code == 2 and "unknown git ref 'no-such-branch'" in result.output


# ---------------------------------------------------------------------------------------------
# JSON Schema


def test_committed_schema_is_up_to_date():
    result = run("schema", "--check")
    assert result.exit_code == 0, result.output


def test_every_schema_field_has_a_description_and_an_example():
    for name, text in json_schemas().items():
        schema = json.loads(text)
        for owner, spec in {"(root)": schema, **schema.get("definitions", {})}.items():
            for prop, details in spec.get("properties", {}).items():
                assert details.get("description"), (name, owner, prop)
                assert details.get("examples"), (name, owner, prop)


# ---------------------------------------------------------------------------------------------
# CONTRIBUTING.md's worked example, run as written


def _marked_blocks(markdown: str) -> dict[str, str]:
    """``<!-- example: NAME -->`` followed by a fenced ``sh`` block -> NAME: the commands."""
    pattern = re.compile(r"<!-- example: ([\w-]+) -->\s*```sh\n(.*?)```", re.DOTALL)
    return {m[1]: m[2] for m in pattern.finditer(markdown)}


EXAMPLES = _marked_blocks((REPO / "CONTRIBUTING.md").read_text())


def test_contributing_has_the_worked_examples():
    assert {"add-paper", "reclassify", "add-category"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_contributing_worked_example_runs(tmp_path: Path, name: str):
    """Run as written, with `--fetch` answered by the replay server's recorded answers."""
    data = tmp_path / "data" / "taxonomy"
    shutil.copytree(GOOD, data)
    with ReplayServer() as replay:
        env = {
            **os.environ,
            **replay.env,
            "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "REWARD_ATLAS_DATA_DIR": str(data),
            "REWARD_ATLAS_DB": str(tmp_path / "atlas.db"),
        }
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", EXAMPLES[name]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert bool(replay.requests) == ("--fetch" in EXAMPLES[name])
    taxonomy, problems = load_taxonomy(data)
    assert problems == [] and taxonomy is not None
    assert run("fmt", "--check", data).exit_code == 0
    changed = [
        p
        for p in data.rglob("*.yaml")
        if not (GOOD / p.relative_to(data)).exists()
        or (GOOD / p.relative_to(data)).read_bytes() != p.read_bytes()
    ]
    assert changed, "the example should change the data"


# ---------------------------------------------------------------------------------------------
# The data version /api/v1/meta reports


def test_data_version_changes_with_the_content(tree: Path, tmp_path: Path):
    from app.build import build

    first = build(tree, tmp_path / "a.db").data_version
    assert build(tree, tmp_path / "b.db").data_version == first  # same bytes, same version
    path = tree / "papers" / "azar2023-ipo.yaml"
    path.write_text(path.read_text().replace("venue: AISTATS 2024", "venue: AISTATS 2024 (oral)"))
    assert build(tree, tmp_path / "c.db").data_version != first


def test_fmt_quotes_a_bare_arxiv_id_keeping_every_digit(tree: Path):
    path = tree / "papers" / "rafailov2023-dpo.yaml"
    text = path.read_text().replace("arxiv: '2305.18290'", "arxiv: 2305.18290")
    path.write_text(text.replace("2305.18290", "2305.18200"))  # a trailing zero a float drops
    _, problems = load_taxonomy(tree)
    assert any("must be text" in p.message for p in problems)
    result = run("fmt", tree)
    assert result.exit_code == 0 and "1 of 21 file(s) reformatted" in result.output
    assert "arxiv: '2305.18200'" in path.read_text()
    _, problems = load_taxonomy(tree)
    assert not [p for p in problems if p.field == "arxiv"]


def test_fmt_check_says_what_it_could_not_format_and_exits_accordingly(tree: Path):
    path = tree / "papers" / "rafailov2023-dpo.yaml"
    path.write_text(path.read_text() + "# a note fmt would drop\n")
    result = run("fmt", "--check", tree)
    assert result.exit_code == 1
    assert "20 of 21 file(s) canonical; 1 could not be formatted (see above)" in result.output
    assert "comments are not kept" in result.output
