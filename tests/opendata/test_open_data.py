"""Open data: off until a district opts in; then only what it published, as HTML, JSON, CSV and a
Data Package that validates; cacheable; rate limited in PostgreSQL; and a walk over every public file
and page that finds no private field, unreleased figure or non-consenting name."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import frictionless
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.core.errors import RateLimited
from app.identity.models import Role
from app.opendata import service
from app.opendata.bundle import write_bundle
from tests.conftest import GraphQLClient, Tokens, World, count_statements
from tests.engagement.test_rest import add_input, create_activity, participate
from tests.initiatives.test_rest import create_initiative, create_stakeholder
from tests.plans.test_rest import approved_plan, school_plan, update_plan
from tests.sis.helpers import put_ok
from tests.sis.test_analytics import OCTOBER, school  # noqa: F401  (the fixture)

API = "/api/v1"
Json = dict[str, Any]


async def publish(client: httpx.AsyncClient, slug: str = "district-a", **fields: Any) -> Json:
    response = await client.put(
        f"{API}/open-data-settings",
        json={"enabled": True, "slug": slug, "contact": "data@a.example", **fields},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def walk(client: httpx.AsyncClient, slug: str) -> dict[str, bytes]:
    """Every public file and page of the district: the page, each initiative page it links to, the
    descriptor and every resource it names, as CSV and as JSON."""
    base = f"/open-data/{slug}/"
    seen: dict[str, bytes] = {}

    async def get(path: str) -> bytes:
        response = await client.get(path, headers={"Authorization": ""})
        assert response.status_code == 200, (path, response.text)
        seen[path] = response.content
        return response.content

    page = await get(base)
    for link in re.findall(rb'href="(initiatives/[0-9a-f-]+)"', page):
        await get(base + link.decode())
    descriptor = json.loads(await get(base + "datapackage.json"))
    for resource in descriptor["resources"]:
        await get(base + resource["path"])
        await get(base + resource["path"].replace(".csv", ".json"))
    return seen


@pytest.fixture
async def published_world(
    admin: httpx.AsyncClient,
    tokens: Tokens,
    world: World,
    school: str,  # noqa: F811
) -> Json:
    """District A with public and private work side by side, and one released behaviour period."""
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    public = await create_initiative(admin, title="Readers by grade 3", published=True)
    hidden = await create_initiative(admin, title="Quiet restructuring of A High")
    response = await admin.post(
        f"{API}/initiatives/{public['id']}/measures",
        json={
            "name": "Grade 3 readers",
            "unit": "% of students",
            "direction": "increase",
            "target_value": 70,
        },
    )
    assert response.status_code == 201, response.text
    activity = await create_activity(
        admin, initiative_id=public["id"], status="held", published=True, title="Listening session"
    )
    carla = await create_stakeholder(admin, "Consenting Carla")
    pete = await create_stakeholder(admin, "Private Pete")
    named = await participate(admin, activity["id"], stakeholder_id=carla["id"], may_be_named=True)
    unnamed = await participate(admin, activity["id"], stakeholder_id=pete["id"])
    await add_input(admin, activity["id"], named["id"], text="Open the library on Saturdays.")
    await add_input(admin, activity["id"], unnamed["id"], text="Tutors for my son please.")
    closed = await create_activity(admin, initiative_id=public["id"], status="held", title="Closed meeting")
    inside = await participate(admin, closed["id"], stakeholder_id=carla["id"], may_be_named=True)
    await add_input(admin, closed["id"], inside["id"], text="Unpublished remark about budgets.")
    hidden_activity = await create_activity(admin, initiative_id=hidden["id"], status="held", published=True)
    hp = await participate(admin, hidden_activity["id"], stakeholder_id=carla["id"], may_be_named=True)
    await add_input(admin, hidden_activity["id"], hp["id"], text="Remark on the quiet restructuring.")
    plan, _ = await approved_plan(admin, tokens, world)
    plan = await update_plan(admin, plan, leader, published=True)
    await school_plan(admin, world, title="Draft plan nobody approved")
    response = await admin.post(f"{API}/releases", json=OCTOBER)
    assert response.status_code == 201, response.text
    # November's referrals are never released: no figure of them may appear.
    await put_ok(
        admin,
        "referrals",
        [
            {
                "sourcedId": f"nov-{i}",
                "student": "s-16",
                "school": "a-es",
                "staff": "t-2",
                "date": "2026-11-02",
                "category": "vandalism",
                "severity": "major",
            }
            for i in range(3)
        ],
        await tokens.headers("A", Role.DISTRICT_ADMIN),
    )
    return {"public": public, "plan": plan, "release": response.json()}


async def test_nothing_is_public_until_the_district_opts_in(admin: httpx.AsyncClient, tokens: Tokens) -> None:
    assert (await admin.get("/open-data/district-a/")).status_code == 404
    assert (await admin.get(f"{API}/open-data-settings")).status_code == 404
    await publish(admin)
    assert (await admin.get("/open-data/district-a/")).status_code == 200
    # Only admins choose; another district cannot take the path.
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    body = {"enabled": True, "slug": "mine"}
    assert (await admin.put(f"{API}/open-data-settings", json=body, headers=leader)).status_code == 403
    b_admin = await tokens.headers("B", Role.DISTRICT_ADMIN)
    body = {"enabled": True, "slug": "district-a"}
    assert (await admin.put(f"{API}/open-data-settings", json=body, headers=b_admin)).status_code == 409
    await publish(admin, enabled=False)
    assert (await admin.get("/open-data/district-a/datapackage.json")).status_code == 404


async def test_every_public_file_and_page_holds_only_what_was_published(
    admin: httpx.AsyncClient, published_world: Json, world: World
) -> None:
    await publish(admin)
    files = await walk(admin, "district-a")
    everything = b"\n".join(files.values()).decode()
    # What was published is there: the test would see a leak where it looks.
    for shown in (
        "Readers by grade 3",
        "Open the library on Saturdays.",
        "Consenting Carla",
        "Tutors for my son please.",
        "Grade 3 readers",
        published_world["plan"]["title"],
    ):
        assert shown in everything, shown
    # What was not: unpublished work, non-consenting names, people, private fields, secrets.
    for hidden in (
        "Quiet restructuring",
        "Unpublished remark",
        "Remark on the quiet",
        "Closed meeting",
        "Draft plan nobody approved",
        "Private Pete",
        "Ruiz",
        "Cole",
        "t-1",
        "t-2",
        "s-0",
        "a.example.org",
        "basis",
        "person_id",
        "secret",
        "password",
        "vandalism",
        "display_name",
        "sourced_id",
        "relative_to_school",
    ):
        assert hidden not in everything, hidden
    for user_id, _ in world.districts["A"].users.values():
        assert str(user_id) not in everything
    # Released figures are exactly the release's, suppressed cells empty; no other period.
    figures = json.loads(files["/open-data/district-a/released_figures.json"])
    assert figures
    assert {f["release_id"] for f in figures} == {published_world["release"]["id"]}
    assert all(f["value"] is None for f in figures if f["suppressed"])
    assert any(f["value"] is not None for f in figures)
    assert {f["school"] for f in figures} == {"District A", "A Elementary"}
    # Pages are for phones, cacheable, in the district's language.
    page = files["/open-data/district-a/"].decode()
    assert 'name="viewport"' in page
    assert '<html lang="en">' in page


async def test_the_bundle_validates_as_a_data_package(
    app: FastAPI, admin: httpx.AsyncClient, published_world: Json, tmp_path: Path
) -> None:
    await publish(admin)
    written = await write_bundle(app.state.session_factory, app.state.settings, "district a", tmp_path)
    assert {p.name for p in written} == {"datapackage.json", *(f"{t}.csv" for t in service.TABLES)}
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert descriptor["sources"]
    everything = b"".join(p.read_bytes() for p in written).decode()
    assert "Private Pete" not in everything
    assert "Consenting Carla" in everything


async def test_pages_carry_an_etag_and_cache_control(admin: httpx.AsyncClient, published_world: Json) -> None:
    await publish(admin, languages=["en", "es"])
    first = await admin.get("/open-data/district-a/")
    assert first.headers["cache-control"].startswith("public, max-age=")
    again = await admin.get("/open-data/district-a/", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    spanish = await admin.get("/open-data/district-a/", params={"lang": "es"})
    assert '<html lang="es">' in spanish.text
    assert spanish.headers["content-language"] == "es"
    assert (await admin.get("/open-data/district-a/", params={"lang": "fr"})).status_code == 422
    page = await admin.get(f"/open-data/district-a/initiatives/{published_world['public']['id']}")
    assert page.status_code == 200
    assert "Open the library on Saturdays." in page.text
    assert (await admin.get("/open-data/district-a/nothing.csv")).status_code == 404


async def test_requests_are_limited_per_address_with_the_count_in_postgresql(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    await publish(admin)
    limit = app.state.settings.open_data_requests_per_minute
    # Another worker's requests: the count lives in the database, so this process sees them.
    async with app.state.session_factory() as session:
        await session.execute(
            text("INSERT INTO open_data_rate VALUES ('127.0.0.1', now(), :n)"), {"n": limit - 1}
        )
        await session.commit()
    assert (await admin.get("/open-data/district-a/")).status_code == 200
    response = await admin.get("/open-data/district-a/")
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == "60"
    assert (
        await admin.get("/open-data/district-a/", headers={"x-forwarded-for": "10.9.9.9"})
    ).status_code == 429
    async with app.state.session_factory() as session:
        await service.check_rate(session, "192.0.2.7", 2)
        await service.check_rate(session, "192.0.2.7", 2)
        with pytest.raises(RateLimited):
            await service.check_rate(session, "192.0.2.7", 2)
        await session.rollback()


async def test_a_page_costs_the_same_statements_however_much_is_published(
    app: FastAPI, admin: httpx.AsyncClient, published_world: Json
) -> None:
    await publish(admin)

    async def statements() -> int:
        with count_statements(app) as counter:
            assert (await admin.get("/open-data/district-a/you_said_we_did.json")).status_code == 200
        return counter.count

    before = await statements()
    for n in range(3):
        more = await create_initiative(admin, title=f"More {n}", published=True)
        activity = await create_activity(admin, initiative_id=more["id"], status="held", published=True)
        said = await participate(
            admin, activity["id"], stakeholder_id=(await create_stakeholder(admin, f"Group {n}"))["id"]
        )
        await add_input(admin, activity["id"], said["id"], text=f"Idea {n}")
    assert await statements() == before


async def test_admins_opt_in_over_graphql_too(
    gql: GraphQLClient, tokens: Tokens, client: httpx.AsyncClient
) -> None:
    gql.headers = await tokens.headers("A", Role.DISTRICT_ADMIN)
    assert (await gql("{ openDataSetting { slug } }"))["openDataSetting"] is None
    set_it = """mutation($input: SetOpenDataSettingInput!) {
      setOpenDataSetting(input: $input) { setting { enabled slug licence languages } userErrors { field code } }
    }"""
    made = await gql(set_it, {"input": {"enabled": True, "slug": "district-a", "languages": ["en", "es"]}})
    assert made["setOpenDataSetting"] == {
        "setting": {"enabled": True, "slug": "district-a", "licence": "CC-BY-4.0", "languages": ["en", "es"]},
        "userErrors": [],
    }
    assert (await client.get("/open-data/district-a/")).status_code == 200
    bad = await gql(set_it, {"input": {"enabled": True, "slug": "Not A Slug"}})
    assert bad["setOpenDataSetting"]["userErrors"][0]["field"] == ["input", "slug"]
    gql.headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    refused = await gql(set_it, {"input": {"enabled": False, "slug": "district-a"}})
    assert refused["setOpenDataSetting"]["userErrors"][0]["code"] == "forbidden"


async def test_no_public_csv_cell_is_a_spreadsheet_formula(admin: httpx.AsyncClient, tokens: Tokens) -> None:
    """Someone's words, published word for word, must not run as a formula when a reader opens the CSV
    in a spreadsheet (CSV injection): a text cell that would start one begins with an apostrophe. The
    JSON file keeps the words exactly, and numbers and ordinary text are untouched."""
    await publish(admin)
    formulas = ['=HYPERLINK("http://evil.example","Click")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|'/c calc'!A0"]
    initiative = await create_initiative(
        admin, title=formulas[0], public_value="Plain words.", beneficiaries=formulas[1], published=True
    )
    response = await admin.post(
        f"{API}/initiatives/{initiative['id']}/measures",
        json={"name": formulas[2], "unit": "points", "direction": "decrease", "target_value": -5},
    )
    assert response.status_code == 201, response.text
    activity = await create_activity(admin, initiative_id=initiative["id"], status="held", published=True)
    someone = await create_stakeholder(admin, "Someone")
    said = await participate(admin, activity["id"], stakeholder_id=someone["id"])
    for words in formulas[3:]:
        await add_input(admin, activity["id"], said["id"], text=words)

    def cells(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(files[name].decode())))

    files = {
        name: (await admin.get(f"/open-data/district-a/{name}", headers={"Authorization": ""})).content
        for name in ("initiatives.csv", "indicators.csv", "you_said_we_did.csv", "you_said_we_did.json")
    }
    (published,) = cells("initiatives.csv")
    assert (published["title"], published["beneficiaries"]) == (f"'{formulas[0]}", "'+1+1")
    assert published["public_value"] == "Plain words."
    (measure,) = cells("indicators.csv")
    assert (measure["name"], measure["target_value"]) == ("'-2+3", "-5.0")
    as_csv = sorted(row["you_said"] for row in cells("you_said_we_did.csv"))
    as_json = sorted(row["you_said"] for row in json.loads(files["you_said_we_did.json"]))
    assert (as_csv, as_json) == (sorted(f"'{words}" for words in formulas[3:]), sorted(formulas[3:]))
