"""The sync's lookups of stored rows by their unique key do not depend on the tables' statistics.

When ANALYZE has seen other districts well and a new district not at all, the planner estimates the new
district's rows at one. A lookup written as an ordinary join may then be planned as a scan of that
district for every staged row (minutes per 10,000-row batch once the district has rows), or as a scan
of the whole district per batch. These tests build exactly those statistics (district A loaded and
analysed, then a chunk of district B staged) and assert the shape of the plans with
`EXPLAIN (FORMAT JSON)`: every read of a real table keyed by `(district_id, sourced_id)` is a probe of
that unique index (or of the primary key), nested under the staged rows; never a scan of the district."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest

from app.sis import bulk
from app.sis.schemas import SyncEntity
from tests.conftest import World

STORED = 5_000  # district A's students and enrollments, analysed
SECTIONS = 1_000
STAGED = 2_000  # district B's chunk
# The tables district A fills (school and person hold a handful of rows here: a scan of their one page
# is rightly cheaper than any index).
KEYED = ("student", "section", "enrollment")
SEEN = "sis_seen_plan_test"


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        yield conn
    finally:
        await conn.close()


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


async def _reads(conn: asyncpg.Connection, sql: str, district_id: uuid.UUID) -> list[dict[str, Any]]:
    """Each read of a real keyed table in the plan of `sql`."""
    raw = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", district_id)
    nodes = list(_nodes(json.loads(raw)[0]["Plan"]))
    return [n for n in nodes if n.get("Relation Name") in KEYED and "Scan" in n["Node Type"]]


def _assert_probes(reads: list[dict[str, Any]]) -> None:
    for read in reads:
        table = read["Relation Name"]
        if read["Node Type"] == "Bitmap Heap Scan":  # ids by the primary key, as a bitmap
            (read,) = read["Plans"]
            assert read["Node Type"] == "Bitmap Index Scan", read
        assert read["Node Type"] in {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}, read
        assert read["Index Name"] in {f"uq_{table}_district_id_sourced_id", f"pk_{table}"}, (table, read)
        # A probe of one key (or of given ids), not the unique index walked over the whole district.
        assert ("sourced_id" if read["Index Name"].startswith("uq_") else "id =") in read["Index Cond"], read


async def _district_a_analysed(conn: asyncpg.Connection, world: World) -> uuid.UUID:
    """District A with STORED students in SECTIONS classes, one enrollment each, all analysed; returns
    district B's id (B has none: the statistics have never seen it)."""
    a, school = world.district_id("A"), world.school_ids("A")[0]
    await conn.execute(
        "INSERT INTO student (id, district_id, change_version, created_at, updated_at, sourced_id, school_id, "
        "grade) SELECT gen_random_uuid(), $1, 1, now(), now(), 's-' || i, $2, '03' FROM generate_series(1, $3) AS i",
        a,
        school,
        STORED,
    )
    await conn.execute(
        "INSERT INTO section (id, district_id, change_version, created_at, updated_at, sourced_id, school_id, "
        "title) SELECT gen_random_uuid(), $1, 1, now(), now(), 'c-' || i, $2, 'Class' FROM generate_series(1, $3) AS i",
        a,
        school,
        SECTIONS,
    )
    await conn.execute(
        "INSERT INTO enrollment (id, district_id, change_version, created_at, updated_at, sourced_id, school_id,"
        " section_id, student_id, role, is_primary) "
        "SELECT gen_random_uuid(), $1, 1, now(), now(), 'e-' || st.sourced_id, $2, sec.id, st.id, 'student', FALSE "
        "FROM student AS st JOIN section AS sec ON sec.district_id = $1 "
        "AND sec.sourced_id = 'c-' || (1 + substr(st.sourced_id, 3)::int % $3) WHERE st.district_id = $1",
        a,
        school,
        SECTIONS,
    )
    await conn.execute("ANALYZE school, person, student, section, enrollment")
    return world.district_id("B")


async def _stage_enrollments(conn: asyncpg.Connection) -> None:
    stage = bulk.stage_table(SyncEntity.ENROLLMENTS)
    await conn.execute(bulk.STAGE_DDL[SyncEntity.ENROLLMENTS])
    await conn.execute(
        f"INSERT INTO {stage} (row, sourced_id, section, student, role, is_primary) "  # noqa: S608
        "SELECT i, 'be-' || i, 'bc-' || (i % 20), 'bs-' || i, 'student', FALSE FROM generate_series(1, $1) AS i",
        STAGED,
    )
    await conn.execute(f"ANALYZE {stage}")


async def test_the_upsert_probes_the_unique_key_of_a_new_district(
    connection: asyncpg.Connection, world: World
) -> None:
    b = await _district_a_analysed(connection, world)
    async with connection.transaction():
        await _stage_enrollments(connection)
        stage = bulk.stage_table(SyncEntity.STUDENTS)
        await connection.execute(bulk.STAGE_DDL[SyncEntity.STUDENTS])
        await connection.execute(
            f"INSERT INTO {stage} (row, sourced_id, school, grade) "  # noqa: S608
            "SELECT i, 'bs-' || i, 'b-es', '04' FROM generate_series(1, $1) AS i",
            STAGED,
        )
        await connection.execute(f"ANALYZE {stage}")
        for entity in (SyncEntity.STUDENTS, SyncEntity.ENROLLMENTS):
            # The stored rows of the entity itself (the references are joined, see `bulk._join`).
            upsert = [
                read
                for read in await _reads(connection, bulk.UPSERT_SQL[entity], b)
                if read["Relation Name"] == TABLE[entity]
            ]
            assert upsert
            _assert_probes(upsert)


TABLE = {SyncEntity.STUDENTS: "student", SyncEntity.ENROLLMENTS: "enrollment"}


async def test_the_digest_match_probes_the_unique_key_of_a_new_district(
    connection: asyncpg.Connection, world: World
) -> None:
    b = await _district_a_analysed(connection, world)
    async with connection.transaction():
        await connection.execute(f"CREATE TEMP TABLE {SEEN} (sourced_id text) ON COMMIT DROP")
        await connection.execute(bulk.DIGESTS_DDL)
        await connection.execute(
            f"INSERT INTO {bulk.DIGESTS_TABLE} (sourced_id, hash) "  # noqa: S608
            "SELECT 'be-' || i, sha256(i::text::bytea) FROM generate_series(1, $1) AS i",
            STAGED,
        )
        await connection.execute(f"ANALYZE {bulk.DIGESTS_TABLE}")
        reads = await _reads(connection, bulk.match_sql(SyncEntity.ENROLLMENTS, SEEN), b)
        assert {read["Relation Name"] for read in reads} == {"enrollment", "section", "student"}
        _assert_probes(reads)
