"""Views, routines, events, sequences and trigger bodies on MySQL/MariaDB and SQLite (issue 14):
the command refuses by name what a desired file has and the database lacks, the readers give
definitions free of the database's name, and a SQLite rebuild keeps views and triggers that
use the rebuilt table working."""

from __future__ import annotations

import asyncio

import pytest

from fastapp.connections.raw import raw_connection
from fastapp.introspect import get_catalog_reader
from tests.backends import live
from tests.corpus.convergence.harness import execute_script, fetch

BOTH = pytest.mark.parametrize("backend", ["sqlite", "mysql"], indirect=True)

TABLE = "CREATE TABLE book (id INTEGER NOT NULL PRIMARY KEY, title VARCHAR(40), price INTEGER);\n"
VIEW = "CREATE VIEW cheap_books AS SELECT id, title FROM book WHERE price < 10;\n"


@pytest.fixture
def check(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.setenv("FASTAPP_CACHE_DIR", str(tmp_path / "cache"))

    def invoke(cfg, sql: str, *args: str):
        path = tmp_path / "schema.sql"
        path.write_text(sql)
        return cli("auto_migrate", "-d", cfg.url(masked=False), "--desired-sql", str(path), *args)

    return invoke


def _read(cfg):
    async def run():
        async with raw_connection(cfg) as conn:
            return await get_catalog_reader(cfg.dialect_name).read(conn)

    return asyncio.run(run())


@BOTH
def test_check_names_a_view_the_database_lacks(fresh_db, check):
    asyncio.run(execute_script(fresh_db, TABLE))
    result = check(fresh_db, TABLE + VIEW, "--check")
    assert result.exit_code != 0
    assert "view cheap_books: not in the database" in result.output + result.stderr
    applied = check(fresh_db, TABLE + VIEW, "--yes")  # nothing is half-applied either
    assert applied.exit_code != 0
    assert _read(fresh_db).objects == ()


@BOTH
def test_check_matches_once_the_view_is_there_and_notes_a_live_only_one(fresh_db, check):
    asyncio.run(execute_script(fresh_db, TABLE + VIEW))
    result = check(fresh_db, TABLE + VIEW, "--check")
    assert result.exit_code == 0, result.output
    assert "matches" in result.output
    changed = check(fresh_db, TABLE + VIEW.replace("< 10", "< 20"), "--check")
    assert changed.exit_code != 0
    assert "view cheap_books: the database has another definition" in changed.output + changed.stderr
    alone = check(fresh_db, TABLE, "--check")
    assert alone.exit_code == 0, alone.output
    assert "fastapp does not model it: view cheap_books" in alone.output


@BOTH
def test_a_view_reads_the_same_in_any_database(fresh_db, tmp_path):
    """The live read and the desired file's scratch read agree: the server's database
    qualifier (MySQL) and the spelling of the statement (SQLite) are not in the definition."""
    from fastapp.desired.read import DesiredDDL, desired_schema

    asyncio.run(execute_script(fresh_db, TABLE + VIEW))
    live_objects = _read(fresh_db).objects
    spelled = TABLE + "create   view cheap_books as select id, title\n from book where price < 10;"
    ddl = DesiredDDL(spelled, "schema.sql", fresh_db.dialect_name)
    desired = asyncio.run(desired_schema(fresh_db, ddl, use_cache=False))
    assert desired.objects == live_objects
    (view,) = live_objects
    assert view.kind == "view" and view.name == "cheap_books"
    assert fresh_db.name.rsplit("/", 1)[-1] not in view.definition


@pytest.mark.parametrize("backend", ["mysql"], indirect=True)
def test_mysql_routines_events_sequences_and_triggers_are_read(fresh_db):
    asyncio.run(
        execute_script(
            fresh_db,
            TABLE
            + "CREATE FUNCTION twice(n INT) RETURNS INT DETERMINISTIC NO SQL RETURN n * 2;\n"
            "CREATE PROCEDURE restock(IN amount INT)\nBEGIN\n  UPDATE book SET price = price + amount;\n"
            "  SELECT COUNT(*) FROM book;\nEND;\n"
            "CREATE EVENT purge_old ON SCHEDULE EVERY 1 DAY DO DELETE FROM book WHERE price < 0;\n"
            "CREATE SEQUENCE ticket_no START WITH 100 INCREMENT BY 5;\n"
            "CREATE TRIGGER book_price BEFORE INSERT ON book FOR EACH ROW\n"
            "BEGIN\n  IF NEW.price < 0 THEN SET NEW.price = 0; END IF;\nEND;\n",
        )
    )
    schema = _read(fresh_db)
    found = {(x.kind, x.name): x.definition for x in schema.objects}
    assert set(found) == {
        ("function", "twice"),
        ("procedure", "restock"),
        ("event", "purge_old"),
        ("sequence", "ticket_no"),
    }
    assert "RETURNS int" in found[("function", "twice")]
    assert "DETERMINISTIC NO SQL" in found[("function", "twice")]
    assert found[("procedure", "restock")].endswith("SELECT COUNT ( * ) FROM book ; END")
    assert "EVERY 1 DAY" in found[("event", "purge_old")]
    assert "START WITH 100" in found[("sequence", "ticket_no")]
    assert "INCREMENT BY 5" in found[("sequence", "ticket_no")]
    # A sequence is not a table (MariaDB lists it in information_schema.TABLES).
    assert list(schema.table_names) == ["book"]
    (trigger,) = schema.table("book").unmodelled
    assert trigger.object == "trigger book_price"
    assert trigger.definition.startswith("BEFORE INSERT FOR EACH ROW BEGIN IF NEW . price < 0")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_rebuild_keeps_views_and_triggers_that_use_the_table_working(fresh_db, check):
    current = (
        "CREATE TABLE item (id INTEGER NOT NULL PRIMARY KEY, qty INTEGER);\n"
        "CREATE TABLE log (id INTEGER PRIMARY KEY, items INTEGER);\n"
        "CREATE TRIGGER log_items BEFORE INSERT ON log BEGIN "
        "SELECT RAISE(ABORT, 'no items') WHERE (SELECT count(*) FROM item) = 0; END;\n"
        "CREATE VIEW stock AS SELECT id, qty FROM item;\n"
        "CREATE TRIGGER stock_add INSTEAD OF INSERT ON stock BEGIN "
        "INSERT INTO item (id, qty) VALUES (NEW.id, NEW.qty); END;\n"
    )
    asyncio.run(execute_script(fresh_db, current + "INSERT INTO item VALUES (1, 3);"))
    desired = current.replace("qty INTEGER)", "qty INTEGER NOT NULL DEFAULT 0)", 1)
    result = check(fresh_db, desired, "--yes")
    assert result.exit_code == 0, result.output
    assert "rebuild table item" in result.output
    live.execute(
        fresh_db,
        "INSERT INTO stock (id, qty) VALUES (2, 4)",  # through the view's own trigger
        "INSERT INTO log (id, items) VALUES (1, 2)",  # another table's trigger reads item
    )
    assert asyncio.run(fetch(fresh_db, "SELECT id, qty FROM stock ORDER BY id")) == [
        (1, 3),
        (2, 4),
    ]
    assert check(fresh_db, desired, "--check").exit_code == 0


@BOTH
def test_objects_cost_no_query_each(fresh_db):
    """One catalog query reads every view and trigger, however many there are."""

    def queries(count: int, start: int) -> int:
        body = {"mysql": "SET NEW.price = NEW.price + {}", "sqlite": "BEGIN SELECT {}; END"}
        views = "".join(
            f"CREATE VIEW v{i} AS SELECT id FROM book WHERE price > {i};\n"
            f"CREATE TRIGGER t{i} BEFORE UPDATE ON book FOR EACH ROW "
            + body[fresh_db.dialect_name].format(i)
            + ";\n"
            for i in range(start, start + count)
        )
        asyncio.run(execute_script(fresh_db, views))

        async def read():
            async with raw_connection(fresh_db) as conn:
                reader = get_catalog_reader(fresh_db.dialect_name)
                schema = await reader.read(conn)
                return reader.queries, len(schema.objects)

        return asyncio.run(read())

    asyncio.run(execute_script(fresh_db, TABLE))
    (few, views_few), (many, views_many) = queries(1, 0), queries(5, 1)
    assert (views_few, views_many) == (1, 6)
    assert few == many


@pytest.mark.parametrize("backend", ["mysql"], indirect=True)
def test_a_view_of_a_table_the_file_lacks_is_one_clear_line(fresh_db):
    from fastapp.desired.ddl import DesiredSchemaError
    from fastapp.desired.read import DesiredDDL, desired_schema

    ddl = DesiredDDL(TABLE + "CREATE VIEW gone AS SELECT id FROM missing;\n", "s.sql", "mysql")
    with pytest.raises(DesiredSchemaError) as caught:
        asyncio.run(desired_schema(fresh_db, ddl, use_cache=False))
    message = str(caught.value)
    assert message.startswith("s.sql:2: ") and "CREATE VIEW gone" in message
    assert "'missing' doesn't exist" in message and "fastapp_scratch" not in message
    assert "\n" not in message


@BOTH
def test_export_says_what_the_script_leaves_out_and_json_keeps_it(fresh_db, cli):
    import json

    asyncio.run(execute_script(fresh_db, TABLE + VIEW))
    url = fresh_db.url(masked=False)
    script = cli("export_schema", "-d", url)
    assert script.exit_code == 0, script.output
    assert "CREATE TABLE" in script.stdout and "cheap_books" not in script.stdout
    assert "view cheap_books: not in the SQL export" in script.stderr
    exported = cli("export_schema", "-d", url, "-f", "json")
    assert exported.exit_code == 0, exported.output
    (view,) = json.loads(exported.stdout)["objects"]
    assert (view["kind"], view["name"]) == ("view", "cheap_books")
    assert "price` < 10" in view["definition"] or "price < 10" in view["definition"]
