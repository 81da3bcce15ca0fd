"""`/metrics`: Prometheus series for requests by route template and status, the pool, GraphQL
operations by name and SIS sync rows by result; and the token that protects it when set."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from app.core.config import Settings
from app.identity.models import Role
from app.main import create_app
from tests.conftest import Tokens
from tests.sis.helpers import put_ok, students


def _samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def _value(samples: list[tuple[dict[str, str], float]], **labels: str) -> float:
    return sum(value for found, value in samples if labels.items() <= found.items())


async def test_metrics_expose_requests_pool_graphql_and_sync(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    before = _samples((await client.get("/metrics")).text)
    headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert (await client.get(f"/api/v1/users/{me['id']}", headers=headers)).status_code in (200, 404)
    assert (await client.get("/api/v1/districts/not-an-id", headers=headers)).status_code == 422
    graphql = await client.post(
        "/graphql",
        json={"query": "query PlanList { plans(first: 1) { edges { node { id } } } }"},
        headers=headers,
    )
    assert "errors" not in graphql.json(), graphql.text
    await put_ok(client, "students", students("m-1", "m-2"), await tokens.client_headers("A", "roster"))

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = _samples(response.text)

    def grew(name: str, **labels: str) -> float:
        return _value(after.get(name, []), **labels) - _value(before.get(name, []), **labels)

    # Routes by template, never by the id in the path.
    assert grew("triangle_http_requests_total", route="/api/v1/me", status="200", method="GET") == 1
    assert grew("triangle_http_requests_total", route="/api/v1/users/{user_id}") == 1
    assert grew("triangle_http_requests_total", route="/api/v1/districts/{district_id}", status="422") == 1
    assert not [labels for labels, _ in after["triangle_http_requests_total"] if me["id"] in labels["route"]]
    assert grew("triangle_http_request_duration_seconds_count", route="/api/v1/me") == 1
    assert grew("triangle_graphql_operations_total", operation="PlanList", type="query", outcome="ok") == 1
    assert grew("triangle_sync_rows_total", entity="students", result="created") == 2
    # The app under test holds an engine: its pool's capacity is there.
    assert _value(after["triangle_db_pool_capacity"]) >= 1
    assert "triangle_db_pool_waiting" in after


async def test_pool_in_use_counts_held_connections(app: FastAPI, client: httpx.AsyncClient) -> None:
    idle = _value(_samples((await client.get("/metrics")).text)["triangle_db_pool_in_use"])
    async with app.state.session_factory() as session:
        await session.execute(text("SELECT 1"))  # holds a connection until the session ends
        held = _value(_samples((await client.get("/metrics")).text)["triangle_db_pool_in_use"])
    released = _value(_samples((await client.get("/metrics")).text)["triangle_db_pool_in_use"])
    assert (held - idle, released - idle) == (1, 0)


async def test_metrics_token_protects_the_endpoint(app_settings: Settings) -> None:
    guarded: FastAPI = create_app(app_settings.model_copy(update={"metrics_token": "scrape-me"}))
    transport = httpx.ASGITransport(app=guarded)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        refused = await http.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert (await http.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        assert (await http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})).status_code == 200

    elsewhere = create_app(app_settings.model_copy(update={"metrics_port": 9464}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=elsewhere), base_url="http://t") as http:
        assert (await http.get("/metrics")).status_code == 404  # served by `triangle serve` on 9464


async def test_a_made_up_method_grows_no_series(client: httpx.AsyncClient) -> None:
    """HTTP lets a client send any token as its method: counted under OTHER, not as a new series per
    invented method, so nobody can grow /metrics (and the memory behind it) at will."""
    for n in range(3):
        await client.request(f"FROBNICATE{n}", "/api/v1/me")
    families = _samples((await client.get("/metrics")).text)
    methods = {labels["method"] for labels, _ in families["triangle_http_requests_total"]}
    assert not [method for method in methods if method.startswith("FROBNICATE")]
    assert "OTHER" in methods
