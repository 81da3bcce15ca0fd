"""The database going away and coming back: 503 with `Retry-After`, one log line each way, recovery."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.identity.models import Role
from app.main import create_app
from tests.conftest import TEST_PASSWORD, World
from tests.operations.proxy import SwitchableProxy

QUERY = "{ initiatives(first: 1) { edges { node { id } } } }"


@pytest.fixture
async def proxy(database_server_url: str) -> AsyncIterator[SwitchableProxy]:
    made = SwitchableProxy(database_server_url)
    await made.start()
    yield made
    if made._server is not None:
        await made.stop()


@pytest.fixture
async def proxied_app(proxy: SwitchableProxy, database_url: str, keys_dir: Path) -> AsyncIterator[FastAPI]:
    app = create_app(
        Settings(
            database_url=proxy.url_for(database_url),
            jwt_keys_dir=keys_dir,
            log_json=False,
            log_level="WARNING",
            db_pool_size=2,
        )
    )
    async with app.router.lifespan_context(app):
        yield app


async def test_database_outage_answers_503_logs_once_and_recovers(
    proxied_app: FastAPI, proxy: SwitchableProxy, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    transport = httpx.ASGITransport(app=proxied_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        _, email = world.user("A", Role.DISTRICT_ADMIN)
        login = {"grant_type": "password", "username": email, "password": TEST_PASSWORD}
        token = (await http.post("/api/v1/auth/token", data=login)).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert (await http.get("/api/v1/me", headers=auth)).status_code == 200

        await proxy.stop()
        caplog.clear()
        with caplog.at_level(logging.INFO):
            for _ in range(3):
                me = await http.get("/api/v1/me", headers=auth)
                assert me.status_code == 503, me.text
                assert me.headers["content-type"] == "application/problem+json"
                assert me.headers["retry-after"] == "5"
                assert me.json()["type"] == "/problems/unavailable"

            signin = await http.post("/api/v1/auth/token", data=login)
            assert signin.status_code == 503, signin.text
            assert signin.headers["retry-after"] == "5"

            graphql = await http.post("/graphql", json={"query": QUERY}, headers=auth)
            assert graphql.status_code == 503, graphql.text
            assert graphql.headers["retry-after"] == "5"
            assert [e["extensions"]["code"] for e in graphql.json()["errors"]] == ["unavailable"]

            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.headers["content-type"] == "application/problem+json"
            assert ready.headers["retry-after"] == "5"
            assert ready.json()["reason"] == "database unreachable"

        warnings = [r.getMessage() for r in caplog.records if r.name == "triangle.database"]
        assert warnings == ["database unavailable; answering 503 until it is back"]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

        await proxy.start()  # the same port: the database is back
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert (await http.get("/api/v1/me", headers=auth)).status_code == 200
            assert (await http.get("/readyz")).status_code == 200
            assert (await http.post("/api/v1/auth/token", data=login)).status_code == 200
            graphql = await http.post("/graphql", json={"query": QUERY}, headers=auth)
            assert graphql.status_code == 200
            assert "errors" not in graphql.json()
        assert [r.getMessage() for r in caplog.records if r.name == "triangle.database"] == [
            "database available again"
        ]
