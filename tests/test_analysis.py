"""Matrix and timeline counts leave surveys out by default and mark the current year as partial;
the paper list leaves a kind out with ``kind__not``. Built from the fixture tree plus one survey."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from app.build import build
from app.query import analysis
from app.query.listing.grammar import parse_paper_query
from app.query.listing.page import list_papers
from app.store import sqlite
from tests.conftest import GOOD

SURVEY = """\
# yaml-language-server: $schema=../schema/paper.schema.json
id: kaufmann2023-rlhf-survey
title: 'A Survey of Reinforcement Learning from Human Feedback'
authors:
  - Timo Kaufmann
year: 2023
kind: survey
status: preprint
arxiv: '2312.14925'
summary: >-
  Reviews reward learning from human feedback across reinforcement learning and language models.
classification:
  optimization: [rl-free, rl-based]
  granularity: [response-level, multi-aspect]
provenance:
  classification: curated
  added: 2026-12-06
"""


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("with-survey")
    tree = tmp / "taxonomy"
    shutil.copytree(GOOD, tree)
    (tree / "papers" / "kaufmann2023-rlhf-survey.yaml").write_text(SURVEY)
    db = tmp / "atlas.db"
    build(tree, db)
    engine = sqlite.readonly_engine(sqlite.url_for(db))
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _cell(data: dict, row: str, col: str) -> int:
    ri = [c["id"] for c in data["rows"]["categories"]].index(row)
    ci = [c["id"] for c in data["cols"]["categories"]].index(col)
    return data["cells"][ri][ci]["count"]


def test_matrix_leaves_surveys_out_unless_asked(conn):
    without = analysis.matrix(conn=conn, rows="optimization", cols="granularity")
    with_surveys = analysis.matrix(conn=conn, rows="optimization", cols="granularity", surveys=True)
    assert without["surveys"] is False and with_surveys["surveys"] is True
    assert _cell(with_surveys, "rl-free", "response-level") == (
        _cell(without, "rl-free", "response-level") + 1
    )
    assert with_surveys["papers"] == without["papers"] + 1
    counts = {c["id"]: c["count"] for c in without["rows"]["categories"]}
    counts_all = {c["id"]: c["count"] for c in with_surveys["rows"]["categories"]}
    assert counts_all["rl-free"] == counts["rl-free"] + 1


def test_timeline_leaves_surveys_out_unless_asked(conn):
    without = analysis.timeline(conn=conn, dimension="optimization")
    both = analysis.timeline(conn=conn, dimension="optimization", surveys=True)
    i = both["years"].index(2023)
    assert both["totals"][i] == without["totals"][i] + 1
    assert analysis.survey_count(conn) == 1


def test_timeline_marks_the_current_year_as_partial(conn):
    last = analysis.timeline(conn=conn)["years"][-1]
    assert analysis.timeline(conn=conn, today=dt.date(last, 6, 1))["partial_year"] == last
    assert analysis.timeline(conn=conn, today=dt.date(last + 1, 1, 2))["partial_year"] is None


def test_paper_list_leaves_a_kind_out(conn):
    everything = list_papers(conn=conn, query=parse_paper_query([]), base_path="/papers")
    query = parse_paper_query([("kind__not", "survey"), ("_facet", "kind")])
    listed = list_papers(conn=conn, query=query, base_path="/papers")
    assert listed["count"] == everything["count"] - 1
    assert all(row["kind"] != "survey" for row in listed["rows"])
    assert [f["label"] for f in listed["filters"]] == ["kind: not survey"]
