"""The shared stable topological sort (pure)."""

from __future__ import annotations

from fastapp.schema.toposort import toposort

GRAPH = {"c": {"b"}, "b": {"a"}, "a": set(), "z": set(), "m": {"a"}}


def deps(graph):
    return lambda node: graph.get(node, ())


def test_dependencies_first_ties_by_key():
    result = toposort(GRAPH, deps(GRAPH))
    assert result.order == ("a", "b", "c", "m", "z")
    assert result.broken == () and result.cyclic == ()


def test_input_order_does_not_matter():
    assert toposort(list(GRAPH), deps(GRAPH)) == toposort(reversed(list(GRAPH)), deps(GRAPH))


def test_custom_key_breaks_ties():
    result = toposort(["a", "bb", "ccc"], deps({}), key=lambda n: -len(n))
    assert result.order == ("ccc", "bb", "a")


def test_self_and_outside_dependencies_are_ignored():
    result = toposort(["x", "y"], deps({"x": {"x", "elsewhere"}, "y": {"x"}}))
    assert result.order == ("x", "y") and result.cyclic == ()


def test_cycles_are_reported_with_what_depends_on_them():
    graph = {"a": {"b"}, "b": {"a"}, "c": {"a"}, "d": set()}
    result = toposort(graph, deps(graph))
    assert result.order == ("d",)
    assert result.cyclic == ("a", "b", "c")


def test_cycles_are_broken_at_the_smallest_remaining_node():
    graph = {"b": {"a"}, "a": {"c"}, "c": {"b"}, "d": {"c"}, "e": set()}
    result = toposort(graph, deps(graph), break_cycles=True)
    assert result.order == ("e", "a", "b", "c", "d")
    assert result.broken == ("a",)
    assert result.cyclic == ()


def test_two_separate_cycles_each_break_once():
    graph = {"a": {"b"}, "b": {"a"}, "x": {"y"}, "y": {"x"}}
    result = toposort(graph, deps(graph), break_cycles=True)
    assert result.order == ("a", "b", "x", "y")
    assert result.broken == ("a", "x")


def test_empty():
    assert toposort([], deps({})).order == ()


def test_scratch_script_of_a_cycle_defers_only_the_keys_to_later_tables():
    """The generated-DDL path through a cycle (PostgreSQL scratch space) uses the same order."""
    from fastapp.desired.scratch import get_scratch
    from fastapp.tortoise.generated import GeneratedTable

    tables = [
        GeneratedTable(
            "b",
            ("CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a (id))",),
            frozenset({"a"}),
        ),
        GeneratedTable(
            "a",
            (
                "CREATE TABLE a (id INT PRIMARY KEY, b_id INT REFERENCES b (id), x_id INT REFERENCES x (id))",
                "CREATE INDEX ai ON a (b_id)",
            ),
            frozenset({"b", "x"}),
        ),
        GeneratedTable(
            "c",
            ("CREATE TABLE c (id INT PRIMARY KEY, a_id INT REFERENCES a (id))",),
            frozenset({"a"}),
        ),
    ]
    assert get_scratch("postgres").cyclic_script(tables) == (
        "CREATE TABLE a (id INT PRIMARY KEY, b_id INT, x_id INT REFERENCES x (id))",
        "CREATE INDEX ai ON a (b_id)",
        "CREATE TABLE b (id INT PRIMARY KEY, a_id INT REFERENCES a (id))",
        "CREATE TABLE c (id INT PRIMARY KEY, a_id INT REFERENCES a (id))",
        "ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b (id)",
    )
