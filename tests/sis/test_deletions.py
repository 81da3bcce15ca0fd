"""Deleted records stay deleted: nothing new may refer to them (409, like Ed-Fi), and a deletion ends
the records that depend on it (issue 15)."""

from __future__ import annotations

import httpx

from tests.conftest import Tokens
from tests.sis.helpers import STAFF, SYNC, list_all, put, put_ok, students

CLASS = {"sourcedId": "c-1", "title": "Grade 3 Reading", "school": "a-es"}


def enrollment(sourced_id: str, user: str, role: str = "student") -> dict[str, str]:
    return {"sourcedId": sourced_id, "class": "c-1", "user": user, "role": role}


async def test_a_deletion_ends_its_dependants_and_nothing_new_may_refer_to_it(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    roster = await tokens.client_headers("A", "roster")
    behaviour = await tokens.client_headers("A", "referrals")
    await put_ok(client, "staff", STAFF, roster)
    await put_ok(client, "students", students("s-1", "s-2"), roster)
    await put_ok(client, "classes", [CLASS], roster)
    await put_ok(
        client,
        "enrollments",
        [enrollment("e-1", "s-1"), enrollment("e-2", "s-2"), enrollment("e-3", "t-1", "teacher")],
        roster,
    )
    tier = {
        "sourcedId": "tier-1",
        "student": "s-1",
        "domain": "behavior",
        "tier": 2,
        "effectiveFrom": "2026-09-01",
    }
    await put_ok(client, "tier-assignments", [tier], behaviour)

    await put_ok(client, "students", [{"sourcedId": "s-1", "status": "tobedeleted"}], roster)
    await put_ok(client, "staff", [{"sourcedId": "t-1", "status": "tobedeleted"}], roster)
    # The deleted student's enrollment and tier, and the deleted teacher's enrollment, are ended, and
    # the change feed says so.
    assert [e["sourcedId"] for e in await list_all(client, f"{SYNC}/enrollments", roster)] == ["e-2"]
    ended = await list_all(client, f"{SYNC}/enrollments/deletes", roster)
    assert sorted(e["sourcedId"] for e in ended) == ["e-1", "e-3"]
    assert [
        t["sourcedId"] for t in await list_all(client, f"{SYNC}/tier-assignments/deletes", behaviour)
    ] == ["tier-1"]

    # Nothing new may point at them: 409, nothing applied.
    response = await put(client, "enrollments", [enrollment("e-4", "s-1")], roster)
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["type"] == "/problems/reference_to_deleted"
    assert [(e["path"], e["code"]) for e in body["errors"]] == [
        (["body", "records", 0, "user"], "deleted_reference")
    ]
    response = await put(client, "tier-assignments", [{**tier, "sourcedId": "tier-2"}], behaviour)
    assert response.status_code == 409, response.text

    # A deleted class ends its enrollments; a deleted school refuses new students.
    await put_ok(client, "classes", [{"sourcedId": "c-1", "status": "tobedeleted"}], roster)
    assert await list_all(client, f"{SYNC}/enrollments", roster) == []
    await put_ok(client, "schools", [{"sourcedId": "a-hs", "status": "tobedeleted"}], roster)
    response = await put(client, "students", students("s-9", school="a-hs"), roster)
    assert response.status_code == 409, response.text
    # A batch with other errors too stays a 422 that names each.
    mixed = [*students("s-9", school="a-hs"), *students("s-10", school="nowhere")]
    assert (await put(client, "students", mixed, roster)).status_code == 422
