from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="ContentType",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("app_label", fields.CharField(max_length=100)),
                ("model", fields.CharField(max_length=100)),
            ],
            options={
                "table": "fastapp_content_type",
                "app": "contenttypes",
                "unique_together": (("app_label", "model"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
