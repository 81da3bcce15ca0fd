"""A OneRoster file read in several chunks: duplicates across chunk boundaries, and what bulk mode
archives, are the same as in one chunk. The chunk size is made tiny so a test bundle spans chunks."""

from __future__ import annotations

import httpx
import pytest

from app.identity.models import Role
from app.sis import oneroster
from tests.conftest import Tokens
from tests.sis.helpers import ENROLLMENTS, SYNC, USERS, full_bundle, list_all, upload, user_row

REFERRALS_HEADER = "sourcedId,status,dateLastModified,studentSourcedId,schoolSourcedId,staffSourcedId,date,category,severity\n"


async def test_duplicates_are_found_across_chunks(
    client: httpx.AsyncClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    monkeypatch.setattr(oneroster, "CHUNK_ROWS", 2)
    referrals = REFERRALS_HEADER + (
        "ref-1,,,s-1,a-es,t-1,2026-10-02,disruption,minor\n"  # line 2  (chunk 1)
        "ref-2,,,s-2,a-es,t-1,2026-10-02,disruption,minor\n"  # line 3
        "ref-1,,,s-1,a-es,t-1,2026-10-03,defiance,minor\n"  # line 4  (chunk 2): a repeat, valid
        "ref-3,,,s-1,a-es,t-1,2026-10-02,disruption,tremendous\n"  # line 5: invalid
        "ref-3,,,s-1,a-es,t-1,2026-10-02,disruption,minor\n"  # line 6  (chunk 3): repeats a refused line
        "ref-2,tobedeleted,2026-10-05T08:00:00Z,,,,,,\n"  # line 7: a deletion repeating line 3
        "ref-4,,,s-3,a-ms,,2026-10-04,tardiness,minor\n"  # line 8  (chunk 4)
    )
    response = await upload(client, full_bundle(**{"referrals.csv": referrals}), headers, partial="true")
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["status"] == "partially_applied"
    errors = [(e["file"], e["row"], e["sourced_id"], e["field"], e["code"]) for e in run["errors"]]
    assert errors[0] == ("referrals.csv", 4, "ref-1", "sourcedId", "duplicate")
    assert errors[1][:4] == ("referrals.csv", 5, "ref-3", "severity")
    assert errors[2:] == [
        ("referrals.csv", 6, "ref-3", "sourcedId", "duplicate"),
        ("referrals.csv", 7, "ref-2", "sourcedId", "duplicate"),
    ]
    assert all(e["message"] == "This sourcedId appears earlier in the file." for e in run["errors"][::2])
    counts = run["counts"]["referrals"]
    assert (counts["received"], counts["created"], counts["rejected"], counts["deleted"]) == (7, 3, 4, 0)
    stored = await list_all(client, f"{SYNC}/referrals", headers)
    assert sorted((r["sourcedId"], r["category"]) for r in stored) == [
        ("ref-1", "disruption"),
        ("ref-2", "disruption"),
        ("ref-4", "tardiness"),
    ]


async def test_bulk_mode_in_chunks_archives_only_what_no_chunk_had(
    client: httpx.AsyncClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    first = await upload(client, full_bundle(), headers)
    assert first.status_code == 200, first.text
    monkeypatch.setattr(oneroster, "CHUNK_ROWS", 1)
    again = await upload(client, full_bundle(), headers, archive_missing="true")
    assert again.status_code == 200, again.text
    # (orgs.csv is left out: the test district has a school of its own with a sourcedId the bundle
    # lacks, archived with any chunk size.)
    counts = {name: c for name, c in again.json()["counts"].items() if name != "orgs"}
    assert all(c["missing"] == 0 and c["deleted"] == 0 for c in counts.values()), counts
    assert all(c["created"] == c["updated"] == 0 for c in counts.values()), counts
    # Without s-2 (in the middle of users.csv) and its enrollment, read a line a chunk: only s-2 goes.
    without = full_bundle(
        **{
            "users.csv": USERS.replace(user_row("s-2", "Yusuf", "Park", grades="03", org="a-es"), ""),
            "enrollments.csv": ENROLLMENTS.replace("e-3,,,c-1,a-es,s-2,student,false,,\n", ""),
        }
    )
    third = await upload(client, without, headers, archive_missing="true")
    assert third.status_code == 200, third.text
    users = third.json()["counts"]["users"]
    assert (users["missing"], users["deleted"]) == (1, 1)
    students = await list_all(client, f"{SYNC}/students", headers)
    assert sorted(s["sourcedId"] for s in students) == ["s-1", "s-3"]


async def test_a_sourced_id_in_three_chunks_is_one_record_and_two_duplicates(
    client: httpx.AsyncClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's seen-table then holds the sourcedId twice (the second chunk's line is remembered
    too): the third line is still one duplicate, reported once."""
    headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    monkeypatch.setattr(oneroster, "CHUNK_ROWS", 1)
    referrals = REFERRALS_HEADER + "".join(
        f"ref-1,,,s-1,a-es,t-1,2026-10-0{day},disruption,minor\n" for day in (2, 3, 4)
    )
    response = await upload(client, full_bundle(**{"referrals.csv": referrals}), headers, partial="true")
    assert response.status_code == 200, response.text
    run = response.json()
    assert [(e["row"], e["code"]) for e in run["errors"]] == [(3, "duplicate"), (4, "duplicate")]
    counts = run["counts"]["referrals"]
    assert (counts["received"], counts["created"], counts["rejected"]) == (3, 1, 2)
    stored = await list_all(client, f"{SYNC}/referrals", headers)
    assert [(r["sourcedId"], r["date"]) for r in stored] == [("ref-1", "2026-10-02")]  # the first line
