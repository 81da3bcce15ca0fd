"""The GraphQL API for co-creation and co-production, over HTTP: recording an activity, who took part,
what they said and what became of it through mutations; user errors that write nothing; who sees which
activities and whose identity; the reports; and one SQL statement per level of a nested query.

Callers are district A's district leader unless a test says otherwise.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.models import utcnow
from app.identity.models import Role, User
from tests.conftest import GraphQLClient, Tokens, World, count_statements
from tests.initiatives.test_graphql import (
    ADD_CAPACITY_ITEM,
    codes_by_field,
    create_initiative,
    create_stakeholder,
    error_codes,
    gid,
    place,
)

USER_ERRORS = "userErrors { field message code }"
ACTIVITY_FIELDS = (
    "id databaseId mode kind title heldOn status participationLevel summary published version "
    "initiative { title } school { name }"
)
PARTICIPATION_FIELDS = "id role attended mayBeNamed stakeholder { name } personId"
INPUT_FIELDS = (
    "id kind text disposition reason response respondedAt version participation { id } "
    "changed { id target targetId fieldName note }"
)

CREATE_ACTIVITY = f"""
mutation($input: CreateActivityInput!) {{
  createActivity(input: $input) {{ activity {{ {ACTIVITY_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_ACTIVITY = f"""
mutation($input: UpdateActivityInput!) {{
  updateActivity(input: $input) {{ activity {{ {ACTIVITY_FIELDS} }} {USER_ERRORS} }}
}}"""
ADD_PARTICIPATION = f"""
mutation($input: AddParticipationInput!) {{
  addParticipation(input: $input) {{ participation {{ {PARTICIPATION_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_PARTICIPATION = f"""
mutation($input: UpdateParticipationInput!) {{
  updateParticipation(input: $input) {{ participation {{ {PARTICIPATION_FIELDS} }} {USER_ERRORS} }}
}}"""
REMOVE_PARTICIPATION = f"""
mutation($id: ID!) {{ removeParticipation(input: {{id: $id}}) {{ removedId {USER_ERRORS} }} }}"""
ADD_INPUT = f"""
mutation($input: AddInputInput!) {{ addInput(input: $input) {{ input {{ {INPUT_FIELDS} }} {USER_ERRORS} }} }}"""
UPDATE_INPUT = f"""
mutation($input: UpdateInputInput!) {{
  updateInput(input: $input) {{ input {{ {INPUT_FIELDS} }} {USER_ERRORS} }}
}}"""
LINK_INPUT = f"""
mutation($input: LinkInputInput!) {{
  linkInput(input: $input) {{ inputLink {{ id target targetId fieldName note inputId }} {USER_ERRORS} }}
}}"""
UNLINK_INPUT = f"""
mutation($id: ID!) {{ unlinkInput(input: {{id: $id}}) {{ removedId {USER_ERRORS} }} }}"""
ACTIVITY = f"""
query($id: ID!) {{ activity(id: $id) {{ {ACTIVITY_FIELDS}
  participations {{ edges {{ node {{ {PARTICIPATION_FIELDS} }} }} }}
  inputs {{ edges {{ node {{ {INPUT_FIELDS} }} }} }}
}} }}"""
YOU_SAID_WE_DID = """
query($id: ID!) { youSaidWeDid(initiativeId: $id) {
  initiativeId totalInputs respondedShare medianDaysToResponse
  groups { disposition inputs { id inputId kind text activityTitle contributor reason response
    changed { target fieldName } } }
} }"""
REPRESENTATION = """
query($id: ID!) { representation(initiativeId: $id) {
  initiativeId environmentCategories coCreation coProduction missingFromCoCreation missingFromCoProduction
  neverTookPart
} }"""
NESTED = """
{ initiatives(first: 10) { edges { node { title
    activities(first: 10) { edges { node { title
        participations(first: 10) { edges { node { role stakeholder { name } } } }
        inputs(first: 10) { edges { node { text changed { target fieldName } } } }
    } } }
} } } }"""

PAST = (utcnow().date() - timedelta(days=7)).isoformat()
FUTURE = (utcnow().date() + timedelta(days=7)).isoformat()


@pytest.fixture
async def leader(gql: GraphQLClient, tokens: Tokens) -> GraphQLClient:
    gql.headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    return gql


async def person_of(session: AsyncSession, world: World, district: str, role: Role) -> str:
    """The global id of the person behind one of the world's accounts."""
    user_id, _ = world.user(district, role)
    person_id = await session.scalar(select(User.person_id).where(User.id == user_id))
    return gid("Person", person_id)


async def create_activity(gql: GraphQLClient, title: str = "Design session", **fields: Any) -> dict:
    values = {
        "mode": "CO_CREATION",
        "kind": "DESIGN_SESSION",
        "title": title,
        "heldOn": PAST,
        "participationLevel": "INVOLVE",
        **fields,
    }
    payload = (await gql(CREATE_ACTIVITY, {"input": values}))["createActivity"]
    assert payload["userErrors"] == []
    return payload["activity"]


async def add_participation(gql: GraphQLClient, activity_id: str, **fields: Any) -> dict:
    payload = (await gql(ADD_PARTICIPATION, {"input": {"activityId": activity_id, **fields}}))[
        "addParticipation"
    ]
    assert payload["userErrors"] == []
    return payload["participation"]


async def add_input(
    gql: GraphQLClient, activity_id: str, participation_id: str, text: str = "Hold it on Saturdays."
) -> dict:
    payload = (
        await gql(
            ADD_INPUT,
            {
                "input": {
                    "activityId": activity_id,
                    "participationId": participation_id,
                    "kind": "IDEA",
                    "text": text,
                }
            },
        )
    )["addInput"]
    assert payload["userErrors"] == []
    return payload["input"]


async def read_activity(gql: GraphQLClient, activity_id: str) -> dict | None:
    return (await gql(ACTIVITY, {"id": activity_id}))["activity"]


async def activity_titles(gql: GraphQLClient, **filters: Any) -> list[str]:
    arguments = ", ".join(f"{name}: {value}" for name, value in filters.items())
    query = f"{{ activities{f'({arguments})' if arguments else ''} {{ edges {{ node {{ title }} }} }} }}"
    return [edge["node"]["title"] for edge in (await gql(query))["activities"]["edges"]]


def nodes(connection: dict) -> list[dict]:
    return [edge["node"] for edge in connection["edges"]]


# --- the record, mutation by mutation ------------------------------------------------------------------


async def test_a_leader_records_an_activity_who_took_part_what_they_said_and_what_became_of_it(
    leader: GraphQLClient, session: AsyncSession, world: World
) -> None:
    school = gid("School", world.school_ids("A")[0])
    initiative = await create_initiative(leader, schoolId=school)
    parents = await create_stakeholder(leader, "Parent association", "FAMILY", isGroup=True)
    union = await create_stakeholder(leader, "Teachers' union", "UNION", isGroup=True)
    parents_placement = (await place(leader, initiative["id"], parents["id"]))["placement"]
    await place(leader, initiative["id"], union["id"])

    activity = await create_activity(leader, initiativeId=initiative["id"], summary="First session.")
    assert activity["school"] == {"name": "A Elementary"}  # the initiative's school
    assert activity["initiative"] == {"title": "Family reading nights"}
    assert (activity["mode"], activity["kind"], activity["status"], activity["participationLevel"]) == (
        "CO_CREATION",
        "DESIGN_SESSION",
        "PLANNED",
        "INVOLVE",
    )
    assert (activity["heldOn"], activity["version"], activity["published"]) == (PAST, 1, False)

    named = await add_participation(leader, activity["id"], stakeholderId=parents["id"], mayBeNamed=True)
    assert named["stakeholder"] == {"name": "Parent association"}
    assert (named["role"], named["attended"], named["mayBeNamed"], named["personId"]) == (
        "PARTICIPANT",
        True,
        True,
        None,
    )
    member = await person_of(session, world, "A", Role.COMMUNITY_MEMBER)
    person = await add_participation(leader, activity["id"], personId=member, role="OBSERVER")
    assert (person["personId"], person["stakeholder"], person["role"]) == (member, None, "OBSERVER")

    held = (
        await leader(
            UPDATE_ACTIVITY, {"input": {"id": activity["id"], "expectedVersion": 1, "status": "HELD"}}
        )
    )["updateActivity"]
    assert held["userErrors"] == []
    assert (held["activity"]["status"], held["activity"]["version"]) == ("HELD", 2)
    # Attending a held INVOLVE activity raised the parents' recorded level in the initiative.
    levels = await leader(
        "query($id: ID!) { node(id: $id) { ... on Initiative { "
        "stakeholders { edges { node { id participationLevel } } } } } }",
        {"id": initiative["id"]},
    )
    assert {"id": parents_placement["id"], "participationLevel": "INVOLVE"} in nodes(
        levels["node"]["stakeholders"]
    )

    idea = await add_input(leader, activity["id"], named["id"])
    assert (idea["kind"], idea["disposition"], idea["version"], idea["respondedAt"]) == (
        "IDEA",
        "OPEN",
        1,
        None,
    )
    assert idea["participation"] == {"id": named["id"]}
    answered = (
        await leader(
            UPDATE_INPUT,
            {
                "input": {
                    "id": idea["id"],
                    "expectedVersion": 1,
                    "disposition": "ADOPTED",
                    "response": "Saturday mornings it is.",
                }
            },
        )
    )["updateInput"]
    assert answered["userErrors"] == []
    assert (answered["input"]["disposition"], answered["input"]["version"]) == ("ADOPTED", 2)
    assert answered["input"]["response"] == "Saturday mornings it is."
    assert answered["input"]["respondedAt"] is not None

    item = (
        await leader(
            ADD_CAPACITY_ITEM,
            {
                "input": {
                    "initiativeId": initiative["id"],
                    "category": "SKILLS",
                    "description": "Weekend staff",
                }
            },
        )
    )["addCapacityItem"]["capacityItem"]
    field_link = (
        await leader(
            LINK_INPUT,
            {
                "input": {
                    "inputId": idea["id"],
                    "target": "INITIATIVE_FIELD",
                    "targetId": initiative["id"],
                    "fieldName": "summary",
                    "note": "Now says Saturdays.",
                }
            },
        )
    )["linkInput"]
    assert field_link["userErrors"] == []
    assert field_link["inputLink"]["targetId"] == initiative["id"]
    assert field_link["inputLink"]["inputId"] == idea["id"]
    item_link = (
        await leader(
            LINK_INPUT,
            {"input": {"inputId": idea["id"], "target": "CAPACITY_ITEM", "targetId": item["id"]}},
        )
    )["linkInput"]
    assert item_link["userErrors"] == []

    found = await read_activity(leader, activity["id"])
    assert found is not None
    assert [p["id"] for p in nodes(found["participations"])] == [named["id"], person["id"]]
    [recorded] = nodes(found["inputs"])
    assert recorded["changed"] == [
        {
            "id": field_link["inputLink"]["id"],
            "target": "INITIATIVE_FIELD",
            "targetId": initiative["id"],
            "fieldName": "summary",
            "note": "Now says Saturdays.",
        },
        {
            "id": item_link["inputLink"]["id"],
            "target": "CAPACITY_ITEM",
            "targetId": item["id"],
            "fieldName": None,
            "note": None,
        },
    ]

    by_node = await leader(
        "query($a: ID!, $p: ID!, $i: ID!) { a: node(id: $a) { ... on Activity { title } } "
        "p: node(id: $p) { ... on Participation { role activity { title } } } "
        "i: node(id: $i) { ... on Input { text activity { title } } } }",
        {"a": activity["id"], "p": named["id"], "i": idea["id"]},
    )
    assert by_node == {
        "a": {"title": "Design session"},
        "p": {"role": "PARTICIPANT", "activity": {"title": "Design session"}},
        "i": {"text": "Hold it on Saturdays.", "activity": {"title": "Design session"}},
    }
    on_initiative = await leader(
        "query($id: ID!) { initiative(id: $id) { activities { edges { node { title status } } } } }",
        {"id": initiative["id"]},
    )
    assert nodes(on_initiative["initiative"]["activities"]) == [{"title": "Design session", "status": "HELD"}]

    report = (await leader(YOU_SAID_WE_DID, {"id": initiative["id"]}))["youSaidWeDid"]
    assert (report["initiativeId"], report["totalInputs"], report["respondedShare"]) == (
        initiative["id"],
        1,
        1.0,
    )
    assert report["medianDaysToResponse"] == 7.0  # from the session a week ago, not from the typing
    [group] = report["groups"]
    assert group["disposition"] == "ADOPTED"
    assert group["inputs"] == [
        {
            "id": idea["id"],
            "inputId": idea["id"],
            "kind": "IDEA",
            "text": "Hold it on Saturdays.",
            "activityTitle": "Design session",
            "contributor": "Parent association",
            "reason": None,
            "response": "Saturday mornings it is.",
            "changed": [
                {"target": "INITIATIVE_FIELD", "fieldName": "summary"},
                {"target": "CAPACITY_ITEM", "fieldName": None},
            ],
        }
    ]
    representation = (await leader(REPRESENTATION, {"id": initiative["id"]}))["representation"]
    assert representation == {
        "initiativeId": initiative["id"],
        "environmentCategories": ["FAMILY", "UNION"],
        "coCreation": ["FAMILY"],
        "coProduction": [],
        "missingFromCoCreation": ["UNION"],
        "missingFromCoProduction": ["FAMILY", "UNION"],
        "neverTookPart": ["UNION"],
    }

    unlinked = (await leader(UNLINK_INPUT, {"id": item_link["inputLink"]["id"]}))["unlinkInput"]
    assert unlinked == {"removedId": item_link["inputLink"]["id"], "userErrors": []}
    changed = (await leader(UPDATE_PARTICIPATION, {"input": {"id": person["id"], "attended": False}}))[
        "updateParticipation"
    ]
    assert changed["userErrors"] == []
    assert (changed["participation"]["attended"], changed["participation"]["role"]) == (False, "OBSERVER")
    with_inputs = (await leader(REMOVE_PARTICIPATION, {"id": named["id"]}))["removeParticipation"]
    assert with_inputs["removedId"] is None
    assert codes_by_field(with_inputs["userErrors"]) == [(None, "conflict")]
    removed = (await leader(REMOVE_PARTICIPATION, {"id": person["id"]}))["removeParticipation"]
    assert removed == {"removedId": person["id"], "userErrors": []}

    after = await read_activity(leader, activity["id"])
    assert after is not None
    assert [p["id"] for p in nodes(after["participations"])] == [named["id"]]
    assert [link["target"] for link in nodes(after["inputs"])[0]["changed"]] == ["INITIATIVE_FIELD"]


async def test_activities_are_filtered_by_initiative_mode_and_status(leader: GraphQLClient) -> None:
    initiative = await create_initiative(leader)
    await create_activity(leader, "Design session", initiativeId=initiative["id"], status="HELD")
    await create_activity(leader, "Co-taught lesson", mode="CO_PRODUCTION", kind="CO_TEACHING")
    await create_activity(
        leader, "Listening session", kind="LISTENING_SESSION", initiativeId=initiative["id"]
    )

    assert await activity_titles(leader) == ["Design session", "Co-taught lesson", "Listening session"]
    assert await activity_titles(leader, initiativeId=f'"{initiative["id"]}"') == [
        "Design session",
        "Listening session",
    ]
    assert await activity_titles(leader, mode="CO_PRODUCTION") == ["Co-taught lesson"]
    assert await activity_titles(leader, status="HELD") == ["Design session"]
    assert await activity_titles(leader, initiativeId=f'"{initiative["id"]}"', status="CANCELLED") == []
    first_page = await leader(
        "{ activities(first: 2) { edges { cursor } pageInfo { hasNextPage endCursor } } }"
    )
    page_info = first_page["activities"]["pageInfo"]
    assert page_info["hasNextPage"] is True
    rest = await leader(
        "query($after: String) { activities(first: 2, after: $after) { edges { node { title } } } }",
        {"after": page_info["endCursor"]},
    )
    assert nodes(rest["activities"]) == [{"title": "Listening session"}]
    assert (await leader("query($id: ID!) { activity(id: $id) { id } }", {"id": initiative["id"]}))[
        "activity"
    ] is None


# --- user errors write nothing -------------------------------------------------------------------------


async def test_an_input_to_a_cancelled_activity_is_a_user_error_and_records_nothing(
    leader: GraphQLClient,
) -> None:
    activity = await create_activity(leader)
    parents = await create_stakeholder(leader, "Parent association")
    participation = await add_participation(leader, activity["id"], stakeholderId=parents["id"])
    cancelled = (await leader(UPDATE_ACTIVITY, {"input": {"id": activity["id"], "status": "CANCELLED"}}))[
        "updateActivity"
    ]
    assert cancelled["activity"]["status"] == "CANCELLED"

    payload = (
        await leader(
            ADD_INPUT,
            {
                "input": {
                    "activityId": activity["id"],
                    "participationId": participation["id"],
                    "kind": "CONCERN",
                    "text": "Nobody came.",
                }
            },
        )
    )["addInput"]
    wrong_type = (
        await leader(
            ADD_INPUT,
            {
                "input": {
                    "activityId": activity["id"],
                    "participationId": activity["id"],
                    "kind": "CONCERN",
                    "text": "Nobody came.",
                }
            },
        )
    )["addInput"]
    newcomer = (
        await leader(
            ADD_PARTICIPATION,
            {
                "input": {
                    "activityId": activity["id"],
                    "stakeholderId": (await create_stakeholder(leader, "Late"))["id"],
                }
            },
        )
    )["addParticipation"]

    assert payload["input"] is None
    assert codes_by_field(payload["userErrors"]) == [(["input", "activityId"], "activity_not_held")]
    assert codes_by_field(wrong_type["userErrors"]) == [(["input", "participationId"], "not_found")]
    assert codes_by_field(newcomer["userErrors"]) == [(["input", "activityId"], "activity_cancelled")]
    found = await read_activity(leader, activity["id"])
    assert found is not None
    assert nodes(found["inputs"]) == []
    assert [p["id"] for p in nodes(found["participations"])] == [participation["id"]]


async def test_declining_an_input_without_a_reason_is_a_user_error_and_changes_nothing(
    leader: GraphQLClient,
) -> None:
    activity = await create_activity(leader, status="HELD")
    parents = await create_stakeholder(leader, "Parent association")
    participation = await add_participation(leader, activity["id"], stakeholderId=parents["id"])
    idea = await add_input(leader, activity["id"], participation["id"])

    declined = (await leader(UPDATE_INPUT, {"input": {"id": idea["id"], "disposition": "DECLINED"}}))[
        "updateInput"
    ]

    assert declined["input"] is None
    assert codes_by_field(declined["userErrors"]) == [(["input", "reason"], "reason_required")]
    [unchanged] = nodes((await read_activity(leader, activity["id"]))["inputs"])  # type: ignore[index]
    assert (unchanged["disposition"], unchanged["version"], unchanged["reason"]) == ("OPEN", 1, None)

    with_reason = (
        await leader(
            UPDATE_INPUT,
            {"input": {"id": idea["id"], "disposition": "DECLINED", "reason": "The building is closed."}},
        )
    )["updateInput"]
    assert with_reason["userErrors"] == []
    assert (with_reason["input"]["disposition"], with_reason["input"]["version"]) == ("DECLINED", 2)
    final = (await leader(UPDATE_INPUT, {"input": {"id": idea["id"], "disposition": "ADOPTED"}}))[
        "updateInput"
    ]
    assert codes_by_field(final["userErrors"]) == [(["input", "disposition"], "illegal_transition")]


async def test_a_participant_from_another_district_is_not_found_and_nobody_is_added(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    activity = await create_activity(leader)
    a_headers = leader.headers
    leader.headers = await tokens.headers("B", Role.DISTRICT_LEADER)
    theirs = await create_stakeholder(leader, "B's union", "UNION")
    leader.headers = a_headers
    their_person = await person_of(session, world, "B", Role.TEACHER)

    by_stakeholder = (
        await leader(
            ADD_PARTICIPATION, {"input": {"activityId": activity["id"], "stakeholderId": theirs["id"]}}
        )
    )["addParticipation"]
    by_person = (
        await leader(ADD_PARTICIPATION, {"input": {"activityId": activity["id"], "personId": their_person}})
    )["addParticipation"]
    neither = (await leader(ADD_PARTICIPATION, {"input": {"activityId": activity["id"]}}))["addParticipation"]

    assert by_stakeholder["participation"] is None
    assert codes_by_field(by_stakeholder["userErrors"]) == [(["input", "stakeholderId"], "not_found")]
    assert codes_by_field(by_person["userErrors"]) == [(["input", "personId"], "not_found")]
    assert codes_by_field(neither["userErrors"]) == [
        (["input", "stakeholderId"], "one_of"),
        (["input", "personId"], "one_of"),
    ]
    assert nodes((await read_activity(leader, activity["id"]))["participations"]) == []  # type: ignore[index]


async def test_a_stale_expected_version_is_a_user_error_and_changes_nothing(leader: GraphQLClient) -> None:
    activity = await create_activity(leader)
    parents = await create_stakeholder(leader, "Parent association")
    renamed = (
        await leader(
            UPDATE_ACTIVITY,
            {
                "input": {
                    "id": activity["id"],
                    "expectedVersion": 1,
                    "title": "Design session 1",
                    "status": "HELD",
                }
            },
        )
    )["updateActivity"]
    assert renamed["userErrors"] == []
    participation = await add_participation(leader, activity["id"], stakeholderId=parents["id"])
    idea = await add_input(leader, activity["id"], participation["id"])
    await leader(UPDATE_INPUT, {"input": {"id": idea["id"], "disposition": "UNDER_CONSIDERATION"}})

    stale_activity = (
        await leader(
            UPDATE_ACTIVITY, {"input": {"id": activity["id"], "expectedVersion": 1, "title": "Lost"}}
        )
    )["updateActivity"]
    stale_input = (
        await leader(
            UPDATE_INPUT,
            {
                "input": {
                    "id": idea["id"],
                    "expectedVersion": 1,
                    "disposition": "DEFERRED",
                    "response": "Lost",
                }
            },
        )
    )["updateInput"]

    assert stale_activity["activity"] is None
    assert codes_by_field(stale_activity["userErrors"]) == [(None, "stale_version")]
    assert stale_input["input"] is None
    assert codes_by_field(stale_input["userErrors"]) == [(None, "stale_version")]
    found = await read_activity(leader, activity["id"])
    assert found is not None
    assert (found["title"], found["version"]) == ("Design session 1", 2)
    [unchanged] = nodes(found["inputs"])
    assert (unchanged["disposition"], unchanged["response"], unchanged["version"]) == (
        "UNDER_CONSIDERATION",
        None,
        2,
    )


async def test_a_held_activity_in_the_future_and_a_foreign_link_target_are_user_errors(
    leader: GraphQLClient,
) -> None:
    future = (
        await leader(
            CREATE_ACTIVITY,
            {
                "input": {
                    "mode": "CO_CREATION",
                    "kind": "SURVEY",
                    "title": "Survey",
                    "heldOn": FUTURE,
                    "participationLevel": "CONSULT",
                    "status": "HELD",
                }
            },
        )
    )["createActivity"]
    assert future["activity"] is None
    assert codes_by_field(future["userErrors"]) == [(["input", "heldOn"], "held_in_future")]
    assert await activity_titles(leader) == []

    initiative = await create_initiative(leader)
    other = await create_initiative(leader, "Another initiative")
    activity = await create_activity(leader, initiativeId=initiative["id"], status="HELD")
    parents = await create_stakeholder(leader, "Parent association")
    participation = await add_participation(leader, activity["id"], stakeholderId=parents["id"])
    idea = await add_input(leader, activity["id"], participation["id"])

    elsewhere = (
        await leader(
            LINK_INPUT,
            {
                "input": {
                    "inputId": idea["id"],
                    "target": "INITIATIVE_FIELD",
                    "targetId": other["id"],
                    "fieldName": "title",
                }
            },
        )
    )["linkInput"]
    unknown_field = (
        await leader(
            LINK_INPUT,
            {
                "input": {
                    "inputId": idea["id"],
                    "target": "INITIATIVE_FIELD",
                    "targetId": initiative["id"],
                    "fieldName": "id",
                }
            },
        )
    )["linkInput"]

    assert elsewhere["inputLink"] is None
    assert codes_by_field(elsewhere["userErrors"]) == [(["input", "targetId"], "not_found")]
    assert codes_by_field(unknown_field["userErrors"]) == [(["input", "fieldName"], "unknown_field")]
    [unlinked] = nodes((await read_activity(leader, activity["id"]))["inputs"])  # type: ignore[index]
    assert unlinked["changed"] == []


# --- who sees what ------------------------------------------------------------------------------------


async def test_the_community_sees_published_activities_and_those_it_took_part_in(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    school = gid("School", world.school_ids("A")[0])
    member = await person_of(session, world, "A", Role.COMMUNITY_MEMBER)
    await create_activity(leader, "Published session", published=True)
    staff_only = await create_activity(leader, "Staff session")
    await create_activity(leader, "School session", schoolId=school)
    theirs = await create_activity(leader, "Their session", status="HELD")
    own = await add_participation(leader, theirs["id"], personId=member)
    parents = await create_stakeholder(leader, "Parent association")
    someone_else = await add_participation(leader, theirs["id"], stakeholderId=parents["id"])

    leader.headers = await tokens.headers("A", Role.TEACHER)
    assert await activity_titles(leader) == ["Published session", "School session"]

    leader.headers = await tokens.headers("A", Role.COMMUNITY_MEMBER)
    assert await activity_titles(leader) == ["Published session", "Their session"]
    assert await read_activity(leader, staff_only["id"]) is None
    assert (await leader("query($id: ID!) { node(id: $id) { id } }", {"id": staff_only["id"]}))[
        "node"
    ] is None

    # They contribute through their own participation, not through someone else's.
    mine = await add_input(leader, theirs["id"], own["id"], "More evening sessions.")
    assert mine["participation"] == {"id": own["id"]}
    as_someone = (
        await leader(
            ADD_INPUT,
            {
                "input": {
                    "activityId": theirs["id"],
                    "participationId": someone_else["id"],
                    "kind": "IDEA",
                    "text": "Not mine to say.",
                }
            },
        )
    )["addInput"]
    assert as_someone["input"] is None
    assert codes_by_field(as_someone["userErrors"]) == [(None, "forbidden")]
    # Nor do they run the activity.
    renamed = (await leader(UPDATE_ACTIVITY, {"input": {"id": theirs["id"], "title": "Mine now"}}))[
        "updateActivity"
    ]
    assert codes_by_field(renamed["userErrors"]) == [(None, "forbidden")]
    created = (
        await leader(
            CREATE_ACTIVITY,
            {
                "input": {
                    "mode": "CO_CREATION",
                    "kind": "SURVEY",
                    "title": "Mine",
                    "heldOn": PAST,
                    "participationLevel": "CONSULT",
                }
            },
        )
    )["createActivity"]
    assert codes_by_field(created["userErrors"]) == [(None, "forbidden")]
    assert await activity_titles(leader) == ["Published session", "Their session"]


async def test_contributors_are_hidden_unless_named_from_those_who_do_not_run_the_work(
    leader: GraphQLClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    initiative = await create_initiative(leader, published=True)
    activity = await create_activity(leader, initiativeId=initiative["id"], status="HELD", published=True)
    named_group = await create_stakeholder(leader, "Parent association", "FAMILY", isGroup=True)
    unnamed_group = await create_stakeholder(
        leader, "Neighbourhood council", "COMMUNITY_ORGANIZATION", isGroup=True
    )
    named = await add_participation(leader, activity["id"], stakeholderId=named_group["id"], mayBeNamed=True)
    unnamed = await add_participation(leader, activity["id"], stakeholderId=unnamed_group["id"])
    member = await person_of(session, world, "A", Role.COMMUNITY_MEMBER)
    own = await add_participation(leader, activity["id"], personId=member)
    for participation, text in [(named, "Named idea"), (unnamed, "Unnamed idea"), (own, "Own idea")]:
        await add_input(leader, activity["id"], participation["id"], text)

    everything = await read_activity(leader, activity["id"])
    assert everything is not None
    assert [p["id"] for p in nodes(everything["participations"])] == [named["id"], unnamed["id"], own["id"]]
    assert [p["stakeholder"] for p in nodes(everything["participations"])] == [
        {"name": "Parent association"},
        {"name": "Neighbourhood council"},
        None,
    ]
    assert [i["text"] for i in nodes(everything["inputs"])] == ["Named idea", "Unnamed idea", "Own idea"]
    staff_report = (await leader(YOU_SAID_WE_DID, {"id": initiative["id"]}))["youSaidWeDid"]
    assert [i["contributor"] for i in staff_report["groups"][0]["inputs"]] == [
        "Parent association",
        "Neighbourhood council",
        "Grace Mbeki",
    ]

    leader.headers = await tokens.headers("A", Role.COMMUNITY_MEMBER)
    # No error: the community does not see the authorizing environment, so a stakeholder reads as null.
    seen = await read_activity(leader, activity["id"])
    assert seen is not None
    assert [(p["id"], p["stakeholder"]) for p in nodes(seen["participations"])] == [
        (named["id"], None),
        (own["id"], None),
    ]
    assert [i["text"] for i in nodes(seen["inputs"])] == ["Named idea", "Own idea"]
    hidden = await leader("query($id: ID!) { node(id: $id) { id } }", {"id": unnamed["id"]})
    assert hidden["node"] is None
    # Everyone's input reaches them in "you said, we did", named only with consent (or to themselves).
    report = (await leader(YOU_SAID_WE_DID, {"id": initiative["id"]}))["youSaidWeDid"]
    assert report["totalInputs"] == 3
    [group] = report["groups"]
    assert [(i["text"], i["contributor"]) for i in group["inputs"]] == [
        ("Named idea", "Parent association"),
        ("Unnamed idea", None),
        ("Own idea", "Grace Mbeki"),  # their own, named to them
    ]
    representation = await leader.raw(REPRESENTATION, {"id": initiative["id"]})
    assert error_codes(representation) == ["forbidden"]
    assert representation["data"] == {"representation": None}

    leader.headers = await tokens.headers("B", Role.DISTRICT_LEADER)
    assert await read_activity(leader, activity["id"]) is None
    assert (await leader(YOU_SAID_WE_DID, {"id": initiative["id"]}))["youSaidWeDid"] is None
    assert (await leader(REPRESENTATION, {"id": initiative["id"]}))["representation"] is None


# --- no N+1 -------------------------------------------------------------------------------------------


@pytest.mark.long
async def test_a_nested_query_costs_the_same_statements_for_1x1x1x1_or_3x3x3x3(
    app: FastAPI, leader: GraphQLClient
) -> None:
    """initiatives; their activities; participations (readable activities, then participations);
    inputs (the same two); stakeholders by id; the links of the inputs: one batch per level."""

    async def statements() -> tuple[list[str], dict[str, Any]]:
        with count_statements(app) as counter:
            data = await leader(NESTED)
        return counter.statements, data

    async def populate(initiative: dict, activities: int, participants: int, inputs_each: int) -> None:
        for a in range(activities):
            activity = await create_activity(
                leader, f"{initiative['title']} / {a}", initiativeId=initiative["id"], status="HELD"
            )
            tag = f"{initiative['databaseId']}-{a}"
            made = await leader(
                " ".join(
                    ["mutation {"]
                    + [
                        f'p{p}: createStakeholder(input: {{name: "S{tag}-{p}", category: FAMILY}}) '
                        "{ stakeholder { id } userErrors { code } }"
                        for p in range(participants)
                    ]
                    + ["}"]
                )
            )
            participations = [
                await add_participation(
                    leader, activity["id"], stakeholderId=made[f"p{p}"]["stakeholder"]["id"]
                )
                for p in range(participants)
            ]
            said = await leader(
                " ".join(
                    ["mutation {"]
                    + [
                        f'i{p}_{n}: addInput(input: {{activityId: "{activity["id"]}", '
                        f'participationId: "{participation["id"]}", kind: IDEA, text: "Idea {n}"}}) '
                        "{ input { id } userErrors { code } }"
                        for p, participation in enumerate(participations)
                        for n in range(inputs_each)
                    ]
                    + ["}"]
                )
            )
            linked = await leader(
                " ".join(
                    ["mutation {"]
                    + [
                        f'{alias}: linkInput(input: {{inputId: "{payload["input"]["id"]}", '
                        f'target: INITIATIVE_FIELD, targetId: "{initiative["id"]}", fieldName: "summary"}}) '
                        "{ userErrors { code } }"
                        for alias, payload in said.items()
                    ]
                    + ["}"]
                )
            )
            assert all(payload["userErrors"] == [] for payload in [*said.values(), *linked.values()])

    first = await create_initiative(leader, "Initiative 0")
    await populate(first, 1, 1, 1)
    small, data = await statements()
    [initiative] = nodes(data["initiatives"])
    [activity] = nodes(initiative["activities"])
    assert [p["stakeholder"]["name"] for p in nodes(activity["participations"])] != [None]
    assert [i["changed"] for i in nodes(activity["inputs"])] == [
        [{"target": "INITIATIVE_FIELD", "fieldName": "summary"}]
    ]

    for i in range(1, 4):
        await populate(await create_initiative(leader, f"Initiative {i}"), 3, 3, 3)
    large, data = await statements()
    initiatives = nodes(data["initiatives"])
    assert [len(nodes(i["activities"])) for i in initiatives] == [1, 3, 3, 3]
    activities = [a for i in initiatives[1:] for a in nodes(i["activities"])]
    assert [len(nodes(a["participations"])) for a in activities] == [3] * 9
    assert [len(nodes(a["inputs"])) for a in activities] == [9] * 9
    assert all(p["stakeholder"]["name"] for a in activities for p in nodes(a["participations"]))
    assert all(len(i["changed"]) == 1 for a in activities for i in nodes(a["inputs"]))

    assert len(small) == len(large) == 8, large
    assert [statement.lstrip().split()[0].upper() for statement in large] == ["SELECT"] * 8


VOICES = """
query($id: ID!) { representation(initiativeId: $id) {
  coCreation coProduction
  stakeholdersNeverTookPart { stakeholderId name category }
  people { mode people suppressed }
  peopleByKind { mode kind people suppressed }
  breakdown { mode dimension value people suppressed }
  expectedGroups { dimension value heardInCoCreation heardInCoProduction }
} }"""
CREATE_PERSON_WITH = """
mutation($input: CreatePersonInput!) { createPerson(input: $input) {
  person { id preferredLanguage neighbourhood communityRole tags } userErrors { field code } } }"""
EXPECT_GROUPS = """
mutation($input: UpdateDistrictInput!) { updateDistrict(input: $input) {
  district { expectedGroups { dimension value } } userErrors { field code } } }"""


async def test_representation_counts_and_names_voices_over_graphql(
    leader: GraphQLClient, tokens: Tokens, world: World, session: AsyncSession
) -> None:
    """The same report as REST, from the same service: teachers who came as people count, a mapped group
    that never came is named, people are counted and broken down (small cells hidden), and the groups
    the district expects to hear from are said heard or not."""
    admin_headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    leader_headers = leader.headers
    initiative = await create_initiative(leader)
    circle = await create_stakeholder(leader, "Spanish-speaking parents circle", "FAMILY", isGroup=True)
    parents = await create_stakeholder(leader, "Parent association", "FAMILY", isGroup=True)
    for stakeholder in (circle, parents):
        await place(leader, initiative["id"], stakeholder["id"])
    design = await create_activity(leader, initiativeId=initiative["id"], status="HELD")
    await add_participation(leader, design["id"], stakeholderId=parents["id"])
    leader.headers = admin_headers
    people = []
    for i in range(4):
        made = (
            await leader(
                CREATE_PERSON_WITH,
                {
                    "input": {
                        "displayName": f"Familia {i}",
                        "kind": "FAMILY",
                        "preferredLanguage": "es",
                        "neighbourhood": "Eastside" if i else None,
                        "tags": ["newcomer"] if i == 0 else [],
                    }
                },
            )
        )["createPerson"]
        assert made["userErrors"] == []
        people.append(made["person"])
    assert people[1]["preferredLanguage"] == "es"
    assert people[0]["tags"] == ["newcomer"]
    district = gid("District", world.district_id("A"))
    groups = [{"dimension": "PREFERRED_LANGUAGE", "value": "es"}, {"dimension": "TAG", "value": "IEP parent"}]
    changed = (await leader(EXPECT_GROUPS, {"input": {"id": district, "expectedGroups": groups}}))[
        "updateDistrict"
    ]
    assert changed == {"district": {"expectedGroups": groups}, "userErrors": []}
    twice = (await leader(EXPECT_GROUPS, {"input": {"id": district, "expectedGroups": groups * 2}}))[
        "updateDistrict"
    ]
    assert twice["district"] is None
    assert twice["userErrors"][0]["field"][:2] == ["input", "expectedGroups"]
    leader.headers = leader_headers
    for person in people:
        await add_participation(leader, design["id"], personId=person["id"])
    plc = await create_activity(
        leader,
        "Co-led PLC",
        initiativeId=initiative["id"],
        status="HELD",
        mode="CO_PRODUCTION",
        kind="CO_LED_PLC",
    )
    await add_participation(leader, plc["id"], personId=await person_of(session, world, "A", Role.TEACHER))

    report = (await leader(VOICES, {"id": initiative["id"]}))["representation"]
    assert (report["coCreation"], report["coProduction"]) == (["FAMILY"], ["TEACHER"])
    assert report["stakeholdersNeverTookPart"] == [
        {"stakeholderId": circle["id"], "name": "Spanish-speaking parents circle", "category": "FAMILY"}
    ]
    assert report["people"] == [
        {"mode": "CO_CREATION", "people": 4, "suppressed": False},
        {"mode": "CO_PRODUCTION", "people": None, "suppressed": True},
    ]
    assert {"mode": "CO_CREATION", "kind": "FAMILY", "people": 4, "suppressed": False} in report[
        "peopleByKind"
    ]
    cells = {(c["mode"], c["dimension"], c["value"]): c["people"] for c in report["breakdown"]}
    assert cells[("CO_CREATION", "PREFERRED_LANGUAGE", "es")] == 4
    # One of the four has no neighbourhood recorded: that cell is hidden, and with the total shown, so is
    # the other (4 - 3 would give it away).
    assert cells[("CO_CREATION", "NEIGHBOURHOOD", None)] is None
    assert cells[("CO_CREATION", "NEIGHBOURHOOD", "Eastside")] is None
    assert cells[("CO_CREATION", "TAG", "newcomer")] is None
    assert report["expectedGroups"] == [
        {
            "dimension": "PREFERRED_LANGUAGE",
            "value": "es",
            "heardInCoCreation": True,
            "heardInCoProduction": False,
        },
        {"dimension": "TAG", "value": "IEP parent", "heardInCoCreation": False, "heardInCoProduction": False},
    ]


async def test_nested_inputs_take_the_rest_lists_disposition_filter(
    leader: GraphQLClient, client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession, world: World
) -> None:
    """Parity: what `GET /activities/{id}/inputs?disposition=` narrows to, `Activity.inputs(disposition:)`
    answers, batched per filter value across activities."""
    activities = [await create_activity(leader, f"Session {n}", status="HELD", heldOn=PAST) for n in (1, 2)]
    teacher = await person_of(session, world, "A", Role.TEACHER)
    adopted: list[str] = []
    for activity in activities:
        took_part = await add_participation(leader, activity["id"], personId=teacher, mayBeNamed=True)
        kept = await add_input(leader, activity["id"], took_part["id"], "Keep the Saturday slot.")
        await add_input(leader, activity["id"], took_part["id"], "Add a bus.")
        payload = (
            await leader(
                UPDATE_INPUT, {"input": {"id": kept["id"], "disposition": "ADOPTED", "response": "Done."}}
            )
        )["updateInput"]
        assert payload["userErrors"] == []
        adopted.append(kept["id"])

    query = """query($a: ID!, $b: ID!) { a: node(id: $a) { ...Inputs } b: node(id: $b) { ...Inputs } }
    fragment Inputs on Activity {
      adopted: inputs(disposition: ADOPTED) { edges { node { id databaseId } } }
      every: inputs { edges { node { id } } }
    }"""
    data = await leader(query, {"a": activities[0]["id"], "b": activities[1]["id"]})
    found = [data["a"], data["b"]]
    assert [[e["node"]["id"] for e in a["adopted"]["edges"]] for a in found] == [[i] for i in adopted]
    assert [len(a["every"]["edges"]) for a in found] == [2, 2]
    headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    for activity, shown in zip(activities, found, strict=True):
        rest = await client.get(
            f"/api/v1/activities/{activity['databaseId']}/inputs",
            params={"disposition": "adopted"},
            headers=headers,
        )
        assert [i["id"] for i in rest.json()["items"]] == [
            e["node"]["databaseId"] for e in shown["adopted"]["edges"]
        ]
