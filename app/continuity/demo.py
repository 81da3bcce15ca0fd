"""Demo data for next year's plan: last cycle's closed plan at the first school, and this cycle's plan
started from it.

"Community schools on the Eastside" is a multi-year initiative. Its plan of the last cycle set two
goals: fewer students chronically absent (met: 12% against a target of 15%) and more families at
school events (not met: 38% against 50%). Closing it and starting this cycle's plan archives the met
goal, carries the family-engagement goal (same indicator, so its run chart goes on from last year)
with its strategy still under way, and leaves the finished one behind.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import SYSTEM, Principal
from app.continuity import service as continuity
from app.core.models import utcnow
from app.engagement import service as engagement
from app.engagement.models import ActivityKind, ActivityStatus, Mode
from app.engagement.schemas import ActivityCreate, ParticipationCreate
from app.identity.demo import demo_staff
from app.identity.models import Role
from app.initiatives.models import Direction, Initiative, ParticipationLevel
from app.initiatives.schemas import IndicatorCreate
from app.monitoring import measurements
from app.plans import service as plans
from app.plans.models import CollaboratorRole, PlanStatus, StepStatus
from app.plans.schemas import (
    ActionStepCreate,
    CollaboratorCreate,
    GoalCreate,
    PlanCreate,
    PlanUpdate,
    StrategyCreate,
)
from app.tenancy.models import School

EASTSIDE = "Community schools on the Eastside"


async def seed_next_year(session: AsyncSession, district_id: uuid.UUID) -> None:
    operator = Principal(kind=SYSTEM.kind, district_id=district_id, label="system")
    today = utcnow().date()
    start = today.year if today.month >= 7 else today.year - 1
    last = f"{start - 1}-{start % 100:02d}"
    school = await session.scalar(
        select(School)
        .where(School.district_id == district_id)
        .order_by(School.created_at, School.id)
        .limit(1)
    )
    initiative = await session.scalar(
        select(Initiative).where(Initiative.district_id == district_id, Initiative.title == EASTSIDE)
    )
    staff = await demo_staff(session, district_id)
    leader = staff.get(Role.SCHOOL_LEADER)
    if school is None:
        return
    plan = await plans.create_plan(
        session,
        operator,
        PlanCreate(
            cycle=last,
            title=f"{school.name}: attendance and family partnership {last}",
            summary="Last year's community-school plan.",
            school_id=school.id,
            initiative_id=initiative.id if initiative else None,
        ),
    )
    if leader is not None:
        await plans.add_collaborator(
            session, operator, plan.id, CollaboratorCreate(person_id=leader, role=CollaboratorRole.LEAD)
        )
    year_start = date(start - 1, 9, 1)

    async def goal(
        statement: str, name: str, direction: Direction, target: str, values: list[str]
    ) -> uuid.UUID:
        view = await plans.add_goal(
            session,
            operator,
            plan.id,
            GoalCreate(
                statement=statement,
                indicator=IndicatorCreate(
                    name=name,
                    unit="% of students" if "absent" in name else "% of families",
                    direction=direction,
                    baseline_value=Decimal(values[0]),
                    baseline_date=year_start,
                    target_value=Decimal(target),
                    target_date=date(start, 6, 15),
                ),
            ),
        )
        await measurements.record_measurements(
            session,
            operator,
            [
                {
                    "indicator_id": view.indicator.id,
                    "value": value,
                    "measured_on": (year_start + timedelta(days=30 * i)).isoformat(),
                }
                for i, value in enumerate(values)
            ],
        )
        return view.goal.id

    absence = await goal(
        "Fewer students chronically absent.",
        "Students chronically absent",
        Direction.DECREASE,
        "15",
        ["22", "21", "19", "18", "17", "16", "15", "14", "13", "12"],
    )
    families = await goal(
        "More families take part in school events.",
        "Families at a school event this term",
        Direction.INCREASE,
        "50",
        ["25", "27", "30", "29", "33", "34", "35", "36", "37", "38"],
    )
    for goal_id, title, status in (
        (absence, "Morning greeters and a call home on the first absence", StepStatus.DONE),
        (families, "Family nights run with the parent association", StepStatus.DONE),
        (families, "Evening clinic hours with the community partner", StepStatus.IN_PROGRESS),
    ):
        strategy = await plans.add_strategy(session, operator, goal_id, StrategyCreate(title=title))
        await plans.add_action_step(
            session, operator, strategy.id, ActionStepCreate(title=title, status=status)
        )
    # Its teachers helped write it: a design-team meeting early in the year.
    meeting = await engagement.create_activity(
        session,
        operator,
        ActivityCreate(
            mode=Mode.CO_CREATION,
            kind=ActivityKind.DESIGN_TEAM_MEETING,
            title="Design team: why students miss school",
            held_on=year_start - timedelta(days=20),
            participation_level=ParticipationLevel.COLLABORATE,
            plan_id=plan.id,
            status=ActivityStatus.HELD,
        ),
    )
    for role in (Role.TEACHER, Role.SCHOOL_LEADER):
        if role in staff:
            await engagement.add_participation(
                session, operator, meeting.id, ParticipationCreate(person_id=staff[role])
            )
    for status in (PlanStatus.IN_REVIEW, PlanStatus.APPROVED, PlanStatus.ACTIVE, PlanStatus.CLOSED):
        await plans.update_plan(session, operator, plan.id, PlanUpdate(status=status))
    await continuity.start_next_plan(session, operator, plan.id)
