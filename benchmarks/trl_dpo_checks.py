"""DPOTrainer / CPOTrainer / KTOTrainer comparisons for the losses and options added with per-token
inputs (imported by check_against_trl.py, which owns the environment checks).

The stand-in model returns the test's per-token log-probs through TRL's own ``_compute_loss``, with
a real completion mask (ragged lengths, zero-padded), so TRL's sums, lengths, LD-DPO split and WPO
weights are its own arithmetic.
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
from trl.trainer.dpo_trainer import DPOTrainer

from app.losses.compute import compute

T = torch.float64
Row = tuple[str, float, float, str]


def _accelerator() -> SimpleNamespace:
    return SimpleNamespace(
        gather_for_metrics=lambda x: x, gather=lambda x: x, device="cpu", num_processes=1
    )


def _pad(rows: list[np.ndarray], width: int) -> torch.Tensor:
    out = torch.zeros((len(rows), width), dtype=T)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row, dtype=T)
    return out


def ragged_pairs(rng: np.random.Generator, n: int) -> dict[str, list[np.ndarray]]:
    """Per-token log-probs of n pairs; chosen and rejected completions of 1..12 tokens."""
    lengths = {side: rng.integers(1, 13, n) for side in ("chosen", "rejected")}
    out = {}
    for model in ("policy", "reference"):
        for side in ("chosen", "rejected"):
            out[f"{model}_{side}_token_logps"] = [-rng.uniform(0.01, 4.0, k) for k in lengths[side]]
    for side in ("chosen", "rejected"):
        # log Σ_v p_v² ≥ 2·log p_t would hold for a real model; any value ≤ 0 exercises the formula
        out[f"{side}_log_sum_sq_probs"] = [-rng.uniform(0.0, 2.0, k) for k in lengths[side]]
    return out


def trl_dpo_tokens(
    pairs: dict[str, list[np.ndarray]],
    *,
    loss_types: list[str],
    loss_weights: list[float] | None = None,
    beta: float = 0.1,
    label_smoothing: float = 0.0,
    tau: float = 0.05,
    f_divergence_type: str = "reverse_kl",
    f_alpha_divergence_coef: float = 0.5,
    ld_alpha: float | None = None,
    use_weighting: bool = False,
    dtype: torch.dtype = T,
) -> float:
    """TRL 1.16 DPOTrainer._compute_loss with the reference run as a model (not precomputed)."""
    chosen, rejected = pairs["policy_chosen_token_logps"], pairs["policy_rejected_token_logps"]
    n = len(chosen)
    width = max(len(r) for r in chosen + rejected)
    lengths = [len(r) for r in chosen + rejected]
    mask = torch.zeros((2 * n, width + 1), dtype=torch.long)
    for i, k in enumerate(lengths):
        mask[i, 1 : 1 + k] = 1  # position 0 is the prompt

    def outputs(prefix: str) -> SimpleNamespace:
        per_token = _pad(
            pairs[f"{prefix}_chosen_token_logps"] + pairs[f"{prefix}_rejected_token_logps"], width
        ).to(dtype)
        sq = _pad(pairs["chosen_log_sum_sq_probs"] + pairs["rejected_log_sum_sq_probs"], width)
        return SimpleNamespace(
            log_probs=per_token,
            entropy=torch.zeros_like(per_token),
            mean_logits=torch.zeros_like(per_token),
            is_top1=torch.zeros(per_token.shape, dtype=torch.bool),
            log_sum_sq_probs=sq.to(dtype),
        )

    def model(**_kwargs):
        return outputs("policy")

    def ref_model(**_kwargs):
        return outputs("reference")

    model.training = True
    model.is_gradient_checkpointing = False
    stub = SimpleNamespace(
        model=model,
        ref_model=ref_model,
        aux_loss_enabled=False,
        ld_alpha=ld_alpha,
        precompute_ref_logps=False,
        f_divergence_type=f_divergence_type,
        f_alpha_divergence_coef=f_alpha_divergence_coef,
        loss_types=loss_types,
        loss_weights=loss_weights or [1.0] * len(loss_types),
        beta=beta,
        label_smoothing=label_smoothing,
        args=SimpleNamespace(discopop_tau=tau, gradient_checkpointing_kwargs=None),
        use_weighting=use_weighting,
        accelerator=_accelerator(),
        _metrics=defaultdict(lambda: defaultdict(list)),
        _total_train_tokens=0,
        _tp_size=1,
    )
    inputs = {
        "input_ids": torch.ones((2 * n, width + 1), dtype=torch.long),
        "attention_mask": torch.ones((2 * n, width + 1), dtype=torch.long),
        "completion_mask": mask,
    }
    return float(DPOTrainer._compute_loss(stub, model, inputs, False))


def _token_inputs(pairs: dict[str, list[np.ndarray]], *, sq: bool = False) -> dict[str, Any]:
    names = [k for k in pairs if k.endswith("_token_logps")]
    if sq:
        names += ["chosen_log_sum_sq_probs", "rejected_log_sum_sq_probs"]
    return {k: [row.tolist() for row in pairs[k]] for k in names}


# (row label, lab id, lab params, TRL kwargs)
CASES: list[tuple[str, str, dict, dict]] = [
    ("bco-pair", "bco-pair", {"beta": 0.1}, {"loss_types": ["bco_pair"]}),
    ("aot", "aot", {"beta": 0.1}, {"loss_types": ["aot"]}),
    (
        "aot ε=0.1",
        "aot",
        {"beta": 0.2, "label_smoothing": 0.1},
        {"loss_types": ["aot"], "beta": 0.2, "label_smoothing": 0.1},
    ),
    ("aot-pair", "aot-pair", {"beta": 0.1}, {"loss_types": ["aot_unpaired"]}),
    (
        "exo-pair",
        "exo-pair",
        {"beta": 0.1},
        {"loss_types": ["exo_pair"], "label_smoothing": 1e-3},
    ),
    ("dpo-norm", "dpo-norm", {"beta": 0.5}, {"loss_types": ["sigmoid_norm"], "beta": 0.5}),
    ("sft", "sft", {}, {"loss_types": ["sft"]}),
    ("ipo (tokens)", "ipo", {"beta": 0.1}, {"loss_types": ["ipo"]}),
    ("dpo (tokens)", "dpo", {"beta": 0.1}, {"loss_types": ["sigmoid"]}),
    (
        "dpo forward_kl",
        "dpo",
        {"f_divergence_type": "forward_kl", "beta": 0.05},
        {"loss_types": ["sigmoid"], "f_divergence_type": "forward_kl", "beta": 0.05},
    ),
    (
        "dpo js_divergence",
        "dpo",
        {"f_divergence_type": "js_divergence"},
        {"loss_types": ["sigmoid"], "f_divergence_type": "js_divergence"},
    ),
    (
        "dpo ld_alpha=0.3",
        "dpo",
        {"ld_alpha": 0.3},
        {"loss_types": ["sigmoid"], "ld_alpha": 0.3},
    ),
    (
        "dpo use_weighting",
        "dpo",
        {"use_weighting": True},
        {"loss_types": ["sigmoid"], "use_weighting": True},
    ),
    (
        "mixture (MPO)",
        "mixture",
        {},
        {"loss_types": ["sigmoid", "bco_pair", "sft"], "loss_weights": [0.8, 0.2, 1.0]},
    ),
    (
        "mixture (all 15)",
        "mixture",
        {
            "loss_types": [
                "dpo",
                "hinge",
                "ipo",
                "exo-pair",
                "nca",
                "robust-dpo",
                "bco-pair",
                "sppo-hard",
                "aot",
                "aot-pair",
                "apo-zero",
                "apo-down",
                "discopop",
                "sft",
                "dpo-norm",
            ],  # fmt: skip
            "loss_weights": [0.5 + 0.1 * k for k in range(15)],
            "label_smoothing": 0.05,
        },
        {
            "loss_types": [
                "sigmoid",
                "hinge",
                "ipo",
                "exo_pair",
                "nca_pair",
                "robust",
                "bco_pair",
                "sppo_hard",
                "aot",
                "aot_unpaired",
                "apo_zero",
                "apo_down",
                "discopop",
                "sft",
                "sigmoid_norm",
            ],  # fmt: skip
            "loss_weights": [0.5 + 0.1 * k for k in range(15)],
            "label_smoothing": 0.05,
        },
    ),
]


def check_token_losses(rng: np.random.Generator, n: int = 64) -> list[Row]:
    rows = []
    for label, loss_id, params, trl_kwargs in CASES:
        worst = worst_rel = 0.0
        for _ in range(3):
            pairs = ragged_pairs(rng, n)
            if loss_id == "ipo":  # keep (Δ/len − 1/(2β))² in a readable range
                pairs = {k: [r / 4 for r in v] for k, v in pairs.items()}
            inputs = _token_inputs(pairs, sq=bool(params.get("use_weighting")))
            if loss_id == "sft":
                inputs = {"policy_chosen_token_logps": inputs["policy_chosen_token_logps"]}
            ours = compute(loss_id, inputs, params).loss
            theirs = trl_dpo_tokens(pairs, **trl_kwargs)
            worst = max(worst, abs(ours - theirs))
            worst_rel = max(worst_rel, abs(ours - theirs) / abs(theirs))
        where = f"DPOTrainer loss_type={trl_kwargs['loss_types']}"
        rows.append((label, worst, worst_rel, where[:60]))
    rows.append(_alpha_divergence(rng, n))
    rows.append(_reference_free(rng, n))
    return rows


def _alpha_divergence(rng: np.random.Generator, n: int) -> Row:
    """TRL's α-divergence has a clamp table without float64, so it runs in float32 there."""
    worst = worst_rel = 0.0
    for alpha in (0.3, 0.5, 2.0):
        pairs = ragged_pairs(rng, n)
        pairs = {k: [r / 20 for r in v] for k, v in pairs.items()}
        params = {"f_divergence_type": "alpha_divergence", "f_alpha_divergence_coef": alpha}
        ours = compute("dpo", _token_inputs(pairs), params).loss
        theirs = trl_dpo_tokens(pairs, loss_types=["sigmoid"], dtype=torch.float32, **params)
        worst = max(worst, abs(ours - theirs))
        worst_rel = max(worst_rel, abs(ours - theirs) / abs(theirs))
    return ("dpo alpha_divergence", worst, worst_rel, "DPOTrainer, float32 (TRL's clamp table)")


def _reference_free(rng: np.random.Generator, n: int) -> Row:
    """TRL 1.16 has no reference_free; its DPO with reference log-probs of 0 is the same thing."""
    pairs = ragged_pairs(rng, n)
    zero = {
        k: ([np.zeros_like(r) for r in v] if k.startswith("reference") else v)
        for k, v in pairs.items()
    }
    inputs = {k: v for k, v in _token_inputs(pairs).items() if k.startswith("policy")}
    ours = compute("dpo", inputs, {"reference_free": True}).loss
    theirs = trl_dpo_tokens(zero, loss_types=["sigmoid"])
    diff = abs(ours - theirs)
    return ("dpo reference_free", diff, diff / abs(theirs), "DPOTrainer, ref logps = 0")
