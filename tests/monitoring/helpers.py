"""Builders for the measurement, status and dashboard tests: indicators (an initiative's measure or a
plan goal's), made through the REST API as district A's admin unless told otherwise."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from app.identity.models import Role
from app.plans.models import Plan, PlanStatus
from tests.conftest import Tokens

API = "/api/v1"
Headers = dict[str, str]
Json = dict[str, Any]
TODAY = date.today()


def days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def gid(type_name: str, row_id: object) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


async def admin_headers(tokens: Tokens, district: str = "A") -> Headers:
    return await tokens.headers(district, Role.DISTRICT_ADMIN)


def indicator_body(**fields: Any) -> Json:
    return {"name": "Reading on grade level", "unit": "% of students", "direction": "increase", **fields}


async def initiative_measure(
    client: httpx.AsyncClient, headers: Headers, *, school_id: uuid.UUID | None = None, **indicator: Any
) -> str:
    """A new initiative (at `school_id`, else the district's) with one measure; the measure's id."""
    body: Json = {"title": f"Initiative {uuid.uuid4().hex[:6]}", "public_value": "Every child reads."}
    if school_id is not None:
        body["school_id"] = str(school_id)
    response = await client.post(f"{API}/initiatives", json=body, headers=headers)
    assert response.status_code == 201, response.text
    initiative_id = response.json()["id"]
    response = await client.post(
        f"{API}/initiatives/{initiative_id}/measures", json=indicator_body(**indicator), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def create_plan(
    client: httpx.AsyncClient, headers: Headers, *, school_id: uuid.UUID | None = None, title: str = "Plan"
) -> str:
    body: Json = {"cycle": "2026-27", "title": title}
    if school_id is not None:
        body["school_id"] = str(school_id)
    response = await client.post(f"{API}/plans", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def add_goal(client: httpx.AsyncClient, headers: Headers, plan_id: str, **indicator: Any) -> Json:
    """A goal of the plan; the goal as REST answers it (its `indicator` included)."""
    body = {"statement": f"Goal {uuid.uuid4().hex[:6]}", "indicator": indicator_body(**indicator)}
    response = await client.post(f"{API}/plans/{plan_id}/goals", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def plan_goal(
    client: httpx.AsyncClient, headers: Headers, *, school_id: uuid.UUID | None = None, **indicator: Any
) -> tuple[str, str]:
    """A new plan with one goal: (plan id, the goal's indicator id)."""
    plan_id = await create_plan(client, headers, school_id=school_id)
    goal = await add_goal(client, headers, plan_id, **indicator)
    return plan_id, goal["indicator"]["id"]


async def publish(session: AsyncSession, plan_id: str) -> None:
    """Approve and publish a plan directly (the co-creation policy is tests/plans' business)."""
    await session.execute(
        update(Plan).where(Plan.id == uuid.UUID(plan_id)).values(status=PlanStatus.APPROVED, published=True)
    )
    await session.commit()


async def record(
    client: httpx.AsyncClient,
    headers: Headers,
    indicator_id: str,
    value: float | str | Decimal,
    measured_on: str,
    **extra: Any,
) -> httpx.Response:
    body = {"value": str(value), "measured_on": measured_on, **extra}
    return await client.post(f"{API}/indicators/{indicator_id}/measurements", json=body, headers=headers)


async def record_series(
    client: httpx.AsyncClient, headers: Headers, indicator_id: str, values: list[float], *, start: int = -300
) -> None:
    """`values` a fortnight apart, ending before today, in one bulk call."""
    rows = [
        {"indicator_id": indicator_id, "value": str(v), "measured_on": days(start + 14 * i)}
        for i, v in enumerate(values)
    ]
    response = await client.post(f"{API}/measurements/bulk", json={"measurements": rows}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == len(values)
