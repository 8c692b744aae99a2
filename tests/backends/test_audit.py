"""fastapp.contrib.audit on the three backends: an entry for each kind of change (create,
update, delete, soft delete, restore, queryset update and delete, expressions), who made it,
nothing for a rolled-back transaction, the query API, and prune_audit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from tortoise import timezone
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from fastapp.contrib.audit.context import actor
from fastapp.contrib.audit.models import AuditEntry
from fastapp.contrib.audit.queries import changes_between, changes_by, history
from tests.backends import live
from tests.backends.audit_project import AUDIT_APPS, MODELS, migrated_project, run
from tests.backends.contrib_project import make_project

pytestmark = pytest.mark.backends


@pytest.fixture
def project(tmp_path, monkeypatch, fresh_db, cli):
    yield from migrated_project(tmp_path, monkeypatch, fresh_db, cli)


def summary(entries) -> list[tuple]:
    return [(e.action, e.object_pk, e.actor, e.bulk, e.changes) for e in entries]


def test_instance_changes_are_recorded_with_old_and_new_values(project):
    async def body(m):
        author = await m.Author.create(name="ann")
        with actor("editor-1"):
            art = await m.Article.create(title="first", secret="s3", data={"k": [1]})
        art = await m.Article.get(id=art.id)
        art.title, art.price, art.author = "second", Decimal("9.50"), author
        with actor("editor-2"):
            await art.save()
            await art.save()  # nothing changed: nothing recorded
            art.secret = "hidden"  # excluded from the log
            await art.save()
            await art.save(update_fields=["views"])
        art.views = 3
        await art.save(update_fields=["views"])
        await m.Post.create(title="not audited")
        entries = await history(art)
        await art.delete()
        return art.id, author.id, entries, await history(m.Article, art.id)

    pk, author_id, before_delete, entries = run(project, body)
    assert summary(before_delete) == summary(entries[:3])
    created, updated, views, deleted = entries
    assert (created.action, created.actor, created.bulk) == ("create", "editor-1", False)
    assert created.changes == {
        "author_id": [None, None],
        "data": [None, {"k": [1]}],
        "id": [None, pk],
        "price": [None, "0.00"],
        "title": [None, "first"],
        "views": [None, 0],
    }
    assert (updated.action, updated.actor) == ("update", "editor-2")
    assert updated.changes["title"] == ["first", "second"]
    assert updated.changes["author_id"] == [None, author_id]
    assert updated.changes["price"] == ["0.00", "9.50"]
    assert set(updated.changes) == {"author_id", "price", "title"}
    assert (views.action, views.actor, views.changes) == ("update", None, {"views": [0, 3]})
    assert deleted.action == "delete" and deleted.changes["title"] == ["second", None]
    assert deleted.changes["views"] == [3, None]
    assert all("secret" not in e.changes for e in entries)
    assert {(e.app_label, e.model, e.object_pk) for e in entries} == {("blog", "article", str(pk))}


def test_soft_delete_and_restore_are_recorded_as_such(project):
    async def body(m):
        note = await m.Note.create(text="a")
        other = await m.Note.create(text="b")
        with actor("cleaner"):
            await note.delete()
            await note.delete()  # already deleted: nothing to record
            await note.restore()
            await m.Note.filter(id__in=[note.id, other.id]).soft_delete()
            await m.Note.only_deleted().filter(id=other.id).restore()
            await other.delete(hard=True)
        return note, other, await history(note), await history(other)

    note, other, mine, theirs = run(project, body)
    assert [(e.action, e.bulk) for e in mine] == [
        ("create", False),
        ("soft_delete", False),
        ("restore", False),
        ("soft_delete", True),
    ]
    soft = mine[1].changes
    assert list(soft) == ["deleted_at"] and soft["deleted_at"][0] is None
    assert mine[2].changes["deleted_at"][1] is None
    assert [e.action for e in theirs] == ["create", "soft_delete", "restore", "delete"]
    assert theirs[-1].changes["text"] == ["b", None]
    assert {e.actor for e in mine[1:] + theirs[1:]} == {"cleaner"}


def test_queryset_update_and_delete_record_every_row(project):
    async def body(m):
        arts = [await m.Article.create(title=f"t{i}", views=i) for i in range(3)]
        with actor("nightly-job"):
            assert await m.Article.filter(views__gte=1).update(title="bulk", price=Decimal(2)) == 2
            assert await m.Article.filter(title="bulk").update(views=F("views") + 10) == 2
            # no change (MariaDB counts changed rows, the others matched ones: not asserted)
            await m.Article.filter(id=arts[0].id).update(title="t0")
            assert await m.Article.filter(views__gte=10).delete() == 2
            assert await m.Article.filter(id=-1).delete() == 0
        jobs = await changes_by("nightly-job")
        return arts, jobs, await m.Article.all().count()

    arts, jobs, left = run(project, body)
    assert left == 1
    assert [(e.action, e.bulk) for e in jobs] == [("update", True)] * 4 + [("delete", True)] * 2
    by_pk = {}
    for e in jobs:
        by_pk.setdefault(int(e.object_pk), []).append(e.changes)
    one = arts[1].id
    assert by_pk[one][0] == {"title": ["t1", "bulk"], "price": ["0.00", "2.00"]}
    assert by_pk[one][1] == {"views": [1, 11]}  # the expression's result, read back
    assert by_pk[one][2]["title"] == ["bulk", None] and by_pk[one][2]["views"] == [11, None]
    assert arts[0].id not in by_pk


def test_a_rolled_back_transaction_leaves_no_entry(project):
    async def body(m):
        art = await m.Article.create(title="kept")
        with pytest.raises(RuntimeError):
            async with in_transaction():
                art.title = "lost"
                await art.save()
                await m.Article.create(title="lost too")
                await m.Article.filter(id=art.id).update(views=5)
                await m.Note.create(text="lost")
                raise RuntimeError("request failed")
        return await AuditEntry.all(), await m.Article.all().values_list("title", flat=True)

    entries, titles = run(project, body)
    assert titles == ["kept"]
    assert [(e.action, e.changes.get("title")) for e in entries] == [("create", [None, "kept"])]


def test_query_api_by_user_and_time(project):
    async def body(m):
        with actor("ann"):
            a = await m.Article.create(title="a")
        with actor("bob"):
            b = await m.Article.create(title="b")
            await m.Note.create(text="n")
        await AuditEntry.filter(object_pk=str(a.id), model="article").update(
            at=timezone.now() - timedelta(days=10)
        )
        now = timezone.now()
        return (
            await changes_by("ann"),
            await changes_by("bob", since=now - timedelta(days=1)),
            await changes_by("ann", since=now - timedelta(days=1)),
            await changes_between(now - timedelta(days=11), now - timedelta(days=9)),
            await changes_between(now - timedelta(days=1), model=m.Article),
            b,
        )

    ann, bob, ann_recent, old, recent_articles, b = run(project, body)
    assert [e.label for e in ann] == ["blog.article"]
    assert [e.label for e in bob] == ["blog.article", "blog.note"]
    assert ann_recent == []
    assert [e.actor for e in old] == ["ann"]
    assert [e.object_pk for e in recent_articles] == [str(b.id)]


def test_prune_audit(project, cli):
    async def body(m):
        for i in range(3):
            await m.Article.create(title=f"a{i}")
        await AuditEntry.filter(id__in=[e.id for e in await AuditEntry.all().limit(2)]).update(
            at=timezone.now() - timedelta(days=100)
        )

    async def count(m):
        return await AuditEntry.all().count()

    run(project, body)
    dry = cli("prune_audit", "--older-than", "90d", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Would delete 2 audit entries recorded before" in dry.output
    assert run(project, count) == 3
    done = cli("prune_audit", "--older-than", "90d")
    assert "Deleted 2 audit entries" in done.output
    assert run(project, count) == 1
    assert "Deleted 0 audit entries" in cli("prune_audit").output  # default 90d
    bad = cli("prune_audit", "--older-than", "ninety")
    assert bad.exit_code == 1
    assert "--older-than 'ninety' is not an age" in bad.output
    assert "Traceback" not in bad.output
    assert run(project, count) == 1


def test_trigger_mode_records_changes_made_outside_the_application(project, fresh_db, backend):
    """PostgreSQL has the trigger mode: raw SQL is recorded too, and the application's own
    writes once each (by the trigger, naming the actor). MariaDB and SQLite do not: migrate
    says so, the application records the model, raw SQL goes unrecorded."""
    has_triggers = backend == "postgres"
    if has_triggers:
        assert "audit: installed the trigger of ledger" in project.migrated
    else:
        assert "blog.Ledger ask for the trigger mode, which this database does not have" in (
            project.migrated
        )

    async def app_writes(m):
        with actor("teller"):
            row = await m.Ledger.create(amount=1, note="private")
            row.amount = 2
            await row.save()
            await m.Ledger.filter(id=row.id).update(amount=3)
        return row.id

    pk = run(project, app_writes)
    live.execute(
        fresh_db,
        "UPDATE ledger SET amount = 4, note = 'x'",
        "INSERT INTO ledger (amount, note) VALUES (7, 'raw')",
        "DELETE FROM ledger WHERE amount = 7",
    )

    async def read(m):
        return await AuditEntry.filter(model="ledger").order_by("id")

    entries = run(project, read)
    source = "trigger" if has_triggers else "app"
    mine = [(e.action, e.actor, e.source, e.changes.get("amount")) for e in entries[:3]]
    assert mine == [
        ("create", "teller", source, [None, 1]),
        ("update", "teller", source, [1, 2]),
        ("update", "teller", source, [2, 3]),
    ]
    assert all("note" not in e.changes for e in entries)
    assert {e.object_pk for e in entries[:3]} == {str(pk)}
    outside = [(e.action, e.actor, e.changes.get("amount")) for e in entries[3:]]
    if has_triggers:
        assert outside == [
            ("update", None, [3, 4]),
            ("create", None, [None, 7]),
            ("delete", None, [7, None]),
        ]
    else:
        assert outside == []
    assert "audit: installed" not in run_migrate_again(project)
    if has_triggers:  # a trigger gone missing stops the write instead of losing the log
        from fastapp.contrib.audit import triggers
        from fastapp.errors import SettingsError

        live.execute(fresh_db, "DROP TRIGGER fastapp_audit ON ledger")
        triggers._checked.clear()

        async def write(m):
            await m.Ledger.create(amount=99)

        with pytest.raises(SettingsError, match="table ledger has no audit trigger: run fastapp"):
            run(project, write)
        assert live.rows(fresh_db, "SELECT count(*) FROM ledger WHERE amount = 99") == [(0,)]


def run_migrate_again(project) -> str:
    from typer.testing import CliRunner

    from fastapp.cli import app

    project.forget()
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    return result.output


def test_prune_audit_on_an_unreachable_database(project, cli, backend, tmp_path):
    from tests.backends.test_errors import unreachable_url

    url, message = unreachable_url(backend, tmp_path)
    if "://" in url and "@" in url:
        url = url.replace("someone@", "someone:Sx99secret@")
    result = cli("prune_audit", "--database", url)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Sx99secret" not in result.output


def test_partial_saves_and_refreshes_compare_with_what_the_row_holds(project):
    async def body(m):
        author = await m.Author.create(name="ann")
        art = await m.Article.create(title="a")
        art = await m.Article.get(id=art.id)
        art.title, art.author = "b", author
        await art.save(update_fields=["author_id"])  # the title stays pending
        await art.save(update_fields=["title"])
        await m.Article.filter(id=art.id).update(views=9)
        await art.refresh_from_db()
        art.views = 10
        await art.save()
        return author.id, await history(art)

    author_id, entries = run(project, body)
    assert [e.changes for e in entries[1:]] == [
        {"author_id": [None, author_id]},
        {"title": ["a", "b"]},
        {"views": [0, 9]},
        {"views": [9, 10]},
    ]


def test_a_versioned_project_gets_the_audit_table_from_its_migration(
    tmp_path, monkeypatch, fresh_db, cli
):
    """audit ships audit.0001_initial, which matches its model: makemigrations writes nothing
    for it, upgrade applies it with the project's, and audited writes land in it."""
    proj = make_project(tmp_path, AUDIT_APPS)
    proj.write_models(extra=MODELS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", fresh_db.url(masked=False))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    try:
        made = cli("makemigrations")
        assert made.exit_code == 0, made.output
        assert "blog.0001" in made.output and "audit.0002" not in made.output
        proj.forget()
        done = cli("upgrade")
        assert done.exit_code == 0, done.output
        assert "Done: 2 migration(s)." in done.output

        async def body(m):
            with actor("v"):
                await m.Article.create(title="versioned")
            return [(e.action, e.actor) for e in await AuditEntry.all()]

        assert run(proj, body) == [("create", "v")]
    finally:
        proj.forget()


def test_purge_deleted_is_recorded_as_deletes(project, cli):
    from datetime import UTC, datetime

    async def body(m):
        note = await m.Note.create(text="old")
        await note.delete()
        long_ago = datetime(2000, 1, 1, tzinfo=UTC)
        await m.Note.with_deleted().filter(id=note.id).update(deleted_at=long_ago)
        return note.id

    pk = run(project, body)
    purged = cli("purge_deleted", "--older-than", "30d")
    assert purged.exit_code == 0, purged.output
    assert "Purged 1 row(s)" in purged.output

    async def read(m):
        return await history(m.Note, pk)

    entries = run(project, read)
    assert [(e.action, e.bulk) for e in entries] == [
        ("create", False),
        ("soft_delete", False),
        ("update", True),
        ("delete", True),
    ]
    assert entries[-1].changes["text"] == ["old", None]
