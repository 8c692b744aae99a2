"""Soft delete: a ``deleted_at`` timestamp and a default manager that hides deleted rows.

Tortoise routes every model-level query (``all``, ``filter``, ``get``, ``count`` through
them, ``exists``, ``get_or_none``, ``first``, ``in_bulk``) and every related lookup (forward
and reverse relations, ``prefetch_related``) through ``Model._meta.manager``; replacing that
manager is enough to hide deleted rows everywhere. ``select_related`` joins and raw SQL are
the exceptions: they do not pass through a manager.
"""

from __future__ import annotations

from copy import copy
from typing import Any, Self

from tortoise import fields, timezone
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import ConfigurationError, OperationalError
from tortoise.manager import Manager
from tortoise.models import Model
from tortoise.queryset import QuerySet

#: The column (and field) that marks a row as deleted.
DELETED_AT = "deleted_at"


class SoftDeleteQuerySet(QuerySet):
    """A queryset with bulk soft delete and restore."""

    async def soft_delete(self) -> int:
        """Mark the live rows of this queryset deleted (now, UTC); returns how many."""
        return await self.filter(**{f"{DELETED_AT}__isnull": True}).update(
            **{DELETED_AT: timezone.now()}
        )

    async def restore(self) -> int:
        """Clear ``deleted_at`` on the deleted rows of this queryset; returns how many.

        Start from ``Model.only_deleted()`` or ``Model.with_deleted()``: the default
        queryset holds no deleted rows to restore.
        """
        return await self.filter(**{f"{DELETED_AT}__isnull": False}).update(**{DELETED_AT: None})


class SoftDeleteManager(Manager):
    """The default manager of a soft-delete model: live rows only."""

    def all_rows(self) -> SoftDeleteQuerySet:
        return SoftDeleteQuerySet(self._model)

    def get_queryset(self) -> SoftDeleteQuerySet:
        return self.all_rows().filter(**{f"{DELETED_AT}__isnull": True})


def is_soft_delete_model(model: Any) -> bool:
    """Whether ``model`` (a Tortoise model class) uses :class:`SoftDeleteMixin`."""
    return isinstance(model, type) and issubclass(model, SoftDeleteMixin)


class SoftDeleteMixin:
    """Mix into a model (``class Post(SoftDeleteMixin, Model)``) to soft-delete it.

    ``await obj.delete()`` sets ``deleted_at``; ``Post.all()``/``filter()``/``get()``,
    counts and related lookups see live rows only; ``Post.with_deleted()`` and
    ``Post.only_deleted()`` see the others. A model's own ``Meta.manager`` must subclass
    :class:`SoftDeleteManager`.
    """

    # No index of its own: nearly every row is live, so an index on deleted_at never helps a
    # list query, and SQLite's planner picks it (IS NULL) over the sort's index, sorting the
    # whole table for every page (bench/api.py). LiveUnique indexes carry the condition.
    deleted_at = fields.DatetimeField(null=True, default=None)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        meta = getattr(cls, "_meta", None)
        if meta is None:  # a plain subclass of the mixin, not a model yet
            return
        mro = cls.__mro__
        if Model in mro and mro.index(Model) < mro.index(SoftDeleteMixin):
            # class Post(Model, SoftDeleteMixin): Model.delete would win, deleting for good
            # (a mixin listed before SoftDeleteMixin may wrap delete; it still reaches ours)
            raise ConfigurationError(
                f"{cls.__name__}: put SoftDeleteMixin before Model in the bases "
                f"(class {cls.__name__}(SoftDeleteMixin, Model)), else delete() removes rows"
            )
        if meta.fields_map.get(DELETED_AT) is SoftDeleteMixin.__dict__[DELETED_AT]:
            # Tortoise hands a plain mixin's Field object itself to every model using it, and
            # then points field.model at each in turn; each model gets its own copy instead.
            meta.fields_map[DELETED_AT] = copy(meta.fields_map[DELETED_AT])
        manager = meta.manager
        if isinstance(manager, SoftDeleteManager):
            return
        if type(manager) is not Manager:
            raise ConfigurationError(
                f"{cls.__name__}: Meta.manager {type(manager).__name__} must subclass "
                "fastapp.models.SoftDeleteManager to hide soft-deleted rows"
            )
        # ModelMeta binds the manager to the class right after this hook returns.
        meta.manager = SoftDeleteManager(cls)

    @property
    def is_deleted(self) -> bool:
        return getattr(self, DELETED_AT) is not None

    @classmethod
    def with_deleted(cls, using_db: BaseDBAsyncClient | None = None) -> SoftDeleteQuerySet:
        """Live and deleted rows."""
        qs = cls._meta.manager.all_rows()  # type: ignore[attr-defined]
        return qs.using_db(using_db) if using_db else qs

    @classmethod
    def only_deleted(cls, using_db: BaseDBAsyncClient | None = None) -> SoftDeleteQuerySet:
        """Deleted rows only."""
        return cls.with_deleted(using_db).filter(**{f"{DELETED_AT}__isnull": False})

    def _own_row(self, using_db: BaseDBAsyncClient | None) -> QuerySet:
        if not self._saved_in_db:  # type: ignore[attr-defined]
            raise OperationalError("Can't delete or restore an unpersisted record")
        db = using_db or self._choose_db(True)  # type: ignore[attr-defined]
        return type(self).with_deleted(db).filter(pk=self.pk)  # type: ignore[attr-defined]

    async def delete(
        self, using_db: BaseDBAsyncClient | None = None, *, hard: bool = False
    ) -> None:
        """Soft-delete this row (set ``deleted_at``), or remove it with ``hard=True``."""
        if hard:
            await super().delete(using_db=using_db)  # type: ignore[misc]
            return
        row = self._own_row(using_db)
        if self.is_deleted:
            return
        now = timezone.now()
        await row.update(**{DELETED_AT: now})
        setattr(self, DELETED_AT, now)

    async def restore(self, using_db: BaseDBAsyncClient | None = None) -> Self:
        """Make this row live again (clear ``deleted_at``); returns it."""
        await self._own_row(using_db).update(**{DELETED_AT: None})
        setattr(self, DELETED_AT, None)
        return self
