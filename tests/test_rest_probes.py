"""What a determined integrator (or an attacker) tries against the REST API, and what the contract must
say so that a generated client survives it. Each test is an attack that once got through."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from app.identity.models import Role
from tests.conftest import Tokens

API = "/api/v1"


async def _created(client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: Any) -> dict[str, Any]:
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


# --- query parameters ------------------------------------------------------------------------------


async def test_a_misspelt_query_parameter_is_refused_not_ignored(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    """`?updatedSince=` (the sync records' casing) or `?status=` on a list that filters by `stage`
    once answered the whole list, as if no filter had been asked for: a sync script pulled everything
    every night and never knew. An unknown parameter is a 422 naming it, as an unknown body field is."""
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    await _created(client, f"{API}/initiatives", {"title": "Reading", "public_value": "All read."}, leader)

    for query in ("updatedSince=2099-01-01T00:00:00Z", "status=approved", "limit=5&pageSize=5"):
        refused = await client.get(f"{API}/initiatives?{query}", headers=leader)
        assert refused.status_code == 422, (query, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        name = query.rsplit("&", 1)[-1].split("=")[0]
        assert refused.json()["errors"] == [
            {"path": ["query", name], "message": "Unknown query parameter.", "code": "extra_forbidden"}
        ]

    # The declared ones, the list parameters and `order` included, still work, on one object too.
    listed = await client.get(f"{API}/initiatives?stage=exploring&limit=5", headers=leader)
    assert listed.status_code == 200, listed.text
    assert [i["title"] for i in listed.json()["items"]] == ["Reading"]
    one = listed.json()["items"][0]["id"]
    assert (await client.get(f"{API}/initiatives/{one}?expand=all", headers=leader)).status_code == 422
    assert (await client.get(f"{API}/initiatives/{one}", headers=leader)).status_code == 200


async def test_a_write_with_an_unknown_query_parameter_writes_nothing(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    body = {"title": "Dry run?", "public_value": "Nothing."}
    refused = await client.post(f"{API}/initiatives?dry_run=true", json=body, headers=leader)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["path"] == ["query", "dry_run"]
    listed = await client.get(f"{API}/initiatives", headers=leader)
    assert "Dry run?" not in [i["title"] for i in listed.json()["items"]]


# --- what the contract declares --------------------------------------------------------------------


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


def test_errors_are_declared_as_the_server_sends_them(application: FastAPI) -> None:
    """Every problem is sent as `application/problem+json` with the `Problem` schema, and nothing else.
    The contract also offered `application/json` beside it, on the public open-data pages FastAPI's
    own `HTTPValidationError` shape (`detail` as a list), and for the token endpoint's 429 and
    `/readyz`'s 503 no body at all, though both send one: a client built for them parses nothing.
    (The token endpoint's RFC 6749 errors are JSON of their own: `OAuthErrorResponse`.)"""
    document = application.openapi()
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    oauth = {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthErrorResponse"}}}
    lies = [
        (method, path, status, sorted(response.get("content", {})))
        for path, method, operation in _operations(document)
        for status, response in operation["responses"].items()
        if not status.startswith(("2", "3"))
        and response.get("content") != problem
        and not (path == "/api/v1/auth/token" and response.get("content") == oauth)
    ]
    assert lies == []
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_media_type_of_an_answer_has_an_operation_of_its_own(application: FastAPI) -> None:
    """A generated client (openapi-python-client) parses an answer by the first media type its
    operation declares: `exportPlan?format=markdown` crashed it parsing Markdown as JSON. Each other
    media type an operation may answer with is offered alone by an operation of its own."""
    document = application.openapi()
    alone = {
        (path, next(iter(response["content"])))
        for path, _, operation in _operations(document)
        for status, response in operation["responses"].items()
        if status.startswith("2") and len(response.get("content", {})) == 1
    }
    missing = [
        (method, path, media_type)
        for path, method, operation in _operations(document)
        for status, response in operation["responses"].items()
        if status.startswith("2")
        for media_type in list(response.get("content", {}))[1:]
        if not any(other.startswith(path + "/") and kind == media_type for other, kind in alone)
    ]
    assert missing == []


async def test_the_plan_exports_as_markdown_and_html_by_operations_of_their_own(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    plan = await _created(client, f"{API}/plans", {"title": "Reading plan", "cycle": "2026-27"}, leader)
    url = f"{API}/plans/{plan['id']}/export"
    for kind, media_type in (("markdown", "text/markdown"), ("html", "text/html")):
        alone = await client.get(f"{url}/{kind}", headers=leader)
        assert alone.status_code == 200, alone.text
        assert alone.headers["content-type"].startswith(media_type)
        by_format = await client.get(url, params={"format": kind}, headers=leader)
        assert alone.text == by_format.text
        assert "Reading plan" in alone.text
    other = await tokens.headers("B", Role.DISTRICT_LEADER)
    assert (await client.get(f"{url}/markdown", headers=other)).status_code == 404
