"""Logs: JSON lines naming the worker, the caller and the client address; nothing at error level for
a client's mistake."""

from __future__ import annotations

import io
import json
import logging
import os

import httpx
import pytest

from app.core.logging import JsonFormatter
from app.identity.models import Role
from tests.conftest import Tokens


@pytest.fixture
def json_lines() -> io.StringIO:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)  # setLevel, not the attribute: loggers cache what is enabled
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _entries(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_each_request_line_names_pid_principal_and_client(
    client: httpx.AsyncClient, tokens: Tokens, json_lines: io.StringIO
) -> None:
    headers = await tokens.headers("A", Role.COACH)
    me = (await client.get("/api/v1/me", headers=headers)).json()
    access = [e for e in _entries(json_lines) if e["logger"] == "triangle.access"]
    assert access[-1]["pid"] == os.getpid()
    assert access[-1]["principal_id"] == me["id"]
    assert access[-1]["client_address"] == "127.0.0.1"  # httpx's ASGI transport's client
    assert access[-1]["route"] == "/api/v1/me"


async def test_client_mistakes_log_nothing_at_error_level(
    client: httpx.AsyncClient, json_lines: io.StringIO
) -> None:
    # No token, a bad token, a query that does not validate, a malformed body.
    await client.post("/graphql", json={"query": "{ initiatives(first: 1) { edges { node { id } } } }"})
    await client.post(
        "/graphql", json={"query": "{ initiatives { edges } }"}, headers={"Authorization": "Bearer nope"}
    )
    await client.post("/graphql", json={"query": "{ noSuchField }"})
    await client.post("/api/v1/auth/token", data={"grant_type": "password"})
    await client.get("/api/v1/me", headers={"Authorization": "Basic eA=="})
    entries = _entries(json_lines)
    assert len([e for e in entries if e["logger"] == "triangle.access"]) == 5
    assert [e for e in entries if e["level"] in ("error", "critical")] == []
    assert not [e for e in entries if "exception" in e]
