"""CPOTrainer options, KTOTrainer's apo_zero_unpaired and GRPO/RLOO additions against TRL 1.16
(imported by check_against_trl.py). Each function returns rows (label, max |Δ|, max rel, where).
"""

from __future__ import annotations

import inspect
import textwrap
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
from torch import nn
from trl.experimental.cpo import CPOTrainer

from app.losses.compute import compute

T = torch.float64
Row = tuple[str, float, float, str]


def _diff(ours: float, theirs: float) -> tuple[float, float]:
    d = abs(ours - theirs)
    return d, d / abs(theirs) if theirs else d


def _token_logits(rows: list[np.ndarray], width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two-word-vocabulary logits whose log-softmax at label 0 is each token's log-prob; the
    first position is the prompt (label −100), padding is −100 too."""
    n = len(rows)
    logits = torch.zeros((n, width + 1, 2), dtype=T)
    labels = torch.full((n, width + 1), -100, dtype=torch.long)
    for i, row in enumerate(rows):
        for t, lp in enumerate(row):
            # log σ-form: log p(0) = −log(1 + e^x) with x = log(e^(−lp) − 1)
            logits[i, t, 1] = float(np.log(np.expm1(-lp)))
            labels[i, t + 1] = 0
    return logits, labels


def check_cpo(rng: np.random.Generator, n: int = 64) -> list[Row]:
    rows = []
    lengths = rng.integers(1, 10, 2 * n)
    tokens = [-rng.uniform(0.05, 2.5, k) for k in lengths]
    chosen, rejected = tokens[:n], tokens[n:]
    width = int(lengths.max())
    logits, labels = _token_logits(tokens, width)
    for loss_type in ("sigmoid", "hinge", "ipo", "simpo"):
        for alpha, eps in ((0.0, 0.0), (0.25, 0.1), (-0.5, 0.0)):
            if loss_type in ("hinge", "ipo") and eps:
                continue
            average = loss_type in ("ipo", "simpo")
            logps = CPOTrainer.get_batch_logps(logits, labels.clone(), average_log_prob=average)
            nll = nn.CrossEntropyLoss()(
                logits[:n, :-1, :].reshape(-1, 2), labels[:n, 1:].reshape(-1)
            )
            stub = SimpleNamespace(
                alpha=alpha,
                loss_type=loss_type,
                beta=0.2,
                simpo_gamma=0.5,
                label_smoothing=eps,
                accelerator=SimpleNamespace(device="cpu"),
            )
            losses, _, _ = CPOTrainer.cpo_loss(stub, logps[:n], logps[n:])
            theirs = float(losses.mean() + 1.0 * nll)  # CPOTrainer: losses.mean() + cpo_alpha·nll
            params = {"loss_type": loss_type, "alpha": alpha, "label_smoothing": eps, "beta": 0.2}
            inputs = {
                "policy_chosen_token_logps": [r.tolist() for r in chosen],
                "policy_rejected_token_logps": [r.tolist() for r in rejected],
            }
            ours = compute("cpo", inputs, params).loss
            d, rel = _diff(ours, theirs)
            rows.append(
                (
                    f"cpo {loss_type} α={alpha} ε={eps}",
                    d,
                    rel,
                    "CPOTrainer.get_batch_logps + cpo_loss + CrossEntropyLoss",
                )
            )
    return rows


def check_apo_zero_unpaired(rng: np.random.Generator, n: int = 128) -> list[Row]:
    from trl.trainer.kto_trainer import KTOTrainer

    labels = rng.random(n) < 0.55
    policy, reference = -rng.uniform(5, 60, n), -rng.uniform(5, 60, n)

    def model(**_kwargs):
        per_token = torch.tensor(policy, dtype=T).unsqueeze(1)
        zeros = torch.zeros(per_token.shape, dtype=T)
        return SimpleNamespace(log_probs=per_token, entropy=zeros, mean_logits=zeros)

    model.training = True
    worst = worst_rel = 0.0
    for beta, w_d, w_u in ((0.1, 1.0, 1.0), (0.5, 1.33, 0.7)):
        stub = SimpleNamespace(
            model=model,
            calculate_KL=False,
            precompute_ref_logps=True,
            aux_loss_enabled=False,
            loss_type="apo_zero_unpaired",
            beta=beta,
            desirable_weight=w_d,
            undesirable_weight=w_u,
            accelerator=SimpleNamespace(
                gather_for_metrics=lambda x: x, gather=lambda x: x, device="cpu"
            ),
            _metrics=defaultdict(lambda: defaultdict(list)),
            _total_train_tokens=0,
            _tp_size=1,
            args=SimpleNamespace(gradient_checkpointing_kwargs=None),
        )
        stub._compute_kl_logps = lambda mdl, batch, stub=stub: KTOTrainer._compute_kl_logps(
            stub, mdl, batch
        )
        batch = {
            "input_ids": torch.ones((n, 2), dtype=torch.long),
            "attention_mask": torch.ones((n, 2), dtype=torch.long),
            "completion_mask": torch.tensor([[0, 1]] * n),
            "label": torch.tensor(labels),
            "ref_logps": torch.tensor(reference, dtype=T),
        }
        theirs = float(KTOTrainer._compute_loss(stub, model, batch, False))
        ours = compute(
            "apo-zero-unpaired",
            {"policy_logps": policy, "reference_logps": reference, "labels": labels},
            {"beta": beta, "desirable_weight": w_d, "undesirable_weight": w_u},
        ).loss
        d, rel = _diff(ours, theirs)
        worst, worst_rel = max(worst, d), max(worst_rel, rel)
    return [("apo-zero-unpaired", worst, worst_rel, "KTOTrainer._compute_loss")]


def trl_block(cls: type, method: str, start: str, end: str) -> str:
    """The source lines of ``cls.method`` from the line containing ``start`` up to (not
    including) the line containing ``end``, dedented: TRL computes some quantities inline, so
    the script runs TRL's own lines rather than a copy."""
    lines = inspect.getsource(getattr(cls, method)).splitlines()
    first = next(i for i, line in enumerate(lines) if start in line)
    last = next(i for i, line in enumerate(lines) if i > first and end in line)
    return textwrap.dedent("\n".join(lines[first:last]))


def run_block(code: str, namespace: dict[str, Any]) -> dict[str, Any]:
    exec(compile(code, "<trl>", "exec"), namespace)  # noqa: S102 - TRL's own source, read locally
    return namespace


POLICY_CHECKS: list = []
