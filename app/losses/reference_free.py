"""Pairwise preference losses without a reference model (SimPO, CPO, ORPO).

Inputs follow TRL's ``CPOTrainer`` / ``ORPOTrainer``: ``policy_chosen_logps`` and
``policy_rejected_logps`` are the policy's log-probs ℓ_w, ℓ_l of each completion, and
``nll_loss`` is the supervised negative log-likelihood of the chosen completions (a scalar for
the batch, or one value per example). Implicit rewards are β·ℓ, as TRL logs them.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from app.losses._numeric import log1mexp, softplus
from app.losses.result import LossResult, pairwise_result


def simpo(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    beta: float = 2.0,
    gamma: float = 0.5,
) -> LossResult:
    """SimPO: ℓ = −log σ(β(ℓ_w − ℓ_l) − γ), with ℓ the length-averaged log-prob.

    Meng, Xia & Chen 2024, arXiv 2405.14734, Eq. 6 (reward β·log π(y|x)/|y|, target margin γ).
    Defaults β = 2.0, γ = 0.5 (the paper tunes β in [2, 10] and γ/β; TRL's ``simpo_gamma``
    defaults to 0.5). TRL: ``CPOTrainer`` with ``loss_type="simpo"`` and ``cpo_alpha=0``, where
    the logits are (ℓ_w − ℓ_l) − γ/β and the loss −log σ(β·logits): the same number.

    When β(ℓ_w − ℓ_l) = γ the loss is log 2:

    >>> chosen, rejected = np.array([-1.0]), np.array([-1.25])
    >>> round(simpo(policy_chosen_logps=chosen, policy_rejected_logps=rejected).loss, 12)
    0.69314718056
    """
    z = beta * (policy_chosen_logps - policy_rejected_logps) - gamma
    per_example = softplus(-z)
    return pairwise_result(per_example, beta * policy_chosen_logps, beta * policy_rejected_logps)


def alpha_rewards(logps: np.ndarray, alpha: float) -> np.ndarray:
    """AlphaPO's reward (1 − p^(−α))/α with p = e^ℓ; ℓ itself when α = 0 (its limit).

    Gupta et al. 2025, arXiv 2501.03884, Sec. 3. p^(−α) is evaluated as exp(−α·ℓ), the number
    TRL's ``exp(ℓ).pow(−α)`` gives wherever e^ℓ does not underflow.

    >>> alpha_rewards(np.array([-1.0]), 0.0).tolist()
    [-1.0]
    """
    if alpha == 0.0:
        return logps
    return -np.expm1(-alpha * logps) / alpha


CpoLossType = Literal["sigmoid", "hinge", "ipo", "simpo"]


def cpo(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    nll_loss: float | np.ndarray,
    beta: float = 0.1,
    cpo_alpha: float = 1.0,
    loss_type: CpoLossType = "sigmoid",
    label_smoothing: float = 0.0,
    alpha: float = 0.0,
    simpo_gamma: float = 0.5,
) -> LossResult:
    """CPO: ℓ = −log σ(β(ℓ_w − ℓ_l)) + cpo_alpha · nll_loss.

    Xu et al. 2024, arXiv 2401.08417, Eq. 3 (L_prefer) plus the behaviour-cloning NLL term on the
    chosen completions (L_CPO = L_prefer + L_NLL). Defaults β = 0.1, cpo_alpha = 1 (the paper adds
    the NLL term unweighted). TRL: ``CPOTrainer`` with ``loss_type="sigmoid"``, which returns
    mean(L_prefer) + cpo_alpha·nll_loss; with a scalar ``nll_loss`` the mean of the per-example
    values below is exactly that.

    ``loss_type`` (TRL's CPOConfig): ``sigmoid`` (Eq. 3, with ``label_smoothing`` ε the cDPO
    mix), ``hinge`` max(0, 1 − β·Δ), ``ipo`` (Δ − 1/(2β))², ``simpo`` the sigmoid loss on
    Δ − γ/β. ``alpha`` ≠ 0 replaces each log-prob ℓ by AlphaPO's reward (1 − e^(−αℓ))/α
    (:func:`alpha_rewards`); implicit rewards are then β times those.

    >>> z = np.zeros(1)
    >>> round(cpo(policy_chosen_logps=z - 1, policy_rejected_logps=z - 1, nll_loss=0.5).loss, 12)
    1.19314718056
    """
    r_w = alpha_rewards(policy_chosen_logps, alpha)
    r_l = alpha_rewards(policy_rejected_logps, alpha)
    logits = r_w - r_l
    if loss_type == "simpo":
        logits = logits - simpo_gamma / beta
    if loss_type in ("sigmoid", "simpo"):
        prefer = (1 - label_smoothing) * softplus(-beta * logits)
        if label_smoothing:
            prefer = prefer + label_smoothing * softplus(beta * logits)
    elif loss_type == "hinge":
        prefer = np.maximum(0.0, 1 - beta * logits)
    elif loss_type == "ipo":
        prefer = (logits - 1 / (2 * beta)) ** 2
    else:
        raise ValueError(f"unknown loss_type {loss_type!r}; valid: sigmoid, hinge, ipo, simpo")
    per_example = prefer + cpo_alpha * np.asarray(nll_loss, dtype=float)
    return pairwise_result(
        per_example,
        beta * r_w,
        beta * r_l,
        preference_loss=float(np.mean(prefer)),
        nll_loss=float(np.mean(nll_loss)),
    )


def log_odds_ratio(
    policy_chosen_logps: np.ndarray, policy_rejected_logps: np.ndarray
) -> np.ndarray:
    """log(odds(y_w)/odds(y_l)) with odds = P/(1 − P), P = e^ℓ (ORPO, arXiv 2403.07691, Eq. 4)."""
    return (policy_chosen_logps - policy_rejected_logps) - (
        log1mexp(policy_chosen_logps) - log1mexp(policy_rejected_logps)
    )


def odds_ratio_loss(log_odds: np.ndarray, *, beta: float) -> np.ndarray:
    """λ·L_OR = −λ·log σ(log odds ratio) (ORPO, arXiv 2403.07691, Eq. 7), per example."""
    return beta * softplus(-log_odds)


def orpo(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    nll_loss: float | np.ndarray,
    beta: float = 0.1,
) -> LossResult:
    """ORPO: ℓ = nll_loss − λ·log σ(log odds(y_w) − log odds(y_l)), odds = P/(1 − P).

    Hong, Lee & Thorne 2024, arXiv 2403.07691, Eqs. 4, 6 and 7, with P = exp(ℓ) for the
    length-averaged log-prob ℓ < 0, so log odds = ℓ − log(1 − e^ℓ); log(1 − e^ℓ) is computed with
    log1mexp, accurate both near ℓ = 0 and for very negative ℓ. Default λ = β = 0.1 (the paper's
    value for its main models). TRL: ``ORPOTrainer.odds_ratio_loss`` (same formula, float32).

    Equal log-probs give an odds ratio of 1 and an OR term of λ·log 2:

    >>> z = np.zeros(1)
    >>> round(orpo(policy_chosen_logps=z - 1, policy_rejected_logps=z - 1, nll_loss=0.0).loss, 12)
    0.069314718056
    """
    log_odds = log_odds_ratio(policy_chosen_logps, policy_rejected_logps)
    odds_ratio_term = odds_ratio_loss(log_odds, beta=beta)
    per_example = np.asarray(nll_loss, dtype=float) + odds_ratio_term
    return pairwise_result(
        per_example,
        beta * policy_chosen_logps,
        beta * policy_rejected_logps,
        log_odds_ratio=log_odds,
        odds_ratio_loss=float(np.mean(odds_ratio_term)),
        nll_loss=float(np.mean(nll_loss)),
    )
