from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("contenttypes", "0001_initial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Permission",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=255)),
                ("codename", fields.CharField(max_length=100)),
                (
                    "content_type",
                    fields.ForeignKeyField(
                        "contenttypes.ContentType",
                        source_field="content_type_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="permissions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "fastapp_auth_permission",
                "app": "auth",
                "unique_together": (("content_type", "codename"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Group",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=150)),
                (
                    "permissions",
                    fields.ManyToManyField(
                        "auth.Permission",
                        unique=True,
                        db_constraint=True,
                        through="fastapp_auth_group_permissions",
                        forward_key="permission_id",
                        backward_key="fastapp_auth_group_id",
                        related_name="groups",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={"table": "fastapp_auth_group", "app": "auth", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("username", fields.CharField(unique=True, max_length=150)),
                ("email", fields.CharField(default="", max_length=254)),
                ("password", fields.CharField(max_length=255)),
                ("is_active", fields.BooleanField(default=True)),
                ("is_superuser", fields.BooleanField(default=False)),
                ("date_joined", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("last_login", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "groups",
                    fields.ManyToManyField(
                        "auth.Group",
                        unique=True,
                        db_constraint=True,
                        through="fastapp_auth_user_groups",
                        forward_key="group_id",
                        backward_key="fastapp_auth_user_id",
                        related_name="users",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user_permissions",
                    fields.ManyToManyField(
                        "auth.Permission",
                        unique=True,
                        db_constraint=True,
                        through="fastapp_auth_user_permissions",
                        forward_key="permission_id",
                        backward_key="fastapp_auth_user_id",
                        related_name="users",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={"table": "fastapp_auth_user", "app": "auth", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
