"""Tables that Tortoise's tools keep for themselves in the application's database."""

from __future__ import annotations

#: The applied-migration records of Tortoise's migrations (and so of ``fastapp upgrade``) and
#: of aerich. No model declares them, yet dropping one would erase the migration history:
#: the declarative engine leaves them alone.
BOOKKEEPING_TABLES = frozenset({"tortoise_migrations", "aerich"})
