"""`Idempotency-Key` on POSTs that create (api.md): a retry gets the first answer and creates nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.identity.models import Role
from tests.conftest import Tokens

INITIATIVES = "/api/v1/initiatives"
BODY = {"title": "Every child reads by grade 3", "public_value": "Every student reads by grade 3."}


async def titles(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.get(INITIATIVES, params={"limit": 200}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def post(client: httpx.AsyncClient, headers: dict[str, str], key: str | None, body: Any = BODY) -> Any:
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.post(INITIATIVES, json=body, headers={**headers, **extra})


@pytest.fixture
async def leader(tokens: Tokens) -> dict[str, str]:
    return await tokens.headers("A", Role.DISTRICT_LEADER)


async def test_a_retry_with_the_same_key_gets_the_first_answer_and_creates_nothing(
    client: httpx.AsyncClient, leader: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    first = await post(client, leader, key)
    again = await post(client, leader, key, body=dict(reversed(BODY.items())))  # same JSON, other order
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert (await titles(client, leader)).count(BODY["title"]) == 1


async def test_the_same_key_with_another_request_is_a_422_and_creates_nothing(
    client: httpx.AsyncClient, leader: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    assert (await post(client, leader, key)).status_code == 201
    other = await post(client, leader, key, body={**BODY, "title": "Another"})
    assert other.status_code == 422, other.text
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert "Another" not in await titles(client, leader)


async def test_keys_belong_to_their_caller(
    client: httpx.AsyncClient, tokens: Tokens, leader: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    mine = await post(client, leader, key)
    theirs = await post(client, admin, key)
    assert mine.status_code == theirs.status_code == 201, theirs.text
    assert theirs.json()["id"] != mine.json()["id"]
    assert "idempotent-replayed" not in theirs.headers
    assert (await titles(client, leader)).count(BODY["title"]) == 2


async def test_without_a_key_every_post_creates(client: httpx.AsyncClient, leader: dict[str, str]) -> None:
    first, second = await post(client, leader, None), await post(client, leader, None)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert (await titles(client, leader)).count(BODY["title"]) == 2


async def test_a_concurrent_pair_creates_one_object(
    client: httpx.AsyncClient, leader: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    answers = await asyncio.gather(post(client, leader, key), post(client, leader, key))
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    assert (await titles(client, leader)).count(BODY["title"]) == 1


async def test_a_failed_request_keeps_no_key_so_its_retry_runs(
    client: httpx.AsyncClient, leader: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    bad = await post(client, leader, key, body={**BODY, "school_id": str(uuid.uuid4())})  # no such school
    assert bad.status_code == 404, bad.text
    retry = await post(client, leader, key, body={**BODY, "school_id": str(uuid.uuid4())})
    assert retry.status_code == 404
    assert "idempotent-replayed" not in retry.headers
    assert (await post(client, leader, key)).status_code == 201


async def test_an_expired_key_is_claimed_afresh(
    app: FastAPI, client: httpx.AsyncClient, leader: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    assert (await post(client, leader, key)).status_code == 201
    async with app.state.engine.begin() as connection:
        await connection.execute(
            text("UPDATE idempotency_key SET expires_at = now() - interval '1 second' WHERE key = :key"),
            {"key": key},
        )
    again = await post(client, leader, key)
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert (await titles(client, leader)).count(BODY["title"]) == 2


def test_the_contract_declares_the_header_on_creating_posts_only(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    create = paths[INITIATIVES]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    token = paths["/api/v1/auth/token"]["post"]
    assert not any(p.get("name") == "Idempotency-Key" for p in token.get("parameters", []))
