"""`?order=newest` on lists read from the latest end (audit events, sync runs), cursors in both orders."""

from __future__ import annotations

from typing import Any

import httpx

from app.identity.models import Role
from tests.conftest import Tokens
from tests.sis.helpers import SYNC, put_ok, students

AUDIT = "/api/v1/audit-events"


async def every_page(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any
) -> list[str]:
    """Every id of a list, walking `next_cursor` two at a time."""
    seen: list[str] = []
    cursor: str | None = None
    while True:
        response = await client.get(
            url, headers=headers, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


async def test_audit_events_read_newest_first_page_by_page(client: httpx.AsyncClient, tokens: Tokens) -> None:
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    for n in range(5):
        body = {"title": f"Initiative {n}", "public_value": "Every student reads."}
        assert (await client.post("/api/v1/initiatives", json=body, headers=leader)).status_code == 201
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    oldest = await every_page(client, AUDIT, admin, entity_type="initiative")
    newest = await every_page(client, AUDIT, admin, entity_type="initiative", order="newest")
    assert len(oldest) >= 5
    assert len(set(oldest)) == len(oldest)
    assert newest == list(reversed(oldest))
    latest = (
        await client.get(AUDIT, headers=admin, params={"entity_type": "initiative", "order": "newest"})
    ).json()
    assert latest["items"][0]["after"]["title"] == "Initiative 4"


async def test_sync_runs_read_newest_first_page_by_page(client: httpx.AsyncClient, tokens: Tokens) -> None:
    roster = await tokens.client_headers("A", "roster")
    for n in range(5):
        await put_ok(client, "students", students(f"s-{n}"), roster)
    oldest = await every_page(client, f"{SYNC}/runs", roster)
    newest = await every_page(client, f"{SYNC}/runs", roster, order="newest")
    assert len(oldest) >= 5
    assert newest == list(reversed(oldest))


async def test_an_unknown_order_is_a_422(client: httpx.AsyncClient, tokens: Tokens) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    response = await client.get(AUDIT, headers=admin, params={"order": "sideways"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == ["query", "order"]
