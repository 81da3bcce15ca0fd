"""REST for people, accounts, roles and API clients: what district admins manage, over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.auth.permissions import DENIAL_REASONS, Action
from app.identity.models import Role
from tests.conftest import ANY_VERSION, TEST_PASSWORD, Tokens, World

API = "/api/v1"
TOKEN = f"{API}/auth/token"
PEOPLE = f"{API}/people"
USERS = f"{API}/users"
ROLES = f"{API}/role-assignments"
CLIENTS = f"{API}/api-clients"
NEW_PASSWORD = "a brand new long passphrase"

NON_ADMIN_ROLES = [r for r in Role if r is not Role.DISTRICT_ADMIN]


# --- helpers ----------------------------------------------------------------------------------------


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{code}"
    assert body["status"] == status
    return body


def error_paths(problem: dict[str, Any]) -> list[list[str | int]]:
    return [e["path"] for e in problem["errors"]]


def error_codes(problem: dict[str, Any]) -> dict[tuple[str | int, ...], str]:
    return {tuple(e["path"]): e["code"] for e in problem["errors"]}


async def list_all(
    client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None, **params: Any
) -> list[dict[str, Any]]:
    """Every item of a list, following `next_cursor`."""
    items: list[dict[str, Any]] = []
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


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(TOKEN, data={"grant_type": "password", "username": email, "password": password})


async def bearer(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await sign_in(client, email, password)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def me(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"{API}/me", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def create_person(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"display_name": "Jordan Lee", "kind": "family", **fields}
    response = await client.post(PEOPLE, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def create_user(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"email": "new.teacher@a.example.org", "password": NEW_PASSWORD, **fields}
    response = await client.post(USERS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def create_api_client(client: httpx.AsyncClient, name: str, scopes: list[str]) -> dict[str, Any]:
    response = await client.post(CLIENTS, json={"name": name, "scopes": scopes})
    assert response.status_code == 201, response.text
    return response.json()


async def client_token(client: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )


async def counts(client: httpx.AsyncClient) -> tuple[int, int, int]:
    """How many people, accounts and role assignments district A has (as seen by its admin)."""
    return (
        len(await list_all(client, PEOPLE)),
        len(await list_all(client, USERS)),
        len(await list_all(client, ROLES)),
    )


# --- people -----------------------------------------------------------------------------------------


async def test_admin_creates_gets_and_lists_people(admin: httpx.AsyncClient, world: World) -> None:
    person = await create_person(
        admin, display_name="  Jordan Lee ", kind="family", email="jordan@example.com", sourced_id="p-1"
    )
    assert person["display_name"] == "Jordan Lee"
    assert person["kind"] == "family"
    assert person["email"] == "jordan@example.com"
    assert person["sourced_id"] == "p-1"
    assert person["district_id"] == str(world.district_id("A"))
    assert person["version"] == 1

    fetched = await admin.get(f"{PEOPLE}/{person['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == person
    assert fetched.headers["etag"] == '"1"'

    listed = await list_all(admin, PEOPLE)
    # Seven seeded accounts' people, then the new one (oldest first).
    assert len(listed) == 8
    assert listed[-1] == person


async def test_people_lists_page_with_cursors(admin: httpx.AsyncClient) -> None:
    for index in range(3):
        await create_person(admin, display_name=f"Parent {index}")
    everyone = await list_all(admin, PEOPLE)
    assert len(everyone) == 10

    seen: list[str] = []
    url: str | None = f"{PEOPLE}?limit=4"
    pages = 0
    while url:
        response = await admin.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 4
        seen += [p["id"] for p in body["items"]]
        pages += 1
        if body["next_cursor"]:
            link = response.headers["link"]
            assert link.endswith('>; rel="next"')
            url = link[1 : link.index(">")]
        else:
            assert "link" not in response.headers
            url = None
    assert pages == 3
    assert seen == [p["id"] for p in everyone]


async def test_patching_a_person_with_if_match_and_a_stale_version_writes_nothing(
    admin: httpx.AsyncClient,
) -> None:
    person = await create_person(admin)
    url = f"{PEOPLE}/{person['id']}"

    first = await admin.patch(url, json={"display_name": "Jordan Lee-Park"}, headers={"If-Match": '"1"'})
    assert first.status_code == 200, first.text
    updated = first.json()
    assert updated["display_name"] == "Jordan Lee-Park"
    assert updated["kind"] == "family"
    assert updated["version"] == 2
    assert first.headers["etag"] == '"2"'

    stale = await admin.patch(url, json={"kind": "partner"}, headers={"If-Match": '"1"'})
    problem = assert_problem(stale, 412, "stale_version")
    assert problem["current_version"] == 2
    assert (await admin.get(url)).json() == updated


@pytest.mark.parametrize("role", [Role.COACH, Role.DISTRICT_LEADER])
async def test_coaches_and_district_leaders_may_read_people(
    client: httpx.AsyncClient, tokens: Tokens, world: World, role: Role
) -> None:
    headers = await tokens.headers("A", role)
    listed = await list_all(client, PEOPLE, headers)
    assert len(listed) == 7
    one = await client.get(f"{PEOPLE}/{listed[0]['id']}", headers=headers)
    assert one.status_code == 200
    assert one.json() == listed[0]


@pytest.mark.parametrize("role", [Role.TEACHER, Role.VIEWER, Role.COMMUNITY_MEMBER])
async def test_teachers_viewers_and_community_members_may_not_read_people(
    admin: httpx.AsyncClient, tokens: Tokens, role: Role
) -> None:
    person_id = (await list_all(admin, PEOPLE))[0]["id"]
    headers = await tokens.headers("A", role)
    for response in (
        await admin.get(PEOPLE, headers=headers),
        await admin.get(f"{PEOPLE}/{person_id}", headers=headers),
    ):
        problem = assert_problem(response, 403, "forbidden")
        assert problem["detail"] == DENIAL_REASONS[Action.PERSON_READ]


async def test_the_roster_client_may_create_people_but_not_list_them(
    admin: httpx.AsyncClient, tokens: Tokens
) -> None:
    roster = await tokens.client_headers("A", "roster")
    created = await admin.post(
        PEOPLE, json={"display_name": "Synced Parent", "kind": "family"}, headers=roster
    )
    assert created.status_code == 201, created.text

    problem = assert_problem(await admin.get(PEOPLE, headers=roster), 403, "forbidden")
    assert problem["detail"] == DENIAL_REASONS[Action.PERSON_READ]
    assert created.json()["id"] in [p["id"] for p in await list_all(admin, PEOPLE)]


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"display_name": "X", "kind": "staff", "nickname": "x"}, ["body", "nickname"], "extra_forbidden"),
        (
            {"display_name": "X", "kind": "staff", "district_id": str(uuid.uuid4())},
            ["body", "district_id"],
            "extra_forbidden",
        ),
        ({"display_name": "   ", "kind": "staff"}, ["body", "display_name"], "string_too_short"),
        ({"display_name": "", "kind": "staff"}, ["body", "display_name"], "string_too_short"),
        ({"display_name": "X", "kind": "alien"}, ["body", "kind"], "enum"),
        ({"display_name": "X", "kind": "staff", "email": "not-an-email"}, ["body", "email"], "value_error"),
        ({"kind": "staff"}, ["body", "display_name"], "missing"),
    ],
)
async def test_invalid_person_bodies_name_the_field_and_write_nothing(
    admin: httpx.AsyncClient, body: dict[str, Any], path: list[str], code: str
) -> None:
    before = await list_all(admin, PEOPLE)
    problem = assert_problem(await admin.post(PEOPLE, json=body), 422, "validation_failed")
    assert error_codes(problem).get(tuple(path)) == code, problem["errors"]
    assert await list_all(admin, PEOPLE) == before


async def test_invalid_person_patches_write_nothing(admin: httpx.AsyncClient) -> None:
    person = await create_person(admin)
    url = f"{PEOPLE}/{person['id']}"
    for body, path in (
        ({"display_name": " "}, ["body", "display_name"]),
        ({"kind": "alien"}, ["body", "kind"]),
        ({"email": "nope"}, ["body", "email"]),
        ({"version": 9}, ["body", "version"]),
    ):
        problem = assert_problem(
            await admin.patch(url, json=body, headers=ANY_VERSION), 422, "validation_failed"
        )
        assert path in error_paths(problem)
    assert (await admin.get(url)).json() == person


# --- accounts ---------------------------------------------------------------------------------------


async def test_admin_creates_a_user_with_a_new_person_who_can_then_sign_in(
    admin: httpx.AsyncClient, world: World
) -> None:
    school_id = str(world.school_ids("A")[1])
    people_before = len(await list_all(admin, PEOPLE))
    user = await create_user(
        admin,
        email="Robin.Diaz@a.example.org",
        display_name="Robin Diaz",
        roles=[{"role": "teacher", "school_id": school_id}],
    )
    assert user["district_id"] == str(world.district_id("A"))
    assert user["is_active"] is True
    assert [(r["role"], r["school_id"]) for r in user["roles"]] == [("teacher", school_id)]
    assert "password" not in user
    assert "password_hash" not in user

    people = await list_all(admin, PEOPLE)
    assert len(people) == people_before + 1
    person = next(p for p in people if p["id"] == user["person_id"])
    assert person["display_name"] == "Robin Diaz"
    assert person["kind"] == "staff"

    fetched = await admin.get(f"{USERS}/{user['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == user
    assert user["id"] in [u["id"] for u in await list_all(admin, USERS)]

    # Sign-in email matching is case-insensitive.
    who = await me(admin, await bearer(admin, "robin.diaz@a.example.org", NEW_PASSWORD))
    assert who["kind"] == "user"
    assert who["id"] == user["id"]
    assert who["display_name"] == "Robin Diaz"
    assert who["roles"] == [{"role": "teacher", "school_id": school_id}]


async def test_admin_creates_a_user_for_an_existing_person(admin: httpx.AsyncClient) -> None:
    person = await create_person(admin, display_name="Casey Moss", kind="partner")
    people_before = len(await list_all(admin, PEOPLE))
    user = await create_user(
        admin, email="casey@a.example.org", person_id=person["id"], roles=[{"role": "viewer"}]
    )
    assert user["person_id"] == person["id"]
    assert len(await list_all(admin, PEOPLE)) == people_before

    # One account per person.
    again = await admin.post(
        USERS, json={"email": "casey2@a.example.org", "password": NEW_PASSWORD, "person_id": person["id"]}
    )
    assert error_paths(assert_problem(again, 409, "conflict")) == [["body", "person_id"]]

    who = await me(admin, await bearer(admin, "casey@a.example.org", NEW_PASSWORD))
    assert who["display_name"] == "Casey Moss"
    assert who["roles"] == [{"role": "viewer", "school_id": None}]


def _school(key: str) -> Callable[[World], str]:
    return lambda world: str(world.school_ids(key)[0])


def _email_of(key: str, role: Role, *, upper: bool = False) -> Callable[[World], str]:
    return lambda world: world.user(key, role)[1].upper() if upper else world.user(key, role)[1]


def _resolve(value: Any, world: World) -> Any:
    if callable(value):
        return value(world)
    if isinstance(value, dict):
        return {k: _resolve(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, world) for v in value]
    return value


# (fields, status, problem code, field path, field code): account creations that must fail.
REFUSED_USERS = [
    pytest.param(
        {"display_name": "Both", "person_id": str(uuid.uuid4())},
        422,
        "validation_failed",
        ["body", "person_id"],
        "one_of",
        id="person_id_and_display_name",
    ),
    pytest.param({}, 422, "validation_failed", ["body", "person_id"], "one_of", id="neither"),
    pytest.param(
        {"display_name": "Short", "password": "elevenchars"},
        422,
        "validation_failed",
        ["body", "password"],
        "string_too_short",
        id="short_password",
    ),
    pytest.param(
        {"display_name": "Dup", "email": _email_of("A", Role.TEACHER, upper=True)},
        409,
        "conflict",
        ["body", "email"],
        "duplicate",
        id="duplicate_email_other_case",
    ),
    pytest.param(
        {"display_name": "NoSchool", "roles": [{"role": "viewer"}, {"role": "teacher"}]},
        422,
        "validation_failed",
        ["body", "roles", 1, "school_id"],
        "school_required",
        id="teacher_without_school",
    ),
    pytest.param(
        {"display_name": "AdminAtSchool", "roles": [{"role": "district_admin", "school_id": _school("A")}]},
        422,
        "validation_failed",
        ["body", "roles", 0, "school_id"],
        "district_role",
        id="district_admin_at_a_school",
    ),
    pytest.param(
        {"display_name": "OtherDistrict", "roles": [{"role": "teacher", "school_id": _school("B")}]},
        404,
        "not_found",
        ["body", "roles", 0, "school_id"],
        "not_found",
        id="school_of_another_district",
    ),
    pytest.param(
        {"display_name": "Stranger", "roles": [{"role": "teacher", "school_id": str(uuid.uuid4())}]},
        404,
        "not_found",
        ["body", "roles", 0, "school_id"],
        "not_found",
        id="unknown_school",
    ),
    pytest.param(
        {"person_id": str(uuid.uuid4())},
        404,
        "not_found",
        None,
        None,
        id="unknown_person",
    ),
    pytest.param(
        {"display_name": "Typo", "rolez": []},
        422,
        "validation_failed",
        ["body", "rolez"],
        "extra_forbidden",
        id="unknown_field",
    ),
    pytest.param(
        {"display_name": "BadRole", "roles": [{"role": "superuser"}]},
        422,
        "validation_failed",
        ["body", "roles", 0, "role"],
        "enum",
        id="unknown_role",
    ),
    pytest.param(
        {"display_name": "BadEmail", "email": "nobody"},
        422,
        "validation_failed",
        ["body", "email"],
        "value_error",
        id="bad_email",
    ),
]


@pytest.mark.parametrize(("fields", "status", "code", "path", "field_code"), REFUSED_USERS)
async def test_refused_user_creations_name_the_problem_and_write_nothing(
    admin: httpx.AsyncClient,
    world: World,
    fields: dict[str, Any],
    status: int,
    code: str,
    path: list[Any] | None,
    field_code: str | None,
) -> None:
    body = {"email": "half.written@a.example.org", "password": NEW_PASSWORD, **_resolve(fields, world)}
    before = await counts(admin)

    problem = assert_problem(await admin.post(USERS, json=body), status, code)
    if path is not None:
        assert error_codes(problem).get(tuple(path)) == field_code, problem["errors"]

    assert await counts(admin) == before
    assert (await sign_in(admin, body["email"], body["password"])).status_code == 400


async def test_admin_resets_a_users_password(admin: httpx.AsyncClient, world: World) -> None:
    teacher_id, email = world.user("A", Role.TEACHER)
    old_session = await sign_in(admin, email, TEST_PASSWORD)
    assert old_session.status_code == 200

    response = await admin.put(f"{USERS}/{teacher_id}/password", json={"new_password": NEW_PASSWORD})
    assert response.status_code == 204, response.text

    assert (await sign_in(admin, email, TEST_PASSWORD)).json()["error"] == "invalid_grant"
    assert (await sign_in(admin, email, NEW_PASSWORD)).status_code == 200
    # The account's sessions ended: its old refresh token is spent.
    refreshed = await admin.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": old_session.json()["refresh_token"]}
    )
    assert refreshed.status_code == 400

    short = await admin.put(f"{USERS}/{teacher_id}/password", json={"new_password": "too short"})
    assert error_paths(assert_problem(short, 422, "validation_failed")) == [["body", "new_password"]]
    assert (await sign_in(admin, email, NEW_PASSWORD)).status_code == 200


async def test_an_admin_cannot_deactivate_themself(admin: httpx.AsyncClient, world: World) -> None:
    admin_id, email = world.user("A", Role.DISTRICT_ADMIN)
    response = await admin.patch(f"{USERS}/{admin_id}", json={"is_active": False}, headers=ANY_VERSION)
    problem = assert_problem(response, 422, "validation_failed")
    assert error_codes(problem) == {("body", "is_active"): "self_deactivation"}
    assert (await admin.get(f"{USERS}/{admin_id}")).json()["is_active"] is True
    assert (await sign_in(admin, email, TEST_PASSWORD)).status_code == 200


async def test_admin_deactivates_another_user_who_can_no_longer_sign_in(
    admin: httpx.AsyncClient, world: World
) -> None:
    viewer_id, email = world.user("A", Role.VIEWER)
    current = await admin.get(f"{USERS}/{viewer_id}")
    version = current.headers["etag"]
    response = await admin.patch(
        f"{USERS}/{viewer_id}", json={"is_active": False}, headers={"If-Match": version}
    )
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert (await sign_in(admin, email, TEST_PASSWORD)).status_code == 400

    stale = await admin.patch(f"{USERS}/{viewer_id}", json={"is_active": True}, headers={"If-Match": version})
    assert_problem(stale, 412, "stale_version")
    assert (await admin.get(f"{USERS}/{viewer_id}")).json()["is_active"] is False


def _principals() -> list[str]:
    return [r.value for r in NON_ADMIN_ROLES] + ["client:read", "client:roster", "client:referrals"]


async def _headers_of(tokens: Tokens, principal: str) -> dict[str, str]:
    if principal.startswith("client:"):
        return await tokens.client_headers("A", principal.removeprefix("client:"))
    return await tokens.headers("A", Role(principal))


@pytest.mark.parametrize("principal", _principals())
async def test_only_district_admins_manage_users_roles_and_api_clients(
    client: httpx.AsyncClient, tokens: Tokens, world: World, principal: str
) -> None:
    admin_headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    teacher_id, teacher_email = world.user("A", Role.TEACHER)
    assignment_id = (await list_all(client, ROLES, admin_headers, user_id=str(teacher_id)))[0]["id"]
    api_client_id = (await list_all(client, CLIENTS, admin_headers))[0]["id"]
    before = await list_all(client, ROLES, admin_headers), await list_all(client, CLIENTS, admin_headers)

    headers = await _headers_of(tokens, principal)
    new_user = {"email": "sneaky@a.example.org", "password": NEW_PASSWORD, "display_name": "Sneaky"}
    calls: list[tuple[str, str, Any]] = [
        ("GET", USERS, None),
        ("POST", USERS, new_user),
        ("GET", f"{USERS}/{teacher_id}", None),
        ("PATCH", f"{USERS}/{teacher_id}", {"is_active": False}),
        ("PUT", f"{USERS}/{teacher_id}/password", {"new_password": NEW_PASSWORD}),
        ("GET", ROLES, None),
        ("POST", ROLES, {"user_id": str(teacher_id), "role": "district_admin"}),
        ("DELETE", f"{ROLES}/{assignment_id}", None),
        ("GET", CLIENTS, None),
        ("POST", CLIENTS, {"name": "Sneaky", "scopes": ["read"]}),
        ("GET", f"{CLIENTS}/{api_client_id}", None),
        ("POST", f"{CLIENTS}/{api_client_id}/revoke", None),
    ]
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=headers)
        problem = assert_problem(response, 403, "forbidden")
        assert problem["detail"], f"{method} {url} gave no reason"

    assert (
        await list_all(client, ROLES, admin_headers),
        await list_all(client, CLIENTS, admin_headers),
    ) == before
    assert (await sign_in(client, teacher_email, TEST_PASSWORD)).status_code == 200
    assert (await sign_in(client, "sneaky@a.example.org", NEW_PASSWORD)).status_code == 400


# --- roles ------------------------------------------------------------------------------------------


async def test_granting_and_revoking_roles_applies_from_the_next_token(
    admin: httpx.AsyncClient, world: World
) -> None:
    teacher_id, email = world.user("A", Role.TEACHER)
    school_id = str(world.school_ids("A")[0])
    old_token = await bearer(admin, email, TEST_PASSWORD)
    assert_problem(await admin.get(PEOPLE, headers=old_token), 403, "forbidden")

    granted = await admin.post(
        ROLES, json={"user_id": str(teacher_id), "role": "coach", "school_id": school_id}
    )
    assert granted.status_code == 201, granted.text
    grant = granted.json()
    assert grant["user_id"] == str(teacher_id)
    assert grant["role"] == "coach"
    assert grant["school_id"] == school_id
    assert grant["district_id"] == str(world.district_id("A"))

    duplicate = await admin.post(
        ROLES, json={"user_id": str(teacher_id), "role": "coach", "school_id": school_id}
    )
    assert error_paths(assert_problem(duplicate, 409, "conflict")) == [["body", "role"]]

    listed = await list_all(admin, ROLES, user_id=str(teacher_id))
    assert sorted((a["role"], a["school_id"]) for a in listed) == [
        ("coach", school_id),
        ("teacher", school_id),
    ]
    assert all(a["user_id"] == str(teacher_id) for a in listed)

    # The token already issued still carries the old roles; the next one carries the new.
    assert_problem(await admin.get(PEOPLE, headers=old_token), 403, "forbidden")
    with_coach = await bearer(admin, email, TEST_PASSWORD)
    assert (await admin.get(PEOPLE, headers=with_coach)).status_code == 200
    assert {"role": "coach", "school_id": school_id} in (await me(admin, with_coach))["roles"]

    revoked = await admin.delete(f"{ROLES}/{grant['id']}")
    assert revoked.status_code == 204
    assert revoked.content == b""
    assert [a["role"] for a in await list_all(admin, ROLES, user_id=str(teacher_id))] == ["teacher"]
    assert_problem(await admin.delete(f"{ROLES}/{grant['id']}"), 404, "not_found")

    after_revoke = await bearer(admin, email, TEST_PASSWORD)
    assert (await me(admin, after_revoke))["roles"] == [{"role": "teacher", "school_id": school_id}]
    assert_problem(await admin.get(PEOPLE, headers=after_revoke), 403, "forbidden")


async def test_a_duplicate_district_wide_grant_is_a_conflict(admin: httpx.AsyncClient, world: World) -> None:
    viewer_id, _ = world.user("A", Role.VIEWER)
    duplicate = await admin.post(ROLES, json={"user_id": str(viewer_id), "role": "viewer"})
    assert error_paths(assert_problem(duplicate, 409, "conflict")) == [["body", "role"]]
    assert len(await list_all(admin, ROLES, user_id=str(viewer_id))) == 1


async def test_role_grants_are_checked_like_account_creation(admin: httpx.AsyncClient, world: World) -> None:
    viewer_id, _ = world.user("A", Role.VIEWER)
    before = await list_all(admin, ROLES)
    no_school = await admin.post(ROLES, json={"user_id": str(viewer_id), "role": "school_leader"})
    assert error_codes(assert_problem(no_school, 422, "validation_failed")) == {
        ("body", "school_id"): "school_required"
    }
    district_role = await admin.post(
        ROLES,
        json={
            "user_id": str(viewer_id),
            "role": "district_leader",
            "school_id": str(world.school_ids("A")[0]),
        },
    )
    assert error_codes(assert_problem(district_role, 422, "validation_failed")) == {
        ("body", "school_id"): "district_role"
    }
    other_school = await admin.post(
        ROLES, json={"user_id": str(viewer_id), "role": "teacher", "school_id": str(world.school_ids("B")[0])}
    )
    assert_problem(other_school, 404, "not_found")
    assert_problem(
        await admin.post(ROLES, json={"user_id": str(uuid.uuid4()), "role": "viewer"}), 404, "not_found"
    )
    assert await list_all(admin, ROLES) == before


async def test_an_admin_cannot_revoke_their_own_admin_role(admin: httpx.AsyncClient, world: World) -> None:
    admin_id, email = world.user("A", Role.DISTRICT_ADMIN)
    (own,) = await list_all(admin, ROLES, user_id=str(admin_id))
    assert own["role"] == "district_admin"
    assert_problem(await admin.delete(f"{ROLES}/{own['id']}"), 422, "validation_failed")
    assert await list_all(admin, ROLES, user_id=str(admin_id)) == [own]
    assert (await me(admin, await bearer(admin, email, TEST_PASSWORD)))["roles"] == [
        {"role": "district_admin", "school_id": None}
    ]


# --- API clients ------------------------------------------------------------------------------------


async def test_a_new_api_client_gets_its_secret_once_and_can_call_with_it(
    admin: httpx.AsyncClient, world: World
) -> None:
    created = await create_api_client(admin, "Gradebook sync", ["read", "roster:write"])
    assert created["client_secret"]
    assert created["client_id"].startswith("tri_")
    assert created["scopes"] == ["read", "roster:write"]
    assert created["revoked_at"] is None
    assert created["district_id"] == str(world.district_id("A"))

    fetched = await admin.get(f"{CLIENTS}/{created['id']}")
    assert fetched.status_code == 200
    assert "client_secret" not in fetched.json()
    assert created["client_secret"] not in fetched.text
    listed = await list_all(admin, CLIENTS)
    assert created["id"] in [c["id"] for c in listed]
    assert all("client_secret" not in c for c in listed)

    issued = await client_token(admin, created["client_id"], created["client_secret"])
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"] == "read roster:write"
    headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    districts = await admin.get(f"{API}/districts", headers=headers)
    assert districts.status_code == 200
    assert [d["id"] for d in districts.json()["items"]] == [str(world.district_id("A"))]
    who = await me(admin, headers)
    assert who == {
        "kind": "client",
        "id": created["id"],
        "district_id": str(world.district_id("A")),
        "email": None,
        "display_name": None,
        "person_id": None,
        "roles": [],
        "scopes": ["read", "roster:write"],
    }


async def test_an_api_client_without_read_cannot_read(admin: httpx.AsyncClient) -> None:
    created = await create_api_client(admin, "Referral pusher", ["referrals:write"])
    issued = await client_token(admin, created["client_id"], created["client_secret"])
    assert issued.status_code == 200, issued.text
    headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    assert_problem(await admin.get(f"{API}/districts", headers=headers), 403, "forbidden")


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"name": "X", "scopes": ["admin"]}, ["body", "scopes", 0], "enum"),
        ({"name": "X", "scopes": ["read", "write:everything"]}, ["body", "scopes", 1], "enum"),
        ({"name": "X", "scopes": []}, ["body", "scopes"], "too_short"),
        ({"name": "X"}, ["body", "scopes"], "missing"),
        ({"name": " ", "scopes": ["read"]}, ["body", "name"], "string_too_short"),
        (
            {"name": "X", "scopes": ["read"], "client_id": "tri_mine"},
            ["body", "client_id"],
            "extra_forbidden",
        ),
    ],
)
async def test_invalid_api_client_bodies_are_refused(
    admin: httpx.AsyncClient, body: dict[str, Any], path: list[Any], code: str
) -> None:
    before = await list_all(admin, CLIENTS)
    problem = assert_problem(await admin.post(CLIENTS, json=body), 422, "validation_failed")
    assert error_codes(problem).get(tuple(path)) == code, problem["errors"]
    assert await list_all(admin, CLIENTS) == before


async def test_revoking_an_api_client_is_idempotent_and_stops_new_tokens(admin: httpx.AsyncClient) -> None:
    created = await create_api_client(admin, "Old SIS", ["read"])
    assert (await client_token(admin, created["client_id"], created["client_secret"])).status_code == 200

    first = await admin.post(f"{CLIENTS}/{created['id']}/revoke")
    assert first.status_code == 200, first.text
    revoked = first.json()
    assert revoked["revoked_at"] is not None
    assert revoked["version"] == created["version"] + 1

    second = await admin.post(f"{CLIENTS}/{created['id']}/revoke")
    assert second.status_code == 200
    assert second.json() == revoked
    assert (await admin.get(f"{CLIENTS}/{created['id']}")).json() == revoked

    refused = await client_token(admin, created["client_id"], created["client_secret"])
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"


# --- across districts -------------------------------------------------------------------------------


async def test_another_districts_people_users_roles_and_clients_are_not_found(
    admin: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    b_admin = await tokens.headers("B", Role.DISTRICT_ADMIN)
    b_people = await list_all(admin, PEOPLE, b_admin)
    b_users = await list_all(admin, USERS, b_admin)
    b_roles = await list_all(admin, ROLES, b_admin)
    b_clients = await list_all(admin, CLIENTS, b_admin)
    assert b_people
    assert b_users
    assert b_roles
    assert b_clients
    b_person, b_user, b_role, b_client = b_people[0], b_users[-1], b_roles[-1], b_clients[0]
    assert all(
        row["district_id"] == str(world.district_id("B")) for row in [b_person, b_user, b_role, b_client]
    )

    calls: list[tuple[str, str, Any]] = [
        ("GET", f"{PEOPLE}/{b_person['id']}", None),
        ("PATCH", f"{PEOPLE}/{b_person['id']}", {"display_name": "Taken Over"}),
        ("GET", f"{USERS}/{b_user['id']}", None),
        ("PATCH", f"{USERS}/{b_user['id']}", {"is_active": False}),
        ("PUT", f"{USERS}/{b_user['id']}/password", {"new_password": NEW_PASSWORD}),
        ("POST", ROLES, {"user_id": b_user["id"], "role": "viewer"}),
        ("DELETE", f"{ROLES}/{b_role['id']}", None),
        ("GET", f"{CLIENTS}/{b_client['id']}", None),
        ("POST", f"{CLIENTS}/{b_client['id']}/revoke", None),
        (
            "POST",
            USERS,
            {"email": "poach@a.example.org", "password": NEW_PASSWORD, "person_id": b_person["id"]},
        ),
    ]
    for method, url, body in calls:
        response = await admin.request(method, url, json=body)
        assert_problem(response, 404, "not_found")

    # A role that may not read people at all still learns nothing of B's rows: 404, not 403.
    teacher = await tokens.headers("A", Role.TEACHER)
    assert_problem(await admin.get(f"{PEOPLE}/{b_person['id']}", headers=teacher), 404, "not_found")

    # Nothing of B's changed.
    assert await list_all(admin, PEOPLE, b_admin) == b_people
    assert await list_all(admin, USERS, b_admin) == b_users
    assert await list_all(admin, ROLES, b_admin) == b_roles
    assert await list_all(admin, CLIENTS, b_admin) == b_clients

    # And A's lists never show B's rows.
    for url, b_rows in ((PEOPLE, b_people), (USERS, b_users), (ROLES, b_roles), (CLIENTS, b_clients)):
        a_rows = await list_all(admin, url)
        assert a_rows
        assert {r["id"] for r in a_rows}.isdisjoint({r["id"] for r in b_rows}), url
        assert {r["district_id"] for r in a_rows} == {str(world.district_id("A"))}, url
    assert await list_all(admin, ROLES, user_id=b_user["id"]) == []
