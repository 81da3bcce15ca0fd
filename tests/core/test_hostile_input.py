"""Input no column can hold, or no parser should accept, is refused as the client's error, never a 500.

Each test is an attack from issue 14 that reached PostgreSQL (or a parser) and failed with a server
error before: NUL and lone surrogates in any text, non-UTF-8 and absurdly nested GraphQL bodies,
integers beyond what a column holds, and numbers read as dates.
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity.models import Role
from app.initiatives.models import Initiative
from tests.conftest import Tokens

API = "/api/v1"
NUL = "\x00"
LONE_SURROGATE = "\ud800"


def assert_refused_text(response: httpx.Response, path: list[str | int]) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/validation_failed"
    assert [e["path"] for e in body["errors"]] == [path]
    assert body["errors"][0]["code"] == "forbidden_character"


def assert_graphql_refused(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["bad_user_input"]


async def initiative_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Initiative)) or 0


# --- NUL and lone surrogates -----------------------------------------------------------------------


@pytest.mark.parametrize("username", [f"a{NUL}b@example.org", NUL])
async def test_nul_in_the_token_endpoints_username_is_422_without_a_token(
    client: httpx.AsyncClient, username: str
) -> None:
    response = await client.post(
        f"{API}/auth/token", data={"grant_type": "password", "username": username, "password": "x"}
    )
    assert_refused_text(response, ["body", "username"])


@pytest.mark.parametrize("bad", [NUL, LONE_SURROGATE, "\udfff tail"])
async def test_forbidden_text_in_a_json_body_is_422_and_writes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession, bad: str
) -> None:
    before = await initiative_count(session)
    response = await client.post(
        f"{API}/initiatives",
        # ensure_ascii (the default) sends the escape `\u0000` / `\ud800`, as a hostile client would.
        content=json.dumps({"title": f"Reading {bad}", "public_value": "Better reading."}),
        headers={**await tokens.headers("A", Role.DISTRICT_LEADER), "Content-Type": "application/json"},
    )
    assert_refused_text(response, ["body", "title"])
    assert await initiative_count(session) == before


async def test_a_valid_surrogate_pair_is_ordinary_text(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.post(
        f"{API}/initiatives",
        content=json.dumps({"title": "Reading \U0001f4da", "public_value": "Better reading."}),
        headers={**await tokens.headers("A", Role.DISTRICT_LEADER), "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Reading \U0001f4da"


async def test_nul_in_a_list_filter_is_422(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.get(
        f"{API}/audit-events?entity_type=school%00",
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN),
    )
    assert_refused_text(response, ["query", "entity_type"])


async def test_non_utf8_in_a_query_string_is_422(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.get(
        f"{API}/audit-events?entity_type=%ED%A0%80", headers=await tokens.headers("A", Role.DISTRICT_ADMIN)
    )
    assert_refused_text(response, ["query", "entity_type"])


async def test_nul_in_a_path_is_422(client: httpx.AsyncClient) -> None:
    assert_refused_text(await client.get("/problems/not%00found"), ["path"])


async def test_nul_in_graphql_variables_is_a_bad_user_input_error(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    before = await initiative_count(session)
    response = await client.post(
        "/graphql",
        content=json.dumps(
            {
                "query": "mutation($i: CreateInitiativeInput!) { createInitiative(input: $i) { userErrors { code } } }",
                "variables": {"i": {"title": f"x{NUL}", "publicValue": "y"}},
            }
        ),
        headers={**await tokens.headers("A", Role.DISTRICT_LEADER), "Content-Type": "application/json"},
    )
    assert_graphql_refused(response)
    assert await initiative_count(session) == before


async def test_nul_in_a_graphql_string_literal_is_a_bad_user_input_error(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    before = await initiative_count(session)
    query = (
        'mutation { createInitiative(input: {title: "x\\u0000", publicValue: "y"}) { userErrors { code } } }'
    )
    response = await client.post(
        "/graphql", json={"query": query}, headers=await tokens.headers("A", Role.DISTRICT_LEADER)
    )
    assert_graphql_refused(response)
    assert await initiative_count(session) == before


async def test_nul_in_graphql_get_variables_is_a_bad_user_input_error(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.get(
        "/graphql",
        params={
            "query": "query($s: String) { __typename }",
            "variables": json.dumps({"s": NUL}),
        },
        headers={**await tokens.headers("A", Role.DISTRICT_LEADER), "Accept": "application/json"},
    )
    assert_graphql_refused(response)


async def test_bound_parameters_never_reach_an_error_message(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed statement's error (and so the log line it makes) says what failed, not with what."""
    private = "PLC note: Ms. Rivera's class is struggling"
    with caplog.at_level(logging.DEBUG):
        async with app.state.engine.connect() as connection:
            with pytest.raises(DBAPIError) as failure:
                await connection.execute(text("SELECT CAST(:note AS integer)"), {"note": private})
    assert private not in str(failure.value)
    assert private not in caplog.text


# --- GraphQL transport -------------------------------------------------------------------------------


async def test_a_graphql_body_that_is_not_utf8_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        content=b'{"query": "{ __typename \xff\xfe }"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text


@pytest.mark.parametrize("depth", [100, 100_000])
async def test_graphql_variables_nested_deep_are_400(client: httpx.AsyncClient, depth: int) -> None:
    variables = "[" * depth + "]" * depth
    body = '{"query": "query($v: String) { __typename }", "variables": {"v": ' + variables + "}}"
    response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text


# --- integers and dates ------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["2147483648", "99999999999999999999999"])
async def test_a_revision_number_beyond_the_column_is_422(
    client: httpx.AsyncClient, tokens: Tokens, number: str
) -> None:
    response = await client.get(
        f"{API}/plans/00000000-0000-0000-0000-000000000001/revisions/diff?from=0&to={number}",
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == ["query", "to"]


@pytest.mark.parametrize("value", ["0.5", "0", "1700000000", "1e9"])
async def test_numbers_are_not_times_in_a_query(
    client: httpx.AsyncClient, tokens: Tokens, value: str
) -> None:
    response = await client.get(
        f"{API}/initiatives", params={"updated_since": value}, headers=await tokens.headers("A", Role.TEACHER)
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "iso8601_required"


async def test_numbers_are_not_dates_in_a_body(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.post(
        f"{API}/initiatives",
        json={"title": "Reading", "public_value": "Better reading.", "starts_on": 0},
        headers=await tokens.headers("A", Role.DISTRICT_LEADER),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == ["body", "starts_on"]
    assert response.json()["errors"][0]["code"] == "iso8601_required"


async def test_iso_times_still_work(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.get(
        f"{API}/initiatives",
        params={"updated_since": "2026-01-01T00:00:00Z"},
        headers=await tokens.headers("A", Role.TEACHER),
    )
    assert response.status_code == 200, response.text


# --- the contract -------------------------------------------------------------------------------------


async def test_allow_on_a_405_lists_every_method_of_the_path(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    user_id, _ = tokens.world.user("A", Role.TEACHER)
    response = await client.delete(
        f"{API}/users/{user_id}", headers=await tokens.headers("A", Role.DISTRICT_ADMIN)
    )
    assert response.status_code == 405, response.text
    assert set(response.headers["allow"].split(", ")) >= {"GET", "PATCH"}


async def test_a_body_that_does_not_parse_is_a_declared_400(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.post(
        f"{API}/initiatives",
        content=b'{"title": "\xff"}',
        headers={**await tokens.headers("A", Role.DISTRICT_LEADER), "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    document = (await client.get("/openapi.json")).json()
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert all("400" in op["responses"] for op in operations if "requestBody" in op)
    assert all("422" in op["responses"] for op in operations)
