"""Operations: health, readiness, request ids, problem documents, masked errors, offline docs."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app


async def test_healthz_answers_without_touching_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_migrated_revision(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert re.fullmatch(r"\d{4}", body["revision"])


async def test_readyz_is_unavailable_on_an_unmigrated_database(empty_database_url: str) -> None:
    app = create_app(Settings(database_url=empty_database_url, log_json=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"] == "database not migrated"


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    generated = await client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])

    echoed = await client.get("/healthz", headers={"X-Request-ID": "sync-run-42"})
    assert echoed.headers["x-request-id"] == "sync-run-42"

    # An id a log reader could be fooled by (newlines, huge) is replaced, not echoed.
    hostile = await client.get("/healthz", headers={"X-Request-ID": "a" * 500})
    assert hostile.headers["x-request-id"] != "a" * 500


async def test_unknown_path_and_wrong_method_are_problem_documents(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == "/problems/not_found"

    wrong_method = await client.delete("/api/v1/districts")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["type"] == "/problems/method_not_allowed"


async def test_problem_types_are_documented(client: httpx.AsyncClient) -> None:
    for code in ("not_found", "validation_failed", "stale_version", "method_not_allowed", "internal_error"):
        response = await client.get(f"/problems/{code}")
        assert response.status_code == 200, code
        assert response.json()["title"]
    assert (await client.get("/problems/no_such_thing")).status_code == 404


async def test_unexpected_errors_are_masked(app: FastAPI, client: httpx.AsyncClient) -> None:
    async def explode() -> None:
        raise RuntimeError("secret connection string postgres://admin:hunter2@db")

    # The app is shared by the tests of this worker: the route stays out of its contract, and goes.
    app.add_api_route("/explode", explode, include_in_schema=False)
    try:
        response = await client.get("/explode")
    finally:
        app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != "/explode"]
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/internal_error"
    assert body["request_id"] == response.headers["x-request-id"]
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text


async def test_docs_and_graphiql_load_their_assets_from_the_service(client: httpx.AsyncClient) -> None:
    for page in ("/docs", "/graphql"):
        response = await client.get(page, headers={"Accept": "text/html"})
        assert response.status_code == 200, page
        asset_urls = re.findall(r'(?:src|href)\s*[=:]\s*["\']([^"\']+\.(?:js|css))', response.text)
        assert asset_urls, page
        for url in asset_urls:
            assert url.startswith("/static/"), f"{page} loads {url} from outside the service"
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert len(asset.content) > 1000, url


async def test_openapi_document_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Triangle"


async def test_version_names_the_package_and_schema(client: httpx.AsyncClient) -> None:
    from app.core.migrations import head_revision
    from app.version import package_version

    body = (await client.get("/version")).json()
    assert body["version"] == package_version()
    assert body["schema_revision"] == head_revision()
    assert (await client.get("/openapi.json")).json()["info"]["version"] == package_version()


async def test_the_root_points_to_the_docs(client: httpx.AsyncClient) -> None:
    body = (await client.get("/")).json()
    assert body["docs"] == "/docs"
    assert (await client.get(body["docs"])).status_code == 200


async def test_cors_preflight_for_graphql_from_an_allowed_origin(app_settings: Settings) -> None:
    app = create_app(app_settings.model_copy(update={"cors_origins": ["https://app.example.org"]}))
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        allowed = await http.options("/graphql", headers={"Origin": "https://app.example.org", **preflight})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.org"
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()

        refused = await http.options("/graphql", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in refused.headers


def test_cors_origins_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIANGLE_CORS_ORIGINS", "https://a.example.org, https://b.example.org/")
    assert Settings().cors_origins == ["https://a.example.org", "https://b.example.org"]
