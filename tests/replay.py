"""A local HTTP server that answers like the arXiv API and Crossref's REST API from recorded
answers in ``tests/fixtures/metadata/`` (see the README there), so the metadata tools are tested
over real HTTP without the network.

- ``GET /arxiv?id_list=a,b`` answers the recorded feed of a single id byte for byte; for several
  ids it puts each id's recorded ``<entry>`` into one feed, as the API does; an id with no
  recording gets the API's empty feed (its not-found answer).
- ``GET /crossref/works/<doi>`` answers the recorded JSON, or Crossref's 404.
- ``fail_next`` makes the next N requests answer 503 (to test retries).
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

from tests.conftest import FIXTURES

RECORDED = FIXTURES / "metadata"
_ENTRY = re.compile(r"  <entry>\n.*?  </entry>\n", re.DOTALL)


def _feed(ids: list[str]) -> bytes:
    template = (RECORDED / "arxiv" / "2312.99999.xml").read_text()  # the empty answer
    if len(ids) == 1 and (RECORDED / "arxiv" / f"{ids[0]}.xml").exists():
        return (RECORDED / "arxiv" / f"{ids[0]}.xml").read_bytes()
    entries = [
        m[0]
        for i in ids
        if (RECORDED / "arxiv" / f"{i}.xml").exists()
        for m in _ENTRY.finditer((RECORDED / "arxiv" / f"{i}.xml").read_text())
    ]
    text = template.replace("2312.99999", ",".join(ids))
    text = re.sub(
        r"<opensearch:totalResults>\d+<", f"<opensearch:totalResults>{len(entries)}<", text
    )
    return text.replace("</feed>", "".join(entries) + "</feed>").encode()


class ReplayServer:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.fail_next = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                server.requests.append(self.path)
                if server.fail_next > 0:
                    server.fail_next -= 1
                    return self._send(503, b"busy", "text/plain")
                url = urlparse(self.path)
                if url.path == "/arxiv":
                    ids = parse_qs(url.query).get("id_list", [""])[0].split(",")
                    return self._send(200, _feed(ids), "application/atom+xml; charset=utf-8")
                if url.path.startswith("/crossref/works/"):
                    doi = unquote(url.path.removeprefix("/crossref/works/"))
                    path = RECORDED / "crossref" / (doi.replace("/", "_") + ".json")
                    if path.exists():
                        return self._send(200, path.read_bytes(), "application/json")
                    return self._send(404, b"Resource not found.", "text/plain")
                return self._send(404, b"not here", "text/plain")

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def env(self) -> dict[str, str]:
        """The settings that point the CLI at this server."""
        return {
            "REWARD_ATLAS_ARXIV_API": f"{self.base}/arxiv",
            "REWARD_ATLAS_CROSSREF_API": f"{self.base}/crossref",
        }

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def recorded_ids() -> list[str]:
    return sorted(p.stem for p in (RECORDED / "arxiv").glob("*.xml"))
