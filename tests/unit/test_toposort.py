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
