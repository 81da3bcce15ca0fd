"""The tenancy rules, called directly: what both transports rely on."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import SYSTEM as OPERATOR  # the installation operator: bypasses roles, not rules
from app.core.db import session_scope
from app.core.errors import Conflict, NotFound, StaleVersion, ValidationFailed
from app.core.pagination import PageRequest
from app.tenancy import service
from app.tenancy.models import District, School
from app.tenancy.schemas import DistrictCreate, DistrictUpdate, SchoolCreate, SchoolUpdate


async def test_a_failed_create_leaves_nothing_behind(app: FastAPI, session: AsyncSession) -> None:
    factory = app.state.session_factory
    async with session_scope(factory) as s:
        district = await service.create_district(s, OPERATOR, DistrictCreate(name="Riverside"))

    with pytest.raises(Conflict):
        async with session_scope(factory) as s:
            await service.create_school(s, OPERATOR, district.id, SchoolCreate(name="One"))
            await service.create_district(s, OPERATOR, DistrictCreate(name="riverside"))

    schools = select(func.count()).select_from(School).where(School.district_id == district.id)
    assert await session.scalar(schools) == 0


async def test_stale_version_raises_with_the_current_version(app: FastAPI) -> None:
    factory = app.state.session_factory
    async with session_scope(factory) as s:
        district = await service.create_district(s, OPERATOR, DistrictCreate(name="D"))
    async with session_scope(factory) as s:
        await service.update_district(s, OPERATOR, district.id, DistrictUpdate(name="E"), expected_version=1)

    with pytest.raises(StaleVersion) as raised:
        async with session_scope(factory) as s:
            await service.update_district(
                s, OPERATOR, district.id, DistrictUpdate(name="F"), expected_version=1
            )
    assert raised.value.extra == {"current_version": 2}


async def test_concurrent_writers_of_one_version_cannot_both_win(app: FastAPI, session: AsyncSession) -> None:
    """Two co-authors read version 1 and save at once: the row lock makes the second see version 2."""
    factory = app.state.session_factory
    async with session_scope(factory) as s:
        district = await service.create_district(s, OPERATOR, DistrictCreate(name="Contested"))

    async def write(new_name: str) -> str:
        try:
            async with session_scope(factory) as s:
                await service.update_district(
                    s, OPERATOR, district.id, DistrictUpdate(name=new_name), expected_version=1
                )
        except StaleVersion:
            return "stale"
        return "written"

    outcomes = await asyncio.gather(write("By A"), write("By B"))
    assert sorted(outcomes) == ["stale", "written"]
    stored = await session.get(District, district.id)
    assert stored is not None
    assert stored.version == 2


async def test_schools_of_many_districts_page_per_district_in_one_call(app: FastAPI) -> None:
    factory = app.state.session_factory
    async with session_scope(factory) as s:
        districts = [
            await service.create_district(s, OPERATOR, DistrictCreate(name=f"D{i}")) for i in range(3)
        ]
        for index, district in enumerate(districts):
            for n in range(index + 1):
                await service.create_school(s, OPERATOR, district.id, SchoolCreate(name=f"S{n}"))

    async with factory() as s:
        pages = await service.list_schools_of_districts(
            s, OPERATOR, [d.id for d in districts], PageRequest(limit=2)
        )
    assert [len(pages[d.id].items) for d in districts] == [1, 2, 2]
    assert [pages[d.id].next_cursor is not None for d in districts] == [False, False, True]


async def test_missing_rows_are_not_found(app: FastAPI) -> None:
    async with app.state.session_factory() as s:
        with pytest.raises(NotFound):
            await service.get_district(s, OPERATOR, uuid.uuid4())
        with pytest.raises(NotFound):
            await service.update_school(s, OPERATOR, uuid.uuid4(), SchoolUpdate(name="X"))


async def test_grade_span_is_checked_against_the_stored_values_on_update(app: FastAPI) -> None:
    factory = app.state.session_factory
    async with session_scope(factory) as s:
        district = await service.create_district(s, OPERATOR, DistrictCreate(name="D"))
        school = await service.create_school(
            s, OPERATOR, district.id, SchoolCreate(name="S", grade_low="06", grade_high="08")
        )
    with pytest.raises(ValidationFailed):
        async with session_scope(factory) as s:
            await service.update_school(s, OPERATOR, school.id, SchoolUpdate(grade_low="09"))
