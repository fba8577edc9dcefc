"""The data behind the loss lab's JSON and HTML: one function per view, shared by both twins.

``summary``/``detail``/``result_json``/``curve_json`` build the API payloads; the page contexts
reuse them and add only renderings (MathML, SVG, form text), so page and JSON cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.errors import InvalidInput
from app.losses.compute import curve, sweep
from app.losses.curves import CURVES, default_range
from app.losses.registry import LOSSES, by_family, has_curve
from app.losses.result import LossResult
from app.losses.spec import LossSpec, Preset
from app.web.lab import forms
from app.web.lab.mathml import to_mathml
from app.web.lab.svg import Marker, Series, line_chart
from app.web.urls import API

LOSSES_API = f"{API}/losses"

OVERLAY_PARAMS = {"beta": 1.0}
OVERLAY_RANGE = (-5.0, 5.0)


def jsonable(value: Any) -> Any:
    """numpy arrays and scalars → lists and Python numbers, recursively."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value


def _paper(ref) -> dict[str, Any]:
    return {
        "arxiv": ref.arxiv,
        "citation": ref.citation,
        "where": ref.where,
        "paper_id": ref.paper_id,
        "role": ref.role,
        "url": f"/papers/{ref.paper_id}" if ref.paper_id else f"https://arxiv.org/abs/{ref.arxiv}",
    }


def summary(spec: LossSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "name": spec.name,
        "family": spec.family,
        "summary": spec.summary,
        "formula": spec.formula,
        "paper_ids": spec.paper_ids,
        "papers": [_paper(ref) for ref in spec.papers],
        "has_curve": has_curve(spec.id),
        "url": f"{LOSSES_API}/{spec.id}",
        "page_url": f"/losses/{spec.id}",
    }


def _preset(preset: Preset) -> dict[str, Any]:
    return {
        "name": preset.name,
        "description": preset.description,
        "inputs": dict(preset.inputs),
        "params": dict(preset.params),
    }


def detail(spec: LossSpec) -> dict[str, Any]:
    return {
        **summary(spec),
        "inputs": [
            {
                "name": item.name,
                "kind": item.kind,
                "shape": item.shape,
                "meaning": item.meaning,
                "optional": item.optional,
            }
            for item in spec.inputs
        ],
        "params": [
            {
                "name": param.name,
                "kind": param.kind,
                "default": list(param.default)
                if isinstance(param.default, tuple)
                else param.default,
                "range": param.range_text(),
                "choices": list(param.choices),
                "meaning": param.meaning,
            }
            for param in spec.params
        ],
        "presets": [_preset(preset) for preset in spec.presets],
        "per_example": spec.per_example,
        "trl": spec.trl,
        "notes": list(spec.notes),
        "curve_margin": CURVES[spec.id].margin if has_curve(spec.id) else None,
    }


def catalog() -> dict[str, Any]:
    return {"losses": [summary(spec) for spec in LOSSES.values()]}


def result_json(result: LossResult) -> dict[str, Any]:
    def arr(value: np.ndarray | None) -> list[float] | None:
        return None if value is None else value.tolist()

    return {
        "loss": result.loss,
        "per_example": arr(result.per_example),
        "chosen_rewards": arr(result.chosen_rewards),
        "rejected_rewards": arr(result.rejected_rewards),
        "details": jsonable(result.details),
    }


def curve_json(loss_id: str, params: Mapping[str, Any], **bounds: Any) -> dict[str, Any]:
    data = curve(loss_id, params, **bounds)
    return {"loss_id": loss_id, **jsonable(data)}


# ------------------------------------------------------------------------------------ pages


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_fmt(item) for item in value) + "]"
    return str(value)


OVERLAY_DEFAULT = ("dpo", "ipo", "hinge", "simpo", "kto")


def overlay_chart(shown: list[str] | None = None) -> str:
    """The chosen curve-bearing losses on one chart: β = 1, other params at their defaults."""
    series = []
    chosen = [k for k in CURVES if k in (shown or OVERLAY_DEFAULT)]
    for loss_id in chosen:
        spec = LOSSES[loss_id]
        params = {k: v for k, v in OVERLAY_PARAMS.items() if any(p.name == k for p in spec.params)}
        data = curve(loss_id, params, lo=OVERLAY_RANGE[0], hi=OVERLAY_RANGE[1], points=161)
        series.append(Series(loss_id, data["margins"], data["loss"]))
    return line_chart(
        series,
        chart_id="overlay",
        title="Pairwise losses against their margin (β = 1, other parameters at defaults)",
        x_label="margin (each loss's own; see its page)",
        y_label="loss",
        y_limits=(-1.0, 5.0),
        height=380,
    )


def catalog_page(shown: list[str] | None = None) -> dict[str, Any]:
    if shown is not None:
        unknown = [k for k in shown if k not in CURVES]
        if unknown:
            raise InvalidInput(
                f"show={unknown[0]!r} has no margin curve; losses with one are listed in details",
                list(CURVES),
            )
    families = [
        {
            "family": family,
            "losses": [{**summary(spec), "mathml": to_mathml(spec.formula)} for spec in specs],
        }
        for family, specs in by_family()
    ]
    return {
        "families": families,
        "overlay_svg": overlay_chart(shown),
        "overlay_choices": [{"id": k, "checked": k in (shown or OVERLAY_DEFAULT)} for k in CURVES],
        "overlay_params": OVERLAY_PARAMS,
        "json_url": LOSSES_API,
        "nav_section": "losses",
    }


# Losses whose per-example value is a function of Δ alone (with these options), so each of the
# user's pairs lies on the curve at its own margin.
ON_THE_CURVE = {"dpo", "ipo", "robust-dpo", "hinge", "discopop", "exo-pair"}


def example_markers(
    spec: LossSpec, params: Mapping[str, Any], result: LossResult | None
) -> list[Marker]:
    """The user's pairs as points (Δ_i, ℓ_i) on the curve, where they do lie on it."""
    if result is None or spec.id not in ON_THE_CURVE or result.chosen_rewards is None:
        return []
    if params.get("f_divergence_type", "reverse_kl") != "reverse_kl" or params.get("use_weighting"):
        return []
    margins = (result.chosen_rewards - result.rejected_rewards) / params["beta"]
    return [
        Marker(float(m), float(v), f"example {i}")
        for i, (m, v) in enumerate(zip(margins, result.per_example, strict=True))
        if np.isfinite(m)
    ][:200]


def curve_charts(
    spec: LossSpec,
    params: Mapping[str, Any],
    *,
    result: LossResult | None = None,
    fixed_axis: bool = False,
) -> list[str]:
    """Two charts, loss and slope, since the slope is often an order of magnitude smaller.

    ``fixed_axis`` keeps the x range of the default parameters, so moving β visibly changes the
    curve instead of rescaling the axis with it.
    """
    if not has_curve(spec.id):
        return []
    bounds = {}
    if fixed_axis:
        lo, hi = default_range(spec.id, spec.defaults())
        bounds = {"lo": lo, "hi": hi}
    data = curve(spec.id, params, **bounds)
    margins = data["margins"]
    lo, hi = float(margins[0]), float(margins[-1])
    markers = [m for m in example_markers(spec, params, result) if lo <= m.x <= hi]
    return [
        line_chart(
            [Series("loss", margins, data["loss"])],
            chart_id=f"curve-{spec.id}",
            title=f"{spec.name}: loss against the margin"
            + (", with your examples as points" if markers else ""),
            x_label=data["margin"],
            y_label="loss",
            markers=markers,
        ),
        line_chart(
            [Series("d loss / d margin", margins, data["dloss_dmargin"], dashed=True)],
            chart_id=f"slope-{spec.id}",
            title=f"{spec.name}: d loss / d margin",
            x_label=data["margin"],
            y_label="d loss / d margin",
        ),
    ]


def _form_fields(
    spec: LossSpec, inputs: Mapping[str, Any], params: Mapping[str, Any], raw: Mapping[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """Form rows; ``raw`` (what the user typed) wins over formatted values, to fix errors."""
    input_rows = []
    for item in spec.inputs:
        field = forms.input_field(item.name)
        text = raw[field] if field in raw else forms.format_input(item, inputs.get(item.name))
        input_rows.append(
            {
                "field": field,
                "name": item.name,
                "shape": item.shape,
                "meaning": item.meaning,
                "optional": item.optional,
                "text": text,
                "rows": 4 if item.kind == "ragged" else 2,
            }
        )
    param_rows = []
    for param in spec.params:
        field = forms.param_field(param.name)
        value = params.get(param.name, param.default)
        param_rows.append(
            {
                "field": field,
                "name": param.name,
                "meaning": param.meaning,
                "range": param.range_text(),
                "default": forms.format_param(param.default),
                "text": raw[field] if field in raw else forms.format_param(value),
                "choices": list(param.choices) if param.kind == "choice" else [],
                "kind": param.kind,
                # A slider needs a finite range; the widest ones are capped to a useful stretch.
                "slider": _slider(param),
            }
        )
    return {"inputs": input_rows, "params": param_rows}


def _slider(param: Any) -> dict[str, float] | None:
    if param.kind != "float" or param.low is None or param.high is None:
        return None
    high = min(param.high, max(10.0, 10 * float(param.default or 0)))
    return {"min": param.low, "max": high, "step": (high - param.low) / 200}


def _result_view(result: LossResult) -> dict[str, Any]:
    scalars = [("loss", _fmt(result.loss))]
    lists = []
    for key, value in result.details.items():
        if isinstance(value, (list, tuple, np.ndarray)):
            lists.append((key, _fmt(value)))
        else:
            scalars.append((key, _fmt(value)))
    per = result.per_example
    chosen, rejected = result.chosen_rewards, result.rejected_rewards
    paired = (
        per is not None and chosen is not None and rejected is not None and len(chosen) == len(per)
    )
    headers = ["#", "per-example"] + (
        ["chosen reward", "rejected reward", "reward margin"] if paired else []
    )
    rows = []
    for i in range(0 if per is None else len(per)):
        cells = [str(i), _fmt(per[i])]
        if paired:
            cells += [_fmt(chosen[i]), _fmt(rejected[i]), _fmt(chosen[i] - rejected[i])]
        rows.append(cells)
    unpaired_rewards = []
    if not paired:
        for label, value in (("chosen / desirable", chosen), ("rejected / undesirable", rejected)):
            if value is not None:
                unpaired_rewards.append((label, _fmt(value)))
    return {
        "scalars": scalars,
        "lists": lists,
        "headers": headers,
        "rows": rows,
        "unpaired_rewards": unpaired_rewards,
    }


def sweep_chart(
    spec: LossSpec, inputs: Mapping[str, Any], params: Mapping[str, Any], loss: float
) -> str | None:
    """The batch loss on these inputs against β, with the current β marked."""
    try:
        data = sweep(spec.id, inputs, params, param="beta", points=41)
    except InvalidInput:  # an overflow somewhere on the range must not hide the result
        return None
    return line_chart(
        [Series("loss", data["values"], data["loss"])],
        chart_id=f"sweep-{spec.id}",
        title=f"{spec.name}: loss on these inputs against β",
        x_label="β",
        y_label="loss",
        markers=[Marker(float(params["beta"]), loss, f"β = {params['beta']:g}")],
    )


def loss_page(
    spec: LossSpec,
    *,
    inputs: Mapping[str, Any],
    params: Mapping[str, Any],
    preset: str | None,
    result: LossResult | None,
    errors: list[dict[str, Any]],
    raw: Mapping[str, str] | None = None,
    defaulted: list[str] | None = None,
) -> dict[str, Any]:
    """Context of ``loss.html``: the entry, the form, the result (or errors) and the curve."""
    effective = {**spec.defaults(), **{k: v for k, v in params.items() if k in spec.defaults()}}
    charts: list[str] = []
    if not any(e["field"].startswith("params.") for e in errors):
        try:
            fixed = (raw or {}).get("chart.axis") == "fixed"
            charts = curve_charts(spec, effective, result=result, fixed_axis=fixed)
        except InvalidInput:  # a curve that overflows must not hide the result
            charts = []
    sweep_svg = None
    if result is not None and any(p.name == "beta" and p.kind == "float" for p in spec.params):
        sweep_svg = sweep_chart(spec, inputs, effective, result.loss)
    return {
        "sweep_svg": sweep_svg,
        # Parameters left empty: shown with their default value and named in a notice.
        "defaulted": [
            {"name": name, "default": forms.format_param(spec.defaults()[name])}
            for name in defaulted or []
        ],
        "loss": detail(spec),
        "mathml": to_mathml(spec.formula),
        "form": _form_fields(
            spec, inputs, params, {k: v for k, v in (raw or {}).items() if v.strip()}
        ),
        "preset": preset,
        "result": None if result is None else _result_view(result),
        "result_json": None if result is None else result_json(result),
        # Errors name the field as its form label does (the input or parameter name alone).
        "errors": [{**e, "label": e["field"].split(".", 1)[-1]} for e in errors],
        "curve_svgs": charts,
        "fixed_axis": (raw or {}).get("chart.axis") == "fixed",
        "json_url": f"{LOSSES_API}/{spec.id}",
        "nav_section": "losses",
        "curve_json_url": f"{LOSSES_API}/{spec.id}/curve" if has_curve(spec.id) else None,
    }
