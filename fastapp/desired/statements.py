"""What a desired DDL file may say: statements whose effect a catalog reader reads back.

The scratch space runs every statement of a file, but fastapp learns only what its catalog
readers read. A statement of another kind (a grant, a cast, a publication, a row of data)
would go through the scratch space and leave no trace in the Schema, and ``--check`` would say
"matches" while the database lacks it (issue 14). So before a file goes anywhere, each
statement is matched against its dialect's rules (:attr:`Dialect.desired_statements`): what
the readers see, and what leaves nothing behind (session settings, transaction control).
Anything else is refused, naming its line and what it is.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from fastapp.desired.ddl import DesiredDDL, DesiredSchemaError

if TYPE_CHECKING:
    from fastapp.dialects.base import Dialect

#: What a statement no rule names is: read back by no catalog reader.
UNREAD = (
    "no catalog reader reads it back, so fastapp could not tell whether the database has it"
)

# Leading blanks and comments. MySQL's versioned comments (``/*!50001 CREATE ... */``, as
# mysqldump writes views) are statements to that server, so there only their markers go.
_LEADING = re.compile(r"\s+|--[^\n]*(\n|$)|/\*(.|\n)*?\*/")
_LEADING_MYSQL = re.compile(r"\s+|--[^\n]*(\n|$)|#[^\n]*(\n|$)|/\*(?!!)(.|\n)*?\*/")
_VERSIONED = re.compile(r"/\*!\d*|\*/")


def refuse_unread(ddl: DesiredDDL, dialect: Dialect) -> None:
    """Raise :class:`DesiredSchemaError` for the first statement of the file ``ddl`` that no
    rule of ``dialect`` accepts, naming its line, its head and why. Generated DDL (from the
    models) is fastapp's own and not checked."""
    if ddl.parts is not None or not dialect.desired_statements:
        return
    rules = _compiled(type(dialect))
    for line, statement in ddl.statements():
        text = _without_leading_comments(statement, dialect.versioned_comments)
        head = text.upper()
        refusal = next((refusal for pattern, refusal in rules if pattern.match(head)), UNREAD)
        if refusal:
            shown = text[:60] + ("..." if len(text) > 60 else "")
            raise DesiredSchemaError(
                f"{ddl.source}:{line}: {shown}: {refusal}; remove it from the desired DDL "
                "and manage it by hand"
            )


def _without_leading_comments(statement: str, versioned_comments: bool) -> str:
    """``statement`` without its leading comments, blanks collapsed."""
    text, leading = statement, _LEADING_MYSQL if versioned_comments else _LEADING
    while (match := leading.match(text)) and match.group():
        text = text[match.end() :]
    if versioned_comments:
        text = _VERSIONED.sub(" ", text)
    return " ".join(text.split())


@cache
def _compiled(kind: type) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(rule.pattern), rule.refusal) for rule in kind.desired_statements)
