"""The unit an audited change and its entry share (fastapp.tortoise.units), on the three
backends: all or nothing when the entry's insert fails, statements inside the unit see the
entry and count their own rows, nested transactions work; and on SQLite, where the unit saves
trips to aiosqlite's worker thread, an audited save is two trips."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.signals import post_save
from tortoise.transactions import in_transaction

from fastapp.contrib.audit.context import actor
from fastapp.contrib.audit.models import AuditEntry
from tests.backends import live
from tests.backends.audit_project import migrated_project, run

pytestmark = pytest.mark.backends

#: Makes the audit table refuse entries whose actor is "refused": a trigger on SQLite (no
#: ALTER TABLE ... ADD CONSTRAINT there), a check constraint elsewhere.
REFUSE = {
    "sqlite": "CREATE TRIGGER refuse BEFORE INSERT ON fastapp_audit_entry "
    "WHEN NEW.actor = 'refused' BEGIN SELECT RAISE(ABORT, 'refused'); END",
    "postgres": "ALTER TABLE fastapp_audit_entry ADD CONSTRAINT refuse CHECK (actor <> 'refused')",
    "mysql": "ALTER TABLE fastapp_audit_entry ADD CONSTRAINT refuse CHECK (actor <> 'refused')",
}


@pytest.fixture
def project(tmp_path, monkeypatch, fresh_db, cli):
    yield from migrated_project(tmp_path, monkeypatch, fresh_db, cli)


def test_a_failing_entry_undoes_the_change_it_records(project):
    live.execute(project.cfg, REFUSE[project.cfg.dialect_name])

    async def body(m):
        art = await m.Article.create(title="kept")
        art.title = "lost"
        with actor("refused"), pytest.raises((IntegrityError, OperationalError)):
            await art.save()
        with actor("refused"), pytest.raises((IntegrityError, OperationalError)):
            await m.Article.create(title="lost too")
        with actor("refused"), pytest.raises((IntegrityError, OperationalError)):
            await art.delete()
        art.title = "saved"
        await art.save()  # the connection is usable afterwards
        titles = await m.Article.all().order_by("id").values_list("title", flat=True)
        return titles, await AuditEntry.all().values_list("action", flat=True)

    titles, actions = run(project, body)
    assert titles == ["saved"]
    assert actions == ["create", "update"]


def test_statements_after_the_entry_see_it_and_count_their_own_rows(project):
    seen = []

    async def body(m):
        await m.Author.create(name="a")
        await m.Author.create(name="b")

        @post_save(m.Article)
        async def after(sender, instance, created, using_db, update_fields):
            # Runs inside the save's unit, after the entry was written.
            entries = await AuditEntry.filter(object_pk=str(instance.pk)).using_db(using_db)
            name = f"renamed {len(seen)}"  # every row changes (MySQL counts changed rows)
            updated = await m.Author.all().using_db(using_db).update(name=name)
            async with in_transaction() as nested:  # a savepoint inside the unit
                await m.Author.create(name="nested", using_db=nested)
            seen.append(([e.action for e in entries], updated))

        art = await m.Article.create(title="one")
        art.title = "two"
        await art.save()
        return await m.Author.all().count()

    authors = run(project, body)  # the project's models are its own: the handler goes with them
    assert seen == [(["create"], 2), (["create", "update"], 3)]
    assert authors == 4


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # aiosqlite's worker thread
def test_an_audited_save_on_sqlite_is_one_worker_thread_trip(project):
    """BEGIN, the UPDATE, the entry's INSERT and COMMIT go in one trip, like a plain save in
    autocommit. Counted at aiosqlite's one entry point to its thread."""

    async def body(m):
        art = await m.Article.create(title="one")
        plain = await m.Author.create(name="a")
        aio = m.Article._meta.db._connection
        calls = []
        queue = aio._execute

        async def counted(fn, *args, **kwargs):
            calls.append(getattr(fn, "__name__", repr(fn)))
            return await queue(fn, *args, **kwargs)

        aio._execute = counted
        try:
            art.title = "two"
            await art.save()
            audited = len(calls)
            calls.clear()
            plain.name = "b"
            await plain.save()
            return audited, len(calls), await AuditEntry.all().count()
        finally:
            del aio._execute

    audited, plain, entries = run(project, body)
    assert (audited, plain, entries) == (1, 1, 2)


def test_concurrent_audited_saves_each_keep_their_entry(project):
    async def body(m):
        arts = [await m.Article.create(title=f"t{i}") for i in range(20)]
        for art in arts:
            art.views = 7

        await asyncio.gather(*(art.save() for art in arts))
        await asyncio.gather(*(m.Article.filter(id=art.id).update(views=8) for art in arts))
        updates = await AuditEntry.filter(action="update").values_list("object_pk", "changes")
        return sorted(updates, key=lambda u: (int(u[0]), u[1]["views"][1])), [a.id for a in arts]

    updates, ids = run(project, body)
    assert updates == [
        (str(pk), {"views": [old, new]}) for pk in sorted(ids) for old, new in ((0, 7), (7, 8))
    ]


#: Makes the article table refuse the title "refused" on UPDATE (a trigger on SQLite, a check
#: constraint elsewhere).
REFUSE_TITLE = {
    "sqlite": "CREATE TRIGGER refuse_title BEFORE UPDATE ON article "
    "WHEN NEW.title = 'refused' BEGIN SELECT RAISE(ABORT, 'refused'); END",
    "postgres": "ALTER TABLE article ADD CONSTRAINT refuse_title CHECK (title <> 'refused')",
    "mysql": "ALTER TABLE article ADD CONSTRAINT refuse_title CHECK (title <> 'refused')",
}


def test_a_failing_update_that_waited_for_the_end_leaves_nothing(project):
    """The save's UPDATE runs at the unit's end (its count is not read): when the database
    refuses it there, nothing is kept, no entry is written, and the next save records its
    change against the values the database still has."""
    live.execute(project.cfg, REFUSE_TITLE[project.cfg.dialect_name])

    async def body(m):
        art = await m.Article.create(title="first")
        art = await m.Article.get(id=art.id)
        art.title = "refused"
        with pytest.raises((IntegrityError, OperationalError)):
            await art.save()
        kept = await m.Article.get(id=art.id)
        art.title = "second"
        await art.save()
        entries = await AuditEntry.filter(object_pk=str(art.id)).order_by("id")
        return kept.title, [(e.action, e.changes.get("title")) for e in entries]

    kept, entries = run(project, body)
    assert kept == "first"
    assert entries == [("create", [None, "first"]), ("update", ["first", "second"])]
