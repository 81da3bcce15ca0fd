"""The read lane answers exactly as FastAPI does, and leaves to FastAPI what it does not know.

Every GET below is asked twice per caller, through the lane and with the lane off, and the two
answers must agree in status, body and headers. The callers are every role of
district A, a client, another district's leader, a bad token and nobody; the requests include lists
with filters, one object of this district and of another, ids and values in odd forms, and routes
the lane leaves alone.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from app.core.db import session_scope
from app.core.read_lane import ReadLane, build_lane
from app.demo import operator_of
from app.identity.models import Role
from app.initiatives import service as initiatives
from app.initiatives.schemas import IndicatorCreate, InitiativeCreate
from app.plans import service as plans
from app.plans.schemas import GoalCreate, PlanCreate
from tests.conftest import Tokens, World, count_statements

_IGNORED_HEADERS = {"date"}


async def _seed(app: FastAPI, world: World) -> dict[str, uuid.UUID]:
    operator = operator_of(world.district_id("A"))
    school = world.school_ids("A")[0]
    async with session_scope(app.state.session_factory, operator) as session:
        made = [
            await initiatives.create_initiative(
                session,
                operator,
                InitiativeCreate(
                    title=f"Initiative {n} — “lectura”",
                    public_value="Reading.",
                    school_id=school if n % 2 else None,
                    published=n % 3 == 0,
                ),
            )
            for n in range(5)
        ]
        plan = await plans.create_plan(
            session, operator, PlanCreate(cycle="2026-27", title="Plan", school_id=school)
        )
        goal = await plans.add_goal(
            session,
            operator,
            plan.id,
            GoalCreate(
                statement="More students read.",
                weight=Decimal("1.5"),
                indicator=IndicatorCreate(name="Reading", unit="%", direction="increase"),
            ),
        )
    other = operator_of(world.district_id("B"))
    async with session_scope(app.state.session_factory, other) as session:
        foreign = await plans.create_plan(session, other, PlanCreate(cycle="2026-27", title="B's plan"))
    return {
        "initiative": made[1].id,
        "plan": plan.id,
        "goal": goal.goal.id,
        "foreign": foreign.id,
        "school": school,
    }


def _paths(ids: dict[str, uuid.UUID]) -> list[str]:
    plan, initiative, goal = ids["plan"], ids["initiative"], ids["goal"]
    return [
        "/api/v1/initiatives",
        "/api/v1/initiatives?limit=2",
        "/api/v1/initiatives?limit=2&limit=3",  # repeated: FastAPI's
        "/api/v1/initiatives?limit=0",  # out of range: FastAPI's 422
        "/api/v1/initiatives?limit=+2",  # odd form: FastAPI's
        "/api/v1/initiatives?stage=exploring",
        "/api/v1/initiatives?stage=nonsense",
        f"/api/v1/initiatives?school_id={ids['school']}",
        f"/api/v1/initiatives?school_id={str(ids['school']).upper()}",
        f"/api/v1/initiatives?school_id={ids['school'].hex}",  # no hyphens: FastAPI's
        "/api/v1/initiatives?cursor=not-a-cursor",
        "/api/v1/initiatives?updated_since=2020-01-01T00:00:00Z",
        "/api/v1/initiatives?unknown=1",
        f"/api/v1/initiatives/{initiative}",
        f"/api/v1/initiatives/{initiative}/stakeholders",
        f"/api/v1/plans/{plan}",
        f"/api/v1/plans/{str(plan).upper()}",
        f"/api/v1/plans/{ids['foreign']}",
        f"/api/v1/plans/{uuid.uuid4()}",
        "/api/v1/plans/not-a-uuid",
        f"/api/v1/plans/{plan}/goals",
        f"/api/v1/goals/{goal}",
        f"/api/v1/goals/{goal}/strategies",
        "/api/v1/plans",
        "/api/v1/audit-events?order=newest&limit=3",
        "/api/v1/me",
        "/healthz",
        "/version",
    ]


def _comparable(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = sorted((k.lower(), v) for k, v in response.headers.items() if k.lower() not in _IGNORED_HEADERS)
    return response.status_code, response.content, headers


async def test_the_lane_answers_every_caller_as_fastapi_does(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _seed(app, world)
    callers: list[dict[str, str]] = [{}, {"Authorization": "Bearer not-a-token"}]
    callers += [await tokens.headers("A", role) for role in Role]
    callers += [await tokens.client_headers("A", "read"), await tokens.headers("B", Role.DISTRICT_LEADER)]
    for headers in callers:
        headers = {**headers, "X-Request-ID": "lane-test"}  # problems carry it
        for path in _paths(ids):
            monkeypatch.setattr(ReadLane, "enabled", True)
            laned = await client.get(path, headers=headers)
            monkeypatch.setattr(ReadLane, "enabled", False)
            plain = await client.get(path, headers=headers)
            assert _comparable(laned) == _comparable(plain), (path, headers)


async def test_the_lane_serves_the_hot_reads_in_one_statement(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    ids = await _seed(app, world)
    headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    await client.get(f"/api/v1/plans/{ids['plan']}", headers=headers)  # the app's routes are read
    lane = build_lane(app)
    assert ("", "api", "v1", "plans", "{}") in lane
    assert ("", "api", "v1", "initiatives") in lane
    for path in (f"/api/v1/plans/{ids['plan']}", "/api/v1/initiatives?limit=50"):
        with count_statements(app) as counter:
            response = await client.get(path, headers=headers)
        assert response.status_code == 200
        assert counter.count == 1, counter.statements  # not run twice: the lane answered
