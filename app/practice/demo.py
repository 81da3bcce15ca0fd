"""Practice demo data: what the active demo plan's first months have produced in classrooms.

Built through the services like the rest of the demo (`app.demo`), so it obeys the rules the APIs
enforce: classroom walkthroughs of the practice the plan relies on, a decided PDSA cycle and an open one,
PLC meetings (most shared with the leadership team) and one term of student feedback, enough teachers
for the school's aggregate to show. `app.monitoring.demo` finds the plan, its school and its people.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Grant, Principal, PrincipalKind
from app.identity.models import Role
from app.plans.models import Strategy
from app.practice import feedback
from app.practice import service as practice
from app.practice.models import ImplementationLevel, PdsaDecision, SupportNeeded
from app.practice.schemas import (
    FeedbackResultCreate,
    FeedbackShareCreate,
    ObservationCreate,
    PdsaCycleCreate,
    PdsaCycleUpdate,
    PdsaDecisionCreate,
    PlcMeetingCreate,
    WalkthroughCreate,
)

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


async def seed_practice(
    session: AsyncSession,
    operator: Principal,
    district_id: uuid.UUID,
    today: date,
    *,
    school_id: uuid.UUID,
    plan_id: uuid.UUID,
    strategies: dict[str, Strategy],
    teachers: list[uuid.UUID],
    coach_person_id: uuid.UUID | None,
    teacher_user: tuple[uuid.UUID, uuid.UUID] | None,
    practice_id: uuid.UUID | None = None,
) -> dict[str, int]:
    """Walkthroughs, PDSA cycles, PLC meetings and feedback results of the demo plan's school, tagged
    with the catalogue's `practice_id` where given; how many of each were created."""
    counts: dict[str, int] = {}
    # Walkthroughs of the practice the plan relies on, observed by the coach.
    counts["walkthroughs"] = 0
    for days_ago, classrooms in WALKTHROUGHS:
        walkthrough = await practice.create_walkthrough(
            session,
            operator,
            WalkthroughCreate(
                school_id=school_id,
                practice=PRACTICE,
                practice_id=practice_id,
                observed_on=today - timedelta(days=days_ago),
                observer_person_id=coach_person_id,
                plan_id=plan_id,
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
    literacy = strategies.get("Daily structured-literacy block")
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
    intervention = strategies.get("Protected intervention time")
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
                school_id=school_id,
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
                        school_id=school_id,
                        teacher_person_id=teachers[index],
                    ),
                )
                counts["feedback_results"] += 1
    if teacher_user is not None and coach_person_id is not None:
        user_id, school_id = teacher_user
        teacher = Principal(
            kind=PrincipalKind.USER,
            id=user_id,
            district_id=district_id,
            grants=(Grant(Role.TEACHER, school_id),),
            label="demo teacher",
        )
        await feedback.share_feedback(session, teacher, FeedbackShareCreate(person_id=coach_person_id))
    return counts
