"""What a FastAPI application imports from fastapp (install ``fastapp[fastapi]``).

::

    from fastapi import FastAPI
    from fastapp.runtime import Transaction, exception_handlers, lifespan

    app = FastAPI(lifespan=lifespan(), exception_handlers=exception_handlers())

    @app.post("/items")
    async def create(tx: Transaction): ...

The lifespan initialises Tortoise with the CLI's own config (:func:`fastapp.conf.tortoise_config`)
through Tortoise's ``RegisterTortoise`` and checks the schema at start-up; ``Transaction``
commits a request's writes before its response is sent. Nothing here changes process-wide
state (signals, gc, sys.path).
"""

from fastapp.runtime.handlers import exception_handlers
from fastapp.runtime.lifespan import (
    SCHEMA_CHECK_ENV,
    SCHEMA_CHECK_MODES,
    SCHEMA_CHECK_SETTING,
    SchemaDriftError,
    check_schema,
    lifespan,
)
from fastapp.runtime.transactions import Transaction, transaction

__all__ = [
    "SCHEMA_CHECK_ENV",
    "SCHEMA_CHECK_MODES",
    "SCHEMA_CHECK_SETTING",
    "SchemaDriftError",
    "Transaction",
    "check_schema",
    "exception_handlers",
    "lifespan",
    "transaction",
]
