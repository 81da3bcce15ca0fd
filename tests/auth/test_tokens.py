"""The token endpoint and bearer tokens, end to end over HTTP (api.md, "Authentication and authorization").

Tokens in the shared `Tokens` cache outlive a test, so every test here that spends, revokes or changes
credentials signs in afresh through the token endpoint; only the database (a fresh clone per test) is
changed, never what the cached tokens stand for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from app.core.config import Settings
from app.core.security import KeyRing, TokenSigner
from app.identity.models import Role
from app.main import create_app
from tests.conftest import ANY_VERSION, TEST_PASSWORD, Tokens, World

TOKEN = "/api/v1/auth/token"
REVOKE = "/api/v1/auth/revoke"
ME = "/api/v1/me"
DISTRICTS = "/api/v1/districts"
NEW_PASSWORD = "a brand new passphrase, long enough"


# --- helpers ----------------------------------------------------------------------------------------


def oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """An RFC 6749 §5.2 error answer, never cached."""
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error, body
    return body


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{code}"
    assert body["status"] == status
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def sign_in(client: httpx.AsyncClient, email: str, password: str = TEST_PASSWORD) -> dict[str, Any]:
    """A fresh password grant (never cached): the whole token answer."""
    response = await client.post(
        TOKEN, data={"grant_type": "password", "username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": refresh_token})


async def client_grant(client: httpx.AsyncClient, client_id: str, secret: str, **data: str) -> httpx.Response:
    return await client.post(
        TOKEN, data={"grant_type": "client_credentials", **data}, auth=(client_id, secret)
    )


async def me(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.get(ME, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def unb64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# --- password grant ---------------------------------------------------------------------------------


async def test_password_grant_issues_tokens_that_work(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    user_id, email = world.user("A", Role.TEACHER)
    response = await client.post(
        TOKEN, data={"grant_type": "password", "username": email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl_seconds
    assert body["refresh_token"]

    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "ES256"
    assert header["typ"] == "at+jwt"

    who = await me(client, body["access_token"])
    assert who["kind"] == "user"
    assert who["id"] == str(user_id)
    assert who["email"] == email
    assert who["district_id"] == str(world.district_id("A"))
    assert [(r["role"], r["school_id"]) for r in who["roles"]] == [("teacher", str(world.school_ids("A")[0]))]


async def test_wrong_password_unknown_email_and_inactive_account_answer_alike(
    client: httpx.AsyncClient, world: World, tokens: Tokens
) -> None:
    _, teacher = world.user("A", Role.TEACHER)
    coach_id, coach = world.user("A", Role.COACH)
    deactivated = await client.patch(
        f"/api/v1/users/{coach_id}",
        json={"is_active": False},
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN) | ANY_VERSION,
    )
    assert deactivated.status_code == 200, deactivated.text

    attempts = [
        (teacher, "not the password"),
        ("nobody@a.example.org", TEST_PASSWORD),
        (coach, TEST_PASSWORD),  # the right password, but the account is not active
    ]
    answers = []
    for username, password in attempts:
        response = await client.post(
            TOKEN, data={"grant_type": "password", "username": username, "password": password}
        )
        answers.append(oauth_error(response, 400, "invalid_grant"))
    assert answers[0] == answers[1] == answers[2]
    assert set(answers[0]) == {"error", "error_description"}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"username": "x@a.example.org", "password": TEST_PASSWORD}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "abc"}, "unsupported_grant_type"),
        (
            {"grant_type": "PASSWORD", "username": "x@a.example.org", "password": "p"},
            "unsupported_grant_type",
        ),
        ({"grant_type": "password", "username": "x@a.example.org"}, "invalid_request"),
        ({"grant_type": "password", "password": TEST_PASSWORD}, "invalid_request"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
    ],
    ids=[
        "no-grant-type",
        "unknown-grant-type",
        "grant-type-is-case-sensitive",
        "no-password",
        "no-username",
        "no-refresh-token",
    ],
)
async def test_malformed_token_requests_are_refused(
    client: httpx.AsyncClient, data: dict[str, str], error: str
) -> None:
    body = oauth_error(await client.post(TOKEN, data=data), 400, error)
    assert body["error_description"]


async def test_email_is_case_insensitive(client: httpx.AsyncClient, world: World) -> None:
    user_id, email = world.user("A", Role.TEACHER)
    issued = await sign_in(client, f"  {email.upper()} ")
    who = await me(client, issued["access_token"])
    assert who["id"] == str(user_id)
    assert who["email"] == email


# --- client credentials -----------------------------------------------------------------------------


async def test_client_credentials_via_basic_and_via_form_fields(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    client_id, secret = world.clients["A"]["read"]
    via_basic = await client_grant(client, client_id, secret)
    via_form = await client.post(
        TOKEN, data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )
    for response in (via_basic, via_form):
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in", "scope"}  # no refresh_token
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == settings.access_token_ttl_seconds
        assert body["scope"] == "read"
        who = await me(client, body["access_token"])
        assert who["kind"] == "client"
        assert who["district_id"] == str(world.district_id("A"))
        assert who["scopes"] == ["read"]
        assert who["email"] is None


async def test_client_credentials_both_ways_at_once_is_invalid_request(
    client: httpx.AsyncClient, world: World
) -> None:
    client_id, secret = world.clients["A"]["read"]
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    oauth_error(await client.post(TOKEN, data=form, auth=(client_id, secret)), 400, "invalid_request")
    # Even a form field alone next to Basic: the client must pick one way.
    oauth_error(
        await client.post(
            TOKEN, data={"grant_type": "client_credentials", "client_id": client_id}, auth=(client_id, secret)
        ),
        400,
        "invalid_request",
    )


@pytest.mark.parametrize("how", ["basic", "form"])
async def test_wrong_client_secret_is_invalid_client(
    client: httpx.AsyncClient, world: World, how: str
) -> None:
    client_id, secret = world.clients["A"]["read"]
    other_secret = world.clients["A"]["roster"][1]
    if how == "basic":
        responses = [
            await client_grant(client, client_id, other_secret),
            await client_grant(client, "tri_no_such_client", secret),
        ]
    else:
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": other_secret}
        responses = [
            await client.post(TOKEN, data=form),
            await client.post(
                TOKEN, data={**form, "client_id": "tri_no_such_client", "client_secret": secret}
            ),
        ]
    bodies = [oauth_error(response, 401, "invalid_client") for response in responses]
    for response in responses:
        assert response.headers["www-authenticate"].startswith("Basic")
    assert bodies[0] == bodies[1]  # an unknown client and a wrong secret look the same


@pytest.mark.parametrize("scope", ["roster:write", "read roster:write", "superuser"])
async def test_a_client_cannot_ask_for_a_scope_it_lacks(
    client: httpx.AsyncClient, world: World, scope: str
) -> None:
    client_id, secret = world.clients["A"]["read"]
    oauth_error(await client_grant(client, client_id, secret, scope=scope), 400, "invalid_scope")


async def test_a_client_may_ask_for_a_subset_of_its_scopes(client: httpx.AsyncClient, tokens: Tokens) -> None:
    created = await client.post(
        "/api/v1/api-clients",
        json={"name": "Two scopes", "scopes": ["read", "roster:write"]},
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN),
    )
    assert created.status_code == 201, created.text
    client_id, secret = created.json()["client_id"], created.json()["client_secret"]

    everything = await client_grant(client, client_id, secret)
    assert everything.json()["scope"] == "read roster:write"
    assert (await me(client, everything.json()["access_token"]))["scopes"] == ["read", "roster:write"]

    subset = await client_grant(client, client_id, secret, scope="read")
    assert subset.status_code == 200, subset.text
    assert subset.json()["scope"] == "read"
    assert (await me(client, subset.json()["access_token"]))["scopes"] == ["read"]


async def test_a_revoked_client_gets_no_token(
    client: httpx.AsyncClient, world: World, tokens: Tokens
) -> None:
    admin_headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    client_id, secret = world.clients["A"]["referrals"]
    assert (await client_grant(client, client_id, secret)).status_code == 200

    listed = await client.get("/api/v1/api-clients", params={"limit": 100}, headers=admin_headers)
    assert listed.status_code == 200, listed.text
    (api_client,) = [c for c in listed.json()["items"] if c["client_id"] == client_id]
    revoked = await client.post(f"/api/v1/api-clients/{api_client['id']}/revoke", headers=admin_headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None

    response = await client_grant(client, client_id, secret)
    oauth_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic")
    # The district's other clients are untouched.
    assert (await client_grant(client, *world.clients["A"]["read"])).status_code == 200


# --- refresh tokens ---------------------------------------------------------------------------------


async def test_refresh_rotates_both_tokens(client: httpx.AsyncClient, world: World) -> None:
    user_id, email = world.user("A", Role.TEACHER)
    first = await sign_in(client, email)

    response = await refresh(client, first["refresh_token"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    second = response.json()
    assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert (await me(client, second["access_token"]))["id"] == str(user_id)

    # The spent refresh token is refused.
    oauth_error(await refresh(client, first["refresh_token"]), 400, "invalid_grant")


async def test_reusing_a_spent_refresh_token_revokes_its_whole_family(
    client: httpx.AsyncClient, world: World
) -> None:
    _, email = world.user("A", Role.TEACHER)
    stolen = (await sign_in(client, email))["refresh_token"]
    other_session = (await sign_in(client, email))["refresh_token"]

    rotated = (await refresh(client, stolen)).json()["refresh_token"]
    latest = (await refresh(client, rotated)).json()["refresh_token"]  # the family is still good here

    oauth_error(await refresh(client, stolen), 400, "invalid_grant")  # reuse detected
    oauth_error(await refresh(client, latest), 400, "invalid_grant")  # …so the newest one ends too
    oauth_error(await refresh(client, rotated), 400, "invalid_grant")

    # Another sign-in of the same person is another family: unaffected.
    assert (await refresh(client, other_session)).status_code == 200


async def test_an_unknown_refresh_token_is_invalid_grant(client: httpx.AsyncClient) -> None:
    oauth_error(await refresh(client, "not-a-refresh-token"), 400, "invalid_grant")


async def test_logout_revokes_the_refresh_token(client: httpx.AsyncClient, world: World) -> None:
    _, email = world.user("A", Role.TEACHER)
    issued = await sign_in(client, email)
    rotated = (await refresh(client, issued["refresh_token"])).json()["refresh_token"]

    response = await client.post(REVOKE, data={"token": rotated})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    oauth_error(await refresh(client, rotated), 400, "invalid_grant")

    # Revoking again, or revoking a token nobody issued, answers the same.
    assert (await client.post(REVOKE, data={"token": rotated})).status_code == 200
    assert (await client.post(REVOKE, data={"token": "never-issued"})).status_code == 200


async def test_changing_your_password_ends_your_refresh_tokens(
    client: httpx.AsyncClient, world: World
) -> None:
    _, email = world.user("A", Role.COACH)
    issued = await sign_in(client, email)

    wrong = await client.put(
        f"{ME}/password",
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=bearer(issued["access_token"]),
    )
    assert_problem(wrong, 422, "validation_failed")
    still_good = await refresh(client, issued["refresh_token"])
    assert still_good.status_code == 200, still_good.text
    current = still_good.json()

    changed = await client.put(
        f"{ME}/password",
        json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(current["access_token"]),
    )
    assert changed.status_code == 204, changed.text

    oauth_error(await refresh(client, current["refresh_token"]), 400, "invalid_grant")
    old = await client.post(
        TOKEN, data={"grant_type": "password", "username": email, "password": TEST_PASSWORD}
    )
    oauth_error(old, 400, "invalid_grant")
    assert (await sign_in(client, email, NEW_PASSWORD))["refresh_token"]


async def test_deactivating_a_user_ends_their_refresh_tokens_and_sign_in(
    client: httpx.AsyncClient, world: World, tokens: Tokens
) -> None:
    user_id, email = world.user("A", Role.VIEWER)
    issued = await sign_in(client, email)

    response = await client.patch(
        f"/api/v1/users/{user_id}",
        json={"is_active": False},
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN) | ANY_VERSION,
    )
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False

    oauth_error(await refresh(client, issued["refresh_token"]), 400, "invalid_grant")
    blocked = await client.post(
        TOKEN, data={"grant_type": "password", "username": email, "password": TEST_PASSWORD}
    )
    oauth_error(blocked, 400, "invalid_grant")


# --- throttling -------------------------------------------------------------------------------------


async def test_repeated_wrong_passwords_lock_the_account(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    _, email = world.user("A", Role.TEACHER)
    _, other = world.user("A", Role.COACH)
    for _ in range(settings.login_max_failures_per_account):
        response = await client.post(
            TOKEN, data={"grant_type": "password", "username": email, "password": "guess"}
        )
        oauth_error(response, 400, "invalid_grant")

    locked = await client.post(
        TOKEN, data={"grant_type": "password", "username": email, "password": TEST_PASSWORD}
    )
    assert locked.status_code == 429, locked.text
    assert locked.headers["cache-control"] == "no-store"
    retry_after = int(locked.headers["retry-after"])
    assert 0 < retry_after <= settings.login_lockout_seconds
    # The lock is on the account, whatever the spelling of its email.
    upper = await client.post(
        TOKEN, data={"grant_type": "password", "username": email.upper(), "password": TEST_PASSWORD}
    )
    assert upper.status_code == 429, upper.text

    # Other accounts (from the same address) are unaffected.
    assert (await sign_in(client, other))["access_token"]


@pytest.fixture
async def strict_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """An app that locks an address out after three failed sign-ins (and an account after ten)."""
    application = create_app(
        settings.model_copy(
            update={"login_max_failures_per_address": 3, "login_max_failures_per_account": 10}
        )
    )
    async with application.router.lifespan_context(application):
        yield application


def http_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_failures_spread_over_accounts_lock_out_the_address(strict_app: FastAPI, world: World) -> None:
    emails = [world.user("A", role)[1] for role in (Role.TEACHER, Role.COACH, Role.VIEWER)]
    _, victim = world.user("B", Role.TEACHER)
    async with (
        http_from(strict_app, "198.51.100.7") as attacker,
        http_from(strict_app, "203.0.113.9") as bystander,
    ):
        for email in emails:  # one wrong password each: no account comes near its own limit
            response = await attacker.post(
                TOKEN, data={"grant_type": "password", "username": email, "password": "guess"}
            )
            oauth_error(response, 400, "invalid_grant")

        locked = await attacker.post(
            TOKEN, data={"grant_type": "password", "username": victim, "password": TEST_PASSWORD}
        )
        assert locked.status_code == 429, locked.text
        assert int(locked.headers["retry-after"]) > 0
        # An API client at the locked address (a SIS host behind the same NAT) keeps working; a wrong
        # secret from there is refused at once.
        client_id, secret = world.clients["A"]["read"]
        assert (await client_grant(attacker, client_id, secret)).status_code == 200
        assert (await client_grant(attacker, client_id, "not the secret")).status_code == 429

        # The same accounts, from another address, sign in.
        assert (await sign_in(bystander, victim))["access_token"]
        assert (await sign_in(bystander, emails[0]))["access_token"]


# --- bearer tokens on the API -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [ME, DISTRICTS])
async def test_no_bearer_token_is_401(client: httpx.AsyncClient, path: str) -> None:
    assert_problem(await client.get(path), 401, "unauthenticated")


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic " + base64.b64encode(b"admin:password").decode(),
        "Bearer",
        "Bearer ",
        "Token abc.def.ghi",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
    ],
    ids=["basic", "bearer-no-token", "bearer-empty-token", "other-scheme", "not-a-jwt", "garbage-jwt"],
)
@pytest.mark.parametrize("path", [ME, DISTRICTS])
async def test_a_malformed_authorization_header_is_401(
    client: httpx.AsyncClient, authorization: str, path: str
) -> None:
    assert_problem(await client.get(path, headers={"Authorization": authorization}), 401, "unauthenticated")


@dataclass
class Forgery:
    """What a forger has: a real token (and its claims), the app's signer, and the world."""

    token: str
    claims: dict[str, Any]
    signer: TokenSigner
    settings: Settings
    world: World

    @property
    def extra_claims(self) -> dict[str, Any]:
        registered = {"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}
        return {k: v for k, v in self.claims.items() if k not in registered}

    def issue(self, signer: TokenSigner | None = None, **overrides: Any) -> str:
        arguments: dict[str, Any] = {
            "subject": self.claims["sub"],
            "audience": self.settings.jwt_audience,
            "ttl": timedelta(minutes=15),
            "claims": self.extra_claims,
        }
        return (signer or self.signer).issue(**{**arguments, **overrides})

    @property
    def kid(self) -> str:
        return jwt.get_unverified_header(self.token)["kid"]


def _alg_none(f: Forgery) -> str:
    header = b64url_json({"alg": "none", "typ": "at+jwt", "kid": f.kid})
    return f"{header}.{b64url_json(f.claims)}."


def _hs256_with_public_key(f: Forgery) -> str:
    public_key = f.signer.keyring.public_key(f.kid)
    assert public_key is not None
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{b64url_json({'alg': 'HS256', 'typ': 'at+jwt', 'kid': f.kid})}.{b64url_json(f.claims)}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def _other_district(f: Forgery) -> str:
    header, payload, signature = f.token.split(".")
    claims = json.loads(unb64url(payload))
    assert claims["district"] == str(f.world.district_id("A"))
    claims["district"] = str(f.world.district_id("B"))
    return f"{header}.{b64url_json(claims)}.{signature}"


def _without_exp(f: Forgery) -> str:
    payload = {k: v for k, v in f.claims.items() if k != "exp"}
    return jwt.encode(
        payload, f.signer.keyring.signing_key(), algorithm="ES256", headers={"kid": f.kid, "typ": "at+jwt"}
    )


FORGERIES: dict[str, Callable[[Forgery], str]] = {
    "expired": lambda f: f.issue(ttl=timedelta(seconds=-10)),
    "expired-long-ago": lambda f: f.issue(now=datetime.now(UTC) - timedelta(hours=2)),
    "not-yet-valid": lambda f: f.issue(now=datetime.now(UTC) + timedelta(hours=1)),
    "wrong-audience": lambda f: f.issue(audience="some-other-api"),
    "wrong-issuer": lambda f: f.issue(TokenSigner(f.signer.keyring, "someone-else")),
    "unknown-kid": lambda f: f.issue(TokenSigner(KeyRing.generate(), f.signer.issuer)),
    "alg-none": _alg_none,
    "hs256-with-public-key": _hs256_with_public_key,
    "tampered-district": _other_district,
    "refresh-typ": lambda f: f.issue(token_type="refresh+jwt"),
    "no-exp": _without_exp,
}


@pytest.mark.parametrize("kind", FORGERIES)
async def test_forged_or_stale_tokens_are_refused(
    client: httpx.AsyncClient, app: FastAPI, tokens: Tokens, world: World, settings: Settings, kind: str
) -> None:
    genuine = await tokens.for_role("A", Role.DISTRICT_ADMIN)
    forgery = Forgery(
        token=genuine,
        claims=jwt.decode(genuine, options={"verify_signature": False}),
        signer=app.state.token_signer,
        settings=settings,
        world=world,
    )
    forged = FORGERIES[kind](forgery)
    assert forged != genuine

    # The genuine token is accepted, so the refusal is the forgery's doing.
    assert (await client.get(ME, headers=bearer(genuine))).status_code == 200
    for path in (ME, DISTRICTS):
        assert_problem(await client.get(path, headers=bearer(forged)), 401, "unauthenticated")


async def test_a_correctly_signed_token_with_copied_claims_is_accepted(
    client: httpx.AsyncClient, app: FastAPI, tokens: Tokens, world: World, settings: Settings
) -> None:
    """The forgery tests' control: the same claims, issued properly, work."""
    genuine = await tokens.for_role("A", Role.DISTRICT_ADMIN)
    forgery = Forgery(
        genuine,
        jwt.decode(genuine, options={"verify_signature": False}),
        app.state.token_signer,
        settings,
        world,
    )
    who = await me(client, forgery.issue())
    assert who["id"] == str(world.user("A", Role.DISTRICT_ADMIN)[0])


async def test_signing_keys_rotate_without_logging_anyone_out(
    client: httpx.AsyncClient, app: FastAPI, tokens: Tokens, world: World, settings: Settings
) -> None:
    # Taken before rotating, so the shared token cache only ever holds tokens of the shared keys.
    old_token = await tokens.for_role("A", Role.TEACHER)
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    keyring: KeyRing = app.state.token_signer.keyring
    assert old_kid in keyring.kids

    rotated = keyring.with_new_key()
    app.state.token_signer = TokenSigner(rotated, settings.jwt_issuer)
    assert (await me(client, old_token))["email"] == world.user("A", Role.TEACHER)[1]

    new_token = (await sign_in(client, world.user("A", Role.TEACHER)[1]))["access_token"]
    new_kid = jwt.get_unverified_header(new_token)["kid"]
    assert new_kid != old_kid
    assert new_kid == rotated.signing_kid
    assert new_kid not in keyring.kids
    assert (await me(client, new_token))["email"] == world.user("A", Role.TEACHER)[1]

    # Once the old key is retired, what it signed is refused; the new key's tokens still work.
    app.state.token_signer = TokenSigner(rotated.without(old_kid), settings.jwt_issuer)
    assert_problem(await client.get(ME, headers=bearer(old_token)), 401, "unauthenticated")
    assert (await me(client, new_token))["email"] == world.user("A", Role.TEACHER)[1]


# --- a token's district ------------------------------------------------------------------------------


async def test_a_token_district_decides_what_exists(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    assert (await client.get(f"{DISTRICTS}/{world.district_id('A')}", headers=headers)).status_code == 200
    other = await client.get(f"{DISTRICTS}/{world.district_id('B')}", headers=headers)
    body = assert_problem(other, 404, "not_found")
    assert "District B" not in other.text
    assert body["status"] == 404
    # Indistinguishable from a district that does not exist at all.
    missing = await client.get(f"{DISTRICTS}/{uuid.uuid4()}", headers=headers)
    assert_problem(missing, 404, "not_found")
