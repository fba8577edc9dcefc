"""Loss as a function of the margin, and its analytic derivative, for the pairwise losses.

d loss / d margin is the weight a gradient step gives an example with that margin: DPO's
σ(−βΔ)·β fades as the pair is won, IPO's grows without bound on both sides, the hinge is
flat past its margin. Each curve evaluates the library function itself on inputs placed along a
path with the given margin, so the curve and the loss cannot disagree; the derivative is written
out by hand and tested against finite differences.

Losses that depend on more than the margin (NCA, SPPO, APO) are drawn along the symmetric
path ρ_w = +m/2, ρ_l = −m/2; for those the curve is one slice of the loss, and the page says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.losses import pairwise, pairwise_variants, reference_free, reward_model, unpaired
from app.losses._numeric import log_sigmoid, sigmoid, softplus

Params = dict[str, Any]


@dataclass(frozen=True)
class CurveDef:
    """How to draw one loss against its margin."""

    margin: str  # what the x axis is, in words
    loss: Callable[[np.ndarray, Params], np.ndarray]
    derivative: Callable[[np.ndarray, Params], np.ndarray]
    scaled_by_beta: bool = True  # default range is ±5/β when β multiplies the margin


def _symmetric_ratios(fn: Callable[..., Any]) -> Callable[[np.ndarray, Params], np.ndarray]:
    def loss(m: np.ndarray, params: Params) -> np.ndarray:
        zero = np.zeros_like(m)
        return fn(
            policy_chosen_logps=m / 2,
            policy_rejected_logps=-m / 2,
            reference_chosen_logps=zero,
            reference_rejected_logps=zero,
            **params,
        ).per_example

    return loss


def _symmetric_policy(
    fn: Callable[..., Any], **fixed: Any
) -> Callable[[np.ndarray, Params], np.ndarray]:
    def loss(m: np.ndarray, params: Params) -> np.ndarray:
        return fn(
            policy_chosen_logps=m / 2, policy_rejected_logps=-m / 2, **fixed, **params
        ).per_example

    return loss


def _bt_loss(m: np.ndarray, params: Params) -> np.ndarray:
    return reward_model.bradley_terry(
        chosen_rewards=m / 2, rejected_rewards=-m / 2, **params
    ).per_example


def _orpo_loss(m: np.ndarray, params: Params) -> np.ndarray:
    # Drawn over the log-odds ratio itself: no pair of log-probs is needed (nll_loss held at 0).
    return reference_free.odds_ratio_loss(m, beta=params["beta"])


def _d_dpo(m: np.ndarray, p: Params) -> np.ndarray:
    z, eps = p["beta"] * m, p["label_smoothing"]
    return p["beta"] * (-(1 - eps) * sigmoid(-z) + eps * sigmoid(z))


def _d_robust(m: np.ndarray, p: Params) -> np.ndarray:
    z, eps = p["beta"] * m, p["label_smoothing"]
    return p["beta"] * (-(1 - eps) * sigmoid(-z) - eps * sigmoid(z)) / (1 - 2 * eps)


def _d_ipo(m: np.ndarray, p: Params) -> np.ndarray:
    return 2 * (m - 1 / (2 * p["beta"]))


def _d_hinge(m: np.ndarray, p: Params) -> np.ndarray:
    return np.where(p["beta"] * m < 1, -p["beta"], 0.0)


def _d_nca(m: np.ndarray, p: Params) -> np.ndarray:
    a = p["beta"] * m / 2  # r_w = a, r_l = −a: ℓ = 1.5·softplus(−a) + 0.5·softplus(a)
    return p["beta"] / 2 * (-1.5 * sigmoid(-a) + 0.5 * sigmoid(a))


def _d_sppo(m: np.ndarray, p: Params) -> np.ndarray:
    return 2 * (m / 2 - 0.5 / p["beta"])  # ℓ = 2·(m/2 − 1/(2β))²


def _d_apo_zero(m: np.ndarray, p: Params) -> np.ndarray:
    a = p["beta"] * m / 2  # ℓ = 1 − σ(a) + σ(−a)
    return -p["beta"] * sigmoid(a) * sigmoid(-a)


def _d_apo_down(m: np.ndarray, p: Params) -> np.ndarray:
    a, z = p["beta"] * m / 2, p["beta"] * m  # ℓ = σ(a) + 1 − σ(z)
    return p["beta"] / 2 * sigmoid(a) * sigmoid(-a) - p["beta"] * sigmoid(z) * sigmoid(-z)


def _d_discopop(m: np.ndarray, p: Params) -> np.ndarray:
    beta, tau = p["beta"], p["tau"]
    z = beta * m
    mix = sigmoid(z / tau)
    dmix = mix * sigmoid(-z / tau) / tau
    exp_mix = np.exp(log_sigmoid(z / tau) - z)  # e^(−z)·σ(z/τ), finite for τ ≤ 1
    exp_dmix = exp_mix * sigmoid(-z / tau) / tau  # e^(−z)·dσ(z/τ)/dz
    dz = -sigmoid(-z) * (1 - mix) - softplus(-z) * dmix - exp_mix + exp_dmix
    return beta * dz


def _d_simpo(m: np.ndarray, p: Params) -> np.ndarray:
    return -p["beta"] * sigmoid(-(p["beta"] * m - p["gamma"]))


def _d_logistic_beta(m: np.ndarray, p: Params) -> np.ndarray:
    return -p["beta"] * sigmoid(-p["beta"] * m)


def _d_cpo(m: np.ndarray, p: Params) -> np.ndarray:
    # ℓ_w = m/2, ℓ_l = −m/2; with AlphaPO r(ℓ) = (1 − e^(−αℓ))/α and dr/dℓ = e^(−αℓ).
    beta, alpha = p["beta"], p["alpha"]
    if alpha == 0.0:
        x, dx = m, np.ones_like(m)
    else:
        x = (-np.expm1(-alpha * m / 2) + np.expm1(alpha * m / 2)) / alpha
        dx = 0.5 * (np.exp(-alpha * m / 2) + np.exp(alpha * m / 2))
    if p["loss_type"] == "simpo":
        x = x - p["simpo_gamma"] / beta
    if p["loss_type"] == "hinge":
        dl = np.where(beta * x < 1, -beta, 0.0)
    elif p["loss_type"] == "ipo":
        dl = 2 * (x - 1 / (2 * beta))
    else:
        eps = p["label_smoothing"]
        dl = beta * (-(1 - eps) * sigmoid(-beta * x) + eps * sigmoid(beta * x))
    return dl * dx


def _d_bt(m: np.ndarray, p: Params) -> np.ndarray:
    return -sigmoid(-m)


def _d_orpo(m: np.ndarray, p: Params) -> np.ndarray:
    return -p["beta"] * sigmoid(-m)


def _d_bco_pair(m: np.ndarray, p: Params) -> np.ndarray:
    a = p["beta"] * m / 2  # r_w = a, r_l = −a: ℓ = 2·softplus(−a)
    return -p["beta"] * sigmoid(-a)


def _d_exo(m: np.ndarray, p: Params) -> np.ndarray:
    # ℓ = q log q + (1 − q) log(1 − q) − q log(1 − ε) − (1 − q) log ε, q = σ(z), dq/dz = q(1 − q)
    z = p["beta"] * m
    eps = np.float32(p["label_smoothing"])
    log_pw, log_pl = float(np.log1p(-eps)), float(np.log(eps))
    q, one_minus_q = sigmoid(z), sigmoid(-z)
    return p["beta"] * q * one_minus_q * (log_sigmoid(z) - log_sigmoid(-z) - log_pw + log_pl)


def _dpo_norm_loss(m: np.ndarray, params: Params) -> np.ndarray:
    zero, one = np.zeros_like(m), np.ones_like(m)
    return pairwise_variants.dpo_norm(
        policy_chosen_logps=m / 2,
        policy_rejected_logps=-m / 2,
        reference_chosen_logps=zero,
        reference_rejected_logps=zero,
        chosen_lengths=one,
        rejected_lengths=one,
        **params,
    ).per_example


def _aot_loss(fn: Callable[..., Any]) -> Callable[[np.ndarray, Params], np.ndarray]:
    # AOT sorts across the batch; a curve is the loss of a batch of one pair at each margin.
    def loss(m: np.ndarray, params: Params) -> np.ndarray:
        zero = np.zeros(1)
        return np.array(
            [
                fn(
                    policy_chosen_logps=np.array([x / 2]),
                    policy_rejected_logps=np.array([-x / 2]),
                    reference_chosen_logps=zero,
                    reference_rejected_logps=zero,
                    **params,
                ).per_example[0]
                for x in m
            ]
        )

    return loss


def _kto_loss(m: np.ndarray, params: Params) -> np.ndarray:
    zero = np.zeros(1)
    return unpaired.kto(
        policy_logps=m,
        reference_logps=np.zeros_like(m),
        labels=np.ones(m.shape, dtype=bool),
        policy_kl_logps=zero,
        reference_kl_logps=zero,
        **params,
    ).per_example


def _d_kto(m: np.ndarray, p: Params) -> np.ndarray:
    z = p["beta"] * m  # desirable: w_D·σ(−β(ρ − z0)) with z0 = 0
    return -p["beta"] * p["desirable_weight"] * sigmoid(-z) * sigmoid(z)


_DELTA = "Δ = ρ_w − ρ_l"
_SPLIT = "Δ = ρ_w − ρ_l, drawn with ρ_w = +Δ/2 and ρ_l = −Δ/2 (this loss depends on the split)"

CURVES: dict[str, CurveDef] = {
    "bradley-terry": CurveDef(
        "r_c − r_r (no margin input; r_c = +m/2, r_r = −m/2, so the centring term is 0)",
        _bt_loss,
        _d_bt,
        scaled_by_beta=False,
    ),
    "dpo": CurveDef(_DELTA, _symmetric_ratios(pairwise.dpo), _d_dpo),
    "ipo": CurveDef(_DELTA + " (length-averaged)", _symmetric_ratios(pairwise.ipo), _d_ipo),
    "robust-dpo": CurveDef(_DELTA, _symmetric_ratios(pairwise.robust_dpo), _d_robust),
    "hinge": CurveDef(_DELTA, _symmetric_ratios(pairwise.hinge), _d_hinge),
    "nca": CurveDef(_SPLIT, _symmetric_ratios(pairwise.nca), _d_nca),
    "sppo-hard": CurveDef(_SPLIT, _symmetric_ratios(pairwise.sppo_hard), _d_sppo),
    "apo-zero": CurveDef(_SPLIT, _symmetric_ratios(pairwise.apo_zero), _d_apo_zero),
    "apo-down": CurveDef(_SPLIT, _symmetric_ratios(pairwise.apo_down), _d_apo_down),
    "discopop": CurveDef(_DELTA, _symmetric_ratios(pairwise.discopop), _d_discopop),
    "bco-pair": CurveDef(_SPLIT, _symmetric_ratios(pairwise_variants.bco_pair), _d_bco_pair),
    "exo-pair": CurveDef(_DELTA, _symmetric_ratios(pairwise_variants.exo_pair), _d_exo),
    "aot": CurveDef(_DELTA + " (a batch of one pair)", _aot_loss(pairwise_variants.aot), _d_dpo),
    "aot-pair": CurveDef(
        _DELTA + " (a batch of one pair)", _aot_loss(pairwise_variants.aot_pair), _d_dpo
    ),
    "dpo-norm": CurveDef(
        "ρ_w/|y_w| − ρ_l/|y_l| (per-token margin)", _dpo_norm_loss, _d_logistic_beta
    ),
    "kto": CurveDef(
        "ρ − z0 of a desirable completion (z0 = 0; an undesirable one mirrors it)",
        _kto_loss,
        _d_kto,
    ),
    "simpo": CurveDef(
        "ℓ_w − ℓ_l (length-averaged policy log-probs)",
        _symmetric_policy(reference_free.simpo),
        _d_simpo,
    ),
    "cpo": CurveDef(
        "ℓ_w − ℓ_l (policy log-probs; nll_loss held at 0)",
        _symmetric_policy(reference_free.cpo, nll_loss=0.0),
        _d_cpo,
    ),
    "orpo": CurveDef(
        "log odds ratio log(odds(y_w)/odds(y_l)) (nll_loss held at 0)",
        _orpo_loss,
        _d_orpo,
        scaled_by_beta=False,
    ),
}


def margin_curve(
    loss_id: str, params: Params, *, margins: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(loss, d loss / d margin) at each margin, for a loss in ``CURVES`` and complete params.

    >>> params = {"beta": 1.0, "label_smoothing": 0.0}
    >>> loss, slope = margin_curve("dpo", params, margins=np.zeros(1))
    >>> round(float(loss[0]), 12), float(slope[0])  # log 2, −β·σ(0)
    (0.69314718056, -0.5)
    """
    curve = CURVES[loss_id]
    return curve.loss(margins, params), curve.derivative(margins, params)


def default_range(loss_id: str, params: Params) -> tuple[float, float]:
    """±5/β when β scales the margin (so every curve shows the same stretch of βΔ), else ±5."""
    half = 5.0 / params["beta"] if CURVES[loss_id].scaled_by_beta else 5.0
    return -half, half
