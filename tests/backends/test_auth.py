"""fastapp.contrib.auth on the three backends: permissions follow the installed models
(default four per model plus Meta.permissions) after migrate, after a model is added and
after one is removed; createsuperuser with --no-input and on a pseudo-terminal (hidden
password typed twice, strength checks); changepassword; bad input as one line; an unknown
permission in require_permission stops start-up."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
from fastapi import Depends, FastAPI

from fastapp import testing
from fastapp.errors import UnknownPermissionError
from tests.backends import live
from tests.backends.contrib_project import make_project
from tests.backends.terminal import Terminal

pytestmark = pytest.mark.backends
APPS = ("fastapp.contrib.contenttypes", "fastapp.contrib.auth")
SECRET = "Tr1cky-Horse-Battery"
# click prints the label, then getpass prints the space once echo is off and pending input
# flushed: keys sent before the space would be thrown away.
HIDDEN, AGAIN = "Password: ", "Password (again): "


@pytest.fixture
def project(tmp_path, monkeypatch, fresh_db):
    proj = make_project(tmp_path, APPS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", fresh_db.url(masked=False))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.delenv("FASTAPP_SUPERUSER_PASSWORD", raising=False)
    yield proj
    proj.forget()


@pytest.fixture
def run(cli, project):
    def invoke(*args: str, code: int = 0, input: str | None = None, env: dict | None = None):
        project.forget()
        result = cli(*args, input=input, env=env)
        assert result.exit_code == code, result.output
        return result

    return invoke


def permissions(cfg, app: str = "blog") -> list[str]:
    rows = live.rows(
        cfg,
        "SELECT c.app_label, p.codename FROM fastapp_auth_permission p "
        "JOIN fastapp_content_type c ON c.id = p.content_type_id",
    )
    return sorted(code for label, code in rows if label == app)


POST = ["add_post", "change_post", "delete_post", "publish_post", "view_post"]
TAG = ["add_tag", "change_tag", "delete_tag", "view_tag"]


def test_permissions_follow_the_models(project, run, fresh_db):
    first = run("migrate")
    assert "auth: created" in first.output
    assert permissions(fresh_db) == POST
    assert "add_user" in permissions(fresh_db, "auth")
    assert "view_group" in permissions(fresh_db, "auth")
    assert "change_contenttype" in permissions(fresh_db, "contenttypes")
    total = len(live.rows(fresh_db, "SELECT id FROM fastapp_auth_permission"))

    again = run("migrate")  # re-running changes nothing
    assert "auth: created" not in again.output
    assert len(live.rows(fresh_db, "SELECT id FROM fastapp_auth_permission")) == total

    project.write_models(tag=True)
    run("migrate")
    assert permissions(fresh_db) == sorted(POST + TAG)

    project.write_models(tag=False)
    dropped = run("auto_migrate", "--no-guided", "--allow-destructive", "--apps", "blog")
    assert "stale (model gone): blog.tag" in dropped.output
    assert permissions(fresh_db) == sorted(POST + TAG)  # reported, not deleted
    run("remove_stale_contenttypes", "--yes")
    assert permissions(fresh_db) == POST


def test_bad_meta_permissions_is_one_line(project, run):
    project.write_models(
        extra="\n\nclass Bad(Model):\n    id = fields.IntField(primary_key=True)\n\n"
        "    class Meta:\n        permissions = ('publish',)\n"
    )
    failed = run("migrate", code=1)
    assert "blog.Bad.Meta.permissions holds 'publish'" in failed.output
    assert "Traceback" not in failed.output


def users(cfg) -> list[tuple]:
    return live.rows(cfg, "SELECT username, email, password, is_superuser FROM fastapp_auth_user")


def test_createsuperuser_no_input(project, run, fresh_db):
    run("migrate")
    env = {"FASTAPP_SUPERUSER_PASSWORD": SECRET}
    made = run("createsuperuser", "--no-input", "--username", "root", "--email", "r@x.org", env=env)
    assert "Superuser 'root' created." in made.output
    assert SECRET not in made.output
    [(name, email, stored, superuser)] = users(fresh_db)
    assert (name, email, bool(superuser)) == ("root", "r@x.org", True)
    assert stored.startswith("$argon2id$") and SECRET not in stored

    taken = run("createsuperuser", "--no-input", "--username", "root", env=env, code=1)
    assert "a user named 'root' already exists" in taken.output
    weak = run(
        "createsuperuser",
        "--no-input",
        "--username",
        "anna",
        env={"FASTAPP_SUPERUSER_PASSWORD": "12345678"},
        code=1,
    )
    assert "the password is too weak: it is entirely numeric; it is too common" in weak.output
    similar = run(
        "createsuperuser",
        "--no-input",
        "--username",
        "annabelle",
        env={"FASTAPP_SUPERUSER_PASSWORD": "annabelle1"},
        code=1,
    )
    assert "too similar to the username" in similar.output
    missing = run("createsuperuser", "--no-input", "--username", "anna", code=1)
    assert "FASTAPP_SUPERUSER_PASSWORD" in missing.output
    for result in (taken, weak, similar, missing):
        assert "Traceback" not in result.output and result.output.count("Error:") == 1
    assert [u[0] for u in users(fresh_db)] == ["root"]


def _terminal(project, fresh_db, *args: str) -> Terminal:
    env = {
        "DATABASE_URL": fresh_db.url(masked=False),
        "PYTHONPATH": os.pathsep.join([str(project.root), *sys.path]),
    }
    return Terminal(*args, cwd=project.root, env=env)


def test_createsuperuser_and_changepassword_on_a_terminal(project, run, fresh_db):
    run("migrate")
    term = _terminal(project, fresh_db, "createsuperuser")
    term.expect("Username:")
    term.send("admin\r")
    term.expect("Email address:")
    term.send("admin@example.org\r")
    term.expect(HIDDEN)
    term.send(SECRET + "\r")
    term.expect(AGAIN)
    term.send(SECRET + "x\r")
    term.expect("the two passwords do not match; try again.")
    term.expect(HIDDEN)
    term.send("password\r")
    term.expect(AGAIN)
    term.send("password\r")
    term.expect("it is too common; try again.")
    term.expect(HIDDEN)
    term.send(SECRET + "\r")
    term.expect(AGAIN)
    term.send(SECRET + "\r")
    term.expect("Superuser 'admin' created.")
    assert term.finish() == 0
    assert SECRET not in term.output and "password\n" not in term.output  # hidden input
    [(name, email, stored, superuser)] = users(fresh_db)
    assert (name, email, bool(superuser)) == ("admin", "admin@example.org", True)

    taken = _terminal(project, fresh_db, "createsuperuser")
    taken.expect("Username:")
    taken.send("admin\r")
    taken.expect("a user named 'admin' already exists")
    assert taken.finish() == 1

    change = _terminal(project, fresh_db, "changepassword", "admin")
    change.expect(HIDDEN)
    change.send("An0ther-Long-Secret\r")
    change.expect(AGAIN)
    change.send("An0ther-Long-Secret\r")
    change.expect("Password of 'admin' changed.")
    assert change.finish() == 0
    [(_, _, changed, _)] = users(fresh_db)
    assert changed != stored and changed.startswith("$argon2id$")

    unknown = run("changepassword", "nobody", code=1)
    assert "no user named 'nobody'" in unknown.output


def test_unknown_permission_stops_start_up(project, run, fresh_db):
    from fastapp.contrib.auth.web import require_permission
    from fastapp.runtime import lifespan

    run("migrate")
    project.forget()

    async def start(*perms: str) -> None:
        app = FastAPI()

        @app.get("/posts", dependencies=[Depends(require_permission(*perms))])
        async def posts():
            return []

        async with lifespan("settings", schema_check="ignore")(app):
            pass

    asyncio.run(start("blog.publish_post"))  # declared in Meta.permissions: starts
    testing.forget_tortoise_queries()
    with pytest.raises(UnknownPermissionError) as info:
        asyncio.run(start("blog.fly_post"))
    message = str(info.value)
    assert "blog.fly_post (required by GET /posts)" in message and "\n" not in message
    with pytest.raises(ValueError):
        require_permission("change_post")


def test_versioned_project_upgrade_syncs_the_contrib_apps(project, run, fresh_db):
    """The contrib apps ship their migrations; upgrade applies them with the project's and
    the hooks (bulk creates nesting in the command's transaction) sync once."""
    made = run("makemigrations")
    assert "blog.0001" in made.output
    assert "contenttypes.0002" not in made.output and "auth.0002" not in made.output
    done = run("upgrade")
    assert "Done: 3 migration(s)." in done.output
    assert "auth: created 21 permission(s)" in done.output
    assert permissions(fresh_db) == POST
    assert "Nothing to do" in run("upgrade").output
    back = run("downgrade", "blog:base")  # the hooks run in the same unit, and find the
    assert "Done: 1 migration(s)." in back.output  # model still declared: nothing to report
    assert "contenttypes:" not in back.output and "auth:" not in back.output


def test_createsuperuser_gives_up_after_three_mismatches(project, run, fresh_db):
    run("migrate")
    answers = "bob\nbob@example.org\n" + "Long-Enough-1\nLong-Enough-2\n" * 3
    failed = run("createsuperuser", input=answers, code=1)
    assert failed.output.count("the two passwords do not match; try again.") == 3
    assert "Error: the two passwords do not match; gave up after 3 attempts" in failed.output
    assert "Long-Enough" not in failed.output
    assert users(fresh_db) == []


FAILING_BLOG_HOOK = """
import os

from fastapp.hooks import post_migrate


@post_migrate
async def after_auth(event):
    if os.environ.get("FAIL_HOOK"):
        raise RuntimeError("the hook was told to fail")
"""


def content_types(cfg) -> list[tuple[str, str]]:
    return sorted(live.rows(cfg, "SELECT app_label, model FROM fastapp_content_type"))


def test_auto_migrate_syncs_a_new_model_in_its_own_transaction(project, run, fresh_db, monkeypatch):
    """A model added, then auto_migrate: its table, content type and permissions come in one
    transaction (PostgreSQL, SQLite), so a later hook's failure (blog's, which runs after
    contenttypes' and auth's) takes all three back."""
    project.write_hooks(FAILING_BLOG_HOOK)
    run("migrate")
    assert permissions(fresh_db) == POST
    project.write_models(tag=True)

    monkeypatch.setenv("FAIL_HOOK", "1")
    failed = run("auto_migrate", "--no-guided", code=1)
    flat = " ".join(failed.output.split())
    assert "post-migrate hook blog.after_auth failed on 'default'" in flat
    if fresh_db.dialect.supports_transactional_ddl:
        assert "nothing was changed" in flat
        assert "contenttypes: created" not in flat  # rolled back: not reported as done
        assert f"{project.package}_tag" not in live.tables(fresh_db)
        assert ("blog", "tag") not in content_types(fresh_db)
        assert permissions(fresh_db) == POST
    else:  # MariaDB: nothing to roll back into; kept and reported
        assert "contenttypes: created 1: blog.tag" in flat
        assert ("blog", "tag") in content_types(fresh_db)
        assert permissions(fresh_db) == sorted(POST + TAG)

    monkeypatch.delenv("FAIL_HOOK")
    done = run("auto_migrate", "--no-guided")
    assert f"{project.package}_tag" in live.tables(fresh_db)
    assert ("blog", "tag") in content_types(fresh_db)
    assert permissions(fresh_db) == sorted(POST + TAG)
    if fresh_db.dialect.supports_transactional_ddl:
        assert "contenttypes: created 1: blog.tag" in done.output
