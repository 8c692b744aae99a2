"""``fastapp generate_crud``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fastapp.commands.common import DryRunFilesOption, ForceOption, write_files


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in (value or "").split(",") if n.strip())


def command(
    target: Annotated[str, typer.Argument(help="APP.Model, e.g. shop.Product.", show_default=False)],
    fields: Annotated[
        list[str],
        typer.Argument(
            help="Field specs name:type[:arg][:option...]; types str:LEN, text, int, bigint, "
            "decimal:P,S, bool, date, datetime, uuid, json, enum:A|B|C, fk:Model, m2m:Model; "
            "options null, unique, index, default=VALUE.",
            show_default=False,
        ),
    ],
    soft_delete: Annotated[
        bool, typer.Option("--soft-delete", help="Soft delete (deleted_at) with a restore endpoint.")
    ] = False,
    searchable: Annotated[
        str | None,
        typer.Option("--searchable", metavar="F1,F2", help="Fields searched by ?q= (str, text)."),
    ] = None,
    filterable: Annotated[
        str | None,
        typer.Option("--filterable", metavar="F1,F2", help="Fields filtered by ?FIELD__OP=value."),
    ] = None,
    audit: Annotated[
        bool, typer.Option("--audit", help="Record changes (needs fastapp.contrib.audit).")
    ] = False,
    dry_run: DryRunFilesOption = False,
    force: ForceOption = False,
) -> None:
    """Generate a CRUD API for APP.Model, from the project folder: the model in APP/models.py,
    pydantic schemas (Tortoise's pydantic support), a router with list (paginated, filtered,
    searched, sorted), get, create, PUT, PATCH, delete (and restore with --soft-delete), and
    tests on the pytest plugin.

    Nothing is written when a spec is wrong; a file that would change is not overwritten
    without --force (--dry-run shows the diff).
    """
    from fastapp.scaffold.crud import CrudRequest, generate_crud

    request = CrudRequest(
        target=target,
        specs=tuple(fields),
        soft_delete=soft_delete,
        searchable=_names(searchable),
        filterable=_names(filterable),
        audit=audit,
    )
    write_files(generate_crud(request, Path.cwd()), dry_run=dry_run, force=force)
