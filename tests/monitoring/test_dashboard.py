"""The plan dashboard over REST and GraphQL: each goal's indicator with status and signals, overdue
action steps, checkpoints overdue and due, the latest walkthrough's levels (no teacher named, small
walkthroughs suppressed, only for the school's staff), open inputs, and a constant number of SQL
statements for the nested GraphQL query whatever the plan's size.

The plan is built by the installation's operator through the services (the plans, engagement and
walkthrough rules have their own tests); the dashboard is read as district A's users.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.db import session_scope
from app.demo import operator_of
from app.engagement import service as engagement
from app.engagement.schemas import ActivityCreate, InputCreate, InputUpdate, ParticipationCreate
from app.identity import service as identity
from app.identity.models import PersonKind, Role
from app.identity.schemas import PersonCreate, UserCreate
from app.initiatives.models import Indicator
from app.monitoring import measurements
from app.plans import service as plans
from app.plans.models import PlanStatus
from app.plans.schemas import (
    ActionStepCreate,
    CheckpointCreate,
    CheckpointUpdate,
    GoalCreate,
    PlanCreate,
    StrategyCreate,
)
from app.practice import service as practice
from app.practice.models import (
    FeedbackResult,
    ImplementationLevel,
    SupportNeeded,
    Walkthrough,
    WalkthroughObservation,
)
from tests.conftest import GraphQLClient, Tokens, World, count_statements
from tests.monitoring.helpers import API, gid

TODAY = date.today()


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


@dataclass
class Built:
    plan_id: uuid.UUID
    goal_ids: list[uuid.UUID] = field(default_factory=list)
    indicator_ids: list[uuid.UUID] = field(default_factory=list)
    step_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    checkpoint_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    teacher_ids: list[uuid.UUID] = field(default_factory=list)
    walkthrough_id: uuid.UUID | None = None
    input_ids: dict[str, uuid.UUID] = field(default_factory=dict)


async def build_plan(
    app: FastAPI,
    world: World,
    *,
    goals: int = 2,
    points: int = 12,
    steps: int = 1,
    classrooms: int = 4,
    school: int = 0,
    published: bool = False,
) -> Built:
    """A plan of district A's school with `goals` goals (the first measured `points` times on a rising
    path, the others not at all), `steps` overdue action steps plus a done and a future one, checkpoints
    (overdue, due, later, held), an older and a latest walkthrough, and a co-creation activity with
    open and answered inputs."""
    operator = operator_of(world.district_id("A"))
    school_id = world.school_ids("A")[school]
    async with session_scope(app.state.session_factory, operator) as session:
        plan = await plans.create_plan(
            session, operator, PlanCreate(cycle="2026-27", title="Every child reads", school_id=school_id)
        )
        built = Built(plan.id)
        for g in range(goals):
            indicator = {
                "name": f"Indicator {g}",
                "unit": "% of students",
                "direction": "increase",
                "baseline_value": "20",
                "baseline_date": day(-200).isoformat(),
                "target_value": "40",
                "target_date": day(100).isoformat(),
            }
            view = await plans.add_goal(
                session,
                operator,
                plan.id,
                GoalCreate.model_validate({"statement": f"Goal {g}", "indicator": indicator}),
            )
            built.goal_ids.append(view.goal.id)
            built.indicator_ids.append(view.indicator.id)
        rows = [
            # A steady climb from 20, ahead of the path (about 32 is expected two weeks ago): on track.
            {
                "indicator_id": built.indicator_ids[0],
                "value": str(20 + 1.5 * i),
                "measured_on": day(-14 * (points - i)).isoformat(),
            }
            for i in range(points)
        ]
        for g, indicator_id in enumerate(built.indicator_ids[1:], start=1):
            if points > 1 and goals > 2:  # the larger plan measures every goal
                rows += [
                    {
                        "indicator_id": indicator_id,
                        "value": str(20 + g + i),
                        "measured_on": day(-7 * (i + 1)).isoformat(),
                    }
                    for i in range(5)
                ]
        if rows:
            await measurements.record_measurements(session, operator, rows)

        strategy = await plans.add_strategy(
            session, operator, built.goal_ids[0], StrategyCreate(title="Turn and talk")
        )

        async def step(name: str, due: int | None, status: str = "not_started") -> None:
            made = await plans.add_action_step(
                session,
                operator,
                strategy.id,
                ActionStepCreate.model_validate(
                    {
                        "title": name,
                        "due_on": day(due).isoformat() if due is not None else None,
                        "status": status,
                    }
                ),
            )
            built.step_ids[name] = made.id

        for n in range(steps):
            await step(f"overdue {n}", -5 - n)
        await step("done late", -5, "done")
        await step("next month", 30)
        await step("undated", None)

        for name, when in (("overdue", -3), ("due", 5), ("later", 30), ("held", -10)):
            checkpoint = await plans.add_checkpoint(
                session, operator, plan.id, CheckpointCreate(scheduled_on=day(when))
            )
            built.checkpoint_ids[name] = checkpoint.id
        await plans.update_checkpoint(
            session, operator, built.checkpoint_ids["held"], CheckpointUpdate(held_on=day(-9))
        )

        for c in range(max(classrooms, 1)):
            # Teachers of the school (a login with the teacher role there): only they count in a summary.
            teacher = await identity.create_user(
                session,
                operator,
                UserCreate.model_validate(
                    {
                        "email": f"teacher.{uuid.uuid4().hex[:10]}@a.example.org",
                        "password": "a long enough test password",
                        "display_name": f"Teacher {c}",
                        "roles": [{"role": "teacher", "school_id": school_id}],
                    }
                ),
            )
            built.teacher_ids.append(teacher.person_id)
        older = Walkthrough(
            district_id=plan.district_id,
            school_id=school_id,
            practice="Turn and talk",
            observed_on=day(-40),
            plan_id=plan.id,
        )
        latest = Walkthrough(
            district_id=plan.district_id,
            school_id=school_id,
            practice="Turn and talk",
            observed_on=day(-7),
            plan_id=plan.id,
        )
        session.add_all([older, latest])
        await session.flush()
        built.walkthrough_id = latest.id
        levels = [
            ImplementationLevel.PROFICIENT,
            ImplementationLevel.DEVELOPING,
            ImplementationLevel.DEVELOPING,
        ]
        for c, teacher_id in enumerate(built.teacher_ids[:classrooms]):
            session.add(
                WalkthroughObservation(
                    district_id=plan.district_id,
                    walkthrough_id=latest.id,
                    teacher_person_id=teacher_id,
                    level=levels[c] if c < len(levels) else ImplementationLevel.BEGINNING,
                    support=SupportNeeded.COACHING,
                )
            )
            session.add(
                WalkthroughObservation(
                    district_id=plan.district_id,
                    walkthrough_id=older.id,
                    teacher_person_id=teacher_id,
                    level=ImplementationLevel.NOT_OBSERVED,
                )
            )

        await session.flush()
        # Levels are published when a walkthrough closes.
        for walked in (older, latest):
            await practice.close_walkthrough(session, operator, walked.id)

        activity = await engagement.create_activity(
            session,
            operator,
            ActivityCreate.model_validate(
                {
                    "mode": "co_creation",
                    "kind": "design_session",
                    "title": "Barriers to turn and talk",
                    "held_on": day(-20).isoformat(),
                    "participation_level": "involve",
                    "plan_id": plan.id,
                    "status": "held",
                }
            ),
        )
        parent = await identity.create_person(
            session, operator, PersonCreate(display_name="A parent", kind=PersonKind.FAMILY)
        )
        named = await engagement.add_participation(
            session, operator, activity.id, ParticipationCreate(person_id=parent.id, may_be_named=True)
        )
        unnamed = await engagement.add_participation(
            session, operator, activity.id, ParticipationCreate(person_id=built.teacher_ids[0])
        )
        for name, participation in (("open named", named), ("open unnamed", unnamed), ("adopted", named)):
            made = await engagement.add_input(
                session,
                operator,
                activity.id,
                InputCreate.model_validate(
                    {"participation_id": participation.id, "kind": "barrier", "text": name}
                ),
            )
            built.input_ids[name] = made.id
        await engagement.update_input(
            session,
            operator,
            built.input_ids["adopted"],
            InputUpdate.model_validate({"disposition": "adopted", "response": "We did."}),
        )
        if published:
            plan.status = PlanStatus.APPROVED
            plan.published = True
    return built


async def dashboard(client: httpx.AsyncClient, headers: dict[str, str], plan_id: uuid.UUID) -> httpx.Response:
    return await client.get(f"{API}/plans/{plan_id}/dashboard", headers=headers)


# --- REST -------------------------------------------------------------------------------------------


async def test_the_dashboard_in_one_call(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    built = await build_plan(app, world, steps=2)
    response = await dashboard(client, await tokens.headers("A", Role.SCHOOL_LEADER), built.plan_id)
    assert response.status_code == 200, response.text
    board = response.json()
    assert (board["plan_id"], board["status"], board["as_of"]) == (
        str(built.plan_id),
        "draft",
        TODAY.isoformat(),
    )

    measured, unmeasured = board["goals"]
    assert measured["goal_id"] == str(built.goal_ids[0])
    assert measured["indicator"]["id"] == str(built.indicator_ids[0])
    assert measured["status"]["status"] == "on_track"
    assert measured["status"]["basis"] == "trajectory"
    chart = measured["status"]["run_chart"]
    assert chart["points"] == 12
    trend = [s for s in chart["signals"] if s["rule"] == "trend"]
    assert [(s["side"], s["favourable"], len(s["points"])) for s in trend] == [("up", True, 12)]
    assert unmeasured["status"]["status"] == "no_data"

    assert [s["title"] for s in board["overdue_action_steps"]] == ["overdue 1", "overdue 0"]
    assert [c["id"] for c in board["overdue_checkpoints"]] == [str(built.checkpoint_ids["overdue"])]
    assert [c["id"] for c in board["due_checkpoints"]] == [str(built.checkpoint_ids["due"])]

    walkthrough = board["latest_walkthrough"]
    assert walkthrough["walkthrough_id"] == str(built.walkthrough_id)
    assert (walkthrough["classrooms"], walkthrough["suppressed"]) == (4, False)
    assert {s["level"]: (s["classrooms"], s["share"]) for s in walkthrough["levels"]} == {
        "not_observed": (0, 0.0),
        "beginning": (1, 0.25),
        "developing": (2, 0.5),
        "proficient": (1, 0.25),
    }
    # An aggregate: no teacher's identity anywhere on the dashboard.
    assert not any(str(teacher_id) in response.text for teacher_id in built.teacher_ids)

    inputs = board["open_inputs"]
    assert inputs["count"] == 2
    assert {i["text"] for i in inputs["items"]} == {"open named", "open unnamed"}


async def test_small_walkthroughs_show_no_levels(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    built = await build_plan(app, world, goals=1, classrooms=2)
    board = (await dashboard(client, await tokens.headers("A", Role.SCHOOL_LEADER), built.plan_id)).json()
    walkthrough = board["latest_walkthrough"]
    assert (walkthrough["classrooms"], walkthrough["suppressed"]) == (2, True)
    assert {(s["classrooms"], s["share"]) for s in walkthrough["levels"]} == {(None, None)}


async def test_who_sees_what_on_the_dashboard(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    draft = await build_plan(app, world, goals=1)
    published = await build_plan(app, world, goals=1, school=1, published=True)
    teacher = await tokens.headers("A", Role.TEACHER)  # of the first school
    community = await tokens.headers("A", Role.COMMUNITY_MEMBER)

    # A teacher of the school reads its plan, walkthrough levels included; unnamed contributors' inputs
    # are counted but not listed for someone who does not run the work.
    board = (await dashboard(client, teacher, draft.plan_id)).json()
    assert board["latest_walkthrough"]["classrooms"] == 4
    assert board["open_inputs"]["count"] == 2
    assert [i["text"] for i in board["open_inputs"]["items"]] == ["open named"]

    # Someone who reads only published plans: the draft is not there, the published plan is, without
    # walkthroughs (those are for the school's staff).
    assert (await dashboard(client, community, draft.plan_id)).status_code == 404
    board = (await dashboard(client, community, published.plan_id)).json()
    assert board["latest_walkthrough"] is None
    assert board["goals"][0]["status"]["status"] == "on_track"

    # Another district, and a client that reads no plans.
    assert (
        await dashboard(client, await tokens.headers("B", Role.DISTRICT_ADMIN), draft.plan_id)
    ).status_code == 404
    assert (
        await dashboard(client, await tokens.client_headers("A", "monitoring"), draft.plan_id)
    ).status_code == 403
    assert (await dashboard(client, teacher, uuid.uuid4())).status_code == 404


# --- GraphQL ----------------------------------------------------------------------------------------

DASHBOARD = """
query($id: ID!) { planDashboard(planId: $id) {
  asOf
  plan { title status }
  goals {
    goal { statement }
    indicator { name measurements(first: 50) { edges { node { value measuredOn } } } status { status } }
    status { status basis expected runChart { median rules { rule outcome } signals { rule side points { index measurementId } } } }
  }
  overdueActionSteps { title dueOn }
  overdueCheckpoints { scheduledOn }
  dueCheckpoints { scheduledOn }
  latestWalkthrough { classrooms suppressed levels { level classrooms share } }
  openInputs { count items { text } }
} }"""


@pytest.fixture
async def leader(gql: GraphQLClient, tokens: Tokens) -> GraphQLClient:
    gql.headers = await tokens.headers("A", Role.SCHOOL_LEADER)
    return gql


async def test_graphql_dashboard(app: FastAPI, leader: GraphQLClient, world: World) -> None:
    built = await build_plan(app, world)
    board = (await leader(DASHBOARD, {"id": gid("Plan", built.plan_id)}))["planDashboard"]
    assert board["plan"] == {"title": "Every child reads", "status": "DRAFT"}
    measured, unmeasured = board["goals"]
    assert measured["status"]["status"] == "ON_TRACK"
    assert measured["indicator"]["status"] == {"status": "ON_TRACK"}
    assert len(measured["indicator"]["measurements"]["edges"]) == 12
    assert unmeasured["status"]["status"] == "NO_DATA"
    assert [s["title"] for s in board["overdueActionSteps"]] == ["overdue 0"]
    assert [c["scheduledOn"] for c in board["dueCheckpoints"]] == [day(5).isoformat()]
    assert board["latestWalkthrough"]["classrooms"] == 4
    assert board["openInputs"]["count"] == 2
    missing = await leader(DASHBOARD, {"id": gid("Plan", uuid.uuid4())})
    assert missing["planDashboard"] is None


async def test_graphql_dashboard_issues_a_constant_number_of_statements(
    app: FastAPI, leader: GraphQLClient, world: World
) -> None:
    """The dashboard's own queries, one batch for the goals' indicators' measurements and one for their
    status: the same number of statements for one goal measured once as for four goals measured often,
    with more steps, checkpoints and classrooms."""

    async def statements(plan_id: uuid.UUID) -> tuple[int, dict[str, Any]]:
        with count_statements(app) as counter:
            data = await leader(DASHBOARD, {"id": gid("Plan", plan_id)})
        return counter.count, data["planDashboard"]

    small = await build_plan(app, world, goals=1, points=1, steps=1, classrooms=3)
    few, board = await statements(small.plan_id)
    assert len(board["goals"]) == 1
    assert len(board["goals"][0]["indicator"]["measurements"]["edges"]) == 1

    large = await build_plan(app, world, goals=4, points=14, steps=5, classrooms=9)
    many, board = await statements(large.plan_id)
    assert [len(g["indicator"]["measurements"]["edges"]) for g in board["goals"]] == [14, 5, 5, 5]
    assert len(board["overdueActionSteps"]) == 5
    assert board["latestWalkthrough"]["classrooms"] == 9
    assert many == few, f"{few} statements for the small plan, {many} for the large one"
    assert few <= 16, few
    assert Decimal(board["goals"][0]["status"]["expected"]) > 0


# --- the latest walkthrough that can be read, and goals measured by student feedback -----------------

FEEDBACK_BOARD = """
query($id: ID!) { planDashboard(planId: $id) {
  latestWalkthrough { walkthroughId suppressed }
  goals { indicator { feedbackMeasure } feedback { measure period suppressed favourableShare teachers } }
} }"""


async def open_walkthrough_and_feedback(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> Built:
    """A plan whose latest walkthrough is still open (a newer one than its last closed one), and whose
    goal is measured by student feedback on `belonging`, released for its school."""
    built = await build_plan(app, world, goals=1)
    operator = operator_of(world.district_id("A"))
    async with session_scope(app.state.session_factory, operator) as session:
        session.add(
            Walkthrough(
                district_id=world.district_id("A"),
                school_id=world.school_ids("A")[0],
                practice="Turn and talk",
                observed_on=day(-1),
                plan_id=built.plan_id,
            )
        )
        for teacher_id in built.teacher_ids:
            session.add(
                FeedbackResult(
                    district_id=world.district_id("A"),
                    school_id=world.school_ids("A")[0],
                    teacher_person_id=teacher_id,
                    measure="belonging",
                    favourable_share=Decimal("0.75"),
                    respondents=12,
                    period="2026-fall",
                )
            )
        indicator = await session.get(Indicator, built.indicator_ids[0])
        assert indicator is not None
        indicator.feedback_measure = "belonging"
    released = await client.post(
        f"{API}/releases",
        json={"subject": "feedback", "period": "2026-fall"},
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN),
    )
    assert released.status_code == 201, released.text
    return built


async def test_the_dashboard_shows_the_latest_readable_walkthrough_and_a_feedback_goals_aggregate(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    built = await open_walkthrough_and_feedback(app, client, tokens, world)
    board = (await dashboard(client, await tokens.headers("A", Role.SCHOOL_LEADER), built.plan_id)).json()
    # The newer walkthrough is open (no levels yet): the dashboard shows the last one that has them.
    assert board["latest_walkthrough"]["walkthrough_id"] == str(built.walkthrough_id)
    assert board["latest_walkthrough"]["suppressed"] is False
    [goal] = board["goals"]
    assert goal["indicator"]["feedback_measure"] == "belonging"
    assert [
        (c["measure"], c["period"], c["suppressed"], c["favourable_share"], c["teachers"])
        for c in goal["feedback"]
    ] == [("belonging", "2026-fall", False, 0.75, 4)]
    # A teacher reads no aggregates: the goal is there, its feedback empty.
    teacher = (await dashboard(client, await tokens.headers("A", Role.TEACHER), built.plan_id)).json()
    assert teacher["goals"][0]["feedback"] == []


async def test_graphql_dashboard_shows_the_latest_readable_walkthrough_and_a_feedback_goals_aggregate(
    app: FastAPI, client: httpx.AsyncClient, leader: GraphQLClient, tokens: Tokens, world: World
) -> None:
    built = await open_walkthrough_and_feedback(app, client, tokens, world)
    board = (await leader(FEEDBACK_BOARD, {"id": gid("Plan", built.plan_id)}))["planDashboard"]
    assert board["latestWalkthrough"] == {
        "walkthroughId": gid("Walkthrough", built.walkthrough_id),
        "suppressed": False,
    }
    assert board["goals"] == [
        {
            "indicator": {"feedbackMeasure": "belonging"},
            "feedback": [
                {
                    "measure": "belonging",
                    "period": "2026-fall",
                    "suppressed": False,
                    "favourableShare": 0.75,
                    "teachers": 4,
                }
            ],
        }
    ]
