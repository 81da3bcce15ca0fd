"""Benchmark: Triangle's read path next to a true floor (and PostGraphile), measured in one run.

    python bench/read_path.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
    python bench/read_path.py --quick            # a smoke run: short loads, one round
    python bench/read_path.py --profile          # also py-spy the nested GraphQL query

It creates a throwaway database on that server, migrates it and seeds one district through the
services (50 initiatives; 5 plans of 3 goals × 3 strategies × 3 action steps, 200 plan objects), then
starts three servers on free ports, each a single process:

- **Triangle**: `uvicorn app.main:create_app --factory`, one worker, no reload, no access log, on the
  throwaway database, with a real access token of a district leader from `POST /api/v1/auth/token`.
- **The floor**: this file run with `--serve-floor`: Starlette + asyncpg under the same uvicorn, a pool,
  hand-written SQL on the same tables (with the same district filter and per-parent limits), no ORM, no
  validation, orjson. It answers the four requests with the same JSON bodies as Triangle, byte for
  byte; it does not check the bearer token (a pure read floor).
- **PostGraphile 4.14.1** (when `npx` is on the PATH; `--no-postgraphile` skips it): installed into
  `~/.cache/triangle-bench/postgraphile`, on the same database, asked the same GraphQL questions in its
  own schema (`allPlans → goalsByPlanId → strategiesByGoalId → actionStepsByStrategyId`, same columns).

The four requests: `GET /api/v1/initiatives?limit=50`, `GET /api/v1/plans/{id}`, and over GraphQL the
nested plan tree (every plain scalar field, Relay edges and pageInfo at each level) and a flat list of 50
initiatives. Before any timing, each request's body from the floor must equal Triangle's (as JSON; the
bench also says whether the bytes are identical) and PostGraphile must return as many objects.

Load comes from `wrk` (one thread, 16 connections, `--duration` seconds; a Lua script adds the bearer
token and POST bodies and prints the request count and latency percentiles). Each server is warmed up on
each endpoint, then measured in three alternating rounds (Triangle, floor, PostGraphile, Triangle, …);
the table shows medians, the ratios, Triangle's p50 / p99, the load average before and after, and the
goals of issue 12, met or not. Everything it started is stopped and the database dropped at the end,
also on Ctrl-C or failure. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DEFAULT_SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
POSTGRAPHILE_VERSION = "4.14.1"
POSTGRAPHILE_HOME = Path.home() / ".cache" / "triangle-bench" / "postgraphile"
PASSWORD = "read-path-bench-password"  # noqa: S105  (a throwaway database)
CONNECTIONS = 16
PLANS, GOALS, STRATEGIES, STEPS, INITIATIVES = 5, 3, 3, 3, 50

# ==================================================================================================
# The GraphQL operations. Every plain scalar field of each type; nothing computed (progress, the
# policy check, documents, people): those are not columns, and PostGraphile could not answer them.
# ==================================================================================================

_PAGE_INFO = "pageInfo { hasNextPage endCursor }"
NESTED_QUERY = f"""query ReadPathNested {{
  plans(first: {PLANS}) {{
    edges {{ node {{
      id databaseId districtId schoolId initiativeId cycle title summary status published approvedAt
      approvedByLabel version createdAt updatedAt
      goals(first: 10) {{
        edges {{ node {{
          id databaseId planId statement weight version createdAt updatedAt
          strategies(first: 10) {{
            edges {{ node {{
              id databaseId planId goalId title description driver weight version createdAt updatedAt
              actionSteps(first: 10) {{
                edges {{ node {{
                  id databaseId planId strategyId title description ownerPersonId startsOn dueOn status
                  blockedReason progress weight pilotGroup scaleUpCriteria version createdAt updatedAt
                }} }}
                {_PAGE_INFO}
              }}
            }} }}
            {_PAGE_INFO}
          }}
        }} }}
        {_PAGE_INFO}
      }}
    }} }}
    {_PAGE_INFO}
  }}
}}"""

FLAT_QUERY = f"""query ReadPathFlat {{
  initiatives(first: {INITIATIVES}) {{
    edges {{ node {{
      id databaseId districtId schoolId title summary publicValue beneficiaries stage ownerPersonId
      startsOn endsOn published version createdAt updatedAt
    }} }}
    {_PAGE_INFO}
  }}
}}"""


def postgraphile_queries(district_id: str) -> tuple[str, str]:
    """The same two questions in PostGraphile's schema: same columns, same order, same page sizes,
    the same district filter; `nodeId` stands for Triangle's global `id`."""
    order = "orderBy: [CREATED_AT_ASC, ID_ASC]"
    nested = f"""query ReadPathNested {{
  allPlans(first: {PLANS}, {order}, condition: {{districtId: "{district_id}"}}) {{
    edges {{ node {{
      nodeId id districtId schoolId initiativeId cycle title summary status published approvedAt
      approvedByLabel version createdAt updatedAt
      goalsByPlanId(first: 50, {order}) {{
        edges {{ node {{
          nodeId id planId statement weight version createdAt updatedAt
          strategiesByGoalId(first: 50, {order}) {{
            edges {{ node {{
              nodeId id planId goalId title description driver weight version createdAt updatedAt
              actionStepsByStrategyId(first: 50, {order}) {{
                edges {{ node {{
                  nodeId id planId strategyId title description ownerPersonId startsOn dueOn status
                  blockedReason progress weight pilotGroup scaleUpCriteria version createdAt updatedAt
                }} }}
                {_PAGE_INFO}
              }}
            }} }}
            {_PAGE_INFO}
          }}
        }} }}
        {_PAGE_INFO}
      }}
    }} }}
    {_PAGE_INFO}
  }}
}}"""
    flat = f"""query ReadPathFlat {{
  allInitiatives(first: {INITIATIVES}, {order}, condition: {{districtId: "{district_id}"}}) {{
    edges {{ node {{
      nodeId id districtId schoolId title summary publicValue beneficiaries stage ownerPersonId
      startsOn endsOn published version createdAt updatedAt
    }} }}
    {_PAGE_INFO}
  }}
}}"""
    return nested, flat


# ==================================================================================================
# The floor: Starlette + asyncpg, run by this file with --serve-floor. It imports nothing from `app`,
# so its process holds only what it needs. Formats follow Triangle's: REST through pydantic (UTC
# datetimes end in "Z", microseconds only when nonzero; numerics as strings), GraphQL through
# strawberry (datetime.isoformat(), "+00:00"; enums by name; global ids base64("Type:uuid");
# compact UTF-8 written by orjson, as Triangle's GraphQL router does).
# ==================================================================================================

MAX_LIMIT = 200
DEFAULT_PAGE = 50


def _rest_time(value: datetime | None) -> str | None:
    # pydantic writes a UTC offset as "Z"; asyncpg hands back timestamptz in UTC.
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _gql_time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _global_id(type_name: str, row_id: str | None) -> str | None:
    return None if row_id is None else base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def _cursor(created_at: datetime, row_id: str) -> str:
    # app.core.pagination.encode_cursor, written out: the floor imports nothing from the app.
    raw = json.dumps([created_at.isoformat(), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _enum(value: str) -> str:
    # Strawberry serializes an enum by its member name; every name here is its value upper-cased.
    return value.upper()


# Hand-written SQL on Triangle's tables, with the filter the policy applies for a district leader
# (the district) and the same order and page sizes. Ids and dates come back as text: PostgreSQL writes
# them as the answers do. A page of children for many parents is one statement: each parent's children
# are numbered in key order and the first `$3` kept (the page plus one, to know whether there is more).
SQL_INITIATIVES = """
SELECT id::text, created_at, updated_at, version, district_id::text, school_id::text, title, summary,
       public_value, beneficiaries, stage::text, owner_person_id::text, starts_on::text, ends_on::text,
       published
FROM initiative WHERE district_id = $1 ORDER BY created_at, id LIMIT $2"""

SQL_PLAN = """
SELECT id::text, created_at, updated_at, version, district_id::text, school_id::text, initiative_id::text,
       cycle, title, summary, status::text, published, approved_at, approved_by_label, submitted_at,
       previous_plan_id::text
FROM plan WHERE id = $1 AND district_id = $2"""

SQL_PLANS = """
SELECT id::text, created_at, updated_at, version, district_id::text, school_id::text, initiative_id::text,
       cycle, title, summary, status::text, published, approved_at, approved_by_label
FROM plan WHERE district_id = $1 ORDER BY created_at, id LIMIT $2"""

SQL_GOALS = """
SELECT * FROM (
    SELECT id::text, plan_id::text AS parent, statement, weight::text, version, created_at, updated_at,
           row_number() OVER (PARTITION BY plan_id ORDER BY created_at, id) AS position
    FROM goal WHERE plan_id = ANY($1::uuid[]) AND district_id = $2
) numbered WHERE position <= $3 ORDER BY parent, position"""

SQL_STRATEGIES = """
SELECT * FROM (
    SELECT id::text, plan_id::text, goal_id::text AS parent, title, description, driver, weight::text,
           version, created_at, updated_at,
           row_number() OVER (PARTITION BY goal_id ORDER BY created_at, id) AS position
    FROM strategy WHERE goal_id = ANY($1::uuid[]) AND district_id = $2
) numbered WHERE position <= $3 ORDER BY parent, position"""

SQL_STEPS = """
SELECT * FROM (
    SELECT id::text, plan_id::text, strategy_id::text AS parent, title, description,
           owner_person_id::text, starts_on::text, due_on::text, status::text, blocked_reason, progress,
           weight::text, pilot_group, scale_up_criteria, version, created_at, updated_at,
           row_number() OVER (PARTITION BY strategy_id ORDER BY created_at, id) AS position
    FROM action_step WHERE strategy_id = ANY($1::uuid[]) AND district_id = $2
) numbered WHERE position <= $3 ORDER BY parent, position"""


def rest_initiative(r: Any) -> dict[str, Any]:
    return {
        "id": r[0],
        "created_at": _rest_time(r[1]),
        "updated_at": _rest_time(r[2]),
        "version": r[3],
        "district_id": r[4],
        "school_id": r[5],
        "title": r[6],
        "summary": r[7],
        "public_value": r[8],
        "beneficiaries": r[9],
        "stage": r[10],
        "owner_person_id": r[11],
        "starts_on": r[12],
        "ends_on": r[13],
        "published": r[14],
    }


def rest_plan(r: Any) -> dict[str, Any]:
    return {
        "id": r[0],
        "created_at": _rest_time(r[1]),
        "updated_at": _rest_time(r[2]),
        "version": r[3],
        "district_id": r[4],
        "school_id": r[5],
        "initiative_id": r[6],
        "cycle": r[7],
        "title": r[8],
        "summary": r[9],
        "status": r[10],
        "published": r[11],
        "approved_at": _rest_time(r[12]),
        "approved_by_label": r[13],
        "submitted_at": _rest_time(r[14]),
        "previous_plan_id": r[15],
    }


def gql_initiative(r: Any) -> dict[str, Any]:
    return {
        "id": _global_id("Initiative", r[0]),
        "databaseId": r[0],
        "districtId": _global_id("District", r[4]),
        "schoolId": _global_id("School", r[5]),
        "title": r[6],
        "summary": r[7],
        "publicValue": r[8],
        "beneficiaries": r[9],
        "stage": _enum(r[10]),
        "ownerPersonId": _global_id("Person", r[11]),
        "startsOn": r[12],
        "endsOn": r[13],
        "published": r[14],
        "version": r[3],
        "createdAt": _gql_time(r[1]),
        "updatedAt": _gql_time(r[2]),
    }


def gql_plan(r: Any) -> dict[str, Any]:
    return {
        "id": _global_id("Plan", r[0]),
        "databaseId": r[0],
        "districtId": _global_id("District", r[4]),
        "schoolId": _global_id("School", r[5]),
        "initiativeId": _global_id("Initiative", r[6]),
        "cycle": r[7],
        "title": r[8],
        "summary": r[9],
        "status": _enum(r[10]),
        "published": r[11],
        "approvedAt": _gql_time(r[12]),
        "approvedByLabel": r[13],
        "version": r[3],
        "createdAt": _gql_time(r[1]),
        "updatedAt": _gql_time(r[2]),
    }


def gql_goal(r: Any) -> dict[str, Any]:
    return {
        "id": _global_id("Goal", r[0]),
        "databaseId": r[0],
        "planId": _global_id("Plan", r[1]),
        "statement": r[2],
        "weight": r[3],
        "version": r[4],
        "createdAt": _gql_time(r[5]),
        "updatedAt": _gql_time(r[6]),
    }


def gql_strategy(r: Any) -> dict[str, Any]:
    return {
        "id": _global_id("Strategy", r[0]),
        "databaseId": r[0],
        "planId": _global_id("Plan", r[1]),
        "goalId": _global_id("Goal", r[2]),
        "title": r[3],
        "description": r[4],
        "driver": r[5],
        "weight": r[6],
        "version": r[7],
        "createdAt": _gql_time(r[8]),
        "updatedAt": _gql_time(r[9]),
    }


def gql_step(r: Any) -> dict[str, Any]:
    return {
        "id": _global_id("ActionStep", r[0]),
        "databaseId": r[0],
        "planId": _global_id("Plan", r[1]),
        "strategyId": _global_id("Strategy", r[2]),
        "title": r[3],
        "description": r[4],
        "ownerPersonId": _global_id("Person", r[5]),
        "startsOn": r[6],
        "dueOn": r[7],
        "status": _enum(r[8]),
        "blockedReason": r[9],
        "progress": r[10],
        "weight": r[11],
        "pilotGroup": r[12],
        "scaleUpCriteria": r[13],
        "version": r[14],
        "createdAt": _gql_time(r[15]),
        "updatedAt": _gql_time(r[16]),
    }


def connection(rows: list[Any], limit: int, node: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """A Relay connection of `rows` (fetched `limit + 1` to learn whether a next page exists). Only
    the end cursor is computed: it is the only one the query asks for."""
    page = rows[:limit]
    last = page[-1] if page else None
    return {
        "edges": [{"node": node(r)} for r in page],
        "pageInfo": {
            "hasNextPage": len(rows) > limit,
            "endCursor": _cursor(last["created_at"], last["id"]) if last is not None else None,
        },
    }


def by_parent(rows: list[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        grouped[r["parent"]].append(r)
    return grouped


async def floor_nested(conn: Any, district: uuid.UUID) -> dict[str, Any]:
    """Four statements on one connection, one per level, each keyed on the level above."""
    plans = await conn.fetch(SQL_PLANS, district, PLANS + 1)
    plan_ids = [r["id"] for r in plans[:PLANS]]
    goals = by_parent(await conn.fetch(SQL_GOALS, plan_ids, district, DEFAULT_PAGE + 1))
    goal_ids = [r["id"] for rows in goals.values() for r in rows[:DEFAULT_PAGE]]
    strategies = by_parent(await conn.fetch(SQL_STRATEGIES, goal_ids, district, DEFAULT_PAGE + 1))
    strategy_ids = [r["id"] for rows in strategies.values() for r in rows[:DEFAULT_PAGE]]
    steps = by_parent(await conn.fetch(SQL_STEPS, strategy_ids, district, DEFAULT_PAGE + 1))

    def strategy_node(r: Any) -> dict[str, Any]:
        node = gql_strategy(r)
        node["actionSteps"] = connection(steps.get(r["id"], []), DEFAULT_PAGE, gql_step)
        return node

    def goal_node(r: Any) -> dict[str, Any]:
        node = gql_goal(r)
        node["strategies"] = connection(strategies.get(r["id"], []), DEFAULT_PAGE, strategy_node)
        return node

    def plan_node(r: Any) -> dict[str, Any]:
        node = gql_plan(r)
        node["goals"] = connection(goals.get(r["id"], []), DEFAULT_PAGE, goal_node)
        return node

    return {"data": {"plans": connection(plans, PLANS, plan_node)}}


# Triangle prices every operation before running it and says so in `extensions.cost`
# (app.graphql.cost): page sizes multiplied down the nested connections, nothing computed. The floor
# answers the same constant.
_COST_LIMIT = 500_000
NESTED_COST = {
    "cost": {
        "requested": PLANS + PLANS * 10 + PLANS * 100 + PLANS * 1000,
        "objects": PLANS + PLANS * 10 + PLANS * 100 + PLANS * 1000,
        "computed": 0,
        "limit": _COST_LIMIT,
    }
}
FLAT_COST = {"cost": {"requested": INITIATIVES, "objects": INITIATIVES, "computed": 0, "limit": _COST_LIMIT}}


def floor_app(database_url: str, district_id: str) -> Any:
    from contextlib import asynccontextmanager

    import asyncpg
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    district = uuid.UUID(district_id)
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Any) -> Any:
        # The pool Triangle's engine gets: ten connections, UTC.
        state["pool"] = await asyncpg.create_pool(
            database_url, min_size=10, max_size=10, server_settings={"timezone": "UTC"}
        )
        try:
            yield
        finally:
            await state["pool"].close()

    def rest(body: Any, status: int = 200) -> Response:
        # What FastAPI writes (compact UTF-8, no ASCII escapes), by the fastest encoder at hand.
        return Response(orjson.dumps(body), status_code=status, media_type="application/json")

    async def initiatives(request: Request) -> Response:
        try:
            limit = int(request.query_params.get("limit", DEFAULT_PAGE))
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            return rest({"detail": "limit out of range"}, 422)
        async with state["pool"].acquire() as conn:
            rows = await conn.fetch(SQL_INITIATIVES, district, limit + 1)
        page = rows[:limit]
        more = len(rows) > limit
        return rest(
            {
                "items": [rest_initiative(r) for r in page],
                "next_cursor": _cursor(page[-1]["created_at"], page[-1]["id"]) if more else None,
            }
        )

    async def plan(request: Request) -> Response:
        try:
            plan_id = uuid.UUID(request.path_params["plan_id"])
        except ValueError:
            return rest({"detail": "not a uuid"}, 422)
        async with state["pool"].acquire() as conn:
            row = await conn.fetchrow(SQL_PLAN, plan_id, district)
        if row is None:
            return rest({"detail": "not found"}, 404)
        return rest(rest_plan(row))

    async def graphql(request: Request) -> Response:
        # Not a GraphQL server: it knows the two operations by name and answers them.
        operation = json.loads(await request.body()).get("operationName")
        async with state["pool"].acquire() as conn:
            if operation == "ReadPathNested":
                body = await floor_nested(conn, district)
                body["extensions"] = NESTED_COST
            elif operation == "ReadPathFlat":
                rows = await conn.fetch(SQL_INITIATIVES, district, INITIATIVES + 1)
                body = {"data": {"initiatives": connection(rows, INITIATIVES, gql_initiative)}}
                body["extensions"] = FLAT_COST
            else:
                return rest({"errors": [{"message": f"unknown operation {operation!r}"}]}, 400)
        # Triangle's GraphQL encoder: orjson, compact UTF-8.
        return Response(orjson.dumps(body), media_type="application/json")

    async def healthz(request: Request) -> Response:
        return rest({"status": "ok"})

    return Starlette(
        routes=[
            Route("/api/v1/initiatives", initiatives),
            Route("/api/v1/plans/{plan_id}", plan),
            Route("/graphql", graphql, methods=["POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )


def serve_floor(args: argparse.Namespace) -> None:
    import uvicorn

    uvicorn.run(
        floor_app(args.database_url, args.district_id),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


# ==================================================================================================
# The throwaway database and its district, seeded through the services.
# ==================================================================================================


@dataclass
class Seeded:
    district_id: uuid.UUID
    plan_id: uuid.UUID
    email: str
    counts: dict[str, int]


def admin_dsn(server: str) -> str:
    from sqlalchemy import make_url

    from app.core.config import to_asyncpg_url

    return make_url(to_asyncpg_url(server)).set(drivername="postgresql").render_as_string(hide_password=False)


def database_dsn(server: str, name: str) -> str:
    from sqlalchemy import make_url

    return make_url(admin_dsn(server)).set(database=name).render_as_string(hide_password=False)


async def create_database(server: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_dsn(server))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(server: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_dsn(server))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def seed(dsn: str) -> Seeded:
    """Migrate, then one district with one login per role, 50 initiatives and 5 plans of 3 goals × 3
    strategies × 3 action steps, all through the services as the district's operator. Nulls, dates,
    non-ASCII text and owners are mixed in, so every value format shows up in the answers."""
    from sqlalchemy import select

    from app.auth.principal import SYSTEM
    from app.core.config import Settings, to_asyncpg_url
    from app.core.db import create_engine, create_session_factory, session_scope
    from app.core.migrations import migrate
    from app.demo import DistrictSpec, operator_of, provision_district
    from app.identity.models import Person, Role
    from app.initiatives import service as initiatives
    from app.initiatives.models import Direction
    from app.initiatives.schemas import IndicatorCreate, InitiativeCreate
    from app.plans import service as plans
    from app.plans.models import StepStatus
    from app.plans.schemas import ActionStepCreate, GoalCreate, PlanCreate, StrategyCreate
    from app.tenancy.schemas import DistrictCreate, SchoolCreate

    url = to_asyncpg_url(dsn)  # SQLAlchemy's name for the driver
    await migrate(url)
    engine = create_engine(url, Settings(database_url=url, log_json=False, log_level="WARNING"))
    spec = DistrictSpec(
        DistrictCreate(name="Read path bench", timezone="America/Chicago"),
        "readpath.example.org",
        [SchoolCreate(name=f"Bench School {i}", grade_low="KG", grade_high="05") for i in range(3)],
    )
    today = date.today()
    statuses = list(StepStatus)
    try:
        async with session_scope(create_session_factory(engine), SYSTEM) as session:
            district = await provision_district(session, spec, PASSWORD)
            operator = operator_of(district.district_id)
            people = list(
                await session.scalars(select(Person.id).where(Person.district_id == district.district_id))
            )
            schools = [*district.school_ids, None]
            made = []
            for i in range(INITIATIVES):
                made.append(
                    await initiatives.create_initiative(
                        session,
                        operator,
                        InitiativeCreate(
                            title=f"Initiative {i:02}: lectura y pertenencia",
                            public_value="Every student reads on grade level — “en su idioma” too.",
                            summary=None if i % 3 == 0 else f"Summary of initiative {i}.",
                            beneficiaries=None if i % 2 else "Students in grades K–5",
                            school_id=schools[i % len(schools)],
                            owner_person_id=people[i % len(people)] if i % 4 else None,
                            starts_on=today - timedelta(days=i) if i % 5 else None,
                            ends_on=today + timedelta(days=300) if i % 5 else None,
                            published=i % 2 == 0,
                        ),
                    )
                )
            first_plan = None
            for p in range(PLANS):
                plan = await plans.create_plan(
                    session,
                    operator,
                    PlanCreate(
                        cycle="2026-27",
                        title=f"Plan {p}: reading and belonging",
                        summary=None if p % 2 else "Written with our teachers and families.",
                        school_id=schools[p % len(schools)],
                        initiative_id=made[p].id if p % 2 == 0 else None,
                    ),
                )
                first_plan = first_plan or plan.id
                for g in range(GOALS):
                    view = await plans.add_goal(
                        session,
                        operator,
                        plan.id,
                        GoalCreate(
                            statement=f"Goal {p}.{g}: more students read on grade level by spring.",
                            weight=Decimal("1.5") if g == 0 else Decimal(1),
                            indicator=IndicatorCreate(
                                name="Students at benchmark",
                                unit="% of students",
                                direction=Direction.INCREASE,
                            ),
                        ),
                    )
                    for s in range(STRATEGIES):
                        strategy = await plans.add_strategy(
                            session,
                            operator,
                            view.goal.id,
                            StrategyCreate(
                                title=f"Strategy {p}.{g}.{s}",
                                description=None if s % 2 else "Daily structured-literacy block.",
                                driver="Core instruction" if s == 0 else None,
                                weight=Decimal("2.25") if s == 1 else Decimal(1),
                            ),
                        )
                        for a in range(STEPS):
                            status = statuses[(g + s + a) % len(statuses)]
                            await plans.add_action_step(
                                session,
                                operator,
                                strategy.id,
                                ActionStepCreate(
                                    title=f"Step {p}.{g}.{s}.{a}: pilot the phonics warm-up",
                                    description=None if a % 2 else "Two grade 2 classrooms first.",
                                    owner_person_id=people[a % len(people)] if a else None,
                                    starts_on=today - timedelta(days=30) if a != 1 else None,
                                    due_on=today + timedelta(days=30 * a) if a != 1 else None,
                                    status=status,
                                    blocked_reason="Waiting for the schedule."
                                    if status is StepStatus.BLOCKED
                                    else None,
                                    progress=25 * a if a else None,
                                    pilot_group="Two grade 2 classrooms" if a == 0 else None,
                                    scale_up_criteria="Running records improve" if a == 0 else None,
                                ),
                            )
    finally:
        await engine.dispose()
    assert first_plan is not None
    counts = {
        "initiatives": INITIATIVES,
        "plans": PLANS,
        "goals": PLANS * GOALS,
        "strategies": PLANS * GOALS * STRATEGIES,
        "action steps": PLANS * GOALS * STRATEGIES * STEPS,
    }
    return Seeded(district.district_id, first_plan, district.users[Role.DISTRICT_LEADER][1], counts)


# ==================================================================================================
# The servers.
# ==================================================================================================


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    graphql_path: str = "/graphql"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGTERM to the process group this bench started for it, then SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(name: str, command: list[str], env: dict[str, str], logs: Path, cwd: Path = REPO) -> Server:
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    log = logs / f"{name.lower()}.log"
    with log.open("wb") as out:
        # Its own session: Ctrl-C reaches the bench, which then stops the servers in order.
        process = subprocess.Popen(  # noqa: S603
            command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(name, port, process, log)


def wait_ready(server: Server, probe: Callable[[Server], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        with contextlib.suppress(Exception):  # refused, reset, not ready yet: try again
            if probe(server):
                return
        time.sleep(0.3)
    tail = server.log.read_text(errors="replace")[-3000:]
    raise SystemExit(f"{server.name} did not start (exit code {server.process.poll()}):\n{tail}")


def start_triangle(dsn: str, keys: Path, logs: Path, app_dir: Path) -> Server:
    env = {
        **os.environ,
        # `python -m` puts the working directory first on the path: the app under `app_dir` is served.
        "PYTHONPATH": str(app_dir),
        "DATABASE_URL": dsn,
        "TRIANGLE_JWT_KEYS_DIR": str(keys),
        # The token must outlive the run: the longest the settings allow.
        "TRIANGLE_ACCESS_TOKEN_TTL_SECONDS": "86400",
        # The app's own access log is an INFO line per request; like uvicorn's, it is off here.
        "TRIANGLE_LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
        "--port", "{port}", "--workers", "1", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return start("Triangle", command, env, logs, cwd=app_dir)


def code_identity(app_dir: Path) -> str:
    """Which code is measured: the commit, and whether `app/` has uncommitted changes."""
    git = shutil.which("git") or "git"
    head = subprocess.run(  # noqa: S603
        [git, "-C", str(app_dir), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    if head.returncode != 0:
        return f"{app_dir} (not a git checkout)"
    dirty = subprocess.run(  # noqa: S603
        [git, "-C", str(app_dir), "status", "--porcelain", "--", "app"], capture_output=True, text=True
    ).stdout.strip()
    return f"{app_dir} at {head.stdout.strip()}" + (" + uncommitted changes in app/" if dirty else "")


def start_floor(dsn: str, district_id: uuid.UUID, logs: Path) -> Server:
    command = [
        sys.executable, __file__, "--serve-floor", "--port", "{port}", "--database-url", dsn,
        "--district-id", str(district_id),
    ]  # fmt: skip
    return start("floor", command, dict(os.environ), logs)


def install_postgraphile() -> Path:
    """postgraphile@4.14.1 in a cache folder outside the repository, installed once."""
    cli = POSTGRAPHILE_HOME / "node_modules" / ".bin" / "postgraphile"
    package = POSTGRAPHILE_HOME / "node_modules" / "postgraphile" / "package.json"
    if cli.exists() and json.loads(package.read_text()).get("version") == POSTGRAPHILE_VERSION:
        return cli
    print(f"installing postgraphile@{POSTGRAPHILE_VERSION} into {POSTGRAPHILE_HOME} …")
    POSTGRAPHILE_HOME.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603
        [shutil.which("npm") or "npm", "install", "--prefix", str(POSTGRAPHILE_HOME), "--no-audit",
         "--no-fund", f"postgraphile@{POSTGRAPHILE_VERSION}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return cli


async def name_one_to_one_self_relations(dsn: str) -> None:
    """PostGraphile names both ends of a unique foreign key from a table to itself the same way
    (`plan.previous_plan_id`: `planByPreviousPlanId` forward and backward) and refuses to start. A smart
    comment on the bench's throwaway database names the backward end."""
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT c.conname, t.relname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "WHERE c.contype = 'f' AND c.conrelid = c.confrelid"
        )
        for n, row in enumerate(rows):
            await connection.execute(
                f'COMMENT ON CONSTRAINT "{row["conname"]}" ON "{row["relname"]}" '
                f"IS E'@foreignSingleFieldName {row['relname']}Following{n}'"
            )
    finally:
        await connection.close()


def start_postgraphile(dsn: str, logs: Path) -> Server:
    cli = install_postgraphile()
    asyncio.run(name_one_to_one_self_relations(dsn))
    command = [
        str(cli), "--connection", dsn, "--schema", "public", "--host", "127.0.0.1", "--port", "{port}",
        "--disable-default-mutations", "--simple-collections", "omit", "--disable-query-log",
    ]  # fmt: skip
    # Production mode, as one would deploy it (graphql-js skips its development checks).
    return start("PostGraphile", command, {**os.environ, "NODE_ENV": "production"}, logs)


# ==================================================================================================
# The requests, and checking that the servers answer the same thing.
# ==================================================================================================


@dataclass
class Endpoint:
    key: str
    label: str
    method: str
    path: str
    body: bytes | None = None  # Triangle's and the floor's request
    peer_body: bytes | None = None  # PostGraphile's, for the GraphQL endpoints
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def graphql(self) -> bool:
        return self.peer_body is not None


def graphql_body(query: str, operation: str) -> bytes:
    return json.dumps({"query": query, "operationName": operation, "variables": {}}).encode()


def endpoints(seeded: Seeded) -> list[Endpoint]:
    pg_nested, pg_flat = postgraphile_queries(str(seeded.district_id))
    c = seeded.counts
    tree = c["plans"] + c["goals"] + c["strategies"] + c["action steps"]
    return [
        Endpoint("rest-list", f"REST list, {c['initiatives']} initiatives", "GET", f"/api/v1/initiatives?limit={INITIATIVES}"),
        Endpoint("rest-plan", "REST one plan", "GET", f"/api/v1/plans/{seeded.plan_id}"),
        Endpoint(
            "gql-nested",
            f"GraphQL nested: {c['plans']} plans → goals → strategies → action steps ({tree} objects)",
            "POST",
            "/graphql",
            graphql_body(NESTED_QUERY, "ReadPathNested"),
            graphql_body(pg_nested, "ReadPathNested"),
        ),
        Endpoint(
            "gql-flat",
            f"GraphQL flat, {c['initiatives']} initiatives",
            "POST",
            "/graphql",
            graphql_body(FLAT_QUERY, "ReadPathFlat"),
            graphql_body(pg_flat, "ReadPathFlat"),
        ),
    ]  # fmt: skip


def fetch(server: Server, endpoint: Endpoint, token: str) -> tuple[int, bytes]:
    import httpx

    peer = server.name == "PostGraphile"
    headers = {"Content-Type": "application/json"}
    if not peer:  # PostGraphile, run without a JWT secret, refuses requests that carry a token
        headers["Authorization"] = f"Bearer {token}"
    path = server.graphql_path if peer else endpoint.path
    body = endpoint.peer_body if peer else endpoint.body
    response = httpx.request(endpoint.method, server.base + path, content=body, headers=headers, timeout=120)
    return response.status_code, response.content


def count_objects(document: Any) -> Counter[str]:
    """Nodes per nesting depth in a GraphQL answer (depth 1: plans or initiatives, 2: goals, …)."""
    found: Counter[str] = Counter()

    def walk(value: Any, depth: int) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "edges":
                    for edge in item:
                        found[f"level {depth + 1}"] += 1
                        walk(edge["node"], depth + 1)
                else:
                    walk(item, depth)
        elif isinstance(value, list):
            for item in value:
                walk(item, depth)

    walk(document, 0)
    return found


def first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    if type(a) is not type(b):
        return f"{path}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} vs {list(b)}"
        for key in a:
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


def verify(servers: dict[str, Server], points: list[Endpoint], token: str) -> None:
    """The floor must say exactly what Triangle says; PostGraphile must return as many objects.
    Anything else ends the run before a single number is taken."""
    failures = []
    for endpoint in points:
        status, triangle = fetch(servers["Triangle"], endpoint, token)
        floor_status, floor = fetch(servers["floor"], endpoint, token)
        expected = json.loads(triangle) if status == 200 else None
        if status != 200 or (endpoint.graphql and expected.get("errors")):
            failures.append(f"{endpoint.key}: Triangle answered {status}: {triangle[:500]!r}")
            continue
        difference = first_difference(expected, json.loads(floor)) if floor_status == 200 else "status"
        if difference:
            failures.append(f"{endpoint.key}: the floor differs from Triangle at {difference}")
            continue
        same_bytes = "byte-identical" if floor == triangle else "same JSON, different bytes"
        line = f"  {endpoint.key:<11} floor = Triangle ({same_bytes}, {len(triangle):,} bytes)"
        if endpoint.graphql:
            endpoint.counts = dict(count_objects(expected))
            line += f"; objects {_counts(endpoint.counts)}"
        if endpoint.graphql and "PostGraphile" in servers:
            peer_status, peer = fetch(servers["PostGraphile"], endpoint, token)
            answer = json.loads(peer) if peer_status == 200 else {"errors": [peer[:500].decode()]}
            peer_counts = dict(count_objects(answer))
            if answer.get("errors") or peer_counts != endpoint.counts:
                failures.append(
                    f"{endpoint.key}: PostGraphile returned {_counts(peer_counts)}: {str(answer)[:800]}"
                )
                continue
            line += f"; PostGraphile {_counts(peer_counts)} ({len(peer):,} bytes)"
        print(line)
    if failures:
        print("\nMISMATCH — no measurement taken:", file=sys.stderr)
        for failure in failures:
            print("  " + failure, file=sys.stderr)
        tail = servers["Triangle"].log.read_text(errors="replace")[-4000:]
        print(f"\nthe end of Triangle's log:\n{tail}", file=sys.stderr)
        raise SystemExit(1)


def _counts(counts: dict[str, int]) -> str:
    return " / ".join(str(counts[k]) for k in sorted(counts)) or "none"


# ==================================================================================================
# Load: wrk with a Lua script per (server, endpoint).
# ==================================================================================================

LUA = """
wrk.method = "{method}"
wrk.headers["Content-Type"] = "application/json"
if "{token}" ~= "" then
  wrk.headers["Authorization"] = "Bearer {token}"
end
local body_file = "{body_file}"
if body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d\\n", summary.duration, summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float  # the server's CPU time (user + system, all its processes) per request answered


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(group: int) -> float:
    """CPU time (user + system) used so far by the live processes of one process group (a server
    and, for PostGraphile, node under its launcher). Linux only; 0 elsewhere.

    On a shared machine requests per second move with the others' load; the CPU a server spends per
    request moves much less, so the ratios of these are the steadier comparison."""
    total = 0
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = Path(entry.path, "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == group:  # pgrp
                total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


def wrk_script(server: Server, endpoint: Endpoint, token: str, folder: Path) -> tuple[Path, str]:
    peer = server.name == "PostGraphile"
    body = endpoint.peer_body if peer else endpoint.body
    stem = f"{server.name}-{endpoint.key}".lower()
    body_file = ""
    if body is not None:
        (folder / f"{stem}.json").write_bytes(body)
        body_file = str(folder / f"{stem}.json")
    script = folder / f"{stem}.lua"
    script.write_text(LUA.format(method=endpoint.method, token="" if peer else token, body_file=body_file))
    return script, server.base + (server.graphql_path if peer else endpoint.path)


def run_wrk(server: Server, endpoint: Endpoint, token: str, seconds: float, folder: Path) -> Sample:
    script, url = wrk_script(server, endpoint, token, folder)
    cpu_before = cpu_seconds(server.process.pid)
    # A 60 s timeout: today's slowest answers take seconds, and a timed-out request would drop out of
    # the latency figures instead of counting as slow.
    output = subprocess.run(  # noqa: S603
        [shutil.which("wrk") or "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "60s", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout  # fmt: skip
    cpu = cpu_seconds(server.process.pid) - cpu_before
    line = next((x for x in output.splitlines() if x.startswith("WRK_RESULT")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result for {server.name} {endpoint.key}:\n{output}")
    duration_us, requests, errors, p50_us, p99_us = (int(x) for x in line.split()[1:])
    cpu_ms = 1000 * cpu / requests if requests else float("nan")
    return Sample(requests / (duration_us / 1e6), p50_us / 1000, p99_us / 1000, errors, cpu_ms)


@dataclass
class Measured:
    samples: dict[tuple[str, str], list[Sample]] = field(default_factory=lambda: defaultdict(list))

    def median(self, server: str, endpoint: str, what: str) -> float | None:
        samples = self.samples.get((server, endpoint))
        return statistics.median(getattr(s, what) for s in samples) if samples else None


def measure(
    servers: dict[str, Server], points: list[Endpoint], token: str, args: argparse.Namespace, folder: Path
) -> Measured:
    measured = Measured()
    for endpoint in points:
        order = [s for s in servers.values() if endpoint.graphql or s.name != "PostGraphile"]
        for server in order:
            print(f"  {endpoint.key}: warming up {server.name} ({args.warmup:g} s)")
            run_wrk(server, endpoint, token, args.warmup, folder)
        for round_number in range(1, args.rounds + 1):
            for server in order:
                sample = run_wrk(server, endpoint, token, args.duration, folder)
                measured.samples[(server.name, endpoint.key)].append(sample)
                flag = f"  ({sample.errors} ERRORS)" if sample.errors else ""
                print(
                    f"  {endpoint.key}: round {round_number} {server.name:<12} {sample.rps:>9,.1f} req/s  "
                    f"p50 {sample.p50_ms:,.1f} ms  p99 {sample.p99_ms:,.1f} ms  "
                    f"CPU {sample.cpu_ms:.2f} ms/request{flag}"
                )
    return measured


# ==================================================================================================
# The report.
# ==================================================================================================


def _rate(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def _cpu(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _ms(value: float) -> str:
    return f"{value:,.1f}" if value < 10 else f"{value:,.0f}"


def report(
    points: list[Endpoint],
    measured: Measured,
    load: tuple[Any, Any],
    args: argparse.Namespace,
    identity: str,
) -> None:
    print()
    print(f"Triangle: {identity}")
    print(
        "| endpoint | Triangle req/s | floor | PostGraphile | Triangle ÷ floor | Triangle ÷ PostGraphile | p50 / p99 |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for e in points:
        t, f, p = (measured.median(s, e.key, "rps") for s in ("Triangle", "floor", "PostGraphile"))
        p50, p99 = measured.median("Triangle", e.key, "p50_ms"), measured.median("Triangle", e.key, "p99_ms")
        latency = f"{_ms(p50)} / {_ms(p99)} ms" if p50 is not None and p99 is not None else "–"
        print(
            f"| {e.label} | {_rate(t)} | {_rate(f)} | {_rate(p)} | {_ratio(t, f)} | {_ratio(t, p)} | {latency} |"
        )
    print()
    print("Server CPU per request (user + system time of the server's processes ÷ requests answered;")
    print("a ratio is the other's CPU ÷ Triangle's, so it reads like a ratio of rates on a free core):")
    print()
    print(
        "| endpoint | Triangle ms | floor ms | PostGraphile ms | floor ÷ Triangle | PostGraphile ÷ Triangle |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for e in points:
        t, f, p = (measured.median(s, e.key, "cpu_ms") for s in ("Triangle", "floor", "PostGraphile"))
        print(f"| {e.label} | {_cpu(t)} | {_cpu(f)} | {_cpu(p)} | {_ratio(f, t)} | {_ratio(p, t)} |")
    print()
    print(
        f"wrk: 1 thread, {CONNECTIONS} connections, {args.duration:g} s × {args.rounds} round(s), medians; "
        f"one uvicorn worker each for Triangle and the floor"
    )
    print("p50 / p99 of the others (ms): " + "; ".join(
        f"{e.key} {s} {_ms(measured.median(s, e.key, 'p50_ms'))} / {_ms(measured.median(s, e.key, 'p99_ms'))}"
        for e in points for s in ("floor", "PostGraphile") if measured.median(s, e.key, "rps") is not None
    ))  # fmt: skip
    errors = sum(s.errors for samples in measured.samples.values() for s in samples)
    if errors:
        print(f"WARNING: wrk counted {errors} failed requests (non-2xx, timeouts, socket errors)")
    print(f"load average before: {_load(load[0])}; after: {_load(load[1])} ({os.cpu_count()} cores)")
    print()
    print("goals (issue 12):")
    for goal, met in goals(measured):
        print(f"  {'met    ' if met else 'not met' if met is not None else 'n/a    '}  {goal}")


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def goals(measured: Measured) -> list[tuple[str, bool | None]]:
    def ratio(key: str, peer: str) -> float | None:
        t, p = measured.median("Triangle", key, "rps"), measured.median(peer, key, "rps")
        return None if t is None or not p else t / p

    def at_least(value: float | None, bound: float) -> bool | None:
        return None if value is None else value >= bound

    checks = [
        ("REST list ≥ 0.5 of the floor", at_least(ratio("rest-list", "floor"), 0.5)),
        ("REST one plan ≥ 0.5 of the floor", at_least(ratio("rest-plan", "floor"), 0.5)),
        ("GraphQL nested ≥ 0.25 of the floor", at_least(ratio("gql-nested", "floor"), 0.25)),
        ("GraphQL nested ≥ PostGraphile", at_least(ratio("gql-nested", "PostGraphile"), 1.0)),
        ("GraphQL flat ≥ 0.3 of the floor", at_least(ratio("gql-flat", "floor"), 0.3)),
    ]
    for key in ("rest-list", "rest-plan", "gql-nested", "gql-flat"):
        p50, p99 = measured.median("Triangle", key, "p50_ms"), measured.median("Triangle", key, "p99_ms")
        met = None if p50 is None or p99 is None else p99 < 5 * p50
        checks.append((f"{key}: Triangle's p99 < 5 × p50", met))
    return checks


# ==================================================================================================
# Profiling: py-spy on the running Triangle process while wrk loads one endpoint.
# ==================================================================================================


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed: pip install py-spy (into this virtualenv)")
    return found


def profile(triangle: Server, endpoint: Endpoint, token: str, args: argparse.Namespace, folder: Path) -> None:
    """Two loaded runs under py-spy: one for the flame graph (SVG), one for collapsed stacks, from
    which the top functions by own and by total time are written out and printed. Only the thread
    holding the GIL is sampled (`--gil`): the CPU the interpreter spends, without the thread pool's
    idle workers, which otherwise show up as a third of the samples waiting in `Condition.wait`."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    stem = RESULTS / f"read_path-{endpoint.key}-{stamp}"
    for fmt, output in (("flamegraph", stem.with_suffix(".svg")), ("raw", stem.with_suffix(".collapsed"))):
        print(f"  profiling {endpoint.key} ({fmt}, {args.duration:g} s) …")
        spy = subprocess.Popen(  # noqa: S603
            [py_spy(), "record", "--pid", str(triangle.process.pid), "--duration", str(max(1, round(args.duration))),
             "--rate", "200", "--gil", "--format", fmt, "--output", str(output)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(0.5)  # attached before the load starts
        run_wrk(triangle, endpoint, token, args.duration, folder)
        _, err = spy.communicate(timeout=args.duration + 60)
        if spy.returncode != 0:
            raise SystemExit(f"py-spy failed: {err.decode(errors='replace')[-2000:]}")
    top = top_functions(stem.with_suffix(".collapsed"))
    stem.with_suffix(".txt").write_text(top)
    print(top)
    print(f"flame graph: {stem.with_suffix('.svg')}\ntop functions: {stem.with_suffix('.txt')}")


def top_functions(collapsed: Path, n: int = 25) -> str:
    """Where the samples went: own time per function, own time per package (the app by area), and
    total time (with callees) of the app's own functions."""
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    app_total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [_function(frame) for frame in stack.split(";")]
        samples += count
        own[frames[-1][0]] += count
        packages[frames[-1][1]] += count
        for name in {name for name, package in frames if package.startswith("app/")}:
            app_total[name] += count

    def share(counter: Counter[str], limit: int) -> list[str]:
        return [f"  {100 * c / samples:5.1f}%  {name}" for name, c in counter.most_common(limit)]

    lines = [f"{samples} samples", "", "own time, by function:", *share(own, n)]
    lines += ["", "own time, by package (the app by area):", *share(packages, 15)]
    lines += ["", "total time (with what they call) of the app's functions:", *share(app_total, 15)]
    return "\n".join(lines) + "\n"


def _function(frame: str) -> tuple[str, str]:
    """`name (graphql/execution/executor.py:123)` → ("name (graphql/execution/executor.py)", "graphql");
    one function's lines count together, and `app/plans/graphql.py` is package "app/plans"."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = path.split("/")
    package = "/".join(parts[:2]) if parts[0] == "app" and len(parts) > 2 else parts[0]
    return (f"{name} ({path})" if where else name), package.removesuffix(".py")


# ==================================================================================================
# Main.
# ==================================================================================================


def get_token(triangle: Server, email: str) -> str:
    import httpx

    response = httpx.post(
        triangle.base + "/api/v1/auth/token",
        data={"grant_type": "password", "username": email, "password": PASSWORD},
        timeout=60,
    )
    if response.status_code != 200:
        raise SystemExit(f"token: {response.status_code} {response.text[:500]}")
    return str(response.json()["access_token"])


def _http_ok(path: str) -> Callable[[Server], bool]:
    def probe(server: Server) -> bool:
        import httpx

        return httpx.get(server.base + path, timeout=2).status_code == 200

    return probe


def _graphql_ok(server: Server) -> bool:
    import httpx

    response = httpx.post(server.base + "/graphql", json={"query": "{ __typename }"}, timeout=5)
    return response.status_code == 200


@contextlib.contextmanager
def terminated_cleanly() -> Iterator[None]:
    """SIGTERM raises SystemExit, so the cleanup below runs for `kill` as it does for Ctrl-C."""
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed (Debian/Ubuntu: apt-get install -y wrk); nothing was measured."
        )
    use_peer = args.postgraphile if args.postgraphile is not None else shutil.which("npx") is not None
    if args.postgraphile and shutil.which("npx") is None:
        raise SystemExit("--postgraphile needs npx (Node.js) on the PATH")
    name = f"triangle_bench_{uuid.uuid4().hex[:8]}"
    dsn = database_dsn(args.database_url, name)
    with terminated_cleanly(), contextlib.ExitStack() as cleanup:
        folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="read-path-")))
        asyncio.run(create_database(args.database_url, name))
        cleanup.callback(lambda: asyncio.run(drop_database(args.database_url, name)))
        print(f"database {name}: migrating and seeding through the services …")
        seeded = asyncio.run(seed(dsn))

        servers: dict[str, Server] = {}
        keys = folder / "keys"
        for server in (
            start_triangle(dsn, keys, folder, args.app_dir),
            start_floor(dsn, seeded.district_id, folder),
            *([start_postgraphile(dsn, folder)] if use_peer else []),
        ):
            servers[server.name] = server
            cleanup.callback(server.stop)  # stopped before the database is dropped (LIFO)
        wait_ready(servers["Triangle"], _http_ok("/healthz"))
        wait_ready(servers["floor"], _http_ok("/healthz"))
        if use_peer:
            wait_ready(servers["PostGraphile"], _graphql_ok)
        identity = code_identity(args.app_dir)
        print(f"Triangle's code: {identity}")
        print(
            "servers up: " + ", ".join(f"{s.name} :{s.port} (pid {s.process.pid})" for s in servers.values())
        )

        token = get_token(servers["Triangle"], seeded.email)
        points = [e for e in endpoints(seeded) if not args.only or e.key in args.only]
        print("checking the answers:")
        verify(servers, points, token)

        load_before = os.getloadavg()
        print(f"load average before: {_load(load_before)}")
        measured = measure(servers, points, token, args, folder)
        load_after = os.getloadavg()
        verify(servers, points, token)  # still the same answers after the load (the token held)
        report(points, measured, (load_before, load_after), args, identity)

        if args.profile:
            target = next(e for e in endpoints(seeded) if e.key == args.profile)
            profile(servers["Triangle"], target, token, args, folder)


def parse_args() -> argparse.Namespace:
    keys = ["rest-list", "rest-plan", "gql-nested", "gql-flat"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=DEFAULT_SERVER, help="a PostgreSQL server to create the bench database on"
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per run (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per endpoint (default 3)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per server and endpoint")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 s loads, 1 s warm-up, one round")
    parser.add_argument(
        "--postgraphile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run PostGraphile as the GraphQL peer (default: when npx is on the PATH)",
    )
    parser.add_argument(
        "--app-dir",
        type=lambda p: Path(p).resolve(),
        default=REPO,
        help="serve Triangle from this copy of the repository (e.g. `git archive` of another commit) to "
        "compare before and after; seeding always uses the code next to this script",
    )
    parser.add_argument("--only", nargs="+", choices=keys, help="measure only these endpoints")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="gql-nested",
        choices=keys,
        help="after the rounds, py-spy Triangle under load on one endpoint (default gql-nested); "
        "writes a flame graph and the top functions to bench/results/",
    )
    # The floor's own process (started by the bench).
    parser.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--district-id", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.duration, args.warmup, args.rounds = min(args.duration, 2), 1, 1
    return args


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.serve_floor:
        serve_floor(arguments)
    else:
        try:
            run(arguments)
        except KeyboardInterrupt:
            print("\ninterrupted; servers stopped and the database dropped", file=sys.stderr)
            sys.exit(130)
