"""Records made here before the SIS knew them are matched, not duplicated: staff with accounts by
email, schools made by hand by name (issue 15)."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity.models import Role
from tests.conftest import Tokens, World
from tests.sis.helpers import put, put_ok


async def test_a_teacher_with_an_account_is_one_person(
    client: httpx.AsyncClient, tokens: Tokens, world: World, session: AsyncSession
) -> None:
    roster = await tokens.client_headers("A", "roster")
    _, email = world.user("A", Role.TEACHER)
    person_id = (
        await session.execute(
            text("SELECT person_id FROM user_account WHERE lower(email) = lower(:e)"), {"e": email}
        )
    ).scalar_one()
    record = {
        "sourcedId": "t-77",
        "role": "teacher",
        "givenName": "Tea",
        "familyName": "Cher",
        "email": email.upper(),
    }
    run = await put_ok(client, "staff", [record], roster)
    assert run["created"] == 0
    rows = (
        await session.execute(
            text("SELECT id, sourced_id FROM person WHERE lower(email) = lower(:e)"), {"e": email}
        )
    ).all()
    assert [(r.id, r.sourced_id) for r in rows] == [(person_id, "t-77")]


async def test_a_school_made_by_hand_is_matched_by_name(
    client: httpx.AsyncClient, tokens: Tokens, world: World, session: AsyncSession
) -> None:
    roster = await tokens.client_headers("A", "roster")
    await session.execute(
        text("INSERT INTO school (id, district_id, name) VALUES (gen_random_uuid(), :d, 'Hand Made Middle')"),
        {"d": world.district_id("A")},
    )
    await session.commit()
    run = await put_ok(client, "schools", [{"sourcedId": "hm-1", "name": "hand made middle"}], roster)
    assert run["created"] == 0
    rows = (
        await session.execute(
            text("SELECT sourced_id FROM school WHERE lower(name) = 'hand made middle' AND district_id = :d"),
            {"d": world.district_id("A")},
        )
    ).all()
    assert [r.sourced_id for r in rows] == ["hm-1"]
    # A name that belongs to another SIS school is one clear error.
    response = await put(client, "schools", [{"sourcedId": "hm-2", "name": "Hand Made Middle"}], roster)
    assert response.status_code == 422
    assert [(e["code"], e["path"][-1]) for e in response.json()["errors"]] == [("duplicate", "name")]
