"""Users and groups (many-to-many)."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    READER = "reader"
    AUTHOR = "author"
    EDITOR = "editor"


class Group(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80, unique=True)
    description = fields.TextField(default="")

    class Meta:
        table = "users_group"
        table_description = "Groups users belong to"


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=150, unique=True)
    email = fields.CharField(max_length=254, db_index=True)
    full_name = fields.CharField(max_length=200, default="")
    is_active = fields.BooleanField(default=True)
    role = fields.CharEnumField(Role, default=Role.READER)
    karma = fields.BigIntField(default=0)
    balance = fields.DecimalField(max_digits=12, decimal_places=2, default=0)
    birth_date = fields.DateField(null=True)
    date_joined = fields.DatetimeField(auto_now_add=True)
    api_key = fields.UUIDField(null=True)
    preferences = fields.JSONField(default=dict)
    avatar = fields.BinaryField(null=True)
    groups: fields.ManyToManyRelation[Group] = fields.ManyToManyField(
        "users.Group", related_name="users", through="users_user_groups"
    )

    class Meta:
        table = "users_user"
        table_description = "People who can sign in"
