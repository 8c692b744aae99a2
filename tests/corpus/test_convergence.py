"""The convergence corpus: every case in tests/corpus/convergence/*.yaml on every backend it names.

Each case asserts that the plan applies, a second diff is empty, the result equals a database
built directly from the desired DDL, seed rows survive non-destructive changes, and a
destructive plan is refused without --allow-destructive. Cases of one backend share a single
scratch database (reset between cases) and run inside one test per YAML file and backend, so
the whole corpus costs a few connections per case rather than a database per case.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from fastapp import testing
from tests.corpus.convergence.harness import Case, fast_commits, run_case

CORPUS = Path(__file__).parent / "convergence"


def load_cases(path: Path) -> list[Case]:
    cases = []
    for raw in yaml.safe_load(path.read_text(encoding="utf-8")):
        raw = dict(raw)
        for key in ("backends", "renames", "rename_tables", "ops", "refused", "notes"):
            if key in raw:
                raw[key] = tuple(raw[key])
        cases.append(Case(**raw))
    return cases


FILES = sorted(CORPUS.glob("*.yaml"))
ALL_CASES = {path.stem: load_cases(path) for path in FILES}


def test_corpus_is_large_and_covers_every_backend():
    cases = [c for group in ALL_CASES.values() for c in group]
    assert len(cases) >= 150
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    for backend in ("sqlite", "postgres", "mysql"):
        assert sum(backend in c.backends for c in cases) >= 100


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


@pytest.mark.parametrize("group", SHARED)
def test_convergence(group, backend, module_db, reference_db):
    cases = [c for c in ALL_CASES[group] if backend in c.backends]
    assert cases, f"{group}.yaml has no case for {backend}"
    run_group(cases, module_db, reference_db)


def test_backend_specific_cases(backend, module_db, reference_db):
    cases = [c for g, group in ALL_CASES.items() if backend_of(g) == backend for c in group]
    assert cases and all(c.backends == (backend,) for c in cases)
    run_group(cases, module_db, reference_db)
