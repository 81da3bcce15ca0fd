"""Column reads run raw (`app.core.prepared`) on a read session (`app.core.db.ReadSession`).

The raw way must be indistinguishable from SQLAlchemy's: the same rows, each value equal and of the
same type, for every table's columns and for bound values of every kind the read paths bind; the
same errors; one connection and one transaction per unit of work, whatever mixes column reads and
the ORM; statements counted as before.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy.exc
from fastapi import FastAPI
from sqlalchemy import Integer, Numeric, bindparam, cast, func, literal, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from app.audit.models import AuditEvent
from app.auth.permissions import Action
from app.auth.policy import visible
from app.auth.principal import Grant, Principal, PrincipalKind
from app.core import prepared
from app.core.db import ReadSession, session_scope
from app.core.rows import columns_of
from app.demo import operator_of
from app.identity.models import Role
from app.initiatives import service as initiatives
from app.initiatives.models import Initiative, Stage
from app.initiatives.schemas import IndicatorCreate, InitiativeCreate
from app.plans import service as plans
from app.plans.models import Goal, Plan
from app.plans.schemas import GoalCreate, PlanCreate
from tests.conftest import World, count_statements


async def _seed(app: FastAPI, world: World) -> None:
    operator = operator_of(world.district_id("A"))
    async with session_scope(app.state.session_factory, operator) as session:
        for n in range(3):
            await initiatives.create_initiative(
                session,
                operator,
                InitiativeCreate(
                    title=f"Initiative {n} — “lectura”", public_value="Reading.", published=n == 1
                ),
            )
        plan = await plans.create_plan(session, operator, PlanCreate(cycle="2026-27", title="Plan"))
        await plans.add_goal(
            session,
            operator,
            plan.id,
            GoalCreate(
                statement="More students read.",
                weight=Decimal("1.500"),
                indicator=IndicatorCreate(
                    name="Reading", unit="%", direction="increase", target_value=Decimal("80.25")
                ),
            ),
        )


def _typed(rows: list[Any]) -> list[list[tuple[type, Any]]]:
    return [[(type(value), value) for value in row] for row in rows]


async def _both_ways(app: FastAPI, statement: Any, values: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """The rows as SQLAlchemy returns them, and as the read session returns them once the statement
    is known (its first run goes through SQLAlchemy, later runs raw)."""
    async with session_scope(app.state.read_session_factory) as session:
        assert isinstance(session, ReadSession)
        expected = list((await session.execute(statement, values)).all())
    async with session_scope(app.state.read_session_factory) as session:
        await session.rows(statement, values)
        compiled = prepared.kept.compiled
        raw = await session.rows(statement, values)
        again = await session.rows(statement, values)
    return expected, (raw, again, compiled)


async def test_every_tables_columns_read_raw_as_sqlalchemy_reads_them(app: FastAPI, world: World) -> None:
    await _seed(app, world)
    models = sorted(
        (mapper.class_ for mapper in SQLModel._sa_registry.mappers if mapper.local_table is not None),
        key=lambda model: model.__name__,
    )
    assert len(models) > 40
    for model in models:
        statement = select(*columns_of(model)).order_by(*model.__table__.primary_key.columns)
        expected, (raw, again, _) = await _both_ways(app, statement)
        assert _typed(raw) == _typed(expected) == _typed(again), model
    assert prepared.kept.forms(statement, app.state.engine.dialect) is not None  # compiled: read raw


async def test_bound_values_of_every_kind_go_as_sqlalchemy_sends_them(app: FastAPI, world: World) -> None:
    await _seed(app, world)
    principal_district = world.district_id("A")
    statement = (
        select(
            Initiative.id,
            Initiative.stage,
            literal(Stage.APPROVED, type_=Initiative.stage.type).label("stage_bound"),
            cast(literal(Decimal("1.000")), Numeric(8, 3)).label("weight"),
            literal(dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)).label("at"),
            literal(dt.date(2026, 11, 30)).label("on"),
            cast(literal('{"a": [1, "—"]}'), JSONB).label("document"),
            func.coalesce(bindparam("nothing", None, type_=Integer), 7).label("defaulted"),
        )
        .where(Initiative.district_id == principal_district)
        .where(Initiative.stage == bindparam("stage", type_=Initiative.stage.type))
        .order_by(Initiative.created_at, Initiative.id)
        .limit(bindparam("page_limit", type_=Integer))
    )
    values = {"stage": Stage.EXPLORING, "page_limit": 2}
    expected, (raw, again, _) = await _both_ways(app, statement, values)
    assert len(expected) == 2
    assert _typed(raw) == _typed(expected) == _typed(again)
    assert type(raw[0][1]) is Stage
    assert raw[0][3] == Decimal("1.000")
    # A value given for a bound one replaces it, as in SQLAlchemy.
    changed = {**values, "nothing": 3}
    expected, (raw, _, _) = await _both_ways(app, statement, changed)
    assert [row[-1] for row in raw] == [row[-1] for row in expected] == [3, 3]


async def test_the_policys_kept_statements_read_raw_with_their_filters(app: FastAPI, world: World) -> None:
    """The visibility filter is part of the compiled statement: a school leader of another school
    reads no district plan and only its school's initiatives, raw as through SQLAlchemy."""
    await _seed(app, world)
    leader = Principal(
        kind=PrincipalKind.USER,
        id=uuid.uuid4(),
        district_id=world.district_id("A"),
        grants=(Grant(role=Role.SCHOOL_LEADER, school_id=world.school_ids("A")[1]),),
    )
    for model, action in (
        (Initiative, Action.INITIATIVE_READ),
        (Plan, Action.PLAN_READ),
        (Goal, Action.PLAN_READ),
    ):
        statement = visible(select(*columns_of(model)), model, leader, action).order_by(model.id)
        expected, (raw, again, _) = await _both_ways(app, statement)
        assert _typed(raw) == _typed(expected) == _typed(again), model
    other = Principal(
        kind=PrincipalKind.USER,
        id=uuid.uuid4(),
        district_id=world.district_id("B"),
        grants=(Grant(role=Role.DISTRICT_LEADER, school_id=None),),
    )
    only_b = visible(select(*columns_of(Plan)), Plan, other, Action.PLAN_READ).order_by(Plan.id)
    expected, (raw, _, _) = await _both_ways(app, only_b)
    assert _typed(raw) == _typed(expected)
    assert all(
        row[[c.key for c in columns_of(Plan)].index("district_id")] == other.district_id for row in raw
    )
    everything = select(*columns_of(Plan)).order_by(Plan.id)
    _, (all_plans, _, _) = await _both_ways(app, everything)
    assert len(all_plans) > len(raw)  # district A's plan is there, and B's statement left it out


async def test_a_failing_raw_read_raises_as_sqlalchemy_does_and_the_session_goes_on(
    app: FastAPI, world: World
) -> None:
    statement = select(Plan.id).where(Plan.version == bindparam("version", type_=Integer))
    async with session_scope(app.state.read_session_factory) as session:
        assert await session.rows(statement, {"version": -1}) == []  # seen once: compiled next time
    async with session_scope(app.state.read_session_factory) as session:
        with pytest.raises(sqlalchemy.exc.DBAPIError):
            await session.rows(statement, {"version": "not a number"})
        assert await session.rows(statement, {"version": -1}) == []
    async with session_scope(app.state.read_session_factory) as session:
        with pytest.raises(sqlalchemy.exc.StatementError, match="version"):
            await session.rows(statement, {})  # a value is required: SQLAlchemy says which
        assert await session.rows(statement, {"version": -1}) == []
    assert prepared.kept.forms(statement, app.state.engine.dialect) is not None


async def test_column_reads_and_the_orm_share_one_connection_and_one_transaction(
    app: FastAPI, world: World
) -> None:
    """Whichever comes first, a unit of work is one connection; a write after a raw read (an audited
    read's record) is kept."""
    await _seed(app, world)
    operator = operator_of(world.district_id("A"))
    statement = select(*columns_of(Plan)).order_by(Plan.id)
    for first in ("rows", "orm"):
        marker = uuid.uuid4()
        with count_statements(app) as counter:
            async with session_scope(app.state.read_session_factory, operator) as session:
                if first == "orm":
                    assert (await session.execute(select(func.count()).select_from(Initiative))).scalar_one()
                for _ in range(3):
                    rows = await session.rows(statement)
                session.add(
                    AuditEvent(
                        district_id=operator.district_id,
                        actor_kind="system",
                        action="read",
                        entity_type="plan",
                        entity_id=marker,
                        after={},
                    )
                )
                await session.flush()
                assert (await session.execute(select(func.count()).select_from(Plan))).scalar_one() == len(
                    rows
                )
        assert (counter.checkouts, counter.transactions) == (1, 1), first
        assert len(counter.statements) == (6 if first == "orm" else 5), counter.statements
        async with session_scope(app.state.session_factory) as check:
            found = await check.scalar(select(func.count()).where(AuditEvent.entity_id == marker))
        assert found == 1, first


async def test_a_unit_left_early_gives_its_connection_back(app: FastAPI, world: World) -> None:
    pool = app.state.engine.pool
    before = pool.checkedout()
    with pytest.raises(RuntimeError):
        async with session_scope(app.state.read_session_factory) as session:
            await session.rows(select(Plan.id))
            await session.rows(select(Plan.id))
            raise RuntimeError("the route failed")
    async with session_scope(app.state.read_session_factory) as session:
        await session.rows(select(Plan.id))
    session = app.state.read_session_factory()
    await session.rows(select(Plan.id))
    await session.close()
    assert pool.checkedout() == before


async def test_a_unit_of_work_commits_when_its_block_succeeds_and_rolls_back_when_it_raises(
    app: FastAPI, world: World
) -> None:
    """`session_scope` for writes: the block's flush is kept only when the block ends well, and a
    commit that fails is rolled back and raised; the connection goes back to the pool every time."""
    operator = operator_of(world.district_id("A"))
    pool = app.state.engine.pool
    before = pool.checkedout()

    def event(marker: uuid.UUID) -> AuditEvent:
        return AuditEvent(
            district_id=operator.district_id,
            actor_kind="system",
            action="x",
            entity_type="y",
            entity_id=marker,
        )

    async def kept(marker: uuid.UUID) -> int:
        async with session_scope(app.state.session_factory) as check:
            return int(await check.scalar(select(func.count()).where(AuditEvent.entity_id == marker)) or 0)

    good, bad, failing = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with session_scope(app.state.session_factory, operator) as session:
        session.add(event(good))
    with pytest.raises(RuntimeError):
        async with session_scope(app.state.session_factory, operator) as session:
            session.add(event(bad))
            await session.flush()
            raise RuntimeError("the route failed")
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        async with session_scope(app.state.session_factory, operator) as session:
            session.add(event(failing))
            session.add(Plan(district_id=uuid.uuid4(), cycle="2026-27", title="No such district"))
    assert (await kept(good), await kept(bad), await kept(failing)) == (1, 0, 0)
    assert pool.checkedout() == before


async def _pids_of_idle_connections(app: FastAPI) -> set[int]:
    """The server pids of the connections idle in the app's pool."""
    pids = set()
    for record in list(app.state.engine.pool._pool._queue._queue):
        if record.dbapi_connection is not None:
            pids.add(record.dbapi_connection.driver_connection.get_server_pid())
    return pids


async def test_a_read_after_the_server_closed_the_idle_connections_still_answers(
    app: FastAPI, world: World
) -> None:
    """A read session takes its connection from the pool without a greenlet when the next idle one is
    open and fresh (`app.core.db._checks_out_now`). One the server has closed (a restart, an idle
    timeout, an operator's `pg_terminate_backend`) must still go through SQLAlchemy's checkout, which
    throws it away and connects anew: the read answers, on a new backend, and nothing is left out."""
    await _seed(app, world)
    statement = select(Plan.id).order_by(Plan.id)
    async with session_scope(app.state.read_session_factory) as session:
        expected = await session.rows(statement)
        await session.rows(statement)  # the second run is raw
    closed = await _pids_of_idle_connections(app)
    assert closed
    pool = app.state.engine.pool
    before = pool.checkedout()
    # Ended from a connection of its own, as the server would end them.
    outside = create_async_engine(app.state.settings.database_url, poolclass=NullPool)
    try:
        async with outside.connect() as connection:
            await connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
                {"pids": sorted(closed)},
            )
    finally:
        await outside.dispose()
    for _ in range(50):  # asyncpg notices the closed sockets on the loop's next turns
        records = list(pool._pool._queue._queue)
        if all(
            r.dbapi_connection is None or r.dbapi_connection.driver_connection.is_closed() for r in records
        ):
            break
        await asyncio.sleep(0.01)
    for _ in range(3):
        async with session_scope(app.state.read_session_factory) as session:
            assert await session.rows(statement) == expected
            pid = (await session.rows(select(func.pg_backend_pid())))[0][0]
            assert pid not in closed
    assert pool.checkedout() == before


async def test_a_connection_due_for_recycling_is_recycled_not_read_on(app: FastAPI, world: World) -> None:
    """A pooled connection older than the pool's recycle age is replaced at checkout (SQLAlchemy's
    `pool_recycle`): the direct checkout leaves that one to SQLAlchemy too."""
    statement = select(func.pg_backend_pid())
    async with session_scope(app.state.read_session_factory) as session:
        await session.rows(statement)
        old = (await session.rows(statement))[0][0]
    pool = app.state.engine.pool
    recycle = pool._recycle
    pool._recycle = 1  # every pooled connection is older than this in a second
    try:
        await asyncio.sleep(1.1)
        async with session_scope(app.state.read_session_factory) as session:
            assert (await session.rows(statement))[0][0] != old
    finally:
        pool._recycle = recycle
