"""`DATABASE_READ_URL`: read requests read from the replica; what they write, and requests that write,
go to the primary."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.core.config import Settings
from app.identity.models import Role
from app.main import create_app
from tests.conftest import Tokens
from tests.operations.proxy import SwitchableProxy
from tests.practice.helpers import record


@pytest.fixture
async def replica(database_url: str, admin_engine: AsyncEngine) -> AsyncIterator[tuple[str, SwitchableProxy]]:
    """The test's database as a replica sees it: through a proxy that can be cut, as a role whose
    transactions are read-only (a write sent there fails, as on a hot standby)."""
    role = f"triangle_replica_{uuid.uuid4().hex[:8]}"
    async with admin_engine.connect() as connection:
        await connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        await connection.execute(text(f'ALTER ROLE "{role}" SET default_transaction_read_only = on'))
    database = create_async_engine(database_url, isolation_level="AUTOCOMMIT")
    async with database.connect() as connection:
        await connection.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
    proxy = SwitchableProxy(str(admin_engine.url.render_as_string(hide_password=False)))
    await proxy.start()
    try:
        url = make_url(proxy.url_for(database_url)).set(username=role, password=None)
        yield url.render_as_string(hide_password=False), proxy
    finally:
        if proxy._server is not None:
            await proxy.stop()
        async with database.connect() as connection:
            await connection.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"'))
        await database.dispose()
        async with admin_engine.connect() as connection:
            await connection.execute(text(f'DROP ROLE "{role}"'))


@pytest.mark.long
async def test_reads_go_to_the_replica_and_writes_to_the_primary(
    replica: tuple[str, SwitchableProxy],
    database_url: str,
    keys_dir: Path,
    client: httpx.AsyncClient,
    tokens: Tokens,
) -> None:
    read_url, proxy = replica
    teacher = await tokens.headers("A", Role.TEACHER)  # tokens from the suite's app, same keys
    app = create_app(
        Settings(
            database_url=database_url,
            database_read_url=read_url,
            jwt_keys_dir=keys_dir,
            access_token_ttl_seconds=6 * 3600,
            log_json=False,
            log_level="WARNING",
            db_pool_size=2,
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            result = await record(http, teacher)  # a write: the primary
            # A read that writes its own audit record: the SELECT on the replica (read-only), the
            # INSERT on the primary; were it sent to the replica, it would fail.
            read = await http.get(f"/api/v1/feedback-results/{result['id']}", headers=teacher)
            assert read.status_code == 200, read.text
            graphql = await http.post(
                "/graphql", json={"query": "{ feedbackResults { edges { node { id } } } }"}, headers=teacher
            )
            assert graphql.status_code == 200, graphql.text
            assert "errors" not in graphql.json(), graphql.text

            await proxy.stop()  # the replica goes away: reads are unavailable, writes are not
            assert (await http.get("/api/v1/me", headers=teacher)).status_code == 503
            await record(http, teacher, measure="challenge")
    primary = create_async_engine(database_url)
    try:
        async with primary.connect() as connection:
            reads = await connection.scalar(
                text("SELECT count(*) FROM audit_event WHERE action = 'feedback.read' AND entity_id = :id"),
                {"id": uuid.UUID(result["id"])},
            )
    finally:
        await primary.dispose()
    assert reads == 2
