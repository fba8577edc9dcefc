"""Policy-gradient objectives: group advantages (GRPO, RLOO) and clipped surrogates (GRPO, PPO).

Rewards for group estimators are laid out group after group: with G = ``num_generations``,
rows 0..G−1 are the completions of the first prompt, G..2G−1 of the second, and so on (TRL's
layout). Per-token inputs are ragged: one list of token values per completion.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from app.losses._numeric import sigmoid
from app.losses.result import LossResult

GRPO_STD_EPS = 1e-4  # TRL's guard against a zero-variance group; the paper has none.

ScaleRewards = Literal["group", "batch", "none"]
GrpoLossType = Literal["grpo", "bnpo", "dr_grpo", "dapo", "cispo", "sapo"]


def nanmean(x: np.ndarray, axis: int | None = None) -> np.ndarray:
    """Mean over the non-NaN entries; NaN where there are none (torch.nanmean)."""
    valid = ~np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(valid, x, 0.0).sum(axis=axis, keepdims=True) / valid.sum(
            axis=axis, keepdims=True
        )


def nanstd(x: np.ndarray, axis: int | None = None) -> np.ndarray:
    """TRL's ``nanstd``: NaN-aware sample standard deviation; NaN with fewer than two values.

    Bessel's factor n/(n − 1) is a float32 number, as in TRL (a ratio of integer tensors).
    """
    mean = nanmean(x, axis)
    valid = ~np.isnan(x)
    variance = nanmean(np.where(valid, (x - mean) ** 2, np.nan), axis)
    count = valid.sum(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        correction = np.where(
            count > 1,
            (count.astype(np.float32) / (count - 1).astype(np.float32)).astype(np.float64),
            np.nan,
        )
        return np.sqrt(variance * correction)


ObjectiveAggregation = Literal["sum_then_normalize", "normalize_then_sum"]


def grpo_advantages(
    *,
    rewards: np.ndarray | None = None,
    rewards_per_func: np.ndarray | None = None,
    num_generations: int = 8,
    scale_rewards: ScaleRewards = "group",
    reward_weights: tuple[float, ...] | None = None,
    multi_objective_aggregation: ObjectiveAggregation = "sum_then_normalize",
) -> LossResult:
    """GRPO outcome advantages: Â_i = (r_i − mean of its group) / (s + 1e-4).

    Shao et al. 2024 (DeepSeekMath), arXiv 2402.03300, Sec. 4.1.2 (outcome supervision,
    Â = (r − mean(r)) / std(r) over the G samples of one prompt). Choices made as TRL's
    ``GRPOTrainer`` makes them, none of which the paper specifies: s is the sample standard
    deviation (n − 1, its factor a float32 number as in TRL's ``nanstd``); 1e-4 is added to s;
    ``scale_rewards="batch"`` uses the std of the whole batch (still centring per group),
    ``"none"`` only centres (Dr. GRPO, arXiv 2503.20783). Defaults G = 8 (TRL),
    ``scale_rewards="group"``.

    Several reward functions (``rewards_per_func``, one column each, NaN where a function
    returned nothing): ``sum_then_normalize`` (TRL's default) sums the weighted columns, NaNs
    skipped, then normalises as above; ``normalize_then_sum`` (GDPO) normalises each column per
    group first, sums the weighted results and then normalises over the whole batch
    (``scale_rewards`` is not used). A completion with no reward at all is left out of the
    statistics and gets advantage 0. ``per_example`` holds the advantages and ``loss`` their mean:
    there is no loss here, only the estimator.

    >>> res = grpo_advantages(rewards=np.array([1.0, 0.0]), num_generations=2, scale_rewards="none")
    >>> res.per_example.tolist()
    [0.5, -0.5]
    """
    per_func = rewards[:, None] if rewards_per_func is None else rewards_per_func
    weights = np.ones(per_func.shape[1]) if reward_weights is None else np.array(reward_weights)
    unscorable = np.isnan(per_func).all(axis=1)
    g = num_generations
    if multi_objective_aggregation == "sum_then_normalize":
        total = np.where(np.isnan(per_func), 0.0, per_func * weights[None, :]).sum(axis=1)
        total[unscorable] = np.nan
        grouped = total.reshape(-1, g)
        group_mean = nanmean(grouped, axis=1)
        if scale_rewards in ("group", "none"):
            std = nanstd(grouped, axis=1)
        elif scale_rewards == "batch":
            std = np.full(group_mean.shape, nanstd(total).item())
        else:
            raise ValueError(f"unknown scale_rewards {scale_rewards!r}; valid: group, batch, none")
        advantages = grouped - group_mean
        if scale_rewards != "none":
            advantages = advantages / (std + GRPO_STD_EPS)
        advantages = advantages.reshape(-1)
    elif multi_objective_aggregation == "normalize_then_sum":
        grouped = per_func.reshape(-1, g, per_func.shape[1])
        mean_k, std_k = nanmean(grouped, axis=1), nanstd(grouped, axis=1)
        normalised = ((grouped - mean_k) / (std_k + GRPO_STD_EPS)).reshape(-1, per_func.shape[1])
        total = np.where(np.isnan(normalised), 0.0, normalised * weights[None, :]).sum(axis=1)
        total[unscorable] = np.nan
        group_mean = nanmean(total.reshape(-1, g), axis=1)
        std = np.full(group_mean.shape, nanstd(total).item())
        advantages = (total - nanmean(total).item()) / (nanstd(total).item() + GRPO_STD_EPS)
    else:
        raise ValueError(
            f"unknown multi_objective_aggregation {multi_objective_aggregation!r}; valid: "
            "sum_then_normalize, normalize_then_sum"
        )
    advantages = np.nan_to_num(advantages, nan=0.0)
    return LossResult(
        loss=float(np.mean(advantages)),
        per_example=advantages,
        details={
            "group_mean": group_mean.reshape(-1),
            "std": np.broadcast_to(std, group_mean.shape).reshape(-1),
            "num_unscorable": int(unscorable.sum()),
        },
    )


def rloo_advantages(
    *,
    rewards: np.ndarray,
    num_generations: int = 2,
    beta: float = 0.0,
    old_per_token_logps: list[np.ndarray] | None = None,
    ref_per_token_logps: list[np.ndarray] | None = None,
    normalize_advantages: bool = False,
) -> LossResult:
    """RLOO advantages: A_i = r_i − (1/(k − 1))·Σ_{j≠i} r_j within each group of k samples.

    The REINFORCE leave-one-out baseline (Kool et al. 2019) as used for RLHF by Ahmadian et al.
    2024, arXiv 2402.14740 (their RLOO estimator). Default k = 2 (TRL's ``RLOOConfig``; the paper
    reports k = 2 and k = 4). With β > 0 the reward is first KL-shaped as TRL's ``RLOOTrainer``
    does: r_i − β·Σ_t (old_t − ref_t), the sequence's summed k1 log-ratio (the paper's Eq. 2
    penalty). ``normalize_advantages`` whitens the advantages over the batch,
    (A − mean)/(std + 1e-4) with TRL's ``nanstd``. Default β = 0 here (TRL's default is 0.05:
    pass the two per-token inputs and set it to reproduce TRL).
    ``per_example`` holds the advantages and ``loss`` their mean (zero up to rounding).

    >>> rloo_advantages(rewards=np.array([1.0, 0.0, 0.0]), num_generations=3).per_example.tolist()
    [1.0, -0.5, -0.5]
    """
    shaped = rewards
    kl = None
    if beta != 0.0 and old_per_token_logps is not None and ref_per_token_logps is not None:
        kl = np.array(
            [
                float(np.sum(o - r))
                for o, r in zip(old_per_token_logps, ref_per_token_logps, strict=True)
            ]
        )
        shaped = rewards - beta * kl
    grouped = shaped.reshape(-1, num_generations)
    baseline = (grouped.sum(axis=1, keepdims=True) - grouped) / (num_generations - 1)
    advantages = (grouped - baseline).reshape(-1)
    if normalize_advantages:
        advantages = (advantages - np.mean(advantages)) / (nanstd(advantages).item() + GRPO_STD_EPS)
    return LossResult(
        loss=float(np.mean(advantages)),
        per_example=advantages,
        details={
            "baseline": baseline.reshape(-1),
            "shaped_rewards": shaped,
            "kl": kl,
        },
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
    importance_sampling_level: Literal["token", "sequence"] = "token",
    use_bias_correction_kl: bool = True,
    sapo_temperature_pos: float = 1.0,
    sapo_temperature_neg: float = 1.05,
) -> LossResult:
    """GRPO: per token ℓ_t = −min(r_t·A, clip(r_t, 1 − ε, 1 + ε_high)·A) + β·KL_t, with
    r_t = exp(θ_t − old_t) and KL_t = exp(ref_t − θ_t) − (ref_t − θ_t) − 1.

    Shao et al. 2024 (DeepSeekMath), arXiv 2402.03300, Eq. 3 (objective) and Eq. 4 (the k3 KL
    estimator). ``old_per_token_logps`` defaults to θ (on-policy, r_t = 1); the KL term needs
    ``ref_per_token_logps`` when β > 0. Aggregation (``loss_type``): ``grpo`` and ``sapo`` = mean
    over sequences of each sequence's token mean (Eq. 3); ``bnpo``, ``dapo`` and ``cispo`` = sum
    over all tokens / number of tokens (DAPO, arXiv 2503.14476, token-level; TRL's ``dapo`` and
    ``cispo`` divide by the tokens of the whole generation batch, which on one process and one
    step is this); ``dr_grpo`` = sum / (sequences × max_completion_length) (Dr. GRPO, arXiv
    2503.20783). ε_high defaults to ε (DAPO's clip-higher when larger).

    Options as TRL 1.16 names them: ``loss_type="cispo"`` (MiniMax-M1, arXiv 2506.13585, Eq. 4:
    −sg(min(r_t, ε_high))·A·θ_t, a REINFORCE term with a clipped, detached weight; its *value* is
    what is shown, as in TRL); ``loss_type="sapo"`` (SAPO, arXiv 2511.20347: a soft gate
    −σ(τ(r_t − 1))·4/τ·A, τ = ``sapo_temperature_pos`` for A > 0 else ``_neg``, rounded to
    float32 as TRL's tensor of temperatures is);
    ``importance_sampling_level="sequence"`` (GSPO, arXiv 2507.18071, Eq. 7: one ratio per
    sequence, exp of the token mean of θ − old); ``use_bias_correction_kl`` (TRL's default True:
    KL_t multiplied by r_t, DeepSeek-V3.2, arXiv 2512.02556).
    Defaults: β = 0.04 and ε = 0.2 (the paper's; TRL 1.16 defaults to β = 0 and
    ``loss_type="dapo"``), ``loss_type="grpo"``, max_completion_length = 512 (TRL's).
    KL_t is evaluated as expm1(d) − d, d = ref − θ: the same quantity, without cancellation
    for small d. ``per_example`` is each sequence's token-mean loss.

    On-policy with A = 1 and β = 0 every token costs −1:

    >>> grpo(per_token_logps=[np.array([-1.0, -2.0])], advantages=np.array([1.0]), beta=0.0).loss
    -1.0
    """
    lengths = np.array([len(seq) for seq in per_token_logps])
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    logps = np.concatenate(per_token_logps)
    old = logps if old_per_token_logps is None else np.concatenate(old_per_token_logps)
    token_advantages = np.repeat(advantages, lengths)
    eps_high = epsilon if epsilon_high is None else epsilon_high
    log_ratio = logps - old
    if importance_sampling_level == "sequence":
        log_ratio = np.repeat(np.add.reduceat(log_ratio, starts) / lengths, lengths)
    with np.errstate(over="ignore"):
        ratio = np.exp(log_ratio)
    if loss_type == "cispo":
        per_token = -np.minimum(ratio, eps_high) * token_advantages * logps
        clipped = ratio > eps_high
    elif loss_type == "sapo":
        # TRL builds the temperatures with torch.where on Python floats: a float32 tensor.
        tau = np.where(
            token_advantages > 0, np.float32(sapo_temperature_pos), np.float32(sapo_temperature_neg)
        ).astype(np.float64)
        per_token = -(sigmoid(tau * (ratio - 1)) * 4 / tau) * token_advantages
        clipped = np.zeros(per_token.shape, dtype=bool)
    else:
        per_token, clipped = clipped_surrogate(log_ratio, token_advantages, epsilon, eps_high)
    mean_kl = None
    if beta != 0.0 and ref_per_token_logps is not None:
        d = np.concatenate(ref_per_token_logps) - logps
        with np.errstate(over="ignore"):
            kl = np.expm1(d) - d
        if use_bias_correction_kl:
            kl = kl * ratio
        per_token = per_token + beta * kl
        mean_kl = float(np.mean(kl))
    sequence_means = np.add.reduceat(per_token, starts) / lengths
    if loss_type in ("grpo", "sapo"):
        loss = float(np.mean(sequence_means))
    elif loss_type in ("bnpo", "dapo", "cispo"):
        loss = float(np.sum(per_token) / per_token.size)
    elif loss_type == "dr_grpo":
        loss = float(np.sum(per_token) / (len(lengths) * max_completion_length))
    else:
        raise ValueError(
            f"unknown loss_type {loss_type!r}; valid: grpo, bnpo, dr_grpo, dapo, cispo, sapo"
        )
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


def rloo(
    *,
    per_token_logps: list[np.ndarray],
    old_logps: np.ndarray,
    advantages: np.ndarray,
    epsilon: float = 0.2,
    epsilon_high: float | None = None,
) -> LossResult:
    """RLOO's loss: ℓ_i = −min(r_i·A_i, clip(r_i, 1 − ε, 1 + ε_high)·A_i) per sequence, with the
    sequence-level ratio r_i = exp(Σ_t θ_t − old_i); mean over sequences.

    Ahmadian et al. 2024, arXiv 2402.14740, Sec. 3.2 (REINFORCE with the leave-one-out
    baseline on whole sequences) with a PPO-style clipped ratio for reuse of samples, as TRL's
    ``RLOOTrainer._compute_loss`` does. Defaults ε = 0.2 (TRL's), ε_high = ε.

    On-policy the ratio is 1 and the loss is −mean(A):

    >>> rloo(per_token_logps=[np.array([-1.0, -1.0])], old_logps=np.array([-2.0]),
    ...      advantages=np.array([0.5])).loss
    -0.5
    """
    logps = np.array([float(np.sum(seq)) for seq in per_token_logps])
    eps_high = epsilon if epsilon_high is None else epsilon_high
    per_example, clipped = clipped_surrogate(logps - old_logps, advantages, epsilon, eps_high)
    return LossResult(
        loss=float(np.mean(per_example)),
        per_example=per_example,
        details={"clip_ratio": float(np.mean(clipped)), "logps": logps},
    )
