"""The convergence corpus: every case in tests/corpus/convergence/*.yaml on every backend it names,
in both directions: current -> desired ("forward"), then desired -> current ("mirror"; a case
that cannot be reversed says why in its ``mirror:`` field).

Each case asserts that the plan applies, a second diff is empty, the result equals a database
built directly from the desired DDL, seed rows survive non-destructive changes, and a
destructive plan is refused without --allow-destructive. Cases of one backend share a single
scratch database (reset between cases) and run inside one test per YAML file, direction and
backend, so the whole corpus costs a few connections per case rather than a database per case.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import pytest
import yaml

from fastapp import testing
from tests.corpus.convergence.harness import Case, ddl_for, fast_commits, run_case

CORPUS = Path(__file__).parent / "convergence"


TUPLES = ("backends", "renames", "rename_tables", "ops", "refused", "notes", "mirror_ops", "mirror_refused")


def load_cases(path: Path) -> list[Case]:
    cases = []
    for raw in yaml.safe_load(path.read_text(encoding="utf-8")):
        raw = dict(raw)
        for key in TUPLES:
            if key in raw:
                raw[key] = tuple(raw[key])
        cases.append(Case(**raw))
    return cases


FILES = sorted(CORPUS.glob("*.yaml"))
ALL_CASES = {path.stem: load_cases(path) for path in FILES}


def in_direction(cases: list[Case], direction: str, backend: str) -> list[Case]:
    """The cases of ``backend`` as run in ``direction`` ("forward" or "mirror"). A mirror that
    is already a forward case of the corpus (written by hand) is not run twice."""
    cases = [c for c in cases if backend in c.backends]
    if direction == "forward":
        return cases
    return [
        m
        for m in (c.mirrored() for c in cases if c.mirrors_on(backend))
        if shape(m, backend) not in forward_shapes(backend)
    ]


def shape(case: Case, backend: str) -> tuple:
    """What a case migrates from and to on ``backend``: both sides (spacing aside) and the
    renames."""
    options = case.diff_options(backend)
    return (
        " ".join(ddl_for(case.current, backend).split()),
        " ".join(ddl_for(case.desired, backend).split()),
        options.table_renames,
        options.column_renames,
        options.object_renames,
    )


@functools.cache
def forward_shapes(backend: str) -> frozenset[tuple]:
    cases = [c for group in ALL_CASES.values() for c in group if backend in c.backends]
    return frozenset(shape(c, backend) for c in cases)


def test_corpus_is_large_and_covers_every_backend():
    cases = [c for group in ALL_CASES.values() for c in group]
    assert len(cases) >= 270
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    # Nearly every case also runs reversed (a mirror written by hand is not run twice; an
    # opt-out says why).
    for backend, forward, mirror in (("sqlite", 160, 130), ("postgres", 225, 180), ("mysql", 170, 135)):
        assert len(in_direction(cases, "forward", backend)) >= forward, backend
        assert len(in_direction(cases, "mirror", backend)) >= mirror, backend
    for case in cases:
        reasons = case.mirror.values() if isinstance(case.mirror, dict) else [case.mirror]
        assert all(r is None or r.strip() for r in reasons), f"{case.name}: mirror needs a why"
        configured = case.mirror_seed is not None or case.mirror_ops or case.mirror_refused
        for backend in case.backends:
            if configured and case.mirrors_on(backend):
                assert shape(case.mirrored(), backend) not in forward_shapes(backend), (
                    f"{case.name}: its mirror is a forward case already; its mirror_ fields go"
                )


#: Files named after a backend (``postgres``, ``postgres_vocabulary``) hold that backend's own
#: cases; the others run everywhere.
DIALECT_FILES = ("postgres", "mysql", "sqlite")


def backend_of(group: str) -> str | None:
    head = group.split("_", 1)[0]
    return head if head in DIALECT_FILES else None


SHARED = sorted(g for g in ALL_CASES if backend_of(g) is None)


@pytest.fixture(scope="module")
def reference_db(backend, tmp_path_factory):
    """A second scratch database of the same server: the desired DDL applied directly."""
    cfg = testing.scratch_config(backend, tmp_path_factory.mktemp("reference"))
    asyncio.run(cfg.dialect.create_database(cfg))
    yield cfg
    asyncio.run(cfg.dialect.drop_database(cfg))


def run_group(cases: list[Case], module_db, reference_db) -> None:
    failures = []

    async def run_all():
        await fast_commits(module_db)
        await fast_commits(reference_db)
        for case in cases:
            try:
                await run_case(module_db, case, reference_db)
            except Exception as exc:  # collect every failing case of the group
                failures.append(f"{case.name}: {type(exc).__name__}: {exc}")

    asyncio.run(run_all())
    assert not failures, "\n".join(failures)


DIRECTIONS = ("forward", "mirror")


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("group", SHARED)
def test_convergence(group, direction, backend, module_db, reference_db):
    cases = in_direction(ALL_CASES[group], direction, backend)
    assert cases, f"{group}.yaml has no {direction} case for {backend}"
    run_group(cases, module_db, reference_db)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_backend_specific_cases(direction, backend, module_db, reference_db):
    own = [c for g, group in ALL_CASES.items() if backend_of(g) == backend for c in group]
    assert own and all(c.backends == (backend,) for c in own)
    run_group(in_direction(own, direction, backend), module_db, reference_db)
