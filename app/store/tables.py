"""SQLModel tables of the built database (the API's response models are app.web.api.models).

The database is a build product: :mod:`app.build` writes it from the YAML; the app only reads it.
List-valued fields (authors, provenance, losses) are stored as JSON text.
"""

from __future__ import annotations

from sqlalchemy import Index, desc
from sqlmodel import Field, SQLModel


class Dimension(SQLModel, table=True):
    id: str = Field(primary_key=True)
    name: str
    question: str
    description: str
    provenance: str  # JSON list of sources
    ord: int = Field(index=True)


class Category(SQLModel, table=True):
    id: str = Field(primary_key=True)
    dimension_id: str = Field(foreign_key="dimension.id", index=True)
    parent_id: str | None = Field(default=None, index=True)
    name: str
    description: str
    provenance: str  # JSON list of sources
    depth: int
    path: str  # ancestor ids joined with "/", root first, ending with this id
    ord: int  # position in the dimension file: keeps the tree in the order authors wrote it
    sparse: bool = False
    sparse_reason: str | None = None
    direct_count: int = 0  # papers placed exactly here
    rollup_count: int = 0  # distinct papers placed here or in a descendant


class Paper(SQLModel, table=True):
    # Every filter and sort has an index: the default sort (newest first, then id) reads pages
    # straight off ix_paper_newest without sorting, and ix_paper_cover answers the per-id
    # filter and facet lookups of a category or full-text list without reading the wide rows.
    __table_args__ = (
        Index("ix_paper_year_id", "year", "id"),
        Index("ix_paper_newest", desc("year"), "id"),
        Index("ix_paper_cover", "id", "year", "venue", "status", "kind"),
    )

    id: str = Field(primary_key=True)
    title: str
    short_name: str | None = None
    aliases: str = "[]"  # JSON list
    authors: str  # JSON list
    first_author: str
    year: int  # indexed with id: Paper.__table_args__
    kind: str = Field(index=True)
    status: str = Field(index=True)
    venue: str | None = Field(default=None, index=True)
    arxiv: str | None = Field(default=None, index=True, unique=True)
    doi: str | None = Field(default=None, index=True, unique=True)
    url: str | None = None
    code: str | None = None
    summary: str
    losses: str  # JSON list of loss ids
    method: str | None = None  # JSON object of method facts (schema.Method), or NULL
    classification_source: str
    attested: str  # JSON list of category ids
    added: str
    verified_source: str | None = None
    verified_on: str | None = None
    bibkey: str = Field(index=True)
    source_path: str  # path of the YAML file, relative to the data dir


class PaperCategory(SQLModel, table=True):
    """A paper in a category. ``direct`` rows are as written; others are rolled up to ancestors."""

    __tablename__ = "paper_category"

    # Covering indexes: category filters read (category_id, paper_id); a page's classification
    # reads (paper_id, direct, dimension_id, category_id); neither touches the table.
    __table_args__ = (
        Index("ix_paper_category_category", "category_id", "paper_id"),
        Index("ix_paper_category_placed", "paper_id", "direct", "dimension_id", "category_id"),
    )

    paper_id: str = Field(foreign_key="paper.id", primary_key=True)
    category_id: str = Field(foreign_key="category.id", primary_key=True)
    dimension_id: str = Field(foreign_key="dimension.id", index=True)
    direct: bool


class PaperRollup(SQLModel, table=True):
    """Papers per (year, venue, status, kind), written by the build: a list filtered only on
    these columns (or not at all) counts and facets from these few hundred rows instead of
    scanning the paper table."""

    __tablename__ = "paper_rollup"

    id: int | None = Field(default=None, primary_key=True)
    year: int
    venue: str | None = None
    status: str
    kind: str
    n: int


class Relation(SQLModel, table=True):
    source_id: str = Field(foreign_key="paper.id", primary_key=True)
    type: str = Field(primary_key=True)
    target_id: str = Field(foreign_key="paper.id", primary_key=True, index=True)
    note: str | None = None


class PaperName(SQLModel, table=True):
    """Each paper's short name and aliases as search compares them (``app.contract.text.
    phrase_key``): a query equal to one of them puts that paper first. ``weight`` is what the
    rank gains: a short name more than an alias."""

    __tablename__ = "paper_name"
    __table_args__ = (Index("ix_paper_name_rowid", "paper_rowid", "name_key", "weight"),)

    paper_id: str = Field(foreign_key="paper.id", primary_key=True)
    name_key: str = Field(primary_key=True)
    paper_rowid: int  # the paper's rowid on SQLite, where the search index joins on rowids
    weight: int


class PaperPrior(SQLModel, table=True):
    """What a paper's full-text rank is scaled by: more for papers the atlas builds on."""

    __tablename__ = "paper_prior"

    paper_rowid: int = Field(primary_key=True)
    paper_id: str = Field(foreign_key="paper.id", unique=True)
    factor: float


class Synonym(SQLModel, table=True):
    """The phrases of ``synonyms.yaml``, one row each; a group's phrases are interchangeable
    in a search."""

    group_id: int = Field(primary_key=True)
    ord: int = Field(primary_key=True)
    phrase: str


class Meta(SQLModel, table=True):
    key: str = Field(primary_key=True)
    value: str
