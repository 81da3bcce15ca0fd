"""Coaching cycles over GraphQL: the same service and the same trust rule as REST. A cycle is null
for everyone but its teacher, its coach and those the teacher shared with, by field and by `node`."""

from __future__ import annotations

import httpx
from strawberry import relay

from app.identity.models import Role
from tests.coaching.test_coaching_rest import PERIOD, cycle, practice, release
from tests.conftest import GraphQLClient, Tokens, World
from tests.practice.helpers import make_staff, observe, post, walkthrough, world_person


def gid(type_name: str, row_id: str) -> str:
    return str(relay.GlobalID(type_name, row_id))


START = """mutation($input: StartCoachingCycleInput!) { startCoachingCycle(input: $input) {
  coachingCycle { id goal goalAgreedAt status version practiceId }
  userErrors { field code kind } } }"""
READ = """query($id: ID!) { coachingCycle(id: $id) { id goal reflection }
  node(id: $id) { id } }"""


async def test_a_cycle_over_graphql_is_the_pairs_and_the_counts_are_released(
    client: httpx.AsyncClient, tokens: Tokens, world: World, gql: GraphQLClient
) -> None:
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    teachers = [await make_staff(client, tokens, world) for _ in range(3)]
    gql.headers = teachers[0].headers
    data = await gql(
        START,
        {
            "input": {
                "schoolId": gid("School", str(world.school_ids("A")[0])),
                "practiceId": gid("Practice", made["id"]),
                "period": PERIOD,
                "coachPersonId": gid("Person", coach.person_id),
                "goal": "Wait time of five seconds.",
            }
        },
    )
    started = data["startCoachingCycle"]
    assert started["userErrors"] == []
    cycle = started["coachingCycle"]
    assert cycle["goalAgreedAt"] is not None  # the teacher wrote it
    cycle_id = cycle["id"]
    data = await gql(
        """mutation($id: ID!) { updateCoachingCycle(input: {id: $id, reflection: "It works.", expectedVersion: 1}) {
        coachingCycle { reflection version } userErrors { code } } }""",
        {"id": cycle_id},
    )
    assert data["updateCoachingCycle"]["coachingCycle"]["reflection"] == "It works."
    data = await gql(
        """mutation($id: ID!) { scheduleCoachingSession(input: {cycleId: $id, kind: DEBRIEF,
        startsAt: "2026-12-02T15:00:00Z", endsAt: "2026-12-02T15:30:00Z"}) {
        coachingSession { kind } userErrors { code } } }""",
        {"id": cycle_id},
    )
    assert data["scheduleCoachingSession"]["coachingSession"] == {"kind": "DEBRIEF"}
    mine = await gql(
        """{ mySessions: myCoachingSessions(start: "2026-12-01T00:00:00Z", end: "2026-12-08T00:00:00Z") { kind } }"""
    )
    assert mine["mySessions"] == [{"kind": "DEBRIEF"}]

    # The coach reads it; a principal, a district leader, an admin, another teacher and another
    # district's coach get null, by field and by node, and their lists are empty.
    gql.headers = coach.headers
    assert (await gql(READ, {"id": cycle_id}))["coachingCycle"]["reflection"] == "It works."
    for headers in (
        await tokens.headers("A", Role.SCHOOL_LEADER),
        await tokens.headers("A", Role.DISTRICT_LEADER),
        await tokens.headers("A", Role.DISTRICT_ADMIN),
        teachers[1].headers,
        (await make_staff(client, tokens, world, Role.COACH, district="B")).headers,
    ):
        gql.headers = headers
        assert await gql(READ, {"id": cycle_id}) == {"coachingCycle": None, "node": None}
        listed = await gql("{ coachingCycles { edges { node { id } } } }")
        assert listed["coachingCycles"]["edges"] == []
        body = await gql.raw(
            """mutation($id: ID!) { updateCoachingCycle(input: {id: $id, goal: "mine"}) { userErrors { kind } } }""",
            {"id": cycle_id},
        )
        assert body["data"]["updateCoachingCycle"]["userErrors"][0]["kind"] == "NOT_FOUND"

    # Shared with the principal: read, not written.
    gql.headers = teachers[0].headers
    principal = await world_person(client, tokens, world, Role.SCHOOL_LEADER)
    data = await gql(
        """mutation($id: ID!, $p: ID!) { shareCoachingCycle(input: {cycleId: $id, personId: $p}) {
        coachingShare { id } userErrors { code } } }""",
        {"id": cycle_id, "p": gid("Person", principal)},
    )
    assert data["shareCoachingCycle"]["userErrors"] == []
    gql.headers = await tokens.headers("A", Role.SCHOOL_LEADER)
    assert (await gql(READ, {"id": cycle_id}))["coachingCycle"]["goal"] == "Wait time of five seconds."

    # Counts: leaders see released cells only; two more cycles make three teachers.
    gql.headers = coach.headers
    for teacher in teachers[1:]:
        data = await gql(
            START,
            {
                "input": {
                    "schoolId": gid("School", str(world.school_ids("A")[0])),
                    "practiceId": gid("Practice", made["id"]),
                    "period": PERIOD,
                    "teacherPersonId": gid("Person", teacher.person_id),
                }
            },
        )
        assert data["startCoachingCycle"]["userErrors"] == []
    assert (await release(client, tokens)).status_code == 201
    gql.headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    data = await gql(
        """query($p: ID!) { coachingCounts(practiceId: $p) { minTeachers cells { cycles teachers suppressed } }
        practiceFootprint(practiceId: $p) { learned { cycles } tried { count } observed { count } } }""",
        {"p": gid("Practice", made["id"])},
    )
    assert data["coachingCounts"]["cells"] == [{"cycles": 3, "teachers": 3, "suppressed": False}]
    assert data["practiceFootprint"]["learned"] == [{"cycles": 3}]
    # The principal knows one teacher's cycle (shared): three less one is under the minimum for them.
    gql.headers = await tokens.headers("A", Role.SCHOOL_LEADER)
    data = await gql("{ coachingCounts { cells { cycles suppressed } } }")
    assert data["coachingCounts"]["cells"] == [{"cycles": None, "suppressed": True}]


async def test_the_catalogue_over_graphql(
    client: httpx.AsyncClient, tokens: Tokens, gql: GraphQLClient
) -> None:
    gql.headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    data = await gql(
        """mutation { createPractice(input: {name: "Exit tickets", evidence: "Wiliam 2011"}) {
        practice { id name retired } userErrors { code } } }"""
    )
    made = data["createPractice"]["practice"]
    assert made["name"] == "Exit tickets"
    data = await gql(
        """mutation($id: ID!) { updatePractice(input: {id: $id, retired: true}) { practice { retired } } }""",
        {"id": made["id"]},
    )
    assert data["updatePractice"]["practice"]["retired"] is True
    gql.headers = await tokens.headers("A", Role.TEACHER)
    data = await gql("""mutation { createPractice(input: {name: "Mine"}) { userErrors { kind } } }""")
    assert data["createPractice"]["userErrors"][0]["kind"] == "FORBIDDEN"
    listed = await gql("{ practices(includeRetired: true) { edges { node { name } } } }")
    assert listed["practices"]["edges"] == [{"node": {"name": "Exit tickets"}}]


async def test_plc_meetings_are_tagged_and_the_footprint_counts_them(
    client: httpx.AsyncClient, tokens: Tokens, world: World, gql: GraphQLClient
) -> None:
    made = await practice(client, tokens, "Number talks")
    coach = await make_staff(client, tokens, world, Role.COACH)
    gql.headers = coach.headers
    data = await gql(
        """mutation($s: ID!, $p: ID!) { createPlcMeeting(input: {schoolId: $s, team: "Grade 2", metOn: "2026-11-20",
        practiceId: $p, sharedWithLeadership: true}) { plcMeeting { practiceId } userErrors { code } } }""",
        {"s": gid("School", str(world.school_ids("A")[0])), "p": gid("Practice", made["id"])},
    )
    assert data["createPlcMeeting"]["plcMeeting"]["practiceId"] == gid("Practice", made["id"])
    gql.headers = await tokens.headers("A", Role.DISTRICT_LEADER)
    data = await gql(
        """query($p: ID!) { practiceFootprint(practiceId: $p) { learned { cycles } discussed { schoolId count } } }""",
        {"p": gid("Practice", made["id"])},
    )
    assert data["practiceFootprint"] == {
        "learned": [],
        "discussed": [{"schoolId": gid("School", str(world.school_ids("A")[0])), "count": 1}],
    }


NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


async def test_a_cycles_sessions_observations_and_shares_are_nodes_as_private_as_the_cycle(
    client: httpx.AsyncClient, tokens: Tokens, world: World, gql: GraphQLClient
) -> None:
    """A part of a cycle is read through its cycle: `node(id:)` answers it to the teacher, the coach
    and whom the teacher shared with, and null to everyone else. The catalogue's practices are nodes
    for the district."""
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    teacher = await make_staff(client, tokens, world)
    walk = await walkthrough(client, world, coach.headers, practice_id=made["id"])
    seen = await observe(client, walk["id"], teacher.person_id, coach.headers, support="coaching")
    started = await cycle(client, world, coach, teacher, made["id"])
    base = f"/coaching-cycles/{started['id']}"
    link = await post(client, f"{base}/observations", {"observation_id": seen["id"]}, coach.headers)
    planned = await post(
        client,
        f"{base}/sessions",
        {"kind": "plan", "starts_at": "2026-12-02T15:00:00Z", "ends_at": "2026-12-02T15:30:00Z"},
        coach.headers,
    )
    leader = await world_person(client, tokens, world, Role.SCHOOL_LEADER)
    shared = await post(client, f"{base}/shares", {"person_id": leader}, teacher.headers)
    parts = {
        "CoachingSession": gid("CoachingSession", planned["id"]),
        "CoachingObservation": gid("CoachingObservation", link["id"]),
        "CoachingShare": gid("CoachingShare", shared["id"]),
    }
    readers = [teacher.headers, coach.headers, await tokens.headers("A", Role.SCHOOL_LEADER)]
    others = [
        await tokens.headers("A", Role.DISTRICT_LEADER),
        (await make_staff(client, tokens, world)).headers,
        (await make_staff(client, tokens, world, Role.COACH, district="B")).headers,
    ]
    for headers, reads in [(h, True) for h in readers] + [(h, False) for h in others]:
        gql.headers = headers
        for type_name, global_id in parts.items():
            found = (await gql(NODE, {"id": global_id}))["node"]
            assert found == ({"__typename": type_name, "id": global_id} if reads else None), type_name

    practice_id = gid("Practice", made["id"])
    gql.headers = await tokens.headers("A", Role.TEACHER)
    assert (await gql(NODE, {"id": practice_id}))["node"] == {"__typename": "Practice", "id": practice_id}
    gql.headers = await tokens.headers("B", Role.DISTRICT_LEADER)
    assert (await gql(NODE, {"id": practice_id}))["node"] is None
