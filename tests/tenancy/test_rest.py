"""REST for districts and schools: the conventions of api.md, end to end over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.identity.models import Role
from tests.conftest import ANY_VERSION, Tokens, World

DISTRICTS = "/api/v1/districts"


async def own_district(client: httpx.AsyncClient, world: World) -> dict:
    response = await client.get(f"{DISTRICTS}/{world.district_id('A')}")
    assert response.status_code == 200, response.text
    return response.json()


async def create_school(client: httpx.AsyncClient, district_id: str, name: str, **fields: object) -> dict:
    response = await client.post(f"{DISTRICTS}/{district_id}/schools", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{code}"
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def school_names(client: httpx.AsyncClient, district_id: object) -> list[str]:
    response = await client.get(f"{DISTRICTS}/{district_id}/schools", params={"limit": 200})
    return [s["name"] for s in response.json()["items"]]


async def test_an_admin_sees_only_their_own_district(admin: httpx.AsyncClient, world: World) -> None:
    listed = (await admin.get(DISTRICTS)).json()
    assert [d["id"] for d in listed["items"]] == [str(world.district_id("A"))]
    district = listed["items"][0]
    assert district["name"] == "District A"
    assert district["min_cell_size"] == 10
    assert district["created_at"].endswith("Z")

    fetched = await admin.get(f"{DISTRICTS}/{district['id']}")
    assert fetched.json() == district
    assert fetched.headers["etag"] == f'"{district["version"]}"'


async def test_districts_are_not_created_over_the_api(admin: httpx.AsyncClient) -> None:
    assert_problem(await admin.post(DISTRICTS, json={"name": "New"}), 405, "method_not_allowed")


async def test_create_and_list_schools_of_a_district(admin: httpx.AsyncClient, world: World) -> None:
    district_id = world.district_id("A")
    school = await create_school(admin, district_id, "  Lakeview Primary ", grade_low="PK", grade_high="04")
    assert school["name"] == "Lakeview Primary"
    assert school["district_id"] == str(district_id)
    assert school["version"] == 1
    uuid.UUID(school["id"])

    assert await school_names(admin, district_id) == ["A Elementary", "A High", "Lakeview Primary"]
    fetched = await admin.get(f"/api/v1/schools/{school['id']}")
    assert fetched.json() == school
    assert fetched.headers["etag"] == '"1"'


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"name": ""}, ["body", "name"], "string_too_short"),
        ({"name": "   "}, ["body", "name"], "string_too_short"),
        ({"name": "x" * 201}, ["body", "name"], "string_too_long"),
        ({"name": "S", "nmae": "typo"}, ["body", "nmae"], "extra_forbidden"),
        ({"name": "S", "id": str(uuid.uuid4())}, ["body", "id"], "extra_forbidden"),
        ({"name": "S", "district_id": str(uuid.uuid4())}, ["body", "district_id"], "extra_forbidden"),
        ({"name": "S", "version": 7}, ["body", "version"], "extra_forbidden"),
        ({"name": "S", "grade_low": "K"}, ["body", "grade_low"], "literal_error"),
        ({"name": "S", "sourced_id": ""}, ["body", "sourced_id"], "string_too_short"),
        ({"name": 12}, ["body", "name"], "string_type"),
        ({}, ["body", "name"], "missing"),
    ],
)
async def test_invalid_school_bodies_name_the_field_and_write_nothing(
    admin: httpx.AsyncClient, world: World, body: dict, path: list, code: str
) -> None:
    url = f"{DISTRICTS}/{world.district_id('A')}/schools"
    problem = assert_problem(await admin.post(url, json=body), 422, "validation_failed")
    assert {"path": path, "code": code} in [{"path": e["path"], "code": e["code"]} for e in problem["errors"]]
    assert await school_names(admin, world.district_id("A")) == ["A Elementary", "A High"]


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"timezone": "Mars/Olympus"}, ["body", "timezone"], "value_error"),
        ({"min_cell_size": 0}, ["body", "min_cell_size"], "greater_than_equal"),
        ({"min_cell_size": "ten"}, ["body", "min_cell_size"], "int_parsing"),
        ({"name": None}, ["body", "name"], "string_type"),
        ({"id": str(uuid.uuid4())}, ["body", "id"], "extra_forbidden"),
    ],
)
async def test_invalid_district_changes_name_the_field_and_write_nothing(
    admin: httpx.AsyncClient, world: World, body: dict, path: list, code: str
) -> None:
    before = await own_district(admin, world)
    response = await admin.patch(f"{DISTRICTS}/{before['id']}", json=body, headers=ANY_VERSION)
    problem = assert_problem(response, 422, "validation_failed")
    assert {"path": path, "code": code} in [{"path": e["path"], "code": e["code"]} for e in problem["errors"]]
    assert await own_district(admin, world) == before


async def test_malformed_json_and_wrong_content_are_problems(admin: httpx.AsyncClient, world: World) -> None:
    url = f"{DISTRICTS}/{world.district_id('A')}/schools"
    broken = await admin.post(url, content=b'{"name": ', headers={"content-type": "application/json"})
    assert_problem(broken, 422, "validation_failed")
    array = await admin.post(url, json=["not", "an", "object"])
    assert_problem(array, 422, "validation_failed")


async def test_school_names_and_sourced_ids_are_unique_within_a_district(
    admin: httpx.AsyncClient, world: World
) -> None:
    url = f"{DISTRICTS}/{world.district_id('A')}/schools"
    problem = assert_problem(await admin.post(url, json={"name": "a elementary"}), 409, "conflict")
    assert problem["errors"][0]["path"] == ["body", "name"]
    # District B has a school with sourced_id "b-es": another district's ids do not collide.
    await create_school(admin, world.district_id("A"), "Borrowed Id", sourced_id="b-es")
    same_sourced_id = await admin.post(url, json={"name": "Other", "sourced_id": "a-es"})
    assert assert_problem(same_sourced_id, 409, "conflict")["errors"][0]["path"] == ["body", "sourced_id"]
    assert len(await school_names(admin, world.district_id("A"))) == 3


async def test_an_inverted_grade_span_is_refused(admin: httpx.AsyncClient, world: World) -> None:
    response = await admin.post(
        f"{DISTRICTS}/{world.district_id('A')}/schools",
        json={"name": "S", "grade_low": "05", "grade_high": "KG"},
    )
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"][0]["path"] == ["body", "grade_low"]
    assert await school_names(admin, world.district_id("A")) == ["A Elementary", "A High"]


async def test_unknown_ids_are_404_and_malformed_ids_are_422(admin: httpx.AsyncClient) -> None:
    assert_problem(await admin.get(f"{DISTRICTS}/{uuid.uuid4()}"), 404, "not_found")
    assert_problem(await admin.get(f"/api/v1/schools/{uuid.uuid4()}"), 404, "not_found")
    assert_problem(
        await admin.post(f"{DISTRICTS}/{uuid.uuid4()}/schools", json={"name": "S"}), 404, "not_found"
    )
    problem = assert_problem(await admin.get(f"{DISTRICTS}/not-a-uuid"), 422, "validation_failed")
    assert problem["errors"][0]["path"] == ["path", "district_id"]


async def test_patch_changes_only_what_is_sent_and_bumps_the_version(
    admin: httpx.AsyncClient, world: World
) -> None:
    client = admin
    district = await own_district(client, world)
    response = await client.patch(
        f"{DISTRICTS}/{district['id']}", json={"name": "New Name"}, headers=ANY_VERSION
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["name"] == "New Name"
    assert updated["timezone"] == "America/Chicago"
    assert updated["version"] == district["version"] + 1
    assert response.headers["etag"] == f'"{updated["version"]}"'
    assert updated["updated_at"] > district["updated_at"]

    unchanged = await client.patch(
        f"{DISTRICTS}/{district['id']}", json={"name": "New Name"}, headers=ANY_VERSION
    )
    assert unchanged.json()["version"] == updated["version"], (
        "a write that changes nothing is not a new version"
    )


async def test_a_stale_if_match_is_412_and_writes_nothing(admin: httpx.AsyncClient, world: World) -> None:
    client = admin
    district = await own_district(client, world)
    url = f"{DISTRICTS}/{district['id']}"
    read_version = f'"{district["version"]}"'
    first = await client.patch(url, json={"name": "Edited by A"}, headers={"If-Match": read_version})
    assert first.status_code == 200

    second = await client.patch(url, json={"min_cell_size": 20}, headers={"If-Match": read_version})
    problem = assert_problem(second, 412, "stale_version")
    assert problem["current_version"] == district["version"] + 1
    current = (await client.get(url)).json()
    assert current["min_cell_size"] == 10
    assert current["name"] == "Edited by A"

    retried = await client.patch(
        url, json={"min_cell_size": 20}, headers={"If-Match": f'"{problem["current_version"]}"'}
    )
    assert retried.status_code == 200
    assert retried.json()["min_cell_size"] == 20


async def test_a_malformed_if_match_is_422(admin: httpx.AsyncClient, world: World) -> None:
    client = admin
    district = await own_district(client, world)
    response = await client.patch(
        f"{DISTRICTS}/{district['id']}", json={"name": "E"}, headers={"If-Match": "three"}
    )
    assert assert_problem(response, 422, "validation_failed")["errors"][0]["path"] == ["header", "If-Match"]


async def test_school_updates_are_versioned_too(admin: httpx.AsyncClient, world: World) -> None:
    client = admin
    school = await create_school(client, world.district_id("A"), "S")
    url = f"/api/v1/schools/{school['id']}"
    assert (
        await client.patch(url, json={"grade_low": "KG", "grade_high": "05"}, headers={"If-Match": '"1"'})
    ).status_code == 200
    assert_problem(
        await client.patch(url, json={"name": "T"}, headers={"If-Match": '"1"'}), 412, "stale_version"
    )
    assert_problem(
        await client.patch(url, json={"grade_low": "09"}, headers=ANY_VERSION), 422, "validation_failed"
    )
    assert (await client.get(url)).json()["grade_low"] == "KG"


async def test_lists_page_with_cursors_and_link_headers(admin: httpx.AsyncClient, world: World) -> None:
    client = admin
    district_id = world.district_id("A")
    names = ["A Elementary", "A High"] + [f"School {i:02d}" for i in range(5)]
    for name in names[2:]:
        await create_school(client, district_id, name)

    seen: list[str] = []
    url: str | None = f"{DISTRICTS}/{district_id}/schools?limit=3"
    pages = 0
    while url:
        response = await client.get(url)
        assert response.status_code == 200
        body = response.json()
        seen += [d["name"] for d in body["items"]]
        pages += 1
        if body["next_cursor"]:
            link = response.headers["link"]
            assert link.endswith('>; rel="next"')
            assert f"cursor={body['next_cursor']}" in link
            url = link[1 : link.index(">")]
        else:
            assert "link" not in response.headers
            url = None
    assert seen == names
    assert pages == 3


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("limit=0", ["query", "limit"]),
        ("limit=-1", ["query", "limit"]),
        ("limit=201", ["query", "limit"]),
        ("limit=abc", ["query", "limit"]),
        ("cursor=not-a-cursor", ["query", "cursor"]),
        ("cursor=" + "A" * 600, ["query", "cursor"]),
        ("updated_since=yesterday", ["query", "updated_since"]),
        ("updated_since=2026-01-01T00:00:00", ["query", "updated_since"]),
    ],
)
async def test_bad_list_parameters_are_422(admin: httpx.AsyncClient, query: str, path: list) -> None:
    problem = assert_problem(await admin.get(f"{DISTRICTS}?{query}"), 422, "validation_failed")
    assert problem["errors"][0]["path"] == path


async def test_updated_since_returns_only_what_changed(admin: httpx.AsyncClient, world: World) -> None:
    client = admin
    url = f"{DISTRICTS}/{world.district_id('A')}/schools"
    schools = (await client.get(url)).json()["items"]
    checkpoint = datetime.now(UTC)
    await client.patch(f"/api/v1/schools/{schools[1]['id']}", json={"grade_low": "09"}, headers=ANY_VERSION)
    await create_school(client, world.district_id("A"), "Fresh")

    response = await client.get(url, params={"updated_since": checkpoint.isoformat()})
    assert [s["name"] for s in response.json()["items"]] == ["A High", "Fresh"]
    later = (checkpoint + timedelta(days=1)).isoformat()
    assert (await client.get(url, params={"updated_since": later})).json()["items"] == []


async def test_times_are_utc(admin: httpx.AsyncClient, world: World) -> None:
    district = await create_school(admin, world.district_id("A"), "S")
    for field in ("created_at", "updated_at"):
        parsed = datetime.fromisoformat(district[field].replace("Z", "+00:00"))
        assert parsed.utcoffset() == timedelta(0)


async def test_the_co_creation_policy_is_a_district_setting_read_written_and_audited(
    admin: httpx.AsyncClient, world: World, tokens: Tokens
) -> None:
    """Until now a PATCH of the policy answered `extra_forbidden`: the district could not set it."""
    district = await own_district(admin, world)
    assert (
        district["plan_min_co_creation"],
        district["school_plan_voices"],
        district["district_plan_voices"],
        district["separate_plan_approval"],
    ) == (1, ["teachers"], ["teachers", "families_or_community"], True)
    url = f"{DISTRICTS}/{district['id']}"
    response = await admin.patch(
        url,
        json={
            "plan_min_co_creation": 2,
            "school_plan_voices": ["teachers", "families"],
            "district_plan_voices": ["students"],
        },
        headers=ANY_VERSION,
    )
    assert response.status_code == 200, response.text
    changed = await own_district(admin, world)
    assert (
        changed["plan_min_co_creation"],
        changed["school_plan_voices"],
        changed["district_plan_voices"],
    ) == (
        2,
        ["teachers", "families"],
        ["students"],
    )
    events = (
        await admin.get("/api/v1/audit-events", params={"entity_id": district["id"], "limit": 200})
    ).json()["items"]
    (event,) = [e for e in events if e["action"] == "district.update"]
    assert event["before"]["plan_min_co_creation"] == 1
    assert event["after"]["school_plan_voices"] == ["teachers", "families"]
    assert event["request_id"] == response.headers["x-request-id"]

    # Bad values are 422 on the field and write nothing; only an admin changes the policy.
    for body, path in (
        ({"plan_min_co_creation": -1}, ["body", "plan_min_co_creation"]),
        ({"school_plan_voices": ["parents"]}, ["body", "school_plan_voices", 0]),
        ({"district_plan_voices": ["teachers", "teachers"]}, ["body", "district_plan_voices"]),
        ({"separate_plan_approval": None}, ["body", "separate_plan_approval"]),
    ):
        problem = assert_problem(
            await admin.patch(url, json=body, headers=ANY_VERSION), 422, "validation_failed"
        )
        assert path in [e["path"] for e in problem["errors"]], problem
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    response = await admin.patch(url, json={"plan_min_co_creation": 0}, headers=leader | ANY_VERSION)
    assert_problem(response, 403, "forbidden")
    assert await own_district(admin, world) == changed
