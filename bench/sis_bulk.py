"""Benchmark: a generated district through the bulk sync API and the OneRoster CSV import, next to
PostgreSQL's own COPY of the same rows into the same tables.

    python bench/sis_bulk.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

It creates a throwaway database on that server, migrates it, and loads one generated district
(50,000 students, 200,000 enrollments, 100,000 referrals by default, plus 20 schools, 1,250 teachers and
5,000 classes) three times, each into its own district of the same database:

1. through `PUT /api/v1/sync/{entity}` in batches of 10,000, in process (httpx's ASGI transport into the
   real app, with a real client-credentials token; request bodies are serialised before the clock
   starts, as a sync script on another machine would have them);
2. through the OneRoster CSV import (`app.sis.service.import_oneroster`, the code behind
   `POST /api/v1/sync/oneroster` and `triangle import-oneroster`), from a zip on disk;
3. through asyncpg's `copy_records_to_table` (COPY … FROM STDIN, binary), with ids already resolved,
   into fresh tables of the real tables' shape: once plain (no indexes) and once with the same indexes,
   unique keys and checks. Those are the two floors the import is measured against.

It also re-imports the unchanged bundle (which should be much faster than the first import: nothing is
written). It prints rows per second for each and the ratios to both floors, with the load average (the
machine may be shared), then runs
the CSV import in a fresh process at two bundle sizes and reports each one's peak resident memory, to
show that the import streams. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx
from sqlalchemy import make_url

from app.auth.permissions import Scope
from app.auth.principal import SYSTEM
from app.core.config import Settings, to_asyncpg_url
from app.core.db import create_engine, create_session_factory, session_scope
from app.core.migrations import migrate
from app.identity import service as identity
from app.identity.schemas import ApiClientCreate
from app.main import create_app
from app.sis import service as sis
from app.tenancy import service as tenancy
from app.tenancy.operator import find_district, operator_of
from app.tenancy.schemas import DistrictCreate, SchoolCreate

DEFAULT_SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BATCH = 10_000
SCHOOLS = 20
CATEGORIES = ("disruption", "defiance", "tardiness", "disrespect", "technology misuse", "fighting")
MEASURED = ("students", "enrollments", "referrals")


@dataclass
class District:
    """One generated district, as sync records (OneRoster field names)."""

    schools: list[dict[str, Any]]
    staff: list[dict[str, Any]]
    students: list[dict[str, Any]]
    classes: list[dict[str, Any]]
    enrollments: list[dict[str, Any]]
    referrals: list[dict[str, Any]]


def generate(students: int, enrollments: int, referrals: int, seed: int = 7) -> District:
    rng = random.Random(seed)
    schools = [{"sourcedId": f"sch-{i:02}", "name": f"Bench School {i:02}"} for i in range(SCHOOLS)]
    teachers = max(students // 40, SCHOOLS)
    sections = max(students // 10, SCHOOLS)
    staff = [
        {"sourcedId": f"t-{i:05}", "role": "teacher", "givenName": "Teacher", "familyName": f"{i:05}"}
        for i in range(teachers)
    ]
    classes = [
        {"sourcedId": f"c-{i:05}", "title": f"Class {i}", "school": f"sch-{i % SCHOOLS:02}"}
        for i in range(sections)
    ]
    grades = ["KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]
    roster = [
        {"sourcedId": f"s-{i:06}", "school": f"sch-{i % SCHOOLS:02}", "grade": grades[i % len(grades)]}
        for i in range(students)
    ]
    per_school_sections = sections // SCHOOLS
    enrolled = []
    for i in range(enrollments):
        student = i % students
        school = student % SCHOOLS
        section = school + SCHOOLS * ((student // SCHOOLS + i // students * 7) % per_school_sections)
        enrolled.append(
            {
                "sourcedId": f"e-{i:07}",
                "class": f"c-{section:05}",
                "user": f"s-{student:06}",
                "role": "student",
            }
        )
    start = date(2026, 8, 20)
    referred = []
    for i in range(referrals):
        student = rng.randrange(students)
        referred.append(
            {
                "sourcedId": f"r-{i:07}",
                "student": f"s-{student:06}",
                "school": f"sch-{student % SCHOOLS:02}",
                "staff": f"t-{rng.randrange(teachers):05}",
                "date": (start + timedelta(days=rng.randrange(280))).isoformat(),
                "category": rng.choice(CATEGORIES),
                "severity": "minor" if rng.random() < 0.85 else "major",
            }
        )
    return District(schools, staff, roster, classes, enrolled, referred)


# --- the OneRoster bundle ----------------------------------------------------------------------------


def write_bundle(path: Path, district: District) -> None:
    def csv_text(header: list[str], rows: Any) -> Any:
        yield ",".join(header) + "\n"
        for row in rows:
            yield ",".join(row) + "\n"

    files = {
        "manifest.csv": csv_text(
            ["propertyName", "value"],
            [
                ["manifest.version", "1.0"],
                ["oneroster.version", "1.2"],
                *[[f"file.{k}", "bulk"] for k in ("orgs", "users", "roles", "classes", "enrollments", "referrals")],
                ["file.courses", "absent"],
            ],
        ),
        "orgs.csv": csv_text(
            ["sourcedId", "status", "dateLastModified", "name", "type"],
            ([s["sourcedId"], "", "", s["name"], "school"] for s in district.schools),
        ),
        "users.csv": csv_text(
            ["sourcedId", "status", "dateLastModified", "givenName", "familyName", "grades", "primaryOrg"],
            [
                *([t["sourcedId"], "", "", t["givenName"], t["familyName"], "", ""] for t in district.staff),
                *([s["sourcedId"], "", "", "Given", "Family", s["grade"], s["school"]] for s in district.students),
            ],
        ),
        "roles.csv": csv_text(
            ["sourcedId", "status", "dateLastModified", "roleType", "role", "userSourcedId", "orgSourcedId"],
            [
                *([f"role-{t['sourcedId']}", "", "", "primary", "teacher", t["sourcedId"], "sch-00"] for t in district.staff),
                *(
                    [f"role-{s['sourcedId']}", "", "", "primary", "student", s["sourcedId"], s["school"]]
                    for s in district.students
                ),
            ],
        ),
        "classes.csv": csv_text(
            ["sourcedId", "status", "dateLastModified", "title", "schoolSourcedId"],
            ([c["sourcedId"], "", "", c["title"], c["school"]] for c in district.classes),
        ),
        "enrollments.csv": csv_text(
            ["sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "endDate"],
            ([e["sourcedId"], "", "", e["class"], "", e["user"], e["role"], e.get("endDate", "")] for e in district.enrollments),
        ),
        "referrals.csv": csv_text(
            [
                "sourcedId", "status", "dateLastModified", "studentSourcedId", "schoolSourcedId", "staffSourcedId",
                "date", "category", "severity",
            ],
            (
                [r["sourcedId"], "", "", r["student"], r["school"], r["staff"], r["date"], r["category"], r["severity"]]
                for r in district.referrals
            ),
        ),
    }  # fmt: skip
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, lines in files.items():
            with (
                archive.open(name, "w") as member,
                io.TextIOWrapper(member, encoding="utf-8", newline="") as out,
            ):
                for line in lines:
                    out.write(line)


# --- setup -------------------------------------------------------------------------------------------


async def provision(url: str, settings: Settings, name: str) -> tuple[uuid.UUID, str, str]:
    """A district with the bench's schools (as a district creates them) and a sync client."""
    engine = create_engine(url, settings)
    try:
        async with session_scope(create_session_factory(engine)) as session:
            district = await tenancy.create_district(session, SYSTEM, DistrictCreate(name=name))
            operator = operator_of(district.id)
            for i in range(SCHOOLS):
                await tenancy.create_school(
                    session,
                    operator,
                    district.id,
                    SchoolCreate(name=f"Bench School {i:02}", sourced_id=f"sch-{i:02}"),
                )
            created = await identity.create_api_client(
                session,
                operator,
                ApiClientCreate(name="bench sync", scopes=[Scope.ROSTER_WRITE, Scope.REFERRALS_WRITE]),
            )
            return district.id, created.client_id, created.client_secret
    finally:
        await engine.dispose()


# --- 1. the bulk API ---------------------------------------------------------------------------------


async def load_through_api(
    settings: Settings, client_id: str, secret: str, district: District
) -> dict[str, float]:
    app = create_app(settings)
    seconds: dict[str, float] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as http:
            token = await http.post(
                "/api/v1/auth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
            )
            headers = {
                "Authorization": f"Bearer {token.json()['access_token']}",
                "Content-Type": "application/json",
            }
            for entity, records in (
                ("schools", district.schools),
                ("staff", district.staff),
                ("students", district.students),
                ("classes", district.classes),
                ("enrollments", district.enrollments),
                ("referrals", district.referrals),
            ):
                bodies = [
                    json.dumps({"records": records[i : i + BATCH]}).encode()
                    for i in range(0, len(records), BATCH)
                ]
                started = time.perf_counter()
                for body in bodies:
                    response = await http.put(f"/api/v1/sync/{entity}", content=body, headers=headers)
                    if response.status_code != 200:
                        raise SystemExit(f"{entity}: {response.status_code} {response.text[:500]}")
                seconds[entity] = time.perf_counter() - started
    return seconds


# --- 2. the CSV import -------------------------------------------------------------------------------


async def load_through_csv(
    url: str, settings: Settings, district_name: str, bundle: Path
) -> tuple[dict[str, float], float, Any]:
    """Seconds per file (from the importer's own progress reports) and in all."""
    finished: dict[str, float] = {}
    engine = create_engine(url, settings)
    try:
        factory = create_session_factory(engine)
        async with session_scope(factory) as session:
            found = await find_district(session, district_name)
        assert found is not None
        operator = operator_of(found.id)
        started = time.perf_counter()

        def progress(name: str, rows: int, done: int, total: int) -> None:
            if done >= total:
                finished[name] = time.perf_counter()

        async with session_scope(factory, operator) as session:
            with bundle.open("rb") as stream:
                run = await sis.import_oneroster(session, operator, stream, progress=progress)
        total = time.perf_counter() - started
        if run.status.value != "applied":
            raise SystemExit(f"CSV import: {run.status} {run.errors[:3]}")
    finally:
        await engine.dispose()
    order = ["orgs.csv", "users.csv", "classes.csv", "enrollments.csv", "referrals.csv"]
    seconds = {}
    previous = started
    for name in order:
        seconds[name] = finished[name] - previous
        previous = finished[name]
    return (
        {
            "students": seconds["users.csv"],
            "enrollments": seconds["enrollments.csv"],
            "referrals": seconds["referrals.csv"],
        },
        total,
        run,
    )


# --- 3. COPY -----------------------------------------------------------------------------------------


FLOOR_TABLES = ("person", "section", "student", "enrollment", "behavior_referral")


async def load_through_copy(
    url: str, district_id: uuid.UUID, district: District, *, floor: str, tag: int = 0
) -> dict[str, float]:
    """The same rows with COPY, ids resolved beforehand (COPY cannot upsert), into fresh tables of the
    real tables' shape: `plain` (columns and defaults only) or `indexed` (the same indexes, unique keys
    and checks: `LIKE … INCLUDING ALL`; no foreign keys, no triggers). Those are the two floors: what
    PostgreSQL itself needs to store the rows, without and with the indexes the import must maintain.

    `constrained` is `indexed` plus the real tables' foreign keys (to the district and schools, and to
    this floor's own persons, classes and students): what PostgreSQL needs to store the rows with the
    referential integrity the real tables keep. Not a goal of the issue; printed so the share of the
    import's time that is PostgreSQL checking references row by row is visible."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    seconds: dict[str, float] = {}
    including = "INCLUDING DEFAULTS" if floor == "plain" else "INCLUDING ALL"
    for table in FLOOR_TABLES:
        await connection.execute(f"CREATE TABLE {floor}{tag}_{table} (LIKE {table} {including})")
    if floor == "constrained":
        for table in FLOOR_TABLES:
            for definition in await connection.fetch(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'",
                table,
            ):
                # Point the keys to this floor's copies where it has one (persons, classes, students).
                target = re.sub(
                    r"REFERENCES (\w+)\(",
                    lambda m: f"REFERENCES {floor}{tag}_{m[1]}(" if m[1] in FLOOR_TABLES else m[0],
                    definition[0],
                )
                await connection.execute(f"ALTER TABLE {floor}{tag}_{table} ADD {target}")

    async def copy_into(table: str, **kwargs: Any) -> None:
        await connection.copy_records_to_table(f"{floor}{tag}_{table}", **kwargs)

    try:
        schools = {
            r["sourced_id"]: r["id"]
            for r in await connection.fetch(
                "SELECT sourced_id, id FROM school WHERE district_id = $1", district_id
            )
        }
        now = datetime.now(UTC)
        staff = {t["sourcedId"]: uuid.uuid4() for t in district.staff}
        await copy_into(
            "person",
            columns=[
                "id",
                "created_at",
                "updated_at",
                "version",
                "district_id",
                "sourced_id",
                "display_name",
                "kind",
                "staff_role",
            ],
            records=[
                (
                    staff[t["sourcedId"]],
                    now,
                    now,
                    1,
                    district_id,
                    t["sourcedId"],
                    "Teacher",
                    "staff",
                    "teacher",
                )
                for t in district.staff
            ],
        )
        students = {s["sourcedId"]: uuid.uuid4() for s in district.students}
        sections = {c["sourcedId"]: (uuid.uuid4(), schools[c["school"]]) for c in district.classes}
        await copy_into(
            "section",
            columns=["id", "created_at", "updated_at", "district_id", "sourced_id", "school_id", "title"],
            records=[
                (
                    sections[c["sourcedId"]][0],
                    now,
                    now,
                    district_id,
                    c["sourcedId"],
                    schools[c["school"]],
                    c["title"],
                )
                for c in district.classes
            ],
        )
        jobs = {
            "students": (
                "student",
                ["id", "created_at", "updated_at", "district_id", "sourced_id", "school_id", "grade"],
                [(students[s["sourcedId"]], now, now, district_id, s["sourcedId"], schools[s["school"]], s["grade"]) for s in district.students],
            ),
            "enrollments": (
                "enrollment",
                ["id", "created_at", "updated_at", "district_id", "sourced_id", "school_id", "section_id", "student_id", "role", "is_primary"],
                [
                    (uuid.uuid4(), now, now, district_id, e["sourcedId"], sections[e["class"]][1], sections[e["class"]][0], students[e["user"]], "student", False)
                    for e in district.enrollments
                ],
            ),
            "referrals": (
                "behavior_referral",
                ["id", "created_at", "updated_at", "district_id", "sourced_id", "school_id", "student_id", "reporter_person_id", "occurred_on", "category", "severity"],
                [
                    (uuid.uuid4(), now, now, district_id, r["sourcedId"], schools[r["school"]], students[r["student"]], staff[r["staff"]], date.fromisoformat(r["date"]), r["category"], r["severity"])
                    for r in district.referrals
                ],
            ),
        }  # fmt: skip
        for entity, (table, columns, records) in jobs.items():
            started = time.perf_counter()
            async with connection.transaction():
                await copy_into(table, columns=columns, records=records)
            seconds[entity] = time.perf_counter() - started
    finally:
        await connection.close()
    return seconds


# --- memory ------------------------------------------------------------------------------------------


def import_in_child(url: str, bundle: Path, district_name: str) -> dict[str, Any]:
    """Run the CSV import in a fresh interpreter; its peak resident memory and time."""
    output = subprocess.run(  # noqa: S603
        [
            sys.executable,
            __file__,
            "--child-import",
            str(bundle),
            "--district",
            district_name,
            "--database-url",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _status_mib(field: str) -> float:
    """A memory figure of this process from /proc (Linux), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def child_import(url: str, bundle: Path, district_name: str) -> None:
    settings = Settings(database_url=url, log_json=False, log_level="WARNING")
    before = _status_mib("VmRSS")
    # Reset the high-water mark, so VmHWM afterwards is the peak during the import alone. (ru_maxrss
    # would not do: after fork + exec it still holds the parent's peak.)
    with open("/proc/self/clear_refs", "w") as clear_refs:  # noqa: ASYNC230  (procfs: instant)
        clear_refs.write("5")
    _, total, _ = await load_through_csv(url, settings, district_name, bundle)
    peak = _status_mib("VmHWM")
    print(
        json.dumps(
            {
                "peak_rss_mib": round(peak, 1),
                "before_import_mib": round(before, 1),
                "seconds": round(total, 2),
            }
        )
    )


# --- main --------------------------------------------------------------------------------------------


def changed_copy(district: District, share: float, seed: int = 3) -> District:
    """The same district with `share` of the students, enrollments and referrals changed (a grade, a
    primary flag, a category): what a nightly export looks like when little happened that day."""
    rng = random.Random(seed)

    def some(records: list[dict[str, Any]], change: Any) -> list[dict[str, Any]]:
        return [change(dict(r)) if rng.random() < share else r for r in records]

    def regrade(r: dict[str, Any]) -> dict[str, Any]:
        r["grade"] = "12" if r["grade"] != "12" else "11"
        return r

    def recategorise(r: dict[str, Any]) -> dict[str, Any]:
        r["category"] = "tardiness" if r["category"] != "tardiness" else "defiance"
        return r

    def reclass(r: dict[str, Any]) -> dict[str, Any]:
        r["endDate"] = "2027-06-15"
        return r

    return District(
        district.schools,
        district.staff,
        some(district.students, regrade),
        district.classes,
        some(district.enrollments, reclass),
        some(district.referrals, recategorise),
    )


@dataclass
class Round:
    plain: float  # rows/s of the three tables, COPY into plain tables
    indexed: float  # … COPY into tables with the same indexes and unique keys
    constrained: float  # … COPY into tables with those and the same foreign keys
    api: float  # … the bulk API
    csv: float  # … the CSV import (three files)
    csv_total: float  # seconds for the whole bundle
    reimport_total: float  # seconds for the same bundle again
    delta_total: float  # seconds for the bundle with a few % changed
    delta_changed: int  # records the delta import updated
    per_entity: dict[str, tuple[float, float, float, float]]  # entity -> api, csv, plain, indexed rows/s


async def one_round(
    url: str, settings: Settings, district: District, changed: District, number: int, floors_first: bool
) -> Round:
    rows = {e: len(getattr(district, e)) for e in MEASURED}
    total = sum(rows.values())
    _, client_id, secret = await provision(url, settings, f"Bench API {number}")
    await provision(url, settings, f"Bench CSV {number}")
    copy_district, _, _ = await provision(url, settings, f"Bench COPY {number}")
    floors: dict[str, dict[str, float]] = {}

    async def measure_floors() -> None:
        print(f"  round {number}: COPY floors …", flush=True)
        floors["plain"] = await load_through_copy(url, copy_district, district, floor="plain", tag=number)
        floors["indexed"] = await load_through_copy(url, copy_district, district, floor="indexed", tag=number)
        floors["constrained"] = await load_through_copy(
            url, copy_district, district, floor="constrained", tag=number
        )

    if floors_first:
        await measure_floors()
    print(f"  round {number}: CSV import, re-import, delta …", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        bundle = Path(folder) / "bundle.zip"
        write_bundle(bundle, district)
        delta_bundle = Path(folder) / "delta.zip"
        write_bundle(delta_bundle, changed)
        csv_seconds, csv_total, _ = await load_through_csv(url, settings, f"Bench CSV {number}", bundle)
        _, reimport_total, _ = await load_through_csv(url, settings, f"Bench CSV {number}", bundle)
        _, delta_total, delta_run = await load_through_csv(url, settings, f"Bench CSV {number}", delta_bundle)
    print(f"  round {number}: bulk API …", flush=True)
    api = await load_through_api(settings, client_id, secret, district)
    if not floors_first:
        await measure_floors()
    per_entity = {
        e: (
            rows[e] / api[e],
            rows[e] / csv_seconds[e],
            rows[e] / floors["plain"][e],
            rows[e] / floors["indexed"][e],
        )
        for e in MEASURED
    }
    return Round(
        plain=total / sum(floors["plain"][e] for e in MEASURED),
        indexed=total / sum(floors["indexed"][e] for e in MEASURED),
        constrained=total / sum(floors["constrained"][e] for e in MEASURED),
        api=total / sum(api[e] for e in MEASURED),
        csv=total / sum(csv_seconds[e] for e in MEASURED),
        csv_total=csv_total,
        reimport_total=reimport_total,
        delta_total=delta_total,
        delta_changed=sum(c.get("updated", 0) for c in delta_run.counts.values()),
        per_entity=per_entity,
    )


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


async def main(args: argparse.Namespace) -> None:
    server = to_asyncpg_url(args.database_url)
    name = f"triangle_bench_{uuid.uuid4().hex[:8]}"
    admin_dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        await migrate(url)
        keys = Path(tempfile.mkdtemp(prefix="bench-keys-"))
        settings = Settings(database_url=url, jwt_keys_dir=keys, log_json=False, log_level="WARNING")
        if args.memory_only:
            await measure_memory(url, settings, args)
            return
        print(
            f"generating {args.students:,} students, {args.enrollments:,} enrollments, {args.referrals:,} referrals …"
        )
        district = generate(args.students, args.enrollments, args.referrals)
        changed = changed_copy(district, args.changed)
        rows = {e: len(getattr(district, e)) for e in MEASURED}
        total = sum(rows.values())
        everything = len(district.schools) + len(district.staff) + len(district.classes) + total
        rounds: list[Round] = []
        loads: list[tuple[float, float, float]] = []
        for number in range(1, args.rounds + 1):
            # Alternate which goes first, so a change in the machine's load is not charged to one side.
            rounds.append(
                await one_round(url, settings, district, changed, number, floors_first=number % 2 == 0)
            )
            loads.append(os.getloadavg())

        print()
        print(
            f"{'rows/s, per round':<12}{'count':>9}{'bulk API':>12}{'CSV import':>12}{'COPY plain':>12}{'COPY idx':>12}"
        )
        for number, result in enumerate(rounds, 1):
            for entity in MEASURED:
                a, c, p, i = result.per_entity[entity]
                print(
                    f"{entity:<12}{rows[entity]:>9,}{a:>12,.0f}{c:>12,.0f}{p:>12,.0f}{i:>12,.0f}   (round {number})"
                )
        print()
        header = (
            f"{'three tables (students, enrollments, referrals)':<48}"
            + "".join(f"{f'round {n}':>12}" for n in range(1, len(rounds) + 1))
            + f"{'median':>12}"
        )
        print(header)

        def line(label: str, values: list[float], fmt: str) -> None:
            print(f"{label:<48}" + "".join(f"{v:>12{fmt}}" for v in values) + f"{_median(values):>12{fmt}}")

        line("COPY, plain tables (rows/s)", [r.plain for r in rounds], ",.0f")
        line("COPY, same indexes and unique keys (rows/s)", [r.indexed for r in rounds], ",.0f")
        line("COPY, same indexes and foreign keys (rows/s)", [r.constrained for r in rounds], ",.0f")
        line("CSV import (rows/s)", [r.csv for r in rounds], ",.0f")
        line("bulk API (rows/s)", [r.api for r in rounds], ",.0f")
        line("CSV re-import, unchanged (records/s)", [everything / r.reimport_total for r in rounds], ",.0f")
        line(
            f"CSV import, {args.changed:.0%} changed (records/s)",
            [everything / r.delta_total for r in rounds],
            ",.0f",
        )
        line("import / COPY plain          (goal ≥ 0.25)", [r.csv / r.plain for r in rounds], ".2f")
        line("import / COPY same indexes   (goal ≥ 0.5)", [r.csv / r.indexed for r in rounds], ".2f")
        line("import / COPY with foreign keys", [r.csv / r.constrained for r in rounds], ".2f")
        line("COPY same indexes / COPY plain", [r.indexed / r.plain for r in rounds], ".2f")
        line("bulk API / COPY plain", [r.api / r.plain for r in rounds], ".2f")
        line("bulk API / COPY same indexes", [r.api / r.indexed for r in rounds], ".2f")
        line(
            "first import s / re-import s (goal ≥ 2)", [r.csv_total / r.reimport_total for r in rounds], ".2f"
        )
        line(
            f"first import s / {args.changed:.0%}-changed import s",
            [r.csv_total / r.delta_total for r in rounds],
            ".2f",
        )
        line("whole bundle, first import (s)", [r.csv_total for r in rounds], ".1f")
        line("whole bundle, re-import (s)", [r.reimport_total for r in rounds], ".1f")
        line(f"whole bundle, {args.changed:.0%} changed (s)", [r.delta_total for r in rounds], ".1f")
        line("records updated by the changed bundle", [float(r.delta_changed) for r in rounds], ",.0f")
        print(
            "load average after each round: "
            + "; ".join(" ".join(f"{x:.2f}" for x in load) for load in loads)
            + " (a shared machine: read the ratios, not the rates)"
        )

        if not args.skip_memory:
            await measure_memory(url, settings, args)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def measure_memory(url: str, settings: Settings, args: argparse.Namespace) -> None:
    print()
    print("peak memory of the CSV import, each in a fresh process:")
    with tempfile.TemporaryDirectory() as folder:
        for share, label in ((0.25, "quarter"), (1.0, "full")):
            part = generate(
                int(args.students * share),
                int(args.enrollments * share),
                int(args.referrals * share),
                seed=11,
            )
            bundle = Path(folder) / f"{label}.zip"
            write_bundle(bundle, part)
            district_name = f"Bench memory {label}"
            await provision(url, settings, district_name)
            result = import_in_child(url, bundle, district_name)
            n = (
                len(part.students)
                + len(part.enrollments)
                + len(part.referrals)
                + len(part.staff)
                + len(part.classes)
            )
            print(
                f"  {label:<8} {n:>8,} records  {bundle.stat().st_size / 1024**2:>5.1f} MiB zipped  "
                f"RSS before the import {result['before_import_mib']:>6.1f} MiB, peak during it "
                f"{result['peak_rss_mib']:>6.1f} MiB  ({result['seconds']:.1f} s)"
            )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=DEFAULT_SERVER, help="a PostgreSQL server to create the bench database on"
    )
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument("--enrollments", type=int, default=200_000)
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2, help="rounds, alternating which load goes first")
    parser.add_argument("--changed", type=float, default=0.03, help="share of rows the delta bundle changes")
    parser.add_argument("--skip-memory", action="store_true", help="skip the two peak-memory runs")
    parser.add_argument("--memory-only", action="store_true", help="only the two peak-memory runs")
    parser.add_argument("--child-import", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--district", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.child_import:
        asyncio.run(child_import(arguments.database_url, arguments.child_import, arguments.district))
    else:
        asyncio.run(main(arguments))
