"""``fastapp reverse_generation``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from fastapp.commands.common import DatabaseOption, console, state


def command(
    ctx: typer.Context,
    tables: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="TABLE",
            help="Tables to generate models for (names or glob patterns). None: list the tables.",
            show_default=False,
        ),
    ] = None,
    all_tables: Annotated[
        bool, typer.Option("--all", help="Generate models for every table.")
    ] = False,
    database: DatabaseOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write the module here instead of stdout."
        ),
    ] = None,
    app: Annotated[
        str,
        typer.Option(
            "--app", metavar="LABEL", help="App label used in relation references ('app.Model')."
        ),
    ] = "models",
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema",
            metavar="NAME",
            help="PostgreSQL schema to read (default public); written as Meta.schema.",
        ),
    ] = None,
) -> None:
    """Write Tortoise model code for existing tables (without tables: list them).

    One module: imports, generated Enum classes, then one model class per table in foreign-key
    order. Tables the selection references are included so the module imports; join tables
    that are exactly a many-to-many become ManyToManyField. TODO comments in the code mark
    what Tortoise cannot express.
    """
    from fastapp.reverse import check_db_schema, list_tables, reverse_generation

    cfg = state(ctx).project.database(database)
    check_db_schema(cfg.dialect_name, schema)
    out = console()
    err = console(stderr=True)
    if not tables and not all_tables:
        names = asyncio.run(list_tables(cfg, schema))
        for name in names:
            out.print(name, markup=False)
        err.print(
            f"{len(names)} table(s) in {cfg.url()}; name tables or pass --all to generate models.",
            markup=False,
        )
        return
    if tables and all_tables:
        raise typer.BadParameter("give table names or --all, not both")
    generated = asyncio.run(reverse_generation(cfg, tables or (), app=app, pg_schema=schema))
    if output is None:
        typer.echo(generated.source, nl=False)
    else:
        _write(output, generated.source)
    summary = f"{len(generated.models)} model(s)"
    if generated.join_tables:
        summary += f", {len(generated.join_tables)} many-to-many join table(s)"
    if output is not None:
        summary += f" written to {output}"
    err.print(summary, markup=False)
    if generated.added:
        err.print(
            "Added because selected tables reference them: " + ", ".join(generated.added),
            markup=False,
        )
    for warning in generated.warnings:
        err.print(f"Warning: {warning}", markup=False)
    if generated.todos:
        err.print(f"{generated.todos} TODO comment(s) to review.", markup=False)


def _write(path: Path, text: str) -> None:
    from fastapp.errors import FastappError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise FastappError(
            f"cannot write {str(path)!r}: {exc.strerror or exc}; choose another --output"
        ) from exc
