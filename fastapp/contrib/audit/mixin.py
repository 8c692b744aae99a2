"""``AuditMixin``: a model whose creates, updates and deletes are recorded.

Instance writes (``save``, ``create``, ``delete``; soft delete's ``delete`` and ``restore``)
and the model's queryset ``update()`` and ``delete()`` go through here; each change and its
:class:`~fastapp.contrib.audit.models.AuditEntry` share one transaction. Not recorded (no
hook exists for them): raw SQL, Tortoise's ``bulk_create``/``bulk_update``, and rows removed
by a database ``ON DELETE CASCADE``. The PostgreSQL trigger mode records those too.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, ClassVar

from tortoise.exceptions import ConfigurationError
from tortoise.manager import Manager
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.signals import Signals

from fastapp.contrib.audit import record, triggers
from fastapp.contrib.audit.context import current_actor
from fastapp.contrib.audit.models import CREATE, DELETE, RESTORE, SOFT_DELETE, UPDATE
from fastapp.models.softdelete import (
    DELETED_AT,
    SoftDeleteManager,
    SoftDeleteQuerySet,
    is_soft_delete_model,
)
from fastapp.tortoise import units

#: Set while an instance's soft delete/restore runs its one-row queryset update, so the
#: entry it writes is not marked ``bulk``.
_single: ContextVar[bool] = ContextVar("fastapp_audit_single", default=False)
_CHUNK = 500  # pks per statement: under SQLite's bound-parameter limit everywhere


def _is_audited(model: type) -> bool:
    return isinstance(model, type) and issubclass(model, AuditMixin)


def _column_key(model: type, name: str, value: Any) -> tuple[str, Any]:
    """``update(author=user)`` -> ``("author_id", user.pk)``; other fields unchanged."""
    meta = model._meta
    if name in meta.fk_fields or name in meta.o2o_fields:
        field = meta.fields_map[name]
        return field.source_field, (None if value is None else getattr(value, "pk", value))
    return name, value


def _saved_keys(model: type, names: Any) -> set[str] | None:
    """The recorded keys of the field names ``names`` (``author`` -> ``author_id``); ``None``
    for all."""
    if names is None:
        return None
    meta = model._meta
    keys = set(names)
    for name in names:
        if name in meta.fk_fields or name in meta.o2o_fields:
            keys.add(meta.fields_map[name].source_field)
    return keys


def _kind(model: type, keys: list[str], old: dict, new: dict) -> str:
    if is_soft_delete_model(model) and keys == [DELETED_AT]:
        if old[DELETED_AT] is None and new[DELETED_AT] is not None:
            return SOFT_DELETE
        if old[DELETED_AT] is not None and new[DELETED_AT] is None:
            return RESTORE
    return UPDATE


class AuditQuerySet(QuerySet):
    """The queryset of an audited model: ``update()`` and ``delete()`` record one entry per
    row they change (``bulk=True``), in the same transaction.

    The rows are read first (``SELECT ... FOR UPDATE`` where the backend has it), then
    changed by primary key, so exactly the recorded rows change.
    """

    def update(self, **kwargs: Any) -> Any:  # awaitable, like QuerySet.update
        return self._audited_update(kwargs)

    def delete(self) -> Any:  # awaitable, like QuerySet.delete
        return self._audited_delete()

    def _plain(self, conn: Any) -> QuerySet:
        return QuerySet(self.model).using_db(conn)

    async def _audited_update(self, kwargs: dict[str, Any]) -> int:
        model = self.model
        db = self._db or model._choose_db(True)
        pk = model._meta.pk_attr
        pairs = [_column_key(model, name, value) for name, value in kwargs.items()]
        keys = sorted({key for key, _ in pairs if key in record.audited_fields(model)})
        plain = all(record.is_plain(value) for _, value in pairs)
        async with units.unit(db) as conn:
            if module := triggers.by_trigger(model, conn):
                await triggers.before_write(module, model, conn, current_actor())
                return await QuerySet.update(self.using_db(conn), **kwargs)
            rows = await self.using_db(conn).select_for_update().values(*dict.fromkeys((pk, *keys)))
            pks = [row[pk] for row in rows]
            count = 0
            for start in range(0, len(pks), _CHUNK):
                chunk = self._plain(conn).filter(pk__in=pks[start : start + _CHUNK])
                count += await QuerySet.update(chunk, **kwargs)
            if not keys or not pks:
                return count
            if plain:
                values = {k: record.normalised(model, k, v) for k, v in pairs if k in keys}
                after = {row[pk]: values for row in rows}
            else:  # an expression: read what it gave
                after = {}
                for start in range(0, len(pks), _CHUNK):
                    chunk = self._plain(conn).filter(pk__in=pks[start : start + _CHUNK])
                    for row in await chunk.values(*dict.fromkeys((pk, *keys))):
                        after[row[pk]] = {k: record.jsonable(row[k]) for k in keys}
            bulk = not _single.get()
            entries = []
            for row in rows:
                old = {k: record.jsonable(row[k]) for k in keys}
                new = after.get(row[pk], {})
                changed = [k for k in keys if k in new and old[k] != new[k]]
                if changed:
                    changes = {k: [old[k], new[k]] for k in changed}
                    action = _kind(model, changed, old, new)
                    entries.append(record.entry(model, action, row[pk], changes, bulk=bulk))
            await record.write(conn, entries)
            return count

    async def _audited_delete(self) -> int:
        model = self.model
        db = self._db or model._choose_db(True)
        pk = model._meta.pk_attr
        fields = record.audited_fields(model)
        async with units.unit(db) as conn:
            if module := triggers.by_trigger(model, conn):
                await triggers.before_write(module, model, conn, current_actor())
                return await QuerySet.delete(self.using_db(conn))
            rows = (
                await self.using_db(conn).select_for_update().values(*dict.fromkeys((pk, *fields)))
            )
            pks = [row[pk] for row in rows]
            count = 0
            for start in range(0, len(pks), _CHUNK):
                chunk = self._plain(conn).filter(pk__in=pks[start : start + _CHUNK])
                count += await QuerySet.delete(chunk)
            await record.write(
                conn,
                (
                    record.entry(
                        model,
                        DELETE,
                        row[pk],
                        {k: [record.jsonable(row[k]), None] for k in fields},
                        bulk=True,
                    )
                    for row in rows
                ),
            )
            return count


class AuditSoftDeleteQuerySet(AuditQuerySet, SoftDeleteQuerySet):
    """Audited and soft-deleting: ``soft_delete()``/``restore()`` are recorded as such."""


class AuditManager(Manager):
    def get_queryset(self) -> AuditQuerySet:
        return AuditQuerySet(self._model)


class AuditSoftDeleteManager(SoftDeleteManager):
    def all_rows(self) -> AuditSoftDeleteQuerySet:
        return AuditSoftDeleteQuerySet(self._model)


class AuditMixin:
    """Mix into a model, first in the bases, to audit it::

        class Post(AuditMixin, Model): ...
        class Note(AuditMixin, SoftDeleteMixin, Model): ...

    ``audit_exclude = ("password",)`` leaves fields out of the recorded values. The old values
    of an update are those the instance was loaded (or last saved) with.
    """

    audit_exclude: ClassVar[tuple[str, ...]] = ()
    #: True: where the backend has the trigger mode (PostgreSQL), the database records this
    #: model's changes, made by anything (raw SQL too); elsewhere the application does.
    audit_triggers: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        meta = getattr(cls, "_meta", None)
        if meta is None:
            return
        mro = cls.__mro__
        if Model in mro and mro.index(Model) < mro.index(AuditMixin):
            raise ConfigurationError(
                f"{cls.__name__}: put AuditMixin first in the bases "
                f"(class {cls.__name__}(AuditMixin, Model)), else its writes are not recorded"
            )
        manager = meta.manager
        if isinstance(manager, (AuditManager, AuditSoftDeleteManager)):
            return
        if type(manager) is SoftDeleteManager:
            meta.manager = AuditSoftDeleteManager(cls)
        elif type(manager) is Manager:
            meta.manager = AuditManager(cls)
        else:
            raise ConfigurationError(
                f"{cls.__name__}: Meta.manager {type(manager).__name__} must subclass "
                "fastapp.contrib.audit.mixin.AuditManager (or AuditSoftDeleteManager) for its "
                "queryset writes to be recorded"
            )

    @classmethod
    def _init_from_db(cls, **kwargs: Any) -> Any:
        obj = super()._init_from_db(**kwargs)  # type: ignore[misc]
        if not obj._partial:
            object.__setattr__(obj, "_audit_old", record.snapshot(obj))
        return obj

    async def save(
        self,
        using_db: Any = None,
        update_fields: Any = None,
        force_create: bool = False,
        force_update: bool = False,
    ) -> None:
        db = using_db or self._choose_db(True)  # type: ignore[attr-defined]
        old = self.__dict__.get("_audit_old")
        kept = None if old is None else dict(old)
        try:
            async with units.unit(db) as conn:
                if module := triggers.by_trigger(type(self), conn):
                    await triggers.before_write(module, type(self), conn, current_actor())
                elif self._update_count_unread(update_fields, force_create, force_update):
                    units.next_write_waits(conn)
                await super().save(conn, update_fields, force_create, force_update)  # type: ignore[misc]
        except BaseException:
            # Nothing was saved: the old values are still those of the database.
            object.__setattr__(self, "_audit_old", kept)
            raise

    def _update_count_unread(
        self, update_fields: Any, force_create: bool, force_update: bool
    ) -> bool:
        """Whether ``Model.save`` will run an UPDATE as its next statement and not read its
        count: an existing row, not ``force_update``, and no signal handler or async default
        to run a statement of its own before it, or to act on a save not yet done after it."""
        if force_create or force_update or self.pk is None:  # type: ignore[attr-defined]
            return False
        if not (self._saved_in_db or update_fields) or self._await_when_save:  # type: ignore[attr-defined]
            return False  # an insert, or async defaults that may query first
        listeners = self._listeners  # type: ignore[attr-defined]
        return not any(
            listeners.get(signal, {}).get(type(self)) for signal in (Signals.pre_save, Signals.post_save)
        )

    async def _post_save(
        self, using_db: Any = None, created: bool = False, update_fields: Any = None
    ) -> None:
        if triggers.by_trigger(type(self), using_db):  # the database records it
            await super()._post_save(using_db, created, update_fields)  # type: ignore[misc]
            return
        new = record.snapshot(self)
        old = None if created else self.__dict__.get("_audit_old")
        saved = _saved_keys(type(self), update_fields)
        keys = [n for n in new if created or saved is None or n in saved]
        if old is None:  # created, or never loaded (the old values are unknown)
            changes = {k: [None, new[k]] for k in keys}
        else:
            changes = {k: [old.get(k), new[k]] for k in keys if old.get(k) != new[k]}
        if created or changes:
            action = CREATE if created else UPDATE
            entry = record.entry(type(self), action, self.pk, changes, bulk=False)  # type: ignore[attr-defined]
            await record.write(using_db, [entry])
        if old is None or saved is None:
            object.__setattr__(self, "_audit_old", new)
        else:  # the fields not saved keep their loaded values: still pending
            old.update({k: new[k] for k in keys})
        await super()._post_save(using_db, created, update_fields)  # type: ignore[misc]

    async def delete(self, using_db: Any = None, **kwargs: Any) -> None:
        model = type(self)
        if is_soft_delete_model(model) and not kwargs.get("hard", False):
            # SoftDeleteMixin runs a one-row queryset update: the queryset records it.
            token = _single.set(True)
            try:
                await super().delete(using_db=using_db, **kwargs)  # type: ignore[misc]
            finally:
                _single.reset(token)
            self._keep(DELETED_AT)
            return
        db = using_db or self._choose_db(True)  # type: ignore[attr-defined]
        old = record.snapshot(self)
        async with units.unit(db) as conn:
            if module := triggers.by_trigger(model, conn):
                await triggers.before_write(module, model, conn, current_actor())
                await super().delete(using_db=conn, **kwargs)  # type: ignore[misc]
                return
            await super().delete(using_db=conn, **kwargs)  # type: ignore[misc]
            changes = {k: [v, None] for k, v in old.items()}
            await record.write(conn, [record.entry(model, DELETE, self.pk, changes, bulk=False)])  # type: ignore[attr-defined]

    async def restore(self, using_db: Any = None) -> Any:
        token = _single.set(True)
        try:
            result = await super().restore(using_db)  # type: ignore[misc]
        finally:
            _single.reset(token)
        self._keep(DELETED_AT)
        return result

    async def refresh_from_db(self, fields: Any = None, using_db: Any = None) -> None:
        await super().refresh_from_db(fields, using_db)  # type: ignore[misc]
        old = self.__dict__.get("_audit_old")
        new = record.snapshot(self)
        saved = _saved_keys(type(self), fields)
        if old is None or saved is None:
            object.__setattr__(self, "_audit_old", new)
        else:
            old.update({k: v for k, v in new.items() if k in saved})

    def _keep(self, name: str) -> None:
        old = self.__dict__.get("_audit_old")
        if old is not None and name in old:
            old[name] = record.jsonable(getattr(self, name))


def trigger_tables(apps: Any, alias: str) -> tuple[list[triggers.TriggerTable], list[str]]:
    """The trigger-mode tables of the installed ``apps`` stored on ``alias`` (and their
    models' names), in the current Tortoise context."""
    from tortoise.context import require_context

    labels = {app.label for app in apps}
    models = sorted(
        (
            m
            for m in require_context().apps.get_models_iterable()
            if m._meta.app in labels
            and m._meta.default_connection == alias
            and _is_audited(m)
            and triggers.wants_triggers(m)
            and not m._meta.abstract
        ),
        key=lambda m: m._meta.db_table,
    )
    tables = []
    for m in models:
        columns = m._meta.fields_db_projection
        tables.append(
            triggers.TriggerTable(
                table=m._meta.db_table,
                app_label=m._meta.app,
                model=m.__name__.lower(),
                pk_column=m._meta.db_pk_column,
                soft_delete_column=columns[DELETED_AT] if is_soft_delete_model(m) else "",
                excluded_columns=tuple(columns[f] for f in m.audit_exclude if f in columns),
            )
        )
    return tables, [f"{m._meta.app}.{m.__name__}" for m in models]
