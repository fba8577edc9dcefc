"""``reward-atlas new-paper``: a correctly named skeleton for one paper, with TODOs to fill in.

No network: everything comes from the command line. The skeleton is already in canonical
format (``reward-atlas fmt`` leaves it alone) and fails validation, one ``path:line`` per
``TODO``, until each placeholder is replaced.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from app.contract import schema as s
from app.contract.ids import is_arxiv, without_version
from app.contract.rules import normalise_title
from app.contract.vocab import KINDS
from app.contract.yamlio import parse_yaml
from app.contrib.canonical import canonical_text
from app.contrib.formatting import dimension_order

_STOP = {
    "a",
    "an",
    "the",
    "of",
    "for",
    "to",
    "in",
    "on",
    "and",
    "or",
    "with",
    "by",
    "from",
    "via",
    "at",
    "as",
    "is",
    "are",
    "your",
    "its",
    "into",
}
SHORT_NAME_WORDS = 4


class NewPaperError(Exception):
    """The skeleton cannot be written; the message says why and what to do."""


def ascii_words(text: str) -> list[str]:
    """Lowercase ASCII words of ``text``: accents folded, apostrophes dropped ("Let's" -> lets)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"['\u2019]", "", folded)
    return re.findall(r"[a-z0-9]+", folded)


def short_name(title: str) -> str:
    """A few words that name the paper: the part before a colon when it is short (``KTO: …`` ->
    ``kto``), else the first words of the title without leading or trailing filler words."""
    head, colon, _ = title.partition(":")
    if colon and 1 <= len(ascii_words(head)) <= SHORT_NAME_WORDS:
        return "-".join(ascii_words(head))
    words = ascii_words(title)
    while words and words[0] in _STOP:
        words.pop(0)
    words = words[:SHORT_NAME_WORDS]
    while len(words) > 1 and words[-1] in _STOP:
        words.pop()
    return "-".join(words) or "paper"


def paper_id(*, first_author: str, year: int, title: str) -> str:
    """``rafailov2023-direct-preference-optimization``: family name, year, short name."""
    family = "".join(ascii_words(first_author.split()[-1])) if first_author.split() else ""
    if not family:
        raise NewPaperError("cannot make an id without the first author's name: pass --id")
    return f"{family}{year}-{short_name(title)}"


def normalise_arxiv(value: str) -> str:
    """Accept ``2305.18290``, ``arXiv:2305.18290v2`` or an abs/pdf URL; return the bare id."""
    text = value.strip()
    text = re.sub(r"^(?:https?://)?(?:www\.)?arxiv\.org/(?:abs|pdf)/", "", text, flags=re.I)
    text = re.sub(r"^arxiv:", "", text, flags=re.I)
    text = re.sub(r"\.pdf$", "", text)
    bare = without_version(text)
    if not is_arxiv(bare):
        raise NewPaperError(f"{value!r} is not an arXiv id (expected like 2305.18290)")
    return bare


@dataclass(frozen=True)
class Existing:
    path: Path
    line: int
    what: str  # "arXiv id" | "normalised title" | "id"
    value: str


def find_existing(papers_dir: Path, *, arxiv: str, title: str, new_id: str) -> list[Existing]:
    """Papers already in the folder with the same arXiv id, normalised title or id."""
    hits = []
    wanted_title = normalise_title(title)
    for path in sorted(papers_dir.glob("*.y*ml")):
        parsed = parse_yaml(path.read_bytes())
        data = parsed.data if isinstance(parsed.data, dict) else {}
        if path.stem == new_id or data.get("id") == new_id:
            hits.append(Existing(path, parsed.line_of(("id",)), "id", new_id))
        if str(data.get("arxiv", "")) == arxiv:
            hits.append(Existing(path, parsed.line_of(("arxiv",)), "arXiv id", arxiv))
        if isinstance(data.get("title"), str) and normalise_title(data["title"]) == wanted_title:
            hits.append(
                Existing(path, parsed.line_of(("title",)), "normalised title", wanted_title)
            )
    return hits


KIND_HINT = "TODO " + ", ".join(KINDS)
STATUS_HINT = "TODO published (then fill venue) or preprint"


def skeleton(
    *,
    paper_id: str,
    arxiv: str,
    title: str,
    year: int,
    authors: list[str],
    added: dt.date,
    dimensions: list[str],
) -> dict:
    """The data of a new paper file: what we know, and a ``TODO`` for everything else."""
    classification: dict | str = {
        dim: f"TODO [category ids] from dimensions/{dim}.yaml, or delete the line"
        for dim in dimensions
    } or "TODO map dimension ids to lists of category ids"
    return {
        "id": paper_id,
        "title": title,
        "authors": authors or ["TODO full name of each author, in order"],
        "year": year,
        "kind": KIND_HINT,
        "status": STATUS_HINT,
        "venue": "TODO where it was published (e.g. NeurIPS 2023), or delete this line",
        "arxiv": arxiv,
        "url": f"https://arxiv.org/abs/{arxiv}",
        "code": "TODO URL of the official code, or delete this line",
        "summary": "TODO 1-3 sentences in your own words on what the paper does to the reward.",
        "classification": classification,
        "relations": [],
        "losses": [],
        "provenance": {
            "classification": "curated",
            "added": added,
            "verified": {
                "source": f"https://arxiv.org/abs/{arxiv}",
                "on": "TODO date (YYYY-MM-DD) you checked title, authors and year on that page",
            },
        },
    }


@dataclass(frozen=True)
class Created:
    path: Path
    paper_id: str
    todos: int


def create_paper(
    data_dir: Path,
    *,
    arxiv: str,
    title: str,
    year: int,
    authors: list[str],
    paper_id_override: str | None = None,
    today: dt.date | None = None,
) -> Created:
    """Write ``papers/<id>.yaml`` under ``data_dir``; refuse duplicates, naming the file."""
    data_dir = Path(data_dir)
    arxiv = normalise_arxiv(arxiv)
    title = " ".join(title.split())
    if not title:
        raise NewPaperError("the title is empty")
    if not s.MIN_YEAR <= year <= s.MAX_YEAR:
        raise NewPaperError(f"year {year} is out of range ({s.MIN_YEAR}..{s.MAX_YEAR})")
    authors = [" ".join(a.split()) for a in authors if a.strip()]
    if paper_id_override:
        new_id = paper_id_override
    elif authors:
        new_id = paper_id(first_author=authors[0], year=year, title=title)
    else:
        raise NewPaperError("pass --author (at least the first author) or --id")
    if not s.ID_RE.match(new_id):
        raise NewPaperError(f"{new_id!r} is not a valid id: use lowercase kebab-case, no dots")
    papers = data_dir / "papers"
    if not papers.is_dir():
        raise NewPaperError(f"{papers} does not exist")
    hits = find_existing(papers, arxiv=arxiv, title=title, new_id=new_id)
    if hits:
        raise NewPaperError(
            "refused: "
            + "; ".join(
                f"{hit.what} {hit.value!r} is already in {_shown(hit.path)}:{hit.line}"
                for hit in hits
            )
        )
    order = dimension_order(data_dir)
    data = skeleton(
        paper_id=new_id,
        arxiv=arxiv,
        title=title,
        year=year,
        authors=authors,
        added=today or dt.date.today(),
        dimensions=sorted(order, key=order.__getitem__),
    )
    path = papers / f"{new_id}.yaml"
    text = canonical_text(data, kind="paper", dimension_order=order)
    with path.open("x", encoding="utf-8") as out:  # never overwrite
        out.write(text)
    return Created(path, new_id, text.count("TODO"))


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
