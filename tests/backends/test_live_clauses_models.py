"""Against the models, a live clause they cannot declare is kept and said, never removed.

A desired DDL file can write ``ENABLE ROW LEVEL SECURITY`` or an ``IGNORED`` index, so a file
lacking it removes it (tests/corpus/convergence/*_clauses.yaml); Tortoise models cannot, so
``auto_migrate`` from the models must leave what a DBA set by hand as it is.
"""

from __future__ import annotations

import sys

import pytest

from fastapp.apply.automigrate import AutoMigrateRequest, diff_options
from fastapp.desired.ddl import DesiredDDL
from tests.backends import live
from tests.backends.test_auto_migrate_models import _MODULES, project  # noqa: F401

#: Per backend: what a DBA sets by hand that the models cannot say, and a catalog query
#: giving one row per such clause still there.
HAND_MADE = {
    "postgres": (
        [
            "ALTER TABLE users_group ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE users_user SET (fillfactor = 70)",
        ],
        "SELECT relname FROM pg_class WHERE (relname = 'users_group' AND relrowsecurity) "
        "OR (relname = 'users_user' AND reloptions = '{fillfactor=70}')",
        ["ROW LEVEL SECURITY", "fillfactor=70"],
    ),
    "mysql": (
        [],  # the index's name is Tortoise's: found below
        "SELECT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() "
        "AND table_name = 'users_user' AND column_name = 'email' AND ignored = 'YES'",
        ["IGNORED"],
    ),
}


@pytest.mark.parametrize("backend", sorted(HAND_MADE), indirect=True)
def test_models_keep_what_they_cannot_declare(backend, project, cli, fresh_db):  # noqa: F811
    def run(*args):
        for name in _MODULES:
            sys.modules.pop(name, None)
        return cli(*args)

    assert run("migrate").exit_code == 0
    statements, still_there, said = HAND_MADE[backend]
    if backend == "mysql":
        ((index,),) = live.rows(
            fresh_db,
            "SELECT DISTINCT index_name FROM information_schema.statistics WHERE "
            "table_schema = DATABASE() AND table_name = 'users_user' AND column_name = 'email'",
        )
        statements = [f"ALTER TABLE users_user ALTER INDEX `{index}` IGNORED"]
    live.execute(fresh_db, *statements)
    expected = len(live.rows(fresh_db, still_there))
    assert expected == (2 if backend == "postgres" else 1)

    check = run("auto_migrate", "--check")
    assert check.exit_code == 0, check.output
    assert "kept as it is, fastapp does not model it" in check.output
    assert all(word in check.output for word in said), check.output
    applied = run("auto_migrate", "--yes", "--allow-destructive")
    assert applied.exit_code == 0, applied.output
    assert len(live.rows(fresh_db, still_there)) == expected


def test_only_a_desired_file_removes_live_clauses():
    request = AutoMigrateRequest()
    ddl = DesiredDDL("", "models", "postgres")
    assert diff_options(request, ddl, file=False).keep_live_clauses
    assert not diff_options(request, ddl, file=True).keep_live_clauses
