"""Families' languages: preferred languages (BCP 47, validated), translations entered by people and
stored with the text, every reader served their language where it exists with the original beside it,
and the languages an initiative heard from."""

from __future__ import annotations

import httpx
import pytest
from strawberry import relay

from app.identity.models import Role
from tests.conftest import GraphQLClient, Tokens, World
from tests.engagement.test_rest import (
    ACTIVITIES,
    API,
    INPUTS,
    add_input,
    held_activity,
    participate,
)
from tests.initiatives.test_rest import create_initiative, create_stakeholder, place
from tests.practice.helpers import monitoring_client


@pytest.fixture
async def leader(client: httpx.AsyncClient, tokens: Tokens) -> httpx.AsyncClient:
    """The HTTP client, signed in as district A's district leader."""
    client.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    return client


async def test_preferred_languages_are_bcp47_and_stored_canonical(
    client: httpx.AsyncClient, tokens: Tokens, leader: httpx.AsyncClient
) -> None:
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    response = await client.post(
        f"{API}/people",
        json={"display_name": "Lan", "kind": "family", "preferred_language": "vi-vn"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    assert response.json()["preferred_language"] == "vi-VN"
    for bad in ("vietnamese!", "e", "es--MX", "x"):
        response = await client.post(
            f"{API}/people",
            json={"display_name": "Lan", "kind": "family", "preferred_language": bad},
            headers=admin,
        )
        assert response.status_code == 422, bad
        assert "preferred_language" in str(response.json()["errors"]), bad
    made = await create_stakeholder(leader, "Familias Unidas", is_group=True, preferred_language="ES")
    assert made["preferred_language"] == "es"


async def test_activities_and_answers_come_in_the_readers_language_with_the_original(
    client: httpx.AsyncClient, tokens: Tokens, world: World, leader: httpx.AsyncClient
) -> None:
    initiative = await create_initiative(leader, published=True)
    activity = await held_activity(
        leader,
        initiative_id=initiative["id"],
        summary="We talked about reading nights.",
        invitation="Come to the library on Thursday at 6.",
    )
    url = f"{ACTIVITIES}/{activity['id']}/translations/es-mx"
    response = await leader.put(
        url,
        json={
            "title": "Sesión de diseño de noches de lectura",
            "invitation": "Venga a la biblioteca el jueves a las 6.",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"] == "es-MX"
    assert body["invitation"] == "Venga a la biblioteca el jueves a las 6."
    assert body["original"]["invitation"] == "Come to the library on Thursday at 6."
    assert body["summary"] == "We talked about reading nights."  # not translated: the original stays
    leader_person = {n["entered_by_person_id"] for n in body["translated"]}
    assert len(leader_person) == 1
    assert {(n["language"], n["field"]) for n in body["translated"]} == {
        ("es-MX", "title"),
        ("es-MX", "invitation"),
    }

    # A reader asking for Spanish gets it (es finds es-MX); French, or nothing, gets the original.
    read = await leader.get(
        f"{ACTIVITIES}/{activity['id']}", headers={"Accept-Language": "fr;q=0.9, es;q=0.8"}
    )
    assert read.json()["title"] == "Sesión de diseño de noches de lectura"
    assert read.headers["vary"] == "Accept-Language"
    plain = (await leader.get(f"{ACTIVITIES}/{activity['id']}", headers={"Accept-Language": "fr"})).json()
    assert (plain["title"], plain["language"], plain["original"]) == (
        "Reading nights design session",
        None,
        None,
    )
    listed = await leader.get(
        ACTIVITIES, headers={"Accept-Language": "es"}, params={"initiative_id": initiative["id"]}
    )
    assert listed.json()["items"][0]["language"] == "es-MX"

    # "You said, we did": the answer in the reader's language, the original beside it.
    family = await create_stakeholder(leader, "Rivera family", preferred_language="es")
    await place(leader, initiative["id"], family["id"])
    participation = await participate(leader, activity["id"], stakeholder_id=family["id"])
    said = await add_input(leader, activity["id"], participation["id"], text="Hold them on Saturdays.")
    answered = await leader.patch(
        f"{INPUTS}/{said['id']}",
        json={"disposition": "adopted", "response": "From January, reading nights are on Saturdays."},
        headers={"If-Match": '"1"'},
    )
    assert answered.status_code == 200, answered.text
    response = await leader.put(
        f"{INPUTS}/{said['id']}/translations/es",
        json={
            "text": "Háganlas los sábados.",
            "response": "Desde enero, las noches de lectura son los sábados.",
        },
    )
    assert response.status_code == 200, response.text
    report = (
        await leader.get(
            f"{API}/initiatives/{initiative['id']}/you-said-we-did", headers={"Accept-Language": "es"}
        )
    ).json()
    (reported,) = report["groups"][0]["inputs"]
    assert reported["response"] == "Desde enero, las noches de lectura son los sábados."
    assert reported["original"]["response"] == "From January, reading nights are on Saturdays."
    assert reported["activity_title"] == "Sesión de diseño de noches de lectura"
    # Without a header, a reader gets their own preferred language.
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    me = (await client.get(f"{API}/users/{world.user('A', Role.COMMUNITY_MEMBER)[0]}", headers=admin)).json()
    person = (await client.get(f"{API}/people/{me['person_id']}", headers=admin)).json()
    updated = await client.patch(
        f"{API}/people/{me['person_id']}",
        json={"preferred_language": "es"},
        headers={**admin, "If-Match": f'"{person["version"]}"'},
    )
    assert updated.status_code == 200, updated.text
    community = await tokens.headers("A", Role.COMMUNITY_MEMBER)
    report = (
        await client.get(f"{API}/initiatives/{initiative['id']}/you-said-we-did", headers=community)
    ).json()
    assert report["groups"][0]["inputs"][0]["language"] == "es"

    # Representation names the languages heard from.
    held = await leader.get(f"{API}/initiatives/{initiative['id']}/representation")
    assert held.json()["languages_heard"] == ["es"]


async def test_translations_are_peoples_and_only_for_those_who_run_the_activity(
    client: httpx.AsyncClient, tokens: Tokens, leader: httpx.AsyncClient
) -> None:
    activity = await held_activity(leader)
    url = f"{ACTIVITIES}/{activity['id']}/translations/es"
    machine = await monitoring_client(client, tokens)
    assert (await client.put(url, json={"title": "x"}, headers=machine)).status_code == 403
    teacher = await tokens.headers("A", Role.TEACHER)
    assert (await client.put(url, json={"title": "x"}, headers=teacher)).status_code in (403, 404)
    response = await leader.put(f"{ACTIVITIES}/{activity['id']}/translations/not a tag!", json={"title": "x"})
    assert response.status_code == 422
    response = await leader.put(url, json={"summary": "Resumen"})  # no original summary
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "no_original"
    assert (await leader.put(url, json={"title": "Sesión"})).status_code == 200
    # The original changes: the translation stays, marked outdated.
    current = (await leader.get(f"{ACTIVITIES}/{activity['id']}")).json()
    await leader.patch(
        f"{ACTIVITIES}/{activity['id']}",
        json={"title": "Reading nights, take two"},
        headers={"If-Match": f'"{current["version"]}"'},
    )
    again = (await leader.get(f"{ACTIVITIES}/{activity['id']}")).json()
    assert again["translated"][0]["outdated"] is True
    assert (await leader.delete(url)).status_code == 204
    assert (await leader.delete(url)).status_code == 404


async def test_graphql_serves_the_readers_language_beside_the_original(
    client: httpx.AsyncClient, tokens: Tokens, gql: GraphQLClient
) -> None:
    gql.headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    client.headers.update(gql.headers)
    initiative = await create_initiative(client, published=True)
    activity = await held_activity(client, initiative_id=initiative["id"], invitation="Come on Thursday.")
    activity_gid = str(relay.GlobalID("Activity", activity["id"]))
    data = await gql(
        """mutation($id: ID!) { translateActivity(input: {activityId: $id, language: "vi", invitation: "Mời đến vào thứ Năm."}) {
        activity { invitation translated { language field outdated } } userErrors { code } } }""",
        {"id": activity_gid},
    )
    translated = data["translateActivity"]["activity"]
    assert translated["invitation"] == "Come on Thursday."
    assert translated["translated"] == [{"language": "vi", "field": "invitation", "outdated": False}]
    query = """query($id: ID!) { activity(id: $id) { invitation
      asked: localized(language: "vi") { language invitation title }
      byHeader: localized { language invitation } } }"""
    data = await gql(query, {"id": activity_gid})
    assert data["activity"]["asked"]["invitation"] == "Mời đến vào thứ Năm."
    assert data["activity"]["byHeader"] == {"language": None, "invitation": "Come on Thursday."}
    gql.headers = {**gql.headers, "Accept-Language": "vi"}
    data = await gql(query, {"id": activity_gid})
    assert data["activity"]["byHeader"]["language"] == "vi"
    assert data["activity"]["invitation"] == "Come on Thursday."  # the original beside it
    body = await gql.raw(
        """mutation($id: ID!) { translateActivity(input: {activityId: $id, language: "nope nope", title: "x"}) {
        userErrors { code } } }""",
        {"id": activity_gid},
    )
    assert body["data"]["translateActivity"]["userErrors"][0]["code"] == "language_tag"


async def test_graphql_you_said_we_did_takes_a_language(
    client: httpx.AsyncClient, tokens: Tokens, gql: GraphQLClient
) -> None:
    client.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    gql.headers = dict(client.headers)
    initiative = await create_initiative(client, published=True)
    activity = await held_activity(client, initiative_id=initiative["id"])
    family = await create_stakeholder(client, "Nguyen family", preferred_language="vi")
    participation = await participate(client, activity["id"], stakeholder_id=family["id"])
    said = await add_input(client, activity["id"], participation["id"])
    data = await gql(
        """mutation($id: ID!) { translateInput(input: {inputId: $id, language: "vi", text: "Tổ chức vào thứ Bảy."}) {
        input { text localized(language: "vi") { language text } } userErrors { code } } }""",
        {"id": str(relay.GlobalID("Input", said["id"]))},
    )
    assert data["translateInput"]["input"]["localized"] == {"language": "vi", "text": "Tổ chức vào thứ Bảy."}
    data = await gql(
        """query($id: ID!) { youSaidWeDid(initiativeId: $id, language: "vi") { groups { inputs {
        text language original { text } } } }
        representation(initiativeId: $id) { languagesHeard } }""",
        {"id": str(relay.GlobalID("Initiative", initiative["id"]))},
    )
    (reported,) = data["youSaidWeDid"]["groups"][0]["inputs"]
    assert reported == {
        "text": "Tổ chức vào thứ Bảy.",
        "language": "vi",
        "original": {"text": "Hold them on Saturdays."},
    }
    assert data["representation"]["languagesHeard"] == ["vi"]
