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
    overrides = {k: v for k, v in {"data_dir": data_dir, "db": db, **extra}.items() if v is not None}
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
    from app.load import load_taxonomy

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
    """Validate the data and build the SQLite database atomically.

    A failed build leaves the previous database untouched. An unchanged tree is not rebuilt.

    Examples:

      reward-atlas build

      reward-atlas build data/taxonomy --db /tmp/atlas.db --force
    """
    from app.build import build as run_build
    from app.load import ValidationFailed

    settings = _settings(data_dir, db)
    try:
        result = run_build(
            settings.data_dir, settings.db, force=force, progress=_progress_printer()
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


@cli.command()
def serve(
    data_dir: DataDirArg = None,
    db: DbOpt = None,
    host: Annotated[str | None, typer.Option(help="Interface (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
) -> None:
    """Build the database if it is stale, then serve the site and API with uvicorn.

    Examples:

      reward-atlas serve

      reward-atlas serve --port 9000 --workers 2
    """
    import os

    import uvicorn

    from app.build import build as run_build
    from app.load import ValidationFailed

    settings = _settings(data_dir, db, host=host, port=port)
    try:
        result = run_build(settings.data_dir, settings.db)
    except ValidationFailed as exc:
        _print_problems(exc.problems, "text")
        typer.echo("cannot serve: the data does not validate", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"database {result.status}: {result.db}")
    # Workers are separate processes: hand them the settings through the environment.
    os.environ["REWARD_ATLAS_DATA_DIR"] = str(settings.data_dir)
    os.environ["REWARD_ATLAS_DB"] = str(settings.db)
    uvicorn.run(
        "app.main:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="info",
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
    from app.schema import json_schemas, write_json_schemas

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
    from app.load import load_taxonomy
    from app.stats import render_stats

    taxonomy, problems = load_taxonomy(_settings(data_dir).data_dir)
    if problems or taxonomy is None:
        _print_problems(problems, "text")
        raise typer.Exit(1)
    text, thin = render_stats(taxonomy)
    typer.echo(text)
    if thin:
        raise typer.Exit(1)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
