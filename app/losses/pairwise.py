"""Pairwise preference losses on reference-normalised log-ratios (the DPO family).

Notation shared by every function here (sequence log-probs are sums over completion tokens
unless a loss says otherwise):

    ρ_w = policy_chosen_logps − reference_chosen_logps      (chosen log-ratio)
    ρ_l = policy_rejected_logps − reference_rejected_logps  (rejected log-ratio)
    Δ   = ρ_w − ρ_l                                         (the margin)

Implicit rewards are β·ρ_w and β·ρ_l, as DPO defines them (arXiv 2305.18290, Sec. 5) and as TRL
logs them for every loss of this family. Input names follow TRL's ``DPOTrainer``.
"""

from __future__ import annotations

import numpy as np

from app.losses._numeric import log_ratios, log_sigmoid, sigmoid, softplus
from app.losses.pairwise_variants import f_divergence_scores
from app.losses.result import LossResult, pairwise_result


def dpo(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray | None = None,
    reference_rejected_logps: np.ndarray | None = None,
    beta: float = 0.1,
    label_smoothing: float = 0.0,
    f_divergence_type: str = "reverse_kl",
    f_alpha_divergence_coef: float = 0.5,
    reference_free: bool = False,
    ld_alpha: float | None = None,
    use_weighting: bool = False,
    chosen_weights: np.ndarray | None = None,
    rejected_weights: np.ndarray | None = None,
) -> LossResult:
    """DPO: ℓ = −(1 − ε)·log σ(βΔ) − ε·log σ(−βΔ).

    Rafailov et al. 2023, arXiv 2305.18290, Eq. 7 (ε = 0). Default β = 0.1, ε = 0.
    ε > 0 is conservative DPO (cDPO; Mitchell 2023, "A note on DPO with noisy preferences"): the
    label is flipped with probability ε, so the target is the soft label (1 − ε, ε).
    TRL: ``loss_type="sigmoid"``. TRL 1.16's ``sigmoid`` no longer applies ``label_smoothing``
    (older releases computed this same cDPO expression); at ε = 0 the two agree exactly.

    Options, as TRL's ``DPOConfig`` names them: ``f_divergence_type`` replaces each log-ratio by
    the f-divergence score f'(π/π_ref) (f-DPO, Wang et al. 2023, arXiv 2309.16240, Thm. 1; see
    :func:`~app.losses.pairwise_variants.f_divergence_scores`); ``reference_free`` takes the
    reference log-probs as 0 (the "reference-free" DPO of TRL's earlier releases);
    ``ld_alpha`` (LD-DPO, Liu et al. 2024, arXiv 2409.06411) is applied to the per-token inputs
    before this function sees them; ``use_weighting`` multiplies each pair's loss by the WPO
    weights (Zhou et al. 2024, arXiv 2406.11827, Eq. 2), passed as ``chosen_weights`` and
    ``rejected_weights``. Implicit rewards stay β·ρ, as TRL logs them.

    A tie (Δ = 0) costs log 2 whatever β and ε are:

    >>> z = np.zeros(1)
    >>> round(dpo(policy_chosen_logps=z, policy_rejected_logps=z,
    ...           reference_chosen_logps=z, reference_rejected_logps=z).loss, 12)
    0.69314718056
    """
    if reference_free or reference_chosen_logps is None or reference_rejected_logps is None:
        reference_chosen_logps = np.zeros_like(policy_chosen_logps)
        reference_rejected_logps = np.zeros_like(policy_rejected_logps)
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    if f_divergence_type != "reverse_kl":
        z = f_divergence_scores(rho_w, f_divergence_type, f_alpha_divergence_coef)
        z = z - f_divergence_scores(rho_l, f_divergence_type, f_alpha_divergence_coef)
    else:
        z = rho_w - rho_l
    z *= beta
    # −log σ(z) = softplus(−z), finite for every finite z. In-place steps keep few 10k-element
    # temporaries alive (this is the benchmarked loss); the values are those of the plain form.
    per_example = np.negative(z)
    np.logaddexp(0.0, per_example, out=per_example)
    if label_smoothing:  # the second softplus only when ε > 0
        per_example = (1.0 - label_smoothing) * per_example + label_smoothing * softplus(z)
    if use_weighting and chosen_weights is not None and rejected_weights is not None:
        per_example = per_example * (chosen_weights * rejected_weights)
    rho_w *= beta
    rho_l *= beta
    return pairwise_result(per_example, rho_w, rho_l)


def ipo(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    beta: float = 0.1,
) -> LossResult:
    """IPO: ℓ = (Δ − 1/(2β))², with β the paper's τ.

    Azar et al. 2023, arXiv 2310.12036, Eq. 17. Default τ = β = 0.1. The inputs are meant to be
    length-averaged log-probs (mean over completion tokens): TRL's ``loss_type="ipo"`` divides
    each log-ratio by its completion length, a choice its authors say they confirmed with the IPO
    authors. The formula itself is Eq. 17 unchanged: pass summed log-probs to get the paper's
    literal sequence-level version.

    At Δ = 0 the loss is 1/(4β²) = 25 for β = 0.1; it is 0 exactly at Δ = 1/(2β):

    >>> z = np.zeros(1)
    >>> ipo(policy_chosen_logps=np.array([-1.0]), policy_rejected_logps=z,
    ...     reference_chosen_logps=np.array([-6.0]), reference_rejected_logps=z).loss
    0.0
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    per_example = (rho_w - rho_l - 1.0 / (2.0 * beta)) ** 2
    return pairwise_result(per_example, beta * rho_w, beta * rho_l)


def robust_dpo(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    beta: float = 0.1,
    label_smoothing: float = 0.1,
) -> LossResult:
    """Robust DPO (rDPO): ℓ = [−(1 − ε)·log σ(βΔ) + ε·log σ(−βΔ)] / (1 − 2ε).

    Chowdhury, Kini & Natarajan 2024, arXiv 2403.00409, Sec. 3 (the de-biased loss for labels
    flipped with known rate ε ∈ [0, ½)). Unlike cDPO the ε-term enters with a plus sign, so the
    loss is unbiased for the clean DPO loss and is not bounded below (it falls linearly as βΔ
    grows). Default β = 0.1; ε = 0.1, the value TRL's docs quote as the paper's typical choice
    (TRL's own default is 0.0, where rDPO equals DPO). TRL: ``loss_type="robust"``.

    >>> z = np.zeros(1)
    >>> round(robust_dpo(policy_chosen_logps=z, policy_rejected_logps=z,
    ...                  reference_chosen_logps=z, reference_rejected_logps=z).loss, 12)
    0.69314718056
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    z = beta * (rho_w - rho_l)
    per_example = ((1.0 - label_smoothing) * softplus(-z) - label_smoothing * softplus(z)) / (
        1.0 - 2.0 * label_smoothing
    )
    return pairwise_result(per_example, beta * rho_w, beta * rho_l)


def hinge(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    beta: float = 0.1,
) -> LossResult:
    """SLiC-HF hinge on reference-normalised ratios: ℓ = max(0, 1 − βΔ).

    Zhao et al. 2023, arXiv 2305.10425, Sec. 2 (rank calibration loss
    max(0, δ − log π(y⁺|x) + log π(y⁻|x)), plus a λ-weighted SFT regulariser). This is TRL's
    ``loss_type="hinge"``, which departs from the paper twice: it uses reference-normalised
    log-ratios (the paper has no reference model) and it sets the margin δ = 1/β and scales by β,
    since max(0, 1 − βΔ) = β·max(0, 1/β − Δ). With zero reference log-probs it is therefore β
    times the paper's calibration term with δ = 1/β; the SFT regulariser is not included.
    The issue's table defines this form, so it is implemented as stated. Default β = 0.1.

    >>> z = np.zeros(1)
    >>> hinge(policy_chosen_logps=z, policy_rejected_logps=z,
    ...       reference_chosen_logps=z, reference_rejected_logps=z).loss
    1.0
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    per_example = np.maximum(0.0, 1.0 - beta * (rho_w - rho_l))
    return pairwise_result(per_example, beta * rho_w, beta * rho_l)


def nca(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    beta: float = 0.1,
) -> LossResult:
    """NCA on pairs: ℓ = −log σ(βρ_w) − ½·log σ(−βρ_w) − ½·log σ(−βρ_l).

    Chen et al. 2024, arXiv 2402.05369, Sec. 4 (NCA specialised to pairwise preference data, where
    the winner is the positive and both responses are contrasted against noise). It depends on
    ρ_w and ρ_l separately, not only on Δ, which is what keeps the chosen likelihood from falling.
    Default β = 0.1. TRL: ``loss_type="nca_pair"`` (same formula).

    With ρ_w = ρ_l = 0 every term is log 2: −log ½ − ½ log ½ − ½ log ½ = 2 log 2.

    >>> z = np.zeros(1)
    >>> round(nca(policy_chosen_logps=z, policy_rejected_logps=z,
    ...           reference_chosen_logps=z, reference_rejected_logps=z).loss, 12)
    1.38629436112
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    r_w, r_l = beta * rho_w, beta * rho_l
    per_example = softplus(-r_w) + 0.5 * softplus(r_w) + 0.5 * softplus(r_l)
    return pairwise_result(per_example, r_w, r_l)


def sppo_hard(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    beta: float = 0.1,
) -> LossResult:
    """SPPO with hard labels: ℓ = (ρ_w − 1/(2β))² + (ρ_l + 1/(2β))².

    Wu et al. 2024, arXiv 2405.00675, Eq. (4.7) in Algorithm 1: the square loss
    (log π_θ(y)/π_t(y) − η(P(y ≻ π_t) − ½))² with the win probability P set to 1 for the winner
    and 0 for the loser and η = 1/β. The paper estimates P softly with PairRM; the hard version
    is TRL's ``loss_type="sppo_hard"``. Default β = 0.1 (η = 10).

    >>> z = np.zeros(1)
    >>> round(sppo_hard(policy_chosen_logps=z, policy_rejected_logps=z,
    ...                 reference_chosen_logps=z, reference_rejected_logps=z).loss, 9)  # 2·5²
    50.0
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    half_eta = 0.5 / beta
    per_example = (rho_w - half_eta) ** 2 + (rho_l + half_eta) ** 2
    return pairwise_result(per_example, beta * rho_w, beta * rho_l)


def apo_zero(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    beta: float = 0.1,
) -> LossResult:
    """APO-zero: ℓ = (1 − σ(βρ_w)) + σ(βρ_l).

    D'Oosterlinck et al. 2024, arXiv 2408.06266, Eq. 7: for data whose chosen answers are better
    than the model's own, push the chosen likelihood up and the rejected down, each anchored at
    the reference. Default β = 0.1. TRL: ``loss_type="apo_zero"`` (same formula).

    >>> z = np.zeros(1)
    >>> apo_zero(policy_chosen_logps=z, policy_rejected_logps=z,
    ...          reference_chosen_logps=z, reference_rejected_logps=z).loss
    1.0
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    per_example = (1.0 - sigmoid(beta * rho_w)) + sigmoid(beta * rho_l)
    return pairwise_result(per_example, beta * rho_w, beta * rho_l)


def apo_down(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    beta: float = 0.1,
) -> LossResult:
    """APO-down: ℓ = σ(βρ_w) + (1 − σ(βΔ)).

    D'Oosterlinck et al. 2024, arXiv 2408.06266, Eq. 8: for data whose chosen answers are worse
    than the model's own, push both likelihoods down, the rejected one further. Default β = 0.1.
    TRL: ``loss_type="apo_down"`` (same formula).

    >>> z = np.zeros(1)
    >>> apo_down(policy_chosen_logps=z, policy_rejected_logps=z,
    ...          reference_chosen_logps=z, reference_rejected_logps=z).loss
    1.0
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    per_example = sigmoid(beta * rho_w) + (1.0 - sigmoid(beta * (rho_w - rho_l)))
    return pairwise_result(per_example, beta * rho_w, beta * rho_l)


def discopop(
    *,
    policy_chosen_logps: np.ndarray,
    policy_rejected_logps: np.ndarray,
    reference_chosen_logps: np.ndarray,
    reference_rejected_logps: np.ndarray,
    beta: float = 0.1,
    tau: float = 0.05,
) -> LossResult:
    """DiscoPOP (log-ratio modulated loss): with z = βΔ and m = σ(z/τ),
    ℓ = −log σ(z)·(1 − m) + e^(−z)·m.

    Lu et al. 2024, arXiv 2406.08414, Eq. 5: a blend of the logistic (DPO) and exponential
    losses, switched by the sign of the margin with temperature τ. Defaults τ = 0.05 (the paper's
    value, also TRL's ``discopop_tau``) and β = 0.1. TRL: ``loss_type="discopop"``; TRL
    evaluates e^(−z) directly, which overflows for very negative z (z ≲ −709 in float64) and
    then gives inf·0 = nan. Here e^(−z)·m is computed as exp(−z + log σ(z/τ)), the same number
    wherever TRL's is finite, and finite for τ ≤ 1 (the exponent tends to z·(1/τ − 1) → −∞).

    At z = 0, m = ½ and ℓ = ½·log 2 + ½:

    >>> z = np.zeros(1)
    >>> round(discopop(policy_chosen_logps=z, policy_rejected_logps=z,
    ...                reference_chosen_logps=z, reference_rejected_logps=z).loss, 12)
    0.84657359028
    """
    rho_w, rho_l = log_ratios(
        policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps
    )
    z = beta * (rho_w - rho_l)
    log_m = log_sigmoid(z / tau)
    one_minus_m = sigmoid(-z / tau)
    per_example = softplus(-z) * one_minus_m + np.exp(log_m - z)
    return pairwise_result(per_example, beta * rho_w, beta * rho_l)
