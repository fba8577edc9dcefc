"""What every loss function returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class LossResult:
    """The batch loss, the per-example values it averages, and implicit rewards where defined.

    ``details`` holds loss-specific diagnostics (numbers or arrays), e.g. the reward accuracy of
    a pairwise loss or the KL estimate z0 of KTO.
    """

    loss: float
    per_example: np.ndarray | None
    chosen_rewards: np.ndarray | None = None
    rejected_rewards: np.ndarray | None = None
    details: dict[str, Any] = field(default_factory=dict)


def pairwise_result(
    per_example: np.ndarray,
    chosen_rewards: np.ndarray,
    rejected_rewards: np.ndarray,
    **details: Any,
) -> LossResult:
    """Mean loss plus the reward accuracy and mean reward margin TRL logs for pairwise losses."""
    n = len(per_example)
    return LossResult(
        loss=float(np.mean(per_example)),
        per_example=per_example,
        chosen_rewards=chosen_rewards,
        rejected_rewards=rejected_rewards,
        details={
            "reward_accuracy": np.count_nonzero(chosen_rewards > rejected_rewards) / n,
            "reward_margin": float(np.mean(chosen_rewards) - np.mean(rejected_rewards)),
            **details,
        },
    )
