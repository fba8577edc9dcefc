"""Security headers on every response and the request limits, over real HTTP (issue 9)."""

from __future__ import annotations

import httpx
import pytest

from app.web.security import MAX_BODY_BYTES, MAX_PARAMS, MAX_QUERY_BYTES, MAX_VALUE_BYTES

CSP_PARTS = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]
PATHS = [
    "/",
    "/papers",
    "/losses/dpo",
    "/docs",
    "/api/v1/meta",
    "/api/v1/papers",
    "/openapi.json",
    "/static/css/site.css",
    "/no-such-page",
    "/api/v1/papers/no-such-paper",
]


def _directives(csp: str) -> list[str]:
    return [part.strip() for part in csp.split(";")]


def _assert_error_shape(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    error = response.json()["error"]
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)


@pytest.mark.parametrize("path", PATHS)
def test_every_response_has_security_headers(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    for part in CSP_PARTS:
        assert part in _directives(csp), part
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("same-origin", "no-referrer")


def test_redoc_relaxes_styles_only(client: httpx.Client) -> None:
    directives = _directives(client.get("/redoc").headers["content-security-policy"])
    assert "script-src 'self'" in directives
    assert "frame-ancestors 'none'" in directives
    assert "style-src 'self' 'unsafe-inline'" in directives


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_have_no_inline_script(client: httpx.Client, path: str) -> None:
    html = client.get(path).text
    assert "<style" not in html
    for chunk in html.split("<script")[1:]:
        assert chunk.lstrip().startswith("src="), chunk[:80]


def test_swagger_init_script_is_served(client: httpx.Client) -> None:
    response = client.get("/static/js/swagger-init.js")
    assert response.status_code == 200
    assert "/openapi.json" in response.text


def test_post_over_one_mib_is_413(client: httpx.Client) -> None:
    body = b'{"inputs": {"x": [' + b"1," * (MAX_BODY_BYTES // 2) + b"1]}}"
    response = client.post(
        "/api/v1/losses/dpo", content=body, headers={"content-type": "application/json"}
    )
    _assert_error_shape(response, 413)


def test_chunked_post_over_one_mib_is_413(client: httpx.Client) -> None:
    def chunks():
        yield b'{"inputs": {"x": ['
        for _ in range(300):
            yield b"1," * 2048
        yield b"1]}}"

    response = client.post(
        "/api/v1/losses/dpo", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    _assert_error_shape(response, 413)


def test_form_post_over_one_mib_is_413(client: httpx.Client) -> None:
    response = client.post("/losses/dpo", data={"beta": "0.1" + " " * MAX_BODY_BYTES})
    assert response.status_code == 413


def test_post_just_under_the_limit_is_not_413(client: httpx.Client) -> None:
    body = b'{"inputs": {}, "params": {}, "pad": "' + b"x" * (MAX_BODY_BYTES - 100) + b'"}'
    response = client.post(
        "/api/v1/losses/dpo", content=body, headers={"content-type": "application/json"}
    )
    assert len(body) <= MAX_BODY_BYTES
    _assert_error_shape(response, 422)


def test_too_many_query_parameters_is_400(client: httpx.Client) -> None:
    params = [("venue", str(i)) for i in range(MAX_PARAMS + 1)]
    _assert_error_shape(client.get("/api/v1/papers", params=params), 400)


def test_exactly_max_query_parameters_is_allowed(client: httpx.Client) -> None:
    params = [("venue", str(i)) for i in range(MAX_PARAMS)]
    assert client.get("/api/v1/papers", params=params).status_code == 200


def test_query_string_over_4_kib_is_400(client: httpx.Client) -> None:
    # Every value is under the per-value limit and the parameter is one /search accepts, so
    # only the whole-query-string limit can refuse this request.
    params = [("q", "v" * 900) for _ in range(5)]
    assert len(str(httpx.QueryParams(params))) > MAX_QUERY_BYTES
    response = client.get("/search", params=params, headers={"accept": "application/json"})
    _assert_error_shape(response, 400)
    assert response.json()["error"]["message"] == (
        f"query string is longer than {MAX_QUERY_BYTES} bytes"
    )


def test_query_value_over_1_kib_is_400(client: httpx.Client) -> None:
    _assert_error_shape(client.get("/search", params={"q": "a" * (MAX_VALUE_BYTES + 1)}), 400)


def test_query_value_of_1_kib_is_allowed(client: httpx.Client) -> None:
    assert client.get("/api/v1/search", params={"q": "a" * MAX_VALUE_BYTES}).status_code == 200


@pytest.mark.parametrize("path", ["/", "/papers", "/taxonomy", "/losses"])
def test_head_works_wherever_get_does(client: httpx.Client, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_if_none_match_star_does_not_invent_a_resource(client: httpx.Client) -> None:
    for path in ("/api/v1/papers/no-such-paper", "/papers/no-such-paper"):
        assert client.get(path, headers={"if-none-match": "*"}).status_code == 404


def test_loss_api_refuses_unknown_parameters_like_every_route(client: httpx.Client) -> None:
    response = client.get("/api/v1/losses", params={"evil": "1"})
    _assert_error_shape(response, 400)
    assert response.json()["error"]["details"][0]["parameter"] == "evil"
