"""Registry entries of the RL losses added to the first family: the full PPO step and RLOO's
loss."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.losses import policy_gradient, ppo
from app.losses.spec import InputSpec, LossSpec, PaperRef, ParamSpec, Preset

PPO_PAPERS = (
    PaperRef("1707.06347", "Schulman et al. 2017", "Eq. 7 (clipped surrogate)", "schulman2017-ppo"),
    PaperRef(
        "1506.02438",
        "Schulman et al. 2015 (GAE)",
        "Eq. 16",
        "schulman2015-gae",
        role="advantage estimator",
    ),
    PaperRef(
        "1909.08593",
        "Ziegler et al. 2019",
        "Eq. 2 (KL-penalised reward)",
        "ziegler2019-fine-tuning-human-preferences",
        role="KL-shaped reward",
    ),
)


def _padded(name: str, meaning: str) -> InputSpec:
    return InputSpec(
        name,
        "ragged",
        "(n, T): every row T long, padded past the response",
        meaning,
        length="seq",
        tokens="padded",
    )


def _check_ppo(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = inputs["logprobs"]
    width = len(rows[0])
    errors = []
    if any(len(row) != width for row in rows):
        errors.append(
            {
                "field": "inputs.logprobs",
                "message": f"rows must all be {width} long (TRL's padded layout: pad the shorter "
                "responses; sequence_lengths marks where each ends)",
            }
        )
    lengths = inputs["sequence_lengths"]
    bad = [i for i, k in enumerate(lengths) if not (float(k).is_integer() and 0 <= k < width)]
    if bad:
        errors.append(
            {
                "field": "inputs.sequence_lengths",
                "message": f"must be whole numbers in [0, {width - 1}] (the index of each "
                f"response's last token); wrong at index {', '.join(map(str, bad[:5]))}",
            }
        )
    else:
        for name in ("logprobs", "ref_logprobs", "new_logprobs"):
            over = [
                i
                for i, (row, k) in enumerate(zip(inputs[name], lengths, strict=True))
                if max(row[: int(k) + 1]) > 0
            ]
            if over:
                errors.append(
                    {
                        "field": f"inputs.{name}",
                        "message": "must be ≤ 0 up to each response's last token (log-probs; "
                        f"padding is ignored); violated in sequence {over[0]}",
                    }
                )
    if not bad and sum(int(k) + 1 for k in lengths) < 2:
        errors.append(
            {
                "field": "inputs.sequence_lengths",
                "message": "must leave at least two response tokens in all (advantages are "
                "whitened with an unbiased variance)",
            }
        )
    return errors


PPO_BATCH = {
    "logprobs": [[-0.9, -1.4, -0.3, -2.0], [-2.1, -0.7, 0.0, 0.0]],
    "ref_logprobs": [[-1.0, -1.2, -0.5, -1.8], [-1.9, -0.9, 0.0, 0.0]],
    "values": [[0.2, 0.35, 0.5, 0.6], [0.1, 0.25, 0.3, 0.0]],
    "scores": [1.0, -0.5],
    "new_logprobs": [[-0.8, -1.5, -0.2, -2.2], [-2.0, -0.6, 0.0, 0.0]],
    "vpred": [[0.25, 0.3, 0.55, 0.7], [0.05, 0.3, 0.2, 0.0]],
    "sequence_lengths": [3, 1],
}

SPECS: tuple[LossSpec, ...] = (
    LossSpec(
        id="ppo",
        name="PPO step (KL-shaped rewards, GAE, clipped policy and value losses)",
        family="policy-gradient",
        summary="One PPO update as RLHF runs it: per-token rewards are the KL penalty plus the "
        "score at the end, GAE turns them into advantages, and the loss adds a clipped value "
        "loss to the clipped surrogate.",
        formula=r"\ell = \operatorname{mean}_t\max\bigl(-\hat A_t r_t, -\hat A_t "
        r"\operatorname{clip}(r_t, 1\pm\epsilon)\bigr) + c_v\,\tfrac12\operatorname{mean}_t"
        r"\max\bigl((V'_t - R_t)^2, (\operatorname{clip}(V'_t, V_t\pm\epsilon_v) - R_t)^2\bigr)",
        fn=ppo.ppo,
        inputs=(
            _padded("logprobs", "log-probs of the response tokens at sampling (≤ 0)"),
            _padded("ref_logprobs", "reference log-probs of the same tokens (≤ 0)"),
            _padded("values", "value-head estimates at sampling"),
            InputSpec(
                "scores", "vector", "(n,)", "reward-model score of each response", length="seq"
            ),
            _padded("new_logprobs", "log-probs under the policy being updated (≤ 0)"),
            _padded("vpred", "value-head estimates of the policy being updated"),
            InputSpec(
                "sequence_lengths",
                "vector",
                "(n,)",
                "index of each response's last token (TRL's sequence_lengths: tokens − 1)",
                length="seq",
                min_value=0.0,
            ),
        ),
        params=(
            ParamSpec("kl_coef", 0.05, "β: weight of the per-token KL penalty", low=0.0, high=10.0),
            ParamSpec(
                "kl_estimator",
                "k1",
                "k1 (log-ratio) or k3 ((e^d − 1) − d, lower variance)",
                kind="choice",
                choices=("k1", "k3"),
            ),
            ParamSpec("whiten_rewards", False, "whiten the per-token rewards first", kind="bool"),
            ParamSpec("gamma", 1.0, "γ: discount", low=0.0, high=1.0),
            ParamSpec("lam", 0.95, "λ: GAE's bias–variance trade-off", low=0.0, high=1.0),
            ParamSpec("vf_coef", 0.1, "c_v: weight of the value loss", low=0.0, high=100.0),
            ParamSpec("cliprange", 0.2, "ε: policy ratio clip", low=0.0, high=1.0, low_open=True),
            ParamSpec(
                "cliprange_value", 0.2, "ε_v: value clip around the old values", low=0.0, high=100.0
            ),
        ),
        presets=(
            Preset("two-responses", "A 4-token and a 2-token response (padded to 4).", PPO_BATCH),
        ),
        papers=PPO_PAPERS,
        trl="PPOTrainer.train, TRL 1.12 (the last release with PPOTrainer): steps 4–6 and the "
        "first minibatch's loss",
        check=_check_ppo,
        per_example="each response's token-mean clipped policy loss (before the value loss)",
        notes=(
            "Follows TRL exactly, including its layout quirk: the value is read, and the score "
            "added, one position past the last token (at the last token if that is the end of "
            "the row).",
            "Advantages are whitened over the batch's response tokens, as TRL always does; "
            "the step is one minibatch holding the whole batch.",
        ),
    ),
    LossSpec(
        id="rloo",
        name="RLOO loss (sequence-level clipped REINFORCE)",
        family="policy-gradient",
        summary="REINFORCE on whole sequences with leave-one-out advantages, the sequence "
        "probability ratio clipped as in PPO so that a batch can be reused.",
        formula=r"\ell_i = -\min\bigl(r_i A_i,\ \operatorname{clip}(r_i, 1-\epsilon, "
        r"1+\epsilon_{\mathrm{high}}) A_i\bigr),\quad r_i = e^{\sum_t \theta_{i,t} - "
        r"\mathrm{old}_i}",
        fn=policy_gradient.rloo,
        inputs=(
            InputSpec(
                "per_token_logps",
                "ragged",
                "n sequences × T_i tokens",
                "policy log-prob of each completion token (≤ 0)",
                max_value=0.0,
            ),
            InputSpec(
                "old_logps",
                "vector",
                "(n,)",
                "summed log-prob of each completion under the sampling policy (≤ 0)",
                max_value=0.0,
            ),
            InputSpec(
                "advantages", "vector", "(n,)", "one advantage per completion (rloo-advantages)"
            ),
        ),
        params=(
            ParamSpec(
                "epsilon",
                0.2,
                "ε: lower clip range of the sequence ratio (and upper, unless epsilon_high is set)",
                low=0.0,
                high=1.0,
                low_open=True,
                high_open=True,
            ),
            ParamSpec(
                "epsilon_high",
                None,
                "ε_high: upper clip range; empty = ε",
                low=0.0,
                high=100.0,
                low_open=True,
                nullable=True,
            ),
        ),
        presets=(
            Preset(
                "three-completions",
                "Three completions sampled from a slightly older policy.",
                {
                    "per_token_logps": [[-0.9, -1.4, -0.3], [-2.1, -0.7], [-0.5, -0.6, -1.0]],
                    "old_logps": [-2.8, -2.6, -2.3],
                    "advantages": [0.8, -0.5, -0.3],
                },
            ),
        ),
        papers=(
            PaperRef(
                "2402.14740",
                "Ahmadian et al. 2024",
                "Sec. 3.2 (RLOO)",
                "ahmadian2024-rloo",
            ),
        ),
        trl="RLOOTrainer._compute_loss",
        per_example="each completion's loss",
        notes=(
            "The ratio is per sequence (summed log-probs), not per token as in GRPO; the loss is "
            "the plain mean over completions.",
        ),
    ),
)
