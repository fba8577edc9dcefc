"""The canonical layout of a data file, so diffs stay minimal (``reward-atlas fmt`` applies it
through :mod:`app.contrib.formatting`).

The layout, in short:

- the ``# yaml-language-server`` modeline first (added when missing);
- keys in the order of the pydantic model fields in :mod:`app.contract.schema`, at every level;
  unknown
  keys (which the validator rejects) are kept, after the known ones; classification keys follow
  the dimensions' ``order``;
- lists of ids and enum values (classification values, losses, provenance, attested) as flow
  lists ``[a, b]`` when they fit in 100 columns, every other list in block style;
- prose (summaries, descriptions, notes) and any text too long for one line as ``>-`` folded
  text wrapped at 100 columns; titles and arXiv ids always single-quoted; other text plain when
  YAML allows it.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
import textwrap
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel

from app.contract import schema as s
from app.contract.validate import EXPECTED_MODELINE

WIDTH = 100
INDENT = 2

# Text fields written as folded prose even when short: they are paragraphs people edit.
PROSE: set[tuple[type[BaseModel], str]] = {
    (s.Paper, "summary"),
    (s.Dimension, "description"),
    (s.Category, "description"),
    (s.Survey, "summary"),
    (s.Survey, "notes"),
    (s.FramingStep, "description"),
    (s.SurveyVersion, "note"),
}
# Text fields always single-quoted: arXiv ids would otherwise read as numbers, and titles are
# full of colons; one style for all of them keeps diffs quiet. Never folded.
QUOTED: set[tuple[type[BaseModel], str]] = {
    (s.Paper, "title"),
    (s.Paper, "arxiv"),
    (s.Survey, "arxiv"),
}
NEVER_FOLD = QUOTED | {(s.Survey, "title")}

KIND_MODEL: dict[str, type[BaseModel]] = {
    "survey": s.Survey,
    "dimension": s.Dimension,
    "paper": s.Paper,
    "synonyms": s.Synonyms,
}


class _Dumper(yaml.SafeDumper):
    """Safe dumper used only to pick a scalar's quoting, with the loader's YAML 1.2 booleans: a
    key such as ``on`` stays plain, as :mod:`app.contract.yamlio` reads it back as text."""


_Dumper.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}
_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


# ---------------------------------------------------------------------------------------------
# What each field holds, read from the pydantic annotations (so the order lives in one place)


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the type that matters."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _is_id_like(tp: Any) -> bool:
    """Ids and enum values: short tokens that read well in a flow list."""
    if tp == s.Id:
        return True
    inner = _unwrap(tp)
    return isinstance(inner, type) and issubclass(inner, enum.Enum)


@dataclass(frozen=True)
class _Slot:
    """How to write the value of one field."""

    kind: str  # model | model-list | flow-list | block-list | flow-map | scalar
    model: type[BaseModel] | None = None  # for model / model-list


def _slot(model: type[BaseModel], name: str) -> _Slot:
    annotation = model.model_fields[name].annotation
    tp = _unwrap(annotation)
    origin = typing.get_origin(tp)
    if _is_model(tp):
        return _Slot("model", tp)
    if origin is list:
        (item,) = typing.get_args(tp)
        if _is_model(_unwrap(item)):
            return _Slot("model-list", _unwrap(item))
        return _Slot("flow-list" if _is_id_like(item) else "block-list")
    if origin is dict:
        _, value = typing.get_args(tp)
        if typing.get_origin(_unwrap(value)) is list:
            return _Slot("flow-map")
    return _Slot("scalar")


# ---------------------------------------------------------------------------------------------
# Scalars


# Text that is plain YAML as it stands: starts with a letter, no ':' '#' or quotes at the start,
# no surrounding spaces, and not a word YAML reads as a boolean or null. Saves a dump per value.
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 ._/()'+,&-]*[A-Za-z0-9.)]$|^[A-Za-z]$")
_SPECIAL_WORDS = {"true", "false", "null"}


def _yaml_scalar(value: Any, style: str | None = None) -> str:
    """One scalar as PyYAML would write it in block context, on one line."""
    if style is None and isinstance(value, str) and _PLAIN.match(value):
        if value.lower() not in _SPECIAL_WORDS and "  " not in value:
            return value
    return _dump_scalar(value, style)


@functools.lru_cache(maxsize=4096, typed=True)
def _dump_scalar(value: Any, style: str | None) -> str:
    text = yaml.dump(
        {"k": value},
        Dumper=_Dumper,
        default_flow_style=False,
        default_style=style,
        allow_unicode=True,
        width=1 << 30,
        sort_keys=False,
    )
    key = {None: "k: ", "'": "'k': ", '"': '"k": '}[style]
    assert text.startswith(key), text
    return text[len(key) :].rstrip("\n")


def _quoted(value: str) -> str:
    if value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return _yaml_scalar(value, '"')


def _plain_or_quoted(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dt.date):
        return value.isoformat()
    return _yaml_scalar(value)


def _foldable(value: str) -> bool:
    return bool(value) and value == value.strip() and value.isprintable() and "  " not in value


def _fold(value: str, indent: int) -> list[str] | None:
    """Lines of a ``>-`` block (without the indicator), or None when folding would alter it."""
    if not _foldable(value):
        return None
    lines = textwrap.wrap(
        value, width=max(WIDTH - indent, 20), break_long_words=False, break_on_hyphens=False
    )
    if " ".join(lines) != value:
        return None
    return [" " * indent + line for line in lines]


def _scalar_lines(prefix: str, value: Any, indent: int, where: tuple | None) -> list[str]:
    """``prefix`` is ``key:`` or ``-``; ``indent`` is where the prefix starts."""
    head = " " * indent + prefix
    if isinstance(value, str):
        if where in QUOTED:
            return [f"{head} {_quoted(value)}"]
        one_line = f"{head} {_plain_or_quoted(value)}"
        wants_fold = where in PROSE or len(one_line) > WIDTH
        if wants_fold and where not in NEVER_FOLD:
            folded = _fold(value, indent + INDENT)
            if folded is not None:
                return [f"{head} >-", *folded]
        return [one_line]
    return [f"{head} {_plain_or_quoted(value)}"]


# ---------------------------------------------------------------------------------------------
# Collections


def _flow(items: list[Any]) -> str | None:
    if any(isinstance(i, dict | list) for i in items):
        return None
    text = yaml.dump(
        items, Dumper=_Dumper, default_flow_style=True, allow_unicode=True, width=1 << 30
    ).strip()
    return text if "\n" not in text else None


@dataclass
class _Context:
    dimension_order: dict[str, tuple[int, str]] = field(default_factory=dict)


def _ordered_keys(data: dict, model: type[BaseModel] | None) -> list[Any]:
    if model is None:
        return list(data)
    known = [name for name in model.model_fields if name in data]
    return known + [key for key in data if key not in model.model_fields]


def _value_lines(
    key: Any, value: Any, slot: _Slot, indent: int, where: tuple | None, ctx: _Context
) -> list[str]:
    head = " " * indent + f"{_plain_or_quoted(key)}:"
    if isinstance(value, dict):
        if not value:
            return [f"{head} {{}}"]
        if slot.kind == "flow-map":
            return [head, *_flow_map_lines(value, indent + INDENT, ctx)]
        model = slot.model if slot.kind == "model" else None
        return [head, *_mapping_lines(value, model, indent + INDENT, ctx)]
    if isinstance(value, list):
        if not value:
            return [f"{head} []"]
        if slot.kind == "flow-list":
            flow = _flow(value)
            if flow is not None and len(f"{head} {flow}") <= WIDTH:
                return [f"{head} {flow}"]
        model = slot.model if slot.kind == "model-list" else None
        return [head, *_sequence_lines(value, model, indent + INDENT, ctx)]
    return _scalar_lines(f"{_plain_or_quoted(key)}:", value, indent, where)


def _flow_map_lines(data: dict, indent: int, ctx: _Context) -> list[str]:
    """The classification: dimension id -> flow list, in the dimensions' order."""
    order = ctx.dimension_order
    known = sorted((k for k in data if k in order), key=lambda k: order[k])
    keys = known + [k for k in data if k not in order]
    lines: list[str] = []
    for key in keys:
        lines += _value_lines(key, data[key], _Slot("flow-list"), indent, None, ctx)
    return lines


def _mapping_lines(
    data: dict, model: type[BaseModel] | None, indent: int, ctx: _Context
) -> list[str]:
    lines: list[str] = []
    for key in _ordered_keys(data, model):
        known = model is not None and key in model.model_fields
        slot = _slot(model, key) if known else _Slot("scalar")  # type: ignore[arg-type]
        where = (model, key) if known else None
        lines += _value_lines(key, data[key], slot, indent, where, ctx)
    return lines


def _sequence_lines(
    items: list, model: type[BaseModel] | None, indent: int, ctx: _Context
) -> list[str]:
    lines: list[str] = []
    for item in items:
        if isinstance(item, dict) and item:
            body = _mapping_lines(item, model, indent + INDENT, ctx)
            body[0] = " " * indent + "- " + body[0].lstrip()
            lines += body
        elif isinstance(item, list) and item:
            body = _sequence_lines(item, None, indent + INDENT, ctx)
            body[0] = " " * indent + "- " + body[0].lstrip()
            lines += body
        elif isinstance(item, dict | list):
            lines.append(" " * indent + ("- {}" if isinstance(item, dict) else "- []"))
        else:
            lines += _scalar_lines("-", item, indent, None)
    return lines


# ---------------------------------------------------------------------------------------------
# One file


def canonical_text(
    data: dict,
    *,
    kind: str,
    modeline: str | None = None,
    dimension_order: dict[str, tuple[int, str]] | None = None,
) -> str:
    """The canonical text of one data file's content (``kind``: survey, dimension or paper)."""
    ctx = _Context(dimension_order or {})
    lines = [modeline or EXPECTED_MODELINE[kind]]
    lines += _mapping_lines(data, KIND_MODEL[kind], 0, ctx)
    return "\n".join(lines) + "\n"
