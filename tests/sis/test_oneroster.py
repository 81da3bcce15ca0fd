"""The OneRoster 1.2 CSV bundle import, over REST and from the command line: modes, idempotency,
archiving only on request, and every malformed bundle a clear problem that applies nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli import main as cli_main
from app.core.config import get_settings
from app.identity.models import Role
from tests.conftest import Tokens
from tests.sis.helpers import (
    ENROLLMENTS,
    ORGS,
    SYNC,
    USERS,
    USERS_HEADER,
    Json,
    bundle,
    full_bundle,
    list_all,
    manifest,
    upload,
    user_row,
)


@pytest.fixture
async def sync_client(client: httpx.AsyncClient, tokens: Tokens) -> dict[str, str]:
    """Headers of a district admin of A, who may sync the roster and behaviour data alike."""
    return await tokens.headers("A", Role.DISTRICT_ADMIN)


def invalid(response: httpx.Response, code: str, *, problem: str = "invalid_bundle") -> Json:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{problem}", body
    assert code in {e["code"] for e in body["sync_run"]["errors"]}, body["sync_run"]["errors"]
    assert body["sync_run"]["status"] == "rejected"
    return body


async def test_a_bundle_imports_in_order_and_twice_changes_nothing(
    client: httpx.AsyncClient, sync_client: dict[str, str], session: AsyncSession
) -> None:
    response = await upload(client, full_bundle(), sync_client)
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["source"] == "oneroster_csv"
    assert run["status"] == "applied"
    counts = {name: (c["mode"], c["created"], c["unchanged"]) for name, c in run["counts"].items()}
    assert counts == {
        "orgs": ("bulk", 1, 1),  # a-ms is new, a-es is the district's existing school
        "users": ("bulk", 4, 0),  # three students and a teacher; the parent is not kept
        "classes": ("bulk", 1, 0),
        "enrollments": ("bulk", 3, 0),
        "referrals": ("bulk", 1, 0),
        "tierAssignments": ("bulk", 1, 0),
    }
    students = {s["sourcedId"]: s for s in await list_all(client, f"{SYNC}/students", sync_client)}
    assert {k: (v["school"], v["grade"]) for k, v in students.items()} == {
        "s-1": ("a-es", "03"),
        "s-2": ("a-es", "03"),
        "s-3": ("a-ms", "07"),
    }
    [teacher] = await list_all(client, f"{SYNC}/staff", sync_client)
    assert (teacher["displayName"], teacher["role"], teacher["email"]) == (
        "Ana Ruiz",
        "teacher",
        "ana@a.example.org",
    )
    # Student names were never read: they are nowhere in the database.
    dump = await session.scalar(text("SELECT string_agg(t::text, ' ') FROM (SELECT * FROM student) AS t"))
    assert "Zelda" not in dump
    everywhere = await session.scalar(
        text("SELECT count(*) FROM audit_event WHERE after::text LIKE '%Zelda%'")
    )
    assert everywhere == 0

    again = (await upload(client, full_bundle(), sync_client)).json()
    assert (again["created"], again["updated"], again["deleted"]) == (0, 0, 0)
    assert again["unchanged"] == run["created"] + run["unchanged"]


async def test_bulk_mode_archives_missing_records_only_when_asked(
    client: httpx.AsyncClient, sync_client: dict[str, str]
) -> None:
    await upload(client, full_bundle(), sync_client)
    without_s2 = USERS.replace(user_row("s-2", "Yusuf", "Park", grades="03", org="a-es"), "")
    fewer_enrollments = ENROLLMENTS.replace("e-3,,,c-1,a-es,s-2,student,false,,\n", "")
    smaller = full_bundle(**{"users.csv": without_s2, "enrollments.csv": fewer_enrollments})

    counted = (await upload(client, smaller, sync_client)).json()
    assert counted["counts"]["users"]["missing"] == 1
    assert counted["counts"]["users"]["deleted"] == 0
    assert counted["counts"]["enrollments"]["missing"] == 1
    assert len(await list_all(client, f"{SYNC}/students", sync_client)) == 3  # never silently

    archived = (await upload(client, smaller, sync_client, archive_missing="true")).json()
    assert archived["archive_missing"] is True
    assert archived["counts"]["users"]["deleted"] == 1
    assert sorted(s["sourcedId"] for s in await list_all(client, f"{SYNC}/students", sync_client)) == [
        "s-1",
        "s-3",
    ]
    deletes = (await client.get(f"{SYNC}/students/deletes", headers=sync_client)).json()["items"]
    assert [d["sourcedId"] for d in deletes] == ["s-2"]
    # The district's own schools without a sourcedId are never the SIS's to archive.
    schools = (await client.get(f"{SYNC}/schools", headers=sync_client)).json()["items"]
    assert {s["sourcedId"] for s in schools} == {"a-es", "a-ms"}


async def test_delta_files_apply_changes_and_deletions(
    client: httpx.AsyncClient, sync_client: dict[str, str]
) -> None:
    await upload(client, full_bundle(), sync_client)
    delta_users = (
        USERS_HEADER
        + "s-2,tobedeleted,2026-10-05T08:00:00.000Z,,,,,,,,,,,,,,,,,,,,\n"
        + user_row("s-4", "Wen", "Ota", grades="03", org="a-es")
    )
    delta = bundle(
        {
            "manifest.csv": manifest(users="delta", roles="delta"),
            "users.csv": delta_users,
            "roles.csv": "sourcedId,status,dateLastModified,roleType,role,userSourcedId,orgSourcedId\nr7,,,primary,student,s-4,a-es\n",
        }
    )
    run = (await upload(client, delta, sync_client)).json()
    assert run["counts"] == {
        "users": {
            "mode": "delta", "received": 2, "created": 1, "updated": 0, "unchanged": 0, "deleted": 1,
            "rejected": 0, "missing": None, "skipped": 0, "stale": None,
        }
    }  # fmt: skip
    assert sorted(s["sourcedId"] for s in await list_all(client, f"{SYNC}/students", sync_client)) == [
        "s-1",
        "s-3",
        "s-4",
    ]


async def test_bad_dates_apply_nothing_unless_partial(
    client: httpx.AsyncClient, sync_client: dict[str, str]
) -> None:
    enrollments = ENROLLMENTS + "e-4,,31/08/2026,c-1,a-es,s-3,student,false,2026-13-01,\n"
    broken = full_bundle(**{"enrollments.csv": enrollments})
    body = invalid(
        await upload(client, broken, sync_client), "date_from_datetime_parsing", problem="batch_rejected"
    )
    fields = {(e["file"], e["row"], e["field"]) for e in body["sync_run"]["errors"]}
    assert fields == {("enrollments.csv", 5, "dateLastModified"), ("enrollments.csv", 5, "beginDate")}
    assert ["body", "bundle", "enrollments.csv", 5, "beginDate"] in [e["path"] for e in body["errors"]]
    assert await list_all(client, f"{SYNC}/students", sync_client) == []  # not even the valid files

    partial = (await upload(client, broken, sync_client, partial="true")).json()
    assert partial["status"] == "partially_applied"
    assert partial["counts"]["enrollments"]["created"] == 3
    assert partial["counts"]["enrollments"]["rejected"] == 1


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ({"orgs.csv": "sourcedId,status,dateLastModified,name\na-es,,,A Elementary\n"}, "missing_columns"),
        ({"users.csv": USERS.encode("utf-8").replace(b"Zelda", "Zélda".encode("latin-1"))}, "wrong_encoding"),
        ({"users.csv": USERS.encode("utf-16")}, "wrong_encoding"),
        ({"manifest.csv": manifest(orgs="sometimes")}, "invalid_mode"),
        ({"manifest.csv": manifest(orgs="bulk").replace("1.2", "2.0")}, "unsupported_version"),
        ({"manifest.csv": manifest(academicSessions="bulk")}, "nothing_to_import"),
        ({"orgs.csv": ""}, "missing_header"),
    ],
)
async def test_malformed_csv_files_are_clear_problems(
    client: httpx.AsyncClient, sync_client: dict[str, str], files: dict[str, str | bytes], code: str
) -> None:
    body = invalid(await upload(client, full_bundle(**files), sync_client), code)
    assert body["detail"] == body["sync_run"]["errors"][0]["message"]
    assert await list_all(client, f"{SYNC}/students", sync_client) == []


async def test_missing_files_and_things_that_are_not_bundles(
    client: httpx.AsyncClient, sync_client: dict[str, str]
) -> None:
    invalid(await upload(client, b"PK\x03\x04 not really", sync_client), "not_a_zip")
    invalid(await upload(client, b"sourcedId,name\n", sync_client), "not_a_zip")
    invalid(await upload(client, bundle({"orgs.csv": ORGS}), sync_client), "missing_file")
    invalid(
        await upload(client, bundle({"manifest.csv": manifest(orgs="bulk")}), sync_client), "missing_file"
    )
    no_roles = bundle({"manifest.csv": manifest(users="bulk"), "users.csv": USERS})
    invalid(await upload(client, no_roles, sync_client), "missing_roles")
    missing_field = await client.post(f"{SYNC}/oneroster", headers=sync_client)
    assert missing_field.status_code == 422


async def test_a_zip_bomb_is_refused_before_it_inflates(
    client: httpx.AsyncClient, sync_client: dict[str, str]
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("manifest.csv", manifest(orgs="bulk"))
        with archive.open("orgs.csv", "w") as member:
            member.write(ORGS.encode())
            chunk = b"\0" * (1 << 20)
            for _ in range(64):  # 64 MiB of zeros, about 64 KiB compressed
                member.write(chunk)
    body = invalid(await upload(client, buffer.getvalue(), sync_client), "zip_bomb")
    assert "orgs.csv" in body["detail"]


async def test_the_bundle_needs_the_scopes_of_its_files(client: httpx.AsyncClient, tokens: Tokens) -> None:
    referrals = await tokens.client_headers("A", "referrals")
    roster = await tokens.client_headers("A", "roster")
    assert (await upload(client, full_bundle(), referrals)).status_code == 403
    assert (await upload(client, full_bundle(), roster)).status_code == 403  # referrals.csv is in it
    roster_only = full_bundle(
        **{
            "manifest.csv": manifest(
                orgs="bulk", users="bulk", roles="bulk", classes="bulk", enrollments="bulk"
            )
        }
    )
    assert (await upload(client, roster_only, roster)).status_code == 200


def test_the_command_line_import_prints_a_summary(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(full_bundle())
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        assert cli_main(["import-oneroster", str(path), "--district", "District A"]) == 0
        captured = capsys.readouterr()
        assert "users.csv" in captured.err  # the progress bar
        table = captured.out.splitlines()
        assert table[0].split() == [
            "file",
            "mode",
            *["received", "created", "updated", "unchanged", "deleted", "rejected", "skipped", "missing"],
        ]
        assert any(line.split()[:4] == ["users.csv", "bulk", "5", "4"] for line in table), captured.out
        assert "applied" in table[-1]

        path.write_bytes(
            full_bundle(**{"enrollments.csv": ENROLLMENTS + "e-9,,,c-1,a-es,nobody,student,,,\n"})
        )
        assert cli_main(["import-oneroster", str(path), "--district", "District A"]) == 1
        out = capsys.readouterr().out
        assert "enrollments.csv:5 user: No student with sourcedId 'nobody'" in out
        assert "REJECTED" in out
        assert cli_main(["import-oneroster", str(path), "--district", "Nowhere"]) == 2
        assert cli_main(["import-oneroster", str(tmp_path / "none.zip"), "--district", "District A"]) == 2
    finally:
        get_settings.cache_clear()


async def test_a_file_with_refused_lines_archives_nothing(
    client: httpx.AsyncClient, sync_client: dict[str, str]
) -> None:
    await upload(client, full_bundle(), sync_client)
    # s-2's line is broken (too few fields): it may still be in the SIS, so it must not be archived.
    broken = USERS.replace(user_row("s-2", "Yusuf", "Park", grades="03", org="a-es"), "s-2,,,true\n")
    run = (
        await upload(
            client, full_bundle(**{"users.csv": broken}), sync_client, partial="true", archive_missing="true"
        )
    ).json()
    assert run["status"] == "partially_applied"
    users = run["counts"]["users"]
    assert (users["rejected"], users["missing"], users["deleted"]) == (1, 1, 0)
    assert [(e["file"], e["row"], e["code"]) for e in run["errors"]] == [
        ("users.csv", 3, "wrong_field_count")
    ]
    assert len(await list_all(client, f"{SYNC}/students", sync_client)) == 3


async def test_an_unchanged_reimport_touches_no_row(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    """The same bundle twice: the second import writes nothing, not even a row lock (the rows keep their
    change version and no transaction is recorded on them), and counts every record unchanged."""
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    first = await upload(client, full_bundle(), admin)
    assert first.status_code == 200, first.text
    tables = ("student", "person", "section", "enrollment", "behavior_referral", "tier_assignment")
    query = " UNION ALL ".join(
        f"SELECT '{t}', sourced_id, change_version::text, xmin::text, xmax::text FROM {t} WHERE sourced_id IS NOT NULL"  # noqa: S608
        for t in tables
    )
    before = sorted(tuple(r) for r in (await session.execute(text(query))).all())
    await session.rollback()
    again = await upload(client, full_bundle(), admin)
    assert again.status_code == 200, again.text
    counts = again.json()["counts"]
    assert all(c["created"] == c["updated"] == c["deleted"] == 0 for c in counts.values()), counts
    after = sorted(tuple(r) for r in (await session.execute(text(query))).all())
    assert after == before
