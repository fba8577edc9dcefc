"""Registry entries of the DPOTrainer losses added after the first eighteen, and DPO's options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.losses import pairwise_variants as pv
from app.losses.spec import InputSpec, ParamSpec, Preset, beta
from app.losses.tokens import chosen_nll, derive, token_name

REF_NAMES = (
    "policy_chosen_logps",
    "policy_rejected_logps",
    "reference_chosen_logps",
    "reference_rejected_logps",
)
LOG_SUM_SQ = tuple(
    InputSpec(
        f"{side}_log_sum_sq_probs",
        "ragged",
        "(n, T_i)",
        f"per token of the {side} completion, log Σ_v p_v² over the vocabulary (WPO's "
        "normaliser; ≤ 0); needed with params.use_weighting",
        optional=True,
        max_value=0.0,
        tokens=side,
    )
    for side in ("chosen", "rejected")
)
TOKEN_PAIRS = {
    "policy_chosen_token_logps": [[-0.5, -1.25, -0.75], [-2.0, -0.5]],
    "policy_rejected_token_logps": [[-1.5, -1.0], [-1.0, -0.75, -1.25, -0.5]],
    "reference_chosen_token_logps": [[-0.75, -1.25, -1.0], [-1.75, -0.75]],
    "reference_rejected_token_logps": [[-1.25, -1.0], [-1.0, -0.5, -1.0, -0.5]],
}
TOKEN_PRESET = Preset(
    "per-token",
    "Two pairs given token by token (completions of 2 to 4 tokens); the lab sums them as TRL does.",
    TOKEN_PAIRS,
)
LENGTHS_PRESET = Preset(
    "summed-with-lengths",
    "Summed log-probs of three pairs with their completion lengths.",
    {
        "policy_chosen_logps": [-12.0, -29.5, -21.0],
        "policy_rejected_logps": [-22.0, -32.5, -14.5],
        "reference_chosen_logps": [-15.0, -30.0, -17.0],
        "reference_rejected_logps": [-15.0, -31.5, -16.5],
        "chosen_lengths": [12, 30, 20],
        "rejected_lengths": [20, 31, 15],
    },
)

LABEL_SMOOTHING_AOT = ParamSpec(
    "label_smoothing",
    0.0,
    "ε: weight of the flipped-label term (TRL's label_smoothing)",
    low=0.0,
    high=0.5,
)
LABEL_SMOOTHING_EXO = ParamSpec(
    "label_smoothing",
    pv.EXO_EPSILON,
    "ε: the smoothed label (1 − ε, ε) the policy's pair distribution is pulled towards (> 0)",
    low=0.0,
    high=0.5,
    low_open=True,
)
DPO_OPTIONS = (
    ParamSpec(
        "f_divergence_type",
        "reverse_kl",
        "the f-divergence whose f'(π/π_ref) replaces the log-ratio (reverse_kl is plain DPO)",
        kind="choice",
        choices=pv.F_DIVERGENCES,
    ),
    ParamSpec(
        "f_alpha_divergence_coef",
        0.5,
        "α of the α-divergence (used only with alpha_divergence; α = 1 is reverse KL)",
        low=0.0,
        high=10.0,
    ),
    ParamSpec(
        "reference_free",
        False,
        "take the reference log-probs as 0 (no reference model)",
        kind="bool",
    ),
    ParamSpec(
        "ld_alpha",
        None,
        "LD-DPO's α: tokens past the shorter completion of a pair count α times (empty = off; "
        "needs per-token inputs)",
        low=0.0,
        high=1.0,
        nullable=True,
    ),
    ParamSpec(
        "use_weighting",
        False,
        "WPO: weight each pair by the policy's length-normalised probability of both completions "
        "(needs per-token policy log-probs and the *_log_sum_sq_probs inputs)",
        kind="bool",
    ),
)


def check_dpo(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """DPO's inputs in one form each, plus what ld_alpha and use_weighting need."""
    required = [n for n in REF_NAMES if not (params["reference_free"] and n.startswith("ref"))]
    errors: list[dict[str, Any]] = []
    if params["ld_alpha"] is not None:
        for name in required:
            if token_name(name) not in inputs:
                errors.append(
                    {
                        "field": f"inputs.{token_name(name)}",
                        "message": "is needed when params.ld_alpha is set (LD-DPO splits each "
                        "completion's tokens at the shorter one's length)",
                    }
                )
    if params["use_weighting"]:
        for name in (
            "policy_chosen_token_logps",
            "policy_rejected_token_logps",
            "chosen_log_sum_sq_probs",
            "rejected_log_sum_sq_probs",
        ):
            if name not in inputs:
                errors.append(
                    {
                        "field": f"inputs.{name}",
                        "message": "is needed when params.use_weighting is true (WPO weights "
                        "come from the policy's per-token probabilities)",
                    }
                )
    return errors


def prepare_dpo(arrays: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    out = dict(arrays)
    chosen_sq = out.pop("chosen_log_sum_sq_probs", None)
    rejected_sq = out.pop("rejected_log_sum_sq_probs", None)
    if params["use_weighting"]:
        out["chosen_weights"] = pv.wpo_weights(arrays["policy_chosen_token_logps"], chosen_sq)
        out["rejected_weights"] = pv.wpo_weights(arrays["policy_rejected_token_logps"], rejected_sq)
    out = derive(out, REF_NAMES, ld_alpha=params["ld_alpha"])
    for name in ("reference_chosen_logps", "reference_rejected_logps"):
        if params["reference_free"]:
            out.pop(name, None)
    return out


def check_lengths(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for side in ("chosen", "rejected"):
        if f"{side}_lengths" not in inputs and f"policy_{side}_token_logps" not in inputs:
            errors.append(
                {
                    "field": f"inputs.{side}_lengths",
                    "message": "is missing; give it or the per-token inputs it is counted from",
                }
            )
    return errors


def prepare_lengths(arrays: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    return derive(arrays, REF_NAMES, lengths=True)


MIXABLE = tuple(pv.TRAINER_LOSS_TYPES)


def check_mixture(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    types, weights = params["loss_types"], params["loss_weights"]
    if weights is not None and len(weights) != len(types):
        errors.append(
            {
                "field": "params.loss_weights",
                "message": f"has {len(weights)} weights for {len(types)} loss_types; give one "
                "weight per loss type (or leave it empty for all 1)",
            }
        )
    if {"ipo", "dpo-norm"} & set(types):
        errors += [
            e
            for e in check_lengths(inputs, params)
            if e["field"].endswith("_lengths") and not e["field"].startswith("inputs.policy")
        ]
    if "sft" in types and "policy_chosen_token_logps" not in inputs:
        errors.append(
            {
                "field": "inputs.policy_chosen_token_logps",
                "message": "is needed when loss_types includes sft (a token-level NLL)",
            }
        )
    if "exo-pair" in types and params["label_smoothing"] <= 0:
        errors.append(
            {
                "field": "params.label_smoothing",
                "message": "must be > 0 when loss_types includes exo-pair",
            }
        )
    return errors


def prepare_mixture(arrays: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    chosen_tokens = arrays.get("policy_chosen_token_logps")
    out = derive(arrays, REF_NAMES, lengths=True)
    if chosen_tokens is not None:
        out["policy_chosen_token_logps"] = chosen_tokens
    return out


MIXTURE_PARAMS = (
    ParamSpec(
        "loss_types",
        ("dpo", "bco-pair", "sft"),
        "the lab ids of the losses to mix (TRL's loss_type list)",
        kind="choices",
        choices=MIXABLE,
    ),
    ParamSpec(
        "loss_weights",
        (0.8, 0.2, 1.0),
        "one weight per loss type (empty = all 1, as in TRL)",
        kind="floats",
        low=0.0,
        high=100.0,
        nullable=True,
    ),
    beta(),
    ParamSpec(
        "label_smoothing",
        0.0,
        "ε shared by robust-dpo, exo-pair and the AOT losses (TRL's label_smoothing)",
        low=0.0,
        high=0.5,
        high_open=True,
    ),
    ParamSpec("tau", 0.05, "DiscoPOP's τ (TRL's discopop_tau)", low=0.0, high=1.0, low_open=True),
)


POLICY_NAMES = ("policy_chosen_logps", "policy_rejected_logps")
CPO_OPTIONS = (
    ParamSpec(
        "loss_type",
        "sigmoid",
        "the preference term: sigmoid (CPO), hinge, ipo or simpo (TRL's CPOConfig.loss_type)",
        kind="choice",
        choices=("sigmoid", "hinge", "ipo", "simpo"),
    ),
    ParamSpec(
        "label_smoothing",
        0.0,
        "ε: conservative mix with the flipped label (sigmoid and simpo only)",
        low=0.0,
        high=0.5,
    ),
    ParamSpec(
        "alpha",
        0.0,
        "AlphaPO's α: the reward becomes (1 − p^(−α))/α (0 = the log-prob itself)",
        low=-1.0,
        high=1.0,
    ),
    ParamSpec(
        "simpo_gamma", 0.5, "γ: SimPO's target margin (loss_type simpo only)", low=0.0, high=100.0
    ),
)


def reference_free_check(*, nll: bool) -> Any:
    """Policy inputs in one form; the NLL given or derivable from the chosen tokens."""

    def check(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> list[dict[str, Any]]:
        if nll and "nll_loss" not in inputs and "policy_chosen_token_logps" not in inputs:
            return [
                {
                    "field": "inputs.nll_loss",
                    "message": "is missing; give it, or inputs.policy_chosen_token_logps from "
                    "which it is derived (the mean −log p over every chosen token)",
                }
            ]
        return []

    return check


def reference_free_prepare(*, mean: Any, nll: bool) -> Any:
    """Token inputs → sums or means (``mean(params)`` says which) and, if absent, the NLL."""

    def prepare(arrays: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        chosen = arrays.get("policy_chosen_token_logps")
        out = derive(arrays, POLICY_NAMES, how="mean" if mean(params) else "sum")
        if nll and "nll_loss" not in out and chosen is not None:
            out["nll_loss"] = np.float64(chosen_nll(chosen))
        return out

    return prepare
