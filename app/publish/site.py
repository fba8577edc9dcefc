"""The static export: the running app asked in-process for every URL the copy holds, each
answer written to its file with its links rewritten, then the search index and the manifest.

Nothing here renders: pages, JSON and downloads are the app's own answers, byte for byte,
except that a page's site links point at files and its ``<head>`` gains the static-site script.
"""

from __future__ import annotations

import asyncio
import html
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from starlette.requests import Request

from app.losses.registry import LOSSES
from app.publish import crawl, links, paths
from app.publish.searchindex import Record, build_index
from app.query.listing.snapshot import snapshot

OFFLINE_URL = "/static-copy"  # the page that says which views need the live server
OFFLINE_MESSAGE = (
    "This view is not in the static copy of the atlas: it combines filters, or computes with "
    "your own numbers, and that needs the live server."
)
STATIC_SCRIPT = "/static/js/static-site.js"


@dataclass
class Answer:
    url: str
    file: str
    media_type: str
    body: bytes


@dataclass
class Crawl:
    answers: dict[str, Answer] = field(default_factory=dict)  # paths.key(URL) -> answer
    redirects: dict[str, str] = field(default_factory=dict)  # paths.key(URL) -> URL
    missing: dict[str, int] = field(default_factory=dict)  # linked but not 200: status
    by_file: dict[str, str] = field(default_factory=dict)  # tree path -> first URL
    seen: set[str] = field(default_factory=set)  # paths.key of every URL fetched
    links: dict[str, list[links.Link]] = field(default_factory=dict)  # of each page
    views: set[str] = field(default_factory=set)  # paths.key of the enumerated views
    seeds: set[str] = field(default_factory=set)  # paths.key of every seed

    def urls(self) -> dict[str, str]:
        """Tree path -> the site URL whose answer it holds."""
        return {a.file: a.url for a in self.answers.values()}


async def crawl_site(app: FastAPI, client: httpx.AsyncClient) -> Crawl:
    """Fetch every URL of the copy, following the pages' links (see :mod:`app.publish.crawl`)."""
    engine = app.state.live.current().engine  # the data the whole export is read from
    values = crawl.ids_by_param(engine, sorted(LOSSES))
    frontier = crawl.Frontier()
    for url in crawl.route_seeds(app.routes, values, app.openapi()):
        frontier.add(url, 0)
    views = crawl.view_seeds(values["dimension_id"])
    for url in views:
        frontier.add(url, 0)
    found = Crawl(views={paths.key(u) for u in views}, seeds=set(frontier.steps))
    static_dir = app.state.settings.static_dir
    for path in sorted(p for p in static_dir.rglob("*") if p.is_file()):
        frontier.add("/static/" + path.relative_to(static_dir).as_posix(), 0)

    while batch := frontier.take(BATCH):
        # Fetched together, handled in queue order: the same files whatever finishes first.
        responses = await asyncio.gather(
            *(
                _get(client, url) if paths.key(url) not in found.seen else _none()
                for url, _ in batch
            )
        )
        for (url, steps), response in zip(batch, responses, strict=True):
            key = paths.key(url)
            if response is None:  # fetched before, now reached in fewer query steps
                _follow(found, frontier, url, steps)
                continue
            found.seen.add(key)
            _handle(found, frontier, url, steps, response)
    return found


BATCH = 8


async def _get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    return await client.get(url)


async def _none() -> None:
    return None


def _handle(
    found: Crawl, frontier: crawl.Frontier, url: str, steps: int, response: httpx.Response
) -> None:
    key = paths.key(url)
    if response.is_redirect:
        target = links.internal(response.headers["location"], url)
        if target is not None:
            found.redirects[key] = target[0]
            frontier.add(target[0], steps)
        return
    if response.status_code != 200:
        if key not in found.seeds:  # a seed may need a query (/api/v1/search): only links count
            found.missing[url] = response.status_code
        return
    media_type = response.headers.get("content-type", "application/octet-stream")
    attachment = "attachment" in response.headers.get("content-disposition", "")
    if attachment and "?" in url:
        return  # a filtered download: the live server makes it on demand
    file = paths.file_for(url, media_type)
    if file is None or file in found.by_file:
        return
    found.by_file[file] = url
    found.answers[key] = Answer(url, file, media_type, response.content)
    if media_type.startswith("text/html"):
        found.links[key] = links.collect(response.text, url)
        _follow(found, frontier, url, steps)


def _follow(found: Crawl, frontier: crawl.Frontier, url: str, steps: int) -> None:
    key = paths.key(url)
    view = key in found.views
    for link in found.links.get(key, []):
        frontier.add(link.url, crawl.link_steps(link, url, steps, view=view))


def offline_page(app: FastAPI) -> bytes:
    """The page every link to a view outside the copy leads to, rendered by the site's own
    error template (the server has no such URL: it answers every view itself)."""
    from app.web.pages.routes import error_page

    scope = {
        "type": "http",
        "method": "GET",
        "path": OFFLINE_URL,
        "raw_path": OFFLINE_URL.encode(),
        "root_path": "",
        "scheme": "http",
        "server": (links.INTERNAL_HOST, 80),
        "headers": [(b"host", links.INTERNAL_HOST.encode())],
        "query_string": b"",
        "app": app,
        "router": app.router,
    }
    return bytes(error_page(Request(scope), 404, OFFLINE_MESSAGE).body)


def site_config(page: str, base_path: str | None, live_url: str | None, search: str) -> str:
    """The ``<head>`` lines every exported page gains: where the site root, the search page
    and the live server are, and the script that makes forms work without a server."""
    root = paths.root_of(page, base_path)
    config = {"root": root, "search": search, "offline": "static-copy/index.html"}
    if live_url:
        config["live"] = live_url
    meta = html.escape(json.dumps(config, sort_keys=True), quote=True)
    script = paths.link("static/js/static-site.js", page=page, base_path=base_path)
    return (
        f'<meta name="atlas-static" content="{meta}">\n'
        f'  <script src="{html.escape(script)}" defer></script>\n'
    )


def rewrite_pages(
    found: Crawl, offline: bytes, base_path: str | None, live_url: str | None
) -> dict[str, bytes]:
    """Every file of the copy: pages with their links pointing at files, the rest as is."""
    offline_file = "static-copy/index.html"
    found.answers[OFFLINE_URL] = Answer(
        OFFLINE_URL, offline_file, "text/html; charset=utf-8", offline
    )
    search = found.answers.get("/search")
    search_file = search.file if search else offline_file

    @lru_cache(maxsize=65536)
    def resolve(url: str) -> str | None:
        seen = 0
        while paths.key(url) in found.redirects and seen < 10:
            url, seen = found.redirects[paths.key(url)], seen + 1
        answer = found.answers.get(paths.key(url))
        return answer.file if answer else None

    files: dict[str, bytes] = {}
    for answer in found.answers.values():
        url = answer.url
        if not answer.media_type.startswith("text/html"):
            files[answer.file] = answer.body
            continue
        page = answer.file

        def target(site_url: str, fragment: str, page: str = page) -> str:
            file = resolve(site_url) or offline_file
            return paths.link(file, page=page, base_path=base_path, fragment=fragment)

        body = links.rewrite(answer.body.decode(), url, target).encode()
        head = site_config(page, base_path, live_url, search_file)
        files[page] = links.inject_head(body, head)
    return files


def search_records(found: Crawl) -> list[Record]:
    """One record per paper, category and dimension page, from their JSON twins."""
    records: list[Record] = []
    for url, answer in sorted(found.answers.items()):
        kind, _, ident = url.removeprefix("/api/v1/").partition("/")
        if (
            "/" in ident
            or "?" in ident
            or not ident
            or not answer.media_type.startswith("application/json")
        ):
            continue
        page = {"papers": "/papers/", "categories": "/categories/", "dimensions": "/dimensions/"}
        if kind not in page or (page[kind] + ident) not in found.answers:
            continue
        data: dict[str, Any] = orjson.loads(answer.body)
        href = "/" + found.answers[page[kind] + ident].file
        if kind == "papers":
            names = [n for n in [data.get("short_name"), *data.get("aliases", [])] if n]
            body = [
                ", ".join(data.get("authors", [])),
                " ".join(str(x) for x in (data.get("venue"), data.get("year")) if x),
                data.get("summary") or "",
            ]
            records.append(Record(href, data["title"], names, body))
        else:
            records.append(Record(href, data["name"], [], [data.get("description") or ""]))
    return records


async def export_files(
    app: FastAPI, *, base_path: str | None, live_url: str | None
) -> tuple[str, dict[str, bytes], Crawl]:
    """Run the app and return (data version, every file of the copy, what was crawled)."""
    async with app.router.lifespan_context(app):
        generation = app.state.live.current()
        version = generation.version
        with generation.engine.connect() as conn:
            synonyms = snapshot(conn).synonyms
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=links.ORIGIN) as client:
            found = await crawl_site(app, client)
        offline = offline_page(app)
    files = rewrite_pages(found, offline, base_path, live_url)
    files.update(await build_index(search_records(found), synonyms))
    return version, files, found
