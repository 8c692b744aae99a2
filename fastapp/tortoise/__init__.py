"""Everything that touches Tortoise internals: the per-command init context, the DDL Tortoise
generates for the models, and the start-up workarounds (scoped, pinned, checked)."""
