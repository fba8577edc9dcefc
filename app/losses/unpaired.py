"""Losses on unpaired, binary feedback (each completion is marked desirable or not)."""

from __future__ import annotations

import numpy as np

from app.losses._numeric import sigmoid, softplus
from app.losses.result import LossResult


def kto(
    *,
    policy_logps: np.ndarray,
    reference_logps: np.ndarray,
    labels: np.ndarray,
    policy_kl_logps: np.ndarray,
    reference_kl_logps: np.ndarray,
    beta: float = 0.1,
    desirable_weight: float = 1.0,
    undesirable_weight: float = 1.0,
) -> LossResult:
    """KTO: with ρ = policy − reference log-prob and z0 = max(0, mean(policy_kl − reference_kl)),
    desirable ℓ = w_D·(1 − σ(β(ρ − z0))), undesirable ℓ = w_U·(1 − σ(β(z0 − ρ))); mean over all.

    Ethayarajh et al. 2024, arXiv 2402.01306, Eq. 7 (L = E[λ_y − v(x, y)] with the value
    v = λ_D σ(β(r − z0)) or λ_U σ(β(z0 − r))). z0 is the reference point: a batch estimate of
    KL(π_θ ‖ π_ref) from completions paired with mismatched prompts (the ``*_kl_logps``), clipped
    at 0 and treated as a constant. Defaults β = 0.1, λ_D = λ_U = 1. TRL: ``KTOTrainer``
    (``loss_type="kto"``), which averages the concatenated weighted losses: the same mean.
    1 − σ(x) is computed as σ(−x), equal up to rounding and accurate when σ(x) is close to 1.

    >>> z = np.zeros(2)
    >>> kto(policy_logps=z, reference_logps=z, labels=np.array([True, False]),
    ...     policy_kl_logps=z, reference_kl_logps=z).loss
    0.5
    """
    labels = np.asarray(labels, dtype=bool)
    rho = policy_logps - reference_logps
    z0 = max(0.0, float(np.mean(policy_kl_logps - reference_kl_logps)))
    per_example = np.where(
        labels,
        desirable_weight * sigmoid(-beta * (rho - z0)),
        undesirable_weight * sigmoid(-beta * (z0 - rho)),
    )
    rewards = beta * rho
    return LossResult(
        loss=float(np.mean(per_example)),
        per_example=per_example,
        chosen_rewards=rewards[labels],
        rejected_rewards=rewards[~labels],
        details={
            "kl": z0,
            "num_desirable": int(labels.sum()),
            "num_undesirable": int((~labels).sum()),
        },
    )


def apo_zero_unpaired(
    *,
    policy_logps: np.ndarray,
    reference_logps: np.ndarray,
    labels: np.ndarray,
    beta: float = 0.1,
    desirable_weight: float = 1.0,
    undesirable_weight: float = 1.0,
) -> LossResult:
    """APO-zero on unpaired data: desirable ℓ = w_D·(1 − σ(βρ)), undesirable ℓ = w_U·σ(βρ).

    D'Oosterlinck et al. 2024, arXiv 2408.06266, Eq. 7 with the chosen and rejected terms applied
    to single completions (TRL's unpaired variant): raise the likelihood of desirable answers
    and lower that of undesirable ones, each anchored at the reference; there is no KL
    reference point. Defaults β = 0.1, w_D = w_U = 1. TRL: ``KTOTrainer``,
    ``loss_type="apo_zero_unpaired"`` (the mean of the weighted losses).

    >>> z = np.zeros(2)
    >>> apo_zero_unpaired(policy_logps=z, reference_logps=z, labels=np.array([True, False])).loss
    0.5
    """
    labels = np.asarray(labels, dtype=bool)
    rho = policy_logps - reference_logps
    per_example = np.where(
        labels, desirable_weight * sigmoid(-beta * rho), undesirable_weight * sigmoid(beta * rho)
    )
    rewards = beta * rho
    return LossResult(
        loss=float(np.mean(per_example)),
        per_example=per_example,
        chosen_rewards=rewards[labels],
        rejected_rewards=rewards[~labels],
        details={"num_desirable": int(labels.sum()), "num_undesirable": int((~labels).sum())},
    )


BCO_FRESH = (0.0, 1.0, 1e-24)  # TRL's RunningMoments at start: mean, var, count


def running_moments(
    values: np.ndarray, mean: float, var: float, count: float
) -> tuple[float, float, float]:
    """One update of TRL's ``RunningMoments`` (Chan et al.'s parallel mean/variance merge).

    As in TRL, the batch mean and (biased) variance are cast to float32 and the mean increment
    is computed in float32; the state itself is kept as Python floats.
    """
    f32 = np.float32
    n = values.size
    batch_mean, batch_var = f32(np.mean(values)), f32(np.var(values))
    delta = batch_mean - f32(mean)
    total = count + n
    old_sum = f32(var * count) + delta**2 * f32(count) * f32(n) / f32(total)
    new_sum = batch_var * f32(n)
    new_mean = mean + float(delta * f32(n) / f32(total))
    return new_mean, float((old_sum + new_sum) / f32(total)), total


def bco(
    *,
    policy_logps: np.ndarray,
    reference_logps: np.ndarray,
    labels: np.ndarray,
    beta: float = 0.1,
    running_mean: float = BCO_FRESH[0],
    running_var: float = BCO_FRESH[1],
    running_count: float = BCO_FRESH[2],
) -> LossResult:
    """BCO: with r = βρ and δ the running mean of all rewards seen so far (this batch included),
    desirable ℓ = −log σ(r − δ), undesirable ℓ = −log σ(−(r − δ)); mean over all.

    Jung et al. 2024, arXiv 2404.04656, Eq. 6 (binary cross-entropy with the reward shift δ,
    Sec. 3.2: a moving average of the rewards). As TRL's last ``BCOTrainer`` (1.13) does, δ is
    updated with this batch's rewards before the loss (``RunningMoments``, float32 batch
    statistics), so a fresh trainer's δ is this batch's mean reward; pass ``running_mean``,
    ``running_var``, ``running_count`` to continue from an earlier state (defaults: TRL's fresh
    state 0, 1, 1e-24). The prompt-embedding density-ratio weighting (UDM) is not included.
    ``details`` returns the updated state.
    """
    labels = np.asarray(labels, dtype=bool)
    rewards = beta * (policy_logps - reference_logps)
    # TRL concatenates chosen then rejected rewards; the mean and variance do not depend on order.
    ordered = np.concatenate((rewards[labels], rewards[~labels]))
    mean, var, count = running_moments(ordered, running_mean, running_var, running_count)
    delta = float(np.float32(mean))  # torch.as_tensor(python float) is a float32 tensor
    per_example = np.where(labels, softplus(-(rewards - delta)), softplus(rewards - delta))
    return LossResult(
        loss=float(np.mean(per_example)),
        per_example=per_example,
        chosen_rewards=rewards[labels],
        rejected_rewards=rewards[~labels],
        details={
            "delta": delta,
            "running_mean": mean,
            "running_var": var,
            "running_count": count,
        },
    )
