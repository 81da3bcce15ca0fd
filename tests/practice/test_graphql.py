"""The GraphQL API for walkthroughs, PDSA cycles, PLC meetings and student feedback, over HTTP: the
mutations and their user errors, the queries and who sees what, and a constant number of SQL statements
for a nested walkthrough query. (Who may never see what is tried at length in test_privacy.py.)"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from app.identity.models import Role
from tests.conftest import GraphQLClient, Tokens, World, count_statements
from tests.initiatives.test_graphql import codes_by_field, error_codes, gid
from tests.plans.test_rest import approved_plan
from tests.practice.helpers import Headers, days, make_staff, monitoring_client, world_person

USER_ERRORS = "userErrors { field message code }"
WALKTHROUGH_FIELDS = (
    "id databaseId practice observedOn observerPersonId planId notes version school { name } "
    "summary { classrooms suppressed developingOrAbove levels { level classrooms share } }"
)
OBSERVATION_FIELDS = "id databaseId teacherPersonId level support note walkthrough { practice }"
CYCLE_FIELDS = "id databaseId planId strategyId question prediction plan done results decision decidedOn revisionId version"
MEETING_FIELDS = "id databaseId schoolId team metOn agenda notes needs sharedWithLeadership version"
RESULT_FIELDS = "id databaseId schoolId teacherPersonId measure period favourableShare respondents"

CREATE_WALKTHROUGH = f"""
mutation($input: CreateWalkthroughInput!) {{
  createWalkthrough(input: $input) {{ walkthrough {{ {WALKTHROUGH_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_WALKTHROUGH = f"""
mutation($input: UpdateWalkthroughInput!) {{
  updateWalkthrough(input: $input) {{ walkthrough {{ {WALKTHROUGH_FIELDS} }} {USER_ERRORS} }}
}}"""
ADD_OBSERVATION = f"""
mutation($input: AddObservationInput!) {{
  addObservation(input: $input) {{ observation {{ {OBSERVATION_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_OBSERVATION = f"""
mutation($input: UpdateObservationInput!) {{
  updateObservation(input: $input) {{ observation {{ {OBSERVATION_FIELDS} }} {USER_ERRORS} }}
}}"""


def remove(field: str) -> str:
    return f"mutation($id: ID!) {{ {field}(input: {{id: $id}}) {{ removedId {USER_ERRORS} }} }}"


WALKTHROUGH = f"""
query($id: ID!) {{ walkthrough(id: $id) {{ {WALKTHROUGH_FIELDS}
  observations {{ edges {{ node {{ {OBSERVATION_FIELDS} }} }} }}
}} }}"""
CREATE_CYCLE = f"""
mutation($input: CreatePdsaCycleInput!) {{
  createPdsaCycle(input: $input) {{ pdsaCycle {{ {CYCLE_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_CYCLE = f"""
mutation($input: UpdatePdsaCycleInput!) {{
  updatePdsaCycle(input: $input) {{ pdsaCycle {{ {CYCLE_FIELDS} }} {USER_ERRORS} }}
}}"""
DECIDE_CYCLE = f"""
mutation($input: DecidePdsaCycleInput!) {{
  decidePdsaCycle(input: $input) {{ pdsaCycle {{ {CYCLE_FIELDS} }} {USER_ERRORS} }}
}}"""
CREATE_MEETING = f"""
mutation($input: CreatePlcMeetingInput!) {{
  createPlcMeeting(input: $input) {{ plcMeeting {{ {MEETING_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_MEETING = f"""
mutation($input: UpdatePlcMeetingInput!) {{
  updatePlcMeeting(input: $input) {{ plcMeeting {{ {MEETING_FIELDS} }} {USER_ERRORS} }}
}}"""
RECORD = f"""
mutation($input: RecordFeedbackResultInput!) {{
  recordFeedbackResult(input: $input) {{ feedbackResult {{ {RESULT_FIELDS} }} created {USER_ERRORS} }}
}}"""
SHARE = f"""
mutation($p: ID!) {{
  shareFeedback(input: {{personId: $p}}) {{ feedbackShare {{ id teacherPersonId personId }} {USER_ERRORS} }}
}}"""


async def call(gql: GraphQLClient, headers: Headers, query: str, **variables: Any) -> dict[str, Any]:
    gql.headers = headers
    return await gql(query, variables)


async def raw(gql: GraphQLClient, headers: Headers, query: str, **variables: Any) -> dict[str, Any]:
    gql.headers = headers
    return await gql.raw(query, variables)


def school(world: World, index: int = 0) -> str:
    return gid("School", world.school_ids("A")[index])


async def create_walkthrough(
    gql: GraphQLClient, headers: Headers, world: World, **fields: Any
) -> dict[str, Any]:
    payload = (
        await call(
            gql,
            headers,
            CREATE_WALKTHROUGH,
            input={"schoolId": school(world), "practice": "Turn and talk", "observedOn": days(-7), **fields},
        )
    )["createWalkthrough"]
    assert payload["userErrors"] == []
    return payload["walkthrough"]


async def add_observation(
    gql: GraphQLClient,
    headers: Headers,
    walkthrough: dict[str, Any],
    person_id: str,
    level: str,
    **fields: Any,
) -> dict[str, Any]:
    payload = (
        await call(
            gql,
            headers,
            ADD_OBSERVATION,
            input={
                "walkthroughId": walkthrough["id"],
                "teacherPersonId": gid("Person", person_id),
                "level": level,
                **fields,
            },
        )
    )["addObservation"]
    assert payload["userErrors"] == []
    return payload["observation"]


# --- walkthroughs -----------------------------------------------------------------------------------


async def test_walkthroughs_through_mutations_and_queries(
    gql: GraphQLClient, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    coach = await tokens.headers("A", Role.COACH)
    teachers = [await make_staff(client, tokens, world, name=f"Teacher {n}") for n in range(3)]
    made = await create_walkthrough(gql, coach, world, notes="After PD")
    assert made["observerPersonId"] == gid("Person", await world_person(client, tokens, world, Role.COACH))
    assert made["summary"] == {
        "classrooms": 0,
        "suppressed": True,
        "developingOrAbove": None,
        "levels": [{"level": level, "classrooms": None, "share": None} for level in LEVELS],
    }
    first = await add_observation(gql, coach, made, teachers[0].person_id, "PROFICIENT")
    await add_observation(
        gql, coach, made, teachers[1].person_id, "BEGINNING", support="COACHING", note="Modelling"
    )
    await add_observation(gql, coach, made, teachers[2].person_id, "DEVELOPING", support="PLC")
    assert first["walkthrough"] == {"practice": "Turn and talk"}

    read = (await call(gql, coach, WALKTHROUGH, id=made["id"]))["walkthrough"]
    # Open: the classrooms seen so far, and no levels until it is closed.
    assert (read["summary"]["classrooms"], read["summary"]["developingOrAbove"]) == (3, None)
    published = await create_walkthrough(gql, coach, world, practice="Exit tickets")
    for teacher, level in zip(teachers, ("PROFICIENT", "BEGINNING", "DEVELOPING"), strict=True):
        await add_observation(gql, coach, published, teacher.person_id, level)
    closed = (
        await call(
            gql,
            coach,
            "mutation($id: ID!) { closeWalkthrough(input: {id: $id}) { walkthrough { id } userErrors { code } } }",
            id=published["id"],
        )
    )["closeWalkthrough"]
    assert closed == {"walkthrough": {"id": published["id"]}, "userErrors": []}
    summary = (await call(gql, coach, WALKTHROUGH, id=published["id"]))["walkthrough"]["summary"]
    assert (summary["classrooms"], summary["developingOrAbove"]) == (3, 0.6667)
    late = await make_staff(client, tokens, world, name="Late")
    refused = (
        await call(
            gql,
            coach,
            ADD_OBSERVATION,
            input={
                "walkthroughId": published["id"],
                "teacherPersonId": gid("Person", late.person_id),
                "level": "BEGINNING",
            },
        )
    )["addObservation"]
    assert codes_by_field(refused["userErrors"]) == [(None, "conflict")]
    assert [e["node"]["level"] for e in read["observations"]["edges"]] == [
        "PROFICIENT",
        "BEGINNING",
        "DEVELOPING",
    ]

    support = (
        await call(
            gql,
            coach,
            "query($w: ID!) { whoNeedsSupport(walkthroughId: $w) { groups { support teachers { teacherName note } } } }",
            w=made["id"],
        )
    )["whoNeedsSupport"]
    assert support["groups"] == [
        {"support": "COACHING", "teachers": [{"teacherName": "Teacher 1", "note": "Modelling"}]},
        {"support": "PLC", "teachers": [{"teacherName": "Teacher 2", "note": None}]},
    ]
    # A teacher reads the walkthrough and their own classroom, not who needs support.
    mine = (await call(gql, teachers[1].headers, WALKTHROUGH, id=made["id"]))["walkthrough"]
    assert [e["node"]["teacherPersonId"] for e in mine["observations"]["edges"]] == [
        gid("Person", teachers[1].person_id)
    ]
    refused = await raw(
        gql,
        teachers[1].headers,
        "query($w: ID!) { whoNeedsSupport(walkthroughId: $w) { walkthroughId } }",
        w=made["id"],
    )
    assert error_codes(refused) == ["forbidden"]
    own = (await call(gql, teachers[1].headers, "{ myObservations { edges { node { level note } } } }"))[
        "myObservations"
    ]
    assert own["edges"] == [
        {"node": {"level": "BEGINNING", "note": "Modelling"}},
        {"node": {"level": "BEGINNING", "note": None}},  # in the closed walkthrough
    ]

    later = await create_walkthrough(gql, coach, world, practice="turn AND talk", observedOn=days(-1))
    trend = (
        await call(
            gql,
            coach,
            "query($w: ID!) { walkthroughTrend(walkthroughId: $w) { practice walkthroughs { walkthroughId classrooms } } }",
            w=later["id"],
        )
    )["walkthroughTrend"]
    assert [w["walkthroughId"] for w in trend["walkthroughs"]] == [made["id"], later["id"]]
    listed = (
        await call(gql, coach, '{ walkthroughs(practice: "TURN and talk") { edges { node { id } } } }')
    )["walkthroughs"]
    assert [e["node"]["id"] for e in listed["edges"]] == [made["id"], later["id"]]

    stale = (
        await call(
            gql, coach, UPDATE_WALKTHROUGH, input={"id": made["id"], "expectedVersion": 9, "notes": "N"}
        )
    )["updateWalkthrough"]
    assert codes_by_field(stale["userErrors"]) == [(None, "stale_version")]
    updated = (
        await call(
            gql, coach, UPDATE_WALKTHROUGH, input={"id": made["id"], "expectedVersion": 1, "notes": "N"}
        )
    )["updateWalkthrough"]
    assert (updated["walkthrough"]["notes"], updated["walkthrough"]["version"]) == ("N", 2)
    changed = (await call(gql, coach, UPDATE_OBSERVATION, input={"id": first["id"], "support": "FEEDBACK"}))[
        "updateObservation"
    ]
    assert changed["observation"]["support"] == "FEEDBACK"
    twice = (
        await call(
            gql,
            coach,
            ADD_OBSERVATION,
            input={
                "walkthroughId": made["id"],
                "teacherPersonId": gid("Person", teachers[0].person_id),
                "level": "BEGINNING",
            },
        )
    )["addObservation"]
    assert codes_by_field(twice["userErrors"]) == [(["input", "teacherPersonId"], "duplicate")]
    by_teacher = (
        await call(
            gql,
            teachers[0].headers,
            ADD_OBSERVATION,
            input={
                "walkthroughId": made["id"],
                "teacherPersonId": gid("Person", teachers[0].person_id),
                "level": "PROFICIENT",
            },
        )
    )["addObservation"]
    assert codes_by_field(by_teacher["userErrors"]) == [(None, "forbidden")]
    removed = (await call(gql, coach, remove("removeObservation"), id=first["id"]))["removeObservation"]
    assert removed == {"removedId": first["id"], "userErrors": []}
    removed = (await call(gql, coach, remove("removeWalkthrough"), id=made["id"]))["removeWalkthrough"]
    assert removed["userErrors"] == []
    assert (await call(gql, coach, WALKTHROUGH, id=made["id"]))["walkthrough"] is None


LEVELS = ["NOT_OBSERVED", "BEGINNING", "DEVELOPING", "PROFICIENT"]

NESTED = """{ walkthroughs(first: 50) { edges { node {
  practice school { name } summary { classrooms levels { share } } observer { displayName }
  observations { edges { node { level walkthrough { practice } teacher { displayName } } } }
} } } }"""


async def test_a_nested_walkthrough_query_issues_a_constant_number_of_statements(
    gql: GraphQLClient, client: httpx.AsyncClient, tokens: Tokens, world: World, app: FastAPI
) -> None:
    coach = await tokens.headers("A", Role.COACH)
    teachers = [await world_person(client, tokens, world, Role.TEACHER)]
    teachers += [(await make_staff(client, tokens, world)).person_id for _ in range(3)]

    async def populate(walkthroughs: int) -> None:
        for _ in range(walkthroughs):
            made = await create_walkthrough(gql, coach, world)
            for person in teachers:
                await add_observation(gql, coach, made, person, "DEVELOPING")

    async def measure() -> tuple[int, dict[str, Any]]:
        gql.headers = coach
        with count_statements(app) as counter:
            data = await gql(NESTED)
        return counter.count, data

    await populate(2)
    small, data = await measure()
    assert len(data["walkthroughs"]["edges"]) == 2
    await populate(4)
    large, data = await measure()
    assert len(data["walkthroughs"]["edges"]) == 6
    assert all(len(e["node"]["observations"]["edges"]) == 4 for e in data["walkthroughs"]["edges"])
    teachers_seen = {
        o["node"]["teacher"]["displayName"]
        for e in data["walkthroughs"]["edges"]
        for o in e["node"]["observations"]["edges"]
    }
    assert len(teachers_seen) == 4
    assert large == small


async def test_observations_narrow_to_one_teacher_as_the_rest_list_does(
    gql: GraphQLClient, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Parity with `GET /walkthroughs/{id}/observations?teacher_person_id=`."""
    coach = await tokens.headers("A", Role.COACH)
    teachers = [(await make_staff(client, tokens, world)).person_id for _ in range(2)]
    made = await create_walkthrough(gql, coach, world)
    for person in teachers:
        await add_observation(gql, coach, made, person, "DEVELOPING")
    query = """query($id: ID!, $teacher: ID) { walkthrough(id: $id) {
      observations(teacherPersonId: $teacher) { edges { node { teacherPersonId } } } } }"""

    async def teachers_seen(teacher: str | None) -> list[str]:
        data = await call(gql, coach, query, id=made["id"], teacher=teacher)
        return [e["node"]["teacherPersonId"] for e in data["walkthrough"]["observations"]["edges"]]

    assert await teachers_seen(gid("Person", teachers[0])) == [gid("Person", teachers[0])]
    assert sorted(await teachers_seen(None)) == sorted(gid("Person", t) for t in teachers)
    # An id of another type names no teacher: nothing, as `node` answers null for it.
    assert await teachers_seen(gid("School", world.school_ids("A")[0])) == []


# --- PDSA cycles ------------------------------------------------------------------------------------


async def test_a_pdsa_cycle_through_graphql(
    gql: GraphQLClient, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    client.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    plan, parts = await approved_plan(client, tokens, world)
    teacher = await tokens.headers("A", Role.TEACHER)
    strategy = gid("Strategy", parts["strategy"]["id"])
    created = (
        await call(
            gql,
            teacher,
            CREATE_CYCLE,
            input={
                "strategyId": strategy,
                "question": "Q?",
                "prediction": "P.",
                "plan": "Pl.",
                "startedOn": days(-30),
            },
        )
    )["createPdsaCycle"]
    assert created["userErrors"] == []
    cycle = created["pdsaCycle"]
    assert (cycle["planId"], cycle["strategyId"], cycle["decision"]) == (
        gid("Plan", plan["id"]),
        strategy,
        None,
    )

    early = (await call(gql, teacher, DECIDE_CYCLE, input={"id": cycle["id"], "decision": "ADOPT"}))[
        "decidePdsaCycle"
    ]
    assert codes_by_field(early["userErrors"]) == [(["input", "results"], "results_required")]
    updated = (
        await call(
            gql,
            teacher,
            UPDATE_CYCLE,
            input={"id": cycle["id"], "expectedVersion": 1, "done": "D", "results": "R"},
        )
    )["updatePdsaCycle"]
    assert updated["pdsaCycle"]["version"] == 2
    frozen = (await call(gql, teacher, UPDATE_CYCLE, input={"id": cycle["id"], "question": "Another?"}))[
        "updatePdsaCycle"
    ]
    assert codes_by_field(frozen["userErrors"]) == [(["input", "question"], "frozen")]

    change = {"op": "UPDATE", "entity": "STRATEGY", "id": strategy, "fields": {"title": "Scaled up"}}
    decided = (
        await call(
            gql,
            teacher,
            DECIDE_CYCLE,
            input={
                "id": cycle["id"],
                "decision": "ADOPT",
                "revision": {"reason": "It worked.", "changes": [change]},
            },
        )
    )["decidePdsaCycle"]
    assert decided["userErrors"] == []
    revision_id = decided["pdsaCycle"]["revisionId"]
    assert decided["pdsaCycle"]["decision"] == "ADOPT"
    revision = (
        await call(
            gql,
            teacher,
            "query($id: ID!) { node(id: $id) { ... on PlanRevision { reason status causedBy { kind targetId } } } }",
            id=revision_id,
        )
    )["node"]
    # The cycle that proposed the revision is its cause, cited without being asked.
    assert revision == {
        "reason": "It worked.",
        "status": "PROPOSED",
        "causedBy": [{"kind": "PDSA_CYCLE", "targetId": cycle["id"]}],
    }

    listed = (
        await call(
            gql,
            teacher,
            "query($p: ID!) { pdsaCycles(planId: $p) { edges { node { id } } } }",
            p=gid("Plan", plan["id"]),
        )
    )["pdsaCycles"]
    assert [e["node"]["id"] for e in listed["edges"]] == [cycle["id"]]
    one = await call(
        gql,
        await tokens.headers("A", Role.SCHOOL_LEADER),
        "query($id: ID!) { pdsaCycle(id: $id) { decision } }",
        id=cycle["id"],
    )
    assert one["pdsaCycle"] == {"decision": "ADOPT"}
    # A coach of the plan's school runs cycles too (it was `forbidden`); a teacher who does not write
    # the plan does not.
    coach = (
        await call(
            gql,
            await tokens.headers("A", Role.COACH),
            CREATE_CYCLE,
            input={"strategyId": strategy, "question": "Q", "prediction": "P", "plan": "Pl"},
        )
    )["createPdsaCycle"]
    assert coach["userErrors"] == []
    assert coach["pdsaCycle"]["planId"] == gid("Plan", plan["id"])
    outsider = await make_staff(client, tokens, world, Role.TEACHER, school=0)
    refused = (
        await call(
            gql,
            outsider.headers,
            CREATE_CYCLE,
            input={"strategyId": strategy, "question": "Q", "prediction": "P", "plan": "Pl"},
        )
    )["createPdsaCycle"]
    assert codes_by_field(refused["userErrors"]) == [(None, "forbidden")]


# --- PLC meetings -----------------------------------------------------------------------------------


async def test_plc_meetings_through_graphql(gql: GraphQLClient, tokens: Tokens, world: World) -> None:
    teacher = await tokens.headers("A", Role.TEACHER)
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    created = (
        await call(
            gql,
            teacher,
            CREATE_MEETING,
            input={
                "schoolId": school(world),
                "team": "Grade 3",
                "metOn": days(-2),
                "notes": "N",
                "needs": ["Data", "data"],
            },
        )
    )["createPlcMeeting"]
    assert created["userErrors"] == []
    meeting = created["plcMeeting"]
    assert (meeting["needs"], meeting["sharedWithLeadership"]) == (["data"], False)
    query = "query($id: ID!) { plcMeeting(id: $id) { notes } }"
    assert (await call(gql, leader, query, id=meeting["id"]))["plcMeeting"] is None
    by_leader = (
        await call(
            gql, leader, CREATE_MEETING, input={"schoolId": school(world), "team": "T", "metOn": days(0)}
        )
    )["createPlcMeeting"]
    assert codes_by_field(by_leader["userErrors"]) == [(None, "forbidden")]

    shared = (
        await call(
            gql,
            teacher,
            UPDATE_MEETING,
            input={"id": meeting["id"], "expectedVersion": 1, "sharedWithLeadership": True},
        )
    )["updatePlcMeeting"]
    assert shared["plcMeeting"]["version"] == 2
    assert (await call(gql, leader, query, id=meeting["id"]))["plcMeeting"] == {"notes": "N"}
    listed = (
        await call(gql, leader, "{ plcMeetings(sharedWithLeadership: true) { edges { node { id } } } }")
    )["plcMeetings"]
    assert [e["node"]["id"] for e in listed["edges"]] == [meeting["id"]]
    needs = (await call(gql, leader, "{ plcNeeds { meetings needs { need meetings teams lastRaisedOn } } }"))[
        "plcNeeds"
    ]
    assert needs == {
        "meetings": 1,
        "needs": [{"need": "data", "meetings": 1, "teams": 1, "lastRaisedOn": days(-2)}],
    }
    refused = await raw(gql, await tokens.headers("A", Role.VIEWER), "{ plcNeeds { meetings } }")
    assert error_codes(refused) == ["forbidden"]
    removed = (await call(gql, teacher, remove("removePlcMeeting"), id=meeting["id"]))["removePlcMeeting"]
    assert removed["userErrors"] == []


# --- student feedback -------------------------------------------------------------------------------


async def test_feedback_through_graphql(
    gql: GraphQLClient, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    teacher = await tokens.headers("A", Role.TEACHER)
    coach = await tokens.headers("A", Role.COACH)
    body = {"measure": "belonging", "period": "2026-fall", "favourableShare": "0.7", "respondents": 20}
    first = (await call(gql, teacher, RECORD, input=body))["recordFeedbackResult"]
    assert first["created"] is True
    result = first["feedbackResult"]
    assert (Decimal(result["favourableShare"]), result["schoolId"]) == (Decimal("0.7"), school(world))
    again = (await call(gql, teacher, RECORD, input={**body, "respondents": 22}))["recordFeedbackResult"]
    assert (again["created"], again["feedbackResult"]["id"], again["feedbackResult"]["respondents"]) == (
        False,
        result["id"],
        22,
    )
    invalid = (await call(gql, teacher, RECORD, input={**body, "favourableShare": "1.5"}))[
        "recordFeedbackResult"
    ]
    assert codes_by_field(invalid["userErrors"]) == [(["input", "favourableShare"], "less_than_equal")]

    mine = (await call(gql, teacher, "{ myFeedbackResults { edges { node { id respondents } } } }"))[
        "myFeedbackResults"
    ]
    assert mine["edges"] == [{"node": {"id": result["id"], "respondents": 22}}]
    one = "query($id: ID!) { feedbackResult(id: $id) { respondents } }"
    assert (await call(gql, coach, one, id=result["id"]))["feedbackResult"] is None

    coach_person = gid("Person", await world_person(client, tokens, world, Role.COACH))
    shared = (await call(gql, teacher, SHARE, p=coach_person))["shareFeedback"]
    assert shared["feedbackShare"]["personId"] == coach_person
    assert (await call(gql, coach, one, id=result["id"]))["feedbackResult"] == {"respondents": 22}
    shares = (await call(gql, coach, "{ feedbackShares { edges { node { id } } } }"))["feedbackShares"]
    assert [e["node"]["id"] for e in shares["edges"]] == [shared["feedbackShare"]["id"]]
    by_coach = (await call(gql, coach, remove("unshareFeedback"), id=shared["feedbackShare"]["id"]))[
        "unshareFeedback"
    ]
    assert codes_by_field(by_coach["userErrors"]) == [(None, "forbidden")]
    withdrawn = (await call(gql, teacher, remove("unshareFeedback"), id=shared["feedbackShare"]["id"]))[
        "unshareFeedback"
    ]
    assert withdrawn["userErrors"] == []
    assert (await call(gql, coach, one, id=result["id"]))["feedbackResult"] is None

    survey = await monitoring_client(client, tokens)
    for n in range(2):
        peer = await make_staff(client, tokens, world, name=f"Peer {n}")
        made = (
            await call(
                gql,
                survey,
                RECORD,
                input={**body, "teacherPersonId": gid("Person", peer.person_id), "schoolId": school(world)},
            )
        )["recordFeedbackResult"]
        assert made["created"] is True
    released = await client.post(
        "/api/v1/releases",
        json={"subject": "feedback", "period": "2026-fall"},
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN),
    )
    assert released.status_code == 201, released.text
    cells = (
        await call(
            gql,
            await tokens.headers("A", Role.SCHOOL_LEADER),
            '{ feedbackAggregates(measure: "belonging") { minCellSize minTeachers cells { measure suppressed favourableShare respondents teachers } } }',
        )
    )["feedbackAggregates"]
    assert cells == {
        "minCellSize": 10,
        "minTeachers": 3,
        "cells": [
            {
                "measure": "belonging",
                "suppressed": False,
                "favourableShare": 0.7,
                "respondents": 62,
                "teachers": 3,
            }
        ],
    }
    refused = await raw(gql, teacher, "{ feedbackAggregates { cells { suppressed } } }")
    assert error_codes(refused) == ["forbidden"]
    removed = (await call(gql, teacher, remove("removeFeedbackResult"), id=result["id"]))[
        "removeFeedbackResult"
    ]
    assert removed["userErrors"] == []
    assert (await call(gql, teacher, one, id=result["id"]))["feedbackResult"] is None


async def test_anonymous_callers_get_nothing(gql: GraphQLClient) -> None:
    for query in (
        "{ walkthroughs { edges { node { id } } } }",
        "{ feedbackResults { edges { node { id } } } }",
        "{ plcNeeds { meetings } }",
        "{ feedbackAggregates { minTeachers } }",
    ):
        assert error_codes(await raw(gql, {}, query)) == ["unauthenticated"]


COUNTED = """query($teacher: ID) { walkthroughs(first: 50) { totalCount edges { node {
  observations(first: 2) { totalCount edges { node { level } } }
  one: observations(first: 2, teacherPersonId: $teacher) { totalCount }
} } } }"""


async def test_nested_lists_count_every_parents_children_as_the_caller_sees_them_in_one_statement(
    gql: GraphQLClient, client: httpx.AsyncClient, tokens: Tokens, world: World, app: FastAPI
) -> None:
    """`totalCount` on a list nested in a list: each walkthrough's whole list of observations, whatever
    the page, by one grouped statement for all walkthroughs of the level (the statement count does not
    grow with them), narrowed exactly as the items are: a teacher counts only their own classroom, as
    they read only their own observations."""
    coach = await tokens.headers("A", Role.COACH)
    teacher = await tokens.headers("A", Role.TEACHER)
    teachers = [await world_person(client, tokens, world, Role.TEACHER)]
    teachers += [(await make_staff(client, tokens, world)).person_id for _ in range(3)]

    async def populate(walkthroughs: int) -> None:
        for _ in range(walkthroughs):
            made = await create_walkthrough(gql, coach, world)
            for person in teachers:
                await add_observation(gql, coach, made, person, "DEVELOPING")

    async def measure(headers: Headers) -> tuple[int, list[dict[str, Any]]]:
        gql.headers = headers
        with count_statements(app) as counter:
            data = await gql(COUNTED, {"teacher": gid("Person", teachers[1])})
        assert data["walkthroughs"]["totalCount"] == len(data["walkthroughs"]["edges"])
        return counter.count, [edge["node"] for edge in data["walkthroughs"]["edges"]]

    await populate(2)
    small, nodes = await measure(coach)
    assert [(n["observations"]["totalCount"], len(n["observations"]["edges"])) for n in nodes] == [(4, 2)] * 2
    assert [n["one"]["totalCount"] for n in nodes] == [1, 1]
    await populate(4)
    large, nodes = await measure(coach)
    assert [n["observations"]["totalCount"] for n in nodes] == [4] * 6
    assert large == small

    _, nodes = await measure(teacher)
    assert nodes, "the teacher reads the walkthroughs of their school"
    assert [(n["observations"]["totalCount"], len(n["observations"]["edges"])) for n in nodes] == [
        (1, 1)
    ] * len(nodes)
    assert [n["one"]["totalCount"] for n in nodes] == [0] * len(nodes)  # another's classroom: none
