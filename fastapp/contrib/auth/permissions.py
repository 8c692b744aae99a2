"""Which permissions a user has; syncing the permissions of every installed model."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapp.errors import SchemaError

if TYPE_CHECKING:
    from tortoise.models import Model

    from fastapp.apps import AppConfig

#: The permissions every model gets: ``<action>_<model>``.
DEFAULT_ACTIONS = ("add", "change", "delete", "view")


def model_permissions(model: type[Model]) -> list[tuple[str, str]]:
    """``(codename, name)`` of ``model``'s permissions: the default four, then the custom
    ones of its ``Meta.permissions`` (``(("publish_post", "Can publish posts"),)``)."""
    name = model.__name__.lower()
    wanted = [(f"{action}_{name}", f"Can {action} {name}") for action in DEFAULT_ACTIONS]
    custom = getattr(getattr(model, "Meta", None), "permissions", ())
    label = f"{model._meta.app}.{model.__name__}"
    if not isinstance(custom, list | tuple):
        raise SchemaError(
            f"{label}.Meta.permissions must be a tuple of (codename, name) pairs, not "
            f"{type(custom).__name__}"
        )
    for entry in custom:
        if (
            not isinstance(entry, list | tuple)
            or len(entry) != 2
            or not all(isinstance(part, str) and part for part in entry)
        ):
            raise SchemaError(
                f"{label}.Meta.permissions holds {entry!r}: each entry must be a "
                "(codename, name) pair of strings, e.g. ('publish_post', 'Can publish')"
            )
        if entry[0] not in {c for c, _ in wanted}:
            wanted.append((entry[0], entry[1]))
    return wanted


@dataclass
class PermissionSync:
    created: list[str] = field(default_factory=list)
    #: Permissions of installed models that no model declares any more.
    stale: list[str] = field(default_factory=list)


async def sync_permissions(apps: Iterable[AppConfig], connection: Any) -> PermissionSync:
    """Create the missing permissions of every installed model (content types first); find
    (never delete) those a model no longer declares."""
    from fastapp.contrib.auth.models import Permission
    from fastapp.contrib.contenttypes.models import ContentType
    from fastapp.contrib.contenttypes.sync import (
        installed_models,
        natural_key,
        sync_content_types,
    )

    apps = list(apps)
    await sync_content_types(apps, connection)
    types = {(t.app_label, t.model): t for t in await ContentType.all().using_db(connection)}
    existing = (
        await Permission.all().using_db(connection).values_list("content_type_id", "codename")
    )
    have = {(ct, code) for ct, code in existing}
    result = PermissionSync()
    new = []
    declared = set()
    for model in installed_models(apps):
        content_type = types[natural_key(model)]
        for codename, name in model_permissions(model):
            declared.add((content_type.id, codename))
            if (content_type.id, codename) not in have:
                new.append(Permission(name=name, codename=codename, content_type=content_type))
                result.created.append(f"{content_type.app_label}.{codename}")
    if new:
        await Permission.bulk_create(new, using_db=connection)
    live = {t.id: t for t in types.values()}
    installed = {natural_key(m) for m in installed_models(apps)}
    for ct_id, codename in sorted(have - declared):
        content_type = live.get(ct_id)
        if content_type is not None and (content_type.app_label, content_type.model) in installed:
            result.stale.append(f"{content_type.app_label}.{codename}")
    return result


async def all_permission_names(using_db: Any = None) -> set[str]:
    """Every permission, as ``app_label.codename``."""
    from fastapp.contrib.auth.models import Permission

    return await Permission.names(using_db)
