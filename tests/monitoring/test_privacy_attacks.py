"""Attacks on teacher privacy: a determined reader combining many reads, each allowed on its own.

Every test here is one attack of issue 13, tried as the attacker would over REST and, where the
surface exists there, over GraphQL. Each asserts that the attacker recovers nothing: not a single
teacher's feedback result, not one classroom's walkthrough level. Releases are made through
`POST /releases`; the attacks read whatever the service publishes.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry import relay

from app.identity.models import Role
from tests.conftest import ANY_VERSION, GraphQLClient, Tokens, World
from tests.practice.helpers import (
    API,
    Headers,
    Staff,
    admin_headers,
    get,
    make_staff,
    monitoring_client,
    observe,
    post,
    record,
    walkthrough,
)

PERIOD = "2026-fall"
MEASURE = "belonging"


def gid(type_name: str, row_id: str) -> str:
    return str(relay.GlobalID(type_name, row_id))


async def release_feedback(client: httpx.AsyncClient, tokens: Tokens, period: str = PERIOD) -> httpx.Response:
    return await client.post(
        f"{API}/releases", json={"subject": "feedback", "period": period}, headers=await admin_headers(tokens)
    )


async def close(client: httpx.AsyncClient, walkthrough_id: str, headers: Headers) -> httpx.Response:
    return await client.post(f"{API}/walkthroughs/{walkthrough_id}/close", headers=headers)


async def rest_cell(client: httpx.AsyncClient, headers: Headers, world: World) -> dict[str, Any] | None:
    body = await get(
        client,
        "/feedback-aggregates",
        headers,
        period=PERIOD,
        measure=MEASURE,
        school_id=str(world.school_ids("A")[0]),
    )
    cells = body["cells"]
    assert len(cells) <= 1
    return cells[0] if cells else None


async def graphql_cell(gql: GraphQLClient, world: World) -> dict[str, Any] | None:
    data = await gql(
        """query($school: ID!) { feedbackAggregates(schoolId: $school, measure: "belonging", period: "2026-fall")
        { cells { suppressed respondents favourableShare teachers } } }""",
        {"school": gid("School", str(world.school_ids("A")[0]))},
    )
    cells = data["feedbackAggregates"]["cells"]
    return cells[0] if cells else None


FIGURES = ("respondents", "favourableShare", "favourable_share", "teachers")


def recovered(before: dict[str, Any] | None, after: dict[str, Any] | None) -> bool:
    """Whether two reads of the same cell differ while both are shown: their difference is the change."""
    if before is None or after is None or before["suppressed"] or after["suppressed"]:
        return False
    return any(before.get(f) != after.get(f) for f in FIGURES)


async def teachers(client: httpx.AsyncClient, tokens: Tokens, world: World, n: int) -> list[Staff]:
    made = [await make_staff(client, tokens, world, name=f"Teacher {i}") for i in range(n)]
    for staff in made:
        await record(client, staff.headers, favourable_share="0.5", respondents=12)
    return made


# --- feedback: before and after ---------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["rest", "graphql"])
async def test_before_and_after_a_new_result(
    client: httpx.AsyncClient, tokens: Tokens, world: World, gql: GraphQLClient, transport: str
) -> None:
    await teachers(client, tokens, world, 3)
    await release_feedback(client, tokens)
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    gql.http.headers.update(leader)

    async def read() -> dict[str, Any] | None:
        return await (rest_cell(client, leader, world) if transport == "rest" else graphql_cell(gql, world))

    before = await read()
    late = await make_staff(client, tokens, world, name="Late teacher")
    await record(client, late.headers, favourable_share="0.9", respondents=7)
    assert not recovered(before, await read())


async def test_before_and_after_a_deleted_result(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    made = await teachers(client, tokens, world, 4)
    await release_feedback(client, tokens)
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    before = await rest_cell(client, leader, world)
    mine = await get(client, "/feedback-results", made[0].headers)
    response = await client.delete(
        f"{API}/feedback-results/{mine['items'][0]['id']}", headers=made[0].headers
    )
    assert response.status_code == 204
    assert not recovered(before, await rest_cell(client, leader, world))


async def test_a_share_made_after_a_read_does_not_give_the_rest_away(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    made = await teachers(client, tokens, world, 3)
    await release_feedback(client, tokens)
    coach = await tokens.headers("A", Role.COACH)
    before = await rest_cell(client, coach, world)
    coach_person = (
        await get(client, f"/users/{world.user('A', Role.COACH)[0]}", await admin_headers(tokens))
    )["person_id"]
    await post(client, "/feedback-shares", {"person_id": coach_person}, made[0].headers)
    read = await get(client, "/feedback-results", coach, period=PERIOD)
    known = [r for r in read["items"] if r["teacher_person_id"] == made[0].person_id]
    # The cell read before, minus the shared result, would be two teachers' classes.
    assert not (before is not None and not before["suppressed"] and known), "subtracted a shared result"


async def test_arbitrary_periods_cannot_be_released_twice_differently(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """A correction that differs by one teacher's result is itself that teacher's result."""
    await teachers(client, tokens, world, 3)
    await release_feedback(client, tokens)
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    before = await rest_cell(client, leader, world)
    late = await make_staff(client, tokens, world, name="Late teacher")
    await record(client, late.headers, favourable_share="0.9", respondents=7)
    await release_feedback(client, tokens)
    assert not recovered(before, await rest_cell(client, leader, world))


# --- feedback: padding and borrowed identities ------------------------------------------------------


async def test_a_survey_client_cannot_pad_a_lone_teachers_cell(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    await teachers(client, tokens, world, 1)  # one real teacher, alone
    admin = await admin_headers(tokens)
    survey = await monitoring_client(client, tokens)
    school = str(world.school_ids("A")[0])
    for n in range(3):
        made_up = await post(client, "/people", {"display_name": f"Invented {n}", "kind": "staff"}, admin)
        await client.post(
            f"{API}/feedback-results",
            json={
                "teacher_person_id": made_up["id"],
                "school_id": school,
                "measure": MEASURE,
                "period": PERIOD,
                "favourable_share": "0.5",
                "respondents": 20,
            },
            headers=survey,
        )
    await release_feedback(client, tokens)
    cell = await rest_cell(client, await tokens.headers("A", Role.SCHOOL_LEADER), world)
    assert cell is None or cell["suppressed"], "known values around one teacher gave their result away"


async def test_a_survey_client_cannot_replace_a_teachers_result(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    (teacher,) = await teachers(client, tokens, world, 1)
    survey = await monitoring_client(client, tokens)
    response = await client.post(
        f"{API}/feedback-results",
        json={
            "teacher_person_id": teacher.person_id,
            "school_id": str(world.school_ids("A")[0]),
            "measure": MEASURE,
            "period": PERIOD,
            "favourable_share": "0.1",
            "respondents": 1,
        },
        headers=survey,
    )
    assert response.status_code in (403, 409), response.text
    mine = await get(client, "/feedback-results", teacher.headers)
    assert [(r["favourable_share"], r["respondents"]) for r in mine["items"]] == [("0.5000", 12)]


async def test_an_admin_cannot_borrow_a_teachers_history_with_a_new_login(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    admin = await admin_headers(tokens)
    person = await post(client, "/people", {"display_name": "No login yet", "kind": "staff"}, admin)
    school = str(world.school_ids("A")[0])
    # The teacher's result arrives from the survey tool, before they ever sign in.
    teacher_login = await make_staff(client, tokens, world, name="Real teacher")
    del teacher_login
    survey = await monitoring_client(client, tokens)
    await client.post(
        f"{API}/feedback-results",
        json={
            "teacher_person_id": person["id"],
            "school_id": school,
            "measure": MEASURE,
            "period": PERIOD,
            "favourable_share": "0.9173",
            "respondents": 17,
        },
        headers=survey,
    )
    response = await client.post(
        f"{API}/users",
        json={
            "email": "borrowed@a.example.org",
            "password": "correct horse battery staple 1",
            "person_id": person["id"],
            "roles": [{"role": "teacher", "school_id": school}],
        },
        headers=admin,
    )
    if response.status_code == 201:
        token = await tokens.password_grant("borrowed@a.example.org", "correct horse battery staple 1")
        results = await get(client, "/feedback-results", {"Authorization": f"Bearer {token}"})
        assert all(r["favourable_share"] != "0.9173" for r in results["items"]), "the admin read the result"
    else:
        assert response.status_code == 409, response.text


# --- walkthroughs -----------------------------------------------------------------------------------

SUMMARY = """query($id: ID!) { walkthrough(id: $id) { summary { suppressed classrooms
    levels { level classrooms } } } }"""


async def rest_summary(client: httpx.AsyncClient, walkthrough_id: str, headers: Headers) -> dict[str, Any]:
    return await get(client, f"/walkthroughs/{walkthrough_id}/summary", headers)


def summary_shown(summary: dict[str, Any] | None) -> bool:
    return summary is not None and not summary["suppressed"]


@pytest.mark.parametrize("transport", ["rest", "graphql"])
async def test_a_classroom_added_after_a_read(
    client: httpx.AsyncClient, tokens: Tokens, world: World, gql: GraphQLClient, transport: str
) -> None:
    coach = await tokens.headers("A", Role.COACH)
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    gql.http.headers.update(leader)
    made = await walkthrough(client, world, coach)
    observed = [await make_staff(client, tokens, world, name=f"Observed {i}") for i in range(4)]
    for staff in observed[:3]:
        await observe(client, made["id"], staff.person_id, coach, "proficient")
    await close(client, made["id"], coach)

    async def read() -> dict[str, Any] | None:
        if transport == "rest":
            return await rest_summary(client, made["id"], leader)
        data = await gql(SUMMARY, {"id": gid("Walkthrough", made["id"])})
        return data["walkthrough"]["summary"]

    before = await read()
    await client.post(
        f"{API}/walkthroughs/{made['id']}/observations",
        json={"teacher_person_id": observed[3].person_id, "level": "beginning", "support": "none"},
        headers=coach,
    )
    after = await read()
    assert not (summary_shown(before) and summary_shown(after) and before != after)


@pytest.mark.parametrize("transport", ["rest", "graphql"])
async def test_the_readers_own_classroom_does_not_count_toward_three(
    client: httpx.AsyncClient, tokens: Tokens, world: World, gql: GraphQLClient, transport: str
) -> None:
    coach = await tokens.headers("A", Role.COACH)
    made = await walkthrough(client, world, coach)
    observed = [await make_staff(client, tokens, world, name=f"Observed {i}") for i in range(3)]
    for staff, level in zip(observed, ("proficient", "beginning", "developing"), strict=True):
        await observe(client, made["id"], staff.person_id, coach, level)
    await close(client, made["id"], coach)
    reader = observed[0].headers
    if transport == "rest":
        summary = await rest_summary(client, made["id"], reader)
    else:
        gql.http.headers.update(reader)
        summary = (await gql(SUMMARY, {"id": gid("Walkthrough", made["id"])}))["walkthrough"]["summary"]
    assert not summary_shown(summary), "own level plus the summary gives both colleagues' levels"


async def test_observations_are_locked_once_the_walkthrough_is_closed(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    coach = await tokens.headers("A", Role.COACH)
    made = await walkthrough(client, world, coach)
    staff = [await make_staff(client, tokens, world, name=f"Observed {i}") for i in range(2)]
    first = await observe(client, made["id"], staff[0].person_id, coach, "proficient")
    closed = await close(client, made["id"], coach)
    assert closed.status_code == 200, closed.text
    late = await client.post(
        f"{API}/walkthroughs/{made['id']}/observations",
        json={"teacher_person_id": staff[1].person_id, "level": "beginning"},
        headers=coach,
    )
    changed = await client.patch(
        f"{API}/observations/{first['id']}", json={"level": "beginning"}, headers=coach | ANY_VERSION
    )
    removed = await client.delete(f"{API}/observations/{first['id']}", headers=coach)
    assert (late.status_code, changed.status_code, removed.status_code) == (409, 409, 409)


# --- settings ---------------------------------------------------------------------------------------


async def _patch_district(
    client: httpx.AsyncClient, tokens: Tokens, world: World, **fields: Any
) -> httpx.Response:
    admin = await admin_headers(tokens)
    district = await client.get(f"{API}/districts/{world.district_id('A')}", headers=admin)
    return await client.patch(
        f"{API}/districts/{world.district_id('A')}",
        json=fields,
        headers={**admin, "If-Match": f'"{district.json()["version"]}"'},
    )


async def test_min_cell_size_has_a_floor_of_ten_and_only_rises(
    client: httpx.AsyncClient, tokens: Tokens, world: World, gql: GraphQLClient
) -> None:
    assert (await _patch_district(client, tokens, world, min_cell_size=1)).status_code == 422
    assert (await _patch_district(client, tokens, world, min_cell_size=9)).status_code == 422
    assert (await _patch_district(client, tokens, world, min_cell_size=12)).status_code == 200
    assert (await _patch_district(client, tokens, world, min_cell_size=11)).status_code == 422
    gql.http.headers.update(await admin_headers(tokens))
    data = await gql.raw(
        """mutation($id: ID!) { updateDistrict(input: {id: $id, minCellSize: 1})
        { district { minCellSize } userErrors { code } } }""",
        {"id": gid("District", str(world.district_id("A")))},
    )
    payload = (data.get("data") or {}).get("updateDistrict")
    assert payload is None or payload["district"] is None or payload["district"]["minCellSize"] >= 12


async def test_the_teacher_and_classroom_minimums_only_rise(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    assert (await _patch_district(client, tokens, world, min_teachers=2)).status_code == 422
    assert (await _patch_district(client, tokens, world, min_classrooms=2)).status_code == 422
    raised = await _patch_district(client, tokens, world, min_teachers=4, min_classrooms=5)
    assert raised.status_code == 200, raised.text
    assert (raised.json()["min_teachers"], raised.json()["min_classrooms"]) == (4, 5)
    assert (await _patch_district(client, tokens, world, min_teachers=3)).status_code == 422


# --- the audit trail --------------------------------------------------------------------------------

NOTE = "private-classroom-note-7d1e"


async def test_the_audit_trail_keeps_what_the_admin_may_not_read(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    coach = await tokens.headers("A", Role.COACH)
    made = await walkthrough(client, world, coach)
    staff = await make_staff(client, tokens, world, name="Observed")
    await observe(client, made["id"], staff.person_id, coach, "beginning", "coaching", note=NOTE)
    events = await get(
        client, "/audit-events", await admin_headers(tokens), entity_type="walkthrough_observation"
    )
    assert events["items"], "the write left no record"
    for event in events["items"]:
        for side in (event.get("before") or {}, event.get("after") or {}):
            assert NOTE not in str(side)
            assert side.get("level") in (None, "[redacted]")
            assert side.get("support") in (None, "[redacted]")


async def test_every_teacher_level_read_is_audited(
    client: httpx.AsyncClient, tokens: Tokens, world: World, gql: GraphQLClient
) -> None:
    coach = await tokens.headers("A", Role.COACH)
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    made = await walkthrough(client, world, coach)
    staff = await make_staff(client, tokens, world, name="Observed")
    observation = await observe(client, made["id"], staff.person_id, coach, "beginning", "coaching")
    await get(client, f"/walkthroughs/{made['id']}/observations", leader)
    await get(client, f"/observations/{observation['id']}", leader)
    await get(client, f"/walkthroughs/{made['id']}/support", leader)
    gql.http.headers.update(leader)
    await gql(
        "query($id: ID!) { node(id: $id) { ... on WalkthroughObservation { level } } }",
        {"id": gid("WalkthroughObservation", observation["id"])},
    )
    events = await get(
        client, "/audit-events", await admin_headers(tokens), entity_type="walkthrough_observation", limit=200
    )
    reads = [e for e in events["items"] if e["action"] == "walkthrough_observation.read"]
    # The list, the one observation, the support list, the GraphQL node: four reads, four records.
    assert len(reads) >= 4, [e["action"] for e in events["items"]]
    assert all(e["after"]["teacher_person_id"] == staff.person_id for e in reads)
