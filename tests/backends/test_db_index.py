"""``fastapp.models.DbIndex`` on the three backends, on every path that writes a model's DDL:
``auto_migrate``, ``migrate``, Tortoise's ``generate_schemas`` and versioned migrations
(``makemigrations`` -> ``upgrade`` -> ``downgrade``). Each path ends with ``auto_migrate --check``
clean, and on PostgreSQL the indexes are read with ``pg_get_indexdef`` (the server's own text,
not fastapp's reader) and compared with the definitions written by hand below."""

from __future__ import annotations

import asyncio
import sys

import pytest

from fastapp import testing
from fastapp.connections.raw import raw_connection
from tests.backends.runtime_project import make_project

pytestmark = pytest.mark.backends

MODELS = """
from tortoise import fields
from tortoise.models import Model

from fastapp.models import DbIndex


class Owner(Model):
    id = fields.IntField(primary_key=True)

    class Meta:
        table = "mi_owner"


class Account(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=100)
    name = fields.CharField(max_length=100, null=True)
    tenant = fields.IntField()
    created = fields.DatetimeField(null=True)
    data = fields.JSONField(null=True)
    owner = fields.ForeignKeyField("shop.Owner", related_name="accounts", null=True)

    class Meta:
        table = "mi_account"
        indexes = (
            # PostgreSQL's vocabulary, declared for PostgreSQL only
            DbIndex(
                fields=("email",),
                opclasses=("text_pattern_ops",),
                include=("name",),
                storage={"fillfactor": 70},
                comment="prefix search",
                dialects=("postgres",),
            ),
            DbIndex(
                fields=("created", "name"),
                orders=("DESC", None),
                nulls=("LAST", None),
                name="mi_account_recent",
                dialects=("postgres",),
            ),
            DbIndex(fields=("name",), collations=("C",), dialects=("postgres",)),
            DbIndex(
                fields=("tenant", "name"),
                unique=True,
                nulls_not_distinct=True,
                dialects=("postgres",),
            ),
            DbIndex(
                fields=("data",), method="gin", opclasses=("jsonb_path_ops",), dialects=("postgres",)
            ),
            # expressions and partial unique indexes: PostgreSQL and SQLite
            DbIndex(
                fields=("tenant", "(lower(email))"),
                unique=True,
                where="tenant > 0",
                name="mi_account_tenant_email",
                dialects=("postgres", "sqlite"),
            ),
            # descending keys and a foreign key: every backend
            DbIndex(fields=("owner", "name"), orders=(None, "DESC"), name="mi_account_owner_name"),
            # MySQL's prefix length
            DbIndex(fields=("email", "tenant"), lengths=(10, None), dialects=("mysql",)),
        )
"""

#: What the server prints for the PostgreSQL indexes above (pg_get_indexdef, comments apart).
PG_INDEXES = {
    "mi_account_email_idx": "CREATE INDEX mi_account_email_idx ON public.mi_account USING btree "
    "(email text_pattern_ops) INCLUDE (name) WITH (fillfactor='70')",
    "mi_account_recent": "CREATE INDEX mi_account_recent ON public.mi_account USING btree "
    "(created DESC NULLS LAST, name)",
    "mi_account_name_idx": "CREATE INDEX mi_account_name_idx ON public.mi_account USING btree "
    '(name COLLATE "C")',
    "mi_account_tenant_name_idx": "CREATE UNIQUE INDEX mi_account_tenant_name_idx ON "
    "public.mi_account USING btree (tenant, name) NULLS NOT DISTINCT",
    "mi_account_data_idx": "CREATE INDEX mi_account_data_idx ON public.mi_account USING gin "
    "(data jsonb_path_ops)",
    "mi_account_tenant_email": "CREATE UNIQUE INDEX mi_account_tenant_email ON public.mi_account "
    "USING btree (tenant, lower((email)::text)) WHERE (tenant > 0)",
    "mi_account_owner_name": "CREATE INDEX mi_account_owner_name ON public.mi_account USING btree "
    "(owner_id, name DESC)",
}


@pytest.fixture
def project(tmp_path, monkeypatch, fresh_db):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SCHEMA_CHECK", raising=False)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    proj = make_project(tmp_path, MODELS)
    settings = proj.settings(f"DATABASES = {{'default': {fresh_db.url(masked=False)!r}}}")
    testing.forget_tortoise_queries()
    yield proj, settings, fresh_db
    proj.forget()


def _runner(proj, settings, cli):
    def run(*args, code=0):
        proj.forget()
        result = cli("--settings", settings, *args)
        assert result.exit_code == code, result.output
        return result

    return run


def server_indexes(cfg) -> dict[str, str]:
    """PostgreSQL: index name -> pg_get_indexdef, and the comments, of table mi_account;
    elsewhere the index names the catalog lists."""

    async def read():
        async with raw_connection(cfg) as conn:
            if cfg.dialect_name == "postgres":
                rows = await conn.fetch(
                    "SELECT c.relname, pg_get_indexdef(c.oid) AS def, "
                    "obj_description(c.oid, 'pg_class') AS comment FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = "
                    "'public.mi_account'::regclass AND NOT i.indisprimary"
                )
                return {r["relname"]: (r["def"], r["comment"]) for r in rows}
            if cfg.dialect_name == "sqlite":
                rows = await conn.execute_fetchall(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'mi_account' AND sql IS NOT NULL"
                )
                # (auto_migrate writes the expression as fastapp normalized it: LOWER)
                return {name: sql.replace("LOWER(", "lower(") for name, sql in rows}
            async with conn.cursor() as cursor:
                await cursor.execute(
                    "SELECT index_name, column_name, sub_part, collation FROM "
                    "information_schema.statistics WHERE table_schema = DATABASE() AND "
                    "table_name = 'mi_account' AND index_name <> 'PRIMARY' "
                    "ORDER BY index_name, seq_in_index"
                )
                found: dict[str, list] = {}
                for name, column, part, order in await cursor.fetchall():
                    found.setdefault(name, []).append((column, part, order))
                return found

    return asyncio.run(read())


#: SQLite: the statement it keeps; MariaDB: (column, prefix length, order) per key.
EXPECTED = {
    "sqlite": {
        "mi_account_tenant_email": 'CREATE UNIQUE INDEX "mi_account_tenant_email" ON '
        '"mi_account" ("tenant", (lower(email))) WHERE tenant > 0',
        "mi_account_owner_name": 'CREATE INDEX "mi_account_owner_name" ON "mi_account" '
        '("owner_id", "name" DESC)',
    },
    "mysql": {
        "mi_account_owner_name": [("owner_id", None, "A"), ("name", None, "D")],
        "mi_account_email_tenant_idx": [("email", 10, "A"), ("tenant", None, "A")],
    },
}


def check_indexes(cfg) -> None:
    """The indexes of ``mi_account`` are the ones declared, under their names."""
    found = server_indexes(cfg)
    if cfg.dialect_name == "postgres":
        definitions = {name: definition for name, (definition, _) in found.items()}
        assert {n: d for n, d in definitions.items() if n in PG_INDEXES} == PG_INDEXES
        assert found["mi_account_email_idx"][1] == "prefix search"
    else:
        expected = EXPECTED[cfg.dialect_name]
        assert {n: d for n, d in found.items() if n in expected} == expected


def test_auto_migrate_creates_them_as_declared_and_converges(project, cli):
    proj, settings, cfg = project
    run = _runner(proj, settings, cli)
    run("auto_migrate", "--yes")
    run("auto_migrate", "--check")
    check_indexes(cfg)
    # a changed clause is a change: the index is re-created, then the schema converges
    models = proj.root / proj.package / "shop" / "models.py"
    text = models.read_text()
    models.write_text(text.replace('orders=(None, "DESC")', 'orders=("DESC", None)'))
    run("auto_migrate", "--check", code=1)
    run("auto_migrate", "--yes", "--allow-destructive")
    run("auto_migrate", "--check")


def test_migrate_and_generate_schemas_write_them(project, cli):
    proj, settings, cfg = project
    run = _runner(proj, settings, cli)
    run("migrate")
    run("auto_migrate", "--check")
    check_indexes(cfg)


def test_tortoise_generate_schemas_writes_them(project, cli):
    from fastapp.project import Project
    from fastapp.tortoise.context import tortoise_context

    proj, settings, cfg = project

    async def generate():
        async with tortoise_context(Project(settings).registry()) as ctx:
            await ctx.generate_schemas(safe=True)
            await ctx.generate_schemas(safe=True)  # again: IF NOT EXISTS everywhere

    asyncio.run(generate())
    check_indexes(cfg)
    _runner(proj, settings, cli)("auto_migrate", "--check")


def test_versioned_migrations_write_upgrade_and_downgrade_them(project, cli):
    proj, settings, cfg = project
    run = _runner(proj, settings, cli)
    run("makemigrations")
    written = (proj.root / proj.package / "shop" / "migrations" / "0001_initial.py").read_text()
    assert "from fastapp.models import DbIndex" in written
    assert "text_pattern_ops" in written
    run("upgrade")
    run("makemigrations", "--check")
    run("auto_migrate", "--check", "--apps", "shop")
    check_indexes(cfg)

    # change one (its order), drop one, add one, and alter an indexed column (on SQLite a
    # table rebuild, which must re-create the DbIndex declarations)
    models = proj.root / proj.package / "shop" / "models.py"
    text = models.read_text()
    text = text.replace('orders=(None, "DESC")', 'orders=("DESC", None)')
    text = text.replace(
        "name = fields.CharField(max_length=100, null=True)",
        "name = fields.CharField(max_length=120, null=True)",
    )
    text = text.replace(
        'DbIndex(fields=("name",), collations=("C",), dialects=("postgres",)),',
        'DbIndex(fields=("tenant",), where="name IS NOT NULL", dialects=("postgres", "sqlite")),',
    )
    models.write_text(text)
    run("makemigrations")
    run("upgrade")
    run("makemigrations", "--check")
    run("auto_migrate", "--check", "--apps", "shop")
    run("downgrade", "-1")
    run("auto_migrate", "--check", "--apps", "shop", code=1)
    check_indexes(cfg)  # the first state again
    run("upgrade")
    run("auto_migrate", "--check", "--apps", "shop")


def test_a_clause_the_backend_cannot_write_is_refused_by_name(project, cli):
    """Without ``dialects=``, a clause the backend cannot write (a prefix length on
    PostgreSQL, an operator class on SQLite and MariaDB) is refused naming the model, the
    index and the clause; nothing is created."""
    proj, settings, cfg = project
    clause, words = (
        ("lengths=(10,)", "prefix length")
        if cfg.dialect_name == "postgres"
        else ('opclasses=("text_pattern_ops",)', "operator class")
    )
    models = proj.root / proj.package / "shop" / "models.py"
    text = models.read_text().replace(
        'DbIndex(fields=("name",), collations=("C",), dialects=("postgres",)),',
        f'DbIndex(fields=("name",), {clause}),',
    )
    models.write_text(text)
    result = _runner(proj, settings, cli)("auto_migrate", "--yes", code=1)
    assert "model shop.Account (table mi_account)" in result.output
    assert f"{words} cannot be written in {cfg.dialect_name}" in result.output
    assert "dialects=" in result.output
    assert asyncio.run(_tables(cfg)) == []


async def _tables(cfg) -> list[str]:
    async with raw_connection(cfg) as conn:
        return await cfg.dialect.fetch_scalar_list(conn, cfg.dialect.list_tables_sql)
