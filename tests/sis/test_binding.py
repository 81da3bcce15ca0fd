"""OneRoster 1.2 CSV binding details and dateLastModified ordering (issue 15)."""

from __future__ import annotations

import httpx

from app.identity.models import Role
from tests.conftest import Tokens
from tests.sis.helpers import ORGS, SYNC, bundle, list_all, manifest, put_ok, upload


async def test_an_older_date_last_modified_never_overwrites_a_newer_one(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    roster = await tokens.client_headers("A", "roster")
    newer = {"sourcedId": "s-1", "school": "a-es", "grade": "03", "dateLastModified": "2026-10-02T00:00:00Z"}
    older = {**newer, "grade": "04", "dateLastModified": "2026-10-01T00:00:00Z"}
    await put_ok(client, "students", [newer], roster)
    run = await put_ok(client, "students", [older], roster)
    assert run["counts"]["students"]["stale"] == 1
    assert (run["updated"], run["unchanged"]) == (0, 0)
    [stored] = await list_all(client, f"{SYNC}/students", roster)
    assert (stored["grade"], stored["dateLastModified"]) == ("03", "2026-10-02T00:00:00Z")
    later = {**newer, "grade": "05", "dateLastModified": "2026-10-03T00:00:00Z"}
    assert (await put_ok(client, "students", [later], roster))["updated"] == 1


async def test_the_csv_binding_names_and_lists(client: httpx.AsyncClient, tokens: Tokens) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    users = (
        "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,givenName,familyName,"
        "grades,primaryOrgSourcedId\n"
        # orgSourcedIds lists the district first: the school is the one that is a school.
        '"s-1",,,true,"dist-a,a-es",student,,Zelda,Quimby,03,\n'
        # primaryOrgSourcedId (the CSV binding's name) says which school.
        's-2,,,true,"dist-a,a-es,a-ms",student,,Yusuf,Park,07,a-ms\n'
        "g-1,,,true,a-es,guardian,,Paula,Quimby,,\n"
    )
    data = bundle({"manifest.csv": manifest(orgs="bulk", users="bulk"), "orgs.csv": ORGS, "users.csv": users})
    response = await upload(client, data, admin)
    assert response.status_code == 200, response.text
    counts = response.json()["counts"]
    # The district row and the guardian are counted, as skipped: nothing is dropped silently.
    assert (counts["orgs"]["received"], counts["orgs"]["created"], counts["orgs"]["skipped"]) == (3, 1, 1)
    assert (counts["users"]["received"], counts["users"]["created"], counts["users"]["skipped"]) == (3, 2, 1)
    schools = {s["sourcedId"]: s["school"] for s in await list_all(client, f"{SYNC}/students", admin)}
    assert schools == {"s-1": "a-es", "s-2": "a-ms"}


async def test_a_stale_tobedeleted_never_deletes_a_newer_record(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    """A deletion the SIS dated before the stored record's dateLastModified is older news: the record
    stays, and the deletion is counted stale (JSON sync and the CSV bundle alike)."""
    roster = await tokens.client_headers("A", "roster")
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    stored = [
        {"sourcedId": s, "school": "a-es", "grade": "03", "dateLastModified": "2026-10-02T00:00:00Z"}
        for s in ("s-1", "s-2")
    ]
    await put_ok(client, "students", stored, roster)
    old = {"sourcedId": "s-1", "status": "tobedeleted", "dateLastModified": "2026-10-01T00:00:00Z"}
    run = await put_ok(client, "students", [old], roster)
    assert run["counts"]["students"]["stale"] == 1
    assert (run["deleted"], run["unchanged"]) == (0, 0)
    users = (
        "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,givenName,familyName,grades\n"
        "s-2,tobedeleted,2026-10-01T00:00:00Z,true,a-es,student,,Zelda,Quimby,03\n"
    )
    data = bundle({"manifest.csv": manifest(users="delta"), "users.csv": users})
    response = await upload(client, data, admin)
    assert response.status_code == 200, response.text
    assert (response.json()["counts"]["users"]["deleted"], response.json()["counts"]["users"]["stale"]) == (
        0,
        1,
    )
    live = {s["sourcedId"]: s["dateLastModified"] for s in await list_all(client, f"{SYNC}/students", roster)}
    assert live == {"s-1": "2026-10-02T00:00:00Z", "s-2": "2026-10-02T00:00:00Z"}
    assert await list_all(client, f"{SYNC}/students/deletes", roster) == []
    # A deletion dated after the stored record applies.
    newer = {**old, "dateLastModified": "2026-10-03T00:00:00Z"}
    assert (await put_ok(client, "students", [newer], roster))["deleted"] == 1
