"""Field specs of generate_crud: what they become, and one clear line for each bad one."""

from datetime import date
from decimal import Decimal

import pytest

from fastapp.errors import ScaffoldError
from fastapp.scaffold.specs import parse_field, parse_fields


def test_every_type_and_option():
    assert parse_field("name:str:120:unique").length == 120
    assert parse_field("name:str:120:unique").unique
    assert parse_field("price:decimal:10,2").digits == (10, 2)
    assert parse_field("status:enum:draft|in-review").choices == ("draft", "in-review")
    assert parse_field("category:fk:Category:null").target == "Category"
    assert parse_field("author:fk:users.User").target == "users.User"
    assert parse_field("tags:m2m:Tag").kind == "m2m"
    assert parse_field("body:text:null").null
    assert parse_field("count:bigint:index").index
    assert parse_field("stock:int:default=0").default == 0
    assert parse_field("price:decimal:6,2:default=1.5").default == Decimal("1.50")
    assert parse_field("active:bool:default=false").default is False
    assert parse_field("day:date:default=2024-02-29").default == date(2024, 2, 29)
    assert parse_field("seen:datetime:default=now").default == "now"
    assert parse_field("key:uuid:default=uuid4").default == "uuid4"
    assert parse_field("meta:json:default={}").default == {}
    assert parse_field("status:enum:a|b:default=b").default == "b"
    # The default takes the rest of the spec, colons included.
    assert parse_field("url:str:200:default=http://x").default == "http://x"
    one = parse_field("title:str:80")
    assert one.required and not parse_field("title:str:80:null").required


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("price:decimal", ["'price:decimal'", "precision", "price:decimal:10,2"]),
        ("price:decimal:10", ["'price:decimal:10'", "P,S", "price:decimal:10,2"]),
        ("price:decimal:70,2", ["out of range"]),
        ("price:money", ["unknown type 'money'", "str:LEN"]),
        ("name:str", ["str needs a length", "name:str:120"]),
        ("name:str:0", ["from 1 to"]),
        ("name", ["no type"]),
        ("class:str:10", ["Python keyword", "class_"]),
        ("save:str:10", ["attribute of Tortoise's Model", "save_value"]),
        ("pk:int", ["attribute of Tortoise's Model"]),
        ("id:int", ["written by generate_crud", "primary key"]),
        ("created_at:datetime", ["written by generate_crud"]),
        ("deleted_at:datetime", ["--soft-delete"]),
        ("Name:str:10", ["lowercase Python identifier"]),
        ("q:str:10", ["query parameter"]),
        ("a__b:int", ["'__'"]),
        ("name:str:10:nul", ["unknown option 'nul'", "null, unique, index, default=VALUE"]),
        ("name:str:10:null:null", ["given twice"]),
        ("body:text:unique", ["cannot be unique", "body:str:LEN"]),
        ("name:str:2000:unique", ["at most 768"]),
        ("tags:m2m:Tag:null", ["takes no options"]),
        ("cat:fk:category", ["not a model name"]),
        ("cat:fk:Category:default=1", ["takes no default"]),
        ("stock:int:default=lots", ["not a whole number"]),
        ("price:decimal:4,2:default=123.456", ["at most 4 digits"]),
        ("day:date:default=tomorrow", ["YYYY-MM-DD"]),
        ("seen:datetime:default=2024-01-01", ["'now'"]),
        ("meta:json:default={\"a\": 1}", ["shared mutable default"]),
        ("status:enum:a|b:default=c", ["one of the enum values"]),
        ("status:enum:a|a", ["given twice"]),
        ("status:enum:a|A", ["same member name"]),
        ("status:enum:a b", ["enum value 'a b'"]),
        ("code:str:10:unique:default=x", ["collides"]),
    ],
)
def test_bad_specs_are_one_line_naming_the_spec_and_the_fix(spec, words):
    with pytest.raises(ScaffoldError) as caught:
        parse_field(spec)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_a_field_given_twice_and_no_fields_are_refused():
    with pytest.raises(ScaffoldError, match="already given"):
        parse_fields(["name:str:10", "name:text"])
    with pytest.raises(ScaffoldError, match="at least one field spec"):
        parse_fields([])
