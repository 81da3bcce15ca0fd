"""The GraphQL API for improvement plans, over HTTP with real tokens: writing a plan and its goal tree,
collaborators and evidence, the co-creation policy and approval, revisions and diffs, review
checkpoints; user errors that write nothing; who reads which plans; and a constant number of SQL
statements for a nested query.

Callers are the leader of district A's first school (A Elementary) unless a test says otherwise: a
school leader starts, edits and approves that school's plans.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.models import utcnow
from app.identity.models import Role
from app.plans.models import ActionStep, Goal, Plan, PlanRevision, Strategy
from tests.conftest import GraphQLClient, Tokens, World, count_statements
from tests.engagement.test_graphql import (
    ADD_INPUT,
    UPDATE_PARTICIPATION,
    add_participation,
    create_activity,
    nodes,
    person_of,
)
from tests.initiatives.test_graphql import codes_by_field, create_initiative, error_codes, gid

USER_ERRORS = "userErrors { field message code }"
PLAN_FIELDS = (
    "id databaseId cycle title summary status published approvedAt approvedByLabel version "
    "schoolId school { name } initiative { title }"
)
GOAL_FIELDS = (
    "id databaseId statement weight version "
    "indicator { name unit direction baselineValue baselineDate targetValue targetDate }"
)
STRATEGY_FIELDS = "id databaseId title description driver weight version goalId"
STEP_FIELDS = (
    "id databaseId title ownerPersonId owner { displayName } startsOn dueOn status blockedReason "
    "progress effectiveProgress weight pilotGroup scaleUpCriteria isPilot version"
)
REVISION_FIELDS = (
    "id databaseId number status reason changes causedBy { kind targetId } proposedByLabel "
    "decidedByLabel decidedAt decisionNote"
)
CHECKPOINT_FIELDS = (
    "id databaseId scheduledOn heldOn attendeePersonIds summary decisions overdue revisionId version"
)

CREATE_PLAN = f"""
mutation($input: CreatePlanInput!) {{ createPlan(input: $input) {{ plan {{ {PLAN_FIELDS} }} {USER_ERRORS} }} }}"""
UPDATE_PLAN = f"""
mutation($input: UpdatePlanInput!) {{ updatePlan(input: $input) {{ plan {{ {PLAN_FIELDS} }} {USER_ERRORS} }} }}"""
ADD_COLLABORATOR = f"""
mutation($input: AddCollaboratorInput!) {{
  addCollaborator(input: $input) {{ collaborator {{ id role personId person {{ displayName }} }} {USER_ERRORS} }}
}}"""
UPDATE_COLLABORATOR = f"""
mutation($input: UpdateCollaboratorInput!) {{
  updateCollaborator(input: $input) {{ collaborator {{ id role }} {USER_ERRORS} }}
}}"""
REMOVE_COLLABORATOR = f"""
mutation($id: ID!) {{ removeCollaborator(input: {{id: $id}}) {{ removedId {USER_ERRORS} }} }}"""
ADD_GOAL = f"""
mutation($input: AddGoalInput!) {{ addGoal(input: $input) {{ goal {{ {GOAL_FIELDS} }} {USER_ERRORS} }} }}"""
UPDATE_GOAL = f"""
mutation($input: UpdateGoalInput!) {{ updateGoal(input: $input) {{ goal {{ {GOAL_FIELDS} }} {USER_ERRORS} }} }}"""
REMOVE_GOAL = f"""
mutation($id: ID!) {{ removeGoal(input: {{id: $id}}) {{ removedId {USER_ERRORS} }} }}"""
ADD_STRATEGY = f"""
mutation($input: AddStrategyInput!) {{
  addStrategy(input: $input) {{ strategy {{ {STRATEGY_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_STRATEGY = f"""
mutation($input: UpdateStrategyInput!) {{
  updateStrategy(input: $input) {{ strategy {{ {STRATEGY_FIELDS} }} {USER_ERRORS} }}
}}"""
REMOVE_STRATEGY = f"""
mutation($id: ID!) {{ removeStrategy(input: {{id: $id}}) {{ removedId {USER_ERRORS} }} }}"""
ADD_STEP = f"""
mutation($input: AddActionStepInput!) {{
  addActionStep(input: $input) {{ actionStep {{ {STEP_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_STEP = f"""
mutation($input: UpdateActionStepInput!) {{
  updateActionStep(input: $input) {{ actionStep {{ {STEP_FIELDS} }} {USER_ERRORS} }}
}}"""
REMOVE_STEP = f"""
mutation($id: ID!) {{ removeActionStep(input: {{id: $id}}) {{ removedId {USER_ERRORS} }} }}"""
ADD_EVIDENCE = f"""
mutation($input: AddEvidenceInput!) {{
  addEvidence(input: $input) {{
    evidence {{ id kind title sourceUrl collectedOn exemplarSchoolId planId }} {USER_ERRORS}
  }}
}}"""
REMOVE_EVIDENCE = f"""
mutation($id: ID!) {{ removeEvidence(input: {{id: $id}}) {{ removedId {USER_ERRORS} }} }}"""
PROPOSE = f"""
mutation($input: ProposeRevisionInput!) {{
  proposeRevision(input: $input) {{ revision {{ {REVISION_FIELDS} }} {USER_ERRORS} }}
}}"""
ACCEPT = f"""
mutation($input: AcceptRevisionInput!) {{
  acceptRevision(input: $input) {{ revision {{ {REVISION_FIELDS} plan {{ title version }} }} {USER_ERRORS} }}
}}"""
REJECT = f"""
mutation($input: RejectRevisionInput!) {{
  rejectRevision(input: $input) {{ revision {{ {REVISION_FIELDS} }} {USER_ERRORS} }}
}}"""
ADD_CHECKPOINT = f"""
mutation($input: AddCheckpointInput!) {{
  addCheckpoint(input: $input) {{ checkpoint {{ {CHECKPOINT_FIELDS} }} {USER_ERRORS} }}
}}"""
SCHEDULE_CHECKPOINTS = f"""
mutation($input: ScheduleCheckpointsInput!) {{
  scheduleCheckpoints(input: $input) {{ checkpoints {{ {CHECKPOINT_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_CHECKPOINT = f"""
mutation($input: UpdateCheckpointInput!) {{
  updateCheckpoint(input: $input) {{ checkpoint {{ {CHECKPOINT_FIELDS} }} {USER_ERRORS} }}
}}"""
REMOVE_CHECKPOINT = f"""
mutation($id: ID!) {{ removeCheckpoint(input: {{id: $id}}) {{ removedId {USER_ERRORS} }} }}"""
PLAN = f"""
query($id: ID!) {{ plan(id: $id) {{ {PLAN_FIELDS}
  collaborators {{ role personId person {{ displayName }} }}
  goals {{ edges {{ node {{ {GOAL_FIELDS}
    strategies {{ edges {{ node {{ {STRATEGY_FIELDS} actionSteps {{ edges {{ node {{ {STEP_FIELDS} }} }} }} }} }} }}
  }} }} }}
  evidence {{ title kind }}
  revisions {{ edges {{ node {{ {REVISION_FIELDS} }} }} }}
  checkpoints {{ scheduledOn overdue }}
}} }}"""
PROGRESS = """
query($id: ID!) { plan(id: $id) { progress { planId progress goals { goalId statement weight progress
  strategies { strategyId title weight progress actionSteps { actionStepId title status weight progress } } } } } }"""
POLICY = """
query($id: ID!) { plan(id: $id) { version status policyCheck {
  planId met coCreationActivities requiredActivities voicesHeard voicesRequired missing } } }"""
DIFF = """
query($plan: ID!, $from: Int!, $to: Int!) { planRevisionDiff(planId: $plan, from: $from, to: $to) {
  planId fromNumber toNumber entries { entity entityId change before after } } }"""
NESTED = """
{ plans { edges { node { title
    collaborators { role person { displayName } }
    goals(first: 10) { edges { node { statement indicator { name targetValue }
        strategies(first: 10) { edges { node { title
            actionSteps(first: 10) { edges { node { title effectiveProgress } } } } } } } } }
    revisions(first: 10) { edges { node { number status causedBy { kind } } } }
} } } }"""

PAST = (utcnow().date() - timedelta(days=7)).isoformat()
FUTURE = (utcnow().date() + timedelta(days=14)).isoformat()
TARGET = (utcnow().date() + timedelta(days=300)).isoformat()
INDICATOR = {
    "name": "Grade 3 reading proficiency",
    "unit": "% of students",
    "direction": "INCREASE",
    "baselineValue": "42",
    "targetValue": "60",
    "targetDate": TARGET,
}


@pytest.fixture
async def leader(gql: GraphQLClient, tokens: Tokens) -> GraphQLClient:
    gql.headers = await tokens.headers("A", Role.SCHOOL_LEADER)
    return gql


async def as_role(gql: GraphQLClient, tokens: Tokens, role: Role, district: str = "A") -> GraphQLClient:
    """Another caller on the same HTTP client (the leader's client keeps its own headers)."""
    other = GraphQLClient(gql.http)
    other.headers = await tokens.headers(district, role)
    return other


def school(world: World, index: int = 0) -> str:
    return gid("School", world.school_ids("A")[index])


async def mutate(gql: GraphQLClient, query: str, field: str, input: dict[str, Any]) -> dict[str, Any]:
    return (await gql(query, {"input": input}))[field]


async def ok(gql: GraphQLClient, query: str, field: str, input: dict[str, Any], key: str) -> dict[str, Any]:
    payload = await mutate(gql, query, field, input)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload[key]


async def create_plan(
    gql: GraphQLClient, world: World, title: str = "Every child reads", **fields: Any
) -> dict:
    values = {"cycle": "2026-27", "title": title, "schoolId": school(world), **fields}
    return await ok(gql, CREATE_PLAN, "createPlan", values, "plan")


async def add_goal(gql: GraphQLClient, plan_id: str, statement: str = "Grade 3 reading rises") -> dict:
    values = {"planId": plan_id, "statement": statement, "indicator": INDICATOR}
    return await ok(gql, ADD_GOAL, "addGoal", values, "goal")


async def add_strategy(
    gql: GraphQLClient, goal_id: str, title: str = "Small-group phonics", **fields: Any
) -> dict:
    return await ok(
        gql, ADD_STRATEGY, "addStrategy", {"goalId": goal_id, "title": title, **fields}, "strategy"
    )


async def add_step(
    gql: GraphQLClient, strategy_id: str, title: str = "Train K-3 teachers", **fields: Any
) -> dict:
    values = {"strategyId": strategy_id, "title": title, **fields}
    return await ok(gql, ADD_STEP, "addActionStep", values, "actionStep")


async def update_plan(gql: GraphQLClient, plan_id: str, **fields: Any) -> dict:
    return await mutate(gql, UPDATE_PLAN, "updatePlan", {"id": plan_id, **fields})


async def read_plan(gql: GraphQLClient, plan_id: str) -> dict | None:
    return (await gql(PLAN, {"id": plan_id}))["plan"]


async def meet_policy(gql: GraphQLClient, teacher: str, **owner: str) -> dict:
    """A held co-creation activity for the plan (`planId=`) or its initiative (`initiativeId=`), which a
    teacher attended."""
    activity = await create_activity(gql, "Design night", status="HELD", **owner)
    await add_participation(gql, activity["id"], personId=teacher)
    return activity


async def approve(gql: GraphQLClient, tokens: Tokens, plan: dict, teacher: str | None = None) -> dict:
    """Review the plan (as `gql`, its lead) and approve it (as the district admin: separation of duties
    keeps a plan's lead from approving it), holding a co-creation activity for it first if `teacher`
    is given."""
    if teacher is not None:
        await meet_policy(gql, teacher, planId=plan["id"])
    in_review = await update_plan(gql, plan["id"], status="IN_REVIEW")
    assert in_review["userErrors"] == [], in_review["userErrors"]
    approver = await as_role(gql, tokens, Role.DISTRICT_ADMIN)
    approved = await update_plan(approver, plan["id"], status="APPROVED")
    assert approved["userErrors"] == [], approved["userErrors"]
    return approved["plan"]


async def count(session: AsyncSession, model: Any) -> int:
    return await session.scalar(select(func.count()).select_from(model)) or 0


# --- writing a plan, mutation by mutation --------------------------------------------------------------


async def test_a_leader_writes_a_plan_and_its_goal_tree_and_reads_it_back(
    leader: GraphQLClient, session: AsyncSession, world: World
) -> None:
    initiative = await create_initiative(leader, "Reading for all", schoolId=school(world))
    plan = await create_plan(leader, world, summary="Reading first.", initiativeId=initiative["id"])
    assert (plan["status"], plan["version"], plan["published"], plan["cycle"]) == (
        "DRAFT",
        1,
        False,
        "2026-27",
    )
    assert plan["school"] == {"name": "A Elementary"}
    assert plan["initiative"] == {"title": "Reading for all"}

    goal = await add_goal(leader, plan["id"])
    assert goal["indicator"] == {
        "name": "Grade 3 reading proficiency",
        "unit": "% of students",
        "direction": "INCREASE",
        "baselineValue": "42",
        "baselineDate": None,
        "targetValue": "60",
        "targetDate": TARGET,
    }
    assert (goal["weight"], goal["version"]) == ("1", 1)
    goal = await ok(
        leader,
        UPDATE_GOAL,
        "updateGoal",
        {"id": goal["id"], "expectedVersion": 1, "weight": "2", "indicator": {"targetValue": "65"}},
        "goal",
    )
    assert (goal["weight"], goal["indicator"]["targetValue"], goal["version"]) == ("2", "65", 2)

    strategy = await add_strategy(leader, goal["id"], driver="Teacher knowledge of phonics")
    strategy = await ok(
        leader,
        UPDATE_STRATEGY,
        "updateStrategy",
        {"id": strategy["id"], "expectedVersion": 1, "description": "Daily, 20 minutes."},
        "strategy",
    )
    assert (strategy["driver"], strategy["description"], strategy["version"]) == (
        "Teacher knowledge of phonics",
        "Daily, 20 minutes.",
        2,
    )
    assert strategy["goalId"] == goal["id"]

    teacher = await person_of(session, world, "A", Role.TEACHER)
    step = await add_step(
        leader,
        strategy["id"],
        ownerPersonId=teacher,
        startsOn=PAST,
        dueOn=FUTURE,
        pilotGroup="Two grade 2 classrooms",
        scaleUpCriteria="Both classrooms gain 10 points.",
    )
    assert (step["ownerPersonId"], step["owner"], step["isPilot"]) == (
        teacher,
        {"displayName": "Maria Chen"},
        True,
    )
    assert (step["status"], step["progress"], step["effectiveProgress"]) == ("NOT_STARTED", None, 0)
    second = await add_step(leader, strategy["id"], "Buy decodable readers", progress=30)
    blocked = await ok(
        leader,
        UPDATE_STEP,
        "updateActionStep",
        {
            "id": step["id"],
            "status": "BLOCKED",
            "blockedReason": "No substitute cover.",
            "expectedVersion": 1,
        },
        "actionStep",
    )
    assert (blocked["status"], blocked["blockedReason"], blocked["version"]) == (
        "BLOCKED",
        "No substitute cover.",
        2,
    )
    moving = await ok(
        leader, UPDATE_STEP, "updateActionStep", {"id": step["id"], "status": "IN_PROGRESS"}, "actionStep"
    )
    assert (moving["blockedReason"], moving["effectiveProgress"]) == (None, 50)

    read = await read_plan(leader, plan["id"])
    assert read is not None
    assert read["collaborators"] == [
        {
            "role": "LEAD",
            "personId": await person_of(session, world, "A", Role.SCHOOL_LEADER),
            "person": {"displayName": "Priya Raman"},
        }
    ]
    [read_goal] = nodes(read["goals"])
    [read_strategy] = nodes(read_goal["strategies"])
    assert [s["title"] for s in nodes(read_strategy["actionSteps"])] == [
        "Train K-3 teachers",
        "Buy decodable readers",
    ]
    assert (read["revisions"]["edges"], read["evidence"], read["checkpoints"]) == ([], [], [])

    progress = (await leader(PROGRESS, {"id": plan["id"]}))["plan"]["progress"]
    assert progress["progress"] == 40.0  # (50 + 30) / 2, one strategy, one goal
    [goal_progress] = progress["goals"]
    assert (goal_progress["goalId"], goal_progress["progress"]) == (goal["id"], 40.0)
    assert [(s["actionStepId"], s["progress"]) for s in goal_progress["strategies"][0]["actionSteps"]] == [
        (step["id"], 50),
        (second["id"], 30),
    ]

    document = (
        await leader(
            "query($id: ID!) { plan(id: $id) { md: document html: document(format: HTML) } }",
            {"id": plan["id"]},
        )
    )["plan"]
    assert document["md"].startswith("# Every child reads\n")
    assert "### Strategy: Small-group phonics (40%)" in document["md"]
    assert document["html"].startswith("<!doctype html>")
    assert "<h1>Every child reads</h1>" in document["html"]

    # Every part is a Relay node.
    for part in (plan, goal, strategy, step):
        found = await leader("query($id: ID!) { node(id: $id) { id __typename } }", {"id": part["id"]})
        assert found["node"]["id"] == part["id"]

    # Removing works bottom up, and a goal takes its tree with it.
    payload = (await leader(REMOVE_STEP, {"id": second["id"]}))["removeActionStep"]
    assert (payload["removedId"], payload["userErrors"]) == (second["id"], [])
    payload = (await leader(REMOVE_STRATEGY, {"id": strategy["id"]}))["removeStrategy"]
    assert payload["userErrors"] == []
    other = await add_strategy(leader, goal["id"], "Family reading nights")
    await add_step(leader, other["id"])
    payload = (await leader(REMOVE_GOAL, {"id": goal["id"]}))["removeGoal"]
    assert payload["userErrors"] == []
    assert (await count(session, Goal), await count(session, Strategy), await count(session, ActionStep)) == (
        0,
        0,
        0,
    )
    assert (await read_plan(leader, plan["id"]))["goals"]["edges"] == []  # type: ignore[index]


async def test_the_lead_invites_collaborators_and_only_writers_edit(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    plan = await create_plan(leader, world)
    teacher_person = await person_of(session, world, "A", Role.TEACHER)
    teacher = await as_role(leader, tokens, Role.TEACHER)

    # A teacher of the school reads the draft but does not edit it: not a collaborator.
    refused = await mutate(
        teacher, ADD_GOAL, "addGoal", {"planId": plan["id"], "statement": "x", "indicator": INDICATOR}
    )
    assert codes_by_field(refused["userErrors"]) == [(None, "forbidden")]
    assert refused["goal"] is None

    collaborator = await ok(
        leader,
        ADD_COLLABORATOR,
        "addCollaborator",
        {"planId": plan["id"], "personId": teacher_person, "role": "REVIEWER"},
        "collaborator",
    )
    assert (collaborator["role"], collaborator["personId"], collaborator["person"]) == (
        "REVIEWER",
        teacher_person,
        {"displayName": "Maria Chen"},
    )
    again = await mutate(
        leader,
        ADD_COLLABORATOR,
        "addCollaborator",
        {"planId": plan["id"], "personId": teacher_person, "role": "CO_AUTHOR"},
    )
    assert codes_by_field(again["userErrors"]) == [(["input", "personId"], "duplicate")]

    # A reviewer reads and comments; still no edits. A co-author writes.
    refused = await mutate(
        teacher, ADD_GOAL, "addGoal", {"planId": plan["id"], "statement": "x", "indicator": INDICATOR}
    )
    assert codes_by_field(refused["userErrors"]) == [(None, "forbidden")]
    updated = await ok(
        leader,
        UPDATE_COLLABORATOR,
        "updateCollaborator",
        {"id": collaborator["id"], "role": "CO_AUTHOR"},
        "collaborator",
    )
    assert updated["role"] == "CO_AUTHOR"
    goal = await add_goal(teacher, plan["id"], "Teachers' goal")
    assert goal["statement"] == "Teachers' goal"

    # A co-author does not manage the team: that is the lead's.
    refused = await mutate(
        teacher, UPDATE_COLLABORATOR, "updateCollaborator", {"id": collaborator["id"], "role": "LEAD"}
    )
    assert codes_by_field(refused["userErrors"]) == [(None, "forbidden")]

    removed = (await leader(REMOVE_COLLABORATOR, {"id": collaborator["id"]}))["removeCollaborator"]
    assert (removed["removedId"], removed["userErrors"]) == (collaborator["id"], [])
    assert [c["role"] for c in (await read_plan(leader, plan["id"]))["collaborators"]] == ["LEAD"]  # type: ignore[index]
    refused = await mutate(teacher, UPDATE_GOAL, "updateGoal", {"id": goal["id"], "statement": "Mine again"})
    assert codes_by_field(refused["userErrors"]) == [(None, "forbidden")]


async def test_evidence_is_collected_and_removed_and_bad_evidence_writes_nothing(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    plan = await create_plan(leader, world)
    exemplar = await ok(
        leader,
        ADD_EVIDENCE,
        "addEvidence",
        {
            "planId": plan["id"],
            "kind": "EXEMPLAR",
            "title": "Room 12's reading corner",
            "sourceUrl": "https://example.org/room-12",
            "collectedOn": PAST,
            "exemplarSchoolId": school(world, 1),
        },
        "evidence",
    )
    assert (exemplar["kind"], exemplar["exemplarSchoolId"], exemplar["planId"]) == (
        "EXEMPLAR",
        school(world, 1),
        plan["id"],
    )

    bad = await mutate(
        leader,
        ADD_EVIDENCE,
        "addEvidence",
        {"planId": plan["id"], "kind": "DATA", "title": "Scores", "sourceUrl": "ftp://x"},
    )
    assert codes_by_field(bad["userErrors"]) == [(["input", "sourceUrl"], "string_pattern_mismatch")]
    elsewhere = await mutate(
        leader,
        ADD_EVIDENCE,
        "addEvidence",
        {
            "planId": plan["id"],
            "kind": "EXEMPLAR",
            "title": "B",
            "exemplarSchoolId": gid("School", world.school_ids("B")[0]),
        },
    )
    assert codes_by_field(elsewhere["userErrors"]) == [(["input", "exemplarSchoolId"], "not_found")]
    assert [e["title"] for e in (await read_plan(leader, plan["id"]))["evidence"]] == [
        "Room 12's reading corner"
    ]  # type: ignore[index]
    # The connection beside the list (which stops at 200) pages through it and counts it.
    paged = (
        await leader(
            "query($id: ID!) { plan(id: $id) { evidenceConnection(first: 1) { totalCount edges { node { title } } } } }",
            {"id": plan["id"]},
        )
    )["plan"]["evidenceConnection"]
    assert paged == {"totalCount": 1, "edges": [{"node": {"title": "Room 12's reading corner"}}]}

    removed = (await leader(REMOVE_EVIDENCE, {"id": exemplar["id"]}))["removeEvidence"]
    assert (removed["removedId"], removed["userErrors"]) == (exemplar["id"], [])
    assert (await read_plan(leader, plan["id"]))["evidence"] == []  # type: ignore[index]


# --- the co-creation policy, approval and the life cycle ------------------------------------------------


async def test_review_needs_the_co_creation_record_and_approval_needs_the_schools_leader(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    plan = await create_plan(leader, world)
    check = (await leader(POLICY, {"id": plan["id"]}))["plan"]["policyCheck"]
    assert (check["met"], check["coCreationActivities"], check["requiredActivities"]) == (False, 0, 1)
    assert (check["voicesHeard"], check["voicesRequired"]) == ([], ["TEACHERS"])
    assert len(check["missing"]) == 2

    # Refused, listing what is missing, and nothing is written.
    refused = await update_plan(
        leader, plan["id"], status="IN_REVIEW", title="Renamed on the way", expectedVersion=1
    )
    assert refused["plan"] is None
    assert codes_by_field(refused["userErrors"]) == [(["input", "status"], "co_creation_policy")] * 2
    assert [e["message"] for e in refused["userErrors"]] == check["missing"]
    assert "teachers among the participants" in check["missing"][1]
    unchanged = await read_plan(leader, plan["id"])
    assert (unchanged["status"], unchanged["version"], unchanged["title"]) == (
        "DRAFT",
        1,
        "Every child reads",
    )  # type: ignore[index]

    # Illegal transitions are refused whoever asks.
    skipped = await update_plan(leader, plan["id"], status="ACTIVE")
    assert codes_by_field(skipped["userErrors"]) == [(["input", "status"], "illegal_transition")]

    # A design night with a teacher meets the policy.
    teacher = await person_of(session, world, "A", Role.TEACHER)
    await meet_policy(leader, teacher, planId=plan["id"])
    check = (await leader(POLICY, {"id": plan["id"]}))["plan"]["policyCheck"]
    assert (check["met"], check["coCreationActivities"], check["missing"]) == (True, 1, [])
    assert "TEACHERS" in check["voicesHeard"]
    in_review = await update_plan(leader, plan["id"], status="IN_REVIEW", expectedVersion=1)
    assert in_review["userErrors"] == []
    assert (in_review["plan"]["status"], in_review["plan"]["version"]) == ("IN_REVIEW", 2)

    # A district leader approves district plans, not a school's.
    district_leader = await as_role(leader, tokens, Role.DISTRICT_LEADER)
    refused = await update_plan(district_leader, plan["id"], status="APPROVED")
    assert codes_by_field(refused["userErrors"]) == [(None, "forbidden")]
    # Publishing waits for approval.
    early = await update_plan(leader, plan["id"], published=True)
    assert codes_by_field(early["userErrors"]) == [(["input", "published"], "not_approved")]

    # Separation of duties: the school leader leads this plan, so another approver approves it, after
    # a reviewer's sign-off; both sign-offs are shown with the plan.
    own = await update_plan(leader, plan["id"], status="APPROVED")
    assert codes_by_field(own["userErrors"]) == [(None, "forbidden")]
    assert "Separation of duties" in own["userErrors"][0]["message"]
    coach = await person_of(session, world, "A", Role.COACH)
    await ok(
        leader,
        ADD_COLLABORATOR,
        "addCollaborator",
        {"planId": plan["id"], "personId": coach, "role": "REVIEWER"},
        "collaborator",
    )
    reviewer = await as_role(leader, tokens, Role.COACH)
    signed = await ok(reviewer, SIGN_OFF, "signOffPlan", {"planId": plan["id"], "note": "Ready."}, "signOff")
    assert (signed["kind"], signed["note"]) == ("REVIEW", "Ready.")
    again = await mutate(reviewer, SIGN_OFF, "signOffPlan", {"planId": plan["id"]})
    assert [e["code"] for e in again["userErrors"]] == ["conflict"]
    approved = await update_plan(
        await as_role(leader, tokens, Role.DISTRICT_ADMIN), plan["id"], status="APPROVED"
    )
    assert approved["userErrors"] == []
    approved_plan = approved["plan"]
    sign_offs = (await leader(SIGN_OFFS, {"id": plan["id"]}))["plan"]["signOffs"]
    assert [(o["kind"], o["note"]) for o in sign_offs] == [("REVIEW", "Ready."), ("APPROVAL", None)]
    assert sign_offs[1]["signedByLabel"] == world.user("A", Role.DISTRICT_ADMIN)[1]
    assert (approved_plan["status"], approved_plan["version"]) == ("APPROVED", 3)
    assert approved_plan["approvedAt"] is not None
    assert approved_plan["approvedByLabel"]
    [base] = nodes((await read_plan(leader, plan["id"]))["revisions"])  # type: ignore[index]
    assert (base["number"], base["status"], base["reason"]) == (0, "ACCEPTED", "Approved.")

    published = await update_plan(leader, plan["id"], published=True)
    assert published["plan"]["published"] is True
    active = await update_plan(leader, plan["id"], status="ACTIVE")
    assert active["plan"]["status"] == "ACTIVE"
    closed = await update_plan(leader, plan["id"], status="CLOSED")
    assert closed["plan"]["status"] == "CLOSED"
    reopened = await update_plan(leader, plan["id"], status="ACTIVE")
    assert codes_by_field(reopened["userErrors"]) == [(["input", "status"], "illegal_transition")]
    assert "From closed: none." in reopened["userErrors"][0]["message"]


SIGN_OFF = f"""
mutation($input: SignOffPlanInput!) {{ signOffPlan(input: $input) {{ signOff {{ kind note }} {USER_ERRORS} }} }}"""
SIGN_OFFS = "query($id: ID!) { plan(id: $id) { signOffs { kind note signedByLabel } } }"
GATE = """
query($id: ID!) { plan(id: $id) { status submittedAt acceptedRisks { inputId reason acceptedByLabel }
  acceptedRisksConnection { totalCount edges { node { reason } } }
  policyCheck { met coCreationActivities judgedAt unansweredBarriers readyForApproval } } }"""
ACCEPT_RISK = f"""
mutation($input: AcceptPlanRiskInput!) {{
  acceptPlanRisk(input: $input) {{ acceptedRisk {{ inputId reason }} {USER_ERRORS} }}
}}"""


async def test_the_plan_gate_counts_only_attended_sessions_and_approval_waits_for_every_barrier(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    """Over GraphQL: a held session nobody attended does not open review, and an open barrier stops
    approval until it is carried as an accepted risk with a reason."""
    plan = await create_plan(leader, world)
    empty = await create_activity(leader, "Nobody came", status="HELD", planId=plan["id"])
    check = (await leader(GATE, {"id": plan["id"]}))["plan"]["policyCheck"]
    assert (check["met"], check["coCreationActivities"]) == (False, 0)
    refused = await update_plan(leader, plan["id"], status="IN_REVIEW")
    assert refused["plan"] is None
    assert codes_by_field(refused["userErrors"]) == [(["input", "status"], "co_creation_policy")] * 2

    teacher = await person_of(session, world, "A", Role.TEACHER)
    said = await add_participation(leader, empty["id"], personId=teacher)
    barrier = (
        await leader(
            ADD_INPUT,
            {
                "input": {
                    "activityId": empty["id"],
                    "participationId": said["id"],
                    "kind": "BARRIER",
                    "text": "Intervention clashes with science.",
                }
            },
        )
    )["addInput"]["input"]
    in_review = await update_plan(leader, plan["id"], status="IN_REVIEW")
    assert in_review["userErrors"] == []
    gate = (await leader(GATE, {"id": plan["id"]}))["plan"]
    assert gate["policyCheck"]["judgedAt"] == gate["submittedAt"]
    assert gate["policyCheck"]["unansweredBarriers"] == [barrier["id"]]
    assert gate["policyCheck"]["readyForApproval"] is False

    approver = await as_role(leader, tokens, Role.DISTRICT_ADMIN)
    refused = await update_plan(approver, plan["id"], status="APPROVED")
    assert codes_by_field(refused["userErrors"]) == [(["input", "status"], "unanswered_barrier")]

    no_reason = await mutate(
        leader, ACCEPT_RISK, "acceptPlanRisk", {"planId": plan["id"], "inputId": barrier["id"], "reason": " "}
    )
    assert [e["field"] for e in no_reason["userErrors"]] == [["input", "reason"]]
    reason = "Science moves to the afternoon in January; until then we accept the clash."
    risk = await ok(
        leader,
        ACCEPT_RISK,
        "acceptPlanRisk",
        {"planId": plan["id"], "inputId": barrier["id"], "reason": reason},
        "acceptedRisk",
    )
    assert risk == {"inputId": barrier["id"], "reason": reason}
    gate = (await leader(GATE, {"id": plan["id"]}))["plan"]
    assert gate["acceptedRisks"][0]["reason"] == reason
    assert gate["acceptedRisksConnection"] == {"totalCount": 1, "edges": [{"node": {"reason": reason}}]}
    assert (gate["policyCheck"]["unansweredBarriers"], gate["policyCheck"]["readyForApproval"]) == ([], True)
    approved = await update_plan(approver, plan["id"], status="APPROVED")
    assert approved["userErrors"] == []
    # The plan's document carries its co-creation record: the session, the barrier and the risk carried.
    document = (
        await leader(
            "query($id: ID!) { plan(id: $id) { md: document html: document(format: HTML) } }",
            {"id": plan["id"]},
        )
    )["plan"]
    assert "**meets** the district's policy: 1 of 1 required session(s) held and attended" in document["md"]
    assert (
        "- Intervention clashes with science. — *carried as an accepted risk: " + reason + "*"
        in document["md"]
    )
    assert "<li>Intervention clashes with science. — <em>carried as an accepted risk: " in document["html"]
    assert "Nobody came (design session, involve), 1 attended" in document["md"]


async def test_an_approved_plan_changes_only_by_revision_but_its_steps_report_progress(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    plan = await create_plan(leader, world)
    goal = await add_goal(leader, plan["id"])
    strategy = await add_strategy(leader, goal["id"])
    teacher_person = await person_of(session, world, "A", Role.TEACHER)
    step = await add_step(leader, strategy["id"], ownerPersonId=teacher_person)
    approved = await approve(leader, tokens, plan, teacher_person)

    attempts = [
        (UPDATE_PLAN, "updatePlan", {"id": plan["id"], "title": "Something else"}),
        (ADD_GOAL, "addGoal", {"planId": plan["id"], "statement": "More", "indicator": INDICATOR}),
        (UPDATE_GOAL, "updateGoal", {"id": goal["id"], "statement": "Changed"}),
        (ADD_STRATEGY, "addStrategy", {"goalId": goal["id"], "title": "More"}),
        (UPDATE_STRATEGY, "updateStrategy", {"id": strategy["id"], "title": "Changed"}),
        (ADD_STEP, "addActionStep", {"strategyId": strategy["id"], "title": "More"}),
        (UPDATE_STEP, "updateActionStep", {"id": step["id"], "title": "Changed"}),
    ]
    for query, field, values in attempts:
        payload = await mutate(leader, query, field, values)
        assert codes_by_field(payload["userErrors"]) == [(None, "conflict")], field
        assert "propose a revision" in payload["userErrors"][0]["message"]
    for query, field in (
        (REMOVE_GOAL, "removeGoal"),
        (REMOVE_STRATEGY, "removeStrategy"),
        (REMOVE_STEP, "removeActionStep"),
    ):
        target = {"removeGoal": goal, "removeStrategy": strategy, "removeActionStep": step}[field]
        payload = (await leader(query, {"id": target["id"]}))[field]
        assert (payload["removedId"], codes_by_field(payload["userErrors"])) == (None, [(None, "conflict")])
    read = await read_plan(leader, plan["id"])
    assert (read["title"], read["version"]) == ("Every child reads", approved["version"])  # type: ignore[index]
    assert (await count(session, Goal), await count(session, Strategy), await count(session, ActionStep)) == (
        1,
        1,
        1,
    )

    # Carrying out the plan is not changing it: the step's owner reports progress.
    teacher = await as_role(leader, tokens, Role.TEACHER)
    done = await ok(
        teacher,
        UPDATE_STEP,
        "updateActionStep",
        {"id": step["id"], "status": "DONE", "expectedVersion": 1},
        "actionStep",
    )
    assert (done["status"], done["effectiveProgress"], done["version"]) == ("DONE", 100, 2)
    stale = await mutate(
        teacher, UPDATE_STEP, "updateActionStep", {"id": step["id"], "progress": 10, "expectedVersion": 1}
    )
    assert codes_by_field(stale["userErrors"]) == [(None, "stale_version")]
    progress = (await leader(PROGRESS, {"id": plan["id"]}))["plan"]["progress"]
    assert progress["progress"] == 100.0


async def test_a_stale_expected_version_is_refused_and_writes_nothing(
    leader: GraphQLClient, tokens: Tokens, world: World
) -> None:
    plan = await create_plan(leader, world)
    first = await update_plan(leader, plan["id"], title="Every child reads, every day", expectedVersion=1)
    assert first["plan"]["version"] == 2
    district_leader = await as_role(leader, tokens, Role.DISTRICT_LEADER)
    second = await update_plan(
        district_leader, plan["id"], summary="A co-author's summary.", expectedVersion=1
    )
    assert second["plan"] is None
    assert codes_by_field(second["userErrors"]) == [(None, "stale_version")]
    assert "version 2, not 1" in second["userErrors"][0]["message"]
    read = await read_plan(leader, plan["id"])
    assert (read["summary"], read["version"]) == (None, 2)  # type: ignore[index]

    goal = await add_goal(leader, plan["id"])
    await ok(
        leader,
        UPDATE_GOAL,
        "updateGoal",
        {"id": goal["id"], "statement": "Sharper", "expectedVersion": 1},
        "goal",
    )
    stale = await mutate(
        leader,
        UPDATE_GOAL,
        "updateGoal",
        {"id": goal["id"], "indicator": {"targetValue": "99"}, "expectedVersion": 1},
    )
    assert codes_by_field(stale["userErrors"]) == [(None, "stale_version")]
    [read_goal] = nodes((await read_plan(leader, plan["id"]))["goals"])  # type: ignore[index]
    assert (Decimal(read_goal["indicator"]["targetValue"]), read_goal["version"]) == (60, 2)


# --- revisions ----------------------------------------------------------------------------------------


async def test_a_co_author_proposes_a_revision_the_lead_accepts_and_any_two_revisions_diff(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    plan = await create_plan(leader, world)
    teacher_person = await person_of(session, world, "A", Role.TEACHER)
    await ok(
        leader,
        ADD_COLLABORATOR,
        "addCollaborator",
        {"planId": plan["id"], "personId": teacher_person, "role": "CO_AUTHOR"},
        "collaborator",
    )
    goal = await add_goal(leader, plan["id"])
    strategy = await add_strategy(leader, goal["id"])
    kept = await add_step(leader, strategy["id"], "Train K-3 teachers", ownerPersonId=teacher_person)
    dropped = await add_step(leader, strategy["id"], "Buy decodable readers")

    # Before approval there is nothing to revise: the plan is edited directly.
    early = await mutate(
        leader,
        PROPOSE,
        "proposeRevision",
        {
            "planId": plan["id"],
            "reason": "Too early.",
            "changes": [{"op": "UPDATE", "entity": "PLAN", "fields": {"title": "x"}}],
        },
    )
    assert codes_by_field(early["userErrors"]) == [(None, "conflict")]
    approved = await approve(leader, tokens, plan, teacher_person)

    review = await ok(
        leader, ADD_CHECKPOINT, "addCheckpoint", {"planId": plan["id"], "scheduledOn": PAST}, "checkpoint"
    )
    await ok(
        leader,
        UPDATE_CHECKPOINT,
        "updateCheckpoint",
        {"id": review["id"], "heldOn": PAST, "summary": "Readers sit unused."},
        "checkpoint",
    )
    teacher = await as_role(leader, tokens, Role.TEACHER)
    reason = "The six-week review found the readers unused; drop them, coach instead."

    # Bad proposals are refused, pointing at the change at fault, and nothing is written.
    bad = [
        (
            [{"op": "UPDATE", "entity": "GOAL", "id": strategy["id"], "fields": {"statement": "x"}}],
            [],
            (["input", "changes", "0", "id"], "not_found"),
        ),
        (
            [{"op": "UPDATE", "entity": "STRATEGY", "id": strategy["id"], "fields": {"weight": -1}}],
            [],
            (["input", "changes", "0", "fields", "weight"], "greater_than"),
        ),
        (
            [{"op": "UPDATE", "entity": "PLAN", "fields": {"status": "closed"}}],
            [],
            (["input", "changes", "0", "fields"], "not_revisable"),
        ),
        (
            [{"op": "UPDATE", "entity": "GOAL", "fields": {"statement": "x"}}],
            [],
            (["input", "changes", "0"], "value_error"),
        ),
        (
            [{"op": "ADD", "entity": "ACTION_STEP", "parentId": goal["id"], "fields": {"title": "x"}}],
            [],
            (["input", "changes", "0", "parentId"], "not_found"),
        ),
        (
            [{"op": "UPDATE", "entity": "PLAN", "fields": {"title": "x"}}],
            [{"kind": "CHECKPOINT", "id": gid("ReviewCheckpoint", plan["databaseId"])}],
            (["input", "causedBy", "0", "id"], "not_found"),
        ),
    ]
    for changes, causes, expected in bad:
        payload = await mutate(
            teacher,
            PROPOSE,
            "proposeRevision",
            {"planId": plan["id"], "reason": reason, "changes": changes, "causedBy": causes},
        )
        assert payload["revision"] is None
        assert codes_by_field(payload["userErrors"]) == [expected], changes
    assert await count(session, PlanRevision) == 1  # revision 0, the plan as approved

    proposed = await ok(
        teacher,
        PROPOSE,
        "proposeRevision",
        {
            "planId": plan["id"],
            "reason": reason,
            "changes": [
                {"op": "UPDATE", "entity": "PLAN", "fields": {"title": "Every child reads, with coaching"}},
                {
                    "op": "UPDATE",
                    "entity": "GOAL",
                    "id": goal["id"],
                    "fields": {"indicator": {"target_value": "55"}},
                },
                {
                    "op": "ADD",
                    "entity": "STRATEGY",
                    "parentId": goal["id"],
                    "fields": {"title": "Coaching cycles"},
                },
                {
                    "op": "UPDATE",
                    "entity": "ACTION_STEP",
                    "id": kept["id"],
                    "fields": {"owner_person_id": None},
                },
                {"op": "REMOVE", "entity": "ACTION_STEP", "id": dropped["id"]},
            ],
            "causedBy": [{"kind": "CHECKPOINT", "id": review["id"]}],
        },
        "revision",
    )
    assert (proposed["status"], proposed["number"], proposed["reason"]) == ("PROPOSED", None, reason)
    assert proposed["causedBy"] == [{"kind": "CHECKPOINT", "targetId": review["id"]}]
    assert proposed["proposedByLabel"]
    assert proposed["decidedByLabel"] is None
    assert proposed["changes"][1] == {
        "op": "update",
        "entity": "goal",
        "id": goal["databaseId"],
        "fields": {"indicator": {"target_value": "55"}},
    }
    assert proposed["changes"][3]["fields"] == {"owner_person_id": None}

    # A co-author proposes; the lead decides, on the plan's current version.
    refused = await mutate(teacher, ACCEPT, "acceptRevision", {"id": proposed["id"]})
    assert codes_by_field(refused["userErrors"]) == [(None, "forbidden")]
    stale = await mutate(
        leader, ACCEPT, "acceptRevision", {"id": proposed["id"], "expectedVersion": approved["version"] - 1}
    )
    assert codes_by_field(stale["userErrors"]) == [(None, "stale_version")]
    accepted = await ok(
        leader,
        ACCEPT,
        "acceptRevision",
        {"id": proposed["id"], "expectedVersion": approved["version"], "note": "Agreed at the review."},
        "revision",
    )
    assert (accepted["status"], accepted["number"], accepted["decisionNote"]) == (
        "ACCEPTED",
        1,
        "Agreed at the review.",
    )
    assert accepted["decidedByLabel"]
    assert accepted["decidedAt"]
    assert accepted["plan"] == {
        "title": "Every child reads, with coaching",
        "version": approved["version"] + 1,
    }

    read = await read_plan(leader, plan["id"])
    [read_goal] = nodes(read["goals"])  # type: ignore[index]
    assert Decimal(read_goal["indicator"]["targetValue"]) == 55
    strategies = nodes(read_goal["strategies"])
    assert [s["title"] for s in strategies] == ["Small-group phonics", "Coaching cycles"]
    [step] = nodes(strategies[0]["actionSteps"])
    assert (step["title"], step["ownerPersonId"]) == ("Train K-3 teachers", None)
    assert [(r["number"], r["status"]) for r in nodes(read["revisions"])] == [
        (0, "ACCEPTED"),
        (1, "ACCEPTED"),
    ]  # type: ignore[index]

    diff = (await leader(DIFF, {"plan": plan["id"], "from": 0, "to": 1}))["planRevisionDiff"]
    assert (diff["planId"], diff["fromNumber"], diff["toNumber"]) == (plan["id"], 0, 1)
    entries = {(e["entity"], e["entityId"]): e for e in diff["entries"]}
    assert entries[("PLAN", plan["id"])]["before"] == {"title": "Every child reads"}
    assert entries[("PLAN", plan["id"])]["after"] == {"title": "Every child reads, with coaching"}
    assert entries[("GOAL", goal["id"])]["after"] == {"indicator.target_value": "55"}
    assert entries[("ACTION_STEP", kept["id"])]["after"] == {"owner_person_id": None}
    assert (
        entries[("ACTION_STEP", dropped["id"])]["change"],
        entries[("ACTION_STEP", dropped["id"])]["after"],
    ) == ("REMOVED", None)
    [added] = [e for e in diff["entries"] if e["change"] == "ADDED"]
    assert (added["entity"], added["after"]["title"], added["before"]) == (
        "STRATEGY",
        "Coaching cycles",
        None,
    )

    missing = await leader.raw(DIFF, {"plan": plan["id"], "from": 0, "to": 7})
    assert error_codes(missing) == ["not_found"]
    assert (await leader(DIFF, {"plan": gid("Plan", goal["databaseId"]), "from": 0, "to": 1}))[
        "planRevisionDiff"
    ] is None

    # Two proposals touch the same step: once one removes it, the other applies nothing at all.
    renames = await ok(
        teacher,
        PROPOSE,
        "proposeRevision",
        {
            "planId": plan["id"],
            "reason": "Clearer names.",
            "changes": [
                {"op": "UPDATE", "entity": "PLAN", "fields": {"title": "Renamed"}},
                {
                    "op": "UPDATE",
                    "entity": "ACTION_STEP",
                    "id": kept["id"],
                    "fields": {"title": "Renamed step"},
                },
            ],
        },
        "revision",
    )
    removes = await ok(
        teacher,
        PROPOSE,
        "proposeRevision",
        {
            "planId": plan["id"],
            "reason": "Training is done elsewhere.",
            "changes": [{"op": "REMOVE", "entity": "ACTION_STEP", "id": kept["id"]}],
        },
        "revision",
    )
    await ok(leader, ACCEPT, "acceptRevision", {"id": removes["id"]}, "revision")
    late = await mutate(leader, ACCEPT, "acceptRevision", {"id": renames["id"]})
    assert codes_by_field(late["userErrors"]) == [(None, "conflict")]
    assert "nothing was changed" in late["userErrors"][0]["message"]
    read = await read_plan(leader, plan["id"])
    assert read["title"] == "Every child reads, with coaching"  # type: ignore[index]

    # Rejecting takes a reason, which the proposer reads.
    blank = await mutate(leader, REJECT, "rejectRevision", {"id": renames["id"], "note": "  "})
    assert codes_by_field(blank["userErrors"]) == [(["input", "note"], "string_too_short")]
    rejected = await ok(
        leader, REJECT, "rejectRevision", {"id": renames["id"], "note": "The step is gone."}, "revision"
    )
    assert (rejected["status"], rejected["number"], rejected["decisionNote"]) == (
        "REJECTED",
        None,
        "The step is gone.",
    )
    again = await mutate(leader, ACCEPT, "acceptRevision", {"id": renames["id"]})
    assert codes_by_field(again["userErrors"]) == [(None, "conflict")]

    found = await leader(
        "query($id: ID!) { node(id: $id) { ... on PlanRevision { number status } } }", {"id": rejected["id"]}
    )
    assert found["node"] == {"number": None, "status": "REJECTED"}
    statuses = [(r["number"], r["status"]) for r in nodes((await read_plan(leader, plan["id"]))["revisions"])]  # type: ignore[index]
    assert statuses == [(0, "ACCEPTED"), (1, "ACCEPTED"), (None, "REJECTED"), (2, "ACCEPTED")]
    # Parity with `GET /plans/{id}/revisions?status=`: the same narrowing, nested.
    narrowed = await leader(
        "query($id: ID!) { plan(id: $id) { revisions(status: REJECTED) { edges { node { id } } } } }",
        {"id": plan["id"]},
    )
    assert [e["node"]["id"] for e in narrowed["plan"]["revisions"]["edges"]] == [rejected["id"]]


# --- review checkpoints -------------------------------------------------------------------------------


async def test_reviews_are_scheduled_recorded_and_overdue_ones_show(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    plan = await create_plan(leader, world)
    late = await ok(
        leader, ADD_CHECKPOINT, "addCheckpoint", {"planId": plan["id"], "scheduledOn": PAST}, "checkpoint"
    )
    assert (late["overdue"], late["heldOn"], late["attendeePersonIds"], late["version"]) == (
        True,
        None,
        [],
        1,
    )

    start = utcnow().date() + timedelta(days=7)
    series = await ok(
        leader,
        SCHEDULE_CHECKPOINTS,
        "scheduleCheckpoints",
        {
            "planId": plan["id"],
            "firstOn": start.isoformat(),
            "until": (start + timedelta(weeks=12)).isoformat(),
        },
        "checkpoints",
    )
    assert [c["scheduledOn"] for c in series] == [
        (start + timedelta(weeks=w)).isoformat() for w in (0, 6, 12)
    ]
    backwards = await mutate(
        leader,
        SCHEDULE_CHECKPOINTS,
        "scheduleCheckpoints",
        {"planId": plan["id"], "firstOn": start.isoformat(), "until": PAST, "everyWeeks": 2},
    )
    assert [e["code"] for e in backwards["userErrors"]] == ["value_error"]

    overdue = (await leader("{ overdueCheckpoints { edges { node { id planId } } } }"))["overdueCheckpoints"]
    assert nodes(overdue) == [{"id": late["id"], "planId": plan["id"]}]
    query = "query($id: ID!, $o: Boolean) { plan(id: $id) { checkpoints(overdue: $o) { id } } }"
    assert [c["id"] for c in (await leader(query, {"id": plan["id"], "o": True}))["plan"]["checkpoints"]] == [
        late["id"]
    ]
    assert len((await leader(query, {"id": plan["id"], "o": False}))["plan"]["checkpoints"]) == 3

    teacher = await person_of(session, world, "A", Role.TEACHER)
    outsider = await person_of(session, world, "B", Role.TEACHER)
    for attendees, expected in (
        ([teacher, outsider], (["input", "attendeePersonIds", "1"], "not_found")),
        ([school(world)], (["input", "attendeePersonIds", "0"], "not_found")),
    ):
        payload = await mutate(
            leader, UPDATE_CHECKPOINT, "updateCheckpoint", {"id": late["id"], "attendeePersonIds": attendees}
        )
        assert codes_by_field(payload["userErrors"]) == [expected]
    future = await mutate(leader, UPDATE_CHECKPOINT, "updateCheckpoint", {"id": late["id"], "heldOn": FUTURE})
    assert codes_by_field(future["userErrors"]) == [(["input", "heldOn"], "held_in_future")]

    await approve(leader, tokens, plan, teacher)
    [base] = nodes((await read_plan(leader, plan["id"]))["revisions"])  # type: ignore[index]
    held = await ok(
        leader,
        UPDATE_CHECKPOINT,
        "updateCheckpoint",
        {
            "id": late["id"],
            "expectedVersion": 1,
            "heldOn": PAST,
            "attendeePersonIds": [teacher, teacher],
            "summary": "Reading corners are used daily.",
            "decisions": "Keep going.",
            "revisionId": base["id"],
        },
        "checkpoint",
    )
    assert (held["overdue"], held["heldOn"], held["attendeePersonIds"], held["version"]) == (
        False,
        PAST,
        [teacher],
        2,
    )
    assert (held["summary"], held["decisions"], held["revisionId"]) == (
        "Reading corners are used daily.",
        "Keep going.",
        base["id"],
    )
    assert (await leader("{ overdueCheckpoints { edges { node { id } } } }"))["overdueCheckpoints"][
        "edges"
    ] == []
    found = await leader(
        "query($id: ID!) { node(id: $id) { ... on ReviewCheckpoint { summary } } }", {"id": held["id"]}
    )
    assert found["node"] == {"summary": "Reading corners are used daily."}

    kept = (await leader(REMOVE_CHECKPOINT, {"id": held["id"]}))["removeCheckpoint"]
    assert (kept["removedId"], codes_by_field(kept["userErrors"])) == (None, [(None, "conflict")])
    removed = (await leader(REMOVE_CHECKPOINT, {"id": series[0]["id"]}))["removeCheckpoint"]
    assert (removed["removedId"], removed["userErrors"]) == (series[0]["id"], [])
    assert len((await read_plan(leader, plan["id"]))["checkpoints"]) == 3  # type: ignore[index]


# --- who reads which plans ----------------------------------------------------------------------------


async def test_community_members_read_only_approved_published_plans_and_staff_their_schools(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    teacher_person = await person_of(session, world, "A", Role.TEACHER)
    initiative = await create_initiative(leader, "Reading for all", schoolId=school(world))
    draft = await create_plan(leader, world, "Draft plan", initiativeId=initiative["id"])
    unpublished = await approve(
        leader, tokens, await create_plan(leader, world, "Approved plan"), teacher_person
    )
    published = await approve(
        leader, tokens, await create_plan(leader, world, "Published plan", cycle="2027-28"), teacher_person
    )
    await update_plan(leader, published["id"], published=True)
    district_leader = await as_role(leader, tokens, Role.DISTRICT_LEADER)
    elsewhere = await create_plan(district_leader, world, "High school plan", schoolId=school(world, 1))

    async def titles(gql: GraphQLClient, arguments: str = "") -> list[str]:
        data = await gql(f"{{ plans{arguments} {{ edges {{ node {{ title }} }} }} }}")
        return [node["title"] for node in nodes(data["plans"])]

    everything = ["Draft plan", "Approved plan", "Published plan", "High school plan"]
    assert await titles(district_leader) == everything
    assert await titles(leader) == everything[:3]
    teacher = await as_role(leader, tokens, Role.TEACHER)
    assert await titles(teacher) == everything[:3]
    community = await as_role(leader, tokens, Role.COMMUNITY_MEMBER)
    assert await titles(community) == ["Published plan"]
    assert await titles(await as_role(leader, tokens, Role.DISTRICT_LEADER, "B")) == []

    # Filters.
    assert await titles(district_leader, "(status: APPROVED)") == ["Approved plan", "Published plan"]
    assert await titles(district_leader, '(cycle: "2027-28")') == ["Published plan"]
    assert await titles(district_leader, f'(schoolId: "{school(world, 1)}")') == ["High school plan"]
    assert await titles(district_leader, f'(initiativeId: "{initiative["id"]}")') == ["Draft plan"]
    assert await titles(district_leader, "(first: 2)") == everything[:2]

    # One by one, and as nodes: what is not there for you is null.
    for plan in (draft, unpublished, elsewhere):
        assert await read_plan(community, plan["id"]) is None
        assert (await community("query($id: ID!) { node(id: $id) { id } }", {"id": plan["id"]}))[
            "node"
        ] is None
    readable = await read_plan(community, published["id"])
    assert readable is not None
    assert readable["status"] == "APPROVED"
    assert await read_plan(teacher, elsewhere["id"]) is None
    assert (await read_plan(teacher, draft["id"]))["initiative"] == {"title": "Reading for all"}  # type: ignore[index]

    # Reading is not writing: a community member's edit of the published plan is refused, and of a
    # draft it cannot see, not found; nothing is written either way.
    refused = await update_plan(community, published["id"], summary="Mine now.")
    assert codes_by_field(refused["userErrors"]) == [(None, "forbidden")]
    hidden = await update_plan(community, draft["id"], title="Mine now.")
    assert codes_by_field(hidden["userErrors"]) == [(None, "not_found")]
    assert (await session.scalar(select(Plan.title).where(Plan.id == draft["databaseId"]))) == "Draft plan"
    assert (await read_plan(leader, published["id"]))["summary"] is None  # type: ignore[index]


# --- pre-planning: the inputs of the plan's co-creation -------------------------------------------------


async def test_activities_held_for_a_plan_name_it_and_their_barriers_and_leverage_points_are_its_preplanning(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    plan = await create_plan(leader, world)
    activity = await create_activity(leader, "Barriers workshop", status="HELD", planId=plan["id"])
    assert (activity["school"], activity["initiative"]) == (
        {"name": "A Elementary"},
        None,
    )  # the plan's school
    read = await leader("query($id: ID!) { activity(id: $id) { planId } }", {"id": activity["id"]})
    assert read["activity"]["planId"] == plan["id"]
    created = await leader(
        "mutation($input: CreateActivityInput!) { createActivity(input: $input) { activity { planId } } }",
        {
            "input": {
                "mode": "CO_CREATION",
                "kind": "DESIGN_SESSION",
                "title": "Plan session",
                "heldOn": PAST,
                "participationLevel": "INVOLVE",
                "planId": plan["id"],
            }
        },
    )
    assert created["createActivity"]["activity"]["planId"] == plan["id"]
    unknown = await leader(
        "mutation($input: CreateActivityInput!) { createActivity(input: $input) { userErrors { field code } } }",
        {
            "input": {
                "mode": "CO_CREATION",
                "kind": "DESIGN_SESSION",
                "title": "Nowhere",
                "heldOn": PAST,
                "participationLevel": "INVOLVE",
                "planId": gid("Plan", world.school_ids("A")[0]),
            }
        },
    )
    assert codes_by_field(unknown["createActivity"]["userErrors"]) == [(["input", "planId"], "not_found")]

    participation = await add_participation(
        leader, activity["id"], personId=await person_of(session, world, "A", Role.TEACHER)
    )
    for kind, text in (
        ("BARRIER", "No time to plan together."),
        ("LEVERAGE_POINT", "Grade 2 already co-plans."),
        ("IDEA", "Buy books."),
    ):
        said = await leader(
            "mutation($input: AddInputInput!) { addInput(input: $input) { userErrors { code } } }",
            {
                "input": {
                    "activityId": activity["id"],
                    "participationId": participation["id"],
                    "kind": kind,
                    "text": text,
                }
            },
        )
        assert said["addInput"]["userErrors"] == []
    pre = await leader(
        "query($id: ID!) { plan(id: $id) { prePlanning { barriers { text kind } leveragePoints { text } } } }",
        {"id": plan["id"]},
    )
    assert pre["plan"]["prePlanning"] == {
        "barriers": [{"text": "No time to plan together.", "kind": "BARRIER"}],
        "leveragePoints": [{"text": "Grade 2 already co-plans."}],
    }

    # What an input changed in the plan is linked by the plan item's own global id.
    goal = await add_goal(leader, plan["id"], "Teachers plan together weekly")
    [barrier] = (
        await leader(
            "query($id: ID!) { plan(id: $id) { prePlanning { barriers { id } } } }", {"id": plan["id"]}
        )
    )["plan"]["prePlanning"]["barriers"]
    linked = await leader(
        "mutation($input: LinkInputInput!) { linkInput(input: $input) { "
        "inputLink { target targetId } userErrors { field code } } }",
        {"input": {"inputId": barrier["id"], "target": "GOAL", "targetId": goal["id"]}},
    )
    assert linked["linkInput"] == {"inputLink": {"target": "GOAL", "targetId": goal["id"]}, "userErrors": []}


# --- no N+1 -------------------------------------------------------------------------------------------


async def batch(
    gql: GraphQLClient, field: str, input_type: str, key: str, inputs: list[dict[str, Any]]
) -> list[str]:
    """Run one mutation field per input in a single document; the ids created, in order."""
    definitions = ", ".join(f"$i{n}: {input_type}!" for n in range(len(inputs)))
    selections = " ".join(
        f"m{n}: {field}(input: $i{n}) {{ {key} {{ id }} userErrors {{ code }} }}" for n in range(len(inputs))
    )
    data = await gql(
        f"mutation({definitions}) {{ {selections} }}", {f"i{n}": value for n, value in enumerate(inputs)}
    )
    assert all(data[f"m{n}"]["userErrors"] == [] for n in range(len(inputs))), data
    return [data[f"m{n}"][key]["id"] for n in range(len(inputs))]


async def test_a_nested_query_costs_the_same_statements_for_one_plan_or_three_by_three_by_three_by_three(
    app: FastAPI, leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    """plans; collaborators (readable plans, then their collaborators) and their people; goals (under
    plans already read through the policy) and their indicators; strategies; action steps; revisions
    (readable plans, then their revisions) and their causes: one batch per level, whatever the sizes,
    interpreted (the first run of a document) or from its compiled plan (every later run)."""
    teacher = await person_of(session, world, "A", Role.TEACHER)
    coach = await person_of(session, world, "A", Role.COACH)
    initiative = await create_initiative(leader, "Reading for all", schoolId=school(world))
    await meet_policy(leader, teacher, initiativeId=initiative["id"])  # meets the policy of all its plans
    nested = NESTED.replace("{ plans {", "query($cycle: String) { plans(cycle: $cycle) {", 1)

    async def build(title: str, cycle: str, size: int) -> None:
        plan = await create_plan(leader, world, title, cycle=cycle, initiativeId=initiative["id"])
        others = [(teacher, "CO_AUTHOR"), (coach, "REVIEWER")][: size - 1]
        for person, role in others:
            await ok(
                leader,
                ADD_COLLABORATOR,
                "addCollaborator",
                {"planId": plan["id"], "personId": person, "role": role},
                "collaborator",
            )
        goals = await batch(
            leader,
            "addGoal",
            "AddGoalInput",
            "goal",
            [
                {"planId": plan["id"], "statement": f"{title} / {g}", "indicator": INDICATOR}
                for g in range(size)
            ],
        )
        strategies = await batch(
            leader,
            "addStrategy",
            "AddStrategyInput",
            "strategy",
            [{"goalId": goal, "title": f"Strategy {s}"} for goal in goals for s in range(size)],
        )
        await batch(
            leader,
            "addActionStep",
            "AddActionStepInput",
            "actionStep",
            [{"strategyId": strategy, "title": f"Step {n}"} for strategy in strategies for n in range(size)],
        )
        await approve(leader, tokens, plan)
        review = await ok(
            leader, ADD_CHECKPOINT, "addCheckpoint", {"planId": plan["id"], "scheduledOn": PAST}, "checkpoint"
        )
        await batch(
            leader,
            "proposeRevision",
            "ProposeRevisionInput",
            "revision",
            [
                {
                    "planId": plan["id"],
                    "reason": f"Review {r}",
                    "changes": [{"op": "UPDATE", "entity": "PLAN", "fields": {"summary": f"Take {r}"}}],
                    "causedBy": [{"kind": "CHECKPOINT", "id": review["id"]}],
                }
                for r in range(size)
            ],
        )

    async def statements(cycle: str) -> tuple[list[str], list[dict[str, Any]]]:
        with count_statements(app) as interpreted:
            data = await leader(nested, {"cycle": cycle})
        with count_statements(app) as compiled:
            assert await leader(nested, {"cycle": cycle}) == data
        assert sorted(compiled.statements) == sorted(interpreted.statements)
        return compiled.statements, nodes(data["plans"])

    await build("Small", "2025-26", 1)
    small, plans = await statements("2025-26")
    [plan] = plans
    assert len(plan["collaborators"]) == len(plan["goals"]["edges"]) == 1
    assert len(plan["revisions"]["edges"]) == 2  # 0, the plan as approved, and one proposal

    for n in range(3):
        await build(f"Large {n}", "2026-27", 3)
    large, plans = await statements("2026-27")
    assert [p["title"] for p in plans] == ["Large 0", "Large 1", "Large 2"]
    assert all(c["person"]["displayName"] for p in plans for c in p["collaborators"])
    assert [len(p["collaborators"]) for p in plans] == [3] * 3
    goals = [g for p in plans for g in nodes(p["goals"])]
    strategies = [s for g in goals for s in nodes(g["strategies"])]
    steps = [t for s in strategies for t in nodes(s["actionSteps"])]
    assert (len(goals), len(strategies), len(steps)) == (9, 27, 81)
    assert all(g["indicator"]["name"] == "Grade 3 reading proficiency" for g in goals)
    revisions = [r for p in plans for r in nodes(p["revisions"])]
    assert len(revisions) == 12
    assert sum(len(r["causedBy"]) for r in revisions) == 9

    assert len(small) == len(large) == 11, large
    assert [statement.lstrip().split()[0].upper() for statement in large] == ["SELECT"] * 11


async def test_a_plan_has_one_lead(leader: GraphQLClient, session: AsyncSession, world: World) -> None:
    """A second `lead` collaborator was accepted; now it is a user error on the role, and nothing is
    written."""
    plan = await create_plan(leader, world)
    teacher = await person_of(session, world, "A", Role.TEACHER)
    refused = await mutate(
        leader,
        ADD_COLLABORATOR,
        "addCollaborator",
        {"planId": plan["id"], "personId": teacher, "role": "LEAD"},
    )
    assert refused["collaborator"] is None
    assert codes_by_field(refused["userErrors"]) == [(["input", "role"], "one_lead")]
    collaborators = (await read_plan(leader, plan["id"]))["collaborators"]  # type: ignore[index]
    assert [c["role"] for c in collaborators] == ["LEAD"]


async def test_references_are_objects_to_follow(
    leader: GraphQLClient, gql: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    """A foreign key is an object field as well as an id: a goal's plan, a review's attendees, the
    caller's own person, without a second round trip."""
    plan = await create_plan(leader, world)
    goal = await add_goal(leader, plan["id"])
    teacher = await person_of(session, world, "A", Role.TEACHER)
    checkpoint = await ok(
        leader, ADD_CHECKPOINT, "addCheckpoint", {"planId": plan["id"], "scheduledOn": PAST}, "checkpoint"
    )
    await ok(
        leader,
        UPDATE_CHECKPOINT,
        "updateCheckpoint",
        {"id": checkpoint["id"], "attendeePersonIds": [teacher]},
        "checkpoint",
    )
    query = """query($goal: ID!, $checkpoint: ID!) {
      goal: node(id: $goal) { ... on Goal { plan { id title } } }
      checkpoint: node(id: $checkpoint) { ... on ReviewCheckpoint { attendees { id } } }
      me { person { id } }
    }"""
    data = await leader(query, {"goal": goal["id"], "checkpoint": checkpoint["id"]})
    assert data["goal"]["plan"] == {"id": plan["id"], "title": plan["title"]}
    assert data["checkpoint"]["attendees"] == [{"id": teacher}]
    assert data["me"]["person"] == {"id": await person_of(session, world, "A", Role.SCHOOL_LEADER)}

    # A teacher reads their own person, though not the district's directory.
    as_teacher = await as_role(gql, tokens, Role.TEACHER)
    assert (await as_teacher("{ me { person { id } } }"))["me"]["person"] == {"id": teacher}
    client = GraphQLClient(gql.http)
    client.headers = await tokens.client_headers("A", "read")
    assert (await client("{ me { kind person { id } } }"))["me"] == {"kind": "client", "person": None}


async def test_attendance_turned_on_after_review_does_not_carry_approval_and_withdrawn_attendance_stops_counting(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    """Over GraphQL, the same rule as REST: attendance counts for a plan as it stood when the plan went
    to review; turned on afterwards it does not count, withdrawn it no longer counts."""
    plan = await create_plan(leader, world)
    teacher = await person_of(session, world, "A", Role.TEACHER)
    absent_from = await create_activity(leader, "Design night", status="HELD", planId=plan["id"])
    absent = await add_participation(leader, absent_from["id"], personId=teacher, attended=False)
    came = await meet_policy(leader, teacher, planId=plan["id"])
    assert (await update_plan(leader, plan["id"], status="IN_REVIEW"))["userErrors"] == []
    admin = await as_role(leader, tokens, Role.DISTRICT_ADMIN)
    district = gid("District", world.district_id("A"))
    raised = await admin(
        "mutation($input: UpdateDistrictInput!) { updateDistrict(input: $input) { userErrors { code } } }",
        {"input": {"id": district, "planMinCoCreation": 2}},
    )
    assert raised["updateDistrict"]["userErrors"] == []
    turned = await mutate(
        leader, UPDATE_PARTICIPATION, "updateParticipation", {"id": absent["id"], "attended": True}
    )
    assert turned["userErrors"] == []
    check = (await leader(GATE, {"id": plan["id"]}))["plan"]["policyCheck"]
    assert (check["coCreationActivities"], check["met"]) == (1, False)
    refused = await update_plan(admin, plan["id"], status="APPROVED")
    assert codes_by_field(refused["userErrors"]) == [(["input", "status"], "co_creation_policy")]

    await admin(
        "mutation($input: UpdateDistrictInput!) { updateDistrict(input: $input) { userErrors { code } } }",
        {"input": {"id": district, "planMinCoCreation": 1}},
    )
    assert (await update_plan(admin, plan["id"], status="APPROVED"))["userErrors"] == []
    participation_id = (
        await leader(
            "query($id: ID!) { activity(id: $id) { participations { edges { node { id } } } } }",
            {"id": came["id"]},
        )
    )["activity"]["participations"]["edges"][0]["node"]["id"]
    withdrawn = await mutate(
        leader, UPDATE_PARTICIPATION, "updateParticipation", {"id": participation_id, "attended": False}
    )
    assert withdrawn["userErrors"] == []
    check = (await leader(GATE, {"id": plan["id"]}))["plan"]["policyCheck"]
    assert (check["coCreationActivities"], check["met"]) == (0, False)


RECORD_SCALE_UP = f"""
mutation($input: RecordScaleUpInput!) {{
  recordScaleUp(input: $input) {{ actionStep {{ id scaleUpMetAt scaleUpMetByLabel scaleUpEvidence }} {USER_ERRORS} }}
}}"""


async def test_a_rollout_waits_for_its_pilot_and_its_scale_up_criteria_over_graphql(
    leader: GraphQLClient, world: World
) -> None:
    plan = await create_plan(leader, world)
    goal = await add_goal(leader, plan["id"])
    strategy = await add_strategy(leader, goal["id"])
    pilot = await add_step(
        leader,
        strategy["id"],
        "Grade 2 tries it",
        pilotGroup="Grade 2 team",
        scaleUpCriteria="Most rooms consistent",
    )
    rollout = (
        await mutate(
            leader,
            ADD_STEP.replace("version }", "version scalesPilotId }"),
            "addActionStep",
            {"strategyId": strategy["id"], "title": "Every K-3 room", "scalesPilotId": pilot["id"]},
        )
    )["actionStep"]
    assert rollout["scalesPilotId"] == pilot["id"]
    refused = await mutate(
        leader, UPDATE_STEP, "updateActionStep", {"id": rollout["id"], "status": "IN_PROGRESS"}
    )
    assert codes_by_field(refused["userErrors"]) == [(["input", "status"], "pilot_not_scaled")]
    await ok(leader, UPDATE_STEP, "updateActionStep", {"id": pilot["id"], "status": "DONE"}, "actionStep")
    refused = await mutate(
        leader, UPDATE_STEP, "updateActionStep", {"id": rollout["id"], "status": "IN_PROGRESS"}
    )
    assert codes_by_field(refused["userErrors"]) == [(["input", "status"], "pilot_not_scaled")]
    met = await ok(
        leader,
        RECORD_SCALE_UP,
        "recordScaleUp",
        {"stepId": pilot["id"], "evidence": "5 of 6 pilot rooms consistent in the spring walkthrough."},
        "actionStep",
    )
    assert met["scaleUpEvidence"].startswith("5 of 6")
    assert met["scaleUpMetByLabel"]
    again = await mutate(
        leader, RECORD_SCALE_UP, "recordScaleUp", {"stepId": pilot["id"], "evidence": "Again."}
    )
    assert again["actionStep"] is None
    assert again["userErrors"][0]["code"] == "conflict"
    started = await ok(
        leader, UPDATE_STEP, "updateActionStep", {"id": rollout["id"], "status": "IN_PROGRESS"}, "actionStep"
    )
    assert started["status"] == "IN_PROGRESS"


GOAL_INDICATOR = (
    "query($id: ID!) { goal: node(id: $id) { ... on Goal { version "
    "indicator { id version targetValue feedbackMeasure } } } }"
)
UPDATE_MEASURE = f"""
mutation($input: UpdateMeasureInput!) {{
  updateMeasure(input: $input) {{ measure {{ id version targetValue feedbackMeasure }} {USER_ERRORS} }}
}}"""
REMOVE_MEASURE = f"""
mutation($input: RemoveMeasureInput!) {{ removeMeasure(input: $input) {{ removedId {USER_ERRORS} }} }}"""


async def test_a_goals_indicator_changes_through_update_measure_before_approval(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    """The same rule as REST, from the same service: a goal's indicator is changed like any measure
    before approval (the goal's version moves with it), never removed apart from its goal, and refused
    once its plan is approved."""
    plan = await create_plan(leader, world)
    goal = await add_goal(leader, plan["id"])
    before = (await leader(GOAL_INDICATOR, {"id": goal["id"]}))["goal"]
    indicator = before["indicator"]
    read = await leader("query($id: ID!) { indicator(id: $id) { id targetValue } }", {"id": indicator["id"]})
    assert read["indicator"]["id"] == indicator["id"]
    changed = await ok(
        leader,
        UPDATE_MEASURE,
        "updateMeasure",
        {
            "id": indicator["id"],
            "expectedVersion": indicator["version"],
            "targetValue": "65",
            "feedbackMeasure": "belonging",
        },
        "measure",
    )
    assert (changed["targetValue"], changed["feedbackMeasure"]) == ("65", "belonging")
    after = (await leader(GOAL_INDICATOR, {"id": goal["id"]}))["goal"]
    assert after["version"] == before["version"] + 1
    assert after["indicator"]["targetValue"] == "65.0000"
    stale = await mutate(
        leader,
        UPDATE_MEASURE,
        "updateMeasure",
        {"id": indicator["id"], "expectedVersion": indicator["version"], "targetValue": "1"},
    )
    assert [e["code"] for e in stale["userErrors"]] == ["stale_version"]
    removed = await mutate(leader, REMOVE_MEASURE, "removeMeasure", {"id": indicator["id"]})
    assert [e["code"] for e in removed["userErrors"]] == ["conflict"]

    teacher = await person_of(session, world, "A", Role.TEACHER)
    await approve(leader, tokens, plan, teacher)
    refused = await mutate(
        leader, UPDATE_MEASURE, "updateMeasure", {"id": indicator["id"], "targetValue": "70"}
    )
    assert refused["measure"] is None
    assert [e["code"] for e in refused["userErrors"]] == ["conflict"]
