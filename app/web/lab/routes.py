"""Loss lab routes: the JSON API (``api_router``) and the HTML pages (``page_router``).

Handlers are thin: parse, call :mod:`app.losses` (``compute``, ``views``), render. The page and
its JSON twin are built by the same functions in :mod:`app.web.lab.views`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from app.errors import InvalidInput
from app.losses.compute import MAX_SWEEP_POINTS, compute, sweep
from app.losses.registry import get_spec
from app.losses.registry_pairwise import PAIRS
from app.web.api.params import reject_unknown_params
from app.web.caching import CachedPageRoute
from app.web.deps import TemplatesDep
from app.web.errors import ApiError
from app.web.lab import forms, views
from app.web.urls import API
from app.web.work import HeavyDep, run_heavy

api_router = APIRouter(
    prefix=f"{API}/losses", tags=["losses"], dependencies=[Depends(reject_unknown_params)]
)
page_router = APIRouter(include_in_schema=False, route_class=CachedPageRoute)

CURVE_QUERY = ("beta", "label_smoothing", "gamma", "tau", "center_rewards_coefficient", "cpo_alpha")

# ------------------------------------------------------------------------------------ models


class ErrorDetail(BaseModel):
    status: int
    message: str
    details: list[Any]


class ErrorBody(BaseModel):
    error: ErrorDetail


ERRORS = {
    404: {"model": ErrorBody, "description": "Unknown loss id; `details` lists the valid ids."},
    422: {
        "model": ErrorBody,
        "description": "Invalid inputs or params; each entry of `details` names the field.",
    },
}
# A body that is not readable JSON at all (e.g. not UTF-8) fails before validation, and the app
# refuses bodies over 1 MiB; found by the schemathesis run (tests/test_fuzz_api.py).
BODY_ERRORS = {
    400: {"model": ErrorBody, "description": "The body could not be parsed (not UTF-8 JSON)."},
    413: {"model": ErrorBody, "description": "The body is larger than 1 MiB."},
}


class PaperRefOut(BaseModel):
    arxiv: str
    citation: str
    where: str = Field(description="Where in the paper, e.g. 'Eq. 7'.")
    paper_id: str | None = Field(description="Id in the knowledge base, if the paper is there.")
    role: str
    url: str


class LossSummary(BaseModel):
    id: str
    name: str
    family: str
    summary: str
    formula: str = Field(description="The per-example loss in LaTeX.")
    paper_ids: list[str]
    papers: list[PaperRefOut]
    has_curve: bool
    url: str
    page_url: str


class LossCatalog(BaseModel):
    losses: list[LossSummary]

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"losses": [views.summary(get_spec("dpo"))]}]}
    )


class InputOut(BaseModel):
    name: str
    kind: str
    shape: str
    meaning: str
    optional: bool


class ParamOut(BaseModel):
    name: str
    kind: str
    default: bool | int | float | str | list[str] | list[float] | None
    range: str
    choices: list[str]
    meaning: str


class PresetOut(BaseModel):
    name: str
    description: str
    inputs: dict[str, Any]
    params: dict[str, Any]


class LossDetail(LossSummary):
    inputs: list[InputOut]
    params: list[ParamOut]
    presets: list[PresetOut]
    per_example: str = Field(description="What `per_example` holds in a result.")
    trl: str = Field(description="The matching code in Hugging Face TRL.")
    notes: list[str]
    curve_margin: str | None = Field(description="The x axis of the curve, if the loss has one.")

    model_config = ConfigDict(json_schema_extra={"examples": [views.detail(get_spec("dpo"))]})


class LossRequest(BaseModel):
    """Inputs by TRL's names (lists of numbers, or lists of lists for per-token inputs)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"inputs": PAIRS, "params": {"beta": 0.1}}]},
    )

    inputs: dict[str, Any]
    params: dict[str, Any] = Field(default_factory=dict)


class LossResultOut(BaseModel):
    loss: float
    per_example: list[float] | None
    chosen_rewards: list[float] | None
    rejected_rewards: list[float] | None
    details: dict[str, Any]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "loss": 0.6662134665883964,
                    "per_example": [0.3132617, 0.6209571, 1.037488, 0.6931472],
                    "chosen_rewards": [0.3, 0.05, -0.4, 0.0],
                    "rejected_rewards": [-0.7, -0.1, 0.2, 0.0],
                    "details": {"reward_accuracy": 0.5, "reward_margin": 0.2375},
                }
            ]
        }
    )


class CurveOut(BaseModel):
    loss_id: str
    margin: str = Field(description="What the margin (x axis) is for this loss.")
    params: dict[str, Any]
    margins: list[float]
    loss: list[float]
    dloss_dmargin: list[float] = Field(description="Analytic d loss / d margin at each margin.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "loss_id": "dpo",
                    "margin": "Δ = ρ_w − ρ_l",
                    "params": {"beta": 0.1, "label_smoothing": 0.0},
                    "margins": [-50.0, 0.0, 50.0],
                    "loss": [5.006715348489118, 0.6931471805599453, 0.006715348489118068],
                    "dloss_dmargin": [-0.09933071490757153, -0.05, -0.0006692850924284857],
                }
            ]
        }
    )


# --------------------------------------------------------------------------------------- API


@api_router.get(
    "",
    summary="List the losses",
    description="Every loss in the lab with its family, LaTeX formula and source papers.",
    response_model=LossCatalog,
)
def list_losses() -> dict[str, Any]:
    return views.catalog()


@api_router.get(
    "/{loss_id}",
    summary="Describe one loss",
    description="Formula, papers, inputs (TRL's names and shapes), params with defaults and "
    "allowed ranges, toy presets, and where TRL departs from the paper.",
    response_model=LossDetail,
    responses={404: ERRORS[404]},
)
def describe_loss(loss_id: str) -> dict[str, Any]:
    return views.detail(get_spec(loss_id))


def known_loss(loss_id: str) -> None:
    """An unknown loss is a 404 before its body is validated (no 422 for a resource that is
    not there)."""
    get_spec(loss_id)


KnownLoss = Depends(known_loss)


@api_router.post(
    "/{loss_id}",
    summary="Compute a loss on your inputs",
    description="Evaluates the loss on `inputs` (at most 10,000 elements each) with `params` "
    "(defaults filled in). Returns the mean loss, per-example values, implicit rewards where "
    "the loss defines them, and loss-specific details.",
    response_model=LossResultOut,
    responses={**ERRORS, **BODY_ERRORS},
    dependencies=[KnownLoss, HeavyDep],
)
def compute_loss(loss_id: str, body: Annotated[LossRequest, Body()]) -> dict[str, Any]:
    return views.result_json(compute(loss_id, body.inputs, body.params))


class SweepRequest(LossRequest):
    """A loss request plus the parameter to sweep and its range."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"inputs": PAIRS, "params": {}, "param": "beta", "lo": 0.05, "hi": 1.0, "points": 5}
            ]
        },
    )

    param: str = Field("beta", description="A float parameter of the loss.")
    lo: float | None = Field(None, description="Start of the range (default: its lower bound).")
    hi: float | None = Field(None, description="End of the range (default: capped upper bound).")
    points: int = Field(41, description=f"Number of values, 2 to {MAX_SWEEP_POINTS}.")


class SweepOut(BaseModel):
    param: str
    values: list[float]
    loss: list[float] = Field(description="The batch loss at each value of the parameter.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"param": "beta", "values": [0.1, 0.55, 1.0], "loss": [0.666, 0.586, 0.589]}
            ]
        }
    )


@api_router.post(
    "/{loss_id}/sweep",
    summary="The loss over a range of one parameter",
    description="Evaluates the loss on `inputs` at `points` evenly spaced values of `param` "
    "(e.g. beta) in [`lo`, `hi`], the other params fixed: the data of a 'loss against β' plot.",
    response_model=SweepOut,
    responses={**ERRORS, **BODY_ERRORS},
    dependencies=[KnownLoss, HeavyDep],
)
def sweep_loss(loss_id: str, body: Annotated[SweepRequest, Body()]) -> dict[str, Any]:
    return sweep(
        loss_id,
        body.inputs,
        body.params,
        param=body.param,
        lo=body.lo,
        hi=body.hi,
        points=body.points,
    )


@api_router.get(
    "/{loss_id}/curve",
    summary="Loss and its slope against the margin",
    description="For the pairwise and reward-model losses: the loss and its analytic derivative "
    "with respect to the margin (how much weight a gradient step gives an example) at `points` "
    "margins in [`lo`, `hi`] (default ±5/β, or ±5 when β does not scale the margin). Query "
    "parameters other than lo, hi and points are the loss's own params.",
    response_model=CurveOut,
    responses=ERRORS,
    dependencies=[HeavyDep],
)
def loss_curve(
    request: Request,
    loss_id: str,
    beta: float | None = None,
    label_smoothing: float | None = None,
    gamma: float | None = None,
    tau: float | None = None,
    center_rewards_coefficient: float | None = None,
    cpo_alpha: float | None = None,
    lo: float | None = None,
    hi: float | None = None,
    points: Annotated[int, Query(description="Number of margins, 2 to 1001.")] = 201,
) -> dict[str, Any]:
    get_spec(loss_id)
    allowed = {*CURVE_QUERY, "lo", "hi", "points"}
    unknown = [name for name in request.query_params if name not in allowed]
    if unknown:
        raise ApiError(
            422,
            f"unknown query parameter {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}",
            [{"field": f"query.{name}", "message": "is not a parameter"} for name in unknown],
        )
    given = {"beta": beta, "label_smoothing": label_smoothing, "gamma": gamma, "tau": tau}
    given |= {"center_rewards_coefficient": center_rewards_coefficient, "cpo_alpha": cpo_alpha}
    params = {name: value for name, value in given.items() if value is not None}
    return views.curve_json(loss_id, params, lo=lo, hi=hi, points=points)


# ------------------------------------------------------------------------------------- pages


@page_router.get("/losses", response_class=HTMLResponse, name="losses_page")
def losses_page(request: Request, templates: TemplatesDep):
    shown = request.query_params.getlist("show") or None
    return templates.TemplateResponse(request, "losses.html", views.catalog_page(shown))


@page_router.get(
    "/losses/{loss_id}", response_class=HTMLResponse, name="loss_page", dependencies=[HeavyDep]
)
def loss_page(request: Request, templates: TemplatesDep, loss_id: str, preset: str | None = None):
    spec = get_spec(loss_id)
    fields = ("inputs.", "params.", "chart.")
    state = {k: v for k, v in request.query_params.items() if k.startswith(fields)}
    if state:  # a shared or bookmarked state: the form's fields, carried in the URL
        return _form_page(request, templates, spec, state)
    names = [p.name for p in spec.presets]
    if preset is not None and preset not in names:
        raise ApiError(404, f"loss {loss_id!r} has no preset {preset!r}", names)
    chosen = next(p for p in spec.presets if preset in (None, p.name))
    result = compute(loss_id, chosen.inputs, chosen.params)
    context = views.loss_page(
        spec,
        inputs=chosen.inputs,
        params=chosen.params,
        preset=chosen.name,
        result=result,
        errors=[],
    )
    return templates.TemplateResponse(request, "loss.html", context)


@page_router.post("/losses/{loss_id}", response_class=HTMLResponse, name="loss_page_post")
async def loss_page_post(request: Request, templates: TemplatesDep, loss_id: str):
    spec = get_spec(loss_id)
    raw = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    # The computation (up to 10,000 elements a field) runs in a worker thread, off the loop.
    return await run_heavy(request, lambda: _form_page(request, templates, spec, raw))


def _form_page(request: Request, templates: Any, spec: Any, raw: dict[str, str]) -> HTMLResponse:
    """The loss page for a submitted or shared form state (synchronous: call it from a worker
    thread)."""
    loss_id = spec.id
    inputs, params, errors = forms.parse_form(spec, raw)
    result = None
    try:
        computed = compute(loss_id, inputs, params)
        result = None if errors else computed
    except InvalidInput as exc:
        unparsed = {error["field"] for error in errors}
        errors += [error for error in exc.details if error["field"] not in unparsed]
    context = views.loss_page(
        spec,
        inputs=inputs,
        params=params,
        preset=None,
        result=result,
        errors=errors,
        raw=raw,
        defaulted=forms.empty_params(spec, raw),
    )
    status = 422 if errors else 200
    return templates.TemplateResponse(request, "loss.html", context, status_code=status)
