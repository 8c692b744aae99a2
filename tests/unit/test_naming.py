"""The one naming rule for unnamed indexes and constraints (fastapp.sql.naming), pure."""

from __future__ import annotations

import pytest

from fastapp.diff import ops as o
from fastapp.schema.objects import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Table,
    UniqueConstraint,
)
from fastapp.sql import naming
from fastapp.sql.ddl import get_ddl
from fastapp.sql.plan import get_renderer

DIALECTS = ("postgres", "mysql", "sqlite")
#: 61 characters, 65 bytes of UTF-8: over PostgreSQL's limit, within MySQL's.
UMLAUT_TABLE = "größenangaben_der_artikel"
UMLAUT_COLUMN = "länge_über_alles_in_zentimetern"


def fits(dialect: str, name: str) -> bool:
    if dialect == "postgres":
        return len(name.encode()) <= 63
    if dialect == "mysql":
        return len(name) <= 64
    return True


@pytest.mark.parametrize("dialect", DIALECTS)
def test_short_names_follow_the_postgres_convention(dialect):
    assert naming.generated_name(dialect, naming.INDEX, "posts", ["author_id", "at"]) == (
        "posts_author_id_at_idx"
    )
    assert naming.generated_name(dialect, naming.UNIQUE, "users", ["email"]) == "users_email_key"
    assert naming.generated_name(dialect, naming.FOREIGN_KEY, "post", ["author_id"]) == (
        "post_author_id_fkey"
    )
    # The names the renderer gave before the rules were merged stay as they were.
    assert naming.check_name(dialect, "t", "price >= 0", None) == "t_b3940f6d_check"
    assert naming.check_name(dialect, "t", "a > 0", None) == "t_24046288_check"


def test_a_given_name_always_wins():
    assert naming.object_name("postgres", naming.INDEX, "t", ["a"], "mine") == "mine"
    assert naming.check_name("postgres", "t", "a > 0", "positive") == "positive"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_ddl_writer_and_renderer_give_the_same_names(dialect):
    """``export_schema`` and ``auto_migrate`` name an unnamed object alike."""
    index = Index(("a", "b"))
    expression = Index(("LOWER(a)",), unique=True, expressions=(True,))
    t = Table("t", (Column("a", "integer"), Column("b", "integer")), indexes=(index, expression))
    renderer = get_renderer(dialect)
    ddl = get_ddl(dialect)
    for ix in (index, expression):
        assert renderer.named_index("t", ix).name == ddl.index_name(t, ix)
    named = renderer.named(t)
    assert sorted(ix.name for ix in named.indexes) == ["t_9aa61304_idx", "t_a_b_idx"]


def test_expression_parts_stand_in_as_a_hash_so_expression_indexes_differ():
    lower = naming.generated_name("postgres", naming.INDEX, "t", ["lower(a)"])
    upper = naming.generated_name("postgres", naming.INDEX, "t", ["upper(a)"])
    assert lower != upper
    assert lower.startswith("t_") and lower.endswith("_idx")
    assert all(ch.isalnum() or ch == "_" for ch in lower)
    # A column that is no identifier is hashed too, next to the readable ones.
    assert naming.generated_name("postgres", naming.INDEX, "t", ["a", "2fa"]).startswith("t_a_")


def test_postgres_counts_bytes_mysql_characters_sqlite_nothing():
    pg = naming.generated_name("postgres", naming.INDEX, UMLAUT_TABLE, [UMLAUT_COLUMN])
    my = naming.generated_name("mysql", naming.INDEX, UMLAUT_TABLE, [UMLAUT_COLUMN])
    lite = naming.generated_name("sqlite", naming.INDEX, UMLAUT_TABLE, [UMLAUT_COLUMN])
    whole = f"{UMLAUT_TABLE}_{UMLAUT_COLUMN}_idx"
    assert my == lite == whole  # 61 characters: within MySQL's 64
    assert pg == "größenangaben_der_artikel_länge_über_alles_in_zent_8c7c8244"
    assert len(pg.encode()) <= 63
    long = "t" * 200
    assert naming.generated_name("sqlite", naming.INDEX, long, ["c"]) == f"{long}_c_idx"


@pytest.mark.parametrize("dialect", ("postgres", "mysql"))
@pytest.mark.parametrize(
    "table,columns",
    [
        ("t" * 60, ["c" * 40, "d" * 40]),
        ("名前" * 20, ["列" * 30]),  # 3 bytes a character
        ("é" * 31, ["x"]),  # 2 bytes a character: a cut inside one must not split it
        ("a", ["🙂" * 20]),  # 4 bytes a character
    ],
)
def test_long_names_fit_the_limit_and_stay_valid_text(dialect, table, columns):
    name = naming.generated_name(dialect, naming.UNIQUE, table, columns)
    assert fits(dialect, name)
    assert name == naming.generated_name(dialect, naming.UNIQUE, table, columns)
    name.encode().decode()  # no half character left behind
    assert naming.check_name(dialect, table, "x > 0", None) != naming.check_name(
        dialect, table, "x > 1", None
    )
    assert fits(dialect, naming.check_name(dialect, table, "x > 0", None))


def test_long_names_with_one_beginning_stay_distinct():
    first = naming.generated_name("postgres", naming.INDEX, "t" * 60, ["a"])
    second = naming.generated_name("postgres", naming.INDEX, "t" * 60, ["b"])
    assert first != second and first[:54] == second[:54]
    assert len(first) == len(second) == 63


def test_a_name_exactly_at_the_limit_is_kept():
    table = "t" * (63 - len("_a_idx"))
    assert naming.generated_name("postgres", naming.INDEX, table, ["a"]) == f"{table}_a_idx"
    multibyte = "ß" * 28 + "ab"  # 58 bytes; with "_c_idx": 64 bytes, one over
    assert naming.generated_name("postgres", naming.INDEX, multibyte, ["c"]) != (
        f"{multibyte}_c_idx"
    )
    assert naming.generated_name("mysql", naming.INDEX, multibyte, ["c"]) == f"{multibyte}_c_idx"


def test_every_rendered_unnamed_object_is_within_the_postgres_limit():
    columns = tuple(Column(n, "integer") for n in ("größe_" * 8, "länge_" * 8))
    target = Table("übersicht_" * 5, columns)
    t = Table(
        target.name,
        columns,
        uniques=(UniqueConstraint((columns[0].name,)),),
        foreign_keys=(ForeignKey((columns[1].name,), target.name, (columns[0].name,)),),
        checks=(CheckConstraint("1 = 1"),),
        indexes=(Index((columns[1].name,)),),
    )
    statements = get_renderer("postgres").op_create_table(o.CreateTable(t.name, t))
    named = get_renderer("postgres").named(t)
    names = [
        named.uniques[0].name,
        named.foreign_keys[0].name,
        named.checks[0].name,
        named.indexes[0].name,
    ]
    assert len(set(names)) == 4
    for name in names:
        assert name and len(name.encode()) <= 63
        assert any(f'"{name}"' in s for s in statements)
