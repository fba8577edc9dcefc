"""A full PPO step as TRL's last ``PPOTrainer`` (1.12) computed it for language models.

Inputs are TRL's padded per-token tensors, one row per response, all rows the length T of the
longest response; ``sequence_lengths`` is TRL's index of each response's last token (so a
response has ``sequence_lengths + 1`` tokens). As in TRL, the value function is read one
position past the last token, and the score is added there (or at the last token when that
position is beyond T); positions past that are padding whatever they hold.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from app.losses.result import LossResult

INVALID_LOGPROB = 1.0  # TRL's fill value for padded log-probs (it makes their KL exactly 0)
KlEstimator = Literal["k1", "k3"]


def masked_mean(values: np.ndarray, mask: np.ndarray) -> float:
    return float(np.sum(values * mask) / np.sum(mask))


def masked_whiten(values: np.ndarray, mask: np.ndarray, *, shift_mean: bool = True) -> np.ndarray:
    """(x − mean)/sqrt(var + 1e-8) over the masked entries, with the unbiased variance.

    As in TRL, Bessel's factor n/(n − 1) is a float32 number (TRL divides two integer tensors,
    which gives torch's default float32).
    """
    mean = masked_mean(values, mask)
    count = int(np.sum(mask))
    if count < 2:
        raise ValueError("whitening needs at least two unmasked values")
    bessel = float(np.float32(count) / np.float32(count - 1))
    var = masked_mean((values - mean) ** 2, mask) * bessel
    whitened = (values - mean) / np.sqrt(var + 1e-8)
    return whitened + mean if not shift_mean else whitened


def ppo(
    *,
    logprobs: list[np.ndarray],
    ref_logprobs: list[np.ndarray],
    values: list[np.ndarray],
    scores: np.ndarray,
    new_logprobs: list[np.ndarray],
    vpred: list[np.ndarray],
    sequence_lengths: np.ndarray,
    kl_coef: float = 0.05,
    kl_estimator: KlEstimator = "k1",
    whiten_rewards: bool = False,
    gamma: float = 1.0,
    lam: float = 0.95,
    vf_coef: float = 0.1,
    cliprange: float = 0.2,
    cliprange_value: float = 0.2,
) -> LossResult:
    """PPO: KL-shaped per-token rewards, GAE advantages (whitened), clipped policy and value
    losses: ℓ = pg_loss + vf_coef·vf_loss.

    Rewards: r_t = −kl_coef·KL_t, KL_t = log π_old − log π_ref (k1) or (e^d − 1) − d with
    d = log π_ref − log π_old (k3), plus the score at the end (Ziegler et al. 2019, arXiv
    1909.08593, Eq. 2). GAE (Schulman et al. 2015, arXiv 1506.02438, Eq. 16): δ_t = r_t +
    γ V_{t+1} − V_t, A_t = Σ (γλ)^k δ_{t+k}; returns A + V. The policy loss is PPO's clipped
    surrogate (Schulman et al. 2017, arXiv 1707.06347, Eq. 7) on whitened advantages, the value
    loss ½·mean max((V' − R)², (clip(V', V ± c_v) − R)²). Defaults are TRL's ``PPOConfig``.
    """
    n = len(logprobs)
    width = len(logprobs[0])
    lp, ref, val = np.array(logprobs), np.array(ref_logprobs), np.array(values)
    new_lp, vp = np.array(new_logprobs), np.array(vpred)
    idx = np.arange(width)[None, :]
    lengths = np.asarray(sequence_lengths, dtype=int)[:, None]
    padding = idx > lengths
    padding_p1 = idx > lengths + 1
    lp = np.where(padding, INVALID_LOGPROB, lp)
    ref = np.where(padding, INVALID_LOGPROB, ref)
    new_lp = np.where(padding, INVALID_LOGPROB, new_lp)
    val = np.where(padding_p1, 0.0, val)
    vp = np.where(padding_p1, 0.0, vp)

    logr = ref - lp
    kl = -logr if kl_estimator == "k1" else np.expm1(logr) - logr
    non_score = -kl_coef * kl
    rewards = non_score.copy()
    end = np.where(lengths[:, 0] + 1 < width, lengths[:, 0] + 1, lengths[:, 0])
    rewards[np.arange(n), end] += scores
    if whiten_rewards:
        rewards = masked_whiten(rewards, ~padding_p1, shift_mean=False)
        rewards = np.where(padding_p1, 0.0, rewards)

    advantages = np.zeros_like(rewards)
    last = np.zeros(n)
    for t in reversed(range(width)):
        next_values = val[:, t + 1] if t < width - 1 else 0.0
        delta = rewards[:, t] + gamma * next_values - val[:, t]
        last = delta + gamma * lam * last
        advantages[:, t] = last
    returns = advantages + val
    advantages = masked_whiten(advantages, ~padding)
    advantages = np.where(padding, 0.0, advantages)

    clipped_v = np.clip(vp, val - cliprange_value, val + cliprange_value)
    vf_losses1 = (vp - returns) ** 2
    vf_losses2 = (clipped_v - returns) ** 2
    vf_loss = 0.5 * masked_mean(np.maximum(vf_losses1, vf_losses2), ~padding_p1)
    with np.errstate(over="ignore"):
        ratio = np.exp(new_lp - lp)
    pg_losses = -advantages * ratio
    pg_losses2 = -advantages * np.clip(ratio, 1.0 - cliprange, 1.0 + cliprange)
    pg_max = np.maximum(pg_losses, pg_losses2)
    pg_loss = masked_mean(pg_max, ~padding)
    valid = ~padding
    per_example = np.sum(pg_max * valid, axis=1) / np.sum(valid, axis=1)
    return LossResult(
        loss=pg_loss + vf_coef * vf_loss,
        per_example=per_example,
        details={
            "pg_loss": pg_loss,
            "vf_loss": vf_loss,
            "pg_clipfrac": masked_mean((pg_losses2 > pg_losses).astype(float), valid),
            "vf_clipfrac": masked_mean((vf_losses2 > vf_losses1).astype(float), ~padding_p1),
            "mean_kl": float(np.mean(np.sum(kl, axis=1))),
            "rewards": rewards.tolist(),
            "advantages": advantages.tolist(),
            "returns": returns.tolist(),
        },
    )
