"""Progress-monitoring demo data: what the active demo plan's first months have produced.

Built through the services like the rest of the demo (`app.demo`), so it obeys the rules the APIs
enforce: a screener series on the plan's goal that has started to move, classroom walkthroughs of the
practice the plan relies on, a decided PDSA cycle and an open one, PLC meetings (most shared with the
leadership team) and one term of student feedback, enough teachers for the school's aggregate to show.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import SYSTEM, Grant, Principal, PrincipalKind
from app.core.models import utcnow
from app.identity.models import Person, Role, RoleAssignment, User
from app.initiatives.models import Indicator, Initiative
from app.monitoring import feedback, measurements, practice
from app.monitoring.models import ImplementationLevel, PdsaDecision, SupportNeeded
from app.monitoring.practice_schemas import (
    FeedbackResultCreate,
    FeedbackShareCreate,
    ObservationCreate,
    PdsaCycleCreate,
    PdsaCycleUpdate,
    PdsaDecisionCreate,
    PlcMeetingCreate,
    WalkthroughCreate,
)
from app.plans.models import Goal, Plan, PlanStatus, Strategy
from app.tenancy.models import School

_L = ImplementationLevel
_S = SupportNeeded

PRACTICE = "Structured-literacy block"

# Two walkthroughs six weeks apart; per classroom (teacher index: 0 is the demo teacher account, 1-4
# the first SIS-synced teachers of the school) the level and the support that would help.
WALKTHROUGHS: list[tuple[int, list[tuple[int, ImplementationLevel, SupportNeeded]]]] = [
    (
        52,
        [
            (0, _L.DEVELOPING, _S.COACHING),
            (1, _L.BEGINNING, _S.COACHING),
            (2, _L.NOT_OBSERVED, _S.PLC),
            (3, _L.DEVELOPING, _S.NONE),
            (4, _L.PROFICIENT, _S.NONE),
        ],
    ),
    (
        10,
        [
            (0, _L.PROFICIENT, _S.NONE),
            (1, _L.DEVELOPING, _S.FEEDBACK),
            (2, _L.BEGINNING, _S.COACHING),
            (3, _L.PROFICIENT, _S.NONE),
            (4, _L.PROFICIENT, _S.NONE),
        ],
    ),
]

# (team, days ago, needs, shared with the leadership team)
PLC_MEETINGS: list[tuple[str, int, list[str], bool]] = [
    ("Grade 2 team", 35, ["decodable texts", "intervention scheduling"], True),
    ("Grade 3 team", 28, ["decodable texts", "time to look at student work"], True),
    ("Kindergarten team", 14, ["classroom routines"], False),
    ("Grade 2 team", 7, ["intervention scheduling", "decodable texts"], True),
]

# (teacher index, favourable share, respondents): belonging, this fall. A second measure has results
# from two classes only, so its school cell stays suppressed — the demo shows both.
FEEDBACK_BELONGING: list[tuple[int, str, int]] = [
    (0, "0.81", 24),
    (1, "0.66", 22),
    (2, "0.74", 19),
    (3, "0.70", 25),
]
FEEDBACK_CHALLENGE: list[tuple[int, str, int]] = [(0, "0.58", 24), (3, "0.63", 25)]


@dataclass(frozen=True)
class _Setting:
    plan: Plan
    school: School
    goal_indicator: Indicator
    strategies: dict[str, Strategy]
    teachers: list[uuid.UUID]  # the demo teacher account's person first, then SIS-synced teachers
    coach_person_id: uuid.UUID | None
    teacher_user: tuple[uuid.UUID, uuid.UUID] | None  # (user id, school id) of the demo teacher


def screener_series(baseline: Decimal, since: date, today: date) -> list[tuple[date, Decimal]]:
    """Every three weeks since the baseline: flat for the first five months, then rising once the
    pilot's warm-up spreads — a shift the run chart picks up."""
    points: list[tuple[date, Decimal]] = []
    wobble = [Decimal("0.4"), Decimal("-0.6"), Decimal("0.2"), Decimal("-0.3"), Decimal("0.5")]
    on = since + timedelta(days=21)
    index = 0
    while on <= today:
        months = (on - since).days / 30.4
        lift = Decimal(0) if months < 5 else Decimal(str(round((months - 5) * 1.2, 1)))
        points.append((on, baseline + lift + wobble[index % len(wobble)]))
        on += timedelta(days=21)
        index += 1
    return points


async def _setting(session: AsyncSession, district_id: uuid.UUID) -> _Setting | None:
    plan = await session.scalar(
        select(Plan)
        .where(Plan.district_id == district_id, Plan.status == PlanStatus.ACTIVE)
        .order_by(Plan.created_at, Plan.id)
        .limit(1)
    )
    if plan is None or plan.school_id is None:
        return None
    school = await session.get(School, plan.school_id)
    goal_indicator = await session.scalar(
        select(Indicator)
        .join(Goal, Goal.indicator_id == Indicator.id)
        .where(Goal.plan_id == plan.id)
        .order_by(Goal.created_at, Goal.id)
        .limit(1)
    )
    if school is None or goal_indicator is None:
        return None
    strategies = {
        s.title: s
        for s in (await session.execute(select(Strategy).where(Strategy.plan_id == plan.id))).scalars()
    }
    accounts = {
        role: (user_id, person_id, school_id)
        for role, user_id, person_id, school_id in (
            await session.execute(
                select(RoleAssignment.role, User.id, User.person_id, RoleAssignment.school_id)
                .join(User, User.id == RoleAssignment.user_id)
                .where(RoleAssignment.district_id == district_id)
            )
        ).all()
    }
    synced = (
        await session.execute(
            select(Person.id)
            .where(
                Person.district_id == district_id,
                Person.sourced_id.like(f"{school.sourced_id}-t%"),
            )
            .order_by(Person.sourced_id)
        )
    ).scalars()
    teacher = accounts.get(Role.TEACHER)
    teachers = ([teacher[1]] if teacher else []) + list(synced)
    coach = accounts.get(Role.COACH)
    return _Setting(
        plan=plan,
        school=school,
        goal_indicator=goal_indicator,
        strategies=strategies,
        teachers=teachers,
        coach_person_id=coach[1] if coach else None,
        teacher_user=(teacher[0], teacher[2]) if teacher and teacher[2] else None,
    )


async def demo_school_teachers(
    session: AsyncSession, district_id: uuid.UUID
) -> tuple[uuid.UUID, list[uuid.UUID]] | None:
    """The active demo plan's school and its teachers (the demo teacher account's person first)."""
    setting = await _setting(session, district_id)
    return (setting.school.id, setting.teachers) if setting is not None else None


async def seed_monitoring(
    session: AsyncSession, district_id: uuid.UUID, reads_title: str, practice_id: uuid.UUID | None = None
) -> dict[str, int]:
    """The active demo plan's monitoring: measurements, walkthroughs, PDSA cycles, PLC meetings and
    feedback results, tagged with the catalogue's `practice_id` where given. Returns how many of each
    were created (nothing without an active plan)."""
    operator = Principal(kind=SYSTEM.kind, district_id=district_id, label="system")
    setting = await _setting(session, district_id)
    if setting is None:
        return {}
    today = utcnow().date()
    counts: dict[str, int] = {}

    # The screener on the plan's goal, and the walkthrough share on the initiative the plan carries out.
    indicator = setting.goal_indicator
    since = indicator.baseline_date or today - timedelta(days=365)
    rows = [
        {
            "indicator_id": str(indicator.id),
            "value": str(value),
            "measured_on": on.isoformat(),
            "n": 212,
            "source": "Universal screener",
            "key": f"demo-screener-{on.isoformat()}",
        }
        for on, value in screener_series(indicator.baseline_value or Decimal(48), since, today)
    ]
    implementation = await session.scalar(
        select(Indicator)
        .join(Initiative, Initiative.id == Indicator.initiative_id)
        .where(
            Initiative.district_id == district_id,
            Initiative.title == reads_title,
            Indicator.name == "Classrooms using the structured-literacy block",
        )
    )
    if implementation is not None:
        rows += [
            {
                "indicator_id": str(implementation.id),
                "value": share,
                "measured_on": (today - timedelta(days=days_ago)).isoformat(),
                "source": "Walkthroughs",
                "school_id": str(setting.school.id),
                "key": f"demo-walkthrough-share-{days_ago}",
            }
            for days_ago, share in ((150, "35"), (95, "45"), (52, "60"), (10, "80"))
        ]
    result = await measurements.record_measurements(session, operator, rows)
    counts["measurements"] = result.created

    # Walkthroughs of the practice the plan relies on, observed by the coach.
    teachers = setting.teachers
    counts["walkthroughs"] = 0
    for days_ago, classrooms in WALKTHROUGHS:
        walkthrough = await practice.create_walkthrough(
            session,
            operator,
            WalkthroughCreate(
                school_id=setting.school.id,
                practice=PRACTICE,
                practice_id=practice_id,
                observed_on=today - timedelta(days=days_ago),
                observer_person_id=setting.coach_person_id,
                plan_id=setting.plan.id,
                notes="Looked for the daily phonics warm-up and decodable-text practice.",
            ),
        )
        counts["walkthroughs"] += 1
        for index, level, support in classrooms:
            if index < len(teachers):
                await practice.add_observation(
                    session,
                    operator,
                    walkthrough.id,
                    ObservationCreate(teacher_person_id=teachers[index], level=level, support=support),
                )
        # Done walkthroughs are closed: their summaries are published, their classrooms locked.
        await practice.close_walkthrough(session, operator, walkthrough.id)

    # A PDSA cycle that led to adopting the warm-up, and one still running on intervention time.
    counts["pdsa_cycles"] = 0
    literacy = setting.strategies.get("Daily structured-literacy block")
    if literacy is not None:
        cycle = await practice.create_pdsa_cycle(
            session,
            operator,
            literacy.id,
            PdsaCycleCreate(
                question="Does a ten-minute phonics warm-up raise decoding in two grade 2 classes?",
                prediction="Within six weeks, at least 60% of the students in both classes decode the "
                "grade-level word list.",
                plan="Both teachers run the warm-up daily; the coach takes running records every two weeks.",
                started_on=today - timedelta(days=75),
                practice_id=practice_id,
            ),
        )
        await practice.update_pdsa_cycle(
            session,
            operator,
            cycle.id,
            PdsaCycleUpdate(
                done="Run on 27 of 30 school days; two days lost to testing, one to a fire drill."
            ),
        )
        await practice.decide_pdsa_cycle(
            session,
            operator,
            cycle.id,
            PdsaDecisionCreate(
                decision=PdsaDecision.ADOPT,
                decided_on=today - timedelta(days=30),
                results="68% and 71% decode the list, up from 41% and 45%: better than predicted.",
            ),
        )
        counts["pdsa_cycles"] += 1
    intervention = setting.strategies.get("Protected intervention time")
    if intervention is not None:
        await practice.create_pdsa_cycle(
            session,
            operator,
            intervention.id,
            PdsaCycleCreate(
                question="Can grade 3 intervention groups meet during the literacy block instead of science?",
                prediction="No student misses science, and group attendance stays above 90%.",
                plan="Grade 3 tries it for four weeks; the teachers log attendance daily.",
                started_on=today - timedelta(days=6),
            ),
        )
        counts["pdsa_cycles"] += 1

    for team, days_ago, needs, shared in PLC_MEETINGS:
        await practice.create_plc_meeting(
            session,
            operator,
            PlcMeetingCreate(
                school_id=setting.school.id,
                team=team,
                met_on=today - timedelta(days=days_ago),
                agenda="Student work from the warm-up; who needs what next.",
                practice_id=practice_id,
                needs=needs,
                shared_with_leadership=shared,
            ),
        )
    counts["plc_meetings"] = len(PLC_MEETINGS)

    # One term of student feedback; the demo teacher shares hers with the coach.
    period = f"{today.year if today.month >= 7 else today.year - 1}-fall"
    counts["feedback_results"] = 0
    for measure, results in (("belonging", FEEDBACK_BELONGING), ("challenge", FEEDBACK_CHALLENGE)):
        for index, share, respondents in results:
            if index < len(teachers):
                await feedback.record_feedback_result(
                    session,
                    operator,
                    FeedbackResultCreate(
                        measure=measure,
                        period=period,
                        favourable_share=Decimal(share),
                        respondents=respondents,
                        school_id=setting.school.id,
                        teacher_person_id=teachers[index],
                    ),
                )
                counts["feedback_results"] += 1
    if setting.teacher_user is not None and setting.coach_person_id is not None:
        user_id, school_id = setting.teacher_user
        teacher = Principal(
            kind=PrincipalKind.USER,
            id=user_id,
            district_id=district_id,
            grants=(Grant(Role.TEACHER, school_id),),
            label="demo teacher",
        )
        await feedback.share_feedback(
            session, teacher, FeedbackShareCreate(person_id=setting.coach_person_id)
        )
    await session.flush()
    return counts
