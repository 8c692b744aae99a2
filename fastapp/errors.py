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


class UnknownAppError(FastappError):
    """An app label or model name that is not installed."""


class DatabaseUnavailableError(FastappError):
    """A database server cannot be reached, refuses us, or the database does not exist."""


class SchemaError(FastappError):
    """The models or a schema cannot be turned into DDL (cycles, missing references...)."""


class FixtureError(FastappError):
    """A fixture cannot be read, understood or loaded; nothing was written."""


class ExecutionError(FastappError):
    """A statement failed while applying changes; the message names the statement."""


class AbortedByUser(FastappError):
    """The user answered no (or quit) at a guided prompt."""


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
