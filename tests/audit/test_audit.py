"""The audit trail: every write leaves an event in its own transaction, secrets never do, and only the
district's admins read it. Plus: secrets and tokens never reach the logs."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import _snapshot
from app.identity.models import ApiClient, Role, User
from app.monitoring.models import Measurement
from tests.conftest import ANY_VERSION, TEST_PASSWORD, Tokens, World
from tests.monitoring.helpers import initiative_measure

API = "/api/v1"
TOKEN = f"{API}/auth/token"
EVENTS = f"{API}/audit-events"
NEW_PASSWORD = "a brand new long passphrase"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{code}"
    return body


async def all_events(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None, **filters: Any
) -> list[dict[str, Any]]:
    """Every audit event the caller may see, oldest first, following `next_cursor`."""
    events: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"limit": 200, **filters, **({"cursor": cursor} if cursor else {})}
        response = await client.get(EVENTS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        events += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return events


def of_request(events: list[dict[str, Any]], response: httpx.Response) -> list[dict[str, Any]]:
    request_id = response.headers["x-request-id"]
    return [e for e in events if e["request_id"] == request_id]


async def school_of(client: httpx.AsyncClient, world: World, key: str = "A") -> dict[str, Any]:
    response = await client.get(f"{API}/schools/{world.school_ids(key)[1]}")
    assert response.status_code == 200, response.text
    return response.json()


# --- every write, in its own transaction ------------------------------------------------------------


async def test_a_school_update_leaves_an_event_with_who_what_before_after_and_request_id(
    admin: httpx.AsyncClient, world: World
) -> None:
    admin_id, admin_email = world.user("A", Role.DISTRICT_ADMIN)
    school = await school_of(admin, world)
    response = await admin.patch(
        f"{API}/schools/{school['id']}", json={"name": "A High (renamed)"}, headers=ANY_VERSION
    )
    assert response.status_code == 200, response.text

    events = await all_events(admin, entity_type="school", entity_id=school["id"])
    assert [e["action"] for e in events] == ["school.create", "school.update"]
    created, updated = events
    assert created["actor_kind"] == "system"
    assert updated["actor_kind"] == "user"
    assert updated["actor_id"] == str(admin_id)
    assert updated["actor_label"] == admin_email
    assert updated["entity_type"] == "school"
    assert updated["entity_id"] == school["id"]
    assert updated["district_id"] == str(world.district_id("A"))
    assert updated["before"] == {"name": "A High"}
    assert updated["after"] == {"name": "A High (renamed)"}
    assert updated["request_id"] == response.headers["x-request-id"]
    assert updated["occurred_at"] >= school["updated_at"]


async def test_a_callers_request_id_is_the_one_recorded(admin: httpx.AsyncClient, world: World) -> None:
    school = await school_of(admin, world)
    response = await admin.patch(
        f"{API}/schools/{school['id']}",
        json={"name": "Traced"},
        headers={"X-Request-ID": "sync-run-42"} | ANY_VERSION,
    )
    assert response.headers["x-request-id"] == "sync-run-42"
    (event,) = of_request(await all_events(admin), response)
    assert event["action"] == "school.update"


async def test_refused_writes_leave_no_event(admin: httpx.AsyncClient, tokens: Tokens, world: World) -> None:
    school = await school_of(admin, world)
    before = await all_events(admin)

    duplicate_name = await admin.patch(
        f"{API}/schools/{school['id']}", json={"name": "a elementary"}, headers=ANY_VERSION
    )
    assert_problem(duplicate_name, 409, "conflict")
    duplicate_school = await admin.post(
        f"{API}/districts/{world.district_id('A')}/schools", json={"name": "A HIGH"}
    )
    assert_problem(duplicate_school, 409, "conflict")
    stale = await admin.patch(
        f"{API}/schools/{school['id']}", json={"name": "X"}, headers={"If-Match": '"9"'}
    )
    assert_problem(stale, 412, "stale_version")
    invalid = await admin.post(f"{API}/people", json={"display_name": "", "kind": "staff"})
    assert_problem(invalid, 422, "validation_failed")
    # The person and the account are flushed (with their events) before the role is found wanting:
    # the whole transaction, events included, rolls back.
    half_written = await admin.post(
        f"{API}/users",
        json={
            "email": "half@a.example.org",
            "password": NEW_PASSWORD,
            "display_name": "Half Written",
            "roles": [{"role": "teacher"}],
        },
    )
    assert_problem(half_written, 422, "validation_failed")
    forbidden = await admin.post(
        f"{API}/people",
        json={"display_name": "Nope", "kind": "staff"},
        headers=await tokens.headers("A", Role.TEACHER),
    )
    assert_problem(forbidden, 403, "forbidden")

    assert await all_events(admin) == before
    assert (await school_of(admin, world))["name"] == "A High"


async def test_creating_a_user_records_person_account_and_role_without_secrets(
    admin: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    password = "correct llama ocean staple 9"
    response = await admin.post(
        f"{API}/users",
        json={
            "email": "robin@a.example.org",
            "password": password,
            "display_name": "Robin Diaz",
            "roles": [{"role": "teacher", "school_id": str(world.school_ids("A")[1])}],
        },
    )
    assert response.status_code == 201, response.text
    user = response.json()
    api_client = await admin.post(f"{API}/api-clients", json={"name": "Gradebook", "scopes": ["read"]})
    assert api_client.status_code == 201, api_client.text
    reset = await admin.put(f"{API}/users/{user['id']}/password", json={"new_password": NEW_PASSWORD})
    assert reset.status_code == 204, reset.text

    events = await all_events(admin)
    created = of_request(events, response)
    assert sorted(e["action"] for e in created) == [
        "person.create",
        "role_assignment.create",
        "user_account.create",
    ]
    by_action = {e["action"]: e for e in created}
    assert by_action["user_account.create"]["entity_id"] == user["id"]
    assert by_action["user_account.create"]["after"]["email"] == "robin@a.example.org"
    assert by_action["person.create"]["entity_id"] == user["person_id"]
    assert by_action["person.create"]["after"]["display_name"] == "Robin Diaz"
    assert by_action["role_assignment.create"]["entity_id"] == user["roles"][0]["id"]
    assert by_action["role_assignment.create"]["after"]["role"] == "teacher"
    assert all(e["before"] is None for e in created)

    (password_change,) = of_request(events, reset)
    assert password_change["action"] == "user_account.update"
    assert password_change["entity_id"] == user["id"]
    assert password_change["before"]["password_hash"] == "[redacted]"
    assert password_change["after"]["password_hash"] == "[redacted]"

    (client_created,) = of_request(events, api_client)
    assert client_created["action"] == "api_client.create"
    assert client_created["after"]["client_id"] == api_client.json()["client_id"]

    hashes = [
        *(await session.scalars(select(User.password_hash))).all(),
        *(await session.scalars(select(ApiClient.secret_hash))).all(),
    ]
    assert any(h.startswith("$argon2") for h in hashes)
    trail = json.dumps(events)
    for secret in (
        password,
        NEW_PASSWORD,
        TEST_PASSWORD,
        api_client.json()["client_secret"],
        "$argon2",
        *hashes,
    ):
        assert secret not in trail
    for event in events:
        for image in (event["before"] or {}, event["after"] or {}):
            assert {image.get(key) for key in image if "hash" in key or "secret" in key} <= {"[redacted]"}


async def test_writes_by_an_api_client_are_attributed_to_it(
    admin: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    roster_client_id, _ = world.clients["A"]["roster"]
    clients = (await admin.get(f"{API}/api-clients", params={"limit": 200})).json()["items"]
    roster = next(c for c in clients if c["client_id"] == roster_client_id)

    response = await admin.post(
        f"{API}/people",
        json={"display_name": "Synced Parent", "kind": "family", "sourced_id": "sis-77"},
        headers=await tokens.client_headers("A", "roster"),
    )
    assert response.status_code == 201, response.text

    (event,) = await all_events(admin, entity_id=response.json()["id"])
    assert event["action"] == "person.create"
    assert event["actor_kind"] == "client"
    assert event["actor_id"] == roster["id"]
    assert event["actor_label"] == roster["name"] == "A roster sync"
    assert event["after"]["sourced_id"] == "sis-77"
    assert event["request_id"] == response.headers["x-request-id"]


async def test_deletes_record_the_row_and_no_op_writes_record_nothing(
    admin: httpx.AsyncClient, world: World
) -> None:
    viewer_id, _ = world.user("A", Role.VIEWER)
    granted = await admin.post(f"{API}/role-assignments", json={"user_id": str(viewer_id), "role": "coach"})
    assert granted.status_code == 201, granted.text
    grant = granted.json()
    revoked = await admin.delete(f"{API}/role-assignments/{grant['id']}")
    assert revoked.status_code == 204

    events = await all_events(admin, entity_type="role_assignment", entity_id=grant["id"])
    assert [e["action"] for e in events] == ["role_assignment.create", "role_assignment.delete"]
    deleted = events[1]
    assert deleted["after"] is None
    assert deleted["before"]["role"] == "coach"
    assert deleted["before"]["user_id"] == str(viewer_id)
    assert deleted["request_id"] == revoked.headers["x-request-id"]

    created = await admin.post(f"{API}/api-clients", json={"name": "Short-lived", "scopes": ["read"]})
    client_id = created.json()["id"]
    assert (await admin.post(f"{API}/api-clients/{client_id}/revoke")).status_code == 200
    assert (await admin.post(f"{API}/api-clients/{client_id}/revoke")).status_code == 200
    school = await school_of(admin, world)
    unchanged = await admin.patch(
        f"{API}/schools/{school['id']}", json={"name": school["name"]}, headers=ANY_VERSION
    )
    assert unchanged.status_code == 200

    client_events = await all_events(admin, entity_id=client_id)
    assert [e["action"] for e in client_events] == ["api_client.create", "api_client.update"]
    assert set(client_events[1]["after"]) == {"revoked_at"}
    assert client_events[1]["before"] == {"revoked_at": None}
    assert of_request(await all_events(admin), unchanged) == []


# --- reading the trail ------------------------------------------------------------------------------


async def test_events_filter_by_entity_type_and_actor(admin: httpx.AsyncClient, world: World) -> None:
    admin_id, _ = world.user("A", Role.DISTRICT_ADMIN)
    person = await admin.post(f"{API}/people", json={"display_name": "P", "kind": "partner"})
    assert person.status_code == 201

    schools = await all_events(admin, entity_type="school")
    assert len(schools) == 2
    assert {e["entity_type"] for e in schools} == {"school"}
    assert {e["entity_id"] for e in schools} == set(map(str, world.school_ids("A")))

    by_admin = await all_events(admin, actor_id=str(admin_id))
    assert [(e["action"], e["entity_id"]) for e in by_admin] == [("person.create", person.json()["id"])]
    assert all(e["actor_id"] == str(admin_id) for e in by_admin)

    people = await all_events(admin, entity_type="person")
    assert len(people) == 8
    assert await all_events(admin, entity_type="nothing") == []


async def test_events_filter_by_time_with_zones_only(admin: httpx.AsyncClient) -> None:
    first = await admin.post(f"{API}/people", json={"display_name": "First", "kind": "partner"})
    second = await admin.post(f"{API}/people", json={"display_name": "Second", "kind": "partner"})
    events = await all_events(admin, entity_type="person")
    (first_event,) = of_request(events, first)
    (second_event,) = of_request(events, second)
    assert first_event["occurred_at"] < second_event["occurred_at"]
    assert first_event["occurred_at"].endswith("Z") or first_event["occurred_at"].endswith("+00:00")
    at = second_event["occurred_at"]

    since = await all_events(admin, entity_type="person", occurred_from=at)
    assert [e["id"] for e in since] == [second_event["id"]]
    until = await all_events(admin, entity_type="person", occurred_until=at)
    assert first_event["id"] in [e["id"] for e in until]
    assert second_event["id"] not in [e["id"] for e in until]
    window = await all_events(
        admin, occurred_from=first_event["occurred_at"], occurred_until=second_event["occurred_at"]
    )
    assert [e["id"] for e in window] == [first_event["id"]]

    naive = datetime.fromisoformat(at.replace("Z", "+00:00")).replace(tzinfo=None).isoformat()
    for parameter in ("occurred_from", "occurred_until"):
        response = await admin.get(EVENTS, params={parameter: naive})
        problem = assert_problem(response, 422, "validation_failed")
        assert [(e["path"], e["code"]) for e in problem["errors"]] == [
            (["query", parameter], "naive_datetime")
        ]
    assert_problem(await admin.get(EVENTS, params={"occurred_from": "yesterday"}), 422, "validation_failed")


async def test_events_page_with_cursors(admin: httpx.AsyncClient) -> None:
    everything = await all_events(admin)
    assert len(everything) > 10

    seen: list[str] = []
    url: str | None = f"{EVENTS}?limit=7"
    while url:
        response = await admin.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 7
        seen += [e["id"] for e in body["items"]]
        url = f"{EVENTS}?limit=7&cursor={body['next_cursor']}" if body["next_cursor"] else None
    assert seen == [e["id"] for e in everything]
    assert len(set(seen)) == len(seen)
    assert_problem(await admin.get(EVENTS, params={"cursor": "not-a-cursor"}), 422, "validation_failed")


@pytest.mark.parametrize("principal", ["coach", "district_leader", "teacher", "client:read", "client:roster"])
async def test_only_district_admins_read_the_trail(
    client: httpx.AsyncClient, tokens: Tokens, principal: str
) -> None:
    if principal.startswith("client:"):
        headers = await tokens.client_headers("A", principal.removeprefix("client:"))
    else:
        headers = await tokens.headers("A", Role(principal))
    problem = assert_problem(await client.get(EVENTS, headers=headers), 403, "forbidden")
    assert problem["detail"] == "Only district admins read the audit trail."
    assert (await client.get(EVENTS)).status_code == 401


async def test_an_admin_never_sees_another_districts_events(
    admin: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    b_admin = await tokens.headers("B", Role.DISTRICT_ADMIN)
    b_school_id = world.school_ids("B")[1]
    response = await admin.patch(
        f"{API}/schools/{b_school_id}", json={"name": "B High 2"}, headers=b_admin | ANY_VERSION
    )
    assert response.status_code == 200, response.text

    b_events = await all_events(admin, b_admin, entity_id=str(b_school_id))
    assert [e["action"] for e in b_events] == ["school.create", "school.update"]

    assert await all_events(admin, entity_id=str(b_school_id)) == []
    a_events = await all_events(admin)
    assert {e["district_id"] for e in a_events} == {str(world.district_id("A"))}
    b_ids = {e["id"] for e in await all_events(admin, b_admin)}
    assert b_ids.isdisjoint({e["id"] for e in a_events})


# --- logs -------------------------------------------------------------------------------------------


async def test_secrets_and_tokens_never_reach_the_logs(
    client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    _, admin_email = world.user("A", Role.DISTRICT_ADMIN)
    user_password = "orchid lantern harbor 1987"

    signed_in = await client.post(
        TOKEN, data={"grant_type": "password", "username": admin_email, "password": TEST_PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    admin_tokens = signed_in.json()
    headers = {"Authorization": f"Bearer {admin_tokens['access_token']}"}

    created_client = await client.post(
        f"{API}/api-clients", json={"name": "Logged", "scopes": ["read"]}, headers=headers
    )
    assert created_client.status_code == 201, created_client.text
    api_client = created_client.json()
    client_token = await client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(api_client["client_id"], api_client["client_secret"]),
    )
    assert client_token.status_code == 200, client_token.text

    created_user = await client.post(
        f"{API}/users",
        json={
            "email": "logged@a.example.org",
            "password": user_password,
            "display_name": "Logged User",
            "roles": [{"role": "viewer"}],
        },
        headers=headers,
    )
    assert created_user.status_code == 201, created_user.text
    user_tokens = (
        await client.post(
            TOKEN,
            data={"grant_type": "password", "username": "logged@a.example.org", "password": user_password},
        )
    ).json()
    refreshed = (
        await client.post(
            TOKEN, data={"grant_type": "refresh_token", "refresh_token": user_tokens["refresh_token"]}
        )
    ).json()
    # Failures log too: a wrong password, a wrong secret, a tampered bearer token.
    await client.post(
        TOKEN, data={"grant_type": "password", "username": admin_email, "password": user_password}
    )
    await client.post(
        TOKEN, data={"grant_type": "client_credentials"}, auth=(api_client["client_id"], user_password)
    )
    tampered = admin_tokens["access_token"][:-4] + "AAAA"
    assert (await client.get(f"{API}/me", headers={"Authorization": f"Bearer {tampered}"})).status_code == 401

    secrets = {
        "admin password": TEST_PASSWORD,
        "user password": user_password,
        "client secret": api_client["client_secret"],
        "admin access token": admin_tokens["access_token"],
        "admin refresh token": admin_tokens["refresh_token"],
        "client access token": client_token.json()["access_token"],
        "user access token": user_tokens["access_token"],
        "user refresh token": user_tokens["refresh_token"],
        "refreshed access token": refreshed["access_token"],
        "refreshed refresh token": refreshed["refresh_token"],
        "tampered token": tampered,
    }
    records = caplog.records
    assert any(r.name == "triangle.access" for r in records), "the access log was not captured"
    assert any(r.name.startswith("sqlalchemy.engine") for r in records), "SQL logging was not captured"
    for record in records:
        texts = [record.getMessage(), *(repr(value) for value in record.__dict__.values())]
        for what, secret in secrets.items():
            assert not any(secret in text for text in texts), f"{what} logged by {record.name}: {record.msg}"


async def test_bulk_measurements_leave_one_event_each_as_the_flush_would_write_it(
    admin: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    """Bulk measurements are inserted with one statement and audited with one more
    (`record_inserted`); each event must read as the flush hook would have written it."""
    indicator = await initiative_measure(admin, {})
    rows = [
        {"indicator_id": indicator, "value": v, "measured_on": f"2026-0{m}-01", "n": 30, "key": f"k-{m}"}
        for m, v in ((1, "41.5"), (2, "43"), (3, "44.25"))
    ]
    monitoring = await tokens.client_headers("A", "monitoring")
    response = await admin.post(f"{API}/measurements/bulk", json={"measurements": rows}, headers=monitoring)
    assert response.status_code == 200, response.text
    ids = [item["id"] for item in response.json()["items"]]

    events = of_request(await all_events(admin, entity_type="measurement"), response)
    assert sorted(e["entity_id"] for e in events) == sorted(ids)
    stored = {
        str(m.id): m
        for m in (await session.execute(select(Measurement).where(Measurement.id.in_(ids)))).scalars()
    }
    for event in events:
        assert event["action"] == "measurement.create"
        assert event["actor_kind"] == "client"
        assert event["before"] is None
        assert event["after"] == _snapshot(stored[event["entity_id"]])
    assert {e["after"]["value"] for e in events} == {"41.5000", "43.0000", "44.2500"}

    # The same batch again changes nothing and records nothing; a changed value is an update event.
    again = await admin.post(f"{API}/measurements/bulk", json={"measurements": rows}, headers=monitoring)
    assert again.json()["unchanged"] == 3
    rows[0]["value"] = "42"
    changed = await admin.post(f"{API}/measurements/bulk", json={"measurements": rows}, headers=monitoring)
    assert changed.json()["updated"] == 1
    events = await all_events(admin, entity_type="measurement")
    assert of_request(events, again) == []
    (update,) = of_request(events, changed)
    assert (update["action"], update["before"], update["after"]) == (
        "measurement.update",
        {"value": "41.5000"},
        {"value": "42.0000"},
    )
