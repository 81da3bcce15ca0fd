"""`triangle demo` builds its data through the services, so a rule change that breaks it fails here."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from app.agenda.service import my_agenda
from app.auth.principal import Grant, Principal, PrincipalKind
from app.cli import main as cli_main
from app.coaching import service as coaching
from app.coaching.models import CoachingCycle
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_session_factory, session_scope
from app.core.migrations import migrate
from app.demo import DEMO_ACTIVITIES, DEMO_DISTRICTS, DEMO_INITIATIVES, DEMO_ROLES, load_demo, operator_of
from app.engagement import service as engagement
from app.engagement.models import Activity
from app.identity.models import Role, User
from app.initiatives import service as initiatives
from app.initiatives.models import Initiative, StanceChange
from app.monitoring.dashboard import plan_dashboard
from app.plans.models import Plan, PlanRevision, PlanStatus
from app.portfolio.service import district_portfolio
from app.practice import feedback
from app.practice import service as practice
from app.practice.feedback import AggregateFilter
from app.practice.models import PdsaCycle, Practice


@pytest.mark.long
async def test_the_demo_loads_once_and_then_leaves_its_districts_alone(empty_database_url: str) -> None:
    await migrate(empty_database_url)
    settings = Settings(database_url=empty_database_url, log_json=False)

    first = await load_demo(empty_database_url, settings, "demo-password")
    assert [d.existed for d in first] == [False] * len(DEMO_DISTRICTS)
    assert all(len(d.users) == len(DEMO_ROLES) for d in first)

    second = await load_demo(empty_database_url, settings, "demo-password")
    assert [d.existed for d in second] == [True] * len(DEMO_DISTRICTS)

    engine = create_async_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(User)) == len(DEMO_ROLES) * len(
                DEMO_DISTRICTS
            )
            initiative_count = await connection.scalar(select(func.count()).select_from(Initiative))
            assert initiative_count == len(DEMO_INITIATIVES) * len(DEMO_DISTRICTS)
            # Stances moved over time, so the diagnostics have a history to read.
            assert await connection.scalar(
                select(func.count()).select_from(StanceChange).where(StanceChange.from_stance.is_not(None))
            )
            activities = await connection.scalar(
                select(func.count()).select_from(Activity).where(Activity.plan_id.is_(None))
            )
            assert activities == len(DEMO_ACTIVITIES) * len(DEMO_DISTRICTS)
            # One plan per school at different stages; the active one carries its history.
            statuses = (
                (await connection.execute(select(Plan.status).order_by(Plan.created_at))).scalars().all()
            )
            # ... and at the first school, last cycle's closed plan and this cycle's started from it.
            expected = [
                s
                for d in DEMO_DISTRICTS
                for s in [*["active", "in_review", "draft"][: len(d.schools)], "closed", "draft"]
            ]
            assert sorted(s.value for s in statuses) == sorted(expected)
            numbers = (await connection.execute(select(PlanRevision.number))).scalars().all()
            # The active plans (approved, then revised once) and last cycle's closed plans (approved).
            assert sorted(n for n in numbers if n is not None) == [0, 0, 0, 0, 1, 1]
            # One proposal per district waits for the active plan's lead (it is on her agenda).
            assert numbers.count(None) == len(DEMO_DISTRICTS)
            reads = await connection.execute(
                select(Initiative.id, Initiative.district_id).where(
                    Initiative.title == "Every child reads by grade 3"
                )
            )
            initiative_id, district_id = reads.first()  # type: ignore[misc]
    finally:
        await engine.dispose()

    # On a fresh install the published initiative's "you said, we did" has something to say, and the
    # active plan's dashboard has something in every part.
    operator = operator_of(district_id)
    app_engine = create_engine(empty_database_url, settings)
    try:
        async with session_scope(create_session_factory(app_engine), operator) as session:
            report = await engagement.you_said_we_did(session, operator, initiative_id)
            in_spanish = await engagement.you_said_we_did(session, operator, initiative_id, ["es"])
            heard = await engagement.representation(session, operator, initiative_id)
            triangle = await initiatives.triangle(session, operator, initiative_id)
            plan_id = await session.scalar(
                select(Plan.id).where(Plan.district_id == district_id, Plan.status == PlanStatus.ACTIVE)
            )
            dashboard = await plan_dashboard(session, operator, plan_id)
            aggregates = await feedback.feedback_aggregates(session, operator, AggregateFilter())
            needs = await practice.plc_needs(session, operator)
            cycles = (await session.execute(select(PdsaCycle.decision))).scalars().all()
            counts = await coaching.coaching_counts(session, operator)
            practices = {
                p.name: p.id
                for p in (
                    await session.execute(select(Practice).where(Practice.district_id == district_id))
                ).scalars()
            }
            footprint = await coaching.practice_footprint(
                session, operator, practices["Structured-literacy block"]
            )
            coached = (
                (await session.execute(select(CoachingCycle).where(CoachingCycle.district_id == district_id)))
                .scalars()
                .all()
            )
            leader_id = await session.scalar(
                select(User.id).where(
                    User.district_id == district_id, User.email.startswith("school.leader@")
                )
            )
            school_id = await session.scalar(select(Plan.school_id).where(Plan.id == plan_id))
            leader = Principal(
                kind=PrincipalKind.USER,
                id=leader_id,
                district_id=district_id,
                grants=(Grant(Role.SCHOOL_LEADER, school_id),),
            )
            leaders_agenda = await my_agenda(session, leader)
            portfolio = await district_portfolio(session, operator)
    finally:
        await app_engine.dispose()
    assert {g.disposition.value for g in report.groups} == {
        "adapted",
        "adopted",
        "under_consideration",
        "declined",
        "open",
    }
    # Five inputs to the initiative's own activities, two from the co-creation of a plan that carries it
    # out, and a family's question from the plan's listening session, still waiting (on the lead's agenda).
    assert report.total_inputs == 8
    # The approved plan's barrier is answered (approval waits for it), ten days after it was raised.
    assert report.responded_share == 0.625
    assert report.median_days_to_response == 21.0
    # Families' languages: the answers in Spanish beside the originals; English and Spanish heard from.
    adopted = next(g for g in in_spanish.groups if g.disposition.value == "adopted").inputs[0]
    assert adopted.language == "es"
    assert adopted.original is not None
    assert adopted.response != adopted.original.response
    assert heard.languages_heard == ["en", "es"]
    codes = {f.code for corner in triangle.corners for f in corner.findings}
    assert "legitimacy.co_creation_credit" in codes
    assert "legitimacy.built_then_asked" not in codes

    (goal,) = dashboard.goals
    assert goal.status.run_chart.points >= 10
    assert {(s.rule_set.value, s.rule.value) for s in goal.status.run_chart.signals} >= {("ihi", "shift")}
    assert dashboard.overdue_action_steps
    assert dashboard.due_checkpoints
    assert dashboard.latest_walkthrough is not None
    assert not dashboard.latest_walkthrough.suppressed
    assert dashboard.latest_walkthrough.classrooms == 5
    assert (
        dashboard.open_inputs.count == 1
    )  # its barrier was answered before approval; a leverage point waits
    cells = {c.measure: c for c in aggregates.cells if c.school_id == dashboard.latest_walkthrough.school_id}
    assert cells["belonging"].teachers == 4
    assert not cells["belonging"].suppressed
    assert cells["challenge"].suppressed
    assert cells["challenge"].favourable_share is None
    assert needs.needs[0].need == "decodable texts"
    assert needs.needs[0].meetings == 3
    assert "classroom routines" not in {n.need for n in needs.needs}
    assert sorted(c.value for c in cycles if c is not None) == ["adopt", "adopt"]  # one per demo district
    # Coaching: four teachers on the structured-literacy block (shown), one on turn and talk (suppressed);
    # the practice is learned, tried, discussed and observed at the demo school.
    shown = {c.practice_id: c for c in counts.cells}
    assert (
        shown[practices["Structured-literacy block"]].cycles,
        shown[practices["Turn and talk"]].suppressed,
    ) == (4, True)
    assert footprint.learned[0].teachers == 4
    assert footprint.tried
    assert footprint.discussed
    assert footprint.observed
    assert footprint.observed[0].count == 2
    (mine,) = [c for c in coached if c.reflection is not None]
    assert mine.goal_agreed_at is not None
    # The active plan's lead has a revision to decide, a family's question to answer, the next review.
    assert {i.kind for i in leaders_agenda.items} >= {
        "revision_to_decide",
        "input_to_answer",
        "review_checkpoint",
    }
    # The district portfolio has every school plan, the active one with its goal's status and walkthrough.
    assert len(portfolio.plans) == 4  # the closed plan is not in it; the plan started from it is
    active = next(r for r in portfolio.plans if r.plan.id == plan_id)
    assert active.goals.at_risk + active.goals.on_track + active.goals.off_track == 1
    assert active.walkthrough is not None
    assert portfolio.practices


def test_create_admin_creates_the_district_and_an_admin_who_can_sign_in(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("TRIANGLE_ADMIN_PASSWORD", "a long enough password")
    get_settings.cache_clear()
    try:
        arguments = ["create-admin", "--district", "Harbor City Schools", "--email", "ops@harbor.example.org"]
        assert cli_main(arguments) == 0
        assert "created district Harbor City Schools" in capsys.readouterr().out
        # The same email again: refused with the field named, nothing else created.
        assert cli_main(arguments) == 1
        assert "email" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()

    async def admins() -> list[tuple[str, bool]]:
        engine = create_async_engine(empty_database_url)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(select(User.email, User.is_active))
                return [tuple(row) for row in rows]
        finally:
            await engine.dispose()

    assert asyncio.run(admins()) == [("ops@harbor.example.org", True)]
