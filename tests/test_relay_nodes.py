"""Every GraphQL type with an id is a Relay `Node`: `node(id:)` answers it to whoever reads it and null
to everyone else, another district's caller above all. Its global id is the one its fields always
carried (`Indicator:<uuid>`, …), so clients that stored ids keep them.

The objects come from the demo seeds (written through the services as the district's operator), in
district A; B's callers of the same role must get null.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from strawberry import relay

from app.auth.principal import SYSTEM
from app.core.db import session_scope
from app.demo import seed_engagement, seed_initiatives, seed_plans
from app.engagement.models import Input, InputLink
from app.identity.models import Role, RoleAssignment, User
from app.initiatives.graphql import SUBJECT_TYPES
from app.initiatives.models import CapacityItem, Indicator, InitiativeStakeholder, StageChange, StanceChange
from app.plans.models import AcceptedRisk, Evidence, Plan, PlanCollaborator, PlanSignOff, SignOffKind
from app.practice.models import FeedbackShare
from tests.conftest import GraphQLClient, Tokens, World

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"

# GraphQL type name -> (model, the role of A that reads it)
CASES: dict[str, tuple[Any, Role]] = {
    "Indicator": (Indicator, Role.DISTRICT_LEADER),
    "InitiativeStakeholder": (InitiativeStakeholder, Role.DISTRICT_LEADER),
    "CapacityItem": (CapacityItem, Role.DISTRICT_LEADER),
    "Evidence": (Evidence, Role.DISTRICT_LEADER),
    "PlanCollaborator": (PlanCollaborator, Role.DISTRICT_LEADER),
    "InputLink": (InputLink, Role.DISTRICT_LEADER),
    "FeedbackShare": (FeedbackShare, Role.TEACHER),
    "RoleAssignment": (RoleAssignment, Role.DISTRICT_ADMIN),
    "PlanSignOff": (PlanSignOff, Role.DISTRICT_LEADER),
    "AcceptedRisk": (AcceptedRisk, Role.DISTRICT_LEADER),
    "StageChange": (StageChange, Role.DISTRICT_LEADER),
    "StanceChange": (StanceChange, Role.DISTRICT_LEADER),
}


async def _seed(app: FastAPI, world: World) -> dict[str, uuid.UUID]:
    """One object of each kind in district A, by GraphQL type name."""
    district_id = world.district_id("A")
    async with session_scope(app.state.session_factory, SYSTEM) as session:
        await seed_initiatives(session, district_id)
        await seed_engagement(session, district_id)
        await seed_plans(session, district_id)
        teacher = await session.scalar(
            select(User.person_id).where(User.id == world.user("A", Role.TEACHER)[0])
        )
        coach = await session.scalar(select(User.person_id).where(User.id == world.user("A", Role.COACH)[0]))
        session.add(FeedbackShare(district_id=district_id, teacher_person_id=teacher, person_id=coach))
        plan_id = await session.scalar(select(Plan.id).where(Plan.district_id == district_id).limit(1))
        input_id = await session.scalar(select(Input.id).where(Input.district_id == district_id).limit(1))
        session.add(
            PlanSignOff(
                district_id=district_id, plan_id=plan_id, kind=SignOffKind.REVIEW, signed_by_kind="user"
            )
        )
        session.add(
            AcceptedRisk(
                district_id=district_id,
                plan_id=plan_id,
                input_id=input_id,
                reason="R",
                accepted_by_kind="user",
            )
        )
    found: dict[str, uuid.UUID] = {}
    async with session_scope(app.state.session_factory, SYSTEM) as session:
        for type_name, (model, _) in CASES.items():
            row_id = await session.scalar(select(model.id).where(model.district_id == district_id).limit(1))
            assert row_id is not None, type_name
            found[type_name] = row_id
    return found


@pytest.mark.parametrize("caller_district", ["A", "B"])
async def test_each_type_with_an_id_is_a_node_for_its_readers_only(
    app: FastAPI, world: World, gql: GraphQLClient, tokens: Tokens, caller_district: str
) -> None:
    ids = await _seed(app, world)
    for type_name, (_, role) in CASES.items():
        global_id = str(relay.GlobalID(type_name, str(ids[type_name])))
        gql.headers = await tokens.headers(caller_district, role)
        found = (await gql(NODE, {"id": global_id}))["node"]
        if caller_district == "A":
            assert found == {"__typename": type_name, "id": global_id}, type_name
        else:
            assert found is None, type_name


async def test_a_node_of_the_district_answers_null_to_a_caller_who_may_not_read_it(
    app: FastAPI, world: World, gql: GraphQLClient, tokens: Tokens
) -> None:
    """Readable parts follow their whole: a viewer reads initiatives but not the authorizing
    environment; a coach is not party to a teacher's share with someone else; only account managers
    see role assignments."""
    ids = await _seed(app, world)
    refused = {
        "InitiativeStakeholder": Role.VIEWER,
        "StanceChange": Role.VIEWER,
        "RoleAssignment": Role.TEACHER,
    }
    for type_name, role in refused.items():
        gql.headers = await tokens.headers("A", role)
        global_id = str(relay.GlobalID(type_name, str(ids[type_name])))
        assert (await gql(NODE, {"id": global_id}))["node"] is None, type_name
    gql.headers = await tokens.headers("A", Role.SCHOOL_LEADER)
    share = str(relay.GlobalID("FeedbackShare", str(ids["FeedbackShare"])))
    assert (await gql(NODE, {"id": share}))["node"] is None
    gql.headers = await tokens.headers("A", Role.COACH)
    assert (await gql(NODE, {"id": share}))["node"] == {"__typename": "FeedbackShare", "id": share}


FINDINGS = """
{ initiatives(first: 20) { edges { node { triangle { corners { findings { code subjects subjectIds } } } } } } }"""
STANCES = """
query($id: ID!) { node(id: $id) { ... on InitiativeStakeholder { stanceHistory(first: 50) { edges { node {
    activityId activityGlobalId recordedByKind recordedById recordedByGlobalId } } } } } }"""
CREATE_SCHOOL = """
mutation($input: CreateSchoolInput!) { createSchool(input: $input) { school { id databaseId } userErrors { code } } }"""
AUDIT = """
query($entity: ID, $actor: ID, $entityId: UUID) {
  auditEvents(first: 200, entityGlobalId: $entity, actorGlobalId: $actor, entityId: $entityId) {
    edges { node { action entityType entityId entityGlobalId actorKind actorId actorGlobalId } }
  }
}"""


def _uuid_of(global_id: str) -> str:
    return relay.GlobalID.from_id(global_id).node_id


async def test_triangle_findings_name_their_subjects_by_global_id(
    app: FastAPI, world: World, gql: GraphQLClient, tokens: Tokens
) -> None:
    await _seed(app, world)
    gql.headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    data = await gql(FINDINGS)
    findings = [
        finding
        for edge in data["initiatives"]["edges"]
        for corner in edge["node"]["triangle"]["corners"]
        for finding in corner["findings"]
        if finding["subjects"]
    ]
    assert len({f["code"] for f in findings}) >= 3
    for finding in findings:
        assert [_uuid_of(s) for s in finding["subjectIds"]] == finding["subjects"]
        for subject in finding["subjectIds"]:
            found = (await gql(NODE, {"id": subject}))["node"]
            assert found == {"__typename": SUBJECT_TYPES[finding["code"]], "id": subject}


def test_every_finding_with_subjects_says_what_they_are() -> None:
    """A rule whose finding names subjects has their GraphQL type in `SUBJECT_TYPES`."""
    root = Path(__file__).parent.parent / "app"
    source = (root / "initiatives" / "findings.py").read_text() + (
        root / "engagement" / "findings.py"
    ).read_text()
    blocks = re.split(r"\byield Finding\(", source)[1:]
    assert len(blocks) >= 10
    for block in blocks:
        body = block.split("\n        )", 1)[0]
        code = re.search(r'code="([a-z_.]+)"', body)
        assert code is not None
        if "subjects=" in body:
            assert code.group(1) in SUBJECT_TYPES, code.group(1)


async def test_stance_changes_name_their_activity_and_recorder_by_global_id(
    app: FastAPI, world: World, gql: GraphQLClient, tokens: Tokens
) -> None:
    """One stance recorded at an activity by the district leader, beside the operator's seeded ones."""
    from app.engagement.models import Activity
    from app.initiatives.models import Stance, StanceChange

    ids = await _seed(app, world)
    district_id = world.district_id("A")
    leader_id = world.user("A", Role.DISTRICT_LEADER)[0]
    async with session_scope(app.state.session_factory, SYSTEM) as session:
        activity_id = await session.scalar(
            select(Activity.id).where(Activity.district_id == district_id).limit(1)
        )
        session.add(
            StanceChange(
                district_id=district_id,
                initiative_stakeholder_id=ids["InitiativeStakeholder"],
                from_stance=None,
                to_stance=Stance.SUPPORTIVE,
                activity_id=activity_id,
                recorded_by_kind="user",
                recorded_by_id=leader_id,
            )
        )
    gql.headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    placement = str(relay.GlobalID("InitiativeStakeholder", str(ids["InitiativeStakeholder"])))
    data = await gql(STANCES, {"id": placement})
    changes = [edge["node"] for edge in data["node"]["stanceHistory"]["edges"]]
    at_activity = [change for change in changes if change["activityId"] is not None]
    assert [change["activityId"] for change in at_activity] == [str(activity_id)]
    activity = str(relay.GlobalID("Activity", str(activity_id)))
    assert at_activity[0]["activityGlobalId"] == activity
    assert at_activity[0]["recordedByGlobalId"] == str(relay.GlobalID("User", str(leader_id)))
    assert (await gql(NODE, {"id": activity}))["node"] == {"__typename": "Activity", "id": activity}
    for change in changes:
        if change["activityId"] is None:
            assert change["activityGlobalId"] is None
        if change["recordedByKind"] == "system":  # the demo seeds write as the operator
            assert change["recordedByGlobalId"] is None


async def test_audit_events_name_entity_and_actor_by_global_id_and_filter_by_them(
    world: World, gql: GraphQLClient, tokens: Tokens
) -> None:
    gql.headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    district = str(relay.GlobalID("District", str(world.district_id("A"))))
    created = await gql(CREATE_SCHOOL, {"input": {"districtId": district, "name": "A Middle"}})
    school = created["createSchool"]["school"]
    admin = str(relay.GlobalID("User", str(world.user("A", Role.DISTRICT_ADMIN)[0])))

    events = (await gql(AUDIT, {"entity": school["id"]}))["auditEvents"]["edges"]
    assert [e["node"]["action"] for e in events] == ["school.create"]
    event = events[0]["node"]
    assert (event["entityType"], event["entityId"], event["entityGlobalId"]) == (
        "school",
        school["databaseId"],
        school["id"],
    )
    assert (event["actorKind"], event["actorGlobalId"]) == ("user", admin)
    assert _uuid_of(event["actorGlobalId"]) == event["actorId"]
    assert (await gql(NODE, {"id": event["actorGlobalId"]}))["node"] == {"__typename": "User", "id": admin}

    # The filters meet: by actor too; by someone else, or a type that is never written, nothing.
    assert len((await gql(AUDIT, {"entity": school["id"], "actor": admin}))["auditEvents"]["edges"]) == 1
    someone_else = str(relay.GlobalID("User", str(world.user("A", Role.TEACHER)[0])))
    assert (await gql(AUDIT, {"entity": school["id"], "actor": someone_else}))["auditEvents"]["edges"] == []
    not_written = str(relay.GlobalID("TriangleFinding", school["databaseId"]))
    assert (await gql(AUDIT, {"entity": not_written}))["auditEvents"]["edges"] == []
    # The deprecated UUID filter still answers, and disagreeing with the global id answers nothing.
    assert len((await gql(AUDIT, {"entityId": school["databaseId"]}))["auditEvents"]["edges"]) == 1
    other = str(uuid.uuid4())
    assert (await gql(AUDIT, {"entity": school["id"], "entityId": other}))["auditEvents"]["edges"] == []


def test_no_field_names_another_object_by_a_bare_uuid_without_a_global_id_beside_it() -> None:
    """Every `UUID` output field is a row's own `databaseId`, deprecated next to its global id, or one
    of the few that name what has no `Node` (webhook subscriptions and deliveries, a removed row)."""
    schema_text = (Path(__file__).parent.parent / "schema" / "schema.graphql").read_text()
    no_node = {"deletedId", "eventId", "apiClientId", "targetDatabaseId", "id"}
    bare: list[str] = []
    lines = schema_text.splitlines()
    for line in lines:
        match = re.match(r"^  (\w+): \[?UUID", line)
        if match is None or match.group(1) == "databaseId" or match.group(1) in no_node:
            continue
        if "@deprecated" not in line:
            bare.append(match.group(1))
    assert bare == []


COUNTED = """
query($after: String) {
  initiatives(first: 2, after: $after) {
    totalCount pageInfo { endCursor }
    edges { node { stakeholders(first: 1) { totalCount edges { cursor } } } }
  }
  auditEvents(first: 1) { totalCount edges { cursor } }
}"""


async def test_top_level_connections_count_the_whole_list_whatever_the_page(
    app: FastAPI, world: World, gql: GraphQLClient, tokens: Tokens
) -> None:
    from app.audit.models import AuditEvent
    from app.initiatives.models import Initiative

    await _seed(app, world)
    district_id = world.district_id("A")
    async with session_scope(app.state.session_factory, SYSTEM) as session:
        initiatives = await session.scalar(
            select(func.count()).select_from(Initiative).where(Initiative.district_id == district_id)
        )
        events = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.district_id == district_id)
        )
    assert initiatives is not None
    assert initiatives > 2
    gql.headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    first = await gql(COUNTED)
    assert first["initiatives"]["totalCount"] == initiatives
    assert first["auditEvents"]["totalCount"] == events
    # Nested connections count too (one grouped statement for the level), whatever their page size.
    nested = [edge["node"]["stakeholders"] for edge in first["initiatives"]["edges"]]
    assert all(isinstance(n["totalCount"], int) and n["totalCount"] >= len(n["edges"]) for n in nested)
    assert any(n["totalCount"] > len(n["edges"]) for n in nested)
    after = first["initiatives"]["pageInfo"]["endCursor"]
    second = await gql(COUNTED, {"after": after})
    assert second["initiatives"]["totalCount"] == initiatives
    # Another district's caller counts only its own.
    gql.headers = await tokens.headers("B", Role.DISTRICT_ADMIN)
    assert (await gql(COUNTED))["initiatives"]["totalCount"] == 0
