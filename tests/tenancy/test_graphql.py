"""The GraphQL API for districts and schools, over HTTP: Relay ids, user errors that write nothing,
cursor pagination, one SQL statement per level of a nested query, abuse limits and error masking.

Callers are district A's admin unless a test says otherwise. A person only ever sees their own
district, so what needs many districts at once (paging through districts, batching schools of several
districts) runs the same schema in-process as the installation's operator, who sees them all.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from strawberry import relay

from app.auth.principal import SYSTEM
from app.core.config import Settings
from app.core.db import session_scope
from app.demo import operator_of
from app.graphql.context import Context
from app.identity.models import Role
from app.main import create_app
from app.tenancy import service
from app.tenancy.schemas import DistrictCreate, SchoolCreate
from tests.conftest import GraphQLClient, Tokens, World, count_statements

NOWHERE = "00000000-0000-0000-0000-000000000000"

DISTRICT_FIELDS = "id databaseId name timezone minCellSize sourcedId version updatedAt"
SCHOOL_FIELDS = "id databaseId name sourcedId gradeLow gradeHigh version updatedAt district { name }"

UPDATE_DISTRICT = f"""
mutation($input: UpdateDistrictInput!) {{
  updateDistrict(input: $input) {{ district {{ {DISTRICT_FIELDS} }} userErrors {{ field message code }} }}
}}"""
CREATE_SCHOOL = f"""
mutation($input: CreateSchoolInput!) {{
  createSchool(input: $input) {{ school {{ {SCHOOL_FIELDS} }} userErrors {{ field message code }} }}
}}"""
UPDATE_SCHOOL = f"""
mutation($input: UpdateSchoolInput!) {{
  updateSchool(input: $input) {{ school {{ {SCHOOL_FIELDS} }} userErrors {{ field message code }} }}
}}"""
DISTRICT = f"query($id: ID!) {{ district(id: $id) {{ {DISTRICT_FIELDS} }} }}"
SCHOOL_NAMES = """
query($id: ID!, $since: DateTime) {
  district(id: $id) { schools(first: 200, updatedSince: $since) { edges { node { name } } } }
}"""
AUDIT_EVENTS_OF = "query($id: UUID!) { auditEvents(entityId: $id, first: 200) { edges { cursor } } }"
NESTED = """
{ districts(first: 50) { edges { node { name
    schools(first: 50) { edges { node { name district { name } } } }
} } } }"""


def gid(type_name: str, row_id: object) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


def type_of(global_id: str) -> str:
    return relay.GlobalID.from_id(global_id).type_name


@pytest.fixture
async def admin_gql(gql: GraphQLClient, tokens: Tokens) -> GraphQLClient:
    gql.headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    return gql


@pytest.fixture
def district_a(world: World) -> str:
    return gid("District", world.district_id("A"))


async def read_district(gql: GraphQLClient, district_id: str) -> dict[str, Any]:
    return (await gql(DISTRICT, {"id": district_id}))["district"]


async def school_names(gql: GraphQLClient, district_id: str, since: str | None = None) -> list[str]:
    data = await gql(SCHOOL_NAMES, {"id": district_id, "since": since})
    return [edge["node"]["name"] for edge in data["district"]["schools"]["edges"]]


async def audit_event_count(gql: GraphQLClient, entity_id: uuid.UUID | str) -> int:
    return len((await gql(AUDIT_EVENTS_OF, {"id": str(entity_id)}))["auditEvents"]["edges"])


async def create_school(gql: GraphQLClient, district_id: str, **fields: Any) -> dict[str, Any]:
    return (await gql(CREATE_SCHOOL, {"input": {"districtId": district_id, **fields}}))["createSchool"]


async def districts_page(gql: GraphQLClient, first: int, after: str | None = None) -> dict[str, Any]:
    data = await gql(
        """query($first: Int, $after: String) { districts(first: $first, after: $after) {
             edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage endCursor } } }""",
        {"first": first, "after": after},
    )
    return data["districts"]


def codes_by_field(user_errors: list[dict[str, Any]]) -> list[tuple[list[str] | None, str]]:
    return [(error["field"], error["code"]) for error in user_errors]


# --- mutations and lookups: the happy paths ------------------------------------------------------------


async def test_update_district_returns_the_changed_district_under_its_relay_id(
    admin_gql: GraphQLClient, district_a: str, world: World
) -> None:
    before = await read_district(admin_gql, district_a)
    audited = await audit_event_count(admin_gql, world.district_id("A"))

    payload = (
        await admin_gql(
            UPDATE_DISTRICT,
            {
                "input": {
                    "id": district_a,
                    "expectedVersion": before["version"],
                    "name": "  District Alpha ",
                    "timezone": "America/New_York",
                    "minCellSize": 20,
                }
            },
        )
    )["updateDistrict"]

    assert payload["userErrors"] == []
    district = payload["district"]
    assert district["id"] == district_a
    assert type_of(district["id"]) == "District"
    assert district["databaseId"] == str(world.district_id("A"))
    assert (district["name"], district["timezone"], district["minCellSize"]) == (
        "District Alpha",
        "America/New_York",
        20,
    )
    assert district["version"] == before["version"] + 1
    assert await read_district(admin_gql, district_a) == district
    # The write is audited, which is what lets the failure tests below prove that nothing was written.
    assert await audit_event_count(admin_gql, world.district_id("A")) == audited + 1


async def test_create_and_update_school_return_schools_under_their_relay_ids(
    admin_gql: GraphQLClient, district_a: str
) -> None:
    created = await create_school(admin_gql, district_a, name="Hilltop Middle", gradeLow="06", gradeHigh="08")
    assert created["userErrors"] == []
    school = created["school"]
    assert type_of(school["id"]) == "School"
    assert relay.GlobalID.from_id(school["id"]).node_id == school["databaseId"]
    assert (school["gradeLow"], school["gradeHigh"], school["version"]) == ("06", "08", 1)
    assert school["district"] == {"name": "District A"}

    updated = (
        await admin_gql(
            UPDATE_SCHOOL,
            {"input": {"id": school["id"], "expectedVersion": 1, "name": "Hilltop Junior", "gradeLow": "05"}},
        )
    )["updateSchool"]
    assert updated["userErrors"] == []
    assert updated["school"]["id"] == school["id"]
    assert (updated["school"]["name"], updated["school"]["gradeLow"], updated["school"]["version"]) == (
        "Hilltop Junior",
        "05",
        2,
    )
    assert await school_names(admin_gql, district_a) == ["A Elementary", "A High", "Hilltop Junior"]


async def test_node_resolves_districts_and_schools_by_global_id(
    admin_gql: GraphQLClient, district_a: str, world: World
) -> None:
    school_id = gid("School", world.school_ids("A")[1])
    data = await admin_gql(
        """
        query($d: ID!, $s: ID!) {
          d: node(id: $d) { __typename id ... on District { name } }
          s: node(id: $s) { __typename id ... on School { name district { id } } }
        }""",
        {"d": district_a, "s": school_id},
    )
    assert data["d"] == {"__typename": "District", "id": district_a, "name": "District A"}
    assert data["s"] == {
        "__typename": "School",
        "id": school_id,
        "name": "A High",
        "district": {"id": district_a},
    }


async def test_district_lookup_by_an_unknown_uuid_is_null(admin_gql: GraphQLClient) -> None:
    body = await admin_gql.raw(
        "query($id: ID!) { district(id: $id) { name } node(id: $id) { id } }",
        {"id": gid("District", NOWHERE)},
    )
    assert body["data"] == {"district": None, "node": None}
    assert "errors" not in body


async def test_district_lookup_by_a_school_id_is_null(admin_gql: GraphQLClient, world: World) -> None:
    """An id of another type answers like an id that does not exist: null, no error."""
    data = await admin_gql(
        "query($id: ID!) { district(id: $id) { name } }", {"id": gid("School", world.school_ids("A")[0])}
    )
    assert data == {"district": None}


async def test_another_districts_objects_are_invisible(admin_gql: GraphQLClient, world: World) -> None:
    data = await admin_gql(
        "query($d: ID!, $s: ID!) { district(id: $d) { name } school(id: $s) { name } node(id: $s) { id } }",
        {"d": gid("District", world.district_id("B")), "s": gid("School", world.school_ids("B")[0])},
    )
    assert data == {"district": None, "school": None, "node": None}


async def test_districts_are_not_created_over_graphql(admin_gql: GraphQLClient) -> None:
    """Provisioning a tenant is the operator's job (`triangle create-admin`): no mutation offers it."""
    body = await admin_gql.raw('mutation { createDistrict(input: {name: "Rogue"}) { __typename } }')
    assert "data" not in body or body["data"] is None
    assert "createDistrict" in body["errors"][0]["message"]
    assert [edge["node"]["name"] for edge in (await districts_page(admin_gql, 50))["edges"]] == ["District A"]


# --- user errors: readable, never top-level, and nothing written ----------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        pytest.param({"name": "district b"}, ["input", "name"], "duplicate", id="name-taken-any-case"),
        pytest.param({"name": "  DISTRICT B "}, ["input", "name"], "duplicate", id="name-taken-padded"),
        pytest.param({"sourcedId": "dist-b"}, ["input", "sourcedId"], "duplicate", id="sourced-id-taken"),
        pytest.param({"name": "   "}, ["input", "name"], "string_too_short", id="blank-name"),
        pytest.param({"name": None}, ["input", "name"], "string_type", id="null-name"),
        pytest.param({"timezone": "Mars/Olympus_Mons"}, ["input", "timezone"], "value_error", id="bad-zone"),
        pytest.param({"timezone": None}, ["input", "timezone"], "string_type", id="null-zone"),
        pytest.param({"minCellSize": 0}, ["input", "minCellSize"], "greater_than_equal", id="cell-size-0"),
        pytest.param({"minCellSize": 1001}, ["input", "minCellSize"], "less_than_equal", id="cell-size-1001"),
    ],
)
async def test_invalid_district_changes_are_user_errors_and_write_nothing(
    admin_gql: GraphQLClient,
    district_a: str,
    world: World,
    changes: dict[str, Any],
    field: list[str],
    code: str,
) -> None:
    before = await read_district(admin_gql, district_a)
    audited = await audit_event_count(admin_gql, world.district_id("A"))

    payload = (await admin_gql(UPDATE_DISTRICT, {"input": {"id": district_a, **changes}}))["updateDistrict"]

    assert payload["district"] is None
    assert codes_by_field(payload["userErrors"]) == [(field, code)]
    assert all(error["message"] for error in payload["userErrors"])
    assert await read_district(admin_gql, district_a) == before
    assert await audit_event_count(admin_gql, world.district_id("A")) == audited


async def test_a_stale_expected_version_is_refused_and_the_district_is_unchanged(
    admin_gql: GraphQLClient, district_a: str
) -> None:
    read_by_both = (await read_district(admin_gql, district_a))["version"]
    first = await admin_gql(
        UPDATE_DISTRICT, {"input": {"id": district_a, "expectedVersion": read_by_both, "minCellSize": 15}}
    )
    assert first["updateDistrict"]["userErrors"] == []
    after_first = await read_district(admin_gql, district_a)

    second = await admin_gql(
        UPDATE_DISTRICT,
        {"input": {"id": district_a, "expectedVersion": read_by_both, "minCellSize": 20, "name": "Late"}},
    )

    assert second["updateDistrict"]["district"] is None
    assert codes_by_field(second["updateDistrict"]["userErrors"]) == [(None, "stale_version")]
    assert await read_district(admin_gql, district_a) == after_first
    assert (after_first["minCellSize"], after_first["name"], after_first["version"]) == (
        15,
        "District A",
        read_by_both + 1,
    )


async def test_updating_another_districts_district_is_not_found(
    admin_gql: GraphQLClient, world: World
) -> None:
    payload = (
        await admin_gql(
            UPDATE_DISTRICT, {"input": {"id": gid("District", world.district_id("B")), "name": "Mine now"}}
        )
    )["updateDistrict"]
    assert payload["district"] is None
    assert [error["code"] for error in payload["userErrors"]] == ["not_found"]


async def test_a_viewer_updating_the_district_gets_a_forbidden_user_error(
    gql: GraphQLClient, tokens: Tokens, district_a: str
) -> None:
    gql.headers = await tokens.headers("A", Role.VIEWER)
    before = await read_district(gql, district_a)

    payload = (await gql(UPDATE_DISTRICT, {"input": {"id": district_a, "minCellSize": 11}}))["updateDistrict"]

    assert payload["district"] is None
    assert codes_by_field(payload["userErrors"]) == [(None, "forbidden")]
    assert await read_district(gql, district_a) == before


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        pytest.param({"name": "a high"}, ["input", "name"], "duplicate", id="name-taken-any-case"),
        pytest.param({"name": "  "}, ["input", "name"], "string_too_short", id="blank-name"),
        pytest.param(
            {"name": "Upside Down", "gradeLow": "05", "gradeHigh": "KG"},
            ["input", "gradeLow"],
            "grade_span_inverted",
            id="grade-span-inverted",
        ),
        pytest.param(
            {"name": "Nowhere", "gradeHigh": "13th"}, ["input", "gradeHigh"], "literal_error", id="grade"
        ),
    ],
)
async def test_invalid_new_schools_are_user_errors_and_write_nothing(
    admin_gql: GraphQLClient, district_a: str, fields: dict[str, Any], field: list[str], code: str
) -> None:
    payload = await create_school(admin_gql, district_a, **fields)

    assert payload["school"] is None
    assert codes_by_field(payload["userErrors"]) == [(field, code)]
    assert await school_names(admin_gql, district_a) == ["A Elementary", "A High"]


async def test_inverting_a_schools_grade_span_by_update_writes_nothing(
    admin_gql: GraphQLClient, district_a: str
) -> None:
    school = (await create_school(admin_gql, district_a, name="Middle", gradeLow="06", gradeHigh="08"))[
        "school"
    ]

    payload = (await admin_gql(UPDATE_SCHOOL, {"input": {"id": school["id"], "gradeLow": "09"}}))[
        "updateSchool"
    ]

    assert codes_by_field(payload["userErrors"]) == [(["input", "gradeLow"], "grade_span_inverted")]
    unchanged = await admin_gql(
        "query($id: ID!) { school(id: $id) { gradeLow gradeHigh version } }", {"id": school["id"]}
    )
    assert unchanged["school"] == {"gradeLow": "06", "gradeHigh": "08", "version": 1}


# --- pagination --------------------------------------------------------------------------------------


async def test_schools_page_forward_by_end_cursor_in_creation_order(
    admin_gql: GraphQLClient, district_a: str
) -> None:
    added = [f"School {n}" for n in range(5)]
    for name in added:
        assert (await create_school(admin_gql, district_a, name=name))["userErrors"] == []
    query = """
    query($id: ID!, $after: String) { district(id: $id) { schools(first: 2, after: $after) {
        edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }"""

    names: list[str] = []
    pages = 0
    after = None
    while True:
        page = (await admin_gql(query, {"id": district_a, "after": after}))["district"]["schools"]
        pages += 1
        names += [edge["node"]["name"] for edge in page["edges"]]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert names == ["A Elementary", "A High", *added]
    assert pages == 4


async def test_a_person_sees_one_page_with_only_their_own_district(admin_gql: GraphQLClient) -> None:
    page = await districts_page(admin_gql, 2)
    assert [edge["node"]["name"] for edge in page["edges"]] == ["District A"]
    assert page["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    "arguments",
    ["first: 0", "first: 201", "first: -1", 'after: "garbage"', 'after: "WyJub3QiLCJhIGN1cnNvciJd"'],
)
async def test_bad_connection_arguments_are_validation_errors(
    admin_gql: GraphQLClient, arguments: str
) -> None:
    for document in (
        f"{{ districts({arguments}) {{ edges {{ node {{ name }} }} }} }}",
        f"{{ districts {{ edges {{ node {{ schools({arguments}) {{ edges {{ cursor }} }} }} }} }} }}",
    ):
        body = await admin_gql.raw(document)
        assert body["data"] is None, document
        assert [error["extensions"]["code"] for error in body["errors"]] == ["validation_failed"], document


async def test_the_largest_page_is_accepted(admin_gql: GraphQLClient) -> None:
    assert len((await districts_page(admin_gql, 200))["edges"]) == 1


async def test_updated_since_keeps_only_rows_changed_at_or_after_the_time(
    admin_gql: GraphQLClient, district_a: str
) -> None:
    school = (await create_school(admin_gql, district_a, name="Newcomer"))["school"]
    district = (await admin_gql(UPDATE_DISTRICT, {"input": {"id": district_a, "minCellSize": 12}}))[
        "updateDistrict"
    ]["district"]
    just_after = (datetime.fromisoformat(district["updatedAt"]) + timedelta(microseconds=1)).isoformat()
    query = "query($since: DateTime) { districts(updatedSince: $since) { edges { node { name } } } }"

    assert await school_names(admin_gql, district_a, since=school["updatedAt"]) == ["Newcomer"]
    assert await school_names(admin_gql, district_a) == ["A Elementary", "A High", "Newcomer"]
    assert (await admin_gql(query, {"since": district["updatedAt"]}))["districts"]["edges"] == [
        {"node": {"name": "District A"}}
    ]
    assert (await admin_gql(query, {"since": just_after}))["districts"]["edges"] == []


# --- no N+1 ------------------------------------------------------------------------------------------


async def test_a_nested_query_over_http_costs_the_same_statements_for_2_or_12_schools(
    app: FastAPI, admin_gql: GraphQLClient, district_a: str
) -> None:
    async def statements() -> list[str]:
        with count_statements(app) as counter:
            data = await admin_gql(NESTED)
        assert data["districts"]["edges"][0]["node"]["name"] == "District A"
        return counter.statements

    small = await statements()
    for n in range(10):
        assert (await create_school(admin_gql, district_a, name=f"Extra {n}"))["userErrors"] == []
    large = await statements()

    assert len(small) == len(large) == 3, large


class Operator:
    """The same schema, executed in-process as the installation's operator (who sees every district)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        context = Context(
            principal=SYSTEM,
            session_factory=self.app.state.session_factory,
            read_session_factory=self.app.state.read_session_factory,
        )
        try:
            result = await self.app.state.graphql_schema.execute(
                query, variable_values=variables, context_value=context
            )
        finally:
            await context.close()  # the request's end, as the router's context dependency does
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data

    async def add_districts(self, names: list[str]) -> list[uuid.UUID]:
        async with session_scope(self.app.state.session_factory, SYSTEM) as session:
            return [
                (await service.create_district(session, SYSTEM, DistrictCreate(name=name))).id
                for name in names
            ]

    async def add_schools(self, district_id: uuid.UUID, names: list[str]) -> None:
        operator = operator_of(district_id)
        async with session_scope(self.app.state.session_factory, operator) as session:
            for name in names:
                await service.create_school(session, operator, district_id, SchoolCreate(name=name))


@pytest.fixture
def operator(app: FastAPI) -> Operator:
    return Operator(app)


async def test_a_nested_query_costs_three_statements_for_2x2_or_6x5_districts_and_schools(
    app: FastAPI, operator: Operator, world: World
) -> None:
    """districts, then schools of all districts in one batch, then their districts by id in one batch."""

    async def run() -> tuple[list[str], dict[str, Any]]:
        with count_statements(app) as counter:
            data = await operator(NESTED)
        return counter.statements, data

    small, data = await run()
    assert [len(edge["node"]["schools"]["edges"]) for edge in data["districts"]["edges"]] == [2, 2]

    for key in ("A", "B"):
        await operator.add_schools(world.district_id(key), [f"{key} {n}" for n in range(3)])
    for district_id in await operator.add_districts([f"District {n}" for n in range(4)]):
        await operator.add_schools(district_id, [f"School {n}" for n in range(5)])
    large, data = await run()
    assert [len(edge["node"]["schools"]["edges"]) for edge in data["districts"]["edges"]] == [5] * 6
    every_school = [
        school["node"] for edge in data["districts"]["edges"] for school in edge["node"]["schools"]["edges"]
    ]
    assert all(school["district"]["name"] for school in every_school)

    assert len(small) == len(large) == 3, large
    assert [statement.lstrip().split()[0].upper() for statement in large] == ["SELECT"] * 3


async def test_the_operator_pages_through_every_district_in_creation_order(operator: Operator) -> None:
    added = [f"District {n}" for n in range(5)]
    await operator.add_districts(added)
    query = """query($after: String) { districts(first: 2, after: $after) {
        edges { node { name } } pageInfo { hasNextPage endCursor } } }"""

    names: list[str] = []
    after = None
    while True:
        page = (await operator(query, {"after": after}))["districts"]
        names += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert names == ["District A", "District B", *added]


# --- abuse limits --------------------------------------------------------------------------------------

# A path through the schema that can be made as deep as wanted: districts > edges > node > schools >
# edges > node > district > schools > …
# Pages of one: the depth limit, not the cost limit, is what these queries meet.
_DEEP_PATH = ["districts(first: 1)", "edges", "node"] + [
    "schools(first: 1)",
    "edges",
    "node",
    "district",
] * 20


def query_of_depth(depth: int) -> str:
    """A query whose leaf sits `depth` fields below the root field (what the depth limit counts)."""
    fields = _DEEP_PATH[:depth]
    return "{ " + " { ".join(fields) + " { __typename" + " }" * (len(fields) + 1)


async def test_queries_deeper_than_the_limit_are_refused_before_any_sql(
    app: FastAPI, admin_gql: GraphQLClient, settings: Settings
) -> None:
    assert "errors" not in await admin_gql.raw(query_of_depth(settings.graphql_max_depth))

    with count_statements(app) as counter:
        body = await admin_gql.raw(query_of_depth(settings.graphql_max_depth + 1))

    assert body.get("data") is None
    assert "depth" in body["errors"][0]["message"]
    assert counter.count == 0


async def test_queries_with_too_many_aliases_are_refused_before_any_sql(
    app: FastAPI, admin_gql: GraphQLClient, settings: Settings
) -> None:
    def aliases(count: int) -> str:
        return (
            "{ "
            + " ".join(f"a{i}: districts(first: 1) {{ edges {{ cursor }} }}" for i in range(count))
            + " }"
        )

    assert "errors" not in await admin_gql.raw(aliases(settings.graphql_max_aliases))

    with count_statements(app) as counter:
        body = await admin_gql.raw(aliases(settings.graphql_max_aliases + 1))

    assert body.get("data") is None
    assert "aliases" in body["errors"][0]["message"]
    assert counter.count == 0


async def test_queries_with_too_many_tokens_are_refused_before_any_sql(
    app: FastAPI, admin_gql: GraphQLClient, settings: Settings
) -> None:
    document = "{ districts { edges { node { " + " ".join(["name"] * settings.graphql_max_tokens) + " } } } }"

    with count_statements(app) as counter:
        body = await admin_gql.raw(document)

    assert body.get("data") is None
    assert "tokens" in body["errors"][0]["message"]
    assert counter.count == 0


async def test_introspection_is_on_by_default(admin_gql: GraphQLClient) -> None:
    types = (await admin_gql("{ __schema { types { name } } }"))["__schema"]["types"]
    assert {"District", "School", "PageInfo"} <= {t["name"] for t in types}


async def test_introspection_can_be_switched_off_by_setting(settings: Settings, tokens: Tokens) -> None:
    headers = await tokens.headers("A", Role.VIEWER)
    closed = create_app(settings.model_copy(update={"graphql_introspection": False}))
    async with closed.router.lifespan_context(closed):
        transport = httpx.ASGITransport(app=closed)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            refused = await http.post(
                "/graphql", json={"query": "{ __schema { types { name } } }"}, headers=headers
            )
            by_type = await http.post(
                "/graphql", json={"query": '{ __type(name: "District") { name } }'}, headers=headers
            )
            ordinary = await http.post(
                "/graphql",
                json={"query": "{ __typename districts { edges { node { name } } } }"},
                headers=headers,
            )

    for response in (refused, by_type):
        assert response.status_code == 200
        assert response.json().get("data") is None
        assert "introspection" in response.json()["errors"][0]["message"].lower()
    assert ordinary.json()["data"] == {
        "__typename": "Query",
        "districts": {"edges": [{"node": {"name": "District A"}}]},
    }
    assert "errors" not in ordinary.json()


# --- masking ------------------------------------------------------------------------------------------


async def test_an_unexpected_resolver_error_is_masked(
    admin_gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret")

    monkeypatch.setattr("app.tenancy.service.list_districts", broken)
    response = await admin_gql.http.post(
        "/graphql", json={"query": "{ districts { edges { cursor } } }"}, headers=admin_gql.headers
    )

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "Unexpected error."
    assert error["path"] == ["districts"]
    assert error["extensions"]["code"] == "internal_error"
    assert error["extensions"]["request_id"] == response.headers["x-request-id"]
    assert "secret" not in response.text
    assert "Traceback" not in response.text


async def test_anonymous_queries_get_an_unauthenticated_error(gql: GraphQLClient) -> None:
    body = await gql.raw("{ districts { edges { cursor } } }")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "unauthenticated"


POLICY = "planMinCoCreation schoolPlanVoices districtPlanVoices separatePlanApproval version"
UPDATE_POLICY = f"""
mutation($input: UpdateDistrictInput!) {{
  updateDistrict(input: $input) {{ district {{ {POLICY} }} userErrors {{ field message code }} }}
}}"""


async def test_the_co_creation_policy_is_read_and_written_in_graphql_and_audited(
    admin_gql: GraphQLClient, district_a: str, tokens: Tokens
) -> None:
    read = f"query($id: ID!) {{ district(id: $id) {{ {POLICY} }} }}"
    before = (await admin_gql(read, {"id": district_a}))["district"]
    assert before == {
        "planMinCoCreation": 1,
        "schoolPlanVoices": ["TEACHERS"],
        "districtPlanVoices": ["TEACHERS", "FAMILIES_OR_COMMUNITY"],
        "separatePlanApproval": True,
        "version": before["version"],
    }
    events = await audit_event_count(admin_gql, uuid.UUID(relay.GlobalID.from_id(district_a).node_id))
    payload = (
        await admin_gql(
            UPDATE_POLICY,
            {
                "input": {
                    "id": district_a,
                    "planMinCoCreation": 3,
                    "schoolPlanVoices": ["TEACHERS", "STUDENTS"],
                    "separatePlanApproval": False,
                }
            },
        )
    )["updateDistrict"]
    assert payload["userErrors"] == []
    assert payload["district"]["planMinCoCreation"] == 3
    assert payload["district"]["schoolPlanVoices"] == ["TEACHERS", "STUDENTS"]
    assert payload["district"]["separatePlanApproval"] is False
    assert (
        await audit_event_count(admin_gql, uuid.UUID(relay.GlobalID.from_id(district_a).node_id))
        == events + 1
    )

    payload = (await admin_gql(UPDATE_POLICY, {"input": {"id": district_a, "planMinCoCreation": -2}}))[
        "updateDistrict"
    ]
    assert [e["field"] for e in payload["userErrors"]] == [["input", "planMinCoCreation"]]
    admin_gql.headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    payload = (await admin_gql(UPDATE_POLICY, {"input": {"id": district_a, "planMinCoCreation": 0}}))[
        "updateDistrict"
    ]
    assert [e["code"] for e in payload["userErrors"]] == ["forbidden"]
    after = (await admin_gql(read, {"id": district_a}))["district"]
    assert after["planMinCoCreation"] == 3
