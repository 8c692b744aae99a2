"""The page shapes a list endpoint returns."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a page/size listing; ``next``/``prev`` are absolute URLs (or null)."""

    items: list[T]
    total: int
    page: int
    size: int
    pages: int
    next: str | None = None
    prev: str | None = None


class OffsetPage(BaseModel, Generic[T]):
    """A page of a limit/offset listing; ``next``/``prev`` are absolute URLs (or null)."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next: str | None = None
    prev: str | None = None


class CursorPage(BaseModel, Generic[T]):
    """A page of a keyset listing: no total (counting would cost what keyset saves); ``next``
    is the URL of the following page and ``next_cursor`` its cursor (null on the last)."""

    items: list[T]
    size: int
    next: str | None = None
    next_cursor: str | None = None
