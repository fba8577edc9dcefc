"""The column filters of the paper list, one :class:`Filter` each (after Datasette's Filter).

Adding a filter on a paper column means adding one entry to :data:`FILTERS`: parsing, the SQL
condition, the facet and the chip label all come from it. Every filter's column must also be a
column of the build's ``paper_rollup`` table, which answers counts when only these filters are
set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.contract.vocab import KINDS, STATUSES

_YEAR = re.compile(r"[0-9]{4}")
_SQL_OPS = {"gte": ">=", "lte": "<="}
_HUMAN_OPS = {"gte": "≥", "lte": "≤"}


@dataclass(frozen=True)
class Filter:
    """A filter on the paper column ``name``: ``name=value`` (OR over repeated values) and,
    where ``ops`` allows, ``name__gte=value`` / ``name__lte=value`` (a range) or
    ``name__not=value`` (leave those out; AND over repeated values)."""

    name: str
    ops: tuple[str | None, ...] = (None,)
    choices: tuple[str, ...] = ()  # a closed vocabulary; empty: any text
    year: bool = False  # values are four-digit years

    def parse(self, op: str | None, value: str) -> tuple[Any, str | None]:
        """The typed value, or None and what is wrong with it."""
        if self.year:
            if not _YEAR.fullmatch(value):
                return None, f"'{value}' is not a year (expected like 2023)"
            return int(value), None
        if self.choices and value not in self.choices:
            return value, f"unknown {self.name} '{value}' (valid: {', '.join(self.choices)})"
        return value, None

    def where_clause(self, op: str | None, values: list[Any], params: dict[str, Any]) -> str:
        """SQL on ``p`` (the paper table) for ``values`` of this filter and operator."""
        prefix = f"f_{self.name}_{op or 'eq'}_"
        names = []
        for i, value in enumerate(values):
            params[f"{prefix}{i}"] = value
            names.append(f":{prefix}{i}")
        if op is None:
            return f"p.{self.name} IN ({', '.join(names)})"
        if op == "not":
            return f"p.{self.name} NOT IN ({', '.join(names)})"
        return " AND ".join(f"p.{self.name} {_SQL_OPS[op]} {name}" for name in names)

    def human_clause(self, op: str | None, value: str) -> str:
        """The chip label of one active value."""
        if op is None:
            return f"{self.name}: {value}"
        if op == "not":
            return f"{self.name}: not {value}"
        return f"{self.name} {_HUMAN_OPS[op]} {value}"


FILTERS: dict[str, Filter] = {
    f.name: f
    for f in (
        Filter("year", ops=(None, "gte", "lte"), year=True),
        Filter("venue"),
        Filter("status", choices=STATUSES),
        Filter("kind", ops=(None, "not"), choices=KINDS),
    )
}
