"""The FastappError tree.

Library code raises these; the CLI's single error boundary (``fastapp.cli``) prints the
message as one line and exits 1. Messages name the thing at fault and the fix.
"""

from __future__ import annotations


class FastappError(Exception):
    """Base of every error fastapp reports to the user as one line."""


class SettingsError(FastappError):
    """The settings module is missing, does not import, or holds invalid values."""


class DatabaseURLError(SettingsError):
    """A database URL or DATABASES entry cannot be understood."""


class IncompleteBackendError(FastappError):
    """A backend's hub (:mod:`fastapp.dialects`) does not name every part, or names a module
    that does not exist: refused when the backend is registered."""


class UnknownAppError(FastappError):
    """An app label or model name that is not installed."""


class DatabaseUnavailableError(FastappError):
    """A database server cannot be reached, refuses us, or the database does not exist."""


class SchemaError(FastappError):
    """The models or a schema cannot be turned into DDL (cycles, missing references...)."""


class ParsedSchemaError(SchemaError):
    """DDL text the parse fallback (:mod:`fastapp.desired.parse`) cannot turn into a Schema:
    names ``source:line`` and the cause.

    ``source``, ``line`` and ``reason`` are kept as attributes for callers that re-word it.
    """

    #: What the message suggests: the scratch-space path reads any DDL the server accepts.
    FIX = "grant the scratch-space right so the DDL is applied and read back instead"

    def __init__(self, source: str, line: int, reason: str) -> None:
        self.source, self.line, self.reason = source, line, reason
        super().__init__(f"{source}:{line}: {reason}; {self.FIX}")


class FixtureError(FastappError):
    """A fixture cannot be read, understood or loaded; nothing was written."""


class ExecutionError(FastappError):
    """A statement failed while applying changes; the message names the statement."""


class AbortedByUser(FastappError):
    """The user answered no (or quit) at a guided prompt."""


class UnsupportedTortoiseError(FastappError):
    """The installed Tortoise lacks a private name fastapp's start-up workarounds rely on."""


class VersionsError(FastappError):
    """Versioned migrations: a file, the graph, the recorded state or a target is wrong;
    nothing was applied."""


class MigrationFileError(VersionsError):
    """A migration file does not import or holds no ``Migration`` class."""


class MigrationGraphError(VersionsError):
    """Migrations depend on missing migrations, an applied one has no file, or an app has
    two heads."""


class MigrationTargetError(VersionsError):
    """An upgrade/downgrade/stamp target that does not exist or cannot be reached."""


class IrreversibleMigrationError(VersionsError):
    """A downgrade would have to reverse an operation that cannot be reversed."""


class SchemaDriftError(VersionsError):
    """After ``upgrade --strict``, the database differs from the models."""


class HookError(FastappError):
    """A post-migrate hook failed (:mod:`fastapp.hooks`); the message names its app and name."""


class AuthError(FastappError):
    """fastapp.contrib.auth: an unknown or existing user, a password that does not do."""


class WeakPasswordError(AuthError):
    """A password that fails the strength checks; the message lists every reason."""


class UnknownPermissionError(AuthError):
    """``require_permission`` names a permission that does not exist (found at start-up)."""


class PurgeError(FastappError):
    """``purge_deleted`` cannot run as asked (a bad age, a failed delete: nothing purged)."""


class ListSpecError(FastappError):
    """A ``fastapp.api.ListSpec`` declaration names a field or operator that cannot work."""
