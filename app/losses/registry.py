"""The loss registry: every loss the lab knows, with its formula, papers, inputs, params, presets.

``LOSSES`` maps a loss id to its :class:`~app.losses.spec.LossSpec`; :func:`get_spec` looks one up
and raises the API's 404 (listing the valid ids) for an unknown one. The entries themselves live
in ``registry_pairwise`` (reward-model and pairwise losses) and ``registry_policy`` (KTO and the
policy-gradient family).
"""

from __future__ import annotations

from app.errors import NotFound
from app.losses import (
    registry_dpo_trainer,
    registry_pairwise,
    registry_policy,
    registry_rl,
    registry_unpaired,
)
from app.losses.curves import CURVES
from app.losses.spec import FAMILIES, LossSpec

LOSSES: dict[str, LossSpec] = {
    spec.id: spec
    for spec in registry_pairwise.SPECS
    + registry_dpo_trainer.SPECS
    + registry_policy.SPECS[:1]
    + registry_unpaired.SPECS
    + registry_policy.SPECS[1:]
    + registry_rl.SPECS
}


def get_spec(loss_id: str) -> LossSpec:
    """The registry entry for ``loss_id``, or NotFound whose details list the valid ids."""
    try:
        return LOSSES[loss_id]
    except KeyError:
        raise NotFound(
            f"unknown loss {loss_id!r}; valid ids are listed in details", sorted(LOSSES)
        ) from None


def has_curve(loss_id: str) -> bool:
    """Whether the loss has a loss-versus-margin curve (the pairwise and reward-model losses)."""
    return loss_id in CURVES


def by_family() -> list[tuple[str, list[LossSpec]]]:
    """Registered losses grouped by family, families in a fixed order, empty ones left out."""
    groups = [
        (family, [spec for spec in LOSSES.values() if spec.family == family]) for family in FAMILIES
    ]
    return [(family, specs) for family, specs in groups if specs]
