"""The one entry point that takes untrusted inputs: validate, convert, evaluate, check the result.

Every problem with the request becomes ``InvalidInput`` whose details name the field in the
app's shared shape (``{"field": "inputs.policy_chosen_logps", "message": "..."}``), all problems
at once; an unknown
loss is ``NotFound`` listing the valid ids. Nothing here raises anything else for bad input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from app.errors import InvalidInput
from app.losses.curves import CURVES, default_range, margin_curve
from app.losses.registry import get_spec
from app.losses.result import LossResult
from app.losses.spec import InputSpec, LossSpec, ParamSpec
from app.losses.tokens import token_name

MAX_ELEMENTS = 10_000
MAX_CURVE_POINTS = 1001
Error = dict[str, Any]


def compute(
    loss_id: str, inputs: Mapping[str, Any], params: Mapping[str, Any] | None = None
) -> LossResult:
    """Evaluate registered loss ``loss_id`` on ``inputs`` with ``params`` (defaults filled in).

    Inputs may be lists (as parsed from JSON) or numpy arrays; ragged inputs are lists of lists.

    >>> round(compute("dpo", {name: [-3.0] for name in (
    ...     "policy_chosen_logps", "policy_rejected_logps",
    ...     "reference_chosen_logps", "reference_rejected_logps")}).loss, 12)
    0.69314718056
    """
    spec = get_spec(loss_id)
    arrays, errors = convert_inputs(spec, inputs)
    values, param_errors = convert_params(spec, params or {})
    errors += param_errors + _form_errors(spec, inputs, values)
    if not errors and spec.check is not None:
        errors += spec.check(arrays, values)
    if errors:
        raise _invalid(loss_id, errors)
    if spec.prepare is not None:
        arrays = spec.prepare(arrays, values)
    # An overflow anywhere, even in an intermediate such as a standard deviation, is the caller's
    # 422 rather than a wrong finite number; the functions opt out locally where inf is the right
    # limit (a ratio exp(Δ) that overflows), and _check_finite then reports a non-finite result.
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            result = spec.fn(**arrays, **values)
    except FloatingPointError as exc:
        raise _overflow(loss_id, ["loss"], str(exc)) from None
    _check_finite(loss_id, result)
    return result


def curve(
    loss_id: str,
    params: Mapping[str, Any] | None = None,
    *,
    lo: float | None = None,
    hi: float | None = None,
    points: int = 201,
) -> dict[str, Any]:
    """Loss and d loss / d margin over ``points`` evenly spaced margins in [lo, hi].

    The default range is ±5/β for losses whose margin β scales, else ±5.
    """
    spec = get_spec(loss_id)
    if loss_id not in CURVES:
        with_curve = [loss for loss in CURVES]
        raise InvalidInput(
            f"loss {loss_id!r} has no margin curve; losses with one are listed in details",
            with_curve,
        )
    values, errors = convert_params(spec, params or {})
    if not 2 <= points <= MAX_CURVE_POINTS:
        errors.append(
            _err(
                ["query", "points"], f"must be an integer in [2, {MAX_CURVE_POINTS}], got {points}"
            )
        )
    for name, bound in (("lo", lo), ("hi", hi)):
        if bound is not None and not (math.isfinite(bound) and abs(bound) <= 1e6):
            errors.append(
                _err(["query", name], f"must be a finite number with |{name}| ≤ 1e6, got {bound}")
            )
    if errors:
        raise _invalid(loss_id, errors)
    default_lo, default_hi = default_range(loss_id, values)
    lo = default_lo if lo is None else lo
    hi = default_hi if hi is None else hi
    if not lo < hi:
        raise _invalid(
            loss_id, [_err(["query", "lo"], f"must be smaller than hi, got lo = {lo}, hi = {hi}")]
        )
    margins = np.linspace(lo, hi, points)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        loss, slope = margin_curve(loss_id, values, margins=margins)
    if not (np.isfinite(loss).all() and np.isfinite(slope).all()):
        raise _invalid(
            loss_id, [_err(["query", "lo"], "the curve overflows float64 on this range; narrow it")]
        )
    return {
        "margin": CURVES[loss_id].margin,
        "params": values,
        "margins": margins,
        "loss": loss,
        "dloss_dmargin": slope,
    }


def _invalid(loss_id: str, errors: list[Error]) -> InvalidInput:
    first = errors[0]
    more = (
        f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        if len(errors) > 1
        else ""
    )
    return InvalidInput(
        f"invalid request for loss {loss_id!r}: {first['field']} {first['message']}{more}",
        errors,
    )


def _err(loc: list[str], msg: str) -> Error:
    return {"field": ".".join(loc), "message": msg}


# ---------------------------------------------------------------------------------------- inputs


def convert_inputs(spec: LossSpec, inputs: Mapping[str, Any]) -> tuple[dict[str, Any], list[Error]]:
    """Check names, types, sizes, finiteness, bounds and matching lengths; return numpy values."""
    if not isinstance(inputs, Mapping):
        return {}, [_err(["inputs"], "must be an object mapping input names to values")]
    errors: list[Error] = []
    known = {item.name for item in spec.inputs}
    for name in inputs:
        if name not in known:
            errors.append(
                _err(
                    ["inputs", name],
                    f"is not an input of {spec.id}; valid inputs: {', '.join(sorted(known))}",
                )
            )
    arrays: dict[str, Any] = {}
    for item in spec.inputs:
        if item.name not in inputs or inputs[item.name] is None:
            if not item.optional:
                errors.append(_err(["inputs", item.name], "is missing; it is required"))
            continue
        value, problem = _convert(item, inputs[item.name])
        if problem:
            errors.append(_err(["inputs", item.name], problem))
        else:
            arrays[item.name] = value
    errors += _length_errors(spec, arrays)
    return arrays, errors


def _form_errors(spec: LossSpec, inputs: Any, values: Mapping[str, Any]) -> list[Error]:
    """An input with a per-token twin must be given in exactly one of its two forms."""
    if not isinstance(inputs, Mapping):
        return []
    names = {item.name for item in spec.inputs}
    given = {name for name, value in inputs.items() if value is not None}
    errors = []
    for item in spec.inputs:
        twin = token_name(item.name)
        if item.kind != "vector" or twin not in names:
            continue
        if item.name in given and twin in given:
            errors.append(
                _err(["inputs", twin], f"is given together with inputs.{item.name}; give one")
            )
        elif item.name not in given and twin not in given:
            if values.get("reference_free") and item.name.startswith("reference"):
                continue
            errors.append(
                _err(
                    ["inputs", item.name],
                    f"is missing; give it (one number per sequence) or inputs.{twin} "
                    "(one list of per-token log-probs per sequence)",
                )
            )
    return errors


def _convert(item: InputSpec, raw: Any) -> tuple[Any, str | None]:
    if item.kind == "ragged":
        return _ragged(item, raw)
    if item.kind == "table":
        return _table(raw)
    if item.kind == "number_or_vector" and _is_number(raw):
        value = _as_float(raw)
        if value is None:
            return None, f"must be a finite number, got {raw!r:.40}"
        return _bounds(item, np.asarray(value))
    return _vector(item, raw)


def _as_float(value: Any) -> float | None:
    """The value as a finite float, or None (NaN, ±inf, or an int too large for float64)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _vector(item: InputSpec, raw: Any) -> tuple[np.ndarray | None, str | None]:
    if not isinstance(raw, (list, tuple, np.ndarray)):
        return (
            None,
            f"must be a list of {'booleans' if item.kind == 'labels' else 'numbers'}, "
            f"got {type(raw).__name__}",
        )
    if len(raw) > MAX_ELEMENTS:
        return None, f"has {len(raw)} elements; at most {MAX_ELEMENTS} are accepted"
    try:
        arr = np.asarray(raw)
    except (ValueError, TypeError):
        return None, "must be a flat list of numbers (it is nested or mixed)"
    if arr.ndim != 1:
        return None, f"must be a flat list (1-D), got {arr.ndim}-D"
    if arr.size == 0:
        return None, "is empty; it needs at least one element"
    if item.kind == "labels":
        return _labels(arr)
    if arr.dtype.kind not in "iuf":
        return None, "must contain numbers only" + (
            " (got booleans)" if arr.dtype.kind == "b" else ""
        )
    arr = arr.astype(float, copy=False)
    return _bounds(item, arr)


def _labels(arr: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    if arr.dtype.kind == "b":
        return arr, None
    if arr.dtype.kind in "iu" and np.isin(arr, (0, 1)).all():
        return arr.astype(bool), None
    return None, "must contain booleans (true = desirable) or 0/1 only"


def _bounds(item: InputSpec, arr: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    # Fast path: min and max are NaN if any element is NaN, and ±inf if any is infinite.
    low, high = float(arr.min()), float(arr.max())
    if (
        math.isfinite(low)
        and math.isfinite(high)
        and (
            item.max_value is None
            or high < item.max_value
            or (high == item.max_value and not item.max_exclusive)
        )
        and (item.min_value is None or low >= item.min_value)
    ):
        return arr, None
    finite = np.isfinite(arr)
    if not finite.all():
        bad = np.flatnonzero(~finite.reshape(-1))
        return None, f"must be finite; NaN or ±inf at index {_indices(bad)}"
    if item.max_value is not None:
        over = arr >= item.max_value if item.max_exclusive else arr > item.max_value
        if over.any():
            sign = "<" if item.max_exclusive else "≤"
            bad = np.flatnonzero(over.reshape(-1))
            return (
                None,
                f"must be {sign} {item.max_value:g} (a log-probability); "
                f"violated at index {_indices(bad)}",
            )
    if item.min_value is not None and (arr < item.min_value).any():
        return None, f"must be ≥ {item.min_value:g}"
    return arr, None


def _indices(bad: np.ndarray) -> str:
    shown = ", ".join(str(int(i)) for i in bad[:5])
    return shown + (f" and {bad.size - 5} more" if bad.size > 5 else "")


def _ragged(item: InputSpec, raw: Any) -> tuple[list[np.ndarray] | None, str | None]:
    if not isinstance(raw, (list, tuple)) or not all(
        isinstance(row, (list, tuple, np.ndarray)) for row in raw
    ):
        return None, "must be a list of sequences, each a list of per-token numbers"
    if not raw:
        return None, "is empty; it needs at least one sequence"
    total = sum(len(row) for row in raw)
    if total > MAX_ELEMENTS:
        return None, f"has {total} tokens in all; at most {MAX_ELEMENTS} are accepted"
    rows = []
    for index, row in enumerate(raw):
        arr, problem = _vector(item, row)
        if problem:
            return None, f"sequence {index}: {problem}"
        rows.append(arr)
    return rows, None


def _table(raw: Any) -> tuple[np.ndarray | None, str | None]:
    """Rows of numbers or nulls, all of one length; nulls become NaN."""
    if not isinstance(raw, (list, tuple)) or not raw:
        return None, "must be a non-empty list of rows, each a list of numbers or nulls"
    if not all(isinstance(row, (list, tuple)) for row in raw):
        return None, "must be a list of rows, each a list of numbers or nulls"
    width = len(raw[0])
    if width == 0 or len(raw) * width > MAX_ELEMENTS:
        return None, f"must have 1 to {MAX_ELEMENTS} entries in all"
    out = np.full((len(raw), width), np.nan)
    for i, row in enumerate(raw):
        if len(row) != width:
            return None, f"row {i} has {len(row)} entries, row 0 has {width}; rows must match"
        for j, value in enumerate(row):
            if value is None:
                continue
            number = _as_float(value) if _is_number(value) else None
            if number is None:
                return None, f"row {i}, entry {j}: must be a finite number or null"
            out[i, j] = number
    return out, None


def _length_errors(spec: LossSpec, arrays: Mapping[str, Any]) -> list[Error]:
    """Inputs sharing a length symbol must agree; the odd ones out (not the majority) are named."""
    errors: list[Error] = []
    groups: dict[str, list[tuple[str, int]]] = {}
    for item in spec.inputs:
        value = arrays.get(item.name)
        if value is None or (item.kind == "number_or_vector" and np.ndim(value) == 0):
            continue
        groups.setdefault(item.length, []).append((item.name, len(value)))
    for members in groups.values():
        counts = [count for _, count in members]
        expected = max(counts, key=counts.count)  # the most common length, first on ties
        reference = next(name for name, count in members if count == expected)
        for name, count in members:
            if count != expected:
                ragged = spec.input(name).kind == "ragged" or spec.input(reference).kind == "ragged"
                unit = "sequences" if ragged else "elements"
                errors.append(
                    _err(
                        ["inputs", name],
                        f"has {count} {unit}, but inputs.{reference} has {expected}; "
                        "they must match",
                    )
                )
    if errors:
        return errors
    token_groups: dict[str, list[tuple[str, Any]]] = {}
    for item in spec.inputs:
        if item.kind == "ragged" and item.name in arrays:
            token_groups.setdefault(item.tokens, []).append((item.name, arrays[item.name]))
    for ragged in token_groups.values():
        errors += _token_errors(ragged)
    return errors


def _token_errors(ragged: list[tuple[str, Any]]) -> list[Error]:
    errors: list[Error] = []
    first_name, first_rows = ragged[0]
    for name, rows in ragged[1:]:
        for index, (row, other) in enumerate(zip(rows, first_rows, strict=True)):
            if len(row) != len(other):
                errors.append(
                    _err(
                        ["inputs", name],
                        f"sequence {index} has {len(row)} tokens, but inputs.{first_name} has "
                        f"{len(other)}; per-token inputs must match token for token",
                    )
                )
                break
    return errors


# ---------------------------------------------------------------------------------------- params


def convert_params(spec: LossSpec, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[Error]]:
    """Fill defaults, reject unknown names, check types and ranges."""
    if not isinstance(params, Mapping):
        return spec.defaults(), [
            _err(["params"], "must be an object mapping parameter names to values")
        ]
    errors: list[Error] = []
    known = {item.name for item in spec.params}
    for name in params:
        if name not in known:
            valid = ", ".join(sorted(known)) or "none"
            errors.append(
                _err(
                    ["params", name], f"is not a parameter of {spec.id}; valid parameters: {valid}"
                )
            )
    values = spec.defaults()
    for item in spec.params:
        if item.name in params:
            value, problem = _param(item, params[item.name])
            if problem:
                errors.append(_err(["params", item.name], problem))
            else:
                values[item.name] = value
    return values, errors


def _param(item: ParamSpec, raw: Any) -> tuple[Any, str | None]:
    if raw is None:
        return (None, None) if item.nullable else (None, f"must be {item.range_text()}, got null")
    if item.kind == "bool":
        if isinstance(raw, (bool, np.bool_)):
            return bool(raw), None
        return None, f"must be true or false, got {raw!r:.40}"
    if item.kind in ("choices", "floats"):
        return _list_param(item, raw)
    if item.kind == "choice":
        if raw in item.choices:
            return raw, None
        return None, f"must be {item.range_text()}, got {raw!r}"
    if not _is_number(raw):
        return None, f"must be a number in {item.range_text()}, got {type(raw).__name__}"
    number = _as_float(raw)
    if number is None:
        return None, f"must be a finite number in {item.range_text()}, got {raw!r:.40}"
    if item.kind == "int":
        if not number.is_integer():
            return None, f"must be an {item.range_text()}, got {raw}"
        raw = int(number)
    else:
        raw = number
    if not item.in_range(raw):
        return None, f"must be in {item.range_text()}, got {raw:g}"
    return raw, None


def _list_param(item: ParamSpec, raw: Any) -> tuple[Any, str | None]:
    if not isinstance(raw, (list, tuple)) or not raw:
        return None, f"must be a non-empty list ({item.range_text()})"
    if len(raw) > 32:
        return None, f"has {len(raw)} entries; at most 32 are accepted"
    values = []
    for index, value in enumerate(raw):
        if item.kind == "choices":
            if value not in item.choices:
                return None, f"entry {index} is {value!r:.40}; each entry must be one of " + (
                    ", ".join(item.choices)
                )
            values.append(value)
            continue
        number = _as_float(value) if _is_number(value) else None
        if number is None or not item.in_range(number):
            return None, f"entry {index} must be a number in {item.range_text()}, got {value!r:.40}"
        values.append(number)
    return tuple(values), None


# ---------------------------------------------------------------------------------------- result


def _check_finite(loss_id: str, result: LossResult) -> None:
    fields = {"loss": np.asarray(result.loss)}
    for name in ("per_example", "chosen_rewards", "rejected_rewards"):
        value = getattr(result, name)
        if value is not None:
            fields[name] = value
    # A finite sum means every term is finite; an overflowing sum falls through to the exact test
    # (summing inf and -inf would warn, hence the errstate: found by tests/test_loss_properties).
    with np.errstate(over="ignore", invalid="ignore"):
        bad = [
            name
            for name, value in fields.items()
            if not math.isfinite(float(np.sum(value))) and not np.isfinite(value).all()
        ]
    if bad:
        raise _overflow(loss_id, bad, "not finite")


def _overflow(loss_id: str, fields: list[str], what: str) -> InvalidInput:
    return InvalidInput(
        f"invalid request for loss {loss_id!r}: the result overflows float64 "
        f"({', '.join('result.' + name for name in fields)}: {what}); the inputs are too large "
        "in magnitude for this loss "
        "and these params",
        [_err(["result", name], f"overflows float64 ({what})") for name in fields],
    )


MAX_SWEEP_POINTS = 101


def sweep(
    loss_id: str,
    inputs: Mapping[str, Any],
    params: Mapping[str, Any] | None = None,
    *,
    param: str = "beta",
    lo: float | None = None,
    hi: float | None = None,
    points: int = 41,
) -> dict[str, Any]:
    """The batch loss on ``inputs`` at ``points`` values of one float parameter in [lo, hi]
    (default: the parameter's range, capped at 10 × its default), the other params fixed.

    >>> data = sweep("dpo", {n: [-3.0] for n in ("policy_chosen_logps", "policy_rejected_logps",
    ...     "reference_chosen_logps", "reference_rejected_logps")}, points=3, lo=0.5, hi=1.5)
    >>> [round(v, 6) for v in data["loss"]]
    [0.693147, 0.693147, 0.693147]
    """
    spec = get_spec(loss_id)
    floats = [p.name for p in spec.params if p.kind == "float"]
    if param not in floats:
        raise InvalidInput(
            f"loss {loss_id!r} has no float parameter {param!r}; its float parameters are listed "
            "in details",
            floats,
        )
    item = spec.param(param)
    errors: list[Error] = []
    if not 2 <= points <= MAX_SWEEP_POINTS:
        errors.append(
            _err(
                ["sweep", "points"], f"must be an integer in [2, {MAX_SWEEP_POINTS}], got {points}"
            )
        )
    default_hi = min(item.high or 10.0, max(10.0, 10 * float(item.default or 0)))
    if lo is None:  # an open lower bound (β > 0) starts a little inside it
        low = item.low or 0.0
        lo = low + (default_hi - low) / (10 * max(points, 2)) if item.low_open else low
    hi = default_hi if hi is None else hi
    for name, bound in (("lo", lo), ("hi", hi)):
        if not (math.isfinite(bound) and item.in_range(bound)):
            errors.append(_err(["sweep", name], f"must be in {item.range_text()}, got {bound}"))
    if not errors and not lo < hi:
        errors.append(_err(["sweep", "lo"], f"must be smaller than hi, got lo = {lo}, hi = {hi}"))
    if errors:
        raise _invalid(loss_id, errors)
    values = np.linspace(lo, hi, points)
    losses = [
        compute(loss_id, inputs, {**(params or {}), param: float(value)}).loss for value in values
    ]
    return {"param": param, "values": values.tolist(), "loss": losses}
