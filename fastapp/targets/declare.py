"""The ``TARGETS`` setting read into named targets, and ``--targets`` read against them.

A target is the project pointed at another database (or another PostgreSQL schema of one
database): every app of the project on that one connection. ``TARGETS`` takes one of:

* a list of URLs (each named by its database, or SQLite file stem) or a dict name -> URL;
* ``{"template": "postgres://u@h/tenant_{tenant}", "tenants": [...]}``;
* ``{"schemas": [...], "database": "default"}`` (a connection name or a URL): one PostgreSQL
  schema per target, the connection's ``search_path`` set to it;
* any of these with ``"groups": {"canary": [names...]}`` (``--targets @canary``);
* a callable (or a ``"dotted.path:function"`` string), sync or async, returning any of the
  above -- ``tenants`` and ``schemas`` may be such a callable too (read a registry table).
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from fastapp.errors import DatabaseURLError, SettingsError, TargetsError

if TYPE_CHECKING:
    from fastapp.connections.url import DatabaseConfig
    from fastapp.settings import Settings

#: The placeholder of a URL template.
PLACEHOLDER = "tenant"
_FORMS = ("urls", "template", "schemas")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Target:
    """One place a fanned-out command runs: a name and the connection every app uses."""

    name: str
    database: DatabaseConfig

    def describe(self) -> str:
        """Where the target is, password masked (``url?schema=...`` for a schema target)."""
        return self.database.url()


@dataclass(frozen=True)
class Targets:
    """Every declared target in declaration order, and the named groups."""

    targets: tuple[Target, ...]
    groups: Mapping[str, tuple[str, ...]]

    def names(self) -> list[str]:
        return [t.name for t in self.targets]

    def select(self, spec: str) -> list[Target]:
        """The targets ``--targets`` names: ``all``, ``NAME,NAME,...`` or ``@GROUP`` (the
        forms may be mixed, comma-separated), in declaration order. Raises
        :class:`TargetsError` naming an unknown target or group."""
        by_name = {t.name: t for t in self.targets}
        wanted: set[str] = set()
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            if part == "all":
                wanted.update(by_name)
            elif part.startswith("@"):
                group = part[1:]
                if group not in self.groups:
                    known = ", ".join("@" + g for g in sorted(self.groups)) or "none declared"
                    raise TargetsError(
                        f"unknown target group {part!r} (groups: {known}); declare it in "
                        "TARGETS['groups']"
                    )
                wanted.update(self.groups[group])
            elif part in by_name:
                wanted.add(part)
            else:
                raise TargetsError(
                    f"unknown target {part!r}: {_known(self.names())}; use --targets all, "
                    "NAME,... or @GROUP"
                )
        if not wanted:
            raise TargetsError("--targets names no target: use all, NAME,... or @GROUP")
        return [t for t in self.targets if t.name in wanted]


def _known(names: Sequence[str]) -> str:
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return f"declared targets are {shown}" if names else "no target is declared"


async def declared_targets(settings: Settings) -> Targets:
    """The targets of ``settings.targets`` (the ``TARGETS`` setting), callables called.

    Raises :class:`TargetsError` for a missing or malformed declaration, a duplicate name or
    two targets that are the same database (naming it), a template without ``{tenant}``.
    """
    where = f"{settings.module or 'settings'}.TARGETS"
    declared = await _value(settings.targets, where)
    if declared is None:
        raise TargetsError(
            f"--targets needs a TARGETS setting in {settings.module or 'the settings module'}: "
            "a list of URLs, a URL template with tenants, or PostgreSQL schemas (docs/fanout.md)"
        )
    groups: Mapping[str, Any] = {}
    if isinstance(declared, Mapping) and any(form in declared for form in _FORMS):
        forms = [form for form in _FORMS if form in declared]
        if len(forms) > 1:
            raise TargetsError(f"{where} declares {' and '.join(forms)}: keep exactly one form")
        groups = declared.get("groups") or {}
        extra = set(declared) - {*_FORMS, "groups", "tenants", "database"}
        if extra:
            raise TargetsError(
                f"{where} has unknown key(s) {', '.join(sorted(map(repr, extra)))}: "
                "use urls, template + tenants, or schemas + database, and groups"
            )
        form = forms[0]
        if form == "urls":
            targets = _from_urls(await _value(declared["urls"], f"{where}['urls']"), where)
        elif form == "template":
            targets = await _from_template(declared, where)
        else:
            targets = await _from_schemas(declared, settings, where)
    elif isinstance(declared, Mapping) and "groups" in declared:
        raise TargetsError(f"{where} declares groups but no targets: add urls, template or schemas")
    else:
        targets = _from_urls(declared, where)
    _refuse_duplicates(targets, where)
    return Targets(tuple(targets), _groups(groups, {t.name for t in targets}, where))


async def _value(value: Any, where: str) -> Any:
    """``value``, or what it returns when it is a callable or a ``module:function`` path."""
    if isinstance(value, str) and ":" in value and "://" not in value:
        module_name, _, attr = value.partition(":")
        try:
            value = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise TargetsError(f"{where}: cannot import {value!r}: {exc}") from exc
    if callable(value):
        try:
            value = value()
            if inspect.isawaitable(value):
                value = await value
        except Exception as exc:
            raise TargetsError(
                f"{where}: the function listing the targets failed: {type(exc).__name__}: {exc}"
            ) from exc
    return value


def _from_urls(urls: Any, where: str) -> list[Target]:
    from fastapp.connections.url import parse_database_url

    if isinstance(urls, str) or not isinstance(urls, Mapping | Iterable):
        raise TargetsError(f"{where} must be a list of URLs or a dict of name -> URL")
    pairs = urls.items() if isinstance(urls, Mapping) else ((None, url) for url in urls)
    targets = []
    for name, url in pairs:
        if not isinstance(url, str):
            raise TargetsError(f"{where}: {url!r} is not a database URL")
        try:
            cfg = parse_database_url(url)
        except DatabaseURLError as exc:
            raise TargetsError(f"{where}: {exc}") from None
        targets.append(Target(_checked_name(name or _name_of(cfg), where), cfg))
    return targets


def _name_of(cfg: DatabaseConfig) -> str:
    return PurePath(cfg.name).stem if not cfg.dialect.needs_server else cfg.name


def _checked_name(name: Any, where: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise TargetsError(
            f"{where}: target name {name!r} must be letters, digits, '_', '-' or '.' "
            "(it is typed on the command line)"
        )
    return name


async def _from_template(declared: Mapping[str, Any], where: str) -> list[Target]:
    template = declared["template"]
    if not isinstance(template, str) or "{" + PLACEHOLDER + "}" not in template:
        raise TargetsError(
            f"{where}['template'] must be a URL containing {{{PLACEHOLDER}}} "
            "(e.g. postgres://user@host/tenant_{tenant}); without it every tenant is the "
            "same database"
        )
    if "tenants" not in declared:
        raise TargetsError(f"{where} has a template but no 'tenants' (a list, or a callable)")
    tenants = await _names(declared["tenants"], f"{where}['tenants']")
    urls = {}
    for tenant in tenants:
        if tenant in urls:
            raise TargetsError(f"{where}['tenants'] lists tenant {tenant!r} twice")
        urls[tenant] = template.replace("{" + PLACEHOLDER + "}", tenant)
    return _from_urls(urls, where)


async def _from_schemas(
    declared: Mapping[str, Any], settings: Settings, where: str
) -> list[Target]:
    from fastapp.connections.url import parse_database_url

    database = declared.get("database") or settings.default_connection
    try:
        base = (
            parse_database_url(database) if "://" in str(database) else settings.database(database)
        )
        schemas = await _names(declared["schemas"], f"{where}['schemas']")
        targets = [Target(_checked_name(s, where), base.with_namespace(s)) for s in schemas]
    except SettingsError as exc:
        raise TargetsError(f"{where}: {exc}") from None
    return targets


async def _names(value: Any, where: str) -> list[str]:
    names = await _value(value, where)
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise TargetsError(f"{where} must be a list of names (or a callable returning one)")
    names = list(names)
    for name in names:
        _checked_name(name, where)
    return names


def _refuse_duplicates(targets: list[Target], where: str) -> None:
    names: dict[str, Target] = {}
    places: dict[tuple, Target] = {}
    for target in targets:
        if target.name in names:
            raise TargetsError(
                f"{where} yields two targets named {target.name!r}: give each its own name"
            )
        names[target.name] = target
        cfg = target.database
        place = (cfg.dialect_name, cfg.host, cfg.port, cfg.name, cfg.namespace)
        if place in places:
            raise TargetsError(
                f"{where} yields the same database twice: targets {places[place].name!r} and "
                f"{target.name!r} are both {target.describe()}"
            )
        places[place] = target


def _groups(groups: Any, names: set[str], where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(groups, Mapping):
        raise TargetsError(f"{where}['groups'] must be a dict of group -> list of target names")
    found = {}
    for group, members in groups.items():
        if isinstance(members, str) or not isinstance(members, Iterable):
            raise TargetsError(f"{where}['groups'][{group!r}] must be a list of target names")
        members = tuple(members)
        unknown = [m for m in members if m not in names]
        if unknown:
            raise TargetsError(
                f"{where}['groups'][{group!r}] names unknown target(s) "
                f"{', '.join(map(repr, unknown))}"
            )
        found[str(group)] = members
    return found
