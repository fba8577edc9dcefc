"""Registry entries of the reward-model and pairwise preference losses."""

from __future__ import annotations

from typing import Any

from app.losses import pairwise, reference_free, reward_model
from app.losses.registry_variants import (
    CPO_OPTIONS,
    DPO_OPTIONS,
    LOG_SUM_SQ,
    check_dpo,
    prepare_dpo,
    reference_free_check,
    reference_free_prepare,
)
from app.losses.spec import CheckFn, InputSpec, LossSpec, PaperRef, ParamSpec, Preset, beta
from app.losses.tokens import Reduce, pairwise_check, pairwise_prepare, with_token_inputs

_LOGP = "summed log-probability of the {} completion under the {} (sum over its tokens; ≤ 0)"


def _ref_inputs(averaged: bool = False) -> tuple[InputSpec, ...]:
    logp = (
        _LOGP.replace("summed", "length-averaged").replace("sum over", "mean over")
        if averaged
        else _LOGP
    )
    return tuple(
        InputSpec(f"{model}_{side}_logps", "vector", "(n,)", logp.format(side, who), max_value=0.0)
        for model, who in (("policy", "policy"), ("reference", "frozen reference model"))
        for side in ("chosen", "rejected")
    )


REF_INPUTS = _ref_inputs()
LABEL_SMOOTHING_CDPO = ParamSpec(
    "label_smoothing",
    0.0,
    "ε: assumed probability that a preference label is flipped (cDPO); 0 is plain DPO",
    low=0.0,
    high=0.5,
)

# Toy pairs (summed log-probs of completions of a few dozen tokens). Log-ratios ρ_w, ρ_l:
# pair 1 won clearly (+3, −7: Δ = 10), pair 2 barely (+0.5, −1: Δ = 1.5), pair 3 lost
# (−4, +2: Δ = −6), pair 4 a tie with the reference (0, 0).
PAIRS = {
    "policy_chosen_logps": [-12.0, -29.5, -21.0, -22.0],
    "policy_rejected_logps": [-22.0, -32.5, -14.5, -25.0],
    "reference_chosen_logps": [-15.0, -30.0, -17.0, -22.0],
    "reference_rejected_logps": [-15.0, -31.5, -16.5, -25.0],
}
TIES = {name: [-10.0, -20.0, -5.0] for name in PAIRS}
AVERAGED = {  # per-token means of the same kind of completions
    "policy_chosen_logps": [-0.62, -1.10, -0.85],
    "policy_rejected_logps": [-0.95, -1.05, -0.70],
    "reference_chosen_logps": [-0.70, -1.08, -0.80],
    "reference_rejected_logps": [-0.80, -1.12, -0.78],
}


def _std_presets() -> tuple[Preset, ...]:
    return (
        Preset("four-pairs", "Four pairs: clearly won, barely won, lost, and even.", PAIRS),
        Preset("ties", "Policy equals reference everywhere: every margin is 0.", TIES),
    )


def _dpo_family(
    loss_id: str,
    name: str,
    fn,
    formula: str,
    summary: str,
    papers: tuple[PaperRef, ...],
    trl: str,
    params: tuple[ParamSpec, ...] = (beta(),),
    notes: tuple[str, ...] = (),
    presets: tuple[Preset, ...] | None = None,
    inputs: tuple[InputSpec, ...] = REF_INPUTS,
    how: Reduce = "sum",
    extra_inputs: tuple[InputSpec, ...] = (),
    check: CheckFn | None = None,
    prepare: Any = None,
    per_example: str = "the loss of each example",
) -> LossSpec:
    names = [item.name for item in inputs]
    return LossSpec(
        id=loss_id,
        name=name,
        family="pairwise",
        summary=summary,
        formula=formula,
        fn=fn,
        inputs=with_token_inputs(inputs) + extra_inputs,
        params=params,
        presets=presets or _std_presets(),
        papers=papers,
        trl=trl,
        notes=notes + (TOKEN_NOTE if how == "sum" else TOKEN_NOTE_MEAN,),
        check=check or pairwise_check(names),
        prepare=prepare or pairwise_prepare(names, how=how),
        per_example=per_example,
    )


TOKEN_NOTE = (
    "Per-token log-probs (the *_token_logps inputs, one list per sequence) may replace the summed "
    "ones; they are summed over each completion, as TRL's DPOTrainer sums over its completion "
    "mask."
)
TOKEN_NOTE_MEAN = (
    "Per-token log-probs (the *_token_logps inputs) may replace the length-averaged ones; each "
    "completion's tokens are averaged, which is TRL's division by the completion length."
)


def _with_tokens(*items: InputSpec) -> tuple[InputSpec, ...]:
    """The policy log-prob inputs with their per-token twins, then the other inputs."""
    logps = tuple(item for item in items if item.name.endswith("_logps"))
    rest = tuple(item for item in items if not item.name.endswith("_logps"))
    return with_token_inputs(logps) + rest


def _always_mean(params: dict[str, Any]) -> bool:
    return True


def _cpo_mean(params: dict[str, Any]) -> bool:
    # CPOTrainer averages over tokens for ipo and simpo, sums otherwise.
    return params["loss_type"] in ("ipo", "simpo")


RHO = r"\rho = \log\pi_\theta(y) - \log\pi_{\mathrm{ref}}(y),\quad \Delta = \rho_w - \rho_l"

SPECS: tuple[LossSpec, ...] = (
    LossSpec(
        id="bradley-terry",
        name="Bradley–Terry reward-model loss",
        family="reward-model",
        summary="Trains a scalar reward model so that the chosen answer outscores the rejected "
        "one, with an optional per-pair margin and a penalty that keeps rewards centred on zero.",
        formula=r"\ell = -\log\sigma(r_c - r_r - m) + c\,(r_c + r_r)^2",
        fn=reward_model.bradley_terry,
        inputs=(
            InputSpec(
                "chosen_rewards", "vector", "(n,)", "reward model score of the chosen completion"
            ),
            InputSpec(
                "rejected_rewards",
                "vector",
                "(n,)",
                "reward model score of the rejected completion",
            ),
            InputSpec(
                "margin",
                "vector",
                "(n,)",
                "optional required gap per pair (Llama 2 uses larger margins for clearer "
                "preferences)",
                optional=True,
            ),
        ),
        params=(
            ParamSpec(
                "center_rewards_coefficient",
                0.0,
                "c: weight of the mean-zero penalty mean((r_c + r_r)²); Eisenstein et al. suggest "
                "0.01",
                low=0.0,
                high=10.0,
            ),
        ),
        presets=(
            Preset(
                "three-pairs",
                "Three comparisons: won, lost, and a tie.",
                {"chosen_rewards": [1.8, -0.4, 0.5], "rejected_rewards": [0.3, 0.6, 0.5]},
            ),
            Preset(
                "llama2-margin",
                "Same rewards with Llama 2 style margins (bigger for 'significantly better').",
                {
                    "chosen_rewards": [1.8, -0.4, 0.5],
                    "rejected_rewards": [0.3, 0.6, 0.5],
                    "margin": [1.0, 0.0, 0.33],
                },
                {"center_rewards_coefficient": 0.01},
            ),
        ),
        papers=(
            PaperRef(
                "2203.02155", "Ouyang et al. 2022 (InstructGPT)", "Eq. 1", "ouyang2022-instructgpt"
            ),
            PaperRef(
                "1706.03741",
                "Christiano et al. 2017",
                "Sec. 2.2.3",
                "christiano2017-deep-rl-human-preferences",
                role="earlier form (on trajectory segments)",
            ),
            PaperRef(
                "2009.01325",
                "Stiennon et al. 2020",
                "Sec. 3.4 (reward model loss)",
                "stiennon2020-learning-to-summarize",
                role="same loss for summarisation",
            ),
            PaperRef(
                "2307.09288",
                "Touvron et al. 2023 (Llama 2)",
                "Eq. 2",
                "touvron2023-llama2",
                role="margin term",
            ),
            PaperRef("2312.09244", "Eisenstein et al. 2023", "Eq. 2", None, role="centring term"),
        ),
        trl=(
            "RewardTrainer.compute_loss (margin from the dataset's `margin` column, "
            "`center_rewards_coefficient`)"
        ),
        notes=(
            "InstructGPT averages over all C(K, 2) pairs of a K-way ranking; pass each pair as one "
            "row.",
        ),
    ),
    _dpo_family(
        "dpo",
        "Direct Preference Optimization (DPO)",
        pairwise.dpo,
        r"\ell = -(1-\varepsilon)\log\sigma(\beta\Delta) - "
        r"\varepsilon\log\sigma(-\beta\Delta),\quad " + RHO,
        "The Bradley–Terry likelihood of the implicit reward β·log(π/π_ref): a logistic loss on "
        "the "
        "reference-normalised margin, with no reward model and no RL loop.",
        (PaperRef("2305.18290", "Rafailov et al. 2023", "Eq. 7", "rafailov2023-dpo"),),
        'DPOTrainer, loss_type="sigmoid"',
        params=(beta(), LABEL_SMOOTHING_CDPO, *DPO_OPTIONS),
        extra_inputs=LOG_SUM_SQ,
        check=check_dpo,
        prepare=prepare_dpo,
        notes=(
            "ε > 0 is conservative DPO (Mitchell 2023, a note not on arXiv). TRL 1.16's 'sigmoid' "
            "loss no longer applies label_smoothing; at ε = 0 the two agree exactly.",
            "f_divergence_type follows TRL 1.16 (f-DPO, arXiv 2309.16240): forward_kl scores "
            "1 − e^(−ρ), js_divergence log 2 + log σ(ρ), alpha_divergence (e^((α−1)ρ) − 1)/(α − 1) "
            "with the exponent clamped at 80 and evaluated in float32, as TRL does.",
            "ld_alpha (LD-DPO, arXiv 2409.06411) and use_weighting (WPO, arXiv 2406.11827) need "
            "per-token inputs; reference_free takes the reference log-probs as 0 and ignores any "
            "given (TRL 1.16 dropped this option; earlier releases had it).",
        ),
    ),
    _dpo_family(
        "ipo",
        "Identity Preference Optimisation (IPO)",
        pairwise.ipo,
        r"\ell = \left(\Delta - \frac{1}{2\beta}\right)^2,\quad " + RHO,
        "Regresses the margin onto a fixed target 1/(2τ) instead of pushing it to infinity, so it "
        "keeps regularising towards the reference even on deterministic preferences.",
        (PaperRef("2310.12036", "Azar et al. 2023", "Eq. 17", "azar2023-ipo"),),
        'DPOTrainer, loss_type="ipo"',
        params=(beta(meaning="τ: the regularisation strength; the target margin is 1/(2τ)"),),
        inputs=_ref_inputs(averaged=True),
        how="mean",
        presets=(
            Preset("three-pairs", "Length-averaged log-probs of three pairs.", AVERAGED),
            Preset("ties", "Policy equals reference: Δ = 0, so ℓ = 1/(4τ²).", TIES),
        ),
        notes=(
            "Pass length-averaged log-probs, as TRL does (it divides each log-ratio by the "
            "completion "
            "length, a choice it says the IPO authors confirmed); summed log-probs give the "
            "paper's "
            "literal sequence-level form.",
        ),
    ),
    _dpo_family(
        "robust-dpo",
        "Robust DPO (rDPO)",
        pairwise.robust_dpo,
        r"\ell = \frac{-(1-\varepsilon)\log\sigma(\beta\Delta) + "
        r"\varepsilon\log\sigma(-\beta\Delta)}{1-2\varepsilon},\quad " + RHO,
        "An unbiased correction of the DPO loss for labels flipped at a known rate ε: in "
        "expectation "
        "over the noise it equals the clean DPO loss.",
        (
            PaperRef(
                "2403.00409",
                "Chowdhury, Kini & Natarajan 2024",
                "Sec. 3",
                "chowdhury2024-robust-dpo",
            ),
        ),
        'DPOTrainer, loss_type="robust"',
        params=(
            beta(),
            ParamSpec(
                "label_smoothing",
                0.1,
                "ε: the known rate at which preference labels are flipped",
                low=0.0,
                high=0.5,
                high_open=True,
            ),
        ),
        notes=(
            "Default ε = 0.1, the value TRL's docs give as the paper's typical choice; TRL's own "
            "default is 0, where rDPO is plain DPO.",
            "The loss is not bounded below: it decreases linearly in βΔ for large margins.",
        ),
    ),
    _dpo_family(
        "hinge",
        "SLiC-HF hinge (calibration) loss",
        pairwise.hinge,
        r"\ell = \max(0,\ 1 - \beta\Delta),\quad " + RHO,
        "A hinge on the margin: pairs already won by 1/β cost nothing and push nothing.",
        (
            PaperRef(
                "2305.10425",
                "Zhao et al. 2023 (SLiC-HF)",
                "Sec. 2 (rank calibration loss)",
                "zhao2023-slic-hf",
            ),
        ),
        'DPOTrainer, loss_type="hinge"',
        notes=(
            "Departs from the paper as TRL does: SLiC-HF's max(0, δ − log π(y⁺) + log π(y⁻)) has "
            "no "
            "reference model and a margin δ; here the margin is reference-normalised and δ = 1/β, "
            "scaled by β (max(0, 1 − βΔ) = β·max(0, 1/β − Δ)). The paper's SFT regulariser is not "
            "included.",
        ),
    ),
    _dpo_family(
        "nca",
        "Noise Contrastive Alignment (NCA), pairwise",
        pairwise.nca,
        r"\ell = -\log\sigma(\beta\rho_w) - \tfrac12\log\sigma(-\beta\rho_w) - "
        r"\tfrac12\log\sigma(-\beta\rho_l)",
        "Scores each response against noise on its own, rather than only the pair's difference, "
        "which keeps the chosen response's likelihood from falling.",
        (
            PaperRef(
                "2402.05369", "Chen et al. 2024", "Sec. 4 (NCA on preference pairs)", "chen2024-nca"
            ),
        ),
        'DPOTrainer, loss_type="nca_pair"',
    ),
    _dpo_family(
        "sppo-hard",
        "Self-Play Preference Optimization (SPPO), hard labels",
        pairwise.sppo_hard,
        r"\ell = \left(\rho_w - \frac{1}{2\beta}\right)^2 + \left(\rho_l + "
        r"\frac{1}{2\beta}\right)^2",
        "Regresses each log-ratio onto its target: +η/2 for the winner, −η/2 for the loser (η = "
        "1/β), "
        "the hard-label version of SPPO's square loss.",
        (PaperRef("2405.00675", "Wu et al. 2024 (SPPO)", "Eq. (4.7), Algorithm 1", "wu2024-sppo"),),
        'DPOTrainer, loss_type="sppo_hard"',
        notes=(
            "The paper estimates the win probability softly with PairRM; setting it to 1 for the "
            "winner and 0 for the loser gives this hard version (as in TRL). η = 1/β.",
        ),
    ),
    _dpo_family(
        "apo-zero",
        "Anchored Preference Optimization, APO-zero",
        pairwise.apo_zero,
        r"\ell = \bigl(1 - \sigma(\beta\rho_w)\bigr) + \sigma(\beta\rho_l)",
        "For data whose chosen answers beat the model's own: raises the chosen likelihood and "
        "lowers "
        "the rejected one, each anchored at the reference.",
        (PaperRef("2408.06266", "D'Oosterlinck et al. 2024", "Eq. 7", "doosterlinck2024-apo"),),
        'DPOTrainer, loss_type="apo_zero"',
    ),
    _dpo_family(
        "apo-down",
        "Anchored Preference Optimization, APO-down",
        pairwise.apo_down,
        r"\ell = \sigma(\beta\rho_w) + \bigl(1 - \sigma(\beta\Delta)\bigr)",
        "For data whose chosen answers are worse than the model's own: lowers both likelihoods, "
        "the "
        "rejected one more.",
        (PaperRef("2408.06266", "D'Oosterlinck et al. 2024", "Eq. 8", "doosterlinck2024-apo"),),
        'DPOTrainer, loss_type="apo_down"',
    ),
    _dpo_family(
        "discopop",
        "DiscoPOP (log-ratio modulated loss)",
        pairwise.discopop,
        r"\ell = -\log\sigma(z)\,(1 - m) + e^{-z} m,\quad z = \beta\Delta,\ m = \sigma(z/\tau)",
        "A loss discovered by an LLM-driven search: logistic (DPO-like) for lost pairs, "
        "exponential "
        "for won ones, blended by a sigmoid of the margin.",
        (PaperRef("2406.08414", "Lu et al. 2024", "Eq. 5", "lu2024-discopop"),),
        'DPOTrainer, loss_type="discopop" (discopop_tau)',
        params=(
            beta(),
            ParamSpec(
                "tau",
                0.05,
                "τ: temperature of the blend between the two components",
                low=0.0,
                high=1.0,
                low_open=True,
            ),
        ),
        notes=(
            "e^(−z)·m is evaluated as exp(−z + log σ(z/τ)); TRL's exp(−z) overflows for z ≲ −709 "
            "and then returns nan, this form stays finite for τ ≤ 1 (hence the range of τ).",
        ),
    ),
    LossSpec(
        id="simpo",
        name="Simple Preference Optimization (SimPO)",
        family="pairwise",
        summary="A reference-free DPO: the implicit reward is the length-averaged log-probability, "
        "and a target margin γ separates the pair.",
        formula=(
            r"\ell = -\log\sigma\bigl(\beta(\ell_w - \ell_l) - \gamma\bigr),\quad \ell = "
            r"\tfrac{1}{|y|}\log\pi_\theta(y)"
        ),
        fn=reference_free.simpo,
        inputs=_with_tokens(
            InputSpec(
                "policy_chosen_logps",
                "vector",
                "(n,)",
                "length-averaged log-prob of the chosen completion (≤ 0)",
                max_value=0.0,
            ),
            InputSpec(
                "policy_rejected_logps",
                "vector",
                "(n,)",
                "length-averaged log-prob of the rejected completion (≤ 0)",
                max_value=0.0,
            ),
        ),
        params=(
            beta(2.0, "β: scale of the length-normalised reward"),
            ParamSpec("gamma", 0.5, "γ: target reward margin", low=0.0, high=100.0),
        ),
        presets=(
            Preset(
                "three-pairs",
                "Length-averaged log-probs: won, near the margin, lost.",
                {
                    "policy_chosen_logps": [-0.6, -0.9, -1.2],
                    "policy_rejected_logps": [-1.1, -1.0, -0.8],
                },
            ),
        ),
        check=reference_free_check(nll=False),
        prepare=reference_free_prepare(mean=_always_mean, nll=False),
        papers=(PaperRef("2405.14734", "Meng, Xia & Chen 2024", "Eq. 6", "meng2024-simpo"),),
        trl='CPOTrainer, loss_type="simpo", cpo_alpha=0',
    ),
    LossSpec(
        id="cpo",
        name="Contrastive Preference Optimization (CPO)",
        family="pairwise",
        summary="DPO without the reference model (its log-ratio replaced by the policy log-prob), "
        "plus a behaviour-cloning NLL term on the chosen completions.",
        formula=(
            r"\ell = -\log\sigma\bigl(\beta(\ell_w - \ell_l)\bigr) + "
            r"\alpha\,\mathcal{L}_{\mathrm{NLL}}"
        ),
        fn=reference_free.cpo,
        inputs=_with_tokens(
            InputSpec(
                "policy_chosen_logps",
                "vector",
                "(n,)",
                "summed log-prob of the chosen completion under the policy (≤ 0)",
                max_value=0.0,
            ),
            InputSpec(
                "policy_rejected_logps",
                "vector",
                "(n,)",
                "summed log-prob of the rejected completion under the policy (≤ 0)",
                max_value=0.0,
            ),
            InputSpec(
                "nll_loss",
                "number_or_vector",
                "() or (n,)",
                "NLL of the chosen completions: one number for the batch, or one per example "
                "(derived from the chosen per-token log-probs when they are given)",
                min_value=0.0,
                optional=True,
            ),
        ),
        params=(
            beta(),
            ParamSpec(
                "cpo_alpha",
                1.0,
                "α: weight of the NLL (behaviour cloning) term",
                low=0.0,
                high=100.0,
            ),
            *CPO_OPTIONS,
        ),
        presets=(
            Preset(
                "three-pairs",
                "Summed log-probs of three pairs and the batch NLL.",
                {
                    "policy_chosen_logps": [-14.0, -22.5, -9.0],
                    "policy_rejected_logps": [-19.0, -21.0, -9.0],
                    "nll_loss": 0.85,
                },
            ),
        ),
        check=reference_free_check(nll=True),
        prepare=reference_free_prepare(mean=_cpo_mean, nll=True),
        papers=(
            PaperRef("2401.08417", "Xu et al. 2024", "Eq. 3 (L_prefer) + L_NLL", "xu2024-cpo"),
        ),
        trl='CPOTrainer, loss_type="sigmoid" (and hinge, ipo, simpo; alpha for AlphaPO)',
    ),
    LossSpec(
        id="orpo",
        name="Odds Ratio Preference Optimization (ORPO)",
        family="pairwise",
        summary="SFT and preference learning in one loss: the NLL of the chosen answer plus a "
        "log-sigmoid penalty on the odds ratio of chosen to rejected.",
        formula=(
            r"\ell = \mathcal{L}_{\mathrm{NLL}} - "
            r"\lambda\log\sigma\!\left(\log\frac{\mathrm{odds}(y_w)}{\mathrm{odds}(y_l)}\right),"
            r"\quad \mathrm{odds}(y) = \frac{e^{\ell}}{1 - e^{\ell}}"
        ),
        fn=reference_free.orpo,
        inputs=_with_tokens(
            InputSpec(
                "policy_chosen_logps",
                "vector",
                "(n,)",
                "length-averaged log-prob of the chosen completion (< 0)",
                max_value=0.0,
                max_exclusive=True,
            ),
            InputSpec(
                "policy_rejected_logps",
                "vector",
                "(n,)",
                "length-averaged log-prob of the rejected completion (< 0)",
                max_value=0.0,
                max_exclusive=True,
            ),
            InputSpec(
                "nll_loss",
                "number_or_vector",
                "() or (n,)",
                "NLL of the chosen completions: one number for the batch, or one per example "
                "(derived from the chosen per-token log-probs when they are given)",
                min_value=0.0,
                optional=True,
            ),
        ),
        params=(beta(meaning="λ: weight of the odds-ratio term"),),
        presets=(
            Preset(
                "three-pairs",
                "Length-averaged log-probs and the batch NLL.",
                {
                    "policy_chosen_logps": [-0.45, -0.9, -1.3],
                    "policy_rejected_logps": [-0.95, -0.85, -0.7],
                    "nll_loss": 0.9,
                },
            ),
        ),
        check=reference_free_check(nll=True),
        prepare=reference_free_prepare(mean=_always_mean, nll=True),
        papers=(
            PaperRef("2403.07691", "Hong, Lee & Thorne 2024", "Eqs. 4, 6, 7", "hong2024-orpo"),
        ),
        trl="ORPOTrainer.odds_ratio_loss (loss = nll_loss − mean(β·log σ(log odds)))",
        notes=(
            "log(1 − e^ℓ) is computed with log1mexp, accurate near ℓ = 0 and for very negative ℓ.",
        ),
    ),
)
