"""The OneRoster import under abuse: a large parse leaves the server free to answer others, a body past
the limit is refused before it is read, and a damaged zip member is a clear problem (issue 15)."""

from __future__ import annotations

import asyncio
import io
import os
import zipfile
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli import main as cli_main
from app.core.config import get_settings
from app.demo import operator_of
from app.identity.models import Role
from app.sis import service
from app.sis.models import SyncRunStatus
from tests.conftest import Tokens, World
from tests.sis.helpers import (
    CLASSES,
    ENROLLMENTS,
    ORGS,
    SYNC,
    bundle,
    full_bundle,
    manifest,
    students,
    upload,
)


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
    app.state.settings = settings.model_copy(update={"sync_max_upload_bytes": 4096})
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


def damaged(kind: str) -> bytes:
    """A bundle whose classes.csv is damaged in the zip: a flipped byte (its CRC no longer matches) or
    a broken deflate stream."""
    classes = "sourcedId,title,schoolSourcedId\n" + "".join(f"c-{i},Class {i},a-es\n" for i in range(2000))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.csv", manifest(classes="bulk"), zipfile.ZIP_DEFLATED)
        stored = zipfile.ZIP_STORED if kind == "crc" else zipfile.ZIP_DEFLATED
        archive.writestr("classes.csv", classes, stored)
    data = bytearray(buffer.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("classes.csv")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    if kind == "crc":
        data[start + info.compress_size // 2] ^= 0x01
    else:
        data[start : start + 4] = b"\xff" * 4  # a deflate block of the reserved type: invalid
    return bytes(data)


@pytest.mark.parametrize("kind", ["crc", "deflate"])
async def test_a_damaged_member_is_a_problem_and_a_recorded_run(
    client: httpx.AsyncClient, tokens: Tokens, kind: str
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    response = await upload(client, damaged(kind), admin)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "/problems/invalid_bundle"
    assert [e["code"] for e in body["sync_run"]["errors"]] == ["corrupt_file"]
    assert "classes.csv is damaged" in body["detail"]
    runs = (await client.get(f"{SYNC}/runs", params={"status": "rejected"}, headers=admin)).json()["items"]
    assert [r["id"] for r in runs] == [body["sync_run"]["id"]]
    assert (await client.get(f"{SYNC}/classes", headers=admin)).json()["items"] == []


def test_the_command_line_says_which_member_is_damaged(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(damaged("deflate"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        assert cli_main(["import-oneroster", str(path), "--district", "District A"]) == 1
        out = capsys.readouterr().out
        assert "classes.csv:1: classes.csv is damaged in the zip" in out
        assert "REJECTED" in out
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("partial", [False, True])
async def test_one_bad_row_is_one_error_and_its_dependants_are_counted_skipped(
    client: httpx.AsyncClient, tokens: Tokens, partial: bool
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    orgs = ORGS.replace("a-ms,,,A Middle,school", "a-ms,,,,school")  # a school with no name
    classes = CLASSES + "c-2,,,Grade 7 Science,07,crs-1,S7,scheduled,,a-ms,term-1,,,\n"
    enrollments = ENROLLMENTS + "e-4,,,c-2,a-ms,s-3,student,false,,\ne-9,,,c-1,a-es,nobody,student,false,,\n"
    data = full_bundle(**{"orgs.csv": orgs, "classes.csv": classes, "enrollments.csv": enrollments})
    response = await upload(client, data, admin, partial=str(partial).lower())
    run = response.json() if partial else response.json()["sync_run"]
    assert response.status_code == (200 if partial else 422), response.text
    # The root causes, and nothing else: s-3 (at a-ms), c-2 (at a-ms) and e-4 (in c-2, of s-3) are
    # not errors of their own.
    assert [(e["file"], e["row"], e["code"], e["dependents"]) for e in run["errors"]] == [
        ("orgs.csv", 4, "missing", 3),
        ("enrollments.csv", 6, "unknown_reference", 0),
    ], run["errors"]
    assert run["error_count"] == 2
    skipped = {name: c["skipped"] for name, c in run["counts"].items()}
    # orgs: the district row; users: s-3 (at a-ms) and the parent p-1, whom the service does not keep.
    assert skipped == {
        "orgs": 1,
        "users": 2,
        "classes": 1,
        "enrollments": 1,
        "referrals": 0,
        "tierAssignments": 0,
    }
