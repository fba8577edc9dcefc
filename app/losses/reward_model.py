"""Reward-model training losses (the Bradley–Terry pairwise likelihood)."""

from __future__ import annotations

import numpy as np

from app.losses._numeric import softplus
from app.losses.result import LossResult, pairwise_result


def bradley_terry(
    *,
    chosen_rewards: np.ndarray,
    rejected_rewards: np.ndarray,
    margin: np.ndarray | None = None,
    center_rewards_coefficient: float = 0.0,
) -> LossResult:
    """Bradley–Terry reward-model loss: ℓ = −log σ(r_c − r_r − m) + c·(r_c + r_r)².

    Ouyang et al. 2022 (InstructGPT), arXiv 2203.02155, Eq. 1, for one comparison (the paper
    averages over the C(K, 2) pairs of a K-way ranking; pass each pair as one row). The optional
    per-pair margin m is Llama 2's (Touvron et al. 2023, arXiv 2307.09288, Eq. 2). The centring
    term c·mean((r_c + r_r)²) is Eisenstein et al. 2023, arXiv 2312.09244, Eq. 2 (they suggest
    c = 0.01); the default c = 0 leaves it off. TRL: ``RewardTrainer.compute_loss`` computes
    mean(−log σ(r_c − r_r − m)) + c·mean((r_c + r_r)²), which is the mean of the per-example
    values here.

    Equal rewards give log 2:

    >>> equal = np.array([0.3])
    >>> round(bradley_terry(chosen_rewards=equal, rejected_rewards=equal).loss, 12)
    0.69314718056
    """
    diff = chosen_rewards - rejected_rewards
    if margin is not None:
        diff = diff - margin
    per_example = softplus(-diff)
    if center_rewards_coefficient:
        per_example = (
            per_example + center_rewards_coefficient * (chosen_rewards + rejected_rewards) ** 2
        )
    return pairwise_result(per_example, chosen_rewards, rejected_rewards)
