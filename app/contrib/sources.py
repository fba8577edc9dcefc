"""Paper metadata from the public sources: the arXiv API (through the maintained ``arxiv``
client) and Crossref's REST API (through ``httpx``). Never HTML pages.

Base addresses come from :class:`Endpoints` (``REWARD_ATLAS_ARXIV_API``,
``REWARD_ATLAS_CROSSREF_API``), so tests point them at a local replay server. Every request has
a timeout and a bounded number of retries; what cannot be had raises :class:`SourceUnavailable`,
what the source does not know raises :class:`NotFound`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

import arxiv
import httpx
import requests

from app import __version__
from app.contract.ids import DOI_RE, is_arxiv, without_version

ARXIV_API = "https://export.arxiv.org/api/query"
CROSSREF_API = "https://api.crossref.org"
ARXIV_DOI_PREFIX = "10.48550/arxiv."  # DataCite DOIs arXiv mints for every paper
ARXIV_BATCH = 100  # ids per arXiv API request (its page size)
USER_AGENT = f"reward-atlas/{__version__} (paper metadata checks)"


class SourceUnavailable(Exception):
    """A source could not be reached or answered with an error (after the retries)."""


class NotFound(Exception):
    """The source answered, and does not know the id."""


@dataclass(frozen=True)
class Endpoints:
    arxiv: str = ARXIV_API
    crossref: str = CROSSREF_API
    timeout: float = 10.0
    retries: int = 2
    arxiv_delay: float = 3.0  # arXiv asks for 3 s between requests, retries included


@dataclass(frozen=True)
class Record:
    """What a source says about one paper, in the atlas's terms."""

    title: str
    authors: list[str]
    year: int
    arxiv: str | None = None
    doi: str | None = None
    venue: str | None = None
    url: str | None = None
    sources: list[str] = field(default_factory=list)  # public addresses of the records read


def clean(text: str) -> str:
    """Whitespace folded to single spaces (arXiv wraps long titles over several lines)."""
    return " ".join(text.split())


def arxiv_record_address(arxiv_id: str) -> str:
    return f"{ARXIV_API}?id_list={arxiv_id}"


def crossref_record_address(doi: str) -> str:
    return f"{CROSSREF_API}/works/{doi}"


# --- arXiv -----------------------------------------------------------------------------------


class _TimeoutSession(requests.Session):
    """The ``arxiv`` client sends no timeout of its own: give each of its requests one."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


def _arxiv_client(endpoints: Endpoints) -> arxiv.Client:
    client = arxiv.Client(
        page_size=ARXIV_BATCH, delay_seconds=endpoints.arxiv_delay, num_retries=endpoints.retries
    )
    client.query_url_format = endpoints.arxiv.rstrip("?") + "?{}"
    client._session = _TimeoutSession(endpoints.timeout)  # the client's one network seam
    return client


def _from_arxiv(result: arxiv.Result) -> Record:
    bare = without_version(result.get_short_id())
    doi = clean(result.doi) if result.doi else None
    if doi and doi.lower().startswith(ARXIV_DOI_PREFIX):
        doi = None
    return Record(
        title=clean(result.title),
        authors=[clean(a.name) for a in result.authors],
        year=result.published.year,  # the first version's date, whatever version is current
        arxiv=bare,
        doi=doi,
        venue=clean(result.journal_ref) if result.journal_ref else None,
        url=f"https://arxiv.org/abs/{bare}",
        sources=[arxiv_record_address(bare)],
    )


def fetch_arxiv(ids: Iterable[str], endpoints: Endpoints) -> dict[str, Record]:
    """Records for the (versionless) ``ids`` the arXiv API knows, keyed by id, in batches."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, Record] = {}
    client = _arxiv_client(endpoints)
    for start in range(0, len(wanted), ARXIV_BATCH):
        batch = wanted[start : start + ARXIV_BATCH]
        search = arxiv.Search(id_list=batch, max_results=len(batch))
        try:
            for result in client.results(search):
                record = _from_arxiv(result)
                found[record.arxiv or ""] = record
        except (arxiv.ArxivError, requests.RequestException) as exc:
            raise SourceUnavailable(f"arXiv API: {_reason(exc)}") from None
    return found


def _reason(exc: Exception) -> str:
    if isinstance(exc, arxiv.HTTPError):
        return f"HTTP {exc.status}"
    if isinstance(exc, requests.Timeout | httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, requests.ConnectionError | httpx.ConnectError):
        return "cannot connect (offline?)"
    return type(exc).__name__


# --- Crossref --------------------------------------------------------------------------------


_RETRY_STATUSES = {429, 500, 502, 503, 504}


def _crossref_get(doi: str, endpoints: Endpoints) -> dict | None:
    url = f"{endpoints.crossref.rstrip('/')}/works/{quote(doi, safe='/')}"
    transport = httpx.HTTPTransport(retries=endpoints.retries)  # connection failures
    with httpx.Client(
        transport=transport, timeout=endpoints.timeout, headers={"User-Agent": USER_AGENT}
    ) as client:
        for attempt in range(endpoints.retries + 1):
            try:
                response = client.get(url)
            except httpx.HTTPError as exc:
                raise SourceUnavailable(f"Crossref: {_reason(exc)}") from None
            if response.status_code == 404:
                return None
            if response.status_code in _RETRY_STATUSES and attempt < endpoints.retries:
                time.sleep(min(2.0**attempt, 8.0))
                continue
            if response.status_code != 200:
                raise SourceUnavailable(f"Crossref: HTTP {response.status_code}")
            try:
                return response.json()["message"]
            except (ValueError, KeyError):
                raise SourceUnavailable("Crossref: the answer is not a work record") from None
    raise SourceUnavailable("Crossref: no answer")  # pragma: no cover - loop always returns


def _person(author: dict) -> str:
    if "family" in author:
        return clean(f"{author.get('given', '')} {author['family']}")
    return clean(author.get("name", ""))


def _crossref_year(work: dict) -> int | None:
    for key in ("published-print", "published-online", "published", "issued", "created"):
        parts = (work.get(key) or {}).get("date-parts") or [[None]]
        if parts[0] and parts[0][0]:
            return int(parts[0][0])
    return None


def crossref_venue(work: dict) -> str | None:
    """The short container title when Crossref has one (a journal's abbreviation, a
    proceedings' acronym), else the full one, with the year when it does not say it."""
    names = work.get("short-container-title") or work.get("container-title") or []
    event = (work.get("event") or {}).get("acronym")
    name = clean(event or (names[0] if names else ""))
    if not name:
        return None
    year = _crossref_year(work)
    return name if year is None or str(year) in name else f"{name} {year}"


def fetch_crossref(doi: str, endpoints: Endpoints) -> Record:
    work = _crossref_get(doi, endpoints)
    if work is None:
        raise NotFound(f"Crossref does not know doi:{doi}")
    year = _crossref_year(work)
    titles = work.get("title") or []
    if not titles or year is None:
        raise SourceUnavailable(f"Crossref: the record of doi:{doi} has no title or date")
    return Record(
        title=clean(re.sub(r"<[^>]+>", "", titles[0])),  # JATS tags (<i>) inside titles
        authors=[name for name in map(_person, work.get("author") or []) if name],
        year=year,
        doi=clean(work.get("DOI") or doi),
        venue=crossref_venue(work),
        url=f"https://doi.org/{work.get('DOI') or doi}",
        sources=[crossref_record_address(doi)],
    )


# --- One paper, from a reference ---------------------------------------------------------------


def parse_reference(reference: str) -> tuple[str, str]:
    """``arxiv:2305.18290`` -> (``arxiv``, ``2305.18290``); ``doi:10.1/x`` -> (``doi``, ...).

    An arXiv DOI (``10.48550/arXiv.2305.18290``) is read as its arXiv id."""
    scheme, colon, value = reference.strip().partition(":")
    scheme, value = scheme.lower(), value.strip()
    if not colon or scheme not in ("arxiv", "doi") or not value:
        raise ValueError(f"{reference!r}: expected arxiv:ID or doi:DOI (e.g. arxiv:2305.18290)")
    if scheme == "doi":
        value = re.sub(r"^https?://(?:dx\.)?doi\.org/", "", value, flags=re.I)
        if value.lower().startswith(ARXIV_DOI_PREFIX):
            return "arxiv", value[len(ARXIV_DOI_PREFIX) :]
        if not DOI_RE.match(value):
            raise ValueError(f"{value!r} is not a DOI (expected like 10.18653/v1/2023.acl-long.1)")
        return "doi", value
    value = without_version(re.sub(r"^arxiv:", "", value, flags=re.I))
    if not is_arxiv(value):
        raise ValueError(f"{value!r} is not an arXiv id (expected like 2305.18290)")
    return "arxiv", value


def lookup(reference: str, endpoints: Endpoints) -> Record:
    """The record of one paper: arXiv's, completed by Crossref when arXiv names a journal DOI;
    or Crossref's alone for a DOI that is not arXiv's."""
    scheme, value = parse_reference(reference)
    if scheme == "doi":
        return fetch_crossref(value, endpoints)
    record = fetch_arxiv([value], endpoints).get(value)
    if record is None:
        raise NotFound(f"the arXiv API does not know arxiv:{value}")
    if record.doi:
        try:
            published = fetch_crossref(record.doi, endpoints)
        except NotFound:
            return record
        return Record(
            **{
                **record.__dict__,
                "venue": record.venue or published.venue,  # authors write the short form
                "sources": record.sources + published.sources,
            }
        )
    return record
