"""The diff's rule for what the Schema holds but fastapp does not create (issue 14): views,
functions and other objects of the schema, and the bodies of triggers."""

from __future__ import annotations

import pytest

from fastapp.diff.compare import UnmodelledClauseError, diff
from fastapp.schema.objects import Column, Schema, SchemaObject, Table, Unmodelled

T = Table("t", (Column("id", "integer", nullable=False),))
VIEW = SchemaObject("view", "recent", "SELECT t.id FROM t WHERE t.id > 10")


def schema(*objects: SchemaObject, table: Table = T) -> Schema:
    return Schema("postgres", (table,), objects=objects)


def test_same_objects_on_both_sides_match():
    plan = diff(schema(VIEW), schema(VIEW))
    assert plan.is_empty and plan.notes == ()


def test_a_desired_object_the_database_lacks_is_refused_by_name():
    with pytest.raises(UnmodelledClauseError, match=r"view recent: not in the database"):
        diff(schema(), schema(VIEW))


def test_a_desired_object_with_another_definition_is_refused_by_name():
    changed = SchemaObject("view", "recent", "SELECT t.id FROM t WHERE t.id > 20")
    with pytest.raises(UnmodelledClauseError, match=r"view recent: the database has another"):
        diff(schema(VIEW), schema(changed))


def test_a_live_object_the_desired_side_omits_is_kept_and_said():
    plan = diff(schema(VIEW), schema())
    assert plan.is_empty
    assert plan.notes == ("view recent",)
    assert "[kept, not modelled] view recent" in plan.describe()


def test_objects_of_two_kinds_may_share_a_name():
    function = SchemaObject("function", "recent", "RETURNS integer LANGUAGE sql AS 'SELECT 1'")
    with pytest.raises(UnmodelledClauseError, match=r"function recent: not in the database"):
        diff(schema(VIEW), schema(VIEW, function))


def test_a_trigger_with_another_body_is_refused():
    def with_trigger(body: str) -> Table:
        trigger = Unmodelled("trigger audit", "CREATE TRIGGER", definition=body)
        return Table(T.name, T.columns, unmodelled=(trigger,))

    live = schema(table=with_trigger("AFTER INSERT ON t EXECUTE FUNCTION a()"))
    desired = schema(table=with_trigger("AFTER UPDATE ON t EXECUTE FUNCTION a()"))
    assert diff(live, live).is_empty
    with pytest.raises(UnmodelledClauseError, match=r"trigger audit.*another definition"):
        diff(live, desired)


def test_objects_survive_the_json_round_trip():
    original = schema(VIEW, SchemaObject("sequence", "ticket_no", "START 100 INCREMENT 1"))
    assert Schema.from_dict(original.to_dict()) == original
