"""What one coaching cycle holds, listed by the cycle's id (`coachingSessions`, `coachingObservations`,
`coachingShares`): the cycle's teacher reads them; an id of another type is `not_found` on `cycleId`."""

from __future__ import annotations

import httpx
from strawberry import relay

from app.identity.models import Role
from tests.coaching.test_coaching_rest import PERIOD, cycle, practice
from tests.conftest import GraphQLClient, Tokens, World
from tests.practice.helpers import make_staff, observe, post, walkthrough, world_person

LISTS = """query($id: ID!) { coachingSessions(cycleId: $id) { kind }
  coachingObservations(cycleId: $id) { id } coachingShares(cycleId: $id) { personId } }"""


def gid(type_name: str, row_id: str) -> str:
    return str(relay.GlobalID(type_name, row_id))


async def test_a_cycles_sessions_observations_and_shares_are_listed_by_its_id(
    client: httpx.AsyncClient, tokens: Tokens, world: World, gql: GraphQLClient
) -> None:
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    teacher = await make_staff(client, tokens, world)
    gql.headers = teacher.headers
    data = await gql(
        """mutation($input: StartCoachingCycleInput!) { startCoachingCycle(input: $input) {
        coachingCycle { id } userErrors { code } } }""",
        {
            "input": {
                "schoolId": gid("School", str(world.school_ids("A")[0])),
                "practiceId": gid("Practice", made["id"]),
                "period": PERIOD,
                "coachPersonId": gid("Person", coach.person_id),
                "goal": "Cold calling with wait time.",
            }
        },
    )
    cycle_id = data["startCoachingCycle"]["coachingCycle"]["id"]
    data = await gql(
        """mutation($id: ID!) { scheduleCoachingSession(input: {cycleId: $id, kind: DEBRIEF,
        startsAt: "2026-12-02T15:00:00Z", endsAt: "2026-12-02T15:30:00Z"}) { userErrors { code } } }""",
        {"id": cycle_id},
    )
    assert data["scheduleCoachingSession"]["userErrors"] == []
    principal = await world_person(client, tokens, world, Role.SCHOOL_LEADER)
    data = await gql(
        """mutation($id: ID!, $p: ID!) { shareCoachingCycle(input: {cycleId: $id, personId: $p}) {
        userErrors { code } } }""",
        {"id": cycle_id, "p": gid("Person", principal)},
    )
    assert data["shareCoachingCycle"]["userErrors"] == []

    listed = await gql(LISTS, {"id": cycle_id})
    assert listed == {
        "coachingSessions": [{"kind": "DEBRIEF"}],
        "coachingObservations": [],
        "coachingShares": [{"personId": gid("Person", principal)}],
    }

    body = await gql.raw(LISTS, {"id": gid("Practice", made["id"])})
    assert body["data"] is None
    assert {error["extensions"]["code"] for error in body["errors"]} == {"not_found"}


async def test_a_cycles_parts_are_linked_cancelled_and_unshared_over_graphql(
    client: httpx.AsyncClient, tokens: Tokens, world: World, gql: GraphQLClient
) -> None:
    """The mutations declared through the kit answer as they did written out: the object, or the id
    that is gone, or a `not_found` user error on the field that named something else."""
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    teacher = await make_staff(client, tokens, world)
    walk = await walkthrough(client, world, coach.headers, practice_id=made["id"])
    seen = await observe(client, walk["id"], teacher.person_id, coach.headers, support="coaching")
    started = await cycle(client, world, coach, teacher, made["id"])
    base = f"/coaching-cycles/{started['id']}"
    planned = await post(
        client,
        f"{base}/sessions",
        {"kind": "plan", "starts_at": "2026-12-02T15:00:00Z", "ends_at": "2026-12-02T15:30:00Z"},
        coach.headers,
    )
    leader = await world_person(client, tokens, world, Role.SCHOOL_LEADER)
    shared = await post(client, f"{base}/shares", {"person_id": leader}, teacher.headers)
    link = """mutation($c: ID!, $o: ID!) { linkCoachingObservation(input: {cycleId: $c, observationId: $o}) {
      coachingObservation { observationId supportGiven } userErrors { field code } } }"""
    cycle_id = gid("CoachingCycle", started["id"])
    observation_id = gid("WalkthroughObservation", seen["id"])

    gql.headers = coach.headers
    wrong = await gql(link, {"c": cycle_id, "o": gid("Walkthrough", walk["id"])})
    assert wrong["linkCoachingObservation"] == {
        "coachingObservation": None,
        "userErrors": [{"field": ["input", "observationId"], "code": "not_found"}],
    }
    linked = await gql(link, {"c": cycle_id, "o": observation_id})
    assert linked["linkCoachingObservation"] == {
        "coachingObservation": {"observationId": observation_id, "supportGiven": False},
        "userErrors": [],
    }

    session_id = gid("CoachingSession", planned["id"])
    cancelled = await gql(
        """mutation($id: ID!) { cancelCoachingSession(input: {id: $id}) { removedId userErrors { code } } }""",
        {"id": session_id},
    )
    assert cancelled["cancelCoachingSession"] == {"removedId": session_id, "userErrors": []}

    gql.headers = teacher.headers
    share_id = gid("CoachingShare", shared["id"])
    unshared = await gql(
        """mutation($id: ID!) { unshareCoachingCycle(input: {id: $id}) { removedId userErrors { code } } }""",
        {"id": share_id},
    )
    assert unshared["unshareCoachingCycle"] == {"removedId": share_id, "userErrors": []}
    listed = await gql(LISTS, {"id": cycle_id})
    assert listed["coachingSessions"] == []
    assert listed["coachingShares"] == []
    assert listed["coachingObservations"] != []
