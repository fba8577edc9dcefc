"""Feed the same random inputs to Hugging Face TRL's loss code and to the loss lab; print the max
absolute differences per loss.

    python benchmarks/check_against_trl.py        # needs `trl` and `torch` importable

Run it in a throwaway environment (TRL is not a dependency of the project), e.g.
``python3 -m venv /tmp/trl-venv && /tmp/trl-venv/bin/pip install torch trl numpy``.
TRL's losses live inside trainer methods that also run the model; the script calls those methods
on a minimal stand-in ``self`` and a stand-in model whose per-token log-probs are the test inputs,
so the arithmetic exercised is TRL's own. Everything runs in float64 unless TRL casts (ORPO's
odds-ratio loss casts to float32, so agreement there is at float32 precision).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.losses.compute import compute  # noqa: E402

try:
    import torch
    import trl
    from trl.experimental.cpo import CPOTrainer
    from trl.experimental.orpo import ORPOTrainer
    from trl.trainer.dpo_trainer import DPOTrainer
    from trl.trainer.grpo_trainer import GRPOTrainer
    from trl.trainer.kto_trainer import KTOTrainer
    from trl.trainer.reward_trainer import RewardTrainer
except ImportError as exc:  # pragma: no cover - optional tool
    sys.exit(f"trl/torch not importable ({exc}); see the module docstring")

RNG = np.random.default_rng(2026)
N = 256
T = torch.float64


def identity_accelerator() -> SimpleNamespace:
    return SimpleNamespace(
        gather_for_metrics=lambda x: x, gather=lambda x: x, device="cpu", num_processes=1
    )


def metrics() -> defaultdict:
    return defaultdict(lambda: defaultdict(list))


def log_probs(n: int, low: float = 5.0, high: float = 60.0) -> np.ndarray:
    return -RNG.uniform(low, high, n)


# ------------------------------------------------------------------------------ DPO family


class _Outputs(SimpleNamespace):
    pass


def trl_dpo(loss_type: str, pairs: dict[str, np.ndarray], beta: float, **extra: float) -> float:
    """DPOTrainer._compute_loss on a stand-in model whose sequence log-probs are the inputs."""
    n = len(pairs["policy_chosen_logps"])
    logps = np.concatenate([pairs["policy_chosen_logps"], pairs["policy_rejected_logps"]])
    per_token = torch.tensor(logps, dtype=T).unsqueeze(1)  # one completion token per sequence

    def model(**_kwargs):
        shape = per_token.shape
        return _Outputs(
            log_probs=per_token,
            entropy=torch.zeros(shape, dtype=T),
            mean_logits=torch.zeros(shape, dtype=T),
            is_top1=torch.zeros(shape, dtype=torch.bool),
        )

    model.training = True
    stub = SimpleNamespace(
        model=model,
        aux_loss_enabled=False,
        ld_alpha=None,
        precompute_ref_logps=True,
        f_divergence_type="reverse_kl",
        loss_types=[loss_type],
        loss_weights=[1.0],
        beta=beta,
        label_smoothing=extra.get("label_smoothing", 0.0),
        args=SimpleNamespace(
            discopop_tau=extra.get("tau", 0.05), gradient_checkpointing_kwargs=None
        ),
        use_weighting=False,
        accelerator=identity_accelerator(),
        _metrics=metrics(),
        _total_train_tokens=0,
        _tp_size=1,
    )
    inputs = {
        "input_ids": torch.ones((2 * n, 2), dtype=torch.long),
        "attention_mask": torch.ones((2 * n, 2), dtype=torch.long),
        # Position 0 is the prompt, position 1 the one completion token: TRL's IPO divides each
        # log-ratio by the completion length (1 here), so our length-averaged inputs are the same.
        "completion_mask": torch.tensor([[0, 1]] * (2 * n)),
        "ref_chosen_logps": torch.tensor(pairs["reference_chosen_logps"], dtype=T),
        "ref_rejected_logps": torch.tensor(pairs["reference_rejected_logps"], dtype=T),
    }
    return float(DPOTrainer._compute_loss(stub, model, inputs, False))


DPO_CASES = [
    ("dpo", "sigmoid", {"beta": 0.1}),
    ("ipo", "ipo", {"beta": 0.1}),
    ("robust-dpo", "robust", {"beta": 0.1, "label_smoothing": 0.1}),
    ("hinge", "hinge", {"beta": 0.1}),
    ("nca", "nca_pair", {"beta": 0.1}),
    ("sppo-hard", "sppo_hard", {"beta": 0.1}),
    ("apo-zero", "apo_zero", {"beta": 0.1}),
    ("apo-down", "apo_down", {"beta": 0.1}),
    ("discopop", "discopop", {"beta": 0.1, "tau": 0.05}),
]


def check_dpo_family() -> list[tuple[str, float, float, str]]:
    rows = []
    for loss_id, loss_type, params in DPO_CASES:
        worst_mean = worst_example = 0.0
        for trial in range(5):
            pairs = {
                name: log_probs(N)
                for name in (
                    "policy_chosen_logps",
                    "policy_rejected_logps",
                    "reference_chosen_logps",
                    "reference_rejected_logps",
                )
            }
            if loss_id == "ipo":  # length-averaged log-probs
                pairs = {k: v / 40.0 for k, v in pairs.items()}
            beta = params["beta"] * (1 + trial)  # β = 0.1 … 0.5
            extra = {k: v for k, v in params.items() if k != "beta"}
            ours = compute(loss_id, pairs, {"beta": beta, **extra})
            theirs = trl_dpo(loss_type, pairs, beta, **extra)
            worst_mean = max(worst_mean, abs(ours.loss - theirs))
            for i in range(8):  # per example: batches of one
                one = {k: v[i : i + 1] for k, v in pairs.items()}
                diff = abs(ours.per_example[i] - trl_dpo(loss_type, one, beta, **extra))
                worst_example = max(worst_example, diff)
        rows.append((loss_id, worst_mean, worst_example, f'DPOTrainer loss_type="{loss_type}"'))
    return rows


# ------------------------------------------------------------------------------ the others


def check_reward_model() -> tuple[str, float, float, str]:
    chosen, rejected, margin = RNG.normal(0, 2, N), RNG.normal(0, 2, N), RNG.uniform(0, 1, N)
    logits = torch.tensor(np.concatenate([chosen, rejected]), dtype=T).unsqueeze(-1)

    def model(**_kwargs):
        return SimpleNamespace(logits=logits)

    model.training = True
    stub = SimpleNamespace(
        model=model,
        args=SimpleNamespace(center_rewards_coefficient=0.01),
        accelerator=identity_accelerator(),
        _metrics=metrics(),
        _total_train_tokens=0,
        _tp_size=1,
    )
    inputs = {"attention_mask": torch.ones((2 * N, 3)), "margin": torch.tensor(margin, dtype=T)}
    theirs = float(RewardTrainer.compute_loss(stub, model, inputs))
    ours = compute(
        "bradley-terry",
        {"chosen_rewards": chosen, "rejected_rewards": rejected, "margin": margin},
        {"center_rewards_coefficient": 0.01},
    ).loss
    return (
        "bradley-terry",
        abs(ours - theirs),
        float("nan"),
        "RewardTrainer.compute_loss (margin, c = 0.01)",
    )


def check_cpo_simpo() -> list[tuple[str, float, float, str]]:
    chosen, rejected = log_probs(N, 0.2, 3.0), log_probs(N, 0.2, 3.0)
    nll = 0.83
    rows = []
    for loss_id, loss_type, params in (
        ("cpo", "sigmoid", {"beta": 0.1, "cpo_alpha": 1.0}),
        ("simpo", "simpo", {"beta": 2.0, "gamma": 0.5}),
    ):
        stub = SimpleNamespace(
            alpha=0.0,
            loss_type=loss_type,
            beta=params["beta"],
            simpo_gamma=params.get("gamma", 0.5),
            label_smoothing=0.0,
            accelerator=identity_accelerator(),
        )
        losses, _, _ = CPOTrainer.cpo_loss(
            stub, torch.tensor(chosen, dtype=T), torch.tensor(rejected, dtype=T)
        )
        inputs = {"policy_chosen_logps": chosen, "policy_rejected_logps": rejected}
        if loss_id == "cpo":
            inputs["nll_loss"] = nll
            theirs_mean = float(losses.mean() + params["cpo_alpha"] * nll)  # CPOTrainer's total
        else:
            theirs_mean = float(losses.mean())
        ours = compute(loss_id, inputs, params)
        per = float(
            np.max(np.abs(ours.per_example - (losses.numpy() + (nll if loss_id == "cpo" else 0.0))))
        )
        rows.append(
            (
                loss_id,
                abs(ours.loss - theirs_mean),
                per,
                f'CPOTrainer.cpo_loss loss_type="{loss_type}"',
            )
        )
    return rows


def check_orpo() -> tuple[str, float, float, str]:
    chosen, rejected = log_probs(N, 0.05, 3.0), log_probs(N, 0.05, 3.0)
    nll = 0.9
    stub = SimpleNamespace(beta=0.1, accelerator=identity_accelerator())
    losses, *_ = ORPOTrainer.odds_ratio_loss(
        stub, torch.tensor(chosen, dtype=T), torch.tensor(rejected, dtype=T)
    )
    theirs = nll - float(losses.mean())  # ORPOTrainer: policy_nll_loss − losses.mean()
    ours = compute(
        "orpo",
        {"policy_chosen_logps": chosen, "policy_rejected_logps": rejected, "nll_loss": nll},
        {},
    )
    per = float(np.max(np.abs(ours.per_example - (nll - losses.double().numpy()))))
    return ("orpo", abs(ours.loss - theirs), per, "ORPOTrainer.odds_ratio_loss (casts to float32)")


def main() -> None:
    print(f"TRL {trl.__version__}, torch {torch.__version__}; {N} random examples, float64\n")
    rows = check_dpo_family()
    rows.append(check_reward_model())
    rows += check_cpo_simpo()
    rows.append(check_orpo())
    rows += extra_checks()
    print(f"{'loss':28} {'max |Δ| loss':>14} {'max |Δ| per-ex':>15}  TRL code")
    for loss_id, mean_diff, example_diff, where in rows:
        per = "—" if np.isnan(example_diff) else f"{example_diff:.3e}"
        print(f"{loss_id:28} {mean_diff:14.3e} {per:>15}  {where}")
    print(f"\n{'loss / option':36} {'max |Δ|':>10} {'max rel':>10}  TRL code")
    for label, diff, rel, where in more_checks():
        print(f"{label:36} {diff:10.3e} {rel:10.3e}  {where}")
    print(
        "\nNot compared here: bco (TRL 1.13) and ppo (TRL 1.12) need the last releases that had "
        "those trainers:\nsee benchmarks/trl_legacy_checks.py. ppo-clip is the clipped term "
        "alone (ppo compares the full step);\ndpo with label_smoothing > 0 (TRL 1.16's sigmoid "
        "loss has no label smoothing)."
    )


def more_checks() -> list[tuple[str, float, float, str]]:
    """The losses and options compared on per-token inputs (absolute and relative differences)."""
    from benchmarks.trl_dpo_checks import check_token_losses
    from benchmarks.trl_more_checks import POLICY_CHECKS, check_apo_zero_unpaired, check_cpo

    rows = check_token_losses(RNG) + check_cpo(RNG) + check_apo_zero_unpaired(RNG)
    for check in POLICY_CHECKS:
        rows += check(RNG)
    return rows


def extra_checks() -> list[tuple[str, float, float, str]]:
    """KTO and GRPO drive larger trainer methods; a failure is reported as a row, not hidden."""
    rows = []
    for check in (check_kto, check_grpo):
        try:
            rows += check()
        except Exception as exc:  # noqa: BLE001 - report, do not hide, what could not be driven
            rows.append(
                (
                    check.__name__.removeprefix("check_"),
                    float("nan"),
                    float("nan"),
                    f"not run: {exc!r}"[:90],
                )
            )
    return rows


def check_kto() -> list[tuple[str, float, float, str]]:
    n, m = N, N
    labels = RNG.random(n) < 0.6
    policy, reference = log_probs(n), log_probs(n)
    policy_kl, reference_kl = log_probs(m), log_probs(m)
    policy_kl = reference_kl + RNG.normal(0.3, 1.0, m)  # a positive KL estimate on average
    kl_ids = torch.ones((m, 2), dtype=torch.long)

    def model(**kwargs):
        values = policy_kl if kwargs["input_ids"] is kl_ids else policy
        per_token = torch.tensor(values, dtype=T).unsqueeze(1)
        zeros = torch.zeros(per_token.shape, dtype=T)
        return _Outputs(log_probs=per_token, entropy=zeros, mean_logits=zeros)

    model.training = True
    worst = 0.0
    for beta, w_d, w_u in ((0.1, 1.0, 1.0), (0.5, 1.33, 1.0), (0.05, 1.0, 2.0)):
        stub = SimpleNamespace(
            model=model,
            calculate_KL=True,
            precompute_ref_logps=True,
            aux_loss_enabled=False,
            loss_type="kto",
            beta=beta,
            desirable_weight=w_d,
            undesirable_weight=w_u,
            accelerator=identity_accelerator(),
            _metrics=metrics(),
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
            "KL_input_ids": kl_ids,
            "KL_attention_mask": torch.ones((m, 2), dtype=torch.long),
            "KL_completion_mask": torch.tensor([[0, 1]] * m),
            "label": torch.tensor(labels),
            "ref_logps": torch.tensor(reference, dtype=T),
            "ref_KL_logps": torch.tensor(reference_kl, dtype=T),
        }
        theirs = float(KTOTrainer._compute_loss(stub, model, batch, False))
        ours = compute(
            "kto",
            {
                "policy_logps": policy,
                "reference_logps": reference,
                "labels": labels,
                "policy_kl_logps": policy_kl,
                "reference_kl_logps": reference_kl,
            },
            {"beta": beta, "desirable_weight": w_d, "undesirable_weight": w_u},
        ).loss
        worst = max(worst, abs(ours - theirs))
    return [("kto", worst, float("nan"), 'KTOTrainer._compute_loss loss_type="kto"')]


def check_grpo() -> list[tuple[str, float, float, str]]:
    rows = []
    lengths = RNG.integers(1, 12, 64)
    t_max = int(lengths.max())
    mask = torch.zeros((len(lengths), t_max), dtype=T)
    for i, length in enumerate(lengths):
        mask[i, :length] = 1

    def ragged(spread: float, base: np.ndarray | None = None) -> list[np.ndarray]:
        return [
            (base[i] if base is not None else -RNG.uniform(0.05, 3.0, length))
            + RNG.normal(0, spread, length)
            for i, length in enumerate(lengths)
        ]

    def pad(rows_: list[np.ndarray]) -> torch.Tensor:
        out = torch.zeros((len(rows_), t_max), dtype=T)
        for i, row in enumerate(rows_):
            out[i, : len(row)] = torch.tensor(row, dtype=T)
        return out

    theta = ragged(0.0)
    old = [np.minimum(row, -1e-3) for row in ragged(0.3, theta)]
    ref = [np.minimum(row, -1e-3) for row in ragged(0.2, theta)]
    advantages = RNG.normal(0, 1, len(lengths))
    variants = [(lt, "token", False) for lt in ("grpo", "bnpo", "dr_grpo", "dapo")] + [
        ("grpo", "token", True),
        ("cispo", "token", True),
        ("sapo", "token", True),
        ("grpo", "sequence", True),
        ("dapo", "sequence", False),
    ]
    for loss_type, level, bias_kl in variants:
        worst = 0.0
        for beta, eps, eps_high in ((0.04, 0.2, 0.2), (0.0, 0.2, 0.28), (0.1, 0.1, 5.0)):
            model = SimpleNamespace(training=False)
            stub = SimpleNamespace(
                model=model,
                top_entropy_quantile=1.0,
                off_policy_mask_threshold=None,
                importance_sampling_level=level,
                beta=beta,
                loss_type=loss_type,
                epsilon_low=eps,
                epsilon_high=eps_high,
                use_vllm=False,
                vllm_importance_sampling_correction=False,
                max_completion_length=16,
                current_gradient_accumulation_steps=1,
                aux_loss_enabled=False,
                _entropy_bonus_enabled=False,
                args=SimpleNamespace(
                    use_bias_correction_kl=bias_kl,
                    delta=None,
                    sapo_temperature_pos=1.0,
                    sapo_temperature_neg=1.05,
                ),
                accelerator=SimpleNamespace(
                    gather=lambda x: x,
                    gather_for_metrics=lambda x: x,
                    reduce=lambda x, reduction: x,
                    num_processes=1,
                ),
                _metrics=metrics(),
            )
            stub._get_per_token_logps_and_entropies = lambda *a, **k: (
                pad(theta),
                torch.zeros_like(mask),
                None,
            )
            inputs = {
                "prompt_ids": torch.ones((len(lengths), 1), dtype=torch.long),
                "prompt_mask": torch.ones((len(lengths), 1), dtype=torch.long),
                "completion_ids": torch.ones((len(lengths), t_max), dtype=torch.long),
                "completion_mask": mask,
                "advantages": torch.tensor(advantages, dtype=T),
                "old_per_token_logps": pad(old),
                "ref_per_token_logps": pad(ref),
                "num_items_in_batch": mask.sum(),
            }
            theirs = float(GRPOTrainer._compute_loss(stub, None, inputs))
            params = {
                "beta": beta,
                "epsilon": eps,
                "epsilon_high": eps_high,
                "loss_type": loss_type,
                "max_completion_length": 16,
                "importance_sampling_level": level,
                "use_bias_correction_kl": bias_kl,
            }
            ours = compute(
                "grpo",
                {
                    "per_token_logps": theta,
                    "old_per_token_logps": old,
                    "ref_per_token_logps": ref,
                    "advantages": advantages,
                },
                params,
            ).loss
            worst = max(worst, abs(ours - theirs))
        label = f"grpo/{loss_type}/{level}{'/bias-kl' if bias_kl else ''}"
        rows.append((label, worst, float("nan"), "GRPOTrainer._compute_loss"))
    return rows


if __name__ == "__main__":
    main()
