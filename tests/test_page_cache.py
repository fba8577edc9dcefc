"""The cache of whole HTML pages (app.web.caching.cached_page): a 200 is kept and served again with
the data's ETag, a matching If-None-Match gets a 304, and errors and redirects are never kept."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.main import create_app

HTML = {"accept": "text/html"}


class Client:
    """A fresh app (so a fresh cache) over ASGI, with its lifespan run."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.loop = asyncio.new_event_loop()
        self.lifespan = self.app.router.lifespan_context(self.app)
        self.loop.run_until_complete(self.lifespan.__aenter__())
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://127.0.0.1"
        )

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.http.get(path, **kwargs))

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.run_until_complete(self.lifespan.__aexit__(None, None, None))
        self.loop.close()


@pytest.fixture()
def client(settings: Settings) -> Iterator[Client]:
    c = Client(settings)
    yield c
    c.close()


def _kept(client: Client) -> int:
    return len(getattr(client.app.state, "page_cache", None) or [])


@pytest.mark.parametrize(
    "path", ["/", "/papers", "/papers?year=2023", "/taxonomy", "/papers/rafailov2023-dpo"]
)
def test_page_second_get_is_served_from_the_cache(client: Client, path: str) -> None:
    first = client.get(path, headers=HTML)
    kept = _kept(client)
    second = client.get(path, headers=HTML)
    assert first.status_code == second.status_code == 200
    assert kept == _kept(client) == 1
    assert second.text == first.text
    assert second.headers["content-type"] == "text/html; charset=utf-8"
    assert second.headers["etag"] == first.headers["etag"]
    assert "content-security-policy" in second.headers


def test_page_query_string_is_part_of_the_key(client: Client) -> None:
    every = client.get("/papers", headers=HTML).text
    some = client.get("/papers?year=2023", headers=HTML).text
    assert every != some
    assert _kept(client) == 2


def test_page_with_matching_if_none_match_is_304(client: Client) -> None:
    etag = client.get("/taxonomy", headers=HTML).headers["etag"]
    again = client.get("/taxonomy", headers={**HTML, "if-none-match": f"W/{etag}"})
    assert again.status_code == 304
    assert again.headers["etag"] == etag
    assert again.content == b""


@pytest.mark.parametrize("path", ["/papers/no-such-paper", "/papers?_sort=sideways"])
def test_page_error_is_html_whatever_the_accept_and_not_cached(client: Client, path: str) -> None:
    html = client.get(path, headers=HTML)
    no_accept = client.get(path)
    as_json = client.get(path, headers={"accept": "application/json"})
    assert html.status_code == no_accept.status_code == as_json.status_code >= 400
    for response in (html, no_accept, as_json):
        assert response.headers["content-type"].startswith("text/html")
    assert _kept(client) == 0


def test_page_redirect_is_not_cached(client: Client) -> None:
    response = client.get("/papers/arxiv:2305.18290", headers=HTML, follow_redirects=False)
    assert response.status_code in (301, 404)
    assert _kept(client) == 0
