"""Versioned writes need `If-Match` (RFC 6585 428): a client that forgets it cannot overwrite a newer
write by accident. `If-Match: *` writes over whatever is current, knowingly."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from app.identity.models import Role
from tests.conftest import Tokens, created

API = "/api/v1"


async def test_a_write_without_if_match_is_428_and_writes_nothing(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    initiative = await created(
        client, f"{API}/initiatives", {"title": "Reading", "public_value": "All read."}, leader
    )
    url = f"{API}/initiatives/{initiative['id']}"

    forgot = await client.patch(url, json={"title": "Overwritten"}, headers=leader)
    assert forgot.status_code == 428, forgot.text
    assert forgot.headers["content-type"].startswith("application/problem+json")
    problem = forgot.json()
    assert problem["type"].endswith("/precondition_required")
    assert problem["errors"] == [
        {"path": ["header", "If-Match"], "message": "Required on this write.", "code": "missing"}
    ]
    # Who may write comes first: without `If-Match`, another district's initiative is still 404, a
    # caller without a token 401 and a role that may not edit 403; a malformed body is 422 as ever.
    other = await tokens.headers("B", Role.DISTRICT_LEADER)
    assert (await client.patch(url, json={"title": "Theirs"}, headers=other)).status_code == 404
    assert (await client.patch(url, json={"title": "Nobody's"})).status_code == 401
    reader = await tokens.client_headers("A", "read")
    assert (await client.get(url, headers=reader)).status_code == 200
    assert (await client.patch(url, json={"title": "Mine"}, headers=reader)).status_code == 403
    assert (await client.patch(url, json={"title": ""}, headers=leader)).status_code == 422
    unchanged = await client.get(url, headers=leader)
    assert (unchanged.json()["title"], unchanged.headers["etag"]) == ("Reading", '"1"')

    # `*` opts out of the check knowingly; the right ETag passes; a stale one is 412.
    anyway = await client.patch(url, json={"title": "Reading for all"}, headers={**leader, "If-Match": "*"})
    assert (anyway.status_code, anyway.headers["etag"]) == (200, '"2"')
    stale = await client.patch(url, json={"title": "Late"}, headers={**leader, "If-Match": '"1"'})
    assert (stale.status_code, stale.json()["current_version"]) == (412, 2)
    current = await client.patch(url, json={"title": "Reading now"}, headers={**leader, "If-Match": '"2"'})
    assert (current.status_code, current.headers["etag"]) == (200, '"3"')


async def test_participations_carry_a_version_like_every_edited_row(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    """`updateParticipation` was the one write in its area without a version: two organisers marking
    attendance at once silently overwrote each other."""
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    activity = await created(
        client,
        f"{API}/activities",
        {
            "mode": "co_creation",
            "kind": "design_session",
            "title": "Reading nights",
            "held_on": "2026-01-15",
            "participation_level": "involve",
        },
        leader,
    )
    person = await created(
        client,
        f"{API}/people",
        {"display_name": "Ana Ruiz", "kind": "family"},
        await tokens.headers("A", Role.DISTRICT_ADMIN),
    )
    participation = await created(
        client,
        f"{API}/activities/{activity['id']}/participations",
        {"person_id": person["id"], "role": "participant"},
        leader,
    )
    assert participation["version"] == 1
    url = f"{API}/participations/{participation['id']}"
    read = await client.get(url, headers=leader)
    assert read.headers["etag"] == '"1"'

    assert (await client.patch(url, json={"attended": False}, headers=leader)).status_code == 428
    first = await client.patch(url, json={"attended": False}, headers={**leader, "If-Match": '"1"'})
    assert (first.status_code, first.json()["version"], first.headers["etag"]) == (200, 2, '"2"')
    second = await client.patch(url, json={"attended": True}, headers={**leader, "If-Match": '"1"'})
    assert (second.status_code, second.json()["current_version"]) == (412, 2)
    assert (await client.get(url, headers=leader)).json()["attended"] is False


@pytest.mark.parametrize(
    "operation", ["updateParticipation", "updatePlanCollaborator", "updateObservation", "updatePlan"]
)
def test_the_contract_requires_if_match_and_declares_428(app: FastAPI, operation: str) -> None:
    document = app.openapi()
    found = [
        op
        for ops in document["paths"].values()
        for op in ops.values()
        if isinstance(op, dict) and op.get("operationId") == operation
    ]
    assert len(found) == 1
    (if_match,) = [p for p in found[0]["parameters"] if p["name"].lower() == "if-match"]
    assert if_match["required"] is True
    assert {"412", "428"} <= set(found[0]["responses"])


def test_every_patch_in_the_contract_is_conditional(app: FastAPI) -> None:
    """No versioned resource is left with a blind PATCH."""
    document = app.openapi()
    blind = [
        op["operationId"]
        for ops in document["paths"].values()
        for method, op in ops.items()
        if method == "patch"
        and not any(p["name"].lower() == "if-match" and p["required"] for p in op.get("parameters", ()))
    ]
    assert blind == []
