"""Tables that Tortoise's tools keep for themselves in the application's database."""

from __future__ import annotations

#: fastapp's own: the statements of a migration that ran on a backend without transactional
#: DDL before it was interrupted (:mod:`fastapp.versions.progress`); present only then.
PROGRESS_TABLE = "fastapp_migration_progress"
#: The applied-migration records of Tortoise's migrations (and so of ``fastapp upgrade``), of
#: aerich, and fastapp's progress table. No model declares them, yet dropping one would erase
#: the migration history: the declarative engine leaves them alone.
BOOKKEEPING_TABLES = frozenset({"tortoise_migrations", "aerich", PROGRESS_TABLE})
