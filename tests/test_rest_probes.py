"""What a determined integrator (or an attacker) tries against the REST API, and what the contract must
say so that a generated client survives it. Each test is an attack that once got through."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI

from app.core.config import Settings
from app.identity.models import Role
from app.main import create_app
from tests.conftest import Tokens, created

API = "/api/v1"


# --- query parameters ------------------------------------------------------------------------------


async def test_a_misspelt_query_parameter_is_refused_not_ignored(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    """`?updatedSince=` (the sync records' casing) or `?status=` on a list that filters by `stage`
    once answered the whole list, as if no filter had been asked for: a sync script pulled everything
    every night and never knew. An unknown parameter is a 422 naming it, as an unknown body field is."""
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    await created(client, f"{API}/initiatives", {"title": "Reading", "public_value": "All read."}, leader)

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


def test_every_request_body_is_typed_field_by_field(application: FastAPI) -> None:
    """`recordMeasurements` took `measurements: [object]` (`additionalProperties: true`): a generated
    client's rows were bare dicts, and nothing told an integrator a row needs `indicator_id`,
    `value` and `measured_on`. Rows checked one by one by the service are described by their model."""
    document = application.openapi()
    schemas = document["components"]["schemas"]
    untyped = []

    def walk(schema: Any, where: str, seen: frozenset[str]) -> None:
        if isinstance(schema, list):
            for item in schema:
                walk(item, where, seen)
            return
        if not isinstance(schema, dict):
            return
        ref = schema.get("$ref", "").rsplit("/", 1)[-1]
        if ref:
            if ref not in seen:
                walk(schemas[ref], f"{where} → {ref}", seen | {ref})
            return
        untyped_object = schema.get("type") == "object" and not schema.get("properties")
        if untyped_object and schema.get("additionalProperties") in (True, None):
            untyped.append(where)
        for key, value in schema.items():
            if key in ("properties", "items", "anyOf", "oneOf", "allOf", "additionalProperties"):
                walk(list(value.values()) if key == "properties" else value, where, seen)

    for path, method, operation in _operations(document):
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content is not None:
            walk(content["schema"], f"{method} {path}", frozenset())
    assert untyped == []


async def test_the_plan_exports_as_markdown_and_html_by_operations_of_their_own(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    plan = await created(client, f"{API}/plans", {"title": "Reading plan", "cycle": "2026-27"}, leader)
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


# --- HTTP itself -----------------------------------------------------------------------------------


async def test_head_answers_as_get_without_a_body(client: httpx.AsyncClient, tokens: Tokens) -> None:
    """RFC 9110 §9.3.2: a server that answers GET answers HEAD, with the same headers and no body.
    Every read answered 405 to HEAD (`curl -I`, link checkers, monitors), and its `Allow` named GET
    but not HEAD."""
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    for title in ("Reading", "Writing"):
        await created(client, f"{API}/initiatives", {"title": title, "public_value": "All."}, leader)
    got = await client.get(f"{API}/initiatives?limit=1", headers=leader)
    head = await client.head(f"{API}/initiatives?limit=1", headers=leader)
    assert head.status_code == 200, head.headers
    assert head.content == b""
    for name in ("content-type", "content-length", "link"):
        assert head.headers[name] == got.headers[name], name
    one = got.json()["items"][0]["id"]
    head_one = await client.head(f"{API}/initiatives/{one}", headers=leader)
    assert (head_one.status_code, head_one.headers["etag"], head_one.content) == (200, '"1"', b"")
    # Conditional, unauthenticated, unknown: as GET would answer, without the body.
    assert (
        await client.head(f"{API}/initiatives/{one}", headers={**leader, "If-None-Match": '"1"'})
    ).status_code == 304
    assert (await client.head(f"{API}/initiatives/{one}")).status_code == 401
    other = await tokens.headers("B", Role.DISTRICT_LEADER)
    assert (await client.head(f"{API}/initiatives/{one}", headers=other)).status_code == 404

    refused = await client.put(f"{API}/initiatives", headers=leader)
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD, OPTIONS, POST"


async def test_options_says_which_methods_a_path_takes(client: httpx.AsyncClient) -> None:
    """RFC 9110 §9.3.7: `OPTIONS` asks what a resource supports. It answered 405 (a problem) on every
    path; it answers 204 with `Allow`, needing no token (it says nothing of any object: an id that
    does not exist gets the same answer as one that does), and 404 where nothing is served."""
    answer = await client.options(f"{API}/initiatives")
    assert (answer.status_code, answer.headers["allow"], answer.content) == (
        204,
        "GET, HEAD, OPTIONS, POST",
        b"",
    )
    one = await client.options(f"{API}/initiatives/00000000-0000-0000-0000-000000000000")
    assert (one.status_code, one.headers["allow"]) == (204, "GET, HEAD, OPTIONS, PATCH")
    assert (await client.options(f"{API}/nothing-here")).status_code == 404


async def test_a_body_that_is_not_json_is_415(
    client: httpx.AsyncClient, tokens: Tokens, application: FastAPI
) -> None:
    """`curl -d '{…}'` sends `application/x-www-form-urlencoded`; other clients send `text/plain` or
    no type at all. The answer was a 422 saying the body "should be a valid dictionary", which sends
    an integrator looking at the body instead of the header. It is a 415 saying what to send, and
    nothing is written; JSON with a charset or a `+json` type is JSON."""
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    body = json.dumps({"title": "Typed", "public_value": "All."})
    for content_type in ("application/x-www-form-urlencoded", "text/plain", None):
        headers = {**leader, **({"Content-Type": content_type} if content_type else {})}
        refused = await client.post(f"{API}/initiatives", content=body, headers=headers)
        assert refused.status_code == 415, (content_type, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["errors"] == [
            {
                "path": ["header", "Content-Type"],
                "message": "Send application/json.",
                "code": "unsupported_media_type",
            }
        ]
    listed = await client.get(f"{API}/initiatives", headers=leader)
    assert "Typed" not in [i["title"] for i in listed.json()["items"]]
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        accepted = await client.post(
            f"{API}/initiatives", content=body, headers={**leader, "Content-Type": content_type}
        )
        assert accepted.status_code == 201, (content_type, accepted.text)
    declared = application.openapi()["paths"][f"{API}/initiatives"]["post"]["responses"]
    assert declared["415"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    # The token endpoint takes a form, as RFC 6749 says; a body-less POST is not asked for a type.
    assert (await client.post(f"{API}/auth/token", data={"grant_type": "password"})).status_code == 400


async def test_a_browser_may_send_every_header_the_contract_declares(app_settings: Settings) -> None:
    """With CORS on, a preflight named only Authorization, Content-Type, If-Match and X-Request-ID:
    a browser could not send `Idempotency-Key` (the POST retry the contract promises) or
    `If-None-Match`, and could not read `Idempotent-Replayed`. What the contract declares, a browser
    may send and read."""
    app = create_app(app_settings.model_copy(update={"cors_origins": ["https://app.example.org"]}))
    document = app.openapi()
    sent = {
        parameter["name"].lower()
        for _, _, operation in _operations(document)
        for parameter in operation.get("parameters", ())
        if parameter["in"] == "header"
    }
    answered = {
        name.lower()
        for _, _, operation in _operations(document)
        for response in operation["responses"].values()
        for name in response.get("headers", {})
    }
    assert {"idempotency-key", "if-match", "if-none-match"} <= sent
    origin = {"Origin": "https://app.example.org"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        preflight = await http.options(
            f"{API}/initiatives",
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": ", ".join(sorted(sent | {"authorization", "content-type"})),
            },
        )
        assert preflight.status_code == 200, preflight.text
        exposed = {
            name.strip().lower()
            for name in (await http.get("/healthz", headers=origin))
            .headers["access-control-expose-headers"]
            .split(",")
        }
    assert answered | {"idempotent-replayed"} <= exposed
