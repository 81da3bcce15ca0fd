"""REST for the practice side of progress monitoring: walkthroughs and their picture, PDSA cycles and
the plan revisions they propose, PLC meetings and the needs they surface, and student feedback results
with their aggregates, with real tokens from the real token endpoint. (Who may never see what is
tried at length in test_privacy.py.)"""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx

from app.identity.models import Role
from tests.conftest import ANY_VERSION, Tokens, World
from tests.initiatives.test_rest import assert_problem, error_paths, ids, list_all
from tests.plans.test_rest import add_goal, add_strategy, approved_plan, school_plan
from tests.practice.helpers import (
    API,
    admin_headers,
    days,
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

# --- walkthroughs -----------------------------------------------------------------------------------


async def test_a_coach_runs_a_walkthrough_and_reads_its_picture(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    coach = await tokens.headers("A", Role.COACH)
    teachers = [await make_staff(client, tokens, world, name=f"Teacher {n}") for n in range(4)]
    made = await walkthrough(client, world, coach, notes="After the October PD day")
    assert made["observer_person_id"] == await world_person(client, tokens, world, Role.COACH)
    assert made["version"] == 1
    levels = ["proficient", "developing", "beginning", "beginning"]
    supports = ["none", "plc", "coaching", "coaching"]
    for teacher, level, support in zip(teachers, levels, supports, strict=True):
        await observe(
            client, made["id"], teacher.person_id, coach, level, support, note=f"{teacher.name} note"
        )

    support = await get(client, f"/walkthroughs/{made['id']}/support", coach)
    groups = {g["support"]: [t["teacher_name"] for t in g["teachers"]] for g in support["groups"]}
    assert groups == {"coaching": ["Teacher 2", "Teacher 3"], "plc": ["Teacher 1"]}

    observations = await list_all(client, f"{API}/walkthroughs/{made['id']}/observations", coach)
    assert len(observations) == 4
    one = await get(client, f"/observations/{observations[0]['id']}", coach)
    assert one["level"] == "proficient"
    changed = await client.patch(
        f"{API}/observations/{one['id']}", json={"level": "developing"}, headers=coach | ANY_VERSION
    )
    assert changed.status_code == 200
    assert changed.json()["level"] == "developing"

    # While open, the walkthrough shows how many classrooms were seen, and no levels.
    opened = await get(client, f"/walkthroughs/{made['id']}/summary", coach)
    assert (opened["closed"], opened["classrooms"], opened["suppressed"]) == (False, 4, True)
    closed = await post(client, f"/walkthroughs/{made['id']}/close", {}, coach, status=200)
    assert closed["id"] == made["id"]
    summary = await get(client, f"/walkthroughs/{made['id']}/summary", coach)
    assert (summary["closed"], summary["classrooms"], summary["suppressed"]) == (True, 4, False)
    assert {s["level"]: (s["classrooms"], s["share"]) for s in summary["levels"]} == {
        "not_observed": (0, 0.0),
        "beginning": (2, 0.5),
        "developing": (2, 0.5),
        "proficient": (0, 0.0),
    }
    assert summary["developing_or_above"] == 0.5
    # Closed: its classrooms no longer change.
    late = await client.patch(
        f"{API}/observations/{one['id']}", json={"level": "beginning"}, headers=coach | ANY_VERSION
    )
    assert late.status_code == 409


async def test_the_trend_follows_one_practice_at_one_school(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    teachers = [await make_staff(client, tokens, world) for _ in range(3)]
    first = await walkthrough(client, world, leader, observed_on=days(-60))
    second = await walkthrough(client, world, leader, practice="TURN AND TALK", observed_on=days(-10))
    other = await walkthrough(client, world, leader, practice="Exit tickets", observed_on=days(-30))
    for teacher in teachers:
        await observe(client, first["id"], teacher.person_id, leader, "beginning")
        await observe(client, second["id"], teacher.person_id, leader, "proficient")
        await observe(client, other["id"], teacher.person_id, leader, "developing")
    for made in (first, second, other):
        await post(client, f"/walkthroughs/{made['id']}/close", {}, leader, status=200)
    # A walkthrough at another school, by a district leader, never joins the first school's trend.
    await walkthrough(client, world, await tokens.headers("A", Role.DISTRICT_LEADER), school=1)

    trend = await get(client, f"/walkthroughs/{second['id']}/trend", leader)
    assert trend["practice"] == "TURN AND TALK"
    assert [w["walkthrough_id"] for w in trend["walkthroughs"]] == [first["id"], second["id"]]
    assert [w["developing_or_above"] for w in trend["walkthroughs"]] == [0.0, 1.0]

    listed = await list_all(client, f"{API}/walkthroughs", leader, practice="turn and talk")
    assert ids(listed) == [first["id"], second["id"]]
    school_2 = await list_all(client, f"{API}/walkthroughs", leader, school_id=str(world.school_ids("A")[1]))
    assert school_2 == []


async def test_a_walkthrough_of_fewer_than_three_classrooms_shows_no_levels(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    coach = await tokens.headers("A", Role.COACH)
    teacher = await world_person(client, tokens, world, Role.TEACHER)
    other = await make_staff(client, tokens, world)
    made = await walkthrough(client, world, coach)
    await observe(client, made["id"], teacher, coach, "proficient")
    await observe(client, made["id"], other.person_id, coach, "beginning")
    for headers in (coach, await tokens.headers("A", Role.TEACHER), other.headers):
        summary = await get(client, f"/walkthroughs/{made['id']}/summary", headers)
        assert summary["classrooms"] == 2
        assert summary["suppressed"] is True
        assert summary["developing_or_above"] is None
        assert all(s["classrooms"] is None and s["share"] is None for s in summary["levels"])


async def test_walkthrough_writes_are_checked(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    coach = await tokens.headers("A", Role.COACH)
    school_b = str(world.school_ids("B")[0])
    body = {"school_id": school_b, "practice": "P", "observed_on": days(0)}
    problem = assert_problem(
        await client.post(f"{API}/walkthroughs", json=body, headers=coach), 404, "not_found"
    )
    assert error_paths(problem) == [["body", "school_id"]]
    made = await walkthrough(client, world, coach)
    teacher = await world_person(client, tokens, world, Role.TEACHER)
    await observe(client, made["id"], teacher, coach)
    again = await client.post(
        f"{API}/walkthroughs/{made['id']}/observations",
        json={"teacher_person_id": teacher, "level": "beginning"},
        headers=coach,
    )
    assert error_paths(assert_problem(again, 409, "conflict")) == [["body", "teacher_person_id"]]
    family = await post(
        client, "/people", {"display_name": "A parent", "kind": "family"}, await admin_headers(tokens)
    )
    not_staff = await client.post(
        f"{API}/walkthroughs/{made['id']}/observations",
        json={"teacher_person_id": family["id"], "level": "beginning"},
        headers=coach,
    )
    assert error_paths(assert_problem(not_staff, 422, "validation_failed")) == [["body", "teacher_person_id"]]
    unknown = await client.post(
        f"{API}/walkthroughs/{made['id']}/observations",
        json={"teacher_person_id": teacher, "level": "excellent"},
        headers=coach,
    )
    assert_problem(unknown, 422, "validation_failed")
    teacher_headers = await tokens.headers("A", Role.TEACHER)
    assert_problem(
        await client.post(
            f"{API}/walkthroughs", json={**body, "school_id": made["school_id"]}, headers=teacher_headers
        ),
        403,
        "forbidden",
    )
    stale = await client.patch(
        f"{API}/walkthroughs/{made['id']}", json={"notes": "N"}, headers={**coach, "If-Match": '"7"'}
    )
    assert_problem(stale, 412, "stale_version")
    fresh = await client.patch(
        f"{API}/walkthroughs/{made['id']}", json={"notes": "N"}, headers={**coach, "If-Match": '"1"'}
    )
    assert fresh.status_code == 200
    assert fresh.json()["version"] == 2
    assert fresh.headers["etag"] == '"2"'
    assert (await client.delete(f"{API}/walkthroughs/{made['id']}", headers=coach)).status_code == 204
    assert_problem(await client.get(f"{API}/walkthroughs/{made['id']}", headers=coach), 404, "not_found")


async def test_a_walkthrough_links_a_plan_and_professional_learning_of_its_school(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    plan_1 = await school_plan(client, world, headers=leader)
    plan_2 = await school_plan(client, world, school=1, headers=leader)
    made = await walkthrough(client, world, leader, plan_id=plan_1["id"])
    assert made["plan_id"] == plan_1["id"]
    elsewhere = await client.post(
        f"{API}/walkthroughs",
        json={
            "school_id": str(world.school_ids("A")[0]),
            "practice": "P",
            "observed_on": days(0),
            "plan_id": plan_2["id"],
        },
        headers=leader,
    )
    assert error_paths(assert_problem(elsewhere, 422, "validation_failed")) == [["body", "plan_id"]]
    listed = await list_all(client, f"{API}/walkthroughs", leader, plan_id=plan_1["id"])
    assert ids(listed) == [made["id"]]


# --- PDSA cycles ------------------------------------------------------------------------------------


async def test_a_pdsa_cycle_runs_from_question_to_a_proposed_revision(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    client.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    plan, parts = await approved_plan(client, tokens, world)
    teacher = await tokens.headers("A", Role.TEACHER)  # a co-author of the plan
    strategy = parts["strategy"]
    cycle = await post(
        client,
        f"/strategies/{strategy['id']}/pdsa-cycles",
        {
            "question": "Do 10-minute phonics groups lift decoding?",
            "prediction": "Most of the group gains a level in six weeks.",
            "plan": "Two grade 1 classes, three times a week.",
            "started_on": days(-42),
        },
        teacher,
    )
    assert (cycle["plan_id"], cycle["strategy_id"], cycle["decision"]) == (plan["id"], strategy["id"], None)

    done = await client.patch(
        f"{API}/pdsa-cycles/{cycle['id']}",
        json={"done": "Ran it for six weeks.", "results": "9 of 12 gained a level."},
        headers={**teacher, "If-Match": '"1"'},
    )
    assert done.status_code == 200
    assert done.json()["version"] == 2
    rewritten = await client.patch(
        f"{API}/pdsa-cycles/{cycle['id']}",
        json={"prediction": "Everyone gains."},
        headers=teacher | ANY_VERSION,
    )
    assert error_paths(assert_problem(rewritten, 409, "conflict")) == [["body", "prediction"]]

    change = {
        "op": "update",
        "entity": "strategy",
        "id": strategy["id"],
        "fields": {"title": "Phonics groups, K-2"},
    }
    decided = await client.post(
        f"{API}/pdsa-cycles/{cycle['id']}/decision",
        json={"decision": "adapt", "revision": {"changes": [change]}},
        headers=teacher | ANY_VERSION,
    )
    assert decided.status_code == 200, decided.text
    decided_cycle = decided.json()
    assert decided_cycle["decision"] == "adapt"
    assert decided_cycle["decided_on"] == days(0)
    revision = await get(client, f"/plan-revisions/{decided_cycle['revision_id']}", teacher)
    assert revision["status"] == "proposed"
    assert revision["plan_id"] == plan["id"]
    assert revision["reason"].startswith("PDSA cycle (adapt): Do 10-minute")
    # The revision cites the cycle that proposed it, without being asked to.
    assert revision["caused_by"] == [{"kind": "pdsa_cycle", "id": cycle["id"]}]

    again = await client.post(
        f"{API}/pdsa-cycles/{cycle['id']}/decision", json={"decision": "adopt"}, headers=teacher | ANY_VERSION
    )
    assert_problem(again, 409, "conflict")
    after = await client.patch(
        f"{API}/pdsa-cycles/{cycle['id']}", json={"done": "More"}, headers=teacher | ANY_VERSION
    )
    assert_problem(after, 409, "conflict")

    for params in ({"plan_id": plan["id"]}, {"strategy_id": strategy["id"]}, {"decision": "adapt"}):
        assert ids(await list_all(client, f"{API}/pdsa-cycles", teacher, **params)) == [cycle["id"]]
    assert await list_all(client, f"{API}/pdsa-cycles", teacher, decision="abandon") == []
    # Plan readers read cycles; its authors run them, and so do the coaches of its school.
    school_leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    assert (await get(client, f"/pdsa-cycles/{cycle['id']}", school_leader))["decision"] == "adapt"


async def test_a_coach_of_the_plans_school_or_among_its_reviewers_runs_pdsa_cycles(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """Coaches run PDSA cycles (the domain says so); this was `403 plan:author` for any coach who did
    not co-author the plan."""
    client.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    plan, parts = await approved_plan(client, tokens, world)
    url = f"/strategies/{parts['strategy']['id']}/pdsa-cycles"
    body = {"question": "Does a warm-up routine help?", "prediction": "Yes, for most.", "plan": "Grade 2."}
    coach = await tokens.headers("A", Role.COACH)  # a coach of the plan's school
    cycle = await post(client, url, body, coach)
    done = await client.patch(
        f"{API}/pdsa-cycles/{cycle['id']}", json={"results": "8 of 10."}, headers=coach | ANY_VERSION
    )
    assert done.status_code == 200, done.text
    decided = await client.post(
        f"{API}/pdsa-cycles/{cycle['id']}/decision", json={"decision": "adopt"}, headers=coach | ANY_VERSION
    )
    assert decided.status_code == 200, decided.text

    # A coach of another school reads the plan (it is not theirs to see) only once they review it.
    other = await make_staff(client, tokens, world, Role.COACH, school=1)
    refused = await client.post(f"{API}{url}", json=body, headers=other.headers)
    assert refused.status_code in (403, 404), refused.text
    response = await client.post(
        f"{API}/plans/{plan['id']}/collaborators", json={"person_id": other.person_id, "role": "reviewer"}
    )
    assert response.status_code == 201, response.text
    await post(client, url, body, other.headers)
    # A teacher who does not write the plan still does not run its cycles.
    outsider = await make_staff(client, tokens, world, Role.TEACHER, school=0)
    assert_problem(await client.post(f"{API}{url}", json=body, headers=outsider.headers), 403, "forbidden")


async def test_a_decision_needs_results_and_revises_only_approved_plans(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    client.headers.update(leader)
    draft = await school_plan(client, world)
    goal = await add_goal(client, draft["id"])
    strategy = await add_strategy(client, goal["id"])
    cycle = await post(
        client,
        f"/strategies/{strategy['id']}/pdsa-cycles",
        {"question": "Q", "prediction": "P", "plan": "Pl"},
        leader,
    )
    no_results = await client.post(
        f"{API}/pdsa-cycles/{cycle['id']}/decision", json={"decision": "adopt"}, headers=ANY_VERSION
    )
    assert error_paths(assert_problem(no_results, 422, "validation_failed")) == [["body", "results"]]
    change = {"op": "update", "entity": "plan", "fields": {"summary": "S"}}
    on_draft = await client.post(
        f"{API}/pdsa-cycles/{cycle['id']}/decision",
        json={"decision": "adopt", "results": "It worked.", "revision": {"changes": [change]}},
        headers=ANY_VERSION,
    )
    assert_problem(on_draft, 409, "conflict")
    unchanged = await get(client, f"/pdsa-cycles/{cycle['id']}", leader)
    assert (unchanged["decision"], unchanged["results"], unchanged["revision_id"]) == (None, None, None)
    decided = await client.post(
        f"{API}/pdsa-cycles/{cycle['id']}/decision",
        json={"decision": "abandon", "results": "It did not.", "decided_on": days(-1)},
        headers=ANY_VERSION,
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["decision"], decided.json()["decided_on"]) == ("abandon", days(-1))
    assert (await client.delete(f"{API}/pdsa-cycles/{cycle['id']}")).status_code == 204
    assert_problem(await client.get(f"{API}/pdsa-cycles/{cycle['id']}"), 404, "not_found")


# --- PLC meetings -----------------------------------------------------------------------------------


async def test_plc_meetings_are_the_teachers_until_shared(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    teacher = await tokens.headers("A", Role.TEACHER)
    coach = await tokens.headers("A", Role.COACH)
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    meeting = await plc_meeting(
        client,
        world,
        teacher,
        agenda="Running records",
        notes="We disagree",
        needs=[" Small  Groups ", "small groups"],
    )
    assert meeting["needs"] == ["small groups"]
    assert meeting["shared_with_leadership"] is False
    assert (await get(client, f"/plc-meetings/{meeting['id']}", coach))["notes"] == "We disagree"
    assert_problem(await client.get(f"{API}/plc-meetings/{meeting['id']}", headers=leader), 404, "not_found")
    assert await list_all(client, f"{API}/plc-meetings", leader) == []

    shared = await client.patch(
        f"{API}/plc-meetings/{meeting['id']}",
        json={"shared_with_leadership": True},
        headers={**coach, "If-Match": '"1"'},
    )
    assert shared.status_code == 200
    assert shared.json()["version"] == 2
    assert ids(await list_all(client, f"{API}/plc-meetings", leader)) == [meeting["id"]]
    assert ids(await list_all(client, f"{API}/plc-meetings", leader, need="SMALL GROUPS")) == [meeting["id"]]
    assert_problem(
        await client.patch(
            f"{API}/plc-meetings/{meeting['id']}", json={"notes": "Edited"}, headers=leader | ANY_VERSION
        ),
        403,
        "forbidden",
    )
    assert_problem(
        await client.post(
            f"{API}/plc-meetings",
            json={"school_id": str(world.school_ids("A")[0]), "team": "T", "met_on": days(0)},
            headers=leader,
        ),
        403,
        "forbidden",
    )
    too_many = await client.post(
        f"{API}/plc-meetings",
        json={
            "school_id": str(world.school_ids("A")[0]),
            "team": "T",
            "met_on": days(0),
            "needs": [f"n{i}" for i in range(21)],
        },
        headers=teacher,
    )
    assert error_paths(assert_problem(too_many, 422, "validation_failed")) == [["body", "needs"]]
    assert (await client.delete(f"{API}/plc-meetings/{meeting['id']}", headers=teacher)).status_code == 204


async def test_the_leadership_team_reads_common_needs_of_shared_plcs(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    teacher = await tokens.headers("A", Role.TEACHER)
    elsewhere = await make_staff(client, tokens, world, school=1)
    grade_3 = {"team": "Grade 3 team", "shared_with_leadership": True}
    await plc_meeting(client, world, teacher, met_on=days(-30), needs=["small groups", "data"], **grade_3)
    await plc_meeting(client, world, teacher, met_on=days(-2), needs=["small groups"], **grade_3)
    await plc_meeting(
        client,
        world,
        teacher,
        team="Grade 4 team",
        met_on=days(-5),
        needs=["data"],
        shared_with_leadership=True,
    )
    await plc_meeting(
        client, world, teacher, team="Grade 4 team", met_on=days(-1), needs=["conflict"]
    )  # unshared
    await plc_meeting(
        client,
        world,
        elsewhere.headers,
        school=1,
        met_on=days(-4),
        needs=["data"],
        shared_with_leadership=True,
    )

    school_1 = str(world.school_ids("A")[0])
    leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    report = await get(client, "/plc-needs", leader, school_id=school_1)
    assert report["meetings"] == 3
    assert [(n["need"], n["meetings"], n["teams"], n["last_raised_on"]) for n in report["needs"]] == [
        ("small groups", 2, 1, days(-2)),
        ("data", 2, 2, days(-5)),
    ]
    # Without a school, a school leader reads their own school's; a district leader reads every school.
    assert (await get(client, "/plc-needs", leader))["needs"] == report["needs"]
    district = await get(client, "/plc-needs", await tokens.headers("A", Role.DISTRICT_LEADER))
    assert [(n["need"], n["meetings"], n["schools"]) for n in district["needs"]] == [
        ("data", 3, 2),
        ("small groups", 2, 1),
    ]
    recent = await get(client, "/plc-needs", leader, school_id=school_1, since=days(-10))
    assert [(n["need"], n["meetings"]) for n in recent["needs"]] == [("small groups", 1), ("data", 1)]
    # Teachers read the same roll-up: unshared meetings never count, whoever asks.
    assert (await get(client, "/plc-needs", teacher, school_id=school_1))["needs"] == report["needs"]
    other_school = await client.get(
        f"{API}/plc-needs", params={"school_id": str(world.school_ids("A")[1])}, headers=leader
    )
    assert_problem(other_school, 403, "forbidden")
    other_district = await client.get(
        f"{API}/plc-needs", params={"school_id": str(world.school_ids("B")[0])}, headers=leader
    )
    assert error_paths(assert_problem(other_district, 404, "not_found")) == [["query", "school_id"]]


# --- student feedback -------------------------------------------------------------------------------


async def test_a_teacher_records_reads_and_replaces_their_own_results(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    teacher = await tokens.headers("A", Role.TEACHER)
    me = await world_person(client, tokens, world, Role.TEACHER)
    first = await record(client, teacher)
    assert (first["teacher_person_id"], first["school_id"]) == (me, str(world.school_ids("A")[0]))
    assert Decimal(first["favourable_share"]) == Decimal("0.75")
    again = await record(client, teacher, 200, favourable_share="0.8", respondents=25)
    assert again["id"] == first["id"]
    assert Decimal(again["favourable_share"]) == Decimal("0.8")
    other = await record(client, teacher, measure="challenge")

    mine = await list_all(client, f"{API}/me/feedback-results", teacher)
    assert ids(mine) == [first["id"], other["id"]]
    assert ids(await list_all(client, f"{API}/feedback-results", teacher, measure="challenge")) == [
        other["id"]
    ]
    assert (await get(client, f"/feedback-results/{first['id']}", teacher))["respondents"] == 25

    invalid = await client.post(
        f"{API}/feedback-results",
        json={"measure": "m", "period": "p", "favourable_share": "1.5", "respondents": -1},
        headers=teacher,
    )
    assert sorted(error_paths(assert_problem(invalid, 422, "validation_failed"))) == [
        ["body", "favourable_share"],
        ["body", "respondents"],
    ]
    coach_person = await world_person(client, tokens, world, Role.COACH)
    for_someone = await client.post(
        f"{API}/feedback-results",
        json={
            "measure": "m",
            "period": "p",
            "favourable_share": "0.5",
            "respondents": 3,
            "teacher_person_id": coach_person,
        },
        headers=teacher,
    )
    assert_problem(for_someone, 403, "forbidden")
    at_other_school = await client.post(
        f"{API}/feedback-results",
        json={
            "measure": "m",
            "period": "p",
            "favourable_share": "0.5",
            "respondents": 3,
            "school_id": str(world.school_ids("A")[1]),
        },
        headers=teacher,
    )
    assert_problem(at_other_school, 403, "forbidden")
    coach = await tokens.headers("A", Role.COACH)
    assert_problem(
        await client.post(
            f"{API}/feedback-results",
            json={"measure": "m", "period": "p", "favourable_share": "0.5", "respondents": 3},
            headers=coach,
        ),
        403,
        "forbidden",
    )
    assert (await client.delete(f"{API}/feedback-results/{other['id']}", headers=teacher)).status_code == 204
    assert ids(await list_all(client, f"{API}/me/feedback-results", teacher)) == [first["id"]]


async def test_a_survey_integration_records_any_teachers_results(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    survey = await monitoring_client(client, tokens)
    teacher = await world_person(client, tokens, world, Role.TEACHER)
    school = str(world.school_ids("A")[0])
    made = await record(client, survey, teacher_person_id=teacher, school_id=school)
    assert made["teacher_person_id"] == teacher
    replaced = await record(client, survey, 200, teacher_person_id=teacher, school_id=school, respondents=30)
    assert replaced["id"] == made["id"]
    assert replaced["respondents"] == 30
    no_teacher = await client.post(
        f"{API}/feedback-results",
        json={
            "measure": "m",
            "period": "p",
            "favourable_share": "0.5",
            "respondents": 3,
            "school_id": school,
        },
        headers=survey,
    )
    assert error_paths(assert_problem(no_teacher, 422, "validation_failed")) == [
        ["body", "teacher_person_id"]
    ]
    no_school = await client.post(
        f"{API}/feedback-results",
        json={
            "measure": "m",
            "period": "p",
            "favourable_share": "0.5",
            "respondents": 3,
            "teacher_person_id": teacher,
        },
        headers=survey,
    )
    assert error_paths(assert_problem(no_school, 422, "validation_failed")) == [["body", "school_id"]]
    stranger = await client.post(
        f"{API}/feedback-results",
        json={
            "measure": "m",
            "period": "p",
            "favourable_share": "0.5",
            "respondents": 3,
            "school_id": school,
            "teacher_person_id": str(uuid.uuid4()),
        },
        headers=survey,
    )
    assert error_paths(assert_problem(stranger, 404, "not_found")) == [["body", "teacher_person_id"]]
    # It writes; it reads nothing back.
    assert_problem(await client.get(f"{API}/feedback-results", headers=survey), 403, "forbidden")
    assert_problem(await client.get(f"{API}/feedback-results/{made['id']}", headers=survey), 404, "not_found")
    assert_problem(await client.get(f"{API}/feedback-aggregates", headers=survey), 403, "forbidden")
    # The teacher reads what the survey recorded.
    mine = await list_all(client, f"{API}/me/feedback-results", await tokens.headers("A", Role.TEACHER))
    assert ids(mine) == [made["id"]]


async def test_a_teacher_shares_results_with_a_coach_and_withdraws_the_share(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    teacher = await tokens.headers("A", Role.TEACHER)
    coach = await tokens.headers("A", Role.COACH)
    coach_person = await world_person(client, tokens, world, Role.COACH)
    result = await record(client, teacher)
    assert_problem(
        await client.get(f"{API}/feedback-results/{result['id']}", headers=coach), 404, "not_found"
    )

    share = await post(client, "/feedback-shares", {"person_id": coach_person}, teacher)
    assert (await get(client, f"/feedback-results/{result['id']}", coach))["id"] == result["id"]
    assert ids(await list_all(client, f"{API}/feedback-results", coach)) == [result["id"]]
    assert ids(await list_all(client, f"{API}/feedback-shares", coach)) == [share["id"]]
    assert ids(await list_all(client, f"{API}/feedback-shares", teacher)) == [share["id"]]
    # The coach reads; only the teacher withdraws. Sharing twice, or with oneself, is refused.
    assert_problem(
        await client.delete(f"{API}/feedback-shares/{share['id']}", headers=coach), 403, "forbidden"
    )
    twice = await client.post(f"{API}/feedback-shares", json={"person_id": coach_person}, headers=teacher)
    assert error_paths(assert_problem(twice, 409, "conflict")) == [["body", "person_id"]]
    me = await world_person(client, tokens, world, Role.TEACHER)
    yourself = await client.post(f"{API}/feedback-shares", json={"person_id": me}, headers=teacher)
    assert error_paths(assert_problem(yourself, 422, "validation_failed")) == [["body", "person_id"]]

    assert (await client.delete(f"{API}/feedback-shares/{share['id']}", headers=teacher)).status_code == 204
    assert_problem(
        await client.get(f"{API}/feedback-results/{result['id']}", headers=coach), 404, "not_found"
    )
    assert await list_all(client, f"{API}/feedback-results", coach) == []


async def test_school_aggregates_are_weighted_and_suppressed_when_small(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    survey = await monitoring_client(client, tokens)
    school_1, school_2 = (str(s) for s in world.school_ids("A"))
    teachers = [await make_staff(client, tokens, world) for _ in range(3)]
    # Three teachers at the first school: 0.5 x 10, 0.8 x 20, 0.9 x 10 -> 30 of 40 favourable.
    for teacher, share, n in zip(teachers, ("0.5", "0.8", "0.9"), (10, 20, 10), strict=True):
        await record(
            client,
            survey,
            teacher_person_id=teacher.person_id,
            school_id=school_1,
            favourable_share=share,
            respondents=n,
        )
    # Two of them measured "challenge" too: two teachers' classes are never a school figure.
    for teacher in teachers[:2]:
        await record(
            client,
            survey,
            teacher_person_id=teacher.person_id,
            school_id=school_1,
            measure="challenge",
            respondents=40,
        )
    # Three teachers at the second school, but only 9 students in all: under the minimum n.
    for _ in range(3):
        other = await make_staff(client, tokens, world, school=1)
        await record(client, survey, teacher_person_id=other.person_id, school_id=school_2, respondents=3)

    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    # Nothing is published before the period is released.
    assert (await get(client, "/feedback-aggregates", leader))["cells"] == []
    await post(client, "/releases", {"subject": "feedback", "period": "2026-fall"}, leader)
    report = await get(client, "/feedback-aggregates", leader)
    assert (report["min_cell_size"], report["min_teachers"]) == (10, 3)
    cells = {(c["school_id"], c["measure"]): c for c in report["cells"]}
    released = cells[(school_1, "belonging")]
    assert {k: v for k, v in released.items() if k != "released_at"} == {
        "school_id": school_1,
        "measure": "belonging",
        "period": "2026-fall",
        "revision": 1,
        "suppressed": False,
        "favourable_share": 0.75,
        "respondents": 40,
        "teachers": 3,
        "late_results": 0,
    }
    for key in ((school_1, "challenge"), (school_2, "belonging")):
        assert cells[key]["suppressed"] is True
        assert (cells[key]["favourable_share"], cells[key]["respondents"], cells[key]["teachers"]) == (
            None,
            None,
            None,
        )
    # A school's own leaders and coaches read their school only.
    school_leader = await tokens.headers("A", Role.SCHOOL_LEADER)
    theirs = await get(client, "/feedback-aggregates", school_leader)
    assert {c["school_id"] for c in theirs["cells"]} == {school_1}
    assert_problem(
        await client.get(f"{API}/feedback-aggregates", params={"school_id": school_2}, headers=school_leader),
        403,
        "forbidden",
    )
    assert_problem(
        await client.get(f"{API}/feedback-aggregates", headers=await tokens.headers("A", Role.TEACHER)),
        403,
        "forbidden",
    )
    # The minimum n never goes under 10, whatever the district wants.
    lowered = await client.patch(
        f"{API}/districts/{world.district_id('A')}",
        json={"min_cell_size": 5},
        headers=await admin_headers(tokens) | ANY_VERSION,
    )
    assert lowered.status_code == 422


async def test_a_revision_cites_a_walkthrough_or_a_pdsa_cycle_as_its_cause(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    client.headers.update(await tokens.headers("A", Role.DISTRICT_LEADER))
    plan, parts = await approved_plan(client, tokens, world)
    coach = await tokens.headers("A", Role.COACH)
    seen = await walkthrough(client, world, coach)  # at the plan's school
    cycle = await post(
        client,
        f"/strategies/{parts['strategy']['id']}/pdsa-cycles",
        {"question": "Q", "prediction": "P", "plan": "Pl"},
        coach,
    )
    change = {"op": "update", "entity": "plan", "fields": {"summary": "Walkthroughs first."}}
    body = {
        "reason": "Walkthroughs found the routine in 2 of 5 rooms; the small test showed why.",
        "changes": [change],
        "caused_by": [{"kind": "walkthrough", "id": seen["id"]}, {"kind": "pdsa_cycle", "id": cycle["id"]}],
    }
    revision = await post(client, f"/plans/{plan['id']}/revisions", body, client.headers)
    assert revision["caused_by"] == body["caused_by"]
    # A walkthrough at another school, or a cycle of another plan, is not this plan's cause.
    elsewhere = await walkthrough(client, world, await tokens.headers("A", Role.DISTRICT_LEADER), school=1)
    bad = {**body, "caused_by": [{"kind": "walkthrough", "id": elsewhere["id"]}]}
    problem = assert_problem(
        await client.post(f"{API}/plans/{plan['id']}/revisions", json=bad), 404, "not_found"
    )
    assert error_paths(problem) == [["body", "caused_by", 0, "id"]]
