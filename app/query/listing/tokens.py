"""``_next`` keyset tokens and the list's URLs."""

from __future__ import annotations

import base64
import binascii
import json
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from app.errors import InvalidQuery
from app.query.listing.grammar import problem


def encode_token(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, sort: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        data = None
    if not _well_formed(data, sort):
        raise InvalidQuery(
            "invalid _next token",
            [
                problem(
                    "_next", "use the next_url of the previous page unchanged (and the same _sort)"
                )
            ],
        )
    return data


MAX_OFFSET = 10**9


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _well_formed(data: Any, sort: str) -> bool:
    """Every field of a token checked against what :func:`list_papers` writes for ``sort``:
    a bounded offset for relevance, else a [key, paper id] pair whose key has the sort
    column's type (a year, or text)."""
    if not isinstance(data, dict) or data.get("s") != sort:
        return False
    if sort == "relevance":
        return _is_int(data.get("o")) and 0 <= data["o"] <= MAX_OFFSET
    key = data.get("k")
    if not (isinstance(key, list) and len(key) == 2 and isinstance(key[1], str)):
        return False
    if sort in ("year", "-year"):
        return _is_int(key[0]) and -(10**6) < key[0] < 10**6
    return isinstance(key[0], str)


@lru_cache(maxsize=8192)
def _pair(key: str, value: str) -> str:
    # A list with facets builds hundreds of URLs from the same few pairs: encode each once.
    return f"{quote_plus(key)}={quote_plus(value)}"


def list_url(base_path: str, pairs: list[tuple[str, str]]) -> str:
    """``base_path`` with ``pairs`` as its query string (what ``urlencode`` would give)."""
    return f"{base_path}?{'&'.join(_pair(k, v) for k, v in pairs)}" if pairs else base_path
