"""The district's practice catalogue: the evidence-based practices its work is tagged with.

The rules:
- Every member of staff (and a `read` integration) reads the catalogue (`PRACTICE_READ`); district
  admins and district leaders keep it (`PRACTICE_MANAGE`). Names are unique in the district, whatever
  their case.
- A practice is retired, not removed: what named it keeps its meaning. A retired practice is not
  named by anything new (`ValidationFailed`), and an id of another district is `NotFound`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Action
from app.auth.policy import get_visible, get_visible_many, require, visible
from app.auth.principal import Principal
from app.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.core.pagination import Page, PageRequest, paginate
from app.core.repository import VersionCheck, apply_changes, check_version
from app.practice.models import Practice
from app.practice.schemas import PracticeCreate, PracticeUpdate


@dataclass(frozen=True, slots=True)
class PracticeFilter:
    include_retired: bool = False
    name: str | None = None


def _district_of(principal: Principal) -> uuid.UUID:
    if principal.district_id is None:
        raise PermissionDenied("The practice catalogue belongs to a district.")
    return principal.district_id


async def list_practices(
    session: AsyncSession, principal: Principal, page: PageRequest, filters: PracticeFilter
) -> Page[Practice]:
    """The district's practices, oldest first; retired ones only when asked for."""
    stmt = visible(select(Practice), Practice, principal, Action.PRACTICE_READ)
    if not filters.include_retired:
        stmt = stmt.where(Practice.retired.is_(False))
    if filters.name is not None:
        stmt = stmt.where(func.lower(Practice.name) == filters.name.strip().lower())
    return await paginate(session, stmt, Practice, page)


async def get_practice(
    session: AsyncSession, principal: Principal, practice_id: uuid.UUID, *, lock: bool = False
) -> Practice:
    """One practice of the caller's district; `NotFound` otherwise."""
    return await get_visible(
        session, Practice, practice_id, principal, Action.PRACTICE_READ, what="practice", lock=lock
    )


async def practices_by_id(
    session: AsyncSession, principal: Principal, practice_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Practice]:
    """The practices among `practice_ids` of the caller's district (for DataLoaders)."""
    return await get_visible_many(session, Practice, practice_ids, principal, Action.PRACTICE_READ)


async def _name_free(
    session: AsyncSession, district_id: uuid.UUID, name: str, other_than: uuid.UUID | None = None
) -> None:
    stmt = select(Practice.id).where(
        Practice.district_id == district_id, func.lower(Practice.name) == name.lower()
    )
    if other_than is not None:
        stmt = stmt.where(Practice.id != other_than)
    if await session.scalar(stmt.limit(1)) is not None:
        raise Conflict(
            f"The catalogue already has a practice named {name!r}.",
            errors=[FieldError(("name",), "Name it differently, or use that practice.", "duplicate")],
        )


async def create_practice(session: AsyncSession, principal: Principal, data: PracticeCreate) -> Practice:
    """Add a practice to the catalogue. Raises `PermissionDenied` (not a district admin or leader) and
    `Conflict` (the name is taken, whatever its case)."""
    require(principal, Action.PRACTICE_MANAGE)
    district_id = _district_of(principal)
    # One writer of the catalogue at a time: the name check and the insert cannot race.
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"practice:{district_id}"))))
    await _name_free(session, district_id, data.name)
    practice = Practice(district_id=district_id, **data.model_dump())
    session.add(practice)
    await session.flush()
    return practice


async def update_practice(
    session: AsyncSession,
    principal: Principal,
    practice_id: uuid.UUID,
    data: PracticeUpdate,
    *,
    expected_version: VersionCheck = None,
) -> Practice:
    """Rename, describe, retire or bring back a practice. Raises `NotFound`, `PermissionDenied`,
    `StaleVersion` and `Conflict` (a name taken)."""
    practice = await get_practice(session, principal, practice_id, lock=True)
    require(principal, Action.PRACTICE_MANAGE)
    check_version(practice, expected_version, what="practice")
    changes = data.changes()
    if "name" in changes:
        await session.execute(
            select(func.pg_advisory_xact_lock(func.hashtext(f"practice:{practice.district_id}")))
        )
        await _name_free(session, practice.district_id, changes["name"], other_than=practice.id)
    apply_changes(practice, changes)
    await session.flush()
    return practice


async def check_practice(
    session: AsyncSession,
    district_id: uuid.UUID,
    practice_id: uuid.UUID | None,
    path: tuple[str, ...] = ("practice_id",),
    *,
    unchanged: uuid.UUID | None = None,
) -> Practice | None:
    """The practice a request names, of the district's catalogue and not retired (a record keeping
    the practice it already named, `unchanged`, may keep a retired one). `NotFound` for an id of
    another district or none, `ValidationFailed` for a retired practice."""
    if practice_id is None:
        return None
    practice = await session.get(Practice, practice_id)
    if practice is None or practice.district_id != district_id:
        raise NotFound(
            f"No practice with id {practice_id} in this district's catalogue.",
            errors=[FieldError(path, "Not in the district's practice catalogue.", "not_found")],
        )
    if practice.retired and practice_id != unchanged:
        raise ValidationFailed(
            "The practice is retired from the catalogue.",
            errors=[FieldError(path, "Name a practice the catalogue still holds.", "retired")],
        )
    return practice
