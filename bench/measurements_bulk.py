"""Benchmark: progress-monitoring measurements through the bulk API, the same batches again (the
idempotent path), and PostgreSQL's own COPY of the same rows into the same table.

    python bench/measurements_bulk.py [--rows 100000] [--no-analyze] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

It creates a throwaway database on that server (dropped at the end), migrates it, and provisions two
districts through the services, each with 10 schools and 200 indicators (20 district initiatives of 10
value measures each). It generates 100,000 measurements by default, spread over the indicators, every
other row about a school, each with a unique `key`, and loads them:

1. through `POST /api/v1/measurements/bulk` in batches of 5,000 (the most one call takes), in process:
   httpx's ASGI transport into the real app, with a real client-credentials token (`monitoring:write`)
   from `POST /api/v1/auth/token`; request bodies are serialised before the clock starts;
2. the same batches again: every key is already stored with the same content, so every row is
   `unchanged` and nothing is written. Before this pass the bench runs `ANALYZE measurement`, as
   autovacuum would soon after a load this size, so the number does not depend on whether autovacuum
   got there first; `--no-analyze` leaves it to autovacuum (see bench/README.md for why it matters);
3. through asyncpg's `copy_records_to_table` (COPY … FROM STDIN, binary) into the second district,
   with ids generated beforehand, one transaction per batch of 5,000.

It prints rows per second for each and the ratio COPY / bulk API. The API also writes one audit event
per created row (in the same transaction); COPY writes none. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx
from sqlalchemy import make_url

from app.auth.permissions import Scope
from app.auth.principal import SYSTEM
from app.core.config import Settings, to_asyncpg_url
from app.core.db import create_engine, create_session_factory, session_scope
from app.core.migrations import migrate
from app.demo import operator_of
from app.identity import service as identity
from app.identity.schemas import ApiClientCreate
from app.initiatives import service as initiatives
from app.initiatives.models import Direction
from app.initiatives.schemas import IndicatorCreate, InitiativeCreate
from app.main import create_app
from app.tenancy import service as tenancy
from app.tenancy.schemas import DistrictCreate, SchoolCreate

DEFAULT_SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BATCH = 5_000  # MAX_BULK in app.monitoring.schemas
SCHOOLS = 10
INDICATORS = 200
MEASURES_PER_INITIATIVE = 10
SOURCES = ("Fall MAP", "Winter MAP", "Spring MAP", "Attendance export", "Survey")
# The columns the service writes (EntityBase's id and timestamps, then Measurement's own).
COLUMNS = [
    "id",
    "created_at",
    "updated_at",
    "district_id",
    "indicator_id",
    "school_id",
    "value",
    "measured_on",
    "n",
    "source",
    "client_key",
]


@dataclass(frozen=True)
class Row:
    """One generated measurement, by indicator and school position (each district has its own ids)."""

    indicator: int
    school: int | None
    value: str
    measured_on: date
    n: int
    source: str
    key: str


@dataclass
class Provisioned:
    district_id: uuid.UUID
    indicator_ids: list[uuid.UUID]
    school_ids: list[uuid.UUID]
    client_id: str
    client_secret: str


def generate(rows: int, seed: int = 7) -> list[Row]:
    rng = random.Random(seed)
    start = date(2025, 8, 20)
    return [
        Row(
            indicator=i % INDICATORS,
            school=(i // 2) % SCHOOLS if i % 2 else None,
            value=f"{rng.uniform(0, 100):.2f}",
            measured_on=start + timedelta(days=rng.randrange(365)),
            n=rng.randrange(20, 600),
            source=rng.choice(SOURCES),
            key=f"m-{i:07}",
        )
        for i in range(rows)
    ]


# --- setup -------------------------------------------------------------------------------------------


async def provision(url: str, settings: Settings, name: str) -> Provisioned:
    """A district with schools, indicators (district initiatives' value measures) and a monitoring client."""
    engine = create_engine(url, settings)
    try:
        async with session_scope(create_session_factory(engine)) as session:
            district = await tenancy.create_district(session, SYSTEM, DistrictCreate(name=name))
            operator = operator_of(district.id)
            schools = [
                await tenancy.create_school(
                    session, operator, district.id, SchoolCreate(name=f"School {i:02}")
                )
                for i in range(SCHOOLS)
            ]
            indicator_ids = []
            for i in range(INDICATORS // MEASURES_PER_INITIATIVE):
                initiative = await initiatives.create_initiative(
                    session,
                    operator,
                    InitiativeCreate(title=f"Initiative {i:02}", public_value="Every child reads."),
                )
                for j in range(MEASURES_PER_INITIATIVE):
                    measure = await initiatives.add_measure(
                        session,
                        operator,
                        initiative.id,
                        IndicatorCreate(name=f"Measure {i:02}.{j}", unit="%", direction=Direction.INCREASE),
                    )
                    indicator_ids.append(measure.id)
            created = await identity.create_api_client(
                session, operator, ApiClientCreate(name="bench monitoring", scopes=[Scope.MONITORING_WRITE])
            )
            return Provisioned(
                district.id, indicator_ids, [s.id for s in schools], created.client_id, created.client_secret
            )
    finally:
        await engine.dispose()


def bodies(rows: list[Row], district: Provisioned) -> list[bytes]:
    """The request bodies, batch by batch, as a client would send them."""

    def as_json(row: Row) -> dict[str, object]:
        body: dict[str, object] = {
            "indicator_id": str(district.indicator_ids[row.indicator]),
            "value": row.value,
            "measured_on": row.measured_on.isoformat(),
            "n": row.n,
            "source": row.source,
            "key": row.key,
        }
        if row.school is not None:
            body["school_id"] = str(district.school_ids[row.school])
        return body

    return [
        json.dumps({"measurements": [as_json(r) for r in rows[i : i + BATCH]]}).encode()
        for i in range(0, len(rows), BATCH)
    ]


# --- 1 and 2. the bulk API ---------------------------------------------------------------------------


async def load_through_api(
    settings: Settings, district: Provisioned, batches: list[bytes], analyze_dsn: str | None
) -> tuple[float, float]:
    """Seconds to send every batch once (all rows created), then again (all rows unchanged); in between,
    `ANALYZE measurement` unless `analyze_dsn` is None."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as http:
            token = await http.post(
                "/api/v1/auth/token",
                data={"grant_type": "client_credentials"},
                auth=(district.client_id, district.client_secret),
            )
            headers = {
                "Authorization": f"Bearer {token.json()['access_token']}",
                "Content-Type": "application/json",
            }
            created = await send(http, headers, batches, expect="created")
            if analyze_dsn is not None:
                connection = await asyncpg.connect(analyze_dsn)
                try:
                    await connection.execute("ANALYZE measurement")
                finally:
                    await connection.close()
            unchanged = await send(http, headers, batches, expect="unchanged")
    return created, unchanged


async def send(http: httpx.AsyncClient, headers: dict[str, str], batches: list[bytes], expect: str) -> float:
    """Seconds to post every batch, each answered 200 with every row `expect`ed (created, unchanged)."""
    started = time.perf_counter()
    for body in batches:
        response = await http.post("/api/v1/measurements/bulk", content=body, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"bulk: {response.status_code} {response.text[:500]}")
        result = response.json()
        if result[expect] != result["received"]:
            raise SystemExit(f"bulk: expected every row {expect}, got {result}")
    return time.perf_counter() - started


# --- 3. COPY -----------------------------------------------------------------------------------------


async def load_through_copy(dsn: str, district: Provisioned, rows: list[Row]) -> float:
    """The same rows with COPY, one transaction per batch; ids and timestamps made beforehand."""
    now = datetime.now(UTC)
    records = [
        (
            uuid.uuid4(),
            now,
            now,
            district.district_id,
            district.indicator_ids[r.indicator],
            district.school_ids[r.school] if r.school is not None else None,
            Decimal(r.value),
            r.measured_on,
            r.n,
            r.source,
            r.key,
        )
        for r in rows
    ]
    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        for i in range(0, len(records), BATCH):
            async with connection.transaction():
                await connection.copy_records_to_table(
                    "measurement", columns=COLUMNS, records=records[i : i + BATCH]
                )
        return time.perf_counter() - started
    finally:
        await connection.close()


# --- main --------------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    server = to_asyncpg_url(args.database_url)
    name = f"triangle_bench_{uuid.uuid4().hex[:8]}"
    admin_dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        await migrate(url)
        keys = Path(tempfile.mkdtemp(prefix="bench-keys-"))
        settings = Settings(database_url=url, jwt_keys_dir=keys, log_json=False, log_level="WARNING")
        print(f"provisioning two districts of {SCHOOLS} schools and {INDICATORS} indicators …")
        api_district = await provision(url, settings, "Bench API")
        copy_district = await provision(url, settings, "Bench COPY")
        rows = generate(args.rows)
        batches = bodies(rows, api_district)
        print(f"{len(rows):,} measurements in {len(batches)} batches of up to {BATCH:,}")

        print("bulk API …")
        created, unchanged = await load_through_api(
            settings, api_district, batches, None if args.no_analyze else dsn
        )
        print("COPY …")
        copy = await load_through_copy(dsn, copy_district, rows)

        connection = await asyncpg.connect(dsn)
        try:
            audited = await connection.fetchval(
                "SELECT count(*) FROM audit_event WHERE district_id = $1 AND entity_type = 'measurement'",
                api_district.district_id,
            )
        finally:
            await connection.close()

        n = len(rows)
        api_rate, again_rate, copy_rate = n / created, n / unchanged, n / copy
        print()
        print(f"{'path':<46}{'rows':>9}{'seconds':>10}{'rows/s':>12}")
        print(f"{'bulk API, new rows':<46}{n:>9,}{created:>10.1f}{api_rate:>12,.0f}")
        again = "bulk API, same batches again" + (" (no ANALYZE)" if args.no_analyze else "")
        print(f"{again:<46}{n:>9,}{unchanged:>10.1f}{again_rate:>12,.0f}")
        print(f"{'COPY':<46}{n:>9,}{copy:>10.1f}{copy_rate:>12,.0f}")
        print(
            f"COPY / bulk API: {copy_rate / api_rate:.1f}× (new rows), {copy_rate / again_rate:.1f}× (again)"
        )
        print(
            f"(the API also wrote {audited:,} audit events for the measurements, one per created row, in the "
            "same transactions, and none when nothing changed; COPY writes none)"
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=DEFAULT_SERVER, help="a PostgreSQL server to create the bench database on"
    )
    parser.add_argument("--rows", type=int, default=100_000, help="measurements to load (default 100,000)")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="do not ANALYZE measurement before sending the batches again (leave it to autovacuum)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
