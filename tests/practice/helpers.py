"""Helpers for the practice tests (walkthroughs, PDSA cycles, PLC meetings, student feedback): extra
accounts at a school, made through the admin REST API and signed in through the token endpoint, and
small builders for the objects under test."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from app.identity.models import Role
from tests.conftest import TEST_PASSWORD, Tokens, World

API = "/api/v1"
Headers = dict[str, str]
Json = dict[str, Any]
TODAY = date.today()


def days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


@dataclass(frozen=True)
class Staff:
    """An account made for a test: its person, and the headers that sign in as it."""

    user_id: str
    person_id: str
    name: str
    headers: Headers


async def admin_headers(tokens: Tokens, district: str = "A") -> Headers:
    return await tokens.headers(district, Role.DISTRICT_ADMIN)


async def make_staff(
    client: httpx.AsyncClient,
    tokens: Tokens,
    world: World,
    role: Role = Role.TEACHER,
    *,
    school: int | None = 0,
    district: str = "A",
    name: str | None = None,
) -> Staff:
    """A new account with `role` at the district's `school` (None: district-wide), signed in."""
    name = name or f"{role.value.title()} {uuid.uuid4().hex[:6]}"
    school_id = None if school is None else str(world.school_ids(district)[school])
    body = {
        "email": f"{uuid.uuid4().hex[:10]}@{district.lower()}.example.org",
        "password": TEST_PASSWORD,
        "display_name": name,
        "roles": [{"role": role.value, "school_id": school_id}],
    }
    response = await client.post(f"{API}/users", json=body, headers=await admin_headers(tokens, district))
    assert response.status_code == 201, response.text
    user = response.json()
    token = await tokens.password_grant(body["email"], TEST_PASSWORD)
    return Staff(user["id"], user["person_id"], name, {"Authorization": f"Bearer {token}"})


async def world_person(
    client: httpx.AsyncClient, tokens: Tokens, world: World, role: Role, district: str = "A"
) -> str:
    """The person behind the World's account for `role`."""
    user_id, _ = world.user(district, role)
    response = await client.get(f"{API}/users/{user_id}", headers=await admin_headers(tokens, district))
    assert response.status_code == 200, response.text
    return response.json()["person_id"]


async def monitoring_client(client: httpx.AsyncClient, tokens: Tokens, district: str = "A") -> Headers:
    """A survey integration's headers: a new API client with the `monitoring:write` scope."""
    response = await client.post(
        f"{API}/api-clients",
        json={"name": f"Survey {uuid.uuid4().hex[:6]}", "scopes": ["monitoring:write"]},
        headers=await admin_headers(tokens, district),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    token = await client.post(
        f"{API}/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(created["client_id"], created["client_secret"]),
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def post(client: httpx.AsyncClient, url: str, body: Json, headers: Headers, status: int = 201) -> Json:
    response = await client.post(f"{API}{url}", json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


async def get(client: httpx.AsyncClient, url: str, headers: Headers, **params: Any) -> Json:
    response = await client.get(f"{API}{url}", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def walkthrough(
    client: httpx.AsyncClient, world: World, headers: Headers, school: int = 0, **fields: Any
) -> Json:
    body = {
        "school_id": str(world.school_ids("A")[school]),
        "practice": "Turn and talk",
        "observed_on": days(-7),
        **fields,
    }
    return await post(client, "/walkthroughs", body, headers)


async def observe(
    client: httpx.AsyncClient,
    walkthrough_id: str,
    teacher_person_id: str,
    headers: Headers,
    level: str = "developing",
    support: str = "none",
    **fields: Any,
) -> Json:
    body = {"teacher_person_id": teacher_person_id, "level": level, "support": support, **fields}
    return await post(client, f"/walkthroughs/{walkthrough_id}/observations", body, headers)


async def plc_meeting(
    client: httpx.AsyncClient, world: World, headers: Headers, school: int = 0, **fields: Any
) -> Json:
    body = {
        "school_id": str(world.school_ids("A")[school]),
        "team": "Grade 3 team",
        "met_on": days(-3),
        **fields,
    }
    return await post(client, "/plc-meetings", body, headers)


async def record(client: httpx.AsyncClient, headers: Headers, status: int = 201, **fields: Any) -> Json:
    body = {
        "measure": "belonging",
        "period": "2026-fall",
        "favourable_share": "0.75",
        "respondents": 24,
        **fields,
    }
    return await post(client, "/feedback-results", body, headers, status)
