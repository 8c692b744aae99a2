"""``fastapp.contrib.audit``: an audit log of data changes.

Models opt in with :class:`~.mixin.AuditMixin`; every create, update and delete (soft delete
and restore too, and bulk updates and deletes through the model's querysets) writes an
:class:`~.models.AuditEntry` in the same transaction as the change: who
(:func:`~.context.actor`, or the request's user through :func:`~.web.audited`), when, which
object (app label, model, pk) and the changed fields with their old and new values. Query it
with :mod:`.queries`; ``fastapp prune_audit`` removes old entries. See ``docs/contrib.md``.
"""
