"""Policy-gradient objectives: group advantages (GRPO, RLOO) and clipped surrogates (GRPO, PPO).

Rewards for group estimators are laid out group after group: with G = ``num_generations``,
rows 0..G−1 are the completions of the first prompt, G..2G−1 of the second, and so on (TRL's
layout). Per-token inputs are ragged: one list of token values per completion.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from app.losses.result import LossResult

GRPO_STD_EPS = 1e-4  # TRL's guard against a zero-variance group; the paper has none.

ScaleRewards = Literal["group", "batch", "none"]
GrpoLossType = Literal["grpo", "bnpo", "dr_grpo", "dapo"]


def grpo_advantages(
    *, rewards: np.ndarray, num_generations: int = 8, scale_rewards: ScaleRewards = "group"
) -> LossResult:
    """GRPO outcome advantages: Â_i = (r_i − mean of its group) / (s + 1e-4).

    Shao et al. 2024 (DeepSeekMath), arXiv 2402.03300, Sec. 4.1.2 (outcome supervision,
    Â = (r − mean(r)) / std(r) over the G samples of one prompt). Choices made as TRL's
    ``GRPOTrainer`` makes them, none of which the paper specifies: s is the sample standard
    deviation (n − 1); 1e-4 is added to s; ``scale_rewards="batch"`` uses the std of the whole
    batch (still centring per group), ``"none"`` only centres (Dr. GRPO, arXiv 2503.20783).
    Defaults G = 8 (TRL), ``scale_rewards="group"``. ``per_example`` holds the advantages and
    ``loss`` their mean (zero up to rounding): there is no loss here, only the estimator.

    >>> res = grpo_advantages(rewards=np.array([1.0, 0.0]), num_generations=2, scale_rewards="none")
    >>> res.per_example.tolist()
    [0.5, -0.5]
    """
    grouped = rewards.reshape(-1, num_generations)
    group_mean = grouped.mean(axis=1, keepdims=True)
    centred = grouped - group_mean
    if scale_rewards == "group":
        std = grouped.std(axis=1, ddof=1, keepdims=True)
    elif scale_rewards == "batch":
        std = np.full((1, 1), rewards.std(ddof=1))
    elif scale_rewards == "none":
        std = grouped.std(axis=1, ddof=1, keepdims=True)  # reported, not used
    else:
        raise ValueError(f"unknown scale_rewards {scale_rewards!r}; valid: group, batch, none")
    advantages = (centred if scale_rewards == "none" else centred / (std + GRPO_STD_EPS)).reshape(
        -1
    )
    return LossResult(
        loss=float(np.mean(advantages)),
        per_example=advantages,
        details={
            "group_mean": group_mean.reshape(-1),
            "std": np.broadcast_to(std, group_mean.shape).reshape(-1),
        },
    )


def rloo_advantages(*, rewards: np.ndarray, num_generations: int = 2) -> LossResult:
    """RLOO advantages: A_i = r_i − (1/(k − 1))·Σ_{j≠i} r_j within each group of k samples.

    The REINFORCE leave-one-out baseline (Kool et al. 2019) as used for RLHF by Ahmadian et al.
    2024, arXiv 2402.14740 (their RLOO estimator). Default k = 2 (TRL's ``RLOOConfig``; the paper
    reports k = 2 and k = 4). TRL: ``RLOOTrainer`` with ``normalize_advantages=False`` and β = 0
    (TRL folds a KL penalty into the rewards before this step; pass such rewards as they are).
    ``per_example`` holds the advantages and ``loss`` their mean (zero up to rounding).

    >>> rloo_advantages(rewards=np.array([1.0, 0.0, 0.0]), num_generations=3).per_example.tolist()
    [1.0, -0.5, -0.5]
    """
    grouped = rewards.reshape(-1, num_generations)
    baseline = (grouped.sum(axis=1, keepdims=True) - grouped) / (num_generations - 1)
    advantages = (grouped - baseline).reshape(-1)
    return LossResult(
        loss=float(np.mean(advantages)),
        per_example=advantages,
        details={"baseline": baseline.reshape(-1)},
    )


def clipped_surrogate(
    log_ratio: np.ndarray, advantages: np.ndarray, eps_low: float, eps_high: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-token −min(r·A, clip(r, 1 − ε_low, 1 + ε_high)·A) and where the clip is active.

    Written as −A·min(r, 1 + ε_high) for A ≥ 0 and −A·max(r, 1 − ε_low) for A < 0, which is the
    same number bit for bit (rounding is monotone) but never forms inf·0 when r overflows: an
    overflowing ratio with A < 0 gives +inf, which the caller reports, and with A = 0 gives 0.
    """
    with np.errstate(over="ignore"):
        ratio = np.exp(log_ratio)
    positive = advantages >= 0
    factor = np.where(positive, np.minimum(ratio, 1.0 + eps_high), np.maximum(ratio, 1.0 - eps_low))
    # Counted as TRL logs it: only where A ≠ 0 does the clip change anything.
    clipped = ((advantages > 0) & (ratio > 1.0 + eps_high)) | (
        (advantages < 0) & (ratio < 1.0 - eps_low)
    )
    return -advantages * factor, clipped


def _split(values: np.ndarray, lengths: np.ndarray) -> list[list[float]]:
    return [part.tolist() for part in np.split(values, np.cumsum(lengths)[:-1])]


def grpo(
    *,
    per_token_logps: list[np.ndarray],
    advantages: np.ndarray,
    old_per_token_logps: list[np.ndarray] | None = None,
    ref_per_token_logps: list[np.ndarray] | None = None,
    beta: float = 0.04,
    epsilon: float = 0.2,
    epsilon_high: float | None = None,
    loss_type: GrpoLossType = "grpo",
    max_completion_length: int = 512,
) -> LossResult:
    """GRPO: per token ℓ_t = −min(r_t·A, clip(r_t, 1 − ε, 1 + ε_high)·A) + β·KL_t, with
    r_t = exp(θ_t − old_t) and KL_t = exp(ref_t − θ_t) − (ref_t − θ_t) − 1.

    Shao et al. 2024 (DeepSeekMath), arXiv 2402.03300, Eq. 3 (objective) and Eq. 4 (the k3 KL
    estimator, added to the loss unweighted by r_t). ``old_per_token_logps`` defaults to θ
    (on-policy, r_t = 1); the KL term needs ``ref_per_token_logps`` when β > 0. Aggregation
    (``loss_type``): ``grpo`` = mean over sequences of each sequence's token mean (Eq. 3);
    ``bnpo`` and ``dapo`` = sum over all tokens / number of tokens (DAPO, arXiv 2503.14476,
    token-level; TRL's ``dapo`` divides by the tokens of the whole generation batch, which on one
    process and one step is this); ``dr_grpo`` = sum / (sequences × max_completion_length)
    (Dr. GRPO, arXiv 2503.20783). ε_high defaults to ε (DAPO's clip-higher when larger).
    Defaults: β = 0.04 and ε = 0.2 (the paper's; TRL 1.16 defaults to β = 0 and
    ``loss_type="dapo"``), ``loss_type="grpo"``, max_completion_length = 512 (TRL's).
    KL_t is evaluated as expm1(d) − d, d = ref − θ: the same quantity, without cancellation
    for small d. ``per_example`` is each sequence's token-mean loss.

    On-policy with A = 1 and β = 0 every token costs −1:

    >>> grpo(per_token_logps=[np.array([-1.0, -2.0])], advantages=np.array([1.0]), beta=0.0).loss
    -1.0
    """
    lengths = np.array([len(seq) for seq in per_token_logps])
    logps = np.concatenate(per_token_logps)
    old = logps if old_per_token_logps is None else np.concatenate(old_per_token_logps)
    token_advantages = np.repeat(advantages, lengths)
    eps_high = epsilon if epsilon_high is None else epsilon_high
    per_token, clipped = clipped_surrogate(logps - old, token_advantages, epsilon, eps_high)
    mean_kl = None
    if beta != 0.0 and ref_per_token_logps is not None:
        d = np.concatenate(ref_per_token_logps) - logps
        with np.errstate(over="ignore"):
            kl = np.expm1(d) - d
        per_token = per_token + beta * kl
        mean_kl = float(np.mean(kl))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    sequence_means = np.add.reduceat(per_token, starts) / lengths
    if loss_type == "grpo":
        loss = float(np.mean(sequence_means))
    elif loss_type in ("bnpo", "dapo"):
        loss = float(np.sum(per_token) / per_token.size)
    elif loss_type == "dr_grpo":
        loss = float(np.sum(per_token) / (len(lengths) * max_completion_length))
    else:
        raise ValueError(f"unknown loss_type {loss_type!r}; valid: grpo, bnpo, dr_grpo, dapo")
    return LossResult(
        loss=loss,
        per_example=sequence_means,
        details={
            "clip_ratio": float(np.mean(clipped)),
            "mean_kl": mean_kl,
            "num_tokens": int(per_token.size),
            "per_token_loss": _split(per_token, lengths),
        },
    )


def ppo_clip(
    *,
    old_logprobs: list[np.ndarray],
    new_logprobs: list[np.ndarray],
    advantages: list[np.ndarray],
    epsilon: float = 0.2,
) -> LossResult:
    """PPO clipped surrogate: token mean of max(−A_t·r_t, −A_t·clip(r_t, 1 − ε, 1 + ε)),
    r_t = exp(new_t − old_t).

    Schulman et al. 2017, arXiv 1707.06347, Eq. 7 (L^CLIP, negated to a loss). Default ε = 0.2
    (the paper's). The mean is over all tokens of the batch, as TRL's ``PPOTrainer`` takes it
    (``masked_mean`` of the per-token maximum). ``per_example`` is each sequence's token mean;
    ``clip_fraction`` is the share of tokens whose clipped term is the larger one.

    >>> ppo_clip(old_logprobs=[np.array([-1.0])], new_logprobs=[np.array([-1.0])],
    ...          advantages=[np.array([2.0])]).loss
    -2.0
    """
    lengths = np.array([len(seq) for seq in new_logprobs])
    log_ratio = np.concatenate(new_logprobs) - np.concatenate(old_logprobs)
    token_advantages = np.concatenate(advantages)
    per_token, clipped = clipped_surrogate(log_ratio, token_advantages, epsilon, epsilon)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return LossResult(
        loss=float(np.mean(per_token)),
        per_example=np.add.reduceat(per_token, starts) / lengths,
        details={
            "clip_fraction": float(np.mean(clipped)),
            "num_tokens": int(per_token.size),
            "per_token_loss": _split(per_token, lengths),
        },
    )
