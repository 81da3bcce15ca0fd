"""The authorization matrix: every principal of district A x every operation x both transports.

Each row names an operation on district A's objects (or B's, which must always be "not_found"), the
way to call it over REST and over GraphQL, and the principals that may perform it. A principal outside
the allowed set must get "forbidden" (403 / code `forbidden`) for A's objects, and everyone gets
"not_found" for B's: another district's object is never acknowledged. A row may also name principals
from whom the object is `hidden` (a community member and an unpublished initiative): for them it does
not exist either, so they get "not_found" too.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from strawberry import relay

from app.core.config import Settings
from app.core.db import session_scope
from app.demo import operator_of
from app.graphql.permissions import AUTHENTICATED, PUBLIC_FIELDS
from app.graphql.schema import build_schema
from app.identity.models import Role
from app.initiatives import service as initiatives
from app.initiatives.schemas import InitiativeCreate
from tests.conftest import Tokens, World

ROLES = list(Role)
CLIENTS = ["read", "roster", "referrals"]
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


def gid(type_name: str, row_id: object) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


@dataclass(frozen=True)
class Seeded:
    """Rows the matrix acts on, made fresh in every test database."""

    # Unpublished, at district A's first school (where the school-level accounts work).
    school_initiative: uuid.UUID
    initiative_of_b: uuid.UUID


@dataclass
class Call:
    http: httpx.AsyncClient
    headers: dict[str, str]
    world: World
    seeded: Seeded

    async def rest(self, method: str, url: str, body: Any = None) -> str:
        response = await self.http.request(method, url, json=body, headers=self.headers)
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
    graphql: Operation
    allowed: set[str]
    other_district: bool = False
    hidden: frozenset[str] = frozenset()


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
]


@pytest.fixture
async def seeded(app: FastAPI, world: World) -> Seeded:
    """An unpublished initiative at A's first school and one of district B, made by the operator."""
    made = {}
    for key, school_id in (("A", world.school_ids("A")[0]), ("B", None)):
        operator = operator_of(world.district_id(key))
        async with session_scope(app.state.session_factory, operator) as session:
            data = InitiativeCreate(title=f"{key}'s initiative", public_value="V", school_id=school_id)
            made[key] = (await initiatives.create_initiative(session, operator, data)).id
    return Seeded(school_initiative=made["A"], initiative_of_b=made["B"])


async def _headers(tokens: Tokens, principal: str) -> dict[str, str]:
    if principal.startswith("client:"):
        return await tokens.client_headers("A", principal.removeprefix("client:"))
    return await tokens.headers("A", Role(principal))


@pytest.mark.parametrize("transport", ["rest", "graphql"])
@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_matrix(
    client: httpx.AsyncClient, tokens: Tokens, world: World, seeded: Seeded, principal: str, transport: str
) -> None:
    call = Call(client, await _headers(tokens, principal), world, seeded)
    mismatches = []
    for row in ROWS:
        if row.other_district or principal in row.hidden:
            expected = "not_found"
        else:
            expected = "ok" if principal in row.allowed else "forbidden"
        actual = await getattr(row, transport)(call)
        if actual != expected:
            mismatches.append(f"{row.name}: expected {expected}, got {actual}")
    assert mismatches == [], f"{principal} over {transport}:\n" + "\n".join(mismatches)


@pytest.mark.parametrize("transport", ["rest", "graphql"])
async def test_anonymous_callers_get_nothing(
    client: httpx.AsyncClient, world: World, seeded: Seeded, transport: str
) -> None:
    call = Call(client, {}, world, seeded)
    results = {row.name: await getattr(row, transport)(call) for row in ROWS}
    assert set(results.values()) == {"unauthenticated"}, results


async def test_lists_never_show_another_districts_rows(
    client: httpx.AsyncClient, tokens: Tokens, world: World, seeded: Seeded
) -> None:
    b_ids = {str(world.district_id("B")), *map(str, world.school_ids("B")), str(seeded.initiative_of_b)}
    b_ids |= {str(user_id) for user_id, _ in world.districts["B"].users.values()}
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
