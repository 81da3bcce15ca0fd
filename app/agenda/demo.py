"""Demo data that gives the demo's people something on their agenda on a fresh install.

The active plan's lead (the school leader) has a proposed revision to decide and a family's question to
answer from a listening session she facilitated; the rest is already in the demo: the coach's overdue
training step and the support the walkthroughs she observed asked for, the next review of the plan for
its lead and co-author, and the PDSA cycle still waiting for its study.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import SYSTEM, Principal
from app.core.models import utcnow
from app.engagement import service as engagement
from app.engagement.models import ActivityKind, ActivityStatus, InputKind, Mode, ParticipantRole
from app.engagement.schemas import ActivityCreate, InputCreate, ParticipationCreate
from app.identity import service as identity
from app.identity.models import PersonKind, Role, RoleAssignment, User
from app.identity.schemas import PersonCreate
from app.initiatives.models import ParticipationLevel
from app.plans import service as plans
from app.plans.models import ActionStep, Plan, PlanStatus
from app.plans.schemas import Change, RevisionCreate


async def seed_agenda(session: AsyncSession, district_id: uuid.UUID) -> None:
    operator = Principal(kind=SYSTEM.kind, district_id=district_id, label="system")
    today = utcnow().date()
    plan = await session.scalar(
        select(Plan)
        .where(Plan.district_id == district_id, Plan.status == PlanStatus.ACTIVE)
        .order_by(Plan.created_at)
        .limit(1)
    )
    if plan is None:
        return
    leader = await session.scalar(
        select(User.person_id)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.district_id == district_id, RoleAssignment.role == Role.SCHOOL_LEADER)
    )
    step = await session.scalar(
        select(ActionStep).where(ActionStep.plan_id == plan.id).order_by(ActionStep.created_at).limit(1)
    )
    if step is not None:
        await plans.propose_revision(
            session,
            operator,
            plan.id,
            RevisionCreate(
                reason="The coaches ask to run the warm-up pilot in grade 1 as well before scaling up.",
                changes=[
                    Change(
                        op="update",
                        entity="action_step",
                        id=step.id,
                        fields={"pilot_group": "Two grade 1 and two grade 2 classrooms"},
                    )
                ],
            ),
        )
    session_ = await engagement.create_activity(
        session,
        operator,
        ActivityCreate(
            mode=Mode.CO_PRODUCTION,
            kind=ActivityKind.LISTENING_SESSION,
            title="Family listening session: reading at home",
            held_on=today - timedelta(days=4),
            participation_level=ParticipationLevel.CONSULT,
            school_id=plan.school_id,
            plan_id=plan.id,
            status=ActivityStatus.HELD,
        ),
    )
    if leader is not None:
        await engagement.add_participation(
            session,
            operator,
            session_.id,
            ParticipationCreate(person_id=leader, role=ParticipantRole.FACILITATOR),
        )
    parent = await identity.create_person(
        session, operator, PersonCreate(display_name="Ana Torres", kind=PersonKind.FAMILY)
    )
    said = await engagement.add_participation(
        session, operator, session_.id, ParticipationCreate(person_id=parent.id)
    )
    await engagement.add_input(
        session,
        operator,
        session_.id,
        InputCreate(
            participation_id=said.id,
            kind=InputKind.QUESTION,
            text="Can the decodable books come home in Spanish as well?",
        ),
    )
