"""Coaching cycles and the practice catalogue over REST, and their privacy tried adversarially: a
leader, another teacher, a principal, another district's coach, an admin, and a reader who differences
two reads of the counts around a change. None of them reads a cycle, nor a count it could pin to one
teacher."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from app.identity.models import Role
from tests.conftest import ANY_VERSION, Tokens, World, count_statements
from tests.practice.helpers import (
    API,
    Headers,
    Staff,
    admin_headers,
    get,
    make_staff,
    observe,
    post,
    walkthrough,
    world_person,
)

PERIOD = "2026-27"


async def practice(
    client: httpx.AsyncClient, tokens: Tokens, name: str = "Turn and talk", district: str = "A"
) -> dict[str, Any]:
    return await post(
        client, "/practices", {"name": name, "evidence": "Hattie 2009"}, await admin_headers(tokens, district)
    )


async def cycle(
    client: httpx.AsyncClient, world: World, coach: Staff, teacher: Staff, practice_id: str, status: int = 201
) -> dict[str, Any]:
    body = {
        "school_id": str(world.school_ids("A")[0]),
        "practice_id": practice_id,
        "period": PERIOD,
        "teacher_person_id": teacher.person_id,
        "goal": "Every student talks about the text twice a lesson.",
    }
    return await post(client, "/coaching-cycles", body, coach.headers, status)


async def release(client: httpx.AsyncClient, tokens: Tokens) -> httpx.Response:
    return await client.post(
        f"{API}/releases", json={"subject": "coaching", "period": PERIOD}, headers=await admin_headers(tokens)
    )


async def test_catalogue_is_kept_by_district_leaders_and_named_not_free_text(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    made = await practice(client, tokens)
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    teacher = await make_staff(client, tokens, world)
    response = await client.post(f"{API}/practices", json={"name": "Exit tickets"}, headers=teacher.headers)
    assert response.status_code == 403
    assert (
        await client.post(f"{API}/practices", json={"name": "turn AND talk"}, headers=leader)
    ).status_code == 409
    listed = await get(client, "/practices", teacher.headers)
    assert [p["name"] for p in listed["items"]] == ["Turn and talk"]
    # Another district does not see it, nor can tag with it.
    other = await tokens.headers("B", Role.DISTRICT_ADMIN)
    assert (await client.get(f"{API}/practices/{made['id']}", headers=other)).status_code == 404
    # Walkthroughs, PLC meetings are tagged with it; a retired practice tags nothing new.
    coach = await make_staff(client, tokens, world, Role.COACH)
    tagged = await walkthrough(client, world, coach.headers, practice_id=made["id"])
    assert tagged["practice_id"] == made["id"]
    retired = await client.patch(
        f"{API}/practices/{made['id']}", json={"retired": True}, headers=leader | ANY_VERSION
    )
    assert retired.status_code == 200, retired.text
    response = await client.post(
        f"{API}/walkthroughs",
        json={
            "school_id": str(world.school_ids("A")[0]),
            "practice": "x",
            "observed_on": "2026-11-01",
            "practice_id": made["id"],
        },
        headers=coach.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "retired"


async def test_a_cycle_is_the_teachers_and_the_coachs_and_no_one_elses(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    teacher = await make_staff(client, tokens, world)
    started = await cycle(client, world, coach, teacher, made["id"])
    assert started["goal_agreed_at"] is None  # the coach wrote it; the teacher has not agreed yet
    cycle_id = started["id"]
    # The teacher agrees, reflects; the coach may not reflect for them.
    agreed = await client.patch(
        f"{API}/coaching-cycles/{cycle_id}",
        json={"goal_agreed": True, "reflection": "Pairs work."},
        headers=teacher.headers | ANY_VERSION,
    )
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["goal_agreed_at"] is not None
    response = await client.patch(
        f"{API}/coaching-cycles/{cycle_id}", json={"reflection": "x"}, headers=coach.headers | ANY_VERSION
    )
    assert response.status_code == 403
    # A change to the goal waits for the teacher's agreement again.
    changed = await client.patch(
        f"{API}/coaching-cycles/{cycle_id}",
        json={"goal": "Three times."},
        headers=coach.headers | ANY_VERSION,
    )
    assert changed.json()["goal_agreed_at"] is None
    await post(
        client,
        f"/coaching-cycles/{cycle_id}/sessions",
        {"kind": "observe", "starts_at": "2026-12-01T09:00:00Z", "ends_at": "2026-12-01T09:45:00Z"},
        teacher.headers,
    )

    outsiders: dict[str, Headers] = {
        "district admin": await tokens.headers("A", Role.DISTRICT_ADMIN),
        "district leader": await tokens.headers("A", Role.DISTRICT_LEADER),
        "principal": await tokens.headers("A", Role.SCHOOL_LEADER),
        "another teacher": (await make_staff(client, tokens, world)).headers,
        "another coach": (await make_staff(client, tokens, world, Role.COACH)).headers,
        "another district's coach": (
            await make_staff(client, tokens, world, Role.COACH, district="B")
        ).headers,
    }
    for who, headers in outsiders.items():
        for url in (
            f"/coaching-cycles/{cycle_id}",
            f"/coaching-cycles/{cycle_id}/sessions",
            f"/coaching-cycles/{cycle_id}/shares",
        ):
            response = await client.get(f"{API}{url}", headers=headers)
            assert response.status_code == 404, (who, url, response.text)
            assert response.json()["detail"] == f"No coaching cycle with id {cycle_id}.", who
        listed = await client.get(
            f"{API}/coaching-cycles", headers=headers, params={"practice_id": made["id"]}
        )
        assert listed.status_code == 200, who
        assert listed.json()["items"] == [], who
        response = await client.patch(
            f"{API}/coaching-cycles/{cycle_id}", json={"goal": "mine"}, headers=headers | ANY_VERSION
        )
        assert response.status_code == 404, who

    # The teacher shares with the principal: now the principal reads it, and only reads it.
    principal_person = {"person_id": await world_person(client, tokens, world, Role.SCHOOL_LEADER)}
    share = await post(
        client,
        f"/coaching-cycles/{cycle_id}/shares",
        {"person_id": principal_person["person_id"]},
        teacher.headers,
    )
    response = await client.get(f"{API}/coaching-cycles/{cycle_id}", headers=outsiders["principal"])
    assert response.status_code == 200
    assert (
        await client.patch(
            f"{API}/coaching-cycles/{cycle_id}",
            json={"goal": "x"},
            headers=outsiders["principal"] | ANY_VERSION,
        )
    ).status_code == 403
    # The coach cannot share it on, nor withdraw the teacher's share.
    assert (
        await client.post(
            f"{API}/coaching-cycles/{cycle_id}/shares",
            json={"person_id": principal_person["person_id"]},
            headers=coach.headers,
        )
    ).status_code == 403
    assert (
        await client.delete(f"{API}/coaching-shares/{share['id']}", headers=coach.headers)
    ).status_code == 403
    assert (
        await client.delete(f"{API}/coaching-shares/{share['id']}", headers=teacher.headers)
    ).status_code == 204
    assert (
        await client.get(f"{API}/coaching-cycles/{cycle_id}", headers=outsiders["principal"])
    ).status_code == 404
    # Every read is in the audit trail; what the cycle says is not.
    events = (await get(client, "/audit-events", outsiders["district admin"], limit=200))["items"]
    assert any(e["action"] == "coaching_cycle.read" for e in events)
    assert "Three times" not in str(events)
    assert "Pairs work" not in str(events)


async def test_links_the_teachers_observations_and_whether_support_was_given(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    teacher = await make_staff(client, tokens, world)
    other = await make_staff(client, tokens, world)
    walk = await walkthrough(client, world, coach.headers, practice_id=made["id"])
    mine = await observe(client, walk["id"], teacher.person_id, coach.headers, support="coaching")
    theirs = await observe(client, walk["id"], other.person_id, coach.headers)
    started = await cycle(client, world, coach, teacher, made["id"])
    link = await post(
        client,
        f"/coaching-cycles/{started['id']}/observations",
        {"observation_id": mine["id"]},
        coach.headers,
    )
    assert (link["support_needed"], link["support_given"]) == ("coaching", False)
    response = await client.post(
        f"{API}/coaching-cycles/{started['id']}/observations",
        json={"observation_id": theirs["id"]},
        headers=coach.headers,
    )
    assert response.status_code == 422
    given = await client.patch(
        f"{API}/coaching-observations/{link['id']}",
        json={"support_given": True},
        headers=coach.headers | ANY_VERSION,
    )
    assert given.json()["support_given"] is True


async def test_leaders_read_released_counts_that_no_difference_of_reads_opens(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    teachers = [await make_staff(client, tokens, world) for _ in range(3)]
    for teacher in teachers:
        await cycle(client, world, coach, teacher, made["id"])
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    # Nothing before the period is released.
    assert (await get(client, "/coaching-counts", leader))["cells"] == []
    assert (await release(client, tokens)).status_code == 201
    before = (await get(client, "/coaching-counts", leader, period=PERIOD))["cells"]
    assert [(c["cycles"], c["teachers"], c["suppressed"]) for c in before] == [(3, 3, False)]
    # The coach knows all three teachers' cycles one by one: the cell tells them nothing more, and
    # hides from them (they could subtract).
    coach_view = (await get(client, "/coaching-counts", coach.headers))["cells"]
    assert coach_view[0]["suppressed"] is True
    # A fourth cycle starts: the released count stays as it was, so two reads difference to nothing.
    fourth = await make_staff(client, tokens, world)
    await cycle(client, world, coach, fourth, made["id"])
    after = (await get(client, "/coaching-counts", leader, period=PERIOD))["cells"]
    assert after == before
    # A share after the release would let the leader subtract the shared cycle from what they read.
    leader_person = await world_person(client, tokens, world, Role.DISTRICT_LEADER)
    mine = (await get(client, "/coaching-cycles", teachers[0].headers))["items"][0]
    response = await client.post(
        f"{API}/coaching-cycles/{mine['id']}/shares",
        json={"person_id": leader_person},
        headers=teachers[0].headers,
    )
    assert response.status_code == 409, response.text
    assert response.json()["errors"][0]["code"] == "period_released"
    # A correction moving a count by fewer than the minimum of teachers would be that difference.
    response = await release(client, tokens)
    assert response.status_code == 409, response.text
    # The teacher who reads the counts sees their own cycle subtracted: the cell hides for them.
    # (teachers hold no aggregate right at all.)
    assert (await client.get(f"{API}/coaching-counts", headers=teachers[0].headers)).status_code == 403
    footprint = await get(client, f"/practices/{made['id']}/footprint", leader)
    assert footprint["learned"][0]["cycles"] == 3
    assert footprint["observed"] == []


async def test_a_small_practice_is_suppressed(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    for _ in range(2):
        await cycle(client, world, coach, await make_staff(client, tokens, world), made["id"])
    assert (await release(client, tokens)).status_code == 201
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    cells = (await get(client, "/coaching-counts", leader))["cells"]
    assert [(c["suppressed"], c["cycles"], c["teachers"]) for c in cells] == [(True, None, None)]


async def test_only_parties_start_cycles_with_real_teachers_and_coaches(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    teacher = await make_staff(client, tokens, world)
    another = await make_staff(client, tokens, world)
    # A teacher cannot start a cycle between two other people.
    body = {
        "school_id": str(world.school_ids("A")[0]),
        "practice_id": made["id"],
        "period": PERIOD,
        "teacher_person_id": another.person_id,
        "coach_person_id": coach.person_id,
    }
    assert (
        await client.post(f"{API}/coaching-cycles", json=body, headers=teacher.headers)
    ).status_code == 403
    # A teacher naming another teacher as "coach" is refused.
    body = {**body, "teacher_person_id": None, "coach_person_id": another.person_id}
    response = await client.post(f"{API}/coaching-cycles", json=body, headers=teacher.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "not_a_coach"
    # A leader is not a party: no right to start.
    leader = await tokens.headers("A", Role.DISTRICT_LEADER)
    response = await client.post(
        f"{API}/coaching-cycles", json={**body, "coach_person_id": coach.person_id}, headers=leader
    )
    assert response.status_code == 403
    # Another district's practice does not exist here.
    foreign = await practice(client, tokens, "Elsewhere", district="B")
    response = await client.post(
        f"{API}/coaching-cycles",
        json={**body, "coach_person_id": coach.person_id, "practice_id": foreign["id"]},
        headers=teacher.headers,
    )
    assert response.status_code == 404
    ok = await client.post(
        f"{API}/coaching-cycles", json={**body, "coach_person_id": coach.person_id}, headers=teacher.headers
    )
    assert ok.status_code == 201, ok.text


async def test_reading_cycles_costs_the_same_statements_for_one_or_five(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    """A coach's list of cycles (with each read audited) and the released counts cost a constant number
    of statements, however many cycles there are."""
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)

    async def statements(url: str) -> int:
        with count_statements(app) as counter:
            response = await client.get(f"{API}{url}", headers=coach.headers)
        assert response.status_code == 200, response.text
        return len(counter.statements)

    await cycle(client, world, coach, await make_staff(client, tokens, world), made["id"])
    one = await statements("/coaching-cycles")
    for _ in range(4):
        await cycle(client, world, coach, await make_staff(client, tokens, world), made["id"])
    five = await statements("/coaching-cycles")
    assert one == five, (one, five)
    assert (await release(client, tokens)).status_code == 201
    assert await statements("/coaching-counts") == await statements(f"/practices/{made['id']}/footprint") - 4


async def test_this_weeks_sessions_are_on_the_teachers_and_the_coachs_agenda_alone(
    client: httpx.AsyncClient, tokens: Tokens, world: World
) -> None:
    made = await practice(client, tokens)
    coach = await make_staff(client, tokens, world, Role.COACH)
    teacher = await make_staff(client, tokens, world)
    started = await cycle(client, world, coach, teacher, made["id"])
    now = datetime.now(UTC).replace(microsecond=0)
    for kind, days in (("plan", 2), ("debrief", 20)):
        starts = now + timedelta(days=days)
        await post(
            client,
            f"/coaching-cycles/{started['id']}/sessions",
            {
                "kind": kind,
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
            },
            coach.headers,
        )

    async def coaching_items(headers: Headers) -> list[tuple[str, str, str]]:
        agenda = await get(client, "/me/agenda", headers)
        return [
            (i["title"], i["due_on"], i["link"]) for i in agenda["items"] if i["kind"] == "coaching_session"
        ]

    expected = [
        (
            "plan coaching session on Turn and talk",
            (now + timedelta(days=2)).date().isoformat(),
            f"{API}/coaching-cycles/{started['id']}/sessions",
        )
    ]
    assert await coaching_items(teacher.headers) == expected
    assert await coaching_items(coach.headers) == expected
    # Nobody else's agenda shows them: not the principal, not another coach.
    assert await coaching_items(await tokens.headers("A", Role.SCHOOL_LEADER)) == []
    assert await coaching_items((await make_staff(client, tokens, world, Role.COACH)).headers) == []
