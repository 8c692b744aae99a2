"""Shortcuts that skip parsing must give exactly what parsing would: pure tests, no database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastapp.fixtures.writers.sqlite import _stored_datetime

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
    ],
)
def test_sqlite_stored_datetime_leaves_other_text_to_the_full_conversion(text):
    assert _stored_datetime(text) is None
