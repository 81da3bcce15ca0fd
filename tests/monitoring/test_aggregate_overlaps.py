"""Attacks on released aggregates through two cells that pool the same people ("two overlapping
windows"), which test_aggregate_attacks left open. Each failed on the code before its fix.

- Two feedback measures of one school and period: three teachers answer both, a fourth only one.
  respondents(M2) - respondents(M1) is the fourth teacher's class, teachers(M2) - teachers(M1) is one.
- Coaching counts of two practices: the same three teachers, and a fourth with cycles on one only.
- Two walkthroughs of one practice at one school, classrooms {a, b, c} then {a, b, c, d}: the
  summaries' difference is d's level, read by a colleague who was never observed.
"""

from __future__ import annotations

from typing import Any

import httpx

from app.identity.models import Role
from tests.coaching.test_coaching_rest import cycle, practice
from tests.coaching.test_coaching_rest import release as release_coaching
from tests.conftest import Tokens, World
from tests.monitoring.test_privacy_attacks import PERIOD, release_feedback
from tests.practice.helpers import (
    API,
    TEST_PASSWORD,
    get,
    make_staff,
    monitoring_client,
    observe,
    record,
    walkthrough,
)


def _differ_by_fewer(a: dict[str, Any], b: dict[str, Any], people: str, minimum: int) -> bool:
    """Whether two shown cells' people differ by fewer than the minimum (and not by none): their
    difference is that few people's."""
    if a["suppressed"] or b["suppressed"]:
        return False
    return 0 < abs(a[people] - b[people]) < minimum


async def release_two_measures(
    client: httpx.AsyncClient, tokens: Tokens, world: World, *, teachers_on_belonging: int
) -> None:
    """Teachers record `belonging` with 12 respondents each, the first three `challenge` too; then the
    period is released."""
    made = [
        await make_staff(client, tokens, world, name=f"Teacher {i}") for i in range(teachers_on_belonging)
    ]
    for n, staff in enumerate(made):
        await record(client, staff.headers, measure="belonging", favourable_share="0.5", respondents=12)
        if n < 3:
            await record(client, staff.headers, measure="challenge", favourable_share="0.5", respondents=12)
    assert (await release_feedback(client, tokens)).status_code == 201


async def test_two_measures_do_not_difference_to_one_teachers_class(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Four teachers record `belonging`, three of them `challenge` too, each with 12 respondents.
    Both cells pass the minimums alone; their difference is the fourth teacher: 12 respondents and
    their favourable count. One of the two is hidden, for every reader."""
    await release_two_measures(client, tokens, world, teachers_on_belonging=4)
    school = str(world.school_ids("A")[0])
    for role in (Role.SCHOOL_LEADER, Role.DISTRICT_LEADER):
        headers = await tokens.headers("A", role)
        body = await get(client, "/feedback-aggregates", headers, period=PERIOD, school_id=school)
        cells = {c["measure"]: c for c in body["cells"]}
        assert set(cells) == {"belonging", "challenge"}
        assert not _differ_by_fewer(
            cells["belonging"], cells["challenge"], "teachers", body["min_teachers"]
        ), cells
        # The bigger cell is the one kept; asking for one measure changes nothing.
        assert not cells["belonging"]["suppressed"]
        only = await get(client, "/feedback-aggregates", headers, period=PERIOD, measure="challenge")
        assert [c["suppressed"] for c in only["cells"]] == [True]
    # The release's own record of what it published says so too.
    releases = await get(
        client, "/releases", await tokens.headers("A", Role.DISTRICT_ADMIN), subject="feedback"
    )
    assert releases["items"][-1]["audit"]["suppressed"] == 1


async def test_two_measures_with_teachers_enough_apart_both_show(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Control: six teachers on `belonging`, three of them on `challenge`: the difference is three
    teachers and 36 respondents, publishable itself, so both cells show."""
    await release_two_measures(client, tokens, world, teachers_on_belonging=6)
    headers = await tokens.headers("A", Role.SCHOOL_LEADER)
    body = await get(client, "/feedback-aggregates", headers, period=PERIOD)
    assert [c["suppressed"] for c in body["cells"]] == [False, False]


async def test_two_practices_coaching_counts_do_not_difference_to_one_teacher(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Three teachers have a cycle on each of two practices, a fourth on the first only: cycles and
    teachers of the first less the second are that teacher's."""
    first = await practice(client, tokens, "Turn and talk")
    second = await practice(client, tokens, "Exit tickets")
    coach = await make_staff(client, tokens, world, Role.COACH)
    for n in range(4):
        teacher = await make_staff(client, tokens, world)
        await cycle(client, world, coach, teacher, first["id"])
        if n < 3:
            await cycle(client, world, coach, teacher, second["id"])
    assert (await release_coaching(client, tokens)).status_code == 201
    leader = await make_staff(client, tokens, world, Role.DISTRICT_LEADER, school=None, name="Leader")
    cells = {c["practice_id"]: c for c in (await get(client, "/coaching-counts", leader.headers))["cells"]}
    assert not _differ_by_fewer(cells[first["id"]], cells[second["id"]], "teachers", 3), cells
    assert not cells[first["id"]]["suppressed"]


async def _closed_walkthrough(
    client: httpx.AsyncClient, world: World, headers: dict[str, str], observed: list[tuple[str, str]]
) -> str:
    walk = await walkthrough(client, world, headers)
    for person_id, level in observed:
        await observe(client, walk["id"], person_id, headers, level)
    response = await client.post(f"{API}/walkthroughs/{walk['id']}/close", headers=headers)
    assert response.status_code == 200, response.text
    return walk["id"]


async def test_two_overlapping_walkthroughs_do_not_difference_to_one_classroom(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """A coach walks classrooms a, b, c (all developing), closes, then walks a, b, c, d (d beginning)
    and closes. A colleague who was never observed reads both summaries: the second less the first
    is d at beginning. The second hides; the first, shown before, stays shown."""
    coach = await make_staff(client, tokens, world, Role.COACH)
    a, b, c, d = [await make_staff(client, tokens, world, name=f"Teacher {i}") for i in range(4)]
    colleague = await make_staff(client, tokens, world, name="Colleague")
    three = [(t.person_id, "developing") for t in (a, b, c)]
    first = await _closed_walkthrough(client, world, coach.headers, three)
    before = await get(client, f"/walkthroughs/{first}/summary", colleague.headers)
    assert not before["suppressed"]
    second = await _closed_walkthrough(client, world, coach.headers, [*three, (d.person_id, "beginning")])
    one = await get(client, f"/walkthroughs/{first}/summary", colleague.headers)
    two = await get(client, f"/walkthroughs/{second}/summary", colleague.headers)
    assert not one["suppressed"]
    assert two["suppressed"], "the second summary less the first is d's classroom"
    # The trend reads the same summaries.
    trend = await get(client, f"/walkthroughs/{second}/trend", colleague.headers)
    assert [s["walkthrough_id"] for s in trend["walkthroughs"] if not s["suppressed"]] == [first]


async def test_walkthroughs_of_the_same_classrooms_still_show_the_trend(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Control: the same three classrooms walked twice (the practice taking hold) both show; their
    difference is no classroom's that the other does not hold."""
    coach = await make_staff(client, tokens, world, Role.COACH)
    made = [await make_staff(client, tokens, world, name=f"Teacher {i}") for i in range(3)]
    colleague = await make_staff(client, tokens, world, name="Colleague")
    first = await _closed_walkthrough(
        client, world, coach.headers, [(t.person_id, "beginning") for t in made]
    )
    second = await _closed_walkthrough(
        client, world, coach.headers, [(t.person_id, "proficient") for t in made]
    )
    for walk in (first, second):
        assert not (await get(client, f"/walkthroughs/{walk}/summary", colleague.headers))["suppressed"]


async def test_an_admin_padding_a_school_with_accounts_they_made_does_not_isolate_a_teacher(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """One real teacher (their account made by another admin) and two accounts the district admin
    makes, signs in as and records known results for: a three-teacher cell whose favourable share,
    less the two known, is the real teacher's. For that admin the two they made count as known, so
    the cell hides; a district leader who made no account still reads it."""
    other_admin = await make_staff(
        client, tokens, world, Role.DISTRICT_ADMIN, school=None, name="Other admin"
    )
    body = {
        "email": "real.teacher@a.example.org",
        "password": TEST_PASSWORD,
        "display_name": "Real teacher",
        "roles": [{"role": "teacher", "school_id": str(world.school_ids("A")[0])}],
    }
    response = await client.post(f"{API}/users", json=body, headers=other_admin.headers)
    assert response.status_code == 201, response.text
    real = {"Authorization": f"Bearer {await tokens.password_grant(body['email'], TEST_PASSWORD)}"}
    await record(client, real, favourable_share="0.9", respondents=12)
    for n in range(2):
        made = await make_staff(client, tokens, world, name=f"Made-up {n}")
        await record(client, made.headers, favourable_share="0.5", respondents=12)
    assert (await release_feedback(client, tokens)).status_code == 201
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    cells = (await get(client, "/feedback-aggregates", admin, period=PERIOD))["cells"]
    assert [c["suppressed"] for c in cells] == [True], (
        "less the two made-up results, the cell is the real one"
    )
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    cells = (await get(client, "/feedback-aggregates", leader, period=PERIOD))["cells"]
    assert [c["suppressed"] for c in cells] == [False]


async def test_two_periods_do_not_difference_to_one_teachers_class(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Two overlapping windows: four teachers' `belonging` in the fall, the same three of them (the
    same 12 respondents each) in the spring. Fall less spring is the fourth teacher's class. The
    spring cell, released second, hides; the fall cell, read before, stays as it was."""
    made = [await make_staff(client, tokens, world, name=f"Teacher {i}") for i in range(4)]
    for staff in made:
        await record(client, staff.headers, favourable_share="0.5", respondents=12)
    assert (await release_feedback(client, tokens)).status_code == 201
    for staff in made[:3]:
        await record(client, staff.headers, period="2027-spring", favourable_share="0.7", respondents=12)
    assert (await release_feedback(client, tokens, "2027-spring")).status_code == 201
    headers = await tokens.headers("A", Role.SCHOOL_LEADER)
    cells = {c["period"]: c for c in (await get(client, "/feedback-aggregates", headers))["cells"]}
    assert not _differ_by_fewer(cells[PERIOD], cells["2027-spring"], "teachers", 3), cells
    assert not cells[PERIOD]["suppressed"]
    spring = await get(client, "/feedback-aggregates", headers, period="2027-spring")
    assert [c["suppressed"] for c in spring["cells"]] == [True]


async def test_an_admin_padding_a_cell_through_a_survey_client_they_made_does_not_isolate_a_teacher(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Three real teachers (accounts made by another admin), one with a result. The district admin
    makes a survey client and records known results for the other two, who had none: the cell less
    those two is the first teacher's result. Results the reader's client wrote are known to them."""
    other_admin = await make_staff(
        client, tokens, world, Role.DISTRICT_ADMIN, school=None, name="Other admin"
    )
    people = []
    for n in range(3):
        body = {
            "email": f"real.{n}@a.example.org",
            "password": TEST_PASSWORD,
            "display_name": f"Real teacher {n}",
            "roles": [{"role": "teacher", "school_id": str(world.school_ids("A")[0])}],
        }
        response = await client.post(f"{API}/users", json=body, headers=other_admin.headers)
        assert response.status_code == 201, response.text
        people.append(response.json()["person_id"])
        if n == 0:
            token = await tokens.password_grant(body["email"], TEST_PASSWORD)
            await record(client, {"Authorization": f"Bearer {token}"}, favourable_share="0.9", respondents=12)
    survey = await monitoring_client(client, tokens)
    for person in people[1:]:
        await record(
            client,
            survey,
            teacher_person_id=person,
            school_id=str(world.school_ids("A")[0]),
            favourable_share="0.5",
            respondents=12,
        )
    assert (await release_feedback(client, tokens)).status_code == 201
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    cells = (await get(client, "/feedback-aggregates", admin, period=PERIOD))["cells"]
    assert [c["suppressed"] for c in cells] == [True], "less the two results the admin's client wrote"
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    cells = (await get(client, "/feedback-aggregates", leader, period=PERIOD))["cells"]
    assert [c["suppressed"] for c in cells] == [False]
