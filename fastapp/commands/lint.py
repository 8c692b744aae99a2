"""``fastapp lint``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from fastapp.commands.common import AppsOption, DatabaseOption, console, state


def command(
    ctx: typer.Context,
    migrations: Annotated[
        list[str] | None,
        typer.Argument(
            help="Migration files to lint: APP, APP:NAME or APP:FROM..TO. Without it: the plan "
            "auto_migrate would apply now."
        ),
    ] = None,
    apps: AppsOption = None,
    database: DatabaseOption = None,
    desired_sql: Annotated[
        str | None,
        typer.Option("--desired-sql", metavar="FILE", help="Lint the plan towards this DDL file."),
    ] = None,
    online: Annotated[
        bool,
        typer.Option(
            "--online", help="Report only what `--online` cannot rewrite into a safe change."
        ),
    ] = False,
    allow: Annotated[
        list[str] | None,
        typer.Option("--allow", metavar="RULE", help="Do not fail on this rule (repeatable)."),
    ] = None,
) -> None:
    """Name the changes that would block the application's writes while they run.

    Each finding has a stable rule id (FA001...), the table and column, and the safe
    alternative. Exit 1 when a finding is not allowed (by --allow or a '# fastapp: allow
    FA00N' comment in the migration file), so it can gate CI. Executes nothing.
    """
    from fastapp.errors import FastappError
    from fastapp.lint.rules import RULES
    from fastapp.lint.sources import lint_migrations, lint_project

    allowed = set()
    for rule in allow or ():
        if rule.upper() not in RULES:
            raise FastappError(f"unknown lint rule {rule!r} in --allow (rules: {', '.join(RULES)})")
        allowed.add(rule.upper())
    project = state(ctx).project
    if migrations:
        work = lint_migrations(
            project.registry(database), tuple(migrations), online=online, allow=frozenset(allowed)
        )
    else:
        work = lint_project(
            project,
            database=database,
            apps=tuple(apps or ()),
            desired_sql=desired_sql,
            online=online,
            allow=frozenset(allowed),
        )
    report = asyncio.run(work)
    out = console()
    for where, finding in report.findings:
        out.print(f"{where}: {finding.describe()}", markup=False, style="red")
    for where, finding in report.allowed:
        out.print(f"{where}: allowed {finding.rule} {finding.subject}", markup=False, style="dim")
    checked = len(report.checked)
    if report.findings:
        out.print(f"{len(report.findings)} finding(s) in {checked} plan(s)/file(s).", markup=False)
        raise typer.Exit(1)
    out.print(f"No findings in {checked} plan(s)/file(s).", markup=False)
