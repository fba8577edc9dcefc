"""BCO and the full PPO step against the last TRL releases that shipped them.

TRL 1.16 has neither trainer: BCOTrainer was last released in 1.13.0 and PPOTrainer in 1.12.0.
Unpack those wheels (pure Python) and put them first on the path of the environment that runs
check_against_trl.py:

    pip download --no-deps trl==1.13.0 trl==1.12.0 -d /tmp/trl-old
    unzip -q /tmp/trl-old/trl-1.13.0-py3-none-any.whl -d /tmp/trl-1.13
    unzip -q /tmp/trl-old/trl-1.12.0-py3-none-any.whl -d /tmp/trl-1.12
    PYTHONPATH=/tmp/trl-1.13 python benchmarks/trl_legacy_checks.py bco
    PYTHONPATH=/tmp/trl-1.12 python benchmarks/trl_legacy_checks.py ppo

BCO runs BCOTrainer.bco_loss with TRL's own RunningMoments; PPO has no callable loss function
(the arithmetic is inline in PPOTrainer.train), so the script executes TRL's own source lines for
steps 4–6 (rewards, whitening, GAE) and the loss, read from the installed module.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import trl  # noqa: E402

from app.losses.compute import compute  # noqa: E402
from benchmarks.trl_more_checks import run_block, trl_block  # noqa: E402

RNG = np.random.default_rng(2026)
T = torch.float64


def check_bco() -> list[tuple[str, float, float, str]]:
    from trl.experimental.bco.bco_trainer import BCOTrainer, RunningMoments

    rows = []
    for label, state in (
        ("bco (fresh)", None),
        ("bco (continued)", {"mean": 0.4, "var": 0.3, "count": 500.0}),
    ):
        worst = worst_rel = worst_state = 0.0
        for beta in (0.1, 0.5):
            n = 256
            labels = RNG.random(n) < 0.5
            policy, reference = -RNG.uniform(5, 60, n), -RNG.uniform(5, 60, n)
            running = RunningMoments(accelerator=SimpleNamespace(use_distributed=False))
            params = {"beta": beta}
            if state:
                running.mean, running.var, running.count = (
                    state["mean"],
                    state["var"],
                    state["count"],
                )
                params |= {
                    "running_mean": state["mean"],
                    "running_var": state["var"],
                    "running_count": state["count"],
                }
            stub = SimpleNamespace(beta=beta, running=running, match_underlying_distribution=False)
            idx_c, idx_r = np.flatnonzero(labels), np.flatnonzero(~labels)
            losses, *_ = BCOTrainer.bco_loss(
                stub,
                torch.tensor(policy[idx_c], dtype=T),
                torch.tensor(policy[idx_r], dtype=T),
                torch.tensor(reference[idx_c], dtype=T),
                torch.tensor(reference[idx_r], dtype=T),
                None,
                None,
            )
            theirs = float(losses.mean())
            ours = compute(
                "bco",
                {"policy_logps": policy, "reference_logps": reference, "labels": labels},
                params,
            )
            d = abs(ours.loss - theirs)
            worst, worst_rel = max(worst, d), max(worst_rel, d / abs(theirs))
            worst_state = max(
                worst_state,
                abs(ours.details["running_mean"] - running.mean),
                abs(ours.details["running_var"] - running.var),
            )
        rows.append((label, worst, worst_rel, f"BCOTrainer.bco_loss; state |Δ| {worst_state:.1e}"))
    return rows


def _ppo_batch(n: int, width: int) -> dict[str, np.ndarray]:
    lengths = RNG.integers(0, width, n)
    logprobs = -RNG.uniform(0.05, 3.0, (n, width))
    return {
        "logprobs": logprobs,
        "ref_logprobs": np.minimum(logprobs + RNG.normal(0, 0.3, (n, width)), -1e-3),
        "values": RNG.normal(0, 1, (n, width)),
        "scores": RNG.normal(0, 2, n),
        "new_logprobs": np.minimum(logprobs + RNG.normal(0, 0.2, (n, width)), -1e-3),
        "vpred": RNG.normal(0, 1, (n, width)),
        "sequence_lengths": lengths,
    }


def trl_ppo(batch: dict[str, np.ndarray], args: SimpleNamespace) -> float:
    from trl.experimental.ppo import ppo_trainer as module

    train = module.PPOTrainer
    rewards_code = trl_block(train, "train", "response_idxs = torch.arange", "# Do multiple epochs")
    loss_code = trl_block(train, "train", "vpredclipped = torch.clamp(", "accelerator.backward")
    n, width = batch["logprobs"].shape
    ns = {
        "torch": torch,
        "args": args,
        "masked_whiten": module.masked_whiten,
        "masked_mean": module.masked_mean,
        "INVALID_LOGPROB": module.INVALID_LOGPROB,
        "empty_cache": lambda: None,
        "responses": torch.zeros((n, width), dtype=torch.long),
        "sequence_lengths": torch.tensor(batch["sequence_lengths"]),
        "logprobs": torch.tensor(batch["logprobs"], dtype=T),
        "ref_logprobs": torch.tensor(batch["ref_logprobs"], dtype=T),
        "values": torch.tensor(batch["values"], dtype=T),
        "scores": torch.tensor(batch["scores"], dtype=T),
    }
    run_block(rewards_code, ns)
    inds = np.arange(n)
    new_logprobs = torch.masked_fill(
        torch.tensor(batch["new_logprobs"], dtype=T), ns["padding_mask"], module.INVALID_LOGPROB
    )
    vpred = torch.masked_fill(torch.tensor(batch["vpred"], dtype=T), ns["padding_mask_p1"], 0)
    ns |= {
        "micro_batch_inds": inds,
        "vpred": vpred,
        "new_logprobs": new_logprobs,
        "mb_values": ns["values"],
        "mb_return": ns["returns"],
        "mb_logprobs": ns["logprobs"],
        "mb_advantage": ns["advantages"],
    }
    run_block(loss_code, ns)
    return float(ns["loss"])


def check_ppo() -> list[tuple[str, float, float, str]]:
    rows = []
    for estimator, whiten in (("k1", False), ("k3", False), ("k1", True)):
        worst = worst_rel = 0.0
        for gamma, lam in ((1.0, 0.95), (0.99, 0.9)):
            args = SimpleNamespace(
                kl_estimator=estimator,
                kl_coef=0.05,
                whiten_rewards=whiten,
                gamma=gamma,
                lam=lam,
                cliprange=0.2,
                cliprange_value=0.2,
                vf_coef=0.1,
            )
            batch = _ppo_batch(32, 12)
            theirs = trl_ppo(batch, args)
            params = {k: v for k, v in vars(args).items()}
            ours = compute("ppo", {k: v.tolist() for k, v in batch.items()}, params).loss
            d = abs(ours - theirs)
            worst, worst_rel = max(worst, d), max(worst_rel, d / abs(theirs))
        rows.append(
            (f"ppo {estimator}{' whiten' if whiten else ''}", worst, worst_rel, "PPOTrainer.train")
        )
    return rows


def main() -> None:
    which = sys.argv[1:] or ["bco", "ppo"]
    print(f"TRL {trl.__version__} from {Path(trl.__file__).parent}")
    print(f"{'loss / option':22} {'max |Δ|':>10} {'max rel':>10}  TRL code")
    for name in which:
        for label, diff, rel, where in {"bco": check_bco, "ppo": check_ppo}[name]():
            print(f"{label:22} {diff:10.3e} {rel:10.3e}  {where}")


if __name__ == "__main__":
    main()
