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


def _pad(rows: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    out, mask = torch.zeros((len(rows), width), dtype=T), torch.zeros((len(rows), width), dtype=T)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row, dtype=T)
        mask[i, : len(row)] = 1
    return out, mask


def check_grpo_advantages(rng: np.random.Generator) -> list[Row]:
    from trl.trainer import grpo_trainer

    code = trl_block(
        grpo_trainer.GRPOTrainer,
        "_generate_and_score_completions",
        "unscorable_mask = torch.isnan(rewards_per_func).all(dim=1)",
        "# Slice to keep only the local part of the data",
    )
    rows = []
    g, groups, k = 6, 8, 3
    for aggregation, scale in (
        ("sum_then_normalize", "group"),
        ("sum_then_normalize", "batch"),
        ("sum_then_normalize", "none"),
        ("normalize_then_sum", "group"),
    ):
        worst = worst_rel = 0.0
        for with_nulls in (False, True):
            per_func = rng.normal(0, 1, (g * groups, k))
            if with_nulls:  # a function with no answer, and one completion nobody scored
                per_func[rng.random(per_func.shape) < 0.15] = np.nan
                per_func[3] = np.nan
            weights = [1.0, 0.5, 2.0]
            stub = SimpleNamespace(
                multi_objective_aggregation=aggregation,
                scale_rewards=scale,
                reward_weights=torch.tensor(weights, dtype=T),
                reward_funcs=[None] * k,
            )
            ns = run_block(
                code,
                {
                    "torch": torch,
                    "self": stub,
                    "nanstd": grpo_trainer.nanstd,
                    "rewards_per_func": torch.tensor(per_func, dtype=T),
                    "num_generations": g,
                    "device": "cpu",
                },
            )
            table = [[None if np.isnan(v) else float(v) for v in row] for row in per_func]
            ours = compute(
                "grpo-advantages",
                {"rewards_per_func": table},
                {
                    "num_generations": g,
                    "scale_rewards": scale,
                    "reward_weights": weights,
                    "multi_objective_aggregation": aggregation,
                },
            ).per_example
            theirs = ns["advantages"].numpy()
            d = float(np.max(np.abs(ours - theirs)))
            worst = max(worst, d)
            worst_rel = max(worst_rel, float(np.max(np.abs(ours - theirs) / np.abs(theirs).max())))
        rows.append(
            (
                f"grpo-advantages {aggregation[:14]}/{scale}",
                worst,
                worst_rel,
                "GRPOTrainer (inline)",
            )
        )
    return rows


def check_rloo(rng: np.random.Generator) -> list[Row]:
    from trl.trainer import rloo_trainer

    code = trl_block(
        rloo_trainer.RLOOTrainer,
        "_generate_and_score_completions",
        "unscorable_mask = torch.isnan(rewards_per_func).all(dim=1)",
        "is_std_zero = torch.isclose(std_rewards",
    )
    rows = []
    g, n = 4, 32
    lengths = rng.integers(1, 10, n)
    old = [-rng.uniform(0.05, 3.0, k) for k in lengths]
    ref = [np.minimum(o + rng.normal(0, 0.3, len(o)), -1e-3) for o in old]
    for beta, normalize in ((0.0, False), (0.05, False), (0.05, True)):
        rewards = rng.normal(0, 1, n)
        old_t, mask = _pad(old)
        ref_t, _ = _pad(ref)
        stub = SimpleNamespace(
            reward_weights=torch.ones(1, dtype=T),
            reward_clip_range=None,
            beta=beta,
            normalize_advantages=normalize,
        )
        ns = run_block(
            code,
            {
                "torch": torch,
                "self": stub,
                "nanstd": rloo_trainer.nanstd,
                "gather": lambda x: x,
                "rewards_per_func": torch.tensor(rewards, dtype=T).unsqueeze(1),
                "num_generations": g,
                "device": "cpu",
                "old_per_token_logps": old_t,
                "ref_per_token_logps": ref_t,
                "completion_mask": mask,
            },
        )
        inputs: dict[str, Any] = {"rewards": rewards.tolist()}
        if beta:
            inputs |= {
                "old_per_token_logps": [r.tolist() for r in old],
                "ref_per_token_logps": [r.tolist() for r in ref],
            }
        ours = compute(
            "rloo-advantages",
            inputs,
            {"num_generations": g, "beta": beta, "normalize_advantages": normalize},
        ).per_example
        theirs = ns["advantages"].numpy()
        d = float(np.max(np.abs(ours - theirs)))
        rows.append(
            (
                f"rloo-advantages β={beta}{' norm' if normalize else ''}",
                d,
                d / float(np.abs(theirs).max()),
                "RLOOTrainer (inline)",
            )
        )
    rows.append(_rloo_loss(rng))
    return rows


def _rloo_loss(rng: np.random.Generator) -> Row:
    from trl.trainer.rloo_trainer import RLOOTrainer

    n = 48
    lengths = rng.integers(1, 10, n)
    theta = [-rng.uniform(0.05, 3.0, k) for k in lengths]
    old_logps = np.array([t.sum() for t in theta]) + rng.normal(0, 0.3, n)
    advantages = rng.normal(0, 1, n)
    padded, mask = _pad(theta)
    worst = worst_rel = 0.0
    for eps, eps_high in ((0.2, 0.2), (0.1, 0.3)):
        stub = SimpleNamespace(
            model=SimpleNamespace(training=False),
            aux_loss_enabled=False,
            epsilon_low=eps,
            epsilon_high=eps_high,
            accelerator=SimpleNamespace(
                gather=lambda x: x, gather_for_metrics=lambda x: x, reduce=lambda x, reduction: x
            ),
            _metrics=defaultdict(lambda: defaultdict(list)),
        )
        stub._get_per_token_logps_and_entropies = lambda *a, **k: (
            padded,
            torch.zeros_like(mask),
            None,
        )
        inputs = {
            "prompt_ids": torch.ones((n, 1), dtype=torch.long),
            "prompt_mask": torch.ones((n, 1), dtype=torch.long),
            "completion_ids": torch.ones(mask.shape, dtype=torch.long),
            "completion_mask": mask,
            "old_logps": torch.tensor(old_logps, dtype=T),
            "advantages": torch.tensor(advantages, dtype=T),
        }
        theirs = float(RLOOTrainer._compute_loss(stub, None, inputs))
        ours = compute(
            "rloo",
            {
                "per_token_logps": [t.tolist() for t in theta],
                "old_logps": np.minimum(old_logps, 0).tolist(),
                "advantages": advantages.tolist(),
            },
            {"epsilon": eps, "epsilon_high": eps_high},
        ).loss
        d, rel = _diff(ours, theirs)
        worst, worst_rel = max(worst, d), max(worst_rel, rel)
    return ("rloo", worst, worst_rel, "RLOOTrainer._compute_loss")


POLICY_CHECKS = [check_grpo_advantages, check_rloo]
