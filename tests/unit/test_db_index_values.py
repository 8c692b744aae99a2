"""``fastapp.models.DbIndex`` as a value: what a declaration may say, and what Tortoise's
migrations read off it (the migration file's text, equality, the autodetector's signature).
Rendering and the refusals per backend are in tests/backends/test_db_index.py."""

from __future__ import annotations

import pytest
from tortoise.exceptions import ConfigurationError
from tortoise.migrations.schema_generator.state_diff import _index_signature
from tortoise.migrations.writer import ImportManager, _render_call

from fastapp.models import DbIndex

FULL = DbIndex(
    fields=("email", "(lower(name))"),
    name="acct_email",
    unique=True,
    method="BTREE",
    opclasses=("text_pattern_ops", None),
    collations=(None, "C"),
    orders=("asc", "DESC"),
    nulls=(None, "nulls last"),
    include=("tenant",),
    nulls_not_distinct=True,
    where="tenant > 0",
    storage={"fillfactor": 70, "deduplicate_items": False},
    comment="it's",
    dialects=("postgres",),
)


def test_arguments_are_normalized_once():
    assert FULL.method == "btree"
    assert FULL.orders == (None, "DESC")  # ASC is the default: not said
    assert FULL.nulls == (None, "LAST")
    assert FULL.storage == (("fillfactor", "70"), ("deduplicate_items", "off"))
    assert DbIndex(fields=("a",), orders=("ASC",), opclasses=(None,)).orders == ()
    # Tortoise checks `fields` against the model's fields: the expression is not one
    assert FULL.fields == ["email", "tenant"]
    assert FULL.field_names == ["email", "(lower(name))"]


def test_the_migration_file_text_rebuilds_an_equal_index():
    imports = ImportManager()
    path, args, kwargs = FULL.deconstruct()
    text = _render_call(path, args, kwargs, imports)
    assert imports.render() == ["from fastapp.models import DbIndex"]
    rebuilt = eval(text, {"DbIndex": DbIndex})  # what the migration file does on import
    assert rebuilt == FULL and hash(rebuilt) == hash(FULL)
    assert _index_signature(rebuilt) == _index_signature(FULL)
    assert _render_call(*rebuilt.deconstruct(), ImportManager()) == text
    plain = DbIndex(fields=("a",))
    assert plain.deconstruct() == ("fastapp.models.DbIndex", [], {"fields": ("a",)})


def test_any_changed_clause_or_name_is_a_different_index_to_the_autodetector():
    base = DbIndex(fields=("a",), opclasses=("text_pattern_ops",))
    changed = [
        DbIndex(fields=("a",), opclasses=("varchar_pattern_ops",)),
        DbIndex(fields=("a",), opclasses=("text_pattern_ops",), name="other"),
        DbIndex(fields=("a",), opclasses=("text_pattern_ops",), where="a > ''"),
        DbIndex(fields=("a",), opclasses=("text_pattern_ops",), dialects=("postgres",)),
    ]
    for other in changed:
        assert other != base
        assert _index_signature(other) != _index_signature(base)
    assert _index_signature(DbIndex(fields=("a",), opclasses=("text_pattern_ops",))) == (
        _index_signature(base)
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"fields": ()}, "needs fields"),
        ({"fields": "email"}, "needs fields"),
        ({"fields": ("a", "b"), "opclasses": ("x",)}, "opclasses has 1 entries for 2 keys"),
        ({"fields": ("a",), "orders": ("DOWN",)}, "order 'DOWN'"),
        ({"fields": ("a",), "nulls": ("MIDDLE",)}, "nulls 'MIDDLE'"),
        ({"fields": ("a",), "nulls_not_distinct": True}, "needs unique=True"),
        ({"fields": ("a",), "dialects": ("oracle",)}, "dialects=('oracle',)"),
        ({"fields": ("a",), "dialects": ()}, "dialects=()"),
    ],
)
def test_a_declaration_that_cannot_be_an_index_fails_naming_it(arguments, message):
    with pytest.raises(ConfigurationError, match="DbIndex") as info:
        DbIndex(**arguments)
    assert message in str(info.value)


def test_dialects_choose_the_backends():
    index = DbIndex(fields=("a",), dialects=("sqlite", "postgres"))
    assert index.dialects == ("postgres", "sqlite")
    assert index.applies_to("postgres") and not index.applies_to("mysql")
    assert DbIndex(fields=("a",)).applies_to("mysql")
