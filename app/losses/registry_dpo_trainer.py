"""Registry entries of the DPOTrainer losses beyond the first family: BCO-pair, AOT, EXO,
length-normalised DPO, SFT and the MPO-style mixture."""

from __future__ import annotations

from app.losses import pairwise_variants as pv
from app.losses.registry_pairwise import REF_INPUTS, RHO, _dpo_family, _std_presets
from app.losses.registry_variants import (
    LABEL_SMOOTHING_AOT,
    LABEL_SMOOTHING_EXO,
    LENGTHS_PRESET,
    MIXTURE_PARAMS,
    TOKEN_PAIRS,
    TOKEN_PRESET,
    check_lengths,
    check_mixture,
    prepare_lengths,
    prepare_mixture,
)
from app.losses.spec import InputSpec, LossSpec, PaperRef, Preset, beta
from app.losses.tokens import LENGTH_INPUTS, with_token_inputs

BCO = PaperRef("2404.04656", "Jung et al. 2024 (BCO)", "Eq. 6", "jung2024-bco")
AOT_PAPER = "Melnyk et al. 2024 (AOT)"
SORTED = "the loss at each sorted rank k (AOT matches the k-th smallest values, not input pairs)"

SPECS: tuple[LossSpec, ...] = (
    _dpo_family(
        "bco-pair",
        "Binary Classifier Optimization (BCO), pairwise",
        pv.bco_pair,
        r"\ell = -\log\sigma(\beta\rho_w) - \log\sigma(-\beta\rho_l)",
        "Treats the chosen completion as class 1 and the rejected as class 0 of a logistic "
        "classifier whose logit is the implicit reward.",
        (BCO,),
        'DPOTrainer, loss_type="bco_pair"',
        presets=(*_std_presets(), TOKEN_PRESET),
        notes=(
            "TRL 1.16's bco_pair has no reward shift: the running mean δ of the BCO paper "
            "(and of TRL's earlier bco_pair) is 0 here; the unpaired 'bco' loss keeps it.",
        ),
    ),
    _dpo_family(
        "aot",
        "Alignment via Optimal Transport (AOT), paired",
        pv.aot,
        r"\ell_k = -(1-\varepsilon)\log\sigma(\beta d_k) - \varepsilon\log\sigma(-\beta d_k),"
        r"\quad d = \mathrm{sort}(\log\pi_w - \log\pi_l) - "
        r"\mathrm{sort}(\log\pi^{\mathrm{ref}}_w - \log\pi^{\mathrm{ref}}_l)",
        "Asks the distribution of policy margins to dominate the reference's: both are sorted "
        "and matched rank by rank, a one-dimensional optimal transport.",
        (PaperRef("2406.05882", AOT_PAPER, "Eq. 12 (paired AOT)"),),
        'DPOTrainer, loss_type="aot"',
        params=(beta(), LABEL_SMOOTHING_AOT),
        per_example=SORTED,
        notes=("The loss couples the batch: permuting the pairs leaves it unchanged.",),
    ),
    _dpo_family(
        "aot-pair",
        "Alignment via Optimal Transport (AOT), unpaired",
        pv.aot_pair,
        r"\ell_k = -(1-\varepsilon)\log\sigma(\beta d_k) - \varepsilon\log\sigma(-\beta d_k),"
        r"\quad d = \mathrm{sort}(\rho_w) - \mathrm{sort}(\rho_l)",
        "Sorts the chosen and the rejected log-ratios separately and asks the k-th chosen to "
        "beat the k-th rejected, so it needs no pairing at all.",
        (PaperRef("2406.05882", AOT_PAPER, "Eq. 13 (unpaired AOT)"),),
        'DPOTrainer, loss_type="aot_unpaired" (aot_pair in releases before 1.0)',
        params=(beta(), LABEL_SMOOTHING_AOT),
        per_example=SORTED,
    ),
    _dpo_family(
        "exo-pair",
        "Efficient Exact Optimization (EXO), pairwise",
        pv.exo_pair,
        r"\ell = \sigma(z)\bigl(\log\sigma(z) - \log(1-\varepsilon)\bigr) + "
        r"\sigma(-z)\bigl(\log\sigma(-z) - \log\varepsilon\bigr),\quad z = \beta\Delta,\ " + RHO,
        "Minimises the reverse KL from the policy's two-way choice distribution to a smoothed "
        "label, which is mode-seeking where DPO's forward KL is mean-seeking.",
        (PaperRef("2402.00856", "Ji et al. 2024 (EXO)", "Eq. 16 (K = 2)"),),
        'DPOTrainer, loss_type="exo_pair"',
        params=(beta(), LABEL_SMOOTHING_EXO),
        notes=(
            "Default ε = 1e-3, the paper's recommendation (TRL's own default of 0 raises an "
            "error for this loss). The loss is 0 where σ(βΔ) = 1 − ε.",
        ),
    ),
    _dpo_family(
        "dpo-norm",
        "Length-normalised DPO",
        pv.dpo_norm,
        r"\ell = -\log\sigma\!\left(\beta\left(\frac{\rho_w}{|y_w|} - "
        r"\frac{\rho_l}{|y_l|}\right)\right)",
        "DPO on per-token log-ratios: dividing each implicit reward by its completion length "
        "removes DPO's pull towards longer answers.",
        (
            PaperRef("2305.18290", "Rafailov et al. 2023", "Eq. 7", "rafailov2023-dpo"),
            PaperRef(
                "2405.14734",
                "Meng, Xia & Chen 2024",
                "Eq. 4 (length normalisation)",
                "meng2024-simpo",
                role="length normalisation",
            ),
        ),
        'DPOTrainer, loss_type="sigmoid_norm"',
        extra_inputs=LENGTH_INPUTS,
        check=check_lengths,
        prepare=prepare_lengths,
        presets=(LENGTHS_PRESET, TOKEN_PRESET),
        notes=("Lengths are clamped at 1, as TRL clamps its completion-mask sums.",),
    ),
    LossSpec(
        id="sft",
        name="Supervised fine-tuning term (NLL of the chosen completions)",
        family="pairwise",
        summary="The negative log-likelihood of the chosen completions, averaged over all their "
        "tokens: the term that keeps a preference loss from lowering the chosen likelihood.",
        formula=r"\ell = -\frac{1}{N}\sum_{i}\sum_{t}\log\pi_\theta(y_{w,t}^{(i)}),\quad "
        r"N = \textstyle\sum_i |y_w^{(i)}|",
        fn=pv.sft,
        inputs=(
            InputSpec(
                "policy_chosen_token_logps",
                "ragged",
                "(n, T_i)",
                "per-token log-probs of the chosen completion under the policy (≤ 0)",
                max_value=0.0,
                tokens="chosen",
            ),
        ),
        params=(),
        presets=(
            Preset(
                "two-completions",
                "A three-token and a two-token chosen completion.",
                {"policy_chosen_token_logps": TOKEN_PAIRS["policy_chosen_token_logps"]},
            ),
        ),
        papers=(
            PaperRef(
                "2404.19733",
                "Pang et al. 2024 (iterative RPO)",
                "Eq. 2 (NLL term)",
                "pang2024-irpo",
            ),
        ),
        trl='DPOTrainer, loss_type="sft"',
        per_example="each sequence's mean token NLL (the loss pools all tokens, as TRL does)",
        notes=(
            "TRL takes one cross-entropy over every chosen token of the batch, so a long "
            "completion weighs more than a short one; the per-sequence values are shown for "
            "reading, their plain mean is not the loss.",
        ),
    ),
    LossSpec(
        id="mixture",
        name="Mixture of DPOTrainer losses (MPO)",
        family="pairwise",
        summary="A weighted sum of several pairwise losses on the same batch, e.g. MPO's "
        "preference (DPO) + quality (BCO) + generation (SFT) losses.",
        formula=r"\ell = \sum_k w_k\,\overline{\ell_k}",
        fn=pv.mixture,
        inputs=with_token_inputs(REF_INPUTS) + LENGTH_INPUTS,
        params=MIXTURE_PARAMS,
        presets=(
            Preset(
                "mpo",
                "MPO's mix (DPO 0.8, BCO 0.2, SFT 1.0) on two pairs given token by token.",
                TOKEN_PAIRS,
            ),
            Preset(
                "dpo-plus-ipo",
                "DPO and IPO with equal weights on summed log-probs with lengths.",
                LENGTHS_PRESET.inputs,
                {"loss_types": ["dpo", "ipo"], "loss_weights": [1.0, 1.0]},
            ),
        ),
        papers=(PaperRef("2411.10442", "Wang et al. 2024 (MPO)", "Sec. 3.2, Eq. 2"),),
        trl="DPOTrainer with loss_type=[…] and loss_weights=[…]",
        per_example="Σ_k w_k·ℓ_k for each pair",
        check=check_mixture,
        prepare=prepare_mixture,
        notes=(
            "Each component is TRL 1.16's: dpo without label smoothing, ipo and dpo-norm divided "
            "by the completion lengths (summed log-probs in), sft over the chosen tokens.",
        ),
    ),
)
