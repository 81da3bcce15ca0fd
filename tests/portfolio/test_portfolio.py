"""The district portfolio over REST and GraphQL: every school plan side by side, the schools that need
help first, walkthrough implementation pooled only over figures already shown, district leaders only,
nothing of another district, and the same number of statements for 1, 3 and 10 schools.

Plans are built by the installation's operator through the services (their rules have their own
tests); walkthroughs are stored closed with their released summary, as `close_walkthrough` leaves them.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.core.db import session_scope
from app.core.models import utcnow
from app.demo import operator_of
from app.identity.models import Role
from app.monitoring import measurements
from app.plans import service as plans
from app.plans.models import Plan, PlanStatus
from app.plans.schemas import ActionStepCreate, CheckpointCreate, GoalCreate, PlanCreate, StrategyCreate
from app.practice.models import Walkthrough
from app.tenancy import service as tenancy
from app.tenancy.schemas import SchoolCreate
from tests.conftest import GraphQLClient, Tokens, World, count_statements

API = "/api/v1"
TODAY = date.today()


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


async def school_plan(
    app: FastAPI,
    world: World,
    name: str,
    *,
    trend: str | None = "up",
    overdue: int = 0,
    classrooms: int = 5,
    practice: str = "Turn and talk",
    practice_id: uuid.UUID | None = None,
    district: str = "A",
) -> uuid.UUID:
    """A new school of `district` with an active plan: one goal whose indicator rises (`up`, on track)
    or stays flat (`flat`, off track) over ten fortnights, `overdue` overdue steps and one done, an
    overdue review, and a closed walkthrough of `classrooms` classrooms (half of them developing)."""
    district_id = world.district_id(district)
    operator = operator_of(district_id)
    async with session_scope(app.state.session_factory, operator) as session:
        school = await tenancy.create_school(session, operator, district_id, SchoolCreate(name=name))
        plan = await plans.create_plan(
            session, operator, PlanCreate(cycle="2026-27", title=f"{name} plan", school_id=school.id)
        )
        goal = await plans.add_goal(
            session,
            operator,
            plan.id,
            GoalCreate.model_validate(
                {
                    "statement": "Reading",
                    "indicator": {
                        "name": "Reading",
                        "unit": "%",
                        "direction": "increase",
                        "baseline_value": "20",
                        "baseline_date": day(-200).isoformat(),
                        "target_value": "40",
                        "target_date": day(100).isoformat(),
                    },
                }
            ),
        )
        if trend is not None:
            rows = [
                {
                    "indicator_id": goal.indicator.id,
                    "value": str(20 + (1.5 * i if trend == "up" else 0)),
                    "measured_on": day(-14 * (10 - i)).isoformat(),
                }
                for i in range(10)
            ]
            await measurements.record_measurements(session, operator, rows)
        strategy = await plans.add_strategy(
            session, operator, goal.goal.id, StrategyCreate(title="Turn and talk")
        )
        for n in range(overdue):
            await plans.add_action_step(
                session,
                operator,
                strategy.id,
                ActionStepCreate.model_validate({"title": f"late {n}", "due_on": day(-3 - n).isoformat()}),
            )
        await plans.add_action_step(
            session,
            operator,
            strategy.id,
            ActionStepCreate.model_validate({"title": "done", "status": "done"}),
        )
        await plans.add_checkpoint(session, operator, plan.id, CheckpointCreate(scheduled_on=day(-2)))
        developing = classrooms // 2
        session.add(
            Walkthrough(
                district_id=district_id,
                school_id=school.id,
                practice=practice,
                practice_id=practice_id,
                observed_on=day(-10),
                plan_id=plan.id,
                closed_at=utcnow(),
                released_summary={
                    "counts": {"developing": developing, "beginning": classrooms - developing},
                    "teachers": [str(uuid.uuid4()) for _ in range(classrooms)],
                },
            )
        )
        await session.execute(update(Plan).where(Plan.id == plan.id).values(status=PlanStatus.ACTIVE))
    return plan.id


async def portfolio(
    client: httpx.AsyncClient, tokens: Tokens, role: Role = Role.DISTRICT_LEADER, **params: Any
) -> Any:
    return await client.get(f"{API}/portfolio", params=params, headers=await tokens.headers("A", role))


async def test_the_schools_that_need_help_come_first(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    healthy = await school_plan(app, world, "Alder Elementary")
    late = await school_plan(app, world, "Birch Middle", overdue=3)
    off = await school_plan(app, world, "Cedar High", trend="flat")
    unmeasured = await school_plan(app, world, "Dogwood Primary", trend=None, overdue=3)
    response = await portfolio(client, tokens)
    assert response.status_code == 200, response.text
    body = response.json()
    rows = {r["plan_id"]: r for r in body["plans"]}
    order = [r["plan_id"] for r in body["plans"]]
    # Off track first; then the most overdue work (Birch and Dogwood: 3 steps and a review each, and
    # they tie on signals, progress and voices too, so by name); then Alder, with only its review late.
    assert order == [str(off), str(late), str(unmeasured), str(healthy)]
    assert [r["rank"] for r in body["plans"]] == [1, 2, 3, 4]
    assert rows[str(off)]["goals"] == {"on_track": 0, "at_risk": 0, "off_track": 1, "no_data": 0}
    assert rows[str(healthy)]["goals"]["on_track"] == 1
    assert rows[str(unmeasured)]["goals"]["no_data"] == 1
    assert rows[str(late)]["overdue_action_steps"] == 3
    assert rows[str(late)]["overdue_checkpoints"] == 1
    assert rows[str(late)]["progress"] == 25.0
    assert rows[str(healthy)]["progress"] == 100.0
    assert "1 goal(s) off track" in rows[str(off)]["attention"]
    assert rows[str(off)]["co_creation"]["voices_missing"]  # no co-creation held for these plans
    assert rows[str(healthy)]["latest_walkthrough"]["developing_or_above"] == 0.4
    assert rows[str(healthy)]["school_name"] == "Alder Elementary"


async def test_walkthroughs_pool_only_the_figures_already_shown(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    await school_plan(app, world, "Elm Elementary", classrooms=4)  # 2 of 4 developing
    await school_plan(app, world, "Fir Elementary", classrooms=6)  # 3 of 6
    small = await school_plan(app, world, "Gum Elementary", classrooms=2)  # below the minimum of 3
    await school_plan(app, world, "Hazel Elementary", classrooms=5, practice="Exit tickets")
    body = (await portfolio(client, tokens)).json()
    practices = {p["practice"]: p for p in body["practices"]}
    talk = practices["Turn and talk"]
    assert [s["school_name"] for s in talk["schools"]] == [
        "Elm Elementary",
        "Fir Elementary",
        "Gum Elementary",
    ]
    assert talk["shown_schools"] == 2
    assert talk["classrooms"] == 10
    assert talk["developing_or_above"] == 0.5
    gum = next(s for s in talk["schools"] if s["school_name"] == "Gum Elementary")
    assert gum["walkthrough"]["suppressed"] is True
    assert gum["walkthrough"]["developing_or_above"] is None
    (row,) = [r for r in body["plans"] if r["plan_id"] == str(small)]
    assert row["latest_walkthrough"]["suppressed"] is True
    assert practices["Exit tickets"]["shown_schools"] == 1


async def test_walkthroughs_tagged_with_a_catalogue_practice_pool_under_it_whatever_their_label(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    made = await client.post(f"{API}/practices", json={"name": "Structured talk"}, headers=admin)
    assert made.status_code == 201, made.text
    practice_id = uuid.UUID(made.json()["id"])
    await school_plan(app, world, "Juniper Elementary", practice="Turn & talk", practice_id=practice_id)
    await school_plan(app, world, "Kapok Elementary", practice="turn-and-talk", practice_id=practice_id)
    await school_plan(app, world, "Larch Elementary", practice="Turn & talk")  # not tagged
    practices = {p["practice"]: p for p in (await portfolio(client, tokens)).json()["practices"]}
    tagged = practices["Structured talk"]
    assert tagged["practice_id"] == str(practice_id)
    assert [s["school_name"] for s in tagged["schools"]] == ["Juniper Elementary", "Kapok Elementary"]
    assert practices["Turn & talk"]["practice_id"] is None
    assert [s["school_name"] for s in practices["Turn & talk"]["schools"]] == ["Larch Elementary"]


async def test_only_district_leaders_see_it_and_only_their_districts(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    mine = await school_plan(app, world, "Ivy Elementary")
    theirs = await school_plan(app, world, "B's school", district="B")
    assert (await portfolio(client, tokens, Role.DISTRICT_ADMIN)).status_code == 200
    for role in (Role.SCHOOL_LEADER, Role.COACH, Role.TEACHER, Role.VIEWER, Role.COMMUNITY_MEMBER):
        response = await portfolio(client, tokens, role)
        assert response.status_code == 403, (role, response.text)
        assert response.json()["detail"] == "The district portfolio is for district leaders and admins."
    response = await client.get(f"{API}/portfolio", headers=await tokens.client_headers("A", "read"))
    assert response.status_code == 403
    assert (await client.get(f"{API}/portfolio")).status_code == 401
    a = [r["plan_id"] for r in (await portfolio(client, tokens)).json()["plans"]]
    assert str(mine) in a
    assert str(theirs) not in a
    response = await client.get(f"{API}/portfolio", headers=await tokens.headers("B", Role.DISTRICT_LEADER))
    assert [r["plan_id"] for r in response.json()["plans"]] == [str(theirs)]
    # Cycle: a filter, checked.
    assert (await portfolio(client, tokens, cycle="2026-27")).json()["plans"]
    assert (await portfolio(client, tokens, cycle="2030-31")).json()["plans"] == []
    response = await portfolio(client, tokens, cycle="next year")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


PORTFOLIO = """
query($cycle: String) {
  districtPortfolio(cycle: $cycle) {
    asOf
    plans {
      rank schoolName progress plan { title status }
      goals { onTrack atRisk offTrack noData }
      favourableSignals unfavourableSignals overdueActionSteps overdueCheckpoints
      voicesHeard voicesMissing revisionsThisTerm attention
      latestWalkthrough { classrooms suppressed developingOrAbove }
    }
    practices { practice shownSchools classrooms developingOrAbove schools { schoolName walkthrough { suppressed } } }
  }
}
"""


async def test_graphql_portfolio_takes_the_same_statements_for_1_3_and_10_schools(
    app: FastAPI, client: httpx.AsyncClient, gql: GraphQLClient, tokens: Tokens, world: World
) -> None:
    gql.headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    counts = []
    made = 0
    for schools in (1, 3, 10):
        while made < schools:
            await school_plan(
                app, world, f"School {made:02d}", trend="flat" if made % 2 else "up", overdue=made % 3
            )
            made += 1
        with count_statements(app) as counter:
            data = await gql(PORTFOLIO)
        assert len(data["districtPortfolio"]["plans"]) == schools
        counts.append(len(counter.statements))
        with count_statements(app) as counter:
            response = await portfolio(client, tokens)
        assert len(response.json()["plans"]) == schools
        counts.append(len(counter.statements))
    assert counts[0::2] == [counts[0]] * 3, counts
    assert counts[1::2] == [counts[1]] * 3, counts
    first = data["districtPortfolio"]["plans"][0]
    assert first["goals"]["offTrack"] == 1
    # A school leader's query is refused, with a code the client can read.
    gql.headers = await tokens.headers("A", Role.SCHOOL_LEADER)
    body = await gql.raw(PORTFOLIO)
    assert body["errors"][0]["extensions"]["code"] == "forbidden"
