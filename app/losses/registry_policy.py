"""Registry entries of the unpaired (KTO) and policy-gradient losses and estimators."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.losses import policy_gradient, unpaired
from app.losses.spec import InputSpec, LossSpec, PaperRef, ParamSpec, Preset, beta

DEEPSEEKMATH = PaperRef(
    "2402.03300", "Shao et al. 2024 (DeepSeekMath)", "Eqs. 3–4", "shao2024-deepseekmath"
)


def _num_generations(default: int) -> ParamSpec:
    return ParamSpec(
        "num_generations",
        default,
        "G: completions sampled per prompt (one group)",
        kind="int",
        low=2,
        high=10_000,
    )


def _check_groups(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    field = "rewards" if "rewards" in inputs else "rewards_per_func"
    if field not in inputs:
        return [
            {
                "field": "inputs.rewards",
                "message": "is missing; give it (one reward per completion) or "
                "inputs.rewards_per_func (one column per reward function)",
            }
        ]
    errors = []
    if field == "rewards_per_func" and "rewards" in inputs:
        errors.append(
            {
                "field": "inputs.rewards_per_func",
                "message": "is given with inputs.rewards; give one",
            }
        )
    weights = params.get("reward_weights")
    if weights is not None and field == "rewards_per_func":
        k = inputs["rewards_per_func"].shape[1]
        if len(weights) != k:
            errors.append(
                {
                    "field": "params.reward_weights",
                    "message": f"has {len(weights)} weights for {k} reward functions; give one "
                    "per column of inputs.rewards_per_func",
                }
            )
    if params.get("beta") and not {"old_per_token_logps", "ref_per_token_logps"} <= set(inputs):
        errors.append(
            {
                "field": "inputs.old_per_token_logps",
                "message": "and inputs.ref_per_token_logps are needed when params.beta > 0 "
                "(the KL penalty is their summed difference); set beta to 0 to drop it",
            }
        )
    n, g = len(inputs[field]), params["num_generations"]
    if n % g:
        return errors + [
            {
                "field": f"inputs.{field}",
                "message": f"has {n} values, not a multiple of params.num_generations = {g}; "
                "rewards must come in whole groups of G",
            }
        ]
    return errors


def _check_grpo(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    errors = []
    if params["beta"] != 0 and "ref_per_token_logps" not in inputs:
        errors.append(
            {
                "field": "inputs.ref_per_token_logps",
                "message": "is required when params.beta > 0 (the KL term needs the reference); "
                "set beta to 0 to drop it",
            }
        )
    longest = max(len(seq) for seq in inputs["per_token_logps"])
    if params["loss_type"] == "dr_grpo" and longest > params["max_completion_length"]:
        errors.append(
            {
                "field": "params.max_completion_length",
                "message": f"is {params['max_completion_length']}, shorter than the longest "
                "completion "
                f"({longest} tokens); dr_grpo divides by sequences × max_completion_length",
            }
        )
    return errors


_GRPO_TOKENS = {
    "per_token_logps": [[-0.9, -1.4, -0.3], [-2.1, -0.7], [-0.5, -0.6, -1.0, -0.2]],
    "old_per_token_logps": [[-1.0, -1.2, -0.3], [-1.8, -0.9], [-0.5, -0.9, -1.0, -0.1]],
    "ref_per_token_logps": [[-1.1, -1.3, -0.4], [-2.0, -0.8], [-0.6, -0.7, -0.9, -0.3]],
    "advantages": [1.2, -0.8, 0.3],
}

SPECS: tuple[LossSpec, ...] = (
    LossSpec(
        id="kto",
        name="Kahneman–Tversky Optimization (KTO)",
        family="unpaired",
        summary="Learns from single completions marked desirable or undesirable: a sigmoid value "
        "function of the implicit reward, relative to a KL reference point, weighted per class.",
        formula=r"\ell = \begin{cases} w_D\bigl(1 - \sigma(\beta(\rho - z_0))\bigr) & "
        r"\text{desirable} \\ "
        r"w_U\bigl(1 - \sigma(\beta(z_0 - \rho))\bigr) & \text{undesirable} \end{cases},\quad "
        r"z_0 = \max\bigl(0, \overline{\rho_{\mathrm{KL}}}\bigr)",
        fn=unpaired.kto,
        inputs=(
            InputSpec(
                "policy_logps",
                "vector",
                "(n,)",
                "summed log-prob of each completion under the policy (≤ 0)",
                max_value=0.0,
            ),
            InputSpec(
                "reference_logps",
                "vector",
                "(n,)",
                "summed log-prob of each completion under the reference (≤ 0)",
                max_value=0.0,
            ),
            InputSpec("labels", "labels", "(n,)", "true = desirable, false = undesirable"),
            InputSpec(
                "policy_kl_logps",
                "vector",
                "(m,)",
                "policy log-probs of completions paired with mismatched prompts (for the KL "
                "estimate z0)",
                length="m",
                max_value=0.0,
            ),
            InputSpec(
                "reference_kl_logps",
                "vector",
                "(m,)",
                "reference log-probs of the same mismatched completions",
                length="m",
                max_value=0.0,
            ),
        ),
        params=(
            beta(),
            ParamSpec(
                "desirable_weight", 1.0, "λ_D: weight of desirable examples", low=0.0, high=100.0
            ),
            ParamSpec(
                "undesirable_weight",
                1.0,
                "λ_U: weight of undesirable examples",
                low=0.0,
                high=100.0,
            ),
        ),
        presets=(
            Preset(
                "four-completions",
                "Two desirable and two undesirable completions; the mismatched pairs give z0 = "
                "0.25.",
                {
                    "policy_logps": [-11.0, -24.5, -18.0, -9.5],
                    "reference_logps": [-12.5, -24.0, -16.0, -10.5],
                    "labels": [True, True, False, False],
                    "policy_kl_logps": [-30.0, -41.0, -28.5, -35.5],
                    "reference_kl_logps": [-30.5, -41.0, -28.0, -36.5],
                },
            ),
        ),
        papers=(PaperRef("2402.01306", "Ethayarajh et al. 2024", "Eq. 7", "ethayarajh2024-kto"),),
        trl='KTOTrainer, loss_type="kto"',
        notes=(
            "z0 is treated as a constant (no gradient), as in the paper and TRL. The paper "
            "suggests "
            "λ_D·n_D / (λ_U·n_U) in [1, 4/3].",
            "chosen_rewards lists β·ρ of the desirable examples, rejected_rewards of the "
            "undesirable ones.",
        ),
    ),
    LossSpec(
        id="grpo-advantages",
        name="GRPO group-relative advantages",
        family="policy-gradient",
        summary="Replaces PPO's learned value baseline with the statistics of a group of "
        "completions for the same prompt: each reward is centred on its group's mean and scaled "
        "by a standard deviation.",
        formula=r"\hat A_i = \frac{r_i - \operatorname{mean}(r_{\mathrm{group}})}{s + 10^{-4}}",
        fn=policy_gradient.grpo_advantages,
        inputs=(
            InputSpec(
                "rewards",
                "vector",
                "(n,) = (groups × G,)",
                "reward of each completion, group after group (or give rewards_per_func)",
                optional=True,
            ),
            InputSpec(
                "rewards_per_func",
                "table",
                "(n, K): one column per reward function",
                "each reward function's reward of each completion; null where a function "
                "returned nothing",
                optional=True,
            ),
        ),
        params=(
            _num_generations(8),
            ParamSpec(
                "scale_rewards",
                "group",
                "s: the group's sample std (group), the whole batch's (batch), or no scaling "
                "(none)",
                kind="choice",
                choices=("group", "batch", "none"),
            ),
            ParamSpec(
                "reward_weights",
                None,
                "one weight per reward function (empty = all 1)",
                kind="floats",
                low=-100.0,
                high=100.0,
                nullable=True,
            ),
            ParamSpec(
                "multi_objective_aggregation",
                "sum_then_normalize",
                "sum the weighted rewards then normalise per group (TRL's default), or normalise "
                "each function per group, sum, and normalise over the batch (GDPO)",
                kind="choice",
                choices=("sum_then_normalize", "normalize_then_sum"),
            ),
        ),
        presets=(
            Preset(
                "two-prompts",
                "Two prompts, four completions each, with 0/1 correctness rewards.",
                {"rewards": [1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0]},
                {"num_generations": 4},
            ),
            Preset(
                "two-reward-functions",
                "Correctness and format rewards; the format checker returned nothing for one "
                "completion.",
                {
                    "rewards_per_func": [
                        [1.0, 0.5],
                        [0.0, 1.0],
                        [0.0, None],
                        [1.0, 1.0],
                        [1.0, 0.0],
                        [1.0, 1.0],
                        [0.0, 0.5],
                        [0.0, 0.0],
                    ]  # fmt: skip
                },
                {"num_generations": 4, "reward_weights": [1.0, 0.5]},
            ),
        ),
        papers=(DEEPSEEKMATH,),
        trl="GRPOTrainer._generate_and_score_completions (scale_rewards, reward_weights, "
        "multi_objective_aggregation)",
        per_example="the advantage of each completion (loss is their mean, 0 up to rounding)",
        notes=(
            "The paper normalises by std(r) without saying which; s is the sample std (n − 1) and "
            "1e-4 guards a zero-variance group, as in TRL. 'none' is Dr. GRPO's centring only "
            "(arXiv 2503.20783).",
        ),
        check=_check_groups,
    ),
    LossSpec(
        id="rloo-advantages",
        name="RLOO leave-one-out advantages",
        family="policy-gradient",
        summary="REINFORCE with a leave-one-out baseline: each completion's reward minus the mean "
        "reward of the other completions for the same prompt.",
        formula=r"A_i = r_i - \frac{1}{k-1}\sum_{j \ne i} r_j",
        fn=policy_gradient.rloo_advantages,
        inputs=(
            InputSpec(
                "rewards",
                "vector",
                "(n,) = (groups × k,)",
                "reward of each completion, group after group",
            ),
            InputSpec(
                "old_per_token_logps",
                "ragged",
                "n sequences × T_i tokens",
                "log-probs of each completion's tokens under the sampling policy (for β > 0)",
                optional=True,
                max_value=0.0,
            ),
            InputSpec(
                "ref_per_token_logps",
                "ragged",
                "n sequences × T_i tokens",
                "log-probs of the same tokens under the reference (for β > 0)",
                optional=True,
                max_value=0.0,
            ),
        ),
        params=(
            _num_generations(2),
            ParamSpec(
                "beta",
                0.0,
                "β: weight of the sequence KL penalty subtracted from each reward (TRL: 0.05)",
                low=0.0,
                high=100.0,
            ),
            ParamSpec(
                "normalize_advantages",
                False,
                "whiten the advantages over the batch (TRL's normalize_advantages)",
                kind="bool",
            ),
        ),
        presets=(
            Preset(
                "two-prompts",
                "Two prompts, four completions each.",
                {"rewards": [0.9, 0.1, 0.4, 0.6, -0.3, 0.2, 0.5, 0.0]},
                {"num_generations": 4},
            ),
        ),
        papers=(
            PaperRef(
                "2402.14740", "Ahmadian et al. 2024", "the RLOO estimator", "ahmadian2024-rloo"
            ),
        ),
        trl="RLOOTrainer._generate_and_score_completions (beta, normalize_advantages)",
        per_example="the advantage of each completion (loss is their mean, 0 up to rounding)",
        check=_check_groups,
    ),
    LossSpec(
        id="grpo",
        name="Group Relative Policy Optimization (GRPO) loss",
        family="policy-gradient",
        summary="PPO's clipped surrogate on group-relative advantages, with a per-token KL penalty "
        "to the reference added to the loss instead of the reward.",
        formula=r"\ell_t = -\min\bigl(r_t A,\ \operatorname{clip}(r_t, 1-\epsilon, "
        r"1+\epsilon_{\mathrm{high}}) A\bigr) "
        r"+ \beta\,\bigl(e^{\mathrm{ref}_t - \theta_t} - (\mathrm{ref}_t - \theta_t) - "
        r"1\bigr),\quad r_t = e^{\theta_t - \mathrm{old}_t}",
        fn=policy_gradient.grpo,
        inputs=(
            InputSpec(
                "per_token_logps",
                "ragged",
                "G sequences × T_i tokens",
                "policy log-prob θ_t of each completion token (≤ 0)",
                length="seq",
                max_value=0.0,
            ),
            InputSpec(
                "old_per_token_logps",
                "ragged",
                "G sequences × T_i tokens",
                "log-probs under the sampling policy; omit for on-policy (r_t = 1)",
                length="seq",
                optional=True,
                max_value=0.0,
            ),
            InputSpec(
                "ref_per_token_logps",
                "ragged",
                "G sequences × T_i tokens",
                "log-probs under the reference model (needed when β > 0)",
                length="seq",
                optional=True,
                max_value=0.0,
            ),
            InputSpec(
                "advantages",
                "vector",
                "(G,)",
                "one advantage per sequence (e.g. from grpo-advantages)",
                length="seq",
            ),
        ),
        params=(
            ParamSpec(
                "beta",
                0.04,
                "β: weight of the per-token KL penalty (0 turns it off)",
                low=0.0,
                high=100.0,
            ),
            ParamSpec(
                "epsilon",
                0.2,
                "ε: lower clip range (and upper, unless epsilon_high is set)",
                low=0.0,
                high=1.0,
                low_open=True,
                high_open=True,
            ),
            ParamSpec(
                "epsilon_high",
                None,
                "ε_high: upper clip range (DAPO's clip-higher); empty = ε",
                low=0.0,
                high=100.0,
                low_open=True,
                nullable=True,
            ),
            ParamSpec(
                "loss_type",
                "grpo",
                "the loss and its aggregation: grpo (mean of sequence means), bnpo/dapo (token "
                "mean), dr_grpo (sum / (G × max_completion_length)), cispo (clipped-weight "
                "REINFORCE, token mean), sapo (soft gate, mean of sequence means)",
                kind="choice",
                choices=("grpo", "bnpo", "dr_grpo", "dapo", "cispo", "sapo"),
            ),
            ParamSpec(
                "max_completion_length",
                512,
                "L: the constant dr_grpo divides by",
                kind="int",
                low=1,
                high=1_000_000,
            ),
            ParamSpec(
                "importance_sampling_level",
                "token",
                "token: one ratio per token (GRPO); sequence: one per sequence, the exp of the "
                "token-mean log-ratio (GSPO)",
                kind="choice",
                choices=("token", "sequence"),
            ),
            ParamSpec(
                "use_bias_correction_kl",
                True,
                "multiply the KL term by the importance ratio (TRL's default since DeepSeek-V3.2)",
                kind="bool",
            ),
            ParamSpec(
                "sapo_temperature_pos",
                1.0,
                "SAPO's gate temperature for A > 0",
                low=0.0,
                high=100.0,
                low_open=True,
            ),
            ParamSpec(
                "sapo_temperature_neg",
                1.05,
                "SAPO's gate temperature for A ≤ 0",
                low=0.0,
                high=100.0,
                low_open=True,
            ),
        ),
        presets=(
            Preset(
                "off-policy",
                "Three completions, sampled from a slightly older policy.",
                _GRPO_TOKENS,
            ),
            Preset(
                "dr-grpo",
                "Same tokens, Dr. GRPO aggregation with a short generation budget.",
                _GRPO_TOKENS,
                {"loss_type": "dr_grpo", "max_completion_length": 4},
            ),
        ),
        papers=(
            DEEPSEEKMATH,
            PaperRef(
                "2503.14476",
                "Yu et al. 2025 (DAPO)",
                "clip-higher, token-level loss",
                None,
                role="epsilon_high, dapo",
            ),
            PaperRef("2503.20783", "Liu et al. 2025 (Dr. GRPO)", "Sec. 3", None, role="dr_grpo"),
            PaperRef(
                "2506.13585", "MiniMax 2025 (MiniMax-M1)", "Eq. 4", "minimax2025-m1", role="cispo"
            ),
            PaperRef(
                "2507.18071", "Zheng et al. 2025 (GSPO)", "Eq. 7", "zheng2025-gspo", role="gspo"
            ),
            PaperRef(
                "2511.20347",
                "SAPO (Soft Adaptive Policy Optimization)",
                "Sec. 3",
                None,
                role="sapo",
            ),
        ),
        trl="GRPOTrainer._compute_loss (loss_type, importance_sampling_level, "
        "use_bias_correction_kl, sapo_temperature_pos/neg)",
        per_example="each sequence's token-mean loss",
        notes=(
            "Defaults are the paper's (β = 0.04, ε = 0.2, grpo aggregation); TRL 1.16 defaults to "
            "β = 0 and loss_type='dapo'.",
            "KL_t is the k3 estimator, not weighted by r_t; it is evaluated as expm1(d) − d (d = "
            "ref − θ), "
            "the same quantity without cancellation for small d.",
            "TRL's dapo divides by the tokens of the whole generation batch across processes; on "
            "one "
            "process and one step that is the token count used here.",
        ),
        check=_check_grpo,
    ),
    LossSpec(
        id="ppo-clip",
        name="PPO clipped surrogate",
        family="policy-gradient",
        summary="Limits each update by clipping the probability ratio: the pessimistic minimum of "
        "the plain and the clipped policy-gradient objective, per token.",
        formula=(
            r"\ell = \operatorname{mean}_t \max\bigl(-A_t r_t,\ -A_t \operatorname{clip}(r_t, "
            r"1-\epsilon, 1+\epsilon)\bigr),\quad r_t = e^{\mathrm{new}_t - \mathrm{old}_t}"
        ),
        fn=policy_gradient.ppo_clip,
        inputs=(
            InputSpec(
                "old_logprobs",
                "ragged",
                "B sequences × T_i tokens",
                "log-probs under the policy that sampled (≤ 0)",
                length="seq",
                max_value=0.0,
            ),
            InputSpec(
                "new_logprobs",
                "ragged",
                "B sequences × T_i tokens",
                "log-probs under the policy being updated (≤ 0)",
                length="seq",
                max_value=0.0,
            ),
            InputSpec(
                "advantages",
                "ragged",
                "B sequences × T_i tokens",
                "advantage of each token (e.g. GAE)",
                length="seq",
            ),
        ),
        params=(
            ParamSpec(
                "epsilon",
                0.2,
                "ε: clip range of the probability ratio",
                low=0.0,
                high=1.0,
                low_open=True,
                high_open=True,
            ),
        ),
        presets=(
            Preset(
                "two-sequences",
                "Two sequences; some token ratios leave [0.8, 1.2].",
                {
                    "old_logprobs": [[-1.2, -0.4, -2.3], [-0.8, -1.6]],
                    "new_logprobs": [[-0.9, -0.45, -2.6], [-0.75, -1.1]],
                    "advantages": [[0.5, 0.5, -1.0], [1.5, -0.7]],
                },
            ),
        ),
        papers=(PaperRef("1707.06347", "Schulman et al. 2017", "Eq. 7", "schulman2017-ppo"),),
        trl="PPOTrainer (pg_loss_max, masked_mean over tokens)",
        per_example="each sequence's token-mean loss (loss is the mean over all tokens)",
    ),
)
