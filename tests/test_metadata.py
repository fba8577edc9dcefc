"""``new-paper --fetch`` and ``check-metadata`` against a local server replaying recorded API
answers (tests/replay.py): real HTTP, no network."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.contract.validate import load_taxonomy
from app.contract.yamlio import parse_yaml
from app.contrib import sources
from tests.conftest import GOOD
from tests.replay import ReplayServer

runner = CliRunner()
TODAY = dt.date.today().isoformat()


@pytest.fixture()
def replay():
    with ReplayServer() as server:
        yield server


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    target = tmp_path / "taxonomy"
    shutil.copytree(GOOD, target)
    return target


def run(env: dict[str, str], *args: str | Path):
    return runner.invoke(cli, [str(a) for a in args], env=env)


def written(tree: Path, paper_id: str) -> dict:
    parsed = parse_yaml((tree / "papers" / f"{paper_id}.yaml").read_bytes())
    assert parsed.problems == []
    return parsed.data


def test_fetch_arxiv_only_paper_fills_metadata_and_records_the_source(replay, tree):
    result = run(replay.env, "new-paper", "--fetch", "arxiv:1909.08593", tree)
    assert result.exit_code == 0, result.output
    assert "wrote " in result.output and "ziegler2019-fine-tuning.yaml" in result.output
    data = written(tree, "ziegler2019-fine-tuning")
    assert data["title"] == "Fine-Tuning Language Models from Human Preferences"
    assert data["authors"][0] == "Daniel M. Ziegler" and len(data["authors"]) == 8
    assert data["authors"][-1] == "Geoffrey Irving"
    assert (data["year"], data["arxiv"]) == (2019, "1909.08593")
    assert data["url"] == "https://arxiv.org/abs/1909.08593"
    assert "doi" not in data and data["venue"].startswith("TODO")
    assert data["status"].startswith("TODO")
    assert data["summary"].startswith("TODO")
    assert all(str(v).startswith("TODO") for v in data["classification"].values())
    assert data["provenance"]["verified"] == {
        "source": "https://export.arxiv.org/api/query?id_list=1909.08593",
        "on": dt.date.today(),
    }
    assert replay.requests and replay.requests[0].startswith("/arxiv?")


def test_fetch_a_paper_with_a_doi_reads_crossref_for_the_venue(replay, tree):
    result = run(replay.env, "new-paper", "--fetch", "arxiv:2306.02561", tree)
    assert result.exit_code == 0, result.output
    data = written(tree, "jiang2023-llm-blender")
    assert data["doi"] == "10.18653/v1/2023.acl-long.792"
    assert (data["venue"], data["status"]) == ("ACL 2023", "published")
    assert data["authors"] == ["Dongfu Jiang", "Xiang Ren", "Bill Yuchen Lin"]
    assert any(
        r.startswith("/crossref/works/10.18653/v1/2023.acl-long.792") for r in replay.requests
    )


def test_fetch_by_doi_reads_crossref_alone(replay, tree):
    result = run(replay.env, "new-paper", "--fetch", "doi:10.18653/v1/2023.acl-long.792", tree)
    assert result.exit_code == 0, result.output
    data = written(tree, "jiang2023-llm-blender")
    assert data["title"].startswith("LLM-Blender: Ensembling Large Language Models")
    assert data["year"] == 2023 and "arxiv" not in data
    assert data["venue"] == (
        "Proceedings of the 61st Annual Meeting of the Association for Computational "
        "Linguistics (Volume 1: Long Papers) 2023"
    )
    assert data["url"] == "https://doi.org/10.18653/v1/2023.acl-long.792"
    assert data["provenance"]["verified"]["source"] == (
        "https://api.crossref.org/works/10.18653/v1/2023.acl-long.792"
    )
    assert all(r.startswith("/crossref/") for r in replay.requests)


def test_fetch_takes_the_current_title_and_the_first_versions_year(replay, tree):
    """2312.11456 was renamed in v2-v4 (2024); its first version is from December 2023."""
    result = run(replay.env, "new-paper", "--fetch", "arxiv:2312.11456v1", tree)
    assert result.exit_code == 0, result.output
    data = written(tree, "xiong2023-iterative")
    assert data["title"] == (
        "Iterative Preference Learning from Human Feedback: Bridging Theory and Practice for "
        "RLHF under KL-Constraint"
    )
    assert (data["year"], data["arxiv"]) == (2023, "2312.11456")


def test_fetch_keeps_every_author_of_a_51_author_paper(replay, tree):
    result = run(replay.env, "new-paper", "--fetch", "arxiv:2212.08073", tree)
    assert result.exit_code == 0, result.output
    data = written(tree, "bai2022-constitutional-ai")
    assert len(data["authors"]) == 51
    assert data["authors"][:2] == ["Yuntao Bai", "Saurav Kadavath"]
    assert data["authors"][-1] == "Jared Kaplan"
    assert len(set(data["authors"])) == 51


def test_fetch_unknown_id_writes_nothing_and_says_so(replay, tree):
    before = sorted((tree / "papers").iterdir())
    result = run(replay.env, "new-paper", "--fetch", "arxiv:2312.99999", tree)
    assert result.exit_code == 1
    assert "the arXiv API does not know arxiv:2312.99999" in result.output
    assert sorted((tree / "papers").iterdir()) == before


def test_fetch_refuses_a_paper_already_in_the_atlas(replay, tree):
    shutil.copy(
        Path(__file__).parent.parent / "data/taxonomy/papers/bai2022-constitutional-ai.yaml",
        tree / "papers",
    )
    result = run(replay.env, "new-paper", "--fetch", "arxiv:2212.08073", "--id", "x2022-y", tree)
    assert result.exit_code == 1 and "refused: arXiv id '2212.08073' is already in" in result.output


def test_fetch_by_doi_refuses_a_doi_already_in_the_atlas(replay, tree):
    shutil.copy(
        Path(__file__).parent.parent / "data/taxonomy/papers/jiang2023-llm-blender.yaml",
        tree / "papers",
    )
    result = run(
        replay.env, "new-paper", "--fetch", "doi:10.18653/v1/2023.acl-long.792", "--id", "x-y", tree
    )
    assert result.exit_code == 1
    assert "DOI '10.18653/v1/2023.acl-long.792' is already in" in result.output


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_fetch_offline_says_so_in_one_line_and_writes_the_typed_skeleton(tree):
    port = _closed_port()
    env = {
        "REWARD_ATLAS_ARXIV_API": f"http://127.0.0.1:{port}/arxiv",
        "REWARD_ATLAS_FETCH_RETRIES": "0",
    }
    typed = ["--author", "Daniel M. Ziegler", "--title", "Fine-Tuning Language Models"]
    result = run(env, "new-paper", "--fetch", "arxiv:1909.08593", *typed, tree)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if line.startswith("could not fetch")]
    assert notes == [
        "could not fetch arxiv:1909.08593 (arXiv API: cannot connect (offline?)): "
        "using the other options instead"
    ]
    data = written(tree, "ziegler2019-fine-tuning")
    assert data["arxiv"] == "1909.08593" and data["year"] == 2019  # from the id's YYMM
    assert data["authors"] == ["Daniel M. Ziegler"]
    assert data["provenance"]["verified"]["on"].startswith("TODO")
    _taxonomy, problems = load_taxonomy(tree)
    assert any(p.field == "provenance.verified.on" for p in problems), problems


def test_fetch_offline_without_the_typed_fields_says_what_to_pass(tree):
    env = {"REWARD_ATLAS_ARXIV_API": f"http://127.0.0.1:{_closed_port()}/arxiv"}
    result = run(
        {**env, "REWARD_ATLAS_FETCH_RETRIES": "0"}, "new-paper", "--fetch", "arxiv:1909.08593", tree
    )
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "pass --author (at least the first author), --title and --year, or --id"
    )


def test_fetched_skeleton_validates_once_placement_and_summary_are_filled(replay, tree):
    assert run(replay.env, "new-paper", "--fetch", "arxiv:1909.08593", tree).exit_code == 0
    path = tree / "papers" / "ziegler2019-fine-tuning.yaml"
    _taxonomy, problems = load_taxonomy(tree)
    assert {p.field for p in problems} <= {
        "kind",
        "status",
        "venue",
        "code",
        "summary",
    } | {f"classification.{dim}" for dim in written(tree, path.stem)["classification"]}
    assert all(p.path == path for p in problems)
    assert run({}, "fmt", "--check", tree).exit_code == 0  # already canonical


def test_malformed_reference_is_refused_before_any_request(replay, tree):
    result = run(replay.env, "new-paper", "--fetch", "arxiv:1234.5678x", tree)
    assert result.exit_code == 1 and "is not an arXiv id" in result.output
    result = run(replay.env, "new-paper", "--fetch", "isbn:123", tree)
    assert result.exit_code == 1 and "expected arxiv:ID or doi:DOI" in result.output
    assert replay.requests == []


def test_sources_retry_a_busy_answer(replay):
    endpoints = sources.Endpoints(
        arxiv=f"{replay.base}/arxiv", crossref=f"{replay.base}/crossref", retries=1, arxiv_delay=0
    )
    replay.fail_next = 1
    assert sources.fetch_arxiv(["1909.08593"], endpoints)["1909.08593"].year == 2019
    replay.fail_next = 1
    assert sources.fetch_crossref("10.18653/v1/2023.acl-long.792", endpoints).year == 2023
    replay.fail_next = 2
    with pytest.raises(sources.SourceUnavailable, match="HTTP 503"):
        sources.fetch_arxiv(["1909.08593"], endpoints)


def test_sources_read_several_ids_in_one_request(replay):
    endpoints = sources.Endpoints(arxiv=f"{replay.base}/arxiv", arxiv_delay=0)
    found = sources.fetch_arxiv(["1909.08593", "2212.08073", "2312.99999"], endpoints)
    assert sorted(found) == ["1909.08593", "2212.08073"]
    assert len(replay.requests) == 1


# ---------------------------------------------------------------------------------------------
# check-metadata

REAL = Path(__file__).parent.parent / "data" / "taxonomy" / "papers"
CHECKED = [
    "ziegler2019-fine-tuning-human-preferences",
    "bai2022-constitutional-ai",
    "xiong2023-iterative-rlhf",
    "jiang2023-llm-blender",
]


@pytest.fixture()
def papers(tmp_path: Path) -> Path:
    """Four real entries whose recorded answers agree with them."""
    root = tmp_path / "taxonomy"
    (root / "papers").mkdir(parents=True)
    for name in CHECKED:
        shutil.copy(REAL / f"{name}.yaml", root / "papers")
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _line(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_check_metadata_online_agrees_with_the_recorded_answers(replay, papers):
    result = run(replay.env, "check-metadata", "--fetch", papers)
    assert result.exit_code == 0, result.output
    assert "0 difference(s), checked online and offline" in result.output
    assert sum(r.startswith("/arxiv?") for r in replay.requests) == 1  # one batch


def test_check_metadata_online_prints_each_difference(replay, papers, tmp_path):
    ziegler = papers / "papers" / f"{CHECKED[0]}.yaml"
    bai = papers / "papers" / f"{CHECKED[1]}.yaml"
    xiong = papers / "papers" / f"{CHECKED[2]}.yaml"
    _edit(ziegler, "title: 'Fine-Tuning Language Models", "title: 'Fine-tuning Language Models")
    _edit(ziegler, "  - Tom B. Brown\n", "  - Tom Brown\n")
    _edit(ziegler, "year: 2019", "year: 2020")
    _edit(bai, "  - Jared Kaplan\n", "")
    _edit(xiong, "venue: ICML 2024\n", "")
    _edit(xiong, "status: published", "status: preprint")
    shutil.copy(REAL / "rafailov2023-dpo.yaml", papers / "papers")  # no recorded answer
    dpo = papers / "papers" / "rafailov2023-dpo.yaml"
    result = run(replay.env, "check-metadata", "--fetch", papers)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if ": " in line and "→" in line]
    z, b, x, d = (
        p.relative_to(Path.cwd()) if p.is_relative_to(Path.cwd()) else p
        for p in (ziegler, bai, xiong, dpo)
    )
    assert sorted(lines) == sorted(
        [
            f"{z.as_posix()}:{_line(ziegler, 'title:')}: title: Fine-tuning Language Models "
            "from Human Preferences → Fine-Tuning Language Models from Human Preferences",
            f"{z.as_posix()}:{_line(ziegler, '- Tom Brown')}: authors[3]: Tom Brown → Tom B. Brown",
            f"{z.as_posix()}:{_line(ziegler, 'year:')}: year: 2020 → 2019",
            f"{z.as_posix()}:{_line(ziegler, 'year:')}: year: 2020 → 2019 (arXiv 1909.08593 was "
            "first posted then)",
            f"{b.as_posix()}:{_line(bai, 'authors:')}: authors: 50 names → 51 names (first "
            "difference at authors[50]: Jared Kaplan)",
            f"{d.as_posix()}:{_line(dpo, 'arxiv:')}: arxiv: 2305.18290 → not found on arXiv",
        ]
    )
    assert "xiong" not in result.output  # a venue the source lacks is not a difference


def test_check_metadata_reports_a_venue_we_lack(replay, papers):
    jiang = papers / "papers" / f"{CHECKED[3]}.yaml"
    _edit(jiang, "venue: ACL 2023\n", "")
    _edit(jiang, "status: published", "status: preprint")
    result = run(replay.env, "check-metadata", "--fetch", papers)
    assert result.exit_code == 1
    assert f"{jiang.name}:{_line(jiang, 'status:')}: venue: (none) → ACL 2023" in result.output


def test_check_metadata_offline_checks_ids_years_urls_and_duplicate_authors(papers):
    ziegler = papers / "papers" / f"{CHECKED[0]}.yaml"
    _edit(ziegler, "url: https://arxiv.org/abs/1909.08593", "url: https://arxiv.org/abs/1909.08594")
    _edit(ziegler, "  - Alec Radford\n", "  - Alec Radford\n  - Nisan Stiennon\n")
    bai = papers / "papers" / f"{CHECKED[1]}.yaml"
    _edit(bai, "year: 2022", "year: 2023")
    result = run({}, "check-metadata", papers)
    assert result.exit_code == 1
    out = result.output
    assert (
        f"{ziegler.name}:{_line(ziegler, 'url:')}: url: https://arxiv.org/abs/1909.08594 → "
        "names arXiv 1909.08594, but arxiv is '1909.08593'"
    ) in out
    assert (
        f"{ziegler.name}:{_line(ziegler, '- Nisan Stiennon') + 4}: authors[5]: Nisan Stiennon → "
        "also authors[1]: one person listed twice, or two namesakes?"
    ) in out
    assert f"{bai.name}:{_line(bai, 'year:')}: year: 2023 → 2022 (arXiv 2212.08073" in out
    assert "checked offline" in out


def test_check_metadata_with_a_source_down_says_so_and_exits_2(papers):
    env = {
        "REWARD_ATLAS_ARXIV_API": f"http://127.0.0.1:{_closed_port()}/arxiv",
        "REWARD_ATLAS_FETCH_RETRIES": "0",
    }
    result = run(env, "check-metadata", "--fetch", papers)
    assert result.exit_code == 2
    assert "could not fetch (arXiv API: cannot connect (offline?))" in result.output
