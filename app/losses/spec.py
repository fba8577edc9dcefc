"""The shape of a registry entry: what a loss needs, what it accepts, where it comes from."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from app.losses.result import LossResult

Family = Literal["pairwise", "unpaired", "listwise", "policy-gradient", "reward-model"]
InputKind = Literal["vector", "labels", "ragged", "number_or_vector", "table"]
ParamKind = Literal["float", "int", "choice", "bool", "choices", "floats"]

FAMILIES: tuple[Family, ...] = (
    "reward-model",
    "pairwise",
    "unpaired",
    "listwise",
    "policy-gradient",
)


@dataclass(frozen=True)
class InputSpec:
    """One named input. Inputs sharing a ``length`` symbol must have the same length.

    ``kind``: ``vector`` (numbers, 1-D), ``labels`` (booleans, 1-D), ``ragged`` (one list of
    numbers per sequence; ``length`` counts sequences, and ragged inputs sharing a ``tokens``
    symbol must agree token for token), ``number_or_vector`` (one number for the batch, or one
    per example), ``table`` (rows of equal length whose entries are numbers or null, e.g. one
    reward per reward function, null where a function returned nothing).
    """

    name: str
    kind: InputKind
    shape: str
    meaning: str
    length: str = "n"
    optional: bool = False
    max_value: float | None = None
    max_exclusive: bool = False
    min_value: float | None = None
    tokens: str = "t"


@dataclass(frozen=True)
class ParamSpec:
    """One hyper-parameter with its default and allowed range (``None`` bound = unbounded).

    ``kind``: ``float``, ``int``, ``choice`` (one of ``choices``), ``bool``, ``choices`` (a list
    of members of ``choices``) or ``floats`` (a list of numbers, each in the range).
    """

    name: str
    default: float | int | str | bool | tuple | None
    meaning: str
    kind: ParamKind = "float"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    nullable: bool = False

    def range_text(self) -> str:
        """The allowed values in interval notation, e.g. ``(0, 100]`` or ``one of group, batch``."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choices":
            return "a list of: " + ", ".join(self.choices)
        low = "−∞" if self.low is None else _num(self.low)
        high = "∞" if self.high is None else _num(self.high)
        left = "(" if self.low_open or self.low is None else "["
        right = ")" if self.high_open or self.high is None else "]"
        text = f"{left}{low}, {high}{right}"
        if self.kind == "int":
            text = "integer in " + text
        if self.kind == "floats":
            text = "a list of numbers in " + text
        if self.nullable:
            text += ", or empty"
        return text

    def in_range(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return self.high is None or not (
            value > self.high or (self.high_open and value == self.high)
        )


@dataclass(frozen=True)
class PaperRef:
    """A source: the arXiv id, where in the paper, and the knowledge-base id when there is one."""

    arxiv: str
    citation: str
    where: str
    paper_id: str | None = None
    role: str = "introduces"


@dataclass(frozen=True)
class Preset:
    """A toy batch that fills the form and the API example."""

    name: str
    description: str
    inputs: Mapping[str, Any]
    params: Mapping[str, Any] = field(default_factory=dict)


CheckFn = Callable[[Mapping[str, Any], Mapping[str, Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class LossSpec:
    """Everything the API, the page and the tests need to know about one loss."""

    id: str
    name: str
    family: Family
    summary: str
    formula: str
    fn: Callable[..., LossResult]
    inputs: tuple[InputSpec, ...]
    params: tuple[ParamSpec, ...]
    presets: tuple[Preset, ...]
    papers: tuple[PaperRef, ...]
    trl: str
    notes: tuple[str, ...] = ()
    per_example: str = "the loss of each example"
    check: CheckFn | None = None
    # Runs after validation: turns alternative forms of the inputs (per-token log-probs) into the
    # arguments ``fn`` takes.
    prepare: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None

    @property
    def paper_ids(self) -> list[str]:
        return [ref.paper_id for ref in self.papers if ref.paper_id]

    def input(self, name: str) -> InputSpec:
        return next(spec for spec in self.inputs if spec.name == name)

    def param(self, name: str) -> ParamSpec:
        return next(spec for spec in self.params if spec.name == name)

    def defaults(self) -> dict[str, Any]:
        return {spec.name: spec.default for spec in self.params}


def _num(value: float) -> str:
    if math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return repr(float(value))


# Parameters shared by many losses.
def beta(
    default: float = 0.1,
    meaning: str = "inverse temperature: how strongly the loss reacts to the log-ratio margin",
) -> ParamSpec:
    return ParamSpec("beta", default, meaning, low=0.0, high=100.0, low_open=True)
