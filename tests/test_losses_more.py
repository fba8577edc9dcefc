"""CPO's options (AlphaPO), the unpaired APO-zero and BCO losses and the full PPO step, against
values worked from each paper's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.errors import InvalidInput
from app.losses.compute import compute


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


PAIR = {"policy_chosen_logps": [-2.0], "policy_rejected_logps": [-3.0], "nll_loss": 0.5}


@pytest.mark.parametrize(
    ("loss_type", "expected"),
    [
        ("sigmoid", softplus(-0.5) + 0.5),  # CPO, arXiv 2401.08417, Eq. 3 + L_NLL; β·Δ = 0.5
        ("hinge", 0.5 + 0.5),  # max(0, 1 − 0.5)
        ("ipo", (1 - 1 / (2 * 0.5)) ** 2 + 0.5),  # IPO Eq. 17 on Δ = 1, τ = 0.5 → 0
        ("simpo", softplus(-(0.5 - 0.5)) + 0.5),  # SimPO Eq. 6: β·Δ − γ = 0
    ],
)
def test_cpo_loss_types(loss_type, expected):
    got = compute("cpo", PAIR, {"loss_type": loss_type, "beta": 0.5}).loss
    assert got == pytest.approx(expected, rel=1e-14)


def test_alphapo_reward_shape():
    # AlphaPO, arXiv 2501.03884, Sec. 3: r = (1 − p^(−α))/α, p = e^ℓ; α = 0.5 on ℓ = −2, −3.
    alpha, beta = 0.5, 1.0
    r_w, r_l = (1 - math.exp(1.0)) / alpha, (1 - math.exp(1.5)) / alpha
    result = compute("cpo", PAIR, {"alpha": alpha, "beta": beta, "cpo_alpha": 0.0})
    assert result.loss == pytest.approx(softplus(-(r_w - r_l)), rel=1e-13)
    assert result.chosen_rewards.tolist() == pytest.approx([beta * r_w])
    # α → 0 recovers the log-prob reward.
    near = compute("cpo", PAIR, {"alpha": 1e-9, "cpo_alpha": 0.0}).loss
    assert near == pytest.approx(compute("cpo", PAIR, {"cpo_alpha": 0.0}).loss, rel=1e-8)


def test_cpo_tokens_give_sums_means_and_the_nll():
    tokens = {
        "policy_chosen_token_logps": [[-1.0, -1.0], [-0.5]],
        "policy_rejected_token_logps": [[-2.0], [-1.0, -2.0, -3.0]],
    }
    # NLL: mean −log p over the three chosen tokens = 2.5/3; sigmoid uses sums (−2, −0.5; −2, −6).
    got = compute("cpo", tokens, {"beta": 1.0})
    expected = (softplus(-0.0) + softplus(-5.5)) / 2 + 2.5 / 3
    assert got.loss == pytest.approx(expected, rel=1e-14)
    # simpo uses token means (−1, −0.5; −2, −2) with γ = 0.5, β = 1.
    simpo = compute("cpo", tokens, {"beta": 1.0, "loss_type": "simpo", "cpo_alpha": 0.0})
    assert simpo.loss == pytest.approx((softplus(-0.5) + softplus(-1.0)) / 2, rel=1e-14)


def test_cpo_without_nll_or_tokens_names_the_field():
    with pytest.raises(InvalidInput) as caught:
        compute("cpo", {"policy_chosen_logps": [-1.0], "policy_rejected_logps": [-2.0]})
    assert caught.value.details[0]["field"] == "inputs.nll_loss"


UNPAIRED = {
    "policy_logps": [-8.0, -12.0],
    "reference_logps": [-10.0, -10.0],
    "labels": [True, False],
}


def test_apo_zero_unpaired_eq7_terms():
    # APO, arXiv 2408.06266, Eq. 7 per completion: desirable 1 − σ(βρ), undesirable σ(βρ).
    got = compute("apo-zero-unpaired", UNPAIRED, {"beta": 0.5, "undesirable_weight": 2.0})
    assert got.per_example.tolist() == pytest.approx([1 - sig(1.0), 2 * sig(-1.0)])


def test_bco_fresh_trainer_shifts_by_the_batch_mean():
    # BCO, arXiv 2404.04656, Eq. 6 with δ the mean reward (Sec. 3.2): rewards 0.2·(2, −2) → δ = 0.
    got = compute("bco", UNPAIRED, {"beta": 0.2})
    assert got.details["delta"] == pytest.approx(0.0, abs=1e-7)
    assert got.per_example.tolist() == pytest.approx([softplus(-0.4), softplus(-0.4)], rel=1e-6)


def test_bco_continues_a_running_state():
    # 3 earlier rewards with mean 1, plus this batch (0.4, −0.4): δ = (3·1 + 0) / 5 = 0.6.
    got = compute("bco", UNPAIRED, {"running_mean": 1.0, "running_var": 0.0, "running_count": 3})
    assert got.details["running_mean"] == pytest.approx(0.6, rel=1e-6)
    assert got.details["running_count"] == 5
    delta = got.details["delta"]
    assert got.per_example.tolist() == pytest.approx(
        [softplus(-(0.2 - delta)), softplus(-0.2 - delta)], rel=1e-6
    )
    # Pooled variance: [3·0 + 2·0.04 + (3·2/5)·(0 − 1)²] / 5 = (0.08 + 1.2) / 5.
    assert got.details["running_var"] == pytest.approx(1.28 / 5, rel=1e-6)


PPO_ONE = {
    "logprobs": [[-1.0, -2.0, 0.0]],
    "ref_logprobs": [[-1.5, -1.5, 0.0]],
    "values": [[0.5, 0.2, 0.1]],
    "scores": [1.0],
    "new_logprobs": [[-1.0, -2.0, 0.0]],
    "vpred": [[0.5, 0.2, 0.1]],
    "sequence_lengths": [1],
}


def test_ppo_step_by_hand():
    # Ziegler et al. 2019, Eq. 2: r_t = −β·KL_t, score at the end (TRL: one past the last token).
    # KL = (0.5, −0.5), β = 0.1 → r = (−0.05, 0.05, 1). GAE (arXiv 1506.02438, Eq. 16), γ = 1,
    # λ = 0.95: δ = (−0.35, −0.05, 0.9) → A = (0.41475, 0.805, 0.9); returns = A + V.
    result = compute("ppo", PPO_ONE, {"kl_coef": 0.1})
    advantages = [0.41475, 0.805, 0.9]
    returns = [a + v for a, v in zip(advantages, [0.5, 0.2, 0.1], strict=True)]
    np.testing.assert_allclose(result.details["returns"][0], returns, rtol=1e-12)
    # On-policy with vpred = values: ratio 1 and whitened advantages average 0 → pg_loss = 0;
    # vf_loss = ½·mean_t (V − R)² = ½·mean(A²) over the three value positions.
    assert result.details["pg_loss"] == pytest.approx(0.0, abs=1e-12)
    vf = 0.5 * sum(a * a for a in advantages) / 3
    assert result.details["vf_loss"] == pytest.approx(vf, rel=1e-12)
    assert result.loss == pytest.approx(0.1 * vf, rel=1e-12)


def test_ppo_padding_values_are_ignored():
    padded = {k: v for k, v in PPO_ONE.items()}
    padded["logprobs"] = [[-1.0, -2.0, 5.0]]  # TRL fills padding with 1.0; any value is ignored
    assert compute("ppo", padded).loss == compute("ppo", PPO_ONE).loss


def test_ppo_rows_must_share_one_length():
    bad = {**PPO_ONE, "sequence_lengths": [3]}
    with pytest.raises(InvalidInput) as caught:
        compute("ppo", bad)
    assert caught.value.details[0]["field"] == "inputs.sequence_lengths"


GRPO_TOKENS = {
    "per_token_logps": [[-1.0, -1.0], [-2.0]],
    "old_per_token_logps": [[-1.0 - math.log(2), -1.0], [-2.0 + math.log(2)]],
    "advantages": [1.0, -1.0],
}


def test_gspo_uses_one_ratio_per_sequence():
    # GSPO, arXiv 2507.18071, Eq. 7: s_i = exp(mean_t(θ − old)); sequence 1: exp(log 2 / 2) = √2,
    # clipped to 1.2 for A > 0; sequence 2: ½ with A < 0 → clip at 0.8 → loss 0.8.
    result = compute("grpo", GRPO_TOKENS, {"beta": 0.0, "importance_sampling_level": "sequence"})
    assert result.per_example.tolist() == pytest.approx([-1.2, 0.8], rel=1e-13)


def test_cispo_clips_a_detached_weight_on_the_log_prob():
    # MiniMax-M1, arXiv 2506.13585, Eq. 4: −min(r_t, ε_high)·A·θ_t; ratios (2, 1), ½; ε_high 1.5.
    params = {"beta": 0.0, "loss_type": "cispo", "epsilon_high": 1.5}
    result = compute("grpo", GRPO_TOKENS, params)
    per_token = [-(1.5 * 1 * -1.0), -(1.0 * 1 * -1.0), -(0.5 * -1 * -2.0)]
    got = result.details["per_token_loss"]
    assert got[0] == pytest.approx(per_token[:2]) and got[1] == pytest.approx(per_token[2:])
    assert result.loss == pytest.approx(sum(per_token) / 3)


def test_sapo_soft_gate():
    # SAPO, arXiv 2511.20347: −σ(τ(r − 1))·4/τ·A; on-policy r = 1 gives −2A/τ... σ(0)·4/τ = 2/τ.
    on_policy = {"per_token_logps": [[-1.0]], "advantages": [1.0]}
    result = compute("grpo", on_policy, {"beta": 0.0, "loss_type": "sapo"})
    assert result.loss == pytest.approx(-2.0, rel=1e-7)
    negative = compute(
        "grpo", {**on_policy, "advantages": [-1.0]}, {"beta": 0.0, "loss_type": "sapo"}
    )
    tau = float(np.float32(1.05))
    assert negative.loss == pytest.approx(2.0 / tau, rel=1e-12)


def test_grpo_advantages_with_two_reward_functions():
    # Weighted sum, NaN skipped: rows (1 + 0.5·1, 0 + 0.5·0, 1 + NaN → 1, 0): group of 4.
    table = [[1.0, 1.0], [0.0, 0.0], [1.0, None], [0.0, 0.0]]
    params = {"num_generations": 4, "reward_weights": [1.0, 0.5], "scale_rewards": "none"}
    result = compute("grpo-advantages", {"rewards_per_func": table}, params)
    totals = [1.5, 0.0, 1.0, 0.0]
    mean = sum(totals) / 4
    assert result.per_example.tolist() == pytest.approx([t - mean for t in totals])
    # A completion no function scored is left out of the group mean and gets advantage 0.
    table[1] = [None, None]
    result = compute("grpo-advantages", {"rewards_per_func": table}, params)
    kept = [1.5, 1.0, 0.0]
    assert result.per_example.tolist() == pytest.approx(
        [1.5 - sum(kept) / 3, 0.0, 1.0 - sum(kept) / 3, -sum(kept) / 3]
    )


def test_grpo_advantages_weights_must_match_the_functions():
    with pytest.raises(InvalidInput) as caught:
        compute(
            "grpo-advantages",
            {"rewards_per_func": [[1.0, 0.0], [0.0, 1.0]]},
            {"num_generations": 2, "reward_weights": [1.0]},
        )
    assert caught.value.details[0]["field"] == "params.reward_weights"


def test_rloo_advantages_with_kl_shaped_rewards():
    # Ahmadian et al. 2024, arXiv 2402.14740, Eq. 2: r − β·Σ_t (old_t − ref_t); then leave-one-out.
    inputs = {
        "rewards": [1.0, 0.0],
        "old_per_token_logps": [[-1.0, -1.0], [-2.0]],
        "ref_per_token_logps": [[-1.5, -1.5], [-1.0]],
    }
    result = compute("rloo-advantages", inputs, {"beta": 0.5})
    shaped = [1.0 - 0.5 * 1.0, 0.0 - 0.5 * -1.0]  # (0.5, 0.5)
    assert result.details["shaped_rewards"].tolist() == pytest.approx(shaped)
    assert result.per_example.tolist() == pytest.approx([0.0, 0.0])


def test_rloo_loss_sequence_ratio():
    # ratio exp(Σθ − old) = exp(log 2) = 2 with A = 1 → clipped to 1.2; A = −1 keeps 2.
    inputs = {
        "per_token_logps": [[-1.0, -1.0], [-1.0, -1.0]],
        "old_logps": [-2.0 - math.log(2), -2.0 - math.log(2)],
        "advantages": [1.0, -1.0],
    }
    assert compute("rloo", inputs).per_example.tolist() == pytest.approx([-1.2, 2.0])
