"""The migration graph read from the files without running them (``fastapp.versions.files``):
the same graph and order as Tortoise's loader, and ``None`` wherever running a file could
tell a different story."""

from __future__ import annotations

import asyncio
import json
import random
import sys

import pytest

from fastapp.versions import files
from fastapp.versions.loading import full_plan, heads, load_graph

HEADER = "from tortoise import migrations\n\n\nclass Migration(migrations.Migration):\n"


def write(folder, name, body="    operations = []\n"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").touch()
    (folder / f"{name}.py").write_text(HEADER + body)


def deps(*pairs):
    return f"    dependencies = {list(pairs)!r}\n    operations = []\n"


@pytest.fixture
def apps(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(tmp_path))
    created = []

    def make(label):
        package = tmp_path / f"pkg_{label}_{len(created)}_{random.randrange(10**9)}"
        package.mkdir()
        (package / "__init__.py").touch()
        created.append(package.name)
        return package / "migrations", f"{package.name}.migrations"

    yield make
    for name in [n for n in sys.modules if n.split(".")[0] in created]:
        del sys.modules[name]


def tortoise_graph(modules):
    config = {
        label: {"models": [], **({"migrations": module} if module else {})}
        for label, module in modules.items()
    }
    return asyncio.run(load_graph(config)).graph


def keys(order):
    return [(k.app_label, k.name) for k in order]


def test_random_graphs_match_tortoises_order(apps):
    rng = random.Random(15)
    for _ in range(5):
        folders, modules, existing = {}, {}, []
        for label in ("a", "b", "c"):
            folder, module = apps(label)
            folders[label], modules[label] = folder, module
            for number in range(1, rng.randint(1, 6)):
                name = f"{number:04d}_m{rng.randrange(100)}"
                own = [e for e in existing if e[0] == label]
                picked = set(rng.sample(existing, min(len(existing), rng.randint(0, 2))))
                if own:
                    picked.add(own[-1])
                write(folder, name, deps(*sorted(picked)))
                existing.append((label, name))
            if not folder.exists():
                folders[label], modules[label] = None, None
        mine = files.file_graph(folders)
        theirs = tortoise_graph(modules)
        assert mine is not None
        assert keys(full_plan(mine)) == keys(full_plan(theirs))
        for label in folders:
            assert heads(mine, label) == heads(theirs, label)
        assert {
            (str(k), tuple(sorted(str(p.key) for p in n.parents))) for k, n in mine.node_map.items()
        } == {
            (str(k), tuple(sorted(str(p.key) for p in n.parents)))
            for k, n in theirs.node_map.items()
        }


def test_run_before_and_an_app_without_migrations(apps):
    first, _ = apps("a")
    second, _ = apps("b")
    write(first, "0001_initial")
    write(second, "0001_initial", "    run_before = [('a', '0001_initial')]\n")
    graph = files.file_graph({"a": first, "b": second, "c": None})
    assert keys(full_plan(graph)) == [("b", "0001_initial"), ("a", "0001_initial")]


@pytest.mark.parametrize(
    "body",
    [
        "    dependencies = [('a', '__first__')]\n",  # resolved by the loader
        "    dependencies = [('a', '0009_missing')]\n",  # the loader names it
        "    dependencies = DEPS\n",  # not a literal
        "    dependencies = [('a', '0001_initial')]\n    dependencies += []\n",
    ],
)
def test_files_only_tortoise_can_read_fall_back(apps, body):
    folder, _ = apps("a")
    write(folder, "0001_initial")
    write(folder, "0002_next", body)
    assert files.file_graph({"a": folder}) is None


@pytest.mark.parametrize(
    "source",
    [
        "x = 1 +\n",  # syntax error: the loader reports file and line
        "import json\n",  # no Migration class
        "class Migration(Base):\n    dependencies = []\n",  # inherited declarations
        HEADER + "    pass\n\nMigration = make()\n",  # rebound
        "from elsewhere import *\n" + HEADER + "    pass\n",
    ],
)
def test_unreadable_headers(source):
    assert files.parse_header(source.encode()) is None


def test_compiled_modules_are_left_to_the_loader(apps):
    folder, _ = apps("a")
    write(folder, "0001_initial")
    (folder / "0002_next.pyc").write_bytes(b"")
    assert files.file_graph({"a": folder}) is None


def test_cache_is_keyed_by_content(apps, tmp_path):
    folder, _ = apps("a")
    write(folder, "0001_initial")
    write(folder, "0002_next", deps(("a", "0001_initial")))
    assert files.file_graph({"a": folder}) is not None
    stored = json.loads((tmp_path / "cache" / files.CACHE_FILE).read_text())
    assert len(stored["entries"]) == 2
    # an edited file is read again: a dependency on a missing file now
    write(folder, "0002_next", deps(("a", "0001_initial"), ("a", "0000_gone")))
    assert files.file_graph({"a": folder}) is None
    write(folder, "0002_next", "    initial = True\n")
    graph = files.file_graph({"a": folder})
    assert heads(graph, "a") == ["0001_initial", "0002_next"]


def test_no_cache(apps, tmp_path, monkeypatch):
    monkeypatch.setenv("FASTAPP_NO_CACHE", "1")
    folder, _ = apps("a")
    write(folder, "0001_initial")
    assert files.file_graph({"a": folder}) is not None
    assert not (tmp_path / "cache").exists()
