"""`If-None-Match` on reads that carry an `ETag`: 304 and no body while the version is current."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from app.identity.models import Role
from tests.conftest import Tokens

INITIATIVES = "/api/v1/initiatives"


async def test_a_read_of_the_version_you_hold_is_304_without_a_body(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    created = await client.post(
        INITIATIVES, json={"title": "Reading", "public_value": "All read."}, headers=headers
    )
    assert created.status_code == 201, created.text
    url = f"{INITIATIVES}/{created.json()['id']}"
    etag = (await client.get(url, headers=headers)).headers["etag"]

    held = await client.get(url, headers={**headers, "If-None-Match": etag})
    assert held.status_code == 304
    assert held.content == b""
    assert held.headers["etag"] == etag
    assert "content-type" not in held.headers
    assert held.headers["x-request-id"]
    weak = await client.get(url, headers={**headers, "If-None-Match": f'"999", W/{etag}'})
    assert weak.status_code == 304

    stale = await client.get(url, headers={**headers, "If-None-Match": '"999"'})
    assert stale.status_code == 200
    assert stale.json()["id"] == created.json()["id"]

    changed = await client.patch(
        url, json={"title": "Reading for all"}, headers={**headers, "If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    after = await client.get(url, headers={**headers, "If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["title"] == "Reading for all"


async def test_reads_without_an_etag_and_refusals_are_unchanged(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    listed = await client.get(INITIATIVES, headers={**headers, "If-None-Match": "*"})
    assert listed.status_code == 200
    assert "items" in listed.json()
    missing = await client.get(
        f"{INITIATIVES}/00000000-0000-0000-0000-000000000000", headers={**headers, "If-None-Match": "*"}
    )
    assert missing.status_code == 404


def test_the_contract_declares_if_none_match_and_304(app: FastAPI) -> None:
    read = app.openapi()["paths"][f"{INITIATIVES}/{{initiative_id}}"]["get"]
    assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in read["parameters"])
    assert "304" in read["responses"]
