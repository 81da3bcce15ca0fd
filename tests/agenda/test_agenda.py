"""My agenda over REST and GraphQL: what needs a signed-in person, ordered by urgency, each with its
kind and link, only what the person may read elsewhere, and one statement however long it is.

The plans, activities and walkthroughs are built by the installation's operator through the services
(their rules have their own tests); the agenda is read as district A's teacher and coach.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, select, update

from app.core.db import session_scope
from app.demo import operator_of
from app.engagement import service as engagement
from app.engagement.schemas import ActivityCreate, InputCreate, ParticipationCreate
from app.identity.models import Role, User
from app.plans import service as plans
from app.plans.models import CollaboratorRole, Plan, PlanCollaborator, PlanRevision, PlanStatus
from app.plans.schemas import (
    ActionStepCreate,
    CheckpointCreate,
    CollaboratorCreate,
    GoalCreate,
    PlanCreate,
    StrategyCreate,
)
from app.practice.models import (
    ImplementationLevel,
    PdsaCycle,
    SupportNeeded,
    Walkthrough,
    WalkthroughObservation,
)
from tests.conftest import GraphQLClient, Tokens, World, count_statements

API = "/api/v1"
TODAY = date.today()


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


@dataclass
class Built:
    plan_id: uuid.UUID
    ids: dict[str, uuid.UUID] = field(default_factory=dict)


async def person_of(app: FastAPI, world: World, role: Role, district: str = "A") -> uuid.UUID:
    user_id, _ = world.user(district, role)
    async with session_scope(app.state.session_factory, operator_of(world.district_id(district))) as session:
        person_id = await session.scalar(select(User.person_id).where(User.id == user_id))
    assert person_id is not None
    return person_id


async def build(
    app: FastAPI,
    world: World,
    *,
    school: int = 0,
    status: PlanStatus = PlanStatus.ACTIVE,
    steps: int = 1,
    lead: bool = True,
) -> Built:
    """A plan of district A (at `school`) the teacher leads (or co-writes), with `steps` overdue steps the
    teacher owns plus one due soon, one due later and one done; a review due in 3 days; a proposed
    revision; a PDSA cycle waiting for its study; an activity the teacher facilitates with an open input;
    and a walkthrough the coach observed that says a classroom needs coaching."""
    teacher = await person_of(app, world, Role.TEACHER)
    coach = await person_of(app, world, Role.COACH)
    operator = operator_of(world.district_id("A"))
    school_id = world.school_ids("A")[school]
    async with session_scope(app.state.session_factory, operator) as session:
        plan = await plans.create_plan(
            session, operator, PlanCreate(cycle="2026-27", title="Every child reads", school_id=school_id)
        )
        built = Built(plan.id)
        role = CollaboratorRole.LEAD if lead else CollaboratorRole.CO_AUTHOR
        await plans.add_collaborator(
            session, operator, plan.id, CollaboratorCreate(person_id=teacher, role=role)
        )
        goal = await plans.add_goal(
            session,
            operator,
            plan.id,
            GoalCreate.model_validate(
                {
                    "statement": "Reading",
                    "indicator": {"name": "Reading", "unit": "%", "direction": "increase"},
                }
            ),
        )
        strategy = await plans.add_strategy(
            session, operator, goal.goal.id, StrategyCreate(title="Turn and talk")
        )

        async def step(name: str, due: int, status: str = "not_started") -> None:
            made = await plans.add_action_step(
                session,
                operator,
                strategy.id,
                ActionStepCreate.model_validate(
                    {
                        "title": name,
                        "due_on": day(due).isoformat(),
                        "status": status,
                        "owner_person_id": teacher,
                    }
                ),
            )
            built.ids[name] = made.id

        for n in range(steps):
            await step(f"overdue {n}", -5 - n)
        await step("soon", 4)
        await step("later", 40)
        await step("done", -2, "done")
        checkpoint = await plans.add_checkpoint(
            session, operator, plan.id, CheckpointCreate(scheduled_on=day(3))
        )
        built.ids["checkpoint"] = checkpoint.id
        revision = PlanRevision(district_id=plan.district_id, plan_id=plan.id, reason="Add a family night")
        cycle = PdsaCycle(
            district_id=plan.district_id,
            plan_id=plan.id,
            strategy_id=strategy.id,
            question="Does turn and talk raise participation?",
            prediction="Yes",
            plan="Two classes for two weeks",
            started_on=day(-20),
            done="Ran it",
        )
        session.add_all([revision, cycle])
        activity = await engagement.create_activity(
            session,
            operator,
            ActivityCreate.model_validate(
                {
                    "mode": "co_production",
                    "kind": "co_led_plc",
                    "title": "Co-led PLC",
                    "held_on": day(-10).isoformat(),
                    "participation_level": "collaborate",
                    "school_id": school_id,
                    "status": "held",
                }
            ),
        )
        facilitator = await engagement.add_participation(
            session, operator, activity.id, ParticipationCreate(person_id=teacher, role="facilitator")
        )
        made = await engagement.add_input(
            session,
            operator,
            activity.id,
            InputCreate.model_validate(
                {"participation_id": facilitator.id, "kind": "question", "text": "Who covers?"}
            ),
        )
        built.ids["input"] = made.id
        walkthrough = Walkthrough(
            district_id=plan.district_id,
            school_id=school_id,
            practice="Turn and talk",
            observed_on=day(-6),
            plan_id=plan.id,
            observer_person_id=coach,
        )
        session.add(walkthrough)
        await session.flush()
        observation = WalkthroughObservation(
            district_id=plan.district_id,
            walkthrough_id=walkthrough.id,
            teacher_person_id=teacher,
            level=ImplementationLevel.BEGINNING,
            support=SupportNeeded.COACHING,
        )
        session.add(observation)
        await session.flush()
        built.ids.update(revision=revision.id, pdsa=cycle.id, observation=observation.id)
        await session.execute(update(Plan).where(Plan.id == plan.id).values(status=status))
    return built


async def agenda(client: httpx.AsyncClient, tokens: Tokens, role: Role, district: str = "A") -> dict:
    response = await client.get(f"{API}/me/agenda", headers=await tokens.headers(district, role))
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_teachers_agenda_lists_what_needs_them_most_urgent_first(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    built = await build(app, world, steps=2)
    body = await agenda(client, tokens, Role.TEACHER)
    assert body["as_of"] == TODAY.isoformat()
    ids = built.ids
    # By the day each fell due: the input (waiting since the activity, 10 days ago), the overdue steps
    # (6 and 5 days ago), the revision and the study (waiting since today; a decision before a study),
    # the review (in 3 days), the step due soon (in 4 days). Not the step due in 40 days, nor the done one.
    assert [(i["kind"], i["id"]) for i in body["items"]] == [
        ("input_to_answer", str(ids["input"])),
        ("action_step", str(ids["overdue 1"])),
        ("action_step", str(ids["overdue 0"])),
        ("revision_to_decide", str(ids["revision"])),
        ("pdsa_study", str(ids["pdsa"])),
        ("review_checkpoint", str(ids["checkpoint"])),
        ("action_step", str(ids["soon"])),
    ]
    assert body["total"] == 7
    due = [i["due_on"] for i in body["items"]]
    assert due == sorted(due)
    review = next(i for i in body["items"] if i["kind"] == "review_checkpoint")
    assert review["title"] == "Review of Every child reads"
    first = body["items"][0]
    assert first["link"] == f"{API}/inputs/{ids['input']}"
    steps = [i for i in body["items"] if i["kind"] == "action_step"]
    assert [s["overdue"] for s in steps] == [True, True, False]
    assert steps[0]["title"] == "overdue 1"
    assert steps[0]["plan_id"] == str(built.plan_id)
    # Every link is readable by the person it was given to.
    for item in body["items"]:
        response = await client.get(item["link"], headers=await tokens.headers("A", Role.TEACHER))
        assert response.status_code == 200, (item, response.text)


async def test_support_is_on_the_observers_agenda_without_naming_the_teacher(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    built = await build(app, world)
    body = await agenda(client, tokens, Role.COACH)
    (item,) = body["items"]
    assert item["kind"] == "walkthrough_support"
    assert item["title"] == "coaching support after a walkthrough of Turn and talk"
    assert item["link"] == f"{API}/observations/{built.ids['observation']}"
    assert item["due_on"] == day(-6).isoformat()


async def test_the_agenda_follows_the_same_rules_as_everything_else(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    # A plan of another school the teacher does not collaborate on: its steps owned by the teacher are
    # not readable by the teacher, so not on the agenda; a draft plan's steps are not due yet.
    other = await build(app, world, school=1)
    async with session_scope(app.state.session_factory, operator_of(world.district_id("A"))) as session:
        await session.execute(delete(PlanCollaborator).where(PlanCollaborator.plan_id == other.plan_id))
    await build(app, world, status=PlanStatus.DRAFT)
    body = await agenda(client, tokens, Role.TEACHER)
    plan_ids = {i["plan_id"] for i in body["items"] if i["plan_id"]}
    assert str(other.plan_id) not in plan_ids
    # Nor are the draft plan's steps, review, revision or study: they wait for the plan to be live. The
    # inputs of the activities the teacher facilitates are there (the activities are the teacher's own).
    assert {i["kind"] for i in body["items"]} == {"input_to_answer"}
    # Another district's teacher, an API client and the district's viewer have nothing on theirs.
    assert (await agenda(client, tokens, Role.TEACHER, "B"))["items"] == []
    assert (await agenda(client, tokens, Role.VIEWER))["items"] == []
    response = await client.get(f"{API}/me/agenda", headers=await tokens.client_headers("A", "read"))
    assert response.status_code == 200
    assert response.json()["items"] == []
    response = await client.get(f"{API}/me/agenda")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


AGENDA = """
query { me { agenda { asOf total items { kind databaseId title dueOn overdue planId link } } } }
"""


async def test_graphql_agenda_is_one_statement_whatever_its_length(
    app: FastAPI, client: httpx.AsyncClient, gql: GraphQLClient, tokens: Tokens, world: World
) -> None:
    gql.headers = await tokens.headers("A", Role.TEACHER)
    await build(app, world, steps=1)
    with count_statements(app) as counter:
        data = await gql(AGENDA)
    few = len(counter.statements)
    assert data["me"]["agenda"]["total"] == 6
    assert data["me"]["agenda"]["items"][0]["kind"] == "INPUT_TO_ANSWER"
    for _ in range(3):
        await build(app, world, steps=5)
    with count_statements(app) as counter:
        data = await gql(AGENDA)
    many = len(counter.statements)
    assert data["me"]["agenda"]["total"] == 6 + 3 * 10
    assert many == few, (few, many)
    with count_statements(app) as counter:
        await agenda(client, tokens, Role.TEACHER)
    agenda_statements = [s for s in counter.statements if "agenda" in s]
    assert len(agenda_statements) == 1
