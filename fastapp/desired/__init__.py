"""The desired side: models or a DDL file -> Schema, through a scratch space (``scratch``) or,
where none is allowed, the sqlglot parse fallback (``parse``, ``ddl_readers``); ``cache``
keeps what a scratch space gave. ``read`` is the entry point."""
