"""Trust is a requirement: nothing about one teacher reaches anyone the teacher did not choose.

Every route and GraphQL field of walkthroughs, PLC meetings and student feedback is tried as other
teachers, a coach without a share, school and district leaders, the district admin, community members
and viewers, every kind of API client and another district's accounts; each answer (bodies, errors,
headers) is searched for the teacher's result, their observation and a PLC's unshared notes. Reads that
are allowed are shown to leave their record in the audit trail, and the audit trail itself is shown
to hold no result and no unshared note. Aggregates are tried for the two-teacher school, for
subtraction across filters, and for subtraction of what the reader already knows.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from strawberry import relay

from app.identity.models import Role
from tests.conftest import ANY_VERSION, Tokens, World
from tests.initiatives.test_rest import list_all
from tests.practice.helpers import (
    API,
    Headers,
    Staff,
    admin_headers,
    get,
    make_staff,
    monitoring_client,
    observe,
    plc_meeting,
    post,
    record,
    walkthrough,
    world_person,
)

# Values no other response could hold by chance (a share's digits can hide in a timestamp's
# microseconds, so the shares are looked for as values, never as text).
SHARE = "0.9173"
RESPONDENTS = 4099
NOTE = f"observed-note-{uuid.uuid4().hex}"
UNSHARED = f"unshared-plc-notes-{uuid.uuid4().hex}"
PRIVATE_NEED = f"private need {uuid.uuid4().hex[:8]}"


def gid(type_name: str, row_id: str) -> str:
    return str(relay.GlobalID(type_name, row_id))


@dataclass
class Scene:
    """A teacher (the World's) with a result shared with the World's coach, an observation in a
    walkthrough of four classrooms, and a PLC meeting they did not share; and everyone else."""

    teacher: Headers
    teacher_person: str
    coach: Headers  # the teacher shared with them
    result_id: str
    walkthrough_id: str
    observation_id: str
    meeting_id: str
    others: dict[str, Headers] = field(default_factory=dict)
    peers: list[Staff] = field(default_factory=list)

    @property
    def result_secrets(self) -> list[str]:
        """Text of the teacher's result that must never appear in an outsider's answer."""
        return [self.result_id, gid("FeedbackResult", self.result_id)]

    @property
    def observation_secrets(self) -> list[str]:
        """Text of the teacher's observation that must never reach another teacher."""
        return [NOTE, self.observation_id, gid("WalkthroughObservation", self.observation_id)]


async def _principals(client: httpx.AsyncClient, tokens: Tokens, world: World) -> dict[str, Headers]:
    """Everyone who is not the teacher, nor the coach they shared with."""
    others = {
        role.value: await tokens.headers("A", role)
        for role in (
            Role.SCHOOL_LEADER,
            Role.DISTRICT_LEADER,
            Role.DISTRICT_ADMIN,
            Role.COMMUNITY_MEMBER,
            Role.VIEWER,
        )
    }
    others["other teacher"] = (await make_staff(client, tokens, world, name="Other teacher")).headers
    others["coach without a share"] = (await make_staff(client, tokens, world, Role.COACH)).headers
    for label in ("read", "roster", "referrals"):
        others[f"client:{label}"] = await tokens.client_headers("A", label)
    others["client:monitoring"] = await monitoring_client(client, tokens)
    others["district B admin"] = await tokens.headers("B", Role.DISTRICT_ADMIN)
    others["district B teacher"] = await tokens.headers("B", Role.TEACHER)
    return others


@pytest.fixture
async def scene(client: httpx.AsyncClient, tokens: Tokens, world: World) -> Scene:
    teacher = await tokens.headers("A", Role.TEACHER)
    coach = await tokens.headers("A", Role.COACH)
    teacher_person = await world_person(client, tokens, world, Role.TEACHER)
    result = await record(client, teacher, favourable_share=SHARE, respondents=RESPONDENTS)
    await post(
        client,
        "/feedback-shares",
        {"person_id": await world_person(client, tokens, world, Role.COACH)},
        teacher,
    )
    peers = [await make_staff(client, tokens, world, name=f"Peer {n}") for n in range(3)]
    made = await walkthrough(client, world, coach)
    observation = await observe(client, made["id"], teacher_person, coach, "beginning", "coaching", note=NOTE)
    for peer in peers:
        await observe(client, made["id"], peer.person_id, coach, "proficient")
    meeting = await plc_meeting(client, world, teacher, notes=UNSHARED, agenda=UNSHARED, needs=[PRIVATE_NEED])
    return Scene(
        teacher=teacher,
        teacher_person=teacher_person,
        coach=coach,
        result_id=result["id"],
        walkthrough_id=made["id"],
        observation_id=observation["id"],
        meeting_id=meeting["id"],
        others=await _principals(client, tokens, world),
        peers=peers,
    )


def _values(node: Any) -> list[tuple[str, Any]]:
    """Every (key, value) pair in a JSON document."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((key, value))
            found += _values(value)
    elif isinstance(node, list):
        for item in node:
            found += _values(item)
    return found


def leaks(response: httpx.Response, secrets: list[str]) -> list[str]:
    """What of the teacher's the response gives away: text of theirs, or their result's values."""
    text = response.text + json.dumps(dict(response.headers))
    # An id the caller sent is theirs already: a 404 may echo it ("No … with id …").
    asked = str(response.request.url) + response.request.content.decode() + " ".join(_decoded_ids(response))
    found = [s for s in secrets if s in text and s not in asked]
    try:
        body = response.json()
    except ValueError:
        return found
    for key, value in _values(body):
        if key in ("favourable_share", "favourableShare") and value is not None and str(value) == SHARE:
            found.append(f"{key}={value}")
        if key == "respondents" and value == RESPONDENTS:
            found.append(f"respondents={value}")
    return found


def _decoded_ids(response: httpx.Response) -> list[str]:
    """The database ids inside the global ids a GraphQL request sent (its caller can decode them too)."""
    try:
        variables = json.loads(response.request.content or b"{}").get("variables") or {}
    except (ValueError, AttributeError):
        return []
    decoded = []
    for value in variables.values():
        try:
            decoded.append(relay.GlobalID.from_id(value).node_id)
        except Exception:  # noqa: S112 (not a global id)
            continue
    return decoded


def _problem_shape(response: httpx.Response, row_id: str) -> dict[str, Any]:
    body = response.json()
    body.pop("request_id", None)
    return json.loads(json.dumps(body).replace(row_id, "<id>"))


async def _graphql(
    client: httpx.AsyncClient, headers: Headers, query: str, **variables: Any
) -> httpx.Response:
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response


# --- teacher-level feedback -------------------------------------------------------------------------


async def test_nobody_else_reads_a_teachers_result_over_rest(client: httpx.AsyncClient, scene: Scene) -> None:
    missing = str(uuid.uuid4())
    for who, headers in scene.others.items():
        calls = [
            await client.get(f"{API}/feedback-results/{scene.result_id}", headers=headers),
            await client.get(f"{API}/feedback-results", headers=headers),
            await client.get(
                f"{API}/feedback-results", params={"teacher_person_id": scene.teacher_person}, headers=headers
            ),
            await client.get(f"{API}/me/feedback-results", headers=headers),
            await client.get(f"{API}/feedback-shares", headers=headers),
            await client.get(f"{API}/feedback-aggregates", headers=headers),
            await client.delete(f"{API}/feedback-results/{scene.result_id}", headers=headers),
        ]
        for response in calls:
            assert leaks(response, scene.result_secrets) == [], f"{who}: {response.request.url}"
        # The audit trail (admins) names what was written, never the result itself.
        trail = await client.get(f"{API}/audit-events", params={"limit": 200}, headers=headers)
        assert leaks(trail, []) == [], who
        # Someone else's result and a result that never existed answer alike (404, same words).
        theirs, never = calls[0], await client.get(f"{API}/feedback-results/{missing}", headers=headers)
        assert theirs.status_code == never.status_code == 404, who
        assert _problem_shape(theirs, scene.result_id) == _problem_shape(never, missing), who
        deleted = calls[-1]
        assert deleted.status_code == 404, who
        assert _problem_shape(deleted, scene.result_id) == _problem_shape(
            await client.delete(f"{API}/feedback-results/{missing}", headers=headers), missing
        ), who
        # Filtering by the teacher finds nothing (people) or is refused outright (API clients).
        by_teacher = calls[2]
        assert by_teacher.status_code in (200, 403), who
        if by_teacher.status_code == 200:
            assert by_teacher.json()["items"] == [], who
    # The result is untouched, and still the teacher's to read.
    assert (await get(client, f"/feedback-results/{scene.result_id}", scene.teacher))[
        "respondents"
    ] == RESPONDENTS


async def test_nobody_else_reads_a_teachers_result_over_graphql(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    result = gid("FeedbackResult", scene.result_id)
    teacher = gid("Person", scene.teacher_person)
    queries = [
        ("query($id: ID!) { feedbackResult(id: $id) { favourableShare respondents } }", {"id": result}),
        (
            "query($id: ID!) { node(id: $id) { ... on FeedbackResult { favourableShare respondents } } }",
            {"id": result},
        ),
        ("query($id: ID!) { nodes: node(id: $id) { id } }", {"id": result}),
        (
            "query($t: ID!) { feedbackResults(teacherPersonId: $t) { edges { node { id favourableShare } } } }",
            {"t": teacher},
        ),
        ("{ feedbackResults { edges { node { id favourableShare respondents } } } }", {}),
        ("{ myFeedbackResults { edges { node { id favourableShare } } } }", {}),
        ("{ feedbackShares { edges { node { id teacherPersonId personId } } } }", {}),
        ("{ feedbackAggregates { cells { favourableShare respondents teachers suppressed } } }", {}),
        (
            "mutation($id: ID!) { removeFeedbackResult(input: {id: $id}) { removedId userErrors { code message } } }",
            {"id": result},
        ),
    ]
    trail = "{ auditEvents(first: 200) { edges { node { action before after } } } }"
    missing = gid("FeedbackResult", str(uuid.uuid4()))
    for who, headers in scene.others.items():
        for query, variables in queries:
            response = await _graphql(client, headers, query, **variables)
            assert leaks(response, scene.result_secrets) == [], f"{who}: {query}"
        assert leaks(await _graphql(client, headers, trail), []) == [], who
        # The single-result fields answer null, exactly as for an id that was never issued.
        for query, variables in queries[:3]:
            theirs = (await _graphql(client, headers, query, **variables)).json()
            never = (await _graphql(client, headers, query, id=missing)).json()
            assert theirs == never, f"{who}: {query}"
            assert list(theirs["data"].values()) == [None], f"{who}: {query}"
        removal = (await _graphql(client, headers, queries[-1][0], id=result)).json()["data"][
            "removeFeedbackResult"
        ]
        assert removal["removedId"] is None, who
        assert [e["code"] for e in removal["userErrors"]] == ["not_found"], who
    assert (await get(client, f"/feedback-results/{scene.result_id}", scene.teacher))["id"] == scene.result_id


async def test_no_one_records_a_result_for_someone_else(
    client: httpx.AsyncClient, scene: Scene, tokens: Tokens, world: World
) -> None:
    """Recording is no back door: a person records only their own; the survey integration's replace
    is its job, and answers with what it sent."""
    body = {
        "measure": "belonging",
        "period": "2026-fall",
        "favourable_share": "0.1",
        "respondents": 1,
        "teacher_person_id": scene.teacher_person,
        "school_id": str(world.school_ids("A")[0]),
    }
    for who, headers in scene.others.items():
        if who == "client:monitoring":
            continue
        response = await client.post(f"{API}/feedback-results", json=body, headers=headers)
        assert response.status_code in (403, 404), f"{who}: {response.text}"
        assert leaks(response, scene.result_secrets) == [], who
    mine = await get(client, f"/feedback-results/{scene.result_id}", scene.teacher)
    assert (mine["favourable_share"], mine["respondents"]) == (SHARE, RESPONDENTS)


async def test_the_teacher_and_the_person_they_chose_read_it_and_every_read_is_audited(
    client: httpx.AsyncClient, scene: Scene, tokens: Tokens, world: World
) -> None:
    result_gid = gid("FeedbackResult", scene.result_id)
    reads = [
        lambda h: client.get(f"{API}/feedback-results/{scene.result_id}", headers=h),
        lambda h: client.get(f"{API}/feedback-results", headers=h),
        lambda h: client.post(
            "/graphql",
            json={
                "query": "query($id: ID!) { feedbackResult(id: $id) { respondents } }",
                "variables": {"id": result_gid},
            },
            headers=h,
        ),
        lambda h: client.post(
            "/graphql",
            json={
                "query": "query($id: ID!) { node(id: $id) { ... on FeedbackResult { respondents } } }",
                "variables": {"id": result_gid},
            },
            headers=h,
        ),
        lambda h: client.post(
            "/graphql", json={"query": "{ feedbackResults { edges { node { respondents } } } }"}, headers=h
        ),
    ]
    for headers in (scene.teacher, scene.coach):
        for read in reads:
            response = await read(headers)
            assert response.status_code == 200, response.text
            # The detector the other tests rely on sees the result here, where it belongs.
            assert leaks(response, scene.result_secrets), response.text
    own = await list_all(client, f"{API}/me/feedback-results", scene.teacher)
    assert [r["id"] for r in own] == [scene.result_id]
    # The coach's "mine" holds nothing: a share lets them read, it does not make the result theirs.
    assert await list_all(client, f"{API}/me/feedback-results", scene.coach) == []

    admin = await admin_headers(tokens)
    events = await list_all(
        client, f"{API}/audit-events", admin, entity_type="feedback_result", entity_id=scene.result_id
    )
    read_events = [e for e in events if e["action"] == "feedback.read"]
    teacher_user, _ = world.user("A", Role.TEACHER)
    coach_user, _ = world.user("A", Role.COACH)
    by_actor: dict[str, list[str]] = {}
    for event in read_events:
        by_actor.setdefault(event["actor_id"], []).append(event["after"]["access"])
        assert event["after"]["teacher_person_id"] == scene.teacher_person
        assert event["request_id"]
    # Five reads each, plus the teacher's own list: one event per result read, and nobody else's.
    assert by_actor == {str(teacher_user): ["own"] * 6, str(coach_user): ["shared"] * 5}
    # The trail says a result was written and read; it never holds the result.
    for event in events:
        assert holds_no_result(event), event


def holds_no_result(event: dict[str, Any]) -> bool:
    """True when an audit event holds no result value (it may say one changed)."""
    for part in (event["before"] or {}, event["after"] or {}):
        if {"favourable_share", "respondents"} & set(part) and any(
            part.get(k) not in (None, "[redacted]") for k in ("favourable_share", "respondents")
        ):
            return False
    return True


async def test_the_audit_trail_holds_no_result_and_no_unshared_note(
    client: httpx.AsyncClient, scene: Scene, tokens: Tokens
) -> None:
    # A replaced result and a changed meeting are recorded as changed, not as what they hold.
    await record(client, scene.teacher, 200, favourable_share="0.5", respondents=12)
    await client.patch(
        f"{API}/plc-meetings/{scene.meeting_id}",
        json={"notes": UNSHARED + " again"},
        headers=scene.teacher | ANY_VERSION,
    )
    admin = await admin_headers(tokens)
    trail = await client.get(f"{API}/audit-events", params={"limit": 200}, headers=admin)
    assert trail.status_code == 200
    assert UNSHARED not in trail.text
    assert PRIVATE_NEED not in trail.text
    for event in trail.json()["items"]:
        assert holds_no_result(event), event
    replaced = [
        e
        for e in trail.json()["items"]
        if e["entity_id"] == scene.result_id and e["action"] == "feedback_result.update"
    ]
    assert [e["after"] for e in replaced] == [{"favourable_share": "[redacted]", "respondents": "[redacted]"}]
    graph = await _graphql(client, admin, "{ auditEvents(first: 200) { edges { node { before after } } } }")
    assert UNSHARED not in graph.text
    for edge in graph.json()["data"]["auditEvents"]["edges"]:
        assert holds_no_result(edge["node"]), edge


# --- aggregates -------------------------------------------------------------------------------------

AGGREGATE_READERS = ("school_leader", "district_leader", "district_admin", "coach without a share")


async def _cells(
    client: httpx.AsyncClient, headers: Headers, **params: Any
) -> dict[tuple[str, str, str], Any]:
    report = await get(client, "/feedback-aggregates", headers, **params)
    return {(c["school_id"], c["measure"], c["period"]): c for c in report["cells"]}


async def _release(
    client: httpx.AsyncClient, tokens: Tokens, period: str = "2026-fall", status: int = 201
) -> None:
    response = await client.post(
        f"{API}/releases", json={"subject": "feedback", "period": period}, headers=await admin_headers(tokens)
    )
    assert response.status_code == status, response.text


async def test_a_two_teacher_school_is_never_an_average(
    client: httpx.AsyncClient, scene: Scene, tokens: Tokens, world: World
) -> None:
    # The teacher and one peer at the first school, each with plenty of students.
    await record(client, scene.peers[0].headers, respondents=300)
    await _release(client, tokens)
    school_1 = str(world.school_ids("A")[0])
    for who in AGGREGATE_READERS:
        for params in ({}, {"school_id": school_1}, {"measure": "belonging"}, {"period": "2026-fall"}):
            cells = await _cells(client, scene.others[who], **params)
            cell = cells[(school_1, "belonging", "2026-fall")]
            assert cell == {
                **cell,
                "suppressed": True,
                "favourable_share": None,
                "respondents": None,
                "teachers": None,
            }
    # Nor does a zero-respondent result make a third teacher.
    await record(client, scene.peers[1].headers, respondents=0)
    await _release(client, tokens)  # a correction: nothing it publishes moves
    cells = await _cells(client, scene.others["school_leader"])
    assert cells[(school_1, "belonging", "2026-fall")]["suppressed"] is True


async def test_filters_choose_cells_and_never_change_them(
    client: httpx.AsyncClient, scene: Scene, tokens: Tokens, world: World
) -> None:
    """No filter narrows what a cell is drawn from, and no total spans cells, so no suppressed cell
    can be had by subtracting one published figure from another."""
    school_1, school_2 = (str(s) for s in world.school_ids("A"))
    for peer in scene.peers:
        await record(client, peer.headers, respondents=20)
        await record(client, peer.headers, respondents=20, period="2027-spring")
    # Two teachers at the second school: suppressed, however it is asked for.
    for _ in range(2):
        elsewhere = await make_staff(client, tokens, world, school=1)
        await record(client, elsewhere.headers, respondents=50)
    await _release(client, tokens)
    await _release(client, tokens, "2027-spring")
    leader = scene.others["district_leader"]
    everything = await _cells(client, leader)
    assert all(key[0] in (school_1, school_2) for key in everything)
    assert everything[(school_2, "belonging", "2026-fall")]["suppressed"] is True
    assert everything[(school_1, "belonging", "2026-fall")]["teachers"] == 4
    for params in (
        {"school_id": school_1},
        {"school_id": school_2},
        {"measure": "belonging"},
        {"period": "2026-fall"},
        {"period": "2027-spring"},
        {"school_id": school_1, "period": "2026-fall"},
    ):
        chosen = await _cells(client, leader, **params)
        assert chosen, params
        assert all(everything[key] == cell for key, cell in chosen.items()), params


async def test_a_reader_cannot_subtract_the_results_they_already_see(
    client: httpx.AsyncClient, scene: Scene, tokens: Tokens, world: World
) -> None:
    """The coach reads the teacher's result (shared). In a three-teacher cell, the rest would be two
    teachers' classes: suppressed for the coach, published for a leader who knows no result."""
    school_1 = str(world.school_ids("A")[0])
    key = (school_1, "belonging", "2026-fall")
    for peer in scene.peers[:2]:
        await record(client, peer.headers, respondents=30)
    await _release(client, tokens)
    assert (await _cells(client, scene.others["school_leader"]))[key]["teachers"] == 3
    assert (await _cells(client, scene.coach))[key]["suppressed"] is True
    # A correction adding one class is refused: the difference of two revisions would be that class.
    await record(client, scene.peers[2].headers, respondents=30)
    await _release(client, tokens, status=409)
    # The next period has four teachers: three the coach knows nothing of, so the coach reads it too.
    # (Every class answered anew, 31 respondents: with the fall's three classes the same, spring less
    # fall would have been the fourth class, and the spring cell hides; see test_aggregate_overlaps.)
    for who in (scene.teacher, *(peer.headers for peer in scene.peers)):
        await record(client, who, respondents=31, period="2027-spring")
    await _release(client, tokens, "2027-spring")
    assert (await _cells(client, scene.coach))[(school_1, "belonging", "2027-spring")]["teachers"] == 4


async def test_aggregates_are_for_leaders_and_coaches_only(client: httpx.AsyncClient, scene: Scene) -> None:
    expected = {
        "school_leader": 200,
        "district_leader": 200,
        "district_admin": 200,
        "coach without a share": 200,
        "other teacher": 403,
        "community_member": 403,
        "viewer": 403,
        "client:read": 403,
        "client:roster": 403,
        "client:referrals": 403,
        "client:monitoring": 403,
        "district B admin": 200,
        "district B teacher": 403,
    }
    actual = {
        who: (await client.get(f"{API}/feedback-aggregates", headers=headers)).status_code
        for who, headers in scene.others.items()
    }
    assert actual == expected
    assert (await client.get(f"{API}/feedback-aggregates", headers=scene.teacher)).status_code == 403
    # District B's admin reads district B's cells: none of A's.
    theirs = await client.get(f"{API}/feedback-aggregates", headers=scene.others["district B admin"])
    assert theirs.json()["cells"] == []


# --- walkthroughs -----------------------------------------------------------------------------------


async def test_other_teachers_never_see_a_teachers_observation(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    wt = scene.walkthrough_id
    peer = scene.peers[0]
    rest = [
        f"/walkthroughs/{wt}/observations",
        f"/walkthroughs/{wt}/observations?teacher_person_id={scene.teacher_person}",
        f"/observations/{scene.observation_id}",
        f"/walkthroughs/{wt}/support",
        f"/walkthroughs/{wt}/summary",
        f"/walkthroughs/{wt}/trend",
        "/me/observations",
        f"/walkthroughs/{wt}",
        "/walkthroughs",
    ]
    wt_gid = gid("Walkthrough", wt)
    obs_gid = gid("WalkthroughObservation", scene.observation_id)
    graph = [
        (
            "query($w: ID!) { walkthrough(id: $w) { observations { edges { node { id note level } } } } }",
            {"w": wt_gid},
        ),
        ("query($o: ID!) { observation(id: $o) { note } }", {"o": obs_gid}),
        ("query($o: ID!) { node(id: $o) { ... on WalkthroughObservation { note } } }", {"o": obs_gid}),
        (
            "query($w: ID!) { whoNeedsSupport(walkthroughId: $w) { groups { teachers { teacherName } } } }",
            {"w": wt_gid},
        ),
        ("{ myObservations { edges { node { id note } } } }", {}),
        (
            "query($w: ID!) { walkthroughTrend(walkthroughId: $w) { walkthroughs { classrooms } } }",
            {"w": wt_gid},
        ),
    ]
    outsiders = {
        "peer": peer.headers,
        **{
            k: v
            for k, v in scene.others.items()
            if k not in ("school_leader", "district_leader", "district_admin")
        },
    }
    del outsiders["coach without a share"]  # a coach supports teachers: walkthrough detail is theirs
    for who, headers in outsiders.items():
        for url in rest:
            response = await client.get(f"{API}{url}", headers=headers)
            assert leaks(response, scene.observation_secrets) == [], f"{who}: {url}"
        for query, variables in graph:
            response = await _graphql(client, headers, query, **variables)
            assert leaks(response, scene.observation_secrets) == [], f"{who}: {query}"
    # The peer reads the walkthrough and its picture, and only their own classroom.
    mine = await list_all(client, f"{API}/walkthroughs/{wt}/observations", peer.headers)
    assert [o["teacher_person_id"] for o in mine] == [peer.person_id]
    assert (
        await client.get(f"{API}/observations/{scene.observation_id}", headers=peer.headers)
    ).status_code == 404
    assert (await client.get(f"{API}/walkthroughs/{wt}/support", headers=peer.headers)).status_code == 403
    summary = await get(client, f"/walkthroughs/{wt}/summary", peer.headers)
    assert summary["classrooms"] == 4


async def test_a_teacher_sees_their_own_observations(client: httpx.AsyncClient, scene: Scene) -> None:
    own = await client.get(f"{API}/me/observations", headers=scene.teacher)
    assert leaks(own, scene.observation_secrets)  # the detector sees what is theirs
    mine = await list_all(client, f"{API}/me/observations", scene.teacher)
    assert [(o["id"], o["note"]) for o in mine] == [(scene.observation_id, NOTE)]
    listed = await list_all(client, f"{API}/walkthroughs/{scene.walkthrough_id}/observations", scene.teacher)
    assert [o["id"] for o in listed] == [scene.observation_id]
    assert (await get(client, f"/observations/{scene.observation_id}", scene.teacher))["level"] == "beginning"
    data = (
        await _graphql(
            client,
            scene.teacher,
            "{ myObservations { edges { node { note walkthrough { practice } } } } }",
        )
    ).json()["data"]
    assert data["myObservations"]["edges"] == [
        {"node": {"note": NOTE, "walkthrough": {"practice": "Turn and talk"}}}
    ]


async def test_a_small_walkthrough_does_not_single_anyone_out(
    client: httpx.AsyncClient, scene: Scene, world: World
) -> None:
    """Two classrooms: a teacher who knows their own level would know the other's from the shares."""
    small = await walkthrough(client, world, scene.coach, practice="Exit tickets")
    await observe(client, small["id"], scene.teacher_person, scene.coach, "proficient")
    await observe(client, small["id"], scene.peers[0].person_id, scene.coach, "not_observed")
    for headers in (scene.teacher, scene.peers[0].headers, scene.coach):
        rest = await get(client, f"/walkthroughs/{small['id']}/summary", headers)
        assert rest["suppressed"] is True
        assert {s["classrooms"] for s in rest["levels"]} == {None}
        graph = (
            await _graphql(
                client,
                headers,
                "query($w: ID!) { walkthrough(id: $w) { summary { suppressed levels { classrooms share } } } }",
                w=gid("Walkthrough", small["id"]),
            )
        ).json()["data"]["walkthrough"]["summary"]
        assert graph["suppressed"] is True
        assert {(s["classrooms"], s["share"]) for s in graph["levels"]} == {(None, None)}


# --- PLC meetings -----------------------------------------------------------------------------------


async def test_leadership_never_reads_what_a_plc_did_not_share(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    meeting_gid = gid("PlcMeeting", scene.meeting_id)
    for who in (
        "school_leader",
        "district_leader",
        "district_admin",
        "community_member",
        "viewer",
        "client:read",
    ):
        headers = scene.others[who]
        for url, params in (
            (f"/plc-meetings/{scene.meeting_id}", {}),
            ("/plc-meetings", {}),
            ("/plc-meetings", {"shared_with_leadership": "false"}),
            ("/plc-meetings", {"need": PRIVATE_NEED}),
            ("/plc-needs", {}),
        ):
            response = await client.get(f"{API}{url}", params=params, headers=headers)
            assert UNSHARED not in response.text, f"{who}: {url}"
            assert PRIVATE_NEED not in response.text, f"{who}: {url}"
            if not url.endswith(scene.meeting_id):
                assert scene.meeting_id not in response.text, f"{who}: {url}"
        for query in (
            "query($id: ID!) { plcMeeting(id: $id) { notes } }",
            "query($id: ID!) { node(id: $id) { ... on PlcMeeting { notes } } }",
        ):
            response = await _graphql(client, headers, query, id=meeting_gid)
            assert UNSHARED not in response.text, f"{who}: {query}"
        listing = await _graphql(client, headers, "{ plcMeetings { edges { node { notes needs } } } }")
        assert UNSHARED not in listing.text, who
        needs = await _graphql(client, headers, "{ plcNeeds { needs { need } } }")
        assert PRIVATE_NEED not in needs.text, who
    # Leaders get a plain 404 for it: they do not learn it exists.
    missing = str(uuid.uuid4())
    leader = scene.others["school_leader"]
    theirs = await client.get(f"{API}/plc-meetings/{scene.meeting_id}", headers=leader)
    never = await client.get(f"{API}/plc-meetings/{missing}", headers=leader)
    assert theirs.status_code == never.status_code == 404
    assert _problem_shape(theirs, scene.meeting_id) == _problem_shape(never, missing)
