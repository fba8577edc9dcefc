"""Hardening (issue 17): no request stalls the others, every error is a clean answer with the
headers every answer carries, an oversized body gets a 413 the client reads, links never come
from the Host header, and repeated single-valued parameters are refused."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.contract.validate import load_taxonomy
from app.contract.yamlio import MAX_DEPTH, parse_yaml
from app.main import create_app
from app.web.security import CSP, MAX_BODY_BYTES
from tests.conftest import GOOD, LiveServer

SECURITY = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


# --- slow work never holds the event loop ---


def test_a_slow_search_does_not_hold_other_requests(settings, monkeypatch) -> None:
    """A search that cannot finish until released; /api/v1/meta must answer meanwhile."""
    from app.web.api import papers as api_papers

    entered, release = threading.Event(), threading.Event()
    real_search = api_papers.text_search.search

    def stuck_search(**kwargs):
        entered.set()
        release.wait(20)
        return real_search(**kwargs)

    monkeypatch.setattr(api_papers.text_search, "search", stuck_search)
    with LiveServer(settings) as server:
        slow: dict[str, int] = {}

        def search() -> None:
            slow["status"] = httpx.get(
                f"{server.url}/api/v1/search?q=reward", timeout=30
            ).status_code

        worker = threading.Thread(target=search)
        worker.start()
        try:
            assert entered.wait(10), "the search never started"
            meta = httpx.get(f"{server.url}/api/v1/meta", timeout=5)
            assert meta.status_code == 200
            assert not release.is_set() and worker.is_alive()  # the search is still running
        finally:
            release.set()
            worker.join(30)
        assert slow["status"] == 200


# --- errors carry the headers of every answer ---


@pytest.fixture(scope="module")
def faulty_server(settings: Settings):
    app = create_app(settings)

    def boom() -> None:
        raise RuntimeError("injected fault")

    app.add_api_route("/api/v1/boom", boom)
    app.add_api_route("/boom", boom)
    with LiveServer(settings, app=app) as server:
        yield server


@pytest.mark.parametrize("path", ["/api/v1/boom", "/boom"])
def test_a_500_carries_security_headers_and_cors(faulty_server, path) -> None:
    response = httpx.get(f"{faulty_server.url}{path}", timeout=10)
    assert response.status_code == 500
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, name
    assert response.headers["cache-control"] == "no-store"
    if path.startswith("/api/"):
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.json() == {
            "error": {"status": 500, "message": "internal error", "details": []}
        }


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"params": {"q": "x" * 5000}}, 400),  # the middleware's query-string limit
        ({"content": b"{}", "headers": {"content-length": str(MAX_BODY_BYTES + 1)}}, 413),
    ],
    ids=["400", "413"],
)
def test_middleware_refusals_carry_cors_and_security_headers(client, request_kwargs, status):
    method = "POST" if status == 413 else "GET"
    url = "/api/v1/losses/dpo" if status == 413 else "/api/v1/search"
    if status == 413:
        # httpx would correct a false Content-Length: send the headers over a raw socket.
        response = _raw(client, f"{method} {url}", b"", request_kwargs["headers"])
    else:
        response = client.request(method, url, **request_kwargs)
    assert response.status_code == status
    assert response.headers["access-control-allow-origin"] == "*"
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, name


# --- a 413 the client actually reads ---


def _raw(client: httpx.Client, request_line: str, body: bytes, headers: dict[str, str]):
    """Send the request line, headers and the whole body (no waiting for 100 Continue), then
    read the answer; a reset instead of an answer fails the test."""
    host, port = str(client.base_url.host), client.base_url.port
    head = f"{request_line} HTTP/1.1\r\nHost: {host}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    with socket.create_connection((host, port), timeout=20) as sock:
        # As urllib and most clients do: the whole request first, then read the answer. A server
        # that answers and closes while the body is still arriving resets the connection here.
        sock.sendall(head.encode() + b"\r\n" + body)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
            if _complete(b"".join(chunks)):
                break
    raw = b"".join(chunks)
    status_line, _, rest = raw.partition(b"\r\n")
    header_block, _, content = rest.partition(b"\r\n\r\n")
    parsed = dict(
        (k.strip().lower(), v.strip())
        for k, _, v in (line.decode().partition(":") for line in header_block.split(b"\r\n"))
    )
    return httpx.Response(int(status_line.split()[1]), headers=parsed, content=content)


def _complete(raw: bytes) -> bool:
    head, _, content = raw.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(content) >= int(line.split(b":")[1])
    return False


@pytest.mark.parametrize("size", [3 * 2**20, 4 * 2**20])
@pytest.mark.parametrize("attempt", range(5))
def test_oversized_body_sent_at_once_gets_the_413(client, size, attempt) -> None:
    body = b'{"inputs": {"x": [' + b"1," * (size // 2) + b"1]}}"
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    response = _raw(client, "POST /api/v1/losses/dpo", body, headers)
    assert response.status_code == 413
    assert (
        response.json()["error"]["message"] == f"request body is larger than {MAX_BODY_BYTES} bytes"
    )


def test_oversized_chunked_body_gets_the_413(client) -> None:
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(48)) + b"0\r\n\r\n"
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    response = _raw(client, "POST /api/v1/losses/dpo", body, headers)
    assert response.status_code == 413
    assert response.json()["error"]["status"] == 413


# --- links never come from the Host header ---

EVIL = {"host": "evil.example"}


def test_trailing_slash_redirect_does_not_use_the_host_header(client) -> None:
    response = client.get("/api/v1/meta/", headers=EVIL)
    assert response.status_code in (301, 307, 308)
    assert response.headers["location"] == "/api/v1/meta"


def test_next_link_header_does_not_use_the_host_header(client) -> None:
    response = client.get("/api/v1/papers", params={"_size": 1}, headers=EVIL)
    assert response.status_code == 200
    assert "evil" not in response.headers["link"]
    assert response.headers["link"].startswith("</api/v1/papers?")


@pytest.mark.parametrize("path", ["/losses/dpo", "/", "/papers"])
def test_pages_do_not_use_the_host_header(client, path) -> None:
    response = client.get(path, headers=EVIL)
    assert response.status_code == 200
    assert "evil.example" not in response.text


def test_configured_public_url_makes_absolute_links(fixture_db) -> None:
    settings = Settings(
        data_dir=GOOD, db=fixture_db, database_url=None, public_url="https://atlas.example.org"
    )
    with LiveServer(settings) as server:
        link = httpx.get(f"{server.url}/api/v1/papers?_size=1", headers=EVIL).headers["link"]
    assert link.startswith("<https://atlas.example.org/api/v1/papers?")


# --- one rule for repeated parameters ---


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/search?q=reward&q=model",
        "/api/v1/search?q=reward&limit=1&limit=2",
        "/api/v1/matrix?rows=expression&rows=granularity&cols=optimization",
        "/api/v1/graph?depth=1&depth=2",
        "/api/v1/graph/path?from=a&from=b&to=c",
    ],
)
def test_a_single_valued_parameter_given_twice_is_400(client, query) -> None:
    response = client.get(query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400 and "more than once" in error["message"]


def test_list_parameters_may_repeat(client) -> None:
    response = client.get("/api/v1/compare?papers=rafailov2023-dpo&papers=schulman2017-ppo")
    assert response.status_code == 200


# --- data files: symlinks and nesting ---


def test_loader_refuses_a_symlinked_data_file(tmp_path: Path) -> None:
    import shutil

    tree = shutil.copytree(GOOD, tmp_path / "taxonomy")
    outside = tmp_path / "outside.yaml"
    paper = tree / "papers" / "rafailov2023-dpo.yaml"
    outside.write_bytes(paper.read_bytes())
    paper.unlink()
    paper.symlink_to(outside)
    taxonomy, problems = load_taxonomy(tree)
    assert taxonomy is None
    assert [p.message for p in problems if p.path == paper] == [
        "is a symbolic link; data files must be regular files inside the tree "
        "(copy the file here instead)"
    ]


def test_loader_refuses_a_symlinked_data_folder(tmp_path: Path) -> None:
    import shutil

    tree = shutil.copytree(GOOD, tmp_path / "taxonomy")
    shutil.move(tree / "papers", tmp_path / "elsewhere")
    (tree / "papers").symlink_to(tmp_path / "elsewhere")
    _, problems = load_taxonomy(tree)
    assert any("symbolic link" in p.message and p.path == tree / "papers" for p in problems)


def test_nesting_rule_holds_on_the_fast_parse_path() -> None:
    deep = b"notes: " + b"[" * (MAX_DEPTH + 5) + b"1" + b"]" * (MAX_DEPTH + 5) + b"\n"
    parsed = parse_yaml(deep)
    assert (1, "yaml", f"nesting deeper than {MAX_DEPTH} levels") in parsed.problems
    shallow = b"notes: " + b"[" * 10 + b"1" + b"]" * 10 + b"\n"
    assert parse_yaml(shallow).problems == []


def test_paper_list_response_names_every_sort_the_list_accepts() -> None:
    from typing import get_args

    from app.query.listing.grammar import SORTS
    from app.web.api.models import PaperList

    assert get_args(PaperList.model_fields["sort"].annotation) == SORTS


def test_an_unknown_loss_is_a_404_before_its_body_is_checked(client):
    for path in ("/api/v1/losses/no-such-loss", "/api/v1/losses/no-such-loss/sweep"):
        response = client.post(path, json={"inputs": 5})
        assert response.status_code == 404, path
        assert response.json()["error"]["status"] == 404


def test_a_static_file_has_one_url(client):
    assert client.get("/static/css/site.css").status_code == 200
    response = client.get("/static/css/site.css/")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404
