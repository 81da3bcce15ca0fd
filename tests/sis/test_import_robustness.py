"""The OneRoster import under abuse: a large parse leaves the server free to answer others, a body past
the limit is refused before it is read, and a damaged zip member is a clear problem (issue 15)."""

from __future__ import annotations

import asyncio
import io
import os

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.demo import operator_of
from app.identity.models import Role
from app.sis import service
from app.sis.models import SyncRunStatus
from tests.conftest import Tokens, World
from tests.sis.helpers import SYNC, bundle, manifest, students, upload


async def test_a_large_parse_leaves_the_event_loop_free(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    # 100,000 malformed lines: none of them reaches the database, so nothing but the parse itself
    # could give the event loop a turn.
    classes = "sourcedId,title,schoolSourcedId\n" + "x\n" * 100_000
    data = bundle({"manifest.csv": manifest(classes="bulk"), "classes.csv": classes})
    events: list[str] = []
    parsing = asyncio.Event()

    def progress(name: str, rows: int, done: int, total: int) -> None:
        events.append(f"progress {rows}")
        parsing.set()

    async def probe() -> None:
        await parsing.wait()
        response = await client.get("/healthz")
        events.append(f"healthz {response.status_code}")

    probing = asyncio.create_task(probe())
    run = await service.import_oneroster(
        session, operator_of(world.district_id("A")), io.BytesIO(data), progress=progress
    )
    await asyncio.wait_for(probing, 30)
    assert run.status is SyncRunStatus.REJECTED
    assert run.error_count == 100_000
    # /healthz was answered while the file was still being parsed, not after it.
    answered = events.index("healthz 200")
    assert events[answered + 1 :], events
    assert events[-1] == "progress 100000"


async def test_a_body_past_the_limit_is_refused_before_it_is_read(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    roster = await tokens.client_headers("A", "roster")
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"sis_max_upload_bytes": 4096})
    try:
        big = bundle({"manifest.csv": manifest(classes="bulk"), "classes.csv": os.urandom(8192).hex()})
        response = await upload(client, big, admin)
        assert response.status_code == 413, response.text
        assert response.json()["type"] == "/problems/payload_too_large"

        # No declared length: counted as it arrives.
        records = students(*(f"s-{i}" for i in range(200)))

        async def chunks():
            body = b'{"records": ' + str(records).replace("'", '"').encode() + b"}"
            for start in range(0, len(body), 1024):
                yield body[start : start + 1024]

        response = await client.put(
            f"{SYNC}/students", content=chunks(), headers={**roster, "Content-Type": "application/json"}
        )
        assert response.status_code == 413, response.text
        assert response.json()["type"] == "/problems/payload_too_large"
    finally:
        app.state.settings = settings
    small = await client.put(f"{SYNC}/students", json={"records": students("s-1")}, headers=roster)
    assert small.status_code == 200, small.text
