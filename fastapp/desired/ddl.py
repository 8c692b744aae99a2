"""The desired DDL as a value: text, where it came from, and (for generated DDL) its statements
table by table. A leaf module: the scratch spaces take these
values, and :mod:`fastapp.desired.read` (the entry point) re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapp.errors import FastappError, SchemaError
from fastapp.schema.sqltext import split_statements, with_lines


class DesiredSchemaError(SchemaError):
    """The desired DDL cannot be read or applied in the scratch space."""


@dataclass(frozen=True)
class TableDDL:
    """One table's statements and the tables its foreign keys reference."""

    name: str
    statements: tuple[str, ...]
    references: frozenset[str]


@dataclass(frozen=True)
class DesiredDDL:
    """DDL text and where it came from (for messages): a file path or ``models``."""

    text: str
    source: str
    dialect: str
    #: The statements when already known (generated DDL): no second tokenizer pass.
    parts: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    #: Generated DDL: the statements of each table, in creation order, so unchanged tables
    #: come from the cache and only changed ones are created in the scratch space.
    tables: tuple[TableDDL, ...] | None = field(default=None, compare=False, repr=False)

    def statements(self) -> list[tuple[int, str]]:
        """``(line, statement)`` pairs; a script the tokenizer rejects raises with its line."""
        parts = self.parts
        if parts is None:
            try:
                parts = tuple(split_statements(self.text, sqlglot_name(self.dialect)))
            except Exception as exc:
                raise DesiredSchemaError(
                    f"{self.source}: cannot read the SQL: {first_line(exc)}"
                ) from exc
        return with_lines(self.text, parts)

    def error(self, line: int, statement: str, exc: BaseException) -> DesiredSchemaError:
        head = " ".join(statement.split())[:60]
        return DesiredSchemaError(
            f"{self.source}:{line}: {first_line(exc)} (in: {head}...); fix the statement"
        )


def read_ddl_file(path: str | Path, dialect: str) -> DesiredDDL:
    """A desired DDL file; missing or unreadable files raise one clear line."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise FastappError(
            f"cannot read --desired-sql {str(target)!r}: {exc.strerror or exc}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise DesiredSchemaError(
            f"{target}: not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8"
        ) from exc
    return DesiredDDL(text, str(target), dialect)


def sqlglot_name(dialect: str) -> str:
    """The sqlglot dialect name of the backend ``dialect``."""
    from fastapp.dialects import get_dialect

    return get_dialect(dialect).sqlglot_name


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
