"""Which statements a desired DDL file may hold (fastapp.desired.statements): those a catalog
reader reads back, and those that leave nothing behind; anything else is refused by line."""

from __future__ import annotations

import pytest

from fastapp.desired.ddl import DesiredDDL, DesiredSchemaError
from fastapp.desired.statements import refuse_unread
from fastapp.dialects import get_dialect


def check(dialect: str, text: str) -> None:
    refuse_unread(DesiredDDL(text, "schema.sql", dialect), get_dialect(dialect))


@pytest.mark.parametrize(
    "dialect, text",
    [
        ("postgres", "CREATE TABLE t (id int);\nCREATE UNIQUE INDEX t_i ON t (id);"),
        ("postgres", "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);"),
        ("postgres", "-- a comment\n/* another */ CREATE TABLE t (id int); COMMENT ON TABLE t IS 'x';"),
        ("postgres", "CREATE TYPE mood AS ENUM ('a'); ALTER TYPE mood ADD VALUE 'b';"),
        ("postgres", "ALTER TABLE t ALTER COLUMN n SET DEFAULT 1; ALTER TABLE t SET (fillfactor = 70);"),
        ("postgres", "CREATE EXTENSION IF NOT EXISTS vector; CREATE VIEW v AS SELECT 1;"),
        ("postgres", "BEGIN; DROP TABLE IF EXISTS t; CREATE UNLOGGED TABLE t (id int); COMMIT;"),
        ("mysql", "/*!40101 SET NAMES utf8mb4 */;\nLOCK TABLES t WRITE;\nUNLOCK TABLES;"),
        ("mysql", "/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`r`@`%` */ /*!50001 VIEW v AS SELECT 1 */;"),
        ("mysql", "# a comment\nCREATE TABLE t (id int) ENGINE=InnoDB; ALTER ONLINE TABLE t ADD COLUMN n int;"),
        ("mysql", "CREATE DEFINER=`root`@`%` TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.id = 1;"),
        ("sqlite", "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE t (id int);\nCOMMIT;"),
        ("sqlite", "CREATE TEMP VIEW v AS SELECT 1; CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;"),
        ("sqlite", "CREATE VIRTUAL TABLE f USING fts5(body);"),
    ],
)
def test_statements_read_back_or_leaving_nothing_are_accepted(dialect, text):
    check(dialect, text)


@pytest.mark.parametrize(
    "dialect, text, words",
    [
        ("postgres", "CREATE TABLE t (id int);\nCREATE CAST (text AS int) WITH INOUT;", ["schema.sql:2", "CREATE CAST (text AS int)", "no catalog reader"]),
        ("postgres", "GRANT SELECT ON t TO PUBLIC;", ["schema.sql:1", "privileges", "--no-privileges"]),
        ("postgres", "ALTER SEQUENCE s OWNER TO app;", ["OWNER TO app", "--no-owner"]),
        ("postgres", "ALTER TABLE t\n  ALTER COLUMN name\n  SET STORAGE EXTERNAL;", ["SET STORAGE EXTERNAL"]),
        ("postgres", "ALTER TABLE t ALTER n SET (n_distinct = 5);", ["attribute options"]),
        ("postgres", "ALTER TABLE t ENABLE ALWAYS TRIGGER tr;", ["enabled is not read"]),
        ("postgres", "CREATE TYPE pair AS (a int, b int);", ["CREATE TYPE pair", "no catalog reader"]),
        ("postgres", "COPY t FROM stdin;", ["rows of data", "loaddata"]),
        ("mysql", "USE other;", ["USE other", "target database"]),
        ("mysql", "REPLACE INTO t VALUES (1);", ["rows of data"]),
        ("mysql", "CREATE USER 'u'@'%';", ["CREATE USER", "no catalog reader"]),
        ("sqlite", "PRAGMA journal_mode = WAL;", ["lasting PRAGMA"]),
    ],
)
def test_statements_no_reader_reads_are_refused_by_line(dialect, text, words):
    with pytest.raises(DesiredSchemaError) as raised:
        check(dialect, text)
    message = str(raised.value)
    assert "\n" not in message
    assert all(word in message for word in words), message


def test_the_statement_is_shown_as_written_and_cut():
    long = "CREATE TEXT SEARCH CONFIGURATION " + "x" * 80 + " (COPY = english);"
    with pytest.raises(DesiredSchemaError, match=r"CREATE TEXT SEARCH CONFIGURATION x+\.\.\.:"):
        check("postgres", long)


def test_generated_ddl_is_not_checked():
    generated = DesiredDDL("GRANT ALL ON t TO x", "models", "postgres", parts=("GRANT ALL ON t TO x",))
    refuse_unread(generated, get_dialect("postgres"))
