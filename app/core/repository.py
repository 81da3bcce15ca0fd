"""Small helpers every service uses to load, lock and write rows the same way."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import Enum
from typing import Any, Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, FieldError, NotFound, PreconditionRequired, StaleVersion

M = TypeVar("M")


class VersionNotSent(Enum):
    """A REST write to a versioned row came without `If-Match`. The service refuses it with 428 in
    `check_version`, after it found the row and authorized the caller: another district's row stays
    404 and a forbidden write 403, whatever the headers."""

    VERSION_NOT_SENT = "version_not_sent"


VERSION_NOT_SENT = VersionNotSent.VERSION_NOT_SENT
# What a write says about the version it was based on: the version read; `None` for no check (REST
# `If-Match: *`, a GraphQL mutation without `expectedVersion`); or `VERSION_NOT_SENT`.
VersionCheck = int | None | Literal[VersionNotSent.VERSION_NOT_SENT]


def no_such(what: str, row_id: uuid.UUID) -> NotFound:
    """The `NotFound` for a row that is absent, another district's or not the caller's to reach: the
    same words for all three, so a probe learns nothing."""
    return NotFound(f"No {what} with id {row_id}.")


async def one_or_404(
    session: AsyncSession, stmt: Any, *, what: str, row_id: uuid.UUID, params: Mapping[str, Any] | None = None
) -> Any:
    """The one row `stmt` finds, or `no_such(what, row_id)`."""
    row = (await session.execute(stmt, params)).scalar_one_or_none()
    if row is None:
        raise no_such(what, row_id)
    return row


async def referenced_row(
    session: AsyncSession,
    model: type[M],
    row_id: uuid.UUID,
    district_id: uuid.UUID,
    path: tuple[str | int, ...],
    what: str,
) -> M:
    """The row an id in a request names (at `path`), of the same district; otherwise `NotFound`
    naming the field, as for an id that does not exist."""
    row = await session.get(model, row_id)
    if row is None or row.district_id != district_id:  # type: ignore[attr-defined]
        raise NotFound(
            f"No {what} with id {row_id} in this district.",
            errors=[FieldError(path, "Not found in this district.", "not_found")],
        )
    return row


async def get_or_404(
    session: AsyncSession, model: type[M], row_id: uuid.UUID, *, what: str, lock: bool = False
) -> M:
    stmt = select(model).where(model.id == row_id)  # type: ignore[attr-defined]
    if lock:
        # Serialises concurrent writers of the same row, so the version check below cannot race.
        stmt = stmt.with_for_update()
    return await one_or_404(session, stmt, what=what, row_id=row_id)  # type: ignore[no-any-return]


async def get_part_or_404(
    session: AsyncSession,
    model: type[M],
    row_id: uuid.UUID,
    owner: Callable[[M], Awaitable[Any]],
    *,
    what: str,
    lock: bool = False,
    district_id: uuid.UUID | None = None,
) -> M:
    """A row that is part of another object (an activity's input, an initiative's measure), found only
    through that object: `owner(row)` checks that the caller may reach it, raising `NotFound` if not.
    A missing row, one outside `district_id` (when given), and one whose owner the caller cannot reach
    are the same `NotFound`, worded for the part, so a probe learns nothing. `lock` locks the row."""
    row = await session.get(model, row_id, with_for_update=lock)
    if row is None or (district_id is not None and row.district_id != district_id):  # type: ignore[attr-defined]
        raise no_such(what, row_id)
    try:
        await owner(row)
    except NotFound:
        raise no_such(what, row_id) from None
    return row


def where_equal(stmt: Any, model: Any, filters: Any, *names: str) -> Any:
    """`stmt` narrowed, for each of `names` that `filters` gives (not None), to the rows of `model`
    whose column of that name equals it: a list's equality filters, each named once."""
    return where_given(stmt, model, **{name: getattr(filters, name) for name in names})


def where_given(stmt: Any, model: Any, **values: Any) -> Any:
    """`stmt` narrowed to the rows of `model` whose column of each name equals the value given; a value
    of None is a filter the caller did not send, and narrows nothing."""
    for name, value in values.items():
        if value is not None:
            stmt = stmt.where(getattr(model, name) == value)
    return stmt


def check_version(row: Any, expected_version: VersionCheck, *, what: str) -> None:
    """Refuse a write based on a stale read (412), or one that did not say what it read (428). `None`
    means the client knowingly asked for no check."""
    if expected_version is VERSION_NOT_SENT:
        raise PreconditionRequired(
            f"The {what} is versioned: send `If-Match` with the `ETag` you read (or `If-Match: *`).",
            errors=[FieldError(("header", "If-Match"), "Required on this write.", "missing")],
        )
    if expected_version is not None and row.version != expected_version:
        raise StaleVersion(
            f"The {what} is at version {row.version}, not {expected_version}; nothing was written.",
            extra={"current_version": row.version},
        )


def apply_changes(row: Any, changes: Mapping[str, Any]) -> bool:
    """Set changed attributes; bump `version` when anything really changed. Returns whether it did."""
    changed = False
    for name, value in changes.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed and hasattr(row, "version"):
        row.version += 1
    return changed


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the constraint a failed statement violated, as PostgreSQL reported it."""
    cause = getattr(exc.orig, "__cause__", None)
    return getattr(cause, "constraint_name", None) or getattr(exc.orig, "constraint_name", None)


async def flush_or_conflict(session: AsyncSession, unique_fields: Mapping[str, tuple[str, str]]) -> None:
    """Flush, turning a unique violation into a `Conflict` that names the field.

    `unique_fields` maps a constraint name to (field, message). The transaction is unusable after the
    violation; the caller's unit of work rolls it back, so nothing is half-written.
    """
    try:
        await session.flush()
    except IntegrityError as exc:
        conflict = _conflict(exc, unique_fields)
        if conflict is None:
            raise
        raise conflict from exc


async def execute_or_conflict(
    session: AsyncSession,
    statement: Any,
    parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    unique_fields: Mapping[str, tuple[str, str]],
) -> None:
    """Run a set-based write (an INSERT of many rows, say) as `flush_or_conflict` flushes."""
    try:
        await session.execute(statement, parameters)
    except IntegrityError as exc:
        conflict = _conflict(exc, unique_fields)
        if conflict is None:
            raise
        raise conflict from exc


def _conflict(exc: IntegrityError, unique_fields: Mapping[str, tuple[str, str]]) -> Conflict | None:
    name = constraint_name(exc)
    if name not in unique_fields:
        return None
    field, message = unique_fields[name]
    return Conflict(message, errors=[FieldError((field,), message, "duplicate")])
