"""``fastapp migrate`` on the example project, against SQLite, PostgreSQL and MySQL/MariaDB."""

from __future__ import annotations

import pytest

from tests.backends import live

ALL_TABLES = {
    "users_group",
    "users_user",
    "users_user_groups",
    "blog_tag",
    "blog_post",
    "blog_post_tags",
    "blog_comment",
}


@pytest.fixture
def run(cli, example_project, fresh_db):
    """``run(*args)`` runs fastapp in the example project against the scratch database."""

    def invoke(*args, input=None):
        return cli(*args, input=input, env={"DATABASE_URL": fresh_db.url(masked=False)})

    return invoke


def test_creates_every_table_with_relations_and_indexes(run, fresh_db):
    result = run("migrate")
    assert result.exit_code == 0, result.output
    assert live.tables(fresh_db) == ALL_TABLES
    assert "Created 7 table(s) on 'default'" in result.output
    assert "+ users_user_groups (many-to-many table of users_user)" in result.output
    refs = live.references(fresh_db)
    assert {
        ("blog_post", "users_user"),
        ("blog_comment", "blog_post"),
        ("blog_comment", "blog_comment"),
        ("blog_comment", "users_user"),
        ("blog_post_tags", "blog_post"),
        ("blog_post_tags", "blog_tag"),
        ("users_user_groups", "users_user"),
        ("users_user_groups", "users_group"),
    } <= refs
    indexed = live.indexed_columns(fresh_db)
    assert ("users_user", "email") in indexed  # db_index=True
    assert ("blog_post", "status") in indexed and ("blog_post", "published_at") in indexed
    assert ("users_user", "username") in indexed  # unique
    assert ("blog_post_tags", "tag_id") in indexed  # unique pair of the through table


def test_tables_come_in_foreign_key_order(run):
    lines = [
        line.strip() for line in run("migrate").output.splitlines() if line.strip().startswith("+")
    ]
    order = [line.split()[1] for line in lines]
    assert order.index("users_user") < order.index("blog_post") < order.index("blog_comment")
    assert order.index("blog_tag") < order.index("blog_post_tags")
    assert order.index("users_group") < order.index("users_user_groups")


def test_second_run_creates_nothing(run, fresh_db):
    assert run("migrate").exit_code == 0
    live.execute(fresh_db, "INSERT INTO blog_tag (name) VALUES ('kept')")
    second = run("migrate")
    assert second.exit_code == 0
    assert "No changes" in second.output
    assert "+" not in second.output
    assert live.rows(fresh_db, "SELECT name FROM blog_tag") == [("kept",)]


def test_dry_run_prints_sql_and_executes_nothing(run, fresh_db):
    result = run("migrate", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "CREATE TABLE" in result.output and "blog_post_tags" in result.output
    assert live.tables(fresh_db) == set()


def test_apps_filter_creates_only_that_app_and_needs_its_references(run, fresh_db):
    only_users = run("migrate", "--apps", "users")
    assert only_users.exit_code == 0, only_users.output
    assert live.tables(fresh_db) == {"users_group", "users_user", "users_user_groups"}
    blog = run("migrate", "--apps", "blog")
    assert blog.exit_code == 0, blog.output
    assert live.tables(fresh_db) == ALL_TABLES


def test_selection_with_a_missing_reference_fails_before_creating_anything(run, fresh_db):
    result = run("migrate", "--apps", "blog")
    assert result.exit_code == 1
    assert "references table 'users_user' (users.User)" in result.output
    assert "add --apps users" in result.output
    assert live.tables(fresh_db) == set()


def test_models_filter(run, fresh_db):
    result = run("migrate", "--models", "users.Group", "--models", "Tag")
    assert result.exit_code == 0, result.output
    assert live.tables(fresh_db) == {"users_group", "blog_tag"}


def test_unknown_app_and_model_are_one_line_errors(run, fresh_db):
    app = run("migrate", "--apps", "shop")
    assert app.exit_code == 1
    assert "unknown app 'shop': installed apps are users, blog" in app.output
    model = run("migrate", "--models", "Nope")
    assert model.exit_code == 1
    assert "unknown model 'Nope'" in model.output
    assert live.tables(fresh_db) == set()


def test_no_safe_refuses_when_a_selected_table_exists(run, fresh_db):
    assert run("migrate", "--apps", "users").exit_code == 0
    result = run("migrate", "--no-safe")
    assert result.exit_code == 1
    assert (
        "tables already exist on 'default': users_group, users_user, users_user_groups"
        in result.output
    )
    assert live.tables(fresh_db) == {"users_group", "users_user", "users_user_groups"}


def test_no_safe_creates_on_an_empty_database(run, fresh_db):
    assert run("migrate", "--no-safe").exit_code == 0
    assert live.tables(fresh_db) == ALL_TABLES


def test_guided_asks_and_no_means_nothing_happens(run, fresh_db):
    refused = run("migrate", "--guided", input="n\n")
    assert refused.exit_code == 1
    assert "CREATE TABLE" in refused.output
    assert "cancelled" in refused.output
    assert live.tables(fresh_db) == set()
    accepted = run("migrate", "--guided", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert live.tables(fresh_db) == ALL_TABLES


def test_a_failing_statement_rolls_back_where_ddl_is_transactional(example_project, fresh_db):
    import asyncio

    from fastapp.apply.create_missing import ConnectionPlan, CreationPlan, apply_creation
    from fastapp.apps import AppRegistry
    from fastapp.errors import ExecutionError
    from fastapp.settings import load_settings
    from fastapp.tortoise.context import tortoise_context
    from fastapp.tortoise.generated import GeneratedTable

    registry = AppRegistry(load_settings(None), fresh_db)
    plan = CreationPlan(
        (
            ConnectionPlan(
                "default",
                fresh_db,
                (
                    GeneratedTable("first_ok", ("CREATE TABLE first_ok (x INT)",), frozenset()),
                    GeneratedTable(
                        "second_bad", ("CREATE TABLE second_bad (x INT,,)",), frozenset()
                    ),
                ),
                (),
            ),
        )
    )

    async def apply():
        async with tortoise_context(registry) as ctx:
            await apply_creation(ctx, plan)

    with pytest.raises(ExecutionError, match="creating second_bad .* failed") as info:
        asyncio.run(apply())
    if fresh_db.dialect.supports_transactional_ddl:
        assert "nothing was created" in str(info.value)
        assert live.tables(fresh_db) == set()
    else:  # MySQL commits each DDL statement; the message says so and a re-run resumes
        assert "tables created before it were kept" in str(info.value)
        assert live.tables(fresh_db) == {"first_ok"}
