"""`POST /sync/oneroster` decides who may upload before it reads the upload, and caps its size.

The attack from issue 14: a teacher's token streamed 60 MB, the service read all of it before it
checked the teacher may not sync, and then recorded a rejected run under the teacher's name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.identity.models import Role
from app.main import create_app
from app.sis.models import SyncRun
from tests.conftest import Tokens

ONEROSTER = "/api/v1/sync/oneroster"
MEGABYTE = b"\0" * (1024 * 1024)
BOUNDARY = "triangle-test-boundary"


class Upload:
    """A multipart body of `megabytes` MB, streamed, remembering how much of it the server pulled."""

    def __init__(self, megabytes: int) -> None:
        self.megabytes = megabytes
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="bundle"; filename="b.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        yield head
        for _ in range(self.megabytes):
            self.sent += 1
            yield MEGABYTE
        yield f"\r\n--{BOUNDARY}--\r\n".encode()


def multipart(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


async def runs(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(SyncRun)) or 0


@pytest.mark.parametrize("role", [Role.TEACHER, Role.COACH, Role.VIEWER])
async def test_a_caller_who_may_not_sync_is_refused_before_the_upload_is_read(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession, role: Role
) -> None:
    upload = Upload(60)
    response = await client.post(
        ONEROSTER, content=upload, headers=multipart(await tokens.headers("A", role))
    )
    assert response.status_code == 403, response.text
    assert upload.sent <= 1  # at most what the transport pulls ahead, never the 60 MB
    assert await runs(session) == 0


async def test_an_anonymous_caller_is_refused_before_the_upload_is_read(client: httpx.AsyncClient) -> None:
    upload = Upload(60)
    response = await client.post(ONEROSTER, content=upload, headers=multipart({}))
    assert response.status_code == 401, response.text
    assert upload.sent <= 1


@pytest.fixture
async def small_uploads(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"sync_max_upload_bytes": 2 * 1024 * 1024}))
    async with application.router.lifespan_context(application):
        yield application


async def test_an_upload_over_the_limit_is_413_as_it_arrives(
    small_uploads: FastAPI, tokens: Tokens, session: AsyncSession
) -> None:
    headers = multipart(await tokens.headers("A", Role.DISTRICT_ADMIN))
    transport = httpx.ASGITransport(app=small_uploads, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        upload = Upload(60)  # streamed: no Content-Length to go by
        response = await http.post(ONEROSTER, content=upload, headers=headers)
        assert response.status_code == 413, response.text
        assert response.json()["type"] == "/problems/payload_too_large"
        assert upload.sent <= 4

        declared = await http.post(ONEROSTER, content=b"x" * (3 * 1024 * 1024), headers=headers)
        assert declared.status_code == 413, declared.text
    assert await runs(session) == 0
