"""Property tests (hypothesis) for the loss lab: the identities the papers state, on random batches.

Each property is checked on the loss functions of :mod:`app.losses` directly (or through
:func:`app.losses.compute.compute`, the validated entry point the API uses).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import AtlasError, InvalidInput
from app.losses.compute import compute
from app.losses.pairwise import dpo, ipo
from app.losses.reference_free import cpo, simpo
from app.losses.registry import LOSSES
from app.losses.spec import InputSpec, ParamSpec

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
LOG2 = math.log(2.0)
# "In range" means the spec's allowed range at realistic magnitudes: sequence log-probs down to
# -1000 (a long completion), per-token log-probs down to -20, β and other open-at-zero params from
# 1e-3. Beyond that, exp(Δ) or 1/β² can overflow float64; compute() then answers 422 naming the
# overflow (test_extreme_inputs_give_finite_results_or_a_422), never a NaN or an exception.
LOGP_FLOOR = -1000.0
TOKEN_LOGP_FLOOR = -20.0
VALUE_BOUND = 1000.0
OPEN_LOW = 1e-3

betas = st.floats(1e-3, 100.0)
sizes = st.integers(1, 16)


def logps(n: int, *, floor: float = LOGP_FLOOR) -> st.SearchStrategy[np.ndarray]:
    return st.lists(st.floats(floor, 0.0), min_size=n, max_size=n).map(np.array)


# --- finite in, finite out ------------------------------------------------------------------


def _value(item: InputSpec, draw: Any, extreme: bool) -> float:
    if item.name == "old_logps" and not extreme:
        # RLOO's ratio is per sequence, exp(Σθ − old): real old log-probs sit near the drawn
        # tokens' sum (≥ −20 per token), not a free draw down to −1000, whose ratio overflows.
        return draw(st.floats(-20.0, 0.0))
    high = VALUE_BOUND if item.max_value is None else item.max_value
    if item.kind == "ragged" and not extreme:
        low, high = (TOKEN_LOGP_FLOOR, high) if item.max_value == 0.0 else (-20.0, 20.0)
    else:
        low = LOGP_FLOOR if item.max_value == 0.0 else -VALUE_BOUND
    if extreme:
        low, high = (-1e300, high) if item.max_value == 0.0 else (-1e300, 1e300)
    if item.min_value is not None:
        low = max(low, item.min_value)
    return draw(st.floats(low, high, exclude_max=item.max_exclusive))


def _like(item: InputSpec, template: Any, draw: Any, extreme: bool = False) -> Any:
    """A value with the preset's shape, every number redrawn within the input's range."""
    if isinstance(template, list):
        return [_like(item, value, draw, extreme) for value in template]
    if isinstance(template, bool):
        return template
    return _value(item, draw, extreme)


def _param(spec: ParamSpec, preset: dict[str, Any], draw: Any, extreme: bool = False) -> Any:
    if spec.name in preset or spec.kind == "int":
        return preset.get(spec.name, spec.default)  # ints fix group sizes that must divide n
    if spec.name == "f_divergence_type" and not extreme:
        # forward KL's score 1 − e^(−ρ) overflows for ρ < −709 (in TRL as here): extreme test.
        return draw(st.sampled_from(("reverse_kl", "js_divergence", "alpha_divergence")))
    if spec.kind == "choice":
        return draw(st.sampled_from(spec.choices))
    if spec.kind == "choices":  # a mixture's loss types; their weights are then left at 1
        return draw(st.lists(st.sampled_from(spec.choices), min_size=1, max_size=4, unique=True))
    if spec.kind == "floats":
        return None
    if spec.default is None and spec.nullable:
        return None
    if spec.name == "alpha" and not extreme:
        # AlphaPO's e^(−αℓ) at ℓ = −1000 (a summed log-prob) stays representable for |α| ≤ 0.1.
        return draw(st.floats(-0.1, 0.1))
    if spec.kind == "bool":
        return draw(st.booleans())
    low = 0.0 if spec.low is None else spec.low
    high = low + 100.0 if spec.high is None else spec.high
    if spec.low_open and not extreme:
        return draw(st.floats(max(low, OPEN_LOW), high, exclude_max=spec.high_open))
    return draw(st.floats(low, high, exclude_min=spec.low_open, exclude_max=spec.high_open))


@st.composite
def loss_request(
    draw: Any, loss_id: str, extreme: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = LOSSES[loss_id]
    preset = draw(st.sampled_from(spec.presets))
    inputs = {
        name: _like(spec.input(name), value, draw, extreme) for name, value in preset.inputs.items()
    }
    params = {p.name: _param(p, dict(preset.params), draw, extreme) for p in spec.params}
    return inputs, params


def _finite(value: Any) -> bool:
    return value is None or bool(np.isfinite(np.asarray(value, dtype=float)).all())


@pytest.mark.parametrize("loss_id", sorted(LOSSES))
def test_finite_inputs_in_range_give_finite_outputs(loss_id: str) -> None:
    @SETTINGS
    @given(request=loss_request(loss_id))
    def check(request: tuple[dict[str, Any], dict[str, Any]]) -> None:
        inputs, params = request
        try:
            result = compute(loss_id, inputs, params)
        except AtlasError as exc:
            # A loss's own consistency rule may refuse a redrawn batch (e.g. a GRPO group whose
            # rewards no longer match); an overflow would name "finite" and is a failure.
            assert isinstance(exc, InvalidInput)
            assert not any("finite" in str(d) or "overflow" in str(d) for d in exc.details), exc
            return
        assert math.isfinite(result.loss)
        for name in ("per_example", "chosen_rewards", "rejected_rewards"):
            assert _finite(getattr(result, name)), name

    check()


@pytest.mark.parametrize("loss_id", sorted(LOSSES))
def test_extreme_inputs_give_finite_results_or_a_422(loss_id: str) -> None:
    @SETTINGS
    @given(request=loss_request(loss_id, extreme=True))
    def check(request: tuple[dict[str, Any], dict[str, Any]]) -> None:
        inputs, params = request
        try:
            result = compute(loss_id, inputs, params)
        except AtlasError as exc:
            assert isinstance(exc, InvalidInput)
            return
        assert math.isfinite(result.loss)
        for name in ("per_example", "chosen_rewards", "rejected_rewards"):
            assert _finite(getattr(result, name)), name

    check()


# --- documented identities ---------------------------------------------------------------


@SETTINGS
@given(data=st.data(), n=sizes, beta=betas, eps=st.floats(0.0, 0.5))
def test_dpo_at_zero_margin_is_log_2(data: Any, n: int, beta: float, eps: float) -> None:
    chosen, reference = data.draw(logps(n)), data.draw(logps(n))
    # Δ = (π_w − ref_w) − (π_l − ref_l) = 0 exactly when the pair's two sides are equal.
    result = dpo(
        policy_chosen_logps=chosen.copy(),
        policy_rejected_logps=chosen.copy(),
        reference_chosen_logps=reference.copy(),
        reference_rejected_logps=reference.copy(),
        beta=beta,
        label_smoothing=eps,
    )
    np.testing.assert_allclose(result.per_example, LOG2, rtol=1e-12)
    assert result.loss == pytest.approx(LOG2, rel=1e-12)


@SETTINGS
@given(data=st.data(), n=sizes, beta=betas, nll=st.floats(0.0, 50.0))
def test_simpo_with_gamma_zero_equals_cpo_without_nll(
    data: Any, n: int, beta: float, nll: float
) -> None:
    chosen, rejected = data.draw(logps(n, floor=-50.0)), data.draw(logps(n, floor=-50.0))
    simpo_result = simpo(
        policy_chosen_logps=chosen, policy_rejected_logps=rejected, beta=beta, gamma=0.0
    )
    cpo_result = cpo(
        policy_chosen_logps=chosen,
        policy_rejected_logps=rejected,
        nll_loss=nll,
        beta=beta,
        cpo_alpha=0.0,
    )
    np.testing.assert_allclose(simpo_result.per_example, cpo_result.per_example, rtol=1e-12)
    assert simpo_result.loss == pytest.approx(cpo_result.loss, rel=1e-12)


PERMUTABLE = sorted(
    loss_id
    for loss_id, spec in LOSSES.items()
    # Groups are consecutive runs; AOT matches sorted ranks, so its values are per rank.
    if loss_id not in ("grpo-advantages", "rloo-advantages", "aot", "aot-pair")
)


@pytest.mark.parametrize("loss_id", PERMUTABLE)
def test_permuting_pairs_permutes_per_example_losses(loss_id: str) -> None:
    spec = LOSSES[loss_id]
    # The batch axis: inputs sharing the first input's length symbol (KTO's KL batch has its own).
    axis = spec.inputs[0].length

    @SETTINGS
    @given(request=loss_request(loss_id), data=st.data())
    def check(request: tuple[dict[str, Any], dict[str, Any]], data: Any) -> None:
        inputs, params = request
        try:
            base = compute(loss_id, inputs, params)
        except AtlasError:
            return
        n = len(base.per_example)
        order = data.draw(st.permutations(range(n)))
        permuted = {
            name: (
                [value[i] for i in order]
                if spec.input(name).length == axis and isinstance(value, list)
                else value
            )
            for name, value in inputs.items()
        }
        moved = compute(loss_id, permuted, params)
        np.testing.assert_allclose(
            moved.per_example, np.asarray(base.per_example)[order], rtol=1e-9, atol=1e-12
        )
        assert moved.loss == pytest.approx(base.loss, rel=1e-9, abs=1e-12)

    check()


@SETTINGS
@given(beta=st.floats(0.01, 100.0), other=st.floats(-100.0, 100.0))
def test_ipo_is_minimised_at_half_inverse_beta(beta: float, other: float) -> None:
    def loss_at(margin: float) -> float:
        # ρ_w − ρ_l = margin, with every log-prob ≤ 0 as the inputs require.
        offset = -(abs(margin) + 1.0)
        z = np.array([offset])
        return ipo(
            policy_chosen_logps=z + margin,
            policy_rejected_logps=z.copy(),
            reference_chosen_logps=np.zeros(1),
            reference_rejected_logps=np.zeros(1),
            beta=beta,
        ).loss

    best = 1.0 / (2.0 * beta)
    at_best = loss_at(best)
    assert at_best == pytest.approx(0.0, abs=1e-9 * (1 + best**2))
    assert at_best <= loss_at(other) + 1e-9 * (1 + best**2)
    assert at_best <= loss_at(best * 1.01) and at_best <= loss_at(best * 0.99)


def test_overflow_in_both_directions_is_a_quiet_422() -> None:
    """Found by the extreme-input property: per-example values of +inf and -inf made the finiteness
    check's sum warn ("invalid value encountered in reduce") before it answered 422."""
    zero = [0.0, 0.0]
    inputs = {
        "policy_chosen_logps": [0.0, -1e307],
        "policy_rejected_logps": [-1e307, 0.0],
        "reference_chosen_logps": zero,
        "reference_rejected_logps": zero,
    }
    with pytest.raises(AtlasError) as caught:
        compute("robust-dpo", inputs, {"beta": 100.0})
    assert isinstance(caught.value, InvalidInput)
    assert "overflows" in caught.value.message
