"""The query string of the paper list -> :class:`PaperQuery`, every problem reported at once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.errors import InvalidQuery
from app.query.listing.filters import FILTERS

SORTS = ("year", "-year", "-added", "title", "relevance")
MAX_SIZE = 200
DEFAULT_SIZE = 50
SYSTEM = ("_sort", "_size", "_next", "_facet")
PLAIN_FACETS = tuple(FILTERS)
# Parameters that may appear once; others repeat (OR within one filter or dimension).
_SINGLE = {"q", "_sort", "_size", "_next"} | {
    f"{f.name}__{op}" for f in FILTERS.values() for op in f.ops if op in ("gte", "lte")
}
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class PaperQuery:
    """A parsed ``/papers`` query string (what :func:`parse_paper_query` returns).

    ``categories`` maps a dimension id (or ``"category"`` for the generic ``category=`` filter,
    which the list resolves to dimensions) to category ids; ``values`` maps a column filter and
    its operator (``("year", "gte")``, ``("kind", None)``) to the typed values.
    """

    categories: dict[str, list[str]] = field(default_factory=dict)
    values: dict[tuple[str, str | None], list[Any]] = field(default_factory=dict)
    q: str | None = None
    sort: str | None = None  # None: relevance when q is given, else -year
    size: int = DEFAULT_SIZE
    next: str | None = None
    facets: list[str] = field(default_factory=list)
    items: list[tuple[str, str]] = field(default_factory=list)  # the pairs kept, for URLs

    @property
    def effective_sort(self) -> str:
        return self.sort or ("relevance" if self.q else "-year")


def problem(param: str, message: str) -> dict[str, str]:
    return {"parameter": param, "message": message}


def invalid(problems: list[dict[str, str]]) -> InvalidQuery:
    names = ", ".join(dict.fromkeys(p["parameter"] for p in problems))
    return InvalidQuery(f"invalid query parameters: {names}", problems)


def parse_paper_query(
    items: list[tuple[str, str]], *, dimensions: set[str] | None = None
) -> PaperQuery:
    """Parse query-string pairs (``request.query_params.multi_items()``).

    Raises ``InvalidQuery`` whose details name every unknown parameter, unknown operator and
    bad value at once. Empty values (what an HTML form sends for an untouched field) are skipped.
    Dimension parameters are only checked against ``dimensions`` when it is given; the list
    checks them against the database either way.
    """
    query = PaperQuery()
    problems: list[dict[str, str]] = []
    seen: set[str] = set()
    for key, raw in items:
        value = raw.strip()
        if value == "":
            continue
        if key in _SINGLE:
            if key in seen:
                problems.append(problem(key, f"'{key}' may be given only once"))
                continue
            seen.add(key)
        if _parse_pair(query, key, value, problems, dimensions):
            query.items.append((key, value))
    if query.sort == "relevance" and not query.q:
        problems.append(problem("_sort", "_sort=relevance needs a full-text query q"))
    if problems:
        raise invalid(problems)
    return query


def _parse_pair(
    query: PaperQuery,
    key: str,
    value: str,
    problems: list[dict[str, str]],
    dimensions: set[str] | None,
) -> bool:
    """Read one pair into ``query``; False when the pair is not kept (an unknown parameter)."""
    name, _, op = key.partition("__")
    if key.startswith("_"):
        if key not in SYSTEM:
            problems.append(
                problem(key, f"unknown system parameter '{key}' (valid: {', '.join(SYSTEM)})")
            )
            return False
        _parse_system(query, key, value, problems, dimensions)
    elif name in FILTERS:
        spec = FILTERS[name]
        if (op or None) not in spec.ops:
            valid = ", ".join(f"{name}__{o}" for o in spec.ops if o) or "none"
            problems.append(
                problem(key, f"unknown operator '{op}' on '{name}' (valid operators: {valid})")
            )
            return False
        typed, wrong = spec.parse(op or None, value)
        if wrong:
            problems.append(problem(key, wrong))
        else:
            query.values.setdefault((name, op or None), []).append(typed)
    elif name in ("q", "category"):
        if op:
            problems.append(
                problem(key, f"unknown operator '{op}' on '{name}' (valid operators: none)")
            )
            return False
        if name == "q":
            query.q = value
        else:
            query.categories.setdefault("category", []).append(value)
    elif op:
        known = ", ".join(f"{f.name}__{o}" for f in FILTERS.values() for o in f.ops if o)
        problems.append(problem(key, f"unknown parameter '{key}' (operators: {known})"))
        return False
    elif not _ID.match(key) or (dimensions is not None and key not in dimensions):
        problems.append(problem(key, f"unknown parameter '{key}'"))
        return False
    else:
        query.categories.setdefault(key, []).append(value)
    return True


def _parse_system(
    query: PaperQuery,
    key: str,
    value: str,
    problems: list[dict[str, str]],
    dimensions: set[str] | None,
) -> None:
    if key == "_sort":
        if value not in SORTS:
            problems.append(problem(key, f"unknown sort '{value}' (valid: {', '.join(SORTS)})"))
        query.sort = value
    elif key == "_size":
        if not value.isdigit() or not 1 <= int(value) <= MAX_SIZE:
            problems.append(problem(key, f"_size must be a whole number from 1 to {MAX_SIZE}"))
        else:
            query.size = int(value)
    elif key == "_next":
        query.next = value
    elif key == "_facet":
        known = value in PLAIN_FACETS or (
            _ID.match(value) if dimensions is None else value in dimensions
        )
        if not known:
            problems.append(problem(key, f"unknown facet '{value}'"))
        elif value not in query.facets:
            query.facets.append(value)
