"""``reward-atlas check-metadata``: each paper's title, authors, year and venue against the
public sources (``--fetch``), or, offline, what the files alone can tell (arXiv id shape and its
YYMM against the year, ``arxiv`` against ``url`` and ``doi``, duplicate authors).

Every finding is one line, ``path:line: field: ours → theirs``. Papers are read file by file
(not through the whole-tree validator), so a tree with unrelated problems is still checked.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from app.contract.ids import ARXIV_NEW_RE, ARXIV_OLD_RE
from app.contract.problems import Problem
from app.contract.validate import load_taxonomy
from app.contract.yamlio import ParsedYaml, parse_yaml
from app.contrib.sources import (
    Endpoints,
    NotFound,
    Record,
    clean,
    fetch_arxiv,
    fetch_crossref,
)

NONE = "(none)"
_LOCAL_FIELDS = ("arxiv", "url", "doi")  # the validator's identifier rules, reused offline


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    field: str
    ours: str
    theirs: str

    def format(self, base: Path | None = None) -> str:
        """``path:line: field: ours → theirs``, in the validator's problem format."""
        problem = Problem(
            self.path.resolve(), self.line, self.field, f"{self.ours} → {self.theirs}"
        )
        return problem.format(base.resolve() if base is not None else None)


@dataclass(frozen=True)
class Entry:
    path: Path
    parsed: ParsedYaml

    @property
    def data(self) -> dict:
        return self.parsed.data if isinstance(self.parsed.data, dict) else {}

    def line(self, *loc: str | int) -> int:
        return self.parsed.line_of(tuple(loc))

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        return None if value is None else str(value)


def read_papers(data_dir: Path) -> list[Entry]:
    return [
        Entry(path, parse_yaml(path.read_bytes()))
        for path in sorted((Path(data_dir) / "papers").glob("*.y*ml"))
    ]


def _name_key(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(folded.lower().replace(".", " ").split())


def local_findings(data_dir: Path) -> list[Finding]:
    """What can be checked without the network."""
    findings: list[Finding] = []
    entries = {entry.path: entry for entry in read_papers(data_dir)}
    _taxonomy, problems = load_taxonomy(data_dir)
    for problem in problems:
        entry = entries.get(problem.path)
        if problem.field in _LOCAL_FIELDS and entry is not None:
            ours = entry.text(problem.field) or NONE
            findings.append(
                Finding(problem.path, problem.line, problem.field, ours, problem.message)
            )
    for entry in entries.values():
        findings += _year_against_arxiv(entry) + _duplicate_authors(entry)
    return sorted(findings, key=lambda f: (str(f.path), f.line, f.field))


def _posted_year(arxiv: str) -> int | None:
    if ARXIV_NEW_RE.match(arxiv):
        return 2000 + int(arxiv[:2])
    if ARXIV_OLD_RE.match(arxiv):
        yy = int(arxiv.split("/")[1][:2])
        return (1900 if yy >= 91 else 2000) + yy  # arXiv opened in 1991
    return None


def _year_against_arxiv(entry: Entry) -> list[Finding]:
    """``year`` is the first public version's: never later than the arXiv posting."""
    arxiv, year = entry.text("arxiv"), entry.data.get("year")
    posted = _posted_year(arxiv) if arxiv else None
    if posted is None or not isinstance(year, int) or year <= posted:
        return []
    return [
        Finding(
            entry.path,
            entry.line("year"),
            "year",
            str(year),
            f"{posted} (arXiv {arxiv} was first posted then)",
        )
    ]


def _duplicate_authors(entry: Entry) -> list[Finding]:
    authors = entry.data.get("authors")
    if not isinstance(authors, list):
        return []
    seen: dict[str, int] = {}
    findings = []
    for index, name in enumerate(authors):
        key = _name_key(str(name))
        if key in seen:
            findings.append(
                Finding(
                    entry.path,
                    entry.line("authors", index),
                    f"authors[{index}]",
                    str(name),
                    f"also authors[{seen[key]}]: one person listed twice, or two namesakes?",
                )
            )
        seen.setdefault(key, index)
    return findings


# --- Online ----------------------------------------------------------------------------------


def online_findings(data_dir: Path, endpoints: Endpoints) -> list[Finding]:
    """Differences between the files and the arXiv API (title, authors, year, venue) and
    Crossref (venue, for papers with a DOI that is not arXiv's). Raises
    :class:`~app.contrib.sources.SourceUnavailable` when a source cannot be read."""
    entries = read_papers(data_dir)
    with_arxiv = [e for e in entries if e.text("arxiv")]
    records = fetch_arxiv([e.text("arxiv") or "" for e in with_arxiv], endpoints)
    findings: list[Finding] = []
    for entry in entries:
        arxiv, doi = entry.text("arxiv"), entry.text("doi")
        if arxiv:
            record = records.get(arxiv)
            if record is None:
                findings.append(
                    Finding(entry.path, entry.line("arxiv"), "arxiv", arxiv, "not found on arXiv")
                )
                continue
            findings += compare(entry, record)
        if doi and not doi.lower().startswith("10.48550/"):
            try:
                published = fetch_crossref(doi, endpoints)
            except NotFound:
                findings.append(
                    Finding(entry.path, entry.line("doi"), "doi", doi, "not found on Crossref")
                )
                continue
            if not arxiv:
                findings += compare(entry, published)
            else:
                findings += _venue(entry, published)
    return findings


def compare(entry: Entry, record: Record) -> list[Finding]:
    """One paper's title, authors, year and venue against one source's record."""
    findings = []
    ours_title = clean(entry.text("title") or "")
    if ours_title != record.title:
        findings.append(Finding(entry.path, entry.line("title"), "title", ours_title, record.title))
    findings += _authors(entry, record)
    year = entry.data.get("year")
    if year != record.year:
        findings.append(
            Finding(entry.path, entry.line("year"), "year", str(year), str(record.year))
        )
    return findings + _venue(entry, record)


def _authors(entry: Entry, record: Record) -> list[Finding]:
    ours = [clean(str(a)) for a in entry.data.get("authors") or []]
    theirs = record.authors
    if ours == theirs:
        return []
    if len(ours) != len(theirs):
        first = next(
            (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
            min(len(ours), len(theirs)),
        )
        shown = theirs[first] if first < len(theirs) else NONE
        return [
            Finding(
                entry.path,
                entry.line("authors"),
                "authors",
                f"{len(ours)} names",
                f"{len(theirs)} names (first difference at authors[{first}]: {shown})",
            )
        ]
    return [
        Finding(entry.path, entry.line("authors", i), f"authors[{i}]", a, b)
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
        if a != b
    ]


def _venue(entry: Entry, record: Record) -> list[Finding]:
    """Only a venue we lack is reported: sources name venues in many forms (``NeurIPS 2023``
    vs ``Advances in Neural Information Processing Systems 36``), so two names are no error."""
    if record.venue and not entry.text("venue"):
        line = entry.line("status") if "status" in entry.data else entry.line("title")
        return [Finding(entry.path, line, "venue", NONE, record.venue)]
    return []
