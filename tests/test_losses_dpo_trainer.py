"""The DPOTrainer losses and options added with per-token inputs: values worked from each paper's
formula, and the per-token inputs reduced as TRL reduces them (sums, means, lengths, LD-DPO's
split, WPO's weights), invariant to the order of the pairs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.errors import InvalidInput
from app.losses.compute import compute

LN2 = math.log(2.0)


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def pair(rho_w: float, rho_l: float) -> dict[str, list[float]]:
    return {
        "policy_chosen_logps": [-20.0 + rho_w],
        "policy_rejected_logps": [-20.0 + rho_l],
        "reference_chosen_logps": [-20.0],
        "reference_rejected_logps": [-20.0],
    }


TOKENS = {
    "policy_chosen_token_logps": [[-0.5, -1.25, -0.75], [-2.0, -0.5]],
    "policy_rejected_token_logps": [[-1.5, -1.0], [-1.0, -0.75, -1.25, -0.5]],
    "reference_chosen_token_logps": [[-0.75, -1.25, -1.0], [-1.75, -0.75]],
    "reference_rejected_token_logps": [[-1.25, -1.0], [-1.0, -0.5, -1.0, -0.5]],
}


def summed(tokens: dict) -> dict:
    return {k.replace("_token_logps", "_logps"): [sum(r) for r in v] for k, v in tokens.items()}


# ------------------------------------------------------------------------ paper formulas


def test_bco_pair_is_eq6_of_bco_with_zero_shift():
    # BCO, arXiv 2404.04656, Eq. 6: −log σ(r_w − δ) − log σ(−(r_l − δ)), r = βρ, δ = 0 in TRL 1.16.
    got = compute("bco-pair", pair(2.0, -4.0), {"beta": 0.5}).loss
    assert got == pytest.approx(softplus(-1.0) + softplus(-2.0), rel=1e-14)


def test_exo_pair_is_eq16_reverse_kl_to_the_smoothed_label():
    # EXO, arXiv 2402.00856, Eq. 16 (K = 2): Σ_k q_k (log q_k − log p_k), q = (σ(z), σ(−z)),
    # p = (1 − ε, ε). z = βΔ = 0.1·6 = 0.6, ε = 0.01 (a float32 number, as in TRL).
    eps = float(np.float32(0.01))
    z = 0.6
    q = (sig(z), sig(-z))
    expected = q[0] * (math.log(q[0]) - math.log1p(-eps)) + q[1] * (math.log(q[1]) - math.log(eps))
    got = compute("exo-pair", pair(3.0, -3.0), {"label_smoothing": 0.01}).loss
    assert got == pytest.approx(expected, rel=1e-7)
    # The loss is 0 exactly where the policy's choice distribution equals the label.
    z0 = math.log((1 - 0.25) / 0.25)
    at_label = compute("exo-pair", pair(z0 / 0.1, 0.0), {"label_smoothing": 0.25}).loss
    assert at_label == pytest.approx(0.0, abs=1e-7)


def test_aot_pairs_sorted_margins_eq12():
    # AOT, arXiv 2406.05882, Eq. 12: sort the policy margins and the reference margins, then a
    # logistic loss rank by rank. Policy margins (−3, 1), reference margins (2, 0) → sorted
    # differences (−3 − 0, 1 − 2) = (−3, −1).
    inputs = {
        "policy_chosen_logps": [-5.0, -2.0],
        "policy_rejected_logps": [-2.0, -3.0],
        "reference_chosen_logps": [-3.0, -4.0],
        "reference_rejected_logps": [-5.0, -4.0],
    }
    result = compute("aot", inputs, {"beta": 1.0})
    assert result.per_example.tolist() == pytest.approx([softplus(3.0), softplus(1.0)])
    swapped = {k: v[::-1] for k, v in inputs.items()}
    assert compute("aot", swapped, {"beta": 1.0}).loss == result.loss


def test_aot_pair_sorts_chosen_and_rejected_ratios_separately_eq13():
    # AOT unpaired, Eq. 13: sort(ρ_w) − sort(ρ_l) with ρ_w = (3, −1), ρ_l = (2, −4) → (3, 1).
    inputs = {
        "policy_chosen_logps": [-7.0, -11.0],
        "policy_rejected_logps": [-8.0, -14.0],
        "reference_chosen_logps": [-10.0, -10.0],
        "reference_rejected_logps": [-10.0, -10.0],
    }
    result = compute("aot-pair", inputs, {"beta": 0.5, "label_smoothing": 0.2})
    expected = [0.8 * softplus(-b) + 0.2 * softplus(b) for b in (1.5, 0.5)]
    assert sorted(result.per_example.tolist()) == pytest.approx(sorted(expected))


def test_dpo_norm_divides_each_log_ratio_by_its_length():
    # ρ_w = 6 over 3 tokens, ρ_l = −4 over 2 tokens: β(2 − (−2)) = 0.5·4 = 2 → softplus(−2).
    inputs = {**pair(6.0, -4.0), "chosen_lengths": [3], "rejected_lengths": [2]}
    assert compute("dpo-norm", inputs, {"beta": 0.5}).loss == pytest.approx(softplus(-2.0))


def test_sft_pools_all_chosen_tokens():
    # Token-level NLL over the batch: (0.5 + 1.25 + 0.75 + 2 + 0.5) / 5 = 1.0.
    result = compute("sft", {"policy_chosen_token_logps": TOKENS["policy_chosen_token_logps"]})
    assert result.loss == pytest.approx(1.0)
    assert result.per_example.tolist() == pytest.approx([2.5 / 3, 1.25])


def test_mixture_is_the_weighted_sum_of_its_parts():
    # MPO, arXiv 2411.10442, Sec. 3.2: L = w_p L_DPO + w_q L_BCO + w_g L_SFT.
    params = {"loss_types": ["dpo", "bco-pair", "sft"], "loss_weights": [0.8, 0.2, 1.0]}
    got = compute("mixture", TOKENS, params).loss
    parts = (
        0.8 * compute("dpo", TOKENS).loss
        + 0.2 * compute("bco-pair", TOKENS).loss
        + compute("sft", {"policy_chosen_token_logps": TOKENS["policy_chosen_token_logps"]}).loss
    )
    assert got == pytest.approx(parts, rel=1e-14)


def test_mixture_weights_must_match_the_types():
    with pytest.raises(InvalidInput) as caught:
        compute("mixture", TOKENS, {"loss_types": ["dpo", "sft"], "loss_weights": [1.0]})
    assert caught.value.details[0]["field"] == "params.loss_weights"


# ------------------------------------------------------------------------ DPO's options


@pytest.mark.parametrize(
    ("kind", "score"),
    [
        ("forward_kl", lambda r: 1 - math.exp(-r)),
        ("js_divergence", lambda r: LN2 + math.log(sig(r))),
        ("alpha_divergence", lambda r: (math.exp(-0.5 * r) - 1) / -0.5),
    ],
)
def test_f_dpo_scores_follow_table_1(kind, score):
    # f-DPO, arXiv 2309.16240, Thm. 1 / Table 1: the log-ratio becomes f'(π/π_ref).
    params = {"f_divergence_type": kind, "beta": 1.0}
    got = compute("dpo", pair(0.7, -0.4), params).loss
    rel = 1e-6 if kind == "alpha_divergence" else 1e-13  # TRL's float32 exponent
    assert got == pytest.approx(softplus(-(score(0.7) - score(-0.4))), rel=rel)


def test_reference_free_drops_the_reference():
    inputs = {"policy_chosen_logps": [-3.0], "policy_rejected_logps": [-5.0]}
    got = compute("dpo", inputs, {"reference_free": True, "beta": 0.5}).loss
    assert got == pytest.approx(softplus(-1.0))


def test_ld_alpha_down_weights_the_tokens_past_the_shorter_completion():
    # LD-DPO, arXiv 2409.06411: log π = Σ_{t ≤ shared} + α Σ_{t > shared}. Pair 1: chosen has 3
    # tokens, rejected 2, so the chosen's third token counts α times.
    alpha = 0.25
    got = compute("dpo", TOKENS, {"ld_alpha": alpha})
    c, r = TOKENS["policy_chosen_token_logps"][0], TOKENS["policy_rejected_token_logps"][0]
    rc, rr = TOKENS["reference_chosen_token_logps"][0], TOKENS["reference_rejected_token_logps"][0]
    rho_w = (c[0] + c[1] + alpha * c[2]) - (rc[0] + rc[1] + alpha * rc[2])
    rho_l = sum(r) - sum(rr)
    assert got.per_example[0] == pytest.approx(softplus(-0.1 * (rho_w - rho_l)), rel=1e-14)
    assert compute("dpo", TOKENS, {"ld_alpha": 1.0}).loss == pytest.approx(
        compute("dpo", TOKENS).loss, rel=1e-15
    )


def test_wpo_weights_are_the_length_normalised_probabilities():
    # WPO, arXiv 2406.11827, Eq. 2: w = exp(mean_t(log p_t − log Σ_v p_v²)), loss × w_w × w_l.
    sq = {
        "chosen_log_sum_sq_probs": [[-0.25, -0.5, -0.25], [-1.0, -0.5]],
        "rejected_log_sum_sq_probs": [[-0.5, -0.5], [-0.25, -0.25, -0.5, -0.25]],
    }
    got = compute("dpo", {**TOKENS, **sq}, {"use_weighting": True}).per_example
    plain = compute("dpo", TOKENS).per_example
    for i in range(2):
        w = math.exp(
            sum(
                np.subtract(
                    TOKENS["policy_chosen_token_logps"][i], sq["chosen_log_sum_sq_probs"][i]
                )
            )
            / len(sq["chosen_log_sum_sq_probs"][i])
        ) * math.exp(
            sum(
                np.subtract(
                    TOKENS["policy_rejected_token_logps"][i], sq["rejected_log_sum_sq_probs"][i]
                )
            )
            / len(sq["rejected_log_sum_sq_probs"][i])
        )
        assert got[i] == pytest.approx(plain[i] * w, rel=1e-13)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"use_weighting": True}, "inputs.chosen_log_sum_sq_probs"),
        ({"ld_alpha": 0.5}, "inputs.policy_chosen_token_logps"),
    ],
)
def test_options_that_need_tokens_say_which_input(params, field):
    with pytest.raises(InvalidInput) as caught:
        compute("dpo", summed(TOKENS), params)
    assert field in [d["field"] for d in caught.value.details]


# ------------------------------------------------------------------------ per-token inputs

PAIRWISE = ["dpo", "hinge", "nca", "robust-dpo", "bco-pair", "exo-pair", "apo-zero", "discopop"]


@pytest.mark.parametrize("loss_id", PAIRWISE + ["ipo", "dpo-norm"])
def test_token_inputs_equal_their_reductions(loss_id):
    got = compute(loss_id, TOKENS)
    inputs = summed(TOKENS)
    if loss_id == "ipo":  # IPO reads length-averaged log-probs
        inputs = {
            k.replace("_token_logps", "_logps"): [sum(r) / len(r) for r in v]
            for k, v in TOKENS.items()
        }
    if loss_id == "dpo-norm":
        inputs |= {"chosen_lengths": [3, 2], "rejected_lengths": [2, 4]}
    np.testing.assert_allclose(got.per_example, compute(loss_id, inputs).per_example, rtol=1e-14)


@pytest.mark.parametrize("loss_id", PAIRWISE + ["ipo", "dpo-norm", "aot", "aot-pair", "mixture"])
def test_token_inputs_are_invariant_to_pair_order(loss_id):
    base = compute(loss_id, TOKENS)
    swapped = {k: v[::-1] for k, v in TOKENS.items()}
    result = compute(loss_id, swapped)
    assert result.loss == pytest.approx(base.loss, rel=1e-14)
    if loss_id not in ("aot", "aot-pair"):
        np.testing.assert_allclose(result.per_example, base.per_example[::-1], rtol=1e-14)


def test_padding_would_change_nothing_but_is_not_accepted_as_tokens():
    # A zero log-prob is a real token (p = 1): it adds nothing to the sum but changes the length,
    # so dpo is unchanged and dpo-norm is not.
    padded = {k: [r + [0.0] for r in v] for k, v in TOKENS.items()}
    assert compute("dpo", padded).loss == pytest.approx(compute("dpo", TOKENS).loss, rel=1e-15)
    assert compute("dpo-norm", padded).loss != compute("dpo-norm", TOKENS).loss


def test_one_form_per_input():
    with pytest.raises(InvalidInput) as caught:
        compute("dpo", {**TOKENS, "policy_chosen_logps": [-1.0, -2.0]})
    assert caught.value.details[0]["field"] == "inputs.policy_chosen_token_logps"


def test_chosen_token_inputs_must_agree_token_for_token():
    bad = {**TOKENS, "reference_chosen_token_logps": [[-1.0], [-1.0, -2.0]]}
    with pytest.raises(InvalidInput) as caught:
        compute("dpo", bad)
    assert "sequence 0 has 1 tokens" in caught.value.details[0]["message"]
