"""The bulk sync API: upserts by sourcedId that are idempotent, atomic (or partial when asked), soft
deletes, the change feed, sync runs, and a district's clients never reaching another district's rows."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity.models import Role
from tests.conftest import Tokens
from tests.sis.helpers import STAFF, SYNC, counts, list_all, put, put_ok, students


def problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{code}"
    return body


async def test_the_same_batch_twice_changes_nothing(client: httpx.AsyncClient, tokens: Tokens) -> None:
    roster = await tokens.client_headers("A", "roster")
    batch = students("s-1", "s-2", "s-3")

    first = await put_ok(client, "students", batch, roster)
    assert first["status"] == "applied"
    assert counts(first) == {
        "received": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "rejected": 0,
    }
    before = {s["sourcedId"]: s for s in await list_all(client, f"{SYNC}/students", roster)}

    second = await put_ok(client, "students", batch, roster)
    assert counts(second) == {
        "received": 3,
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "deleted": 0,
        "rejected": 0,
    }
    after = {s["sourcedId"]: s for s in await list_all(client, f"{SYNC}/students", roster)}
    assert after == before  # not even updatedAt moved

    changed = [*students("s-1", "s-2"), *students("s-3", grade="04")]
    third = await put_ok(client, "students", changed, roster)
    assert (third["updated"], third["unchanged"]) == (1, 2)
    assert {s["sourcedId"]: s["grade"] for s in await list_all(client, f"{SYNC}/students", roster)} == {
        "s-1": "03",
        "s-2": "03",
        "s-3": "04",
    }


async def test_a_bad_row_applies_nothing_and_the_run_says_why(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    roster = await tokens.client_headers("A", "roster")
    batch = [
        *students("s-1"),
        {"sourcedId": "s-2", "school": "a-es", "grade": "fourth"},
        {"sourcedId": "s-3", "school": "no-such-school"},
        {"sourcedId": "s-4", "school": "a-es", "dateLastModified": "2026-09-01T10:00:00"},
        {"sourcedId": "s-5", "school": "a-es", "gradee": "03"},
        *students("s-1"),
    ]
    body = problem(await put(client, "students", batch, roster), 422, "batch_rejected")
    assert body["sync_run"]["status"] == "rejected"
    assert body["sync_run"]["created"] == 0
    assert body["sync_run"]["rejected"] == 5
    where = {(tuple(e["path"]), e["code"]) for e in body["errors"]}
    assert (("body", "records", 1, "grade"), "literal_error") in where
    assert (("body", "records", 2, "school"), "unknown_reference") in where
    assert (("body", "records", 3, "dateLastModified"), "timezone_aware") in where
    assert (("body", "records", 4, "gradee"), "extra_forbidden") in where
    assert (("body", "records", 5, "sourcedId"), "duplicate") in where
    row_errors = body["sync_run"]["errors"]
    assert {"row": 2, "sourced_id": "s-3", "field": "school"}.items() <= row_errors[1].items()
    assert await list_all(client, f"{SYNC}/students", roster) == []  # s-1 was valid: not applied either

    runs = await list_all(client, f"{SYNC}/runs", roster)
    assert [(r["entity"], r["status"], r["error_count"]) for r in runs] == [("students", "rejected", 5)]
    assert runs[0]["actor_kind"] == "client"


async def test_partial_applies_the_valid_rows_and_reports_the_rest(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    roster = await tokens.client_headers("A", "roster")
    batch = [*students("s-1"), {"sourcedId": "s-2", "school": "elsewhere"}, *students("s-3")]
    run = await put_ok(client, "students", batch, roster, partial="true")
    assert run["status"] == "partially_applied"
    assert (run["created"], run["rejected"]) == (2, 1)
    assert [(e["row"], e["field"], e["code"]) for e in run["errors"]] == [(1, "school", "unknown_reference")]
    assert sorted(s["sourcedId"] for s in await list_all(client, f"{SYNC}/students", roster)) == [
        "s-1",
        "s-3",
    ]


async def test_tobedeleted_soft_deletes_and_the_deletes_feed_reports_it(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    roster = await tokens.client_headers("A", "roster")
    await put_ok(client, "students", students("s-1", "s-2"), roster)
    deletion = [{"sourcedId": "s-1", "status": "tobedeleted", "dateLastModified": "2026-10-01T00:00:00Z"}]

    run = await put_ok(client, "students", deletion, roster)
    assert (run["deleted"], run["unchanged"]) == (1, 0)
    assert [s["sourcedId"] for s in await list_all(client, f"{SYNC}/students", roster)] == ["s-2"]
    deletes = (await client.get(f"{SYNC}/students/deletes", headers=roster)).json()["items"]
    assert [d["sourcedId"] for d in deletes] == ["s-1"]
    later = (
        await client.get(f"{SYNC}/students/deletes", params={"since": "2999-01-01T00:00:00Z"}, headers=roster)
    ).json()
    assert later["items"] == []

    again = await put_ok(client, "students", deletion, roster)
    assert (again["deleted"], again["unchanged"]) == (0, 1)
    # Deleting what was never synced deletes nothing, and says so.
    unknown = await put_ok(client, "students", [{"sourcedId": "never", "status": "tobedeleted"}], roster)
    assert (unknown["deleted"], unknown["unchanged"]) == (0, 1)
    # The SIS can bring a record back.
    revived = await put_ok(client, "students", students("s-1"), roster)
    assert revived["updated"] == 1
    assert sorted(s["sourcedId"] for s in await list_all(client, f"{SYNC}/students", roster)) == [
        "s-1",
        "s-2",
    ]
    assert (await client.get(f"{SYNC}/students/deletes", headers=roster)).json()["items"] == []


async def test_the_deletes_feed_wants_a_zone(client: httpx.AsyncClient, tokens: Tokens) -> None:
    roster = await tokens.client_headers("A", "roster")
    response = await client.get(
        f"{SYNC}/students/deletes", params={"since": "2026-01-01T00:00:00"}, headers=roster
    )
    problem(response, 422, "validation_failed")


async def test_updated_since_narrows_the_roster_to_what_changed(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    roster = await tokens.client_headers("A", "roster")
    await put_ok(client, "students", students("s-1", "s-2"), roster)
    everything = await list_all(client, f"{SYNC}/students", roster)
    since = max(s["updatedAt"] for s in everything)
    await asyncio.sleep(0.01)
    await put_ok(client, "students", [*students("s-1"), *students("s-2", grade="05")], roster)
    changed = await list_all(client, f"{SYNC}/students", roster, updated_since=since.replace("+00:00", "Z"))
    assert [s["sourcedId"] for s in changed if s["updatedAt"] > since] == ["s-2"]


async def test_students_are_pseudonymous_whatever_the_feed_sends(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    roster = await tokens.client_headers("A", "roster")
    record = {
        "sourcedId": "s-9",
        "school": "a-es",
        "grade": "KG",
        "givenName": "Zelda",
        "familyName": "Quimby",
        "middleName": "Xanthe",
        "email": "zelda.quimby@family.example",
        "username": "zquimby",
    }
    run = await put_ok(client, "students", [record], roster)
    assert run["created"] == 1
    [stored] = await list_all(client, f"{SYNC}/students", roster)
    assert stored == {
        "id": stored["id"],
        "sourcedId": "s-9",
        "status": "active",
        "dateLastModified": None,
        "updatedAt": stored["updatedAt"],
        "changeVersion": stored["changeVersion"],
        "school": "a-es",
        "grade": "KG",
    }
    for table in ("student", "sync_run", "audit_event"):
        dump = await session.scalar(text(f"SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} AS t"))  # noqa: S608
        for personal in ("Zelda", "Quimby", "Xanthe", "zquimby"):
            assert personal not in dump, table


async def test_a_client_of_district_a_cannot_touch_b_by_guessing_sourced_ids(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    roster_a = await tokens.client_headers("A", "roster")
    roster_b = await tokens.client_headers("B", "roster")
    await put_ok(client, "students", students("shared-1", school="b-es"), roster_b)
    b_before = await list_all(client, f"{SYNC}/students", roster_b)

    # B's school is unknown in A.
    refused = await put(client, "students", students("shared-1", school="b-es"), roster_a)
    assert refused.json()["errors"][0]["code"] == "unknown_reference"
    # Deleting B's student by its sourcedId deletes nothing.
    gone = await put_ok(client, "students", [{"sourcedId": "shared-1", "status": "tobedeleted"}], roster_a)
    assert gone["deleted"] == 0
    # The same sourcedId in A is A's own student; B's is untouched.
    mine = await put_ok(client, "students", students("shared-1", school="a-es"), roster_a)
    assert mine["created"] == 1
    assert await list_all(client, f"{SYNC}/students", roster_b) == b_before
    assert [s["school"] for s in await list_all(client, f"{SYNC}/students", roster_a)] == ["a-es"]
    # Nor can A's referrals point at B's students or schools.
    referrals_a = await tokens.client_headers("A", "referrals")
    referral = {
        "sourcedId": "r-1",
        "student": "shared-1",
        "school": "b-es",
        "date": "2026-10-01",
        "category": "disruption",
        "severity": "minor",
    }
    body = (await put(client, "referrals", [referral], referrals_a)).json()
    assert [(e["field"], e["code"]) for e in body["sync_run"]["errors"]] == [("school", "unknown_reference")]
    # Runs are per district too.
    assert all(r["entity"] == "students" for r in await list_all(client, f"{SYNC}/runs", roster_b))
    assert len(await list_all(client, f"{SYNC}/runs", roster_b)) == 1


async def test_a_whole_roster_and_behaviour_data_in_dependency_order(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    roster = await tokens.client_headers("A", "roster")
    referrals = await tokens.client_headers("A", "referrals")
    schools = await put_ok(
        client,
        "schools",
        [{"sourcedId": "a-ms", "name": "A Middle"}, {"sourcedId": "a-es", "name": "A Elementary"}],
        roster,
    )
    assert (schools["created"], schools["unchanged"]) == (1, 1)
    clash = await put(client, "schools", [{"sourcedId": "a-xx", "name": "a high"}], roster)
    assert clash.json()["errors"][0]["code"] == "duplicate"

    await put_ok(client, "staff", STAFF, roster)
    await put_ok(client, "students", students("s-1", "s-2"), roster)
    await put_ok(
        client,
        "classes",
        [{"sourcedId": "c-1", "title": "Grade 3 Reading", "school": "a-es", "classCode": "R3"}],
        roster,
    )
    enrollments = [
        {"sourcedId": "e-1", "class": "c-1", "user": "t-1", "role": "teacher", "primary": True},
        {"sourcedId": "e-2", "class": "c-1", "user": "s-1", "role": "student", "beginDate": "2026-08-20"},
        {"sourcedId": "e-3", "class": "c-1", "user": "s-2", "role": "student"},
    ]
    await put_ok(client, "enrollments", enrollments, roster)
    bad = await put(
        client,
        "enrollments",
        [{"sourcedId": "e-4", "class": "c-1", "user": "t-1", "role": "student"}],
        roster,
    )
    assert bad.json()["errors"][0]["path"] == ["body", "records", 0, "user"]
    misdated = await put(
        client,
        "enrollments",
        [
            {
                "sourcedId": "e-5",
                "class": "c-1",
                "user": "s-1",
                "role": "student",
                "beginDate": "2026-09-01",
                "endDate": "2026-08-01",
            }
        ],
        roster,
    )
    assert misdated.status_code == 422

    await put_ok(
        client,
        "referrals",
        [
            {
                "sourcedId": "r-1",
                "student": "s-1",
                "school": "a-es",
                "staff": "t-1",
                "date": "2026-10-02",
                "category": "disruption",
                "severity": "minor",
            }
        ],
        referrals,
    )
    await put_ok(
        client,
        "tier-assignments",
        [
            {
                "sourcedId": "ta-1",
                "student": "s-1",
                "domain": "behavior",
                "tier": 2,
                "effectiveFrom": "2026-09-01",
            }
        ],
        referrals,
    )
    tier_four = await put(
        client,
        "tier-assignments",
        [
            {
                "sourcedId": "ta-2",
                "student": "s-1",
                "domain": "behavior",
                "tier": 4,
                "effectiveFrom": "2026-09-01",
            }
        ],
        referrals,
    )
    assert tier_four.json()["errors"][0]["path"] == ["body", "records", 0, "tier"]

    listed = await list_all(client, f"{SYNC}/enrollments", roster)
    assert {(e["sourcedId"], e["class"], e["user"], e["role"], e["school"]) for e in listed} == {
        ("e-1", "c-1", "t-1", "teacher", "a-es"),
        ("e-2", "c-1", "s-1", "student", "a-es"),
        ("e-3", "c-1", "s-2", "student", "a-es"),
    }
    staff = await list_all(client, f"{SYNC}/staff", roster)
    assert {(s["sourcedId"], s["displayName"], s["role"]) for s in staff} == {
        ("t-1", "Ana Ruiz", "teacher"),
        ("t-2", "Ben Cole", "teacher"),
    }
    # A district admin reads single students' behaviour back; the client that wrote it may not.
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    [referral] = await list_all(client, f"{SYNC}/referrals", admin)
    assert (referral["student"], referral["staff"], referral["date"]) == ("s-1", "t-1", "2026-10-02")
    assert (await client.get(f"{SYNC}/referrals", headers=referrals)).status_code == 403
    runs = await list_all(client, f"{SYNC}/runs", referrals, entity="referrals")
    assert [r["status"] for r in runs] == ["applied"]
    single = await client.get(f"{SYNC}/runs/{runs[0]['id']}", headers=referrals)
    assert single.json()["counts"]["referrals"]["created"] == 1


async def test_who_may_sync_what(client: httpx.AsyncClient, tokens: Tokens) -> None:
    roster = await tokens.client_headers("A", "roster")
    referrals = await tokens.client_headers("A", "referrals")
    reader = await tokens.client_headers("A", "read")
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    referral = [
        {
            "sourcedId": "r-1",
            "student": "s",
            "school": "a-es",
            "date": "2026-10-02",
            "category": "x",
            "severity": "minor",
        }
    ]
    problem(await put(client, "students", students("s-1"), referrals), 403, "forbidden")
    problem(await put(client, "referrals", referral, roster), 403, "forbidden")
    problem(await put(client, "students", students("s-1"), reader), 403, "forbidden")
    problem(await put(client, "students", students("s-1"), leader), 403, "forbidden")
    assert (await client.get(f"{SYNC}/students", headers=reader)).status_code == 200
    problem(await client.get(f"{SYNC}/referrals", headers=reader), 403, "forbidden")
    problem(await client.get(f"{SYNC}/students", headers=leader), 403, "forbidden")
    problem(await client.get(f"{SYNC}/runs", headers=leader), 403, "forbidden")
    # Deletes carry no student data: the client that syncs referrals may read them.
    assert (await client.get(f"{SYNC}/referrals/deletes", headers=referrals)).status_code == 200
    assert (await client.put(f"{SYNC}/students", json={"records": []})).status_code == 401


async def test_malformed_batches_are_problems_not_500s(client: httpx.AsyncClient, tokens: Tokens) -> None:
    roster = await tokens.client_headers("A", "roster")
    too_many = students(*(f"s-{i}" for i in range(10_001)))
    problem(await put(client, "students", too_many, roster), 422, "validation_failed")
    problem(
        await client.put(f"{SYNC}/students", json={"records": "all"}, headers=roster),
        422,
        "validation_failed",
    )
    problem(await client.put(f"{SYNC}/students", json=[], headers=roster), 422, "validation_failed")
    problem(
        await client.put(
            f"{SYNC}/students", content=b"{not json", headers={**roster, "content-type": "application/json"}
        ),
        422,
        "validation_failed",
    )
    not_an_object = problem(await put(client, "students", ["s-1"], roster), 422, "validation_failed")
    assert not_an_object["errors"][0]["path"] == ["body", "records", 0]
    assert (await client.put(f"{SYNC}/pupils", json={"records": []}, headers=roster)).status_code in {
        404,
        405,
    }
    empty = await put_ok(client, "students", [], roster)
    assert empty["received"] == 0
