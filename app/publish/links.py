"""Reading and rewriting the links of a rendered page.

Pages come from the site's own templates, whose attributes are always double-quoted (Jinja's
autoescape writes ``&amp;`` and ``&#34;`` inside them), so an attribute is ``name="value"``.
Links are read with the standard library's HTML parser (it also gives each link's ``rel``) and
rewritten in place by attribute, so every other byte of the page stays as the server wrote it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Attributes that hold a URL; ``data-*`` ones only when they look like a site path.
URL_ATTRS = ("href", "src", "action")
_ATTR = re.compile(r'(\s)(href|src|action|data-[a-z][a-z-]*)="([^"]*)"')
_HEAD_END = re.compile(rb"</head>", re.IGNORECASE)

INTERNAL_HOST = "atlas.export"
ORIGIN = f"http://{INTERNAL_HOST}"


@dataclass(frozen=True)
class Link:
    url: str  # absolute site URL: path and query, no fragment
    rel: frozenset[str]
    tag: str


def internal(raw: str, page_url: str) -> tuple[str, str] | None:
    """``(site URL, fragment)`` of an attribute value seen on ``page_url``, or None when it
    points outside the site (another host, ``mailto:``, ``data:``, a bare fragment)."""
    if not raw or raw.startswith("#"):
        return None
    if raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        # The common case, a root-relative link: no joining needed.
        url, _, fragment = raw.partition("#")
        return url, fragment
    full = urlsplit(urljoin(ORIGIN + page_url, raw))
    if full.scheme not in ("http", "https") or full.netloc != INTERNAL_HOST:
        return None
    url = full.path + (f"?{full.query}" if full.query else "")
    return url, full.fragment


class _Collector(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.links: list[Link] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        rel = frozenset((values.get("rel") or "").lower().split())
        for name, value in attrs:
            if value is None or not (name in URL_ATTRS or _is_data_url(name, value)):
                continue
            if tag == "form" and name == "action" and (values.get("method") or "get") != "get":
                continue  # a POST target is not a page to fetch
            found = internal(value, self.page_url)
            if found is not None:
                self.links.append(Link(found[0], rel, tag))


def _is_data_url(name: str, value: str) -> bool:
    return name.startswith("data-") and value.startswith("/") and not value.startswith("//")


def collect(body: str, page_url: str) -> list[Link]:
    """Every internal link of a page, in document order."""
    parser = _Collector(page_url)
    parser.feed(body)
    parser.close()
    return parser.links


def rewrite(body: str, page_url: str, target: Callable[[str, str], str | None]) -> str:
    """``body`` with each internal URL attribute replaced by ``target(site URL, fragment)``
    (None leaves the attribute as it was)."""

    def one(match: re.Match[str]) -> str:
        space, name, quoted = match.groups()
        raw = html.unescape(quoted)
        if name.startswith("data-") and not _is_data_url(name, raw):
            return match.group(0)
        found = internal(raw, page_url)
        if found is None:
            return match.group(0)
        new = target(*found)
        if new is None:
            return match.group(0)
        return f'{space}{name}="{html.escape(new, quote=True)}"'

    return _ATTR.sub(one, body)


def inject_head(body: bytes, snippet: str) -> bytes:
    """``snippet`` placed just before ``</head>``."""
    return _HEAD_END.sub(lambda m: snippet.encode() + m.group(0), body, count=1)
