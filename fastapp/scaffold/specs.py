"""Field specs of ``generate_crud`` (``name:type[:arg][:option...]``) read into values.

Every refusal is a :class:`~fastapp.errors.ScaffoldError` of one line that quotes the spec and
says the fix. Types and options:

=============  =====================================  ==============================
spec           Tortoise field                         notes
=============  =====================================  ==============================
str:LEN        CharField(max_length=LEN)              LEN 1..16383 (768 when indexed)
text           TextField
int / bigint   IntField / BigIntField
decimal:P,S    DecimalField(max_digits=P, ...=S)      1 <= P <= 65, 0 <= S <= min(P, 30)
bool           BooleanField
date           DateField
datetime       DatetimeField                          ``default=now``: set on create
uuid           UUIDField                              ``default=uuid4``
json           JSONField                              ``default={}`` / ``[]`` / a scalar
enum:A|B|C     CharEnumField(an enum of the values)
fk:Model       ForeignKeyField                        ``Model`` or ``app.Model``
m2m:Model      ManyToManyField
=============  =====================================  ==============================

Options: ``null``, ``unique``, ``index``, ``default=VALUE`` (the rest of the spec, so it comes
last when the value holds a ``:``).
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapp.errors import ScaffoldError

TYPES = (
    "str:LEN",
    "text",
    "int",
    "bigint",
    "decimal:P,S",
    "bool",
    "date",
    "datetime",
    "uuid",
    "json",
    "enum:A|B|C",
    "fk:Model",
    "m2m:Model",
)
OPTIONS = "null, unique, index, default=VALUE"
#: Types written with an argument after the type (``str:120``).
_WITH_ARGUMENT = {
    "str": "a length (LEN)",
    "decimal": "a precision and scale (P,S)",
    "enum": "its values (A|B|C)",
    "fk": "the related model (Model or app.Model)",
    "m2m": "the related model (Model or app.Model)",
}
_PLAIN = {"text", "int", "bigint", "bool", "date", "datetime", "uuid", "json"}
_RELATIONS = {"fk", "m2m"}
#: The longest VARCHAR that MySQL can put in an index with utf8mb4 (3072 bytes).
MAX_INDEXED_LENGTH = 768
MAX_LENGTH = 16383
_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_MODEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_ENUM_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: Field names the generator writes itself.
GENERATED_FIELDS = {
    "id": "the primary key",
    "created_at": "set on create",
    "updated_at": "set on every save",
    "deleted_at": "the soft-delete timestamp",
}
#: Names a query parameter of the list endpoint already uses.
_LIST_PARAMETERS = {"q", "sort", "page", "size", "limit", "offset", "cursor"}

_NO_DEFAULT = object()


@dataclass(frozen=True)
class FieldSpec:
    """One parsed field spec; ``default`` is a Python value (``None`` when absent unless
    ``has_default``); ``target`` is the related model as written (``Model`` or ``app.Model``)."""

    spec: str
    name: str
    kind: str
    length: int | None = None
    digits: tuple[int, int] | None = None
    choices: tuple[str, ...] = ()
    target: str | None = None
    null: bool = False
    unique: bool = False
    index: bool = False
    has_default: bool = False
    default: Any = None
    options: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_relation(self) -> bool:
        return self.kind in _RELATIONS

    @property
    def required(self) -> bool:
        """Must a create request carry it?"""
        return not (self.null or self.has_default or self.kind == "m2m")


def tortoise_reserved() -> frozenset[str]:
    """The attributes of Tortoise's ``Model`` (a field of that name would shadow one)."""
    from tortoise.models import Model

    return frozenset(name for name in dir(Model) if not name.startswith("__"))


def parse_fields(specs: list[str], *, soft_delete: bool = False) -> list[FieldSpec]:
    """Parse every spec; raises :class:`ScaffoldError` for the first bad one, or for a name
    given twice."""
    reserved = tortoise_reserved()
    parsed: list[FieldSpec] = []
    seen: dict[str, str] = {}
    for spec in specs:
        one = parse_field(spec, reserved=reserved, soft_delete=soft_delete)
        if one.name in seen:
            raise ScaffoldError(
                f"field spec {spec!r}: field {one.name!r} is already given by {seen[one.name]!r}; "
                "give each field once"
            )
        seen[one.name] = spec
        parsed.append(one)
    if not parsed:
        raise ScaffoldError(
            "generate_crud needs at least one field spec, e.g. name:str:120 price:decimal:10,2"
        )
    return parsed


def parse_field(
    spec: str, *, reserved: frozenset[str] | None = None, soft_delete: bool = False
) -> FieldSpec:
    """One ``name:type[:arg][:option...]`` spec as a :class:`FieldSpec`."""
    reserved = tortoise_reserved() if reserved is None else reserved
    parts = spec.split(":")
    name = parts[0]
    _check_name(spec, name, reserved, soft_delete)
    if len(parts) < 2 or not parts[1]:
        raise ScaffoldError(
            f"field spec {spec!r}: no type; write {name}:TYPE with TYPE one of {', '.join(TYPES)}"
        )
    kind = parts[1]
    rest = parts[2:]
    values: dict[str, Any] = {"spec": spec, "name": name, "kind": kind}
    if kind in _WITH_ARGUMENT:
        if not rest or not rest[0] or _looks_like_option(rest[0]):
            raise ScaffoldError(
                f"field spec {spec!r}: {kind} needs {_WITH_ARGUMENT[kind]}, "
                f"e.g. {_example(name, kind)}"
            )
        values.update(_argument(spec, name, kind, rest[0]))
        rest = rest[1:]
    elif kind not in _PLAIN:
        raise ScaffoldError(
            f"field spec {spec!r}: unknown type {kind!r}; use one of {', '.join(TYPES)}"
        )
    options: list[str] = []
    default_text: str | None = None
    for position, option in enumerate(rest):
        if option.startswith("default="):
            default_text = ":".join(rest[position:])[len("default=") :]
            break
        if option not in ("null", "unique", "index"):
            raise ScaffoldError(
                f"field spec {spec!r}: unknown option {option!r}; options are {OPTIONS}"
            )
        if option in options:
            raise ScaffoldError(f"field spec {spec!r}: option {option!r} is given twice")
        options.append(option)
        values[option] = True
    values["options"] = tuple(options)
    one = FieldSpec(**values)
    _check_options(one)
    if default_text is not None:
        one = FieldSpec(
            **{**one.__dict__, "has_default": True, "default": _default(one, default_text)}
        )
    return one


def _looks_like_option(text: str) -> bool:
    return text in ("null", "unique", "index") or text.startswith("default=")


def _example(name: str, kind: str) -> str:
    return {
        "str": f"{name}:str:120",
        "decimal": f"{name}:decimal:10,2",
        "enum": f"{name}:enum:draft|published",
        "fk": f"{name}:fk:Category",
        "m2m": f"{name}:m2m:Tag",
    }[kind]


def _check_name(spec: str, name: str, reserved: frozenset[str], soft_delete: bool) -> None:
    if not name:
        raise ScaffoldError(f"field spec {spec!r}: no field name; write NAME:TYPE, e.g. title:str:200")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ScaffoldError(
            f"field spec {spec!r}: {name!r} is a Python keyword; choose another name (e.g. {name}_)"
        )
    if not _NAME.match(name):
        raise ScaffoldError(
            f"field spec {spec!r}: field name {name!r} must be a lowercase Python identifier "
            "(letters, digits, underscores), e.g. unit_price"
        )
    if name in reserved:
        raise ScaffoldError(
            f"field spec {spec!r}: {name!r} is an attribute of Tortoise's Model; choose another "
            f"name (e.g. {name}_value)"
        )
    if name in GENERATED_FIELDS and (name != "deleted_at" or soft_delete):
        raise ScaffoldError(
            f"field spec {spec!r}: {name!r} is written by generate_crud ({GENERATED_FIELDS[name]}); "
            "leave it out"
        )
    if name == "deleted_at":
        raise ScaffoldError(
            f"field spec {spec!r}: 'deleted_at' is the soft-delete timestamp; use --soft-delete "
            "instead of declaring it"
        )
    if name in _LIST_PARAMETERS:
        raise ScaffoldError(
            f"field spec {spec!r}: {name!r} is a query parameter of the list endpoint; choose "
            f"another name (e.g. {name}_value)"
        )
    if "__" in name:
        raise ScaffoldError(
            f"field spec {spec!r}: {name!r} holds '__', which separates a field from its filter "
            "operator; choose a name without it"
        )


def _argument(spec: str, name: str, kind: str, text: str) -> dict[str, Any]:
    if kind == "str":
        if not text.isdigit() or not 1 <= int(text) <= MAX_LENGTH:
            raise ScaffoldError(
                f"field spec {spec!r}: str length {text!r} must be a whole number from 1 to "
                f"{MAX_LENGTH}, e.g. {name}:str:120"
            )
        return {"length": int(text)}
    if kind == "decimal":
        match = re.fullmatch(r"(\d+),(\d+)", text)
        if not match:
            raise ScaffoldError(
                f"field spec {spec!r}: decimal needs precision and scale as P,S, "
                f"e.g. {name}:decimal:10,2"
            )
        precision, scale = int(match[1]), int(match[2])
        if not 1 <= precision <= 65 or scale > min(precision, 30):
            raise ScaffoldError(
                f"field spec {spec!r}: decimal:{text} is out of range; precision 1..65 and scale "
                "0..30, no more than the precision (e.g. 10,2)"
            )
        return {"digits": (precision, scale)}
    if kind == "enum":
        choices = tuple(text.split("|"))
        bad = [c for c in choices if not _ENUM_VALUE.match(c)]
        if bad:
            raise ScaffoldError(
                f"field spec {spec!r}: enum value {bad[0]!r} must start with a letter or digit "
                "and hold only letters, digits, '_', '.', '-'; e.g. status:enum:draft|published"
            )
        if len(set(choices)) != len(choices):
            raise ScaffoldError(f"field spec {spec!r}: an enum value is given twice")
        members = [enum_member(c) for c in choices]
        if len(set(members)) != len(members):
            raise ScaffoldError(
                f"field spec {spec!r}: two enum values give the same member name; "
                "make them differ by more than case or punctuation"
            )
        return {"choices": choices}
    # fk / m2m
    target = text
    app, _, model = target.rpartition(".")
    if (app and not _NAME.match(app)) or not _MODEL.match(model):
        raise ScaffoldError(
            f"field spec {spec!r}: {target!r} is not a model name; write {kind}:Model or "
            f"{kind}:app.Model (a class name in CamelCase)"
        )
    return {"target": target}


def enum_member(value: str) -> str:
    """The Python member name of an enum value (``in-stock`` -> ``IN_STOCK``)."""
    member = re.sub(r"[^A-Za-z0-9_]", "_", value).upper()
    return f"V_{member}" if member[0].isdigit() else member


def _check_options(one: FieldSpec) -> None:
    spec = one.spec
    if one.kind == "m2m" and (one.null or one.unique or one.index):
        raise ScaffoldError(
            f"field spec {spec!r}: m2m takes no options (null, unique, index); drop them"
        )
    if one.kind in ("text", "json") and (one.unique or one.index):
        raise ScaffoldError(
            f"field spec {spec!r}: a {one.kind} column cannot be unique or indexed on every "
            f"backend; use {one.name}:str:LEN instead"
        )
    if one.kind == "str" and (one.unique or one.index) and (one.length or 0) > MAX_INDEXED_LENGTH:
        raise ScaffoldError(
            f"field spec {spec!r}: an indexed str is at most {MAX_INDEXED_LENGTH} long (MySQL's "
            f"index limit); use {one.name}:str:{MAX_INDEXED_LENGTH} or drop unique/index"
        )
    if one.unique and one.index:
        raise ScaffoldError(
            f"field spec {spec!r}: unique already makes an index; drop 'index'"
        )


def _default(one: FieldSpec, text: str) -> Any:
    spec, kind = one.spec, one.kind

    def bad(expected: str) -> ScaffoldError:
        return ScaffoldError(
            f"field spec {spec!r}: default {text!r} is not {expected}; fix the value after "
            "'default='"
        )

    if kind in _RELATIONS:
        raise ScaffoldError(
            f"field spec {spec!r}: a {kind} field takes no default; drop 'default=...'"
        )
    if one.unique:
        raise ScaffoldError(
            f"field spec {spec!r}: a unique field with a default collides on the second row; "
            "drop 'unique' or the default"
        )
    if kind in ("str", "text"):
        if one.length is not None and len(text) > one.length:
            raise bad(f"at most {one.length} characters")
        return text
    if kind in _INT_RANGE:
        low, high = _INT_RANGE[kind]
        if not re.fullmatch(r"-?\d+", text) or not low <= int(text) <= high:
            raise bad(f"a whole number from {low} to {high}")
        return int(text)
    if kind == "decimal":
        precision, scale = one.digits or (0, 0)
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise bad("a decimal number") from None
        if not value.is_finite():
            raise bad("a finite decimal number")
        quantized = value.quantize(Decimal(1).scaleb(-scale))
        if quantized != value or len(quantized.as_tuple().digits) > precision:
            raise bad(f"a number with at most {precision} digits, {scale} after the point")
        return quantized
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise bad("true or false")
    if kind == "date":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise bad("a date as YYYY-MM-DD") from None
    if kind == "datetime":
        if text != "now":
            raise bad("'now' (set when the row is created)")
        return "now"
    if kind == "uuid":
        if text != "uuid4":
            raise bad("'uuid4' (a random UUID per row)")
        return "uuid4"
    if kind == "json":
        try:
            value = json.loads(text)
        except ValueError:
            raise bad("JSON") from None
        if isinstance(value, (dict, list)) and value:
            raise bad("{}, [] or a single JSON value (a shared mutable default is a bug)")
        return value
    # enum
    if text not in one.choices:
        raise bad(f"one of the enum values ({', '.join(one.choices)})")
    return text
