"""REST for initiatives, their measures and capacity, stakeholders, the authorizing environment and the
strategic triangle's diagnosis: the rules of domain.md and the conventions of api.md, over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from app.identity.models import Role
from tests.conftest import ANY_VERSION, Tokens, World

API = "/api/v1"
INITIATIVES = f"{API}/initiatives"
STAKEHOLDERS = f"{API}/stakeholders"
PLACEMENTS = f"{API}/initiative-stakeholders"

Headers = dict[str, str]
Json = dict[str, Any]

STAGES = ["exploring", "co_designing", "approved", "implementing", "sustaining", "retired"]
# How to reach each stage from `exploring`, one legal step at a time.
ROUTE_TO = {
    "exploring": [],
    "co_designing": ["co_designing"],
    "approved": ["co_designing", "approved"],
    "implementing": ["co_designing", "approved", "implementing"],
    "sustaining": ["co_designing", "approved", "implementing", "sustaining"],
    "retired": ["retired"],
}
SEVERITY_WEIGHTS = {"high": -40, "medium": -20, "low": -10, "credit": 10}


# --- helpers ----------------------------------------------------------------------------------------


@pytest.fixture
async def leader(client: httpx.AsyncClient, tokens: Tokens) -> httpx.AsyncClient:
    """The HTTP client, signed in as district A's district leader (headers given per call win)."""
    client.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    return client


def assert_problem(response: httpx.Response, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{code}"
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def error_paths(problem: Json) -> list[list[str | int]]:
    return [e["path"] for e in problem["errors"]]


def ids(items: list[Json]) -> list[str]:
    return [item["id"] for item in items]


async def list_all(
    client: httpx.AsyncClient, url: str, headers: Headers | None = None, **params: Any
) -> list[Json]:
    """Every item of a list, following `next_cursor`."""
    items: list[Json] = []
    cursor: str | None = None
    while True:
        query = {"limit": 200, **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(url, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def get_json(client: httpx.AsyncClient, url: str, headers: Headers | None = None) -> Json:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def create_initiative(client: httpx.AsyncClient, headers: Headers | None = None, **fields: Any) -> Json:
    body = {
        "title": "Every child reads by grade 3",
        "public_value": "Every student reads on grade level by the end of grade 3.",
        **fields,
    }
    response = await client.post(INITIATIVES, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def get_initiative(client: httpx.AsyncClient, initiative_id: str) -> Json:
    return await get_json(client, f"{INITIATIVES}/{initiative_id}")


async def patch(
    client: httpx.AsyncClient, url: str, row: Json, headers: Headers | None = None, **changes: Any
) -> Json:
    """PATCH `row` at `url` with `If-Match` set to the version read; the new row."""
    response = await client.patch(
        url, json=changes, headers={"If-Match": f'"{row["version"]}"', **(headers or {})}
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert response.headers["etag"] == f'"{updated["version"]}"'
    return updated


async def move(client: httpx.AsyncClient, initiative: Json, *stages: str) -> Json:
    for stage in stages:
        initiative = await patch(client, f"{INITIATIVES}/{initiative['id']}", initiative, stage=stage)
        assert initiative["stage"] == stage
    return initiative


async def create_stakeholder(
    client: httpx.AsyncClient, name: str, category: str = "family", **fields: Any
) -> Json:
    response = await client.post(STAKEHOLDERS, json={"name": name, "category": category, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def place(
    client: httpx.AsyncClient,
    initiative_id: str,
    stakeholder_id: str,
    headers: Headers | None = None,
    **fields: Any,
) -> Json:
    body = {"stakeholder_id": stakeholder_id, "power": 3, "interest": 3, "stance": "neutral", **fields}
    response = await client.post(f"{INITIATIVES}/{initiative_id}/stakeholders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def place_new(
    client: httpx.AsyncClient, initiative_id: str, name: str, category: str = "family", **fields: Any
) -> Json:
    """Create a stakeholder with `category` and place it with `fields`."""
    formal_authority = fields.pop("formal_authority", False)
    stakeholder = await create_stakeholder(client, name, category, formal_authority=formal_authority)
    return await place(client, initiative_id, stakeholder["id"], **fields)


async def change_stance(client: httpx.AsyncClient, placement: Json, stance: str, **fields: Any) -> Json:
    return await patch(client, f"{PLACEMENTS}/{placement['id']}", placement, stance=stance, **fields)


async def stance_history(client: httpx.AsyncClient, placement_id: str) -> list[Json]:
    return await list_all(client, f"{PLACEMENTS}/{placement_id}/stance-history")


async def add_measure(client: httpx.AsyncClient, initiative_id: str, **fields: Any) -> Json:
    body = {"name": "Grade 3 reading proficiency", "unit": "% of students", "direction": "increase", **fields}
    response = await client.post(f"{INITIATIVES}/{initiative_id}/measures", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def add_capacity_item(client: httpx.AsyncClient, initiative_id: str, **fields: Any) -> Json:
    body = {"category": "people", "description": "A literacy coach in every K-3 building", **fields}
    response = await client.post(f"{INITIATIVES}/{initiative_id}/capacity-items", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def people_of(client: httpx.AsyncClient, headers: Headers | None = None) -> list[str]:
    return ids(await list_all(client, f"{API}/people", headers=headers))


async def diagnose(client: httpx.AsyncClient, initiative_id: str) -> Json:
    """The triangle, checked against the scoring rule: each corner is 100 minus 40 per high, 20 per
    medium and 10 per low finding (plus 10 per credit), within 0..100; `weakest` is the lowest corner
    (the first, on a tie)."""
    diagnosis = await get_json(client, f"{INITIATIVES}/{initiative_id}/triangle")
    assert diagnosis["initiative_id"] == initiative_id
    corners = diagnosis["corners"]
    assert [c["corner"] for c in corners] == ["public_value", "capacity", "legitimacy"]
    for corner in corners:
        for finding in corner["findings"]:
            assert finding["corner"] == corner["corner"]
            assert finding["code"].startswith(f"{corner['corner']}.")
        total = sum(SEVERITY_WEIGHTS[f["severity"]] for f in corner["findings"])
        assert corner["score"] == max(0, min(100, 100 + total)), corner
    assert diagnosis["weakest"] == min(corners, key=lambda c: c["score"])["corner"]
    return diagnosis


def findings(diagnosis: Json, code: str) -> list[Json]:
    return [f for c in diagnosis["corners"] for f in c["findings"] if f["code"] == code]


def codes(diagnosis: Json) -> set[str]:
    return {f["code"] for c in diagnosis["corners"] for f in c["findings"]}


def score(diagnosis: Json, corner: str) -> int:
    return next(c["score"] for c in diagnosis["corners"] if c["corner"] == corner)


# --- initiatives: create, read, list ----------------------------------------------------------------


async def test_a_district_leader_creates_an_initiative_at_the_exploring_stage(
    leader: httpx.AsyncClient, world: World
) -> None:
    response = await leader.post(
        INITIATIVES,
        json={
            "title": "  Every child reads by grade 3 ",
            "public_value": "Every student reads on grade level by the end of grade 3.",
            "beneficiaries": "K-3 students and their families",
            "starts_on": "2026-08-15",
            "ends_on": "2029-06-01",
        },
    )
    assert response.status_code == 201, response.text
    initiative = response.json()
    assert response.headers["etag"] == '"1"'
    assert initiative["title"] == "Every child reads by grade 3"
    assert initiative["stage"] == "exploring"
    assert initiative["version"] == 1
    assert initiative["district_id"] == str(world.district_id("A"))
    assert initiative["school_id"] is None
    assert initiative["published"] is False
    assert initiative["starts_on"] == "2026-08-15"
    uuid.UUID(initiative["id"])

    fetched = await leader.get(f"{INITIATIVES}/{initiative['id']}")
    assert fetched.json() == initiative
    assert fetched.headers["etag"] == '"1"'


async def test_initiative_lists_filter_by_stage_school_owner_and_stakeholder_category(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    school_1, school_2 = map(str, world.school_ids("A"))
    owner, other_owner = (await people_of(leader))[:2]
    district_wide = await create_initiative(leader, title="District", owner_person_id=owner)
    at_school_1 = await create_initiative(leader, title="School 1", school_id=school_1)
    at_school_2 = await create_initiative(
        leader, title="School 2", school_id=school_2, owner_person_id=other_owner
    )
    await move(leader, at_school_1, "co_designing")
    board = await create_stakeholder(leader, "School board", "board", is_group=True, formal_authority=True)
    await place(leader, at_school_2["id"], board["id"])

    async def titles(**params: Any) -> list[str]:
        return [i["title"] for i in await list_all(leader, INITIATIVES, **params)]

    assert await titles() == ["District", "School 1", "School 2"]
    assert await titles(stage="co_designing") == ["School 1"]
    assert await titles(stage="exploring") == ["District", "School 2"]
    assert await titles(school_id=school_2) == ["School 2"]
    assert await titles(owner_person_id=owner) == ["District"]
    assert await titles(owner_person_id=other_owner) == ["School 2"]
    assert await titles(stakeholder_category="board") == ["School 2"]
    assert await titles(stakeholder_category="union") == []
    assert await titles(stage="exploring", school_id=school_1) == []
    assert district_wide["owner_person_id"] == owner


async def test_initiative_lists_take_updated_since(leader: httpx.AsyncClient) -> None:
    first = await create_initiative(leader, title="First")
    await create_initiative(leader, title="Second")
    edited = await patch(leader, f"{INITIATIVES}/{first['id']}", first, summary="Now with a summary.")

    changed = await list_all(leader, INITIATIVES, updated_since=edited["updated_at"])
    assert [i["title"] for i in changed] == ["First"]
    assert len(await list_all(leader, INITIATIVES, updated_since=first["created_at"])) == 2
    naive = await leader.get(INITIATIVES, params={"updated_since": "2026-01-01T00:00:00"})
    assert error_paths(assert_problem(naive, 422, "validation_failed")) == [["query", "updated_since"]]


async def test_initiative_lists_page_with_cursors(leader: httpx.AsyncClient) -> None:
    created = [await create_initiative(leader, title=f"Initiative {i}") for i in range(5)]
    seen: list[str] = []
    url: str | None = f"{INITIATIVES}?limit=2"
    pages = 0
    while url:
        response = await leader.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 2
        seen += ids(body["items"])
        pages += 1
        if body["next_cursor"]:
            link = response.headers["link"]
            assert link.endswith('>; rel="next"')
            assert f"cursor={body['next_cursor']}" in link
            url = link[1 : link.index(">")]
        else:
            assert "link" not in response.headers
            url = None
    assert pages == 3
    assert seen == ids(created)
    assert_problem(await leader.get(INITIATIVES, params={"cursor": "bogus"}), 422, "validation_failed")


# --- initiatives: updates and stages ----------------------------------------------------------------


async def test_patch_with_a_stale_if_match_is_412_and_writes_nothing(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    url = f"{INITIATIVES}/{initiative['id']}"
    edited = await patch(leader, url, initiative, title="Readers by grade 3")
    assert edited["version"] == 2

    stale = await leader.patch(url, json={"title": "Overwritten"}, headers={"If-Match": '"1"'})
    assert assert_problem(stale, 412, "stale_version")["current_version"] == 2
    stale_stage = await leader.patch(url, json={"stage": "co_designing"}, headers={"If-Match": '"1"'})
    assert_problem(stale_stage, 412, "stale_version")
    current = await get_initiative(leader, initiative["id"])
    assert current == edited


async def test_a_district_leader_walks_an_initiative_through_every_stage_to_retirement(
    leader: httpx.AsyncClient,
) -> None:
    initiative = await create_initiative(leader)
    for version, stage in enumerate(STAGES[1:], start=2):
        initiative = await move(leader, initiative, stage)
        assert initiative["version"] == version
    assert (await get_initiative(leader, initiative["id"]))["stage"] == "retired"


async def test_the_stage_history_says_who_moved_it_from_where_to_where_and_when(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    initiative = await create_initiative(leader, published=True)
    initiative = await move(leader, initiative, "co_designing", "approved")
    # A refused move leaves no trace.
    response = await leader.patch(
        f"{API}/initiatives/{initiative['id']}", json={"stage": "sustaining"}, headers=ANY_VERSION
    )
    assert_problem(response, 422, "validation_failed")
    url = f"{API}/initiatives/{initiative['id']}/stage-history"
    history = await list_all(leader, url)
    assert [(h["from_stage"], h["to_stage"]) for h in history] == [
        (None, "exploring"),
        ("exploring", "co_designing"),
        ("co_designing", "approved"),
    ]
    label = world.user("A", Role.DISTRICT_LEADER)[1]
    assert {(h["changed_by_kind"], h["changed_by_label"]) for h in history} == {("user", label)}
    assert [h["created_at"] for h in history] == sorted(h["created_at"] for h in history)

    # Whoever reads the initiative reads its history (not only the admin audit) ...
    community = await tokens.headers("A", Role.COMMUNITY_MEMBER)
    assert len(await list_all(leader, url, community)) == 3
    # ... and nobody else does.
    other = await create_initiative(leader)
    other_url = f"{API}/initiatives/{other['id']}/stage-history"
    assert_problem(await leader.get(other_url, headers=community), 404, "not_found")
    b_admin = await tokens.headers("B", Role.DISTRICT_ADMIN)
    assert_problem(await leader.get(url, headers=b_admin), 404, "not_found")


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("exploring", "co_designing"),
        ("exploring", "retired"),
        ("co_designing", "exploring"),
        ("co_designing", "approved"),
        ("co_designing", "retired"),
        ("approved", "co_designing"),
        ("approved", "implementing"),
        ("approved", "retired"),
        ("implementing", "co_designing"),
        ("implementing", "sustaining"),
        ("implementing", "retired"),
        ("sustaining", "implementing"),
        ("sustaining", "retired"),
    ],
)
async def test_legal_stage_transitions_are_accepted(leader: httpx.AsyncClient, start: str, to: str) -> None:
    initiative = await move(leader, await create_initiative(leader), *ROUTE_TO[start])
    moved = await move(leader, initiative, to)
    assert moved["version"] == initiative["version"] + 1


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("exploring", "implementing"),
        ("exploring", "approved"),
        ("exploring", "sustaining"),
        ("co_designing", "implementing"),
        ("approved", "sustaining"),
        ("retired", "exploring"),
        ("retired", "co_designing"),
        ("retired", "approved"),
        ("retired", "implementing"),
        ("retired", "sustaining"),
    ],
)
async def test_illegal_stage_transitions_are_422_and_write_nothing(
    leader: httpx.AsyncClient, start: str, to: str
) -> None:
    initiative = await move(leader, await create_initiative(leader), *ROUTE_TO[start])
    response = await leader.patch(
        f"{INITIATIVES}/{initiative['id']}", json={"stage": to, "title": "Changed"}, headers=ANY_VERSION
    )
    problem = assert_problem(response, 422, "validation_failed")
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [(["body", "stage"], "illegal_transition")]
    assert await get_initiative(leader, initiative["id"]) == initiative


async def test_an_unknown_stage_is_422(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    response = await leader.patch(
        f"{INITIATIVES}/{initiative['id']}", json={"stage": "launched"}, headers=ANY_VERSION
    )
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", "stage"]]
    assert await get_initiative(leader, initiative["id"]) == initiative


async def test_a_school_leader_approves_their_schools_initiative(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    school_leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    initiative = await create_initiative(
        leader, school_leader, title="PLC time for every grade team", school_id=str(world.school_ids("A")[0])
    )
    url = f"{INITIATIVES}/{initiative['id']}"
    designed = await patch(leader, url, initiative, school_leader, stage="co_designing")
    approved = await patch(leader, url, designed, school_leader, stage="approved")
    assert approved["stage"] == "approved"
    assert approved["version"] == 3


@pytest.mark.parametrize("role", [Role.COACH, Role.TEACHER])
async def test_coaches_and_teachers_cannot_change_an_initiative_they_can_read(
    leader: httpx.AsyncClient, tokens: Tokens, world: World, role: Role
) -> None:
    initiative = await create_initiative(leader, school_id=str(world.school_ids("A")[0]))
    initiative = await move(leader, initiative, "co_designing")
    headers = await tokens.headers("A", role)
    url = f"{INITIATIVES}/{initiative['id']}"
    assert (await leader.get(url, headers=headers)).status_code == 200
    for change in ({"title": "Mine now"}, {"stage": "approved"}, {"published": True}):
        assert_problem(await leader.patch(url, json=change, headers=headers | ANY_VERSION), 403, "forbidden")
    assert await get_initiative(leader, initiative["id"]) == initiative


async def test_a_school_leader_creates_only_for_their_own_school(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    own_school, other_school = map(str, world.school_ids("A"))
    headers = await tokens.headers("A", Role.SCHOOL_LEADER)
    mine = await create_initiative(leader, headers, title="Ours", school_id=own_school)
    assert mine["school_id"] == own_school

    other = await leader.post(
        INITIATIVES, json={"title": "Theirs", "public_value": "V", "school_id": other_school}, headers=headers
    )
    assert_problem(other, 403, "forbidden")
    district_wide = await leader.post(
        INITIATIVES, json={"title": "All", "public_value": "V"}, headers=headers
    )
    assert_problem(district_wide, 403, "forbidden")
    assert [i["title"] for i in await list_all(leader, INITIATIVES)] == ["Ours"]


@pytest.mark.parametrize("role", [Role.COACH, Role.TEACHER, Role.COMMUNITY_MEMBER, Role.VIEWER])
async def test_roles_without_the_right_cannot_create_initiatives(
    leader: httpx.AsyncClient, tokens: Tokens, world: World, role: Role
) -> None:
    headers = await tokens.headers("A", role)
    for body in (
        {"title": "T", "public_value": "V"},
        {"title": "T", "public_value": "V", "school_id": str(world.school_ids("A")[0])},
    ):
        assert_problem(await leader.post(INITIATIVES, json=body, headers=headers), 403, "forbidden")
    assert await list_all(leader, INITIATIVES) == []


async def test_anonymous_callers_get_401_not_403(client: httpx.AsyncClient) -> None:
    body = {"title": "T", "public_value": "V"}
    assert_problem(await client.post(INITIATIVES, json=body), 401, "unauthenticated")
    assert_problem(await client.get(INITIATIVES), 401, "unauthenticated")
    assert_problem(
        await client.post(STAKEHOLDERS, json={"name": "N", "category": "family"}), 401, "unauthenticated"
    )
    assert_problem(await client.get(STAKEHOLDERS), 401, "unauthenticated")


async def test_ends_on_before_starts_on_is_422(leader: httpx.AsyncClient) -> None:
    response = await leader.post(
        INITIATIVES,
        json={"title": "T", "public_value": "V", "starts_on": "2027-01-01", "ends_on": "2026-12-31"},
    )
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", "ends_on"]]
    assert await list_all(leader, INITIATIVES) == []

    initiative = await create_initiative(leader, starts_on="2027-01-01")
    moved_back = await leader.patch(
        f"{INITIATIVES}/{initiative['id']}", json={"ends_on": "2026-06-30"}, headers=ANY_VERSION
    )
    assert error_paths(assert_problem(moved_back, 422, "validation_failed")) == [["body", "ends_on"]]
    assert await get_initiative(leader, initiative["id"]) == initiative


async def test_ids_of_another_district_are_404_naming_the_field(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    b_person = (await people_of(leader, await tokens.headers("B", Role.DISTRICT_LEADER)))[0]
    b_school = str(world.school_ids("B")[0])
    for field, value in (("school_id", b_school), ("owner_person_id", b_person)):
        response = await leader.post(INITIATIVES, json={"title": "T", "public_value": "V", field: value})
        problem = assert_problem(response, 404, "not_found")
        assert error_paths(problem) == [["body", field]]
    assert await list_all(leader, INITIATIVES) == []

    initiative = await create_initiative(leader)
    response = await leader.patch(
        f"{INITIATIVES}/{initiative['id']}", json={"owner_person_id": b_person}, headers=ANY_VERSION
    )
    assert error_paths(assert_problem(response, 404, "not_found")) == [["body", "owner_person_id"]]
    assert await get_initiative(leader, initiative["id"]) == initiative


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"titel": "typo"}, ["body", "titel"], "extra_forbidden"),
        ({"stage": "implementing"}, ["body", "stage"], "extra_forbidden"),
        ({"district_id": str(uuid.uuid4())}, ["body", "district_id"], "extra_forbidden"),
        ({"version": 9}, ["body", "version"], "extra_forbidden"),
        ({"id": str(uuid.uuid4())}, ["body", "id"], "extra_forbidden"),
        ({"title": ""}, ["body", "title"], "string_too_short"),
        ({"public_value": "   "}, ["body", "public_value"], "string_too_short"),
        ({"starts_on": "next fall"}, ["body", "starts_on"], "date_from_datetime_parsing"),
    ],
)
async def test_invalid_initiative_bodies_are_422_and_write_nothing(
    leader: httpx.AsyncClient, body: Json, path: list[str], code: str
) -> None:
    full = {"title": "T", "public_value": "V", **body}
    problem = assert_problem(await leader.post(INITIATIVES, json=full), 422, "validation_failed")
    assert {"path": path, "code": code} in [{"path": e["path"], "code": e["code"]} for e in problem["errors"]]
    assert await list_all(leader, INITIATIVES) == []


@pytest.mark.parametrize(
    "body",
    [
        {"stauts": "approved"},
        {"school_id": str(uuid.uuid4())},
        {"district_id": str(uuid.uuid4())},
        {"version": 5},
        {"title": None},
        {"published": None},
    ],
)
async def test_invalid_initiative_patches_are_422_and_write_nothing(
    leader: httpx.AsyncClient, body: Json
) -> None:
    initiative = await create_initiative(leader)
    response = await leader.patch(f"{INITIATIVES}/{initiative['id']}", json=body, headers=ANY_VERSION)
    problem = assert_problem(response, 422, "validation_failed")
    assert error_paths(problem) == [["body", next(iter(body))]]
    assert await get_initiative(leader, initiative["id"]) == initiative


# --- visibility ---------------------------------------------------------------------------------------


async def _visibility_world(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    """Initiatives at each level, published and not: name -> id."""
    school_1, school_2 = map(str, world.school_ids("A"))
    made = {
        "school 1 draft": await create_initiative(client, title="s1", school_id=school_1),
        "school 2 draft": await create_initiative(client, title="s2", school_id=school_2),
        "district draft": await create_initiative(client, title="d"),
        "school 1 published": await create_initiative(
            client, title="s1p", school_id=school_1, published=True
        ),
        "school 2 published": await create_initiative(
            client, title="s2p", school_id=school_2, published=True
        ),
        "district published": await create_initiative(client, title="dp", published=True),
    }
    return {name: initiative["id"] for name, initiative in made.items()}


PUBLISHED = {"school 1 published", "school 2 published", "district published"}
EVERYTHING = PUBLISHED | {"school 1 draft", "school 2 draft", "district draft"}


@pytest.mark.parametrize(
    ("principal", "sees"),
    [
        ("district_admin", EVERYTHING),
        ("district_leader", EVERYTHING),
        ("client:read", EVERYTHING),
        ("school_leader", PUBLISHED | {"school 1 draft"}),
        ("coach", PUBLISHED | {"school 1 draft"}),
        ("teacher", PUBLISHED | {"school 1 draft"}),
        ("community_member", PUBLISHED),
        ("viewer", PUBLISHED),
    ],
)
async def test_who_sees_which_initiatives(
    leader: httpx.AsyncClient, tokens: Tokens, world: World, principal: str, sees: set[str]
) -> None:
    made = await _visibility_world(leader, world)
    if principal.startswith("client:"):
        headers = await tokens.client_headers("A", principal.removeprefix("client:"))
    else:
        headers = await tokens.headers("A", Role(principal))

    listed = set(ids(await list_all(leader, INITIATIVES, headers=headers)))
    assert listed == {made[name] for name in sees}
    for name, initiative_id in made.items():
        response = await leader.get(f"{INITIATIVES}/{initiative_id}", headers=headers)
        if name in sees:
            assert response.status_code == 200, f"{principal} should see the {name}"
        else:
            assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("label", ["roster", "referrals"])
async def test_clients_without_the_read_scope_cannot_list_initiatives(
    leader: httpx.AsyncClient, tokens: Tokens, label: str
) -> None:
    response = await leader.get(INITIATIVES, headers=await tokens.client_headers("A", label))
    assert_problem(response, 403, "forbidden")


async def test_another_districts_initiative_is_404_for_everyone_and_never_listed(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    b_leader = await tokens.headers("B", Role.DISTRICT_LEADER)
    theirs = await create_initiative(leader, b_leader, title="B's initiative", published=True)
    measure = await leader.post(
        f"{INITIATIVES}/{theirs['id']}/measures",
        json={"name": "M", "unit": "count", "direction": "increase"},
        headers=b_leader,
    )
    assert measure.status_code == 201
    ours = await create_initiative(leader, title="A's initiative", published=True)

    principals = [await tokens.headers("A", role) for role in Role]
    principals += [await tokens.client_headers("A", label) for label in ("read", "roster", "referrals")]
    url = f"{INITIATIVES}/{theirs['id']}"
    for headers in principals:
        assert_problem(await leader.get(url, headers=headers), 404, "not_found")
        assert_problem(
            await leader.patch(url, json={"title": "Ours"}, headers=headers | ANY_VERSION), 404, "not_found"
        )
        for child in ("measures", "capacity-items", "stakeholders", "triangle", "authorizing-environment"):
            assert_problem(await leader.get(f"{url}/{child}", headers=headers), 404, "not_found")
        listed = await leader.get(INITIATIVES, params={"limit": 200}, headers=headers)
        assert theirs["id"] not in listed.text
    assert ids(await list_all(leader, INITIATIVES)) == [ours["id"]]
    assert (await get_json(leader, url, b_leader))["title"] == "B's initiative"


# --- value measures -----------------------------------------------------------------------------------


async def test_measures_are_added_listed_patched_and_removed(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    measure = await add_measure(
        leader,
        initiative["id"],
        kind="outcome",
        baseline_value="41.5",
        baseline_date="2026-06-01",
        target_value="70",
        target_date="2029-06-01",
    )
    assert measure["initiative_id"] == initiative["id"]
    assert measure["version"] == 1
    assert float(measure["baseline_value"]) == 41.5
    second = await add_measure(leader, initiative["id"], name="Families at reading nights", unit="count")
    url = f"{INITIATIVES}/{initiative['id']}/measures"
    assert ids(await list_all(leader, url)) == [measure["id"], second["id"]]

    edited = await patch(leader, f"{API}/indicators/{second['id']}", second, baseline_value="12")
    assert float(edited["baseline_value"]) == 12
    assert edited["version"] == 2
    stale = await leader.patch(
        f"{API}/indicators/{second['id']}", json={"unit": "families"}, headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412, "stale_version")

    assert (await leader.delete(f"{API}/indicators/{measure['id']}")).status_code == 204
    (remaining,) = await list_all(leader, url)
    assert (remaining["id"], remaining["version"], float(remaining["baseline_value"])) == (
        second["id"],
        2,
        12,
    )
    assert_problem(await leader.delete(f"{API}/indicators/{measure['id']}"), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"unit": ""}, ["body", "unit"]),
        ({"unit": "   "}, ["body", "unit"]),
        ({"direction": "up"}, ["body", "direction"]),
        ({"kind": "vibes"}, ["body", "kind"]),
        ({"baseline_date": "2027-06-01", "target_date": "2027-05-31"}, ["body", "target_date"]),
        ({"baseline_value": "abc"}, ["body", "baseline_value"]),
        ({"initiative_id": str(uuid.uuid4())}, ["body", "initiative_id"]),
    ],
)
async def test_invalid_measures_are_422_and_write_nothing(
    leader: httpx.AsyncClient, body: Json, path: list[str]
) -> None:
    initiative = await create_initiative(leader)
    full = {"name": "M", "unit": "count", "direction": "increase", **body}
    response = await leader.post(f"{INITIATIVES}/{initiative['id']}/measures", json=full)
    assert path in error_paths(assert_problem(response, 422, "validation_failed"))
    assert await list_all(leader, f"{INITIATIVES}/{initiative['id']}/measures") == []


async def test_a_measure_patch_that_puts_the_target_before_the_baseline_is_422(
    leader: httpx.AsyncClient,
) -> None:
    initiative = await create_initiative(leader)
    measure = await add_measure(leader, initiative["id"], target_date="2028-06-01")
    response = await leader.patch(
        f"{API}/indicators/{measure['id']}", json={"baseline_date": "2028-09-01"}, headers=ANY_VERSION
    )
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", "target_date"]]
    assert await list_all(leader, f"{INITIATIVES}/{initiative['id']}/measures") == [measure]


async def test_a_teacher_reads_but_cannot_add_or_change_measures(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    initiative = await create_initiative(leader, school_id=str(world.school_ids("A")[0]))
    measure = await add_measure(leader, initiative["id"])
    teacher = await tokens.headers("A", Role.TEACHER)
    url = f"{INITIATIVES}/{initiative['id']}/measures"
    assert ids(await list_all(leader, url, headers=teacher)) == [measure["id"]]
    body = {"name": "M", "unit": "count", "direction": "increase"}
    assert_problem(await leader.post(url, json=body, headers=teacher), 403, "forbidden")
    indicator_url = f"{API}/indicators/{measure['id']}"
    assert_problem(
        await leader.patch(indicator_url, json={"unit": "n"}, headers=teacher | ANY_VERSION), 403, "forbidden"
    )
    assert_problem(await leader.delete(indicator_url, headers=teacher), 403, "forbidden")
    assert await list_all(leader, url) == [measure]


async def test_another_districts_measure_is_404(leader: httpx.AsyncClient, tokens: Tokens) -> None:
    b_leader = await tokens.headers("B", Role.DISTRICT_LEADER)
    theirs = await create_initiative(leader, b_leader)
    response = await leader.post(
        f"{INITIATIVES}/{theirs['id']}/measures",
        json={"name": "M", "unit": "count", "direction": "increase"},
        headers=b_leader,
    )
    assert response.status_code == 201
    measure = response.json()
    url = f"{API}/indicators/{measure['id']}"
    assert_problem(await leader.patch(url, json={"unit": "n"}, headers=ANY_VERSION), 404, "not_found")
    assert_problem(await leader.delete(url), 404, "not_found")
    body = {"name": "M", "unit": "count", "direction": "increase"}
    assert_problem(await leader.post(f"{INITIATIVES}/{theirs['id']}/measures", json=body), 404, "not_found")
    assert await list_all(leader, f"{INITIATIVES}/{theirs['id']}/measures", headers=b_leader) == [measure]


# --- capacity items -----------------------------------------------------------------------------------


async def test_capacity_items_are_added_listed_patched_and_removed(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    coach = await add_capacity_item(leader, initiative["id"])
    assert coach["status"] == "missing"
    assert coach["initiative_id"] == initiative["id"]
    time = await add_capacity_item(
        leader, initiative["id"], category="structures", description="Weekly PLC time", status="in_place"
    )
    url = f"{INITIATIVES}/{initiative['id']}/capacity-items"
    assert ids(await list_all(leader, url)) == [coach["id"], time["id"]]

    building = await patch(leader, f"{API}/capacity-items/{coach['id']}", coach, status="building")
    assert building["status"] == "building"
    assert building["version"] == 2
    stale = await leader.patch(
        f"{API}/capacity-items/{coach['id']}", json={"status": "in_place"}, headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412, "stale_version")

    assert (await leader.delete(f"{API}/capacity-items/{time['id']}")).status_code == 204
    assert await list_all(leader, url) == [building]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"category": "money"}, ["body", "category"]),
        ({"status": "done"}, ["body", "status"]),
        ({"description": " "}, ["body", "description"]),
        ({"owner_person_id": "not-a-uuid"}, ["body", "owner_person_id"]),
        ({"initiative_id": str(uuid.uuid4())}, ["body", "initiative_id"]),
    ],
)
async def test_invalid_capacity_items_are_422_and_write_nothing(
    leader: httpx.AsyncClient, body: Json, path: list[str]
) -> None:
    initiative = await create_initiative(leader)
    full = {"category": "people", "description": "A coach", **body}
    response = await leader.post(f"{INITIATIVES}/{initiative['id']}/capacity-items", json=full)
    assert path in error_paths(assert_problem(response, 422, "validation_failed"))
    assert await list_all(leader, f"{INITIATIVES}/{initiative['id']}/capacity-items") == []


async def test_a_teacher_cannot_add_capacity_and_another_districts_item_is_404(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    initiative = await create_initiative(leader, school_id=str(world.school_ids("A")[0]))
    body = {"category": "people", "description": "A coach"}
    url = f"{INITIATIVES}/{initiative['id']}/capacity-items"
    teacher = await tokens.headers("A", Role.TEACHER)
    assert_problem(await leader.post(url, json=body, headers=teacher), 403, "forbidden")
    assert await list_all(leader, url, headers=teacher) == []

    b_leader = await tokens.headers("B", Role.DISTRICT_LEADER)
    theirs = await create_initiative(leader, b_leader)
    response = await leader.post(f"{INITIATIVES}/{theirs['id']}/capacity-items", json=body, headers=b_leader)
    assert response.status_code == 201
    item_url = f"{API}/capacity-items/{response.json()['id']}"
    assert_problem(
        await leader.patch(item_url, json={"status": "building"}, headers=ANY_VERSION), 404, "not_found"
    )
    assert_problem(await leader.delete(item_url), 404, "not_found")
    assert (await get_json(leader, f"{INITIATIVES}/{theirs['id']}/capacity-items", b_leader))["items"] == [
        response.json()
    ]


# --- stakeholders and placements ----------------------------------------------------------------------


async def test_stakeholders_are_created_and_listed_by_category(
    leader: httpx.AsyncClient, world: World
) -> None:
    board = await create_stakeholder(
        leader,
        "Board of Education",
        "board",
        is_group=True,
        formal_authority=True,
        description="Seven members",
    )
    union = await create_stakeholder(leader, "Teachers' union", "union", is_group=True)
    parent = await create_stakeholder(leader, "Rosa Diaz", "family")
    assert board["is_group"] is True
    assert board["formal_authority"] is True
    assert board["district_id"] == str(world.district_id("A"))
    assert parent["is_group"] is False
    assert parent["formal_authority"] is False

    assert ids(await list_all(leader, STAKEHOLDERS)) == [board["id"], union["id"], parent["id"]]
    assert ids(await list_all(leader, STAKEHOLDERS, category="union")) == [union["id"]]
    assert await list_all(leader, STAKEHOLDERS, category="business") == []
    bad = await leader.get(STAKEHOLDERS, params={"category": "aliens"})
    assert error_paths(assert_problem(bad, 422, "validation_failed")) == [["query", "category"]]
    assert (await get_json(leader, f"{STAKEHOLDERS}/{board['id']}")) == board


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"category": "aliens"}, ["body", "category"]),
        ({"name": ""}, ["body", "name"]),
        ({"power": 5}, ["body", "power"]),
    ],
)
async def test_invalid_stakeholders_are_422(leader: httpx.AsyncClient, body: Json, path: list[str]) -> None:
    full = {"name": "N", "category": "family", **body}
    response = await leader.post(STAKEHOLDERS, json=full)
    assert path in error_paths(assert_problem(response, 422, "validation_failed"))
    assert await list_all(leader, STAKEHOLDERS) == []


async def test_placing_a_stakeholder_opens_its_stance_history(
    leader: httpx.AsyncClient, world: World
) -> None:
    initiative = await create_initiative(leader)
    union = await create_stakeholder(leader, "Teachers' union", "union", is_group=True)
    placement = await place(
        leader,
        initiative["id"],
        union["id"],
        power=4,
        interest=5,
        stance="skeptical",
        participation_level="consult",
        key_authorizer=True,
        evidence="Raised workload concerns at the March listening session.",
    )
    assert placement["stakeholder_id"] == union["id"]
    assert placement["initiative_id"] == initiative["id"]
    assert (placement["power"], placement["interest"], placement["stance"]) == (4, 5, "skeptical")
    assert placement["participation_level"] == "consult"
    assert placement["key_authorizer"] is True
    assert placement["version"] == 1
    assert await list_all(leader, f"{INITIATIVES}/{initiative['id']}/stakeholders") == [placement]

    leader_id, leader_email = world.user("A", Role.DISTRICT_LEADER)
    (first,) = await stance_history(leader, placement["id"])
    assert first["from_stance"] is None
    assert first["to_stance"] == "skeptical"
    assert first["evidence"] == "Raised workload concerns at the March listening session."
    assert first["recorded_by_kind"] == "user"
    assert first["recorded_by_id"] == str(leader_id)
    assert first["recorded_by_label"] == leader_email


async def test_changing_a_stance_appends_to_its_history(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    placement = await place_new(leader, initiative["id"], "Parent association", stance="neutral")
    placement = await change_stance(leader, placement, "supportive", evidence="Co-hosted reading night.")
    assert placement["stance"] == "supportive"
    assert placement["version"] == 2
    # Other changes leave the history alone.
    placement = await patch(leader, f"{PLACEMENTS}/{placement['id']}", placement, power=4)
    placement = await change_stance(leader, placement, "champion")

    history = await stance_history(leader, placement["id"])
    assert [(h["from_stance"], h["to_stance"], h["evidence"]) for h in history] == [
        (None, "neutral", None),
        ("neutral", "supportive", "Co-hosted reading night."),
        ("supportive", "champion", None),
    ]


async def test_evidence_without_a_change_of_stance_is_422(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    placement = await place_new(leader, initiative["id"], "Parent association", stance="neutral")
    url = f"{PLACEMENTS}/{placement['id']}"
    for body in ({"evidence": "Said so"}, {"stance": "neutral", "evidence": "Still neutral"}):
        response = await leader.patch(url, json=body, headers=ANY_VERSION)
        assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", "evidence"]]
    assert len(await stance_history(leader, placement["id"])) == 1
    assert await list_all(leader, f"{INITIATIVES}/{initiative['id']}/stakeholders") == [placement]


async def test_placing_the_same_stakeholder_twice_is_409(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    board = await create_stakeholder(leader, "Board", "board")
    placement = await place(leader, initiative["id"], board["id"])
    response = await leader.post(
        f"{INITIATIVES}/{initiative['id']}/stakeholders",
        json={"stakeholder_id": board["id"], "power": 5, "interest": 5, "stance": "opposed"},
    )
    assert error_paths(assert_problem(response, 409, "conflict")) == [["body", "stakeholder_id"]]
    assert await list_all(leader, f"{INITIATIVES}/{initiative['id']}/stakeholders") == [placement]
    assert len(await stance_history(leader, placement["id"])) == 1
    # The same stakeholder may stand in another initiative's environment.
    await place(leader, (await create_initiative(leader))["id"], board["id"])


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"power": 9}, ["body", "power"]),
        ({"power": 0}, ["body", "power"]),
        ({"interest": 6}, ["body", "interest"]),
        ({"stance": "hostile"}, ["body", "stance"]),
        ({"participation_level": "tokenism"}, ["body", "participation_level"]),
        ({"evidence": ""}, ["body", "evidence"]),
        ({"from_stance": "opposed"}, ["body", "from_stance"]),
    ],
)
async def test_invalid_placements_are_422_and_write_nothing(
    leader: httpx.AsyncClient, body: Json, path: list[str]
) -> None:
    initiative = await create_initiative(leader)
    board = await create_stakeholder(leader, "Board", "board")
    full = {"stakeholder_id": board["id"], "power": 3, "interest": 3, "stance": "neutral", **body}
    response = await leader.post(f"{INITIATIVES}/{initiative['id']}/stakeholders", json=full)
    assert path in error_paths(assert_problem(response, 422, "validation_failed"))
    assert await list_all(leader, f"{INITIATIVES}/{initiative['id']}/stakeholders") == []


async def test_a_placement_patch_out_of_range_is_422(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    placement = await place_new(leader, initiative["id"], "Board", "board")
    for body, path in (({"power": 9}, "power"), ({"interest": 0}, "interest")):
        response = await leader.patch(f"{PLACEMENTS}/{placement['id']}", json=body, headers=ANY_VERSION)
        assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", path]]
    assert await list_all(leader, f"{INITIATIVES}/{initiative['id']}/stakeholders") == [placement]


async def test_placing_another_districts_stakeholder_is_404_and_writes_nothing(
    leader: httpx.AsyncClient, tokens: Tokens
) -> None:
    b_leader = await tokens.headers("B", Role.DISTRICT_LEADER)
    response = await leader.post(
        STAKEHOLDERS, json={"name": "B's board", "category": "board"}, headers=b_leader
    )
    assert response.status_code == 201
    theirs = response.json()
    initiative = await create_initiative(leader)
    url = f"{INITIATIVES}/{initiative['id']}/stakeholders"
    for stakeholder_id in (theirs["id"], str(uuid.uuid4())):
        body = {"stakeholder_id": stakeholder_id, "power": 3, "interest": 3, "stance": "neutral"}
        problem = assert_problem(await leader.post(url, json=body), 404, "not_found")
        assert error_paths(problem) == [["body", "stakeholder_id"]]
    assert await list_all(leader, url) == []
    assert_problem(await leader.get(f"{STAKEHOLDERS}/{theirs['id']}"), 404, "not_found")
    assert theirs["id"] not in ids(await list_all(leader, STAKEHOLDERS))


@pytest.mark.parametrize("role", [Role.TEACHER, Role.COMMUNITY_MEMBER, Role.VIEWER])
async def test_teachers_and_community_members_cannot_see_the_authorizing_environment(
    leader: httpx.AsyncClient, tokens: Tokens, world: World, role: Role
) -> None:
    initiative = await create_initiative(leader, school_id=str(world.school_ids("A")[0]), published=True)
    placement = await place_new(leader, initiative["id"], "Board", "board")
    headers = await tokens.headers("A", role)
    url = f"{INITIATIVES}/{initiative['id']}"
    assert (await leader.get(url, headers=headers)).status_code == 200, "the initiative itself is visible"
    for path in (
        STAKEHOLDERS,
        f"{STAKEHOLDERS}/{placement['stakeholder_id']}",
        f"{url}/stakeholders",
        f"{url}/authorizing-environment",
        f"{url}/triangle",
        f"{PLACEMENTS}/{placement['id']}/stance-history",
    ):
        assert_problem(await leader.get(path, headers=headers), 403, "forbidden")
    body = {"name": "N", "category": "family"}
    assert_problem(await leader.post(STAKEHOLDERS, json=body, headers=headers), 403, "forbidden")


async def test_coaches_see_the_authorizing_environment_but_do_not_change_it(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    initiative = await create_initiative(leader, school_id=str(world.school_ids("A")[0]))
    placement = await place_new(leader, initiative["id"], "Board", "board")
    coach = await tokens.headers("A", Role.COACH)
    url = f"{INITIATIVES}/{initiative['id']}"
    assert ids(await list_all(leader, STAKEHOLDERS, headers=coach)) == [placement["stakeholder_id"]]
    assert ids(await list_all(leader, f"{url}/stakeholders", headers=coach)) == [placement["id"]]
    assert len(await list_all(leader, f"{PLACEMENTS}/{placement['id']}/stance-history", headers=coach)) == 1
    assert (await get_json(leader, f"{url}/authorizing-environment", coach))["stance_counts"]["neutral"] == 1
    assert (await get_json(leader, f"{url}/triangle", coach))["initiative_id"] == initiative["id"]

    patched = await leader.patch(
        f"{PLACEMENTS}/{placement['id']}", json={"stance": "opposed"}, headers=coach | ANY_VERSION
    )
    assert_problem(patched, 403, "forbidden")
    body = {"name": "N", "category": "family"}
    assert_problem(await leader.post(STAKEHOLDERS, json=body, headers=coach), 403, "forbidden")


# --- the map ------------------------------------------------------------------------------------------


async def test_the_map_puts_stakeholders_in_power_interest_quadrants(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    grid = [
        ("Board", 5, 5, "champion"),
        ("Superintendent's cabinet", 5, 1, "neutral"),
        ("Parents", 1, 5, "supportive"),
        ("Local business", 2, 2, "neutral"),
        ("Union", 3, 3, "skeptical"),
    ]
    placed = {}
    for name, power, interest, stance in grid:
        placed[name] = await place_new(
            leader, initiative["id"], name, power=power, interest=interest, stance=stance
        )

    environment = await get_json(leader, f"{INITIATIVES}/{initiative['id']}/authorizing-environment")
    assert environment["initiative_id"] == initiative["id"]
    by_quadrant = {
        q: [e["stakeholder"]["name"] for e in entries] for q, entries in environment["quadrants"].items()
    }
    assert by_quadrant == {
        "key_players": ["Board", "Union"],
        "keep_satisfied": ["Superintendent's cabinet"],
        "keep_informed": ["Parents"],
        "monitor": ["Local business"],
    }
    union = environment["quadrants"]["key_players"][1]
    assert union["placement_id"] == placed["Union"]["id"]
    assert (union["power"], union["interest"], union["quadrant"]) == (3, 3, "key_players")
    assert union["stance"] == "skeptical"
    assert union["stakeholder"]["id"] == placed["Union"]["stakeholder_id"]
    assert environment["stance_counts"] == {
        "opposed": 0,
        "skeptical": 1,
        "neutral": 2,
        "supportive": 1,
        "champion": 1,
    }


async def test_an_empty_map_has_every_quadrant_and_zero_counts(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    environment = await get_json(leader, f"{INITIATIVES}/{initiative['id']}/authorizing-environment")
    assert environment["quadrants"] == {
        "key_players": [],
        "keep_satisfied": [],
        "keep_informed": [],
        "monitor": [],
    }
    assert set(environment["stance_counts"].values()) == {0}


# --- the triangle: public value -----------------------------------------------------------------------


async def test_no_measure_is_found_until_one_is_added(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    diagnosis = await diagnose(leader, initiative["id"])
    (finding,) = findings(diagnosis, "public_value.no_measure")
    assert finding["severity"] == "high"
    assert finding["corner"] == "public_value"
    assert finding["explanation"]
    assert score(diagnosis, "public_value") == 60

    await add_measure(leader, initiative["id"], baseline_value="40")
    diagnosis = await diagnose(leader, initiative["id"])
    assert "public_value.no_measure" not in codes(diagnosis)
    assert score(diagnosis, "public_value") == 100


async def test_no_baseline_lists_only_the_measures_without_one(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    without = await add_measure(leader, initiative["id"], name="Attendance at reading nights")
    await add_measure(leader, initiative["id"], name="Proficiency", baseline_value="40")
    also_without = await add_measure(leader, initiative["id"], name="Books read")

    diagnosis = await diagnose(leader, initiative["id"])
    (finding,) = findings(diagnosis, "public_value.no_baseline")
    assert finding["severity"] == "medium"
    assert finding["subjects"] == [without["id"], also_without["id"]]
    assert "Attendance at reading nights" in finding["explanation"]
    assert "public_value.no_measure" not in codes(diagnosis)
    assert score(diagnosis, "public_value") == 80

    await patch(leader, f"{API}/indicators/{without['id']}", without, baseline_value="0")
    (finding,) = findings(await diagnose(leader, initiative["id"]), "public_value.no_baseline")
    assert finding["subjects"] == [also_without["id"]]

    assert (await leader.delete(f"{API}/indicators/{also_without['id']}")).status_code == 204
    assert "public_value.no_baseline" not in codes(await diagnose(leader, initiative["id"]))


# --- the triangle: capacity ---------------------------------------------------------------------------


async def test_missing_capacity_is_found_only_while_implementing(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    missing = await add_capacity_item(leader, initiative["id"], description="Decodable texts")
    await add_capacity_item(leader, initiative["id"], category="skills", status="building")
    code = "capacity.missing_while_implementing"

    initiative = await move(leader, initiative, "co_designing", "approved")
    assert code not in codes(await diagnose(leader, initiative["id"]))

    initiative = await move(leader, initiative, "implementing")
    diagnosis = await diagnose(leader, initiative["id"])
    (finding,) = findings(diagnosis, code)
    assert finding["severity"] == "high"
    assert finding["subjects"] == [missing["id"]]
    assert "Decodable texts" in finding["explanation"]
    assert score(diagnosis, "capacity") == 60

    initiative = await move(leader, initiative, "sustaining")
    assert code not in codes(await diagnose(leader, initiative["id"]))

    initiative = await move(leader, initiative, "implementing")
    assert code in codes(await diagnose(leader, initiative["id"]))

    await patch(leader, f"{API}/capacity-items/{missing['id']}", missing, status="building")
    diagnosis = await diagnose(leader, initiative["id"])
    assert code not in codes(diagnosis)
    assert score(diagnosis, "capacity") == 100


# --- the triangle: legitimacy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("power", "key_authorizer", "stance", "severity"),
    [
        pytest.param(2, True, "skeptical", "medium", id="key-authorizer-skeptical"),
        pytest.param(2, True, "opposed", "high", id="key-authorizer-opposed"),
        pytest.param(4, False, "skeptical", "medium", id="power-4-skeptical"),
        pytest.param(5, False, "opposed", "high", id="power-5-opposed"),
        pytest.param(3, False, "opposed", None, id="power-3-opposed-is-not-key"),
        pytest.param(5, True, "neutral", None, id="key-authorizer-neutral"),
    ],
)
async def test_key_stakeholders_resisting(
    leader: httpx.AsyncClient, power: int, key_authorizer: bool, stance: str, severity: str | None
) -> None:
    initiative = await create_initiative(leader)
    await place_new(leader, initiative["id"], "Parents", "family", stance="supportive")
    resisting = await place_new(
        leader, initiative["id"], "Board", "board", power=power, key_authorizer=key_authorizer, stance=stance
    )
    found = findings(await diagnose(leader, initiative["id"]), "legitimacy.key_stakeholder_resisting")
    if severity is None:
        assert found == []
    else:
        (finding,) = found
        assert finding["severity"] == severity
        assert finding["subjects"] == [resisting["id"]]
        assert "Board" in finding["explanation"]


async def test_a_resisting_key_authorizer_is_found_until_they_come_round(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    board = await place_new(
        leader, initiative["id"], "Board", "board", key_authorizer=True, stance="skeptical"
    )
    code = "legitimacy.key_stakeholder_resisting"
    assert [f["severity"] for f in findings(await diagnose(leader, initiative["id"]), code)] == ["medium"]

    board = await change_stance(leader, board, "opposed", evidence="Voted against the pilot budget.")
    assert [f["severity"] for f in findings(await diagnose(leader, initiative["id"]), code)] == ["high"]

    await change_stance(leader, board, "supportive", evidence="Approved the revised plan.")
    assert findings(await diagnose(leader, initiative["id"]), code) == []


async def test_no_authorizing_environment_then_no_support_then_neither(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    diagnosis = await diagnose(leader, initiative["id"])
    (empty,) = findings(diagnosis, "legitimacy.no_authorizing_environment")
    assert empty["severity"] == "high"
    assert "legitimacy.no_support" not in codes(diagnosis)

    parents = await place_new(leader, initiative["id"], "Parents", "family", stance="neutral")
    await place_new(leader, initiative["id"], "Union", "union", stance="skeptical")
    diagnosis = await diagnose(leader, initiative["id"])
    assert "legitimacy.no_authorizing_environment" not in codes(diagnosis)
    (no_support,) = findings(diagnosis, "legitimacy.no_support")
    assert no_support["severity"] == "high"

    await change_stance(leader, parents, "supportive")
    diagnosis = await diagnose(leader, initiative["id"])
    assert {"legitimacy.no_authorizing_environment", "legitimacy.no_support"} & codes(diagnosis) == set()


async def test_a_champion_counts_as_support(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    await place_new(leader, initiative["id"], "Parents", "family", stance="champion")
    assert "legitimacy.no_support" not in codes(await diagnose(leader, initiative["id"]))


@pytest.mark.parametrize(
    ("supporters", "others", "narrow"),
    [
        pytest.param(["teacher"], [], True, id="one-category"),
        pytest.param(["teacher", "teacher", "teacher"], [], True, id="one-category-many-supporters"),
        pytest.param(["teacher", "school_leadership"], [], True, id="two-categories"),
        pytest.param(["teacher"], ["family", "union"], True, id="non-supporters-do-not-widen-it"),
        pytest.param(["teacher", "family", "union"], [], False, id="three-categories"),
        pytest.param([], ["teacher"], False, id="no-supporters-at-all"),
    ],
)
async def test_narrow_coalition(
    leader: httpx.AsyncClient, supporters: list[str], others: list[str], narrow: bool
) -> None:
    initiative = await create_initiative(leader)
    supporting = [
        await place_new(leader, initiative["id"], f"Supporter {i}", category, stance="supportive")
        for i, category in enumerate(supporters)
    ]
    for i, category in enumerate(others):
        await place_new(leader, initiative["id"], f"Other {i}", category, stance="neutral")

    found = findings(await diagnose(leader, initiative["id"]), "legitimacy.narrow_coalition")
    if narrow:
        (finding,) = found
        assert finding["severity"] == "medium"
        assert finding["subjects"] == ids(supporting)
    else:
        assert found == []


async def test_a_coalition_widens_when_a_third_category_comes_on_board(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    await place_new(leader, initiative["id"], "Teachers", "teacher", stance="supportive")
    await place_new(leader, initiative["id"], "Principals", "school_leadership", stance="champion")
    families = await place_new(leader, initiative["id"], "Families", "family", stance="skeptical")
    assert "legitimacy.narrow_coalition" in codes(await diagnose(leader, initiative["id"]))

    await change_stance(leader, families, "supportive", evidence="Design team adopted their ideas.")
    assert "legitimacy.narrow_coalition" not in codes(await diagnose(leader, initiative["id"]))


async def test_formal_authority_only_informed(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    board = await place_new(
        leader, initiative["id"], "Board", "board", formal_authority=True, participation_level="inform"
    )
    await place_new(leader, initiative["id"], "Parents", "family", participation_level="inform")
    (finding,) = findings(
        await diagnose(leader, initiative["id"]), "legitimacy.formal_authority_only_informed"
    )
    assert finding["severity"] == "medium"
    assert finding["subjects"] == [board["id"]]

    await patch(leader, f"{PLACEMENTS}/{board['id']}", board, participation_level="consult")
    assert "legitimacy.formal_authority_only_informed" not in codes(await diagnose(leader, initiative["id"]))


@pytest.mark.parametrize("level", ["consult", "involve", "collaborate", "empower"])
async def test_formal_authority_beyond_inform_is_not_a_finding(leader: httpx.AsyncClient, level: str) -> None:
    initiative = await create_initiative(leader)
    await place_new(
        leader, initiative["id"], "Board", "board", formal_authority=True, participation_level=level
    )
    assert "legitimacy.formal_authority_only_informed" not in codes(await diagnose(leader, initiative["id"]))


@pytest.mark.parametrize(
    ("stances", "trending_down"),
    [
        pytest.param(["supportive", "skeptical"], True, id="supportive-to-skeptical"),
        pytest.param(["champion", "supportive"], True, id="champion-to-supportive"),
        pytest.param(["neutral", "supportive", "opposed"], True, id="up-then-below-the-start"),
        pytest.param(["supportive", "skeptical", "supportive"], False, id="recovered"),
        pytest.param(["neutral"], False, id="neutral-alone"),
        pytest.param(["skeptical", "supportive"], False, id="moving-up"),
        pytest.param(["skeptical", "champion", "supportive"], False, id="down-but-above-the-start"),
    ],
)
async def test_stance_trending_down(
    leader: httpx.AsyncClient, stances: list[str], trending_down: bool
) -> None:
    initiative = await create_initiative(leader)
    placement = await place_new(leader, initiative["id"], "Union", "union", stance=stances[0])
    for stance in stances[1:]:
        placement = await change_stance(leader, placement, stance, evidence=f"Now {stance}.")

    found = findings(await diagnose(leader, initiative["id"]), "legitimacy.stance_trending_down")
    if trending_down:
        (finding,) = found
        assert finding["severity"] == "medium"
        assert finding["subjects"] == [placement["id"]]
    else:
        assert found == []


# --- the triangle: scores -----------------------------------------------------------------------------


async def test_a_new_initiative_is_weakest_in_public_value_on_a_tie(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    diagnosis = await diagnose(leader, initiative["id"])
    assert [(c["corner"], c["score"]) for c in diagnosis["corners"]] == [
        ("public_value", 60),
        ("capacity", 100),
        ("legitimacy", 60),
    ]
    assert diagnosis["weakest"] == "public_value"


async def test_scores_subtract_per_finding_and_stop_at_zero(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    await add_measure(leader, initiative["id"])  # no baseline: one medium finding
    await place_new(
        leader,
        initiative["id"],
        "Board",
        "board",
        formal_authority=True,
        key_authorizer=True,
        power=5,
        stance="skeptical",
    )
    diagnosis = await diagnose(leader, initiative["id"])
    # key authorizer skeptical (medium), no support (high), formal authority only informed (medium)
    assert sorted(f["severity"] for f in diagnosis["corners"][2]["findings"]) == ["high", "medium", "medium"]
    assert [c["score"] for c in diagnosis["corners"]] == [80, 100, 20]
    assert diagnosis["weakest"] == "legitimacy"

    await place_new(leader, initiative["id"], "Union", "union", key_authorizer=True, stance="opposed")
    diagnosis = await diagnose(leader, initiative["id"])
    # ... and now an opposed key authorizer too (high): 100 - 40 - 40 - 20 - 20 is below zero.
    assert score(diagnosis, "legitimacy") == 0
    assert diagnosis["weakest"] == "legitimacy"
