"""Property: random model edits give migrations that apply, converge and reverse.

Each example is a short sequence of edits to a one-app project (add or drop a field, change
a column's nullability or length, add an index -- on a field or as a ``Meta.indexes``
tuple). After each edit, on SQLite and on one server backend (PostgreSQL or MariaDB, drawn
per example): ``makemigrations`` writes a migration, ``upgrade`` applies it, then
``makemigrations --check`` and ``auto_migrate --check`` are both clean (the migrations and
the declarative engine agree), and ``downgrade -1`` gives back exactly the schema before the
edit (read from the database's catalog), after which ``upgrade`` applies it again.

Budget: a few derandomized examples by default (they run real servers: a minute or two);
``FASTAPP_FUZZ=long`` or a number runs more (see :mod:`tests.fuzz.fuzzing`).
"""

from __future__ import annotations

import asyncio
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fastapp import testing
from fastapp.connections.raw import raw_connection
from fastapp.introspect import get_catalog_reader
from fastapp.tortoise.tables import BOOKKEEPING_TABLES
from tests.conftest import require_backend
from tests.fuzz.fuzzing import ENV, FUZZ

#: Few examples unless asked for more: each one runs ~20 commands on two real databases.
BUDGET = settings(FUZZ, max_examples=2) if not os.environ.get(ENV) else FUZZ
NAMES = ["alpha", "beta", "gamma", "delta"]


@dataclass(frozen=True)
class Column:
    kind: str  # "char" or "int"
    null: bool = True
    length: int = 40
    index: bool = False

    def source(self) -> str:
        extra = ", db_index=True" if self.index else ""
        if self.kind == "char":
            default = "" if self.null else ', default=""'
            null = ", null=True" if self.null else ""
            return f"fields.CharField(max_length={self.length}{null}{default}{extra})"
        return f"fields.IntField({'null=True' if self.null else 'default=0'}{extra})"


@dataclass(frozen=True)
class Models:
    columns: dict[str, Column] = field(default_factory=dict)
    together: tuple[str, ...] = ()  # a Meta.indexes tuple over these fields

    def source(self) -> str:
        lines = [
            "from tortoise import fields",
            "from tortoise.models import Model",
            "",
            "",
            "class Item(Model):",
            "    id = fields.IntField(primary_key=True)",
            "    title = fields.CharField(max_length=100)",
        ]
        lines += [f"    {name} = {column.source()}" for name, column in self.columns.items()]
        lines += ["", "    class Meta:", '        table = "shop_item"']
        if self.together:
            lines.append(f"        indexes = ({self.together!r},)")
        return "\n".join(lines) + "\n"


def edits(models: Models):
    """The edits that apply to ``models``."""
    options = []
    free = [n for n in NAMES if n not in models.columns]
    if free:
        options.append(
            st.builds(
                lambda name, kind, null, length: ("add", name, Column(kind, null, length)),
                st.sampled_from(free),
                st.sampled_from(["char", "int"]),
                st.booleans(),
                st.sampled_from([20, 40, 80]),
            )
        )
    present = sorted(models.columns)
    if present:
        options.append(st.sampled_from(present).map(lambda n: ("drop", n, None)))
        options.append(st.sampled_from(present).map(lambda n: ("nullability", n, None)))
        options.append(st.sampled_from(present).map(lambda n: ("index", n, None)))
        chars = [n for n in present if models.columns[n].kind == "char"]
        if chars:
            options.append(
                st.tuples(st.sampled_from(chars), st.sampled_from([20, 60, 120])).map(
                    lambda p: ("length", p[0], p[1])
                )
            )
        if len(present) >= 2 and not models.together:
            options.append(st.just(("together", None, tuple(present[:2]))))
    return st.one_of(options)


def apply_edit(models: Models, edit) -> Models:
    action, name, value = edit
    columns = dict(models.columns)
    if action == "add":
        columns[name] = value
    elif action == "drop":
        del columns[name]
        together = models.together if name not in models.together else ()
        return Models(columns, together)
    elif action == "nullability":
        columns[name] = replace(columns[name], null=not columns[name].null)
    elif action == "index":
        columns[name] = replace(columns[name], index=not columns[name].index)
    elif action == "length":
        columns[name] = replace(columns[name], length=value)
    elif action == "together":
        return Models(columns, value)
    return Models(columns, models.together)


@st.composite
def histories(draw):
    models = Models({"alpha": Column("char")})
    steps = []
    for _ in range(draw(st.integers(1, 3 if os.environ.get(ENV) else 2))):
        edit = draw(edits(models))
        models = apply_edit(models, edit)
        steps.append((edit, models))
    return draw(st.sampled_from(["postgres", "mysql"])), steps


# --- running a project -----------------------------------------------------------------------


def _forget() -> None:
    for name in list(sys.modules):
        if name == "shop" or name.startswith("shop.") or name == "settings":
            del sys.modules[name]


@contextmanager
def project(root, url: str):
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").touch()
    (root / "settings.py").write_text('INSTALLED_APPS = ["shop"]\n')
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "FASTAPP_SETTINGS")}
    os.environ["DATABASE_URL"] = url
    os.environ.pop("FASTAPP_SETTINGS", None)
    cwd = os.getcwd()
    os.chdir(root)
    sys.path.insert(0, str(root))
    bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        yield root
    finally:
        sys.dont_write_bytecode = bytecode
        sys.path.remove(str(root))
        os.chdir(cwd)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _forget()


def fastapp(*args: str, code: int = 0) -> str:
    from fastapp.cli import app

    _forget()
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, f"fastapp {' '.join(args)}:\n{result.output}"
    return result.output


def schema(cfg):
    async def read():
        async with raw_connection(cfg) as conn:
            found = await get_catalog_reader(cfg.dialect_name).read(conn)
        return found.only(n for n in found.table_names if n not in BOOKKEEPING_TABLES)

    return asyncio.run(read())


def check_history(root, cfg, steps) -> None:
    with project(root, cfg.url(masked=False)) as folder:
        models_file = folder / "shop" / "models.py"
        models_file.write_text(Models({"alpha": Column("char")}).source())
        fastapp("makemigrations")
        fastapp("upgrade", "--strict")
        for edit, models in steps:
            before = schema(cfg)
            models_file.write_text(models.source())
            made = fastapp("makemigrations")
            assert "No changes" not in made, (edit, models.source())
            fastapp("upgrade", "--strict")
            fastapp("makemigrations", "--check")
            fastapp("auto_migrate", "--check", "--apps", "shop")
            after = schema(cfg)
            fastapp("downgrade", "-1")
            assert schema(cfg) == before, edit
            fastapp("upgrade", "--strict")
            assert schema(cfg) == after, edit


@BUDGET
@given(history=histories())
def test_random_model_edits_apply_converge_and_reverse(history, tmp_path_factory):
    server, steps = history
    for backend in ("sqlite", server):
        require_backend(backend)
        root = tmp_path_factory.mktemp(f"edits-{backend}")
        cfg = testing.scratch_config(backend, root)
        asyncio.run(cfg.dialect.create_database(cfg))
        try:
            check_history(root / "project", cfg, steps)
        finally:
            asyncio.run(cfg.dialect.drop_database(cfg))
