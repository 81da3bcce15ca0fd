"""The authorization matrix: every principal of district A x every operation x both transports.

Each row names an operation on district A's objects (or B's, which must always be "not_found"), the
way to call it over REST and over GraphQL, and the principals that may perform it. A principal outside
the allowed set must get "forbidden" (403 / code `forbidden`) for A's objects, and everyone gets
"not_found" for B's: another district's object is never acknowledged. A row may also name principals
from whom the object is `hidden` (a community member and an unpublished initiative): for them it does
not exist either, so they get "not_found" too.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from strawberry import relay

from app.core.config import Settings
from app.core.db import session_scope
from app.demo import operator_of
from app.engagement import service as engagement
from app.engagement.schemas import ActivityCreate, InputCreate, ParticipationCreate
from app.graphql.permissions import AUTHENTICATED, PUBLIC_FIELDS
from app.graphql.schema import build_schema
from app.identity import service as identity
from app.identity.models import Role, User
from app.identity.schemas import PersonCreate, UserCreate
from app.initiatives import service as initiatives
from app.initiatives.schemas import InitiativeCreate
from app.monitoring import measurements
from app.plans import service as plans
from app.plans.models import PlanStatus
from app.plans.schemas import (
    ActionStepCreate,
    CollaboratorCreate,
    GoalCreate,
    PlanCreate,
    PlanUpdate,
    RevisionCreate,
    StrategyCreate,
)
from app.practice import feedback
from app.practice import service as practice
from app.practice.schemas import (
    FeedbackResultCreate,
    ObservationCreate,
    PdsaCycleCreate,
    PlcMeetingCreate,
    WalkthroughCreate,
)
from app.releases import service as releases
from app.releases.schemas import ReleaseCreate
from app.tenancy.models import District
from tests.conftest import Tokens, World

ROLES = list(Role)
CLIENTS = ["read", "roster", "referrals", "monitoring"]
PRINCIPALS = [r.value for r in ROLES] + [f"client:{c}" for c in CLIENTS]

ADMIN = {"district_admin"}
EVERY_ROLE = {r.value for r in ROLES}
READERS = EVERY_ROLE | {"client:read"}
PEOPLE_READERS = {"district_admin", "district_leader", "school_leader", "coach", "client:read"}
INITIATIVE_LEADERS = {"district_admin", "district_leader"}
# Staff of the first school (and district-wide staff and read clients) see its unpublished work.
SCHOOL_1_STAFF = PEOPLE_READERS | {"teacher"}
# Roles that see only published initiatives: an unpublished one does not exist for them.
PUBLISHED_ONLY = frozenset({"community_member", "viewer"})
STAKEHOLDER_READERS = {"district_admin", "district_leader", "school_leader", "coach", "client:read"}
# Who runs co-creation and co-production activities at the first school.
ACTIVITY_RUNNERS = {"district_admin", "district_leader", "school_leader", "coach"}
HELD_ON = (date.today() - timedelta(days=3)).isoformat()


def gid(type_name: str, row_id: object) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


@dataclass(frozen=True)
class Seeded:
    """Rows the matrix acts on, made fresh in every test database."""

    # Unpublished, at district A's first school (where the school-level accounts work).
    school_initiative: uuid.UUID
    initiative_of_b: uuid.UUID
    # A held, unpublished activity of the school initiative; someone's participation in it and their
    # input; a person of the district who did not take part.
    school_activity: uuid.UUID
    participation: uuid.UUID
    input: uuid.UUID
    person: uuid.UUID
    # A held, published activity at A's second school.
    published_activity: uuid.UUID
    # The same record in district B.
    activity_of_b: uuid.UUID
    input_of_b: uuid.UUID
    # Improvement plans, by name (see `_seed_plans`).
    plans: dict[str, uuid.UUID] = dataclasses.field(default_factory=dict)
    # Progress monitoring's practice rows, by name (see `_seed_practice`).
    practice: dict[str, uuid.UUID] = dataclasses.field(default_factory=dict)
    # Measurements, status and the dashboard: goal indicators and measurements (see `_seed_monitoring`).
    monitoring: dict[str, uuid.UUID] = dataclasses.field(default_factory=dict)


@dataclass
class Call:
    http: httpx.AsyncClient
    headers: dict[str, str]
    world: World
    seeded: Seeded
    # Who calls ("teacher", "client:read", …; empty for anonymous), for the few operations whose
    # well-formed request depends on the caller.
    principal: str = ""

    async def rest(self, method: str, url: str, body: Any = None) -> str:
        # Writes say `If-Match: *` (no version check), as a well-formed write must: the matrix is
        # about who may, not about versions (tests/core/test_preconditions.py is).
        headers = self.headers if method == "GET" else self.headers | {"If-Match": "*"}
        response = await self.http.request(method, url, json=body, headers=headers)
        return {
            200: "ok",
            201: "ok",
            204: "ok",
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
        }.get(response.status_code, f"unexpected {response.status_code}: {response.text[:200]}")

    async def graphql(self, query: str, variables: dict[str, Any] | None = None) -> str:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )
        if response.status_code == 401:
            return "unauthenticated"
        body = response.json()
        if body.get("errors"):
            return body["errors"][0].get("extensions", {}).get("code", f"unexpected {body['errors']}")
        (value,) = body["data"].values()
        if value is None:
            return "not_found"
        if isinstance(value, dict) and "userErrors" in value:
            return value["userErrors"][0]["code"] if value["userErrors"] else "ok"
        return "ok"


Operation = Callable[[Call], Awaitable[str]]


@dataclass(frozen=True)
class Row:
    name: str
    rest: Operation
    # None: the operation has no GraphQL field (SIS sync and behaviour analytics are REST only).
    graphql: Operation | None
    allowed: set[str]
    other_district: bool = False
    hidden: frozenset[str] = frozenset()


def _named_teacher(c: Call, field: str, *, graphql: bool = False) -> dict[str, Any]:
    """An integration names the teacher a feedback result is about (the first school's other teacher);
    a person names nobody and records their own."""
    if not c.principal.startswith("client:"):
        return {}
    teacher = c.seeded.practice["other_teacher"]
    return {field: gid("Person", teacher) if graphql else str(teacher)}


def _a(world: World) -> uuid.UUID:
    return world.district_id("A")


def _b(world: World) -> uuid.UUID:
    return world.district_id("B")


ROWS: list[Row] = [
    Row(
        "read own district",
        lambda c: c.rest("GET", f"/api/v1/districts/{_a(c.world)}"),
        lambda c: c.graphql(
            "query($id: ID!) { district(id: $id) { name } }", {"id": gid("District", _a(c.world))}
        ),
        READERS,
    ),
    Row(
        "read district B",
        lambda c: c.rest("GET", f"/api/v1/districts/{_b(c.world)}"),
        lambda c: c.graphql("query($id: ID!) { node(id: $id) { id } }", {"id": gid("District", _b(c.world))}),
        set(),
        other_district=True,
    ),
    Row(
        "list schools of district B",
        lambda c: c.rest("GET", f"/api/v1/districts/{_b(c.world)}/schools"),
        lambda c: c.graphql(
            "query($id: ID!) { school(id: $id) { name } }", {"id": gid("School", c.world.school_ids("B")[0])}
        ),
        set(),
        other_district=True,
    ),
    Row(
        "update own district",
        lambda c: c.rest("PATCH", f"/api/v1/districts/{_a(c.world)}", {"min_cell_size": 11}),
        lambda c: c.graphql(
            "mutation($id: ID!) { updateDistrict(input: {id: $id, minCellSize: 11}) { userErrors { code } } }",
            {"id": gid("District", _a(c.world))},
        ),
        ADMIN,
    ),
    Row(
        "update district B",
        lambda c: c.rest("PATCH", f"/api/v1/districts/{_b(c.world)}", {"min_cell_size": 11}),
        lambda c: c.graphql(
            "mutation($id: ID!) { updateDistrict(input: {id: $id, minCellSize: 11}) { userErrors { code } } }",
            {"id": gid("District", _b(c.world))},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "list schools",
        lambda c: c.rest("GET", f"/api/v1/districts/{_a(c.world)}/schools"),
        lambda c: c.graphql("{ districts { edges { node { schools { edges { node { name } } } } } } }"),
        READERS,
    ),
    Row(
        "create a school",
        lambda c: c.rest("POST", f"/api/v1/districts/{_a(c.world)}/schools", {"name": f"New {uuid.uuid4()}"}),
        lambda c: c.graphql(
            "mutation($d: ID!, $n: String!) { createSchool(input: {districtId: $d, name: $n}) { userErrors { code } } }",
            {"d": gid("District", _a(c.world)), "n": f"New {uuid.uuid4()}"},
        ),
        ADMIN | {"client:roster"},
    ),
    Row(
        "create a school in district B",
        lambda c: c.rest("POST", f"/api/v1/districts/{_b(c.world)}/schools", {"name": "Intruder"}),
        lambda c: c.graphql(
            'mutation($d: ID!) { createSchool(input: {districtId: $d, name: "Intruder"}) { userErrors { code } } }',
            {"d": gid("District", _b(c.world))},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "update the school a school leader leads",
        lambda c: c.rest("PATCH", f"/api/v1/schools/{c.world.school_ids('A')[0]}", {"grade_low": "KG"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updateSchool(input: {id: $id, gradeLow: "KG"}) { userErrors { code } } }',
            {"id": gid("School", c.world.school_ids("A")[0])},
        ),
        ADMIN | {"school_leader", "client:roster"},
    ),
    Row(
        "update another school of the district",
        lambda c: c.rest("PATCH", f"/api/v1/schools/{c.world.school_ids('A')[1]}", {"grade_low": "KG"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updateSchool(input: {id: $id, gradeLow: "KG"}) { userErrors { code } } }',
            {"id": gid("School", c.world.school_ids("A")[1])},
        ),
        ADMIN | {"client:roster"},
    ),
    Row(
        "update a school of district B",
        lambda c: c.rest("PATCH", f"/api/v1/schools/{c.world.school_ids('B')[0]}", {"grade_low": "KG"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updateSchool(input: {id: $id, gradeLow: "KG"}) { userErrors { code } } }',
            {"id": gid("School", c.world.school_ids("B")[0])},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "list people",
        lambda c: c.rest("GET", "/api/v1/people"),
        lambda c: c.graphql("{ people { edges { node { displayName } } } }"),
        PEOPLE_READERS,
    ),
    Row(
        "create a person",
        lambda c: c.rest("POST", "/api/v1/people", {"display_name": "Pat", "kind": "family"}),
        lambda c: c.graphql(
            'mutation { createPerson(input: {displayName: "Pat", kind: FAMILY}) { userErrors { code } } }'
        ),
        ADMIN | {"client:roster"},
    ),
    Row(
        "list accounts",
        lambda c: c.rest("GET", "/api/v1/users"),
        lambda c: c.graphql("{ users { edges { node { email } } } }"),
        ADMIN,
    ),
    Row(
        "list API clients",
        lambda c: c.rest("GET", "/api/v1/api-clients"),
        lambda c: c.graphql("{ apiClients { edges { node { name } } } }"),
        ADMIN,
    ),
    Row(
        "read the audit trail",
        lambda c: c.rest("GET", "/api/v1/audit-events"),
        lambda c: c.graphql("{ auditEvents { edges { node { action } } } }"),
        ADMIN,
    ),
    Row(
        "create a district initiative",
        lambda c: c.rest("POST", "/api/v1/initiatives", {"title": "T", "public_value": "V"}),
        lambda c: c.graphql(
            'mutation { createInitiative(input: {title: "T", publicValue: "V"}) { userErrors { code } } }'
        ),
        INITIATIVE_LEADERS,
    ),
    Row(
        "read an unpublished initiative of the first school",
        lambda c: c.rest("GET", f"/api/v1/initiatives/{c.seeded.school_initiative}"),
        lambda c: c.graphql(
            "query($id: ID!) { initiative(id: $id) { title } }",
            {"id": gid("Initiative", c.seeded.school_initiative)},
        ),
        SCHOOL_1_STAFF,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "update an unpublished initiative of the first school",
        lambda c: c.rest("PATCH", f"/api/v1/initiatives/{c.seeded.school_initiative}", {"summary": "S"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updateInitiative(input: {id: $id, summary: "S"}) { userErrors { code } } }',
            {"id": gid("Initiative", c.seeded.school_initiative)},
        ),
        INITIATIVE_LEADERS | {"school_leader"},
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "list stakeholders",
        lambda c: c.rest("GET", "/api/v1/stakeholders"),
        lambda c: c.graphql("{ stakeholders { edges { node { name } } } }"),
        STAKEHOLDER_READERS,
    ),
    Row(
        "read district B's initiative",
        lambda c: c.rest("GET", f"/api/v1/initiatives/{c.seeded.initiative_of_b}"),
        lambda c: c.graphql(
            "query($id: ID!) { initiative(id: $id) { title } }",
            {"id": gid("Initiative", c.seeded.initiative_of_b)},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "update district B's initiative",
        lambda c: c.rest("PATCH", f"/api/v1/initiatives/{c.seeded.initiative_of_b}", {"summary": "S"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updateInitiative(input: {id: $id, summary: "S"}) { userErrors { code } } }',
            {"id": gid("Initiative", c.seeded.initiative_of_b)},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "list activities",
        lambda c: c.rest("GET", "/api/v1/activities"),
        lambda c: c.graphql("{ activities { edges { node { title } } } }"),
        READERS,
    ),
    Row(
        "read a published activity of the second school",
        lambda c: c.rest("GET", f"/api/v1/activities/{c.seeded.published_activity}"),
        lambda c: c.graphql(
            "query($id: ID!) { activity(id: $id) { title } }",
            {"id": gid("Activity", c.seeded.published_activity)},
        ),
        READERS,
    ),
    Row(
        "read an unpublished activity of the first school",
        lambda c: c.rest("GET", f"/api/v1/activities/{c.seeded.school_activity}"),
        lambda c: c.graphql(
            "query($id: ID!) { activity(id: $id) { title } }",
            {"id": gid("Activity", c.seeded.school_activity)},
        ),
        SCHOOL_1_STAFF,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "create an activity at the first school",
        lambda c: c.rest(
            "POST",
            "/api/v1/activities",
            {
                "mode": "co_creation",
                "kind": "design_session",
                "title": "T",
                "held_on": HELD_ON,
                "participation_level": "consult",
                "school_id": str(c.world.school_ids("A")[0]),
            },
        ),
        lambda c: c.graphql(
            "mutation($s: ID!, $d: Date!) { createActivity(input: {mode: CO_CREATION, kind: DESIGN_SESSION, "
            'title: "T", heldOn: $d, participationLevel: CONSULT, schoolId: $s}) { userErrors { code } } }',
            {"s": gid("School", c.world.school_ids("A")[0]), "d": HELD_ON},
        ),
        ACTIVITY_RUNNERS,
    ),
    Row(
        "update an unpublished activity of the first school",
        lambda c: c.rest("PATCH", f"/api/v1/activities/{c.seeded.school_activity}", {"summary": "S"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updateActivity(input: {id: $id, summary: "S"}) { userErrors { code } } }',
            {"id": gid("Activity", c.seeded.school_activity)},
        ),
        ACTIVITY_RUNNERS,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "add a participant to an unpublished activity of the first school",
        lambda c: c.rest(
            "POST",
            f"/api/v1/activities/{c.seeded.school_activity}/participations",
            {"person_id": str(c.seeded.person)},
        ),
        lambda c: c.graphql(
            "mutation($a: ID!, $p: ID!) { addParticipation(input: {activityId: $a, personId: $p}) "
            "{ userErrors { code } } }",
            {"a": gid("Activity", c.seeded.school_activity), "p": gid("Person", c.seeded.person)},
        ),
        ACTIVITY_RUNNERS,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "record someone's input to an unpublished activity of the first school",
        lambda c: c.rest(
            "POST",
            f"/api/v1/activities/{c.seeded.school_activity}/inputs",
            {"participation_id": str(c.seeded.participation), "kind": "idea", "text": "T"},
        ),
        lambda c: c.graphql(
            "mutation($a: ID!, $p: ID!) { addInput(input: {activityId: $a, participationId: $p, kind: IDEA, "
            'text: "T"}) { userErrors { code } } }',
            {
                "a": gid("Activity", c.seeded.school_activity),
                "p": gid("Participation", c.seeded.participation),
            },
        ),
        ACTIVITY_RUNNERS,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "decide an input's disposition at the first school",
        lambda c: c.rest("PATCH", f"/api/v1/inputs/{c.seeded.input}", {"disposition": "under_consideration"}),
        lambda c: c.graphql(
            "mutation($id: ID!) { updateInput(input: {id: $id, disposition: UNDER_CONSIDERATION}) "
            "{ userErrors { code } } }",
            {"id": gid("Input", c.seeded.input)},
        ),
        ACTIVITY_RUNNERS,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "read you-said-we-did of an unpublished initiative of the first school",
        lambda c: c.rest("GET", f"/api/v1/initiatives/{c.seeded.school_initiative}/you-said-we-did"),
        lambda c: c.graphql(
            "query($id: ID!) { youSaidWeDid(initiativeId: $id) { totalInputs } }",
            {"id": gid("Initiative", c.seeded.school_initiative)},
        ),
        SCHOOL_1_STAFF,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "read the representation of an unpublished initiative of the first school",
        lambda c: c.rest("GET", f"/api/v1/initiatives/{c.seeded.school_initiative}/representation"),
        lambda c: c.graphql(
            "query($id: ID!) { representation(initiativeId: $id) { neverTookPart } }",
            {"id": gid("Initiative", c.seeded.school_initiative)},
        ),
        STAKEHOLDER_READERS,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "read district B's activity",
        lambda c: c.rest("GET", f"/api/v1/activities/{c.seeded.activity_of_b}"),
        lambda c: c.graphql(
            "query($id: ID!) { activity(id: $id) { title } }", {"id": gid("Activity", c.seeded.activity_of_b)}
        ),
        set(),
        other_district=True,
    ),
    Row(
        "update district B's activity",
        lambda c: c.rest("PATCH", f"/api/v1/activities/{c.seeded.activity_of_b}", {"summary": "S"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updateActivity(input: {id: $id, summary: "S"}) { userErrors { code } } }',
            {"id": gid("Activity", c.seeded.activity_of_b)},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "add a participant to district B's activity",
        lambda c: c.rest(
            "POST",
            f"/api/v1/activities/{c.seeded.activity_of_b}/participations",
            {"person_id": str(c.seeded.person)},
        ),
        lambda c: c.graphql(
            "mutation($a: ID!, $p: ID!) { addParticipation(input: {activityId: $a, personId: $p}) "
            "{ userErrors { code } } }",
            {"a": gid("Activity", c.seeded.activity_of_b), "p": gid("Person", c.seeded.person)},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "decide district B's input",
        lambda c: c.rest("PATCH", f"/api/v1/inputs/{c.seeded.input_of_b}", {"disposition": "adopted"}),
        lambda c: c.graphql(
            "mutation($id: ID!) { updateInput(input: {id: $id, disposition: ADOPTED}) { userErrors { code } } }",
            {"id": gid("Input", c.seeded.input_of_b)},
        ),
        set(),
        other_district=True,
    ),
    # Improvement plans. Staff read their school's plans, everyone the approved ones the district
    # published; leaders edit plans in reach, teachers and coaches only those they co-author; a school
    # leader approves a school plan, a district leader a district plan.
    Row(
        "list plans",
        lambda c: c.rest("GET", "/api/v1/plans"),
        lambda c: c.graphql("{ plans { edges { node { title } } } }"),
        READERS,
    ),
    Row(
        "read a draft plan of the first school",
        lambda c: c.rest("GET", f"/api/v1/plans/{c.seeded.plans['draft']}"),
        lambda c: c.graphql(
            "query($id: ID!) { plan(id: $id) { title } }", {"id": gid("Plan", c.seeded.plans["draft"])}
        ),
        SCHOOL_1_STAFF,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "read a published plan of the second school",
        lambda c: c.rest("GET", f"/api/v1/plans/{c.seeded.plans['published']}"),
        lambda c: c.graphql(
            "query($id: ID!) { plan(id: $id) { title } }", {"id": gid("Plan", c.seeded.plans["published"])}
        ),
        READERS,
    ),
    Row(
        "create a plan of the first school",
        lambda c: c.rest(
            "POST",
            "/api/v1/plans",
            {"cycle": "2026-27", "title": "T", "school_id": str(c.world.school_ids("A")[0])},
        ),
        lambda c: c.graphql(
            'mutation($s: ID!) { createPlan(input: {cycle: "2026-27", title: "T", schoolId: $s}) '
            "{ userErrors { code } } }",
            {"s": gid("School", c.world.school_ids("A")[0])},
        ),
        INITIATIVE_LEADERS | {"school_leader"},
    ),
    Row(
        "create a district plan",
        lambda c: c.rest("POST", "/api/v1/plans", {"cycle": "2026-27", "title": "T"}),
        lambda c: c.graphql(
            'mutation { createPlan(input: {cycle: "2026-27", title: "T"}) { userErrors { code } } }'
        ),
        INITIATIVE_LEADERS,
    ),
    Row(
        "update a draft plan of the first school",
        lambda c: c.rest("PATCH", f"/api/v1/plans/{c.seeded.plans['draft']}", {"summary": "S"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updatePlan(input: {id: $id, summary: "S"}) { userErrors { code } } }',
            {"id": gid("Plan", c.seeded.plans["draft"])},
        ),
        INITIATIVE_LEADERS | {"school_leader"},
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "update a plan the teacher co-authors",
        lambda c: c.rest("PATCH", f"/api/v1/plans/{c.seeded.plans['co_authored']}", {"summary": "S"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updatePlan(input: {id: $id, summary: "S"}) { userErrors { code } } }',
            {"id": gid("Plan", c.seeded.plans["co_authored"])},
        ),
        INITIATIVE_LEADERS | {"school_leader", "teacher"},
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "add a goal to a plan the teacher co-authors",
        lambda c: c.rest(
            "POST",
            f"/api/v1/plans/{c.seeded.plans['co_authored']}/goals",
            {"statement": "S", "indicator": {"name": "N", "unit": "u", "direction": "increase"}},
        ),
        lambda c: c.graphql(
            'mutation($p: ID!) { addGoal(input: {planId: $p, statement: "S", indicator: {name: "N", '
            'unit: "u", direction: INCREASE}}) { userErrors { code } } }',
            {"p": gid("Plan", c.seeded.plans["co_authored"])},
        ),
        INITIATIVE_LEADERS | {"school_leader", "teacher"},
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "approve a school plan in review at the first school",
        lambda c: c.rest(
            "PATCH", f"/api/v1/plans/{c.seeded.plans['school_in_review']}", {"status": "approved"}
        ),
        lambda c: c.graphql(
            "mutation($id: ID!) { updatePlan(input: {id: $id, status: APPROVED}) { userErrors { code } } }",
            {"id": gid("Plan", c.seeded.plans["school_in_review"])},
        ),
        ADMIN | {"school_leader"},
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "approve a district plan in review",
        lambda c: c.rest(
            "PATCH", f"/api/v1/plans/{c.seeded.plans['district_in_review']}", {"status": "approved"}
        ),
        lambda c: c.graphql(
            "mutation($id: ID!) { updatePlan(input: {id: $id, status: APPROVED}) { userErrors { code } } }",
            {"id": gid("Plan", c.seeded.plans["district_in_review"])},
        ),
        INITIATIVE_LEADERS,
        # A district plan is no school's: school-level staff see it only once published.
        hidden=PUBLISHED_ONLY | {"school_leader", "coach", "teacher"},
    ),
    Row(
        "propose a revision to the published plan of the second school",
        lambda c: c.rest(
            "POST",
            f"/api/v1/plans/{c.seeded.plans['published']}/revisions",
            {"reason": "R", "changes": [{"op": "update", "entity": "plan", "fields": {"summary": "S"}}]},
        ),
        lambda c: c.graphql(
            "mutation($p: ID!, $c: [RevisionChangeInput!]!) { proposeRevision(input: {planId: $p, "
            'reason: "R", changes: $c}) { userErrors { code } } }',
            {
                "p": gid("Plan", c.seeded.plans["published"]),
                "c": [{"op": "UPDATE", "entity": "PLAN", "fields": {"summary": "S"}}],
            },
        ),
        INITIATIVE_LEADERS,
    ),
    Row(
        "accept a revision of the published plan of the second school",
        lambda c: c.rest("POST", f"/api/v1/plan-revisions/{c.seeded.plans['revision']}/accept"),
        lambda c: c.graphql(
            "mutation($id: ID!) { acceptRevision(input: {id: $id}) { userErrors { code } } }",
            {"id": gid("PlanRevision", c.seeded.plans["revision"])},
        ),
        # The plan's lead or its approver: nobody leads it, and no account leads the second school.
        ADMIN,
    ),
    Row(
        "report progress on an action step of the published plan",
        lambda c: c.rest(
            "PATCH", f"/api/v1/action-steps/{c.seeded.plans['published_step']}", {"progress": 50}
        ),
        lambda c: c.graphql(
            "mutation($id: ID!) { updateActionStep(input: {id: $id, progress: 50}) { userErrors { code } } }",
            {"id": gid("ActionStep", c.seeded.plans["published_step"])},
        ),
        INITIATIVE_LEADERS,
    ),
    Row(
        "read district B's plan",
        lambda c: c.rest("GET", f"/api/v1/plans/{c.seeded.plans['plan_of_b']}"),
        lambda c: c.graphql(
            "query($id: ID!) { plan(id: $id) { title } }", {"id": gid("Plan", c.seeded.plans["plan_of_b"])}
        ),
        set(),
        other_district=True,
    ),
    Row(
        "update district B's plan",
        lambda c: c.rest("PATCH", f"/api/v1/plans/{c.seeded.plans['plan_of_b']}", {"summary": "S"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updatePlan(input: {id: $id, summary: "S"}) { userErrors { code } } }',
            {"id": gid("Plan", c.seeded.plans["plan_of_b"])},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "add a goal to district B's plan",
        lambda c: c.rest(
            "POST",
            f"/api/v1/plans/{c.seeded.plans['plan_of_b']}/goals",
            {"statement": "S", "indicator": {"name": "N", "unit": "u", "direction": "increase"}},
        ),
        lambda c: c.graphql(
            'mutation($p: ID!) { addGoal(input: {planId: $p, statement: "S", indicator: {name: "N", '
            'unit: "u", direction: INCREASE}}) { userErrors { code } } }',
            {"p": gid("Plan", c.seeded.plans["plan_of_b"])},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "change a goal of district B's plan",
        lambda c: c.rest("PATCH", f"/api/v1/goals/{c.seeded.plans['goal_of_b']}", {"statement": "S"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updateGoal(input: {id: $id, statement: "S"}) { userErrors { code } } }',
            {"id": gid("Goal", c.seeded.plans["goal_of_b"])},
        ),
        set(),
        other_district=True,
    ),
    # SIS sync and behaviour analytics (REST only).
    Row(
        "sync students",
        lambda c: c.rest("PUT", "/api/v1/sync/students", {"records": []}),
        None,
        ADMIN | {"client:roster"},
    ),
    Row(
        "sync referrals",
        lambda c: c.rest("PUT", "/api/v1/sync/referrals", {"records": []}),
        None,
        ADMIN | {"client:referrals"},
    ),
    Row(
        "list synced students",
        lambda c: c.rest("GET", "/api/v1/sync/students"),
        None,
        ADMIN | {"client:read", "client:roster"},
    ),
    Row(
        "list single students' referrals",
        lambda c: c.rest("GET", "/api/v1/sync/referrals"),
        None,
        ADMIN,
    ),
    Row(
        "list sync runs",
        lambda c: c.rest("GET", "/api/v1/sync/runs"),
        None,
        ADMIN | {"client:read", "client:roster", "client:referrals"},
    ),
    Row(
        "behaviour analytics overview",
        lambda c: c.rest("GET", "/api/v1/behavior-analytics"),
        None,
        ADMIN | {"district_leader", "school_leader", "client:read"},
    ),
    Row(
        "behaviour analytics of the first school",
        lambda c: c.rest("GET", f"/api/v1/behavior-analytics/schools/{c.world.school_ids('A')[0]}"),
        None,
        ADMIN | {"district_leader", "school_leader", "client:read"},
    ),
    Row(
        "behaviour analytics of another school of the district",
        lambda c: c.rest("GET", f"/api/v1/behavior-analytics/schools/{c.world.school_ids('A')[1]}"),
        None,
        ADMIN | {"district_leader", "client:read"},
    ),
    Row(
        "release a closed period's behaviour figures",
        lambda c: c.rest(
            "POST",
            "/api/v1/releases",
            {
                "subject": "behavior",
                "period": "2026-09",
                "period_start": "2026-09-01",
                "period_end": "2026-09-30",
            },
        ),
        None,
        ADMIN | {"district_leader"},
    ),
    Row(
        "list releases",
        lambda c: c.rest("GET", "/api/v1/releases"),
        None,
        set(PRINCIPALS),
    ),
    Row(
        "behaviour analytics of a school of district B",
        lambda c: c.rest("GET", f"/api/v1/behavior-analytics/schools/{c.world.school_ids('B')[0]}"),
        None,
        set(),
        other_district=True,
    ),
]

# Progress monitoring: walkthroughs, PDSA cycles, PLC meetings and student feedback. Walkthroughs are
# for the school's staff, who needs support for leaders and coaches, a teacher's observation for them
# and those; PDSA cycles follow their plan; a PLC's meetings are its teachers' and coaches', leadership
# reads what was shared; a teacher's feedback result exists for the teacher alone (here: no shares).
WALKTHROUGH_READERS = {"district_admin", "district_leader", "school_leader", "coach", "teacher"}
WALKTHROUGH_DETAIL = {"district_admin", "district_leader", "school_leader", "coach"}
PLC_COMMUNITY = {"coach", "teacher"}
PLC_LEADERSHIP = {"district_admin", "district_leader", "school_leader"}
FEEDBACK_AGGREGATE_READERS = {"district_admin", "district_leader", "school_leader", "coach"}
NOT_A_PERSON_OBSERVED = frozenset({"teacher", "community_member", "viewer"})


def _p(c: Call, name: str) -> uuid.UUID:
    return c.seeded.practice[name]


PRACTICE_ROWS: list[Row] = [
    Row(
        "list walkthroughs",
        lambda c: c.rest("GET", "/api/v1/walkthroughs"),
        lambda c: c.graphql("{ walkthroughs { edges { node { practice } } } }"),
        WALKTHROUGH_READERS,
    ),
    Row(
        "read a walkthrough of the first school",
        lambda c: c.rest("GET", f"/api/v1/walkthroughs/{_p(c, 'walkthrough')}"),
        lambda c: c.graphql(
            "query($id: ID!) { walkthrough(id: $id) { practice } }",
            {"id": gid("Walkthrough", _p(c, "walkthrough"))},
        ),
        WALKTHROUGH_READERS,
    ),
    Row(
        "read a walkthrough's summary",
        lambda c: c.rest("GET", f"/api/v1/walkthroughs/{_p(c, 'walkthrough')}/summary"),
        lambda c: c.graphql(
            "query($id: ID!) { walkthrough(id: $id) { summary { suppressed } } }",
            {"id": gid("Walkthrough", _p(c, "walkthrough"))},
        ),
        WALKTHROUGH_READERS,
    ),
    Row(
        "read who needs which support after a walkthrough",
        lambda c: c.rest("GET", f"/api/v1/walkthroughs/{_p(c, 'walkthrough')}/support"),
        lambda c: c.graphql(
            "query($id: ID!) { whoNeedsSupport(walkthroughId: $id) { walkthroughId } }",
            {"id": gid("Walkthrough", _p(c, "walkthrough"))},
        ),
        WALKTHROUGH_DETAIL,
    ),
    Row(
        "list a walkthrough's observations",
        lambda c: c.rest("GET", f"/api/v1/walkthroughs/{_p(c, 'walkthrough')}/observations"),
        lambda c: c.graphql(
            "query($id: ID!) { walkthrough(id: $id) { observations { edges { node { level } } } } }",
            {"id": gid("Walkthrough", _p(c, "walkthrough"))},
        ),
        WALKTHROUGH_READERS,
    ),
    Row(
        "read the teacher's own observation",
        lambda c: c.rest("GET", f"/api/v1/observations/{_p(c, 'own_observation')}"),
        lambda c: c.graphql(
            "query($id: ID!) { observation(id: $id) { level } }",
            {"id": gid("WalkthroughObservation", _p(c, "own_observation"))},
        ),
        WALKTHROUGH_DETAIL | {"teacher"},
        hidden=frozenset({"community_member", "viewer"}),
    ),
    Row(
        "read another teacher's observation",
        lambda c: c.rest("GET", f"/api/v1/observations/{_p(c, 'other_observation')}"),
        lambda c: c.graphql(
            "query($id: ID!) { observation(id: $id) { level } }",
            {"id": gid("WalkthroughObservation", _p(c, "other_observation"))},
        ),
        WALKTHROUGH_DETAIL,
        hidden=NOT_A_PERSON_OBSERVED,
    ),
    Row(
        "change another teacher's observation",
        lambda c: c.rest("PATCH", f"/api/v1/observations/{_p(c, 'other_observation')}", {"support": "plc"}),
        lambda c: c.graphql(
            "mutation($id: ID!) { updateObservation(input: {id: $id, support: PLC}) { userErrors { code } } }",
            {"id": gid("WalkthroughObservation", _p(c, "other_observation"))},
        ),
        WALKTHROUGH_DETAIL,
        hidden=NOT_A_PERSON_OBSERVED,
    ),
    Row(
        "list one's own observations",
        lambda c: c.rest("GET", "/api/v1/me/observations"),
        lambda c: c.graphql("{ myObservations { edges { node { level } } } }"),
        EVERY_ROLE,
    ),
    Row(
        "record a walkthrough at the first school",
        lambda c: c.rest(
            "POST",
            "/api/v1/walkthroughs",
            {"school_id": str(c.world.school_ids("A")[0]), "practice": "P", "observed_on": HELD_ON},
        ),
        lambda c: c.graphql(
            'mutation($s: ID!, $d: Date!) { createWalkthrough(input: {schoolId: $s, practice: "P", observedOn: $d}) '
            "{ userErrors { code } } }",
            {"s": gid("School", c.world.school_ids("A")[0]), "d": HELD_ON},
        ),
        WALKTHROUGH_DETAIL,
    ),
    Row(
        "read district B's walkthrough",
        lambda c: c.rest("GET", f"/api/v1/walkthroughs/{_p(c, 'walkthrough_of_b')}"),
        lambda c: c.graphql(
            "query($id: ID!) { walkthrough(id: $id) { practice } }",
            {"id": gid("Walkthrough", _p(c, "walkthrough_of_b"))},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "list PDSA cycles of a draft plan of the first school",
        lambda c: c.rest("GET", f"/api/v1/pdsa-cycles?plan_id={_p(c, 'pdsa_plan')}"),
        lambda c: c.graphql(
            "query($p: ID!) { pdsaCycles(planId: $p) { edges { node { question } } } }",
            {"p": gid("Plan", _p(c, "pdsa_plan"))},
        ),
        SCHOOL_1_STAFF,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "read a PDSA cycle of a draft plan of the first school",
        lambda c: c.rest("GET", f"/api/v1/pdsa-cycles/{_p(c, 'pdsa_cycle')}"),
        lambda c: c.graphql(
            "query($id: ID!) { pdsaCycle(id: $id) { question } }",
            {"id": gid("PdsaCycle", _p(c, "pdsa_cycle"))},
        ),
        SCHOOL_1_STAFF,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "start a PDSA cycle on a plan the teacher co-authors",
        lambda c: c.rest(
            "POST",
            f"/api/v1/strategies/{_p(c, 'pdsa_strategy')}/pdsa-cycles",
            {"question": "Q", "prediction": "P", "plan": "Pl"},
        ),
        lambda c: c.graphql(
            'mutation($s: ID!) { createPdsaCycle(input: {strategyId: $s, question: "Q", prediction: "P", '
            'plan: "Pl"}) { userErrors { code } } }',
            {"s": gid("Strategy", _p(c, "pdsa_strategy"))},
        ),
        INITIATIVE_LEADERS | {"school_leader", "teacher", "coach"},  # coaches of its school run cycles
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "record a PDSA cycle's results",
        lambda c: c.rest("PATCH", f"/api/v1/pdsa-cycles/{_p(c, 'pdsa_cycle')}", {"results": "R"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updatePdsaCycle(input: {id: $id, results: "R"}) { userErrors { code } } }',
            {"id": gid("PdsaCycle", _p(c, "pdsa_cycle"))},
        ),
        INITIATIVE_LEADERS | {"school_leader", "teacher", "coach"},  # coaches of its school run cycles
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "read district B's PDSA cycle",
        lambda c: c.rest("GET", f"/api/v1/pdsa-cycles/{_p(c, 'pdsa_cycle_of_b')}"),
        lambda c: c.graphql(
            "query($id: ID!) { pdsaCycle(id: $id) { question } }",
            {"id": gid("PdsaCycle", _p(c, "pdsa_cycle_of_b"))},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "list PLC meetings",
        lambda c: c.rest("GET", "/api/v1/plc-meetings"),
        lambda c: c.graphql("{ plcMeetings { edges { node { team } } } }"),
        PLC_COMMUNITY | PLC_LEADERSHIP,
    ),
    Row(
        "read an unshared PLC meeting of the first school",
        lambda c: c.rest("GET", f"/api/v1/plc-meetings/{_p(c, 'plc_unshared')}"),
        lambda c: c.graphql(
            "query($id: ID!) { plcMeeting(id: $id) { notes } }",
            {"id": gid("PlcMeeting", _p(c, "plc_unshared"))},
        ),
        PLC_COMMUNITY,
        hidden=frozenset(PLC_LEADERSHIP),
    ),
    Row(
        "read a PLC meeting shared with leadership",
        lambda c: c.rest("GET", f"/api/v1/plc-meetings/{_p(c, 'plc_shared')}"),
        lambda c: c.graphql(
            "query($id: ID!) { plcMeeting(id: $id) { notes } }",
            {"id": gid("PlcMeeting", _p(c, "plc_shared"))},
        ),
        PLC_COMMUNITY | PLC_LEADERSHIP,
    ),
    Row(
        "record a PLC meeting at the first school",
        lambda c: c.rest(
            "POST",
            "/api/v1/plc-meetings",
            {"school_id": str(c.world.school_ids("A")[0]), "team": "T", "met_on": HELD_ON},
        ),
        lambda c: c.graphql(
            'mutation($s: ID!, $d: Date!) { createPlcMeeting(input: {schoolId: $s, team: "T", metOn: $d}) '
            "{ userErrors { code } } }",
            {"s": gid("School", c.world.school_ids("A")[0]), "d": HELD_ON},
        ),
        PLC_COMMUNITY,
    ),
    Row(
        "change an unshared PLC meeting",
        lambda c: c.rest("PATCH", f"/api/v1/plc-meetings/{_p(c, 'plc_unshared')}", {"notes": "N"}),
        lambda c: c.graphql(
            'mutation($id: ID!) { updatePlcMeeting(input: {id: $id, notes: "N"}) { userErrors { code } } }',
            {"id": gid("PlcMeeting", _p(c, "plc_unshared"))},
        ),
        PLC_COMMUNITY,
        hidden=frozenset(PLC_LEADERSHIP),
    ),
    Row(
        "read the needs PLCs shared",
        lambda c: c.rest("GET", "/api/v1/plc-needs"),
        lambda c: c.graphql("{ plcNeeds { meetings } }"),
        PLC_COMMUNITY | PLC_LEADERSHIP,
    ),
    Row(
        "read district B's PLC meeting",
        lambda c: c.rest("GET", f"/api/v1/plc-meetings/{_p(c, 'plc_shared_of_b')}"),
        lambda c: c.graphql(
            "query($id: ID!) { plcMeeting(id: $id) { notes } }",
            {"id": gid("PlcMeeting", _p(c, "plc_shared_of_b"))},
        ),
        set(),
        other_district=True,
    ),
    Row(
        # A person records their own; a survey integration has no classes and names the teacher.
        "record a feedback result at the first school",
        lambda c: c.rest(
            "POST",
            "/api/v1/feedback-results",
            {
                "measure": "m",
                "period": "p",
                "favourable_share": "0.5",
                "respondents": 12,
                "school_id": str(c.world.school_ids("A")[0]),
            }
            | _named_teacher(c, "teacher_person_id"),
        ),
        lambda c: c.graphql(
            'mutation($s: ID!, $t: ID) { recordFeedbackResult(input: {measure: "m", period: "p", '
            'favourableShare: "0.5", respondents: 12, schoolId: $s, teacherPersonId: $t}) { userErrors { code } } }',
            {"s": gid("School", c.world.school_ids("A")[0])} | _named_teacher(c, "t", graphql=True),
        ),
        {"district_admin", "teacher", "client:monitoring"},
    ),
    Row(
        "read the teacher's feedback result",
        lambda c: c.rest("GET", f"/api/v1/feedback-results/{_p(c, 'feedback')}"),
        lambda c: c.graphql(
            "query($id: ID!) { feedbackResult(id: $id) { respondents } }",
            {"id": gid("FeedbackResult", _p(c, "feedback"))},
        ),
        {"teacher"},
        # Nobody else, whatever their role or scope: for them the result does not exist.
        hidden=frozenset(PRINCIPALS) - {"teacher"},
    ),
    Row(
        "list feedback results one may read",
        lambda c: c.rest("GET", "/api/v1/feedback-results"),
        lambda c: c.graphql("{ feedbackResults { edges { node { respondents } } } }"),
        EVERY_ROLE,
    ),
    Row(
        "share one's feedback results",
        lambda c: c.rest("POST", "/api/v1/feedback-shares", {"person_id": str(c.seeded.person)}),
        lambda c: c.graphql(
            "mutation($p: ID!) { shareFeedback(input: {personId: $p}) { userErrors { code } } }",
            {"p": gid("Person", c.seeded.person)},
        ),
        EVERY_ROLE,
    ),
    Row(
        "read feedback aggregates of the first school",
        lambda c: c.rest("GET", f"/api/v1/feedback-aggregates?school_id={c.world.school_ids('A')[0]}"),
        lambda c: c.graphql(
            "query($s: ID!) { feedbackAggregates(schoolId: $s) { minTeachers } }",
            {"s": gid("School", c.world.school_ids("A")[0])},
        ),
        FEEDBACK_AGGREGATE_READERS,
    ),
    Row(
        "read feedback aggregates of another school of the district",
        lambda c: c.rest("GET", f"/api/v1/feedback-aggregates?school_id={c.world.school_ids('A')[1]}"),
        lambda c: c.graphql(
            "query($s: ID!) { feedbackAggregates(schoolId: $s) { minTeachers } }",
            {"s": gid("School", c.world.school_ids("A")[1])},
        ),
        {"district_admin", "district_leader"},
    ),
    Row(
        "read feedback aggregates of a school of district B",
        lambda c: c.rest("GET", f"/api/v1/feedback-aggregates?school_id={c.world.school_ids('B')[0]}"),
        lambda c: c.graphql(
            "query($s: ID!) { feedbackAggregates(schoolId: $s) { minTeachers } }",
            {"s": gid("School", c.world.school_ids("B")[0])},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "read district B's feedback result",
        lambda c: c.rest("GET", f"/api/v1/feedback-results/{_p(c, 'feedback_of_b')}"),
        lambda c: c.graphql(
            "query($id: ID!) { feedbackResult(id: $id) { respondents } }",
            {"id": gid("FeedbackResult", _p(c, "feedback_of_b"))},
        ),
        set(),
        other_district=True,
    ),
]
ROWS += PRACTICE_ROWS

# Measurements, indicator status and the plan dashboard: a goal's indicator is read wherever its plan
# is; leaders and coaches (within their reach) and monitoring integrations record; an integration reads
# nothing back.
MEASUREMENT_RECORDERS = {"district_admin", "district_leader", "school_leader", "coach", "client:monitoring"}


def _m(c: Call, name: str) -> uuid.UUID:
    return c.seeded.monitoring[name]


RECORD_BODY = {"value": "12.5", "measured_on": HELD_ON}


MEASUREMENT_ROWS: list[Row] = [
    Row(
        "record a measurement on a goal of a draft plan of the first school",
        lambda c: c.rest("POST", f"/api/v1/indicators/{_m(c, 'indicator')}/measurements", RECORD_BODY),
        lambda c: c.graphql(
            'mutation($i: ID!, $d: Date!) { recordMeasurement(input: {indicatorId: $i, value: "12.5", '
            "measuredOn: $d}) { userErrors { code } } }",
            {"i": gid("Indicator", _m(c, "indicator")), "d": HELD_ON},
        ),
        MEASUREMENT_RECORDERS,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "record measurements in bulk",
        lambda c: c.rest(
            "POST",
            "/api/v1/measurements/bulk",
            {"measurements": [{"indicator_id": str(_m(c, "indicator")), **RECORD_BODY}]},
        ),
        lambda c: c.graphql(
            "mutation($i: ID!, $d: Date!) { recordMeasurements(input: {measurements: [{indicatorId: $i, "
            'value: "12.5", measuredOn: $d}]}) { userErrors { code } } }',
            {"i": gid("Indicator", _m(c, "indicator")), "d": HELD_ON},
        ),
        MEASUREMENT_RECORDERS,
    ),
    Row(
        "list measurements of a goal of a draft plan of the first school",
        lambda c: c.rest("GET", f"/api/v1/indicators/{_m(c, 'indicator')}/measurements"),
        lambda c: c.graphql(
            "query($i: ID!) { indicator(id: $i) { measurements { edges { node { value } } } } }",
            {"i": gid("Indicator", _m(c, "indicator"))},
        ),
        SCHOOL_1_STAFF,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "read the status of a goal of a draft plan of the first school",
        lambda c: c.rest("GET", f"/api/v1/indicators/{_m(c, 'indicator')}/status"),
        lambda c: c.graphql(
            "query($i: ID!) { indicatorStatus(indicatorId: $i) { status } }",
            {"i": gid("Indicator", _m(c, "indicator"))},
        ),
        SCHOOL_1_STAFF,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "read the run chart of a goal of a draft plan of the first school",
        lambda c: c.rest("GET", f"/api/v1/indicators/{_m(c, 'indicator')}/chart.svg"),
        None,
        SCHOOL_1_STAFF,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "read the dashboard of a draft plan of the first school",
        lambda c: c.rest("GET", f"/api/v1/plans/{_m(c, 'plan')}/dashboard"),
        lambda c: c.graphql(
            "query($p: ID!) { planDashboard(planId: $p) { asOf } }", {"p": gid("Plan", _m(c, "plan"))}
        ),
        SCHOOL_1_STAFF,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "remove a measurement of a goal of a draft plan of the first school",
        lambda c: c.rest("DELETE", f"/api/v1/measurements/{_m(c, 'measurement')}"),
        lambda c: c.graphql(
            "mutation($id: ID!) { removeMeasurement(input: {id: $id}) { userErrors { code } } }",
            {"id": gid("Measurement", _m(c, "measurement"))},
        ),
        MEASUREMENT_RECORDERS,
        hidden=PUBLISHED_ONLY,
    ),
    Row(
        "record a measurement on district B's goal",
        lambda c: c.rest("POST", f"/api/v1/indicators/{_m(c, 'indicator_of_b')}/measurements", RECORD_BODY),
        lambda c: c.graphql(
            'mutation($i: ID!, $d: Date!) { recordMeasurement(input: {indicatorId: $i, value: "12.5", '
            "measuredOn: $d}) { userErrors { code } } }",
            {"i": gid("Indicator", _m(c, "indicator_of_b")), "d": HELD_ON},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "read the status of district B's goal",
        lambda c: c.rest("GET", f"/api/v1/indicators/{_m(c, 'indicator_of_b')}/status"),
        lambda c: c.graphql(
            "query($i: ID!) { indicatorStatus(indicatorId: $i) { status } }",
            {"i": gid("Indicator", _m(c, "indicator_of_b"))},
        ),
        set(),
        other_district=True,
    ),
    Row(
        "read district B's plan dashboard",
        lambda c: c.rest("GET", f"/api/v1/plans/{_m(c, 'plan_of_b')}/dashboard"),
        lambda c: c.graphql(
            "query($p: ID!) { planDashboard(planId: $p) { asOf } }", {"p": gid("Plan", _m(c, "plan_of_b"))}
        ),
        set(),
        other_district=True,
    ),
    Row(
        "remove district B's measurement",
        lambda c: c.rest("DELETE", f"/api/v1/measurements/{_m(c, 'measurement_of_b')}"),
        lambda c: c.graphql(
            "mutation($id: ID!) { removeMeasurement(input: {id: $id}) { userErrors { code } } }",
            {"id": gid("Measurement", _m(c, "measurement_of_b"))},
        ),
        set(),
        other_district=True,
    ),
]
ROWS += MEASUREMENT_ROWS


@pytest.fixture
async def seeded(app: FastAPI, world: World) -> Seeded:
    """An unpublished initiative at A's first school and one of district B, each with a held,
    unpublished activity, someone's participation and their input, made by the operator."""
    made: dict[str, dict[str, uuid.UUID]] = {}
    for key, school_id in (("A", world.school_ids("A")[0]), ("B", None)):
        operator = operator_of(world.district_id(key))
        async with session_scope(app.state.session_factory, operator) as session:
            data = InitiativeCreate(title=f"{key}'s initiative", public_value="V", school_id=school_id)
            initiative = await initiatives.create_initiative(session, operator, data)
            activity = await engagement.create_activity(
                session,
                operator,
                ActivityCreate.model_validate(
                    {
                        "mode": "co_creation",
                        "kind": "design_session",
                        "title": f"{key}'s design session",
                        "held_on": HELD_ON,
                        "participation_level": "involve",
                        "initiative_id": initiative.id,
                        "status": "held",
                    }
                ),
            )
            someone = await identity.create_person(
                session, operator, PersonCreate(display_name=f"{key}'s parent", kind="family")
            )
            participation = await engagement.add_participation(
                session, operator, activity.id, ParticipationCreate(person_id=someone.id)
            )
            said = await engagement.add_input(
                session,
                operator,
                activity.id,
                InputCreate.model_validate(
                    {"participation_id": participation.id, "kind": "idea", "text": "T"}
                ),
            )
            absent = await identity.create_person(
                session, operator, PersonCreate(display_name=f"{key}'s neighbour", kind="family")
            )
            published = await engagement.create_activity(
                session,
                operator,
                ActivityCreate.model_validate(
                    {
                        "mode": "co_production",
                        "kind": "co_led_plc",
                        "title": f"{key}'s PLC",
                        "held_on": HELD_ON,
                        "participation_level": "collaborate",
                        "school_id": world.school_ids(key)[1],
                        "status": "held",
                        "published": True,
                    }
                ),
            )
            # A released period, so behaviour analytics have something to answer with.
            await releases.create_release(
                session,
                operator,
                ReleaseCreate(
                    subject="behavior",
                    period="2026-10",
                    period_start=date(2026, 10, 1),
                    period_end=date(2026, 10, 31),
                ),
            )
            made[key] = {
                "initiative": initiative.id,
                "activity": activity.id,
                "participation": participation.id,
                "input": said.id,
                "person": absent.id,
                "published": published.id,
            }
    return Seeded(
        school_initiative=made["A"]["initiative"],
        initiative_of_b=made["B"]["initiative"],
        school_activity=made["A"]["activity"],
        participation=made["A"]["participation"],
        input=made["A"]["input"],
        person=made["A"]["person"],
        published_activity=made["A"]["published"],
        activity_of_b=made["B"]["activity"],
        input_of_b=made["B"]["input"],
        plans=await _seed_plans(app, world),
        practice=await _seed_practice(app, world),
        monitoring=await _seed_monitoring(app, world),
    )


async def _seed_plans(app: FastAPI, world: World) -> dict[str, uuid.UUID]:
    """Plans made by the operator. At A's first school: a draft, a draft the teacher co-authors, and one
    in review; a district plan in review; at A's second school an approved, published plan with a goal,
    a strategy, an action step and a proposed revision; and a plan of district B with a goal. Plans
    "in review" are put there directly: the co-creation policy is tests/plans' business."""
    made: dict[str, uuid.UUID] = {}
    school_1, school_2 = world.school_ids("A")
    for key in ("A", "B"):
        operator = operator_of(world.district_id(key))
        async with session_scope(app.state.session_factory, operator) as session:

            async def plan(title: str, school_id: uuid.UUID | None, status: PlanStatus | None = None) -> Any:
                data = PlanCreate(cycle="2026-27", title=title, school_id=school_id)
                row = await plans.create_plan(session, operator, data)  # noqa: B023 (awaited in the loop)
                if status is not None:
                    row.status = status
                return row

            async def goal(plan_id: uuid.UUID) -> Any:
                data = GoalCreate.model_validate(
                    {"statement": "S", "indicator": {"name": "N", "unit": "u", "direction": "increase"}}
                )
                return await plans.add_goal(session, operator, plan_id, data)  # noqa: B023

            # Approval re-checks the co-creation record; here nobody co-created anything, so the
            # district asks for nothing (the policy itself is tested in tests/plans).
            district = await session.get(District, world.district_id(key))
            district.plan_min_co_creation, district.school_plan_voices, district.district_plan_voices = (
                0,
                [],
                [],
            )
            if key == "B":
                theirs = await plan("B's plan", None)
                made["plan_of_b"] = theirs.id
                made["goal_of_b"] = (await goal(theirs.id)).goal.id
                continue
            made["draft"] = (await plan("Draft", school_1)).id
            co_authored = await plan("Co-authored", school_1)
            teacher = await session.scalar(
                select(User.person_id).where(User.id == world.user("A", Role.TEACHER)[0])
            )
            await plans.add_collaborator(
                session, operator, co_authored.id, CollaboratorCreate(person_id=teacher, role="co_author")
            )
            made["co_authored"] = co_authored.id
            made["school_in_review"] = (await plan("In review", school_1, PlanStatus.IN_REVIEW)).id
            made["district_in_review"] = (await plan("District, in review", None, PlanStatus.IN_REVIEW)).id
            published = await plan("Published", school_2, PlanStatus.IN_REVIEW)
            view = await goal(published.id)
            strategy = await plans.add_strategy(session, operator, view.goal.id, StrategyCreate(title="T"))
            step = await plans.add_action_step(session, operator, strategy.id, ActionStepCreate(title="T"))
            approve = PlanUpdate(status=PlanStatus.APPROVED, published=True)
            await plans.update_plan(session, operator, published.id, approve)
            change = {"op": "update", "entity": "plan", "fields": {"summary": "Revised"}}
            revision = await plans.propose_revision(
                session,
                operator,
                published.id,
                RevisionCreate.model_validate({"reason": "R", "changes": [change]}),
            )
            made |= {"published": published.id, "published_step": step.id, "revision": revision.revision.id}
    return made


async def _seed_practice(app: FastAPI, world: World) -> dict[str, uuid.UUID]:
    """Progress monitoring rows made by the operator, at each district's first school: a walkthrough
    observing the teacher's classroom and another teacher's, a draft plan the teacher co-authors with
    a strategy and a PDSA cycle on it, an unshared and a shared PLC meeting, and the teacher's feedback
    result. District B's rows are named `…_of_b`."""
    made: dict[str, uuid.UUID] = {}
    for key in ("A", "B"):
        operator = operator_of(world.district_id(key))
        school_1 = world.school_ids(key)[0]
        today = date.today()
        async with session_scope(app.state.session_factory, operator) as session:
            teacher = await session.scalar(
                select(User.person_id).where(User.id == world.user(key, Role.TEACHER)[0])
            )
            # A teacher of the school with a login: integrations record results for teachers only.
            other = await identity.create_user(
                session,
                operator,
                UserCreate.model_validate(
                    {
                        "email": f"other.teacher@{key.lower()}.example.org",
                        "password": "another long test password",
                        "display_name": f"{key}'s other teacher",
                        "roles": [{"role": "teacher", "school_id": school_1}],
                    }
                ),
            )
            walk = await practice.create_walkthrough(
                session,
                operator,
                WalkthroughCreate(school_id=school_1, practice="Turn and talk", observed_on=today),
            )
            own = await practice.add_observation(
                session, operator, walk.id, ObservationCreate(teacher_person_id=teacher, level="developing")
            )
            theirs = await practice.add_observation(
                session,
                operator,
                walk.id,
                ObservationCreate(teacher_person_id=other.person_id, level="beginning", support="coaching"),
            )
            plan = await plans.create_plan(
                session, operator, PlanCreate(cycle="2026-27", title="Monitored", school_id=school_1)
            )
            await plans.add_collaborator(
                session, operator, plan.id, CollaboratorCreate(person_id=teacher, role="co_author")
            )
            goal = await plans.add_goal(
                session,
                operator,
                plan.id,
                GoalCreate.model_validate(
                    {"statement": "S", "indicator": {"name": "N", "unit": "u", "direction": "increase"}}
                ),
            )
            strategy = await plans.add_strategy(session, operator, goal.goal.id, StrategyCreate(title="T"))
            cycle = await practice.create_pdsa_cycle(
                session, operator, strategy.id, PdsaCycleCreate(question="Q", prediction="P", plan="Pl")
            )
            unshared = await practice.create_plc_meeting(
                session,
                operator,
                PlcMeetingCreate(school_id=school_1, team="Grade 3", met_on=today, notes="N"),
            )
            shared = await practice.create_plc_meeting(
                session,
                operator,
                PlcMeetingCreate(
                    school_id=school_1,
                    team="Grade 4",
                    met_on=today,
                    needs=["data"],
                    shared_with_leadership=True,
                ),
            )
            result, _ = await feedback.record_feedback_result(
                session,
                operator,
                FeedbackResultCreate.model_validate(
                    {
                        "measure": "belonging",
                        "period": "2026-fall",
                        "favourable_share": "0.7",
                        "respondents": 20,
                        "school_id": school_1,
                        "teacher_person_id": teacher,
                    }
                ),
            )
        rows = {
            "walkthrough": walk.id,
            "own_observation": own.id,
            "other_observation": theirs.id,
            "pdsa_plan": plan.id,
            "pdsa_strategy": strategy.id,
            "pdsa_cycle": cycle.id,
            "plc_unshared": unshared.id,
            "plc_shared": shared.id,
            "feedback": result.id,
            "other_teacher": other.person_id,
        }
        made |= rows if key == "A" else {f"{name}_of_b": row_id for name, row_id in rows.items()}
    return made


async def _seed_monitoring(app: FastAPI, world: World) -> dict[str, uuid.UUID]:
    """A draft plan of each district's first school with a goal and one measurement on its indicator,
    made by the operator. District B's rows are named `…_of_b`."""
    made: dict[str, uuid.UUID] = {}
    for key in ("A", "B"):
        operator = operator_of(world.district_id(key))
        async with session_scope(app.state.session_factory, operator) as session:
            plan = await plans.create_plan(
                session,
                operator,
                PlanCreate(cycle="2026-27", title="Measured", school_id=world.school_ids(key)[0]),
            )
            goal = await plans.add_goal(
                session,
                operator,
                plan.id,
                GoalCreate.model_validate(
                    {"statement": "S", "indicator": {"name": "N", "unit": "u", "direction": "increase"}}
                ),
            )
            result = await measurements.record_measurements(
                session,
                operator,
                [{"indicator_id": goal.indicator.id, "value": "1", "measured_on": HELD_ON}],
            )
        rows = {"plan": plan.id, "indicator": goal.indicator.id, "measurement": result.items[0].id}
        made |= rows if key == "A" else {f"{name}_of_b": row_id for name, row_id in rows.items()}
    return made


async def _headers(tokens: Tokens, principal: str) -> dict[str, str]:
    if principal.startswith("client:"):
        return await tokens.client_headers("A", principal.removeprefix("client:"))
    return await tokens.headers("A", Role(principal))


@pytest.mark.parametrize("transport", ["rest", "graphql"])
@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_matrix(
    client: httpx.AsyncClient, tokens: Tokens, world: World, seeded: Seeded, principal: str, transport: str
) -> None:
    call = Call(client, await _headers(tokens, principal), world, seeded, principal)
    mismatches = []
    for row in ROWS:
        if row.other_district or principal in row.hidden:
            expected = "not_found"
        else:
            expected = "ok" if principal in row.allowed else "forbidden"
        operation = getattr(row, transport)
        if operation is None:
            continue
        actual = await operation(call)
        if actual != expected:
            mismatches.append(f"{row.name}: expected {expected}, got {actual}")
    assert mismatches == [], f"{principal} over {transport}:\n" + "\n".join(mismatches)


@pytest.mark.parametrize("transport", ["rest", "graphql"])
async def test_anonymous_callers_get_nothing(
    client: httpx.AsyncClient, world: World, seeded: Seeded, transport: str
) -> None:
    call = Call(client, {}, world, seeded)
    results = {
        row.name: await getattr(row, transport)(call) for row in ROWS if getattr(row, transport) is not None
    }
    assert set(results.values()) == {"unauthenticated"}, results


async def test_lists_never_show_another_districts_rows(
    client: httpx.AsyncClient, tokens: Tokens, world: World, seeded: Seeded
) -> None:
    b_ids = {str(world.district_id("B")), *map(str, world.school_ids("B")), str(seeded.initiative_of_b)}
    b_ids |= {str(seeded.activity_of_b), str(seeded.input_of_b)}
    b_ids |= {str(seeded.plans["plan_of_b"]), str(seeded.plans["goal_of_b"])}
    b_ids |= {str(user_id) for user_id, _ in world.districts["B"].users.values()}
    b_ids |= {str(row_id) for name, row_id in seeded.practice.items() if name.endswith("_of_b")}
    for principal in PRINCIPALS:
        headers = await _headers(tokens, principal)
        for url in (
            "/api/v1/districts",
            f"/api/v1/districts/{world.district_id('A')}/schools",
            "/api/v1/people",
            "/api/v1/users",
            "/api/v1/audit-events",
            "/api/v1/role-assignments",
            "/api/v1/initiatives",
            "/api/v1/stakeholders",
            "/api/v1/activities",
            f"/api/v1/activities/{seeded.published_activity}/participations",
            "/api/v1/plans",
            "/api/v1/checkpoints/overdue",
            "/api/v1/walkthroughs",
            "/api/v1/me/observations",
            "/api/v1/pdsa-cycles",
            "/api/v1/plc-meetings",
            "/api/v1/plc-needs",
            "/api/v1/feedback-results",
            "/api/v1/feedback-aggregates",
        ):
            response = await client.get(url, headers=headers, params={"limit": 200})
            assert not any(b_id in response.text for b_id in b_ids), f"{principal} sees B's rows at {url}"
        graph = await client.post(
            "/graphql",
            json={
                "query": "{ districts { edges { node { databaseId schools { edges { node { databaseId } } } } } } }"
            },
            headers=headers,
        )
        assert not any(b_id in graph.text for b_id in b_ids), f"{principal} sees B's rows over GraphQL"


def test_every_root_field_has_a_permission_check() -> None:
    """A new query or mutation without `permission_classes` fails here unless it is listed as public."""
    schema = build_schema(Settings(database_url=None))
    unguarded = []
    for type_name in ("Query", "Mutation"):
        definition = schema.get_type_by_name(type_name)
        assert definition is not None
        for field in definition.fields:  # type: ignore[union-attr]
            if field.name in PUBLIC_FIELDS:
                continue
            if not any(check in field.permission_classes for check in AUTHENTICATED):
                unguarded.append(f"{type_name}.{field.name}")
    assert unguarded == [], f"fields without a permission check: {unguarded}"
