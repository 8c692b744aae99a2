"""ORM-level building blocks for applications (no FastAPI here).

::

    from fastapp.models import LiveUnique, SoftDeleteMixin

    class Post(SoftDeleteMixin, Model):
        slug = fields.CharField(max_length=80)

        class Meta:
            indexes = (LiveUnique(fields=("slug",)),)

See ``docs/building-blocks.md``.
"""

from fastapp.models.dbindex import DbIndex
from fastapp.models.indexes import LiveUnique
from fastapp.models.softdelete import (
    DELETED_AT,
    SoftDeleteManager,
    SoftDeleteMixin,
    SoftDeleteQuerySet,
    is_soft_delete_model,
)

__all__ = [
    "DELETED_AT",
    "DbIndex",
    "LiveUnique",
    "SoftDeleteManager",
    "SoftDeleteMixin",
    "SoftDeleteQuerySet",
    "is_soft_delete_model",
]
