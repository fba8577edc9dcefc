"""The OpenAPI description of /api/v1 against a committed snapshot (tests/snapshots/openapi.json).

Two checks: one names *breaking* changes (a path, operation, parameter, response, media type,
schema or field that disappeared or changed type, or a parameter that became required); the other
fails on *any* difference, so additions are reviewed too.

After an intended change, refresh the snapshot and commit it with the change:

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_api_openapi.py

The loss-lab routes (/api/v1/losses) are left out: they have their own owner and tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from app.main import create_app

SNAPSHOT = Path(__file__).parent / "snapshots" / "openapi.json"
EXCLUDED = ("/api/v1/losses",)
COSMETIC = {"title", "description", "examples", "example", "summary", "default"}


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def api_spec(settings) -> dict[str, Any]:
    """The app's OpenAPI document cut to our /api/v1 paths and the schemas they reach."""
    spec = create_app(settings).openapi()
    paths = {
        path: ops
        for path, ops in spec["paths"].items()
        if path.startswith("/api/v1/") and not path.startswith(EXCLUDED)
    }
    schemas = spec.get("components", {}).get("schemas", {})
    needed, todo = set(), _refs(paths)
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo |= _refs(schemas[name])
    return {
        "openapi": spec["openapi"],
        "paths": paths,
        "components": {"schemas": {k: schemas[k] for k in sorted(needed)}},
    }


def _shape(node: Any) -> Any:
    """A schema without its words: what a client's parser depends on."""
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items() if k not in COSMETIC}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return node


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    problems = []
    for path, ops in old["paths"].items():
        if path not in new["paths"]:
            problems.append(f"path removed: {path}")
            continue
        for method, op in ops.items():
            now = new["paths"][path].get(method)
            where = f"{method.upper()} {path}"
            if now is None:
                problems.append(f"operation removed: {where}")
                continue
            before = {(p["in"], p["name"]): p for p in op.get("parameters", [])}
            after = {(p["in"], p["name"]): p for p in now.get("parameters", [])}
            for key, param in before.items():
                if key not in after:
                    problems.append(f"{where}: parameter removed: {key[1]}")
                elif _shape(param["schema"]) != _shape(after[key]["schema"]):
                    problems.append(f"{where}: parameter type changed: {key[1]}")
            for key, param in after.items():
                if param.get("required") and not before.get(key, {}).get("required"):
                    problems.append(f"{where}: parameter now required: {key[1]}")
            for status, response in op.get("responses", {}).items():
                if status not in now.get("responses", {}):
                    problems.append(f"{where}: response removed: {status}")
                    continue
                for media in response.get("content", {}):
                    if media not in now["responses"][status].get("content", {}):
                        problems.append(f"{where}: {status} no longer returns {media}")
    new_schemas = new["components"]["schemas"]
    for name, schema in old["components"]["schemas"].items():
        if name not in new_schemas:
            problems.append(f"schema removed: {name}")
            continue
        now = new_schemas[name]
        for field, prop in schema.get("properties", {}).items():
            if field not in now.get("properties", {}):
                problems.append(f"{name}.{field} removed")
            elif _shape(prop) != _shape(now["properties"][field]):
                problems.append(f"{name}.{field} changed type")
        for field in schema.get("required", []):
            if field in now.get("properties", {}) and field not in now.get("required", []):
                problems.append(f"{name}.{field} is no longer always present")
    return problems


@pytest.fixture(scope="module")
def current(settings) -> dict[str, Any]:
    spec = api_spec(settings)
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return spec


@pytest.fixture(scope="module")
def snapshot(current) -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text())


def test_openapi_has_no_breaking_changes(current, snapshot):
    problems = breaking_changes(snapshot, current)
    assert not problems, (
        "breaking API changes (if intended: bump the API version or refresh the snapshot, see "
        "this module's docstring):\n  " + "\n  ".join(problems)
    )


def test_openapi_matches_snapshot(current, snapshot):
    assert json.loads(json.dumps(current)) == snapshot, (
        "the API description changed; review, then refresh tests/snapshots/openapi.json with "
        "UPDATE_SNAPSHOTS=1 (see this module's docstring)"
    )


def test_breaking_change_detector_notices_removals(current):
    old = json.loads(json.dumps(current))
    new = json.loads(json.dumps(current))
    del new["paths"]["/api/v1/search"]
    del new["components"]["schemas"]["PaperRow"]["properties"]["classification"]
    new["paths"]["/api/v1/graph"]["get"]["parameters"][0]["required"] = True
    assert breaking_changes(old, new) == [
        "path removed: /api/v1/search",
        "GET /api/v1/graph: parameter now required: root",
        "PaperRow.classification removed",
    ]
    assert breaking_changes(old, old) == []


def _resolved(node: Any, schemas: dict[str, Any], seen: frozenset = frozenset()) -> str:
    text = json.dumps(node)
    for name in _refs(node) - seen:
        text += _resolved(schemas[name], schemas, seen | {name})
    return text


def test_every_route_is_documented(current):
    schemas = current["components"]["schemas"]
    operations = [(p, m, op) for p, ops in current["paths"].items() for m, op in ops.items()]
    assert len(operations) == 16
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        assert len(op.get("description", "")) > 40, where
        ok = op["responses"]["200"]
        assert ok.get("content"), where
        assert all("schema" in media for media in ok["content"].values()), where
        assert op["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "/ErrorResponse"
        ), where
        assert '"example' in _resolved(op, schemas), f"{where} has no example"
