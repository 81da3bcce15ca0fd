"""The demo SIS data: the same generated roster on every install, loaded through the sync service,
with enough students that the analytics show figures and suppress the small ones."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from app.core.db import session_scope
from app.demo import operator_of, release_demo_figures
from app.identity.models import Role
from app.sis.demo import STUDENTS_PER_SCHOOL, generate, seed_sis
from app.sis.schemas import SyncEntity
from tests.conftest import Tokens, World


def test_the_generated_roster_is_the_same_every_time() -> None:
    class School:
        def __init__(self, sourced_id: str, low: str, high: str) -> None:
            self.sourced_id, self.grade_low, self.grade_high, self.id = sourced_id, low, high, sourced_id

    schools = [School("x-es", "KG", "05"), School("x-hs", "09", "12")]
    first = generate("demo-x", schools)  # type: ignore[arg-type]
    assert first == generate("demo-x", schools)  # type: ignore[arg-type]
    assert len(first[SyncEntity.STUDENTS]) == 2 * STUDENTS_PER_SCHOOL
    assert {s["grade"] for s in first[SyncEntity.STUDENTS] if s["school"] == "x-hs"} == {
        "09",
        "10",
        "11",
        "12",
    }
    assert len(first[SyncEntity.REFERRALS]) > STUDENTS_PER_SCHOOL // 2
    assert all("givenName" not in s for s in first[SyncEntity.STUDENTS])


async def test_the_demo_data_loads_and_the_analytics_have_something_to_say(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    district_id = world.district_id("A")
    async with session_scope(app.state.session_factory, operator_of(district_id)) as session:
        created = await seed_sis(session, district_id)
    assert created["students"] == 2 * STUDENTS_PER_SCHOOL
    async with session_scope(app.state.session_factory, operator_of(district_id)) as session:
        again = await seed_sis(session, district_id)
    assert set(again.values()) == {0}  # idempotent, like any sync
    # Figures are published by release: last month's, as the demo releases them.
    async with session_scope(app.state.session_factory, operator_of(district_id)) as session:
        await release_demo_figures(session, operator_of(district_id))

    overview = (
        await client.get(
            "/api/v1/behavior-analytics", headers=await tokens.headers("A", Role.DISTRICT_LEADER)
        )
    ).json()
    district = overview["district"]
    assert district["enrolled"] == {"value": 2 * STUDENTS_PER_SCHOOL, "suppressed": False}
    cells = [t["students"] for d in district["tiers"] for t in d["tiers"]] + [
        b["students"] for b in district["referral_buckets"]
    ]
    assert any(not c["suppressed"] for c in cells)
    runs = (
        await client.get(
            "/api/v1/sync/runs", headers=await tokens.headers("A", Role.DISTRICT_ADMIN), params={"limit": 200}
        )
    ).json()
    assert {r["entity"] for r in runs["items"]} >= {"students", "referrals", "tier-assignments"}
