"""``generate_crud``: a model, its pydantic schemas, a router and its tests, as a
:class:`~fastapp.scaffold.files.FilePlan` computed and validated in full before anything is
written.

Files: ``APP/models.py`` (the model added, or replaced when forced), ``APP/schemas/<model>.py``,
``APP/routers/<model>.py`` (included by ``APP/routers/__init__.py``), ``tests/test_<app>_<model>.py``
and ``tests/conftest.py`` (the ``factory`` fixture, when missing).
"""

from __future__ import annotations

import ast
import importlib.util
import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapp.errors import ScaffoldError
from fastapp.scaffold import sources
from fastapp.scaffold.files import FilePlan
from fastapp.scaffold.project import first_party, install_app
from fastapp.scaffold.render import render
from fastapp.scaffold.specs import FieldSpec, enum_member, parse_fields, tortoise_reserved

_MODEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
AUDIT_MODULE = "fastapp.contrib.audit.mixin"
#: The installed app that keeps the audit log (its table and migration).
AUDIT_APP = "fastapp.contrib.audit"
AUDIT_MIXIN = "AuditMixin"
#: Filter operators offered per field type (``isnull`` is added for nullable fields).
OPERATORS = {
    "str": ("eq", "ne", "in", "contains", "icontains", "startswith", "istartswith"),
    "text": ("contains", "icontains"),
    "int": ("eq", "ne", "lt", "lte", "gt", "gte", "in"),
    "bigint": ("eq", "ne", "lt", "lte", "gt", "gte", "in"),
    "decimal": ("eq", "ne", "lt", "lte", "gt", "gte"),
    "bool": ("eq",),
    "date": ("eq", "lt", "lte", "gt", "gte"),
    "datetime": ("lt", "lte", "gt", "gte"),
    "uuid": ("eq", "in"),
    "enum": ("eq", "ne", "in"),
    "fk": ("eq", "in"),
}
#: The operator the generated filter test uses, by preference (each keeps item 2, drops item 1).
_TEST_OPS = ("eq", "gte", "icontains", "contains", "in")
_SORTABLE = {"str", "int", "bigint", "decimal", "bool", "date", "datetime", "uuid", "enum"}
_SEARCHABLE = {"str", "text"}


@dataclass(frozen=True)
class CrudRequest:
    """What ``generate_crud APP.Model spec ... [options]`` asks for."""

    target: str
    specs: tuple[str, ...]
    soft_delete: bool = False
    searchable: tuple[str, ...] = ()
    filterable: tuple[str, ...] = ()
    audit: bool = False


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def plural(word: str) -> str:
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def _models_in(source: str, path: str) -> dict[str, ast.ClassDef]:
    """Top-level classes that look like Tortoise models (a base named ``...Model``)."""

    def base_name(base: ast.expr) -> str:
        if isinstance(base, ast.Attribute):
            return base.attr
        return base.id if isinstance(base, ast.Name) else ""

    return {
        name: node
        for name, node in sources.top_level_classes(source, path).items()
        if any(base_name(b).endswith("Model") for b in node.bases)
    }


def _pk_type(node: ast.ClassDef | None) -> str:
    """The Python type of a model's primary key, read from its class body (``int`` unless a
    ``UUIDField`` or ``CharField`` is marked ``primary_key=True``)."""
    for statement in node.body if node is not None else ():
        if not isinstance(statement, ast.Assign) or not isinstance(statement.value, ast.Call):
            continue
        call = statement.value
        is_pk = any(
            k.arg in ("primary_key", "pk") and isinstance(k.value, ast.Constant) and k.value.value
            for k in call.keywords
        )
        if is_pk and isinstance(call.func, ast.Attribute):
            if call.func.attr == "UUIDField":
                return "UUID"
            if call.func.attr == "CharField":
                return "str"
    return "int"


class _Generator:
    def __init__(self, request: CrudRequest, root: Path) -> None:
        self.request = request
        self.root = root.resolve()
        app, _, model = request.target.partition(".")
        if not app or not model or "." in model:
            raise ScaffoldError(
                f"{request.target!r} is not APP.Model; write e.g. shop.Product "
                "(the app's package, then the model's class name)"
            )
        if not _MODEL.match(model) or keyword.iskeyword(model):
            raise ScaffoldError(
                f"model name {model!r} must be a CamelCase class name (a capital letter first, "
                "then letters and digits), e.g. Product"
            )
        if model in tortoise_reserved() or model in ("Model", "Meta", "Decimal", "StrEnum"):
            raise ScaffoldError(f"model name {model!r} clashes with a name the module imports")
        if not re.match(r"^[a-z_][a-z0-9_]*$", app):
            raise ScaffoldError(
                f"app {app!r} in {request.target!r} must be a lowercase Python identifier "
                "(the app's package), e.g. shop.Product"
            )
        self.app, self.model = app, model
        self.models_path = self.root / app / "models.py"
        if not self.models_path.is_file():
            raise ScaffoldError(
                f"no app {app!r} in {self.root} ({app}/models.py not found); run "
                f"`fastapp startapp {app}` first, or run from the project folder"
            )
        self.fields = parse_fields(list(request.specs), soft_delete=request.soft_delete)
        self.snake = snake(model)
        self.plural = plural(self.snake)
        self.plan = FilePlan(self.root)
        self.models_source = self.models_path.read_text(encoding="utf-8")
        self.known = _models_in(self.models_source, str(self.models_path))
        self.audit_mixin = self._audit() if request.audit else None

    # --- validation ---------------------------------------------------------------------

    def _audit(self) -> str:
        """The mixin an audited model takes (the audit app itself is installed by the plan)."""
        module = importlib.import_module(AUDIT_MODULE)
        if not hasattr(module, AUDIT_MIXIN):  # a broken installation, not a user's mistake
            raise ScaffoldError(
                f"--audit: {AUDIT_MODULE} has no {AUDIT_MIXIN}; reinstall fastapp or drop --audit "
                "(nothing was written)"
            )
        return AUDIT_MIXIN

    def resolve_target(self, one: FieldSpec) -> tuple[str, str, ast.ClassDef | None]:
        """(app, Model, its class node) of a relation; raises when the model does not exist."""
        assert one.target is not None
        app, _, model = one.target.rpartition(".")
        app = app or self.app
        if app == self.app:
            if model == self.model:
                return app, model, self.known.get(model)
            if model in self.known:
                return app, model, self.known[model]
            where = f"{self.app}/models.py"
        else:
            path = self.root / app / "models.py"
            if path.is_file():
                known = _models_in(path.read_text(encoding="utf-8"), str(path))
                if model in known:
                    return app, model, known[model]
            where = f"{app}/models.py"
        raise ScaffoldError(
            f"field spec {one.spec!r}: no model {model!r} in {where}; generate it first "
            f"(fastapp generate_crud {app}.{model} ...) or fix the name"
        )

    def _check_lists(self) -> tuple[list[FieldSpec], list[FieldSpec]]:
        by_name = {f.name: f for f in self.fields}

        def pick(names: tuple[str, ...], option: str, allowed: set[str]) -> list[FieldSpec]:
            chosen = []
            for name in names:
                one = by_name.get(name)
                if one is None:
                    raise ScaffoldError(
                        f"{option} {name!r}: no such field among the specs "
                        f"({', '.join(by_name)}); name one of them"
                    )
                if one.kind not in allowed:
                    raise ScaffoldError(
                        f"{option} {name!r}: a {one.kind} field cannot be "
                        f"{option.strip('-').replace('able', 'ed')}; allowed types: "
                        f"{', '.join(sorted(allowed))}"
                    )
                if one not in chosen:
                    chosen.append(one)
            return chosen

        return (
            pick(self.request.searchable, "--searchable", _SEARCHABLE),
            pick(self.request.filterable, "--filterable", set(OPERATORS)),
        )

    # --- the model -----------------------------------------------------------------------

    def field_source(self, one: FieldSpec, related_names: dict[str, str]) -> str:
        args: list[str] = []
        kind = one.kind
        if kind == "str":
            call, args = "CharField", [f"max_length={one.length}"]
        elif kind == "decimal":
            assert one.digits is not None
            call = "DecimalField"
            args = [f"max_digits={one.digits[0]}", f"decimal_places={one.digits[1]}"]
        elif kind == "enum":
            call = "CharEnumField"
            args = [self.enum_name(one), f"max_length={max(len(c) for c in one.choices)}"]
        elif kind in ("fk", "m2m"):
            app, model, _ = self.resolve_target(one)
            call = "ForeignKeyField" if kind == "fk" else "ManyToManyField"
            args = [f'"{app}.{model}"', f'related_name="{related_names[one.name]}"']
            if kind == "fk":
                args.append("on_delete=fields.SET_NULL" if one.null else "on_delete=fields.RESTRICT")
            else:
                args.append(f'through="{self.app}_{self.snake}_{one.name}"')
        else:
            call = {
                "text": "TextField",
                "int": "IntField",
                "bigint": "BigIntField",
                "bool": "BooleanField",
                "date": "DateField",
                "datetime": "DatetimeField",
                "uuid": "UUIDField",
                "json": "JSONField",
            }[kind]
        if one.null:
            args.append("null=True")
        if one.unique and not self.request.soft_delete:
            args.append("unique=True")
        if one.index:
            args.append("db_index=True")
        if one.has_default:
            args.append(self.default_source(one))
        line = f"    {one.name} = fields.{call}({', '.join(args)})"
        if len(line) <= 100:
            return line
        inner = "".join(f"        {a},\n" for a in args)
        return f"    {one.name} = fields.{call}(\n{inner}    )"

    def default_source(self, one: FieldSpec) -> str:
        value = one.default
        if one.kind == "datetime":
            return "auto_now_add=True"
        if one.kind == "uuid":
            return "default=uuid.uuid4"
        if one.kind == "decimal":
            return f'default=Decimal("{value}")'
        if one.kind == "date":
            return f"default=date({value.year}, {value.month}, {value.day})"
        if one.kind == "enum":
            return f"default={self.enum_name(one)}.{enum_member(value)}"
        if one.kind == "json" and value == {}:
            return "default=dict"
        if one.kind == "json" and value == []:
            return "default=list"
        return f"default={_literal(value)}"

    def enum_name(self, one: FieldSpec) -> str:
        return self.model + "".join(p.capitalize() for p in one.name.split("_"))

    def model_imports(self) -> list[sources.ImportLine]:
        wanted = [
            sources.ImportLine("tortoise", "fields"),
            sources.ImportLine("tortoise.models", "Model"),
        ]
        kinds = {(f.kind, f.has_default) for f in self.fields}
        if any(k == "enum" for k, _ in kinds):
            wanted.append(sources.ImportLine("enum", "StrEnum"))
        if ("decimal", True) in kinds:
            wanted.append(sources.ImportLine("decimal", "Decimal"))
        if ("date", True) in kinds:
            wanted.append(sources.ImportLine("datetime", "date"))
        if ("uuid", True) in kinds:
            wanted.append(sources.ImportLine("uuid"))
        if self.request.soft_delete:
            wanted.append(sources.ImportLine("fastapp.models", "SoftDeleteMixin"))
            if any(f.unique for f in self.fields):
                wanted.append(sources.ImportLine("fastapp.models", "LiveUnique"))
        if self.audit_mixin:
            wanted.append(sources.ImportLine(AUDIT_MODULE, self.audit_mixin))
        return wanted

    def related_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        targets = [self.resolve_target(f)[:2] for f in self.fields if f.is_relation]
        for one in (f for f in self.fields if f.is_relation):
            target = self.resolve_target(one)[:2]
            shared = targets.count(target) > 1
            names[one.name] = f"{self.plural}_{one.name}" if shared else self.plural
        return names

    def model_classes(self) -> tuple[list[tuple[str, str]], str]:
        """The enum classes (name, code) and the model class code."""
        related = self.related_names()
        enums = [
            (
                self.enum_name(f),
                render(
                    "crud/enum.py.jinja",
                    name=self.enum_name(f),
                    members=[(enum_member(c), c) for c in f.choices],
                ),
            )
            for f in self.fields
            if f.kind == "enum"
        ]
        bases = [b for b in (self.audit_mixin, "SoftDeleteMixin" if self.request.soft_delete else None) if b]
        live_unique = [f.name for f in self.fields if f.unique and self.request.soft_delete]
        code = render(
            "crud/model.py.jinja",
            model=self.model,
            bases=", ".join([*bases, "Model"]),
            fields=[self.field_source(f, related) for f in self.fields],
            table=f"{self.app}_{self.snake}",
            live_unique=live_unique,
            soft_delete=self.request.soft_delete,
        )
        return enums, code

    def plan_models(self) -> None:
        path, text = self.models_path, self.models_source
        enums, code = self.model_classes()
        existing = sources.class_source(text, str(path), self.model)
        replaced = existing is not None and existing.rstrip("\n") != code.rstrip("\n")
        for name, enum_code in enums:
            if name in self.known:
                raise ScaffoldError(
                    f"{self.model}: the enum class {name} of field "
                    f"{name[len(self.model):]!r} would replace the model {name} in "
                    f"{self.app}/models.py; rename the field or the model"
                )
            current = sources.class_source(text, str(path), name)
            if current is not None and current.rstrip() != enum_code.rstrip():
                replaced = True
            text = sources.put_class(text, str(path), name, enum_code, before=self.model)
        text = sources.put_class(text, str(path), self.model, code)
        text = sources.add_imports(text, str(path), self.model_imports(), first_party(self.root))
        what = f"{'replace' if replaced else 'add'} {self.model}"
        self.plan.add(path, text, additive=not replaced, what=what)

    # --- schemas, router, tests -----------------------------------------------------------

    def context(self) -> dict[str, Any]:
        searchable, filterable = self._check_lists()
        fks, m2ms = [], []
        for one in self.fields:
            if one.kind in ("fk", "m2m"):
                app, model, node = self.resolve_target(one)
                pk = _pk_type(node) if model != self.model or node else "int"
                entry = {
                    "name": one.name,
                    "model": model,
                    "app": app,
                    "pk": pk,
                    "null": one.null,
                    "column": f"{one.name}_id" if one.kind == "fk" else f"{one.name[:-1] if one.name.endswith('s') else one.name}_ids",
                }
                (fks if one.kind == "fk" else m2ms).append(entry)
        scalars = [f for f in self.fields if not f.is_relation]
        writable = [f.name for f in scalars if not (f.kind == "datetime" and f.has_default)]
        readonly = [f.name for f in scalars if f.kind == "datetime" and f.has_default]
        filters = {}
        for one in filterable:
            ops = OPERATORS[one.kind] + (("isnull",) if one.null else ())
            key = f"{one.name}_id" if one.kind == "fk" else one.name
            filters[key] = ops
        sortable = ["id", *(f.name for f in scalars if f.kind in _SORTABLE), "created_at", "updated_at"]
        related_models = sorted(
            {e["model"] for e in fks + m2ms if e["app"] == self.app} | {self.model}
        )
        other_apps: dict[str, set[str]] = {}
        for entry in fks + m2ms:
            if entry["app"] != self.app:
                other_apps.setdefault(entry["app"], set()).add(entry["model"])
        return {
            "app": self.app,
            "model": self.model,
            "snake": self.snake,
            "plural": self.plural,
            "fields": self.fields,
            "writable": writable,
            "readonly": readonly,
            "not_null": [f.name for f in scalars if not f.null and f.name in writable],
            "fks": fks,
            "m2ms": m2ms,
            "uses_uuid_pk": any(e["pk"] == "UUID" for e in fks + m2ms),
            "soft_delete": self.request.soft_delete,
            "search": [f.name for f in searchable],
            "filters": filters,
            "sortable": sortable,
            "related_models": related_models,
            "other_apps": {k: sorted(v) for k, v in sorted(other_apps.items())},
            "samples": _Samples(self),
            "body_fields": [f for f in scalars if f.name in writable],
            "filter_fields": {
                (f"{f.name}_id" if f.kind == "fk" else f.name): f for f in filterable
            },
            "required": [f"{f.name}_id" if f.kind == "fk" else f.name for f in self.fields if f.required],
            "unique": [f for f in scalars if f.unique],
            "filter_ops": {
                key: next(f"__{op}" if op != "eq" else "" for op in _TEST_OPS if op in ops)
                for key, ops in filters.items()
            },
        }

    def imports(self, context: dict[str, Any]) -> dict[str, str]:
        """The import blocks of the schemas, router and test modules, in isort's order."""
        app, model = self.app, self.model
        models = [(f"{app}.models", name) for name in context["related_models"]]
        for other, names in context["other_apps"].items():
            models += [(f"{other}.models", name) for name in names]
        schema_names = [f"{model}In", f"{model}Out", f"{model}Patch"]
        if context["m2ms"]:
            schema_names.append(f"{model}Detail")
        router = [
            ("typing", "Annotated"),
            ("fastapi", "APIRouter"),
            ("fastapi", "Depends"),
            ("fastapi", "Response"),
            ("fastapp.api", "Listing"),
            ("fastapp.api", "ListSpec"),
            ("fastapp.api", "Page"),
            ("fastapp.runtime", "Transaction"),
            *models,
            *((f"{app}.schemas.{self.snake}", name) for name in schema_names),
        ]
        if context["fks"] or context["m2ms"] or context["not_null"]:
            router.append(("fastapi", "HTTPException"))
        schemas = [("tortoise.contrib.pydantic", "pydantic_model_creator"), (f"{app}.models", model)]
        if context["uses_uuid_pk"]:
            schemas.append(("uuid", "UUID"))
        # The tests name the model and the models of the relations their bodies create.
        used = {(e["app"], e["model"]) for e in context["fks"] if not e["null"]}
        used |= {(e["app"], e["model"]) for e in context["m2ms"]}
        tests = [(f"{app}.models", model), *((f"{a}.models", m) for a, m in sorted(used))]
        for kind, line in (
            ("decimal", ("decimal", "Decimal")),
            ("datetime", ("datetime", "datetime")),
            ("uuid", ("uuid", "UUID")),
        ):
            if any(f.kind == kind for f in context["body_fields"]):
                tests.append(line)
        party = first_party(self.root) | {app}

        def block(lines: list[tuple[str, str]]) -> str:
            return sources.render_imports([sources.ImportLine(*line) for line in lines], party)

        return {
            "schema_imports": block(schemas),
            "router_imports": block(router),
            "test_imports": block(tests),
        }

    def plan_files(self) -> None:
        context = self.context()
        context.update(self.imports(context))
        package = self.root / self.app
        schemas_init = package / "schemas" / "__init__.py"
        if self.plan.current(schemas_init) is None:
            self.plan.add(schemas_init, render("crud/schemas_init.py.jinja", **context))
        self.plan.add(
            package / "schemas" / f"{self.snake}.py", render("crud/schemas.py.jinja", **context)
        )
        self.plan.add(
            package / "routers" / f"{self.snake}.py", render("crud/router.py.jinja", **context)
        )
        self._register_router(package / "routers" / "__init__.py")
        conftest = self.root / "tests" / "conftest.py"
        if self.plan.current(conftest) is None:
            self.plan.add(conftest, render("project/tests/conftest.py.jinja", **context))
        self.plan.add(
            self.root / "tests" / f"test_{self.app}_{self.snake}.py",
            render("crud/test.py.jinja", **context),
        )

    def _register_router(self, path: Path) -> None:
        text = self.plan.current(path)
        call = f"router.include_router({self.snake}.router)"
        if text is None:
            text = render("app/routers/__init__.py.jinja", app=self.app)
        if sources.has_call(text, str(path), call):
            return
        wanted = [sources.ImportLine(f"{self.app}.routers", self.snake)]
        text = sources.add_imports(text, str(path), wanted, first_party(self.root) | {self.app})
        anchor = "router.include_router(" if "router.include_router(" in text else "router ="
        text = sources.add_call_after(text, str(path), call, anchor)
        self.plan.add(path, text, additive=True, what=f"include the {self.snake} router")

    def build(self) -> FilePlan:
        for one in self.fields:
            if one.is_relation:
                self.resolve_target(one)
                if one.kind == "fk" and one.target in (self.model, f"{self.app}.{self.model}"):
                    if not one.null:
                        raise ScaffoldError(
                            f"field spec {one.spec!r}: a reference to the model itself must be "
                            f"nullable (the first row has nothing to point to); write {one.spec}:null"
                        )
        written = [
            f for f in self.fields if not f.is_relation and not (f.kind == "datetime" and f.has_default)
        ]
        if not written:
            raise ScaffoldError(
                f"{self.request.target}: give at least one field that is not a relation "
                "(e.g. name:str:120); the request bodies are built from them"
            )
        self.plan_models()
        self.plan_files()
        if self.audit_mixin:
            install_app(self.plan, self.root, AUDIT_APP)
        self._check_python()
        settings = self.root / "settings.py"
        if settings.is_file():
            installed = sources.string_list(
                settings.read_text(encoding="utf-8"), str(settings), "INSTALLED_APPS"
            )
            if installed is not None and self.app not in installed:
                self.plan.notes.append(
                    f"note: {self.app!r} is not in INSTALLED_APPS (settings.py); add it, or "
                    "makemigrations and the tests will not see the model"
                )
        self.plan.notes.append(
            f"next: fastapp makemigrations && fastapp upgrade; the {self.plural} endpoints are "
            f"under /{self.plural}"
        )
        return self.plan

    def _check_python(self) -> None:
        """Every Python file of the plan parses (a generator bug never reaches the disk)."""
        for change in self.plan.changes:
            if change.path.suffix == ".py":
                try:
                    ast.parse(change.content)
                except SyntaxError as exc:  # pragma: no cover - a bug of the templates
                    raise ScaffoldError(
                        f"internal error: the generated {self.plan.relative(change)} does not "
                        f"parse ({exc.msg}, line {exc.lineno}); nothing written, please report it"
                    ) from None


def _literal(value: Any) -> str:
    """Python source of a str, number, bool, None, list or dict, strings double-quoted."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


class _Samples:
    """Sample values of the generated tests: the ``n``-th request body value of a field as
    Python source, and the assertion that a response carries it back."""

    def __init__(self, generator: _Generator) -> None:
        self.g = generator

    def value(self, one: FieldSpec, n: int) -> Any:
        kind = one.kind
        if kind == "str":
            return f"{one.name}-{n}"[-(one.length or 1) :]
        if kind == "text":
            return f"{one.name} {n} text"
        if kind == "int":
            return 7 * n
        if kind == "bigint":
            return 2**40 + n
        if kind == "decimal":
            precision, scale = one.digits or (1, 0)
            whole = precision - scale
            if scale == 0:
                return str(n % 10**whole)
            if whole == 0:
                return "0." + (str(n) + "0" * scale)[:scale]
            return f"{n % 10**whole}." + ("5" + "0" * scale)[:scale]
        if kind == "bool":
            return n % 2 == 1
        if kind == "date":
            return f"2024-01-{10 + n:02d}"
        if kind == "datetime":
            return f"2024-01-{10 + n:02d}T12:30:00+00:00"
        if kind == "uuid":
            return f"00000000-0000-4000-8000-{n:012d}"
        if kind == "json":
            return {"key": one.name, "n": n}
        if kind == "enum":
            return one.choices[(n - 1) % len(one.choices)]
        raise AssertionError(kind)

    def source(self, one: FieldSpec, n: int) -> str:
        """The value as Python source in a request body."""
        return _literal(self.value(one, n))

    def query(self, one: FieldSpec, n: int) -> str:
        """The value as a query-string value, as Python source."""
        value = self.value(one, n)
        if isinstance(value, bool):
            return '"true"' if value else '"false"'
        return _literal(str(value))

    def check(self, one: FieldSpec, body: str, n: int) -> str:
        """An expression true when ``body`` (a response dict) carries the ``n``-th value."""
        got = f'{body}["{one.name}"]'
        want = self.source(one, n)
        if one.kind == "decimal":
            return f"Decimal({got}) == Decimal({want})"
        if one.kind == "datetime":
            return f"datetime.fromisoformat({got}) == datetime.fromisoformat({want})"
        if one.kind == "uuid":
            return f"UUID({got}) == UUID({want})"
        return f"{got} == {want}"

    def uses(self, kind: str) -> bool:
        return any(f.kind == kind and not f.is_relation for f in self.g.fields if f.kind == kind)


def generate_crud(request: CrudRequest, root: Path) -> FilePlan:
    """The plan of files for ``request`` in the project at ``root``. Raises
    :class:`ScaffoldError` (one line naming the spec or file and the fix) for bad input: a field
    spec, an unknown app, a relation to a model that does not exist, a bad option."""
    return _Generator(request, root).build()


