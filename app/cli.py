"""The ``reward-atlas`` command: thin wrappers around plain functions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from app.config import Settings

cli = typer.Typer(
    help="Reward Atlas: validate, build and serve the reward-design knowledge base.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

DataDirArg = Annotated[
    Path | None,
    typer.Argument(help="Taxonomy folder (default: $REWARD_ATLAS_DATA_DIR or data/taxonomy)."),
]
DbOpt = Annotated[
    Path | None, typer.Option("--db", help="SQLite file (default: $REWARD_ATLAS_DB).")
]


def _settings(data_dir: Path | None = None, db: Path | None = None, **extra: object) -> Settings:
    given = {"data_dir": data_dir, "db": db, **extra}
    overrides = {k: v for k, v in given.items() if v is not None}
    return Settings(**overrides)


def _print_problems(problems: list, fmt: str) -> None:
    base = Path.cwd()
    for problem in problems:
        typer.echo(problem.github(base) if fmt == "github" else problem.format(base))


@cli.command()
def validate(
    data_dir: DataDirArg = None,
    format: Annotated[
        str, typer.Option("--format", help="text, or github for GitHub Actions annotations.")
    ] = "text",
) -> None:
    """Check every data file and print all problems as path:line: field: message.

    Exits 0 when the data is valid, 1 otherwise.

    Examples:

      reward-atlas validate

      reward-atlas validate data/taxonomy --format github
    """
    from app.contract.validate import load_taxonomy

    settings = _settings(data_dir)
    taxonomy, problems = load_taxonomy(settings.data_dir)
    if problems:
        _print_problems(problems, format)
        files = len({p.path for p in problems})
        typer.echo(f"{len(problems)} problem(s) in {files} file(s)", err=True)
        raise typer.Exit(1)
    assert taxonomy is not None
    cats = sum(len(d.categories) for d in taxonomy.dimensions)
    rels = sum(len(p.relations) for p in taxonomy.papers)
    typer.echo(
        f"ok: {len(taxonomy.dimensions)} dimensions, {cats} categories, "
        f"{len(taxonomy.papers)} papers, {rels} relations"
    )


@cli.command()
def build(
    data_dir: DataDirArg = None,
    db: DbOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if up to date.")] = False,
) -> None:
    """Validate the data and build the SQLite database atomically (or the PostgreSQL one named
    by $DATABASE_URL / $REWARD_ATLAS_DATABASE_URL, swapped in as a whole).

    A failed build leaves the previous database untouched. An unchanged tree is not rebuilt.

    Examples:

      reward-atlas build

      reward-atlas build data/taxonomy --db /tmp/atlas.db --force
    """
    from app.build import build as run_build
    from app.contract.problems import ValidationFailed

    settings = _settings(data_dir, db)
    try:
        result = run_build(
            settings.data_dir,
            settings.db,
            force=force,
            progress=_progress_printer(),
            database_url=settings.postgres_url,
        )
    except ValidationFailed as exc:
        _print_problems(exc.problems, "text")
        typer.echo(f"build failed: {len(exc.problems)} problem(s); database unchanged", err=True)
        raise typer.Exit(1) from None
    if result.status == "up-to-date":
        typer.echo(f"up to date: {result.db} ({result.data_version})")
    else:
        counts = ", ".join(f"{v} {k}" for k, v in result.counts.items())
        typer.echo(f"built {result.db} in {result.seconds:.2f}s: {counts}")


def _progress_printer():
    if not sys.stderr.isatty():
        return None

    def show(label: str, done: int, total: int) -> None:
        bar = "#" * done + "." * (total - done)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r[{bar}] {label:<14}{end}")
        sys.stderr.flush()

    return show


# uvicorn's own limits for `serve` (docs/deploying.md): past `limit_concurrency` open
# connections and tasks a worker answers 503 at once instead of queueing without bound; an idle
# keep-alive connection is closed after `timeout_keep_alive` seconds; a request line and headers
# larger than `h11_max_incomplete_event_size` bytes are refused. uvicorn has no timeout for a
# slowly sent request: put a proxy with one (nginx `client_header_timeout`) in front for that.
SERVER_LIMITS = {
    "limit_concurrency": 512,
    "timeout_keep_alive": 5,
    "h11_max_incomplete_event_size": 16 * 1024,
    "backlog": 1024,
    "timeout_graceful_shutdown": 10,
}


@cli.command()
def serve(
    data_dir: DataDirArg = None,
    db: DbOpt = None,
    host: Annotated[str | None, typer.Option(help="Interface (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
    reload: Annotated[
        bool,
        typer.Option(
            "--reload",
            help="Watch the data folder; rebuild and serve the new data on each change "
            "(an edit that does not validate keeps the old data and shows its problems).",
        ),
    ] = False,
) -> None:
    """Build the database if it is stale, then serve the site and API with uvicorn.

    Examples:

      reward-atlas serve

      reward-atlas serve --reload

      reward-atlas serve --port 9000 --workers 2
    """
    if reload and workers != 1:
        typer.echo("--reload serves from one process: drop --workers", err=True)
        raise typer.Exit(2)
    import os

    import uvicorn

    from app.store import version as dbversion

    settings = _settings(data_dir, db, host=host, port=port)
    # The common case, an unchanged tree, needs only a hash: skip importing the loader and build.
    if not settings.postgres_url and dbversion.is_current(settings.data_dir, settings.db):
        typer.echo(f"database up-to-date: {settings.db}")
    else:
        from app.build import build as run_build
        from app.contract.problems import ValidationFailed

        try:
            result = run_build(settings.data_dir, settings.db, database_url=settings.postgres_url)
        except ValidationFailed as exc:
            _print_problems(exc.problems, "text")
            if not (reload and not settings.postgres_url and settings.db.exists()):
                typer.echo("cannot serve: the data does not validate", err=True)
                raise typer.Exit(1) from None
            typer.echo("the data does not validate: serving the last good build", err=True)
        else:
            typer.echo(f"database {result.status}: {result.db}")
    # Workers are separate processes: hand them the settings through the environment.
    os.environ["REWARD_ATLAS_DATA_DIR"] = str(settings.data_dir)
    os.environ["REWARD_ATLAS_DB"] = str(settings.db)
    if settings.postgres_url:
        os.environ["REWARD_ATLAS_DATABASE_URL"] = settings.postgres_url
    if reload:
        os.environ["REWARD_ATLAS_RELOAD"] = "1"
        typer.echo(f"watching {settings.data_dir} for changes")
    uvicorn.run(
        "app.main:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="info",
        **SERVER_LIMITS,
    )


@cli.command()
def schema(
    out: Annotated[Path | None, typer.Option(help="Folder for the *.schema.json files.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Fail if the files are stale.")] = False,
) -> None:
    """Write the JSON Schema (draft-07) of the data files, generated from app/schema.py.

    Examples:

      reward-atlas schema

      reward-atlas schema --check
    """
    from app.contract.schema import json_schemas, write_json_schemas

    folder = out or _settings().data_dir / "schema"
    if check:
        stale = [
            name
            for name, text in json_schemas().items()
            if not (folder / name).exists() or (folder / name).read_text() != text
        ]
        if stale:
            typer.echo(f"stale schema files: {', '.join(stale)} (run: reward-atlas schema)")
            raise typer.Exit(1)
        typer.echo("schema files are up to date")
        return
    for path in write_json_schemas(folder):
        typer.echo(f"wrote {path}")


@cli.command()
def stats(data_dir: DataDirArg = None) -> None:
    """Print papers per category (with descendants), per dimension and per year, and the
    categories below 3 papers that are not marked sparse.

    Examples:

      reward-atlas stats
    """
    from app.contract.validate import load_taxonomy
    from app.contrib.stats import render_stats

    taxonomy, problems = load_taxonomy(_settings(data_dir).data_dir)
    if problems or taxonomy is None:
        _print_problems(problems, "text")
        raise typer.Exit(1)
    text, thin = render_stats(taxonomy)
    typer.echo(text)
    if thin:
        raise typer.Exit(1)


@cli.command("new-paper")
def new_paper(
    fetch: Annotated[
        str | None,
        typer.Option(
            "--fetch",
            help="arxiv:ID or doi:DOI: fill title, authors, year, ids and venue from the "
            "arXiv API and Crossref ($REWARD_ATLAS_ARXIV_API, $REWARD_ATLAS_CROSSREF_API).",
        ),
    ] = None,
    arxiv: Annotated[str | None, typer.Option("--arxiv", help="arXiv id, e.g. 2305.18290.")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Exact title as on arXiv.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Year of the first version.")] = None,
    author: Annotated[
        list[str] | None, typer.Option("--author", help="An author, in order; repeat it.")
    ] = None,
    paper_id: Annotated[
        str | None, typer.Option("--id", help="Use this id instead of the generated one.")
    ] = None,
    data_dir: DataDirArg = None,
) -> None:
    """Write papers/<id>.yaml: a skeleton with TODOs that fails validation until filled in.

    With --fetch, the metadata comes from the public APIs and provenance.verified names the
    record read; offline (or on an error) it says so in one line and writes the skeleton from
    the other options. Refuses when the arXiv id, the normalised title or the id is taken.

    Examples:

      reward-atlas new-paper --fetch arxiv:2305.18290 --id rafailov2023-dpo

      reward-atlas new-paper --arxiv 2305.18290 --year 2023
        --title "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
        --author "Rafael Rafailov" --author "Archit Sharma" --id rafailov2023-dpo
    """
    from app.contrib.newpaper import NewPaperError, create_paper, fetched_or_typed

    settings = _settings(data_dir)
    try:
        meta, note = fetched_or_typed(
            fetch,
            _endpoints(settings),
            arxiv=arxiv,
            title=title,
            year=year,
            authors=author or [],
        )
        if note:
            typer.echo(note, err=True)
        created = create_paper(settings.data_dir, paper_id_override=paper_id, **meta)
    except NewPaperError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {_shown_path(created.path, Path.cwd())} ({created.todos} TODOs to fill in)")
    typer.echo("next: replace each TODO, then run: reward-atlas validate && reward-atlas fmt")


def _endpoints(settings: Settings):
    from app.contrib.sources import Endpoints

    return Endpoints(
        arxiv=settings.arxiv_api,
        crossref=settings.crossref_api,
        timeout=settings.fetch_timeout,
        retries=settings.fetch_retries,
    )


@cli.command("check-metadata")
def check_metadata(
    fetch: Annotated[
        bool,
        typer.Option(
            "--fetch", help="Compare with the arXiv API and Crossref (needs the network)."
        ),
    ] = False,
    data_dir: DataDirArg = None,
) -> None:
    """Print where the papers' metadata disagrees, as path:line: field: ours → theirs.

    Offline: arXiv id shapes, YYMM against the year, arxiv against url and doi, duplicate
    authors. With --fetch: title, authors, year and venue against the arXiv API (100 ids a
    request) and Crossref. Exits 0 when all agree, 1 on differences, 2 when a source is down.

    Examples:

      reward-atlas check-metadata

      reward-atlas check-metadata --fetch > metadata-report.txt
    """
    from app.contrib.metacheck import local_findings, online_findings
    from app.contrib.sources import SourceUnavailable

    settings = _settings(data_dir)
    try:
        findings = local_findings(settings.data_dir)
        if fetch:
            findings += online_findings(settings.data_dir, _endpoints(settings))
    except SourceUnavailable as exc:
        typer.echo(f"check-metadata: could not fetch ({exc}); nothing compared online", err=True)
        raise typer.Exit(2) from None
    for finding in findings:
        typer.echo(finding.format(Path.cwd()))
    where = "online and offline" if fetch else "offline (add --fetch to compare with arXiv)"
    typer.echo(f"{len(findings)} difference(s), checked {where}", err=True)
    if findings:
        raise typer.Exit(1)


@cli.command()
def fmt(
    data_dir: DataDirArg = None,
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; list files that are not canonical.")
    ] = False,
) -> None:
    """Rewrite every data file in canonical key order and layout (idempotent).

    With --check, lists the files that would change and exits 1 if there are any.

    Examples:

      reward-atlas fmt

      reward-atlas fmt --check data/taxonomy
    """
    from app.contrib.formatting import format_tree

    report = format_tree(_settings(data_dir).data_dir, write=not check)
    base = Path.cwd()
    _print_problems(report.problems, "text")
    for result in report.changed:
        verb = "not canonical" if check else "reformatted"
        typer.echo(f"{verb}: {_shown_path(result.path, base)}")
    total, changed = len(report.files), len(report.changed)
    stuck = len({p.path for p in report.problems})
    left = f"; {stuck} could not be formatted (see above)" if stuck else ""
    if check:
        canonical = total - changed - stuck
        typer.echo(
            f"{changed} of {total} file(s) not canonical (run: reward-atlas fmt){left}"
            if changed
            else f"{canonical} of {total} file(s) canonical{left}",
            err=bool(changed or stuck),
        )
    else:
        typer.echo(f"{changed} of {total} file(s) reformatted{left}", err=bool(stuck))
    if report.problems or (check and changed):
        raise typer.Exit(1)


@cli.command()
def diff(
    base_ref: Annotated[str, typer.Argument(help="Git ref to compare with, e.g. origin/main.")],
    data_dir: DataDirArg = None,
) -> None:
    """Summarise in Markdown what changed in the data since BASE_REF: papers added, removed or
    edited, placements moved, relations and categories added or removed.

    Examples:

      reward-atlas diff origin/main

      reward-atlas diff HEAD~3 data/taxonomy >> "$GITHUB_STEP_SUMMARY"
    """
    from app.contrib.datadiff import DiffError, diff_markdown

    try:
        typer.echo(diff_markdown(_settings(data_dir).data_dir, base_ref), nl=False)
    except DiffError as exc:
        typer.echo(f"diff failed: {exc}", err=True)
        raise typer.Exit(2) from None


@cli.command("export-site")
def export_site(
    out: Annotated[Path, typer.Argument(help="Folder to write the static site into.")],
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Where the site will live (https://org.github.io/reward-atlas/): links are "
            "rooted at its path. Without it, links are relative and the folder works anywhere.",
        ),
    ] = None,
    live_url: Annotated[
        str | None,
        typer.Option("--live-url", help="A running atlas server, named where a view needs one."),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Taxonomy folder (default: data/taxonomy).")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Build the database if it is stale, then write every page, JSON twin, export and a
    Pagefind search index as static files, with a manifest.json of data version and hashes.

    Examples:

      reward-atlas export-site site

      reward-atlas export-site site --base-url https://org.github.io/reward-atlas/
    """
    from app.build import build as run_build
    from app.contract.problems import ValidationFailed
    from app.publish import ExportError
    from app.publish import export_site as run_export

    settings = _settings(data_dir, db)
    try:
        run_build(settings.data_dir, settings.db, database_url=settings.postgres_url)
        result = run_export(settings=settings, out=out, base_url=base_url, live_url=live_url)
    except ValidationFailed as exc:
        _print_problems(exc.problems, "text")
        typer.echo("cannot export: the data does not validate", err=True)
        raise typer.Exit(1) from None
    except ExportError as exc:
        typer.echo(f"export failed: {exc}", err=True)
        raise typer.Exit(2) from None
    for url, status in sorted(result.missing.items()):
        typer.echo(
            f"warning: {url} answered {status}; its links go to the static-copy page", err=True
        )
    typer.echo(
        f"{result.status}: {result.out} ({result.data_version}): {result.files} files, "
        f"{result.bytes / 2**20:.1f} MiB, {result.written} written, {result.removed} removed, "
        f"{result.seconds:.1f}s"
    )


def _shown_path(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
