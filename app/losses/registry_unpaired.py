"""Registry entries of the unpaired losses beyond KTO: APO-zero (unpaired) and BCO."""

from __future__ import annotations

from app.losses import unpaired
from app.losses.spec import InputSpec, LossSpec, PaperRef, ParamSpec, Preset, beta

UNPAIRED_INPUTS = (
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
)
WEIGHTS = (
    ParamSpec("desirable_weight", 1.0, "w_D: weight of desirable examples", low=0.0, high=100.0),
    ParamSpec(
        "undesirable_weight", 1.0, "w_U: weight of undesirable examples", low=0.0, high=100.0
    ),
)
FOUR = {
    "policy_logps": [-11.0, -24.5, -18.0, -9.5],
    "reference_logps": [-12.5, -24.0, -16.0, -10.5],
    "labels": [True, True, False, False],
}
APO = PaperRef("2408.06266", "D'Oosterlinck et al. 2024", "Eq. 7", "doosterlinck2024-apo")

SPECS: tuple[LossSpec, ...] = (
    LossSpec(
        id="apo-zero-unpaired",
        name="Anchored Preference Optimization, APO-zero (unpaired)",
        family="unpaired",
        summary="APO-zero's two terms applied to single completions: desirable ones are pulled "
        "above the reference, undesirable ones pushed below it.",
        formula=r"\ell = \begin{cases} w_D\bigl(1 - \sigma(\beta\rho)\bigr) & \text{desirable} \\ "
        r"w_U\,\sigma(\beta\rho) & \text{undesirable} \end{cases}",
        fn=unpaired.apo_zero_unpaired,
        inputs=UNPAIRED_INPUTS,
        params=(beta(), *WEIGHTS),
        presets=(Preset("four-completions", "Two desirable, two undesirable completions.", FOUR),),
        papers=(APO,),
        trl='KTOTrainer, loss_type="apo_zero_unpaired"',
        notes=("No KL reference point: TRL skips the mismatched-prompt KL batch for this loss.",),
    ),
    LossSpec(
        id="bco",
        name="Binary Classifier Optimization (BCO)",
        family="unpaired",
        summary="Trains a binary classifier whose logit is the implicit reward minus a running "
        "mean δ: desirable completions are class 1, undesirable class 0.",
        formula=r"\ell = \begin{cases} -\log\sigma(\beta\rho - \delta) & \text{desirable} \\ "
        r"-\log\sigma\bigl(-(\beta\rho - \delta)\bigr) & \text{undesirable} \end{cases},"
        r"\quad \delta = \text{running mean of } \beta\rho",
        fn=unpaired.bco,
        inputs=UNPAIRED_INPUTS,
        params=(
            beta(),
            ParamSpec(
                "running_mean",
                unpaired.BCO_FRESH[0],
                "the running mean of the rewards before this batch (TRL's RunningMoments.mean)",
                low=-1e6,
                high=1e6,
            ),
            ParamSpec(
                "running_var",
                unpaired.BCO_FRESH[1],
                "the running (biased) variance before this batch",
                low=0.0,
                high=1e12,
            ),
            ParamSpec(
                "running_count",
                unpaired.BCO_FRESH[2],
                "how many rewards the running state has seen (1e-24 = a fresh trainer)",
                low=0.0,
                high=1e15,
                low_open=True,
            ),
        ),
        presets=(
            Preset("fresh", "A fresh trainer: δ becomes this batch's mean reward.", FOUR),
            Preset(
                "continued",
                "The same batch after 100 earlier rewards with mean 0.5.",
                FOUR,
                {"running_mean": 0.5, "running_var": 0.25, "running_count": 100.0},
            ),
        ),
        papers=(
            PaperRef("2404.04656", "Jung et al. 2024 (BCO)", "Eq. 6, Sec. 3.2", "jung2024-bco"),
        ),
        trl="BCOTrainer.bco_loss (TRL 1.13, the last release with BCO)",
        notes=(
            "δ is updated with this batch before the loss, as TRL's training step does; its batch "
            "statistics are float32, so δ carries float32 rounding.",
            "The underlying-distribution matching (UDM) weights, which need a prompt-embedding "
            "classifier, are not included.",
        ),
        per_example="the loss of each completion, in input order",
    ),
)
