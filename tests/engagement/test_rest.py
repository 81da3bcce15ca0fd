"""REST for co-creation and co-production: activities, participations, inputs and what became of them,
and the reports built on that record, with real tokens from the real token endpoint."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity.models import Role
from tests.conftest import ANY_VERSION, Tokens, World
from tests.initiatives.test_rest import (
    add_capacity_item,
    assert_problem,
    create_initiative,
    create_stakeholder,
    error_paths,
    get_json,
    ids,
    list_all,
    patch,
    place,
)

API = "/api/v1"
ACTIVITIES = f"{API}/activities"
PARTICIPATIONS = f"{API}/participations"
INPUTS = f"{API}/inputs"
INPUT_LINKS = f"{API}/input-links"
INITIATIVES = f"{API}/initiatives"

Headers = dict[str, str]
Json = dict[str, Any]

TODAY = date.today()
PAST = (TODAY - timedelta(days=3)).isoformat()
FUTURE = (TODAY + timedelta(days=30)).isoformat()


# --- helpers ----------------------------------------------------------------------------------------


@pytest.fixture
async def leader(client: httpx.AsyncClient, tokens: Tokens) -> httpx.AsyncClient:
    """The HTTP client, signed in as district A's district leader (headers given per call win)."""
    client.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    return client


async def create_activity(client: httpx.AsyncClient, headers: Headers | None = None, **fields: Any) -> Json:
    body = {
        "mode": "co_creation",
        "kind": "design_session",
        "title": "Reading nights design session",
        "held_on": PAST,
        "participation_level": "involve",
        **fields,
    }
    response = await client.post(ACTIVITIES, json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == f'"{response.json()["version"]}"'
    return response.json()


async def held_activity(client: httpx.AsyncClient, **fields: Any) -> Json:
    return await create_activity(client, status="held", **fields)


async def get_activity(client: httpx.AsyncClient, activity_id: str) -> Json:
    return await get_json(client, f"{ACTIVITIES}/{activity_id}")


async def set_status(client: httpx.AsyncClient, activity: Json, status: str) -> Json:
    return await patch(client, f"{ACTIVITIES}/{activity['id']}", activity, status=status)


async def participate(
    client: httpx.AsyncClient, activity_id: str, headers: Headers | None = None, **fields: Any
) -> Json:
    response = await client.post(f"{ACTIVITIES}/{activity_id}/participations", json=fields, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def add_input(
    client: httpx.AsyncClient,
    activity_id: str,
    participation_id: str,
    headers: Headers | None = None,
    **fields: Any,
) -> Json:
    body = {"participation_id": participation_id, "kind": "idea", "text": "Hold them on Saturdays.", **fields}
    response = await client.post(f"{ACTIVITIES}/{activity_id}/inputs", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    return response.json()


async def update_input(client: httpx.AsyncClient, row: Json, **changes: Any) -> Json:
    return await patch(client, f"{INPUTS}/{row['id']}", row, **changes)


async def new_person(client: httpx.AsyncClient, tokens: Tokens, name: str, kind: str = "family") -> str:
    """A person of district A, created by its admin."""
    response = await client.post(
        f"{API}/people",
        json={"display_name": name, "kind": kind},
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN),
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def person_of(client: httpx.AsyncClient, tokens: Tokens, world: World, role: Role) -> str:
    """The person behind district A's account for `role`."""
    user_id, _ = world.user("A", role)
    user = await get_json(client, f"{API}/users/{user_id}", await tokens.headers("A", Role.DISTRICT_ADMIN))
    return user["person_id"]


async def placement_of(client: httpx.AsyncClient, initiative_id: str, stakeholder_id: str) -> Json:
    placements = await list_all(client, f"{INITIATIVES}/{initiative_id}/stakeholders")
    return next(p for p in placements if p["stakeholder_id"] == stakeholder_id)


async def you_said_we_did(
    client: httpx.AsyncClient, initiative_id: str, headers: Headers | None = None
) -> Json:
    return await get_json(client, f"{INITIATIVES}/{initiative_id}/you-said-we-did", headers)


def inputs_of(report: Json) -> dict[str, Json]:
    return {row["text"]: row for group in report["groups"] for row in group["inputs"]}


# --- activities -------------------------------------------------------------------------------------


async def test_a_leader_records_reads_lists_and_updates_an_activity(
    leader: httpx.AsyncClient, world: World
) -> None:
    school_1 = str(world.school_ids("A")[0])
    initiative = await create_initiative(leader, school_id=school_1)
    response = await leader.post(
        ACTIVITIES,
        json={
            "mode": "co_creation",
            "kind": "design_session",
            "title": "  Reading nights design session ",
            "held_on": FUTURE,
            "participation_level": "collaborate",
            "initiative_id": initiative["id"],
            "summary": "Families and teachers design the nights together.",
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    activity = response.json()
    assert activity["title"] == "Reading nights design session"
    assert activity["status"] == "planned"
    assert activity["published"] is False
    assert activity["school_id"] == school_1, "an activity takes its initiative's school"
    assert activity["district_id"] == str(world.district_id("A"))
    assert activity["initiative_id"] == initiative["id"]
    assert activity["version"] == 1

    fetched = await leader.get(f"{ACTIVITIES}/{activity['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == activity
    assert fetched.headers["etag"] == '"1"'
    assert await list_all(leader, ACTIVITIES) == [activity]

    edited = await patch(
        leader, f"{ACTIVITIES}/{activity['id']}", activity, title="Design night", published=True
    )
    assert (edited["title"], edited["published"], edited["version"]) == ("Design night", True, 2)
    assert await get_activity(leader, activity["id"]) == edited


async def test_activity_lists_filter_by_initiative_school_mode_and_status(
    leader: httpx.AsyncClient, world: World
) -> None:
    school_1, school_2 = map(str, world.school_ids("A"))
    initiative = await create_initiative(leader)
    design = await create_activity(leader, title="Design", initiative_id=initiative["id"], school_id=school_1)
    plc = await create_activity(
        leader, title="PLC", mode="co_production", kind="co_led_plc", school_id=school_2, status="held"
    )
    district = await create_activity(leader, title="Listening", kind="listening_session", status="cancelled")

    async def titles(**params: Any) -> list[str]:
        return [a["title"] for a in await list_all(leader, ACTIVITIES, **params)]

    assert await titles() == ["Design", "PLC", "Listening"]
    assert await titles(initiative_id=initiative["id"]) == ["Design"]
    assert await titles(school_id=school_2) == ["PLC"]
    assert await titles(mode="co_production") == ["PLC"]
    assert await titles(mode="co_creation") == ["Design", "Listening"]
    assert await titles(status="planned") == ["Design"]
    assert await titles(status="cancelled") == ["Listening"]
    assert await titles(mode="co_creation", school_id=school_2) == []
    assert ids([design, plc, district]) == ids(await list_all(leader, ACTIVITIES))

    edited = await patch(leader, f"{ACTIVITIES}/{plc['id']}", plc, summary="Notes.")
    assert await titles(updated_since=edited["updated_at"]) == ["PLC"]
    assert_problem(await leader.get(ACTIVITIES, params={"mode": "co_design"}), 422, "validation_failed")


async def test_patching_an_activity_with_a_stale_if_match_is_412_and_writes_nothing(
    leader: httpx.AsyncClient,
) -> None:
    activity = await create_activity(leader)
    url = f"{ACTIVITIES}/{activity['id']}"
    edited = await patch(leader, url, activity, title="Renamed")

    stale = await leader.patch(url, json={"title": "Overwritten"}, headers={"If-Match": '"1"'})
    assert assert_problem(stale, 412, "stale_version")["current_version"] == 2
    stale_status = await leader.patch(url, json={"status": "held"}, headers={"If-Match": '"1"'})
    assert_problem(stale_status, 412, "stale_version")
    assert await get_activity(leader, activity["id"]) == edited


@pytest.mark.parametrize(
    ("route", "to"),
    [
        (["held"], "planned"),
        (["held"], "cancelled"),
        (["cancelled"], "held"),
    ],
)
async def test_illegal_status_transitions_are_422_and_write_nothing(
    leader: httpx.AsyncClient, route: list[str], to: str
) -> None:
    activity = await create_activity(leader)
    for status in route:
        activity = await set_status(leader, activity, status)
    response = await leader.patch(f"{ACTIVITIES}/{activity['id']}", json={"status": to}, headers=ANY_VERSION)
    problem = assert_problem(response, 422, "validation_failed")
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [(["body", "status"], "illegal_transition")]
    assert await get_activity(leader, activity["id"]) == activity


async def test_legal_status_transitions(leader: httpx.AsyncClient) -> None:
    activity = await create_activity(leader)
    activity = await set_status(leader, activity, "cancelled")
    activity = await set_status(leader, activity, "planned")
    activity = await set_status(leader, activity, "held")
    assert (activity["status"], activity["version"]) == ("held", 4)


async def test_a_held_activity_cannot_be_dated_in_the_future(leader: httpx.AsyncClient) -> None:
    response = await leader.post(
        ACTIVITIES,
        json={
            "mode": "co_creation",
            "kind": "design_session",
            "title": "T",
            "held_on": FUTURE,
            "participation_level": "consult",
            "status": "held",
        },
    )
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", "held_on"]]
    planned = await create_activity(leader, held_on=FUTURE)
    response = await leader.patch(
        f"{ACTIVITIES}/{planned['id']}", json={"status": "held"}, headers=ANY_VERSION
    )
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", "held_on"]]
    assert await list_all(leader, ACTIVITIES) == [planned]


async def test_an_activity_at_another_school_than_its_initiative_is_422(
    leader: httpx.AsyncClient, world: World
) -> None:
    school_1, school_2 = map(str, world.school_ids("A"))
    initiative = await create_initiative(leader, school_id=school_1)
    response = await leader.post(
        ACTIVITIES,
        json={
            "mode": "co_creation",
            "kind": "design_session",
            "title": "T",
            "held_on": PAST,
            "participation_level": "consult",
            "initiative_id": initiative["id"],
            "school_id": school_2,
        },
    )
    problem = assert_problem(response, 422, "validation_failed")
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [(["body", "school_id"], "school_mismatch")]
    assert await list_all(leader, ACTIVITIES) == []


@pytest.mark.parametrize(
    "body",
    [
        {"district_id": str(uuid.uuid4())},
        {"version": 3},
        {"mode": "co_production"},
        {"status": None},
        {"titel": "typo"},
    ],
)
async def test_invalid_activity_patches_are_422(leader: httpx.AsyncClient, body: Json) -> None:
    activity = await create_activity(leader)
    response = await leader.patch(f"{ACTIVITIES}/{activity['id']}", json=body, headers=ANY_VERSION)
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", next(iter(body))]]
    assert await get_activity(leader, activity["id"]) == activity


@pytest.mark.parametrize("role", [Role.TEACHER, Role.COMMUNITY_MEMBER, Role.VIEWER])
async def test_roles_that_do_not_run_activities_cannot_record_or_change_them(
    leader: httpx.AsyncClient, tokens: Tokens, world: World, role: Role
) -> None:
    school_1 = str(world.school_ids("A")[0])
    activity = await create_activity(leader, school_id=school_1, published=True)
    headers = await tokens.headers("A", role)
    body = {
        "mode": "co_creation",
        "kind": "design_session",
        "title": "Mine",
        "held_on": PAST,
        "participation_level": "consult",
        "school_id": school_1,
    }
    assert_problem(await leader.post(ACTIVITIES, json=body, headers=headers), 403, "forbidden")
    response = await leader.patch(
        f"{ACTIVITIES}/{activity['id']}", json={"title": "Mine"}, headers=headers | ANY_VERSION
    )
    assert_problem(response, 403, "forbidden")
    assert await list_all(leader, ACTIVITIES) == [activity]


async def test_a_coach_runs_activities_at_their_school_only(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    school_1, school_2 = map(str, world.school_ids("A"))
    coach = await tokens.headers("A", Role.COACH)
    mine = await create_activity(
        leader, coach, kind="coaching_cycle", mode="co_production", school_id=school_1
    )
    assert mine["school_id"] == school_1
    body = {
        "mode": "co_production",
        "kind": "coaching_cycle",
        "title": "T",
        "held_on": PAST,
        "participation_level": "involve",
    }
    for extra in ({"school_id": school_2}, {}):
        response = await leader.post(ACTIVITIES, json={**body, **extra}, headers=coach)
        assert_problem(response, 403, "forbidden")
    assert ids(await list_all(leader, ACTIVITIES)) == [mine["id"]]


async def test_another_districts_activity_is_404_for_everyone_and_never_listed(
    leader: httpx.AsyncClient, tokens: Tokens
) -> None:
    b_leader = await tokens.headers("B", Role.DISTRICT_LEADER)
    theirs = await create_activity(leader, b_leader, title="B's session", status="held", published=True)
    stakeholder = await leader.post(
        f"{API}/stakeholders", json={"name": "B parents", "category": "family"}, headers=b_leader
    )
    their_participation = await participate(
        leader, theirs["id"], b_leader, stakeholder_id=stakeholder.json()["id"], may_be_named=True
    )
    their_input = await add_input(leader, theirs["id"], their_participation["id"], b_leader)

    principals = [await tokens.headers("A", role) for role in Role]
    principals += [await tokens.client_headers("A", label) for label in ("read", "roster", "referrals")]
    url = f"{ACTIVITIES}/{theirs['id']}"
    for headers in principals:
        assert_problem(await leader.get(url, headers=headers), 404, "not_found")
        assert_problem(
            await leader.patch(url, json={"title": "Ours"}, headers=headers | ANY_VERSION), 404, "not_found"
        )
        for child in ("participations", "inputs"):
            assert_problem(await leader.get(f"{url}/{child}", headers=headers), 404, "not_found")
        for path in (f"{PARTICIPATIONS}/{their_participation['id']}", f"{INPUTS}/{their_input['id']}"):
            assert_problem(await leader.get(path, headers=headers), 404, "not_found")
        response = await leader.patch(
            f"{INPUTS}/{their_input['id']}", json={"disposition": "adopted"}, headers=headers | ANY_VERSION
        )
        assert_problem(response, 404, "not_found")
        listed = await leader.get(ACTIVITIES, params={"limit": 200}, headers=headers)
        assert theirs["id"] not in listed.text
    assert (await get_json(leader, f"{INPUTS}/{their_input['id']}", b_leader))["disposition"] == "open"


# --- visibility -------------------------------------------------------------------------------------


async def _visibility_world(client: httpx.AsyncClient, tokens: Tokens, world: World) -> dict[str, str]:
    """Activities at each level, published and not, and one the community member took part in."""
    school_1, school_2 = map(str, world.school_ids("A"))
    made = {
        "school 1 draft": await create_activity(client, title="s1", school_id=school_1),
        "school 2 draft": await create_activity(client, title="s2", school_id=school_2),
        "district draft": await create_activity(client, title="d"),
        "school 1 published": await create_activity(client, title="s1p", school_id=school_1, published=True),
        "school 2 published": await create_activity(client, title="s2p", school_id=school_2, published=True),
        "district published": await create_activity(client, title="dp", published=True),
        "school 2 draft with the community member": await create_activity(
            client, title="s2c", school_id=school_2
        ),
    }
    community = await person_of(client, tokens, world, Role.COMMUNITY_MEMBER)
    await participate(client, made["school 2 draft with the community member"]["id"], person_id=community)
    return {name: activity["id"] for name, activity in made.items()}


PUBLISHED = {"school 1 published", "school 2 published", "district published"}
EVERYTHING = PUBLISHED | {
    "school 1 draft",
    "school 2 draft",
    "district draft",
    "school 2 draft with the community member",
}


@pytest.mark.parametrize(
    ("principal", "sees"),
    [
        ("district_admin", EVERYTHING),
        ("district_leader", EVERYTHING),
        ("client:read", EVERYTHING),
        ("school_leader", PUBLISHED | {"school 1 draft"}),
        ("coach", PUBLISHED | {"school 1 draft"}),
        ("teacher", PUBLISHED | {"school 1 draft"}),
        ("community_member", PUBLISHED | {"school 2 draft with the community member"}),
        ("viewer", PUBLISHED),
    ],
)
async def test_who_sees_which_activities(
    leader: httpx.AsyncClient, tokens: Tokens, world: World, principal: str, sees: set[str]
) -> None:
    made = await _visibility_world(leader, tokens, world)
    if principal.startswith("client:"):
        headers = await tokens.client_headers("A", principal.removeprefix("client:"))
    else:
        headers = await tokens.headers("A", Role(principal))

    listed = set(ids(await list_all(leader, ACTIVITIES, headers=headers)))
    assert listed == {made[name] for name in sees}
    for name, activity_id in made.items():
        response = await leader.get(f"{ACTIVITIES}/{activity_id}", headers=headers)
        if name in sees:
            assert response.status_code == 200, f"{principal} should see the {name}"
        else:
            assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("label", ["roster", "referrals"])
async def test_clients_without_the_read_scope_cannot_list_activities(
    leader: httpx.AsyncClient, tokens: Tokens, label: str
) -> None:
    response = await leader.get(ACTIVITIES, headers=await tokens.client_headers("A", label))
    assert_problem(response, 403, "forbidden")


# --- participations ---------------------------------------------------------------------------------


async def test_participations_are_recorded_listed_read_changed_and_removed(
    leader: httpx.AsyncClient, tokens: Tokens
) -> None:
    activity = await create_activity(leader)
    parents = await create_stakeholder(leader, "Parent association", "family")
    person = await new_person(leader, tokens, "Ana Reyes")
    by_stakeholder = await participate(leader, activity["id"], stakeholder_id=parents["id"])
    assert by_stakeholder["activity_id"] == activity["id"]
    assert (by_stakeholder["stakeholder_id"], by_stakeholder["person_id"]) == (parents["id"], None)
    assert (by_stakeholder["role"], by_stakeholder["attended"], by_stakeholder["may_be_named"]) == (
        "participant",
        True,
        False,
    )
    by_person = await participate(
        leader, activity["id"], person_id=person, role="facilitator", may_be_named=True
    )
    assert (by_person["person_id"], by_person["role"]) == (person, "facilitator")

    url = f"{ACTIVITIES}/{activity['id']}/participations"
    assert await list_all(leader, url) == [by_stakeholder, by_person]
    assert await get_json(leader, f"{PARTICIPATIONS}/{by_person['id']}") == by_person

    response = await leader.patch(
        f"{PARTICIPATIONS}/{by_stakeholder['id']}", json={"attended": False}, headers=ANY_VERSION
    )
    assert response.status_code == 200, response.text
    assert response.json()["attended"] is False
    response = await leader.patch(
        f"{PARTICIPATIONS}/{by_stakeholder['id']}",
        json={"activity_id": str(uuid.uuid4())},
        headers=ANY_VERSION,
    )
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", "activity_id"]]

    assert (await leader.delete(f"{PARTICIPATIONS}/{by_stakeholder['id']}")).status_code == 204
    assert ids(await list_all(leader, url)) == [by_person["id"]]
    assert_problem(await leader.get(f"{PARTICIPATIONS}/{by_stakeholder['id']}"), 404, "not_found")
    assert_problem(await leader.delete(f"{PARTICIPATIONS}/{by_stakeholder['id']}"), 404, "not_found")


@pytest.mark.parametrize("both", [True, False], ids=["both", "neither"])
async def test_a_participation_names_exactly_one_of_a_stakeholder_or_a_person(
    leader: httpx.AsyncClient, tokens: Tokens, both: bool
) -> None:
    activity = await create_activity(leader)
    body: Json = {"role": "participant"}
    if both:
        body["stakeholder_id"] = (await create_stakeholder(leader, "Parents"))["id"]
        body["person_id"] = await new_person(leader, tokens, "Ana Reyes")
    url = f"{ACTIVITIES}/{activity['id']}/participations"
    problem = assert_problem(await leader.post(url, json=body), 422, "validation_failed")
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [
        (["body", "stakeholder_id"], "one_of"),
        (["body", "person_id"], "one_of"),
    ]
    assert await list_all(leader, url) == []


async def test_a_participant_of_another_district_is_404_naming_the_field(
    leader: httpx.AsyncClient, tokens: Tokens
) -> None:
    b_leader = await tokens.headers("B", Role.DISTRICT_LEADER)
    b_admin = await tokens.headers("B", Role.DISTRICT_ADMIN)
    response = await leader.post(
        f"{API}/stakeholders", json={"name": "B parents", "category": "family"}, headers=b_leader
    )
    b_stakeholder = response.json()["id"]
    response = await leader.post(
        f"{API}/people", json={"display_name": "B", "kind": "family"}, headers=b_admin
    )
    b_person = response.json()["id"]

    activity = await create_activity(leader)
    url = f"{ACTIVITIES}/{activity['id']}/participations"
    for field, value in (
        ("stakeholder_id", b_stakeholder),
        ("person_id", b_person),
        ("stakeholder_id", str(uuid.uuid4())),
        ("person_id", str(uuid.uuid4())),
    ):
        problem = assert_problem(await leader.post(url, json={field: value}), 404, "not_found")
        assert error_paths(problem) == [["body", field]]
    assert await list_all(leader, url) == []


async def test_the_same_participant_twice_is_409(leader: httpx.AsyncClient, tokens: Tokens) -> None:
    activity = await create_activity(leader)
    parents = await create_stakeholder(leader, "Parents")
    person = await new_person(leader, tokens, "Ana Reyes")
    url = f"{ACTIVITIES}/{activity['id']}/participations"
    first = await participate(leader, activity["id"], stakeholder_id=parents["id"])
    second = await participate(leader, activity["id"], person_id=person)
    for field, value in (("stakeholder_id", parents["id"]), ("person_id", person)):
        problem = assert_problem(
            await leader.post(url, json={field: value, "role": "observer"}), 409, "conflict"
        )
        assert error_paths(problem) == [["body", field]]
    assert await list_all(leader, url) == [first, second]
    # The same participant in another activity is fine.
    other = await create_activity(leader, title="Another")
    await participate(leader, other["id"], stakeholder_id=parents["id"])


async def test_nobody_takes_part_in_a_cancelled_activity(leader: httpx.AsyncClient) -> None:
    activity = await set_status(leader, await create_activity(leader), "cancelled")
    parents = await create_stakeholder(leader, "Parents")
    url = f"{ACTIVITIES}/{activity['id']}/participations"
    problem = assert_problem(
        await leader.post(url, json={"stakeholder_id": parents["id"]}), 422, "validation_failed"
    )
    assert [e["code"] for e in problem["errors"]] == ["activity_cancelled"]
    assert await list_all(leader, url) == []


async def test_a_participation_with_inputs_cannot_be_removed(leader: httpx.AsyncClient) -> None:
    activity = await held_activity(leader)
    parents = await create_stakeholder(leader, "Parents")
    participation = await participate(leader, activity["id"], stakeholder_id=parents["id"])
    await add_input(leader, activity["id"], participation["id"])
    assert_problem(await leader.delete(f"{PARTICIPATIONS}/{participation['id']}"), 409, "conflict")
    assert await get_json(leader, f"{PARTICIPATIONS}/{participation['id']}") == participation


async def test_attending_a_held_activity_raises_the_participation_level_and_never_lowers_it(
    leader: httpx.AsyncClient, tokens: Tokens
) -> None:
    initiative = await create_initiative(leader)
    parents = await create_stakeholder(leader, "Parent association", "family")
    await place(leader, initiative["id"], parents["id"], participation_level="consult")
    person = await new_person(leader, tokens, "Ana Reyes")
    ana = await create_stakeholder(leader, "Ana Reyes", "family", person_id=person)
    await place(leader, initiative["id"], ana["id"], participation_level="inform")

    async def level(stakeholder: Json) -> str:
        return (await placement_of(leader, initiative["id"], stakeholder["id"]))["participation_level"]

    # Planned: nothing yet. Once held, those who attended reach the activity's level.
    planned = await create_activity(leader, initiative_id=initiative["id"], participation_level="involve")
    await participate(leader, planned["id"], stakeholder_id=parents["id"])
    assert await level(parents) == "consult"
    await set_status(leader, planned, "held")
    assert await level(parents) == "involve"

    # Invited to an empowering session but absent: no change.
    absent = await held_activity(leader, initiative_id=initiative["id"], participation_level="empower")
    await participate(leader, absent["id"], stakeholder_id=parents["id"], attended=False)
    assert await level(parents) == "involve"

    # A lower-level activity says nothing against a level already reached.
    informing = await held_activity(leader, initiative_id=initiative["id"], participation_level="inform")
    await participate(leader, informing["id"], stakeholder_id=parents["id"])
    assert await level(parents) == "involve"

    # A person counts as the stakeholder that stands for them.
    collaborating = await held_activity(
        leader, initiative_id=initiative["id"], participation_level="collaborate"
    )
    await participate(leader, collaborating["id"], person_id=person)
    assert await level(ana) == "collaborate"
    assert await level(parents) == "involve"

    # An activity of no initiative changes no placement.
    loose = await held_activity(leader, participation_level="empower")
    await participate(leader, loose["id"], stakeholder_id=parents["id"])
    assert await level(parents) == "involve"


@pytest.mark.parametrize("role", [Role.TEACHER, Role.COMMUNITY_MEMBER, Role.VIEWER])
async def test_roles_that_do_not_run_activities_cannot_record_who_took_part(
    leader: httpx.AsyncClient, tokens: Tokens, world: World, role: Role
) -> None:
    activity = await create_activity(leader, school_id=str(world.school_ids("A")[0]), published=True)
    parents = await create_stakeholder(leader, "Parents")
    url = f"{ACTIVITIES}/{activity['id']}/participations"
    headers = await tokens.headers("A", role)
    assert_problem(
        await leader.post(url, json={"stakeholder_id": parents["id"]}, headers=headers), 403, "forbidden"
    )
    assert await list_all(leader, url) == []


async def test_a_participant_may_change_only_their_consent_to_be_named(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    activity = await create_activity(leader)
    community = await tokens.headers("A", Role.COMMUNITY_MEMBER)
    mine = await participate(
        leader, activity["id"], person_id=await person_of(leader, tokens, world, Role.COMMUNITY_MEMBER)
    )
    theirs = await participate(
        leader, activity["id"], person_id=await new_person(leader, tokens, "Ana"), may_be_named=True
    )

    response = await leader.patch(
        f"{PARTICIPATIONS}/{mine['id']}", json={"may_be_named": True}, headers=community | ANY_VERSION
    )
    assert response.status_code == 200, response.text
    assert response.json()["may_be_named"] is True
    response = await leader.patch(
        f"{PARTICIPATIONS}/{mine['id']}", json={"attended": False}, headers=community | ANY_VERSION
    )
    assert_problem(response, 403, "forbidden")
    response = await leader.patch(
        f"{PARTICIPATIONS}/{theirs['id']}", json={"may_be_named": False}, headers=community | ANY_VERSION
    )
    assert_problem(response, 403, "forbidden")
    assert (await get_json(leader, f"{PARTICIPATIONS}/{mine['id']}"))["attended"] is True
    assert (await get_json(leader, f"{PARTICIPATIONS}/{theirs['id']}"))["may_be_named"] is True


# --- inputs -----------------------------------------------------------------------------------------


async def test_inputs_are_recorded_for_held_activities_and_filtered_by_disposition(
    leader: httpx.AsyncClient,
) -> None:
    activity = await held_activity(leader)
    parents = await create_stakeholder(leader, "Parents")
    participation = await participate(leader, activity["id"], stakeholder_id=parents["id"])
    idea = await add_input(leader, activity["id"], participation["id"], text="Hold them on Saturdays.")
    assert (idea["activity_id"], idea["participation_id"]) == (activity["id"], participation["id"])
    assert (idea["kind"], idea["disposition"], idea["version"]) == ("idea", "open", 1)
    assert (idea["reason"], idea["response"], idea["responded_at"]) == (None, None, None)
    concern = await add_input(leader, activity["id"], participation["id"], kind="concern", text="Childcare.")

    response = await leader.get(f"{INPUTS}/{idea['id']}")
    assert response.json() == idea
    assert response.headers["etag"] == '"1"'
    url = f"{ACTIVITIES}/{activity['id']}/inputs"
    assert await list_all(leader, url) == [idea, concern]
    concern = await update_input(leader, concern, disposition="under_consideration")
    assert ids(await list_all(leader, url, disposition="under_consideration")) == [concern["id"]]
    assert ids(await list_all(leader, url, disposition="open")) == [idea["id"]]
    assert await list_all(leader, url, disposition="adopted") == []


@pytest.mark.parametrize("status", ["planned", "cancelled"])
async def test_an_input_to_an_activity_not_held_is_422_and_writes_nothing(
    leader: httpx.AsyncClient, status: str
) -> None:
    activity = await create_activity(leader)
    parents = await create_stakeholder(leader, "Parents")
    participation = await participate(leader, activity["id"], stakeholder_id=parents["id"])
    if status == "cancelled":
        activity = await set_status(leader, activity, "cancelled")
    url = f"{ACTIVITIES}/{activity['id']}/inputs"
    body = {"participation_id": participation["id"], "kind": "idea", "text": "Saturdays."}
    problem = assert_problem(await leader.post(url, json=body), 422, "validation_failed")
    assert [e["code"] for e in problem["errors"]] == ["activity_not_held"]
    assert await list_all(leader, url) == []


async def test_an_input_through_a_participation_of_another_activity_is_404_naming_the_field(
    leader: httpx.AsyncClient,
) -> None:
    activity = await held_activity(leader)
    other = await held_activity(leader, title="Other")
    parents = await create_stakeholder(leader, "Parents")
    elsewhere = await participate(leader, other["id"], stakeholder_id=parents["id"])
    url = f"{ACTIVITIES}/{activity['id']}/inputs"
    for participation_id in (elsewhere["id"], str(uuid.uuid4())):
        body = {"participation_id": participation_id, "kind": "idea", "text": "Saturdays."}
        problem = assert_problem(await leader.post(url, json=body), 404, "not_found")
        assert error_paths(problem) == [["body", "participation_id"]]
    assert await list_all(leader, url) == []


async def test_a_community_member_contributes_only_through_their_own_participation(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    community = await tokens.headers("A", Role.COMMUNITY_MEMBER)
    activity = await held_activity(leader, school_id=str(world.school_ids("A")[1]))
    mine = await participate(
        leader, activity["id"], person_id=await person_of(leader, tokens, world, Role.COMMUNITY_MEMBER)
    )
    theirs = await participate(
        leader, activity["id"], person_id=await new_person(leader, tokens, "Ana Reyes")
    )

    said = await add_input(leader, activity["id"], mine["id"], community, text="More books in Spanish.")
    assert (said["participation_id"], said["disposition"]) == (mine["id"], "open")

    url = f"{ACTIVITIES}/{activity['id']}/inputs"
    body = {"participation_id": theirs["id"], "kind": "idea", "text": "Said for someone else."}
    assert_problem(await leader.post(url, json=body, headers=community), 403, "forbidden")
    # Nor may a participant decide what became of their own input.
    response = await leader.patch(
        f"{INPUTS}/{said['id']}", json={"disposition": "adopted"}, headers=community | ANY_VERSION
    )
    assert_problem(response, 403, "forbidden")
    assert ids(await list_all(leader, url)) == [said["id"]]
    assert await list_all(leader, url, headers=community) == [said]


async def test_a_viewer_who_did_not_take_part_cannot_contribute_to_a_published_activity(
    leader: httpx.AsyncClient, tokens: Tokens
) -> None:
    activity = await held_activity(leader, published=True)
    parents = await create_stakeholder(leader, "Parents")
    participation = await participate(leader, activity["id"], stakeholder_id=parents["id"])
    url = f"{ACTIVITIES}/{activity['id']}/inputs"
    body = {"participation_id": participation["id"], "kind": "idea", "text": "Saturdays."}
    for role in (Role.VIEWER, Role.COMMUNITY_MEMBER, Role.TEACHER):
        assert_problem(
            await leader.post(url, json=body, headers=await tokens.headers("A", role)), 403, "forbidden"
        )
    assert await list_all(leader, url) == []


async def test_a_teacher_sees_only_named_contributors_and_their_own(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    activity = await held_activity(leader, school_id=str(world.school_ids("A")[0]))
    anonymous = await participate(leader, activity["id"], person_id=await new_person(leader, tokens, "Ana"))
    named = await participate(
        leader,
        activity["id"],
        stakeholder_id=(await create_stakeholder(leader, "PTA"))["id"],
        may_be_named=True,
    )
    own = await participate(
        leader, activity["id"], person_id=await person_of(leader, tokens, world, Role.TEACHER)
    )
    said = {
        p["id"]: await add_input(leader, activity["id"], p["id"], text=f"From {p['id']}")
        for p in (anonymous, named, own)
    }

    teacher = await tokens.headers("A", Role.TEACHER)
    participations = f"{ACTIVITIES}/{activity['id']}/participations"
    inputs = f"{ACTIVITIES}/{activity['id']}/inputs"
    assert ids(await list_all(leader, participations, headers=teacher)) == [named["id"], own["id"]]
    assert ids(await list_all(leader, inputs, headers=teacher)) == [
        said[named["id"]]["id"],
        said[own["id"]]["id"],
    ]
    assert_problem(await leader.get(f"{PARTICIPATIONS}/{anonymous['id']}", headers=teacher), 404, "not_found")
    assert_problem(
        await leader.get(f"{INPUTS}/{said[anonymous['id']]['id']}", headers=teacher), 404, "not_found"
    )
    assert (await get_json(leader, f"{PARTICIPATIONS}/{own['id']}", teacher))["id"] == own["id"]
    assert (await get_json(leader, f"{INPUTS}/{said[named['id']]['id']}", teacher))["id"] == said[
        named["id"]
    ]["id"]

    # Those who run the work at the school see everyone.
    for role in (Role.COACH, Role.SCHOOL_LEADER):
        headers = await tokens.headers("A", role)
        assert len(await list_all(leader, participations, headers=headers)) == 3
        assert len(await list_all(leader, inputs, headers=headers)) == 3


# --- dispositions -----------------------------------------------------------------------------------


@pytest.fixture
async def an_input(leader: httpx.AsyncClient) -> Json:
    activity = await held_activity(leader)
    parents = await create_stakeholder(leader, "Parents")
    participation = await participate(leader, activity["id"], stakeholder_id=parents["id"])
    return await add_input(leader, activity["id"], participation["id"])


@pytest.mark.parametrize(
    ("route", "to"),
    [
        (["adopted"], "under_consideration"),
        (["adopted"], "open"),
        (["under_consideration"], "open"),
        (["deferred"], "adopted"),
        (["deferred"], "open"),
        (["under_consideration", "adopted"], "deferred"),
    ],
)
async def test_illegal_disposition_transitions_are_422_and_write_nothing(
    leader: httpx.AsyncClient, an_input: Json, route: list[str], to: str
) -> None:
    row = an_input
    for disposition in route:
        row = await update_input(leader, row, disposition=disposition)
    response = await leader.patch(f"{INPUTS}/{row['id']}", json={"disposition": to}, headers=ANY_VERSION)
    problem = assert_problem(response, 422, "validation_failed")
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [
        (["body", "disposition"], "illegal_transition")
    ]
    assert await get_json(leader, f"{INPUTS}/{row['id']}") == row


async def test_a_deferred_input_is_taken_up_again(leader: httpx.AsyncClient, an_input: Json) -> None:
    row = await update_input(leader, an_input, disposition="deferred")
    row = await update_input(leader, row, disposition="under_consideration")
    row = await update_input(leader, row, disposition="adopted")
    assert (row["disposition"], row["version"]) == ("adopted", 4)


@pytest.mark.parametrize("disposition", ["declined", "adapted"])
async def test_declined_or_adapted_needs_a_reason(
    leader: httpx.AsyncClient, an_input: Json, disposition: str
) -> None:
    url = f"{INPUTS}/{an_input['id']}"
    for body in ({"disposition": disposition}, {"disposition": disposition, "reason": None}):
        problem = assert_problem(
            await leader.patch(url, json=body, headers=ANY_VERSION), 422, "validation_failed"
        )
        assert [(e["path"], e["code"]) for e in problem["errors"]] == [
            (["body", "reason"], "reason_required")
        ]
    assert await get_json(leader, url) == an_input

    answered = await update_input(
        leader, an_input, disposition=disposition, reason="The budget covers one night."
    )
    assert answered["disposition"] == disposition
    # The reason cannot be taken back afterwards.
    problem = assert_problem(
        await leader.patch(url, json={"reason": None}, headers=ANY_VERSION), 422, "validation_failed"
    )
    assert error_paths(problem) == [["body", "reason"]]


async def test_a_response_is_stamped_with_the_time_it_was_given(
    leader: httpx.AsyncClient, an_input: Json
) -> None:
    considered = await update_input(leader, an_input, disposition="under_consideration")
    assert considered["responded_at"] is None
    answered = await update_input(
        leader, considered, disposition="adopted", response="We moved two nights to Saturdays."
    )
    assert answered["response"] == "We moved two nights to Saturdays."
    assert answered["responded_at"] is not None
    assert answered["responded_at"] >= an_input["created_at"]
    noted = await update_input(leader, answered, response="We moved two nights to Saturdays.")
    assert noted["responded_at"] == answered["responded_at"], "the same response keeps its time"


async def test_patching_an_input_with_a_stale_if_match_is_412_and_writes_nothing(
    leader: httpx.AsyncClient, an_input: Json
) -> None:
    url = f"{INPUTS}/{an_input['id']}"
    considered = await update_input(leader, an_input, disposition="under_consideration")
    stale = await leader.patch(url, json={"disposition": "adopted"}, headers={"If-Match": '"1"'})
    assert assert_problem(stale, 412, "stale_version")["current_version"] == 2
    assert await get_json(leader, url) == considered


async def test_only_those_who_run_the_activity_record_dispositions(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    activity = await held_activity(leader, school_id=str(world.school_ids("A")[0]), published=True)
    parents = await create_stakeholder(leader, "Parents")
    participation = await participate(leader, activity["id"], stakeholder_id=parents["id"], may_be_named=True)
    row = await add_input(leader, activity["id"], participation["id"])
    url = f"{INPUTS}/{row['id']}"
    for role in (Role.TEACHER, Role.COMMUNITY_MEMBER, Role.VIEWER):
        response = await leader.patch(
            url, json={"disposition": "adopted"}, headers=await tokens.headers("A", role) | ANY_VERSION
        )
        assert_problem(response, 403, "forbidden")
    coach = await tokens.headers("A", Role.COACH)
    response = await leader.patch(
        url, json={"disposition": "under_consideration"}, headers=coach | ANY_VERSION
    )
    assert response.status_code == 200, response.text


# --- what an input changed --------------------------------------------------------------------------


async def test_input_links_name_fields_and_capacity_items_of_the_activitys_initiative(
    leader: httpx.AsyncClient,
) -> None:
    initiative = await create_initiative(leader)
    other = await create_initiative(leader, title="Another initiative")
    coach = await add_capacity_item(leader, initiative["id"])
    elsewhere = await add_capacity_item(leader, other["id"])
    activity = await held_activity(leader, initiative_id=initiative["id"])
    parents = await create_stakeholder(leader, "Parents")
    participation = await participate(leader, activity["id"], stakeholder_id=parents["id"])
    row = await add_input(leader, activity["id"], participation["id"])
    url = f"{INPUTS}/{row['id']}/links"

    def link(**fields: Any) -> Json:
        return {"target": "initiative_field", "target_id": initiative["id"], **fields}

    for body, status, code, path in (
        (link(field_name="colour"), 422, "validation_failed", "field_name"),
        (link(), 422, "validation_failed", "field_name"),
        (
            link(target="capacity_item", target_id=coach["id"], field_name="title"),
            422,
            "validation_failed",
            "field_name",
        ),
        (link(target="capacity_item", target_id=elsewhere["id"]), 404, "not_found", "target_id"),
        (link(target="capacity_item", target_id=str(uuid.uuid4())), 404, "not_found", "target_id"),
        (link(target_id=other["id"], field_name="summary"), 404, "not_found", "target_id"),
        (link(field_name="summary", input_id=str(uuid.uuid4())), 422, "validation_failed", "input_id"),
    ):
        problem = assert_problem(await leader.post(url, json=body), status, code)
        assert error_paths(problem) == [["body", path]], body
    assert await list_all(leader, url) == []

    response = await leader.post(url, json=link(field_name="summary", note="Saturdays are now in the plan."))
    assert response.status_code == 201, response.text
    field_link = response.json()
    assert (field_link["input_id"], field_link["field_name"]) == (row["id"], "summary")
    response = await leader.post(url, json=link(target="capacity_item", target_id=coach["id"]))
    assert response.status_code == 201, response.text
    item_link = response.json()
    assert await list_all(leader, url) == [field_link, item_link]

    assert (await leader.delete(f"{INPUT_LINKS}/{field_link['id']}")).status_code == 204
    assert await list_all(leader, url) == [item_link]
    assert_problem(await leader.delete(f"{INPUT_LINKS}/{field_link['id']}"), 404, "not_found")


async def test_an_input_of_an_activity_without_an_initiative_changes_nothing_of_one(
    leader: httpx.AsyncClient,
) -> None:
    initiative = await create_initiative(leader)
    activity = await held_activity(leader)
    parents = await create_stakeholder(leader, "Parents")
    participation = await participate(leader, activity["id"], stakeholder_id=parents["id"])
    row = await add_input(leader, activity["id"], participation["id"])
    body = {"target": "initiative_field", "target_id": initiative["id"], "field_name": "summary"}
    response = await leader.post(f"{INPUTS}/{row['id']}/links", json=body)
    assert error_paths(assert_problem(response, 404, "not_found")) == [["body", "target_id"]]


async def test_a_teacher_cannot_link_or_unlink_inputs(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    initiative = await create_initiative(leader, school_id=str(world.school_ids("A")[0]))
    activity = await held_activity(leader, initiative_id=initiative["id"])
    parents = await create_stakeholder(leader, "Parents")
    participation = await participate(leader, activity["id"], stakeholder_id=parents["id"], may_be_named=True)
    row = await add_input(leader, activity["id"], participation["id"])
    url = f"{INPUTS}/{row['id']}/links"
    body = {"target": "initiative_field", "target_id": initiative["id"], "field_name": "summary"}
    made = (await leader.post(url, json=body)).json()
    teacher = await tokens.headers("A", Role.TEACHER)
    assert await list_all(leader, url, headers=teacher) == [made]
    assert_problem(await leader.post(url, json=body, headers=teacher), 403, "forbidden")
    assert_problem(await leader.delete(f"{INPUT_LINKS}/{made['id']}", headers=teacher), 403, "forbidden")
    assert await list_all(leader, url) == [made]


# --- you said, we did -------------------------------------------------------------------------------


async def test_you_said_we_did_groups_inputs_and_measures_the_responses(
    leader: httpx.AsyncClient, tokens: Tokens, world: World, session: AsyncSession
) -> None:
    initiative = await create_initiative(leader, published=True)
    capacity = await add_capacity_item(leader, initiative["id"], description="Saturday building access")
    # Inputs are typed in today, but were given at their activity, 4 and 10 days ago: days to response
    # count from then (they counted from the typing, and came out as 0).
    design = await held_activity(
        leader,
        initiative_id=initiative["id"],
        title="Design night",
        held_on=(TODAY - timedelta(days=4)).isoformat(),
    )
    listening = await held_activity(
        leader,
        initiative_id=initiative["id"],
        title="Listening session",
        kind="listening_session",
        held_on=(TODAY - timedelta(days=10)).isoformat(),
    )
    unrelated = await held_activity(leader, title="Another initiative's session")
    ana = await participate(leader, design["id"], person_id=await new_person(leader, tokens, "Ana Reyes"))
    pta = await participate(
        leader,
        listening["id"],
        stakeholder_id=(await create_stakeholder(leader, "PTA council"))["id"],
        may_be_named=True,
    )
    stranger = await participate(
        leader, unrelated["id"], person_id=await new_person(leader, tokens, "Someone")
    )
    await add_input(leader, unrelated["id"], stranger["id"], text="Not about this initiative.")

    saturdays = await add_input(leader, design["id"], ana["id"], text="Saturdays")
    childcare = await add_input(leader, design["id"], ana["id"], kind="concern", text="Childcare")
    buses = await add_input(leader, listening["id"], pta["id"], kind="barrier", text="Buses")
    await add_input(leader, listening["id"], pta["id"], text="Spanish books")

    saturdays = await update_input(leader, saturdays, disposition="adopted", response="Two nights moved.")
    childcare = await update_input(
        leader, childcare, disposition="adapted", reason="Only on site.", response="Childcare on site."
    )
    buses = await update_input(
        leader, buses, disposition="declined", reason="No budget for buses.", response="We cannot run buses."
    )
    response = await leader.post(
        f"{INPUTS}/{saturdays['id']}/links",
        json={"target": "capacity_item", "target_id": capacity["id"], "note": "Building open on Saturdays."},
    )
    assert response.status_code == 201, response.text
    link = response.json()

    report = await you_said_we_did(leader, initiative["id"])
    assert report["initiative_id"] == initiative["id"]
    assert [(g["disposition"], [i["text"] for i in g["inputs"]]) for g in report["groups"]] == [
        ("open", ["Spanish books"]),
        ("adopted", ["Saturdays"]),
        ("adapted", ["Childcare"]),
        ("declined", ["Buses"]),
    ]
    assert report["total_inputs"] == 4
    assert report["responded_share"] == 0.75
    assert report["median_days_to_response"] == 4.0
    by_text = inputs_of(report)
    (change,) = by_text["Saturdays"]["changed"]
    assert {key: change[key] for key in link} == link
    assert by_text["Saturdays"]["activity_title"] == "Design night"
    assert (by_text["Saturdays"]["response"], by_text["Saturdays"]["kind"]) == ("Two nights moved.", "idea")
    assert by_text["Buses"]["reason"] == "No budget for buses."
    assert by_text["Buses"]["responded_at"] == buses["responded_at"]
    assert by_text["Spanish books"]["responded_at"] is None
    assert by_text["Childcare"]["changed"] == []

    # A leader is told who said what; a community member and a viewer only who agreed to be named.
    assert {t: i["contributor"] for t, i in by_text.items()} == {
        "Saturdays": "Ana Reyes",
        "Childcare": "Ana Reyes",
        "Buses": "PTA council",
        "Spanish books": "PTA council",
    }
    for role in (Role.COMMUNITY_MEMBER, Role.VIEWER, Role.TEACHER):
        theirs = await you_said_we_did(leader, initiative["id"], await tokens.headers("A", role))
        assert {t: i["contributor"] for t, i in inputs_of(theirs).items()} == {
            "Saturdays": None,
            "Childcare": None,
            "Buses": "PTA council",
            "Spanish books": "PTA council",
        }
        assert theirs["responded_share"] == report["responded_share"]


async def test_a_contributor_is_named_to_themselves(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    initiative = await create_initiative(leader, published=True)
    activity = await held_activity(leader, initiative_id=initiative["id"])
    community = await tokens.headers("A", Role.COMMUNITY_MEMBER)
    mine = await participate(
        leader, activity["id"], person_id=await person_of(leader, tokens, world, Role.COMMUNITY_MEMBER)
    )
    await add_input(leader, activity["id"], mine["id"], community, text="Mine")
    (row,) = inputs_of(await you_said_we_did(leader, initiative["id"], community)).values()
    assert row["contributor"] == "Grace Mbeki"
    (row,) = inputs_of(
        await you_said_we_did(leader, initiative["id"], await tokens.headers("A", Role.VIEWER))
    ).values()
    assert row["contributor"] is None


async def test_you_said_we_did_of_an_initiative_with_no_inputs(leader: httpx.AsyncClient) -> None:
    initiative = await create_initiative(leader)
    report = await you_said_we_did(leader, initiative["id"])
    assert report["initiative_id"] == initiative["id"]
    assert (report["groups"], report["total_inputs"]) == ([], 0)
    assert (report["responded_share"], report["median_days_to_response"]) == (None, None)


async def test_you_said_we_did_follows_who_reads_the_initiative(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    draft = await create_initiative(leader, school_id=str(world.school_ids("A")[0]))
    url = f"{INITIATIVES}/{draft['id']}/you-said-we-did"
    for role in (Role.COMMUNITY_MEMBER, Role.VIEWER):
        assert_problem(await leader.get(url, headers=await tokens.headers("A", role)), 404, "not_found")
    assert (await leader.get(url, headers=await tokens.headers("A", Role.TEACHER))).status_code == 200
    b_leader = await tokens.headers("B", Role.DISTRICT_LEADER)
    assert_problem(await leader.get(url, headers=b_leader), 404, "not_found")


# --- representation ---------------------------------------------------------------------------------

CATEGORY_KEYS = (
    "initiative_id",
    "environment_categories",
    "co_creation",
    "co_production",
    "missing_from_co_creation",
    "missing_from_co_production",
    "never_took_part",
    "languages_heard",
)


async def person_with(
    client: httpx.AsyncClient, tokens: Tokens, name: str, kind: str, **attributes: Any
) -> str:
    """A person of district A with the attributes a district records to see who is missing."""
    response = await client.post(
        f"{API}/people",
        json={"display_name": name, "kind": kind, **attributes},
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN),
    )
    assert response.status_code == 201, response.text
    assert {k: response.json()[k] for k in attributes} == attributes
    return response.json()["id"]


async def test_representation_counts_people_by_kind_and_names_every_mapped_stakeholder_not_heard(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Teachers who came as people count (teacher, by their role); a mapped group that never came is
    named even though another group shares its category; people are counted by kind and broken down
    by the district's attributes, small cells suppressed; the district's expected groups, heard or not."""
    initiative = await create_initiative(leader)
    parents = await create_stakeholder(leader, "Parent association", "family", is_group=True)
    circle = await create_stakeholder(
        leader, "Spanish-speaking parents circle", "family", is_group=True, preferred_language="es"
    )
    assert circle["preferred_language"] == "es"
    assert circle["tags"] == []
    for stakeholder in (parents, circle):
        await place(leader, initiative["id"], stakeholder["id"])
    design = await held_activity(leader, initiative_id=initiative["id"])
    await participate(leader, design["id"], stakeholder_id=parents["id"])
    for i in range(3):
        who = await person_with(
            leader, tokens, f"Familia {i}", "family", preferred_language="es", neighbourhood="Eastside"
        )
        await participate(leader, design["id"], person_id=who)
    for i in range(3):
        tags = ["newcomer"] if i == 0 else []
        who = await person_with(leader, tokens, f"Family {i}", "family", preferred_language="en", tags=tags)
        await participate(leader, design["id"], person_id=who)
    absent = await person_with(leader, tokens, "Absent", "family", preferred_language="so")
    await participate(leader, design["id"], person_id=absent, attended=False)
    plc = await held_activity(leader, initiative_id=initiative["id"], mode="co_production", kind="co_led_plc")
    await participate(leader, plc["id"], person_id=await person_of(leader, tokens, world, Role.TEACHER))

    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    district = await get_json(leader, f"{API}/districts/{world.district_id('A')}", admin)
    expected = [
        {"dimension": "preferred_language", "value": "so"},
        {"dimension": "category", "value": "family"},
        {"dimension": "person_kind", "value": "teacher"},
    ]
    changed = await patch(
        leader, f"{API}/districts/{district['id']}", district, admin, expected_groups=expected
    )
    assert changed["expected_groups"] == expected

    report = await get_json(leader, f"{INITIATIVES}/{initiative['id']}/representation")
    assert (report["co_creation"], report["co_production"]) == (["family"], ["teacher"])
    assert report["stakeholders_never_took_part"] == [
        {"stakeholder_id": circle["id"], "name": "Spanish-speaking parents circle", "category": "family"}
    ]
    assert report["stakeholders_missing_from_co_creation"] == report["stakeholders_never_took_part"]
    assert report["people"] == [
        {"mode": "co_creation", "people": 6, "suppressed": False},
        {"mode": "co_production", "people": None, "suppressed": True},  # one teacher: under the minimum
    ]
    by_kind = {(c["mode"], c["kind"]): (c["people"], c["suppressed"]) for c in report["people_by_kind"]}
    assert by_kind[("co_creation", "family")] == (6, False)
    assert by_kind[("co_creation", "teacher")] == (0, False)  # nobody is described by a zero
    assert by_kind[("co_production", "teacher")] == (None, True)
    cells = {
        (c["mode"], c["dimension"], c["value"]): (c["people"], c["suppressed"]) for c in report["breakdown"]
    }
    assert cells[("co_creation", "preferred_language", "es")] == (3, False)
    assert cells[("co_creation", "preferred_language", "en")] == (3, False)
    assert ("co_creation", "preferred_language", "so") not in cells  # the absent do not count
    assert cells[("co_creation", "neighbourhood", "Eastside")] == (3, False)
    assert cells[("co_creation", "neighbourhood", None)] == (3, False)
    assert cells[("co_creation", "tag", "newcomer")] == (None, True)  # one family: suppressed
    assert report["expected_groups"] == [
        {**expected[0], "heard_in_co_creation": False, "heard_in_co_production": False},
        {**expected[1], "heard_in_co_creation": True, "heard_in_co_production": False},
        {**expected[2], "heard_in_co_creation": False, "heard_in_co_production": True},
    ]


async def test_representation_never_lets_a_hidden_count_be_worked_out(
    leader: httpx.AsyncClient, tokens: Tokens
) -> None:
    """One Somali-speaking parent among four: their cell is hidden, and so is another, since the total
    of people is shown and the rest would give the hidden one away."""
    initiative = await create_initiative(leader)
    design = await held_activity(leader, initiative_id=initiative["id"])
    for i, language in enumerate(("so", "en", "en", "en", "en")):
        who = await person_with(leader, tokens, f"Parent {i}", "family", preferred_language=language)
        await participate(leader, design["id"], person_id=who)
    report = await get_json(leader, f"{INITIATIVES}/{initiative['id']}/representation")
    assert report["people"][0] == {"mode": "co_creation", "people": 5, "suppressed": False}
    languages = {
        c["value"]: c["people"]
        for c in report["breakdown"]
        if c["mode"] == "co_creation" and c["dimension"] == "preferred_language"
    }
    assert languages == {"so": None, "en": None}


async def test_attributes_and_expected_groups_are_validated(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    too_many = {"display_name": "T", "kind": "family", "tags": [f"t{i}" for i in range(21)]}
    assert_problem(await leader.post(f"{API}/people", json=too_many, headers=admin), 422, "validation_failed")
    district = await get_json(leader, f"{API}/districts/{world.district_id('A')}", admin)
    url = f"{API}/districts/{district['id']}"
    headers = {**admin, "If-Match": f'"{district["version"]}"'}
    for bad in (
        [{"dimension": "shoe_size", "value": "9"}],
        [{"dimension": "tag", "value": ""}],
        [{"dimension": "tag", "value": "ELL"}, {"dimension": "tag", "value": "ell"}],
    ):
        response = await leader.patch(url, json={"expected_groups": bad}, headers=headers | ANY_VERSION)
        assert response.status_code == 422, response.text
    assert (await get_json(leader, url, admin))["expected_groups"] == []


async def test_representation_names_the_categories_that_never_took_part(
    leader: httpx.AsyncClient, tokens: Tokens
) -> None:
    initiative = await create_initiative(leader)
    stakeholders = {}
    for name, category in (
        ("Parents", "family"),
        ("Teachers", "teacher"),
        ("Board", "board"),
        ("Union", "union"),
        ("Students", "student"),
    ):
        stakeholders[name] = await create_stakeholder(leader, name, category)
        await place(leader, initiative["id"], stakeholders[name]["id"])
    teacher_person = await new_person(leader, tokens, "Maria", "staff")
    maria = await create_stakeholder(leader, "Maria", "teacher", person_id=teacher_person)

    design = await held_activity(leader, initiative_id=initiative["id"])
    await participate(leader, design["id"], stakeholder_id=stakeholders["Parents"]["id"])
    await participate(leader, design["id"], person_id=teacher_person)
    plc = await held_activity(leader, initiative_id=initiative["id"], mode="co_production", kind="co_led_plc")
    await participate(leader, plc["id"], stakeholder_id=maria["id"])
    await participate(leader, plc["id"], stakeholder_id=stakeholders["Board"]["id"], attended=False)
    planned = await create_activity(
        leader, initiative_id=initiative["id"], mode="co_production", kind="co_led_plc"
    )
    await participate(leader, planned["id"], stakeholder_id=stakeholders["Union"]["id"])
    elsewhere = await held_activity(leader)
    await participate(leader, elsewhere["id"], stakeholder_id=stakeholders["Students"]["id"])

    report = await get_json(leader, f"{INITIATIVES}/{initiative['id']}/representation")
    assert {key: report[key] for key in CATEGORY_KEYS} == {
        "initiative_id": initiative["id"],
        "environment_categories": ["family", "student", "teacher", "union", "board"],
        "co_creation": ["family", "teacher"],
        "co_production": ["teacher"],
        "missing_from_co_creation": ["student", "union", "board"],
        "missing_from_co_production": ["family", "student", "union", "board"],
        "never_took_part": ["student", "union", "board"],
        "languages_heard": [],
    }


async def test_representation_is_for_those_who_see_the_authorizing_environment(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    initiative = await create_initiative(leader, school_id=str(world.school_ids("A")[0]), published=True)
    url = f"{INITIATIVES}/{initiative['id']}/representation"
    for role in (Role.TEACHER, Role.COMMUNITY_MEMBER, Role.VIEWER):
        assert_problem(await leader.get(url, headers=await tokens.headers("A", role)), 403, "forbidden")
    for role in (Role.COACH, Role.SCHOOL_LEADER):
        assert (await leader.get(url, headers=await tokens.headers("A", role))).status_code == 200
    assert (await leader.get(url, headers=await tokens.client_headers("A", "read"))).status_code == 200
