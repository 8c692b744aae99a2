"""The plans of the ``*_clauses.yaml`` convergence cases hold nothing but the ops they list.

The convergence harness checks that a case's plan has the ops it lists; for these cases the
point is what the plan lacks too: a comment alone, or a live clause removed, must not drop
and build the index, key or table again. Each case's plan is made here against a real
server as auto_migrate makes it, and its op kinds must be exactly the listed ones.
"""

from __future__ import annotations

import asyncio

import pytest

from fastapp.connections.raw import raw_connection
from fastapp.desired.read import DesiredDDL, desired_schema
from fastapp.diff.compare import diff
from tests.corpus.convergence.harness import (
    ddl_for,
    execute_script,
    insert_rows,
    read,
    reset,
)
from tests.corpus.test_convergence import ALL_CASES

CLAUSE_GROUPS = {"postgres": "postgres_clauses", "mysql": "mysql_clauses"}


@pytest.mark.parametrize("backend", sorted(CLAUSE_GROUPS), indirect=True)
def test_clause_plans_hold_only_the_ops_they_list(backend, module_db):
    cases = [c for c in ALL_CASES[CLAUSE_GROUPS[backend]] if c.ops and not c.refused]
    assert len(cases) >= 5
    found: dict[str, list[str]] = {}

    async def plan_kinds() -> None:
        async with raw_connection(module_db) as conn:
            for case in cases:
                await reset(module_db, conn)
                await execute_script(
                    module_db, ddl_for(case.current, backend, module_db.name), conn
                )
                await insert_rows(module_db, case.seed, conn)
                ddl = DesiredDDL(ddl_for(case.desired, backend, module_db.name), case.name, backend)
                desired = await desired_schema(module_db, ddl, use_cache=False)
                plan = diff(await read(module_db, conn), desired, case.diff_options(backend))
                found[case.name] = sorted({op.kind for op in plan.ops})
            await reset(module_db, conn)
            if backend == "postgres":  # the tablespace some cases make (see the YAML)
                await execute_script(
                    module_db, f"DROP TABLESPACE IF EXISTS {module_db.name}_space", conn
                )

    asyncio.run(plan_kinds())
    wrong = {case.name: found[case.name] for case in cases if found[case.name] != sorted(case.ops)}
    assert not wrong, wrong
