"""The one table-filter rule, shared by the catalog readers and reverse generation (pure)."""

from __future__ import annotations

import pytest

from fastapp import reverse
from fastapp.errors import SchemaError
from fastapp.introspect.base import match_tables, select_tables
from fastapp.schema.objects import Column, Schema, Table

NAMES = ["blog_post", "blog_tag", "Blog_Old", "a[1]", "a1", "users"]
CASES = [
    (["users"], ["users"]),
    (["blog_*"], ["blog_post", "blog_tag"]),  # case-sensitive
    (["a[1]"], ["a1", "a[1]"]),  # the exact name and the glob's matches
    (["users", "blog_t?g", "users"], ["blog_tag", "users"]),
    ([], sorted(NAMES)),
]


@pytest.mark.parametrize("patterns,expected", CASES)
def test_both_callers_select_alike(patterns, expected):
    schema = Schema("sqlite", tuple(Table(n, (Column("id", "integer"),)) for n in NAMES))
    assert match_tables(NAMES, patterns) == (expected, [])
    assert select_tables(NAMES, patterns) == expected
    assert reverse.select_tables(schema, patterns) == expected


def test_unmatched_patterns_are_reported_in_order():
    assert match_tables(NAMES, ["nope", "users", "x*"]) == (["users"], ["nope", "x*"])
    with pytest.raises(SchemaError, match="'nope' matches no table"):
        select_tables(NAMES, ["nope"])
    schema = Schema("sqlite", (Table("users", (Column("id", "integer"),)),))
    with pytest.raises(SchemaError, match="no table 'x\\*' in the database"):
        reverse.select_tables(schema, ["x*"])
