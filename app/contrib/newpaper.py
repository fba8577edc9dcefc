"""``reward-atlas new-paper``: a correctly named skeleton for one paper, with TODOs to fill in.

The metadata comes from the command line, or (``--fetch``) from a :class:`~app.contrib.sources.
Record` the public APIs gave. The skeleton is already in canonical format (``reward-atlas fmt``
leaves it alone) and fails validation, one ``path:line`` per ``TODO``, until each placeholder
is replaced.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from app.contract import schema as s
from app.contract.ids import ARXIV_NEW_RE, is_arxiv, without_version
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
SHORT_NAME_WORDS = 2  # a name of this many words is kept whole
ACRONYM_WORDS = 5  # a longer one, up to this many, becomes its initials


class NewPaperError(Exception):
    """The skeleton cannot be written; the message says why and what to do."""


def ascii_words(text: str) -> list[str]:
    """Lowercase ASCII words of ``text``: accents folded, apostrophes dropped ("Let's" -> lets)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"['\u2019]", "", folded)
    return re.findall(r"[a-z0-9]+", folded)


def short_name(title: str) -> str:
    """The house style's short name: the paper's own name when the title starts with one
    before a colon (``KTO: …`` -> ``kto``; a longer name by its initials, ``Direct Preference
    Optimization: …`` -> ``dpo``), else the first significant word of the title (``Let's Verify
    Step by Step`` -> ``lets``). Pass ``--id`` for a better one."""
    head, colon, _ = title.partition(":")
    named = ascii_words(head)
    if colon and 1 <= len(named) <= SHORT_NAME_WORDS:
        return "-".join(named)
    if colon and len(named) <= ACRONYM_WORDS:
        return "".join(word[0] for word in named)
    words = ["-".join(ascii_words(token)) for token in title.split()]  # Fine-Tuning: one word
    words = [w for w in words if w and w not in _STOP]
    return words[0] if words else "paper"


def paper_id(*, first_author: str, year: int, title: str) -> str:
    """``ethayarajh2024-kto``: family name, year, short name (see :func:`short_name`)."""
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


def find_existing(
    papers_dir: Path, *, arxiv: str, title: str, new_id: str, doi: str | None = None
) -> list[Existing]:
    """Papers already in the folder with the same arXiv id, DOI, normalised title or id."""
    hits = []
    wanted_title = normalise_title(title)
    for path in sorted(papers_dir.glob("*.y*ml")):
        parsed = parse_yaml(path.read_bytes())
        data = parsed.data if isinstance(parsed.data, dict) else {}
        if path.stem == new_id or data.get("id") == new_id:
            hits.append(Existing(path, parsed.line_of(("id",)), "id", new_id))
        if arxiv and str(data.get("arxiv", "")) == arxiv:
            hits.append(Existing(path, parsed.line_of(("arxiv",)), "arXiv id", arxiv))
        if doi and str(data.get("doi", "")).lower() == doi.lower():
            hits.append(Existing(path, parsed.line_of(("doi",)), "DOI", doi))
        if isinstance(data.get("title"), str) and normalise_title(data["title"]) == wanted_title:
            hits.append(
                Existing(path, parsed.line_of(("title",)), "normalised title", wanted_title)
            )
    return hits


KIND_HINT = "TODO " + ", ".join(KINDS)
STATUS_HINT = "TODO published (then fill venue) or preprint"
YEAR_HINT = "TODO year of the first public version"
VENUE_HINT = "TODO where it was published (e.g. NeurIPS 2023), or delete this line"


@dataclass(frozen=True)
class Metadata:
    """What is known of a paper before its file exists: typed by hand or fetched."""

    title: str
    year: int | None
    authors: list[str]
    arxiv: str | None = None
    doi: str | None = None
    venue: str | None = None
    url: str | None = None
    verified_source: str | None = None  # set when a public API gave the metadata


def skeleton(*, paper_id: str, meta: Metadata, added: dt.date, dimensions: list[str]) -> dict:
    """The data of a new paper file: what we know, and a ``TODO`` for everything else."""
    classification: dict | str = {
        dim: f"TODO [category ids] from dimensions/{dim}.yaml, or delete the line"
        for dim in dimensions
    } or "TODO map dimension ids to lists of category ids"
    abs_page = f"https://arxiv.org/abs/{meta.arxiv}" if meta.arxiv else None
    verified = (
        {"source": meta.verified_source, "on": added}
        if meta.verified_source
        else {
            "source": abs_page or "TODO the page you checked title, authors and year against",
            "on": "TODO date (YYYY-MM-DD) you checked title, authors and year on that page",
        }
    )
    data = {
        "id": paper_id,
        "title": meta.title,
        "authors": meta.authors or ["TODO full name of each author, in order"],
        "year": YEAR_HINT if meta.year is None else meta.year,
        "kind": KIND_HINT,
        "status": "published" if meta.venue else STATUS_HINT,
        "venue": meta.venue or VENUE_HINT,
        "arxiv": meta.arxiv,
        "doi": meta.doi,
        "url": meta.url or abs_page or "TODO the paper's landing page",
        "code": "TODO URL of the official code, or delete this line",
        "summary": "TODO 1-3 sentences in your own words on what the paper does to the reward.",
        "classification": classification,
        "relations": [],
        "losses": [],
        "provenance": {"classification": "curated", "added": added, "verified": verified},
    }
    return {key: value for key, value in data.items() if value is not None}


@dataclass(frozen=True)
class Created:
    path: Path
    paper_id: str
    todos: int


def create_paper(
    data_dir: Path,
    *,
    arxiv: str | None,
    title: str,
    year: int | None,
    authors: list[str],
    paper_id_override: str | None = None,
    today: dt.date | None = None,
    doi: str | None = None,
    venue: str | None = None,
    url: str | None = None,
    verified_source: str | None = None,
) -> Created:
    """Write ``papers/<id>.yaml`` under ``data_dir``; refuse duplicates, naming the file."""
    data_dir = Path(data_dir)
    arxiv = normalise_arxiv(arxiv) if arxiv else None
    title = " ".join(title.split())
    if not title:
        raise NewPaperError("the title is empty")
    if not arxiv and not doi:
        raise NewPaperError("pass --arxiv (or --fetch arxiv:ID / doi:DOI)")
    if year is not None and not s.MIN_YEAR <= year <= s.MAX_YEAR:
        raise NewPaperError(f"year {year} is out of range ({s.MIN_YEAR}..{s.MAX_YEAR})")
    authors = [" ".join(a.split()) for a in authors if a.strip()]
    if paper_id_override:
        new_id = paper_id_override
    elif authors and year is not None and not title.startswith("TODO"):
        new_id = paper_id(first_author=authors[0], year=year, title=title)
    else:
        raise NewPaperError(
            "pass --author (at least the first author), --title and --year, or --id"
        )
    if not s.ID_RE.match(new_id):
        raise NewPaperError(f"{new_id!r} is not a valid id: use lowercase kebab-case, no dots")
    papers = data_dir / "papers"
    if not papers.is_dir():
        raise NewPaperError(f"{papers} does not exist")
    hits = find_existing(papers, arxiv=arxiv or "", title=title, new_id=new_id, doi=doi)
    if hits:
        raise NewPaperError(
            "refused: "
            + "; ".join(
                f"{hit.what} {hit.value!r} is already in {_shown(hit.path)}:{hit.line}"
                for hit in hits
            )
        )
    order = dimension_order(data_dir)
    meta = Metadata(title, year, authors, arxiv, doi, venue, url, verified_source)
    data = skeleton(
        paper_id=new_id,
        meta=meta,
        added=today or dt.date.today(),
        dimensions=sorted(order, key=order.__getitem__),
    )
    path = papers / f"{new_id}.yaml"
    text = canonical_text(data, kind="paper", dimension_order=order)
    with path.open("x", encoding="utf-8") as out:  # never overwrite
        out.write(text)
    return Created(path, new_id, text.count("TODO"))


def fetched_or_typed(
    reference: str | None,
    endpoints,
    *,
    arxiv: str | None,
    title: str | None,
    year: int | None,
    authors: list[str],
) -> tuple[dict, str | None]:
    """``create_paper``'s metadata: fetched for ``reference`` (``arxiv:ID`` / ``doi:DOI``) when
    given, else typed. A source that cannot be reached gives a one-line note and the typed
    skeleton; a source that does not know the id is an error (nothing is written)."""
    from app.contrib import sources

    if reference:
        try:
            scheme, value = sources.parse_reference(reference)
        except ValueError as exc:
            raise NewPaperError(str(exc)) from None
        try:
            record = sources.lookup(reference, endpoints)
        except sources.NotFound as exc:
            raise NewPaperError(f"{exc}; check the id (nothing written)") from None
        except sources.SourceUnavailable as exc:
            note = f"could not fetch {reference} ({exc}): using the other options instead"
            if scheme == "arxiv":
                arxiv = arxiv or value
            return _typed(arxiv, title, year, authors, doi=value if scheme == "doi" else None), note
        return {
            "arxiv": record.arxiv,
            "title": record.title,
            "year": record.year,
            "authors": record.authors,
            "doi": record.doi,
            "venue": record.venue,
            "url": record.url,
            "verified_source": record.sources[0],
        }, None
    if not arxiv or not title or year is None:
        raise NewPaperError("pass --fetch arxiv:ID, or --arxiv, --title and --year")
    return _typed(arxiv, title, year, authors), None


def _typed(arxiv, title, year, authors, *, doi=None) -> dict:
    """The command line's metadata, with a TODO for what it lacks (offline ``--fetch``)."""
    arxiv = normalise_arxiv(arxiv) if arxiv else None
    if year is None and arxiv and ARXIV_NEW_RE.match(arxiv):
        year = 2000 + int(arxiv[:2])  # YYMM: the month the first version was announced
    return {
        "arxiv": arxiv,
        "title": title or TITLE_HINT,
        "year": year,
        "authors": authors,
        "doi": doi,
    }


TITLE_HINT = "TODO the exact title, as on the abstract page"


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
