"""Per-token log-probs in place of sequence log-probs, reduced the way TRL reduces them.

Every pairwise loss takes ``policy_chosen_logps`` (one number per sequence) or, in its place,
``policy_chosen_token_logps`` (one list of per-token log-probs per sequence), and likewise for the
other sides. From the token form this module derives what TRL derives from its completion mask:
the sum over tokens (``DPOTrainer``, ``CPOTrainer`` with ``sigmoid``/``hinge``), the token mean
(``ipo``, ``simpo``, ORPO), the completion lengths (``ipo``, ``sigmoid_norm``), LD-DPO's
down-weighted tail (``ld_alpha``), WPO's weights (``use_weighting``) and the chosen NLL
(``CPOTrainer``/``ORPOTrainer``: the mean of −log p over every chosen token of the batch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from app.losses.spec import InputSpec

Reduce = Literal["sum", "mean"]
Error = dict[str, Any]


def token_name(summed: str) -> str:
    """``policy_chosen_logps`` → ``policy_chosen_token_logps``."""
    return summed.removesuffix("_logps") + "_token_logps"


def _side(summed: str) -> str:
    return "chosen" if "chosen" in summed else "rejected"


def token_inputs(summed: Sequence[InputSpec]) -> tuple[InputSpec, ...]:
    """The optional per-token twin of each summed input (chosen twins agree token for token, and
    so do rejected ones)."""
    return tuple(
        InputSpec(
            token_name(item.name),
            "ragged",
            "(n, T_i)",
            f"per-token log-probs behind {item.name}, one list per sequence "
            f"(≤ 0); give this or {item.name}",
            optional=True,
            max_value=0.0,
            tokens=_side(item.name),
        )
        for item in summed
    )


def with_token_inputs(summed: Sequence[InputSpec]) -> tuple[InputSpec, ...]:
    """The summed inputs made optional (their token twin can stand in), then the twins."""
    return tuple(replace(item, optional=True) for item in summed) + token_inputs(summed)


LENGTH_INPUTS = tuple(
    InputSpec(
        f"{side}_lengths",
        "vector",
        "(n,)",
        f"number of completion tokens of the {side} completion (derived from the per-token "
        "inputs when they are given)",
        optional=True,
        min_value=1.0,
    )
    for side in ("chosen", "rejected")
)


def reduce_rows(rows: Sequence[np.ndarray], how: Reduce) -> np.ndarray:
    """Sum or mean of each sequence's tokens (TRL sums over its mask; ipo divides by its sum)."""
    sums = np.array([float(np.sum(row)) for row in rows])
    if how == "mean":
        return sums / np.array([len(row) for row in rows])
    return sums


def ld_sums(rows: Sequence[np.ndarray], shared: np.ndarray, alpha: float) -> np.ndarray:
    """LD-DPO: Σ of the first ``shared`` tokens + α · Σ of the rest (arXiv 2409.06411, Eq. 9)."""
    return np.array(
        [
            float(np.sum(row[: int(k)])) + alpha * float(np.sum(row[int(k) :]))
            for row, k in zip(rows, shared, strict=True)
        ]
    )


def chosen_nll(rows: Sequence[np.ndarray]) -> float:
    """−mean log p over every chosen token of the batch (TRL's cross-entropy NLL term)."""
    return -float(np.sum(np.concatenate(rows))) / sum(len(row) for row in rows)


def derive(
    arrays: dict[str, Any],
    names: Sequence[str],
    *,
    how: Reduce = "sum",
    ld_alpha: float | None = None,
    lengths: bool = False,
) -> dict[str, Any]:
    """Replace each token input by its reduction; add the lengths when ``lengths`` is set.

    With ``ld_alpha`` the sums are LD-DPO's: the tokens past the shorter completion of each pair
    count α times (TRL ``DPOTrainer``, ``ld_alpha``).
    """
    out = dict(arrays)
    token_lengths: dict[str, np.ndarray] = {}
    for name in names:
        rows = out.pop(token_name(name), None)
        if rows is not None:
            token_lengths[_side(name)] = np.array([len(row) for row in rows], dtype=float)
    shared = None
    if ld_alpha is not None and {"chosen", "rejected"} <= token_lengths.keys():
        shared = np.minimum(token_lengths["chosen"], token_lengths["rejected"])
    for name in names:
        rows = arrays.get(token_name(name))
        if rows is None:
            continue
        if shared is not None:
            out[name] = ld_sums(rows, shared, ld_alpha)
        else:
            out[name] = reduce_rows(rows, how)
    if lengths:
        for side, values in token_lengths.items():
            out.setdefault(f"{side}_lengths", values)
    return out


def pairwise_check(names: Sequence[str], *, required: Sequence[str] | None = None) -> Any:
    """A registry ``check``: every summed input of ``names`` given in exactly one form."""

    def check(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> list[Error]:
        errors: list[Error] = []
        if params.get("ld_alpha") is not None:
            for name in names:
                if token_name(name) not in inputs and name in inputs:
                    errors.append(
                        {
                            "field": f"inputs.{token_name(name)}",
                            "message": "is needed when params.ld_alpha is set (LD-DPO splits "
                            f"each completion's tokens); give it in place of inputs.{name}",
                        }
                    )
        return errors

    return check


def pairwise_prepare(names: Sequence[str], *, how: Reduce = "sum", lengths: bool = False) -> Any:
    """A registry ``prepare``: token inputs → the sums (or means) and lengths ``fn`` takes."""

    def prepare(arrays: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        return derive(arrays, names, how=how, ld_alpha=params.get("ld_alpha"), lengths=lengths)

    return prepare
