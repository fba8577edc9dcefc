"""HTTP behaviour shared by every /api/ route: strong ETag from the data version with 304,
Cache-Control, CORS (including preflight), HEAD; and /docs, /redoc working with no internet."""

from __future__ import annotations

import re

import pytest

URLS = [
    "/api/v1/meta",
    "/api/v1/papers?expression=implicit&_facet=granularity",
    "/api/v1/papers/rafailov2023-dpo",
    "/api/v1/papers/rafailov2023-dpo/bibtex",
    "/api/v1/export/csv",
    "/api/v1/graph",
]


@pytest.mark.parametrize("url", URLS)
def test_strong_etag_and_304(client, url):
    first = client.get(url)
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[^"]+"', etag)  # strong: no W/ prefix
    version = client.get("/api/v1/meta").json()["data_version"]
    assert version in etag
    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["access-control-allow-origin"] == "*"
    listed = client.get(url, headers={"if-none-match": f'"other", W/{etag}'})
    assert listed.status_code == 304  # weak comparison, as If-None-Match specifies


def test_stale_etag_gets_the_full_response(client):
    response = client.get("/api/v1/meta", headers={"if-none-match": '"stale"'})
    assert response.status_code == 200
    assert response.json()["counts"]["papers"] == 11


def test_cache_control(client):
    assert client.get("/api/v1/meta").headers["cache-control"] == "public, max-age=300"
    assert client.get("/api/v1/papers/nope").headers["cache-control"] == "no-store"
    assert client.get("/api/v1/papers?colour=1").headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "url",
    [*URLS, "/api/v1/papers/nope", "/api/v1/papers?colour=1", "/api/v1/papers/arxiv:2305.18290"],
)
def test_cors_on_every_api_response(client, url):
    response = client.get(url, headers={"origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "ETag" in response.headers["access-control-expose-headers"]
    assert "Link" in response.headers["access-control-expose-headers"]


def test_cors_preflight(client):
    response = client.options(
        "/api/v1/papers",
        headers={
            "origin": "https://example.org",
            "access-control-request-method": "GET",
            "access-control-request-headers": "if-none-match",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "if-none-match"


def test_no_cors_or_etag_outside_the_api(client):
    response = client.get("/docs")
    assert "access-control-allow-origin" not in response.headers
    assert "etag" not in response.headers


def test_head_has_headers_and_no_body(client):
    get = client.get("/api/v1/meta")
    head = client.head("/api/v1/meta")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == str(len(get.content))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_reference_pages_work_offline(client, page):
    html = client.get(page).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page loads its viewer from somewhere"
    for asset in assets:
        assert asset.startswith("/static/"), asset  # served by the app, never a CDN
        assert client.get(asset).status_code == 200
    assert any(a.startswith("/static/vendor/") for a in assets)
    assert "https://" not in html and "http://" not in html
    assert client.get("/openapi.json").status_code == 200


def test_vendored_viewers_have_licenses_and_pins(settings):
    for name in ("swagger-ui", "redoc"):
        folder = settings.static_dir / "vendor" / name
        assert (folder / "LICENSE").read_text().strip()
        assert re.fullmatch(r"\d+\.\d+\.\d+", (folder / "VERSION").read_text().strip())
