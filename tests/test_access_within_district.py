"""Access inside one district, tried as an attacker would (OWASP API Security Top 10, 2023): objects
of a colleague or of another school (API1), fields a role may not set (API3), functions a role or
scope may not call (API5), and tokens whose grant has changed since they were issued.

tests/test_authorization.py is the matrix of who may do what to the World's rows; this module holds
the attacks that the matrix cannot express: a sequence of legitimate calls that ends somewhere the
policy says no one may be.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from strawberry import relay

from app.identity.models import Role
from tests.conftest import ANY_VERSION, TEST_PASSWORD, Tokens, World
from tests.practice.helpers import API, admin_headers, get, make_staff, post
from tests.sis.helpers import put_ok

PERIOD = "2026-27"


async def _practice(client: httpx.AsyncClient, tokens: Tokens) -> str:
    made = await post(client, "/practices", {"name": "Turn and talk"}, await admin_headers(tokens))
    return str(made["id"])


async def _login_for(client: httpx.AsyncClient, tokens: Tokens, person_id: str) -> httpx.Response:
    """A district admin makes a login for an existing person, with a password the admin knows."""
    body = {
        "email": "new.login@a.example.org",
        "password": TEST_PASSWORD,
        "person_id": person_id,
        "roles": [],
    }
    return await client.post(f"{API}/users", json=body, headers=await admin_headers(tokens))


def gid(type_name: str, row_id: object) -> str:
    return str(relay.GlobalID(type_name, str(row_id)))


def _refused_as_private(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert [e["code"] for e in response.json()["errors"]] == ["private_history"]


# --- API1: a login made for a person inherits what was shared with that person ----------------------


async def test_an_admin_cannot_make_a_login_for_someone_a_teacher_shared_results_with(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """A teacher shares their student feedback with a mentor the district knows as a person without a
    login. A district admin, who reads no teacher's results, makes a login for that person with a
    password of the admin's choosing, and would read the results as the mentor."""
    teacher = await make_staff(client, tokens, world)
    recorded = await post(
        client,
        "/feedback-results",
        {"measure": "belonging", "period": "2026-fall", "favourable_share": "0.4", "respondents": 25},
        teacher.headers,
    )
    mentor = await post(
        client, "/people", {"display_name": "Mentor", "kind": "staff"}, await admin_headers(tokens)
    )
    await post(client, "/feedback-shares", {"person_id": mentor["id"]}, teacher.headers)

    made = await _login_for(client, tokens, mentor["id"])
    _refused_as_private(made)
    # Nothing was made: the mentor's results stay out of anyone's reach but the teacher's.
    signed_in = await client.post(
        f"{API}/auth/token",
        data={"grant_type": "password", "username": "new.login@a.example.org", "password": TEST_PASSWORD},
    )
    assert signed_in.status_code == 400
    admin = await admin_headers(tokens)
    assert (await client.get(f"{API}/feedback-results/{recorded['id']}", headers=admin)).status_code == 404


async def test_an_admin_cannot_make_a_login_for_someone_a_teacher_shared_a_coaching_cycle_with(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    coach = await make_staff(client, tokens, world, Role.COACH)
    teacher = await make_staff(client, tokens, world)
    body = {
        "school_id": str(world.school_ids("A")[0]),
        "practice_id": await _practice(client, tokens),
        "period": PERIOD,
        "teacher_person_id": teacher.person_id,
        "goal": "Every student talks about the text twice a lesson.",
    }
    started = await post(client, "/coaching-cycles", body, coach.headers)
    mentor = await post(
        client, "/people", {"display_name": "Mentor", "kind": "staff"}, await admin_headers(tokens)
    )
    await post(
        client, f"/coaching-cycles/{started['id']}/shares", {"person_id": mentor["id"]}, teacher.headers
    )

    _refused_as_private(await _login_for(client, tokens, mentor["id"]))


async def test_an_admin_cannot_make_a_login_for_a_rostered_teacher_in_a_coaching_cycle(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """A coach starts a cycle with a teacher the SIS rosters (a teacher of the school without a login
    yet). The admin making that teacher's login would read the cycle as the teacher; it is the
    teacher's own to claim, as their feedback results and observations are."""
    admin = await admin_headers(tokens)
    await put_ok(
        client,
        "staff",
        [{"sourcedId": "t-1", "role": "teacher", "givenName": "Ana", "familyName": "Ruiz"}],
        admin,
    )
    await put_ok(client, "classes", [{"sourcedId": "c-1", "title": "3A", "school": "a-es"}], admin)
    await put_ok(
        client,
        "enrollments",
        [{"sourcedId": "e-t1", "class": "c-1", "user": "t-1", "role": "teacher"}],
        admin,
    )
    people = (await get(client, "/people", admin, limit=200))["items"]
    (rostered,) = [p["id"] for p in people if p["sourced_id"] == "t-1"]
    coach = await make_staff(client, tokens, world, Role.COACH)
    body = {
        "school_id": str(world.school_ids("A")[0]),
        "practice_id": await _practice(client, tokens),
        "period": PERIOD,
        "teacher_person_id": rostered,
        "goal": "Exit tickets every lesson.",
    }
    await post(client, "/coaching-cycles", body, coach.headers)

    _refused_as_private(await _login_for(client, tokens, rostered))


# --- separation of duties ---------------------------------------------------------------------------


async def _school_plan_in_review(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """A school plan its school leader leads, with the teacher as co-author, sent to review by the
    teacher. Returns the plan, the school leader's headers and the leader's collaborator row."""
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    admin = await admin_headers(tokens)
    # The district asks for no co-creation before review: separation of duties is what is tried here.
    district = f"{API}/districts/{world.district_id('A')}"
    settings = {"plan_min_co_creation": 0, "school_plan_voices": [], "district_plan_voices": []}
    response = await client.patch(district, json=settings, headers=admin | ANY_VERSION)
    assert response.status_code == 200, response.text
    plan = await post(
        client,
        "/plans",
        {"cycle": PERIOD, "title": "Reading", "school_id": str(world.school_ids("A")[0])},
        leader,
    )
    teacher_person = (await get(client, "/me", await tokens.headers("A", Role.TEACHER)))["person_id"]
    await post(
        client,
        f"/plans/{plan['id']}/collaborators",
        {"person_id": teacher_person, "role": "co_author"},
        leader,
    )
    goal = {"statement": "S", "indicator": {"name": "N", "unit": "u", "direction": "increase"}}
    await post(client, f"/plans/{plan['id']}/goals", goal, leader)
    teacher = await tokens.headers("A", Role.TEACHER)
    submitted = await client.patch(
        f"{API}/plans/{plan['id']}", json={"status": "in_review"}, headers=teacher | ANY_VERSION
    )
    assert submitted.status_code == 200, submitted.text
    collaborators = (await get(client, f"/plans/{plan['id']}/collaborators", leader))["items"]
    (mine,) = [c for c in collaborators if c["role"] == "lead"]
    return plan, leader, mine


async def test_a_lead_who_steps_down_during_review_does_not_approve_their_plan(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """The school leader leads the plan; the co-author sends it to review; the leader steps down to
    co-author and approves it alone. Separation of duties refuses either step."""
    plan, leader, mine = await _school_plan_in_review(client, tokens, world)
    url = f"{API}/plans/{plan['id']}"
    refused = await client.patch(url, json={"status": "approved"}, headers=leader | ANY_VERSION)
    assert refused.status_code == 403
    assert refused.json()["reason"] == "separation_of_duties"

    stepped_down = await client.patch(
        f"{API}/plan-collaborators/{mine['id']}", json={"role": "co_author"}, headers=leader | ANY_VERSION
    )
    assert stepped_down.status_code == 200, stepped_down.text
    approved = await client.patch(url, json={"status": "approved"}, headers=leader | ANY_VERSION)
    assert approved.status_code == 403, approved.text
    assert approved.json()["reason"] == "separation_of_duties"
    assert (await get(client, f"/plans/{plan['id']}", leader))["status"] == "in_review"


async def test_a_lead_who_leaves_the_plan_during_review_does_not_approve_it(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan, leader, mine = await _school_plan_in_review(client, tokens, world)
    left = await client.delete(f"{API}/plan-collaborators/{mine['id']}", headers=leader)
    assert left.status_code == 204, left.text
    approved = await client.patch(
        f"{API}/plans/{plan['id']}", json={"status": "approved"}, headers=leader | ANY_VERSION
    )
    assert approved.status_code == 403, approved.text
    assert approved.json()["reason"] == "separation_of_duties"


# --- a role taken away ------------------------------------------------------------------------------


async def test_a_lead_whose_role_was_taken_away_no_longer_decides_for_the_plan(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """A teacher leads their school's plan, then leaves the school: the admin takes the teacher role
    away. Their tokens end (tests/auth); signed in again, with no role, they still read the plan they
    collaborated on, but decide nothing for it — as a co-author who lost the role edits nothing."""
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    admin = await admin_headers(tokens)
    email = "leaving.teacher@a.example.org"
    body = {
        "email": email,
        "password": TEST_PASSWORD,
        "display_name": "Leaving teacher",
        "roles": [{"role": "teacher", "school_id": str(world.school_ids("A")[0])}],
    }
    teacher = await post(client, "/users", body, admin)
    plan = await post(
        client,
        "/plans",
        {"cycle": PERIOD, "title": "Reading", "school_id": str(world.school_ids("A")[0])},
        leader,
    )
    (mine,) = (await get(client, f"/plans/{plan['id']}/collaborators", leader))["items"]
    response = await client.delete(f"{API}/plan-collaborators/{mine['id']}", headers=leader)
    assert response.status_code == 204, response.text
    await post(
        client,
        f"/plans/{plan['id']}/collaborators",
        {"person_id": teacher["person_id"], "role": "lead"},
        leader,
    )
    (grant,) = (await get(client, "/role-assignments", admin, user_id=teacher["id"]))["items"]
    response = await client.delete(f"{API}/role-assignments/{grant['id']}", headers=admin)
    assert response.status_code == 204, response.text
    me = await client.post(
        f"{API}/auth/token",
        data={"grant_type": "password", "username": email, "password": TEST_PASSWORD},
    )
    assert me.status_code == 200, me.text
    former = {"Authorization": f"Bearer {me.json()['access_token']}"}

    assert (await client.get(f"{API}/plans/{plan['id']}", headers=former)).status_code == 200
    outsider = await post(client, "/people", {"display_name": "Friend", "kind": "community_member"}, admin)
    invited = await client.post(
        f"{API}/plans/{plan['id']}/collaborators",
        json={"person_id": outsider["id"], "role": "co_author"},
        headers=former,
    )
    assert invited.status_code == 403, invited.text
    renamed = await client.patch(
        f"{API}/plans/{plan['id']}", json={"title": "Mine"}, headers=former | ANY_VERSION
    )
    assert renamed.status_code == 403, renamed.text


async def test_a_coach_who_is_no_longer_a_coach_no_longer_reads_the_teachers_cycle(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """A coaching cycle is the teacher's and their coach's. The coach becomes the school's principal
    (the coach role taken away, a school leader role granted): signed in again, they would read the
    teacher's goal and reflection as the principal who evaluates them. The cycle stays the teacher's;
    its coach reads and changes it while they coach at the school."""
    admin = await admin_headers(tokens)
    school = str(world.school_ids("A")[0])
    email = "coach.to.principal@a.example.org"
    body = {
        "email": email,
        "password": TEST_PASSWORD,
        "display_name": "Coach, then principal",
        "roles": [{"role": "coach", "school_id": school}],
    }
    coach = await post(client, "/users", body, admin)
    coach_headers = {"Authorization": f"Bearer {await tokens.password_grant(email, TEST_PASSWORD)}"}
    teacher = await make_staff(client, tokens, world)
    started = await post(
        client,
        "/coaching-cycles",
        {
            "school_id": school,
            "practice_id": await _practice(client, tokens),
            "period": PERIOD,
            "teacher_person_id": teacher.person_id,
            "goal": "Every student talks about the text twice a lesson.",
        },
        coach_headers,
    )
    reflected = await client.patch(
        f"{API}/coaching-cycles/{started['id']}",
        json={"goal_agreed": True, "reflection": "I rush the pairs."},
        headers=teacher.headers | ANY_VERSION,
    )
    assert reflected.status_code == 200, reflected.text

    soon = datetime.now(UTC) + timedelta(days=1)
    session = {
        "kind": "observe",
        "starts_at": soon.isoformat(),
        "ends_at": (soon + timedelta(hours=1)).isoformat(),
    }
    await post(client, f"/coaching-cycles/{started['id']}/sessions", session, teacher.headers)
    agenda = await get(client, "/me/agenda", coach_headers)
    assert [item["kind"] for item in agenda["items"]] == ["coaching_session"]

    (grant,) = (await get(client, "/role-assignments", admin, user_id=coach["id"]))["items"]
    response = await client.delete(f"{API}/role-assignments/{grant['id']}", headers=admin)
    assert response.status_code == 204, response.text
    await post(
        client,
        "/role-assignments",
        {"user_id": coach["id"], "role": "school_leader", "school_id": school},
        admin,
    )
    principal = {"Authorization": f"Bearer {await tokens.password_grant(email, TEST_PASSWORD)}"}

    url = f"{API}/coaching-cycles/{started['id']}"
    assert (await client.get(url, headers=principal)).status_code == 404
    assert (await get(client, "/coaching-cycles", principal))["items"] == []
    node = await client.post(
        "/graphql",
        json={
            "query": "query($id: ID!) { node(id: $id) { id } }",
            "variables": {"id": gid("CoachingCycle", started["id"])},
        },
        headers=principal,
    )
    assert node.json()["data"] == {"node": None}
    changed = await client.patch(url, json={"goal": "Faster."}, headers=principal | ANY_VERSION)
    assert changed.status_code == 404
    assert (await get(client, "/me/agenda", principal))["items"] == []
    # The teacher's cycle is still theirs.
    assert (await client.get(url, headers=teacher.headers)).status_code == 200


# --- API1: a reference to an object one cannot read ----------------------------------------------


async def test_a_plan_carries_out_only_an_initiative_its_writer_reads_at_its_own_school(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """The first school's leader links their school's plan to the second school's unpublished
    initiative, whose id they learnt somewhere. The plan's co-creation record would then count that
    school's design sessions (their titles, dates and attendance in the plan's document, and toward the
    district's co-creation policy): another school's unpublished work, read and claimed by reference."""
    admin = await admin_headers(tokens)
    school_1, school_2 = (str(s) for s in world.school_ids("A"))
    theirs = await post(
        client, "/initiatives", {"title": "Theirs", "public_value": "V", "school_id": school_2}, admin
    )
    held = {
        "initiative_id": theirs["id"],
        "mode": "co_creation",
        "kind": "design_session",
        "title": "Second school's design session",
        "held_on": "2026-10-01",
        "status": "held",
        "participation_level": "involve",
    }
    await post(client, "/activities", held, admin)
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    assert (await client.get(f"{API}/initiatives/{theirs['id']}", headers=leader)).status_code == 404

    body = {"cycle": PERIOD, "title": "Ours", "school_id": school_1, "initiative_id": theirs["id"]}
    response = await client.post(f"{API}/plans", json=body, headers=leader)
    assert response.status_code == 404, response.text
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [
        (["body", "initiative_id"], "not_found")
    ]

    plan = await post(client, "/plans", {**body, "initiative_id": None}, leader)
    response = await client.patch(
        f"{API}/plans/{plan['id']}", json={"initiative_id": theirs["id"]}, headers=leader | ANY_VERSION
    )
    assert response.status_code == 404, response.text
    document = await client.get(f"{API}/plans/{plan['id']}/export/markdown", headers=leader)
    assert "Second school's design session" not in document.text

    # A district leader, who reads it, still may not make it the first school's plan's initiative.
    district_leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    response = await client.post(f"{API}/plans", json=body, headers=district_leader)
    assert response.status_code == 422, response.text
    assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [
        (["body", "initiative_id"], "school_mismatch")
    ]


async def test_an_activity_is_linked_only_to_an_initiative_or_plan_its_runner_reads(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """A coach of the first school records a held design session and links it to a district plan in
    draft, which they cannot read: the district plan's co-creation record would count it, toward the
    policy its approval checks, and its document would name it."""
    district_leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    coach = await tokens.headers("A", Role.COACH)
    plan = await post(client, "/plans", {"cycle": PERIOD, "title": "District reading plan"}, district_leader)
    initiative = await post(
        client, "/initiatives", {"title": "District", "public_value": "V"}, district_leader
    )
    for owner, owner_id in (("plan_id", plan["id"]), ("initiative_id", initiative["id"])):
        assert (await client.get(f"{API}/{owner[:-3]}s/{owner_id}", headers=coach)).status_code == 404
        held = {
            owner: owner_id,
            "school_id": str(world.school_ids("A")[0]),
            "mode": "co_creation",
            "kind": "design_session",
            "title": "Claimed session",
            "held_on": "2026-10-01",
            "status": "held",
            "participation_level": "involve",
        }
        response = await client.post(f"{API}/activities", json=held, headers=coach)
        assert response.status_code == 404, response.text
        assert [(e["path"], e["code"]) for e in response.json()["errors"]] == [(["body", owner], "not_found")]
    document = await client.get(f"{API}/plans/{plan['id']}/export/markdown", headers=district_leader)
    assert "Claimed session" not in document.text
