"""Managing webhook subscriptions: who may, which events a client may ask for, where events may go
(no private or loopback addresses), and the secret shown once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.identity.models import Role
from app.webhooks import addresses
from tests.conftest import ANY_VERSION, Tokens, World
from tests.initiatives.test_rest import assert_problem, error_paths, list_all

SUBSCRIPTIONS = "/api/v1/webhook-subscriptions"
Json = dict[str, Any]
# A documentation address (RFC 5737) would be refused as not public; this is a literal public one.
PUBLIC_URL = "https://1.1.1.1/hooks"


async def client_id(client: httpx.AsyncClient, label: str) -> str:
    clients = await list_all(client, "/api/v1/api-clients")
    (found,) = [c for c in clients if c["name"] == f"A {label} sync"]
    return found["id"]


@pytest.mark.parametrize(
    "url",
    [
        "http://1.1.1.1/hooks",  # not https
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://10.0.0.8/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://user:pw@1.1.1.1/hooks",
        "https://192.168.1.1/hooks",
    ],
)
async def test_private_loopback_and_plain_http_urls_are_refused(
    client: httpx.AsyncClient, tokens: Tokens, url: str
) -> None:
    headers = await tokens.client_headers("A", "read")
    response = await client.post(
        SUBSCRIPTIONS, json={"url": url, "event_types": ["plan.approved"]}, headers=headers
    )
    problem = assert_problem(response, 422, "validation_failed")
    assert ["url"] in error_paths(problem) or ["body", "url"] in error_paths(problem)
    assert await list_all(client, SUBSCRIPTIONS, headers) == []


async def test_a_public_address_is_accepted_and_the_secret_is_shown_once(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = await tokens.client_headers("A", "read")
    response = await client.post(
        SUBSCRIPTIONS,
        json={"url": PUBLIC_URL, "event_types": ["plan.approved", "plan.approved"]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["plan.approved"]
    (listed,) = await list_all(client, SUBSCRIPTIONS, headers)
    read = (await client.get(f"{SUBSCRIPTIONS}/{created['id']}", headers=headers)).json()
    for shown in (listed, read):
        assert "secret" not in shown
    assert created["secret"] not in str(
        await list_all(client, "/api/v1/audit-events", await tokens.headers("A", Role.DISTRICT_ADMIN))
    )


async def test_a_client_asks_only_for_events_its_scopes_cover(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    roster = await tokens.client_headers("A", "roster")
    body = {"url": PUBLIC_URL, "event_types": ["sync_run.finished", "plan.approved"]}
    problem = assert_problem(
        await client.post(SUBSCRIPTIONS, json=body, headers=roster), 422, "validation_failed"
    )
    assert error_paths(problem) == [["body", "event_types", 1]]
    body["event_types"] = ["sync_run.finished"]
    assert (await client.post(SUBSCRIPTIONS, json=body, headers=roster)).status_code == 201


async def test_admins_manage_every_clients_subscriptions_and_clients_only_their_own(
    admin: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    read_id = await client_id(admin, "read")
    body = {"url": PUBLIC_URL, "event_types": ["plan.closed"], "api_client_id": read_id}
    response = await admin.post(SUBSCRIPTIONS, json=body, headers={})
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["api_client_id"] == read_id
    # The client sees it and may change it; another client of the district does not see it.
    read = await tokens.client_headers("A", "read")
    assert [s["id"] for s in await list_all(admin, SUBSCRIPTIONS, read)] == [made["id"]]
    roster = await tokens.client_headers("A", "roster")
    assert await list_all(admin, SUBSCRIPTIONS, roster) == []
    assert_problem(await admin.get(f"{SUBSCRIPTIONS}/{made['id']}", headers=roster), 404, "not_found")
    assert_problem(await admin.delete(f"{SUBSCRIPTIONS}/{made['id']}", headers=roster), 404, "not_found")
    # Roles other than admin manage none; another district's admin finds none.
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    assert_problem(await admin.get(SUBSCRIPTIONS, headers=leader), 403, "forbidden")
    assert_problem(await admin.post(SUBSCRIPTIONS, json=body, headers=leader), 403, "forbidden")
    b_admin = await tokens.headers("B", Role.DISTRICT_ADMIN)
    assert_problem(await admin.get(f"{SUBSCRIPTIONS}/{made['id']}", headers=b_admin), 404, "not_found")
    assert_problem(await admin.post(SUBSCRIPTIONS, json=body, headers=b_admin), 404, "not_found")
    # An admin must name the client; a stale If-Match changes nothing.
    no_client = {"url": PUBLIC_URL, "event_types": ["plan.closed"]}
    assert_problem(await admin.post(SUBSCRIPTIONS, json=no_client), 422, "validation_failed")
    stale = await admin.patch(
        f"{SUBSCRIPTIONS}/{made['id']}", json={"description": "x"}, headers={"If-Match": '"9"'}
    )
    assert_problem(stale, 412, "stale_version")
    response = await admin.patch(
        f"{SUBSCRIPTIONS}/{made['id']}", json={"url": "https://10.1.1.1/x"}, headers=read | ANY_VERSION
    )
    assert_problem(response, 422, "validation_failed")
    assert (await admin.delete(f"{SUBSCRIPTIONS}/{made['id']}", headers=read)).status_code == 204
    assert await list_all(admin, SUBSCRIPTIONS, read) == []


async def test_addresses_are_judged_by_every_address_a_host_resolves_to() -> None:
    assert addresses.is_public("1.1.1.1")
    for private in (
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "::1",
        "fc00::1",
        "::ffff:10.0.0.1",
        "0.0.0.0",  # noqa: S104 (an address refused, not bound)
        "224.0.0.1",
        "100.64.0.1",
    ):
        assert not addresses.is_public(private), private
    with pytest.raises(addresses.RefusedAddress):
        await addresses.check_url("https://localhost/x", allow_private=False)
    await addresses.check_url("http://localhost/x", allow_private=True)
