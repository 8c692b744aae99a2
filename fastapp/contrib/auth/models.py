"""Users, groups and permissions. A permission is ``<app_label>.<codename>`` through its
content type: ``blog.change_post``."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Permission(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=255)
    codename = fields.CharField(max_length=100)
    content_type = fields.ForeignKeyField(
        "contenttypes.ContentType", related_name="permissions", on_delete=fields.CASCADE
    )

    class Meta:
        table = "fastapp_auth_permission"
        unique_together = (("content_type", "codename"),)

    def __str__(self) -> str:
        return self.codename

    @classmethod
    async def names(cls, using_db: Any = None, **filters: Any) -> set[str]:
        """``app_label.codename`` of the permissions matching ``filters`` (all by default)."""
        rows = (
            await cls.filter(**filters)
            .using_db(using_db)
            .values_list("content_type__app_label", "codename")
        )
        return {f"{app}.{code}" for app, code in rows}


class Group(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=150, unique=True)
    permissions: fields.ManyToManyRelation[Permission] = fields.ManyToManyField(
        "auth.Permission", related_name="groups", through="fastapp_auth_group_permissions"
    )

    class Meta:
        table = "fastapp_auth_group"

    def __str__(self) -> str:
        return self.name


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=150, unique=True)
    email = fields.CharField(max_length=254, default="")
    # An Argon2id hash ($argon2id$...), never the password itself.
    password = fields.CharField(max_length=255)
    is_active = fields.BooleanField(default=True)
    is_superuser = fields.BooleanField(default=False)
    date_joined = fields.DatetimeField(auto_now_add=True)
    last_login = fields.DatetimeField(null=True)
    groups: fields.ManyToManyRelation[Group] = fields.ManyToManyField(
        "auth.Group", related_name="users", through="fastapp_auth_user_groups"
    )
    user_permissions: fields.ManyToManyRelation[Permission] = fields.ManyToManyField(
        "auth.Permission", related_name="users", through="fastapp_auth_user_permissions"
    )

    class Meta:
        table = "fastapp_auth_user"

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:  # never the hash either
        return f"<User {self.username!r}>"

    def set_password(self, raw: str) -> None:
        """Store the hash of ``raw`` (call ``save()`` afterwards)."""
        from fastapp.contrib.auth.passwords import hash_password

        self.password = hash_password(raw)

    async def check_password(self, raw: str, using_db: Any = None) -> bool:
        """Whether ``raw`` is this user's password; on success, a hash made with weaker
        parameters than today's is replaced and saved (rehash on login)."""
        from fastapp.contrib.auth.passwords import needs_rehash, verify_password

        if not verify_password(self.password, raw):
            return False
        if needs_rehash(self.password):
            self.set_password(raw)
            await self.save(update_fields=["password"], using_db=using_db)
        return True

    async def get_all_permissions(self, using_db: Any = None) -> set[str]:
        """``app_label.codename`` of every permission the user has, directly or through a
        group; every permission for an active superuser; none for an inactive user."""
        if not self.is_active:
            return set()
        if self.is_superuser:
            return await Permission.names(using_db)
        own = await Permission.names(using_db, users__id=self.id)
        return own | await Permission.names(using_db, groups__users__id=self.id)

    async def has_perm(self, perm: str, using_db: Any = None) -> bool:
        """Whether the user may ``perm`` (``"blog.change_post"``)."""
        return await self.has_perm_all((perm,), using_db)

    async def has_perm_all(self, perms: Any, using_db: Any = None) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        return set(perms) <= await self.get_all_permissions(using_db)
