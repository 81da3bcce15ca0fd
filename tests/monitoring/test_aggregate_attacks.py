"""Attacks on released aggregates that the first round (test_privacy_attacks) did not try: a reader
who forgets nothing, corrections whose difference is one teacher or one student, and a colleague's
classroom learnt through a shared coaching cycle. Each failed on the code before its fix.

- A share withdrawn after the reader read the shared rows: the reader still knows them, so a released
  cell that hid from them while they could read those rows must keep hiding (it would otherwise be
  the rest of the cell, to subtract).
- A correction release where one teacher's record changed (a feedback result's value only, or its
  respondents by more than the minimum n; three more coaching cycles of one teacher): every count
  moves by zero or by the minimum, yet the difference between the revisions is that one teacher.
- A behaviour correction where one student's late referrals (ten, their bucket unchanged) move the
  referral counts by exactly the minimum n: the difference is that one student.
- A correction through three teachers, read by a coach who knows one of them: the rest is two.
- A walkthrough summary read by a teacher who was shared a colleague's coaching cycle (which carries
  the colleague's observation): their own classroom and the colleague's leave two.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.identity.models import Role
from tests.coaching.test_coaching_rest import cycle, practice
from tests.coaching.test_coaching_rest import release as release_coaching
from tests.conftest import Tokens, World
from tests.monitoring.test_privacy_attacks import (
    MEASURE,
    PERIOD,
    recovered,
    release_feedback,
    rest_cell,
    teachers,
)
from tests.practice.helpers import API, Headers, Staff, get, make_staff, observe, post, record, walkthrough
from tests.sis.helpers import put_ok
from tests.sis.test_release_attacks import OCTOBER, seed
from tests.sis.test_release_attacks import _cells as report_cells
from tests.sis.test_release_attacks import release as release_behaviour
from tests.sis.test_release_attacks import school_report as behaviour_report


async def _share_and_read(client: httpx.AsyncClient, teacher: Staff, reader: Staff) -> str:
    """The teacher shares their results with `reader`, who reads them; the share's id."""
    share = await post(client, "/feedback-shares", {"person_id": reader.person_id}, teacher.headers)
    read = await get(client, "/feedback-results", reader.headers, period=PERIOD, measure=MEASURE)
    assert [r for r in read["items"] if r["teacher_person_id"] == teacher.person_id]
    return share["id"]


async def _withdraw(client: httpx.AsyncClient, url: str, headers: Headers) -> None:
    response = await client.delete(f"{API}{url}", headers=headers)
    assert response.status_code == 204, response.text


async def _graphql_cells(client: httpx.AsyncClient, headers: Headers) -> list[dict[str, Any]]:
    response = await client.post(
        "/graphql",
        json={
            "query": """{ feedbackAggregates(measure: "belonging", period: "2026-fall")
            { cells { suppressed respondents favourableShare } } }"""
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["feedbackAggregates"]["cells"]


async def test_a_withdrawn_share_does_not_unhide_the_cell_from_a_reader_who_read_it(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Three teachers; two share with a coach, who reads their results. The cell hides from the coach
    (one unknown teacher). Both withdraw their shares: the coach still knows both results, and the
    cell minus them is the third teacher's result, over REST and over GraphQL."""
    made = await teachers(client, tokens, world, 3)
    coach = await make_staff(client, tokens, world, Role.COACH, name="Curious coach")
    shares = [(teacher, await _share_and_read(client, teacher, coach)) for teacher in made[:2]]
    assert (await release_feedback(client, tokens)).status_code == 201
    hidden = await rest_cell(client, coach.headers, world)
    assert hidden is not None
    assert hidden["suppressed"]
    for teacher, share_id in shares:
        await _withdraw(client, f"/feedback-shares/{share_id}", teacher.headers)
    cell = await rest_cell(client, coach.headers, world)
    assert cell is not None
    assert cell["suppressed"], "the cell minus the two results the coach read is the third teacher's result"
    cells = await _graphql_cells(client, coach.headers)
    assert cells
    assert all(c["suppressed"] for c in cells), cells
    # A leader who never read a result still reads the cell.
    leader = await rest_cell(client, await tokens.headers("A", Role.SCHOOL_LEADER), world)
    assert leader is not None
    assert not leader["suppressed"]


async def test_a_withdrawn_coaching_share_does_not_unhide_the_counts(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Coaching counts, the same way: a district leader reads two teachers' shared cycles, the shares
    are withdrawn after the release, and the count of three teachers is still hidden from them."""
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    leader = await make_staff(client, tokens, world, Role.DISTRICT_LEADER, school=None, name="Leader")
    shared = []
    for n in range(3):
        teacher = await make_staff(client, tokens, world)
        started = await cycle(client, world, coach, teacher, made["id"])
        if n < 2:
            share = await post(
                client,
                f"/coaching-cycles/{started['id']}/shares",
                {"person_id": leader.person_id},
                teacher.headers,
            )
            await get(client, f"/coaching-cycles/{started['id']}", leader.headers)
            shared.append((teacher, share["id"]))
    assert (await release_coaching(client, tokens)).status_code == 201
    before = (await get(client, "/coaching-counts", leader.headers))["cells"]
    assert [c["suppressed"] for c in before] == [True]
    for teacher, share_id in shared:
        await _withdraw(client, f"/coaching-shares/{share_id}", teacher.headers)
    after = (await get(client, "/coaching-counts", leader.headers))["cells"]
    assert [c["suppressed"] for c in after] == [True], "three cycles minus the two read is the third"


@pytest.mark.parametrize(
    ("favourable_share", "respondents"),
    [
        # Respondents unchanged: every count stays, and the favourable share moves by that teacher's
        # change, to the respondent.
        pytest.param("0.95", 12, id="changed_value"),
        # A class grown by more than the minimum n: the respondents move by enough, the teachers not
        # at all, and the difference is still one teacher's class.
        pytest.param("0.9", 30, id="larger_class"),
    ],
)
async def test_a_correction_cannot_differ_by_one_teachers_replaced_result(
    client: httpx.AsyncClient, tokens: Tokens, world: World, favourable_share: str, respondents: int
) -> None:
    """One teacher replaces their result after the release: a correction must not publish a difference
    that is that one teacher's."""
    made = await teachers(client, tokens, world, 4)
    assert (await release_feedback(client, tokens)).status_code == 201
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    before = await rest_cell(client, leader, world)
    await record(
        client, made[0].headers, status=200, favourable_share=favourable_share, respondents=respondents
    )
    await release_feedback(client, tokens)
    after = await rest_cell(client, leader, world)
    assert not recovered(before, after), (before, after)


async def test_a_correction_through_enough_teachers_is_still_released(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Three late teachers with their classes: the difference is a cell of its own, big enough."""
    await teachers(client, tokens, world, 3)
    assert (await release_feedback(client, tokens)).status_code == 201
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    await teachers(client, tokens, world, 3)
    response = await release_feedback(client, tokens)
    assert response.status_code == 201, response.text
    cell = await rest_cell(client, leader, world)
    assert cell is not None
    assert (cell["revision"], cell["teachers"], cell["respondents"]) == (2, 6, 72)


async def test_a_coaching_correction_cannot_differ_by_one_teachers_cycles(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Three teachers with a cycle each are released; one teacher then starts three more cycles of the
    practice in the period. The cycles move by three (the minimum of teachers), the teachers by none:
    a correction would say that one teacher took three more cycles."""
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    first = None
    for _ in range(3):
        teacher = await make_staff(client, tokens, world)
        first = first or teacher
        await cycle(client, world, coach, teacher, made["id"])
    assert (await release_coaching(client, tokens)).status_code == 201
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    before = (await get(client, "/coaching-counts", leader))["cells"]
    assert first is not None
    for _ in range(3):
        await cycle(client, world, coach, first, made["id"])
    await release_coaching(client, tokens)
    after = (await get(client, "/coaching-counts", leader))["cells"]
    assert [(c["cycles"], c["teachers"]) for c in after] == [(c["cycles"], c["teachers"]) for c in before]


# October: fifteen students referred, the first of them six times (the 6+ bucket).
ONE_STUDENT_AT_SIX = [(i, "disruption", "t-1", "2026-10-05") for i in range(15)] + [
    (0, "disruption", "t-1", f"2026-10-{day:02}") for day in range(6, 11)
]


def late_referrals(student: str, count: int = 10) -> list[dict[str, Any]]:
    """`count` more October referrals of one student, arriving after the period was released."""
    return [
        {
            "sourcedId": f"r-late-{n}",
            "student": student,
            "school": "a-es",
            "staff": "t-1",
            "date": f"2026-10-{12 + n:02}",
            "category": "disruption",
            "severity": "minor",
        }
        for n in range(count)
    ]


async def test_a_behaviour_correction_cannot_differ_by_one_students_referrals(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Fifteen students referred in October, one of them six times. Ten more referrals of that one
    student arrive late: their bucket (6+) stays, and every count that moves, moves by ten, the
    minimum n. A correction would publish that one student's ten referrals as the difference."""
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    ids = await seed(client, admin, students=40, referrals=ONE_STUDENT_AT_SIX)
    await release_behaviour(client, admin)
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    school = world.school_ids("A")[0]
    before = await behaviour_report(client, leader, school, period="2026-10")
    assert before is not None
    await put_ok(client, "referrals", late_referrals(ids[0]), admin)
    await release_behaviour(client, admin)
    after = await behaviour_report(client, leader, school, period="2026-10")
    assert after is not None
    moved = [
        (b["value"], a["value"])
        for b, a in zip(report_cells(before), report_cells(after), strict=True)
        if not b["suppressed"] and not a["suppressed"] and b["value"] != a["value"]
    ]
    assert not moved, f"one student's referrals, by difference: {moved}"


async def test_a_behaviour_correction_through_enough_students_is_still_released(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Twelve more students each referred once, late: a difference of twelve students, published."""
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    ids = await seed(
        client, admin, students=40, referrals=[(i, "disruption", "t-1", "2026-10-05") for i in range(15)]
    )
    await release_behaviour(client, admin)
    late = [
        {
            "sourcedId": f"r-late-{n}",
            "student": ids[20 + n],
            "school": "a-es",
            "staff": "t-1",
            "date": "2026-10-20",
            "category": "disruption",
            "severity": "minor",
        }
        for n in range(12)
    ]
    await put_ok(client, "referrals", late, admin)
    response = await client.post("/api/v1/releases", json=OCTOBER, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["revision"] == 2


async def test_a_colleagues_shared_cycle_does_not_help_take_the_walkthrough_apart(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Four classrooms observed; teacher A links their observation to a coaching cycle and shares the
    cycle with colleague B. B knows their own level and, through the cycle, A's: the summary minus the
    two is the last two classrooms, fewer than the minimum of three."""
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    a, b, c, d = [await make_staff(client, tokens, world, name=f"Observed {i}") for i in range(4)]
    walk = await walkthrough(client, world, coach.headers, practice_id=made["id"])
    observed = {}
    for staff, level in ((a, "proficient"), (b, "developing"), (c, "beginning"), (d, "beginning")):
        observed[staff.person_id] = await observe(client, walk["id"], staff.person_id, coach.headers, level)
    started = await cycle(client, world, coach, a, made["id"])
    await post(
        client,
        f"/coaching-cycles/{started['id']}/observations",
        {"observation_id": observed[a.person_id]["id"]},
        coach.headers,
    )
    await post(client, f"/coaching-cycles/{started['id']}/shares", {"person_id": b.person_id}, a.headers)
    response = await client.post(f"{API}/walkthroughs/{walk['id']}/close", headers=coach.headers)
    assert response.status_code == 200, response.text
    links = await get(client, f"/coaching-cycles/{started['id']}/observations", b.headers)
    assert [link["level"] for link in links] == ["proficient"]
    summary = await get(client, f"/walkthroughs/{walk['id']}/summary", b.headers)
    assert summary["suppressed"], "B's level and A's, taken from the summary, leave C's and D's"


async def test_a_correction_does_not_give_a_reader_the_rest_of_its_difference(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Four teachers; A shares with a coach. Three teachers (A among them) replace their results and
    the district corrects the release: a difference of three teachers, published. The coach, who
    reads A's old and new results, would have the other two teachers' change from the two revisions."""
    made = await teachers(client, tokens, world, 4)
    coach = await make_staff(client, tokens, world, Role.COACH, name="Curious coach")
    await _share_and_read(client, made[0], coach)
    assert (await release_feedback(client, tokens)).status_code == 201
    before = await rest_cell(client, coach.headers, world)
    for teacher, share in zip(made[:3], ("0.8", "0.9", "0.95"), strict=True):
        await record(client, teacher.headers, status=200, favourable_share=share, respondents=12)
    await get(client, "/feedback-results", coach.headers, period=PERIOD, measure=MEASURE)
    response = await release_feedback(client, tokens)
    assert response.status_code == 201, response.text
    after = await rest_cell(client, coach.headers, world)
    assert not recovered(before, after), (before, after)
