"""Losses on unpaired, binary feedback (each completion is marked desirable or not)."""

from __future__ import annotations

import numpy as np

from app.losses._numeric import sigmoid
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
