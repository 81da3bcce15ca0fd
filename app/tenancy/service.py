"""The rules for districts and schools. Both transports call these; neither adds rules of its own.

Every function takes the session and the principal, raises `DomainError`s, flushes and never commits:
the transport's unit of work commits once per request (REST) or per mutation field (GraphQL).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Action
from app.auth.policy import authorize, get_visible, get_visible_many, require, visible
from app.auth.principal import Principal
from app.core.errors import FieldError, NotFound, ValidationFailed
from app.core.pagination import Page, PageRequest, paginate, paginate_per_parent
from app.core.repository import VersionCheck, apply_changes, check_version, flush_or_conflict
from app.tenancy.models import District, GroupDimension, School, Voice
from app.tenancy.schemas import DistrictCreate, DistrictUpdate, SchoolCreate, SchoolUpdate

_DISTRICT_UNIQUE = {
    "uq_district_lower_name": ("name", "A district with this name already exists."),
    "uq_district_sourced_id": ("sourced_id", "A district with this sourced_id already exists."),
}
_SCHOOL_UNIQUE = {
    "uq_school_district_id_lower_name": ("name", "This district already has a school with this name."),
    "uq_school_district_id_sourced_id": (
        "sourced_id",
        "This district already has a school with this sourced_id.",
    ),
}

# OneRoster grade codes in school order, for checking that a school's grade span is not inverted.
_GRADE_ORDER = ["IT", "PR", "PK", "TK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "PS"]  # fmt: skip


# --- districts --------------------------------------------------------------------------------------


async def list_districts(session: AsyncSession, principal: Principal, page: PageRequest) -> Page[District]:
    """The districts the principal may see (its own), oldest first."""
    return await paginate(
        session, visible(select(District), District, principal, Action.DISTRICT_READ), District, page
    )


async def get_district(session: AsyncSession, principal: Principal, district_id: uuid.UUID) -> District:
    """The district; `NotFound` if it does not exist or the principal may not see it."""
    return await get_visible(session, District, district_id, principal, Action.DISTRICT_READ, what="district")


async def create_district(session: AsyncSession, principal: Principal, data: DistrictCreate) -> District:
    """Provision a district (the installation's operator only: `PermissionDenied` for anyone in a
    district). `Conflict` if the name (case-insensitive) or sourced_id is taken."""
    require(principal, Action.DISTRICT_CREATE)
    district = District(**data.model_dump())
    session.add(district)
    await flush_or_conflict(session, _DISTRICT_UNIQUE)
    return district


async def update_district(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID,
    data: DistrictUpdate,
    *,
    expected_version: VersionCheck = None,
) -> District:
    """Apply the fields present in `data`.

    Raises `NotFound`, `PermissionDenied` (not a district admin), `StaleVersion` (the district changed
    since `expected_version`; nothing written) and `Conflict` (name or sourced_id taken).
    """
    district = await get_visible(
        session,
        District,
        district_id,
        principal,
        Action.DISTRICT_READ,
        Action.DISTRICT_UPDATE,
        what="district",
        lock=True,
    )
    authorize(principal, Action.DISTRICT_UPDATE, district_id=district.id)
    check_version(district, expected_version, what="district")
    changes = data.changes()
    _only_rising(district, changes)
    for voices in ("school_plan_voices", "district_plan_voices"):
        if voices in changes:
            changes[voices] = [Voice(v).value for v in changes[voices]]
    if "expected_groups" in changes:
        changes["expected_groups"] = [
            {"dimension": GroupDimension(g["dimension"]).value, "value": g["value"]}
            for g in changes["expected_groups"]
        ]
    apply_changes(district, changes)
    await flush_or_conflict(session, _DISTRICT_UNIQUE)
    return district


# The suppression minimums only rise: lowering one would publish, next to figures released under the
# higher one, cells that combine with them into exactly what the higher one hid.
_RAISE_ONLY = ("min_cell_size", "min_teachers", "min_classrooms")


def _only_rising(district: District, changes: dict[str, Any]) -> None:
    lowered = [
        field
        for field in _RAISE_ONLY
        if changes.get(field) is not None and changes[field] < getattr(district, field)
    ]
    if lowered:
        raise ValidationFailed(
            "Suppression minimums only rise.",
            errors=[
                FieldError((field,), f"At least {getattr(district, field)}, the current value.", "raise_only")
                for field in lowered
            ],
        )


# --- schools ----------------------------------------------------------------------------------------


async def list_schools(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID, page: PageRequest
) -> Page[School]:
    """The district's schools the principal may see. `NotFound` if the district is not visible."""
    await get_district(session, principal, district_id)
    stmt = visible(
        select(School).where(School.district_id == district_id), School, principal, Action.SCHOOL_READ
    )
    return await paginate(session, stmt, School, page)


async def list_schools_of_districts(
    session: AsyncSession, principal: Principal, district_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[School]]:
    """A page of schools for each district, in one query (the GraphQL DataLoader's batch)."""
    stmt = visible(select(School), School, principal, Action.SCHOOL_READ)
    return await paginate_per_parent(session, stmt, School, School.district_id, district_ids, page)


async def get_school(session: AsyncSession, principal: Principal, school_id: uuid.UUID) -> School:
    """The school; `NotFound` if it does not exist or the principal may not see it."""
    return await get_visible(session, School, school_id, principal, Action.SCHOOL_READ, what="school")


async def create_school(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID, data: SchoolCreate
) -> School:
    """Create a school in the district. Raises `NotFound` (district), `PermissionDenied`,
    `ValidationFailed` (grade span inverted) and `Conflict` (name or sourced_id taken in this district)."""
    # Authorized before any read: a roster client may create schools without being allowed to read.
    authorize(principal, Action.SCHOOL_CREATE, district_id=district_id)
    if await session.get(District, district_id) is None:  # only the operator can name any district
        raise NotFound(f"No district with id {district_id}.")
    school = School(district_id=district_id, **data.model_dump())
    _check_grade_span(school)
    session.add(school)
    await flush_or_conflict(session, _SCHOOL_UNIQUE)
    return school


async def update_school(
    session: AsyncSession,
    principal: Principal,
    school_id: uuid.UUID,
    data: SchoolUpdate,
    *,
    expected_version: VersionCheck = None,
) -> School:
    """Apply the fields present in `data`; the same errors as `create_school`, plus `StaleVersion`.
    District admins change any school, school leaders their own."""
    school = await get_visible(
        session,
        School,
        school_id,
        principal,
        Action.SCHOOL_READ,
        Action.SCHOOL_UPDATE,
        what="school",
        lock=True,
    )
    authorize(principal, Action.SCHOOL_UPDATE, district_id=school.district_id, school_id=school.id)
    check_version(school, expected_version, what="school")
    apply_changes(school, data.changes())
    _check_grade_span(school)
    await flush_or_conflict(session, _SCHOOL_UNIQUE)
    return school


def _check_grade_span(school: School) -> None:
    low, high = school.grade_low, school.grade_high
    if low in _GRADE_ORDER and high in _GRADE_ORDER and _GRADE_ORDER.index(low) > _GRADE_ORDER.index(high):
        raise ValidationFailed(
            "The lowest grade comes after the highest grade.",
            errors=[FieldError(("grade_low",), f"{low} is above grade_high {high}.", "grade_span_inverted")],
        )


# --- batch reads for GraphQL DataLoaders ------------------------------------------------------------


async def districts_by_id(
    session: AsyncSession, principal: Principal, district_ids: list[uuid.UUID]
) -> dict[uuid.UUID, District]:
    """The visible districts among `district_ids`, by id (absent ids are not visible or not there)."""
    return await get_visible_many(session, District, district_ids, principal, Action.DISTRICT_READ)


async def schools_by_id(
    session: AsyncSession, principal: Principal, school_ids: list[uuid.UUID]
) -> dict[uuid.UUID, School]:
    """The visible schools among `school_ids`, by id."""
    return await get_visible_many(session, School, school_ids, principal, Action.SCHOOL_READ)
