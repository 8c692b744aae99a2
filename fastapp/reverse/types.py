"""Column type -> Tortoise field class, as data; what differs by backend is asked of its hub.

Two tables say everything: :data:`FIELD_FOR_TYPE` picks the field class for a canonical type
(the same on every backend), and :func:`created_type` says what column type that field class
makes on each backend, in the Schema's canonical spelling (the shapes every backend shares are
here, each backend's own are ``tortoise_field_types`` on its hub in :mod:`fastapp.dialects`).
Where the two disagree the generated field carries a ``# database type: ...`` note, so the
difference is visible in the code and not a silent guess; the documentation lists these pairs
as the round-trip exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapp.schema.objects import Column

#: Canonical type -> Tortoise field class name (without ``fields.``).
FIELD_FOR_TYPE: dict[str, str] = {
    "smallint": "SmallIntField",
    "integer": "IntField",
    "bigint": "BigIntField",
    "tinyint": "SmallIntField",
    "mediumint": "IntField",
    "boolean": "BooleanField",
    "decimal": "DecimalField",
    "real": "FloatField",
    "double": "FloatField",
    "char": "CharField",
    "varchar": "CharField",
    "text": "TextField",
    "tinytext": "TextField",
    "mediumtext": "TextField",
    "longtext": "TextField",
    "binary": "BinaryField",
    "varbinary": "BinaryField",
    "blob": "BinaryField",
    "tinyblob": "BinaryField",
    "mediumblob": "BinaryField",
    "longblob": "BinaryField",
    "bytea": "BinaryField",
    "date": "DateField",
    "time": "TimeField",
    "timetz": "TimeField",
    "timestamp": "DatetimeField",
    "timestamptz": "DatetimeField",
    "datetime": "DatetimeField",
    "json": "JSONField",
    "jsonb": "JSONField",
    "uuid": "UUIDField",
    "enum": "CharEnumField",
}

#: What each field class creates, (type, length, precision, scale) canonical, where the
#: backends agree; ``"*"`` means "taken from the field's arguments" (max_length, digits).
_CREATES_EVERYWHERE: dict[str, tuple] = {
    "SmallIntField": ("smallint", None, None, None),
    "IntField": ("integer", None, None, None),
    "BigIntField": ("bigint", None, None, None),
    "BooleanField": ("boolean", None, None, None),
    "DecimalField": ("decimal", None, "*", "*"),
    "FloatField": ("double", None, None, None),
    "CharField": ("varchar", "*", None, None),
    "CharEnumField": ("varchar", "*", None, None),
    "TextField": ("text", None, None, None),
    "BinaryField": ("blob", None, None, None),
    "DateField": ("date", None, None, None),
    "TimeField": ("time", None, None, None),
    "DatetimeField": ("timestamp", None, None, None),
    "JSONField": ("json", None, None, None),
    "UUIDField": ("char", 36, None, None),
}



class _Backends:
    """The backends whose hub (:mod:`fastapp.dialects`) sets ``flag``: ``name in`` asks the
    hub, so the fact stays in the backend's code and a backend registered later counts too."""

    def __init__(self, flag: str) -> None:
        self.flag = flag

    def __contains__(self, name: object) -> bool:
        from fastapp.dialects import get_dialect

        return isinstance(name, str) and bool(getattr(get_dialect(name), self.flag))


#: Backends that index a foreign-key column by themselves when no index covers it, so such an
#: index on a join table is not a sign of extra structure.
AUTO_FK_INDEX = _Backends("indexes_foreign_keys")
#: Backends that accept an expression default only in parentheses (``DEFAULT (1 + 2)``).
PARENTHESIZED_DEFAULTS = _Backends("parenthesized_expression_defaults")
#: Backends where one database holds several schemas, so ``Meta.schema`` means something.
SCHEMA_DIALECTS = _Backends("has_schemas")
#: Integer field classes, for primary keys, auto-increment and literal defaults.
INTEGER_FIELDS = frozenset({"SmallIntField", "IntField", "BigIntField"})
#: Field classes Tortoise refuses to index or make unique (their indexes go to ``Meta``).
NOT_INDEXABLE = frozenset({"TextField", "JSONField", "BinaryField"})
#: Field classes whose column holds text (defaults are Python strings).
TEXT_FIELDS = frozenset({"CharField", "TextField"})
#: Fallback for a type with no field: text if it can be, else a bounded string to index.
UNKNOWN_FIELD = "TextField"
UNKNOWN_INDEXABLE_FIELD = "CharField"
UNKNOWN_INDEXABLE_LENGTH = 255
#: A fixed-precision placeholder for an unbounded numeric (Tortoise needs both numbers).
UNBOUNDED_DECIMAL = (38, 10)


@dataclass(frozen=True)
class FieldType:
    """The field class chosen for a column, its type arguments and what the reader must know."""

    field: str
    args: tuple[tuple[str, object], ...] = ()
    #: ``# TODO: ...`` when the type has no field; ``# database type: ...`` when inexact.
    note: str | None = None
    todo: bool = False


def field_type(dialect: str, column: Column, *, indexed: bool = False) -> FieldType:
    """The field class for ``column`` on ``dialect``; never raises.

    ``indexed`` says the column is unique or indexed, which a placeholder for an unknown type
    must allow (Tortoise refuses indexes on text fields).
    """
    from fastapp.dialects import get_dialect

    storage = get_dialect(dialect).tortoise_storage_fields.get((column.type, column.length))
    if storage is not None and column.known_type:
        return FieldType(storage[0], (), f"{storage[1]}; use CharField for other text")
    name = FIELD_FOR_TYPE.get(column.type)
    if name is None or not column.known_type:
        return _unknown(column, indexed)
    args: tuple[tuple[str, object], ...] = ()
    todo = None
    if name == "CharField":
        if column.length is None and column.type == "varchar":
            name = "TextField"
        else:
            args = (("max_length", column.length or 1),)
    elif name == "DecimalField":
        if column.precision is None:
            args = tuple(zip(("max_digits", "decimal_places"), UNBOUNDED_DECIMAL, strict=True))
            todo = f"{column.type_text} has no precision; choose max_digits/decimal_places"
        else:
            args = (("max_digits", column.precision), ("decimal_places", column.scale or 0))
    result = FieldType(name, args)
    if todo:
        return FieldType(name, args, f"TODO: {todo}", todo=True)
    created = created_type(dialect, result)
    if created is not None and created != _shape(column):
        return FieldType(name, args, f"database type: {column.type_text}{_unsigned(column)}")
    if column.unsigned:
        return FieldType(name, args, f"database type: {column.type_text} unsigned")
    return result


def created_type(dialect: str, field: FieldType) -> tuple | None:
    """(type, length, precision, scale) that ``field`` creates on ``dialect``."""
    from fastapp.dialects import get_dialect

    shape = get_dialect(dialect).tortoise_field_types.get(field.field)
    if shape is None:
        shape = _CREATES_EVERYWHERE.get(field.field)
    if shape is None:
        return None
    args = dict(field.args)
    length = args.get("max_length") if shape[1] == "*" else shape[1]
    precision = args.get("max_digits") if shape[2] == "*" else shape[2]
    scale = args.get("decimal_places") if shape[3] == "*" else shape[3]
    return (shape[0], length, precision, scale)


def _shape(column: Column) -> tuple:
    return (column.type, column.length, column.precision, column.scale)


def _unsigned(column: Column) -> str:
    return " unsigned" if column.unsigned else ""


def _unknown(column: Column, indexed: bool) -> FieldType:
    note = f"TODO: unknown type {column.type_text}"
    if indexed:
        return FieldType(
            UNKNOWN_INDEXABLE_FIELD,
            (("max_length", UNKNOWN_INDEXABLE_LENGTH),),
            note,
            todo=True,
        )
    return FieldType(UNKNOWN_FIELD, (), note, todo=True)
