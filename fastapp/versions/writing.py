"""Writing migration files: ``makemigrations`` and ``merge``.

Tortoise's state machinery computes the changes (the state the migrations build against the
state of the models) and Tortoise's writer renders them, so the files are Tortoise's own
format. fastapp changes three things:

* **Renames are never guessed.** Tortoise turns a removed and an added field (or model) that
  look alike into a rename. Here only renames declared with ``--rename app.Model.old=new`` /
  ``--rename-model app.Old=New`` (or accepted at a guided prompt) are renames; any other is
  written as an add and a drop, and the drop is marked destructive.
* **Destructive operations are marked** in the file (a ``# destructive: ...`` comment above
  the operation) and listed in the result.
* **Dependencies across apps written in the same run** are recorded (Tortoise only sees
  migrations already on disk, so a first ``0001_initial`` of an app whose models reference
  another new app misses its dependency and cannot be applied).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapp.errors import MigrationTargetError, SchemaError
from fastapp.versions.loading import VersionedApp, apps_config, heads, load_graph, versioned_apps
from fastapp.versions.replay import project_state

if TYPE_CHECKING:
    from tortoise.migrations.schema_generator.state import State

    from fastapp.apps import AppRegistry

#: Guided mode: called with a question ("Was field x of blog.Post renamed to y?").
AskRename = Callable[[str], bool]

_NUMBER = re.compile(r"^(\d{4})_")


class RenameDeclarationError(SchemaError):
    """A declared rename names a model or field that does not exist."""


@dataclass(frozen=True)
class MakeRequest:
    """The command line of ``makemigrations``, as values."""

    apps: tuple[str, ...] = ()
    name: str | None = None
    empty: bool = False
    dry_run: bool = False
    check: bool = False
    #: ``app.Model.old=new``: a renamed field (Model is the model's current name).
    renames: tuple[str, ...] = ()
    #: ``app.Old=New``: a renamed model.
    rename_models: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewMigration:
    """One migration file, written or (``--dry-run``/``--check``) only computed."""

    app: str
    name: str
    path: Path | None
    text: str
    operations: tuple[str, ...]
    destructive: tuple[str, ...]
    written: bool


# --- declared renames ------------------------------------------------------------------------


def parse_field_renames(specs: tuple[str, ...]) -> list[tuple[str, str, str, str]]:
    """``app.Model.old=new`` -> ``(app, Model, old, new)``."""
    parsed = []
    for spec in specs:
        left, _, new = spec.partition("=")
        parts = left.strip().split(".")
        if len(parts) != 3 or not new.strip() or not all(parts):
            raise RenameDeclarationError(
                f"bad --rename {spec!r}: expected APP.MODEL.OLD=NEW, e.g. blog.Post.body=text"
            )
        parsed.append((parts[0], parts[1], parts[2], new.strip()))
    return parsed


def parse_model_renames(specs: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """``app.Old=New`` -> ``(app, Old, New)``."""
    parsed = []
    for spec in specs:
        left, _, new = spec.partition("=")
        app, _, old = left.strip().partition(".")
        if not app or not old or not new.strip() or "." in old:
            raise RenameDeclarationError(
                f"bad --rename-model {spec!r}: expected APP.OLD=NEW, e.g. blog.Entry=Post"
            )
        parsed.append((app, old, new.strip()))
    return parsed


def _declared_ops(request: MakeRequest, old: State, new: State) -> dict[str, list]:
    """The declared renames as Tortoise operations per app, applied to ``old`` (so the diff
    sees the new names) after checking that each names something real."""
    from tortoise.migrations.operations import RenameField, RenameModel

    declared: dict[str, list] = {}
    for app, old_name, new_name in parse_model_renames(request.rename_models):
        if (app, old_name) not in old.models:
            raise RenameDeclarationError(
                f"--rename-model {app}.{old_name}={new_name}: the migrations of {app!r} have "
                f"no model {old_name!r}"
            )
        if (app, new_name) not in new.models:
            raise RenameDeclarationError(
                f"--rename-model {app}.{old_name}={new_name}: the models of {app!r} have no "
                f"model {new_name!r}"
            )
        operation = RenameModel(old_name=old_name, new_name=new_name)
        operation.state_forward(app, old)
        declared.setdefault(app, []).append(operation)
    for app, model, old_name, new_name in parse_field_renames(request.renames):
        state = old.models.get((app, model))
        if state is None or old_name not in state.fields:
            raise RenameDeclarationError(
                f"--rename {app}.{model}.{old_name}={new_name}: the migrations of {app!r} have "
                f"no field {model}.{old_name}"
            )
        target = new.models.get((app, model))
        if target is None or new_name not in target.fields:
            raise RenameDeclarationError(
                f"--rename {app}.{model}.{old_name}={new_name}: the models of {app!r} have no "
                f"field {model}.{new_name}"
            )
        operation = RenameField(model_name=model, old_name=old_name, new_name=new_name)
        operation.state_forward(app, old)
        declared.setdefault(app, []).append(operation)
    return declared


def _no_guessed_renames(
    app: str, operations: list, old: State, new: State, ask: AskRename | None
) -> list:
    """Tortoise's guessed renames, each kept only when the user says so; otherwise an add
    (in its place) and a drop (at the end)."""
    from tortoise.migrations.operations import (
        AddField,
        DeleteModel,
        RemoveField,
        RenameField,
        RenameModel,
    )
    from tortoise.migrations.schema_generator.operation_generator import OperationGenerator

    kept: list = []
    drops: list = []
    for operation in operations:
        if isinstance(operation, RenameField):
            question = (
                f"Was field {operation.old_name} of {app}.{operation.model_name} renamed to "
                f"{operation.new_name}?"
            )
            if ask is not None and ask(question):
                kept.append(operation)
                continue
            field = new.models[(app, operation.model_name)].fields[operation.new_name]
            kept.append(AddField(operation.model_name, operation.new_name, field))
            drops.append(RemoveField(operation.model_name, operation.old_name))
        elif isinstance(operation, RenameModel):
            question = f"Was model {app}.{operation.old_name} renamed to {operation.new_name}?"
            if ask is not None and ask(question):
                kept.append(operation)
                continue
            creator = OperationGenerator(old, new)
            kept.append(creator._create_model_operation(new.models[(app, operation.new_name)]))
            drops.append(DeleteModel(name=operation.old_name))
        else:
            kept.append(operation)
    return kept + drops


# --- destructive operations --------------------------------------------------------------------


def destructive_reason(app: str, operation: Any, old: State) -> str | None:
    """Why ``operation`` loses data (``None``: it does not): drops and lossy changes."""
    from tortoise.fields.relational import ManyToManyFieldInstance
    from tortoise.migrations.operations import AlterField, DeleteModel, DropSchema, RemoveField

    if isinstance(operation, DeleteModel):
        model = old.models.get((app, operation.name))
        table = model.table if model is not None else operation.name
        return f"drops table {table} and its rows"
    if isinstance(operation, DropSchema):
        return f"drops schema {operation.schema_name}"
    if isinstance(operation, RemoveField):
        model = old.models.get((app, operation.model_name))
        field = model.fields.get(operation.name) if model is not None else None
        table = model.table if model is not None else operation.model_name
        if isinstance(field, ManyToManyFieldInstance):
            return f"drops the many-to-many table of {operation.model_name}.{operation.name}"
        return f"drops column {table}.{operation.name} and its values"
    if isinstance(operation, AlterField):
        model = old.models.get((app, operation.model_name))
        before = model.fields.get(operation.name) if model is not None else None
        if before is None:
            return None
        after = operation.field
        where = f"{model.table}.{operation.name}"
        if type(before) is not type(after):
            return (
                f"changes the type of {where} from {type(before).__name__} to "
                f"{type(after).__name__}; values may not convert"
            )
        for attribute in ("max_length", "max_digits", "decimal_places"):
            old_size, new_size = getattr(before, attribute, None), getattr(after, attribute, None)
            if old_size is not None and new_size is not None and new_size < old_size:
                return f"narrows {where} ({attribute} {old_size} -> {new_size}); longer values fail"
    return None


def _writer_class():
    from tortoise.migrations.writer import MigrationWriter

    class MarkingWriter(MigrationWriter):
        """Tortoise's writer, with a ``# destructive:`` comment above each lossy operation."""

        def __init__(self, *args: Any, marks: dict[int, str], **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.marks = marks

        def _format_operation(self, operation: Any, imports: Any, *, indent: str) -> list[str]:
            lines = super()._format_operation(operation, imports, indent=indent)
            mark = self.marks.get(id(operation))
            return [f"{indent}# destructive: {mark}", *lines] if mark else lines

    return MarkingWriter


# --- names ----------------------------------------------------------------------------------------


def _next_number(names: list[str]) -> int:
    numbers = [int(m.group(1)) for n in names if (m := _NUMBER.match(n))]
    return max(numbers, default=0) + 1


def _suggest(operations: list) -> str:
    """A name from the operations (``add_user_nickname``), as Django does; deterministic."""
    from tortoise.migrations import operations as ops

    parts = []
    for operation in operations:
        if isinstance(operation, ops.CreateModel):
            parts.append(operation.name.lower())
        elif isinstance(operation, ops.DeleteModel):
            parts.append(f"delete_{operation.name.lower()}")
        elif isinstance(operation, ops.AddField):
            parts.append(f"{operation.model_name.lower()}_{operation.name}")
        elif isinstance(operation, ops.RemoveField):
            parts.append(f"remove_{operation.model_name.lower()}_{operation.name}")
        elif isinstance(operation, ops.AlterField):
            parts.append(f"alter_{operation.model_name.lower()}_{operation.name}")
        elif isinstance(operation, ops.RenameField):
            parts.append(f"rename_{operation.model_name.lower()}_{operation.new_name}")
        elif isinstance(operation, ops.RenameModel):
            parts.append(f"rename_{operation.old_name.lower()}_{operation.new_name.lower()}")
        else:
            return "auto"
    name = "_".join(dict.fromkeys(parts))
    return name if parts and len(name) <= 60 else "auto"


# --- makemigrations ----------------------------------------------------------------------------


async def makemigrations(
    registry: AppRegistry, request: MakeRequest, ask_rename: AskRename | None = None
) -> list[NewMigration]:
    """Write (unless ``dry_run``/``check``) the next migration of every selected app whose
    models differ from the state its migrations build.

    Raises :class:`RenameDeclarationError` for a declared rename that names nothing, what
    :func:`~fastapp.versions.loading.load_graph` raises for broken files, and
    :class:`~fastapp.errors.MigrationTargetError` for ``--empty`` without an app.
    """
    from tortoise.migrations.autodetector import MigrationAutodetector
    from tortoise.migrations.schema_generator.operation_generator import OperationGenerator

    from fastapp.tortoise.context import tortoise_context
    from fastapp.tortoise.field_types import fast_field_types

    if request.empty and not request.apps:
        raise MigrationTargetError("--empty needs the app(s) to write an empty migration for")
    everything = versioned_apps(registry)
    selected = versioned_apps(registry, request.apps)
    config = apps_config(everything)
    loader = await load_graph(config)
    # The models' state is read, never queried: no query sets or filter tables.
    async with tortoise_context(registry, schema_only=True) as ctx:
        detector = MigrationAutodetector(ctx.apps, config)
        detector.loader = loader
        new = detector._current_state()
    old = await project_state(loader.graph, render=False)
    declared = _declared_ops(request, old, new)
    planned: dict[str, list] = {}
    with fast_field_types():  # fields are compared by describe(): its costly part, once per class
        for app in selected:
            if request.empty:
                planned[app.label] = []
                continue
            found = OperationGenerator(old, new).generate(app_labels=[app.label])
            found = _no_guessed_renames(app.label, found, old, new, ask_rename)
            operations = declared.get(app.label, []) + found
            if operations:
                planned[app.label] = operations
    names = {
        label: _name(label, loader, operations, request, old)
        for label, operations in planned.items()
    }
    results = []
    writer_class = _writer_class()
    for app in selected:
        if app.label not in planned:
            continue
        operations = planned[app.label]
        marks = {
            id(op): reason
            for op in operations
            if (reason := destructive_reason(app.label, op, old)) is not None
        }
        writer = writer_class(
            names[app.label],
            app.label,
            operations,
            dependencies=_dependencies(app, everything, loader, names, new),
            initial=True if not heads(loader.graph, app.label) else None,
            migrations_module=app.module,
            marks=marks,
        )
        text = writer.as_string()
        path = None
        written = not (request.dry_run or request.check)
        if written:
            path = app.ensure_package() / f"{writer.name}.py"
            path.write_text(text, encoding="utf-8")
        results.append(
            NewMigration(
                app.label,
                writer.name,
                path,
                text,
                tuple(op.describe() for op in operations),
                tuple(marks[id(op)] for op in operations if id(op) in marks),
                written,
            )
        )
    return results


def _name(label: str, loader: Any, operations: list, request: MakeRequest, old: State) -> str:
    from tortoise.migrations.writer import format_migration_name

    existing = [key.name for key in loader.graph.nodes if key.app_label == label]
    number = _next_number(existing)
    if request.name:
        return format_migration_name(number, request.name)
    if not existing:
        return format_migration_name(number, "initial")
    return format_migration_name(number, _suggest(operations))


def _dependencies(
    app: VersionedApp,
    everything: list[VersionedApp],
    loader: Any,
    names: dict[str, str],
    new: State,
) -> list[tuple[str, str]]:
    """The app's current head(s), and the head -- new in this run or on disk -- of every
    other app its models reference."""
    from tortoise.fields.relational import (
        ForeignKeyFieldInstance,
        ManyToManyFieldInstance,
        OneToOneFieldInstance,
    )

    relation = (ForeignKeyFieldInstance, OneToOneFieldInstance, ManyToManyFieldInstance)
    deps = {(app.label, name) for name in heads(loader.graph, app.label)}
    others = {other.label for other in everything}
    for (model_app, _), model in new.models.items():
        if model_app != app.label:
            continue
        for field in model.fields.values():
            if not isinstance(field, relation):
                continue
            reference = field.model_name
            target = (
                reference.split(".", 1)[0]
                if isinstance(reference, str)
                else getattr(reference._meta, "app", None)
            )
            if target is None or target == app.label or target not in others:
                continue
            if target in names:
                deps.add((target, names[target]))
            else:
                deps.update((target, name) for name in heads(loader.graph, target))
    return sorted(deps)


# --- merge ------------------------------------------------------------------------------------------


async def merge(registry: AppRegistry, app_label: str, name: str | None = None) -> NewMigration:
    """Write the migration that joins ``app_label``'s heads (it depends on all of them and
    does nothing). Raises :class:`MigrationTargetError` when the app has a single head."""
    from tortoise.migrations.writer import MigrationWriter, format_migration_name

    (app,) = versioned_apps(registry, [app_label])
    loader = await load_graph(apps_config(versioned_apps(registry)))
    found = heads(loader.graph, app.label)
    if len(found) < 2:
        raise MigrationTargetError(
            f"app {app.label!r} has {len(found)} head(s) ({', '.join(found) or 'none'}): "
            "nothing to merge"
        )
    existing = [key.name for key in loader.graph.nodes if key.app_label == app.label]
    numbers = "_".join(n.split("_", 1)[0] for n in found)
    migration_name = format_migration_name(_next_number(existing), name or f"merge_{numbers}")
    writer = MigrationWriter(
        migration_name,
        app.label,
        [],
        dependencies=[(app.label, head) for head in found],
        migrations_module=app.module,
    )
    text = writer.as_string()
    path = app.ensure_package() / f"{migration_name}.py"
    path.write_text(text, encoding="utf-8")
    return NewMigration(app.label, migration_name, path, text, (), (), True)
