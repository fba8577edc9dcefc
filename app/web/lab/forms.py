"""The HTML form's text fields ⇄ the values ``compute`` takes.

A vector field holds numbers separated by commas or spaces (or a JSON list); a ragged field holds
one sequence per line (or a JSON list of lists), a table one row per line with ``null`` for a
missing entry; labels are true/false or 1/0. Empty fields are
left out, so a required input reports "missing" and a param takes its default (the page shows
the default in the field and says it was used). Values that are not numbers are reported per
field with their position, in the API's error shape.
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


def _number(token: str, where: str = "") -> float:
    try:
        return float(token)
    except ValueError:
        raise ValueError(f"{where}{token!r} is not a number") from None


def _numbers(tokens: list[str], row: int | None = None) -> list[float]:
    """Numbers of one line, each error naming its position (1-based, as people count)."""
    at = "" if row is None else f"row {row}, "
    return [_number(t, f"{at}value {i} of {len(tokens)}: ") for i, t in enumerate(tokens, 1)]


def _tokens(text: str) -> list[str]:
    return [token for token in _SPLIT.split(text.strip().strip("[]")) if token]


def _parse_input(item: InputSpec, text: str) -> Any:
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not valid JSON ({exc.msg} at character {exc.pos})") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if item.kind == "ragged":
        return [_numbers(_tokens(line), row) for row, line in enumerate(lines, 1)]
    if item.kind == "table":
        table = []
        for row, line in enumerate(lines, 1):
            tokens = _tokens(line)
            table.append(
                [
                    None
                    if t.lower() == "null"
                    else _number(t, f"row {row}, value {i} of {len(tokens)}: ")
                    for i, t in enumerate(tokens, 1)
                ]
            )
        return table
    if item.kind == "labels":
        tokens = _tokens(text)
        return [_label(t, f"value {i} of {len(tokens)}: ") for i, t in enumerate(tokens, 1)]
    numbers = _numbers(_tokens(text))
    if item.kind == "number_or_vector" and len(numbers) == 1 and "," not in text:
        return numbers[0]
    return numbers


def _label(token: str, where: str = "") -> bool:
    lowered = token.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{where}{token!r} is not a label; use true/false or 1/0")


def _parse_param(param: ParamSpec, text: str) -> Any:
    if param.kind == "choice":
        return text
    if param.kind == "bool":
        return _label(text)
    if param.kind == "choices":
        return _tokens(text)
    if param.kind == "floats":
        return _numbers(_tokens(text))
    value = _number(text)
    if param.kind == "int" and value.is_integer():
        return int(value)
    return value


def empty_params(spec: LossSpec, form: Mapping[str, str]) -> list[str]:
    """The parameters submitted with an empty field: they take their default, and the page
    says so (an empty field is never silently replaced)."""
    return [
        p.name
        for p in spec.params
        if param_field(p.name) in form and not (form.get(param_field(p.name)) or "").strip()
    ]


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
