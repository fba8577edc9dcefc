"""Which URLs the static copy holds: seeds enumerated from the data and the API's own route
table, then every link the pages themselves carry, within a bound on query links.

The bound keeps the paper list's facets from multiplying. A link without a query string is
always followed. A link with one costs a step per query parameter it adds to the page it is on
(``/papers`` -> ``/papers?venue=X`` is one; ``/categories/x`` -> ``/papers?category=x&venue=X``
is two), and is followed within one step: the list with one facet chosen, not every pair of
facets (a list's later pages, on a page of their own, are left to the live server). The
views enumerated from the data (the matrix of each pair of dimensions, the timeline of each
dimension) are followed one step whatever their links' queries, since their cells are their
point. A page's twin (its ``rel="alternate"`` link) comes with the page. Downloads (an
attachment answer) are kept only for the whole atlas, not per filtered list.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from itertools import permutations
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import Engine, text

from app.publish import paths
from app.publish.links import Link

MAX_QUERY_STEPS = 1
# Pages that only make sense next to a running server (the interactive OpenAPI reference
# calls the live API); links to them go to the page that says where the live atlas is.
SERVER_ONLY = ("/docs", "/redoc", "/openapi.json")


@dataclass
class Frontier:
    """URLs to fetch, each with its query-step count, in a stable order."""

    queue: deque[tuple[str, int]] = field(default_factory=deque)
    steps: dict[str, int] = field(default_factory=dict)

    def add(self, url: str, steps: int) -> None:
        if _server_only(url) or steps > MAX_QUERY_STEPS:
            return
        key = paths.key(url)
        known = self.steps.get(key)
        if known is not None and known <= steps:
            return
        self.steps[key] = steps
        self.queue.append((url, steps))

    def take(self, n: int) -> list[tuple[str, int]]:
        """Up to ``n`` URLs from the front of the queue (skipping entries queued again since
        with fewer steps), each key once."""
        out: list[tuple[str, int]] = []
        keys: set[str] = set()
        while self.queue and len(out) < n:
            url, steps = self.queue.popleft()
            key = paths.key(url)
            if self.steps.get(key) == steps and key not in keys:
                keys.add(key)
                out.append((url, steps))
        return out


def _server_only(url: str) -> bool:
    path = url.split("?", 1)[0]
    return any(path == p or path.startswith(p + "/") for p in SERVER_ONLY)


def link_steps(link: Link, page_url: str, page_steps: int, *, view: bool = False) -> int:
    """The query-step count of a link found on ``page_url`` (reached in ``page_steps``);
    ``view`` for the pages of :func:`view_seeds`."""
    if "?" not in link.url:
        return 0
    if "alternate" in link.rel:
        return page_steps  # the page's own twin (``<link rel="alternate">``) comes with it
    if view:
        return page_steps + 1
    page_path, page_query = page_url.partition("?")[::2]
    link_path, link_query = link.url.partition("?")[::2]
    had = set(parse_qsl(page_query, keep_blank_values=True)) if page_path == link_path else set()
    added = [p for p in parse_qsl(link_query, keep_blank_values=True) if p not in had]
    return page_steps + max(len(added), 1)


def ids_by_param(engine: Engine, losses: list[str]) -> dict[str, list[str]]:
    """Every value a route's path parameter can take, by the parameter's name."""
    with engine.connect() as conn:
        dims = [r[0] for r in conn.execute(text("SELECT id FROM dimension ORDER BY id"))]
        cats = [r[0] for r in conn.execute(text("SELECT id FROM category ORDER BY id"))]
        papers = [r[0] for r in conn.execute(text("SELECT id FROM paper ORDER BY id"))]
    return {
        "dimension_id": dims,
        "category_id": cats,
        "paper_id": papers,
        "paper_ref": papers,
        "loss_id": losses,
    }


def route_seeds(routes: list[Any], values: dict[str, list[str]], openapi: dict) -> list[str]:
    """Every GET route of the app filled in with every known value of its path parameters
    (or the values its OpenAPI schema enumerates); routes with any other parameter are left
    to the links."""
    seeds: list[str] = []
    schema_enums = _path_enums(openapi)
    for path, route in _flatten(routes):
        methods = getattr(route, "methods", None) or set()
        if "GET" not in methods or not path.startswith("/") or _server_only(path):
            continue
        names = list(getattr(route, "param_convertors", {}))
        if not names:
            seeds.append(path)
            continue
        if len(names) != 1:
            continue
        name = names[0]
        choices = values.get(name) or schema_enums.get((path, name))
        for value in choices or []:
            seeds.append(re.sub(r"\{" + name + r"(:[^}]*)?\}", value, path))
    return seeds


def _flatten(routes: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``(full path, route)`` of every route, looking into included routers (FastAPI keeps an
    included router as one entry holding the original router and its prefix)."""
    out: list[tuple[str, Any]] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            out.extend(_flatten(inner.routes, prefix + getattr(context, "prefix", "")))
        elif hasattr(route, "path"):
            out.append((prefix + route.path, route))
    return out


def _path_enums(openapi: dict) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for path, ops in openapi.get("paths", {}).items():
        for param in ops.get("get", {}).get("parameters", []):
            enum = param.get("schema", {}).get("enum")
            if param.get("in") == "path" and enum:
                out[(path, param["name"])] = [str(v) for v in enum]
    return out


def view_seeds(dimensions: list[str]) -> list[str]:
    """The views with a dimension in their query: the matrix of every ordered pair of
    dimensions and the timeline of each dimension."""
    matrix = [f"/matrix?rows={a}&cols={b}" for a, b in permutations(dimensions, 2)]
    timeline = [f"/timeline?dimension={d}" for d in dimensions]
    return matrix + timeline
