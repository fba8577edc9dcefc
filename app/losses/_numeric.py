"""Numerically stable building blocks shared by the loss modules.

Every function here is finite for every finite input (no overflow warnings), which is what lets
the losses stay finite at |margin| = 1e4 and beyond.
"""

from __future__ import annotations

import math

import numpy as np

LN2 = math.log(2.0)


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^x), computed as ``logaddexp(0, x)`` so it never overflows.

    >>> float(softplus(np.array(0.0)))  # log 2
    0.6931471805599453
    """
    return np.logaddexp(0.0, x)


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log σ(x) = −log(1 + e^−x), stable for any finite x."""
    return -np.logaddexp(0.0, -x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = exp(log σ(x)): never overflows, underflows quietly to 0 for x ≲ −745."""
    return np.exp(log_sigmoid(x))


def log1mexp(x: np.ndarray) -> np.ndarray:
    """log(1 − e^x) for x < 0 (Mächler 2012, "Accurately computing log(1 − exp(−|a|))").

    Uses log(−expm1(x)) near 0 and log1p(−e^x) further out; each branch is evaluated only where
    it is accurate, so neither one sees an argument that would warn.

    >>> float(log1mexp(np.array(-math.log(2.0))))  # log(1 - 1/2)
    -0.6931471805599453
    """
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    near = x > -LN2
    out[near] = np.log(-np.expm1(x[near]))
    out[~near] = np.log1p(-np.exp(x[~near]))
    return out


def log_ratios(
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(ρ_w, ρ_l), subtracted in the same order as TRL so results agree to the last bit."""
    return (
        policy_chosen_logps - reference_chosen_logps,
        policy_rejected_logps - reference_rejected_logps,
    )
