"""Gaming the co-creation policy of a plan (OWASP API6:2023, unrestricted access to a sensitive business
flow), as a cynical insider would, over REST and GraphQL, with real tokens from the real token endpoint.

Each attack here succeeded on the code before the rule it names:

- a barrier marked adopted (or deferred, declined, adapted) with no response given back counted as
  answered, so approval went through while its contributor was told nothing;
- a school plan carrying out a district initiative counted another school's sessions of that initiative
  as its own co-creation;
- a teacher (or coach, or school leader) of another school counted as the plan school's own voice;
- a member of staff filed under a family stakeholder record counted as the families' voice.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry import relay

from app.identity.models import Role
from tests.conftest import ANY_VERSION, Tokens, World
from tests.engagement.test_rest import (
    add_input,
    create_activity,
    new_person,
    participate,
    person_of,
    update_input,
)
from tests.initiatives.test_rest import assert_problem, create_initiative, create_stakeholder, get_json
from tests.plans.test_rest import PLANS, create_plan, plan_with_a_session, school_plan, update_plan

GRAPHQL = "/graphql"


@pytest.fixture
async def leader(client: httpx.AsyncClient, tokens: Tokens) -> httpx.AsyncClient:
    """The HTTP client, signed in as district A's district leader (headers given per call win)."""
    client.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    return client


async def _graphql_check(client: httpx.AsyncClient, plan_id: str) -> dict[str, Any]:
    """The plan's policy check as GraphQL answers it (the same service rule as REST's)."""
    query = """query($id: ID!) { plan(id: $id) {
        policyCheck { met readyForApproval unansweredBarriers coCreationActivities voicesHeard } } }"""
    response = await client.post(
        GRAPHQL, json={"query": query, "variables": {"id": str(relay.GlobalID("Plan", plan_id))}}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["plan"]["policyCheck"]


async def test_a_barrier_marked_adopted_without_a_response_is_not_answered(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """The contributor of a barrier must be told what became of it before the plan is approved: a
    disposition with no response given back is not an answer (REST and GraphQL alike)."""
    school_leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    plan, activity, said = await plan_with_a_session(leader, world, "Grade 2 teachers")
    url = f"{PLANS}/{plan['id']}"
    barrier = await add_input(leader, activity["id"], said["id"], kind="barrier", text="No planning time.")
    deferred = await add_input(leader, activity["id"], said["id"], kind="barrier", text="No books.")
    barrier = await update_input(leader, barrier, disposition="adopted")  # nothing said back
    deferred = await update_input(leader, deferred, disposition="deferred")
    plan = await update_plan(leader, plan, status="in_review")

    check = await get_json(leader, f"{url}/policy-check")
    assert check["unanswered_barriers"] == [barrier["id"], deferred["id"]]
    assert check["ready_for_approval"] is False
    graphql = await _graphql_check(leader, plan["id"])
    assert (graphql["readyForApproval"], len(graphql["unansweredBarriers"])) == (False, 2)
    response = await leader.patch(url, json={"status": "approved"}, headers=school_leader | ANY_VERSION)
    problem = assert_problem(response, 422, "validation_failed")
    assert [e["code"] for e in problem["errors"]] == ["unanswered_barrier", "unanswered_barrier"]

    # A response given back answers it; whitespace is not one (refused as input).
    blank = await leader.patch(
        f"/api/v1/inputs/{barrier['id']}", json={"response": "   "}, headers=ANY_VERSION
    )
    assert_problem(blank, 422, "validation_failed")
    await update_input(leader, barrier, response="A protected 30-minute block from January.")
    await update_input(leader, deferred, response="We revisit it when the budget is set in March.")
    check = await get_json(leader, f"{url}/policy-check")
    assert (check["unanswered_barriers"], check["ready_for_approval"]) == ([], True)
    plan = await update_plan(leader, plan, school_leader, status="approved")
    assert plan["status"] == "approved"


async def test_a_school_plan_counts_only_its_own_schools_sessions_of_a_district_initiative(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """A district initiative is carried out by several schools' plans; a session held at another school
    for it is that school's co-creation, not this one's. District-wide sessions count for every plan."""
    first, second = (str(s) for s in world.school_ids("A")[:2])
    initiative = await create_initiative(leader)
    plan = await school_plan(leader, world, initiative_id=initiative["id"])
    url = f"{PLANS}/{plan['id']}"
    elsewhere = await create_activity(leader, initiative_id=initiative["id"], school_id=second, status="held")
    teachers = await create_stakeholder(leader, "Second school's teachers", "teacher")
    await participate(leader, elsewhere["id"], stakeholder_id=teachers["id"])

    check = await get_json(leader, f"{url}/policy-check")
    assert (check["co_creation_activities"], check["met"]) == (0, False)
    assert (await _graphql_check(leader, plan["id"]))["coCreationActivities"] == 0
    refused = await leader.patch(url, json={"status": "in_review"}, headers=ANY_VERSION)
    assert_problem(refused, 422, "validation_failed")

    # The plan's own school's session, and a district-wide one, count.
    own = await create_activity(leader, initiative_id=initiative["id"], school_id=first, status="held")
    await participate(leader, own["id"], stakeholder_id=teachers["id"])
    everyone = await create_activity(leader, initiative_id=initiative["id"], status="held")
    await participate(leader, everyone["id"], stakeholder_id=teachers["id"])
    check = await get_json(leader, f"{url}/policy-check")
    assert (check["co_creation_activities"], check["met"]) == (2, True)


async def test_staff_of_another_school_are_not_the_plan_schools_voice(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """The second school's plan needs its teachers; the first school's teacher (and school leader),
    invited to its session, are not them."""
    plan = await school_plan(leader, world, school=1)
    url = f"{PLANS}/{plan['id']}"
    session = await create_activity(leader, plan_id=plan["id"], status="held")
    for role in (Role.TEACHER, Role.SCHOOL_LEADER):
        await participate(leader, session["id"], person_id=await person_of(leader, tokens, world, role))

    check = await get_json(leader, f"{url}/policy-check")
    assert (check["voices_heard"], check["met"]) == ([], False)
    assert (await _graphql_check(leader, plan["id"]))["voicesHeard"] == []
    refused = await leader.patch(url, json={"status": "in_review"}, headers=ANY_VERSION)
    assert_problem(refused, 422, "validation_failed")

    # A teachers' group (a stakeholder, not an account of another school) is heard.
    teachers = await create_stakeholder(leader, "Second school's staff council", "teacher")
    await participate(leader, session["id"], stakeholder_id=teachers["id"])
    assert (await get_json(leader, f"{url}/policy-check"))["met"] is True


async def test_a_member_of_staff_filed_as_a_family_stakeholder_is_not_the_families_voice(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """A district plan needs families or community. A stakeholder record of the family category that
    stands for a member of staff (here, the district's own teacher) does not make them a family voice:
    a person of staff speaks as staff, whatever category a record files them under."""
    plan = await create_plan(leader)
    url = f"{PLANS}/{plan['id']}"
    session = await create_activity(leader, plan_id=plan["id"], status="held")
    teacher = await person_of(leader, tokens, world, Role.TEACHER)
    posing = await create_stakeholder(leader, "Parent representative", "family", person_id=teacher)
    await participate(leader, session["id"], stakeholder_id=posing["id"])
    staff = await create_stakeholder(leader, "Teachers' council", "teacher")
    await participate(leader, session["id"], stakeholder_id=staff["id"])

    check = await get_json(leader, f"{url}/policy-check")
    assert (check["voices_heard"], check["met"]) == (["teachers"], False)
    assert check["missing"] == ["families or community members among the participants of its co-creation"]
    assert (await _graphql_check(leader, plan["id"]))["voicesHeard"] == ["TEACHERS"]
    refused = await leader.patch(url, json={"status": "in_review"}, headers=ANY_VERSION)
    assert_problem(refused, 422, "validation_failed")

    # A family who is not staff, filed the same way, is heard.
    parent = await new_person(leader, tokens, "Rosa")
    family = await create_stakeholder(leader, "Parent representative 2", "family", person_id=parent)
    await participate(leader, session["id"], stakeholder_id=family["id"])
    assert (await get_json(leader, f"{url}/policy-check"))["met"] is True
