"""SQLModel tables of the built database, and the read models the API returns.

The database is a build product: :mod:`app.build` writes it from the YAML, the app only reads it.
List-valued fields (authors, provenance, losses) are stored as JSON text.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class DimensionBase(SQLModel):
    id: str = Field(primary_key=True)
    name: str
    question: str
    description: str
    provenance: str  # JSON list of sources
    ord: int = Field(index=True)


class Dimension(DimensionBase, table=True):
    pass


class CategoryBase(SQLModel):
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


class Category(CategoryBase, table=True):
    pass


class PaperBase(SQLModel):
    id: str = Field(primary_key=True)
    title: str
    authors: str  # JSON list
    first_author: str
    year: int = Field(index=True)
    kind: str = Field(index=True)
    status: str = Field(index=True)
    venue: str | None = Field(default=None, index=True)
    arxiv: str | None = Field(default=None, index=True, unique=True)
    doi: str | None = Field(default=None, index=True, unique=True)
    url: str | None = None
    code: str | None = None
    summary: str
    losses: str  # JSON list of loss ids
    classification_source: str
    attested: str  # JSON list of category ids
    added: str
    verified_source: str | None = None
    verified_on: str | None = None
    bibkey: str = Field(index=True)
    source_path: str  # path of the YAML file, relative to the data dir


class Paper(PaperBase, table=True):
    pass


class PaperCategory(SQLModel, table=True):
    """A paper in a category. ``direct`` rows are as written; others are rolled up to ancestors."""

    __tablename__ = "paper_category"

    paper_id: str = Field(foreign_key="paper.id", primary_key=True)
    category_id: str = Field(foreign_key="category.id", primary_key=True, index=True)
    dimension_id: str = Field(foreign_key="dimension.id", index=True)
    direct: bool = Field(index=True)


class Relation(SQLModel, table=True):
    source_id: str = Field(foreign_key="paper.id", primary_key=True)
    type: str = Field(primary_key=True)
    target_id: str = Field(foreign_key="paper.id", primary_key=True, index=True)
    note: str | None = None


class Meta(SQLModel, table=True):
    key: str = Field(primary_key=True)
    value: str
