"""Keyset (cursor) pagination, shared by REST lists and GraphQL connections.

Every list is ordered by `(created_at, id)`: both are immutable, so paging never skips or repeats a row
while others write. A cursor is the opaque, URL-safe encoding of the last row's key. `updated_since`
filters on `updated_at >= since` (inclusive, so an integrator that pulls with the time of its last pull
misses nothing written in the same microsecond).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar

from sqlalchemy import Integer, Select, any_, bindparam, func, literal_column, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import FieldError, ValidationFailed
from app.core.rows import columns_of, fetch_rows, read_rows
from app.core.schemas import refuse_instants_beyond_utc
from app.core.sql import any_of

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What a caller asked for: at most `limit` rows after `cursor`, changed since `updated_since`.

    Transports bound `limit` before building this (REST `Query(ge=1, le=200)`, GraphQL argument checks),
    so a negative or huge limit never reaches the database.
    """

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    updated_since: datetime | None = None


class GroupedCount:
    """How many children each parent of one batch has, by one grouped statement over the same filters
    as the batch's pages (visibility included), run the first time any of them is asked and shared by
    the rest: a nested `totalCount` costs one statement per level whatever the number of parents, and
    none when no client asks."""

    __slots__ = ("_counts", "_lock", "parameters", "statement")

    def __init__(self, statement: Select[Any], parameters: dict[str, Any]) -> None:
        self.statement = statement
        self.parameters = parameters
        self._counts: dict[Any, int] | None = None
        self._lock = asyncio.Lock()

    async def of(self, session: AsyncSession, parent_id: Any) -> int:
        async with self._lock:  # the parents' fields ask concurrently; the first one reads for all
            if self._counts is None:
                rows = await session.execute(self.statement, self.parameters)
                self._counts = {parent: int(count) for parent, count in rows}
        return self._counts.get(parent_id, 0)


@dataclass(frozen=True, slots=True)
class ParentCount:
    """The count of one parent's list: its parent in a `GroupedCount`."""

    grouped: GroupedCount
    parent_id: Any


# How to count a whole list (its filters, not its cursor), run only when a client asks (GraphQL
# `totalCount`): a statement and its parameters for a list of its own, or the list's parent in a
# batch's grouped count for lists read for many parents at once.
Count = tuple[Select[Any], dict[str, Any]] | ParentCount


async def count_total(session: AsyncSession, count: Count) -> int:
    """Run (or read the batch's answer of) a page's count."""
    if isinstance(count, ParentCount):
        return await count.grouped.of(session, count.parent_id)
    statement, parameters = count
    return int(await session.scalar(statement, parameters) or 0)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    has_previous: bool = False
    # How to count the whole list; None where the list is not counted.
    count: Count | None = None

    def with_items(self, items: list[Any]) -> Page[Any]:
        """The same page (cursors, count) of other items made from these: views of the rows read."""
        return Page(items, self.next_cursor, self.has_previous, self.count)

    def cursor_of(self, item: Any) -> str:
        return encode_cursor(item.created_at, item.id)


def require_aware(value: datetime | None, path: tuple[str | int, ...]) -> datetime | None:
    """A time filter must say its zone: "since 09:00" means nothing across districts' time zones."""
    if value is not None and value.tzinfo is None:
        raise ValidationFailed(
            f"{path[-1]} needs a time zone.",
            errors=[FieldError(path, "Give a zone, e.g. 2026-09-01T00:00:00Z.", "naive_datetime")],
        )
    return value


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    # The JSON array ["<isoformat>","<uuid>"], written directly: neither part has a character JSON
    # would escape, and a page of edges encodes hundreds of these.
    raw = f'["{created_at.isoformat()}","{row_id}"]'.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str, *, path: tuple[str | int, ...] = ("query", "cursor")
) -> tuple[datetime, uuid.UUID]:
    """The key inside a cursor; a cursor the service did not issue is a validation error, not a 500."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at_text, id_text = json.loads(base64.urlsafe_b64decode(padded.encode()))
        created_at = datetime.fromisoformat(created_at_text)
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
        # A rewritten cursor may hold a time whose UTC instant is outside the calendar; it would
        # overflow in the query, so it is refused here with the rest.
        refuse_instants_beyond_utc(created_at)
        return created_at, uuid.UUID(id_text)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            "The cursor is not one this service issued.",
            errors=[
                FieldError(
                    path, "Invalid cursor; use a next_cursor value exactly as returned.", "invalid_cursor"
                )
            ],
        ) from exc


def apply_filters(
    stmt: Select[Any],
    model: Any,
    page: PageRequest,
    *,
    path_prefix: str = "query",
    newest_first: bool = False,
) -> Select[Any]:
    if page.updated_since is not None:
        stmt = stmt.where(model.updated_at >= page.updated_since)
    if page.cursor is not None:
        created_at, row_id = decode_cursor(page.cursor, path=(path_prefix, "cursor"))
        key, position = tuple_(model.created_at, model.id), tuple_(created_at, row_id)
        # A cursor is a position in the key order; "after it" depends on which way the list runs.
        stmt = stmt.where(key < position if newest_first else key > position)
    return stmt


async def paginate(
    session: AsyncSession, stmt: Select[Any], model: Any, page: PageRequest, *, newest_first: bool = False
) -> Page[Any]:
    """One page of `stmt` (a `select(model)` already scoped by the caller) in key order, or in reverse
    key order (`newest_first`, for lists read from the latest end: audit events, sync runs).

    The page holds read rows (`app.core.rows`), not entities: a page is read for a reply.
    """
    order = (model.created_at.desc(), model.id.desc()) if newest_first else (model.created_at, model.id)
    base = stmt
    stmt = (
        apply_filters(stmt, model, page, newest_first=newest_first)
        .with_only_columns(*columns_of(model))
        .order_by(*order)
        .limit(page.limit + 1)
    )
    rows = read_rows(model, await fetch_rows(session, stmt))
    return _counted(_page_from(rows, page), stmt_counting(apply_filters(base, model, _uncursored(page))), {})


def stmt_counting(stmt: Select[Any]) -> Select[Any]:
    """A statement counting the rows of `stmt` (its order and limit dropped)."""
    return select(func.count()).select_from(stmt.order_by(None).limit(None).subquery())


def _uncursored(page: PageRequest) -> PageRequest:
    return PageRequest(limit=page.limit, updated_since=page.updated_since)


def _counted(page: Page[Any], count: Select[Any], parameters: dict[str, Any]) -> Page[Any]:
    return Page(page.items, page.next_cursor, page.has_previous, (count, parameters))


async def paginate_kept(
    session: AsyncSession,
    kept: Any,
    model: Any,
    page: PageRequest,
    values: dict[str, Any],
    first_page: Any = None,
) -> Page[Any]:
    """`paginate` for a statement kept per principal (`app.auth.policy.statements`).

    `kept` is `page_statement(base, model, page)` as the caller's cache returned it: its filters,
    the page's cursor and `updated_since` and its size are bound parameters, given here by `values`
    and `page`, so the statement object (and with it SQLAlchemy's cache key and asyncpg's prepared
    statement) is the same on every request of that principal with that shape.

    `first_page`, the kept statement of the same list without a cursor, counts the whole list.
    """
    parameters = dict(values, page_limit=page.limit + 1)
    if page.updated_since is not None:
        parameters["updated_since"] = page.updated_since
    if page.cursor is not None:
        parameters["cursor_created_at"], parameters["cursor_id"] = decode_cursor(page.cursor)
    rows = read_rows(model, await fetch_rows(session, kept, parameters))
    found = _page_from(rows, page)
    if first_page is None:
        return found
    counting = dict(values)
    if page.updated_since is not None:
        counting["updated_since"] = page.updated_since
    return _counted(found, _kept_counting(first_page), counting)


_counting_kept: weakref.WeakKeyDictionary[Any, Select[Any]] = weakref.WeakKeyDictionary()


def _kept_counting(first_page: Any) -> Select[Any]:
    """`stmt_counting` of a kept statement, built once per statement (it lives as long as that one):
    a list that is not asked for its total no longer builds a subquery per request, and one that is
    runs the same statement object every time (`app.core.prepared`)."""
    counting = _counting_kept.get(first_page)
    if counting is None:
        counting = _counting_kept[first_page] = stmt_counting(first_page)
    return counting


def page_shape(page: PageRequest) -> tuple[bool, bool]:
    """What of a page request changes a kept statement's shape: a cursor, an `updated_since`."""
    return page.cursor is not None, page.updated_since is not None


def page_statement(base: Select[Any], model: Any, page: PageRequest) -> Select[Any]:
    """`base` as one page in key order, with the page's values as bound parameters (see
    `paginate_kept`)."""
    stmt = base
    if page.updated_since is not None:
        stmt = stmt.where(model.updated_at >= bindparam("updated_since", type_=model.updated_at.type))
    if page.cursor is not None:
        stmt = stmt.where(
            tuple_(model.created_at, model.id)
            > tuple_(
                bindparam("cursor_created_at", type_=model.created_at.type),
                bindparam("cursor_id", type_=model.id.type),
            )
        )
    return (
        stmt.with_only_columns(*columns_of(model))
        .order_by(model.created_at, model.id)
        .limit(bindparam("page_limit", type_=Integer))
    )


async def paginate_per_parent(
    session: AsyncSession,
    stmt: Select[Any],
    model: Any,
    parent_column: Any,
    parent_ids: Sequence[uuid.UUID],
    page: PageRequest,
    *,
    answer_for: Sequence[uuid.UUID] | None = None,
) -> dict[uuid.UUID, Page[Any]]:
    """A page of children for each of many parents, in one query (for DataLoaders).

    A window function numbers each parent's children in key order, so `first: 10` on a list of 100
    parents is still a single statement. The children are read rows (`app.core.rows`), not entities:
    a DataLoader's pages are for display. `answer_for`, the parents a DataLoader was asked about, are
    each answered: those not among `parent_ids` (the ones the caller may read) with an empty page.
    """
    position = func.row_number().over(partition_by=parent_column, order_by=(model.created_at, model.id))
    inner = (
        apply_filters(stmt, model, page)
        .where(any_of(parent_column, parent_ids))
        .with_only_columns(*columns_of(model), position.label("position"))
    )
    outer_columns, position_column, order = _numbered_columns(model, parent_column.name)
    outer = (
        select(*outer_columns)
        .select_from(inner.subquery("numbered"))
        .where(position_column <= page.limit + 1)
        .order_by(*order)
    )
    rows = read_rows(model, await fetch_rows(session, outer))
    grouped: dict[uuid.UUID, list[Any]] = {parent_id: [] for parent_id in parent_ids}
    for row in rows:
        grouped[getattr(row, parent_column.key)].append(row)
    # The same statement, filters and parents, without the cursor: each parent's whole list, counted.
    counting = (
        apply_filters(stmt, model, _uncursored(page))
        .where(any_of(parent_column, parent_ids))
        .with_only_columns(parent_column, func.count())
        .group_by(parent_column)
        .order_by(None)
    )
    pages = _per_parent(grouped, page, GroupedCount(counting, {}))
    if answer_for is None:
        return pages
    return {parent_id: pages.get(parent_id, Page([], None)) for parent_id in answer_for}


def _per_parent(
    grouped: dict[uuid.UUID, list[Any]], page: PageRequest, count: GroupedCount
) -> dict[uuid.UUID, Page[Any]]:
    pages = {}
    for parent_id, children in grouped.items():
        found = _page_from(children, page)
        pages[parent_id] = Page(
            found.items, found.next_cursor, found.has_previous, ParentCount(count, parent_id)
        )
    return pages


async def paginate_children(
    session: AsyncSession,
    model: Any,
    parent_column: Any,
    parent_ids: Sequence[uuid.UUID],
    page: PageRequest,
    *,
    district_id: uuid.UUID | None,
) -> dict[uuid.UUID, Page[Any]]:
    """`paginate_per_parent` for the commonest DataLoader shape, children of parents the caller has
    already read through the policy, kept in its district (`district_id`; None for the operator).

    Its statement is built once per shape and run with bound values, so a batch costs no query
    construction at all: the SQL text, SQLAlchemy's cache key and asyncpg's prepared statement are
    the same for every batch of every request.
    """
    cursor = decode_cursor(page.cursor) if page.cursor is not None else None
    statement = _children_statement(
        model, parent_column.key, district_id is not None, page.updated_since is not None, cursor is not None
    )
    values: dict[str, Any] = {"parent_ids": list(parent_ids), "row_limit": page.limit + 1}
    if district_id is not None:
        values["district_id"] = district_id
    if page.updated_since is not None:
        values["updated_since"] = page.updated_since
    if cursor is not None:
        values["cursor_created_at"], values["cursor_id"] = cursor
    rows = read_rows(model, await fetch_rows(session, statement, values))
    grouped: dict[uuid.UUID, list[Any]] = {parent_id: [] for parent_id in parent_ids}
    for row in rows:
        grouped[getattr(row, parent_column.key)].append(row)
    counting = _children_count_statement(
        model, parent_column.key, district_id is not None, page.updated_since is not None
    )
    values.pop("row_limit")
    values.pop("cursor_created_at", None)
    values.pop("cursor_id", None)
    return _per_parent(grouped, page, GroupedCount(counting, values))


@cache
def _children_count_statement(model: Any, parent_key: str, in_district: bool, since: bool) -> Select[Any]:
    """Each parent's count of the children `_children_statement` pages, with the same bound filters."""
    parent_column = getattr(model, parent_key)
    stmt = select(parent_column, func.count()).where(
        parent_column == any_(bindparam("parent_ids", type_=ARRAY(parent_column.type)))
    )
    if in_district:
        stmt = stmt.where(model.district_id == bindparam("district_id", type_=model.district_id.type))
    if since:
        stmt = stmt.where(model.updated_at >= bindparam("updated_since", type_=model.updated_at.type))
    return stmt.group_by(parent_column)


@cache
def _children_statement(
    model: Any, parent_key: str, in_district: bool, since: bool, after_cursor: bool
) -> Select[Any]:
    parent_column = getattr(model, parent_key)
    position = func.row_number().over(partition_by=parent_column, order_by=(model.created_at, model.id))
    columns = columns_of(model)
    inner = select(*columns, position.label("position")).where(
        parent_column == any_(bindparam("parent_ids", type_=ARRAY(parent_column.type)))
    )
    if in_district:
        inner = inner.where(model.district_id == bindparam("district_id", type_=model.district_id.type))
    if since:
        inner = inner.where(model.updated_at >= bindparam("updated_since", type_=model.updated_at.type))
    if after_cursor:
        inner = inner.where(
            tuple_(model.created_at, model.id)
            > tuple_(
                bindparam("cursor_created_at", type_=model.created_at.type),
                bindparam("cursor_id", type_=model.id.type),
            )
        )
    numbered = inner.subquery("numbered")
    return (
        select(*(numbered.c[column.name] for column in columns))
        .where(numbered.c.position <= bindparam("row_limit"))
        .order_by(numbered.c[parent_column.name], numbered.c.position)
    )


@cache
def _numbered_columns(model: Any, parent_column: str) -> tuple[list[Any], Any, tuple[Any, ...]]:
    """The outer query's columns over the `numbered` subquery, built once per model.

    Reaching them through `subquery.c` would build a proxy for every column of the subquery on every
    batch; named columns of the subquery's alias, typed like the table's, render the same SQL and
    decode the same values (enums, decimals) for a fraction of the work.
    """

    def of_numbered(name: str, type_: Any = None) -> Any:
        return literal_column(f'numbered."{name}"', type_=type_)

    columns = [of_numbered(column.name, column.type) for column in columns_of(model)]
    position = of_numbered("position")
    return columns, position, (of_numbered(parent_column), position)


def _page_from(rows: list[Any], page: PageRequest) -> Page[Any]:
    has_next = len(rows) > page.limit
    items = rows[: page.limit]
    next_cursor = encode_cursor(items[-1].created_at, items[-1].id) if has_next and items else None
    return Page(items=items, next_cursor=next_cursor, has_previous=page.cursor is not None)
