"""The shapes of the outside ids papers carry (arXiv, DOI), shared by the schema, the validator's
cross-file rules and the lookups of the web layer. Kept to ``re`` so reading code can use them
without pydantic."""

from __future__ import annotations

import re

ARXIV_NEW_RE = re.compile(r"^\d{4}\.\d{4,5}$")  # YYMM.NNNN(N), from April 2007
ARXIV_OLD_RE = re.compile(r"^[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7}$")  # hep-th/9901001
ARXIV_VERSION_RE = re.compile(r"^(.+?)v\d+$")  # an id with a version suffix
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")


def without_version(arxiv: str) -> str:
    """``2305.18290v2`` -> ``2305.18290`` (an id without a version is returned as it is)."""
    versioned = ARXIV_VERSION_RE.match(arxiv)
    return versioned[1] if versioned else arxiv


def is_arxiv(value: str) -> bool:
    """Whether ``value`` is an arXiv id, with or without a version suffix."""
    bare = without_version(value)
    return bool(ARXIV_NEW_RE.match(bare) or ARXIV_OLD_RE.match(bare))
