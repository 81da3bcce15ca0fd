"""The change feed by change version: a poller that pulls from its last watermark gets every change,
however long a sync that was running during its pull takes to commit (issue 15)."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.sis.bulk import BulkWriter, driver_connection
from app.sis.schemas import SyncEntity
from tests.conftest import Tokens, World
from tests.sis.helpers import SYNC, Json, list_all, put_ok, students


async def pull(
    client: httpx.AsyncClient, headers: dict[str, str], last: int | None
) -> tuple[int, list, list]:
    """One pull as the docs tell a downstream system to make it: read the newest version, then page
    through the records and the deletes from the last pull's newest + 1 up to it."""
    response = await client.get(f"{SYNC}/change-versions", headers=headers)
    assert response.status_code == 200, response.text
    newest = response.json()["newest_change_version"]
    window: Json = {"max_change_version": newest}
    if last is not None:
        window["min_change_version"] = last + 1
    records = await list_all(client, f"{SYNC}/students", headers, **window)
    deletes = await list_all(client, f"{SYNC}/students/deletes", headers, **window)
    return newest, [r["sourcedId"] for r in records], [d["sourcedId"] for d in deletes]


async def pull_until(
    client: httpx.AsyncClient, headers: dict[str, str], last: int | None, version: int
) -> tuple[int, list[str], list[str]]:
    """Pull until the watermark passes `version`. A transaction of this database that is still running
    (the app's own, finishing its request) can hold it back a moment; a poller simply pulls again. It
    never needs a time, and never gets a row twice."""
    seen: list[str] = []
    deleted: list[str] = []
    for _ in range(1200):
        last, records, gone = await pull(client, headers, last)
        seen += records
        deleted += gone
        if last >= version:
            return last, seen, deleted
        await asyncio.sleep(0.1)
    raise AssertionError("the watermark never passed a committed transaction")


async def committed_version(session: AsyncSession) -> int:
    """The highest version any transaction committed so far can have (read without taking an xid,
    which would hold the watermark back itself)."""
    query = text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint - 1")
    version = (await session.execute(query)).scalar_one()
    await session.rollback()
    return version


async def test_a_poller_gets_every_change_of_a_sync_that_commits_after_its_pull(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    roster = await tokens.client_headers("A", "roster")
    await put_ok(client, "students", students("s-1", "s-2"), roster)
    last, first, _ = await pull_until(client, roster, None, await committed_version(session))
    assert sorted(first) == ["s-1", "s-2"]

    # A sync in flight: written, not committed, through the real bulk write path.
    writer = BulkWriter(await driver_connection(session), world.district_id("A"))
    batch = [*students(*(f"s-{i}" for i in range(3, 53))), {"sourcedId": "s-1", "status": "tobedeleted"}]
    prepared = await writer.prepare(SyncEntity.STUDENTS, enumerate(batch))
    assert not prepared.errors
    await writer.write(prepared)
    in_flight = (await session.execute(text("SELECT pg_current_xact_id()::text::bigint"))).scalar_one()

    last, during, gone = await pull(client, roster, last)
    assert during == []
    assert gone == []
    assert last < in_flight  # the watermark stays behind the running sync

    await session.commit()
    last, seen, deleted = await pull_until(client, roster, last, in_flight)
    assert sorted(seen) == sorted(f"s-{i}" for i in range(3, 53))
    assert deleted == ["s-1"]

    # Nothing changed since: the next pull is empty.
    _, records, gone = await pull(client, roster, last)
    assert records == []
    assert gone == []


async def test_updates_and_records_carry_their_change_version(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    roster = await tokens.client_headers("A", "roster")
    await put_ok(client, "students", students("s-1", "s-2"), roster)
    last, _, _ = await pull_until(client, roster, None, await committed_version(session))
    await put_ok(client, "students", [*students("s-1"), *students("s-2", grade="05")], roster)
    newest, records, _ = await pull_until(client, roster, last, await committed_version(session))
    assert records == ["s-2"]  # s-1 was sent unchanged: not a change
    items = await list_all(client, f"{SYNC}/students", roster)
    versions = {s["sourcedId"]: s["changeVersion"] for s in items}
    assert last < versions["s-2"] <= newest
    assert versions["s-1"] <= last


async def test_a_long_writer_in_another_database_does_not_hold_the_feed_back(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession, database_server_url: str
) -> None:
    """Transaction ids are server-wide, so the oldest running transaction of the server may belong to
    another application's database. It can never write a row here: the feed must not wait for it."""
    roster = await tokens.client_headers("A", "roster")
    elsewhere = create_async_engine(database_server_url)  # the server's own database, not the test's
    try:
        async with elsewhere.connect() as other:
            await other.execute(text("SELECT pg_current_xact_id()"))  # a writer there: it holds an id
            assert (await other.execute(text("SELECT current_database()"))).scalar_one() != (
                await session.execute(text("SELECT current_database()"))
            ).scalar_one()
            await session.rollback()

            await put_ok(client, "students", students("s-1", "s-2"), roster)
            committed = await committed_version(session)
            newest, records, _ = await pull(client, roster, None)
            assert newest >= committed, "the feed waits for a transaction of another database"
            assert sorted(records) == ["s-1", "s-2"]
            await other.rollback()
    finally:
        await elsewhere.dispose()
