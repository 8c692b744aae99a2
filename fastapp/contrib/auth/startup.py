"""The start-up check of auth (run by :func:`fastapp.runtime.lifespan`): every permission a
route requires must exist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapp.errors import UnknownPermissionError

if TYPE_CHECKING:
    from fastapp.apps import AppRegistry


def required_permissions(app: Any) -> dict[str, list[str]]:
    """Permission name -> the routes (``GET /path``) that require it, found in the
    dependency trees of ``app``'s routes."""
    found: dict[str, list[str]] = {}

    def walk(dependant: Any, where: str, seen: set[int]) -> None:
        call = getattr(dependant, "call", None)
        for perm in getattr(call, "fastapp_permissions", ()):
            found.setdefault(perm, [])
            if where not in found[perm]:
                found[perm].append(where)
        for sub in getattr(dependant, "dependencies", ()):
            if id(sub) not in seen:
                seen.add(id(sub))
                walk(sub, where, seen)

    for route in getattr(app, "routes", ()):
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            continue
        methods = ",".join(sorted(getattr(route, "methods", None) or ())) or "WS"
        walk(dependant, f"{methods} {route.path}", set())
    return found


async def check(app: Any, registry: AppRegistry) -> None:
    """Raise :class:`UnknownPermissionError` naming each unknown permission and its routes."""
    from fastapp.contrib.auth.permissions import all_permission_names

    wanted = required_permissions(app)
    if not wanted:
        return
    known = await all_permission_names()
    unknown = sorted(set(wanted) - known)
    if unknown:
        listed = "; ".join(f"{p} (required by {', '.join(wanted[p])})" for p in unknown)
        raise UnknownPermissionError(
            f"require_permission names permission(s) that do not exist: {listed}; fix the "
            "name, or declare it in the model's Meta.permissions and run `fastapp migrate`"
        )
