"""fastapp.contrib.audit without a database: declarations that cannot work are refused when
the class is built, values become JSON, actors nest per context, prune_audit's bad input."""

from __future__ import annotations

import asyncio
import enum
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from tortoise import fields
from tortoise.exceptions import ConfigurationError
from tortoise.manager import Manager
from tortoise.models import Model

from fastapp.contrib.audit.context import actor, current_actor
from fastapp.contrib.audit.mixin import AuditManager, AuditMixin, AuditSoftDeleteManager
from fastapp.contrib.audit.record import audited_fields, is_plain, jsonable
from fastapp.models import SoftDeleteMixin


def test_the_mixin_must_come_first():
    with pytest.raises(ConfigurationError, match="put AuditMixin first in the bases"):

        class Wrong(Model, AuditMixin):
            id = fields.IntField(primary_key=True)

            class Meta:
                app = "elsewhere"

    class OwnManager(Manager):
        pass

    with pytest.raises(ConfigurationError, match="must subclass fastapp.contrib.audit"):

        class Managed(AuditMixin, Model):
            id = fields.IntField(primary_key=True)

            class Meta:
                app = "elsewhere"
                manager = OwnManager()


def test_managers_and_recorded_fields():
    class Author(Model):
        id = fields.IntField(primary_key=True)

        class Meta:
            app = "elsewhere"

    class Audited(AuditMixin, Model):
        id = fields.IntField(primary_key=True)
        name = fields.CharField(max_length=10)
        password = fields.CharField(max_length=10)
        author = fields.ForeignKeyField("elsewhere.Author", null=True)
        audit_exclude = ("password",)

        class Meta:
            app = "elsewhere"

    class Both(AuditMixin, SoftDeleteMixin, Model):  # the mixins combine
        id = fields.IntField(primary_key=True)

        class Meta:
            app = "elsewhere"

    assert isinstance(Audited._meta.manager, AuditManager)
    assert isinstance(Both._meta.manager, AuditSoftDeleteManager)
    assert "password" not in audited_fields(Audited)
    assert {"id", "name"} <= set(audited_fields(Audited))


def test_values_become_json():
    class Colour(enum.Enum):
        RED = "red"

    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert jsonable(moment) == "2026-01-02T03:04:05+00:00"
    assert jsonable(date(2026, 1, 2)) == "2026-01-02"
    assert jsonable(Decimal("9.50")) == "9.50"
    assert jsonable(UUID(int=1)) == "00000000-0000-0000-0000-000000000001"
    assert jsonable(Colour.RED) == "red"
    assert jsonable(b"\x00\xff") == "AP8="
    assert jsonable({"a": (1, moment)}) == {"a": [1, "2026-01-02T03:04:05+00:00"]}
    assert jsonable(timedelta(minutes=1)) == 60.0
    assert is_plain(3) and is_plain("x") and is_plain(None)
    from tortoise.expressions import F

    assert not is_plain(F("views") + 1)


def test_actors_nest_and_stay_in_their_task():
    assert current_actor() is None
    with actor("job"):
        with actor("inner"):
            assert current_actor() == "inner"
        assert current_actor() == "job"

        async def other_task():
            with actor("task"):
                await asyncio.sleep(0)
                return current_actor()

        async def both():
            seen = await asyncio.gather(other_task(), asyncio.sleep(0, current_actor()))
            return seen, current_actor()

        assert asyncio.run(both()) == (["task", "job"], "job")
    assert current_actor() is None
    with pytest.raises(ValueError, match="non-empty name"):
        with actor(" "):
            pass


def test_prune_audit_bad_input(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("FASTAPP_SETTINGS", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite://{tmp_path}/db.sqlite3")
    (tmp_path / "settings.py").write_text("INSTALLED_APPS = []\n")
    import sys

    sys.modules.pop("settings", None)
    missing = cli("prune_audit", "--older-than", "30d")
    assert missing.exit_code == 1
    assert "fastapp.contrib.audit is not in INSTALLED_APPS" in missing.output
    bad = cli("prune_audit", "--older-than", "-5d")
    assert bad.exit_code == 1 and "is not an age" in bad.output
    assert "Traceback" not in missing.output + bad.output
    sys.modules.pop("settings", None)


def test_the_tortoise_hooks_audit_relies_on_are_there():
    # AuditMixin wraps these (Tortoise 1.1.x); a Tortoise that renames one fails here, not by
    # silently recording nothing.
    import inspect

    from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient

    for name in ("_init_from_db", "_post_save", "save", "delete", "refresh_from_db"):
        assert callable(getattr(Model, name)), name
    assert list(inspect.signature(Model._post_save).parameters) == [
        "self",
        "using_db",
        "created",
        "update_fields",
    ]
    assert hasattr(BaseDBAsyncClient, "_in_transaction")
    assert TransactionalDBClient._finalized is False
