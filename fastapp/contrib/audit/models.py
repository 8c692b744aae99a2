"""The audit log's one table.

Which object is named by its content type's natural key (``app_label``, ``model``: the
model's class name in lower case, as ``fastapp.contrib.contenttypes`` names it) and its pk as
text, not by a foreign key: an audit trail outlives the rows and the models it describes
(``remove_stale_contenttypes`` must not cascade into it), and a write needs no look-up.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from fastapp.contrib.audit.context import ACTOR_MAX_LENGTH

#: The kinds of change, as stored in ``AuditEntry.action``.
CREATE, UPDATE, DELETE, SOFT_DELETE, RESTORE = (
    "create",
    "update",
    "delete",
    "soft_delete",
    "restore",
)
ACTIONS = (CREATE, UPDATE, DELETE, SOFT_DELETE, RESTORE)
#: ``AuditEntry.source``: written by the application, or by the PostgreSQL trigger mode.
APP, TRIGGER = "app", "trigger"


class AuditEntry(Model):
    """One change of one row.

    ``changes`` maps each changed field (its column name for foreign keys, ``author_id``) to
    ``[old, new]`` as JSON values (``None`` for a create's old and a delete's new side);
    ``bulk`` is true when the change came from a queryset ``update()``/``delete()``.
    """

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    actor = fields.CharField(max_length=ACTOR_MAX_LENGTH, null=True)
    action = fields.CharField(max_length=16)
    app_label = fields.CharField(max_length=100)
    model = fields.CharField(max_length=100)
    object_pk = fields.CharField(max_length=64)
    changes = fields.JSONField(default=dict)
    bulk = fields.BooleanField(default=False)
    source = fields.CharField(max_length=8, default=APP)

    class Meta:
        table = "fastapp_audit_entry"
        ordering = ("at", "id")
        indexes = (("app_label", "model", "object_pk"), ("actor", "at"), ("at",))

    def __str__(self) -> str:
        return f"{self.action} {self.app_label}.{self.model}:{self.object_pk} by {self.actor}"

    @property
    def label(self) -> str:
        """``app_label.model``: the content type's name."""
        return f"{self.app_label}.{self.model}"
