"""SQLite through aiosqlite: multi-row INSERTs (and upserts) inside one transaction."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import reduce
from operator import iconcat
from typing import Any

from fastapp.data.columns import misfits
from fastapp.data.writers.base import BulkWriter, SequenceState

_TIME_AND_OFFSET = (
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.(?!000000)[0-9]{6})?"
    r"(?:\+(?:[01][0-9]|2[0-3]):[0-5][0-9]|-(?!00:00)(?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
#: ``isoformat()`` of an aware datetime, with the ranges of its parts; days past 28 are
#: checked against their month by ``fromisoformat``.
_CANONICAL_DATETIME = re.compile(
    r"(?!0000)[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-9]|3[01])" + _TIME_AND_OFFSET
).fullmatch
#: The same with the days every year has in that month (all but February 29th).
_CANONICAL_DATETIME_ANY_YEAR = re.compile(
    r"(?!0000)[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)" + _TIME_AND_OFFSET
).fullmatch


def _stored_datetime(text: str) -> str | None:
    """The stored form of an aware datetime given as canonical text, else None.

    ``isoformat`` is the slowest step of a SQLite load (1.4 us a value); for the text
    dumpdata writes (``isoformat()`` of an aware value), the stored form is the same text
    with a space for the "T" (~0.5 us). Zero microseconds and a "-00:00" offset are not
    canonical (isoformat leaves the first out and writes "+00:00"): such text is converted.
    """
    if _CANONICAL_DATETIME(text) is None:
        return None
    if text[8] > "2" or text[8:10] == "29":  # is there such a day in that month?
        try:
            dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    return text.replace("T", " ", 1)


def _stored_datetimes(texts: Sequence[str]) -> list[str | None]:
    """:func:`_stored_datetime` of a whole column: one pass of the regular expression over
    the joined column and one replace (a "T" in each canonical value), then the values that
    did not fit (February 29th, text to convert) one by one."""
    found = _DATETIME_MISFITS(texts)
    if found is None:
        return list(map(_stored_datetime, texts))
    text, bad = found
    stored: list[str | None] = text[1:-1].replace("T", " ").split("\0")
    for at in bad:
        stored[at] = _stored_datetime(texts[at])
    return stored


_DATETIME_MISFITS = misfits(_CANONICAL_DATETIME_ANY_YEAR.__self__.pattern)  # type: ignore[attr-defined]


def _stored_datetimes_joined(texts: Sequence[str]) -> str | None:
    """The stored values of a column of canonical datetime text, joined by NUL; None unless
    every value is canonical in any year (the writing process converts the column then)."""
    found = _DATETIME_MISFITS(texts)
    if found is None or found[1]:
        return None
    return found[0][1:-1].replace("T", " ")


def _decimal_pattern(field: Any) -> str | None:
    """For a DecimalField: the pattern of text that ``str(Decimal(text).quantize(...))`` gives
    back unchanged: no leading zeros, exactly ``decimal_places`` digits after the point, no
    more digits than the field holds. That is the form dumpdata writes (``"1234.50"``); such
    text is stored as it is, skipping the Decimal round trip (~0.7 us a value)."""
    places, digits = int(field.decimal_places), int(field.max_digits)
    whole = digits - places
    if places < 1 or whole < 1:
        return None  # no such fields in practice; the full conversion handles them
    return rf"-?(?:0|[1-9][0-9]{{0,{whole - 1}}})\.[0-9]{{{places}}}"


def _decimal_text_form(field: Any) -> Callable[[str], str | None] | None:
    """The stored form of decimal text, where it is plain: canonical text as it is, and the
    short forms of a value that fits, written with fewer places (``"7"``, ``"7.5"`` for two
    places), padded with zeros, which is what quantizing them gives. None for the rest
    (more places, leading zeros, exponents...): the full conversion rounds or rejects it."""
    pattern = _decimal_pattern(field)
    if pattern is None:
        return None
    canonical = re.compile(pattern).fullmatch
    places = int(field.decimal_places)
    whole = int(field.max_digits) - places
    short = re.compile(
        rf"(-?(?:0|[1-9][0-9]{{0,{whole - 1}}}))(?:\.([0-9]{{0,{places}}}))?"
    ).fullmatch

    def stored(text: str) -> str | None:
        if canonical(text) is not None:
            return text
        found = short(text)
        if found is None:
            return None
        return f"{found[1]}.{(found[2] or '').ljust(places, '0')}"

    return stored


def _decimal_text_column(field: Any) -> Callable[[Sequence[str]], Sequence[Any]] | None:
    """The stored values of a column of decimal text, None for text the full conversion
    takes: checked on the joined column, the few values that do not fit one by one."""
    pattern = _decimal_pattern(field)
    if pattern is None:
        return None
    check = misfits(pattern)
    one = _decimal_text_form(field)
    assert one is not None

    def stored(texts: Sequence[str]) -> Sequence[str | None]:
        found = check(texts)
        if found is None:
            return list(map(one, texts))
        if not found[1]:
            return texts
        kept: list[str | None] = list(texts)
        for at in found[1]:
            kept[at] = one(texts[at])
        return kept

    return stored


def _flags(values: Sequence[Any]) -> list[int] | None:
    """A column of booleans as 0 and 1; None unless they are booleans (a column form is
    given values of one type)."""
    return list(map(int, values)) if type(values[0]) is bool else None


#: Parameters per statement: builds of SQLite before 3.32 allow no more than 999.
_MAX_PARAMS = 999
#: Rows per multi-row statement: past ~100 a statement gains nothing more.
_MAX_ROWS = 100


class Writer(BulkWriter):
    name = "sqlite"
    upsert_assignment = "{col} = excluded.{col}"
    overlaps_parsing = False

    def adapters(self) -> dict[str, Callable[[Any], Any]]:
        # The text forms Tortoise itself stores in SQLite, so the ORM reads them back.
        def when(value: dt.datetime) -> str:
            return value.isoformat(" ")

        if self.tz.use_tz:  # aware values are stored as given: canonical text needs no parse
            when.text_form = lambda field: _stored_datetime  # type: ignore[attr-defined]
            when.text_column = lambda field: _stored_datetimes  # type: ignore[attr-defined]
            # The forked parser checks this column itself (the costliest check, about the
            # work that balances the two processes).
            when.joined_column = lambda field: _stored_datetimes_joined  # type: ignore[attr-defined]

        def number(value: Decimal) -> str:
            return str(value)

        number.text_form = _decimal_text_form  # type: ignore[attr-defined]
        number.text_column = _decimal_text_column  # type: ignore[attr-defined]

        # sqlite3 binds a bool only after looking for an adapter and formatting the
        # AttributeError it meets on the way (~0.8 us a value, a sixth of a bulk insert of the
        # bench rows); Tortoise stores 0 and 1, which bind directly.
        def flag(value: bool) -> int:
            return 1 if value else 0

        flag.column_form = lambda field: _flags  # type: ignore[attr-defined]
        return {
            "datetime": when,
            "date": dt.date.isoformat,
            "time": dt.time.isoformat,
            "decimal": number,
            "bool": flag,
        }

    def placeholder(self, index: int) -> str:
        return "?"

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self.connection.execute(sql, tuple(params))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self.connection.executemany(sql, rows)

    async def write_rows(self, statement: Callable[[int], str], rows: Sequence[Any]) -> None:
        """Insert up to a hundred rows per statement.

        sqlite3 binds, steps and resets a statement once per row of ``executemany``; one
        statement holding a hundred rows halves the time of a bulk insert (100k rows of 9
        columns: ~0.6 s -> ~0.3 s). The rows of one statement are inserted in order, so a
        later row still wins over an earlier one with the same key (upserts).
        """
        if not rows:
            return
        width = len(rows[0])
        per = max(1, min(_MAX_ROWS, _MAX_PARAMS // max(width, 1)))
        whole = len(rows) - len(rows) % per
        # Every value in one list (list += row copies a row's items at C speed), then a
        # slice of it per statement: half the time of chaining each statement's rows.
        flat = reduce(iconcat, rows, [])
        step = per * width
        if whole:
            await self.connection.executemany(
                statement(per), [flat[i : i + step] for i in range(0, whole * width, step)]
            )
        if whole < len(rows):
            await self.connection.execute(statement(len(rows) - whole), flat[whole * width :])

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        async with self.connection.execute(sql, tuple(params)) as cur:
            return [tuple(r) for r in await cur.fetchall()]

    async def sequence_state(self, table: str, column: str) -> SequenceState | None:
        # Only AUTOINCREMENT tables keep a counter (a row in sqlite_sequence, from their first
        # insert on); plain rowid tables use MAX(rowid) + 1 and need none.
        exists = await self.fetch(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
        )
        if not exists:
            return None
        rows = await self.fetch("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,))
        if not rows:
            return None
        largest = (await self.fetch(f"SELECT MAX({self.quote(column)}) FROM {self.quote(table)}"))[
            0
        ][0]
        return SequenceState(
            table,
            column,
            None if largest is None else int(largest),
            int(rows[0][0] or 0) + 1,
            "sqlite_sequence",
        )

    async def move_sequence(self, state: SequenceState) -> None:
        await self.execute(
            "UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (state.largest, state.table)
        )
