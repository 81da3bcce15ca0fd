"""REST for improvement plans: the plan, its collaborators and goal tree, pre-planning, the co-creation
policy and approval, revisions and diffs, review checkpoints and export, with real tokens from the real
token endpoint."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.identity.models import Role
from app.plans import service as plans
from tests.conftest import ANY_VERSION, Tokens, World
from tests.engagement.test_rest import add_input, create_activity, participate, person_of, update_input
from tests.initiatives.test_rest import (
    assert_problem,
    create_initiative,
    create_stakeholder,
    error_paths,
    get_json,
    ids,
    list_all,
    patch,
)

API = "/api/v1"
PLANS = f"{API}/plans"
GOALS = f"{API}/goals"
STRATEGIES = f"{API}/strategies"
STEPS = f"{API}/action-steps"
COLLABORATORS = f"{API}/plan-collaborators"
REVISIONS = f"{API}/plan-revisions"
CHECKPOINTS = f"{API}/checkpoints"
EVIDENCE = f"{API}/evidence"

Headers = dict[str, str]
Json = dict[str, Any]

TODAY = date.today()


def days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


# --- helpers ----------------------------------------------------------------------------------------


@pytest.fixture
async def leader(client: httpx.AsyncClient, tokens: Tokens) -> httpx.AsyncClient:
    """The HTTP client, signed in as district A's district leader (headers given per call win)."""
    client.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    return client


async def create_plan(client: httpx.AsyncClient, headers: Headers | None = None, **fields: Any) -> Json:
    body = {"cycle": "2026-27", "title": "Every child reads", **fields}
    response = await client.post(PLANS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    return response.json()


async def school_plan(client: httpx.AsyncClient, world: World, school: int = 0, **fields: Any) -> Json:
    return await create_plan(client, school_id=str(world.school_ids("A")[school]), **fields)


async def get_plan(client: httpx.AsyncClient, plan_id: str, headers: Headers | None = None) -> Json:
    return await get_json(client, f"{PLANS}/{plan_id}", headers)


async def update_plan(
    client: httpx.AsyncClient, plan: Json, headers: Headers | None = None, **changes: Any
) -> Json:
    return await patch(client, f"{PLANS}/{plan['id']}", plan, headers, **changes)


async def add_goal(
    client: httpx.AsyncClient, plan_id: str, headers: Headers | None = None, **fields: Any
) -> Json:
    body = {
        "statement": "Grade 3 reading proficiency rises",
        "indicator": {
            "name": "Grade 3 reading proficiency",
            "unit": "% of students",
            "direction": "increase",
            "baseline_value": 42,
            "target_value": 60,
            "target_date": "2027-06-01",
        },
        **fields,
    }
    response = await client.post(f"{PLANS}/{plan_id}/goals", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def add_strategy(
    client: httpx.AsyncClient, goal_id: str, headers: Headers | None = None, **fields: Any
) -> Json:
    body = {"title": "Small-group phonics", **fields}
    response = await client.post(f"{GOALS}/{goal_id}/strategies", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def add_step(
    client: httpx.AsyncClient, strategy_id: str, headers: Headers | None = None, **fields: Any
) -> Json:
    body = {"title": "Train K-3 teachers", **fields}
    response = await client.post(f"{STRATEGIES}/{strategy_id}/action-steps", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def add_collaborator(
    client: httpx.AsyncClient, plan_id: str, person_id: str, role: str, headers: Headers | None = None
) -> Json:
    response = await client.post(
        f"{PLANS}/{plan_id}/collaborators", json={"person_id": person_id, "role": role}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def tree(client: httpx.AsyncClient, plan: Json) -> dict[str, Json]:
    """One goal, one strategy, two action steps."""
    goal = await add_goal(client, plan["id"])
    strategy = await add_strategy(client, goal["id"])
    first = await add_step(client, strategy["id"], title="Train K-3 teachers")
    second = await add_step(client, strategy["id"], title="Buy decodable readers")
    return {"goal": goal, "strategy": strategy, "first": first, "second": second}


async def meet_policy(client: httpx.AsyncClient, plan: Json, *, families: bool = False) -> Json:
    """Hold a co-creation activity for the plan, attended by teachers (and families, if asked)."""
    activity = await create_activity(client, plan_id=plan["id"], status="held", title="Design session")
    teachers = await create_stakeholder(client, f"Teachers {uuid.uuid4().hex[:6]}", "teacher")
    await participate(client, activity["id"], stakeholder_id=teachers["id"])
    if families:
        parents = await create_stakeholder(client, f"Parents {uuid.uuid4().hex[:6]}", "family")
        await participate(client, activity["id"], stakeholder_id=parents["id"])
    return activity


async def approve(
    client: httpx.AsyncClient, plan: Json, approver: Headers, *, families: bool = False
) -> Json:
    """Meet the policy, submit for review (as the client's user) and approve (as `approver`)."""
    await meet_policy(client, plan, families=families)
    plan = await update_plan(client, await get_plan(client, plan["id"]), status="in_review")
    plan = await update_plan(client, plan, approver, status="approved")
    assert plan["status"] == "approved"
    return plan


DECIMALS = frozenset({"weight", "baseline_value", "target_value"})


def normal(value: Any) -> Any:
    """Rows with their decimals as numbers: a create echoes "2", a read the column's scale, "2.000"."""
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, dict):
        return {
            k: Decimal(v) if k in DECIMALS and isinstance(v, str) else normal(v) for k, v in value.items()
        }
    return value


async def b_headers(tokens: Tokens, role: Role = Role.DISTRICT_ADMIN) -> Headers:
    return await tokens.headers("B", role)


async def person_of_b(client: httpx.AsyncClient, tokens: Tokens) -> str:
    response = await client.post(
        f"{API}/people", json={"display_name": "Bea", "kind": "family"}, headers=await b_headers(tokens)
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


# --- plans ------------------------------------------------------------------------------------------


async def test_a_leader_creates_reads_lists_and_updates_a_plan(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    school_1 = str(world.school_ids("A")[0])
    initiative = await create_initiative(leader, school_id=school_1)
    response = await leader.post(
        PLANS,
        json={
            "cycle": " 2026-27 ",
            "title": "  Every child reads ",
            "summary": "Reading by grade 3.",
            "school_id": school_1,
            "initiative_id": initiative["id"],
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    plan = response.json()
    assert (plan["cycle"], plan["title"], plan["status"], plan["published"]) == (
        "2026-27",
        "Every child reads",
        "draft",
        False,
    )
    assert (plan["school_id"], plan["initiative_id"]) == (school_1, initiative["id"])
    assert plan["district_id"] == str(world.district_id("A"))
    assert (plan["version"], plan["approved_at"], plan["approved_by_label"]) == (1, None, None)

    fetched = await leader.get(f"{PLANS}/{plan['id']}")
    assert fetched.status_code == 200
    assert (fetched.json(), fetched.headers["etag"]) == (plan, '"1"')
    assert await list_all(leader, PLANS) == [plan]

    # Whoever starts a plan leads it.
    me = await person_of(leader, tokens, world, Role.DISTRICT_LEADER)
    (lead,) = await list_all(leader, f"{PLANS}/{plan['id']}/collaborators")
    assert (lead["person_id"], lead["role"], lead["plan_id"]) == (me, "lead", plan["id"])

    edited = await update_plan(leader, plan, title="Every child reads well", summary=None)
    assert (edited["title"], edited["summary"], edited["version"]) == ("Every child reads well", None, 2)
    assert await get_plan(leader, plan["id"]) == edited


async def test_plan_lists_filter_by_school_status_cycle_and_initiative(
    leader: httpx.AsyncClient, world: World
) -> None:
    school_1, school_2 = map(str, world.school_ids("A"))
    initiative = await create_initiative(leader)
    first = await create_plan(leader, title="First", school_id=school_1, initiative_id=initiative["id"])
    second = await create_plan(leader, title="Second", school_id=school_2, cycle="2027-28")
    district = await create_plan(leader, title="District")
    await meet_policy(leader, second)
    second = await update_plan(leader, second, status="in_review")

    async def titles(**params: Any) -> list[str]:
        return [p["title"] for p in await list_all(leader, PLANS, **params)]

    assert await titles() == ["First", "Second", "District"]
    assert await titles(school_id=school_2) == ["Second"]
    assert await titles(status="draft") == ["First", "District"]
    assert await titles(status="in_review") == ["Second"]
    assert await titles(cycle="2027-28") == ["Second"]
    assert await titles(initiative_id=initiative["id"]) == ["First"]
    assert await titles(cycle="2026-27", school_id=school_2) == []
    assert await titles(updated_since=second["updated_at"]) == ["Second"]
    assert ids(await list_all(leader, PLANS)) == ids([first, second, district])
    for params in ({"status": "archived"}, {"cycle": "2026"}, {"school_id": "nope"}):
        problem = assert_problem(await leader.get(PLANS, params=params), 422, "validation_failed")
        assert error_paths(problem) == [["query", next(iter(params))]]


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"cycle": "2026-28"}, ["body", "cycle"], "value_error"),
        ({"cycle": "2026/27"}, ["body", "cycle"], "string_pattern_mismatch"),
        ({"cycle": None}, ["body", "cycle"], "string_type"),
        ({"title": " "}, ["body", "title"], "string_too_short"),
        ({"status": "in_review"}, ["body", "status"], "extra_forbidden"),
        ({"titel": "typo"}, ["body", "titel"], "extra_forbidden"),
    ],
)
async def test_invalid_plans_are_422_naming_the_field(
    leader: httpx.AsyncClient, body: Json, path: list[str], code: str
) -> None:
    response = await leader.post(PLANS, json={"cycle": "2026-27", "title": "T", **body})
    problem = assert_problem(response, 422, "validation_failed")
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [(path, code)]
    assert await list_all(leader, PLANS) == []


@pytest.mark.parametrize(
    "body",
    [{"status": "archived"}, {"status": None}, {"title": None}, {"cycle": "2027-28"}, {"version": 9}],
)
async def test_invalid_plan_patches_are_422_and_write_nothing(
    leader: httpx.AsyncClient, world: World, body: Json
) -> None:
    plan = await school_plan(leader, world)
    response = await leader.patch(f"{PLANS}/{plan['id']}", json=body, headers=ANY_VERSION)
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", next(iter(body))]]
    assert await get_plan(leader, plan["id"]) == plan


async def test_references_to_another_district_are_404_naming_the_field(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    b_initiative = await create_initiative(leader, await b_headers(tokens))
    for field, value in (
        ("school_id", str(world.school_ids("B")[0])),
        ("initiative_id", b_initiative["id"]),
    ):
        response = await leader.post(PLANS, json={"cycle": "2026-27", "title": "T", field: value})
        assert error_paths(assert_problem(response, 404, "not_found")) == [["body", field]]
    assert await list_all(leader, PLANS) == []

    plan = await school_plan(leader, world)
    bea = await person_of_b(leader, tokens)
    response = await leader.post(
        f"{PLANS}/{plan['id']}/collaborators", json={"person_id": bea, "role": "co_author"}
    )
    assert error_paths(assert_problem(response, 404, "not_found")) == [["body", "person_id"]]
    response = await leader.patch(
        f"{PLANS}/{plan['id']}", json={"initiative_id": b_initiative["id"]}, headers=ANY_VERSION
    )
    assert error_paths(assert_problem(response, 404, "not_found")) == [["body", "initiative_id"]]

    parts = await tree(leader, plan)
    url = f"{STRATEGIES}/{parts['strategy']['id']}/action-steps"
    response = await leader.post(url, json={"title": "T", "owner_person_id": bea})
    assert error_paths(assert_problem(response, 404, "not_found")) == [["body", "owner_person_id"]]
    response = await leader.patch(
        f"{STEPS}/{parts['first']['id']}", json={"owner_person_id": bea}, headers=ANY_VERSION
    )
    assert error_paths(assert_problem(response, 404, "not_found")) == [["body", "owner_person_id"]]
    response = await leader.post(
        f"{PLANS}/{plan['id']}/evidence",
        json={"kind": "exemplar", "title": "T", "exemplar_school_id": str(world.school_ids("B")[0])},
    )
    assert error_paths(assert_problem(response, 404, "not_found")) == [["body", "exemplar_school_id"]]

    assert await get_plan(leader, plan["id"]) == plan
    assert len(await list_all(leader, f"{PLANS}/{plan['id']}/collaborators")) == 1
    assert ids(await list_all(leader, url)) == ids([parts["first"], parts["second"]])
    assert await list_all(leader, f"{PLANS}/{plan['id']}/evidence") == []


async def test_another_districts_plan_is_404_everywhere(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    b_leader = await b_headers(tokens, Role.DISTRICT_LEADER)
    theirs = await create_plan(leader, b_leader, title="B's plan")
    parts = {
        "goal": await add_goal(leader, theirs["id"], b_leader),
    }
    parts["strategy"] = await add_strategy(leader, parts["goal"]["id"], b_leader)
    parts["step"] = await add_step(leader, parts["strategy"]["id"], b_leader)
    (their_lead,) = await list_all(leader, f"{PLANS}/{theirs['id']}/collaborators", b_leader)
    plan_url = f"{PLANS}/{theirs['id']}"
    reads = [
        plan_url,
        f"{plan_url}/export",
        f"{plan_url}/export?format=markdown",
        f"{plan_url}/progress",
        f"{plan_url}/policy-check",
        f"{plan_url}/collaborators",
        f"{plan_url}/goals",
        f"{plan_url}/evidence",
        f"{plan_url}/pre-planning",
        f"{plan_url}/revisions",
        f"{plan_url}/revisions/diff?from=0&to=0",
        f"{plan_url}/checkpoints",
        f"{GOALS}/{parts['goal']['id']}",
        f"{GOALS}/{parts['goal']['id']}/strategies",
        f"{STRATEGIES}/{parts['strategy']['id']}/action-steps",
        f"{STEPS}/{parts['step']['id']}",
    ]
    writes = [
        ("PATCH", plan_url, {"title": "Ours"}),
        ("PATCH", plan_url, {"status": "in_review"}),
        (
            "POST",
            f"{plan_url}/goals",
            {"statement": "S", "indicator": {"name": "N", "unit": "u", "direction": "increase"}},
        ),
        ("PATCH", f"{GOALS}/{parts['goal']['id']}", {"statement": "Ours"}),
        ("DELETE", f"{GOALS}/{parts['goal']['id']}", None),
        ("PATCH", f"{STRATEGIES}/{parts['strategy']['id']}", {"title": "Ours"}),
        ("PATCH", f"{STEPS}/{parts['step']['id']}", {"progress": 90}),
        ("DELETE", f"{COLLABORATORS}/{their_lead['id']}", None),
        ("POST", f"{plan_url}/checkpoints", {"scheduled_on": days(7)}),
    ]
    principals = [await tokens.headers("A", role) for role in Role]
    principals += [await tokens.client_headers("A", label) for label in ("read", "roster", "referrals")]
    for headers in principals:
        for url in reads:
            assert_problem(await leader.get(url, headers=headers), 404, "not_found")
        for method, url, body in writes:
            response = await leader.request(method, url, json=body, headers=headers)
            assert_problem(response, 404, "not_found")
        listed = await leader.get(PLANS, params={"limit": 200}, headers=headers)
        assert theirs["id"] not in listed.text
        overdue = await leader.get(f"{CHECKPOINTS}/overdue", headers=headers)
        assert theirs["id"] not in overdue.text
    assert await get_plan(leader, theirs["id"], b_leader) == theirs
    assert len(await list_all(leader, f"{plan_url}/goals", b_leader)) == 1


# --- life cycle and the co-creation policy ----------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "to"),
    [
        ([], "approved"),
        ([], "active"),
        ([], "closed"),
        (["in_review"], "active"),
        (["in_review"], "closed"),
        (["in_review", "approved"], "draft"),
        (["in_review", "approved"], "in_review"),
        (["in_review", "approved", "active"], "approved"),
        (["in_review", "approved", "active", "closed"], "active"),
        (["in_review", "approved", "closed"], "draft"),
    ],
)
async def test_illegal_transitions_are_422_and_write_nothing(
    leader: httpx.AsyncClient, tokens: Tokens, world: World, route: list[str], to: str
) -> None:
    plan = await school_plan(leader, world)
    await meet_policy(leader, plan)
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    for status in route:
        # Its lead submits it; under separation of duties, the admin approves and moves it on.
        plan = await update_plan(leader, plan, None if status == "in_review" else admin, status=status)
    response = await leader.patch(f"{PLANS}/{plan['id']}", json={"status": to}, headers=admin | ANY_VERSION)
    problem = assert_problem(response, 422, "validation_failed")
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [(["body", "status"], "illegal_transition")]
    assert await get_plan(leader, plan["id"]) == plan


async def test_a_plan_goes_through_its_life_cycle(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    school_leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    plan = await school_plan(leader, world)
    await tree(leader, plan)
    await meet_policy(leader, plan)
    plan = await update_plan(leader, plan, status="in_review")
    plan = await update_plan(leader, plan, school_leader, status="draft")  # sent back by review
    plan = await update_plan(leader, plan, status="in_review")
    assert await list_all(leader, f"{PLANS}/{plan['id']}/revisions") == []
    plan = await update_plan(leader, plan, school_leader, status="approved")
    assert plan["approved_at"] is not None
    assert plan["approved_by_label"] == world.user("A", Role.SCHOOL_LEADER)[1]
    (base,) = await list_all(leader, f"{PLANS}/{plan['id']}/revisions")
    assert (base["number"], base["status"], base["reason"]) == (0, "accepted", "Approved.")
    plan = await update_plan(leader, plan, status="active")  # its lead puts it to work
    plan = await update_plan(leader, plan, status="closed")
    assert (plan["status"], plan["version"]) == ("closed", 7)
    response = await leader.patch(f"{PLANS}/{plan['id']}", json={"title": "Next year"}, headers=ANY_VERSION)
    assert_problem(response, 409, "conflict")


async def test_going_to_review_needs_the_co_creation_the_policy_asks_for(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan = await school_plan(leader, world)
    url = f"{PLANS}/{plan['id']}"
    check = await get_json(leader, f"{url}/policy-check")
    assert check.pop("judged_at") is None  # a draft is judged as of now
    assert check == {
        "plan_id": plan["id"],
        "met": False,
        "co_creation_activities": 0,
        "required_activities": 1,
        "voices_heard": [],
        "voices_required": ["teachers"],
        "missing": [
            "1 held co-creation activity linked to the plan or its initiative, attended (0 so far)",
            "teachers among the participants of its co-creation",
        ],
        "unanswered_barriers": [],
        "ready_for_approval": False,
    }
    refused = assert_problem(
        await leader.patch(url, json={"status": "in_review"}, headers=ANY_VERSION), 422, "validation_failed"
    )
    assert refused["missing"] == check["missing"]
    assert [(e["path"], e["code"], e["message"]) for e in refused["errors"]] == [
        (["body", "status"], "co_creation_policy", m) for m in check["missing"]
    ]
    assert await get_plan(leader, plan["id"]) == plan

    # What does not count: a planned co-creation activity, and co-production, however many teachers came.
    teachers = await create_stakeholder(leader, "K-3 teachers", "teacher")
    planned = await create_activity(leader, plan_id=plan["id"], held_on=days(10))
    await participate(leader, planned["id"], stakeholder_id=teachers["id"])
    plc = await create_activity(
        leader, plan_id=plan["id"], mode="co_production", kind="co_led_plc", status="held"
    )
    await participate(leader, plc["id"], stakeholder_id=teachers["id"])
    assert (await get_json(leader, f"{url}/policy-check"))["missing"] == check["missing"]

    # A held design session with families, and a teacher who stayed away: still no teachers.
    session = await create_activity(leader, plan_id=plan["id"], status="held")
    parents = await create_stakeholder(leader, "Parent association", "family")
    await participate(leader, session["id"], stakeholder_id=parents["id"])
    teacher = await person_of(leader, tokens, world, Role.TEACHER)
    absent = await participate(leader, session["id"], person_id=teacher, attended=False)
    check = await get_json(leader, f"{url}/policy-check")
    assert (check["met"], check["co_creation_activities"], check["voices_heard"]) == (False, 1, ["families"])
    assert check["missing"] == ["teachers among the participants of its co-creation"]
    refused = assert_problem(
        await leader.patch(url, json={"status": "in_review"}, headers=ANY_VERSION), 422, "validation_failed"
    )
    assert refused["missing"] == check["missing"]

    # The teacher came after all.
    response = await leader.patch(
        f"{API}/participations/{absent['id']}", json={"attended": True}, headers=ANY_VERSION
    )
    assert response.status_code == 200, response.text
    check = await get_json(leader, f"{url}/policy-check")
    assert (check["met"], check["missing"]) == (True, [])
    assert check["voices_heard"] == ["families", "teachers"]
    plan = await update_plan(leader, plan, status="in_review")
    assert plan["status"] == "in_review"


async def set_policy(client: httpx.AsyncClient, tokens: Tokens, world: World, **policy: Any) -> None:
    response = await client.patch(
        f"{API}/districts/{world.district_id('A')}",
        json=policy,
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN) | ANY_VERSION,
    )
    assert response.status_code == 200, response.text


async def test_a_held_session_nobody_attended_does_not_count_for_the_plan_gate(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """The gaming attempt: mark a co-creation session held and record nobody (or only absentees)."""
    await set_policy(leader, tokens, world, school_plan_voices=[])
    plan = await school_plan(leader, world)
    url = f"{PLANS}/{plan['id']}"
    await create_activity(leader, plan_id=plan["id"], status="held", title="Empty room")
    stayed_away = await create_activity(leader, plan_id=plan["id"], status="held", title="Nobody came")
    teachers = await create_stakeholder(leader, "K-3 teachers", "teacher")
    await participate(leader, stayed_away["id"], stakeholder_id=teachers["id"], attended=False)
    check = await get_json(leader, f"{url}/policy-check")
    assert (check["met"], check["co_creation_activities"]) == (False, 0)
    assert_problem(
        await leader.patch(url, json={"status": "in_review"}, headers=ANY_VERSION), 422, "validation_failed"
    )

    await participate(
        leader, stayed_away["id"], person_id=await person_of(leader, tokens, world, Role.TEACHER)
    )
    check = await get_json(leader, f"{url}/policy-check")
    assert (check["met"], check["co_creation_activities"]) == (True, 1)


async def test_co_creation_after_the_plan_went_to_review_does_not_count_for_its_approval(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """The gaming attempt: submit on a thin record, then hold sessions while the plan waits for
    approval. The record is judged as it stood when the plan went to review."""
    school_leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    plan = await school_plan(leader, world)
    url = f"{PLANS}/{plan['id']}"
    await meet_policy(leader, plan)
    plan = await update_plan(leader, plan, status="in_review")
    assert plan["submitted_at"] is not None
    await set_policy(leader, tokens, world, plan_min_co_creation=2)
    await meet_policy(leader, plan)  # held and attended, but after the plan went to review
    check = await get_json(leader, f"{url}/policy-check")
    assert (check["co_creation_activities"], check["met"], check["judged_at"]) == (
        1,
        False,
        plan["submitted_at"],
    )
    response = await leader.patch(url, json={"status": "approved"}, headers=school_leader | ANY_VERSION)
    problem = assert_problem(response, 422, "validation_failed")
    assert [e["code"] for e in problem["errors"]] == ["co_creation_policy"]
    assert (await get_plan(leader, plan["id"]))["status"] == "in_review"

    # Sent back and submitted again, the second session was held before it went to review: it counts.
    plan = await update_plan(leader, plan, school_leader, status="draft")
    plan = await update_plan(leader, plan, status="in_review")
    assert (await get_json(leader, f"{url}/policy-check"))["co_creation_activities"] == 2
    plan = await update_plan(leader, plan, school_leader, status="approved")
    assert plan["status"] == "approved"


async def test_attendance_counts_for_a_plan_only_as_it_stood_when_the_plan_went_to_review(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """The gaming attempts: record a participant as absent, send the plan to review, then turn the
    absence into attendance to carry the approval; or approve on a record and quietly withdraw the
    attendance afterwards. Attendance is dated when it is written: what was turned on after review
    never counts for the plan, and what is withdrawn no longer counts either, so an approved plan's
    check says its record no longer meets the policy."""
    await set_policy(leader, tokens, world, school_plan_voices=[])
    school_leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    plan = await school_plan(leader, world)
    url = f"{PLANS}/{plan['id']}"
    teachers = await create_stakeholder(leader, "K-3 teachers", "teacher")
    came = await create_activity(leader, plan_id=plan["id"], status="held", title="Design session")
    attended = await participate(leader, came["id"], stakeholder_id=teachers["id"])
    absent_from = await create_activity(leader, plan_id=plan["id"], status="held", title="Second session")
    absent = await participate(
        leader,
        absent_from["id"],
        person_id=await person_of(leader, tokens, world, Role.TEACHER),
        attended=False,
    )
    plan = await update_plan(leader, plan, status="in_review")
    await set_policy(leader, tokens, world, plan_min_co_creation=2)

    turned = await leader.patch(
        f"{API}/participations/{absent['id']}", json={"attended": True}, headers=ANY_VERSION
    )
    assert turned.status_code == 200, turned.text
    assert turned.json()["attendance_recorded_at"] > plan["submitted_at"]
    check = await get_json(leader, f"{url}/policy-check")
    assert (check["co_creation_activities"], check["met"]) == (1, False)
    problem = assert_problem(
        await leader.patch(url, json={"status": "approved"}, headers=school_leader | ANY_VERSION),
        422,
        "validation_failed",
    )
    assert [e["code"] for e in problem["errors"]] == ["co_creation_policy"]

    await set_policy(leader, tokens, world, plan_min_co_creation=1)
    plan = await update_plan(leader, plan, school_leader, status="approved")
    assert (await get_json(leader, f"{url}/policy-check"))["met"] is True
    withdrawn = await leader.patch(
        f"{API}/participations/{attended['id']}", json={"attended": False}, headers=ANY_VERSION
    )
    assert withdrawn.status_code == 200, withdrawn.text
    check = await get_json(leader, f"{url}/policy-check")
    # The withdrawn attendance no longer counts, and the one turned on after review never did.
    assert (check["co_creation_activities"], check["met"], check["judged_at"]) == (
        0,
        False,
        plan["submitted_at"],
    )


async def plan_with_a_session(client: httpx.AsyncClient, world: World, voice: str) -> tuple[Json, Json, Json]:
    """A draft plan at A's first school, a co-creation session held for it, and the participation of a
    teacher stakeholder (`voice`) in it: where the plan's barriers are raised."""
    plan = await school_plan(client, world)
    activity = await create_activity(client, plan_id=plan["id"], status="held")
    teachers = await create_stakeholder(client, voice, "teacher")
    said = await participate(client, activity["id"], stakeholder_id=teachers["id"])
    return plan, activity, said


async def test_open_barriers_block_approval_until_answered_or_carried_as_accepted_risks(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    school_leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    plan, activity, said = await plan_with_a_session(leader, world, "K-3 teachers")
    url = f"{PLANS}/{plan['id']}"
    schedule = await add_input(
        leader, activity["id"], said["id"], kind="barrier", text="No time in the schedule."
    )
    books = await add_input(leader, activity["id"], said["id"], kind="barrier", text="No decodable books.")
    idea = await add_input(leader, activity["id"], said["id"], kind="idea")
    plan = await update_plan(leader, plan, status="in_review")  # barriers do not stop review ...
    check = await get_json(leader, f"{url}/policy-check")
    assert (check["met"], check["ready_for_approval"]) == (True, False)
    assert check["unanswered_barriers"] == [schedule["id"], books["id"]]
    response = await leader.patch(url, json={"status": "approved"}, headers=school_leader | ANY_VERSION)
    problem = assert_problem(response, 422, "validation_failed")  # ... they stop approval
    assert [e["code"] for e in problem["errors"]] == ["unanswered_barrier", "unanswered_barrier"]
    assert problem["unanswered_barriers"] == [schedule["id"], books["id"]]

    # Under consideration is not an answer; adopted is.
    schedule = await update_input(leader, schedule, disposition="under_consideration")
    assert (await get_json(leader, f"{url}/policy-check"))["unanswered_barriers"] == [
        schedule["id"],
        books["id"],
    ]
    await update_input(leader, schedule, disposition="adopted", response="A protected 30-minute block.")

    # The other is carried as an accepted risk, with a reason, by the plan's lead; not by a teacher,
    # and only a barrier of this plan's co-creation can be.
    risks = f"{url}/accepted-risks"
    body = {"input_id": books["id"], "reason": "Books arrive in January; until then, teacher-made texts."}
    teacher = await tokens.headers("A", Role.TEACHER)
    assert_problem(await leader.post(risks, json=body, headers=teacher), 403, "forbidden")
    problem = assert_problem(
        await leader.post(risks, json={**body, "input_id": idea["id"]}), 404, "not_found"
    )
    assert error_paths(problem) == [["body", "input_id"]]
    assert_problem(await leader.post(risks, json={**body, "reason": ""}), 422, "validation_failed")
    response = await leader.post(risks, json=body)
    assert response.status_code == 201, response.text
    risk = response.json()
    assert (risk["input_id"], risk["reason"]) == (books["id"], body["reason"])
    assert risk["accepted_by_label"] == world.user("A", Role.DISTRICT_LEADER)[1]
    assert_problem(await leader.post(risks, json=body), 409, "conflict")
    assert ids(await list_all(leader, risks)) == [risk["id"]]
    check = await get_json(leader, f"{url}/policy-check")
    assert (check["unanswered_barriers"], check["ready_for_approval"]) == ([], True)

    plan = await update_plan(leader, plan, school_leader, status="approved")
    assert plan["status"] == "approved"
    assert_problem(await leader.post(risks, json=body), 409, "conflict")


async def test_a_district_plan_also_needs_families_or_community_and_counts_its_initiatives_activities(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    initiative = await create_initiative(leader)
    plan = await create_plan(leader, initiative_id=initiative["id"])
    url = f"{PLANS}/{plan['id']}"
    # Held for the initiative the plan carries out, not for the plan itself: it counts.
    session = await create_activity(leader, initiative_id=initiative["id"], status="held")
    teachers = await create_stakeholder(leader, "Teachers union", "union")
    await participate(leader, session["id"], stakeholder_id=teachers["id"])
    check = await get_json(leader, f"{url}/policy-check")
    assert (check["co_creation_activities"], check["voices_heard"]) == (1, ["teachers"])
    assert check["voices_required"] == ["teachers", "families_or_community"]
    assert check["missing"] == ["families or community members among the participants of its co-creation"]
    refused = assert_problem(
        await leader.patch(url, json={"status": "in_review"}, headers=ANY_VERSION), 422, "validation_failed"
    )
    assert refused["missing"] == check["missing"]

    community = await person_of(leader, tokens, world, Role.COMMUNITY_MEMBER)
    await participate(leader, session["id"], person_id=community)
    check = await get_json(leader, f"{url}/policy-check")
    assert (check["met"], check["voices_heard"]) == (True, ["community", "teachers"])
    plan = await update_plan(leader, plan, status="in_review")

    # A school leader neither sees nor approves a district plan; a district approver other than its
    # lead approves it.
    response = await leader.patch(
        url, json={"status": "approved"}, headers=await tokens.headers("A", Role.SCHOOL_LEADER) | ANY_VERSION
    )
    assert_problem(response, 404, "not_found")
    plan = await update_plan(leader, plan, await tokens.headers("A", Role.DISTRICT_ADMIN), status="approved")
    assert plan["approved_by_label"] == world.user("A", Role.DISTRICT_ADMIN)[1]


async def test_a_leader_does_not_approve_their_own_plan(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """The gaming attempt: a district leader creates a district plan (becoming its lead), submits it
    and approves it alone. Separation of duties refuses; another approver's approval is recorded as a
    sign-off next to the reviewers'."""
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    plan = await create_plan(leader)
    url = f"{PLANS}/{plan['id']}"
    await meet_policy(leader, plan, families=True)
    plan = await update_plan(leader, plan, status="in_review")
    problem = assert_problem(
        await leader.patch(url, json={"status": "approved"}, headers=ANY_VERSION), 403, "forbidden"
    )
    assert problem["reason"] == "separation_of_duties"
    assert "its lead" in problem["detail"]

    # Stepping down as lead on the way does not help: whoever sent it to review does not approve it.
    (mine,) = await list_all(leader, f"{url}/collaborators")
    response = await leader.patch(
        f"{COLLABORATORS}/{mine['id']}", json={"role": "co_author"}, headers=ANY_VERSION
    )
    assert response.status_code == 200, response.text
    problem = assert_problem(
        await leader.patch(url, json={"status": "approved"}, headers=ANY_VERSION), 403, "forbidden"
    )
    assert problem["reason"] == "separation_of_duties"
    assert (await get_plan(leader, plan["id"]))["status"] == "in_review"

    # A reviewer signs it off (once), a teacher who is not one cannot; the admin approves.
    reviewer = await person_of(leader, tokens, world, Role.COACH)
    await add_collaborator(leader, plan["id"], reviewer, "reviewer", admin)
    coach = await tokens.headers("A", Role.COACH)
    sign_offs = f"{url}/sign-offs"
    response = await leader.post(sign_offs, json={"note": "Families' concerns are answered."}, headers=coach)
    assert response.status_code == 201, response.text
    assert_problem(await leader.post(sign_offs, json={}, headers=coach), 409, "conflict")
    teacher = await tokens.headers("A", Role.TEACHER)
    assert_problem(await leader.post(sign_offs, json={}, headers=teacher), 404, "not_found")
    plan = await update_plan(leader, await get_plan(leader, plan["id"]), admin, status="approved")
    signed = await list_all(leader, sign_offs)
    assert [(s["kind"], s["signed_by_label"], s["note"]) for s in signed] == [
        ("review", world.user("A", Role.COACH)[1], "Families' concerns are answered."),
        ("approval", world.user("A", Role.DISTRICT_ADMIN)[1], None),
    ]
    assert signed[0]["person_id"] == reviewer
    assert_problem(await leader.post(sign_offs, json={}, headers=coach), 409, "conflict")


async def test_where_the_district_does_not_separate_duties_a_lead_approves(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    response = await leader.patch(
        f"{API}/districts/{world.district_id('A')}",
        json={"separate_plan_approval": False},
        headers=await tokens.headers("A", Role.DISTRICT_ADMIN) | ANY_VERSION,
    )
    assert response.status_code == 200, response.text
    plan = await create_plan(leader)
    await meet_policy(leader, plan, families=True)
    plan = await update_plan(leader, plan, status="in_review")
    plan = await update_plan(leader, plan, status="approved")
    assert plan["approved_by_label"] == world.user("A", Role.DISTRICT_LEADER)[1]


async def test_who_approves_a_school_plan(leader: httpx.AsyncClient, tokens: Tokens, world: World) -> None:
    plan = await school_plan(leader, world)
    teacher_person = await person_of(leader, tokens, world, Role.TEACHER)
    await add_collaborator(leader, plan["id"], teacher_person, "co_author")
    await meet_policy(leader, plan)
    teacher = await tokens.headers("A", Role.TEACHER)
    plan = await update_plan(leader, plan, teacher, status="in_review")  # its co-authors submit it
    url = f"{PLANS}/{plan['id']}"
    for role in (Role.TEACHER, Role.COACH, Role.DISTRICT_LEADER):
        response = await leader.patch(
            url, json={"status": "approved"}, headers={**await tokens.headers("A", role), "If-Match": '"2"'}
        )
        problem = assert_problem(response, 403, "forbidden")
        assert problem["action"] == "plan:approve_school", role
    assert await get_plan(leader, plan["id"]) == plan
    assert await list_all(leader, f"{url}/revisions") == []

    approved = await update_plan(
        leader, plan, await tokens.headers("A", Role.SCHOOL_LEADER), status="approved"
    )
    assert approved["approved_by_label"] == world.user("A", Role.SCHOOL_LEADER)[1]

    # The admin approves both kinds; a leader of another school never sees this one.
    other = await school_plan(leader, world, school=1)
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    await approve(leader, other, admin)
    district = await create_plan(leader)
    await approve(leader, district, admin, families=True)


# --- who edits --------------------------------------------------------------------------------------


async def test_teachers_edit_only_plans_they_collaborate_on(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    teacher = await tokens.headers("A", Role.TEACHER)
    me = await person_of(leader, tokens, world, Role.TEACHER)
    body = {"cycle": "2026-27", "title": "Mine", "school_id": str(world.school_ids("A")[0])}
    assert_problem(await leader.post(PLANS, json=body, headers=teacher), 403, "forbidden")

    # At their school they read every plan, and edit none they do not write.
    plan = await school_plan(leader, world)
    url = f"{PLANS}/{plan['id']}"
    assert await get_plan(leader, plan["id"], teacher) == plan
    goal_body = {"statement": "S", "indicator": {"name": "N", "unit": "u", "direction": "increase"}}
    assert_problem(
        await leader.patch(url, json={"summary": "Mine"}, headers=teacher | ANY_VERSION), 403, "forbidden"
    )
    assert_problem(await leader.post(f"{url}/goals", json=goal_body, headers=teacher), 403, "forbidden")
    # Not even a "move" to the status it already has, which changes nothing (it was once let through).
    response = await leader.patch(
        url, json={"status": "draft", "published": False}, headers=teacher | ANY_VERSION
    )
    assert_problem(response, 403, "forbidden")
    reviewer = await add_collaborator(leader, plan["id"], me, "reviewer")
    assert_problem(
        await leader.patch(url, json={"summary": "Mine"}, headers=teacher | ANY_VERSION), 403, "forbidden"
    )
    assert await get_plan(leader, plan["id"]) == plan

    response = await leader.patch(
        f"{COLLABORATORS}/{reviewer['id']}", json={"role": "co_author"}, headers=ANY_VERSION
    )
    assert response.status_code == 200, response.text
    plan = await update_plan(leader, plan, teacher, summary="Ours")
    goal = await add_goal(leader, plan["id"], teacher)
    await add_strategy(leader, goal["id"], teacher)
    # Co-authors write; only the lead (or an approver) decides who writes.
    coach = await person_of(leader, tokens, world, Role.COACH)
    response = await leader.post(
        f"{url}/collaborators", json={"person_id": coach, "role": "co_author"}, headers=teacher
    )
    assert_problem(response, 403, "forbidden")
    response = await leader.patch(
        f"{COLLABORATORS}/{reviewer['id']}", json={"role": "lead"}, headers=teacher | ANY_VERSION
    )
    assert_problem(response, 403, "forbidden")

    # Another school's plan does not exist for them, until they are asked to write it.
    theirs = await school_plan(leader, world, school=1, title="A High's plan")
    their_url = f"{PLANS}/{theirs['id']}"
    assert_problem(await leader.get(their_url, headers=teacher), 404, "not_found")
    assert_problem(
        await leader.patch(their_url, json={"summary": "S"}, headers=teacher | ANY_VERSION), 404, "not_found"
    )
    assert theirs["id"] not in ids(await list_all(leader, PLANS, teacher))
    await add_collaborator(leader, theirs["id"], me, "co_author")
    assert theirs["id"] in ids(await list_all(leader, PLANS, teacher))
    theirs = await update_plan(leader, theirs, teacher, summary="Invited")
    assert theirs["summary"] == "Invited"


async def test_a_teacher_who_leads_a_plan_decides_its_revisions_but_does_not_approve_it(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    teacher = await tokens.headers("A", Role.TEACHER)
    school_leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    plan = await school_plan(leader, world)
    (mine,) = await list_all(leader, f"{PLANS}/{plan['id']}/collaborators")
    me = await person_of(leader, tokens, world, Role.TEACHER)
    # One lead per plan: a second is refused until the first steps down.
    response = await leader.post(
        f"{PLANS}/{plan['id']}/collaborators", json={"person_id": me, "role": "lead"}
    )
    problem = assert_problem(response, 409, "conflict")
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [(["body", "role"], "one_lead")]
    co_author = await add_collaborator(leader, plan["id"], me, "co_author")
    response = await leader.patch(
        f"{COLLABORATORS}/{co_author['id']}", json={"role": "lead"}, headers=ANY_VERSION
    )
    assert_problem(response, 409, "conflict")
    # The school's leader hands the plan over: the district leader steps down, the teacher leads.
    response = await leader.delete(f"{COLLABORATORS}/{mine['id']}", headers=school_leader)
    assert response.status_code == 204
    response = await leader.patch(
        f"{COLLABORATORS}/{co_author['id']}", json={"role": "lead"}, headers=school_leader | ANY_VERSION
    )
    assert response.status_code == 200, response.text
    parts = await tree(leader, plan)
    await meet_policy(leader, plan)
    plan = await update_plan(leader, plan, teacher, status="in_review")
    response = await leader.patch(
        f"{PLANS}/{plan['id']}", json={"status": "approved"}, headers=teacher | ANY_VERSION
    )
    assert_problem(response, 403, "forbidden")
    plan = await update_plan(leader, plan, school_leader, status="approved")

    revision = await propose(leader, plan, [update("goal", parts["goal"]["id"], statement="Sharper")])
    accepted = await accept(leader, revision, plan, teacher)
    assert accepted["number"] == 1
    plan = await update_plan(leader, await get_plan(leader, plan["id"]), teacher, status="active")
    assert plan["status"] == "active"
    # Publishing is the leaders' call.
    response = await leader.patch(
        f"{PLANS}/{plan['id']}", json={"published": True}, headers=teacher | ANY_VERSION
    )
    assert_problem(response, 403, "forbidden")


async def test_community_members_read_only_approved_published_plans(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    community = await tokens.headers("A", Role.COMMUNITY_MEMBER)
    admin = await tokens.headers("A", Role.DISTRICT_ADMIN)
    draft = await school_plan(leader, world, title="Draft")
    response = await leader.patch(f"{PLANS}/{draft['id']}", json={"published": True}, headers=ANY_VERSION)
    problem = assert_problem(response, 422, "validation_failed")
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [(["body", "published"], "not_approved")]

    approved = await school_plan(leader, world, school=1, title="Approved")
    parts = await tree(leader, approved)
    approved = await approve(leader, approved, admin)
    assert_problem(await leader.get(f"{PLANS}/{approved['id']}", headers=community), 404, "not_found")
    assert await list_all(leader, PLANS, community) == []

    published = await update_plan(leader, approved, published=True)
    assert await list_all(leader, PLANS, community) == [published]
    assert await get_plan(leader, published["id"], community) == published
    assert_problem(await leader.get(f"{PLANS}/{draft['id']}", headers=community), 404, "not_found")
    goals = await list_all(leader, f"{PLANS}/{published['id']}/goals", community)
    assert ids(goals) == [parts["goal"]["id"]]
    document = await leader.get(f"{PLANS}/{published['id']}/export?format=markdown", headers=community)
    assert document.status_code == 200
    for body in ({"summary": "S"}, {"published": True}, {"status": "approved"}):
        response = await leader.patch(
            f"{PLANS}/{published['id']}", json=body, headers=community | ANY_VERSION
        )
        assert_problem(response, 403, "forbidden")
    assert await get_plan(leader, published["id"]) == published
    response = await leader.patch(
        f"{STEPS}/{parts['first']['id']}", json={"progress": 80}, headers=community | ANY_VERSION
    )
    assert_problem(response, 403, "forbidden")


# --- collaborators ----------------------------------------------------------------------------------


async def test_collaborators_are_added_listed_changed_and_removed(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan = await school_plan(leader, world)
    url = f"{PLANS}/{plan['id']}/collaborators"
    (lead,) = await list_all(leader, url)
    teacher = await person_of(leader, tokens, world, Role.TEACHER)
    added = await add_collaborator(leader, plan["id"], teacher, "co_author")
    assert (added["plan_id"], added["person_id"], added["role"]) == (plan["id"], teacher, "co_author")
    assert await list_all(leader, url) == [lead, added]

    again = await leader.post(url, json={"person_id": teacher, "role": "reviewer"})
    assert error_paths(assert_problem(again, 409, "conflict")) == [["body", "person_id"]]
    response = await leader.post(url, json={"person_id": teacher, "role": "owner"})
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", "role"]]

    response = await leader.patch(
        f"{COLLABORATORS}/{added['id']}", json={"role": "reviewer"}, headers=ANY_VERSION
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "reviewer"
    assert (await leader.delete(f"{COLLABORATORS}/{added['id']}")).status_code == 204
    assert await list_all(leader, url) == [lead]
    assert_problem(await leader.delete(f"{COLLABORATORS}/{added['id']}"), 404, "not_found")
    assert_problem(
        await leader.patch(f"{COLLABORATORS}/{uuid.uuid4()}", json={"role": "lead"}, headers=ANY_VERSION),
        404,
        "not_found",
    )
    assert plan == await get_plan(leader, plan["id"])


# --- the goal tree ----------------------------------------------------------------------------------


async def test_a_goals_indicator_is_read_and_changed_through_the_indicator_endpoints_before_approval(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Like any other indicator: read, changed with `If-Match` (the goal's version moves with it),
    measured by student feedback if the district says so; refused once the plan is approved (a revision
    changes it then), and never removed apart from its goal."""
    plan = await school_plan(leader, world)
    goal = await add_goal(leader, plan["id"])
    url = f"{API}/indicators/{goal['indicator']['id']}"
    read = await leader.get(url)
    assert read.status_code == 200, read.text
    assert normal(read.json()) == normal(goal["indicator"])
    assert read.headers["etag"] == f'"{goal["indicator"]["version"]}"'
    changed = await patch(leader, url, read.json(), baseline_value=45, feedback_measure="belonging")
    assert (changed["baseline_value"], changed["feedback_measure"]) == ("45", "belonging")
    after = await get_json(leader, f"{GOALS}/{goal['id']}")
    assert normal(after["indicator"]) == normal(changed)
    assert after["version"] == goal["version"] + 1
    stale = await leader.patch(
        url, json={"target_value": 70}, headers={"If-Match": f'"{read.json()["version"]}"'}
    )
    assert_problem(stale, 412, "stale_version")
    bad_dates = await leader.patch(
        url,
        json={"baseline_date": "2027-09-01", "target_date": "2027-06-01"},
        headers={"If-Match": f'"{changed["version"]}"'},
    )
    assert_problem(bad_dates, 422, "validation_failed")
    assert_problem(await leader.delete(url), 409, "conflict")
    teacher = await leader.patch(
        url,
        json={"target_value": 70},
        headers={**await tokens.headers("A", Role.TEACHER), "If-Match": f'"{changed["version"]}"'},
    )
    assert teacher.status_code in (403, 404), teacher.text
    other_district = await leader.get(url, headers=await b_headers(tokens))
    assert_problem(other_district, 404, "not_found")

    plan = await approve(
        leader, await get_plan(leader, plan["id"]), await tokens.headers("A", Role.SCHOOL_LEADER)
    )
    refused = await leader.patch(
        url, json={"target_value": 70}, headers={"If-Match": f'"{changed["version"]}"'}
    )
    assert_problem(refused, 409, "conflict")
    assert (await get_json(leader, url))["target_value"] == changed["target_value"]


async def test_goals_strategies_and_action_steps_are_added_read_changed_and_removed(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan = await school_plan(leader, world)
    response = await leader.post(
        f"{PLANS}/{plan['id']}/goals",
        json={
            "statement": " Grade 3 reading proficiency rises ",
            "weight": "2.5",
            "indicator": {
                "name": "Grade 3 reading proficiency",
                "unit": "% of students",
                "direction": "increase",
                "baseline_value": 42,
                "baseline_date": "2026-06-01",
                "target_value": 60,
                "target_date": "2027-06-01",
            },
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    goal = response.json()
    assert (goal["plan_id"], goal["statement"], Decimal(goal["weight"])) == (
        plan["id"],
        "Grade 3 reading proficiency rises",
        Decimal("2.5"),
    )
    indicator = goal["indicator"]
    assert (indicator["name"], indicator["direction"], indicator["initiative_id"]) == (
        "Grade 3 reading proficiency",
        "increase",
        None,
    )
    assert (Decimal(indicator["baseline_value"]), Decimal(indicator["target_value"])) == (42, 60)
    assert indicator["target_date"] == "2027-06-01"
    fetched = await leader.get(f"{GOALS}/{goal['id']}")
    assert (normal(fetched.json()), fetched.headers["etag"]) == (normal(goal), '"1"')
    assert normal(await list_all(leader, f"{PLANS}/{plan['id']}/goals")) == [normal(goal)]

    # A change to its measure is a change to the goal.
    moved = await patch(leader, f"{GOALS}/{goal['id']}", goal, indicator={"target_value": 65})
    assert (moved["version"], Decimal(moved["indicator"]["target_value"])) == (2, 65)
    assert moved["statement"] == goal["statement"]
    response = await leader.patch(
        f"{GOALS}/{goal['id']}", json={"indicator": {"target_date": "2026-01-01"}}, headers=ANY_VERSION
    )
    problem = assert_problem(response, 422, "validation_failed")
    assert error_paths(problem) == [["body", "indicator.target_date"]]

    strategy = await add_strategy(leader, goal["id"], driver="Teacher knowledge of phonics", weight=2)
    assert (strategy["goal_id"], strategy["plan_id"], strategy["driver"]) == (
        goal["id"],
        plan["id"],
        "Teacher knowledge of phonics",
    )
    assert normal(await list_all(leader, f"{GOALS}/{goal['id']}/strategies")) == [normal(strategy)]
    strategy = await patch(
        leader, f"{STRATEGIES}/{strategy['id']}", strategy, title="Phonics in small groups"
    )
    assert (strategy["title"], strategy["version"]) == ("Phonics in small groups", 2)

    coach = await person_of(leader, tokens, world, Role.COACH)
    response = await leader.post(
        f"{STRATEGIES}/{strategy['id']}/action-steps",
        json={
            "title": "Pilot decodable readers",
            "owner_person_id": coach,
            "starts_on": "2026-09-01",
            "due_on": "2026-12-15",
            "pilot_group": "Two grade 1 classrooms",
            "scale_up_criteria": "Fluency up 10 words a minute in the pilot classrooms",
        },
    )
    assert response.status_code == 201, response.text
    step = response.json()
    assert (step["status"], step["progress"], step["effective_progress"], step["is_pilot"]) == (
        "not_started",
        None,
        0,
        True,
    )
    assert (step["owner_person_id"], step["strategy_id"], step["plan_id"]) == (
        coach,
        strategy["id"],
        plan["id"],
    )
    fetched = await leader.get(f"{STEPS}/{step['id']}")
    assert (normal(fetched.json()), fetched.headers["etag"]) == (normal(step), '"1"')
    assert normal(await list_all(leader, f"{STRATEGIES}/{strategy['id']}/action-steps")) == [normal(step)]
    step = await patch(leader, f"{STEPS}/{step['id']}", step, status="in_progress", pilot_group=None)
    assert (step["effective_progress"], step["is_pilot"], step["version"]) == (50, False, 2)

    for url in (f"{STEPS}/{step['id']}", f"{STRATEGIES}/{strategy['id']}"):
        assert (await leader.delete(url)).status_code == 204
        assert_problem(await leader.delete(url), 404, "not_found")
    assert await list_all(leader, f"{GOALS}/{goal['id']}/strategies") == []

    # Removing a goal takes its strategies and steps with it.
    again = await add_strategy(leader, goal["id"])
    under = await add_step(leader, again["id"])
    assert (await leader.delete(f"{GOALS}/{goal['id']}")).status_code == 204
    for url in (
        f"{GOALS}/{goal['id']}",
        f"{GOALS}/{goal['id']}/strategies",
        f"{STRATEGIES}/{again['id']}/action-steps",
        f"{STEPS}/{under['id']}",
    ):
        assert_problem(await leader.get(url), 404, "not_found")
    assert await list_all(leader, f"{PLANS}/{plan['id']}/goals") == []


@pytest.mark.parametrize(
    ("what", "body", "path", "code"),
    [
        ("goal", {"weight": 0}, ["body", "weight"], "greater_than"),
        (
            "goal",
            {"indicator": {"name": "N", "direction": "increase"}},
            ["body", "indicator", "unit"],
            "missing",
        ),
        ("goal", {"statement": ""}, ["body", "statement"], "string_too_short"),
        ("strategy", {"weight": 0}, ["body", "weight"], "greater_than"),
        ("strategy", {"weight": "-1"}, ["body", "weight"], "greater_than"),
        ("step", {"weight": 0}, ["body", "weight"], "greater_than"),
        ("step", {"progress": 101}, ["body", "progress"], "less_than_equal"),
        ("step", {"status": "paused"}, ["body", "status"], "enum"),
        ("step", {"status": "blocked"}, ["body", "blocked_reason"], "reason_required"),
        (
            "step",
            {"starts_on": "2026-10-01", "due_on": "2026-09-01"},
            ["body", "due_on"],
            "dates_out_of_order",
        ),
        ("step", {"plan_id": str(uuid.uuid4())}, ["body", "plan_id"], "extra_forbidden"),
    ],
)
async def test_invalid_parts_of_the_tree_are_422_naming_the_field(
    leader: httpx.AsyncClient, world: World, what: str, body: Json, path: list[str | int], code: str
) -> None:
    plan = await school_plan(leader, world)
    goal = await add_goal(leader, plan["id"])
    strategy = await add_strategy(leader, goal["id"])
    if what == "goal":
        url = f"{PLANS}/{plan['id']}/goals"
        full = {"statement": "S", "indicator": {"name": "N", "unit": "u", "direction": "increase"}, **body}
    elif what == "strategy":
        url, full = f"{GOALS}/{goal['id']}/strategies", {"title": "T", **body}
    else:
        url, full = f"{STRATEGIES}/{strategy['id']}/action-steps", {"title": "T", **body}
    problem = assert_problem(await leader.post(url, json=full), 422, "validation_failed")
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [(path, code)]
    count = len(await list_all(leader, url))
    assert count == (1 if what == "goal" else 1 if what == "strategy" else 0)


async def test_a_rollout_starts_only_after_its_pilot_is_done_and_its_scale_up_criteria_are_met(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """No whole-staff rollout before the pilot: the rollout names the pilot it scales, and cannot go in
    progress until the pilot is done and someone recorded, on evidence, that its criteria were met."""
    plan = await school_plan(leader, world)
    parts = await tree(leader, plan)
    pilot = await add_step(
        leader,
        parts["strategy"]["id"],
        title="Grade 2 team tries decodable readers",
        pilot_group="Grade 2 team",
        scale_up_criteria="Two thirds of the pilot classrooms at 'consistent' by the spring walkthrough",
    )
    rollout = await add_step(
        leader,
        parts["strategy"]["id"],
        title="Decodable readers in every K-3 room",
        scales_pilot_id=pilot["id"],
    )
    assert rollout["scales_pilot_id"] == pilot["id"]
    starting = await leader.patch(
        f"{STEPS}/{rollout['id']}",
        json={"status": "in_progress"},
        headers={"If-Match": f'"{rollout["version"]}"'},
    )
    problem = assert_problem(starting, 422, "validation_failed")
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [(["body", "status"], "pilot_not_scaled")]
    early = await leader.post(f"{STEPS}/{pilot['id']}/scale-up", json={"evidence": "Looks good."})
    assert [e["code"] for e in assert_problem(early, 422, "validation_failed")["errors"]] == [
        "pilot_not_done"
    ]
    not_a_pilot = await leader.post(f"{STEPS}/{parts['first']['id']}/scale-up", json={"evidence": "Yes."})
    assert [e["code"] for e in assert_problem(not_a_pilot, 422, "validation_failed")["errors"]] == [
        "not_a_pilot"
    ]
    for target in (parts["first"]["id"], rollout["id"], str(uuid.uuid4())):
        wrong = await leader.patch(
            f"{STEPS}/{rollout['id']}",
            json={"scales_pilot_id": target},
            headers={"If-Match": f'"{rollout["version"]}"'},
        )
        assert [e["code"] for e in assert_problem(wrong, 422, "validation_failed")["errors"]] == [
            "not_a_pilot"
        ]
    with_pilot_elsewhere = await add_step(
        leader,
        parts["strategy"]["id"],
        title="Rollout elsewhere",
        status="blocked",
        blocked_reason="Pilot first",
    )
    other = await school_plan(leader, world, title="Another plan")
    other_pilot = await add_step(
        leader, (await tree(leader, other))["strategy"]["id"], title="Elsewhere", pilot_group="Grade 1"
    )
    elsewhere = await leader.patch(
        f"{STEPS}/{with_pilot_elsewhere['id']}",
        json={"scales_pilot_id": other_pilot["id"]},
        headers={"If-Match": f'"{with_pilot_elsewhere["version"]}"'},
    )
    assert [e["code"] for e in assert_problem(elsewhere, 422, "validation_failed")["errors"]] == [
        "not_a_pilot"
    ]

    pilot = await patch(leader, f"{STEPS}/{pilot['id']}", pilot, status="done")
    starting = await leader.patch(
        f"{STEPS}/{rollout['id']}",
        json={"status": "in_progress"},
        headers={"If-Match": f'"{rollout["version"]}"'},
    )
    assert [e["code"] for e in assert_problem(starting, 422, "validation_failed")["errors"]] == [
        "pilot_not_scaled"
    ]
    assert (await get_json(leader, f"{STEPS}/{rollout['id']}"))["status"] == "not_started"

    evidence = "Spring walkthrough: 5 of 6 pilot classrooms at 'consistent'."
    met = await leader.post(f"{STEPS}/{pilot['id']}/scale-up", json={"evidence": evidence})
    assert met.status_code == 200, met.text
    assert met.json()["scale_up_evidence"] == evidence
    assert met.json()["scale_up_met_by_label"]
    assert met.json()["scale_up_met_at"] is not None
    again = await leader.post(f"{STEPS}/{pilot['id']}/scale-up", json={"evidence": "Again."})
    assert_problem(again, 409, "conflict")
    assert_problem(
        await leader.post(f"{STEPS}/{pilot['id']}/scale-up", json={"evidence": " "}), 422, "validation_failed"
    )
    rollout = await patch(leader, f"{STEPS}/{rollout['id']}", rollout, status="in_progress")
    assert rollout["status"] == "in_progress"


async def test_progress_rolls_up_by_weight_from_set_and_derived_step_progress(
    leader: httpx.AsyncClient, world: World
) -> None:
    plan = await school_plan(leader, world)
    g1 = await add_goal(leader, plan["id"], statement="G1", weight=2)
    s1 = await add_strategy(leader, g1["id"], title="S1", weight=1)
    a = await add_step(leader, s1["id"], title="A", status="in_progress", progress=40)
    b = await add_step(leader, s1["id"], title="B", status="done", weight=3)
    s2 = await add_strategy(leader, g1["id"], title="S2", weight=3)
    c = await add_step(leader, s2["id"], title="C", status="in_progress")
    g2 = await add_goal(leader, plan["id"], statement="G2", weight=1)
    s3 = await add_strategy(leader, g2["id"], title="S3")
    d = await add_step(leader, s3["id"], title="D", status="blocked", blocked_reason="No substitute cover")
    e = await add_step(leader, s3["id"], title="E", status="done", progress=20)
    s4 = await add_strategy(leader, g2["id"], title="S4", weight=2)
    g3 = await add_goal(leader, plan["id"], statement="G3", weight=5)
    assert (e["progress"], e["effective_progress"]) == (20, 100), "done is done, whatever was set"

    progress = await get_json(leader, f"{PLANS}/{plan['id']}/progress")

    def shape(node: Json) -> Any:
        children = node.get("goals") or node.get("strategies") or node.get("action_steps") or []
        return (node.get("progress"), [shape(child) for child in children])

    # S1 = (40·1 + 100·3)/4 = 85; S2 = 50; G1 = (85·1 + 50·3)/4 = 58.75; S3 = (0 + 100)/2 = 50; S4 has no
    # steps (null, not counted); G2 = 50; G3 has nothing (null); the plan = (58.75·2 + 50·1)/3 = 55.83.
    assert shape(progress) == (
        55.83,
        [
            (58.75, [(85.0, [(40, []), (100, [])]), (50.0, [(50, [])])]),
            (50.0, [(50.0, [(0, []), (100, [])]), (None, [])]),
            (None, []),
        ],
    )
    assert progress["plan_id"] == plan["id"]
    assert [g["id"] for g in progress["goals"]] == [g1["id"], g2["id"], g3["id"]]
    assert [s["id"] for s in progress["goals"][1]["strategies"]] == [s3["id"], s4["id"]]
    steps = [st for g in progress["goals"] for s in g["strategies"] for st in s["action_steps"]]
    assert [(st["id"], st["status"]) for st in steps] == [
        (a["id"], "in_progress"),
        (b["id"], "done"),
        (c["id"], "in_progress"),
        (d["id"], "blocked"),
        (e["id"], "done"),
    ]
    assert Decimal(progress["goals"][0]["weight"]) == 2

    # Setting C's progress replaces what its status says; the roll-up follows.
    await patch(leader, f"{STEPS}/{c['id']}", c, progress=90)
    progress = await get_json(leader, f"{PLANS}/{plan['id']}/progress")
    # S2 = 90; G1 = (85 + 270)/4 = 88.75; the plan = (177.5 + 50)/3 = 75.83.
    assert (progress["progress"], progress["goals"][0]["progress"]) == (75.83, 88.75)
    empty = await school_plan(leader, world, title="Empty")
    assert await get_json(leader, f"{PLANS}/{empty['id']}/progress") == {
        "plan_id": empty["id"],
        "progress": None,
        "goals": [],
    }


# --- after approval ---------------------------------------------------------------------------------


async def test_an_approved_plan_changes_only_by_revision_but_its_progress_is_reported(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan = await school_plan(leader, world)
    parts = await tree(leader, plan)
    coach = await person_of(leader, tokens, world, Role.COACH)
    step = await patch(leader, f"{STEPS}/{parts['first']['id']}", parts["first"], owner_person_id=coach)
    plan = await approve(leader, plan, await tokens.headers("A", Role.SCHOOL_LEADER))
    goal, strategy = parts["goal"], parts["strategy"]
    goal_body = {"statement": "S", "indicator": {"name": "N", "unit": "u", "direction": "increase"}}
    refused = [
        ("PATCH", f"{PLANS}/{plan['id']}", {"title": "New title"}),
        ("POST", f"{PLANS}/{plan['id']}/goals", goal_body),
        ("PATCH", f"{GOALS}/{goal['id']}", {"statement": "Sharper"}),
        ("DELETE", f"{GOALS}/{goal['id']}", None),
        ("POST", f"{GOALS}/{goal['id']}/strategies", {"title": "T"}),
        ("PATCH", f"{STRATEGIES}/{strategy['id']}", {"title": "T"}),
        ("DELETE", f"{STRATEGIES}/{strategy['id']}", None),
        ("POST", f"{STRATEGIES}/{strategy['id']}/action-steps", {"title": "T"}),
        ("PATCH", f"{STEPS}/{step['id']}", {"title": "T"}),
        ("PATCH", f"{STEPS}/{step['id']}", {"progress": 30, "due_on": "2027-01-01"}),
        ("DELETE", f"{STEPS}/{step['id']}", None),
    ]
    before = await get_json(leader, f"{PLANS}/{plan['id']}/export")
    for method, url, body in refused:
        problem = assert_problem(
            await leader.request(method, url, json=body, headers=ANY_VERSION), 409, "conflict"
        )
        assert "propose a revision" in problem["detail"], (method, url)
    assert await get_json(leader, f"{PLANS}/{plan['id']}/export") == before

    # Carrying the plan out is not changing it: status, progress and blocking reason are reported.
    step = await patch(leader, f"{STEPS}/{step['id']}", step, status="in_progress", progress=30)
    assert (step["status"], step["effective_progress"]) == ("in_progress", 30)
    response = await leader.patch(f"{STEPS}/{step['id']}", json={"status": "blocked"}, headers=ANY_VERSION)
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", "blocked_reason"]]
    step = await patch(leader, f"{STEPS}/{step['id']}", step, status="blocked", blocked_reason="No cover")
    # ... by its owner too, who does not write the plan; and by nobody else who does not write it.
    coach_headers = await tokens.headers("A", Role.COACH)
    step = await patch(leader, f"{STEPS}/{step['id']}", step, coach_headers, status="done")
    assert (step["status"], step["blocked_reason"], step["effective_progress"]) == ("done", None, 100)
    response = await leader.patch(
        f"{STEPS}/{step['id']}", json={"title": "Mine"}, headers=coach_headers | ANY_VERSION
    )
    assert_problem(response, 403, "forbidden")
    teacher = await tokens.headers("A", Role.TEACHER)
    other = parts["second"]
    response = await leader.patch(
        f"{STEPS}/{other['id']}", json={"progress": 10}, headers=teacher | ANY_VERSION
    )
    assert_problem(response, 403, "forbidden")
    assert (await get_json(leader, f"{PLANS}/{plan['id']}/progress"))["progress"] == 50.0

    # Evidence and reviews are the record around the plan, not changes to it.
    response = await leader.post(f"{PLANS}/{plan['id']}/evidence", json={"kind": "data", "title": "Fall MAP"})
    assert response.status_code == 201, response.text
    response = await leader.post(f"{PLANS}/{plan['id']}/checkpoints", json={"scheduled_on": days(30)})
    assert response.status_code == 201, response.text

    plan = await update_plan(leader, await get_plan(leader, plan["id"]), status="closed")
    for method, url, body in (
        ("PATCH", f"{STEPS}/{other['id']}", {"progress": 10}),
        ("POST", f"{PLANS}/{plan['id']}/evidence", {"kind": "data", "title": "T"}),
        ("POST", f"{PLANS}/{plan['id']}/checkpoints", {"scheduled_on": days(30)}),
        (
            "POST",
            f"{PLANS}/{plan['id']}/revisions",
            {"reason": "R", "changes": [{"op": "update", "entity": "plan", "fields": {"summary": "S"}}]},
        ),
    ):
        assert_problem(await leader.request(method, url, json=body), 409, "conflict")


# --- revisions --------------------------------------------------------------------------------------


def update(entity: str, row_id: str | None = None, **fields: Any) -> Json:
    change: Json = {"op": "update", "entity": entity, "fields": fields}
    if row_id is not None:
        change["id"] = row_id
    return change


async def propose(
    client: httpx.AsyncClient,
    plan: Json,
    changes: list[Json],
    headers: Headers | None = None,
    reason: str = "The six-week review showed the pilot works.",
    **fields: Any,
) -> Json:
    response = await client.post(
        f"{PLANS}/{plan['id']}/revisions",
        json={"reason": reason, "changes": changes, **fields},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def accept(
    client: httpx.AsyncClient, revision: Json, plan: Json, headers: Headers | None = None, **body: Any
) -> Json:
    version = (await get_plan(client, plan["id"]))["version"]
    response = await client.post(
        f"{REVISIONS}/{revision['id']}/accept",
        json=body or None,
        headers={"If-Match": f'"{version}"', **(headers or {})},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def approved_plan(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> tuple[Json, dict[str, Json]]:
    """A plan at A's first school with a small tree, a teacher co-author, approved by the school
    leader. The district leader leads it."""
    plan = await school_plan(client, world)
    parts = await tree(client, plan)
    teacher = await person_of(client, tokens, world, Role.TEACHER)
    await add_collaborator(client, plan["id"], teacher, "co_author")
    plan = await approve(client, plan, await tokens.headers("A", Role.SCHOOL_LEADER))
    return plan, parts


async def test_a_co_author_proposes_a_revision_and_the_lead_accepts_it(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan, parts = await approved_plan(leader, tokens, world)
    teacher = await tokens.headers("A", Role.TEACHER)
    checkpoint = (
        await leader.post(f"{PLANS}/{plan['id']}/checkpoints", json={"scheduled_on": days(-1)})
    ).json()
    session = await create_activity(leader, plan_id=plan["id"], status="held")
    parents = await create_stakeholder(leader, "Parents", "family")
    said = await participate(leader, session["id"], stakeholder_id=parents["id"])
    idea = await add_input(leader, session["id"], said["id"], text="Reading nights for families.")
    goal, strategy, second = parts["goal"], parts["strategy"], parts["second"]
    changes = [
        update(
            "goal", goal["id"], statement="Grade 3 proficiency reaches 65%", indicator={"target_value": 65}
        ),
        {
            "op": "add",
            "entity": "strategy",
            "parent_id": goal["id"],
            "fields": {"title": "Family reading nights"},
        },
        {"op": "remove", "entity": "action_step", "id": second["id"]},
        update("action_step", parts["first"]["id"], due_on="2027-03-01"),
        update("plan", summary="Revised after the first review."),
    ]
    caused_by = [{"kind": "checkpoint", "id": checkpoint["id"]}, {"kind": "input", "id": idea["id"]}]
    revision = await propose(leader, plan, changes, teacher, caused_by=caused_by)
    assert (revision["status"], revision["number"], revision["plan_id"]) == ("proposed", None, plan["id"])
    assert revision["proposed_by_label"] == world.user("A", Role.TEACHER)[1]
    assert revision["caused_by"] == caused_by
    assert [c["op"] for c in revision["changes"]] == ["update", "add", "remove", "update", "update"]
    assert await get_json(leader, f"{REVISIONS}/{revision['id']}") == revision
    # Proposing changes nothing yet.
    assert await get_plan(leader, plan["id"]) == plan
    assert (await get_json(leader, f"{GOALS}/{goal['id']}"))["statement"] == goal["statement"]

    history = await list_all(leader, f"{PLANS}/{plan['id']}/revisions")
    assert [(r["number"], r["status"]) for r in history] == [(0, "accepted"), (None, "proposed")]
    assert ids(await list_all(leader, f"{PLANS}/{plan['id']}/revisions", status="proposed")) == [
        revision["id"]
    ]
    assert_problem(
        await leader.get(f"{PLANS}/{plan['id']}/revisions", params={"status": "pending"}),
        422,
        "validation_failed",
    )

    # A co-author proposes; the lead (or an approver) decides.
    url = f"{REVISIONS}/{revision['id']}/accept"
    assert_problem(await leader.post(url, headers=teacher), 403, "forbidden")
    stale = await leader.post(url, headers={"If-Match": f'"{plan["version"] - 1}"'})
    assert assert_problem(stale, 412, "stale_version")["current_version"] == plan["version"]
    assert (await get_json(leader, f"{REVISIONS}/{revision['id']}"))["status"] == "proposed"

    accepted = await accept(leader, revision, plan, note="Agreed at the review.")
    assert (accepted["status"], accepted["number"], accepted["decision_note"]) == (
        "accepted",
        1,
        "Agreed at the review.",
    )
    assert accepted["decided_by_label"] == world.user("A", Role.DISTRICT_LEADER)[1]
    assert accepted["decided_at"] is not None
    revised = await get_plan(leader, plan["id"])
    assert (revised["summary"], revised["version"]) == (
        "Revised after the first review.",
        plan["version"] + 1,
    )
    new_goal = await get_json(leader, f"{GOALS}/{goal['id']}")
    assert new_goal["statement"] == "Grade 3 proficiency reaches 65%"
    assert Decimal(new_goal["indicator"]["target_value"]) == 65
    strategies = await list_all(leader, f"{GOALS}/{goal['id']}/strategies")
    assert [s["title"] for s in strategies] == [strategy["title"], "Family reading nights"]
    assert_problem(await leader.get(f"{STEPS}/{second['id']}"), 404, "not_found")
    assert (await get_json(leader, f"{STEPS}/{parts['first']['id']}"))["due_on"] == "2027-03-01"
    assert_problem(await leader.post(url), 409, "conflict")

    # The diff between the plan as approved and revision 1.
    diff = await get_json(leader, f"{PLANS}/{plan['id']}/revisions/diff?from=0&to=1")
    assert (diff["plan_id"], diff["from_number"], diff["to_number"]) == (plan["id"], 0, 1)
    entries = {(e["entity"], e["change"]): e for e in diff["entries"]}
    assert set(entries) == {
        ("plan", "changed"),
        ("goal", "changed"),
        ("strategy", "added"),
        ("action_step", "removed"),
        ("action_step", "changed"),
    }
    assert entries[("plan", "changed")]["before"] == {"summary": None}
    assert entries[("plan", "changed")]["after"] == {"summary": "Revised after the first review."}
    assert entries[("goal", "changed")]["before"] == {
        "statement": goal["statement"],
        "indicator.target_value": "60",
    }
    assert entries[("goal", "changed")]["after"] == {
        "statement": "Grade 3 proficiency reaches 65%",
        "indicator.target_value": "65",
    }
    added = entries[("strategy", "added")]
    assert (added["id"], added["before"], added["after"]["title"]) == (
        strategies[1]["id"],
        None,
        "Family reading nights",
    )
    removed = entries[("action_step", "removed")]
    assert (removed["id"], removed["before"]["title"], removed["after"]) == (
        second["id"],
        second["title"],
        None,
    )
    assert entries[("action_step", "changed")]["after"] == {"due_on": "2027-03-01"}
    backwards = await get_json(leader, f"{PLANS}/{plan['id']}/revisions/diff?from=1&to=0")
    assert {(e["entity"], e["change"]) for e in backwards["entries"]} == {
        ("plan", "changed"),
        ("goal", "changed"),
        ("strategy", "removed"),
        ("action_step", "added"),
        ("action_step", "changed"),
    }
    same = await get_json(leader, f"{PLANS}/{plan['id']}/revisions/diff?from=1&to=1")
    assert same["entries"] == []
    for query, path in (("from=0&to=2", ["query", "to"]), ("from=5&to=1", ["query", "from"])):
        problem = assert_problem(
            await leader.get(f"{PLANS}/{plan['id']}/revisions/diff?{query}"), 404, "not_found"
        )
        assert error_paths(problem) == [path]
    for query in ("from=-1&to=0", "to=1", "from=a&to=1"):
        response = await leader.get(f"{PLANS}/{plan['id']}/revisions/diff?{query}")
        assert_problem(response, 422, "validation_failed")


async def test_a_rejected_revision_says_why_and_changes_nothing(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan, parts = await approved_plan(leader, tokens, world)
    teacher = await tokens.headers("A", Role.TEACHER)
    revision = await propose(leader, plan, [update("goal", parts["goal"]["id"], statement="Softer")], teacher)
    url = f"{REVISIONS}/{revision['id']}/reject"
    for body in ({}, {"note": " "}):
        assert_problem(await leader.post(url, json=body), 422, "validation_failed")
    assert_problem(await leader.post(url, json={"note": "No."}, headers=teacher), 403, "forbidden")
    # An approver may decide too.
    response = await leader.post(
        url,
        json={"note": "The data do not support it."},
        headers=await tokens.headers("A", Role.SCHOOL_LEADER),
    )
    assert response.status_code == 200, response.text
    rejected = response.json()
    assert (rejected["status"], rejected["number"], rejected["decision_note"]) == (
        "rejected",
        None,
        "The data do not support it.",
    )
    assert_problem(
        await leader.post(f"{REVISIONS}/{revision['id']}/accept", headers=ANY_VERSION), 409, "conflict"
    )
    assert_problem(await leader.post(url, json={"note": "Again."}), 409, "conflict")
    assert await get_plan(leader, plan["id"]) == plan
    assert (await get_json(leader, f"{GOALS}/{parts['goal']['id']}"))["statement"] == parts["goal"][
        "statement"
    ]
    history = await list_all(leader, f"{PLANS}/{plan['id']}/revisions", status="rejected")
    assert ids(history) == [revision["id"]]


async def test_accepting_a_revision_applies_all_of_it_or_nothing(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan, parts = await approved_plan(leader, tokens, world)
    goal, strategy = parts["goal"], parts["strategy"]
    sharper = await propose(
        leader,
        plan,
        [
            update("goal", goal["id"], statement="Sharper"),
            update("strategy", strategy["id"], title="Renamed"),
        ],
    )
    drop = await propose(leader, plan, [{"op": "remove", "entity": "strategy", "id": strategy["id"]}])
    before = await get_json(leader, f"{GOALS}/{goal['id']}")
    await accept(leader, drop, plan)
    plan = await get_plan(leader, plan["id"])

    response = await leader.post(
        f"{REVISIONS}/{sharper['id']}/accept", headers={"If-Match": f'"{plan["version"]}"'}
    )
    problem = assert_problem(response, 409, "conflict")
    assert problem["change"] == 1
    assert "Change 2 no longer applies" in problem["detail"]
    # The first change was not applied either.
    assert await get_json(leader, f"{GOALS}/{goal['id']}") == before
    assert await get_plan(leader, plan["id"]) == plan
    assert (await get_json(leader, f"{REVISIONS}/{sharper['id']}"))["status"] == "proposed"
    numbers = [
        r["number"] for r in await list_all(leader, f"{PLANS}/{plan['id']}/revisions", status="accepted")
    ]
    assert numbers == [0, 1]


@pytest.mark.parametrize(
    ("change", "path", "status", "code"),
    [
        (
            {"op": "update", "entity": "goal", "id": "{missing}", "fields": {"statement": "S"}},
            ["body", "changes", 0, "id"],
            404,
            "not_found",
        ),
        (
            {"op": "add", "entity": "action_step", "parent_id": "{missing}", "fields": {"title": "T"}},
            ["body", "changes", 0, "parent_id"],
            404,
            "not_found",
        ),
        (
            {"op": "update", "entity": "goal", "id": "{goal}", "fields": {"weight": 0}},
            ["body", "changes", 0, "fields", "weight"],
            422,
            "validation_failed",
        ),
        (
            {"op": "add", "entity": "goal", "fields": {"statement": "S"}},
            ["body", "changes", 0, "fields", "indicator"],
            422,
            "validation_failed",
        ),
        (
            {"op": "update", "entity": "plan", "fields": {"status": "closed"}},
            ["body", "changes", 0, "fields"],
            422,
            "validation_failed",
        ),
        (
            {"op": "remove", "entity": "plan"},
            ["body", "changes", 0],
            422,
            "validation_failed",
        ),
        (
            {"op": "remove", "entity": "goal"},
            ["body", "changes", 0],
            422,
            "validation_failed",
        ),
    ],
)
async def test_invalid_revisions_are_refused_naming_the_change(
    leader: httpx.AsyncClient,
    tokens: Tokens,
    world: World,
    change: Json,
    path: list[str | int],
    status: int,
    code: str,
) -> None:
    plan, parts = await approved_plan(leader, tokens, world)
    other = await school_plan(leader, world, title="Another plan")
    foreign_goal = await add_goal(leader, other["id"])
    ids_by_name = {"{missing}": foreign_goal["id"], "{goal}": parts["goal"]["id"]}
    body_change = {k: ids_by_name.get(v, v) if isinstance(v, str) else v for k, v in change.items()}
    response = await leader.post(
        f"{PLANS}/{plan['id']}/revisions", json={"reason": "R", "changes": [body_change]}
    )
    problem = assert_problem(response, status, code)
    assert path in error_paths(problem)
    assert [r["number"] for r in await list_all(leader, f"{PLANS}/{plan['id']}/revisions")] == [0]


async def test_revisions_are_for_approved_plans_and_their_causes_must_exist(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    draft = await school_plan(leader, world)
    body = {"reason": "R", "changes": [update("plan", summary="S")]}
    problem = assert_problem(
        await leader.post(f"{PLANS}/{draft['id']}/revisions", json=body), 409, "conflict"
    )
    assert "edit it directly" in problem["detail"]

    plan, parts = await approved_plan(leader, tokens, world)
    # A measurement of the goal's indicator is evidence a revision can name.
    measurement = await leader.post(
        f"/api/v1/indicators/{parts['goal']['indicator']['id']}/measurements",
        json={"value": 51, "measured_on": days(-1), "source": "Winter screener"},
    )
    assert measurement.status_code == 201, measurement.text
    cause = [{"kind": "measurement", "id": measurement.json()["id"]}]
    revision = await propose(leader, plan, body["changes"], caused_by=cause)
    assert revision["caused_by"] == cause
    for kind in ("input", "checkpoint", "measurement"):
        response = await leader.post(
            f"{PLANS}/{plan['id']}/revisions",
            json={**body, "caused_by": [{"kind": kind, "id": str(uuid.uuid4())}]},
        )
        assert error_paths(assert_problem(response, 404, "not_found")) == [["body", "caused_by", 0, "id"]]
    for bad in (
        {"changes": []},
        {"reason": ""},
        {"caused_by": [{"kind": "rumour", "id": str(uuid.uuid4())}]},
    ):
        response = await leader.post(f"{PLANS}/{plan['id']}/revisions", json={**body, **bad})
        assert_problem(response, 422, "validation_failed")
    # Someone who reads the plan but does not write it proposes nothing.
    response = await leader.post(
        f"{PLANS}/{plan['id']}/revisions", json=body, headers=await tokens.headers("A", Role.COACH)
    )
    assert_problem(response, 403, "forbidden")


# --- versions ---------------------------------------------------------------------------------------


async def test_stale_if_match_is_412_and_writes_nothing(leader: httpx.AsyncClient, world: World) -> None:
    plan = await school_plan(leader, world)
    parts = await tree(leader, plan)
    checkpoint = (
        await leader.post(f"{PLANS}/{plan['id']}/checkpoints", json={"scheduled_on": days(7)})
    ).json()
    rows = [
        (f"{PLANS}/{plan['id']}", plan, {"title": "Renamed"}),
        (f"{GOALS}/{parts['goal']['id']}", parts["goal"], {"statement": "Renamed"}),
        (f"{STRATEGIES}/{parts['strategy']['id']}", parts["strategy"], {"title": "Renamed"}),
        (f"{STEPS}/{parts['first']['id']}", parts["first"], {"title": "Renamed"}),
        (f"{CHECKPOINTS}/{checkpoint['id']}", checkpoint, {"summary": "Renamed"}),
    ]
    for url, row, changes in rows:
        edited = await patch(leader, url, row, **changes)
        assert edited["version"] == 2
        for body in (dict.fromkeys(changes, "Overwritten"), changes):
            stale = await leader.patch(url, json=body, headers={"If-Match": '"1"'})
            assert assert_problem(stale, 412, "stale_version")["current_version"] == 2
        stale = await leader.patch(url, json={}, headers={"If-Match": '"1"'})
        assert_problem(stale, 412, "stale_version")
    response = await leader.patch(
        f"{PLANS}/{plan['id']}", json={"status": "in_review"}, headers={"If-Match": '"1"'}
    )
    assert_problem(response, 412, "stale_version")
    response = await leader.patch(f"{PLANS}/{plan['id']}", json={"title": "T"}, headers={"If-Match": "3"})
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["header", "If-Match"]]
    assert (await get_plan(leader, plan["id"]))["title"] == "Renamed"
    assert (await get_json(leader, f"{GOALS}/{parts['goal']['id']}"))["statement"] == "Renamed"
    assert (await get_json(leader, f"{STEPS}/{parts['first']['id']}"))["title"] == "Renamed"


async def test_two_co_authors_editing_at_once_never_lose_a_write(
    leader: httpx.AsyncClient, tokens: Tokens, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = await school_plan(leader, world)
    for role in (Role.TEACHER, Role.COACH):
        await add_collaborator(leader, plan["id"], await person_of(leader, tokens, world, role), "co_author")
    teacher = await tokens.headers("A", Role.TEACHER)
    coach = await tokens.headers("A", Role.COACH)
    url = f"{PLANS}/{plan['id']}"
    edits = {
        "teacher": {"title": "Every child reads, with phonics", "summary": "The teacher's summary."},
        "coach": {"title": "Every child reads, with coaching", "summary": "The coach's summary."},
    }
    # Hold each write between reading the plan and writing it, so the two certainly overlap: without
    # the row lock both would read version 1, pass the check, and the second would overwrite the first.
    read = plans.get_plan

    async def slow_read(*args: Any, **kwargs: Any) -> Any:
        plan = await read(*args, **kwargs)
        await asyncio.sleep(0.2)
        return plan

    monkeypatch.setattr(plans, "get_plan", slow_read)
    responses = await asyncio.gather(
        leader.patch(url, json=edits["teacher"], headers={**teacher, "If-Match": '"1"'}),
        leader.patch(url, json=edits["coach"], headers={**coach, "If-Match": '"1"'}),
    )
    monkeypatch.undo()
    assert sorted(r.status_code for r in responses) == [200, 412], [r.text for r in responses]
    by_status = {r.status_code: (who, r) for who, r in zip(edits, responses, strict=True)}
    winner, won = by_status[200]
    _, lost = by_status[412]
    problem = assert_problem(lost, 412, "stale_version")
    assert problem["current_version"] == 2
    stored = await get_plan(leader, plan["id"])
    assert stored == won.json()
    assert (stored["title"], stored["summary"], stored["version"]) == (
        edits[winner]["title"],
        edits[winner]["summary"],
        2,
    )

    # The loser re-reads, merges and writes on top: nothing is lost.
    loser = "coach" if winner == "teacher" else "teacher"
    merged = await update_plan(
        leader, stored, coach if loser == "coach" else teacher, summary=edits[loser]["summary"]
    )
    assert (merged["title"], merged["summary"], merged["version"]) == (
        edits[winner]["title"],
        edits[loser]["summary"],
        3,
    )


# --- pre-planning -----------------------------------------------------------------------------------


async def test_pre_planning_shows_the_evidence_and_the_inputs_of_the_plans_co_creation(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan = await school_plan(leader, world)
    url = f"{PLANS}/{plan['id']}"
    response = await leader.post(
        f"{url}/evidence",
        json={
            "kind": "exemplar",
            "title": " Ms. Diaz's guided reading ",
            "description": "Grade 2 fluency doubled.",
            "source_url": "https://example.org/diaz",
            "collected_on": "2026-05-01",
            "exemplar_school_id": str(world.school_ids("A")[1]),
        },
    )
    assert response.status_code == 201, response.text
    exemplar = response.json()
    assert (exemplar["title"], exemplar["kind"], exemplar["plan_id"]) == (
        "Ms. Diaz's guided reading",
        "exemplar",
        plan["id"],
    )
    data = (await leader.post(f"{url}/evidence", json={"kind": "data", "title": "Spring DIBELS"})).json()
    for bad, field in (({"kind": "hearsay"}, "kind"), ({"source_url": "ftp://x"}, "source_url")):
        response = await leader.post(f"{url}/evidence", json={"kind": "data", "title": "T", **bad})
        assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", field]]
    assert await list_all(leader, f"{url}/evidence") == [exemplar, data]

    session = await create_activity(leader, plan_id=plan["id"], status="held")
    other = await create_activity(leader, status="held", title="Unrelated")
    teachers = await create_stakeholder(leader, "Teachers", "teacher")
    said = await participate(leader, session["id"], stakeholder_id=teachers["id"], may_be_named=True)
    elsewhere = await participate(leader, other["id"], stakeholder_id=teachers["id"])
    barrier = await add_input(leader, session["id"], said["id"], kind="barrier", text="No time to plan.")
    lever = await add_input(leader, session["id"], said["id"], kind="leverage_point", text="Strong PLCs.")
    await add_input(leader, session["id"], said["id"], kind="idea", text="Shorter blocks.")
    await add_input(leader, other["id"], elsewhere["id"], kind="barrier", text="Not this plan's.")

    pre = await get_json(leader, f"{url}/pre-planning")
    assert pre["plan_id"] == plan["id"]
    assert pre["evidence"] == [exemplar, data]
    assert [i["id"] for i in pre["barriers"]] == [barrier["id"]]
    assert [i["id"] for i in pre["leverage_points"]] == [lever["id"]]
    assert pre["barriers"][0]["text"] == "No time to plan."

    assert (await leader.delete(f"{EVIDENCE}/{data['id']}")).status_code == 204
    assert_problem(await leader.delete(f"{EVIDENCE}/{data['id']}"), 404, "not_found")
    assert (await get_json(leader, f"{url}/pre-planning"))["evidence"] == [exemplar]
    teacher = await tokens.headers("A", Role.TEACHER)
    assert_problem(await leader.delete(f"{EVIDENCE}/{exemplar['id']}", headers=teacher), 403, "forbidden")
    response = await leader.post(f"{url}/evidence", json={"kind": "data", "title": "T"}, headers=teacher)
    assert_problem(response, 403, "forbidden")


# --- review checkpoints -----------------------------------------------------------------------------


async def test_reviews_are_scheduled_held_and_overdue_ones_are_visible(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan = await school_plan(leader, world)
    url = f"{PLANS}/{plan['id']}/checkpoints"
    response = await leader.post(
        f"{url}/schedule", json={"first_on": days(-84), "every_weeks": 6, "until": days(84)}
    )
    assert response.status_code == 201, response.text
    scheduled = response.json()
    assert [c["scheduled_on"] for c in scheduled] == [days(-84), days(-42), days(0), days(42), days(84)]
    assert [c["overdue"] for c in scheduled] == [True, True, False, False, False]
    assert all(c["held_on"] is None and c["attendee_person_ids"] == [] for c in scheduled)
    assert await list_all(leader, url) == scheduled
    assert await list_all(leader, url, overdue="true") == scheduled[:2]
    assert await list_all(leader, url, overdue="false") == scheduled[2:]
    assert await list_all(leader, f"{CHECKPOINTS}/overdue") == scheduled[:2]
    other = await school_plan(leader, world, school=1, title="Another")
    late = (await leader.post(f"{PLANS}/{other['id']}/checkpoints", json={"scheduled_on": days(-1)})).json()
    assert ids(await list_all(leader, f"{CHECKPOINTS}/overdue")) == ids([*scheduled[:2], late])
    # Overdue reviews are visible to whoever reads the plan.
    teacher = await tokens.headers("A", Role.TEACHER)
    assert ids(await list_all(leader, f"{CHECKPOINTS}/overdue", teacher)) == ids(scheduled[:2])

    first = scheduled[0]
    coach = await person_of(leader, tokens, world, Role.COACH)
    teacher_person = await person_of(leader, tokens, world, Role.TEACHER)
    held = await patch(
        leader,
        f"{CHECKPOINTS}/{first['id']}",
        first,
        held_on=days(-83),
        attendee_person_ids=[coach, teacher_person, coach],
        summary="Phonics pilot on track.",
        decisions="Extend to grade 2.",
    )
    assert (held["held_on"], held["overdue"], held["version"]) == (days(-83), False, 2)
    assert held["attendee_person_ids"] == [coach, teacher_person]
    assert ids(await list_all(leader, url, overdue="true")) == [scheduled[1]["id"]]

    checkpoint_url = f"{CHECKPOINTS}/{scheduled[1]['id']}"
    response = await leader.patch(checkpoint_url, json={"held_on": days(1)}, headers=ANY_VERSION)
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["body", "held_on"]]
    bea = await person_of_b(leader, tokens)
    response = await leader.patch(
        checkpoint_url, json={"attendee_person_ids": [coach, bea]}, headers=ANY_VERSION
    )
    assert error_paths(assert_problem(response, 404, "not_found")) == [["body", "attendee_person_ids", 1]]
    response = await leader.patch(
        checkpoint_url, json={"revision_id": str(uuid.uuid4())}, headers=ANY_VERSION
    )
    assert error_paths(assert_problem(response, 404, "not_found")) == [["body", "revision_id"]]
    for bad in ({"every_weeks": 0}, {"until": days(-100)}, {"until": days(2000)}):
        body = {"first_on": days(-84), "until": days(84), **bad}
        assert_problem(await leader.post(f"{url}/schedule", json=body), 422, "validation_failed")
    assert await list_all(leader, url) == [held, *scheduled[1:]]

    # A review that was held stays on the record; one that was not can be cancelled.
    assert_problem(await leader.delete(f"{CHECKPOINTS}/{first['id']}"), 409, "conflict")
    assert (await leader.delete(checkpoint_url)).status_code == 204
    assert_problem(await leader.delete(checkpoint_url), 404, "not_found")
    assert ids(await list_all(leader, url)) == ids([held, *scheduled[2:]])
    assert_problem(await leader.post(url, json={"scheduled_on": days(1)}, headers=teacher), 403, "forbidden")


async def test_a_review_records_the_revision_it_produced(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan, parts = await approved_plan(leader, tokens, world)
    checkpoint = (
        await leader.post(f"{PLANS}/{plan['id']}/checkpoints", json={"scheduled_on": days(-2)})
    ).json()
    revision = await propose(
        leader,
        plan,
        [update("strategy", parts["strategy"]["id"], driver="Teacher knowledge")],
        caused_by=[{"kind": "checkpoint", "id": checkpoint["id"]}],
    )
    held = await patch(
        leader,
        f"{CHECKPOINTS}/{checkpoint['id']}",
        checkpoint,
        held_on=days(-2),
        revision_id=revision["id"],
    )
    assert held["revision_id"] == revision["id"]
    other_plan, _ = await approved_plan(leader, tokens, world)
    theirs = await propose(leader, other_plan, [update("plan", summary="S")])
    response = await leader.patch(
        f"{CHECKPOINTS}/{checkpoint['id']}", json={"revision_id": theirs["id"]}, headers=ANY_VERSION
    )
    assert error_paths(assert_problem(response, 404, "not_found")) == [["body", "revision_id"]]


# --- export -----------------------------------------------------------------------------------------


async def test_a_plan_exports_as_json_markdown_and_html(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan = await school_plan(leader, world, title="Readers <everywhere> & beyond", summary="Reading first.")
    parts = await tree(leader, plan)
    await patch(
        leader,
        f"{STEPS}/{parts['first']['id']}",
        parts["first"],
        due_on="2026-11-30",
        pilot_group="Two grade 1 classrooms",
        scale_up_criteria="Both rooms at 'consistent' by December",
        status="in_progress",
    )
    evidence = (
        await leader.post(f"{PLANS}/{plan['id']}/evidence", json={"kind": "data", "title": "Fall MAP"})
    ).json()
    teacher = await person_of(leader, tokens, world, Role.TEACHER)
    await add_collaborator(leader, plan["id"], teacher, "reviewer")
    plan = await approve(leader, plan, await tokens.headers("A", Role.SCHOOL_LEADER))
    checkpoint = (
        await leader.post(f"{PLANS}/{plan['id']}/checkpoints", json={"scheduled_on": days(-3)})
    ).json()
    revision = await propose(leader, plan, [update("goal", parts["goal"]["id"], statement="Sharper goal")])
    await accept(leader, revision, plan)
    plan = await get_plan(leader, plan["id"])

    response = await leader.get(f"{PLANS}/{plan['id']}/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    exported = response.json()
    assert exported == (await leader.get(f"{PLANS}/{plan['id']}/export?format=json")).json()
    assert {k: exported[k] for k in plan} == plan
    assert exported["progress"] == 25.0
    assert [(c["role"], c["person_id"]) for c in exported["collaborators"]] == [
        ("lead", await person_of(leader, tokens, world, Role.DISTRICT_LEADER)),
        ("reviewer", teacher),
    ]
    (goal,) = exported["goals"]
    assert (goal["id"], goal["statement"]) == (parts["goal"]["id"], "Sharper goal")
    assert goal["indicator"]["name"] == "Grade 3 reading proficiency"
    (strategy,) = goal["strategies"]
    assert strategy["id"] == parts["strategy"]["id"]
    assert [(s["title"], s["effective_progress"]) for s in strategy["action_steps"]] == [
        ("Train K-3 teachers", 50),
        ("Buy decodable readers", 0),
    ]
    assert exported["evidence"] == [evidence]
    assert exported["checkpoints"] == [checkpoint]
    assert [(r["number"], r["reason"]) for r in exported["revisions"]] == [
        (0, "Approved."),
        (1, revision["reason"]),
    ]

    markdown = await leader.get(f"{PLANS}/{plan['id']}/export", params={"format": "markdown"})
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    text = markdown.text
    # What people wrote is text in the document, not markup (tests/plans/test_document_text.py).
    assert text.startswith("# Readers \\<everywhere\\> \\& beyond\n")
    for expected in (
        "**Cycle** 2026-27 · **Status** approved · **Progress** 25%",
        "Reading first.",
        "## Goal: Sharper goal",
        "Measured by *Grade 3 reading proficiency* (% of students): baseline 42, target 60 by 2027-06-01.",
        "### Strategy: Small-group phonics (25%)",
        "- Train K-3 teachers (in progress, 50%, due 2026-11-30) — pilot with Two grade 1 classrooms",
        "- Buy decodable readers (not started, 0%)",
        "## Evidence\n\n- Fall MAP (data)",
        f"- {days(-3)}: overdue",
        "## Revisions\n\n- 0: Approved.\n- 1: " + revision["reason"],
        # Who wrote it, by name; each pilot's scale-up criteria; the co-creation record.
        "## Who wrote it\n\n- **Lead**: ",
        "- **Reviewers**: ",
        "— pilot with Two grade 1 classrooms; scales up when: Both rooms at 'consistent' by December",
        "## Co-creation\n\nThe co-creation record as it stood on "
        f"{plan['submitted_at'][:10]} **meets** the district's policy: 1 of 1 required session(s) held and "
        "attended; voices heard: teachers.",
        f"### Sessions\n\n- {days(-3)}: Design session (design session, involve), 1 attended",
        "### Sign-offs\n\n- Approved by ",
    ):
        assert expected in text, expected
    assert "_" not in text.split("## Co-creation")[1].split("### Sign-offs")[0]

    page = await leader.get(f"{PLANS}/{plan['id']}/export", params={"format": "html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.startswith("<!doctype html>")
    assert "<title>Readers &lt;everywhere&gt; &amp; beyond</title>" in page.text
    assert "<h1>Readers &lt;everywhere&gt; &amp; beyond</h1>" in page.text
    assert "<h2>Goal: Sharper goal</h2>" in page.text
    assert "<li>Buy decodable readers (not started, 0%)</li>" in page.text
    assert "<strong>Cycle</strong>" in page.text
    # Its own formatting, rendered: emphasis in paragraphs and list items, nothing left as asterisks.
    assert "Measured by <em>Grade 3 reading proficiency</em>" in page.text
    assert "<li><strong>Lead</strong>: " in page.text
    assert "<strong>meets</strong>" in page.text
    assert "*" not in page.text.split("<body>")[1]
    assert "<everywhere>" not in page.text

    response = await leader.get(f"{PLANS}/{plan['id']}/export", params={"format": "pdf"})
    assert error_paths(assert_problem(response, 422, "validation_failed")) == [["query", "format"]]


async def test_reading_needs_a_token_and_the_read_scope(
    leader: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    plan = await school_plan(leader, world)
    goal = await add_goal(leader, plan["id"])
    for url in (f"{PLANS}/{plan['id']}", f"{GOALS}/{goal['id']}", PLANS, f"{CHECKPOINTS}/overdue"):
        response = await leader.get(url, headers={"Authorization": ""})
        assert_problem(response, 401, "unauthenticated")
    response = await leader.patch(
        f"{GOALS}/{goal['id']}", json={"statement": "S"}, headers={"Authorization": ""} | ANY_VERSION
    )
    assert_problem(response, 401, "unauthenticated")
    reader = await tokens.client_headers("A", "read")
    assert await get_plan(leader, plan["id"], reader) == plan
    assert_problem(
        await leader.patch(f"{PLANS}/{plan['id']}", json={"summary": "S"}, headers=reader | ANY_VERSION),
        403,
        "forbidden",
    )
    for label in ("roster", "referrals"):
        headers = await tokens.client_headers("A", label)
        assert_problem(await leader.get(PLANS, headers=headers), 403, "forbidden")
        assert_problem(await leader.get(f"{PLANS}/{plan['id']}", headers=headers), 403, "forbidden")
