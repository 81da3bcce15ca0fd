"""Shared helpers for the SIS sync tests: sync calls and the roster most tests start from."""

from __future__ import annotations

from typing import Any

import httpx

SYNC = "/api/v1/sync"
Json = dict[str, Any]


async def put(
    client: httpx.AsyncClient, entity: str, records: list[Any], headers: dict[str, str], **params: Any
) -> httpx.Response:
    return await client.put(f"{SYNC}/{entity}", json={"records": records}, headers=headers, params=params)


async def put_ok(
    client: httpx.AsyncClient, entity: str, records: list[Any], headers: dict[str, str], **params: Any
) -> Json:
    response = await put(client, entity, records, headers, **params)
    assert response.status_code == 200, response.text
    return response.json()


async def list_all(client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any) -> list[Json]:
    items: list[Json] = []
    cursor = None
    while True:
        query = {"limit": 200, **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(url, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def counts(run: Json) -> dict[str, int]:
    return {k: run[k] for k in ("received", "created", "updated", "unchanged", "deleted", "rejected")}


def students(*sourced_ids: str, school: str = "a-es", grade: str = "03") -> list[Json]:
    return [{"sourcedId": s, "school": school, "grade": grade} for s in sourced_ids]


STAFF = [
    {
        "sourcedId": "t-1",
        "role": "teacher",
        "givenName": "Ana",
        "familyName": "Ruiz",
        "email": "ana@a.example.org",
    },
    {"sourcedId": "t-2", "role": "teacher", "givenName": "Ben", "familyName": "Cole"},
]


# --- OneRoster CSV bundles ---------------------------------------------------------------------------

ORGS = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n" + (
    "dist-a,,,District A,district,,\na-es,,,A Elementary,school,,dist-a\na-ms,,,A Middle,school,,dist-a\n"
)
USERS_HEADER = (
    "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,"
    "identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,resourceSourcedIds,"
    "preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrg,pronouns\n"
)


def user_row(
    sourced_id: str, given: str, family: str, *, grades: str = "", org: str = "", email: str = ""
) -> str:
    return f"{sourced_id},,,true,{given.lower()},,{given},{family},,,{email},,,,{grades},,,,,,,{org},\n"


USERS = USERS_HEADER + (
    user_row("s-1", "Zelda", "Quimby", grades="03", org="a-es", email="zq@family.example")
    + user_row("s-2", "Yusuf", "Park", grades="03", org="a-es")
    + user_row("s-3", "Xia", "Lund", grades="07", org="a-ms")
    + user_row("t-1", "Ana", "Ruiz", email="ana@a.example.org")
    + user_row("p-1", "Paula", "Quimby")
)
ROLES = (
    "sourcedId,status,dateLastModified,roleType,role,userSourcedId,orgSourcedId,userProfileSourcedId,beginDate,endDate\n"
    + (
        "r1,,,primary,student,s-1,a-es,,,\n"
        "r2,,,primary,student,s-2,a-es,,,\n"
        "r3,,,primary,student,s-3,a-ms,,,\n"
        "r4,,,primary,teacher,t-1,a-es,,,\n"
        "r5,,,secondary,teacher,t-1,a-ms,,,\n"
        "r6,,,primary,parent,p-1,a-es,,,\n"
    )
)
CLASSES = (
    "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n"
    + ("c-1,,,Grade 3 Reading,03,crs-1,R3,scheduled,,a-es,term-1,,,\n")
)
ENROLLMENTS = (
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n"
    + (
        "e-1,,,c-1,a-es,t-1,teacher,true,,\n"
        "e-2,,,c-1,a-es,s-1,student,false,2026-08-20,\n"
        "e-3,,,c-1,a-es,s-2,student,false,,\n"
    )
)
COURSES = "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes\ncrs-1,,,y,Reading,R,03,a-es,,\n"
REFERRALS = (
    "sourcedId,status,dateLastModified,studentSourcedId,schoolSourcedId,staffSourcedId,date,category,severity\n"
    + ("ref-1,,,s-1,a-es,t-1,2026-10-02,disruption,minor\n")
)
TIERS = "sourcedId,status,dateLastModified,studentSourcedId,domain,tier,effectiveFrom,effectiveTo\n" + (
    "tier-1,,,s-1,behavior,2,2026-09-01,\n"
)


def manifest(**modes: str) -> str:
    lines = ["propertyName,value", "manifest.version,1.0", "oneroster.version,1.2"]
    lines += [f"file.{name},{mode}" for name, mode in modes.items()]
    lines += ["source.systemName,Test SIS"]
    return "\n".join(lines) + "\n"


def bundle(files: dict[str, str | bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def full_bundle(mode: str = "bulk", **overrides: str | bytes) -> bytes:
    files: dict[str, str | bytes] = {
        "manifest.csv": manifest(
            orgs=mode,
            users=mode,
            roles=mode,
            classes=mode,
            enrollments=mode,
            courses=mode,
            academicSessions="absent",
            referrals=mode,
            tierAssignments=mode,
        ),
        "orgs.csv": ORGS,
        "users.csv": USERS,
        "roles.csv": ROLES,
        "classes.csv": CLASSES,
        "enrollments.csv": ENROLLMENTS,
        "courses.csv": COURSES,
        "referrals.csv": REFERRALS,
        "tierAssignments.csv": TIERS,
    }
    files.update(overrides)
    return bundle(files)


async def upload(
    client: httpx.AsyncClient, content: bytes, headers: dict[str, str], **params: Any
) -> httpx.Response:
    return await client.post(
        f"{SYNC}/oneroster",
        files={"bundle": ("bundle.zip", content, "application/zip")},
        headers=headers,
        params=params,
    )
