"""Exports over real HTTP: BibTeX parsed by a BibTeX parser, CSL-JSON, CSV that round-trips to
the JSON list, JSON Lines, GraphML read back by networkx."""

from __future__ import annotations

import csv
import io
import json

import bibtexparser
import networkx as nx
import pytest
from bibtexparser.bparser import BibTexParser

from app.query.exports.bibtex import bibtex_entry, csl_item, latex_escape, protect_case


def _parse_bib(text: str):
    parser = BibTexParser(common_strings=True)
    parser.ignore_nonstandard_types = False
    return bibtexparser.loads(text, parser=parser).entries


def test_bibtex_export_of_a_filtered_list_parses(client):
    response = client.get("/api/v1/export/bibtex?expression=implicit")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/x-bibtex; charset=utf-8"
    assert 'filename="reward-atlas.bib"' in response.headers["content-disposition"]
    entries = {e["ID"]: e for e in _parse_bib(response.text)}
    assert set(entries) == {
        "rafailov2023direct",
        "azar2023general",
        "ethayarajh2024kto",
        "meng2024simpo",
    }
    dpo = entries["rafailov2023direct"]
    assert dpo["ENTRYTYPE"] == "inproceedings"
    assert dpo["booktitle"] == "NeurIPS 2023"
    assert dpo["eprint"] == "2305.18290"
    assert dpo["archiveprefix"] == "arXiv"
    assert dpo["doi"] == "10.48550/arXiv.2305.18290"
    assert dpo["year"] == "2023"
    assert dpo["author"].split(" and ")[0] == "Rafael Rafailov"
    assert len(dpo["author"].split(" and ")) == 6
    assert (
        entries["ethayarajh2024kto"]["title"] == "{KTO}: Model Alignment as Prospect "
        "Theoretic Optimization"
    )


def test_bibtex_export_of_everything_has_unique_keys(client):
    entries = _parse_bib(client.get("/api/v1/export/bibtex").text)
    assert len(entries) == 11
    assert len({e["ID"] for e in entries}) == 11
    preprint = next(e for e in entries if e["ID"] == "schulman2017proximal")
    assert preprint["ENTRYTYPE"] == "article"
    assert preprint["journal"] == "arXiv preprint arXiv:1707.06347"


def test_paper_bibtex(client):
    response = client.get("/api/v1/papers/azar2023-ipo/bibtex")
    assert response.headers["content-type"].startswith("text/x-bibtex")
    (entry,) = _parse_bib(response.text)
    assert entry["ID"] == "azar2023general"
    assert entry["author"].endswith("Rémi Munos")
    detail = client.get("/api/v1/papers/azar2023-ipo").json()
    assert detail["bibtex"] == response.text


@pytest.mark.parametrize(
    ("title", "escaped"),
    [
        ("R&D for 100% of $x_1$ #1", r"R\&D for 100\% of \$x\_1\$ \#1"),
        ("{braces} ~ ^", r"\{braces\} \textasciitilde{} \textasciicircum{}"),
    ],
)
def test_latex_special_characters_are_escaped(title, escaped):
    assert latex_escape(title) == escaped


def test_awkward_titles_still_parse():
    paper = {
        "bibkey": "x2024r",
        "title": "R&D: 100% {GPT-4} in $5 #LLMs_",
        "year": 2024,
        "authors": ["Jane O'Neil", "Zoë Åström"],
        "status": "preprint",
        "venue": None,
        "arxiv": "2401.00001",
        "doi": None,
        "url": None,
    }
    (entry,) = _parse_bib(bibtex_entry(paper))
    assert entry["author"] == "Jane O'Neil and Zoë Åström"
    assert "GPT-4" in protect_case(paper["title"])


def test_csl_json(client):
    response = client.get("/api/v1/export/csl?year=2017")
    assert response.headers["content-type"] == "application/vnd.citationstyles.csl+json"
    items = {item["id"]: item for item in response.json()}
    assert set(items) == {"christiano2017deep", "schulman2017proximal"}
    ppo = items["schulman2017proximal"]
    assert ppo["type"] == "article"
    assert ppo["author"][0] == {"family": "Schulman", "given": "John"}
    assert ppo["issued"] == {"date-parts": [[2017]]}
    assert ppo["number"] == "arXiv:1707.06347"
    assert items["christiano2017deep"]["type"] == "paper-conference"
    assert items["christiano2017deep"]["container-title"] == "NeurIPS 2017"


def test_csv_round_trips_to_the_json_list(client):
    query = "granularity=fine-grained&_sort=title"
    listed = client.get(f"/api/v1/papers?{query}&_size=200").json()["rows"]
    response = client.get(f"/api/v1/export/csv?{query}")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(listed) == 10
    dimensions = [d["id"] for d in client.get("/api/v1/dimensions").json()]
    for row, paper in zip(rows, listed, strict=True):
        back = {
            "id": row["id"],
            "title": row["title"],
            "short_name": row["short_name"] or None,
            "aliases": row["aliases"].split("; ") if row["aliases"] else [],
            "authors": row["authors"].split("; "),
            "year": int(row["year"]),
            "kind": row["kind"],
            "status": row["status"],
            "summary": row["summary"],
            "bibkey": row["bibkey"],
            **{k: row[k] or None for k in ("venue", "arxiv", "doi", "url", "code")},
            "classification": {d: row[d].split("|") for d in dimensions if row[d]},
        }
        assert back == paper


def test_jsonl_lines_equal_the_json_rows(client):
    listed = client.get("/api/v1/papers?q=bradley&_size=200").json()["rows"]
    response = client.get("/api/v1/export/jsonl?q=bradley")
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines == listed  # same rows, same relevance order


def test_export_ignores_paging_and_facets(client):
    text = client.get("/api/v1/export/jsonl?_size=1&_facet=year").text
    assert len(text.splitlines()) == 11


def test_export_rejects_unknown_parameters(client):
    response = client.get("/api/v1/export/csv?colour=red")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["parameter"] == "colour"


def test_graphml_reads_back(client):
    response = client.get("/api/v1/export/graphml")
    assert response.headers["content-type"] == "application/graphml+xml"
    graph = nx.read_graphml(io.BytesIO(response.content), force_multigraph=True)
    assert graph.number_of_nodes() == 9 + 49 + 11
    assert graph.nodes["paper:rafailov2023-dpo"]["year"] == 2023
    kinds = [k for _, _, k in graph.edges(data="kind")]
    assert kinds.count("contains") == 49 and kinds.count("variant-of") == 3


def test_group_authors_are_braced_in_bibtex_and_literal_in_csl():
    paper = {
        "id": "x",
        "bibkey": "deepseekai2025deepseekr1",
        "title": "A title",
        "year": 2025,
        "authors": ["DeepSeek-AI", "Kimi Team", "Daya Guo"],
        "venue": None,
        "status": "preprint",
        "arxiv": "2501.12948",
        "doi": None,
        "url": None,
        "kind": "model",
    }
    entry = _parse_bib(bibtex_entry(paper))[0]
    assert entry["author"] == "{DeepSeek-AI} and {Kimi Team} and Daya Guo"
    names = csl_item(paper)["author"]
    assert names[:2] == [{"literal": "DeepSeek-AI"}, {"literal": "Kimi Team"}]
    assert names[2] == {"family": "Guo", "given": "Daya"}


def test_bibtex_url_cannot_break_out_of_its_field():
    import bibtexparser

    url = "https://example.org/x},note={\\input{/etc/passwd}}"
    paper = {
        "id": "x",
        "title": "A {braced} title with \\commands and 100% of $math$",
        "authors": ["Ada Lovelace", "OpenAI Team"],
        "year": 2024,
        "status": "preprint",
        "venue": None,
        "arxiv": None,
        "doi": None,
        "url": url,
        "bibkey": "lovelace2024a",
    }
    entry = bibtexparser.loads(bibtex_entry(paper)).entries[0]
    assert set(entry) == {"ENTRYTYPE", "ID", "title", "author", "year", "url"}  # no "note"
    assert entry["url"] == "https://example.org/x%7D,note=%7B%5Cinput%7B/etc/passwd%7D%7D"
    assert "\\input" not in bibtex_entry(paper)


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx"])
def test_csv_cells_never_start_a_formula(text):
    from app.query.exports.tabular import safe_cell, to_csv

    paper = {
        "id": "x",
        "title": text,
        "short_name": None,
        "aliases": [],
        "authors": [text],
        "year": 2024,
        "kind": "method",
        "status": "preprint",
        "summary": text,
        "bibkey": "x2024",
        "classification": {},
    }
    row = next(csv.DictReader(io.StringIO(to_csv([paper], []))))
    assert row["title"] == safe_cell(text) == "'" + text
    assert not row["summary"].startswith(("=", "+", "-", "@", "\t"))
