"""Arithmetic shared by the server-drawn charts (the timeline, the loss lab's curves)."""

from __future__ import annotations

import math


def nice_step(raw: float) -> float:
    """The smallest round step (1, 2 or 5 × 10^k) at least ``raw`` (> 0).

    >>> nice_step(1.75), nice_step(0.3), nice_step(40)
    (2, 0.5, 50)
    """
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
