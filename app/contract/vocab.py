"""The closed vocabularies of the data: paper kinds, statuses, relation types and sources.

Plain enums with no dependencies, so that query code and the app's start-up can use them without
importing pydantic; :mod:`app.contract.schema` builds the contract on them.
"""

from __future__ import annotations

from enum import StrEnum


class Source(StrEnum):
    """Where a node or a placement comes from."""

    survey_v1 = "survey-v1"
    survey_v2 = "survey-v2"
    curated = "curated"


class PaperKind(StrEnum):
    method = "method"
    model = "model"
    benchmark = "benchmark"
    dataset = "dataset"
    survey = "survey"
    analysis = "analysis"


class PaperStatus(StrEnum):
    preprint = "preprint"
    published = "published"


class RelationType(StrEnum):
    """Typed lineage edges from one paper to another."""

    extends = "extends"
    variant_of = "variant-of"
    uses_reward_from = "uses-reward-from"
    evaluates = "evaluates"
    compares_with = "compares-with"


class LearnsFrom(StrEnum):
    """What training signal a method consumes (a paper's ``method.learns_from``)."""

    paired_preferences = "paired-preferences"  # chosen/rejected pairs or rankings
    unpaired_labels = "unpaired-labels"  # one response marked desirable or undesirable
    scalar_rewards = "scalar-rewards"  # a number per response from a reward model or function
    verifiable_outcomes = (
        "verifiable-outcomes"  # pass/fail from a checker, tests or a reference answer
    )
    rubric_scores = "rubric-scores"  # graded against written criteria by a judge
    step_labels = "step-labels"  # a label per reasoning step
    demonstrations = "demonstrations"  # reference responses to imitate


class PolicyData(StrEnum):
    """Whose samples a method trains on (a paper's ``method.policy_data``)."""

    on_policy = "on-policy"  # responses sampled from the policy being trained, during training
    off_policy = "off-policy"  # a fixed dataset collected beforehand


# Relations that run from the newer paper to the older one: a paper can only extend, evaluate,
# compare with or reuse the reward of work that already existed.
DIRECTIONAL_RELATIONS = frozenset(
    {
        RelationType.extends,
        RelationType.evaluates,
        RelationType.compares_with,
        RelationType.uses_reward_from,
    }
)
# Relations that make up a paper's lineage (what the graph's lineage view and paths follow).
LINEAGE_RELATIONS = (RelationType.extends, RelationType.variant_of)

KINDS = tuple(k.value for k in PaperKind)
STATUSES = tuple(s.value for s in PaperStatus)
RELATION_TYPES = tuple(r.value for r in RelationType)
LEARNS_FROM = tuple(v.value for v in LearnsFrom)
POLICY_DATA = tuple(v.value for v in PolicyData)
