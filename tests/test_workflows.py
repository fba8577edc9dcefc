"""The repository's contributor plumbing: GitHub workflows, issue forms, PR template, citation
file and the Makefile's test target, parsed and checked for the triggers and steps we rely on.

Nothing here touches the network: the link checker's pure parts are tested, never its requests.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from app.contract.yamlio import parse_yaml
from tests.conftest import GOOD, REPO

GITHUB = REPO / ".github"
WORKFLOWS = GITHUB / "workflows"
FORMS = ["add-paper", "reclassify", "update-venue", "broken-link"]


def load(path: Path) -> Any:
    """YAML as GitHub reads it for our purposes: ``on:`` stays the string "on"."""
    parsed = parse_yaml(path.read_bytes())
    assert parsed.problems == [], parsed.problems
    return parsed.data


def runs(workflow: dict) -> list[str]:
    return [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]


def uses(workflow: dict) -> list[str]:
    return [
        step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step
    ]


@pytest.mark.parametrize("name", ["data-pr", "ci", "link-check", "metadata-check", "pages"])
def test_workflow_is_valid_yaml_with_jobs_and_pinned_actions(name: str):
    workflow = load(WORKFLOWS / f"{name}.yml")
    assert isinstance(workflow["name"], str) and "on" in workflow
    for job in workflow["jobs"].values():
        assert job["runs-on"] and job["steps"]
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), step
    for action in uses(workflow):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", action), action


def test_data_pr_workflow_runs_every_check_on_data_pull_requests():
    workflow = load(WORKFLOWS / "data-pr.yml")
    assert set(workflow["on"]) == {"pull_request"}
    assert workflow["on"]["pull_request"]["paths"] == ["data/**"]
    assert workflow["permissions"] == {"contents": "read"}
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the diff needs the base branch
    commands = runs(workflow)
    order = [
        next(i for i, c in enumerate(commands) if wanted in c)
        for wanted in (
            "validate --format github",
            "fmt --check",
            "reward-atlas build",
            "make test",
            "reward-atlas diff",
        )
    ]
    assert order == sorted(order)
    diff = commands[order[-1]]
    assert '"origin/$BASE_REF"' in diff and '>> "$GITHUB_STEP_SUMMARY"' in diff
    assert "${{" not in diff  # the ref reaches the shell through env, never spliced into it


def test_ci_workflow_runs_the_full_suite_on_push():
    workflow = load(WORKFLOWS / "ci.yml")
    assert "push" in workflow["on"] and "pull_request" not in workflow["on"]
    assert any(c.strip() == "make test" for c in runs(workflow))


def test_link_check_is_weekly_non_blocking_and_opens_an_issue():
    workflow = load(WORKFLOWS / "link-check.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in workflow["on"]["schedule"]]
    _minute, _hour, day, month, weekday = cron.split()
    assert day == month == "*" and weekday.isdigit()  # once a week
    assert workflow["permissions"]["issues"] == "write"
    (job,) = workflow["jobs"].values()
    assert job["continue-on-error"] is True
    commands = "\n".join(runs(workflow))
    assert "scripts/check_links.py" in commands and "gh issue create" in commands


def test_metadata_check_is_weekly_non_blocking_and_opens_an_issue():
    workflow = load(WORKFLOWS / "metadata-check.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    (cron,) = [entry["cron"] for entry in workflow["on"]["schedule"]]
    _minute, _hour, day, month, weekday = cron.split()
    assert day == month == "*" and weekday.isdigit()  # once a week
    assert workflow["permissions"] == {"contents": "read", "issues": "write"}
    (job,) = workflow["jobs"].values()
    assert job["continue-on-error"] is True
    commands = runs(workflow)
    check = next(i for i, c in enumerate(commands) if "check-metadata --fetch" in c)
    report = next(i for i, c in enumerate(commands) if "gh issue create" in c)
    assert check < report and "gh issue comment" in commands[report]
    assert 'if [ "$status" -ge 2 ]; then exit "$status"; fi' in commands[check]


def test_only_the_weekly_workflows_reach_the_internet():
    for path in WORKFLOWS.glob("*.yml"):
        if path.name != "link-check.yml":
            assert "check_links" not in path.read_text(), path.name
        if path.name != "metadata-check.yml":
            assert "--fetch" not in path.read_text(), path.name
    makefile = (REPO / "Makefile").read_text()
    assert "check_links" not in makefile and "--fetch" not in makefile


def test_makefile_test_target_checks_formatting_after_validating():
    makefile = (REPO / "Makefile").read_text()
    body = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0].splitlines()
    commands = [line.strip() for line in body if line.startswith("\t")]
    at = commands.index("$(BIN)/reward-atlas validate")
    assert commands[at + 1] == "$(BIN)/reward-atlas fmt --check"


# ---------------------------------------------------------------------------------------------
# Issue forms and the pull-request template


@pytest.mark.parametrize("name", FORMS)
def test_issue_form_follows_githubs_schema(name: str):
    form = load(GITHUB / "ISSUE_TEMPLATE" / f"{name}.yml")
    assert form["name"] and form["description"] and form["body"]
    ids = []
    for item in form["body"]:
        assert item["type"] in {"markdown", "input", "textarea", "dropdown", "checkboxes"}
        attributes = item["attributes"]
        if item["type"] == "markdown":
            assert attributes["value"].strip()
            continue
        ids.append(item["id"])
        assert re.fullmatch(r"[a-z0-9_-]+", item["id"]) and attributes["label"]
        if item["type"] == "dropdown":
            assert attributes["options"] and len(set(attributes["options"])) == len(
                attributes["options"]
            )
        if item["type"] == "checkboxes":
            assert all(option["label"] for option in attributes["options"])
    assert len(ids) == len(set(ids)) and any(item["type"] != "markdown" for item in form["body"])


def test_reclassify_form_offers_exactly_the_dimensions():
    form = load(GITHUB / "ISSUE_TEMPLATE" / "reclassify.yml")
    dropdown = next(item for item in form["body"] if item.get("id") == "dimension")
    dimensions = {p.stem for p in (REPO / "data" / "taxonomy" / "dimensions").glob("*.yaml")}
    assert set(dropdown["attributes"]["options"]) == dimensions


def test_pull_request_template_has_a_checklist():
    text = (GITHUB / "PULL_REQUEST_TEMPLATE.md").read_text()
    assert len(re.findall(r"^- \[ \] ", text, flags=re.MULTILINE)) >= 5
    assert "reward-atlas validate" in text and "fmt --check" in text


# ---------------------------------------------------------------------------------------------
# CITATION.cff and the contributor guide


def test_citation_file_cites_the_dataset_and_prefers_the_survey():
    cff = load(REPO / "CITATION.cff")
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert cff["title"] and cff["message"] and cff["authors"]
    preferred = cff["preferred-citation"]
    survey = load(REPO / "data" / "taxonomy" / "survey.yaml")
    names = [f"{a['given-names']} {a['family-names']}" for a in preferred["authors"]]
    assert names == survey["authors"]
    assert preferred["title"] == survey["title"]
    assert preferred["url"] == f"https://arxiv.org/abs/{survey['arxiv']}"
    assert any(
        i["type"] == "other" and i["value"] == "arXiv:2505.02666" for i in preferred["identifiers"]
    )


def test_contributing_names_only_real_commands():
    from app.cli import cli

    known = {command.name for command in cli.registered_commands} | {
        getattr(command.callback, "__name__", "") for command in cli.registered_commands
    }
    text = (REPO / "CONTRIBUTING.md").read_text()
    used = set(re.findall(r"reward-atlas ([a-z][a-z-]*)", text))
    assert used and used <= known, used - known
    for target in re.findall(r"`make ([a-z-]+)", text):
        assert re.search(rf"^{target}:", (REPO / "Makefile").read_text(), re.MULTILINE), target


# ---------------------------------------------------------------------------------------------
# The link checker's offline parts


@pytest.fixture(scope="module")
def check_links():
    path = REPO / "scripts" / "check_links.py"
    spec = importlib.util.spec_from_file_location("check_links", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_links"] = module  # dataclasses look their module up while being made
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["check_links"]


def test_link_checker_collects_every_url_and_code_link(check_links):
    links = check_links.collect_links(GOOD)
    assert {link.field for link in links} == {"url", "code"}
    assert (
        "rafailov2023-dpo",
        "code",
        "https://github.com/eric-mitchell/direct-preference-optimization",
    ) in {(link.paper, link.field, link.url) for link in links}
    assert len([link for link in links if link.field == "url"]) == 11


def test_link_report_lists_broken_and_unreachable_links(check_links):
    import datetime as dt

    link = check_links.Link("a2023-x", "code", "https://example.org/gone", "a2023-x.yaml")
    results = [
        check_links.Result(link, 404, "HTTP 404"),
        check_links.Result(link, None, "timed out"),
        check_links.Result(link, 200, "ok"),
    ]
    report = check_links.render_report(results, today=dt.date(2026, 11, 27))
    assert report.startswith("Weekly link check of 2026-11-27: 1 broken and 1 unreachable of 3")
    assert (
        "| `a2023-x` (`papers/a2023-x.yaml`) | code | https://example.org/gone | HTTP 404 |"
        in report
    )
    assert "### Could not check (may be temporary)" in report


def test_pages_workflow_exports_the_site_on_pushes_to_main_and_deploys_it():
    workflow = load(WORKFLOWS / "pages.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read"}
    export = next(c for c in runs(workflow) if "export-site" in c)
    assert "--base-url" in export and "_site" in export
    steps = uses(workflow)
    assert any(a.startswith("actions/upload-pages-artifact@") for a in steps)
    assert any(a.startswith("actions/deploy-pages@") for a in steps)
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
