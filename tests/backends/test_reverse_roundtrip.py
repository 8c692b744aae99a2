"""The acceptance round trip on the three real backends, and the command end to end.

tables (DDL) -> ``fastapp reverse_generation --all`` -> the module installed as an app ->
``fastapp migrate`` into a fresh database -> the Schema read from it equals the original's.
The comparison is what ``auto_migrate --check`` compares (two ``read_schema`` results); column
order is left out because Tortoise always puts foreign-key columns last (see the docs' list of
exceptions), as is MySQL's table collation (Tortoise names the charset, so MySQL picks the
charset's default collation). Then, in the issue's own words, ``fastapp auto_migrate --check``
of the generated models against the original database reports no difference (on MySQL, only
that collation).
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import uuid
from pathlib import Path

import pytest

from fastapp.connections.raw import raw_connection
from fastapp.introspect.exporter import read_schema
from fastapp.schema.objects import Schema

COMMON = {
    "users": """CREATE TABLE users (
        id {serial} PRIMARY KEY,
        email VARCHAR(200) NOT NULL UNIQUE,
        name VARCHAR(50) NOT NULL DEFAULT 'anon',
        bio {text},
        active {bool} NOT NULL DEFAULT {true},
        score {decimal} DEFAULT 1.50,
        ratio {double},
        born DATE,
        wakes {time},
        created_at {timestamp} NOT NULL DEFAULT {now},
        data {json},
        raw {blob},
        small SMALLINT DEFAULT -1,
        big BIGINT,
        "First Name" VARCHAR(30),
        "class" INT
    ){table_comment}""",
    "users_name_idx": "CREATE INDEX users_name_idx ON users (name)",
    "post": """CREATE TABLE post (
        id {bigserial} PRIMARY KEY,
        author_id INT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        editor INT REFERENCES users (id) ON DELETE SET NULL,
        parent_id {bigref} REFERENCES post (id),
        title VARCHAR(100) NOT NULL,
        CONSTRAINT post_author_title UNIQUE (author_id, title)
    )""",
    "post_author_idx": "CREATE INDEX post_author_idx ON post (author_id)",
    "post_title_parent": "CREATE INDEX post_title_parent ON post (title, parent_id)",
    "tag": "CREATE TABLE tag (id {serial} PRIMARY KEY, name VARCHAR(20) NOT NULL UNIQUE)",
    "post_tag": """CREATE TABLE post_tag (
        post_id {bigref} NOT NULL REFERENCES post (id) ON DELETE CASCADE,
        tag_id INT NOT NULL REFERENCES tag (id) ON DELETE CASCADE
    )""",
    "post_tag_pair": "CREATE UNIQUE INDEX post_tag_pair ON post_tag (post_id, tag_id)",
    "friendship": """CREATE TABLE friendship (
        from_user_id INT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        to_user_id INT NOT NULL REFERENCES users (id) ON DELETE CASCADE
    )""",
    "friendship_pair": (
        "CREATE UNIQUE INDEX friendship_pair ON friendship (from_user_id, to_user_id)"
    ),
    "profile": """CREATE TABLE profile (
        user_id INT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        nick VARCHAR(10)
    )""",
    "passport": """CREATE TABLE passport (
        id {serial} PRIMARY KEY,
        owner_id INT NOT NULL UNIQUE REFERENCES users (id) ON DELETE RESTRICT
    )""",
    "message": """CREATE TABLE message (
        id {serial} PRIMARY KEY,
        sender_id INT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        recipient_id INT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        reply_to_email VARCHAR(200) REFERENCES users (email) ON DELETE SET NULL,
        body {text} NOT NULL
    )""",
    "code": "CREATE TABLE code (code VARCHAR(10) NOT NULL PRIMARY KEY, label {text} NOT NULL)",
    "item": """CREATE TABLE item (
        id INT NOT NULL PRIMARY KEY,
        code_id VARCHAR(10) REFERENCES code (code) ON DELETE NO ACTION
    )""",
    "order": """CREATE TABLE "order" (
        id {serial} PRIMARY KEY,
        "select" VARCHAR(5) NOT NULL,
        "pk" INT,
        "2nd" INT,
        UNIQUE ("select", "pk")
    )""",
}
SPELLING = {
    "postgres": {
        "decimal": "DECIMAL(10,2)",
        "bigref": "BIGINT",
        "serial": "SERIAL",
        "bigserial": "BIGSERIAL",
        "text": "TEXT",
        "bool": "BOOLEAN",
        "true": "TRUE",
        "double": "DOUBLE PRECISION",
        "time": "TIMETZ",
        "timestamp": "TIMESTAMPTZ",
        # what Tortoise writes for auto_now_add (now() is stored apart from it, and the
        # model cannot say which of the two it wants)
        "now": "CURRENT_TIMESTAMP",
        "json": "JSONB",
        "blob": "BYTEA",
        "table_comment": "",
    },
    "mysql": {
        "decimal": "DECIMAL(10,2)",
        "bigref": "BIGINT",
        "serial": "INT NOT NULL AUTO_INCREMENT",
        "bigserial": "BIGINT NOT NULL AUTO_INCREMENT",
        "text": "LONGTEXT",
        "bool": "BOOL",
        "true": "1",
        "double": "DOUBLE",
        "time": "TIME(6)",
        "timestamp": "DATETIME(6)",
        "now": "CURRENT_TIMESTAMP(6)",
        "json": "JSON",
        "blob": "LONGBLOB",
        "table_comment": " COMMENT='All the users'",
    },
    "sqlite": {
        "decimal": "REAL",
        "bigref": "INT",
        "serial": "INTEGER NOT NULL",
        "bigserial": "INTEGER NOT NULL",
        "text": "TEXT",
        "bool": "INT",
        "true": "1",
        "double": "REAL",
        "time": "TIME",
        "timestamp": "TIMESTAMP",
        "now": "CURRENT_TIMESTAMP",
        "json": "JSON",
        "blob": "BLOB",
        "table_comment": "",
    },
}
#: What only some backends have.
EXTRA = {
    "postgres": [
        "ALTER TABLE users ADD COLUMN token UUID",
        "ALTER TABLE post ADD COLUMN tags JSONB",
        "CREATE INDEX post_tags_gin ON post USING gin (tags)",
        "COMMENT ON TABLE users IS 'All the users'",
        "COMMENT ON COLUMN users.bio IS 'What they say about themselves, it''s free text'",
    ],
    "mysql": [
        "ALTER TABLE users MODIFY bio LONGTEXT COMMENT 'What they say, it''s free text'",
        "ALTER TABLE post ADD COLUMN tags JSON",
    ],
    "sqlite": [],
}


def corpus(dialect: str) -> list[str]:
    quote = "`" if dialect == "mysql" else '"'
    statements = [sql.format(**SPELLING[dialect]).replace('"', quote) for sql in COMMON.values()]
    if dialect == "sqlite":
        # AUTOINCREMENT is what Tortoise writes for a generated key on SQLite.
        statements = [
            s.replace("INTEGER NOT NULL PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL")
            for s in statements
        ]
    return statements + EXTRA[dialect]


async def _apply(cfg, statements: list[str]) -> None:
    async with raw_connection(cfg) as conn:
        for statement in statements:
            await cfg.dialect.execute_raw(conn, statement)


def comparable(schema: Schema) -> Schema:
    """The schema without what the round trip cannot keep (see the module docstring)."""
    tables = []
    for table in schema.tables:
        options = tuple(
            o for o in table.options if not (schema.dialect == "mysql" and o[0] == "collation")
        )
        columns = tuple(sorted(table.columns, key=lambda c: c.name))
        tables.append(dataclasses.replace(table, columns=columns, options=options))
    return dataclasses.replace(schema, tables=tuple(tables))


@pytest.fixture(scope="module")
def original(module_db):
    asyncio.run(_apply(module_db, corpus(module_db.dialect_name)))
    return module_db


class GeneratedApp:
    """A temporary project: package ``label`` (the generated models) and its settings."""

    def __init__(self, root: Path, label: str) -> None:
        self.root, self.label = root, label
        self.settings = f"{label}_settings"
        (root / label).mkdir()
        (root / label / "__init__.py").write_text("")
        self.models = root / label / "models.py"

    def configure(self, database_url: str) -> None:
        sys.modules.pop(self.settings, None)
        (self.root / f"{self.settings}.py").write_text(
            f"INSTALLED_APPS = [{self.label!r}]\nDATABASES = {{'default': {database_url!r}}}\n"
        )

    def forget(self) -> None:
        for name in list(sys.modules):
            if name in (self.label, self.settings) or name.startswith(self.label + "."):
                del sys.modules[name]


@pytest.fixture
def app(tmp_path, monkeypatch):
    project = GeneratedApp(tmp_path, f"rev_{uuid.uuid4().hex[:10]}")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    yield project
    project.forget()


def _differences(before: Schema, after: Schema) -> list[str]:
    lines = []
    for table in before.tables:
        other = after.table(table.name)
        if other is None:
            lines.append(f"{table.name}: missing")
            continue
        for f in dataclasses.fields(table):
            mine, theirs = getattr(table, f.name), getattr(other, f.name)
            if mine != theirs:
                lines.append(f"{table.name}.{f.name}: {mine!r} != {theirs!r}")
    lines.extend(f"{t}: extra" for t in after.table_names if before.table(t) is None)
    return lines


def test_round_trip_recreates_the_same_schema(cli, original, fresh_db, app):
    result = cli(
        "reverse_generation",
        "--all",
        "--database",
        original.url(masked=False),
        "--app",
        app.label,
        "--output",
        str(app.models),
    )
    assert result.exit_code == 0, result.output
    source = app.models.read_text()
    assert "# TODO:" not in source and "# database type:" not in source, source
    assert "ManyToManyField" in source and "OneToOneField" in source

    app.configure(fresh_db.url(masked=False))
    migrated = cli("--settings", app.settings, "migrate")
    assert migrated.exit_code == 0, migrated.output + source

    before = comparable(asyncio.run(read_schema(original)))
    after = comparable(asyncio.run(read_schema(fresh_db)))
    assert _differences(before, after) == [], source
    assert before == after

    # The wording: auto_migrate --check of the generated models against the original.
    app.configure(original.url(masked=False))
    check = cli("--settings", app.settings, "auto_migrate", "--check")
    assert original.name in check.output
    if original.dialect_name == "mysql":
        # The one documented difference: Tortoise's CHARACTER SET picks the default collation.
        changes = [line.strip() for line in check.output.splitlines() if "] " in line]
        assert changes and all(
            "change table options of" in c and "collation=utf8mb4_general_ci" in c for c in changes
        ), check.output
    else:
        assert check.exit_code == 0, check.output
        assert "matches the desired schema" in check.output


def test_listing_selection_and_errors(cli, original, tmp_path):
    url = original.url(masked=False)
    listing = cli("reverse_generation", "--database", url)
    assert listing.exit_code == 0, listing.output
    assert {"users", "post", "post_tag", "order"} <= set(listing.stdout.split())

    out = tmp_path / "models.py"
    chosen = cli("reverse_generation", "post", "--database", url, "-o", str(out))
    assert chosen.exit_code == 0, chosen.output
    assert "Added because selected tables reference them: users" in chosen.output
    text = out.read_text()
    assert "class Post(Model):" in text and "class Users(Model):" in text
    assert "class Tag(Model):" not in text

    to_stdout = cli("reverse_generation", "pass*", "--database", url)
    assert to_stdout.exit_code == 0
    assert "class Passport(Model):" in to_stdout.stdout

    unknown = cli("reverse_generation", "nope", "--database", url)
    assert unknown.exit_code == 1
    assert "no table 'nope' in the database" in unknown.output
    assert len(unknown.output.strip().splitlines()) == 1


INEXACT = {
    "postgres": [
        "CREATE TYPE mood AS ENUM ('happy', 'so so')",
        """CREATE TABLE odd (
            id INT NOT NULL PRIMARY KEY, code CHAR(2), stamp TIMESTAMP, doc JSON,
            addr INET, feeling mood DEFAULT 'happy', n NUMERIC, CHECK (id > 0)
        )""",
        "CREATE INDEX odd_partial ON odd (code) WHERE id > 10",
    ],
    "mysql": [
        """CREATE TABLE odd (
            id INT NOT NULL PRIMARY KEY, code CHAR(2), stamp DATETIME, tiny TINYINT,
            feeling ENUM('happy', 'so so') DEFAULT 'happy', yr YEAR, n INT UNSIGNED,
            changed DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
            CHECK (id > 0)
        )""",
    ],
    "sqlite": [
        """CREATE TABLE odd (
            id INT NOT NULL PRIMARY KEY, code CHAR(2), flag BOOLEAN, price DECIMAL(5,2),
            shape POINT, CHECK (id > 0)
        )""",
    ],
}


def test_inexact_types_are_flagged_and_the_module_still_migrates(
    backend, cli, fresh_db, app, tmp_path
):
    from fastapp import testing

    async def generate() -> str:
        async with testing.scratch_database(backend, tmp_path) as cfg:
            await _apply(cfg, INEXACT[backend])
            from fastapp.reverse import reverse_generation

            return await reverse_generation(cfg, ["odd"], app=app.label)

    generated = asyncio.run(generate())
    source = generated.source
    assert "# database type: char(2)" in source
    assert "# TODO: check constraint not expressible" in source
    if backend == "postgres":
        assert "addr = fields.TextField(null=True)  # TODO: unknown type inet" in source
        assert "class Mood(StrEnum):" in source
        # a partial index is a DbIndex now, not a TODO
        assert 'DbIndex(fields=("code",), name="odd_partial", where="id > 10")' in source
    if backend == "mysql":
        assert "class OddFeeling(StrEnum):" in source
        assert "# database type: integer unsigned" in source
        # ON UPDATE CURRENT_TIMESTAMP is read (no warning) and becomes auto_now.
        changed = next(line for line in source.splitlines() if line.strip().startswith("changed"))
        assert "auto_now=True" in changed and "auto_now_add" not in changed, changed
        assert not any("on update" in w.lower() for w in generated.warnings)
    if backend == "sqlite":
        assert "TODO: unknown type point" in source
    app.models.write_text(source)
    app.configure(fresh_db.url(masked=False))
    migrated = cli("--settings", app.settings, "migrate")
    assert migrated.exit_code == 0, migrated.output + source
    assert "odd" in asyncio.run(read_schema(fresh_db)).table_names


def test_example_project_models_survive_a_second_round(
    cli, example_project, fresh_db, app, tmp_path
):
    """Tortoise-made tables (the example blog) -> models -> the same tables again."""
    from tests.corpus.test_reverse_corpus import comparable

    env = {"DATABASE_URL": fresh_db.url(masked=False)}
    assert cli("migrate", env=env).exit_code == 0
    # No --database: the settings' default connection (here DATABASE_URL) is read.
    result = cli("reverse_generation", "--all", "--app", app.label, "-o", str(app.models), env=env)
    assert result.exit_code == 0, result.output
    source = app.models.read_text()
    assert "fields.ManyToManyField(" in source and "fields.OneToOneField(" not in source
    assert "# TODO:" not in source

    async def second_round() -> tuple[Schema, Schema]:
        from fastapp import testing
        from fastapp.apply.create_missing import MigrateOptions, migrate
        from fastapp.apps import AppRegistry
        from fastapp.settings import Settings

        async with testing.scratch_database(fresh_db.dialect_name, tmp_path) as copy:
            settings = Settings(
                module=None, installed_apps=(app.label,), databases={"default": copy}
            )
            await migrate(AppRegistry(settings), MigrateOptions())
            return await read_schema(fresh_db), await read_schema(copy)

    before, after = asyncio.run(second_round())
    assert before.table_names == after.table_names
    for table in before.tables:
        assert comparable(table, before.dialect) == comparable(
            after.table(table.name), before.dialect
        )


def test_schema_option_reads_another_postgres_schema(backend, cli, fresh_db):
    url = fresh_db.url(masked=False)
    if backend != "postgres":
        result = cli("reverse_generation", "--all", "--schema", "shop", "--database", url)
        assert result.exit_code == 1
        assert f"--schema 'shop' does not apply to {backend}" in result.output
        return
    asyncio.run(
        _apply(
            fresh_db,
            [
                "CREATE SCHEMA shop",
                "CREATE TABLE shop.product (id SERIAL PRIMARY KEY, name VARCHAR(20) NOT NULL)",
                "CREATE TABLE public.elsewhere (id SERIAL PRIMARY KEY)",
            ],
        )
    )
    listing = cli("reverse_generation", "--schema", "shop", "--database", url)
    assert listing.stdout.split() == ["product"]
    result = cli("reverse_generation", "--all", "--schema", "shop", "--database", url)
    assert result.exit_code == 0, result.output
    assert "class Product(Model):" in result.stdout and "Elsewhere" not in result.stdout
    assert 'table = "product"\n        schema = "shop"' in result.stdout


def test_bad_input_is_one_line(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "settings", raising=False)  # another test's project
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    no_settings = cli("reverse_generation", "--all")
    assert no_settings.exit_code == 1
    assert "no settings module and no database URL" in no_settings.output
    down = cli("reverse_generation", "--all", "--database", "postgres://u:secret@127.0.0.1:1/x")
    assert down.exit_code == 1
    assert "cannot connect" in down.output and "secret" not in down.output
    assert len(down.output.strip().splitlines()) == 1
    both = cli("reverse_generation", "t", "--all", "--database", "sqlite:///" + str(tmp_path / "x"))
    assert both.exit_code == 2
    (tmp_path / "file").write_text("")
    db = "sqlite:///" + str(tmp_path / "x.sqlite3")
    unwritable = cli("reverse_generation", "--all", "-d", db, "-o", str(tmp_path / "file" / "m.py"))
    assert unwritable.exit_code == 1
    assert "cannot write" in unwritable.output and "choose another --output" in unwritable.output
