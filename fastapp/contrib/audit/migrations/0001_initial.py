from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="AuditEntry",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("at", fields.DatetimeField()),
                ("actor", fields.CharField(null=True, max_length=150)),
                ("action", fields.CharField(max_length=16)),
                ("app_label", fields.CharField(max_length=100)),
                ("model", fields.CharField(max_length=100)),
                ("object_pk", fields.CharField(max_length=64)),
                ("changes", fields.JSONField(default=dict)),
                ("bulk", fields.BooleanField(default=False)),
                ("source", fields.CharField(default="app", max_length=8)),
            ],
            options={
                "table": "fastapp_audit_entry",
                "app": "audit",
                "indexes": [
                    Index(fields=["app_label", "model", "object_pk"]),
                    Index(fields=["actor", "at"]),
                    Index(fields=["at"]),
                ],
                "pk_attr": "id",
                "table_description": "One change of one row.",
            },
            bases=["Model"],
        ),
    ]
