"""Stable topological order: the one place that says "each node after what it depends on".

Creation order of tables (:func:`creation_order`: the DDL writer, the diff, reverse
generation), drop order, generated DDL, fixture load order and scratch scripts all need the
same thing:
dependencies first, ties broken by a stable key so the output is byte-identical run to run,
and either the nodes stuck in cycles (to report them) or a deterministic way through a cycle
(emit its smallest node anyway and let the caller defer what that node still needed).
Kahn's algorithm over a heap of ranks keeps it O((n + e) log n).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from fastapp.schema.objects import ForeignKey, Table

N = TypeVar("N", bound=Hashable)


@dataclass(frozen=True)
class Ordering(Generic[N]):
    """The result of :func:`toposort`.

    ``order``: the nodes placed, each after its dependencies (unless it is in ``broken``).
    ``broken``: with ``break_cycles``, the nodes placed while some of their dependencies were
    still to come (the smallest remaining node of a cycle); a node's dependencies placed after
    it are the ones the caller has to defer.
    ``cyclic``: without ``break_cycles``, the nodes left out: in a cycle or after one.
    """

    order: tuple[N, ...]
    broken: tuple[N, ...] = ()
    cyclic: tuple[N, ...] = ()


def toposort(
    nodes: Iterable[N],
    dependencies: Callable[[N], Iterable[Any]],
    *,
    key: Callable[[N], Any] | None = None,
    break_cycles: bool = False,
) -> Ordering[N]:
    """Order ``nodes`` so each comes after ``dependencies(node)``; among nodes ready at the
    same time the smallest by ``key`` (default: the node itself) comes first.

    Dependencies that are not among ``nodes``, and a node's dependency on itself, are
    ignored (taken as existing already). When nothing is ready and ``break_cycles`` is true,
    the smallest remaining node is placed anyway and recorded in ``broken``; otherwise the
    remaining nodes are returned in ``cyclic`` (sorted by ``key``).
    """
    ranked: list[N] = sorted(dict.fromkeys(nodes), key=key)  # type: ignore[arg-type]
    rank = {node: i for i, node in enumerate(ranked)}
    waiting: list[set[int]] = [set() for _ in ranked]
    dependants: list[list[int]] = [[] for _ in ranked]
    for i, node in enumerate(ranked):
        for dep in dependencies(node):
            j = rank.get(dep)
            if j is not None and j != i and j not in waiting[i]:
                waiting[i].add(j)
                dependants[j].append(i)
    ready = [i for i, deps in enumerate(waiting) if not deps]
    heapq.heapify(ready)
    placed = [False] * len(ranked)
    order: list[N] = []
    broken: list[N] = []
    smallest = 0  # every node of a smaller rank is placed: the next cycle breaker is found linearly
    while len(order) < len(ranked):
        if ready:
            i = heapq.heappop(ready)
            if placed[i]:
                continue
        elif break_cycles:
            while placed[smallest]:
                smallest += 1
            i = smallest
            broken.append(ranked[i])
        else:
            break
        placed[i] = True
        order.append(ranked[i])
        for j in dependants[i]:
            if placed[j]:
                continue
            waiting[j].discard(i)
            if not waiting[j]:
                heapq.heappush(ready, j)
    cyclic = tuple(node for i, node in enumerate(ranked) if not placed[i])
    return Ordering(tuple(order), tuple(broken), cyclic)


def creation_order(
    tables: Iterable[Table], can_defer: bool = True
) -> tuple[list[Table], dict[str, list[ForeignKey]]]:
    """Tables so that each comes after the tables it references (ties by name).

    A cycle is broken at its alphabetically first table: its foreign keys to tables not yet
    created are returned in ``deferred`` (table name -> keys, in the table's order) to be
    added afterwards, unless ``can_defer`` is False (the backend accepts forward references
    inline). A self reference is no cycle; references to other tables count as existing.
    """
    by_name = {t.name: t for t in tables}
    result = toposort(by_name, lambda name: by_name[name].references, break_cycles=True)
    position = {name: i for i, name in enumerate(result.order)}
    deferred: dict[str, list[ForeignKey]] = {}
    if can_defer:
        for name in result.broken:
            deferred[name] = [
                fk
                for fk in by_name[name].foreign_keys
                if position.get(fk.ref_table, -1) > position[name]
            ]
    return [by_name[name] for name in result.order], deferred
