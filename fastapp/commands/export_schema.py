"""``fastapp export_schema``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from fastapp.commands.common import DatabaseOption, console, state


def command(
    ctx: typer.Context,
    database: DatabaseOption = None,
    tables: Annotated[
        str | None,
        typer.Option(
            "--tables",
            "-t",
            metavar="NAMES",
            help="Comma-separated table names or glob patterns (e.g. 'users_*,blog_post').",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write to FILE instead of standard output."
        ),
    ] = None,
    format: Annotated[
        str,
        typer.Option("--format", "-f", metavar="sql|json", help="DDL script or JSON Schema."),
    ] = "sql",
    schema: Annotated[
        str,
        typer.Option("--schema", metavar="NAME", help="PostgreSQL schema to read."),
    ] = "public",
) -> None:
    """Export a live database's schema as DDL for the same backend, or as JSON.

    The SQL is in foreign-key order (cycles broken with ALTER TABLE ... ADD CONSTRAINT) and
    byte-for-byte deterministic. Column types the exporter does not know are kept verbatim
    and reported on stderr. With a URL for --database no settings module is needed.
    """
    from fastapp.introspect.exporter import FORMATS, SchemaExporter

    if format not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    cfg = state(ctx).project.database(database)

    def warn(message: str) -> None:
        from rich.markup import escape

        console(stderr=True).print(f"[yellow]Warning:[/] {escape(message)}")

    patterns = [p.strip() for p in (tables or "").split(",") if p.strip()] or None
    exporter = SchemaExporter(
        cfg,
        tables=patterns,
        format=format,
        pg_schema=schema,
        on_warning=warn,
    )
    if output is None:
        text = asyncio.run(exporter.export())
        typer.echo(text, nl=False)
        return
    exported = asyncio.run(exporter.export_file(output))
    console(stderr=True).print(
        f"Wrote {len(exported.tables)} table(s) of {cfg.url()} to {output} "
        f"({exporter.queries} catalog queries).",
        markup=False,
    )
