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
    ok = (
        isinstance(data, dict)
        and data.get("s") == sort
        and (
            isinstance(data.get("o"), int)
            if sort == "relevance"
            else isinstance(data.get("k"), list) and len(data["k"]) == 2
        )
    )
    if not ok:
        raise InvalidQuery(
            "invalid _next token",
            [
                problem(
                    "_next", "use the next_url of the previous page unchanged (and the same _sort)"
                )
            ],
        )
    return data


@lru_cache(maxsize=8192)
def _pair(key: str, value: str) -> str:
    # A list with facets builds hundreds of URLs from the same few pairs: encode each once.
    return f"{quote_plus(key)}={quote_plus(value)}"


def list_url(base_path: str, pairs: list[tuple[str, str]]) -> str:
    """``base_path`` with ``pairs`` as its query string (what ``urlencode`` would give)."""
    return f"{base_path}?{'&'.join(_pair(k, v) for k, v in pairs)}" if pairs else base_path
