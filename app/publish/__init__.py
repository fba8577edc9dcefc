"""``reward-atlas export-site``: the whole atlas as static files (see :mod:`app.publish.site`).

Incremental where it is cheap: an output whose manifest names the same inputs (data version,
app code, templates, static files, options) and whose files are intact is left alone; otherwise
only files whose bytes changed are written, and files a previous export wrote that are no longer
part of the site are removed. Two exports of the same inputs are byte-identical.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from app import __version__
from app.config import ROOT, Settings

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ExportResult:
    out: Path
    status: str  # "exported" or "up-to-date"
    data_version: str
    files: int
    written: int
    removed: int
    bytes: int
    seconds: float
    missing: dict[str, int]


class ExportError(ValueError):
    """A bad option (e.g. a base URL that is not http(s))."""


def base_path_of(base_url: str | None) -> str | None:
    """The path links are rooted at, from ``--base-url`` (always ends with ``/``)."""
    if base_url is None:
        return None
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ExportError(
            f"--base-url must be an http(s) URL like https://org.github.io/x/, not {base_url!r}"
        )
    path = parts.path or "/"
    return path if path.endswith("/") else path + "/"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inputs_hash(settings: Settings, data_version: str, options: dict[str, str | None]) -> str:
    """What the copy is a function of: the data, the code, the templates and static files."""
    digest = hashlib.sha256(json.dumps([__version__, data_version, options]).encode())
    for folder in (settings.templates_dir, settings.static_dir, ROOT / "app"):
        for path in sorted(
            p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ):
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _previous(out: Path) -> dict:
    try:
        return json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def _intact(out: Path, files: dict[str, str]) -> bool:
    for name, sha in files.items():
        path = out / name
        if not path.is_file() or _sha(path.read_bytes()) != sha:
            return False
    return True


def manifest_bytes(
    data_version: str,
    inputs: str,
    base_url: str | None,
    files: dict[str, bytes],
    urls: dict[str, str],
) -> bytes:
    """``files``: tree path -> sha256; ``urls``: tree path -> the site URL it answers."""
    body = {
        "generator": f"reward-atlas {__version__}",
        "data_version": data_version,
        "base_url": base_url,
        "inputs": inputs,
        "files": {name: _sha(files[name]) for name in sorted(files)},
        "urls": {name: urls[name] for name in sorted(urls)},
    }
    return (json.dumps(body, indent=1, sort_keys=True) + "\n").encode()


def export_site(
    *, settings: Settings, out: Path, base_url: str | None = None, live_url: str | None = None
) -> ExportResult:
    """Export the atlas the database of ``settings`` holds into ``out``."""
    from app.publish.site import export_files
    from app.store.opening import open_readonly
    from app.store.version import DATA_VERSION_SQL
    from app.web.app import create_app

    started = time.perf_counter()
    base_path = base_path_of(base_url)
    engine = open_readonly(settings)
    try:
        with engine.connect() as conn:
            version = conn.exec_driver_sql(DATA_VERSION_SQL).scalar_one()
    finally:
        engine.dispose()
    inputs = inputs_hash(settings, version, {"base_url": base_url, "live_url": live_url})
    previous = _previous(out)
    old_files: dict[str, str] = previous.get("files", {})
    if previous.get("inputs") == inputs and _intact(out, old_files):
        size = sum((out / n).stat().st_size for n in old_files)
        return ExportResult(
            out,
            "up-to-date",
            version,
            len(old_files),
            0,
            0,
            size,
            time.perf_counter() - started,
            {},
        )

    # In a thread of its own: the caller may already run an event loop (a notebook, a test
    # session with Playwright's sync API), and asyncio.run() refuses to nest in one.
    with ThreadPoolExecutor(1) as pool:
        job = export_files(create_app(settings), base_path=base_path, live_url=live_url)
        version, files, found = pool.submit(asyncio.run, job).result()
    written = 0
    for name in sorted(files):
        path = out / name
        data = files[name]
        if old_files.get(name) == _sha(data) and path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += 1
    removed = 0
    for name in sorted(set(old_files) - set(files)):
        path = out / name
        if path.is_file():
            path.unlink()
            removed += 1
    (out / MANIFEST).write_bytes(manifest_bytes(version, inputs, base_url, files, found.urls()))
    return ExportResult(
        out,
        "exported",
        version,
        len(files),
        written,
        removed,
        sum(len(b) for b in files.values()),
        time.perf_counter() - started,
        found.missing,
    )
