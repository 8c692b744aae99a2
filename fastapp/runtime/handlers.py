"""Tortoise's lookup and constraint errors as HTTP answers."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import DoesNotExist, IntegrityError


def exception_handlers() -> dict[type[Exception], Any]:
    """``FastAPI(exception_handlers=...)`` entries: ``DoesNotExist`` -> 404, ``IntegrityError``
    -> 409, each with a JSON ``{"detail": ...}`` body.

    The 409 body does not repeat the database's message: it can quote the conflicting values.
    """
    from fastapi.responses import JSONResponse

    async def not_found(request: Any, exc: DoesNotExist) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc) or "not found"})

    async def conflict(request: Any, exc: IntegrityError) -> JSONResponse:
        return JSONResponse(
            status_code=409,
            content={
                "detail": "the request conflicts with existing data (a unique or related record)"
            },
        )

    return {DoesNotExist: not_found, IntegrityError: conflict}
