"""Shortcuts that skip parsing must give exactly what parsing would: pure tests, no database."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tortoise import fields

from fastapp.data.values import Timezones, ValueProblem, loader
from fastapp.data.writers.sqlite import (
    _decimal_text_column,
    _decimal_text_form,
    _stored_datetime,
)

_offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)


@given(st.datetimes(timezones=_offsets), st.sampled_from(["T", " "]))
def test_sqlite_stored_datetime_text_equals_parse_then_isoformat(value, sep):
    text = value.isoformat(sep)
    expected = dt.datetime.fromisoformat(text).isoformat(" ")
    assert _stored_datetime(text) in (None, expected)
    if sep == "T" and not text.endswith("-00:00"):
        assert _stored_datetime(text) == expected  # the form dumpdata writes: no parse


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01T00:00:07.000000+00:00",  # isoformat drops zero microseconds
        "2024-01-01T00:00:07-00:00",  # isoformat writes +00:00
        "2024-01-01T00:00:07.123+00:00",
        "2024-01-01T00:00:07Z",
        "2024-01-01T00:00:07",  # naive: taken in TIME_ZONE by the full conversion
        "2024-02-30T00:00:00+00:00",
        "2024-13-01T00:00:00+00:00",
        "2023-02-29T00:00:00+00:00",
        "2024-04-31T00:00:00+00:00",
        "2024-01-01T00:00:07+00:60",  # read as +01:00, written so
        "2024-01-01T24:00:00+00:00",
        "0000-01-01T00:00:00+00:00",
    ],
)
def test_sqlite_stored_datetime_leaves_other_text_to_the_full_conversion(text):
    assert _stored_datetime(text) is None


def _decimal_field(max_digits: int, decimal_places: int):
    return fields.DecimalField(max_digits=max_digits, decimal_places=decimal_places)


_decimal_text = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.from_regex(r"[-+]?[0-9]{0,14}(\.[0-9]{0,4})?", fullmatch=True),
    st.sampled_from(["0.00", "-0.00", "00.50", ".50", "1.", "1e2", "１.00", " 1.00", "1.00 "]),
)


@settings(deadline=None)  # a machine shared with other work: no timing in tests
@given(st.sampled_from([(12, 2), (10, 2), (5, 3), (3, 2), (6, 1)]), _decimal_text)
def test_sqlite_decimal_text_kept_as_is_equals_the_full_conversion(shape, text):
    field = _decimal_field(*shape)
    kept = _decimal_text_form(field)(text)
    if kept is None:
        return
    assert str(loader(field, "decimal", Timezones())(text)) == kept


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("7", "7.00"),
        ("7.", "7.00"),
        ("7.5", "7.50"),
        ("-0", "-0.00"),
        ("-0.5", "-0.50"),
        ("0.05", "0.05"),
        ("12345678.9", "12345678.90"),
        ("123456789", None),  # one digit too many: the full conversion says so
        ("7.125", None),  # rounding: the full conversion's
        ("07.5", None),
        (".5", None),
        ("+7", None),
        ("1e2", None),
    ],
)
def test_sqlite_decimal_short_text_is_padded_as_quantizing_pads_it(text, stored):
    assert _decimal_text_form(_decimal_field(10, 2))(text) == stored


@pytest.mark.parametrize("shape", [(12, 2), (5, 3), (6, 1)])
def test_sqlite_decimal_text_in_the_form_dumpdata_writes_is_kept(shape):
    field = _decimal_field(*shape)
    convert, keep = loader(field, "decimal", Timezones()), _decimal_text_form(field)
    limit = 10 ** (shape[0] - shape[1])
    for number in ("0", "-0", "1", "-7", "1234.5", str(limit - 1), "0.125", "-0.001"):
        try:
            text = str(convert(number))
        except ValueProblem:
            continue
        assert keep(text) == text, text
    assert keep(f"{limit}." + "0" * shape[1]) is None  # one digit too many: the error path


_short_decimal_text = st.from_regex(r"-?(?:0|[1-9][0-9]{0,5})(?:\.[0-9]{0,5})?", fullmatch=True)


@settings(deadline=None)
@given(
    st.sampled_from([(12, 2), (10, 2), (5, 3), (3, 2), (6, 1), (9, 4)]),
    st.lists(st.one_of(_short_decimal_text, _decimal_text), min_size=1, max_size=40),
)
def test_sqlite_decimal_text_column_equals_the_full_conversion_value_by_value(shape, texts):
    field = _decimal_field(*shape)
    convert, keep = loader(field, "decimal", Timezones()), _decimal_text_form(field)
    stored = _decimal_text_column(field)(texts)
    assert len(stored) == len(texts)
    for text, value in zip(texts, stored, strict=True):
        if value is None:  # left to the full conversion
            assert keep(text) is None
        else:
            assert value == str(convert(text)), text


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["7.00", "7.50", "-0.00", "12.25"], ["7.00", "7.50", "-0.00", "12.25"]),
        (["7", "7.50", "0.5", "12.25", "1.125"], ["7.00", "7.50", "0.50", "12.25", None]),
        (["007.00", "1.00"], [None, "1.00"]),
        (["1e2", "1.00", ""], [None, "1.00", None]),
        (["1.00\x00", "1.00"], [None, "1.00"]),  # a NUL: checked value by value
        (["100000000.00", "99999999.00"], [None, "99999999.00"]),  # one digit too many
    ],
)
def test_sqlite_decimal_text_column_keeps_the_canonical_text(texts, expected):
    assert list(_decimal_text_column(_decimal_field(10, 2))(texts)) == expected


@given(st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), st.text()))
def test_uuid_text_taken_as_is_is_what_the_converter_returns(text):
    from fastapp.data.rowcode import UUID_TEXT

    if UUID_TEXT(text) is not None:
        assert loader(None, "uuid", Timezones())(text) == text


@given(
    st.lists(
        st.sampled_from(["1.00", "22.50", "7", "", "x1.00", "1.00x", "-0.00", "1.0"]), min_size=1
    )
)
def test_misfits_finds_exactly_the_values_that_do_not_fullmatch(values):
    from fastapp.data.columns import misfits

    pattern = r"-?[0-9]+\.[0-9]{2}"
    found = misfits(pattern)(values)
    assert found is not None
    text, bad = found
    assert text == "\0" + "\0".join(values) + "\0"
    assert bad == [i for i, v in enumerate(values) if re.fullmatch(pattern, v) is None]


def test_misfits_leaves_a_column_with_a_nul_to_the_value_by_value_check():
    from fastapp.data.columns import misfits

    assert misfits(r"[0-9]+")(["1", "2\x003"]) is None
    assert misfits(r"[0-9]+")([]) is None


def test_decimals_past_28_digits_keep_every_digit_both_ways():
    """The default decimal context keeps 28 digits; a DecimalField may hold more."""
    from fastapp.data.values import dumper

    field = _decimal_field(40, 2)
    text = "12345678901234567890123456789012345.67"
    assert str(loader(field, "decimal", Timezones())(text)) == text
    assert dumper(field, "decimal", Timezones())(text) == text
    with pytest.raises(ValueProblem, match="does not fit in 40 digits"):
        loader(field, "decimal", Timezones())("1e100")


def test_a_whole_float_past_2_53_is_not_taken_for_a_decimal():
    """orjson reads a JSON integer past 64 bits as a float: its digits are gone, so the
    value is refused with a way out rather than stored rounded."""
    import orjson

    convert = loader(_decimal_field(40, 0), "decimal", Timezones())
    rounded = orjson.loads(b"123456789012345678901234567890")
    assert isinstance(rounded, float)
    with pytest.raises(ValueProblem, match="give it as a string"):
        convert(rounded)
    assert str(convert("123456789012345678901234567890")) == "123456789012345678901234567890"
    assert str(convert(4503599627370495.0)) == "4503599627370495"  # below 2**53: exact
    assert str(convert(123456789012345678901234567890)) == "123456789012345678901234567890"
