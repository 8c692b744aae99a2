"""``fastapp dumpdata``."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from fastapp.commands.common import DatabaseOption, console, state


def command(
    ctx: typer.Context,
    targets: Annotated[
        list[str] | None,
        typer.Argument(metavar="APP[.MODEL]", help="Apps or models to dump (default: all)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            "-e",
            metavar="APP[.MODEL]",
            help="Leave out this app or model (repeatable).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE (.json, .jsonl, .gz compresses) instead of standard output.",
        ),
    ] = None,
    indent: Annotated[
        int | None,
        typer.Option("--indent", metavar="N", help="Indent records by N spaces (JSON format)."),
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="json|jsonl",
            help="Output format (default: from --output, else json).",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Write the database's rows as a fixture that `fastapp loaddata` loads back.

    Models come in dependency order, rows by primary key; foreign keys as the referenced pk,
    many-to-many relations as lists of pks. Output is streamed, so tables larger than memory
    dump, and is byte-for-byte stable for the same data.
    """
    from fastapp.data.dumper import DumpOptions, dump_fixtures

    registry = state(ctx).project.registry(database)
    fmt = format or _format_of(output)
    options = DumpOptions(targets=targets or (), exclude=exclude or (), format=fmt, indent=indent)
    if output is None:
        asyncio.run(dump_fixtures(registry, options, sys.stdout))
        sys.stdout.flush()
        return
    result = _dump_to_file(registry, options, output)
    console(stderr=True).print(
        f"Dumped {result.objects:,} {'object' if result.objects == 1 else 'objects'} of "
        f"{len(result.per_model)} model(s) to {output}"
    )


def _format_of(output: Path | None) -> str:
    if output is None:
        return "json"
    name = output.name.removesuffix(".gz")
    return "jsonl" if name.endswith((".jsonl", ".ndjson")) else "json"


def _dump_to_file(registry, options, output: Path):
    """Write next to ``output`` and rename at the end: a failed dump leaves no partial file."""
    import gzip
    import tempfile

    from fastapp.data.dumper import dump_fixtures

    folder = output.parent if str(output.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as raw:
            if output.name.endswith(".gz"):
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped:
                    with open_text(zipped) as text:
                        result = asyncio.run(dump_fixtures(registry, options, text))
            else:
                with open_text(raw) as text:
                    result = asyncio.run(dump_fixtures(registry, options, text))
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result


def open_text(binary):
    import io

    return io.TextIOWrapper(binary, encoding="utf-8", newline="\n", write_through=False)
