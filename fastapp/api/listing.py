"""``ListSpec``: what a list endpoint accepts; ``Listing``: one validated request of it."""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from fastapp.api.keyset import after, decode_cursor, encode_cursor
from fastapp.api.pages import CursorPage, OffsetPage, Page
from fastapp.api.values import (
    MAX_IN_VALUES,
    MAX_TEXT,
    OPERATORS,
    BadValue,
    FieldKind,
    field_kind,
    parse_bool,
)
from fastapp.errors import ListSpecError

#: The largest page number and offset accepted: far beyond any real listing, well inside
#: every backend's OFFSET.
MAX_PAGE = 10**9
MAX_OFFSET = 10**12


class _Errors:
    """422 errors in FastAPI's own shape, collected so one response names every problem."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, kind: str, param: str, msg: str, value: Any) -> None:
        self.items.append({"type": kind, "loc": ("query", param), "msg": msg, "input": value})

    def raise_any(self) -> None:
        if self.items:
            raise RequestValidationError(self.items)


@dataclass(frozen=True)
class _Compiled:
    filters: dict[str, tuple[FieldKind, frozenset[str]]]
    search: tuple[FieldKind, ...]
    sort: dict[str, FieldKind]
    default_sort: tuple[str, ...]
    pk: FieldKind


class ListSpec:
    """What a list endpoint of ``model`` accepts.

    ``filters``: field -> allowed operators (see ``docs/building-blocks.md``); ``search``:
    text fields searched case-insensitively by ``q``; ``sort``: fields ``sort`` may name
    (``-`` for descending); ``default_sort``: used when ``sort`` is absent (the primary key
    always comes last); ``default_size``/``max_size``: page size bounds; ``extra_params``:
    query parameters of the route itself, left alone. A declaration that cannot work raises
    :class:`~fastapp.errors.ListSpecError` (at once, or on first use for fields Tortoise
    adds at init, such as a foreign key's ``_id``).

    Its dependencies ``paged``, ``offset`` and ``keyset`` validate a request's query string
    into a :class:`Listing`, or answer 422 naming each bad parameter.
    """

    def __init__(
        self,
        model: Any,
        *,
        filters: Mapping[str, Iterable[str]] | None = None,
        search: Sequence[str] = (),
        sort: Sequence[str] = (),
        default_sort: Sequence[str] = (),
        default_size: int = 20,
        max_size: int = 100,
        extra_params: Sequence[str] = (),
        search_param: str = "q",
        sort_param: str = "sort",
    ) -> None:
        if not 1 <= default_size <= max_size:
            raise ListSpecError(
                f"ListSpec({model.__name__}): default_size {default_size} must be between 1 "
                f"and max_size {max_size}"
            )
        self.model = model
        self.filters = {name: tuple(ops) for name, ops in (filters or {}).items()}
        self.search = tuple(search)
        self.sort = tuple(sort)
        self.default_sort = tuple(default_sort)
        self.default_size = default_size
        self.max_size = max_size
        self.extra_params = frozenset(extra_params)
        self.search_param = search_param
        self.sort_param = sort_param
        if self._fields_known():
            _ = self._compiled

    def _fields_known(self) -> bool:
        names = {
            *self.filters,
            *self.search,
            *self.sort,
            *(s.lstrip("-") for s in self.default_sort),
        }
        return all(n in self.model._meta.fields_map for n in names)

    @cached_property
    def _compiled(self) -> _Compiled:
        label = f"ListSpec({self.model.__name__})"

        def kind_of(name: str, role: str) -> FieldKind:
            kind = field_kind(self.model, name)
            if kind is None:
                raise ListSpecError(
                    f"{label}: {role} field {name!r} is not a column field of "
                    f"{self.model.__name__} (a foreign key is filtered as {name}_id)"
                )
            return kind

        filters = {}
        for name, ops in self.filters.items():
            kind = kind_of(name, "filter")
            unknown = [op for op in ops if op not in OPERATORS]
            unfit = [op for op in ops if op in OPERATORS and op not in kind.operators()]
            if unknown or unfit or not ops:
                raise ListSpecError(
                    f"{label}: filter {name!r} cannot use {', '.join(unknown + unfit) or 'no operator'}"
                    f" (this field allows {', '.join(sorted(kind.operators()))})"
                )
            filters[name] = (kind, frozenset(ops))
        search = tuple(kind_of(n, "search") for n in self.search)
        for kind in search:
            if not kind.is_text or kind.is_enum:
                raise ListSpecError(f"{label}: search field {kind.name!r} is not a text field")
        sort = {n: kind_of(n, "sort") for n in self.sort}
        for token in self.default_sort:
            if token.lstrip("-") not in sort:
                raise ListSpecError(
                    f"{label}: default_sort {token!r} is not one of the sort fields "
                    f"({', '.join(self.sort) or 'none declared'})"
                )
        pk = field_kind(self.model, self.model._meta.pk_attr)
        if pk is None:
            raise ListSpecError(f"{label}: the primary key cannot be a sort key")
        return _Compiled(filters, search, sort, self.default_sort, pk)

    # -- the dependencies -----------------------------------------------------------------
    @cached_property
    def paged(self) -> Callable[..., Awaitable[Listing]]:
        """Dependency: page/size pages (``page`` from 1, ``size`` from 1 to ``max_size``)."""
        return self._dependency("paged", ("page", "size"))

    @cached_property
    def offset(self) -> Callable[..., Awaitable[Listing]]:
        """Dependency: limit/offset pages (``limit`` from 1 to ``max_size``, ``offset`` from
        0)."""
        return self._dependency("offset", ("limit", "offset"))

    @cached_property
    def keyset(self) -> Callable[..., Awaitable[Listing]]:
        """Dependency: keyset pages (``cursor`` from the previous page's ``next``, ``size``)."""
        return self._dependency("keyset", ("cursor", "size"))

    def _dependency(self, mode: str, paging: tuple[str, ...]) -> Callable[..., Awaitable[Listing]]:
        async def dependency(request: Request, **documented: Any) -> Listing:
            return self._listing(request, mode, paging)

        # The query string is read whole from the request (every parameter accounted for);
        # the signature only tells FastAPI, and so the OpenAPI schema, what is accepted.
        parameters = [
            inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request)
        ]
        for i, (name, description) in enumerate(self._documented(paging)):
            parameters.append(
                inspect.Parameter(
                    f"p{i}",
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=str | None,
                    default=Query(None, alias=name, description=description),
                )
            )
        dependency.__signature__ = inspect.Signature(parameters, return_annotation=Listing)  # type: ignore[attr-defined]
        dependency.__name__ = f"{self.model.__name__}_{mode}"
        return dependency

    def _documented(self, paging: tuple[str, ...]) -> list[tuple[str, str]]:
        found = []
        for name, ops in self.filters.items():
            for op in ops:
                param = name if op == "eq" else f"{name}__{op}"
                what = (
                    "comma-separated values"
                    if op == "in"
                    else "true or false"
                    if op == "isnull"
                    else "value"
                )
                found.append((param, f"filter: {name} {op} ({what})"))
        if self.search:
            found.append(
                (self.search_param, f"case-insensitive search in {', '.join(self.search)}")
            )
        if self.sort:
            found.append(
                (
                    self.sort_param,
                    f"comma-separated sort keys from {', '.join(self.sort)}; - for descending",
                )
            )
        texts = {
            "page": "page number, from 1",
            "size": f"page size, 1 to {self.max_size} (default {self.default_size})",
            "limit": f"page size, 1 to {self.max_size} (default {self.default_size})",
            "offset": "rows to skip, from 0",
            "cursor": "the next_cursor of the previous page",
        }
        found.extend((name, texts[name]) for name in paging)
        return found

    # -- reading a request ----------------------------------------------------------------
    def _listing(self, request: Request, mode: str, paging: tuple[str, ...]) -> Listing:
        spec = self._compiled
        errors = _Errors()
        params = request.query_params
        queryset = self.model.all()
        sort_tokens: list[str] = list(spec.default_sort)
        numbers: dict[str, int] = {}
        cursor: str | None = None
        for name in dict.fromkeys(params.keys()):
            values = params.getlist(name)
            if name in self.extra_params:
                continue
            if len(values) > 1:
                errors.add("repeated_parameter", name, f"{name} is given more than once", values)
                continue
            raw = values[0]
            if name == self.search_param and self.search:
                if len(raw) > MAX_TEXT or "\x00" in raw:
                    errors.add("invalid_value", name, f"{name}: too long or not text", raw)
                elif raw:
                    terms = [Q(**{f"{kind.name}__icontains": raw}) for kind in spec.search]
                    queryset = queryset.filter(Q(*terms, join_type="OR"))
            elif name == self.sort_param and self.sort:
                sort_tokens = self._sort_tokens(raw, spec, errors)
            elif name in paging:
                if name == "cursor":
                    cursor = raw
                else:
                    number = self._number(name, raw, errors)
                    if number is not None:
                        numbers[name] = number
            else:
                queryset = self._filter(queryset, name, raw, spec, errors)
        keys = self._keys(sort_tokens, spec)
        if mode == "keyset":
            nullable = [n for n, _ in keys if self._kind(n, spec).nullable]
            if nullable:
                errors.add(
                    "nullable_sort_key",
                    self.sort_param,
                    f"keyset pages need non-null sort keys; {', '.join(nullable)} can be null",
                    ",".join(sort_tokens),
                )
        cursor_values = None
        if cursor is not None and not errors.items:
            kinds = [self._kind(n, spec) for n, _ in keys]
            try:
                cursor_values = decode_cursor(cursor, sort_tokens, kinds)
            except BadValue as exc:
                errors.add("invalid_cursor", "cursor", f"cursor: {exc}", cursor)
        errors.raise_any()
        return Listing(
            spec=self,
            request=request,
            mode=mode,
            queryset=queryset,
            keys=keys,
            sort_tokens=tuple(sort_tokens),
            size=numbers.get("size", numbers.get("limit", self.default_size)),
            page=numbers.get("page", 1),
            offset=numbers.get("offset", 0),
            cursor_values=cursor_values,
        )

    def _kind(self, name: str, spec: _Compiled) -> FieldKind:
        return spec.pk if name == spec.pk.name else spec.sort[name]

    def _number(self, name: str, raw: str, errors: _Errors) -> int | None:
        low, high = {
            "page": (1, MAX_PAGE),
            "size": (1, self.max_size),
            "limit": (1, self.max_size),
            "offset": (0, MAX_OFFSET),
        }[name]
        text = raw.strip()
        if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 20:
            errors.add("int_parsing", name, f"{name} must be a whole number", raw)
            return None
        number = int(text)
        if not low <= number <= high:
            errors.add("out_of_range", name, f"{name} must be between {low} and {high}", raw)
            return None
        return number

    def _sort_tokens(self, raw: str, spec: _Compiled, errors: _Errors) -> list[str]:
        tokens = [t.strip() for t in raw.split(",") if t.strip()]
        seen: set[str] = set()
        for token in tokens:
            name = token[1:] if token.startswith("-") else token
            if name not in spec.sort:
                errors.add(
                    "unknown_sort_field",
                    self.sort_param,
                    f"{self.sort_param}: cannot sort by {name!r} "
                    f"(sortable: {', '.join(spec.sort)})",
                    raw,
                )
            elif name in seen:
                errors.add("repeated_sort_field", self.sort_param, f"{name!r} is named twice", raw)
            seen.add(name)
        if not tokens:
            errors.add("empty_sort", self.sort_param, f"{self.sort_param} names no field", raw)
        return tokens

    def _keys(self, tokens: Sequence[str], spec: _Compiled) -> list[tuple[str, bool]]:
        keys = [(t.lstrip("-"), t.startswith("-")) for t in tokens if t.lstrip("-") in spec.sort]
        if spec.pk.name not in {n for n, _ in keys}:
            keys.append((spec.pk.name, False))
        return keys

    def _filter(
        self, queryset: QuerySet, param: str, raw: str, spec: _Compiled, errors: _Errors
    ) -> QuerySet:
        name, _, op = param.partition("__")
        op = op or "eq"
        if name not in spec.filters:
            known = [*spec.filters]
            known += [self.search_param] if self.search else []
            known += [self.sort_param] if self.sort else []
            errors.add(
                "unknown_parameter",
                param,
                f"unknown query parameter {param!r} (accepted: {', '.join(known) or 'none'}"
                " and the page parameters)",
                raw,
            )
            return queryset
        kind, allowed = spec.filters[name]
        if op not in allowed:
            errors.add(
                "unknown_operator",
                param,
                f"{name}: operator {op!r} is not allowed (allowed: {', '.join(sorted(allowed))})",
                raw,
            )
            return queryset
        try:
            if op == "isnull":
                value: Any = parse_bool(raw)
            elif op == "in":
                parts = raw.split(",")
                if len(parts) > MAX_IN_VALUES:
                    raise BadValue(f"at most {MAX_IN_VALUES} values")
                value = [kind.parse(p) for p in parts]
            else:
                value = kind.parse(raw)
        except BadValue as exc:
            errors.add("invalid_value", param, f"{param}: {exc}", raw)
            return queryset
        return queryset.filter(**{f"{name}{OPERATORS[op]}": value})


@dataclass
class Listing:
    """One validated list request: narrow it further with :meth:`filter` (say, to the
    current user's rows), then ``await listing.fetch(schema)`` for the page."""

    spec: ListSpec
    request: Request
    mode: str
    queryset: QuerySet
    keys: list[tuple[str, bool]]
    sort_tokens: tuple[str, ...]
    size: int
    page: int = 1
    offset: int = 0
    cursor_values: list[Any] | None = field(default=None)

    def filter(self, *args: Q, **kwargs: Any) -> Listing:
        """This listing, narrowed by Tortoise filters."""
        return replace(self, queryset=self.queryset.filter(*args, **kwargs))

    def ordered(self) -> QuerySet:
        """The filtered queryset in the requested order (primary key last)."""
        return self.queryset.order_by(*(("-" if d else "") + n for n, d in self.keys))

    async def fetch(self, schema: Any = None) -> Page | OffsetPage | CursorPage:
        """Run the listing; items are ``schema.model_validate(row, from_attributes=True)``
        when ``schema`` is given, else the model instances."""
        if self.mode == "keyset":
            return await self._keyset(schema)
        total = await self.queryset.count()
        start = (self.page - 1) * self.size if self.mode == "paged" else self.offset
        rows = await self.ordered().offset(start).limit(self.size)
        items = self._items(rows, schema)
        url = self.request.url
        if self.mode == "paged":
            pages = math.ceil(total / self.size) if total else 0
            return Page[self._item_type(schema)](  # type: ignore[misc]
                items=items,
                total=total,
                page=self.page,
                size=self.size,
                pages=pages,
                next=str(url.include_query_params(page=self.page + 1))
                if self.page < pages
                else None,
                prev=str(url.include_query_params(page=min(self.page - 1, max(pages, 1))))
                if self.page > 1
                else None,
            )
        return OffsetPage[self._item_type(schema)](  # type: ignore[misc]
            items=items,
            total=total,
            limit=self.size,
            offset=self.offset,
            next=str(url.include_query_params(offset=self.offset + self.size))
            if self.offset + self.size < total
            else None,
            prev=str(url.include_query_params(offset=max(self.offset - self.size, 0)))
            if self.offset > 0
            else None,
        )

    async def _keyset(self, schema: Any) -> CursorPage:
        query = self.ordered()
        if self.cursor_values is not None:
            query = query.filter(after(self.keys, self.cursor_values))
        rows = list(await query.limit(self.size + 1))
        more = len(rows) > self.size
        rows = rows[: self.size]
        cursor = None
        if more:
            spec = self.spec._compiled
            kinds = [self.spec._kind(n, spec) for n, _ in self.keys]
            cursor = encode_cursor(self.sort_tokens, kinds, rows[-1])
        return CursorPage[self._item_type(schema)](  # type: ignore[misc]
            items=self._items(rows, schema),
            size=self.size,
            next=str(self.request.url.include_query_params(cursor=cursor)) if cursor else None,
            next_cursor=cursor,
        )

    @staticmethod
    def _item_type(schema: Any) -> Any:
        return schema if schema is not None else Any

    @staticmethod
    def _items(rows: Sequence[Any], schema: Any) -> list[Any]:
        if schema is None:
            return list(rows)
        return [schema.model_validate(row, from_attributes=True) for row in rows]
