"""The GraphQL API for initiatives and their authorizing environment, over HTTP: building an initiative
through mutations, user errors that write nothing, who sees what, the triangle, and one SQL statement
per level of a nested query.

Callers are district A's district leader unless a test says otherwise.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from strawberry import relay

from app.identity.models import Role
from tests.conftest import GraphQLClient, Tokens, World, count_statements

USER_ERRORS = "userErrors { field message code }"
INITIATIVE_FIELDS = "id databaseId title publicValue stage version published school { name }"

CREATE_INITIATIVE = f"""
mutation($input: CreateInitiativeInput!) {{
  createInitiative(input: $input) {{ initiative {{ {INITIATIVE_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_INITIATIVE = f"""
mutation($input: UpdateInitiativeInput!) {{
  updateInitiative(input: $input) {{ initiative {{ {INITIATIVE_FIELDS} }} {USER_ERRORS} }}
}}"""
ADD_MEASURE = f"""
mutation($input: AddMeasureInput!) {{
  addMeasure(input: $input) {{ measure {{ id databaseId name unit direction baselineValue }} {USER_ERRORS} }}
}}"""
ADD_CAPACITY_ITEM = f"""
mutation($input: AddCapacityItemInput!) {{
  addCapacityItem(input: $input) {{ capacityItem {{ id category description status }} {USER_ERRORS} }}
}}"""
CREATE_STAKEHOLDER = f"""
mutation($input: CreateStakeholderInput!) {{
  createStakeholder(input: $input) {{ stakeholder {{ id databaseId name category }} {USER_ERRORS} }}
}}"""
PLACE_STAKEHOLDER = f"""
mutation($input: PlaceStakeholderInput!) {{
  placeStakeholder(input: $input) {{
    placement {{ id power interest stance stakeholder {{ name }} }} {USER_ERRORS}
  }}
}}"""
UPDATE_PLACEMENT = f"""
mutation($input: UpdatePlacementInput!) {{
  updatePlacement(input: $input) {{ placement {{ id stance version }} {USER_ERRORS} }}
}}"""
INITIATIVE = f"query($id: ID!) {{ initiative(id: $id) {{ {INITIATIVE_FIELDS} }} }}"
PLACEMENTS = """
query($id: ID!) { initiative(id: $id) { stakeholders { edges { node { power stakeholder { name } } } } } }"""
TITLES = "{ initiatives { edges { node { title } } } }"
TRIANGLE = """
query($id: ID!) { initiative(id: $id) {
  triangle { weakest corners { corner score findings { code corner severity explanation subjects } } }
} }"""
NESTED = """
{ initiatives { edges { node { title
    measures { edges { node { name } } }
    stakeholders { edges { node { power stakeholder { name }
        stanceHistory { edges { node { toStance } } } } } }
} } } }"""


def gid(type_name: str, row_id: object) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


def codes_by_field(errors: list[dict[str, Any]]) -> list[tuple[list[str] | None, str]]:
    return [(error["field"], error["code"]) for error in errors]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@pytest.fixture
async def leader(gql: GraphQLClient, tokens: Tokens) -> GraphQLClient:
    gql.headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    return gql


async def create_initiative(gql: GraphQLClient, title: str = "Family reading nights", **fields: Any) -> dict:
    payload = (
        await gql(
            CREATE_INITIATIVE,
            {"input": {"title": title, "publicValue": "Every child reads with a grown-up.", **fields}},
        )
    )["createInitiative"]
    assert payload["userErrors"] == []
    return payload["initiative"]


async def add_measure(gql: GraphQLClient, initiative_id: str, name: str = "Families attending") -> dict:
    payload = (
        await gql(
            ADD_MEASURE,
            {
                "input": {
                    "initiativeId": initiative_id,
                    "name": name,
                    "unit": "% of families",
                    "direction": "INCREASE",
                    "baselineValue": "12.5",
                    "targetValue": "40",
                }
            },
        )
    )["addMeasure"]
    assert payload["userErrors"] == []
    return payload["measure"]


async def create_stakeholder(gql: GraphQLClient, name: str, category: str = "FAMILY", **fields: Any) -> dict:
    payload = (await gql(CREATE_STAKEHOLDER, {"input": {"name": name, "category": category, **fields}}))[
        "createStakeholder"
    ]
    assert payload["userErrors"] == []
    return payload["stakeholder"]


async def place(gql: GraphQLClient, initiative_id: str, stakeholder_id: str, **fields: Any) -> dict:
    values = {"power": 3, "interest": 4, "stance": "NEUTRAL", **fields}
    return (
        await gql(
            PLACE_STAKEHOLDER,
            {"input": {"initiativeId": initiative_id, "stakeholderId": stakeholder_id, **values}},
        )
    )["placeStakeholder"]


async def change_stance(gql: GraphQLClient, placement_id: str, stance: str, evidence: str) -> dict:
    payload = (
        await gql(UPDATE_PLACEMENT, {"input": {"id": placement_id, "stance": stance, "evidence": evidence}})
    )["updatePlacement"]
    assert payload["userErrors"] == []
    return payload["placement"]


async def read_initiative(gql: GraphQLClient, initiative_id: str) -> dict | None:
    return (await gql(INITIATIVE, {"id": initiative_id}))["initiative"]


async def placed_names(gql: GraphQLClient, initiative_id: str) -> list[str]:
    data = await gql(PLACEMENTS, {"id": initiative_id})
    return [edge["node"]["stakeholder"]["name"] for edge in data["initiative"]["stakeholders"]["edges"]]


async def titles(gql: GraphQLClient) -> list[str]:
    return [edge["node"]["title"] for edge in (await gql(TITLES))["initiatives"]["edges"]]


# --- building an initiative ---------------------------------------------------------------------------


async def test_a_district_leader_builds_an_initiative_and_its_authorizing_environment(
    leader: GraphQLClient,
) -> None:
    initiative = await create_initiative(leader)
    assert initiative["stage"] == "EXPLORING"
    assert initiative["version"] == 1
    assert relay.GlobalID.from_id(initiative["id"]).type_name == "Initiative"

    measure = await add_measure(leader, initiative["id"])
    assert measure["direction"] == "INCREASE"
    assert Decimal(measure["baselineValue"]) == Decimal("12.5")
    capacity = (
        await leader(
            ADD_CAPACITY_ITEM,
            {"input": {"initiativeId": initiative["id"], "category": "PEOPLE", "description": "Volunteers"}},
        )
    )["addCapacityItem"]
    assert capacity["userErrors"] == []
    assert capacity["capacityItem"]["status"] == "MISSING"

    union = await create_stakeholder(leader, "Teachers' union", "UNION", isGroup=True, formalAuthority=True)
    parents = await create_stakeholder(leader, "Parent association", "FAMILY", isGroup=True)
    placed_union = await place(leader, initiative["id"], union["id"], power=5, interest=4, stance="SKEPTICAL")
    placed_parents = await place(
        leader, initiative["id"], parents["id"], power=2, interest=5, stance="CHAMPION", keyAuthorizer=False
    )
    assert placed_union["userErrors"] == []
    assert placed_parents["userErrors"] == []
    assert placed_union["placement"]["stakeholder"] == {"name": "Teachers' union"}
    moved = await change_stance(
        leader, placed_union["placement"]["id"], "SUPPORTIVE", "Voted to back it at the March meeting."
    )
    assert moved["version"] == 2

    data = await leader(
        """query($id: ID!) { initiative(id: $id) {
            title
            measures { edges { node { name unit } } }
            capacityItems { edges { node { category description } } }
            stakeholders { edges { node { power interest stance stakeholder { name formalAuthority }
                stanceHistory { edges { node { fromStance toStance evidence recordedByKind } } } } } }
            authorizingEnvironment {
                quadrants { keyPlayers { stakeholder { name } } keepSatisfied { stakeholder { name } }
                            keepInformed { stakeholder { name } } monitor { stakeholder { name } } }
                stanceCounts { stance count }
            }
        } }""",
        {"id": initiative["id"]},
    )
    found = data["initiative"]
    assert found["measures"]["edges"] == [{"node": {"name": "Families attending", "unit": "% of families"}}]
    assert found["capacityItems"]["edges"] == [{"node": {"category": "PEOPLE", "description": "Volunteers"}}]
    union_node, parents_node = (edge["node"] for edge in found["stakeholders"]["edges"])
    assert union_node["stakeholder"] == {"name": "Teachers' union", "formalAuthority": True}
    assert union_node["stance"] == "SUPPORTIVE"
    assert [edge["node"] for edge in union_node["stanceHistory"]["edges"]] == [
        {"fromStance": None, "toStance": "SKEPTICAL", "evidence": None, "recordedByKind": "user"},
        {
            "fromStance": "SKEPTICAL",
            "toStance": "SUPPORTIVE",
            "evidence": "Voted to back it at the March meeting.",
            "recordedByKind": "user",
        },
    ]
    assert parents_node["stakeholder"]["name"] == "Parent association"
    environment = found["authorizingEnvironment"]
    assert environment["quadrants"] == {
        "keyPlayers": [{"stakeholder": {"name": "Teachers' union"}}],
        "keepSatisfied": [],
        "keepInformed": [{"stakeholder": {"name": "Parent association"}}],
        "monitor": [],
    }
    counts = {entry["stance"]: entry["count"] for entry in environment["stanceCounts"]}
    assert counts == {"OPPOSED": 0, "SKEPTICAL": 0, "NEUTRAL": 0, "SUPPORTIVE": 1, "CHAMPION": 1}

    by_node = await leader(
        "query($a: ID!, $b: ID!) { a: node(id: $a) { ... on Initiative { title } } "
        "b: node(id: $b) { ... on Stakeholder { name } } }",
        {"a": initiative["id"], "b": union["id"]},
    )
    assert by_node == {"a": {"title": "Family reading nights"}, "b": {"name": "Teachers' union"}}


async def test_a_stale_expected_version_is_a_user_error_and_changes_nothing(leader: GraphQLClient) -> None:
    initiative = await create_initiative(leader)
    renamed = (
        await leader(
            UPDATE_INITIATIVE,
            {"input": {"id": initiative["id"], "expectedVersion": 1, "title": "Reading nights"}},
        )
    )["updateInitiative"]
    assert renamed["userErrors"] == []
    assert renamed["initiative"]["version"] == 2

    stale = (
        await leader(
            UPDATE_INITIATIVE,
            {"input": {"id": initiative["id"], "expectedVersion": 1, "title": "Lost update"}},
        )
    )["updateInitiative"]

    assert stale["initiative"] is None
    assert codes_by_field(stale["userErrors"]) == [(None, "stale_version")]
    after = await read_initiative(leader, initiative["id"])
    assert after is not None
    assert (after["title"], after["version"]) == ("Reading nights", 2)


async def test_an_illegal_stage_transition_is_a_user_error_on_the_stage(leader: GraphQLClient) -> None:
    initiative = await create_initiative(leader)

    skipped = (await leader(UPDATE_INITIATIVE, {"input": {"id": initiative["id"], "stage": "IMPLEMENTING"}}))[
        "updateInitiative"
    ]
    assert skipped["initiative"] is None
    assert codes_by_field(skipped["userErrors"]) == [(["input", "stage"], "illegal_transition")]
    assert (await read_initiative(leader, initiative["id"]))["stage"] == "EXPLORING"  # type: ignore[index]

    forward = (await leader(UPDATE_INITIATIVE, {"input": {"id": initiative["id"], "stage": "CO_DESIGNING"}}))[
        "updateInitiative"
    ]
    assert forward["userErrors"] == []
    assert (forward["initiative"]["stage"], forward["initiative"]["version"]) == ("CO_DESIGNING", 2)


async def test_a_power_out_of_range_is_a_validation_user_error_and_places_no_one(
    leader: GraphQLClient,
) -> None:
    initiative = await create_initiative(leader)
    board = await create_stakeholder(leader, "School board", "BOARD", isGroup=True)

    payload = await place(leader, initiative["id"], board["id"], power=9)

    assert payload["placement"] is None
    assert codes_by_field(payload["userErrors"]) == [(["input", "power"], "less_than_equal")]
    assert await placed_names(leader, initiative["id"]) == []


async def test_placing_another_districts_stakeholder_is_not_found_and_writes_nothing(
    leader: GraphQLClient, tokens: Tokens
) -> None:
    initiative = await create_initiative(leader)
    a_headers = leader.headers
    leader.headers = await tokens.headers("B", Role.DISTRICT_LEADER)
    theirs = await create_stakeholder(leader, "B's union", "UNION")
    leader.headers = a_headers

    payload = await place(leader, initiative["id"], theirs["id"])
    wrong_type = await place(leader, initiative["id"], initiative["id"])

    assert payload["placement"] is None
    assert codes_by_field(payload["userErrors"]) == [(["input", "stakeholderId"], "not_found")]
    assert codes_by_field(wrong_type["userErrors"]) == [(["input", "stakeholderId"], "not_found")]
    assert await placed_names(leader, initiative["id"]) == []
    assert (await leader("query($id: ID!) { node(id: $id) { id } }", {"id": theirs["id"]}))["node"] is None


async def test_measures_capacity_stakeholders_and_placements_change_and_go(leader: GraphQLClient) -> None:
    initiative = await create_initiative(leader)
    measure = await add_measure(leader, initiative["id"])
    item = (
        await leader(
            ADD_CAPACITY_ITEM,
            {
                "input": {
                    "initiativeId": initiative["id"],
                    "category": "SKILLS",
                    "description": "Facilitation",
                }
            },
        )
    )["addCapacityItem"]["capacityItem"]
    board = await create_stakeholder(leader, "Board", "BOARD")
    placement = (await place(leader, initiative["id"], board["id"]))["placement"]

    changed = await leader(
        """mutation($item: ID!, $board: ID!, $placement: ID!) {
            updateCapacityItem(input: {id: $item, expectedVersion: 1, status: IN_PLACE}) {
                capacityItem { status } userErrors { code } }
            updateStakeholder(input: {id: $board, name: "School board", formalAuthority: true}) {
                stakeholder { name formalAuthority version } userErrors { code } }
            evidenceAlone: updatePlacement(input: {id: $placement, evidence: "Heard at lunch"}) {
                placement { id } userErrors { field code } }
            updatePlacement(input: {id: $placement, power: 5}) { placement { power stance } userErrors { code } }
        }""",
        {"item": item["id"], "board": board["id"], "placement": placement["id"]},
    )
    assert changed["updateCapacityItem"] == {"capacityItem": {"status": "IN_PLACE"}, "userErrors": []}
    assert changed["updateStakeholder"] == {
        "stakeholder": {"name": "School board", "formalAuthority": True, "version": 2},
        "userErrors": [],
    }
    assert codes_by_field(changed["evidenceAlone"]["userErrors"]) == [
        (["input", "evidence"], "evidence_without_change")
    ]
    assert changed["updatePlacement"] == {"placement": {"power": 5, "stance": "NEUTRAL"}, "userErrors": []}

    removed = await leader(
        """mutation($measure: ID!, $item: ID!, $placement: ID!) {
            removeMeasure(input: {id: $measure}) { removedId userErrors { code } }
            removeCapacityItem(input: {id: $item}) { removedId userErrors { code } }
            removePlacement(input: {id: $placement}) { removedId userErrors { code } }
            again: removeMeasure(input: {id: $measure}) { removedId userErrors { field code } }
        }""",
        {"measure": measure["id"], "item": item["id"], "placement": placement["id"]},
    )
    assert removed["removeMeasure"] == {"removedId": measure["id"], "userErrors": []}
    assert removed["removeCapacityItem"] == {"removedId": item["id"], "userErrors": []}
    assert removed["removePlacement"] == {"removedId": placement["id"], "userErrors": []}
    assert removed["again"] == {"removedId": None, "userErrors": [{"field": None, "code": "not_found"}]}
    left = await leader(
        "query($id: ID!) { initiative(id: $id) { measures { edges { cursor } } "
        "capacityItems { edges { cursor } } stakeholders { edges { cursor } } } }",
        {"id": initiative["id"]},
    )
    assert left["initiative"] == {
        "measures": {"edges": []},
        "capacityItems": {"edges": []},
        "stakeholders": {"edges": []},
    }


# --- who sees what ------------------------------------------------------------------------------------


async def test_staff_see_their_schools_and_published_initiatives_the_community_only_published(
    leader: GraphQLClient, tokens: Tokens, world: World
) -> None:
    first_school, second_school = (gid("School", school_id) for school_id in world.school_ids("A"))
    district_draft = await create_initiative(leader, "District draft")
    school_draft = await create_initiative(leader, "Our school's draft", schoolId=first_school)
    await create_initiative(leader, "Other school's draft", schoolId=second_school)
    published = await create_initiative(leader, "Published plan", published=True)
    assert school_draft["school"] == {"name": "A Elementary"}
    assert await titles(leader) == [
        "District draft",
        "Our school's draft",
        "Other school's draft",
        "Published plan",
    ]

    leader.headers = await tokens.headers("A", Role.TEACHER)
    assert await titles(leader) == ["Our school's draft", "Published plan"]
    assert await read_initiative(leader, district_draft["id"]) is None
    assert (await read_initiative(leader, school_draft["id"]))["title"] == "Our school's draft"  # type: ignore[index]

    leader.headers = await tokens.headers("A", Role.COMMUNITY_MEMBER)
    assert await titles(leader) == ["Published plan"]
    assert await read_initiative(leader, school_draft["id"]) is None
    assert (await read_initiative(leader, published["id"]))["title"] == "Published plan"  # type: ignore[index]


STAGE_HISTORY = """
query($id: ID!) { initiative(id: $id) {
  stageHistory { edges { node { fromStage toStage changedByKind changedByLabel createdAt } } }
  triangle { corners { corner findings { code explanation } } }
} }
"""


async def test_the_stage_history_is_read_with_the_initiative_and_decides_sequence(
    leader: GraphQLClient, tokens: Tokens, world: World, client: httpx.AsyncClient
) -> None:
    """The gaming attempt over GraphQL: approve, then record a held `involve` session with the key
    authorizer. The history shows when approval came; the finding stays."""
    initiative = await create_initiative(leader, "Late co-creation", published=True)
    for stage in ("CO_DESIGNING", "APPROVED"):
        payload = (await leader(UPDATE_INITIATIVE, {"input": {"id": initiative["id"], "stage": stage}}))[
            "updateInitiative"
        ]
        assert payload["userErrors"] == []
    board = await create_stakeholder(leader, "School board", "BOARD")
    assert (await place(leader, initiative["id"], board["id"], keyAuthorizer=True))["userErrors"] == []
    rest = await tokens.headers("A", Role.DISTRICT_LEADER)
    body = {
        "initiative_id": initiative["databaseId"],
        "mode": "co_creation",
        "kind": "design_session",
        "title": "Design session, written in afterwards",
        "held_on": "2026-01-15",
        "participation_level": "involve",
        "status": "held",
    }
    response = await client.post("/api/v1/activities", json=body, headers=rest)
    assert response.status_code == 201, response.text
    response = await client.post(
        f"/api/v1/activities/{response.json()['id']}/participations",
        json={"stakeholder_id": board["databaseId"]},
        headers=rest,
    )
    assert response.status_code == 201, response.text

    data = (await leader(STAGE_HISTORY, {"id": initiative["id"]}))["initiative"]
    moves = [e["node"] for e in data["stageHistory"]["edges"]]
    assert [(m["fromStage"], m["toStage"]) for m in moves] == [
        (None, "EXPLORING"),
        ("EXPLORING", "CO_DESIGNING"),
        ("CO_DESIGNING", "APPROVED"),
    ]
    assert {m["changedByLabel"] for m in moves} == {world.user("A", Role.DISTRICT_LEADER)[1]}
    found = {f["code"] for c in data["triangle"]["corners"] for f in c["findings"]}
    assert "legitimacy.built_then_asked" in found
    assert "legitimacy.co_creation_credit" not in found

    # A community member reads the published initiative's history too.
    leader.headers = await tokens.headers("A", Role.COMMUNITY_MEMBER)
    query = "query($id: ID!) { initiative(id: $id) { stageHistory { edges { node { toStage } } } } }"
    data = (await leader(query, {"id": initiative["id"]}))["initiative"]
    assert len(data["stageHistory"]["edges"]) == 3


async def test_a_teacher_cannot_see_the_triangle_or_the_stakeholders(
    leader: GraphQLClient, tokens: Tokens, world: World
) -> None:
    initiative = await create_initiative(leader, schoolId=gid("School", world.school_ids("A")[0]))
    await create_stakeholder(leader, "Parent association")
    leader.headers = await tokens.headers("A", Role.TEACHER)

    triangle = await leader.raw(TRIANGLE, {"id": initiative["id"]})
    listed = await leader.raw("{ stakeholders { edges { node { name } } } }")
    placed = await leader.raw(PLACEMENTS, {"id": initiative["id"]})
    environment = await leader.raw(
        "query($id: ID!) { initiative(id: $id) { title authorizingEnvironment { stanceCounts { count } } } }",
        {"id": initiative["id"]},
    )

    assert error_codes(triangle) == ["forbidden"]
    assert triangle["data"] == {"initiative": {"triangle": None}}
    assert error_codes(listed) == ["forbidden"]
    assert listed["data"] is None
    assert error_codes(placed) == ["forbidden"]
    assert placed["data"] == {"initiative": {"stakeholders": None}}
    assert error_codes(environment) == ["forbidden"]
    assert environment["data"]["initiative"]["title"] == "Family reading nights"


async def test_stakeholders_are_listed_by_category(leader: GraphQLClient) -> None:
    await create_stakeholder(leader, "Teachers' union", "UNION")
    await create_stakeholder(leader, "Parent association", "FAMILY")

    every = await leader("{ stakeholders { edges { node { name } } } }")
    unions = await leader("{ stakeholders(category: UNION) { edges { node { name category } } } }")

    assert [edge["node"]["name"] for edge in every["stakeholders"]["edges"]] == [
        "Teachers' union",
        "Parent association",
    ]
    assert unions["stakeholders"]["edges"] == [{"node": {"name": "Teachers' union", "category": "UNION"}}]


# --- the triangle -------------------------------------------------------------------------------------


async def test_the_triangle_flags_an_initiative_without_measures(leader: GraphQLClient) -> None:
    initiative = await create_initiative(leader)

    triangle = (await leader(TRIANGLE, {"id": initiative["id"]}))["initiative"]["triangle"]

    corners = {corner["corner"]: corner for corner in triangle["corners"]}
    assert list(corners) == ["PUBLIC_VALUE", "CAPACITY", "LEGITIMACY"]
    [no_measure] = corners["PUBLIC_VALUE"]["findings"]
    assert no_measure["code"] == "public_value.no_measure"
    assert (no_measure["corner"], no_measure["severity"], no_measure["subjects"]) == (
        "PUBLIC_VALUE",
        "HIGH",
        [],
    )
    assert corners["PUBLIC_VALUE"]["score"] == 60
    assert triangle["weakest"] == "PUBLIC_VALUE"

    measure = await add_measure(leader, initiative["id"])
    await leader(
        "mutation($id: ID!) { updateMeasure(input: {id: $id, baselineValue: null}) { userErrors { code } } }",
        {"id": measure["id"]},
    )
    triangle = (await leader(TRIANGLE, {"id": initiative["id"]}))["initiative"]["triangle"]
    [no_baseline] = triangle["corners"][0]["findings"]
    assert no_baseline["code"] == "public_value.no_baseline"
    assert no_baseline["subjects"] == [measure["databaseId"]]


# --- no N+1 -------------------------------------------------------------------------------------------


async def test_a_nested_query_costs_the_same_statements_for_1x1_or_5x4_initiatives_and_stakeholders(
    app: FastAPI, leader: GraphQLClient
) -> None:
    """initiatives; measures (visible initiatives, then their measures); placements (the same two);
    stakeholders by id; stance histories: one batch per level, whatever the sizes."""

    async def statements() -> tuple[list[str], dict[str, Any]]:
        with count_statements(app) as counter:
            data = await leader(NESTED)
        return counter.statements, data

    async def populate(initiative_id: str, first_stakeholder: int, count: int, changes: int) -> None:
        for n in range(first_stakeholder, first_stakeholder + count):
            stakeholder = await create_stakeholder(leader, f"Stakeholder {n}")
            placement = (await place(leader, initiative_id, stakeholder["id"]))["placement"]
            for stance in ["SUPPORTIVE", "CHAMPION", "SKEPTICAL"][:changes]:
                await change_stance(leader, placement["id"], stance, f"Observed at meeting {n}.")

    first = await create_initiative(leader, "Initiative 0")
    await add_measure(leader, first["id"])
    await populate(first["id"], 0, 1, 0)
    small, data = await statements()
    [edge] = data["initiatives"]["edges"]
    assert len(edge["node"]["stakeholders"]["edges"]) == 1

    await populate(first["id"], 1, 3, 3)
    for i in range(1, 5):
        initiative = await create_initiative(leader, f"Initiative {i}")
        await add_measure(leader, initiative["id"], "Attendance")
        await add_measure(leader, initiative["id"], "Books read")
        await populate(initiative["id"], 4 * i, 4, 3)
    large, data = await statements()
    nodes = [edge["node"] for edge in data["initiatives"]["edges"]]
    assert [len(node["stakeholders"]["edges"]) for node in nodes] == [4] * 5
    assert [len(node["measures"]["edges"]) for node in nodes] == [1, 2, 2, 2, 2]
    histories = [
        len(placement["node"]["stanceHistory"]["edges"])
        for node in nodes[1:]
        for placement in node["stakeholders"]["edges"]
    ]
    assert histories == [4] * 16
    assert all(p["node"]["stakeholder"]["name"] for node in nodes for p in node["stakeholders"]["edges"])

    assert len(small) == len(large) == 7, large
    assert [statement.lstrip().split()[0].upper() for statement in large] == ["SELECT"] * 7
