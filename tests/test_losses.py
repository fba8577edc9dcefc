"""The loss library, without a server: every registered loss against values worked out by hand
or in closed form from its paper, numerical stability, batch sizes, symmetry, gradients, and
every way a request can be invalid."""

from __future__ import annotations

import doctest
import importlib
import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from app.errors import AtlasError, InvalidInput, NotFound
from app.losses.compute import MAX_ELEMENTS, compute, curve
from app.losses.curves import CURVES, margin_curve
from app.losses.registry import LOSSES, get_spec
from app.web.lab import forms
from app.web.lab.mathml import to_mathml
from app.web.lab.svg import Series, line_chart

REPO = Path(__file__).resolve().parent.parent
PAPERS = REPO / "data" / "taxonomy" / "papers"
LN2 = math.log(2.0)
REF_FOUR = (
    "policy_chosen_logps",
    "policy_rejected_logps",
    "reference_chosen_logps",
    "reference_rejected_logps",
)
# Losses of one pair at a time on the four summed inputs (AOT sorts across the batch, dpo-norm
# and the mixture need more inputs).
REF_LOSSES = [
    k
    for k, s in LOSSES.items()
    if tuple(i.name for i in s.inputs[:4]) == REF_FOUR
    and k not in ("aot", "aot-pair", "dpo-norm", "mixture")
]


def softplus(x: float) -> float:  # log(1 + e^x), written out for hand values
    return math.log1p(math.exp(x))


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def ratios(rho_w: list[float], rho_l: list[float]) -> dict[str, list[float]]:
    """Reference-based inputs with log-ratios rho_w and rho_l (every log-prob ≤ −10)."""
    ref_w = [-10.0 - abs(r) for r in rho_w]
    ref_l = [-10.0 - abs(r) for r in rho_l]
    return {
        "policy_chosen_logps": [r + ref for r, ref in zip(rho_w, ref_w, strict=True)],
        "policy_rejected_logps": [r + ref for r, ref in zip(rho_l, ref_l, strict=True)],
        "reference_chosen_logps": ref_w,
        "reference_rejected_logps": ref_l,
    }


def loss_of(loss_id: str, inputs: dict, **params) -> float:
    return compute(loss_id, inputs, params).loss


# ------------------------------------------------------------------ hand-computed values


def test_dpo_matches_eq7_by_hand():
    # DPO, arXiv 2305.18290, Eq. 7: −log σ(βΔ). Δ = 10, β = 0.1 → −log σ(1) = log(1 + e^−1).
    result = compute("dpo", ratios([3.0], [-7.0]), {"beta": 0.1})
    assert result.loss == pytest.approx(math.log1p(math.exp(-1.0)), rel=1e-14)
    # Implicit rewards β·ρ (Sec. 5): 0.1·3 and 0.1·(−7).
    assert result.chosen_rewards.tolist() == pytest.approx([0.3])
    assert result.rejected_rewards.tolist() == pytest.approx([-0.7])


def test_cdpo_label_smoothing_mixes_both_directions():
    # cDPO: −(1 − ε) log σ(z) − ε log σ(−z), z = βΔ = 1, ε = 0.25.
    expected = 0.75 * softplus(-1.0) + 0.25 * softplus(1.0)
    assert loss_of("dpo", ratios([3.0], [-7.0]), beta=0.1, label_smoothing=0.25) == pytest.approx(
        expected, rel=1e-14
    )


def test_ipo_eq17_target_margin_and_tie():
    # IPO, arXiv 2310.12036, Eq. 17: (Δ − 1/(2τ))². τ = 0.25: target 2; Δ = 3 → 1; Δ = 0 → 4.
    assert loss_of("ipo", ratios([1.5, 0.0], [-1.5, 0.0]), beta=0.25) == pytest.approx((1 + 4) / 2)
    assert loss_of("ipo", ratios([1.0], [-1.0]), beta=0.25) == 0.0


def test_robust_dpo_is_unbiased_for_dpo_under_label_flips():
    # rDPO, arXiv 2403.00409, Sec. 3: with flip rate ε, (1 − ε)·L̂(Δ) + ε·L̂(−Δ) = L_DPO(Δ).
    eps, beta, delta = 0.2, 0.5, 1.7
    forward = loss_of("robust-dpo", ratios([delta], [0.0]), beta=beta, label_smoothing=eps)
    flipped = loss_of("robust-dpo", ratios([0.0], [delta]), beta=beta, label_smoothing=eps)
    clean = softplus(-beta * delta)
    assert (1 - eps) * forward + eps * flipped == pytest.approx(clean, rel=1e-12)


def test_robust_dpo_closed_form():
    # [(1 − ε) softplus(−z) − ε softplus(z)] / (1 − 2ε) with z = 1, ε = 0.2.
    expected = (0.8 * softplus(-1.0) - 0.2 * softplus(1.0)) / 0.6
    got = loss_of("robust-dpo", ratios([5.0], [-5.0]), beta=0.1, label_smoothing=0.2)
    assert got == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize(
    ("beta_delta", "expected"), [(0.0, 1.0), (0.5, 0.5), (1.0, 0.0), (3.0, 0.0)]
)
def test_hinge_by_hand(beta_delta, expected):
    # SLiC-HF hinge as in TRL: max(0, 1 − βΔ), β = 0.5.
    delta = beta_delta / 0.5
    assert loss_of("hinge", ratios([delta], [0.0]), beta=0.5) == pytest.approx(expected)


def test_nca_by_hand():
    # NCA, arXiv 2402.05369, Sec. 4: −log σ(a) − ½ log σ(−a) − ½ log σ(−b), a = βρ_w, b = βρ_l.
    expected = softplus(-1.0) + 0.5 * softplus(1.0) + 0.5 * softplus(-1.0)
    assert loss_of("nca", ratios([2.0], [-2.0]), beta=0.5) == pytest.approx(expected, rel=1e-14)
    assert loss_of("nca", ratios([0.0], [0.0])) == pytest.approx(2 * LN2, rel=1e-14)


def test_sppo_hard_targets():
    # SPPO, arXiv 2405.00675, Eq. 4.7 with P = 1/0: (ρ_w − 1/(2β))² + (ρ_l + 1/(2β))².
    assert loss_of("sppo-hard", ratios([2.5], [-2.5]), beta=0.2) == 0.0
    assert loss_of("sppo-hard", ratios([0.0], [0.0]), beta=0.2) == pytest.approx(2 * 2.5**2)


def test_apo_zero_and_down_by_hand():
    # APO, arXiv 2408.06266, Eq. 7: (1 − σ(βρ_w)) + σ(βρ_l); Eq. 8: σ(βρ_w) + 1 − σ(βΔ).
    inputs = ratios([2.0], [-1.0])
    assert loss_of("apo-zero", inputs, beta=0.5) == pytest.approx(1 - sig(1.0) + sig(-0.5))
    assert loss_of("apo-down", inputs, beta=0.5) == pytest.approx(sig(1.0) + 1 - sig(1.5))


def test_discopop_blend_limits():
    # DiscoPOP, arXiv 2406.08414, Eq. 5. z = 0: m = ½ → ½ log 2 + ½.
    assert loss_of("discopop", ratios([0.0], [0.0])) == pytest.approx(0.5 * LN2 + 0.5)
    # z = 4 with τ = 0.05: m = σ(80) = 1 to double precision → e^−4.
    assert loss_of("discopop", ratios([20.0], [-20.0]), beta=0.1) == pytest.approx(math.exp(-4))
    # z = −4: m = σ(−80) ≈ 1.8e-35 → −log σ(−4) = softplus(4).
    assert loss_of("discopop", ratios([-20.0], [20.0]), beta=0.1) == pytest.approx(softplus(4.0))


def test_simpo_margin_gamma_gives_log2():
    # SimPO, arXiv 2405.14734, Eq. 6: −log σ(β(ℓ_w − ℓ_l) − γ); β·0.25 = γ = 0.5 → log 2.
    inputs = {"policy_chosen_logps": [-1.0], "policy_rejected_logps": [-1.25]}
    assert loss_of("simpo", inputs) == pytest.approx(LN2, rel=1e-14)
    # Won by 2 nats at β = 2, γ = 0.5: −log σ(3.5).
    inputs = {"policy_chosen_logps": [-0.5], "policy_rejected_logps": [-1.5]}
    assert loss_of("simpo", inputs, beta=2.0, gamma=0.5) == pytest.approx(softplus(-1.5))


def test_cpo_adds_alpha_times_nll():
    # CPO, arXiv 2401.08417, Eq. 3 + NLL: tie → log 2 + α·nll.
    inputs = {"policy_chosen_logps": [-3.0, -8.0], "policy_rejected_logps": [-3.0, -8.0]}
    assert loss_of("cpo", {**inputs, "nll_loss": 0.4}, cpo_alpha=0.5) == pytest.approx(LN2 + 0.2)
    per_pair = compute("cpo", {**inputs, "nll_loss": [0.2, 0.6]}, {"cpo_alpha": 1.0})
    assert per_pair.per_example.tolist() == pytest.approx([LN2 + 0.2, LN2 + 0.6])


def test_orpo_odds_ratio_by_hand():
    # ORPO, arXiv 2403.07691, Eqs. 4, 6, 7. P_w = ½ (odds 1), P_l = 0.2 (odds ¼): odds ratio 4,
    # −λ log σ(log 4) = λ log(1 + ¼).
    inputs = {
        "policy_chosen_logps": [math.log(0.5)],
        "policy_rejected_logps": [math.log(0.2)],
        "nll_loss": 0.7,
    }
    result = compute("orpo", inputs, {"beta": 0.1})
    assert result.loss == pytest.approx(0.7 + 0.1 * math.log(1.25), rel=1e-13)
    assert result.details["log_odds_ratio"].tolist() == pytest.approx([math.log(4.0)])


def test_orpo_stable_near_zero_log_prob():
    # ℓ → 0⁻ means P → 1 and odds → ∞: log odds(ℓ) ≈ −log(−ℓ) must stay finite.
    inputs = {"policy_chosen_logps": [-1e-12], "policy_rejected_logps": [-1.0], "nll_loss": 0.0}
    result = compute("orpo", inputs, {})
    expected_log_odds = (-1e-12 - math.log(-math.expm1(-1e-12))) - (-1 - math.log1p(-math.exp(-1)))
    assert result.details["log_odds_ratio"][0] == pytest.approx(expected_log_odds, rel=1e-9)


def test_bradley_terry_margin_and_centring():
    # InstructGPT, arXiv 2203.02155, Eq. 1; Llama 2 margin (Eq. 2): r_c − r_r = m → log 2.
    inputs = {"chosen_rewards": [1.5], "rejected_rewards": [0.5], "margin": [1.0]}
    assert loss_of("bradley-terry", inputs) == pytest.approx(LN2, rel=1e-14)
    # Centring (arXiv 2312.09244, Eq. 2): + c·(r_c + r_r)² = 0.01·4.
    centred = loss_of("bradley-terry", inputs, center_rewards_coefficient=0.01)
    assert centred == pytest.approx(LN2 + 0.04, rel=1e-14)
    plain = compute("bradley-terry", {"chosen_rewards": [2.0], "rejected_rewards": [0.0]}, {})
    assert plain.loss == pytest.approx(softplus(-2.0))
    assert plain.chosen_rewards.tolist() == [2.0]


def test_kto_by_hand_with_reference_point():
    # KTO, arXiv 2402.01306, Eq. 7. z0 = mean(KL logratios) = 0.5. Desirable ρ = 2.5 (β = 1):
    # w_D·(1 − σ(2)); undesirable ρ = −1.5: w_U·(1 − σ(0.5 + 1.5)). Mean over both.
    inputs = {
        "policy_logps": [-7.5, -11.5],
        "reference_logps": [-10.0, -10.0],
        "labels": [True, False],
        "policy_kl_logps": [-20.0, -30.0],
        "reference_kl_logps": [-21.0, -30.0],
    }
    result = compute("kto", inputs, {"beta": 1.0, "desirable_weight": 2.0})
    assert result.details["kl"] == pytest.approx(0.5)
    assert result.per_example.tolist() == pytest.approx([2 * sig(-2.0), sig(-2.0)], rel=1e-13)
    assert result.loss == pytest.approx(1.5 * sig(-2.0), rel=1e-13)
    assert result.chosen_rewards.tolist() == [2.5] and result.rejected_rewards.tolist() == [-1.5]


def test_kto_reference_point_is_clipped_at_zero():
    # z0 = max(0, mean(...)): a negative KL estimate counts as 0, so ρ = 0 gives ½ per example.
    inputs = {
        "policy_logps": [-5.0, -6.0],
        "reference_logps": [-5.0, -6.0],
        "labels": [1, 0],
        "policy_kl_logps": [-9.0],
        "reference_kl_logps": [-3.0],
    }
    result = compute("kto", inputs, {})
    assert result.details["kl"] == 0.0 and result.loss == pytest.approx(0.5)


def test_grpo_advantages_by_hand():
    # DeepSeekMath, arXiv 2402.03300, Sec. 4.1.2. Group [1, 0, 0, 1]: mean ½, sample std √(1/3),
    # its Bessel factor 4/3 a float32 number as in TRL's nanstd.
    result = compute("grpo-advantages", {"rewards": [1.0, 0.0, 0.0, 1.0]}, {"num_generations": 4})
    a = 0.5 / (math.sqrt(0.25 * float(np.float32(4) / np.float32(3))) + 1e-4)
    assert result.per_example.tolist() == pytest.approx([a, -a, -a, a], rel=1e-13)
    rewards = {"rewards": [1.0, 0.0, 3.0, 5.0]}
    none = compute("grpo-advantages", rewards, {"num_generations": 2, "scale_rewards": "none"})
    assert none.per_example.tolist() == [0.5, -0.5, -1.0, 1.0]
    batch = compute("grpo-advantages", rewards, {"num_generations": 2, "scale_rewards": "batch"})
    s = math.sqrt(float(np.var([1.0, 0.0, 3.0, 5.0])) * float(np.float32(4) / np.float32(3)))
    expected = [0.5 / (s + 1e-4), -0.5 / (s + 1e-4), -1 / (s + 1e-4), 1 / (s + 1e-4)]
    assert batch.per_example.tolist() == pytest.approx(expected, rel=1e-13)


def test_rloo_equals_scaled_centred_rewards():
    # Leave-one-out (arXiv 2402.14740): r_i − (S − r_i)/(k − 1) = k/(k − 1)·(r_i − mean).
    # By hand: [1, 0, 0] → [1, −½, −½].
    assert compute(
        "rloo-advantages", {"rewards": [1, 0, 0]}, {"num_generations": 3}
    ).per_example.tolist() == [
        1.0,
        -0.5,
        -0.5,
    ]
    rewards = np.array([0.3, -1.2, 2.0, 0.7, 5.0, 1.0, 1.0, -2.0])
    got = compute("rloo-advantages", {"rewards": rewards}, {"num_generations": 4}).per_example
    grouped = rewards.reshape(2, 4)
    expected = (4 / 3) * (grouped - grouped.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(got, expected.reshape(-1), rtol=1e-13)


def test_grpo_on_policy_aggregations():
    # On-policy (r = 1), β = 0: ℓ_t = −A. Sequences of 1 and 3 tokens, A = [2, −1].
    inputs = {"per_token_logps": [[-1.0], [-0.5, -0.2, -0.3]], "advantages": [2.0, -1.0]}
    params = {"beta": 0.0}
    # grpo: mean of sequence means = (−2 + 1)/2; bnpo/dapo: (−2 + 3)/4; dr_grpo: 1/(2·L), L = 5.
    assert loss_of("grpo", inputs, **params) == pytest.approx(-0.5)
    assert loss_of("grpo", inputs, **params, loss_type="bnpo") == pytest.approx(0.25)
    assert loss_of("grpo", inputs, **params, loss_type="dapo") == pytest.approx(0.25)
    assert loss_of(
        "grpo", inputs, **params, loss_type="dr_grpo", max_completion_length=5
    ) == pytest.approx(0.1)


def test_grpo_clipping_and_k3_kl_by_hand():
    # DeepSeekMath Eqs. 3–4. r = 2 (old = θ − log 2): A > 0 clips at 1 + ε; A < 0 keeps r.
    theta = -1.0
    inputs = {
        "per_token_logps": [[theta], [theta]],
        "old_per_token_logps": [[theta - LN2], [theta - LN2]],
        "ref_per_token_logps": [[theta + LN2], [theta + LN2]],
        "advantages": [1.0, -1.0],
    }
    kl = math.exp(LN2) - LN2 - 1  # k3 at d = ref − θ = log 2: 1 − log 2
    paper = {"beta": 0.1, "epsilon": 0.2, "use_bias_correction_kl": False}
    result = compute("grpo", inputs, paper)
    assert result.per_example.tolist() == pytest.approx(
        [-1.2 + 0.1 * kl, 2.0 + 0.1 * kl], rel=1e-12
    )
    assert result.details["clip_ratio"] == 0.5
    assert result.details["mean_kl"] == pytest.approx(kl, rel=1e-12)
    # TRL's default KL bias correction (DeepSeek-V3.2, arXiv 2512.02556) weights KL_t by r_t = 2.
    corrected = compute("grpo", inputs, {"beta": 0.1, "epsilon": 0.2})
    assert corrected.per_example.tolist() == pytest.approx(
        [-1.2 + 0.2 * kl, 2.0 + 0.2 * kl], rel=1e-12
    )
    high = compute("grpo", inputs, {"beta": 0.0, "epsilon": 0.2, "epsilon_high": 0.28})
    assert high.per_example.tolist() == pytest.approx([-1.28, 2.0])


def test_ppo_clip_eq7_by_hand():
    # PPO, arXiv 1707.06347, Eq. 7, ε = 0.2. Ratios 2 and ½ with A = ±1:
    # r = 2: A = 1 → −1.2 (clipped), A = −1 → +2; r = ½: A = 1 → −½, A = −1 → +0.8 (clipped).
    old = [[-1.0, -1.0], [-1.0, -1.0]]
    new = [[-1.0 + LN2, -1.0 + LN2], [-1.0 - LN2, -1.0 - LN2]]
    adv = [[1.0, -1.0], [1.0, -1.0]]
    result = compute("ppo-clip", {"old_logprobs": old, "new_logprobs": new, "advantages": adv}, {})
    assert result.per_example.tolist() == pytest.approx([(-1.2 + 2.0) / 2, (-0.5 + 0.8) / 2])
    assert result.loss == pytest.approx((-1.2 + 2.0 - 0.5 + 0.8) / 4)
    assert result.details["clip_fraction"] == 0.5


# ------------------------------------------------------------------ ties, extremes, batches

TIE_CASES = {
    "bradley-terry": {"chosen_rewards": [0.4, -2.0], "rejected_rewards": [0.4, -2.0]},
    "dpo": ratios([0.3, -1.0], [0.3, -1.0]),
    "robust-dpo": ratios([0.3, -1.0], [0.3, -1.0]),
    "simpo": {"policy_chosen_logps": [-1.0, -2.0], "policy_rejected_logps": [-1.0, -2.0]},
    "cpo": {
        "policy_chosen_logps": [-1.0, -2.0],
        "policy_rejected_logps": [-1.0, -2.0],
        "nll_loss": 0.0,
    },
}


@pytest.mark.parametrize("loss_id", sorted(TIE_CASES))
def test_tie_costs_log2(loss_id):
    params = {"gamma": 0.0} if loss_id == "simpo" else {}
    assert loss_of(loss_id, TIE_CASES[loss_id], **params) == pytest.approx(LN2, rel=1e-14)


def _margin_inputs(loss_id: str, margin: float) -> dict:
    """Inputs whose margin (in that loss's sense) is ``margin``."""
    if loss_id == "bradley-terry":
        return {"chosen_rewards": [margin / 2], "rejected_rewards": [-margin / 2]}
    if loss_id in ("simpo", "cpo"):
        extra = {"nll_loss": 0.0} if loss_id == "cpo" else {}
        return {
            "policy_chosen_logps": [min(0.0, -margin)],
            "policy_rejected_logps": [min(0.0, margin)],
            **extra,
        }
    if loss_id == "kto":
        zero = [-10.0]
        return {
            "policy_logps": [min(0.0, margin) - 10.0],
            "reference_logps": [min(0.0, -margin) - 10.0],
            "labels": [True],
            "policy_kl_logps": zero,
            "reference_kl_logps": zero,
        }
    if loss_id == "dpo-norm":
        return ratios([margin / 2], [-margin / 2]) | {
            "chosen_lengths": [1],
            "rejected_lengths": [1],
        }
    return ratios([margin / 2], [-margin / 2])


CURVE_IDS = [k for k in CURVES if k != "orpo"]


@pytest.mark.parametrize("loss_id", CURVE_IDS)
@pytest.mark.parametrize("margin", [1e4, -1e4])
def test_extreme_margins_stay_finite(loss_id, margin):
    params = {"beta": 1.0, "tau": 1.0} if loss_id == "discopop" else {}
    result = compute(loss_id, _margin_inputs(loss_id, margin), params)
    assert np.isfinite(result.loss) and np.isfinite(result.per_example).all()


def test_extreme_margins_have_the_right_asymptotes():
    # DPO: −log σ(z) → −z for z → −∞ and → 0 for z → +∞ (β = 0.1, Δ = ∓1e4).
    assert loss_of("dpo", ratios([-5e3], [5e3])) == pytest.approx(1e3, rel=1e-12)
    assert loss_of("dpo", ratios([5e3], [-5e3])) == 0.0
    # DiscoPOP at z = −1000 (TRL's exp(−z) would overflow): the logistic part, ≈ 1000.
    assert loss_of("discopop", ratios([-5e3], [5e3])) == pytest.approx(1e3, rel=1e-12)
    # ORPO with log odds ratio ≈ −1e4: λ·1e4.
    orpo = {"policy_chosen_logps": [-1e4], "policy_rejected_logps": [-1e-300], "nll_loss": 0.0}
    assert loss_of("orpo", orpo) == pytest.approx(0.1 * (1e4 + 690.7755278982137), rel=1e-9)


def _tile(value, times: int):
    return list(value) * times


def _batch_of(loss_id: str, size: int) -> tuple[dict, dict, int]:
    """A preset cut down to one example or tiled to ``size`` elements per input."""
    spec = get_spec(loss_id)
    preset = spec.presets[0]
    inputs, params = dict(preset.inputs), dict(preset.params)
    if loss_id in ("grpo-advantages", "rloo-advantages"):
        g = params["num_generations"]
        group = inputs["rewards"][:g]
        reps = max(1, size // g) if size > 1 else 1
        return {"rewards": _tile(group, reps)}, params, reps * g
    ragged = [k for k in inputs if spec.input(k).kind == "ragged"]
    if ragged and spec.inputs[0].kind != "ragged":  # pairwise losses given token by token
        n = len(inputs[ragged[0]])
        tokens = max(sum(len(row) for row in inputs[k]) for k in ragged)
        reps = 1 if size == 1 else size // tokens
        out = {
            k: (v[:1] if size == 1 else _tile(v, reps)) if isinstance(v, list) else v
            for k, v in inputs.items()
        }
        return out, params, 1 if size == 1 else reps * n
    if spec.inputs[0].kind == "ragged":
        names = [i.name for i in spec.inputs if i.name in inputs]
        reps = 1 if size == 1 else size // len(inputs[names[0]][0])
        return {name: [inputs[name][0]] * reps for name in names}, params, reps
    n = next(
        len(v) for k, v in inputs.items() if spec.input(k).length == "n" and isinstance(v, list)
    )
    out = {}
    for item in spec.inputs:
        if item.name not in inputs:
            continue
        value = inputs[item.name]
        if not isinstance(value, list):
            out[item.name] = value
        elif item.length == "n":
            out[item.name] = value[:1] if size == 1 else _tile(value, size // n)
        else:
            out[item.name] = value
    return out, params, 1 if size == 1 else (size // n) * n


@pytest.mark.parametrize("loss_id", sorted(LOSSES))
def test_batch_of_one_and_of_max_size(loss_id):
    one_inputs, params, _ = _batch_of(loss_id, 1)
    single = compute(loss_id, one_inputs, params)
    assert single.per_example.shape == (1,) or loss_id.endswith("advantages")
    big_inputs, params, count = _batch_of(loss_id, MAX_ELEMENTS)
    assert max(len(v) if isinstance(v, list) else 0 for v in big_inputs.values()) <= MAX_ELEMENTS
    big = compute(loss_id, big_inputs, params)
    assert big.per_example.shape == (count,) and np.isfinite(big.per_example).all()
    if loss_id in ("grpo", "ppo-clip"):
        # The same sequence repeated: every sequence costs what the single one did.
        np.testing.assert_allclose(big.per_example, single.per_example[0], rtol=1e-12)
        assert big.loss == pytest.approx(single.loss, rel=1e-12)


@pytest.mark.parametrize("loss_id", REF_LOSSES + ["simpo", "cpo", "orpo", "bradley-terry"])
def test_tiled_batch_repeats_per_example_values(loss_id):
    inputs, params, count = _batch_of(loss_id, MAX_ELEMENTS)
    spec = get_spec(loss_id)
    preset = spec.presets[0]
    small = compute(loss_id, preset.inputs, preset.params)
    big = compute(loss_id, inputs, params)
    reps = count // len(small.per_example)
    np.testing.assert_allclose(big.per_example, np.tile(small.per_example, reps), rtol=1e-13)
    assert big.loss == pytest.approx(small.loss, rel=1e-12)


# ------------------------------------------------------------------ gradients and symmetry


@pytest.mark.parametrize("loss_id", sorted(CURVES))
@pytest.mark.parametrize("beta", [0.1, 0.7, 2.0])
def test_curve_derivative_matches_finite_differences(loss_id, beta):
    spec = get_spec(loss_id)
    params = spec.defaults()
    if "beta" in params:
        params["beta"] = beta
    if "label_smoothing" in params:
        params["label_smoothing"] = 0.2
    if "tau" in params:
        params["tau"] = 0.3
    scale = beta if CURVES[loss_id].scaled_by_beta else 1.0
    # Points on a grid that misses the hinge's kink at βm = 1.
    margins = np.linspace(-4.7, 4.3, 41) / scale
    h = 1e-6 / scale
    _, slope = margin_curve(loss_id, params, margins=margins)
    up, _ = margin_curve(loss_id, params, margins=margins + h)
    down, _ = margin_curve(loss_id, params, margins=margins - h)
    np.testing.assert_allclose(slope, (up - down) / (2 * h), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("loss_id", ["dpo", "ipo", "robust-dpo", "hinge", "discopop"])
def test_curve_is_the_loss_evaluated_at_that_margin(loss_id):
    data = curve(loss_id, {"beta": 0.5}, lo=-6, hi=6, points=7)
    for margin, value in zip(data["margins"], data["loss"], strict=True):
        assert loss_of(loss_id, ratios([margin], [0.0]), beta=0.5) == pytest.approx(
            value, rel=1e-12
        )


def test_dpo_slope_is_minus_beta_sigmoid():
    # d/dΔ of −log σ(βΔ) = −β σ(−βΔ): at Δ = 0 it is −β/2.
    data = curve("dpo", {"beta": 0.4}, lo=-1, hi=1, points=3)
    assert data["dloss_dmargin"][1] == pytest.approx(-0.2)


@pytest.mark.parametrize("loss_id", sorted(LOSSES))
def test_permuting_examples_permutes_results(loss_id):
    spec = get_spec(loss_id)
    preset = spec.presets[0]
    base = compute(loss_id, preset.inputs, preset.params)
    rng = np.random.default_rng(7)
    if loss_id in ("grpo-advantages", "rloo-advantages"):
        g = preset.params["num_generations"]
        rewards = np.asarray(preset.inputs["rewards"]).reshape(-1, g)
        group_order = rng.permutation(len(rewards))
        within = rng.permutation(g)
        permuted = rewards[group_order][:, within]
        got = compute(loss_id, {"rewards": permuted.reshape(-1)}, preset.params).per_example
        expected = base.per_example.reshape(-1, g)[group_order][:, within].reshape(-1)
        np.testing.assert_allclose(got, expected, rtol=1e-13)
        return
    lengths = {
        len(v)
        for k, v in preset.inputs.items()
        if isinstance(v, list) and spec.input(k).length in ("n", "seq")
    }
    (n,) = lengths
    order = rng.permutation(n)
    while n > 1 and (order == np.arange(n)).all():
        order = rng.permutation(n)
    permuted = {
        k: (
            [v[i] for i in order]
            if isinstance(v, list) and spec.input(k).length in ("n", "seq")
            else v
        )
        for k, v in preset.inputs.items()
    }
    result = compute(loss_id, permuted, preset.params)
    # AOT matches sorted ranks, so its per-rank values do not move with the pairs.
    expected = base.per_example if loss_id in ("aot", "aot-pair") else base.per_example[order]
    np.testing.assert_allclose(result.per_example, expected, rtol=1e-13)
    assert result.loss == pytest.approx(base.loss, rel=1e-12, abs=1e-15)


# ------------------------------------------------------------------ invalid requests (422/404)

DPO = ratios([1.0, 2.0], [0.5, -1.0])
INVALID = [
    ("dpo", {**DPO, "policy_rejected_logps": [-1.0]}, {}, "inputs.policy_rejected_logps"),
    (
        "dpo",
        {k: v for k, v in DPO.items() if k != "reference_chosen_logps"},
        {},
        "inputs.reference_chosen_logps",
    ),
    ("dpo", {**DPO, "chosen_logps": [-1.0, -2.0]}, {}, "inputs.chosen_logps"),
    ("dpo", DPO, {"temperature": 1.0}, "params.temperature"),
    ("dpo", {**DPO, "policy_chosen_logps": [-1.0, float("nan")]}, {}, "inputs.policy_chosen_logps"),
    (
        "dpo",
        {**DPO, "reference_chosen_logps": [float("-inf"), -1.0]},
        {},
        "inputs.reference_chosen_logps",
    ),
    ("dpo", DPO, {"beta": 0.0}, "params.beta"),
    ("dpo", DPO, {"beta": float("inf")}, "params.beta"),
    ("dpo", DPO, {"label_smoothing": 0.6}, "params.label_smoothing"),
    ("dpo", DPO, {"beta": "0.1"}, "params.beta"),
    ("dpo", DPO, {"beta": True}, "params.beta"),
    ("robust-dpo", DPO, {"label_smoothing": 0.5}, "params.label_smoothing"),
    ("dpo", {**DPO, "policy_chosen_logps": ["-1", "-2"]}, {}, "inputs.policy_chosen_logps"),
    ("dpo", {**DPO, "policy_chosen_logps": [[-1.0], [-2.0]]}, {}, "inputs.policy_chosen_logps"),
    ("dpo", {**DPO, "policy_chosen_logps": -1.0}, {}, "inputs.policy_chosen_logps"),
    ("dpo", {k: [] for k in DPO}, {}, "inputs.policy_chosen_logps"),
    ("dpo", {k: [-1.0] * (MAX_ELEMENTS + 1) for k in DPO}, {}, "inputs.policy_chosen_logps"),
    ("dpo", {**DPO, "policy_chosen_logps": [0.5, -1.0]}, {}, "inputs.policy_chosen_logps"),
    (
        "orpo",
        {"policy_chosen_logps": [0.0], "policy_rejected_logps": [-1.0], "nll_loss": 1.0},
        {},
        "inputs.policy_chosen_logps",
    ),
    (
        "cpo",
        {"policy_chosen_logps": [-1.0], "policy_rejected_logps": [-1.0], "nll_loss": [1.0, 2.0]},
        {},
        "inputs.nll_loss",
    ),
    (
        "cpo",
        {"policy_chosen_logps": [-1.0], "policy_rejected_logps": [-1.0], "nll_loss": -1.0},
        {},
        "inputs.nll_loss",
    ),
    (
        "kto",
        {
            "policy_logps": [-1.0],
            "reference_logps": [-1.0],
            "labels": ["yes"],
            "policy_kl_logps": [-1.0],
            "reference_kl_logps": [-1.0],
        },
        {},
        "inputs.labels",
    ),
    (
        "kto",
        {
            "policy_logps": [-1.0],
            "reference_logps": [-1.0],
            "labels": [True],
            "policy_kl_logps": [-1.0, -2.0],
            "reference_kl_logps": [-1.0],
        },
        {},
        "inputs.reference_kl_logps",
    ),
    ("grpo-advantages", {"rewards": [1.0, 0.0, 1.0]}, {"num_generations": 2}, "inputs.rewards"),
    ("grpo-advantages", {"rewards": [1.0, 0.0]}, {"num_generations": 1}, "params.num_generations"),
    (
        "grpo-advantages",
        {"rewards": [1.0, 0.0]},
        {"num_generations": 2.5},
        "params.num_generations",
    ),
    (
        "grpo-advantages",
        {"rewards": [1.0, 0.0]},
        {"num_generations": 2, "scale_rewards": "std"},
        "params.scale_rewards",
    ),
    (
        "grpo",
        {"per_token_logps": [[-1.0, -2.0]], "advantages": [1.0]},
        {},
        "inputs.ref_per_token_logps",
    ),
    (
        "grpo",
        {"per_token_logps": [[-1.0, -2.0]], "old_per_token_logps": [[-1.0]], "advantages": [1.0]},
        {"beta": 0.0},
        "inputs.old_per_token_logps",
    ),
    (
        "grpo",
        {"per_token_logps": [[-1.0, -2.0]], "advantages": [1.0, 2.0]},
        {"beta": 0.0},
        "inputs.advantages",
    ),
    (
        "grpo",
        {"per_token_logps": [[-1.0, -2.0]], "advantages": [1.0]},
        {"beta": 0.0, "loss_type": "dr_grpo", "max_completion_length": 1},
        "params.max_completion_length",
    ),
    (
        "grpo",
        {"per_token_logps": [[-1.0], []], "advantages": [1.0, 1.0]},
        {"beta": 0.0},
        "inputs.per_token_logps",
    ),
    (
        "grpo",
        {"per_token_logps": [[-1.0] * 5001, [-1.0] * 5000], "advantages": [1.0, 1.0]},
        {"beta": 0.0},
        "inputs.per_token_logps",
    ),
    (
        "ppo-clip",
        {"old_logprobs": [[-1.0]], "new_logprobs": [[-1.0]], "advantages": [1.0]},
        {},
        "inputs.advantages",
    ),
    # exp(new − old) = e^800 overflows; with A < 0 the loss is +inf: a clear error, not a 500.
    (
        "ppo-clip",
        {"old_logprobs": [[-900.0]], "new_logprobs": [[-100.0]], "advantages": [[-1.0]]},
        {},
        "result.loss",
    ),
    ("ipo", ratios([1e200], [-1e200]), {}, "result.loss"),
    # An intermediate overflow (the group's std of ±1e308) is a 422, not a wrong finite answer.
    ("grpo-advantages", {"rewards": [1e308, -1e308]}, {"num_generations": 2}, "result.loss"),
    (
        "grpo-advantages",
        {"rewards": [1.0, 0.0]},
        {"num_generations": 10**400},
        "params.num_generations",
    ),
    (
        "cpo",
        {"policy_chosen_logps": [-1.0], "policy_rejected_logps": [-1.0], "nll_loss": 10**400},
        {},
        "inputs.nll_loss",
    ),
    ("dpo", {**DPO, "policy_chosen_logps": [10**400, -1.0]}, {}, "inputs.policy_chosen_logps"),
]


@pytest.mark.parametrize(
    ("loss_id", "inputs", "params", "field"),
    INVALID,
    ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(INVALID)],
)
def test_invalid_request_is_422_naming_the_field(loss_id, inputs, params, field):
    with pytest.raises(AtlasError) as caught:
        compute(loss_id, inputs, params)
    assert isinstance(caught.value, InvalidInput)
    assert field in [detail["field"] for detail in caught.value.details]
    assert field in caught.value.message or len(caught.value.details) > 1


def test_all_problems_are_reported_at_once():
    with pytest.raises(AtlasError) as caught:
        compute("dpo", {"policy_chosen_logps": [1.0]}, {"beta": -1})
    fields = {d["field"] for d in caught.value.details}
    assert {"inputs.policy_chosen_logps", "inputs.policy_rejected_logps", "params.beta"} <= fields


def test_unknown_loss_is_404_listing_valid_ids():
    with pytest.raises(AtlasError) as caught:
        compute("dpoo", {}, {})
    assert isinstance(caught.value, NotFound)
    assert caught.value.details == sorted(LOSSES)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"points": 1}, "query.points"),
        ({"lo": 3.0, "hi": 1.0}, "query.lo"),
        ({"lo": float("nan")}, "query.lo"),
    ],
)
def test_curve_rejects_bad_ranges(kwargs, field):
    with pytest.raises(AtlasError) as caught:
        curve("dpo", {}, **kwargs)
    assert isinstance(caught.value, InvalidInput) and field in [
        d["field"] for d in caught.value.details
    ]


def test_curve_of_a_non_pairwise_loss_is_422():
    with pytest.raises(AtlasError) as caught:
        curve("grpo", {})
    assert isinstance(caught.value, InvalidInput) and "dpo" in caught.value.details


def test_curve_default_range_is_five_over_beta():
    data = curve("dpo", {"beta": 0.5})
    assert (data["margins"][0], data["margins"][-1]) == (-10.0, 10.0)


# ------------------------------------------------------------------ registry and knowledge base


@pytest.mark.parametrize("loss_id", sorted(LOSSES))
def test_registry_entry_is_complete(loss_id):
    spec = LOSSES[loss_id]
    assert spec.id == loss_id and spec.family in {
        "pairwise",
        "unpaired",
        "listwise",
        "policy-gradient",
        "reward-model",
    }
    assert spec.presets and spec.papers and spec.inputs
    assert all(re.fullmatch(r"\d{4}\.\d{4,5}", ref.arxiv) for ref in spec.papers)
    assert "<math" in to_mathml(spec.formula) and "merror" not in to_mathml(spec.formula)
    for param in spec.params:
        if param.kind == "choice":
            assert param.default in param.choices
        elif param.kind == "choices":
            assert set(param.default) <= set(param.choices)
        elif param.kind == "floats":
            assert param.default is None or all(param.in_range(v) for v in param.default)
        elif param.kind == "bool":
            assert isinstance(param.default, bool)
        elif param.default is not None:
            assert param.in_range(param.default), param.name
    assert len({item.name for item in spec.inputs}) == len(spec.inputs)
    for preset in spec.presets:
        assert np.isfinite(compute(loss_id, preset.inputs, preset.params).loss)


def test_the_issue_table_ids_are_all_registered():
    required = {
        "bradley-terry", "dpo", "ipo", "robust-dpo", "hinge", "nca", "sppo-hard", "apo-zero",
        "apo-down", "discopop", "simpo", "cpo", "orpo", "kto", "grpo-advantages",
        "rloo-advantages", "grpo", "ppo-clip",
    }  # fmt: skip
    assert required <= set(LOSSES)


def _paper_files() -> list[dict]:
    return [
        yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(PAPERS.glob("*.yaml"))
    ]


def test_every_loss_named_by_a_paper_exists_and_links_back():
    named = [
        (paper["id"], loss_id) for paper in _paper_files() for loss_id in paper.get("losses") or []
    ]
    assert named, "no paper names a loss: the check would be vacuous"
    unknown = [(pid, lid) for pid, lid in named if lid not in LOSSES]
    assert not unknown, f"papers name losses the lab does not have: {unknown}"
    missing_back = [(pid, lid) for pid, lid in named if pid not in LOSSES[lid].paper_ids]
    assert not missing_back, f"loss entries do not link back to these papers: {missing_back}"


def test_registry_paper_ids_exist_with_the_same_arxiv_id():
    papers = {paper["id"]: paper for paper in _paper_files()}
    for spec in LOSSES.values():
        for ref in spec.papers:
            if ref.paper_id:
                assert ref.paper_id in papers, f"{spec.id}: no paper file {ref.paper_id}"
                assert str(papers[ref.paper_id]["arxiv"]) == ref.arxiv, f"{spec.id}: {ref.paper_id}"


MODULES = [
    "app.losses._numeric", "app.losses.pairwise", "app.losses.reference_free",
    "app.losses.reward_model", "app.losses.unpaired", "app.losses.policy_gradient",
    "app.losses.curves", "app.losses.compute", "app.losses.pairwise_variants",
    "app.web.lab.svg", "app.web.lab.mathml",
]  # fmt: skip


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_hold(module):
    failures, tried = doctest.testmod(importlib.import_module(module))
    assert tried > 0 and failures == 0


# ------------------------------------------------------------------ forms and charts


@pytest.mark.parametrize("loss_id", sorted(LOSSES))
def test_form_text_round_trips_every_preset(loss_id):
    spec = get_spec(loss_id)
    preset = spec.presets[-1]
    form = {
        forms.input_field(i.name): forms.format_input(i, preset.inputs.get(i.name))
        for i in spec.inputs
    }
    form |= {
        forms.param_field(p.name): forms.format_param(preset.params.get(p.name, p.default))
        for p in spec.params
    }
    inputs, params, errors = forms.parse_form(spec, form)
    assert not errors
    assert (
        compute(loss_id, inputs, params).loss == compute(loss_id, preset.inputs, preset.params).loss
    )


def test_form_reports_text_that_is_not_a_number():
    _, _, errors = forms.parse_form(
        get_spec("dpo"), {"inputs.policy_chosen_logps": "-1, minus two"}
    )
    assert errors == [
        {"field": "inputs.policy_chosen_logps", "message": "value 2 of 3: 'minus' is not a number"}
    ]
    _, _, errors = forms.parse_form(
        get_spec("grpo"), {"inputs.per_token_logps": "-1, -2\n-1, x, -3"}
    )
    assert errors[0]["message"] == "row 2, value 2 of 3: 'x' is not a number"


def test_chart_is_plain_svg_with_one_polyline_per_series():
    xs = np.linspace(-1, 1, 5)
    svg = line_chart(
        [Series("a", xs, xs), Series("b", xs, -xs, dashed=True)],
        chart_id="t",
        title="T<",
        x_label="x",
        y_label="y",
    )
    assert svg.count("<polyline") == 2 and "T&lt;" in svg
    assert not re.search(r"\sstyle=", svg) and "<script" not in svg
