"""Two app instances (two workers, or two replicas) on one database and one shared keys directory:
nothing one of them knows in its own memory may make the other answer differently."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import jwt
import pytest

from app.core.config import Settings
from app.core.security import KeyRing
from app.identity.models import Role
from app.main import create_app
from tests.conftest import TEST_PASSWORD, World


@pytest.fixture
async def replicas(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, Path]]:
    keys = tmp_path / "keys"  # the volume both replicas mount
    settings = Settings(
        database_url=database_url,
        jwt_keys_dir=keys,
        log_json=False,
        log_level="WARNING",
        db_pool_size=2,
        login_max_failures_per_account=3,
    )
    async with AsyncExitStack() as stack:
        clients = []
        for name in ("a", "b"):
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url=f"http://{name}")
                )
            )
        yield clients[0], clients[1], keys


async def _sign_in(http: httpx.AsyncClient, email: str, password: str = TEST_PASSWORD) -> httpx.Response:
    return await http.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )


async def test_tokens_rotation_and_throttles_hold_across_instances(
    replicas: tuple[httpx.AsyncClient, httpx.AsyncClient, Path], world: World
) -> None:
    a, b, keys = replicas
    _, admin = world.user("A", Role.DISTRICT_ADMIN)

    # A token one instance signed is good on the other.
    signed_in = (await _sign_in(a, admin)).json()
    assert (await b.get("/api/v1/me", headers=_bearer(signed_in["access_token"]))).status_code == 200

    # A refresh token is spent everywhere once one instance has traded it.
    refresh = {"grant_type": "refresh_token", "refresh_token": signed_in["refresh_token"]}
    assert (await b.post("/api/v1/auth/token", data=refresh)).status_code == 200
    assert (await a.post("/api/v1/auth/token", data=refresh)).status_code == 400

    # Rotation: a key added to the shared directory signs on one instance and verifies on the other,
    # neither restarted.
    new_kid = KeyRing.add_key(keys)
    rotated = (await _sign_in(a, admin)).json()["access_token"]
    assert jwt.get_unverified_header(rotated)["kid"] == new_kid
    assert (await b.get("/api/v1/me", headers=_bearer(rotated))).status_code == 200
    from_b = (await _sign_in(b, admin)).json()["access_token"]
    assert jwt.get_unverified_header(from_b)["kid"] == new_kid

    # Failed sign-ins count on whichever instance they reach: three (the limit) lock the account.
    _, teacher = world.user("A", Role.TEACHER)
    for http in (a, b, a):
        assert (await _sign_in(http, teacher, "wrong password!")).status_code == 400
    for http in (a, b):
        locked = await _sign_in(http, teacher)
        assert locked.status_code == 429, locked.text


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
