"""Every answer carries nosniff and no-referrer; HTML and SVG run no script but their own.

Issue 14: GraphiQL, the docs, a plan exported as HTML and the run chart in SVG were served with no
Content-Security-Policy, no `X-Content-Type-Options` and no `Referrer-Policy`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.identity.models import Role
from app.main import create_app
from tests.conftest import Tokens
from tests.monitoring.helpers import admin_headers, create_plan, initiative_measure, record_series

API = "/api/v1"


def directives(response: httpx.Response) -> dict[str, list[str]]:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    policy = response.headers["content-security-policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    assert parsed["frame-ancestors"] == ["'none'"]
    return parsed


def inline_script_hashes(html: str) -> set[str]:
    return {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    }


@pytest.mark.parametrize(("path", "accept"), [("/docs", "text/html"), ("/graphql", "text/html")])
async def test_our_pages_run_only_our_scripts(client: httpx.AsyncClient, path: str, accept: str) -> None:
    response = await client.get(path, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    policy = directives(response)
    assert policy["default-src"] == ["'none'"]
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts
    assert inline_script_hashes(response.text) <= set(scripts)
    assert "*" not in " ".join(scripts)


async def test_an_exported_plan_and_a_chart_run_no_script(client: httpx.AsyncClient, tokens: Tokens) -> None:
    admin = await admin_headers(tokens)
    plan_id = await create_plan(client, admin)
    exported = await client.get(f"{API}/plans/{plan_id}/export?format=html", headers=admin)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/html")
    assert "script-src" not in directives(exported)
    assert directives(exported)["default-src"] == ["'none'"]

    indicator_id = await initiative_measure(client, admin)
    await record_series(client, admin, indicator_id, [1, 2, 3])
    chart = await client.get(f"{API}/indicators/{indicator_id}/chart.svg", headers=admin)
    assert chart.status_code == 200, chart.text
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert "script-src" not in directives(chart)
    assert directives(chart)["default-src"] == ["'none'"]


async def test_json_answers_carry_the_headers_too(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.get(f"{API}/me", headers=await tokens.headers("A", Role.TEACHER))
    directives(response)


@pytest.fixture
async def production(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # Built as production reads them (model_copy would skip the validator that sets the defaults).
    application: FastAPI = create_app(
        Settings.model_validate({**_explicit(settings), "environment": "production"})
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def _explicit(settings: Settings) -> dict[str, object]:
    values = settings.model_dump()
    del values["graphql_introspection"], values["graphql_ide"]
    return values


async def test_production_serves_no_ide_and_no_introspection_by_default(
    production: httpx.AsyncClient, tokens: Tokens
) -> None:
    assert (await production.get("/graphql", headers={"Accept": "text/html"})).status_code == 404
    response = await production.post(
        "/graphql",
        json={"query": "{ __schema { types { name } } }"},
        headers=await tokens.headers("A", Role.TEACHER),
    )
    assert response.json().get("data") is None
    assert "introspection" in response.json()["errors"][0]["message"].lower()
