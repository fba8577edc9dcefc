"""Where each site URL lives in the exported tree, and how a page links to it there.

A URL maps to one file whatever page links to it: ``/taxonomy`` is ``taxonomy/index.html``,
``/api/v1/papers/x`` is ``api/v1/papers/x.json``, and a query string becomes a readable, reversible
file name (``/papers?year=2023`` -> ``papers/year=2023/index.html``) so a static server needs
no query support. Links are written relative to the page (works in any folder, even from disk),
or rooted at the path of ``--base-url`` (directory URLs, for a web server under a sub-path).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlsplit

# A query becomes one path segment: safe characters stay, every other byte is ~XX. ``~`` is
# escaped itself, so the mapping is one-to-one.
_SAFE = re.compile(r"[A-Za-z0-9._,=&-]")
_MAX_SEGMENT = 160
_SEGMENT = re.compile(r"^[A-Za-z0-9._:@+-]+$")  # path segments the tree accepts as they are

# Media types of non-page answers, by the extension a static server serves them with.
_EXTENSIONS = {
    "application/json": ".json",
    "application/vnd.citationstyles.csl+json": ".json",
    "application/x-ndjson": ".jsonl",
    "application/graphml+xml": ".graphml",
    "text/x-bibtex": ".bib",
    "text/csv": ".csv",
    "text/plain": ".txt",
}


def query_segment(query: str) -> str:
    """A query string as one file-name segment, pairs sorted by key (values keep their order),
    so a form and a link that ask the same thing in another order share a file.

    >>> query_segment("rows=a&cols=b c")
    'cols=b~20c&rows=a'
    """
    pairs = parse_qsl(query, keep_blank_values=True)
    pairs.sort(key=lambda kv: kv[0])
    text = "&".join(f"{k}={v}" for k, v in pairs)
    out = "".join(
        ch if _SAFE.fullmatch(ch) else "".join(f"~{b:02X}" for b in ch.encode()) for ch in text
    )
    if len(out) > _MAX_SEGMENT or out in ("", ".", ".."):
        out = "q-" + hashlib.sha256(text.encode()).hexdigest()[:20]
    return out


def split(url: str) -> tuple[str, str]:
    """``(path, query)`` of a site URL, the path percent-decoded."""
    parts = urlsplit(url)
    return unquote(parts.path) or "/", parts.query


@lru_cache(maxsize=65536)
def key(url: str) -> str:
    """What identifies a URL in the copy: its path and its query in file-name form, so two
    links that ask the same thing in another order are one page."""
    path, query = split(url)
    return f"{path}?{query_segment(query)}" if query else path


def file_for(url: str, media_type: str) -> str | None:
    """The tree path of ``url`` answered with ``media_type``, or None when the path cannot be
    a file name (it holds ``..``, an empty segment, or characters no id has)."""
    path, query = split(url)
    segments = [s for s in path.split("/") if s]
    if any(not _SEGMENT.match(s) or s in (".", "..") for s in segments):
        return None
    base = media_type.split(";")[0].strip().lower()
    last = segments[-1] if segments else ""
    if base == "text/html":
        parts = [*segments, query_segment(query)] if query else segments
        return "/".join([*parts, "index.html"])
    if "." in last and not query:
        return "/".join(segments)  # a file already: /static/css/site.css, /openapi.json
    ext = _EXTENSIONS.get(base, ".bin")
    if query:
        return "/".join([*segments, query_segment(query)]) + ext
    if not segments:
        return None
    return "/".join(segments) + ext


def link(target: str, *, page: str, base_path: str | None, fragment: str = "") -> str:
    """How the page at tree path ``page`` links to tree path ``target``."""
    tail = f"#{fragment}" if fragment else ""
    if base_path is not None:
        rooted = target[: -len("index.html")] if target.endswith("index.html") else target
        return f"{base_path}{rooted}{tail}"
    rel = posixpath.relpath(target, posixpath.dirname(page) or ".")
    return f"{rel}{tail}"


def root_of(page: str, base_path: str | None) -> str:
    """The site root as the page at ``page`` reaches it (``../../`` or the base path)."""
    if base_path is not None:
        return base_path
    depth = page.count("/")
    return "../" * depth or "./"
