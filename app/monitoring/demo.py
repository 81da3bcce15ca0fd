"""Progress-monitoring demo data: what the active demo plan's first months have produced.

Built through the services like the rest of the demo (`app.demo`), so it obeys the rules the APIs
enforce: a screener series on the plan's goal that has started to move, and the walkthrough share on
the initiative the plan carries out; what happened in classrooms is `app.practice.demo`'s.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import SYSTEM, Principal
from app.core.models import utcnow
from app.identity.models import Person, Role, RoleAssignment, User
from app.initiatives.models import Indicator, Initiative
from app.monitoring import measurements
from app.plans.models import Goal, Plan, PlanStatus, Strategy
from app.practice.demo import seed_practice
from app.tenancy.models import School


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

    counts.update(
        await seed_practice(
            session,
            operator,
            district_id,
            today,
            school_id=setting.school.id,
            plan_id=setting.plan.id,
            strategies=setting.strategies,
            teachers=setting.teachers,
            coach_person_id=setting.coach_person_id,
            teacher_user=setting.teacher_user,
            practice_id=practice_id,
        )
    )
    await session.flush()
    return counts
