"""The HTML form's text fields ⇄ the values ``compute`` takes.

A vector field holds numbers separated by commas or spaces (or a JSON list); a ragged field holds
one sequence per line (or a JSON list of lists), a table one row per line with ``null`` for a
missing entry; labels are true/false or 1/0. Empty fields are
left out, so a required input reports "missing" and a param falls back to its default. Values
that are not numbers are reported per field, in the API's error shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from app.losses.spec import InputSpec, LossSpec, ParamSpec

_SPLIT = re.compile(r"[,\s]+")
_TRUE = {"true", "1", "yes", "t"}
_FALSE = {"false", "0", "no", "f"}


def input_field(name: str) -> str:
    return f"inputs.{name}"


def param_field(name: str) -> str:
    return f"params.{name}"


def parse_form(
    spec: LossSpec, form: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, str]]]:
    """(inputs, params, errors) from the submitted fields of ``spec``'s form."""
    inputs: dict[str, Any] = {}
    params: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for item in spec.inputs:
        text = (form.get(input_field(item.name)) or "").strip()
        if not text:
            continue
        try:
            inputs[item.name] = _parse_input(item, text)
        except ValueError as exc:
            errors.append({"field": input_field(item.name), "message": str(exc)})
    for param in spec.params:
        text = (form.get(param_field(param.name)) or "").strip()
        if not text:
            continue
        try:
            params[param.name] = _parse_param(param, text)
        except ValueError as exc:
            errors.append({"field": param_field(param.name), "message": str(exc)})
    return inputs, params, errors


def _number(token: str) -> float:
    try:
        return float(token)
    except ValueError:
        raise ValueError(f"{token!r} is not a number") from None


def _tokens(text: str) -> list[str]:
    return [token for token in _SPLIT.split(text.strip().strip("[]")) if token]


def _parse_input(item: InputSpec, text: str) -> Any:
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not valid JSON ({exc.msg} at character {exc.pos})") from None
    if item.kind == "ragged":
        return [[_number(t) for t in _tokens(line)] for line in text.splitlines() if line.strip()]
    if item.kind == "table":
        return [
            [None if t.lower() == "null" else _number(t) for t in _tokens(line)]
            for line in text.splitlines()
            if line.strip()
        ]
    if item.kind == "labels":
        return [_label(token) for token in _tokens(text)]
    numbers = [_number(token) for token in _tokens(text)]
    if item.kind == "number_or_vector" and len(numbers) == 1 and "," not in text:
        return numbers[0]
    return numbers


def _label(token: str) -> bool:
    lowered = token.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{token!r} is not a label; use true/false or 1/0")


def _parse_param(param: ParamSpec, text: str) -> Any:
    if param.kind == "choice":
        return text
    if param.kind == "bool":
        return _label(text)
    if param.kind == "choices":
        return _tokens(text)
    if param.kind == "floats":
        return [_number(token) for token in _tokens(text)]
    value = _number(text)
    if param.kind == "int" and value.is_integer():
        return int(value)
    return value


def format_input(item: InputSpec, value: Any) -> str:
    """The text a form field shows for ``value`` (the inverse of parsing)."""
    if value is None:
        return ""
    if item.kind in ("ragged", "table"):
        return "\n".join(
            ", ".join("null" if v is None or v != v else _num(v) for v in row) for row in value
        )
    if item.kind == "labels":
        return ", ".join("true" if v else "false" for v in value)
    if isinstance(value, (int, float)):
        return _num(value)
    return ", ".join(_num(v) for v in value)


def format_param(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(_num(v) for v in value)
    return _num(value)


def _num(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)
