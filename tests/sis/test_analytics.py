"""Behaviour analytics over REST, on a hand-made school whose every figure is known: tier shares,
referral buckets, teachers against the school, grades and categories, with small cells suppressed
(complementary cells included), and who may see which school."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.identity.models import Role
from tests.conftest import Tokens, World
from tests.sis.helpers import put_ok

ANALYTICS = "/api/v1/behavior-analytics"
PERIOD = {"period": "2026-10"}
OCTOBER = {
    "subject": "behavior",
    "period": "2026-10",
    "period_start": "2026-10-01",
    "period_end": "2026-10-31",
}
HIDDEN = {"value": None, "suppressed": True}


def shown(value: float) -> dict[str, Any]:
    return {"value": value, "suppressed": False}


@pytest.fixture
async def school(client: httpx.AsyncClient, tokens: Tokens, world: World) -> str:
    """A Elementary (a-es) with 30 students: s-00..s-19 in grade 03, s-20..s-29 in grade 04.

    Behaviour tiers: s-00..s-11 at tier 2, s-12..s-14 at tier 3, the rest at tier 1 (no assignment; an
    assignment of s-20 that ended before the period does not count). Referrals in the period:
    s-00..s-09 one disruption and one tardiness each (by t-1), s-10 and s-11 three defiance each (t-1),
    s-12 seven fighting (t-2), s-13 and s-14 one disruption each (t-1); one of s-15 before the period.
    t-1 teaches s-00..s-19 in c-1; t-2 teaches s-20..s-23 in c-2.
    """
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    ids = [f"s-{i:02}" for i in range(30)]
    await put_ok(
        client,
        "students",
        [{"sourcedId": s, "school": "a-es", "grade": "03" if i < 20 else "04"} for i, s in enumerate(ids)],
        admin,
    )
    await put_ok(
        client,
        "staff",
        [
            {"sourcedId": "t-1", "role": "teacher", "givenName": "Ana", "familyName": "Ruiz"},
            {"sourcedId": "t-2", "role": "teacher", "givenName": "Ben", "familyName": "Cole"},
        ],
        admin,
    )
    await put_ok(
        client,
        "classes",
        [
            {"sourcedId": "c-1", "title": "3A", "school": "a-es"},
            {"sourcedId": "c-2", "title": "4B", "school": "a-es"},
        ],
        admin,
    )
    enrollments = [
        {"sourcedId": "e-t1", "class": "c-1", "user": "t-1", "role": "teacher"},
        {"sourcedId": "e-t2", "class": "c-2", "user": "t-2", "role": "teacher"},
    ]
    enrollments += [{"sourcedId": f"e-{s}", "class": "c-1", "user": s, "role": "student"} for s in ids[:20]]
    enrollments += [{"sourcedId": f"e-{s}", "class": "c-2", "user": s, "role": "student"} for s in ids[20:24]]
    await put_ok(client, "enrollments", enrollments, admin)
    tiers = [
        {"sourcedId": f"ta-{s}", "student": s, "domain": "behavior", "tier": 2, "effectiveFrom": "2026-09-01"}
        for s in ids[:12]
    ]
    tiers += [
        {"sourcedId": f"ta-{s}", "student": s, "domain": "behavior", "tier": 3, "effectiveFrom": "2026-09-01"}
        for s in ids[12:15]
    ]
    tiers += [
        {
            "sourcedId": "ta-old",
            "student": "s-20",
            "domain": "behavior",
            "tier": 3,
            "effectiveFrom": "2025-09-01",
            "effectiveTo": "2026-06-30",
        }
    ]
    await put_ok(client, "tier-assignments", tiers, admin)
    referrals: list[dict[str, Any]] = []

    def refer(student: str, category: str, staff: str, times: int = 1, day: str = "2026-10-01") -> None:
        for _ in range(times):
            referrals.append(
                {
                    "sourcedId": f"r-{len(referrals)}",
                    "student": student,
                    "school": "a-es",
                    "staff": staff,
                    "date": day,
                    "category": category,
                    "severity": "minor",
                }
            )

    for s in ids[:10]:
        refer(s, "disruption", "t-1")
        refer(s, "tardiness", "t-1")
    refer("s-10", "defiance", "t-1", 3)
    refer("s-11", "defiance", "t-1", 3)
    refer("s-12", "fighting", "t-2", 7)
    refer("s-13", "disruption", "t-1")
    refer("s-14", "disruption", "t-1")
    refer("s-15", "disruption", "t-1", day="2026-06-01")
    await put_ok(client, "referrals", referrals, admin)
    return str(world.school_ids("A")[0])


async def release(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.post(
        "/api/v1/releases", json=OCTOBER, headers=await tokens.headers("A", Role.DISTRICT_ADMIN)
    )
    assert response.status_code == 201, response.text


async def report(client: httpx.AsyncClient, headers: dict[str, str], school_id: str) -> dict[str, Any]:
    response = await client.get(f"{ANALYTICS}/schools/{school_id}", params=PERIOD, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_tier_shares_and_referral_buckets_with_complementary_suppression(
    client: httpx.AsyncClient, tokens: Tokens, school: str
) -> None:
    await release(client, tokens)
    body = await report(client, await tokens.headers("A", Role.SCHOOL_LEADER), school)
    assert body["min_cell_size"] == 10
    summary = body["summary"]
    assert summary["enrolled"] == shown(30)
    behavior, academic = summary["tiers"]
    assert behavior["domain"] == "behavior"
    # Tier 3 (3 students) is suppressed; tier 2 (12) goes with it, or 30 - 15 would give tier 3 away.
    assert [(t["tier"], t["students"], t["share"]) for t in behavior["tiers"]] == [
        (1, shown(15), shown(0.5)),
        (2, HIDDEN, HIDDEN),
        (3, HIDDEN, HIDDEN),
    ]
    # No academic tiers: tiers 2 and 3 are zero (too small), so tier 1 would give them away too.
    assert [t["students"] for t in academic["tiers"]] == [HIDDEN, HIDDEN, HIDDEN]
    # Buckets 0 = 15, 1 = 2, 2–5 = 12, 6+ = 1: the hidden 1 and 6+ describe 3 students, so 2–5 hides too.
    assert [(b["bucket"], b["students"]) for b in summary["referral_buckets"]] == [
        ("0", shown(15)),
        ("1", HIDDEN),
        ("2-5", HIDDEN),
        ("6+", HIDDEN),
    ]
    assert body["referrals"] == shown(35)
    assert body["referrals_per_student"] == shown(round(35 / 30, 4))


async def test_teachers_against_the_school_and_the_breakdowns(
    client: httpx.AsyncClient, tokens: Tokens, school: str
) -> None:
    await release(client, tokens)
    body = await report(client, await tokens.headers("A", Role.DISTRICT_LEADER), school)
    teachers = {t["sourced_id"]: t for t in body["teachers"]}
    assert teachers["t-1"]["display_name"] == "Ana Ruiz"
    assert teachers["t-1"]["enrolled_students"] == shown(20)
    # t-2's 7 referrals (one student) are hidden; the school's 35 are shown and the teachers' rows are
    # part of them, so t-1's 28 would pin t-2's to at most 7: the audit hides t-1's too.
    assert teachers["t-1"]["referrals"] == HIDDEN
    assert teachers["t-1"]["referrals_per_student"] == HIDDEN
    assert teachers["t-1"]["relative_to_school"] == HIDDEN
    # Four students: nothing about this class is shown.
    assert {
        k: teachers["t-2"][k]
        for k in ("enrolled_students", "referrals", "referrals_per_student", "relative_to_school")
    } == {
        "enrolled_students": HIDDEN,
        "referrals": HIDDEN,
        "referrals_per_student": HIDDEN,
        "relative_to_school": HIDDEN,
    }
    grades = {g["grade"]: g for g in body["by_grade"]}
    assert grades["03"]["enrolled"] == shown(20)
    assert grades["04"]["enrolled"] == shown(10)
    # Grade 04 has no referrals (zero: too small); grade 03's would give it away against the totals.
    for grade in ("03", "04"):
        assert grades[grade]["students_with_referrals"] == HIDDEN
        assert grades[grade]["referrals"] == HIDDEN
    categories = {c["category"]: (c["referrals"], c["students"]) for c in body["by_category"]}
    assert categories == {
        "defiance": (HIDDEN, HIDDEN),  # 2 students
        "disruption": (shown(12), shown(12)),
        "fighting": (HIDDEN, HIDDEN),  # 1 student
        "tardiness": (HIDDEN, shown(10)),  # 10 students, but its count would give the two above away
    }


async def test_the_district_minimum_n_is_the_districts_setting(
    client: httpx.AsyncClient, tokens: Tokens, world: World, school: str
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    district = await client.get(f"/api/v1/districts/{world.district_id('A')}", headers=admin)
    updated = await client.patch(
        f"/api/v1/districts/{world.district_id('A')}",
        json={"min_cell_size": 16},
        headers={**admin, "If-Match": f'"{district.json()["version"]}"'},
    )
    assert updated.status_code == 200, updated.text
    await release(client, tokens)
    body = await report(client, admin, school)
    assert body["min_cell_size"] == 16
    # Tier 1 (15 students) is now too small too.
    assert [t["students"] for t in body["summary"]["tiers"][0]["tiers"]] == [HIDDEN, HIDDEN, HIDDEN]


async def test_who_sees_which_school(
    client: httpx.AsyncClient, tokens: Tokens, world: World, school: str
) -> None:
    await release(client, tokens)
    other_school = world.school_ids("A")[1]
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    assert (await client.get(f"{ANALYTICS}/schools/{other_school}", headers=leader)).status_code == 403
    assert (
        await client.get(f"{ANALYTICS}/schools/{world.school_ids('B')[0]}", headers=leader)
    ).status_code == 404
    overview = (await client.get(ANALYTICS, params=PERIOD, headers=leader)).json()
    assert overview["district"] is None
    assert [s["school_id"] for s in overview["schools"]] == [school]

    district_leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    overview = (await client.get(ANALYTICS, params=PERIOD, headers=district_leader)).json()
    assert overview["district"]["enrolled"] == shown(30)
    assert overview["district"]["school_id"] is None
    # The school's cells are the same whoever asks.
    assert overview["schools"][0]["tiers"] == (await report(client, leader, school))["summary"]["tiers"]

    for role in (Role.TEACHER, Role.COACH, Role.VIEWER, Role.COMMUNITY_MEMBER):
        assert (await client.get(ANALYTICS, headers=await tokens.headers("A", role))).status_code == 403
    for label, status in (("read", 200), ("roster", 403), ("referrals", 403)):
        response = await client.get(ANALYTICS, headers=await tokens.client_headers("A", label))
        assert response.status_code == status, label
    # A period never released is not there; arbitrary windows do not exist.
    unreleased = await client.get(ANALYTICS, params={"period": "2026-11"}, headers=district_leader)
    assert unreleased.status_code == 404
    # District B sees nothing of A's students: it released nothing of its own.
    b_overview = await client.get(ANALYTICS, headers=await tokens.headers("B", Role.DISTRICT_LEADER))
    assert b_overview.status_code == 404


async def test_relative_to_school_is_one_at_the_schools_rate_when_students_have_several_teachers(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """40 students, each in both classes: t-1 (math) referred 30 of them once, t-2 (reading) 10. The
    school's teachers referred 40 times over 80 teacher-student pairs, 0.5 per pair: t-1's 0.75 per
    student is 1.5 times that, t-2's 0.25 half. (Against referrals per enrolled student, 1.0, both
    would look half as referring as they are.)"""
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    ids = [f"s-{i:02}" for i in range(40)]
    await put_ok(client, "students", [{"sourcedId": s, "school": "a-es", "grade": "03"} for s in ids], admin)
    staff = [
        {"sourcedId": "t-1", "role": "teacher", "givenName": "Ana", "familyName": "Ruiz"},
        {"sourcedId": "t-2", "role": "teacher", "givenName": "Ben", "familyName": "Cole"},
    ]
    await put_ok(client, "staff", staff, admin)
    classes = [
        {"sourcedId": "c-1", "title": "Math", "school": "a-es"},
        {"sourcedId": "c-2", "title": "Reading", "school": "a-es"},
    ]
    await put_ok(client, "classes", classes, admin)
    enrollments = [
        {"sourcedId": "e-t1", "class": "c-1", "user": "t-1", "role": "teacher"},
        {"sourcedId": "e-t2", "class": "c-2", "user": "t-2", "role": "teacher"},
    ]
    for c in ("c-1", "c-2"):
        enrollments += [{"sourcedId": f"e-{c}-{s}", "class": c, "user": s, "role": "student"} for s in ids]
    await put_ok(client, "enrollments", enrollments, admin)
    referrals = [
        {
            "sourcedId": f"r-{i}",
            "student": s,
            "school": "a-es",
            "staff": "t-1" if i < 30 else "t-2",
            "date": "2026-10-01",
            "category": "disruption",
            "severity": "minor",
        }
        for i, s in enumerate(ids)
    ]
    await put_ok(client, "referrals", referrals, admin)
    await release(client, tokens)
    body = await report(client, admin, str(world.school_ids("A")[0]))
    teachers = {t["sourced_id"]: t for t in body["teachers"]}
    assert teachers["t-1"]["referrals_per_student"] == shown(0.75)
    assert teachers["t-2"]["referrals_per_student"] == shown(0.25)
    assert teachers["t-1"]["relative_to_school"] == shown(1.5)
    assert teachers["t-2"]["relative_to_school"] == shown(0.5)
