"""The contributor contract: pydantic models of the YAML files under ``data/taxonomy/``.

These models check the shape of one file at a time. Checks that need several files (unique ids,
dangling references, cycles, duplicates) live in :mod:`app.contract.validate`.
``reward-atlas schema`` writes
the JSON Schema (draft-07) generated from these models into ``data/taxonomy/schema/``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from app.contract.ids import ARXIV_NEW_RE, ARXIV_OLD_RE, ARXIV_VERSION_RE, DOI_RE
from app.contract.vocab import (
    LearnsFrom,
    PaperKind,
    PaperStatus,
    PolicyData,
    RelationType,
    Source,
)

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
ID_RE = re.compile(ID_PATTERN)
MIN_YEAR = 1950
MAX_YEAR = 2027
SUMMARY_MAX_CHARS = 900

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]

# Characters no data text may hold: C0/C1 controls (tab and newline aside), bidirectional
# overrides and isolates (which reorder what a reader sees) and zero-width characters (which hide
# differences). They would reach pages, exports and terminals; SECURITY.md relies on the search
# highlighter's markers (\x02, \x03) never being in the data.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
TEXT_MAX_CHARS = 2000  # any one text value; titles, names and summaries have tighter limits


def _plain_text(value: str) -> str:
    found = _FORBIDDEN.search(value)
    if found:
        raise ValueError(
            f"contains the invisible or control character U+{ord(found.group()):04X} at "
            f"position {found.start() + 1}: remove it"
        )
    return value


def _text(max_length: int) -> Any:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=max_length),
        AfterValidator(_plain_text),
    ]


Text = _text(TEXT_MAX_CHARS)
Title = _text(400)
PersonName = _text(120)
ShortName = Annotated[_text(40), StringConstraints(min_length=1)]
Alias = Annotated[_text(80), StringConstraints(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


def check_http_url(value: str | None) -> str | None:
    """Only plain http(s) links are allowed: no javascript:, data:, file: or relative links."""
    if value is None:
        return value
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, flags=re.IGNORECASE):
        raise ValueError(f"{value!r} must be an http(s) URL")
    return value


# ---------------------------------------------------------------------------------------------
# Dimensions and categories


class Category(Strict):
    """One node of a dimension's category tree."""

    id: Id = Field(
        description="Unique kebab-case id across all dimensions (a-z, 0-9, '-'; no dots).",
        examples=["token-level"],
    )
    name: Text = Field(min_length=1, description="Short display name.", examples=["Token level"])
    parent: Id | None = Field(
        default=None,
        description="Id of the parent category in the same dimension; omit for a top-level node.",
        examples=["response-vs-token"],
    )
    description: Text = Field(
        min_length=1,
        description="A 1-3 sentence definition in our own words.",
        examples=["A dense signal at individual tokens or short segments."],
    )
    provenance: list[Source] = Field(
        min_length=1,
        description="Which source names this node: survey-v1, survey-v2 and/or curated.",
        examples=[["survey-v1"]],
    )
    sparse: bool = Field(
        default=False,
        description="True when the field really has fewer than 3 papers here (say why).",
        examples=[False],
    )
    sparse_reason: Text | None = Field(
        default=None,
        description="One sentence on why the category is sparse; required when sparse is true.",
        examples=["Few published methods attach rewards to pipeline stages other than steps."],
    )


class Dimension(Strict):
    """One complementary axis of the taxonomy with its category tree (a flat list with parents)."""

    id: Id = Field(description="Kebab-case id; equals the file name.", examples=["granularity"])
    name: Text = Field(min_length=1, description="Display name.", examples=["Granularity"])
    question: Text = Field(
        min_length=1,
        description="The question this axis answers about a reward design.",
        examples=["How finely is credit assigned?"],
    )
    description: Text = Field(
        min_length=1, description="1-3 sentences in our own words.", examples=["The resolution."]
    )
    provenance: list[Source] = Field(
        min_length=1, description="survey-v1, survey-v2 and/or curated.", examples=[["survey-v1"]]
    )
    order: int = Field(ge=0, description="Position in listings (ascending).", examples=[4])
    categories: list[Category] = Field(
        min_length=1,
        description="The category tree as a list; parents point upwards.",
        examples=[
            [
                {
                    "id": "response-vs-token",
                    "name": "Response- vs token-level",
                    "description": "Where along the output the reward is attached.",
                    "provenance": ["survey-v1"],
                },
                {
                    "id": "token-level",
                    "name": "Token level",
                    "parent": "response-vs-token",
                    "description": "A dense signal at individual tokens.",
                    "provenance": ["survey-v1"],
                },
            ]
        ],
    )


# ---------------------------------------------------------------------------------------------
# Papers


class Relation(Strict):
    """A typed lineage edge from this paper to another paper in the knowledge base."""

    type: RelationType = Field(
        description="extends | variant-of | uses-reward-from | evaluates | compares-with",
        examples=["extends"],
    )
    target: Id = Field(description="Id of the other paper.", examples=["ouyang2022-instructgpt"])
    note: Text | None = Field(
        default=None,
        description="One short sentence on the link.",
        examples=["Solves the same objective in closed form."],
    )


class Verified(Strict):
    """Where and when the title, authors, year and arXiv id were checked."""

    source: str = Field(
        description="The page the metadata was checked against.",
        examples=["https://arxiv.org/abs/2305.18290"],
    )
    on: dt.date = Field(description="Date of the check (YYYY-MM-DD).", examples=["2026-11-27"])

    _url = field_validator("source")(check_http_url)


class PaperProvenance(Strict):
    """Who placed the paper in the taxonomy, and where its metadata was checked."""

    classification: Source = Field(
        description="curated when the placement is ours; survey-v1/v2 when the survey attests it.",
        examples=["curated"],
    )
    attested: list[Id] = Field(
        default_factory=list,
        description="Category ids of this paper's classification that the survey itself attests.",
        examples=[["single-value"]],
    )
    added: dt.date = Field(description="Date the entry was added.", examples=["2026-11-27"])
    verified: Verified | None = Field(
        default=None,
        description="Where the metadata was checked, and when.",
        examples=[{"source": "https://arxiv.org/abs/2305.18290", "on": "2026-11-27"}],
    )


class Method(Strict):
    """What a reader compares training methods by. Curated: our reading of the paper's main
    recipe (a method that offers variants is described by the one it recommends)."""

    learns_from: list[LearnsFrom] = Field(
        min_length=1,
        description=(
            "The training signal it consumes: paired-preferences | unpaired-labels | "
            "scalar-rewards | verifiable-outcomes | rubric-scores | step-labels | demonstrations."
        ),
        examples=[["paired-preferences"]],
    )
    policy_data: PolicyData = Field(
        description=(
            "on-policy when it trains on responses sampled from the policy during training; "
            "off-policy when it trains on a fixed dataset."
        ),
        examples=["off-policy"],
    )
    reference_model: bool = Field(
        description="Whether training needs a frozen reference model (a KL anchor or log-ratio).",
        examples=[True],
    )
    reward_model: bool = Field(
        description="Whether a separate reward model is trained before or during policy training.",
        examples=[False],
    )

    @field_validator("learns_from")
    @classmethod
    def _distinct(cls, value: list[LearnsFrom]) -> list[LearnsFrom]:
        if len(set(value)) != len(value):
            raise ValueError("lists a training signal twice")
        return value


class Paper(Strict):
    """One paper: metadata, our summary, its place on each dimension, lineage and losses."""

    id: Id = Field(
        description="<family name><year>-<short name>, kebab-case; equals the file name.",
        examples=["rafailov2023-dpo"],
    )
    title: Title = Field(
        min_length=1,
        description="Exact title as on the arXiv abstract page.",
        examples=["Direct Preference Optimization: Your Language Model is Secretly a Reward Model"],
    )
    short_name: ShortName | None = Field(
        default=None,
        description="The name people call the method or resource by, as the paper writes it.",
        examples=["DPO"],
    )
    aliases: list[Alias] = Field(
        default_factory=list,
        max_length=12,
        description="Other names people search for (acronym expansions, later names).",
        examples=[["Direct Preference Optimization"]],
    )
    authors: list[PersonName] = Field(
        min_length=1,
        max_length=1000,
        description="Full author list, in order.",
        examples=[["Rafael Rafailov", "Archit Sharma"]],
    )
    year: int = Field(description="Year of first public version.", examples=[2023])
    kind: PaperKind = Field(
        description="method | model | benchmark | dataset | survey | analysis", examples=["method"]
    )
    status: PaperStatus = Field(description="preprint | published", examples=["published"])
    venue: Text | None = Field(
        default=None, description="Where it was published.", examples=["NeurIPS 2023"]
    )
    arxiv: str | None = Field(
        default=None, description="Versionless arXiv id.", examples=["2305.18290"]
    )
    doi: str | None = Field(
        default=None, description="DOI.", examples=["10.48550/arXiv.2305.18290"]
    )
    url: str | None = Field(
        default=None,
        description="Canonical landing page (http/https).",
        examples=["https://arxiv.org/abs/2305.18290"],
    )
    code: str | None = Field(
        default=None,
        description="Official code repository (http/https).",
        examples=["https://github.com/eric-mitchell/direct-preference-optimization"],
    )
    summary: Text = Field(
        description="1-3 sentences in our own words on what the paper does to the reward.",
        examples=["Rewrites the KL-regularised reward objective as a loss on preference pairs."],
    )
    classification: dict[str, list[Id]] = Field(
        description="Dimension id -> category ids of that dimension.",
        examples=[{"expression": ["implicit"], "granularity": ["response-level"]}],
    )
    relations: list[Relation] = Field(
        default_factory=list,
        description="Typed edges to other papers.",
        examples=[[{"type": "extends", "target": "ouyang2022-instructgpt"}]],
    )
    losses: list[Id] = Field(
        default_factory=list,
        description="Ids of loss-lab entries that implement this paper's objective.",
        examples=[["dpo"]],
    )
    method: Method | None = Field(
        default=None,
        description="How the method trains, for side-by-side comparison (method papers only).",
        examples=[
            {
                "learns_from": ["paired-preferences"],
                "policy_data": "off-policy",
                "reference_model": True,
                "reward_model": False,
            }
        ],
    )
    provenance: PaperProvenance = Field(
        description="Placement source and metadata check.",
        examples=[
            {
                "classification": "curated",
                "added": "2026-11-27",
                "verified": {"source": "https://arxiv.org/abs/2305.18290", "on": "2026-11-27"},
            }
        ],
    )

    _urls = field_validator("url", "code")(check_http_url)

    @field_validator("year")
    @classmethod
    def _year_in_range(cls, value: int) -> int:
        if not MIN_YEAR <= value <= MAX_YEAR:
            raise ValueError(f"{value} is out of range ({MIN_YEAR}..{MAX_YEAR})")
        return value

    @field_validator("arxiv")
    @classmethod
    def _arxiv_versionless(cls, value: str | None) -> str | None:
        if value is None:
            return value
        value = str(value)
        if ARXIV_NEW_RE.match(value):
            return _arxiv_new_era(value)
        if ARXIV_OLD_RE.match(value):
            month = int(value.split("/")[1][2:4])
            if not 1 <= month <= 12:
                raise ValueError(f"{value!r} has month {month:02d}: after the slash come YYMM")
            return value
        versioned = ARXIV_VERSION_RE.match(value)
        if versioned and (ARXIV_NEW_RE.match(versioned[1]) or ARXIV_OLD_RE.match(versioned[1])):
            raise ValueError(f"{value!r} must be versionless: write {versioned[1]!r}")
        raise ValueError(f"{value!r} is not an arXiv id (expected like 2305.18290)")

    @field_validator("doi")
    @classmethod
    def _doi_format(cls, value: str | None) -> str | None:
        if value is not None and not DOI_RE.match(value):
            raise ValueError(f"{value!r} is not a DOI (expected like 10.1234/abc)")
        return value

    @field_validator("summary")
    @classmethod
    def _summary_length(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty: say in 1-3 sentences what the paper does")
        if len(value) > SUMMARY_MAX_CHARS:
            raise ValueError(f"is {len(value)} characters; keep it to 1-3 sentences")
        return value

    @field_validator("classification")
    @classmethod
    def _placed_somewhere(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if not value or not any(value.values()):
            raise ValueError("a paper must be placed in at least one dimension")
        return value


def _arxiv_new_era(value: str) -> str:
    """A new-style id (``YYMM.NNNN`` from April 2007, ``YYMM.NNNNN`` from January 2015) valid
    for its era."""
    yymm, number = value.split(".")
    yy, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12:
        raise ValueError(
            f"{value!r} has month {month:02d}: the four digits before the dot are YYMM"
        )
    if yymm < "0704":
        raise ValueError(f"{value!r} is older than new-style ids (April 2007, 0704)")
    digits = 5 if yy >= 15 else 4
    if len(number) != digits:
        era = "from 2015 on" if digits == 5 else "before 2015"
        raise ValueError(
            f"{value!r} is not an arXiv id: ids {era} have {digits} digits after the dot"
        )
    return value


# ---------------------------------------------------------------------------------------------
# The survey itself


class SurveyVersion(Strict):
    version: Text = Field(description="v1, v2, journal ...", examples=["v2"])
    date: dt.date = Field(description="Date of that version.", examples=["2025-08-29"])
    note: Text = Field(
        description="What changed in this version, in our words.",
        examples=["Adds evaluation as a fourth guiding question."],
    )


class FramingStep(Strict):
    name: Text = Field(
        description="Name of the step in the survey's analogy.", examples=["Diagnosis"]
    )
    description: Text = Field(
        description="What the step means for reward design, in our words.",
        examples=["Feedback: evaluative signals about the model's outputs are gathered."],
    )


class Survey(Strict):
    """The survey whose taxonomy the atlas is built on."""

    id: Id = Field(description="Id of the survey.", examples=["ji2025-reward-design-survey"])
    title: Text = Field(
        description="Title as on arXiv.",
        examples=["A Survey on Progress in LLM Alignment from the Perspective of Reward Design"],
    )
    authors: list[Text] = Field(
        min_length=1, description="Full author list.", examples=[["Miaomiao Ji", "Yanqiu Wu"]]
    )
    year: int = Field(description="Year of v1.", examples=[2025])
    arxiv: str = Field(description="Versionless arXiv id.", examples=["2505.02666"])
    url: str = Field(description="Landing page.", examples=["https://arxiv.org/abs/2505.02666"])
    venue: Text | None = Field(
        default=None,
        description="Journal version.",
        examples=["IEEE Transactions on Artificial Intelligence (2026)"],
    )
    doi: str | None = Field(
        default=None, description="DOI of the journal version.", examples=["10.1234/abc"]
    )
    summary: Text = Field(
        min_length=1,
        description="What the survey does, in our words.",
        examples=["A review that puts reward design at the centre of aligning LLMs."],
    )
    framing: list[FramingStep] = Field(
        min_length=1,
        description="The diagnosis -> prescription -> treatment framing.",
        examples=[[{"name": "Diagnosis", "description": "Feedback on the model's outputs."}]],
    )
    versions: list[SurveyVersion] = Field(
        min_length=1,
        description="Versions of the survey.",
        examples=[[{"version": "v1", "date": "2025-05-05", "note": "First version."}]],
    )
    notes: Text | None = Field(
        default=None,
        description="What we could and could not verify.",
        examples=["We read the abstracts but not the full body."],
    )

    _url = field_validator("url")(check_http_url)


# ---------------------------------------------------------------------------------------------
# Search synonyms

Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class Synonyms(Strict):
    """Words and phrases that mean the same thing to a searcher: a query naming one finds papers
    that use any of them."""

    groups: list[Annotated[list[Phrase], Field(min_length=2, max_length=12)]] = Field(
        description="Each group lists phrases that are interchangeable in a search.",
        examples=[[["reward hacking", "reward over-optimization", "specification gaming"]]],
    )


# ---------------------------------------------------------------------------------------------
# JSON Schema export


SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "paper": Paper,
    "dimension": Dimension,
    "survey": Survey,
    "synonyms": Synonyms,
}


def _to_draft07(schema: dict[str, Any], title: str) -> dict[str, Any]:
    """Pydantic emits 2020-12 style ``$defs``; editors and older validators want draft-07."""
    text = json.dumps(schema).replace('"#/$defs/', '"#/definitions/')
    out = json.loads(text)
    if "$defs" in out:
        out["definitions"] = out.pop("$defs")
    return {"$schema": "http://json-schema.org/draft-07/schema#", "title": title, **out}


def json_schemas() -> dict[str, str]:
    """File name -> JSON text of every generated schema (stable, sorted, newline-terminated)."""
    files = {}
    for name, model in SCHEMA_MODELS.items():
        schema = _to_draft07(model.model_json_schema(mode="validation"), f"Reward Atlas {name}")
        files[f"{name}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return files


def write_json_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in json_schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
