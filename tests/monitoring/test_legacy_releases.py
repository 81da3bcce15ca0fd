"""Corrections of releases stored before a release kept what each cell was drawn from (legacy): a
feedback release whose basis has each teacher's respondents but not their share, a behaviour release
with no referred students. Compared on what they kept, a value-only change of one teacher (or ten
late referrals of one student) passed as a correction and the two revisions' difference was theirs.
Such a release is not corrected (409 `legacy_release`); it stays as released. Each test failed on
the code before the refusal. The legacy rows are made as an older version stored them: the same
release with its basis cut back in the database.
"""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity.models import Role
from app.releases.models import Release, ReleaseSubject
from tests.conftest import Tokens, World
from tests.monitoring.test_aggregate_attacks import ONE_STUDENT_AT_SIX, late_referrals
from tests.monitoring.test_privacy_attacks import recovered, release_feedback, rest_cell, teachers
from tests.practice.helpers import record
from tests.sis.helpers import put_ok
from tests.sis.test_release_attacks import OCTOBER, seed
from tests.sis.test_release_attacks import release as release_behaviour


async def _as_legacy(session: AsyncSession, subject: ReleaseSubject) -> None:
    release = (await session.execute(select(Release).where(Release.subject == subject))).scalar_one()
    if subject is ReleaseSubject.FEEDBACK:
        release.basis = {key: [entry[:2] for entry in entries] for key, entries in release.basis.items()}
    else:
        release.basis = {}
    await session.commit()


async def test_a_legacy_feedback_release_is_not_corrected_by_one_teachers_value(
    client: httpx.AsyncClient, tokens: Tokens, world: World, session: AsyncSession
) -> None:
    made = await teachers(client, tokens, world, 4)
    assert (await release_feedback(client, tokens)).status_code == 201
    await _as_legacy(session, ReleaseSubject.FEEDBACK)
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    before = await rest_cell(client, leader, world)
    await record(client, made[0].headers, status=200, favourable_share="0.95", respondents=12)
    response = await release_feedback(client, tokens)
    assert response.status_code == 409, response.text
    assert "legacy_release" in response.text, response.text
    after = await rest_cell(client, leader, world)
    assert not recovered(before, after), (before, after)
    assert after is not None
    assert after["revision"] == 1
    assert after["late_results"] == 1


async def test_a_legacy_behaviour_release_is_not_corrected_by_one_students_referrals(
    client: httpx.AsyncClient, tokens: Tokens, world: World, session: AsyncSession
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    ids = await seed(client, admin, students=40, referrals=ONE_STUDENT_AT_SIX)
    await release_behaviour(client, admin)
    await _as_legacy(session, ReleaseSubject.BEHAVIOR)
    await put_ok(client, "referrals", late_referrals(ids[0]), admin)
    response = await client.post("/api/v1/releases", json=OCTOBER, headers=admin)
    assert response.status_code == 409, response.text
    assert "legacy_release" in response.text, response.text
