"""Next year's plan over REST and GraphQL: a closed plan starts the next cycle's plan once; goals and
strategies not met carry forward linked to the ones they carry, goals met and complete strategies are
archived; a carried goal keeps its indicator, so the run chart spans the years; the new plan shows its
lineage, and a multi-year initiative holds the plans of each year.

The closed plan is built by the installation's operator through the services (their rules have their
own tests) and closed in the database; the next plan is started as district A's school leader.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.core.db import session_scope
from app.demo import operator_of
from app.identity.models import Role
from app.initiatives import service as initiatives
from app.initiatives.schemas import InitiativeCreate
from app.monitoring import measurements
from app.plans import service as plans
from app.plans.models import Plan, PlanStatus
from app.plans.schemas import ActionStepCreate, GoalCreate, PlanCreate, StrategyCreate
from tests.conftest import GraphQLClient, Tokens, World

API = "/api/v1"
TODAY = date.today()


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


async def closed_plan(app: FastAPI, world: World, *, close: bool = True) -> dict[str, uuid.UUID]:
    """A 2025-26 plan of district A's first school, carrying an initiative: a reading goal met (its
    latest value 42 is past the target 40) with one strategy, and an attendance goal not met (latest
    91, target 95) with a complete strategy and one not started. Closed unless `close` is false."""
    operator = operator_of(world.district_id("A"))
    school_id = world.school_ids("A")[0]
    ids: dict[str, uuid.UUID] = {}
    async with session_scope(app.state.session_factory, operator) as session:
        initiative = await initiatives.create_initiative(
            session,
            operator,
            InitiativeCreate(
                title="Every child reads", public_value="Every child reads.", school_id=school_id
            ),
        )
        plan = await plans.create_plan(
            session,
            operator,
            PlanCreate(
                cycle="2025-26",
                title="Alder: reading 2025-26",
                school_id=school_id,
                initiative_id=initiative.id,
            ),
        )
        ids.update(plan=plan.id, initiative=initiative.id)
        for name, target, values in (("reading", "40", [30, 35, 42]), ("attendance", "95", [90, 92, 91])):
            goal = await plans.add_goal(
                session,
                operator,
                plan.id,
                GoalCreate.model_validate(
                    {
                        "statement": f"Better {name}",
                        "indicator": {
                            "name": name,
                            "unit": "%",
                            "direction": "increase",
                            "target_value": target,
                            "target_date": day(-30).isoformat(),
                        },
                    }
                ),
            )
            ids[f"{name} goal"] = goal.goal.id
            ids[f"{name} indicator"] = goal.indicator.id
            await measurements.record_measurements(
                session,
                operator,
                [
                    {
                        "indicator_id": goal.indicator.id,
                        "value": str(v),
                        "measured_on": day(-300 + 60 * i).isoformat(),
                    }
                    for i, v in enumerate(values)
                ],
            )
        for name, goal, status in (
            ("phonics", "reading goal", "done"),
            ("greeting at the door", "attendance goal", "done"),
            ("family calls", "attendance goal", "not_started"),
        ):
            strategy = await plans.add_strategy(session, operator, ids[goal], StrategyCreate(title=name))
            ids[name] = strategy.id
            await plans.add_action_step(
                session,
                operator,
                strategy.id,
                ActionStepCreate.model_validate({"title": name, "status": status}),
            )
        if close:
            await session.execute(update(Plan).where(Plan.id == plan.id).values(status=PlanStatus.CLOSED))
    return ids


async def start(
    client: httpx.AsyncClient, headers: dict[str, str], plan_id: Any, **body: Any
) -> httpx.Response:
    return await client.post(f"{API}/plans/{plan_id}/next-plan", json=body or None, headers=headers)


async def test_a_closed_plan_starts_the_next_cycle_carrying_what_was_not_met(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    ids = await closed_plan(app, world)
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    response = await start(client, leader, ids["plan"])
    assert response.status_code == 201, response.text
    body = response.json()
    plan = body["plan"]
    assert plan["cycle"] == "2026-27"
    assert plan["title"] == "Alder: reading 2026-27"
    assert plan["status"] == "draft"
    assert plan["previous_plan_id"] == str(ids["plan"])
    assert plan["initiative_id"] == str(ids["initiative"])
    assert plan["school_id"] == str(world.school_ids("A")[0])
    carried = {(c["kind"], c["carried_from_id"]) for c in body["carried"]}
    assert carried == {("goal", str(ids["attendance goal"])), ("strategy", str(ids["family calls"]))}
    archived = {(a["kind"], a["id"]) for a in body["archived"]}
    assert archived == {
        ("goal", str(ids["reading goal"])),
        ("strategy", str(ids["phonics"])),
        ("strategy", str(ids["greeting at the door"])),
    }

    # The carried goal is measured by the same indicator: its series spans both years.
    (goal,) = (await client.get(f"{API}/plans/{plan['id']}/goals", headers=leader)).json()["items"]
    assert goal["carried_from_id"] == str(ids["attendance goal"])
    assert goal["indicator"]["id"] == str(ids["attendance indicator"])
    (strategy,) = (await client.get(f"{API}/goals/{goal['id']}/strategies", headers=leader)).json()["items"]
    assert strategy["carried_from_id"] == str(ids["family calls"])
    assert strategy["title"] == "family calls"
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    recorded = await client.post(
        f"{API}/indicators/{goal['indicator']['id']}/measurements",
        json={"value": "93", "measured_on": day(-1).isoformat()},
        headers=admin,
    )
    assert recorded.status_code == 201, recorded.text
    status = (await client.get(f"{API}/indicators/{goal['indicator']['id']}/status", headers=leader)).json()
    assert status["run_chart"]["points"] == 4  # three of last year's, one of this year's
    assert status["latest"]["value"] == "93.0000"

    # Its lineage, from either end; and the initiative holds both years' plans.
    for end in (ids["plan"], plan["id"]):
        lineage = (await client.get(f"{API}/plans/{end}/lineage", headers=leader)).json()
        assert [p["id"] for p in lineage["plans"]] == [str(ids["plan"]), plan["id"]]
        assert [p["cycle"] for p in lineage["plans"]] == ["2025-26", "2026-27"]
    listed = (
        await client.get(f"{API}/plans", params={"initiative_id": str(ids["initiative"])}, headers=leader)
    ).json()
    assert {p["id"] for p in listed["items"]} == {str(ids["plan"]), plan["id"]}

    # Removing the carried goal from the new draft leaves the indicator to last year's goal.
    assert (await client.delete(f"{API}/goals/{goal['id']}", headers=leader)).status_code == 204
    old = (await client.get(f"{API}/goals/{ids['attendance goal']}", headers=leader)).json()
    assert old["indicator"]["id"] == str(ids["attendance indicator"])


async def test_starting_twice_or_from_an_open_plan_is_refused(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    still_open = await closed_plan(app, world, close=False)
    response = await start(client, leader, still_open["plan"])
    assert response.status_code == 409
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["code"] == "plan_not_closed"
    assert "only a closed plan" in problem["detail"]

    ids = await closed_plan(app, world)
    first = await start(client, leader, ids["plan"], title="Alder: attendance first")
    assert first.status_code == 201
    assert first.json()["plan"]["title"] == "Alder: attendance first"
    again = await start(client, leader, ids["plan"])
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "next_plan_exists"
    assert again.json()["next_plan_id"] == first.json()["plan"]["id"]
    # Nothing half-written: still one next plan, whoever asks.
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    assert (await start(client, admin, ids["plan"])).status_code == 409
    lineage = (await client.get(f"{API}/plans/{ids['plan']}/lineage", headers=leader)).json()
    assert len(lineage["plans"]) == 2

    # A teacher may not start plans; another district does not see the plan; a bad body is a 422.
    teacher = await start(client, await tokens.headers("A", Role.TEACHER), ids["plan"])
    assert teacher.status_code in (403, 404)
    other = await start(client, await tokens.headers("B", Role.DISTRICT_ADMIN), ids["plan"])
    assert other.status_code == 404
    assert (await start(client, leader, uuid.uuid4())).status_code == 404
    assert (await start(client, leader, ids["plan"], colour="red")).status_code == 422


async def test_the_chain_grows_a_year_at_a_time(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    ids = await closed_plan(app, world)
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    second = (await start(client, leader, ids["plan"])).json()["plan"]["id"]
    async with session_scope(app.state.session_factory, operator_of(world.district_id("A"))) as session:
        await session.execute(
            update(Plan).where(Plan.id == uuid.UUID(second)).values(status=PlanStatus.CLOSED)
        )
    third = (await start(client, leader, second)).json()
    assert third["plan"]["cycle"] == "2027-28"
    # The attendance goal is carried again, from the second year's goal, on the same indicator.
    (goal,) = [c for c in third["carried"] if c["kind"] == "goal"]
    lineage = (await client.get(f"{API}/plans/{second}/lineage", headers=leader)).json()
    assert [p["cycle"] for p in lineage["plans"]] == ["2025-26", "2026-27", "2027-28"]
    (carried,) = (await client.get(f"{API}/plans/{third['plan']['id']}/goals", headers=leader)).json()[
        "items"
    ]
    assert carried["indicator"]["id"] == str(ids["attendance indicator"])
    assert carried["id"] == goal["id"]


START = """
mutation($input: StartNextPlanInput!) {
  startNextPlan(input: $input) {
    plan { cycle title previousPlanId }
    previousPlanId
    carried { kind id itemId carriedFromId title }
    archived { kind id itemId title }
    userErrors { kind code message }
  }
}
"""
LINEAGE = "query($id: ID!) { planLineage(planId: $id) { cycle status } }"


async def test_graphql_next_plan_and_lineage(
    app: FastAPI, gql: GraphQLClient, tokens: Tokens, world: World
) -> None:
    from strawberry import relay

    gql.headers = await tokens.headers("A", Role.SCHOOL_LEADER)
    still_open = await closed_plan(app, world, close=False)
    refused = (await gql(START, {"input": {"planId": str(relay.GlobalID("Plan", str(still_open["plan"])))}}))[
        "startNextPlan"
    ]
    assert refused["plan"] is None
    assert refused["userErrors"][0]["kind"] == "CONFLICT"
    assert refused["userErrors"][0]["code"] == "plan_not_closed"

    ids = await closed_plan(app, world)
    gid = str(relay.GlobalID("Plan", str(ids["plan"])))
    started = (await gql(START, {"input": {"planId": gid}}))["startNextPlan"]
    assert started["userErrors"] == []
    assert started["plan"]["cycle"] == "2026-27"
    assert started["plan"]["previousPlanId"] == gid
    assert {c["kind"] for c in started["carried"]} == {"goal", "strategy"}
    assert len(started["archived"]) == 3
    for item in started["carried"] + started["archived"]:  # the deprecated id says the same
        assert item["id"] == item["itemId"]
        assert relay.GlobalID.from_id(item["itemId"]).type_name == (
            "Goal" if item["kind"] == "goal" else "Strategy"
        )
    again = (await gql(START, {"input": {"planId": gid}}))["startNextPlan"]
    assert again["userErrors"][0]["code"] == "next_plan_exists"
    assert (await gql(LINEAGE, {"id": gid}))["planLineage"] == [
        {"cycle": "2025-26", "status": "CLOSED"},
        {"cycle": "2026-27", "status": "DRAFT"},
    ]
