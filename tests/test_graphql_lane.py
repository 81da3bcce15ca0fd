"""The GraphQL lane (`app.graphql.lane`) answers exactly as the `/graphql` route does, and leaves to the
route what it does not know.

Every request below is sent twice per caller, through the lane and with the lane off, after the
document has been compiled; the two answers must agree in status, body (byte for byte) and headers.
The callers are nobody, a bad token, every role of district A, a client and another district's leader;
the requests include the read path's pages, errors that null a parent and a non-null root, a lookup
of another district's object, persisted queries by hash, variables that do not coerce, and bodies the
lane leaves to the route (a batch, another content type, unknown fields, JSON that does not parse).
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from app.graphql.lane import GraphQLLane
from app.graphql.router import OfflineGraphQLRouter
from app.identity.models import Role
from tests.conftest import Tokens, World
from tests.test_read_path import FLAT, NESTED, seed_initiatives, seed_plans

_IGNORED_HEADERS = {"date"}

LOOKUP = """query($id: ID!) { node(id: $id) { id ... on Plan { title } } }"""
ERRORS = """{ plans(first: 1) { edges { node { title goals(first: -1) { edges { cursor } } } } } }"""
TWO = """query A { initiatives(first: 2) { edges { node { title } } } }
         query B { plans(first: 2) { totalCount edges { node { title status } } } }"""


def _bodies() -> list[tuple[str, bytes, str]]:
    """(label, body, content type): the first run of each document compiles it."""
    digest = hashlib.sha256(FLAT.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    json = "application/json"
    return [
        ("nested", orjson.dumps({"query": NESTED, "variables": {"cycle": "2026-27"}}), json),
        ("nested, other variables", orjson.dumps({"query": NESTED, "variables": {"cycle": "nope"}}), json),
        ("variables that do not coerce", orjson.dumps({"query": NESTED, "variables": {"cycle": 7}}), json),
        ("flat", orjson.dumps({"query": FLAT}), json),
        ("flat with nulls", orjson.dumps({"query": FLAT, "variables": None, "operationName": None}), json),
        ("persisted: text and hash", orjson.dumps({"query": FLAT, "extensions": persisted}), json),
        ("persisted: hash alone", orjson.dumps({"extensions": persisted}), json),
        ("lookup", orjson.dumps({"query": LOOKUP, "variables": {"id": "UGxhbjox"}}), json),
        ("argument error", orjson.dumps({"query": ERRORS}), json),
        ("operation A", orjson.dumps({"query": TWO, "operationName": "A"}), json),
        ("operation B", orjson.dumps({"query": TWO, "operationName": "B"}), json),
        ("no operation named", orjson.dumps({"query": TWO}), json),
        ("unknown field", orjson.dumps({"query": FLAT, "extra": 1}), json),
        ("a batch", orjson.dumps([{"query": FLAT}]), json),
        ("charset", orjson.dumps({"query": FLAT}), "application/json; charset=utf-8"),
        ("not JSON", b'{"query": ', json),
        ("does not validate", orjson.dumps({"query": "{ nope }"}), json),
    ]


def _comparable(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = sorted((k.lower(), v) for k, v in response.headers.items() if k.lower() not in _IGNORED_HEADERS)
    return response.status_code, response.content, headers


async def _callers(tokens: Tokens) -> list[dict[str, str]]:
    callers: list[dict[str, str]] = [{}, {"Authorization": "Bearer not-a-token"}]
    callers += [await tokens.headers("A", role) for role in Role]
    callers += [await tokens.client_headers("A", "read"), await tokens.headers("B", Role.DISTRICT_LEADER)]
    return callers


async def test_the_lane_answers_every_caller_as_the_route_does(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_plans(app, world, "2026-27", 2)
    await seed_initiatives(app, world, 3)
    # Plans answer for themselves here (the suite's verification runs the interpreter too).
    monkeypatch.setattr(app.state.graphql_schema, "verify", False)
    for headers in await _callers(tokens):
        headers = {**headers, "X-Request-ID": "lane-test"}  # errors carry it
        for label, body, content_type in _bodies():
            sent = {**headers, "Content-Type": content_type}
            await client.post("/graphql", content=body, headers=sent)  # compiles the document
            monkeypatch.setattr(GraphQLLane, "enabled", True)
            laned = await client.post("/graphql", content=body, headers=sent)
            monkeypatch.setattr(GraphQLLane, "enabled", False)
            plain = await client.post("/graphql", content=body, headers=sent)
            assert _comparable(laned) == _comparable(plain), (label, headers)


async def test_the_lane_answers_compiled_queries_and_leaves_the_rest_to_the_route(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_initiatives(app, world, 2)
    headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    routed: list[Any] = []
    execute_single = OfflineGraphQLRouter.execute_single

    async def counted(self: OfflineGraphQLRouter, *args: Any, **kwargs: Any) -> Any:
        routed.append(kwargs.get("request_data"))
        return await execute_single(self, *args, **kwargs)

    monkeypatch.setattr(OfflineGraphQLRouter, "execute_single", counted)

    first = await client.post("/graphql", json={"query": FLAT}, headers=headers)
    assert len(routed) == 1  # not compiled yet: the route
    again = await client.post("/graphql", json={"query": FLAT}, headers=headers)
    assert len(routed) == 1  # compiled: the lane
    assert again.content == first.content
    await client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    await client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    assert len(routed) == 3  # a document that does not validate is never compiled
    monkeypatch.setattr(GraphQLLane, "enabled", False)
    assert (await client.post("/graphql", json={"query": FLAT}, headers=headers)).content == first.content
    assert len(routed) == 4
