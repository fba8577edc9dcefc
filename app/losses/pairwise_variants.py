"""The rest of TRL's ``DPOTrainer`` losses (BCO-pair, AOT, EXO, length-normalised DPO, SFT), its
f-divergence scores, WPO weights, and a weighted mixture of its losses (MPO).

Notation as in :mod:`app.losses.pairwise`: ρ = policy − reference log-prob, Δ = ρ_w − ρ_l.
:func:`trainer_losses` is TRL 1.16's ``DPOTrainer._compute_loss`` loop over ``loss_type`` in
numpy, with each term in a form that stays finite for every finite input (softplus rather than
log(1 + e^x)); it backs the single-loss ids below and the mixture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from app.losses._numeric import log_ratios, log_sigmoid, sigmoid, softplus
from app.losses.result import LossResult, pairwise_result

# Lab id → TRL ``loss_type`` for the losses a DPOTrainer mixture can combine.
TRAINER_LOSS_TYPES = {
    "dpo": "sigmoid",
    "hinge": "hinge",
    "ipo": "ipo",
    "exo-pair": "exo_pair",
    "nca": "nca_pair",
    "robust-dpo": "robust",
    "bco-pair": "bco_pair",
    "sppo-hard": "sppo_hard",
    "aot": "aot",
    "aot-pair": "aot_unpaired",
    "apo-zero": "apo_zero",
    "apo-down": "apo_down",
    "discopop": "discopop",
    "sft": "sft",
    "dpo-norm": "sigmoid_norm",
}
F_DIVERGENCES = ("reverse_kl", "forward_kl", "js_divergence", "alpha_divergence")
EXO_EPSILON = 1e-3  # the value TRL's error message gives as the EXO paper's recommendation


def f_divergence_scores(rho: np.ndarray, kind: str, alpha: float = 0.5) -> np.ndarray:
    """f'(π/π_ref) for the f-divergence ``kind`` (Wang et al. 2023, arXiv 2309.16240, Table 1).

    reverse KL: log t = ρ (plain DPO); forward KL: 1 − 1/t = 1 − e^(−ρ); Jensen–Shannon:
    log(2t/(1 + t)) = log 2 + log σ(ρ); α-divergence: (t^(α−1) − 1)/(α − 1), ρ when α = 1.
    As TRL 1.16 does, the α-divergence exponent (α − 1)·ρ is clamped at 80 and exponentiated in
    float32 (TRL keeps exp representable after the cast back); the rest is float64.

    >>> f_divergence_scores(np.array([0.0]), "forward_kl").tolist()
    [0.0]
    """
    if kind == "reverse_kl":
        return rho
    if kind == "forward_kl":
        with np.errstate(over="ignore"):
            return 1 - np.exp(-rho)
    if kind == "js_divergence":
        return math.log(2) + log_sigmoid(rho)
    if kind == "alpha_divergence":
        if abs(alpha - 1.0) < 1e-6:  # the limit α → 1 is reverse KL (TRL's threshold)
            return rho
        t = np.minimum(((alpha - 1.0) * rho).astype(np.float32), np.float32(80.0))
        with np.errstate(under="ignore"):
            scaled = (np.exp(t) - np.float32(1.0)).astype(np.float64)
        return scaled * (1.0 / (alpha - 1.0))
    raise ValueError(f"unknown f_divergence_type {kind!r}; valid: {', '.join(F_DIVERGENCES)}")


def wpo_weights(
    token_logps: Sequence[np.ndarray], log_sum_sq_probs: Sequence[np.ndarray]
) -> np.ndarray:
    """WPO weight of each sequence: exp(mean_t(log p_t − log Σ_v p_v²)) (arXiv 2406.11827, Eq. 2,
    the length-normalised form TRL uses)."""
    return np.array(
        [
            math.exp(float(np.sum(row - sq)) / max(len(row), 1))
            for row, sq in zip(token_logps, log_sum_sq_probs, strict=True)
        ]
    )


def _logistic(z: np.ndarray, eps: float) -> np.ndarray:
    """−(1 − ε)·log σ(z) − ε·log σ(−z)."""
    out = (1.0 - eps) * softplus(-z)
    return out + eps * softplus(z) if eps else out


def trainer_losses(
    loss_type: str,
    *,
    chosen_logps: np.ndarray,
    rejected_logps: np.ndarray,
    ref_chosen_logps: np.ndarray,
    ref_rejected_logps: np.ndarray,
    beta: float,
    label_smoothing: float = 0.0,
    tau: float = 0.05,
    chosen_scores: np.ndarray | None = None,
    rejected_scores: np.ndarray | None = None,
    chosen_lengths: np.ndarray | None = None,
    rejected_lengths: np.ndarray | None = None,
    chosen_token_logps: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """Per-sequence loss of TRL 1.16 ``DPOTrainer`` for one ``loss_type``.

    ``chosen_scores``/``rejected_scores`` are the f-divergence scores (default: the log-ratios);
    ``ipo`` and ``sigmoid_norm`` divide them by the completion lengths; ``sft`` needs the chosen
    per-token log-probs.
    """
    rho_w = chosen_logps - ref_chosen_logps
    rho_l = rejected_logps - ref_rejected_logps
    s_w = rho_w if chosen_scores is None else chosen_scores
    s_l = rho_l if rejected_scores is None else rejected_scores
    z = beta * (s_w - s_l)
    if loss_type == "sigmoid":
        return softplus(-z)
    if loss_type == "hinge":
        return np.maximum(0.0, 1.0 - z)
    if loss_type in ("ipo", "sigmoid_norm"):
        delta = s_w / np.maximum(chosen_lengths, 1.0) - s_l / np.maximum(rejected_lengths, 1.0)
        if loss_type == "ipo":
            return (delta - 1 / (2 * beta)) ** 2
        return softplus(-beta * delta)
    if loss_type == "exo_pair":
        # KL(q ‖ p) with q = (σ(z), σ(−z)) and the smoothed label p = (1 − ε, ε).
        # TRL holds ε in a float32 tensor, so log(1 − ε) and log ε are float32 numbers.
        eps = np.float32(label_smoothing)
        log_pw, log_pl = float(np.log1p(-eps)), float(np.log(eps))
        log_qw, log_ql = log_sigmoid(z), log_sigmoid(-z)
        return sigmoid(z) * (log_qw - log_pw) + sigmoid(-z) * (log_ql - log_pl)
    if loss_type == "nca_pair":
        a, b = beta * rho_w, beta * rho_l
        return softplus(-a) + 0.5 * softplus(a) + 0.5 * softplus(b)
    if loss_type == "robust":
        return ((1 - label_smoothing) * softplus(-z) - label_smoothing * softplus(z)) / (
            1 - 2 * label_smoothing
        )
    if loss_type == "bco_pair":
        return softplus(-beta * rho_w) + softplus(beta * rho_l)
    if loss_type == "sppo_hard":
        return (rho_w - 0.5 / beta) ** 2 + (rho_l + 0.5 / beta) ** 2
    if loss_type == "aot":
        delta = np.sort(chosen_logps - rejected_logps) - np.sort(
            ref_chosen_logps - ref_rejected_logps
        )
        return _logistic(beta * delta, label_smoothing)
    if loss_type == "aot_unpaired":
        return _logistic(beta * (np.sort(rho_w) - np.sort(rho_l)), label_smoothing)
    if loss_type == "apo_zero":
        return (1 - sigmoid(beta * rho_w)) + sigmoid(beta * rho_l)
    if loss_type == "apo_down":
        return sigmoid(beta * rho_w) + (1 - sigmoid(beta * (rho_w - rho_l)))
    if loss_type == "discopop":
        return softplus(-z) * sigmoid(-z / tau) + np.exp(log_sigmoid(z / tau) - z)
    if loss_type == "sft":
        return np.full(len(rho_w), _sft_value(chosen_token_logps))
    raise ValueError(
        f"unknown loss_type {loss_type!r}; valid: {', '.join(TRAINER_LOSS_TYPES.values())}"
    )


def _sft_value(rows: Sequence[np.ndarray] | None) -> float:
    if rows is None:
        raise ValueError("sft needs the chosen per-token log-probs")
    return -float(np.sum(np.concatenate(rows))) / sum(len(row) for row in rows)


def _result(per_example: np.ndarray, rho_w: np.ndarray, rho_l: np.ndarray, beta: float, **details):
    return pairwise_result(per_example, beta * rho_w, beta * rho_l, **details)


def bco_pair(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    beta: float = 0.1,
) -> LossResult:
    """BCO on pairs: ℓ = −log σ(βρ_w) − log σ(−βρ_l).

    Jung et al. 2024, arXiv 2404.04656, Eq. 6 (the binary classifier loss, chosen = class 1,
    rejected = class 0) with the reward shift δ set to 0: TRL 1.16's ``loss_type="bco_pair"``
    has no running mean (older releases subtracted a running mean of the rewards; see the ``bco``
    loss for that form). Default β = 0.1.

    >>> z = np.zeros(1)
    >>> round(bco_pair(policy_chosen_logps=z, policy_rejected_logps=z,
    ...                reference_chosen_logps=z, reference_rejected_logps=z).loss, 12)  # 2 log 2
    1.38629436112
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    per_example = softplus(-beta * rho_w) + softplus(beta * rho_l)
    return _result(per_example, rho_w, rho_l, beta)


def aot(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    beta: float = 0.1,
    label_smoothing: float = 0.0,
) -> LossResult:
    """AOT (paired): ℓ_k = −(1 − ε)·log σ(β d_k) − ε·log σ(−β d_k), d = sort(π_w − π_l) −
    sort(π_ref,w − π_ref,l).

    Melnyk et al. 2024, arXiv 2406.05882, Eq. 12 (distributional alignment via optimal transport:
    first-order stochastic dominance of the chosen over the rejected reward distribution, whose 1-D
    optimal transport is a sort). The k-th smallest policy log-ratio is matched with the k-th
    smallest reference one, so ``per_example`` is per sorted rank, not per input pair, and the
    loss couples the whole batch. Default β = 0.1, ε = 0 (TRL's). TRL: ``loss_type="aot"``.
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    per_example = trainer_losses(
        "aot",
        chosen_logps=policy_chosen_logps,
        rejected_logps=policy_rejected_logps,
        ref_chosen_logps=reference_chosen_logps,
        ref_rejected_logps=reference_rejected_logps,
        beta=beta,
        label_smoothing=label_smoothing,
    )
    return _result(per_example, rho_w, rho_l, beta)


def aot_pair(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    beta: float = 0.1,
    label_smoothing: float = 0.0,
) -> LossResult:
    """AOT (unpaired): ℓ_k = −(1 − ε)·log σ(β d_k) − ε·log σ(−β d_k), d = sort(ρ_w) − sort(ρ_l).

    Melnyk et al. 2024, arXiv 2406.05882, Eq. 13 (the unpaired form: the chosen and rejected
    log-ratio distributions are sorted separately). TRL 1.16: ``loss_type="aot_unpaired"`` (named
    ``aot_pair`` in earlier releases). ``per_example`` is per sorted rank. Default β = 0.1, ε = 0.
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    per_example = _logistic(beta * (np.sort(rho_w) - np.sort(rho_l)), label_smoothing)
    return _result(per_example, rho_w, rho_l, beta)


def exo_pair(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    beta: float = 0.1,
    label_smoothing: float = EXO_EPSILON,
) -> LossResult:
    """EXO on pairs: ℓ = σ(z)(log σ(z) − log(1 − ε)) + σ(−z)(log σ(−z) − log ε), z = βΔ.

    Ji et al. 2024, arXiv 2402.00856, Eq. 16 with K = 2: the reverse KL from the policy's
    two-way distribution softmax(βρ) to the smoothed label (1 − ε, ε); log ε and log(1 − ε) are
    float32 numbers, as in TRL, which keeps ε in a float32 tensor. Default β = 0.1 and
    ε = 1e-3 (the paper's recommendation, which TRL's error message quotes; TRL's own default of 0
    is rejected for this loss). TRL: ``loss_type="exo_pair"``.
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    per_example = trainer_losses(
        "exo_pair",
        chosen_logps=policy_chosen_logps,
        rejected_logps=policy_rejected_logps,
        ref_chosen_logps=reference_chosen_logps,
        ref_rejected_logps=reference_rejected_logps,
        beta=beta,
        label_smoothing=label_smoothing,
    )
    return _result(per_example, rho_w, rho_l, beta)


def dpo_norm(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    chosen_lengths: np.ndarray,
    rejected_lengths: np.ndarray,
    beta: float = 0.1,
) -> LossResult:
    """Length-normalised DPO: ℓ = −log σ(β(ρ_w/|y_w| − ρ_l/|y_l|)).

    The DPO loss (arXiv 2305.18290, Eq. 7) on per-token log-ratios, i.e. the implicit reward
    divided by the completion length (the length normalisation of SimPO, arXiv 2405.14734,
    Eq. 4, kept with a reference model). TRL: ``loss_type="sigmoid_norm"``, which divides by the
    completion-mask length clamped at 1. Default β = 0.1.
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    delta = rho_w / np.maximum(chosen_lengths, 1.0) - rho_l / np.maximum(rejected_lengths, 1.0)
    return _result(softplus(-beta * delta), rho_w, rho_l, beta)


def sft(*, policy_chosen_token_logps: Sequence[np.ndarray]) -> LossResult:
    """SFT term: ℓ = −(1/N)·Σ log p over all N chosen tokens of the batch.

    The negative log-likelihood of the chosen completions (e.g. RPO, Pang et al. 2024, arXiv
    2404.19733, Eq. 2's NLL term). TRL: ``loss_type="sft"``, a token-level cross-entropy over the
    whole batch, so long completions weigh more; ``per_example`` is each sequence's token mean.

    >>> sft(policy_chosen_token_logps=[np.array([-1.0, -3.0]), np.array([-2.0])]).loss
    2.0
    """
    per_example = np.array([-float(np.mean(row)) for row in policy_chosen_token_logps])
    return LossResult(
        loss=_sft_value(policy_chosen_token_logps),
        per_example=per_example,
        details={"num_tokens": sum(len(row) for row in policy_chosen_token_logps)},
    )


def mixture(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    chosen_lengths: np.ndarray | None = None,
    rejected_lengths: np.ndarray | None = None,
    policy_chosen_token_logps: Sequence[np.ndarray] | None = None,
    loss_types: Sequence[str] = ("dpo", "bco-pair", "sft"),
    loss_weights: Sequence[float] | None = None,
    beta: float = 0.1,
    label_smoothing: float = 0.0,
    tau: float = 0.05,
) -> LossResult:
    """Weighted mixture: ℓ = Σ_k w_k · mean(ℓ_k), ℓ_k a DPOTrainer loss.

    MPO, Wang et al. 2024, arXiv 2411.10442, Sec. 3.2 (L = w_p·L_p + w_q·L_q + w_g·L_g with DPO as
    the preference loss, BCO as the quality loss and SFT as the generation loss; the defaults here
    are those three, weights 0.8, 0.2, 1.0 as TRL's docs give them). TRL: ``DPOTrainer`` with a
    list of ``loss_type`` and ``loss_weights`` (default all 1 when the weights are left out).
    Each component follows TRL 1.16 exactly, so ``dpo`` here has no label smoothing and ``ipo``
    divides by the lengths. ``per_example`` is Σ_k w_k·ℓ_k per pair.
    """
    weights = tuple(loss_weights) if loss_weights is not None else (1.0,) * len(loss_types)
    terms = {}
    total = np.zeros(len(policy_chosen_logps))
    for loss_id, weight in zip(loss_types, weights, strict=True):
        values = trainer_losses(
            TRAINER_LOSS_TYPES[loss_id],
            chosen_logps=policy_chosen_logps,
            rejected_logps=policy_rejected_logps,
            ref_chosen_logps=reference_chosen_logps,
            ref_rejected_logps=reference_rejected_logps,
            beta=beta,
            label_smoothing=label_smoothing,
            tau=tau,
            chosen_lengths=chosen_lengths,
            rejected_lengths=rejected_lengths,
            chosen_token_logps=policy_chosen_token_logps,
        )
        terms[loss_id] = float(np.mean(values))
        total = total + weight * values
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    result = _result(total, rho_w, rho_l, beta, components=terms)
    loss = sum(w * terms[k] for k, w in zip(loss_types, weights, strict=True))
    return LossResult(
        loss=float(loss),
        per_example=result.per_example,
        chosen_rewards=result.chosen_rewards,
        rejected_rewards=result.rejected_rewards,
        details=result.details,
    )
