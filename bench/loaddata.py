"""Benchmark: ``fastapp loaddata`` against the raw driver's bulk path, on every backend.

A fixture of N ``loadbench.Item`` records (8 mixed fields and a foreign key to one of 50
categories, half of them given as ``${name=...}`` lookups) is loaded three ways, each into a
fresh scratch database of its own and each in a process of its own (so its peak RSS and CPU
are its own):

* **process** (the headline): the whole ``fastapp loaddata FIXTURE`` command as a user runs
  it, timed from outside: interpreter start, imports, settings, Tortoise init, parse, writes;
  its CPU is the user+sys time of the command and of the parsing process it may fork;
* **in-process**: ``load_fixtures`` alone, after start-up (what the loader itself costs);
* **baseline**: the same rows, already typed in memory, written with the driver's fastest
  path (asyncpg ``copy_records_to_table``, asyncmy multi-row INSERT, sqlite3
  ``executemany``); its wall time and the CPU of that write alone.

Ratios are baseline / ours (1.00: as fast or as frugal as the raw driver; the database
server's own CPU is in neither). Runs alternate their order (ours first, then baseline
first) so neither side always meets a warmer server or cache.

    .venv/bin/python bench/loaddata.py                      # 100k records, all backends, 3 runs
    .venv/bin/python bench/loaddata.py --records 20000 --memory 0 --backends sqlite --runs 1
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

CATEGORIES = 50
BASE_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def item_values(i: int) -> tuple:
    """The typed values of item ``i`` (deterministic)."""
    rnd = random.Random(i)
    return (
        i,
        i % CATEGORIES + 1,
        f"item {i} — “quoted”",
        rnd.randrange(10_000),
        Decimal(rnd.randrange(100_000)) / 100,
        rnd.random() * 100,
        i % 3 != 0,
        BASE_TIME + dt.timedelta(seconds=i * 7, microseconds=i % 1000),
        uuid.UUID(int=rnd.getrandbits(128), version=4),
    )


def write_fixture(path: Path, records: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for c in range(1, CATEGORIES + 1):
            name = json.dumps(f"cat-{c:02d}")
            out.write(
                f'{{"model": "loadbench.Category", "pk": {c}, "fields": {{"name": {name}}}}},\n'
            )
        for i in range(1, records + 1):
            pk, cat, name, qty, price, weight, active, created, code = item_values(i)
            ref = cat if i % 2 else f"${{name=cat-{cat:02d}}}"
            fields = {
                "category": ref,
                "name": name,
                "quantity": qty,
                "price": str(price),
                "weight": weight,
                "active": active,
                "created": created.isoformat(),
                "code": str(code),
            }
            sep = ",\n" if i < records else "\n"
            record = {"model": "loadbench.Item", "pk": pk, "fields": fields}
            out.write(json.dumps(record, ensure_ascii=False) + sep)
        out.write("]\n")


# -- child process: one measurement ------------------------------------------------------------


def _registry(cfg):
    from fastapp.apps import AppRegistry
    from fastapp.settings import Settings

    settings = Settings(module="bench", installed_apps=("loadbench",), databases={"default": cfg})
    return AppRegistry(settings)


def _baseline_rows(dialect: str, records: int) -> tuple[list[tuple], list[tuple]]:
    categories = [(c, f"cat-{c:02d}") for c in range(1, CATEGORIES + 1)]
    items = [item_values(i) for i in range(1, records + 1)]
    if dialect == "sqlite":
        items = [
            (a, b, c, d, str(e), f, g, h.isoformat(" "), str(k))
            for a, b, c, d, e, f, g, h, k in items
        ]
    elif dialect == "mysql":
        items = [
            (a, b, c, d, e, f, g, h.replace(tzinfo=None), str(k))
            for a, b, c, d, e, f, g, h, k in items
        ]
    return categories, items


ITEM_COLUMNS = [
    "id",
    "category_id",
    "name",
    "quantity",
    "price",
    "weight",
    "active",
    "created",
    "code",
]


async def _baseline(cfg, records: int) -> float:
    categories, items = _baseline_rows(cfg.dialect_name, records)
    if cfg.dialect_name == "sqlite":
        import sqlite3

        started = time.perf_counter()
        conn = sqlite3.connect(cfg.name, isolation_level=None)
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO bench_category (id, name) VALUES (?, ?)", categories)
        marks = ", ".join("?" * len(ITEM_COLUMNS))
        conn.executemany(
            f"INSERT INTO bench_item ({', '.join(ITEM_COLUMNS)}) VALUES ({marks})", items
        )
        conn.execute("COMMIT")
        conn.close()
        return time.perf_counter() - started
    conn = await cfg.dialect.connect(cfg)
    try:
        started = time.perf_counter()
        if cfg.dialect_name == "postgres":
            async with conn.transaction():
                await conn.copy_records_to_table("bench_category", records=categories)
                await conn.copy_records_to_table("bench_item", records=items, columns=ITEM_COLUMNS)
        else:
            async with conn.cursor() as cur:
                await cur.execute("START TRANSACTION")
                await cur.executemany(
                    "INSERT INTO bench_category (id, name) VALUES (%s, %s)", categories
                )
                marks = ", ".join(["%s"] * len(ITEM_COLUMNS))
                await cur.executemany(
                    f"INSERT INTO bench_item ({', '.join(ITEM_COLUMNS)}) VALUES ({marks})", items
                )
                await cur.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        await cfg.dialect.close(conn)


async def _child(backend: str, fixture: Path, records: int, with_baseline: bool) -> dict:
    if with_baseline:
        return await _baseline_child(backend, records)
    return await _ours_child(backend, fixture, records)


async def _baseline_child(backend: str, records: int) -> dict:
    from fastapp.apply.create_missing import MigrateOptions, migrate
    from fastapp.testing import scratch_database

    async with scratch_database(backend, Path(tempfile.gettempdir())) as cfg:
        await migrate(_registry(cfg), MigrateOptions())
        cpu = _cpu(resource.RUSAGE_SELF)
        seconds = await _baseline(cfg, records)
        return {"baseline_s": seconds, "baseline_cpu_s": _cpu(resource.RUSAGE_SELF) - cpu}


async def _ours_child(backend: str, fixture: Path, records: int) -> dict:
    from fastapp.apply.create_missing import MigrateOptions, migrate
    from fastapp.data.formats import source_for
    from fastapp.data.loader import LoadOptions, load_fixtures
    from fastapp.testing import scratch_database

    out: dict = {"backend": backend, "records": records}
    async with scratch_database(backend, Path(tempfile.gettempdir())) as cfg:
        registry = _registry(cfg)
        await migrate(registry, MigrateOptions())
        out["rss_before_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # As `fastapp loaddata` runs it: forking allowed, the collector off (cli.main()).
        options = LoadOptions(fixtures=[source_for(fixture)], parse_in_child=None)
        gc.disable()
        cpu_self, cpu_children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        result = await load_fixtures(registry, options)
        out["cpu_s"] = _cpu(resource.RUSAGE_SELF) - cpu_self
        out["parser_cpu_s"] = _cpu(resource.RUSAGE_CHILDREN) - cpu_children
        out["ours_s"] = result.seconds
        out["rss_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # A load may parse in a forked child process (SQLite): its own peak, reaped by now.
        out["rss_parser_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        out["objects"] = result.objects
    return out


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_child(backend: str, fixture: Path, records: int, baseline: bool) -> dict:
    cmd = [sys.executable, __file__, "--child", backend, str(fixture), str(records)]
    if baseline:
        cmd.append("--baseline")
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{backend}: benchmark child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


SETTINGS = """\"\"\"Settings of one run of bench/loaddata.py (written by it).\"\"\"
INSTALLED_APPS = ["loadbench"]
DATABASES = {"default": %r}
"""


def run_process(backend: str, fixture: Path, folder: Path) -> dict:
    """The whole ``fastapp loaddata`` command into a fresh database (its tables created by
    ``fastapp migrate`` beforehand, untimed): wall time from outside, user+sys CPU of the
    command and of any process it forked and reaped."""
    from fastapp import testing

    cfg = testing.scratch_config(backend, folder)
    asyncio.run(cfg.dialect.create_database(cfg))
    try:
        project = folder / "project"
        project.mkdir(exist_ok=True)
        entry = {
            "ENGINE": cfg.dialect_name,
            "NAME": cfg.name,
            "HOST": cfg.host,
            "PORT": cfg.port,
            "USER": cfg.user,
            "PASSWORD": cfg.password or "",
        }
        (project / "settings.py").write_text(SETTINGS % entry, encoding="utf-8")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)]),
            "FASTAPP_SETTINGS": "settings",
        }
        env.pop("DATABASE_URL", None)
        fastapp = [sys.executable, "-m", "fastapp"]
        _command([*fastapp, "migrate"], project, env)
        cpu = _cpu(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        _command([*fastapp, "loaddata", str(fixture), "--quiet"], project, env)
        wall = time.perf_counter() - started
        return {"process_s": wall, "process_cpu_s": _cpu(resource.RUSAGE_CHILDREN) - cpu}
    finally:
        asyncio.run(cfg.dialect.drop_database(cfg))


def _command(cmd: list[str], cwd: Path, env: dict) -> None:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:4])} failed:\n{done.stdout}{done.stderr}")


def _parser(r: dict) -> str:
    """The parsing child's own peak RSS, where the load used one."""
    return f" (+ parser process {r['rss_parser_mb']:.0f} MB)" if r.get("rss_parser_mb") else ""


def _cpu_split(r: dict) -> str:
    """Where our in-process load's CPU went: this process, and the parsing process."""
    if r.get("parser_cpu_s"):
        return f" ({r['cpu_s']:.2f} s writing, {r['parser_cpu_s']:.2f} s parsing)"
    return ""


def available(backend: str) -> bool:
    from fastapp.testing import unavailable_reason

    reason = asyncio.run(unavailable_reason(backend))
    if reason:
        print(f"  {backend}: skipped ({reason})")
    return reason is None


def measure(backend: str, fixture: Path, records: int, folder: Path, runs: int) -> list[dict]:
    """``runs`` rounds of the three measurements, each in a process and database of its
    own; odd rounds run them in the reverse order."""
    steps = [
        lambda: run_process(backend, fixture, folder),
        lambda: run_child(backend, fixture, records, False),
        lambda: run_child(backend, fixture, records, True),
    ]
    found = []
    for round_ in range(runs):
        result: dict = {}
        for step in steps if round_ % 2 == 0 else steps[::-1]:
            result.update(step())
        result["cpu_total_s"] = result["cpu_s"] + result["parser_cpu_s"]
        found.append(result)
    return found


def report(backend: str, runs: list[dict], rows: int) -> None:
    """Medians of ``runs``: each way's wall time, rate and CPU, then the ratios."""

    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    def ratio(base: str, ours: str) -> float:
        return statistics.median(r[base] / r[ours] for r in runs)

    lines = [
        ("fastapp loaddata, whole process", "process_s", "process_cpu_s", ""),
        ("load_fixtures in process", "ours_s", "cpu_total_s", _cpu_split(runs[0])),
        ("baseline: driver bulk, typed rows", "baseline_s", "baseline_cpu_s", ""),
    ]
    print(f"{backend} ({len(runs)} run{'s' * (len(runs) > 1)}, medians):")
    for label, wall, cpu, extra in lines:
        print(
            f"  {label:<34} {median(wall):6.2f} s = {rows / median(wall):>9,.0f} rows/s; "
            f"CPU {median(cpu):6.2f} s{extra}"
        )
    print(
        f"  ratio baseline/ours, wall: {ratio('baseline_s', 'process_s'):.2f} whole process, "
        f"{ratio('baseline_s', 'ours_s'):.2f} in process; "
        f"CPU: {ratio('baseline_cpu_s', 'process_cpu_s'):.2f} whole process, "
        f"{ratio('baseline_cpu_s', 'cpu_total_s'):.2f} in process"
    )
    print(
        f"  peak RSS in process {statistics.median(r['rss_peak_mb'] for r in runs):.0f} MB"
        f"{_parser(runs[0])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument(
        "--memory", type=int, default=1_000_000, help="records for the memory run (0: skip)"
    )
    parser.add_argument("--backends", default="postgres,mysql,sqlite")
    parser.add_argument("--runs", type=int, default=3, help="runs per backend (medians)")
    parser.add_argument("--child", nargs=3, metavar=("BACKEND", "FIXTURE", "RECORDS"))
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    if args.child:
        backend, fixture, records = args.child
        result = _child(backend, Path(fixture), int(records), args.baseline)
        print(json.dumps(asyncio.run(result)))
        return
    backends = [b for b in args.backends.split(",") if b and available(b)]
    with tempfile.TemporaryDirectory(prefix="fastapp-bench-") as tmp:
        fixture = Path(tmp) / "items.json"
        write_fixture(fixture, args.records)
        size = fixture.stat().st_size / 1e6
        print(
            f"fixture: {args.records:,} items + {CATEGORIES} categories, {size:.1f} MB, half the FKs as lookups"
        )
        rows = args.records + CATEGORIES
        for backend in backends:
            report(backend, measure(backend, fixture, args.records, Path(tmp), args.runs), rows)
        if args.memory and backends:
            for count in (args.records, args.memory):
                path = Path(tmp) / f"items-{count}.json"
                if count == args.records:
                    path = fixture
                else:
                    write_fixture(path, count)
                r = run_child(backends[-1], path, count, False)
                print(
                    f"memory ({backends[-1]}, {count:,} records): peak RSS {r['rss_peak_mb']:.0f} MB"
                    f"{_parser(r)}, "
                    f"(interpreter + imports before the load: {r['rss_before_mb']:.0f} MB), "
                    f"{(count + CATEGORIES) / r['ours_s']:,.0f} rows/s"
                )
                if path != fixture:
                    os.remove(path)
        # Last: a parsed copy in this process would inflate the children's ru_maxrss.
        import orjson

        rows = args.records + CATEGORIES
        data = fixture.read_bytes()
        for name, loads in (("json.loads", json.loads), ("orjson.loads", orjson.loads)):
            gc.disable()  # the parse alone, not the collector's passes over a growing list
            started = time.perf_counter()
            loads(data)
            floor = time.perf_counter() - started
            gc.enable()
            print(
                f"{name} of the whole file alone: {floor:.2f} s = {rows / floor:,.0f} rows/s "
                "(a ceiling for any loader of this fixture using it)"
            )


if __name__ == "__main__":
    main()
