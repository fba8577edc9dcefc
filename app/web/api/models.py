"""Response models of the JSON API (``/api/v1``): what each route returns, as OpenAPI documents it.

They describe the plain dicts the query functions return; they are not database tables (those
are in :mod:`app.store.tables`). Field examples come from the fixture taxonomy.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.contract.vocab import LearnsFrom, PolicyData

PAPER_ID = "rafailov2023-dpo"


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Errors -------------------------------------------------------------------------------


class ErrorInfo(Out):
    status: int = Field(examples=[400])
    message: str = Field(examples=["invalid query parameters: colour"])
    details: list[Any] = Field(
        description="What exactly was wrong, one item per problem (for example each unknown "
        "parameter).",
        examples=[[{"parameter": "colour", "message": "unknown parameter 'colour'"}]],
    )


class ErrorResponse(Out):
    """The one shape of every 4xx and 5xx response."""

    error: ErrorInfo


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Unknown parameter, operator or bad value"},
    404: {"model": ErrorResponse, "description": "No such id"},
    422: {"model": ErrorResponse, "description": "A parameter has the wrong type or is missing"},
}


# --- Taxonomy -----------------------------------------------------------------------------


class Ref(Out):
    id: str = Field(examples=["implicit"])
    name: str = Field(examples=["Implicit"])


class Meta(Out):
    data_version: str = Field(
        description="Hash of the YAML content plus the build version; also the ETag.",
        examples=["3f2a9c0d1e4b5a6f-b1"],
    )
    built_at: str = Field(examples=["2026-11-27T09:30:00+00:00"])
    counts: dict[str, int] = Field(
        examples=[
            {"dimensions": 9, "categories": 49, "papers": 11, "relations": 10, "placements": 90}
        ]
    )
    survey: dict[str, Any] | None = Field(description="The survey the taxonomy comes from.")
    build_problems: list[str] = Field(
        default_factory=list,
        description="Under `serve --reload`: the problems of the last edit, which did not "
        "validate; the data served is the last good build. Empty when all is well.",
        examples=[["data/taxonomy/papers/x.yaml:3: title: must be text"]],
    )


class CategoryBase(Out):
    id: str = Field(examples=["token-level"])
    name: str = Field(examples=["Token level"])
    dimension: str = Field(examples=["granularity"])
    parent: str | None = Field(examples=["response-vs-token"])
    description: str
    provenance: list[str] = Field(examples=[["survey-v1"]])
    depth: int = Field(description="0 for a top-level category.", examples=[2])
    sparse: bool = Field(description="Known to have few papers, on purpose.")
    sparse_reason: str | None
    direct_count: int = Field(description="Papers placed exactly here.", examples=[1])
    count: int = Field(
        description="Distinct papers placed here or in any descendant.", examples=[2]
    )


class CategoryNode(CategoryBase):
    children: list[CategoryNode]


class Dimension(Out):
    id: str = Field(examples=["granularity"])
    name: str = Field(examples=["Granularity"])
    question: str = Field(examples=["How finely is credit assigned?"])
    description: str
    provenance: list[str] = Field(examples=[["survey-v1"]])
    count: int = Field(
        description="Distinct papers placed anywhere in this dimension.", examples=[11]
    )
    categories: list[CategoryNode] = Field(description="Top-level categories, nested.")


class PaperSummary(Out):
    id: str = Field(examples=[PAPER_ID])
    title: str = Field(
        examples=["Direct Preference Optimization: Your Language Model is Secretly a Reward Model"]
    )
    short_name: str | None = Field(
        description="The name the method or resource goes by.", examples=["DPO"]
    )
    aliases: list[str] = Field(
        description="Other names it is searched by.", examples=[["Direct Preference Optimization"]]
    )
    authors: list[str] = Field(examples=[["Rafael Rafailov", "Archit Sharma"]])
    year: int = Field(examples=[2023])
    kind: str = Field(examples=["method"])
    status: Literal["preprint", "published"]
    venue: str | None = Field(examples=["NeurIPS 2023"])
    arxiv: str | None = Field(examples=["2305.18290"])
    doi: str | None = Field(examples=["10.48550/arXiv.2305.18290"])
    url: str | None = Field(examples=["https://arxiv.org/abs/2305.18290"])
    code: str | None
    summary: str
    bibkey: str = Field(description="Stable BibTeX citation key.", examples=["rafailov2023direct"])


class CategoryPaper(PaperSummary):
    direct: bool = Field(description="Placed exactly in this category (not via a descendant).")


class CategoryDetail(Out):
    """A category with its dimension, parent chain, children and papers."""

    id: str = Field(examples=["response-vs-token"])
    name: str = Field(examples=["Response- vs token-level"])
    dimension: Ref
    parent: str | None = Field(examples=["fine-grained"])
    description: str
    provenance: list[str] = Field(examples=[["survey-v1"]])
    depth: int = Field(examples=[1])
    sparse: bool
    sparse_reason: str | None
    direct_count: int = Field(examples=[0])
    count: int = Field(examples=[10])
    breadcrumbs: list[Ref] = Field(description="Ancestors, root first, up to the parent.")
    children: list[CategoryBase] = Field(description="Direct subcategories with their counts.")
    papers: list[CategoryPaper] = Field(
        description="Papers placed here or in any descendant, newest first."
    )


# --- Paper list ---------------------------------------------------------------------------


class PaperRow(PaperSummary):
    classification: dict[str, list[str]] = Field(
        description="Dimension id -> categories the paper is placed in directly.",
        examples=[{"expression": ["implicit"], "granularity": ["response-level"]}],
    )


class FacetValue(Out):
    value: str = Field(examples=["token-level"])
    label: str = Field(examples=["Token level"])
    count: int = Field(
        description="Results if this value were toggled on alone: the facet's own filter is "
        "ignored (OR within a dimension), every other filter applies.",
        examples=[1],
    )
    selected: bool
    toggle_url: str = Field(
        description="This list with the value added (or removed when selected), first page.",
        examples=["/api/v1/papers?expression=implicit&_facet=granularity&granularity=token-level"],
    )
    parent: str | None = Field(default=None, description="Category facets: the parent id.")
    depth: int | None = Field(default=None, description="Category facets: depth in the tree.")


class Facet(Out):
    name: str = Field(examples=["granularity"])
    label: str = Field(examples=["Granularity"])
    type: str = Field(
        description="`dimension`, `year`, `venue`, `status` or `kind`.", examples=["dimension"]
    )
    values: list[FacetValue] = Field(
        description="Category facets list every category in tree order (zeros included); "
        "others list the values present, years newest first, the rest by count."
    )


class FilterChip(Out):
    param: str = Field(examples=["expression"])
    value: str = Field(examples=["implicit"])
    label: str = Field(examples=["Expression: Implicit"])
    remove_url: str = Field(examples=["/api/v1/papers?_facet=granularity"])


class PaperList(Out):
    """One page of a filtered, sorted paper list with facets."""

    rows: list[PaperRow]
    count: int = Field(description="All matching papers (not just this page).", examples=[4])
    q: str | None = Field(examples=[None])
    sort: Literal["year", "-year", "-added", "title", "relevance"] = Field(examples=["-year"])
    size: int = Field(examples=[50])
    next: str | None = Field(
        description="Opaque token of the next page; null on the last.", examples=[None]
    )
    next_url: str | None = Field(examples=[None])
    facets: dict[str, Facet] = Field(description="One per `_facet`, in the order asked.")
    filters: list[FilterChip] = Field(description="The active filters, each removable.")


# --- Paper detail -------------------------------------------------------------------------


class PlacedCategory(Out):
    id: str = Field(examples=["response-level"])
    name: str = Field(examples=["Response level"])
    path: list[Ref] = Field(description="Ancestors, root first.")


class DimensionPlacement(Out):
    dimension: Ref
    categories: list[PlacedCategory] = Field(description="Empty when not placed here.")


class PaperBrief(Out):
    id: str = Field(examples=["ouyang2022-instructgpt"])
    title: str
    year: int = Field(examples=[2022])


class RelationOut(Out):
    type: Literal["extends", "variant-of", "uses-reward-from", "evaluates", "compares-with"]
    note: str | None
    paper: PaperBrief


class Relations(Out):
    out: list[RelationOut] = Field(description="This paper -> others.")
    in_: list[RelationOut] = Field(alias="in", description="Others -> this paper.")


class LineagePaper(PaperBrief):
    distance: int = Field(description="Steps along extends/variant-of.", examples=[1])


class LineageEdge(Out):
    source: str = Field(description="The paper that builds on `target`.", examples=[PAPER_ID])
    target: str = Field(examples=["ouyang2022-instructgpt"])
    kind: Literal["extends", "variant-of"]


class Lineage(Out):
    """Ancestors and descendants of a paper along `extends` and `variant-of`."""

    paper: str = Field(examples=[PAPER_ID])
    ancestors: list[LineagePaper]
    descendants: list[LineagePaper]
    edges: list[LineageEdge]


class Verified(Out):
    source: str
    on: str = Field(examples=["2026-11-27"])


class Provenance(Out):
    classification: str = Field(examples=["curated"])
    attested: list[str] = Field(description="Placements the survey states itself.")
    added: str = Field(examples=["2026-11-27"])
    verified: Verified | None
    source_path: str = Field(examples=["papers/rafailov2023-dpo.yaml"])


class MethodFacts(Out):
    learns_from: list[LearnsFrom] = Field(examples=[["paired-preferences"]])
    policy_data: PolicyData
    reference_model: bool = Field(description="Needs a frozen reference model.")
    reward_model: bool = Field(description="Trains a separate reward model.")


class PaperDetail(PaperSummary):
    """Everything about one paper."""

    classification: list[DimensionPlacement] = Field(description="Every dimension, in order.")
    relations: Relations
    lineage: Lineage
    bibtex: str = Field(examples=["@inproceedings{rafailov2023direct,\n  title = {...}\n}\n"])
    losses: list[str] = Field(description="Loss-lab ids (see /api/v1/losses).", examples=[["dpo"]])
    method: MethodFacts | None = Field(
        description="How the method trains (curated); null where it does not apply."
    )
    provenance: Provenance


# --- Search -------------------------------------------------------------------------------


class Segment(Out):
    text: str = Field(examples=["reward"])
    hit: bool = Field(description="Whether this piece matched the query (render as a mark).")


class SearchPaper(Out):
    id: str = Field(examples=[PAPER_ID])
    year: int = Field(examples=[2023])
    venue: str | None = Field(examples=["NeurIPS 2023"])
    authors: list[str]
    score: float = Field(description="bm25 relevance; higher is better.")
    title: list[Segment]
    snippet: list[Segment] = Field(description="Best-matching passage.")


class SearchCategory(Out):
    id: str = Field(examples=["implicit"])
    kind: Literal["category", "dimension"]
    dimension: str | None = Field(examples=["expression"])
    score: float
    name: list[Segment]
    snippet: list[Segment]


class SearchResult(Out):
    """Papers and categories matching a full-text query, each list ranked."""

    q: str = Field(examples=["reward model"])
    papers: list[SearchPaper]
    categories: list[SearchCategory]
    counts: dict[str, int] = Field(
        description="All matches, beyond `limit`.", examples=[{"papers": 7, "categories": 12}]
    )


# --- Graph --------------------------------------------------------------------------------


class NodeData(Out):
    id: str = Field(examples=["paper:rafailov2023-dpo"])
    ref: str = Field(description="The plain id.", examples=[PAPER_ID])
    kind: Literal["dimension", "category", "paper"]
    label: str
    dimension: str | None = Field(default=None, description="Categories only.")
    year: int | None = Field(default=None, description="Papers only.")
    short_name: str | None = Field(
        default=None, description="Papers that have a short name only.", examples=["DPO"]
    )


class CyNode(Out):
    data: NodeData
    classes: str = Field(examples=["paper"])


class EdgeData(Out):
    id: str = Field(examples=["paper:rafailov2023-dpo|extends|paper:ouyang2022-instructgpt"])
    source: str = Field(examples=["paper:rafailov2023-dpo"])
    target: str = Field(examples=["paper:ouyang2022-instructgpt"])
    kind: str = Field(examples=["extends"])


class CyEdge(Out):
    data: EdgeData
    classes: str = Field(examples=["extends"])


class GraphElements(Out):
    """Cytoscape.js elements: pass the object to `cytoscape({elements: ...})`."""

    nodes: list[CyNode]
    edges: list[CyEdge]


class GraphPath(Out):
    """A shortest path between two nodes: one running the edges' way when there is one, else
    ignoring direction."""

    found: bool
    length: int | None = Field(
        description="Number of edges; null when not connected.", examples=[2]
    )
    directed: bool = Field(
        description="True when every step runs the same way (each paper builds on the next, "
        "or the reverse); false when the chain turns or nothing was found."
    )
    nodes: list[CyNode]
    edges: list[CyEdge]


# --- Matrix, timeline, compare ------------------------------------------------------------


class AxisCategory(Out):
    id: str = Field(examples=["implicit"])
    name: str = Field(examples=["Implicit"])
    parent: str | None
    depth: int
    count: int = Field(description="Roll-up count over all papers.")


class Axis(Out):
    dimension: Ref
    categories: list[AxisCategory] = Field(description="Tree order.")


class Cell(Out):
    count: int = Field(examples=[4])
    papers: list[str] = Field(examples=[[PAPER_ID, "azar2023-ipo"]])


class Matrix(Out):
    """Co-occurrence of two dimensions' categories; empty cells are open research gaps."""

    rows: Axis
    cols: Axis
    cells: list[list[Cell]] = Field(description="`cells[i][j]`: row category i, column j.")
    papers: int = Field(description="Distinct papers placed in both dimensions.")
    empty: int = Field(description="How many cells have no paper.")
    surveys: bool = Field(description="Whether surveys are counted (left out by default).")


class Series(Out):
    category: AxisCategory
    counts: list[int] = Field(description="One per entry of `years`.")


class Timeline(Out):
    """Papers per year per category of one dimension."""

    dimension: Ref
    years: list[int] = Field(examples=[[2022, 2023, 2024]])
    series: list[Series]
    totals: list[int] = Field(description="Distinct papers placed in the dimension, per year.")
    surveys: bool = Field(description="Whether surveys are counted (left out by default).")
    partial_year: int | None = Field(
        description="The last year, when it is the current one: its count is still growing.",
        examples=[2026],
    )


class CompareRow(Out):
    category: AxisCategory
    papers: list[Literal["direct", "inherited"] | None] = Field(
        description="Per compared paper, in order: placed here, via a descendant, or not.",
        examples=[["direct", None]],
    )
    shared: bool


class CompareDimension(Out):
    id: str = Field(examples=["expression"])
    name: str = Field(examples=["Expression"])
    rows: list[CompareRow]


class ComparedPaper(PaperSummary):
    losses: list[str] = Field(description="Loss-lab ids (see /api/v1/losses).", examples=[["dpo"]])
    method: MethodFacts | None = Field(
        description="How the method trains (curated); null where it does not apply."
    )


class Comparison(Out):
    """Papers side by side: method facts, then classifications."""

    papers: list[ComparedPaper]
    dimensions: list[CompareDimension]
