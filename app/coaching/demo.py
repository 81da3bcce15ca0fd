"""Coaching demo data: the district's practice catalogue and this year's coaching cycles.

Built through the services, like the rest of the demo, as the people who would do it: the coach starts
the cycles, the demo teacher agrees to her goal, writes her reflection and shares her cycle with her
principal. Four teachers are coached on the structured-literacy block (their released count shows) and
one on turn and talk (suppressed: one teacher). The demo teacher's sessions fall this week, so her
agenda has them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Grant, Principal, PrincipalKind
from app.coaching import service as coaching
from app.coaching.models import CoachingSessionKind
from app.coaching.schemas import (
    CoachingCycleCreate,
    CoachingCycleUpdate,
    CoachingObservationCreate,
    CoachingSessionCreate,
    CoachingShareCreate,
)
from app.core.models import utcnow
from app.identity.models import Role, RoleAssignment, User
from app.practice import catalogue
from app.practice.models import SupportNeeded, Walkthrough, WalkthroughObservation
from app.practice.schemas import PracticeCreate

STRUCTURED_LITERACY = "Structured-literacy block"

CATALOGUE: list[PracticeCreate] = [
    PracticeCreate(
        name=STRUCTURED_LITERACY,
        description="A daily block of explicit, systematic phonics with decodable texts.",
        evidence="National Reading Panel (2000); What Works Clearinghouse, Foundational Skills practice guide.",
    ),
    PracticeCreate(
        name="Turn and talk",
        description="Students rehearse an answer with a partner before the whole class hears it.",
        evidence="Michaels & O'Connor, Accountable Talk (2012).",
    ),
    PracticeCreate(
        name="Exit tickets",
        description="A two-minute check at the end of a lesson that decides tomorrow's groups.",
        evidence="Wiliam, Embedded Formative Assessment (2011).",
    ),
    PracticeCreate(
        name="Number talks",
        description="Short daily mental-math discussions of strategies.",
        evidence="Parrish, Number Talks (2010).",
    ),
]


def school_year(today: datetime) -> str:
    start = today.year if today.month >= 7 else today.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


async def seed_catalogue(session: AsyncSession, operator: Principal) -> dict[str, uuid.UUID]:
    """The district's catalogue, by name."""
    return {data.name: (await catalogue.create_practice(session, operator, data)).id for data in CATALOGUE}


async def _account(session: AsyncSession, district_id: uuid.UUID, role: Role) -> Principal | None:
    row = (
        await session.execute(
            select(User.id, RoleAssignment.school_id)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.district_id == district_id, RoleAssignment.role == role)
            .limit(1)
        )
    ).one_or_none()
    if row is None:
        return None
    return Principal(
        kind=PrincipalKind.USER,
        id=row.id,
        district_id=district_id,
        grants=(Grant(role, row.school_id),),
        label=f"demo {role.value}",
    )


async def seed_coaching(
    session: AsyncSession,
    district_id: uuid.UUID,
    school_id: uuid.UUID,
    teachers: list[uuid.UUID],
    practices: dict[str, uuid.UUID],
) -> int:
    """This year's coaching cycles at the school (the demo teacher's first). Returns how many."""
    coach = await _account(session, district_id, Role.COACH)
    teacher = await _account(session, district_id, Role.TEACHER)
    principal_person = await session.scalar(
        select(User.person_id)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.district_id == district_id, RoleAssignment.role == Role.SCHOOL_LEADER)
        .limit(1)
    )
    if coach is None or teacher is None or not teachers:
        return 0
    now = utcnow()
    period = school_year(now)
    plan = [
        (
            teachers[0],
            STRUCTURED_LITERACY,
            "Every student in my grade 2 class decodes the grade-level list by spring.",
        ),
        *[
            (t, STRUCTURED_LITERACY, "Run the phonics warm-up daily, with a decodable text.")
            for t in teachers[1:4]
        ],
        *[
            (t, "Turn and talk", "Every student rehearses an answer before the class discussion.")
            for t in teachers[4:5]
        ],
    ]
    created = 0
    for index, (teacher_person, practice_name, goal) in enumerate(plan):
        cycle = await coaching.start_cycle(
            session,
            coach,
            CoachingCycleCreate(
                school_id=school_id,
                practice_id=practices[practice_name],
                period=period,
                teacher_person_id=teacher_person,
                goal=goal,
            ),
        )
        created += 1
        if index != 0:
            continue
        # The demo teacher's cycle: she agrees to the goal, the sessions fall this week, the walkthrough
        # observations of her classroom are linked, and she shares it with her principal.
        monday = datetime.combine(now.date() - timedelta(days=now.weekday()), time(0), tzinfo=UTC)
        await coaching.update_cycle(session, teacher, cycle.id, CoachingCycleUpdate(goal_agreed=True))
        for kind, day, hour in (
            (CoachingSessionKind.PLAN, 0, 15),
            (CoachingSessionKind.OBSERVE, 2, 9),
            (CoachingSessionKind.DEBRIEF, 3, 15),
        ):
            starts = monday + timedelta(days=day, hours=hour)
            await coaching.schedule_session(
                session,
                coach,
                cycle.id,
                CoachingSessionCreate(kind=kind, starts_at=starts, ends_at=starts + timedelta(minutes=40)),
            )
        observations = (
            await session.execute(
                select(WalkthroughObservation.id, WalkthroughObservation.support)
                .join(Walkthrough, Walkthrough.id == WalkthroughObservation.walkthrough_id)
                .where(WalkthroughObservation.teacher_person_id == teacher_person)
                .order_by(Walkthrough.observed_on)
            )
        ).all()
        for observation_id, support in observations:
            await coaching.link_observation(
                session,
                coach,
                cycle.id,
                CoachingObservationCreate(
                    observation_id=observation_id, support_given=support is SupportNeeded.COACHING
                ),
            )
        await coaching.update_cycle(
            session,
            teacher,
            cycle.id,
            CoachingCycleUpdate(
                reflection="The warm-up works when the decodable text matches the week's pattern; "
                "I still rush the blending."
            ),
        )
        if principal_person is not None:
            await coaching.share_cycle(
                session, teacher, cycle.id, CoachingShareCreate(person_id=principal_person)
            )
    await session.flush()
    return created
