"""What one coaching cycle holds, listed by the cycle's id (`coachingSessions`, `coachingObservations`,
`coachingShares`): the cycle's teacher reads them; an id of another type is `not_found` on `cycleId`."""

from __future__ import annotations

import httpx
from strawberry import relay

from app.identity.models import Role
from tests.coaching.test_coaching_rest import PERIOD, practice
from tests.conftest import GraphQLClient, Tokens, World
from tests.practice.helpers import make_staff, world_person

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
