"""An unchanged line of a re-import is known by the digest of its record (`sis_hash`) and skips
validation, staging and the upsert; everything the full path would refuse or change still takes it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.identity.models import Role
from app.sis import oneroster
from app.sis.bulk import BulkWriter
from app.sis.schemas import SyncEntity
from tests.conftest import Tokens
from tests.sis.helpers import (
    CLASSES,
    REFERRALS,
    SYNC,
    bundle,
    full_bundle,
    list_all,
    manifest,
    put_ok,
    upload,
)

REFERRALS_HEADER = REFERRALS.splitlines()[0] + "\n"


@pytest.fixture
def prepared(monkeypatch: pytest.MonkeyPatch) -> dict[SyncEntity, int]:
    """How many records of each entity reach the full path (`BulkWriter.prepare`)."""
    seen: dict[SyncEntity, int] = {}
    original = BulkWriter.prepare

    async def spy(self: BulkWriter, entity: SyncEntity, rows: Any = (), **kwargs: Any) -> Any:
        rows = list(rows)
        validated = kwargs.get("validated")
        seen[entity] = seen.get(entity, 0) + (validated.received if validated is not None else len(rows))
        return await original(self, entity, rows, **kwargs)

    monkeypatch.setattr(BulkWriter, "prepare", spy)
    return seen


async def test_an_unchanged_reimport_takes_no_line_of_a_digest_table_through_the_full_path(
    client: httpx.AsyncClient, tokens: Tokens, prepared: dict[SyncEntity, int]
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    first = await upload(client, full_bundle(), headers)
    assert first.status_code == 200, first.text
    assert prepared[SyncEntity.ENROLLMENTS] == 3
    prepared.clear()
    again = await upload(client, full_bundle(), headers)
    assert again.status_code == 200, again.text
    run = again.json()
    for name in ("classes", "enrollments", "referrals", "tierAssignments"):
        counts = run["counts"][name]
        assert counts["unchanged"] == counts["received"] > 0, (name, counts)
        assert counts["created"] == counts["updated"] == counts["missing"] == 0, (name, counts)
    assert run["counts"]["users"]["unchanged"] == 4
    # Students, classes, enrollments, referrals and tiers keep digests: none of their lines was
    # validated or staged again (staff and schools, few, always take the full path).
    assert set(prepared) <= {SyncEntity.SCHOOLS, SyncEntity.STAFF}, prepared


async def test_a_line_repeated_in_a_later_chunk_is_still_a_duplicate(
    client: httpx.AsyncClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    monkeypatch.setattr(oneroster, "CHUNK_ROWS", 1)
    referrals = REFERRALS + "ref-1,,,s-1,a-es,t-1,2026-10-02,disruption,minor\n"
    for _ in range(2):
        response = await upload(client, full_bundle(**{"referrals.csv": referrals}), headers, partial="true")
        assert response.status_code == 200, response.text
        run = response.json()
        assert [(e["row"], e["code"]) for e in run["errors"]] == [(3, "duplicate")]
    assert run["counts"]["referrals"]["unchanged"] == 1


async def test_an_unchanged_line_that_refers_to_a_record_deleted_since_is_refused(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    assert (await upload(client, full_bundle(), headers)).status_code == 200
    roster = await tokens.client_headers("A", "roster")
    # Deleting the student ends its enrollments and tiers; its referrals are history and stay.
    await put_ok(client, "students", [{"sourcedId": "s-1", "status": "tobedeleted"}], roster)
    delta = bundle({"manifest.csv": manifest(referrals="delta"), "referrals.csv": REFERRALS})
    response = await upload(client, delta, headers)
    assert response.status_code == 409, response.text
    errors = response.json()["sync_run"]["errors"]
    assert [(e["row"], e["code"]) for e in errors] == [(2, "deleted_reference")]


async def test_a_record_changed_elsewhere_is_put_back_by_an_unchanged_line(
    client: httpx.AsyncClient, tokens: Tokens, prepared: dict[SyncEntity, int]
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    assert (await upload(client, full_bundle(), headers)).status_code == 200
    behaviour = await tokens.client_headers("A", "referrals")
    changed = {
        "sourcedId": "ref-1",
        "student": "s-1",
        "school": "a-es",
        "staff": "t-1",
        "date": "2026-10-02",
        "category": "defiance",
        "severity": "minor",
    }
    await put_ok(client, "referrals", [changed], behaviour)
    prepared.clear()
    delta = bundle({"manifest.csv": manifest(referrals="delta"), "referrals.csv": REFERRALS})
    response = await upload(client, delta, headers)
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["referrals"]["updated"] == 1
    stored = await list_all(client, f"{SYNC}/referrals", headers)
    assert [(r["sourcedId"], r["category"]) for r in stored] == [("ref-1", "disruption")]
    assert prepared == {SyncEntity.REFERRALS: 1}


async def test_a_row_written_without_a_digest_gets_one_without_a_new_change_version(
    client: httpx.AsyncClient, tokens: Tokens, prepared: dict[SyncEntity, int]
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    assert (await upload(client, full_bundle(), headers)).status_code == 200
    behaviour = await tokens.client_headers("A", "referrals")
    # The JSON API rewrites the referral (no digest), then puts it back as the CSV has it.
    base = {"sourcedId": "ref-1", "student": "s-1", "school": "a-es", "staff": "t-1", "date": "2026-10-02"}
    await put_ok(client, "referrals", [{**base, "category": "defiance", "severity": "minor"}], behaviour)
    await put_ok(client, "referrals", [{**base, "category": "disruption", "severity": "minor"}], behaviour)
    before = await list_all(client, f"{SYNC}/referrals", headers)
    delta = bundle({"manifest.csv": manifest(referrals="delta"), "referrals.csv": REFERRALS})
    for expected in ({SyncEntity.REFERRALS: 1}, {}):
        prepared.clear()
        response = await upload(client, delta, headers)
        assert response.status_code == 200, response.text
        assert response.json()["counts"]["referrals"]["unchanged"] == 1
        # The first import finds the row as sent (unchanged) and records its digest; the second
        # knows it by that digest.
        assert prepared == expected
    # Recording a digest is not a change: the change feed has nothing new.
    assert await list_all(client, f"{SYNC}/referrals", headers) == before


async def test_an_unchanged_enrollment_follows_its_class_to_another_school(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    assert (await upload(client, full_bundle(), headers)).status_code == 200
    moved = full_bundle(**{"classes.csv": CLASSES.replace(",a-es,term-1", ",a-ms,term-1")})
    response = await upload(client, moved, headers)
    assert response.status_code == 200, response.text
    counts = response.json()["counts"]
    assert counts["classes"]["updated"] == 1
    # Every enrollment line is as before, but an enrollment's school is its class's.
    assert counts["enrollments"]["updated"] == 3, counts["enrollments"]
    stored = await list_all(client, f"{SYNC}/enrollments", headers)
    assert {e["school"] for e in stored} == {"a-ms"}
