"""Access tokens die with their grant on the next request, and accounts cannot be taken over.

Each test is an attack from issue 14 that worked before: a deactivated user's, a demoted coach's or a
revoked client's token kept working for up to 15 minutes; `POST /auth/revoke` did nothing to an access
token; an admin reset their own password without the current one; guessing the current password on a
password change was not throttled; anyone could lock anyone out.

Every test signs in afresh (the shared `Tokens` cache must keep standing for what it stood for).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from app.auth.grants import end_grant
from app.core.config import Settings
from app.identity.models import Role
from app.main import create_app
from tests.conftest import ANY_VERSION, TEST_PASSWORD, Tokens, World

API = "/api/v1"
TOKEN = f"{API}/auth/token"
REVOKE = f"{API}/auth/revoke"
ME = f"{API}/me"
NEW_PASSWORD = "a brand new passphrase, long enough"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def sign_in(client: httpx.AsyncClient, email: str, password: str = TEST_PASSWORD) -> dict[str, Any]:
    response = await client.post(
        TOKEN, data={"grant_type": "password", "username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(TOKEN, data={"grant_type": "password", "username": email, "password": password})


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["type"] == "/problems/unauthenticated"


def http_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


# --- tokens die with their grant -----------------------------------------------------------------------


async def test_a_deactivated_users_token_is_refused_on_the_next_request(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    user_id, email = world.user("A", Role.TEACHER)
    token = (await sign_in(client, email))["access_token"]
    assert (await client.get(ME, headers=bearer(token))).status_code == 200

    response = await client.patch(
        f"{API}/users/{user_id}",
        json={"is_active": False},
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN) | ANY_VERSION,
    )
    assert response.status_code == 200, response.text

    assert_unauthenticated(await client.get(ME, headers=bearer(token)))
    graphql = await client.post("/graphql", json={"query": "{ me { kind } }"}, headers=bearer(token))
    assert graphql.json()["data"] is None
    assert graphql.json()["errors"][0]["extensions"]["code"] == "unauthenticated"


async def test_a_removed_role_ends_the_token_that_carried_it(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    coach_id, email = world.user("A", Role.COACH)
    signed_in = await sign_in(client, email)
    token = signed_in["access_token"]
    people = f"{API}/people"
    before = await client.get(ME, headers=bearer(token))
    assert [r["role"] for r in before.json()["roles"]] == ["coach"]

    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    assignments = await client.get(
        f"{API}/role-assignments", params={"user_id": str(coach_id)}, headers=admin
    )
    (assignment,) = assignments.json()["items"]
    assert (
        await client.delete(f"{API}/role-assignments/{assignment['id']}", headers=admin)
    ).status_code == 204

    assert_unauthenticated(await client.get(ME, headers=bearer(token)))
    assert_unauthenticated(await client.get(people, headers=bearer(token)))
    # The session goes on without the role: a refresh gives a token that no longer carries it.
    refreshed = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": signed_in["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    me = await client.get(ME, headers=bearer(refreshed.json()["access_token"]))
    assert me.status_code == 200
    assert me.json()["roles"] == []


async def test_a_revoked_clients_token_is_refused_on_the_next_request(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    client_id, secret = world.clients["A"]["read"]
    issued = await client.post(TOKEN, data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    token = issued.json()["access_token"]
    assert (await client.get(f"{API}/districts", headers=bearer(token))).status_code == 200

    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    listed = (await client.get(f"{API}/api-clients", params={"limit": 200}, headers=admin)).json()["items"]
    (record,) = [c for c in listed if c["client_id"] == client_id]
    assert (await client.post(f"{API}/api-clients/{record['id']}/revoke", headers=admin)).status_code == 200

    assert_unauthenticated(await client.get(f"{API}/districts", headers=bearer(token)))


async def test_revoking_an_access_token_ends_it(client: httpx.AsyncClient, world: World) -> None:
    _, email = world.user("A", Role.VIEWER)
    signed_in = await sign_in(client, email)
    token = signed_in["access_token"]
    assert (await client.get(ME, headers=bearer(token))).status_code == 200

    assert (await client.post(REVOKE, data={"token": token})).status_code == 200

    assert_unauthenticated(await client.get(ME, headers=bearer(token)))
    # A new sign-in works at once.
    assert (
        await client.get(ME, headers=bearer((await sign_in(client, email))["access_token"]))
    ).status_code == 200


@pytest.fixture
async def other_worker(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the same database: another worker or replica, with its own caches."""
    application = create_app(settings)
    async with application.router.lifespan_context(application), http_from(application, "127.0.0.1") as http:
        yield http


async def test_another_worker_learns_of_an_ended_grant_from_postgresql(
    client: httpx.AsyncClient, other_worker: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """The other worker has the token's grant version in its cache; the notification, not the cache's
    30-second bound, ends the token there."""
    user_id, email = world.user("A", Role.TEACHER)
    token = (await sign_in(client, email))["access_token"]
    assert (await other_worker.get(ME, headers=bearer(token))).status_code == 200

    response = await client.patch(
        f"{API}/users/{user_id}",
        json={"is_active": False},
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN) | ANY_VERSION,
    )
    assert response.status_code == 200, response.text

    for _ in range(100):  # delivery takes milliseconds; give it up to two seconds on a loaded machine
        status = (await other_worker.get(ME, headers=bearer(token))).status_code
        if status == 401:
            break
        await asyncio.sleep(0.02)
    assert status == 401


async def test_a_grant_ended_in_a_rolled_back_transaction_still_holds(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """A refused write ends nothing: deactivating oneself is refused, and the admin's token works on."""
    admin_id, email = world.user("A", Role.DISTRICT_ADMIN)
    token = (await sign_in(client, email))["access_token"]
    refused = await client.patch(
        f"{API}/users/{admin_id}", json={"is_active": False}, headers=bearer(token) | ANY_VERSION
    )
    assert refused.status_code == 422, refused.text
    assert (await client.get(ME, headers=bearer(token))).status_code == 200


class _Watched:
    """The grant cache's own connection, watched: counts its lookups, and can hold a lookup's answer
    back while something else runs, as the network does to a statement whose snapshot predates a
    commit that PostgreSQL then notifies of before the answer arrives."""

    def __init__(self, connection: Any) -> None:
        self.connection, self.lookups = connection, 0
        self.meanwhile: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)

    async def fetchval(self, *args: Any) -> Any:
        self.lookups += 1
        found = await self.connection.fetchval(*args)
        if self.meanwhile is not None:
            await self.meanwhile()
        return found


async def test_a_grant_ended_while_its_version_is_read_is_not_kept_stale(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    """The notification arrives while the cache's lookup of the old version is on the wire: the old
    version must not be kept for the cache's 30 seconds after it."""
    user_id, email = world.user("A", Role.TEACHER)
    token = (await sign_in(client, email))["access_token"]
    versions = app.state.grant_versions
    versions.forget([user_id])
    watched = _Watched(versions._connection)
    versions._connection = watched

    async def end_it() -> None:
        # The commit tells this process's caches at once (as the notification tells other workers'):
        # while the lookup's answer, the version it ends, is still on its way.
        await end_grant(session, user_id)
        await session.commit()

    watched.meanwhile = end_it
    read_before = await versions.current(user_id)
    watched.meanwhile = None
    assert (await client.get(ME, headers=bearer(token))).status_code == 401
    assert await versions.current(user_id) == read_before + 1


async def test_requests_that_find_a_version_unknown_together_share_one_lookup(
    app: FastAPI, world: World
) -> None:
    """Every request in flight finds a principal's version expired at the same moment; they wait for
    one statement, not one each in a queue on the cache's one connection."""
    user_id, _ = world.user("A", Role.TEACHER)
    versions = app.state.grant_versions
    versions.forget([user_id])
    watched = _Watched(versions._connection)
    versions._connection = watched
    found = await asyncio.gather(*(versions.current(user_id) for _ in range(16)))
    assert len(set(found)) == 1
    assert watched.lookups == 1


# --- passwords ---------------------------------------------------------------------------------------


async def test_an_admin_cannot_reset_their_own_password_without_the_current_one(
    client: httpx.AsyncClient, world: World
) -> None:
    admin_id, email = world.user("A", Role.DISTRICT_ADMIN)
    stolen = (await sign_in(client, email))["access_token"]
    response = await client.put(
        f"{API}/users/{admin_id}/password", json={"new_password": NEW_PASSWORD}, headers=bearer(stolen)
    )
    assert response.status_code == 403, response.text
    assert (await attempt(client, email, NEW_PASSWORD)).status_code == 400
    assert (await attempt(client, email, TEST_PASSWORD)).status_code == 200

    graphql = await client.post(
        "/graphql",
        json={
            "query": "mutation($i: ResetUserPasswordInput!) { resetUserPassword(input: $i) { ok userErrors { code } } }",
            "variables": {"i": {"id": _global_user_id(admin_id), "newPassword": NEW_PASSWORD}},
        },
        headers=bearer(stolen),
    )
    assert graphql.json()["data"]["resetUserPassword"] == {
        "ok": False,
        "userErrors": [{"code": "forbidden"}],
    }


def _global_user_id(user_id: Any) -> str:
    return relay.to_base64("User", str(user_id))


async def test_an_admin_reset_ends_the_targets_sessions_and_is_audited(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    teacher_id, email = world.user("A", Role.TEACHER)
    signed_in = await sign_in(client, email)
    admin_id, _ = world.user("A", Role.DISTRICT_ADMIN)
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    response = await client.put(
        f"{API}/users/{teacher_id}/password", json={"new_password": NEW_PASSWORD}, headers=admin
    )
    assert response.status_code == 204, response.text

    assert_unauthenticated(await client.get(ME, headers=bearer(signed_in["access_token"])))
    refreshed = await client.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": signed_in["refresh_token"]}
    )
    assert refreshed.status_code == 400
    events = await client.get(
        f"{API}/audit-events",
        params={"entity_type": "user_account", "entity_id": str(teacher_id)},
        headers=admin,
    )
    (reset,) = [e for e in events.json()["items"] if "password_hash" in (e.get("after") or {})]
    assert reset["actor_id"] == str(admin_id)
    assert reset["after"]["password_hash"] == "[redacted]"


async def test_guessing_the_current_password_is_throttled_like_sign_in(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    _, email = world.user("A", Role.TEACHER)
    stolen = (await sign_in(client, email))["access_token"]
    for guess in range(settings.login_max_failures_per_account):
        response = await client.put(
            f"{API}/me/password",
            json={"current_password": f"guess number {guess}", "new_password": NEW_PASSWORD},
            headers=bearer(stolen),
        )
        assert response.status_code == 422, response.text
    locked = await client.put(
        f"{API}/me/password",
        json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(stolen),
    )
    assert locked.status_code == 429, locked.text
    assert int(locked.headers["retry-after"]) > 0
    # The same count stops GraphQL, and sign-in from this address.
    graphql = await client.post(
        "/graphql",
        json={
            "query": "mutation($i: ChangeMyPasswordInput!) { changeMyPassword(input: $i) { ok userErrors { code } } }",
            "variables": {"i": {"currentPassword": TEST_PASSWORD, "newPassword": NEW_PASSWORD}},
        },
        headers=bearer(stolen),
    )
    assert graphql.json()["data"]["changeMyPassword"]["userErrors"] == [{"code": "rate_limited"}]
    assert (await attempt(client, email, TEST_PASSWORD)).status_code == 429


async def test_guessing_over_graphql_is_counted_too(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    _, email = world.user("A", Role.COACH)
    stolen = (await sign_in(client, email))["access_token"]
    query = "mutation($i: ChangeMyPasswordInput!) { changeMyPassword(input: $i) { ok userErrors { code } } }"
    codes = []
    for guess in range(settings.login_max_failures_per_account + 1):
        response = await client.post(
            "/graphql",
            json={
                "query": query,
                "variables": {"i": {"currentPassword": f"guess {guess}", "newPassword": NEW_PASSWORD}},
            },
            headers=bearer(stolen),
        )
        codes.append(response.json()["data"]["changeMyPassword"]["userErrors"][0]["code"])
    assert codes == ["wrong_password"] * settings.login_max_failures_per_account + ["rate_limited"]


# --- lockout -----------------------------------------------------------------------------------------


async def test_guessers_elsewhere_never_lock_the_owner_out_of_a_known_address(
    app: FastAPI, world: World, settings: Settings
) -> None:
    _, email = world.user("A", Role.TEACHER)
    per_pair = settings.login_max_failures_per_account
    attackers = -(-settings.login_max_failures_per_account_from_new_addresses // per_pair)
    async with http_from(app, "192.0.2.10") as owner, http_from(app, "198.51.100.99") as newcomer:
        await sign_in(owner, email)  # the owner's usual address is now known
        for n in range(attackers):
            async with http_from(app, f"203.0.113.{n + 1}") as attacker:
                for _ in range(per_pair):
                    assert (await attempt(attacker, email, "guess")).status_code == 400
                # Each guesser is stopped after its own few attempts.
                assert (await attempt(attacker, email, TEST_PASSWORD)).status_code == 429

        # The account is closed to addresses it never signed in from...
        assert (await attempt(newcomer, email, TEST_PASSWORD)).status_code == 429
        # ...but its owner, at home, signs in.
        assert (await attempt(owner, email, TEST_PASSWORD)).status_code == 200


async def test_each_lock_in_a_row_lasts_twice_as_long(
    app: FastAPI, world: World, settings: Settings, session: AsyncSession
) -> None:
    _, email = world.user("A", Role.VIEWER)
    async with http_from(app, "198.51.100.20") as guesser:
        retry_afters = []
        for _ in range(3):
            for _ in range(settings.login_max_failures_per_account):
                assert (await attempt(guesser, email, "guess")).status_code == 400
            locked = await attempt(guesser, email, TEST_PASSWORD)
            assert locked.status_code == 429
            retry_afters.append(int(locked.headers["retry-after"]))
            # Let the lock run out (as if its time had passed).
            await session.execute(
                text("UPDATE login_throttle SET locked_until = now() - interval '1 second'")
            )
            await session.commit()
    base = settings.login_lockout_seconds
    assert [round(r / base) for r in retry_afters] == [1, 2, 4]


# --- no cross-district enumeration -------------------------------------------------------------------


async def test_creating_an_account_says_nothing_about_other_districts(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    _, taken_elsewhere = world.user("B", Role.VIEWER)
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    created = await client.post(
        f"{API}/users",
        json={"email": taken_elsewhere.upper(), "password": NEW_PASSWORD, "display_name": "Same address"},
        headers=admin,
    )
    assert created.status_code == 201, created.text

    # Each password opens its own district's account.
    theirs = await sign_in(client, taken_elsewhere)
    ours = await sign_in(client, taken_elsewhere, NEW_PASSWORD)
    assert (await client.get(ME, headers=bearer(theirs["access_token"]))).json()["district_id"] == str(
        world.district_id("B")
    )
    assert (await client.get(ME, headers=bearer(ours["access_token"]))).json()["district_id"] == str(
        world.district_id("A")
    )
    # Within the district an email is still one account.
    again = await client.post(
        f"{API}/users",
        json={"email": taken_elsewhere, "password": NEW_PASSWORD, "display_name": "Twice"},
        headers=admin,
    )
    assert again.status_code == 409, again.text
