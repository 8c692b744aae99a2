"""Reading the audit log. Each function returns a queryset of
:class:`~fastapp.contrib.audit.models.AuditEntry` (oldest first): await it, or narrow it
further (``.filter(action="delete")``, ``.limit(20)``, ``.using_db(conn)``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.queryset import QuerySet

from fastapp.contrib.audit.models import AuditEntry
from fastapp.contrib.audit.record import jsonable, natural_key


def history(obj_or_model: Any, pk: Any = None) -> QuerySet[AuditEntry]:
    """Every change of one object: ``history(post)`` or ``history(Post, 42)`` (also after the
    row, or its model, is gone)."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    if pk is None:
        if isinstance(obj_or_model, type):
            raise ValueError("history(Model, pk): give the pk of the object")
        pk = obj_or_model.pk
    app_label, name = natural_key(model)
    return AuditEntry.filter(app_label=app_label, model=name, object_pk=str(jsonable(pk)))


def actor_name(user: Any) -> str:
    """The name recorded for ``user``: its ``username`` when it has one, else ``str(user)``."""
    if isinstance(user, str):
        return user
    return str(getattr(user, "username", None) or user)


def changes_by(
    user: Any, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[AuditEntry]:
    """The changes made by ``user`` (a user object or the actor's name), optionally within
    ``[since, until)``."""
    return changes_between(since, until).filter(actor=actor_name(user))


def changes_between(
    since: datetime | None = None, until: datetime | None = None, model: Any = None
) -> QuerySet[AuditEntry]:
    """The changes made at or after ``since`` and before ``until`` (either may be open), of
    every model or of ``model`` only."""
    qs = AuditEntry.all()
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    if model is not None:
        app_label, name = natural_key(model)
        qs = qs.filter(app_label=app_label, model=name)
    return qs
