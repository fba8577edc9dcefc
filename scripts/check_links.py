#!/usr/bin/env python3
"""Check every paper's ``url`` and ``code`` link and write a Markdown report of the broken ones.

Run weekly by .github/workflows/link-check.yml, which turns the report into an issue. It needs
the internet, so it is never part of ``make test`` or of the pull-request checks. Only the
standard library and PyYAML are used, so the job does not install the whole project.

    python scripts/check_links.py data/taxonomy --report link-report.md

Exit status is 0 unless --strict is given and a link is broken: a dead link is work for a
person, not a reason to fail a build. In GitHub Actions the number of broken links is also
written to the step output ``broken``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

FIELDS = ("url", "code")
TIMEOUT = 20
USER_AGENT = "reward-atlas-link-check/1 (+https://github.com; weekly, one request per link)"
# Answers that say "the page is gone"; others (429, 5xx, timeouts) may pass, so they are listed
# apart as "could not check".
GONE = {404, 410}


@dataclass(frozen=True)
class Link:
    paper: str
    field: str
    url: str
    file: str


@dataclass(frozen=True)
class Result:
    link: Link
    status: int | None  # HTTP status, None when no answer came
    detail: str

    @property
    def broken(self) -> bool:
        return self.status in GONE

    @property
    def unchecked(self) -> bool:
        return not self.broken and (self.status is None or self.status >= 400)


def collect_links(data_dir: Path) -> list[Link]:
    """Every url / code link of every paper file under ``data_dir``/papers, in file order."""
    links = []
    for path in sorted((Path(data_dir) / "papers").glob("*.y*ml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue  # the validator reports it; this job only looks at links
        if not isinstance(data, dict):
            continue
        for field in FIELDS:
            value = data.get(field)
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                links.append(Link(str(data.get("id", path.stem)), field, value, path.name))
    return links


def _request(url: str, method: str) -> int:
    headers = {"User-Agent": USER_AGENT}
    if method == "GET":
        headers["Range"] = "bytes=0-0"
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def check(link: Link) -> Result:
    """HEAD the link (redirects followed); fall back to a one-byte GET where HEAD is refused."""
    try:
        status = _request(link.url, "HEAD")
        if status in (403, 405, 429, 501) or status >= 500:
            status = _request(link.url, "GET")
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Result(link, None, str(reason))
    return Result(link, status, "ok" if status < 400 else f"HTTP {status}")


def check_all(
    links: Iterable[Link], checker: Callable[[Link], Result] = check, workers: int = 8
) -> list[Result]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(checker, links))


def render_report(results: list[Result], *, today: dt.date | None = None) -> str:
    broken = [r for r in results if r.broken]
    unchecked = [r for r in results if r.unchecked]
    day = (today or dt.date.today()).isoformat()
    out = [
        f"Weekly link check of {day}: {len(broken)} broken and {len(unchecked)} unreachable "
        f"of {len(results)} links.",
        "",
        "Fix a link by editing the paper's file (see CONTRIBUTING.md); when a repository or page "
        "has moved, point at the new place, and when it is gone for good, delete the line.",
    ]
    for title, rows in (
        ("Broken (404 / 410)", broken),
        ("Could not check (may be temporary)", unchecked),
    ):
        if not rows:
            continue
        out += ["", f"### {title}", "", "| Paper | Field | Link | Answer |", "|---|---|---|---|"]
        out += [
            f"| `{r.link.paper}` (`papers/{r.link.file}`) | {r.link.field} | {r.link.url} "
            f"| {r.detail.replace('|', '/')} |"
            for r in rows
        ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, nargs="?", default=Path("data/taxonomy"))
    parser.add_argument("--report", type=Path, default=Path("link-report.md"))
    parser.add_argument("--strict", action="store_true", help="exit 1 when a link is broken")
    args = parser.parse_args(argv)

    results = check_all(collect_links(args.data_dir))
    broken = sum(r.broken for r in results)
    args.report.write_text(render_report(results), encoding="utf-8")
    print(f"{broken} broken of {len(results)} links; report in {args.report}")
    if "GITHUB_OUTPUT" in os.environ:
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
            out.write(f"broken={broken}\n")
    return 1 if args.strict and broken else 0


if __name__ == "__main__":
    sys.exit(main())
