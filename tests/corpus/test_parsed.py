"""The parse path (fastapp.desired.parse) predicts what the scratch-space path reads back.

For every corpus case on every backend it applies to, and for the example project's
generated DDL, ``parse_schema(sql)`` must equal the schema the reader reads after applying
the same SQL to a real database. Cases the parser refuses are listed in ``REFUSED`` with the
reason, and must fail with one clear line naming the source and line.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from fastapp import testing
from fastapp.desired.parse import ParsedSchemaError, parse_schema
from fastapp.errors import SchemaError
from tests.conftest import require_backend
from tests.corpus.schemas.harness import BACKENDS, case_sql, load_and_read, load_corpus

CORPUS = load_corpus()
#: What the scratch databases of these tests are created with (harness.reset).
SERVER = {"mysql": {"collation": "utf8mb4_unicode_ci"}}

#: (backend, case) -> why the parser refuses it (and the fix is the scratch space).
REFUSED = {
    ("postgres", "multiline_unicode_comments"): "sqlglot cannot parse E'...' in COMMENT ON",
    ("mysql", "index_methods"): "sqlglot reads CREATE FULLTEXT INDEX / USING BTREE as a Command",
    ("mysql", "unknown_types_kept_verbatim"): "sqlglot cannot parse the POINT column type",
}

#: More DDL the corpus does not cover, checked against the database the same way.
EXTRA = {
    "postgres": [
        """CREATE TYPE state AS ENUM ('new', 'done');
        CREATE TABLE t (id BIGSERIAL PRIMARY KEY, v VARCHAR(5), c CHAR(2), d DATE, j JSONB,
            s state, n NUMERIC(6), i INT, b BIT, ch CHAR, grid INT[][], names varchar(20)[],
            CHECK (v <> ''), CHECK (c = 'ab'), CHECK (d > '2020-01-01'), CHECK (j @> '{}'),
            CHECK (s <> 'done'), CHECK (i > '5'), CHECK (v NOT IN ('a', 'b')),
            CHECK (i IN (1, 2, 3)), CHECK (v IN ('x')), CHECK (Upper(v) LIKE 'A%'));
        CREATE INDEX t_v ON t (v) WHERE v <> 'z' AND i BETWEEN 1 AND 9;
        CREATE UNIQUE INDEX t_lower ON t ((lower(v) || c), d DESC);
        ALTER TABLE t ADD COLUMN extra TEXT NOT NULL DEFAULT 'x';
        ALTER TABLE t ADD CONSTRAINT t_extra UNIQUE (extra, i);
        CREATE TABLE u (Id INT PRIMARY KEY, "T_id" BIGINT REFERENCES t ON DELETE SET NULL);
        COMMENT ON COLUMN u."T_id" IS 'to t';""",
        # How PostgreSQL resolves operators on character columns, as far as it is modelled.
        """CREATE TABLE x (v VARCHAR(10), c CHAR(3), t TEXT, i INT, d DATE,
            CHECK (lower(v) <> ''), CHECK (length(v) < 5), CHECK (length(c) < 5),
            CHECK (lower(c) = 'a'), CHECK (substr(v, 1, 2) = 'ab'), CHECK (v || 'x' <> 'y'),
            CHECK (c || 'x' <> 'y'), CHECK (t || v <> ''), CHECK (v ILIKE 'a%'),
            CHECK (v ~ 'a'), CHECK (v NOT LIKE '%x'), CHECK (c LIKE 'a%'), CHECK (c ~ 'a'),
            CHECK (char_length(v) > 1), CHECK (c IN ('a', 'b')), CHECK (c NOT IN ('a')),
            CHECK (d IN ('2020-01-01', '2021-01-01')), CHECK (lower(v || c) <> ''),
            CHECK (coalesce(i, 0) > 1), CHECK (v::text <> ''), CHECK (c <> 'ab'),
            CHECK (lower(t) LIKE 'x%'), CHECK (v IS NOT NULL OR i > '3'));
        -- Typed literals are stored as the value's output text.
        CREATE TABLE y (i INT, d DATE, u UUID, j JSONB, n NUMERIC,
            CHECK (u <> '00000000-0000-0000-0000-00000000000A'), CHECK (d > '20200101'),
            CHECK (j @> '{"b":1, "a": [1, 2]}'), CHECK (i > 1.5), CHECK (i IN (1.5, 2)),
            CHECK (n > 2), CHECK (j ->> 'a' <> ''), CHECK (NOT (i > 1)));
        -- String defaults of typed columns are stored as the value's output text.
        CREATE TABLE z (u UUID DEFAULT '00000000-0000-0000-0000-00000000000A',
            j JSONB DEFAULT '{"b":1,"a":2}', js JSON DEFAULT '{"b":1,"a":2}',
            ts TIMESTAMP DEFAULT '2020-01-01', b BOOL DEFAULT 't', n NUMERIC DEFAULT '1.50',
            i INT DEFAULT '-7', v VARCHAR(3) DEFAULT 'ab', c CHAR(3) DEFAULT 'ab',
            d DATE DEFAULT '2020-01-01', e JSONB DEFAULT '{}'::jsonb,
            iv INTERVAL DEFAULT '1 day', i2 INTERVAL DEFAULT interval '14 months',
            i3 INTERVAL DEFAULT interval '90' minute, due TIMESTAMP DEFAULT now() + interval '1 week',
            CHECK (iv < '2 days'), CHECK (i2 > interval '3 hours'));""",
    ],
    "mysql": [
        """CREATE TABLE p (id INT UNSIGNED AUTO_INCREMENT, code VARCHAR(10) DEFAULT 0,
            amount DECIMAL(18,4) DEFAULT 0, ratio FLOAT DEFAULT '1.5', flag BOOL DEFAULT TRUE,
            d DECIMAL DEFAULT 3, r REAL, body LONGTEXT CHARACTER SET latin1,
            tag VARCHAR(5) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, doc JSON NOT NULL,
            PRIMARY KEY (id), UNIQUE KEY p_code (code), KEY p_tag (tag(3), code DESC))
            ENGINE=InnoDB DEFAULT CHARSET=latin1;
        CREATE TABLE c (id INT PRIMARY KEY, p_id INT UNSIGNED, q_id INT UNSIGNED,
            CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE RESTRICT,
            KEY c_q (q_id), FOREIGN KEY (q_id) REFERENCES p (id))
            COLLATE=utf8mb4_bin COMMENT='children';
        CREATE UNIQUE INDEX c_both ON c (p_id, q_id);
        ALTER TABLE c ADD COLUMN note TEXT COMMENT 'n';""",
        # What MariaDB does to an expression when it stores it, as far as it is modelled.
        """CREATE TABLE x (v VARCHAR(10), i INT, b BOOL,
            CHECK (char_length(v) < 5), CHECK (length(v) < 5), CHECK (v NOT IN ('a')),
            CHECK (NOT (i > 1)), CHECK (b = TRUE), CHECK (NOT (i = 1)), CHECK (i IN (1)),
            CHECK (NOT (v LIKE 'a')), CHECK (v NOT LIKE 'a%'), CHECK (NOT b),
            CHECK (NOT (v IS NULL)), CHECK (i NOT BETWEEN 1 AND 2), CHECK (v NOT IN ('a', 'b')),
            CHECK (NOT (i <= 2)), CHECK (ifnull(i, 0) > 1), CHECK (i MOD 2 = 0),
            CHECK (v REGEXP '^a'), CHECK (coalesce(v, 'x') <> 'y'))""",
        # Defaults as MariaDB reports them.
        """CREATE TABLE z (dt DATETIME DEFAULT '2020-01-01', d6 DATETIME(6) DEFAULT
            '2020-01-01 10:00:00', d3 DATETIME(3) DEFAULT '2020-01-01 10:00:00.5',
            t TIME DEFAULT '01:02:03', f DOUBLE DEFAULT '1e3', g DOUBLE DEFAULT 1.50,
            b1 BIT(1) DEFAULT 1, b3 BIT(3) DEFAULT 5, n DATETIME(6) DEFAULT now(6),
            s VARCHAR(10) DEFAULT 'a\\b''c', y YEAR DEFAULT 2020, dd DATE DEFAULT '2020-01-01',
            tt TINYINT DEFAULT TRUE)""",
        # As mysqldump writes it.
        """CREATE TABLE `d` (
          `id` int(11) NOT NULL AUTO_INCREMENT,
          `name` varchar(20) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
          `ts` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),
          `body` text,
          PRIMARY KEY (`id`),
          KEY `ix` (`name`) USING BTREE,
          KEY `iy` (`ts`) USING HASH,
          FULLTEXT KEY `ft` (`body`)
        ) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
          ROW_FORMAT=DYNAMIC""",
    ],
    "sqlite": [
        """CREATE TABLE k (a  VARCHAR( 10 ) NOT NULL, b Double   Precision, c, d BLOB,
            PRIMARY KEY (a, c)) WITHOUT ROWID;
        CREATE TABLE m (id INTEGER PRIMARY KEY, k_a VARCHAR(10), k_c,
            v TEXT COLLATE NOCASE DEFAULT ('x' || 'y'), FOREIGN KEY (k_a, k_c) REFERENCES k);
        CREATE INDEX m_v ON m (v COLLATE NOCASE, id DESC) WHERE v IS NOT NULL;""",
        # Declared type spellings as PRAGMA table_info reports them: standard names upper
        # case, others as written (case, words, spaces inside the arguments), one quoted
        # word without its quotes; runs of whitespace as one space.
        """CREATE TABLE s (id integer PRIMARY KEY, a int, b Real, c text, d blob,
            f double
              precision, g character varying( 10 ), h numeric(10, 2), i FLOAT8, j "INT",
            k "my type", m VarChar(5), n bool, o);""",
    ],
}

CASES = [
    pytest.param(backend, case, id=f"{backend}-{case['name']}")
    for backend in BACKENDS
    for case in CORPUS
    if case_sql(case, backend) is not None
]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """One scratch database per backend, created on first use, dropped at the end."""
    created: dict = {}

    def get(backend: str):
        if backend not in created:
            require_backend(backend)
            cfg = testing.scratch_config(backend, tmp_path_factory.mktemp(backend))
            asyncio.run(cfg.dialect.create_database(cfg))
            created[backend] = cfg
        return created[backend]

    yield get
    for cfg in created.values():
        asyncio.run(cfg.dialect.drop_database(cfg))


async def _read_back(cfg, sql: str):
    conn = await cfg.dialect.connect(cfg)
    try:
        schema, _ = await load_and_read(cfg, conn, sql)
    finally:
        await cfg.dialect.close(conn)
    return schema


def _parse(backend: str, sql: str, source: str = "case.sql"):
    return parse_schema(sql, backend, source, server=SERVER.get(backend))


def _diff(parsed, applied) -> list[str]:
    """Readable differences, table by table (pytest's == output on big dataclasses is not)."""
    out = []
    for name in sorted(set(parsed.table_names) | set(applied.table_names)):
        a, b = parsed.table(name), applied.table(name)
        if a != b:
            out.append(f"parsed:  {a}\napplied: {b}")
    if parsed.enums != applied.enums:
        out.append(f"enums: {parsed.enums} != {applied.enums}")
    return out


@pytest.mark.parametrize(("backend", "case"), CASES)
def test_corpus_case_parses_to_what_the_database_reads_back(backend, case, scratch):
    sql = case_sql(case, backend)
    reason = REFUSED.get((backend, case["name"]))
    if reason is not None:
        with pytest.raises(ParsedSchemaError) as info:
            _parse(backend, sql)
        message = str(info.value)
        assert message.startswith("case.sql:") and "scratch-space" in message, message
        assert "\n" not in message
        return
    parsed = _parse(backend, sql)
    applied = asyncio.run(_read_back(scratch(backend), sql))
    assert _diff(parsed, applied) == []
    assert parsed == applied


@pytest.mark.parametrize(
    ("backend", "sql"),
    [
        pytest.param(b, sql, id=f"{b}-{i}")
        for b, sqls in EXTRA.items()
        for i, sql in enumerate(sqls)
    ],
)
def test_more_ddl_parses_to_what_the_database_reads_back(backend, sql, scratch):
    parsed = _parse(backend, sql)
    applied = asyncio.run(_read_back(scratch(backend), sql))
    assert _diff(parsed, applied) == []
    assert parsed == applied


def _generated_sql(backend: str, cfg) -> str:
    from fastapp.apps import AppRegistry
    from fastapp.desired.read import models_ddl
    from fastapp.settings import load_settings

    registry = AppRegistry(load_settings(None), cfg)
    (ddl,) = asyncio.run(models_ddl(registry)).values()
    return ddl.text


@pytest.mark.parametrize("backend", BACKENDS)
def test_generated_ddl_of_the_example_project(backend, scratch, example_project):
    cfg = scratch(backend)
    sql = _generated_sql(backend, cfg)
    parsed = _parse(backend, sql, "models of connection 'default'")
    applied = asyncio.run(_read_back(cfg, sql))
    assert len(parsed.tables) == 7
    assert _diff(parsed, applied) == []
    assert parsed == applied


KINDS_MODELS = """
from enum import Enum, IntEnum

from tortoise import fields
from tortoise.models import Model


class Color(str, Enum):
    RED = "red"
    GREEN = "green"


class Level(IntEnum):
    LOW = 1
    HIGH = 2


class Owner(Model):
    uid = fields.UUIDField(primary_key=True)
    handle = fields.CharField(max_length=30, unique=True, description="public name")
    best = fields.ForeignKeyField(
        "kinds.Thing", related_name="fans", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table_description = "who owns things"


class Thing(Model):
    id = fields.BigIntField(primary_key=True)
    owner = fields.ForeignKeyField("kinds.Owner", related_name="things", on_delete=fields.RESTRICT)
    twin = fields.OneToOneField("kinds.Thing", related_name="twin_of", null=True)
    name = fields.CharField(max_length=80, db_index=True)
    color = fields.CharEnumField(Color, default=Color.RED)
    level = fields.IntEnumField(Level, description="how much")
    small = fields.SmallIntField(null=True)
    price = fields.DecimalField(max_digits=10, decimal_places=3, null=True)
    ratio = fields.FloatField(null=True)
    ok = fields.BooleanField(default=True)
    born = fields.DateField(null=True)
    at = fields.TimeField(null=True)
    span = fields.TimeDeltaField(null=True)
    seen = fields.DatetimeField(auto_now_add=True)
    blob = fields.BinaryField(null=True)
    data = fields.JSONField(null=True)
    notes = fields.TextField(null=True)
    tags = fields.ManyToManyField("kinds.Tag", related_name="things")

    class Meta:
        unique_together = (("owner", "name"),)
        indexes = (("color", "level"),)


class Tag(Model):
    id = fields.IntField(primary_key=True)
    label = fields.CharField(max_length=20, unique=True)
"""


@pytest.fixture
def kinds_project(tmp_path, monkeypatch):
    """A project whose one app uses every Tortoise field kind, keys, indexes and a cycle."""
    (tmp_path / "kinds").mkdir()
    (tmp_path / "kinds" / "__init__.py").write_text("")
    (tmp_path / "kinds" / "models.py").write_text(KINDS_MODELS)
    (tmp_path / "settings.py").write_text(
        'INSTALLED_APPS = ["kinds"]\nDATABASES = {"default": {"ENGINE": "sqlite", "NAME": ":memory:"}}\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield tmp_path
    for name in ("settings", "kinds", "kinds.models"):
        sys.modules.pop(name, None)


@pytest.mark.parametrize("backend", BACKENDS)
def test_generated_ddl_of_every_field_kind(backend, scratch, kinds_project):
    cfg = scratch(backend)
    sql = _generated_sql(backend, cfg)
    parsed = _parse(backend, sql, "models of connection 'default'")
    # The foreign keys form a cycle: MySQL takes the script only with checks off, as the
    # scratch database does.
    prelude = "SET FOREIGN_KEY_CHECKS = 0;\n" if backend == "mysql" else ""
    applied = asyncio.run(_read_back(cfg, prelude + sql))
    assert set(parsed.table_names) == {"owner", "thing", "tag", "thing_tag"}
    assert _diff(parsed, applied) == []
    assert parsed == applied


@pytest.mark.parametrize("backend", BACKENDS)
def test_server_hint_is_read_from_the_target_database(backend, scratch):
    from fastapp.desired.ddl_readers import server_hint
    from fastapp.desired.ddl_readers.drafts import ServerHint

    cfg = scratch(backend)

    async def read():
        conn = await cfg.dialect.connect(cfg)
        try:
            return await server_hint(backend, conn)
        finally:
            await cfg.dialect.close(conn)

    hint = asyncio.run(read())
    expected = ServerHint(**SERVER.get(backend, {}))
    assert (hint.charset, hint.collation) == (expected.charset, expected.collation)


# -- pure: errors name the source and line, and say what to do ------------------------------


@pytest.mark.parametrize(
    ("backend", "sql", "line", "words"),
    [
        ("postgres", "CREATE TABLE t (a INT);\n\nCREATE VIEW v AS SELECT 1;", 3, "CREATE VIEW"),
        (
            "mysql",
            "CREATE TABLE t (a INT);\nCREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW "
            "SET NEW.a = 1;",
            2,
            "TRIGGER",
        ),
        ("sqlite", "-- one\n-- two\nCREATE TABLE t (a INT) WITHOUT FOO;", 3, "WITHOUT FOO"),
        (
            "postgres",
            "CREATE TABLE t (a INT);\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; "
            "$$ LANGUAGE sql;",
            2,
            "FUNCTION",
        ),
        (
            "postgres",
            "CREATE TABLE t (a INT,\n b DATE DEFAULT now() + interval '1 day 2 hours')",
            2,
            "INTERVAL",
        ),
        ("sqlite", "CREATE TABLE t (a INT);\nDROP TABLE t;", 2, "DROP TABLE"),
        ("postgres", "CREATE INDEX i ON missing (a);", 1, "'missing'"),
        ("sqlite", "CREATE TABLE t (a INT);\nCREATE INDEX i ON t (b);", 2, "no column 'b'"),
        ("mysql", "CREATE TABLE t (a INT DEFAULT);", 1, "cannot parse"),
        ("sqlite", "CREATE TABLE t (a INT);\nCOMMENT ON TABLE t IS 'x';", 2, "COMMENT"),
        ("mysql", "CREATE TABLE t (\n a INT,\n b INT,\n c INT INVISIBLE\n)", 4, "INVISIBLE"),
        (
            "postgres",
            "\n\nCREATE TABLE t (\n a INT,\n b INT CHECK (b > 0) NO INHERIT\n)",
            5,
            "cannot parse",
        ),
        ("postgres", "CREATE TABLE t (a INT);\nCREATE SEQUENCE s;", 2, "SEQUENCE"),
        # Issue 14: objects of the schema are never dropped silently by the parse path.
        ("mysql", "CREATE TABLE t (a INT);\nCREATE VIEW v AS SELECT a FROM t;", 2, "CREATE VIEW"),
        ("mysql", "CREATE TABLE t (a INT);\nCREATE SEQUENCE s;", 2, "CREATE SEQUENCE"),
        ("mysql", "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t;", 1, "CREATE EVENT"),
        (
            "mysql",
            "CREATE TABLE t (a INT);\nCREATE FUNCTION f(n INT) RETURNS INT DETERMINISTIC RETURN n;",
            2,
            "CREATE FUNCTION",
        ),
        (
            "mysql",
            "CREATE TABLE t (a INT);\nCREATE PROCEDURE p()\nBEGIN\n SELECT 1;\n SELECT 2;\nEND;",
            2,
            "CREATE PROCEDURE",
        ),
        (
            "mysql",
            "CREATE TABLE t (a INT);\nCREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW\n"
            "BEGIN SET NEW.a = 1; SET NEW.a = 2; END;",
            2,
            "CREATE TRIGGER",
        ),
        ("sqlite", "CREATE TABLE t (a INT);\nCREATE VIEW v AS SELECT a FROM t;", 2, "CREATE VIEW"),
        (
            "sqlite",
            "CREATE TABLE t (a INT);\nCREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;",
            2,
            "CREATE TRIGGER",
        ),
        ("postgres", "CREATE TABLE s.t (a INT);", 1, "qualified table name s.t"),
    ],
)
def test_refusals_name_file_line_and_the_fix(backend, sql, line, words):
    with pytest.raises(ParsedSchemaError) as info:
        parse_schema(sql, backend, "schema.sql")
    message = str(info.value)
    assert message.startswith(f"schema.sql:{line}: "), message
    assert words in message
    assert "grant the scratch-space right" in message
    assert "\n" not in message
    assert info.value.line == line and info.value.source == "schema.sql"
    assert isinstance(info.value, SchemaError)


@pytest.mark.parametrize(
    "check",
    ["coalesce(v, 'x') <> 'y'", "trim(v) <> ''", "v = t", "v <> c", "position('a' in v) > 0"]
    + ["v SIMILAR TO 'a'", "b = 'true'", "d > '2020-1-1'", "ts > '2020-01-01'"]
    + ["""j @> '{"a": 1.5}'"""],
)
def test_postgres_casts_not_modelled_are_refused_not_guessed(check):
    columns = "v VARCHAR(10), c CHAR(3), t TEXT, b BOOL, d DATE, ts TIMESTAMPTZ, j JSONB"
    sql = f"CREATE TABLE x ({columns},\n CHECK ({check}))"
    with pytest.raises(ParsedSchemaError, match=r"^x\.sql:2: .* not supported"):
        parse_schema(sql, "postgres", "x.sql")


@pytest.mark.parametrize(
    ("check", "server"),
    [
        ("NOT (i > 1 AND i < 5)", None),
        ("NOT (v NOT LIKE 'a')", None),
        ("v <> 'a'", {"mariadb": False}),
    ],
)
def test_mysql_rewrites_not_modelled_are_refused_not_guessed(check, server):
    sql = f"CREATE TABLE x (v VARCHAR(10), i INT,\n CHECK ({check}))"
    with pytest.raises(ParsedSchemaError, match=r"^x\.sql:2: .* not supported"):
        parse_schema(sql, "mysql", "x.sql", server=server)


def test_mysql8_ignores_inline_references_and_has_its_own_collations():
    sql = (
        "CREATE TABLE a (id INT PRIMARY KEY) CHARSET=utf8mb4;\n"
        "CREATE TABLE b (a_id INT REFERENCES a (id), d JSON)"
    )
    mysql8 = parse_schema(sql, "mysql", server={"mariadb": False})
    mariadb = parse_schema(sql, "mysql")
    assert mysql8.table("b").foreign_keys == ()
    assert mariadb.table("b").foreign_keys[0].ref_table == "a"
    assert dict(mysql8.table("a").options)["collation"] == "utf8mb4_0900_ai_ci"
    assert dict(mariadb.table("a").options)["collation"] == "utf8mb4_general_ci"


@pytest.mark.parametrize(
    ("backend", "column"),
    [
        ("postgres", "c TIMESTAMPTZ DEFAULT '2020-01-01'"),
        ("postgres", "c DATE DEFAULT '2020-1-1'"),
        ("postgres", "c FLOAT8 DEFAULT '1e3'"),
        ("mysql", "c TIME DEFAULT '1:2'"),
        ("mysql", "c DOUBLE DEFAULT 1e20"),
    ],
)
def test_defaults_the_server_rewrites_unpredictably_are_refused(backend, column):
    with pytest.raises(ParsedSchemaError, match=r"^d\.sql:2: the default .* not supported"):
        parse_schema(f"CREATE TABLE x (\n{column})", backend, "d.sql")


def test_unknown_server_hint_is_refused():
    with pytest.raises(SchemaError, match="unknown server hint colation"):
        parse_schema("CREATE TABLE t (a INT)", "mysql", server={"colation": "x"})


def test_parse_is_pure_and_needs_no_database():
    schema = parse_schema(
        'CREATE TABLE "a" ("id" SERIAL PRIMARY KEY, "n" VARCHAR(5) NOT NULL UNIQUE);\n'
        'CREATE TABLE "b" ("a_id" INT REFERENCES "a");\n'
        "COMMENT ON TABLE a IS 'hello';",
        "postgres",
    )
    a, b = schema.table("a"), schema.table("b")
    assert a.column("id").autoincrement and a.column("id").type == "integer"
    assert a.comment == "hello"
    assert b.foreign_keys[0].ref_columns == ("id",)
    assert "fastapp.desired.parse" in sys.modules
