"""Concurrent syncs that deadlock over the same rows: retried inside the service, and when retries do
not help, a 503 with Retry-After and no database internals (issue 15)."""

from __future__ import annotations

import io

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.demo import operator_of
from app.sis import service
from app.sis.models import SyncRunStatus
from app.sis.schemas import SyncEntity
from tests.conftest import Tokens, World
from tests.sis.helpers import SYNC, full_bundle, list_all, put, students


async def test_a_deadlocked_batch_is_retried_and_applies(
    client: httpx.AsyncClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = await tokens.client_headers("A", "roster")
    write = service.BulkWriter.write
    attempts: list[int] = []

    async def deadlocks_once(writer: service.BulkWriter, prepared: object) -> object:
        attempts.append(1)
        counts = await write(writer, prepared)  # type: ignore[arg-type]
        if len(attempts) == 1:
            # As PostgreSQL does when it breaks a deadlock: this attempt's writes are rolled back.
            raise asyncpg.DeadlockDetectedError("deadlock detected")
        return counts

    monkeypatch.setattr(service.BulkWriter, "write", deadlocks_once)
    response = await put(client, "students", students("s-1", "s-2"), roster)
    assert response.status_code == 200, response.text
    assert len(attempts) == 2
    # The first attempt's writes were rolled back: the second created them, once.
    assert (response.json()["created"], response.json()["unchanged"]) == (2, 0)
    assert sorted(s["sourcedId"] for s in await list_all(client, f"{SYNC}/students", roster)) == [
        "s-1",
        "s-2",
    ]


async def test_a_batch_that_keeps_deadlocking_is_a_retryable_503(
    client: httpx.AsyncClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = await tokens.client_headers("A", "roster")

    async def always_deadlocks(connection: object, work: object) -> object:
        raise asyncpg.DeadlockDetectedError("deadlock detected\nDETAIL: Process 1 waits for ShareLock")

    # The retries run for real; only every attempt deadlocks.
    monkeypatch.setattr(service.BulkWriter, "write", always_deadlocks)
    response = await put(client, "students", students("s-1"), roster)
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    body = response.json()
    assert body["type"] == "/problems/sync_busy"
    assert "deadlock" not in response.text.lower()
    assert "Process" not in response.text


async def test_an_import_retried_after_a_deadlock_plans_its_second_attempt_as_its_first(
    session: AsyncSession, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first attempt's temporary stages went with its savepoint: the second must build (and
    analyse) its own, or the planner joins an unanalysed stage to the real tables blind."""
    write = service.BulkWriter.write
    attempts: list[int] = []

    async def deadlocks_once(writer: service.BulkWriter, prepared: object) -> object:
        counts = await write(writer, prepared)  # type: ignore[arg-type]
        if prepared.entity is SyncEntity.STUDENTS:  # type: ignore[attr-defined]
            attempts.append(1)
            if len(attempts) == 1:
                raise asyncpg.DeadlockDetectedError("deadlock detected")
        return counts

    monkeypatch.setattr(service.BulkWriter, "write", deadlocks_once)
    run = await service.import_oneroster(
        session, operator_of(world.district_id("A")), io.BytesIO(full_bundle())
    )
    assert run.status is SyncRunStatus.APPLIED, run.errors
    assert len(attempts) == 2
    # Still inside the import's transaction: the stage the second attempt wrote through has statistics.
    analysed = await session.execute(
        text("SELECT count(*) FROM pg_stats WHERE tablename = 'sis_stage_students'")
    )
    assert analysed.scalar_one() > 0
