"""My agenda: what needs the signed-in person now, in one call and one query.

The agenda is a list of item sources (`SOURCES`). Each source is a function that, given the
principal and the day, returns one SELECT of the same six columns (kind, id, title, due on, plan,
link id) over the rows that need this person, already narrowed by the policy's own visibility
filters (`app.auth.policy.visible`, through each area's `_…_visible` helper), exactly as the lists of
those rows are. The sources are joined with UNION ALL and ordered in the database, so the agenda is
one statement however many sources and items there are. A source whose rows the principal may not
read at all (`PermissionDenied` from `visible`) contributes nothing. Adding a source is writing one
such function and appending it to `SOURCES`.

Ordering (urgency): by the day each item became due, oldest first, so what has waited longest or is
most overdue leads, then what falls due soonest; on the same day, by `KIND_RANK` (a step someone
else waits on before a review to prepare), then by id for a stable order. Items that wait for an
answer rather than a date (an input, a proposed revision, a PDSA study, support after a walkthrough)
became due the day they started waiting.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, String, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.policy import require_authenticated
from app.auth.principal import Principal, PrincipalKind
from app.coaching.models import CoachingCycle, CoachingSession
from app.coaching.service import coached_by
from app.core.errors import PermissionDenied
from app.core.models import utcnow
from app.engagement import service as engagement
from app.engagement.models import Activity, Disposition, Input, ParticipantRole, Participation
from app.plans import service as plans
from app.plans.models import (
    ActionStep,
    CollaboratorRole,
    Plan,
    PlanCollaborator,
    PlanRevision,
    PlanStatus,
    ReviewCheckpoint,
    RevisionStatus,
    StepStatus,
)
from app.practice import service as practice
from app.practice.models import PdsaCycle, Practice, SupportNeeded, Walkthrough, WalkthroughObservation

API = "/api/v1"
# An action step or a review checkpoint is "soon due" from today until this many days ahead.
DUE_WITHIN = timedelta(days=14)
# Support a walkthrough said a teacher needs stays on its observer's agenda this long.
SUPPORT_WINDOW = timedelta(days=30)
# The most items an agenda lists (the most urgent first); `total` counts them all.
MAX_ITEMS = 200


class AgendaKind(StrEnum):
    ACTION_STEP = "action_step"
    REVIEW_CHECKPOINT = "review_checkpoint"
    INPUT_TO_ANSWER = "input_to_answer"
    REVISION_TO_DECIDE = "revision_to_decide"
    PDSA_STUDY = "pdsa_study"
    WALKTHROUGH_SUPPORT = "walkthrough_support"
    COACHING_SESSION = "coaching_session"


# Coaching sessions show from the day they are planned for this many days ahead ("this week").
COACHING_WEEK = timedelta(days=7)

# Kinds that carry a date of their own (the others wait for an answer): only these are overdue.
DATED = frozenset({AgendaKind.ACTION_STEP, AgendaKind.REVIEW_CHECKPOINT})

# On the same due day, the order kinds come in.
KIND_RANK: dict[str, int] = {
    AgendaKind.ACTION_STEP: 0,
    AgendaKind.REVISION_TO_DECIDE: 1,
    AgendaKind.INPUT_TO_ANSWER: 2,
    AgendaKind.REVIEW_CHECKPOINT: 3,
    AgendaKind.PDSA_STUDY: 4,
    AgendaKind.WALKTHROUGH_SUPPORT: 5,
    AgendaKind.COACHING_SESSION: 6,
}

# Where each kind of item is read over REST: `{}` is the id the source answers as `link_id`.
LINKS: dict[str, str] = {
    AgendaKind.ACTION_STEP: API + "/action-steps/{}",
    AgendaKind.REVIEW_CHECKPOINT: API + "/plans/{}/checkpoints",
    AgendaKind.INPUT_TO_ANSWER: API + "/inputs/{}",
    AgendaKind.REVISION_TO_DECIDE: API + "/plan-revisions/{}",
    AgendaKind.PDSA_STUDY: API + "/pdsa-cycles/{}",
    AgendaKind.WALKTHROUGH_SUPPORT: API + "/observations/{}",
    AgendaKind.COACHING_SESSION: API + "/coaching-cycles/{}/sessions",
}


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One thing that needs the person: what kind, which row, in words, by when, where to read it."""

    kind: str
    id: uuid.UUID
    title: str
    due_on: date
    overdue: bool
    plan_id: uuid.UUID | None
    link: str


@dataclass(frozen=True, slots=True)
class Agenda:
    as_of: date
    total: int
    items: list[AgendaItem]


# A source: (principal, today) -> a SELECT of (kind, id, title, due_on, plan_id, link_id), or None.
Source = Callable[[Principal, date], Any]


def _row(kind: str, id_: Any, title: Any, due_on: Any, plan_id: Any, link_id: Any) -> list[Any]:
    return [
        literal(kind, String).label("kind"),
        id_.label("id"),
        func.left(cast(title, String), 200).label("title"),
        cast(due_on, Date).label("due_on"),
        cast(plan_id, Plan.id.type).label("plan_id"),
        link_id.label("link_id"),
    ]


def _me(principal: Principal) -> Any:
    return practice.own_person(principal)


def _live_plans(principal: Principal) -> Any:
    """Plans the principal reads that are being carried out (approved or active)."""
    stmt = select(Plan.id).where(Plan.status.in_([PlanStatus.APPROVED, PlanStatus.ACTIVE]))
    return plans._plans_visible(stmt, principal)


def _my_plans(principal: Principal, roles: frozenset[CollaboratorRole]) -> Any:
    return select(PlanCollaborator.plan_id).where(
        PlanCollaborator.person_id == _me(principal), PlanCollaborator.role.in_(roles)
    )


def action_steps(principal: Principal, today: date) -> Any:
    """Steps the person owns, not done, overdue or due within `DUE_WITHIN`, of live plans they read."""
    return select(
        *_row(
            AgendaKind.ACTION_STEP,
            ActionStep.id,
            ActionStep.title,
            ActionStep.due_on,
            ActionStep.plan_id,
            ActionStep.id,
        )
    ).where(
        ActionStep.owner_person_id == _me(principal),
        ActionStep.status != StepStatus.DONE,
        ActionStep.due_on <= today + DUE_WITHIN,
        ActionStep.plan_id.in_(_live_plans(principal)),
    )


def review_checkpoints(principal: Principal, today: date) -> Any:
    """Reviews not yet held, overdue or due within `DUE_WITHIN`, of live plans the person leads,
    co-writes or reviews; titled with the plan's title."""
    return (
        select(
            *_row(
                AgendaKind.REVIEW_CHECKPOINT,
                ReviewCheckpoint.id,
                func.concat(literal("Review of "), Plan.title),
                ReviewCheckpoint.scheduled_on,
                ReviewCheckpoint.plan_id,
                ReviewCheckpoint.plan_id,
            )
        )
        .join(Plan, Plan.id == ReviewCheckpoint.plan_id)
        .where(
            ReviewCheckpoint.held_on.is_(None),
            ReviewCheckpoint.scheduled_on <= today + DUE_WITHIN,
            ReviewCheckpoint.plan_id.in_(_live_plans(principal)),
            ReviewCheckpoint.plan_id.in_(_my_plans(principal, frozenset(CollaboratorRole))),
        )
    )


def inputs_to_answer(principal: Principal, today: date) -> Any:
    """Open inputs with no response yet, of activities the person facilitates or decides in, among
    the activities they may read; due since the activity was held."""
    runs = select(Participation.activity_id).where(
        Participation.person_id == _me(principal),
        Participation.role.in_([ParticipantRole.FACILITATOR, ParticipantRole.DECISION_MAKER]),
    )
    readable = engagement._activities_visible(select(Activity.id), principal)
    return (
        select(
            *_row(
                AgendaKind.INPUT_TO_ANSWER, Input.id, Input.text, Activity.held_on, Activity.plan_id, Input.id
            )
        )
        .join(Activity, Activity.id == Input.activity_id)
        .where(
            Input.disposition == Disposition.OPEN,
            Input.response.is_(None),
            Activity.held_on <= today,
            Input.activity_id.in_(runs),
            Input.activity_id.in_(readable),
        )
    )


def revisions_to_decide(principal: Principal, today: date) -> Any:
    """Proposed revisions of live plans the person leads (the lead decides them) and reads."""
    return select(
        *_row(
            AgendaKind.REVISION_TO_DECIDE,
            PlanRevision.id,
            PlanRevision.reason,
            func.timezone("UTC", PlanRevision.created_at),
            PlanRevision.plan_id,
            PlanRevision.id,
        )
    ).where(
        PlanRevision.status == RevisionStatus.PROPOSED,
        PlanRevision.plan_id.in_(_my_plans(principal, frozenset({CollaboratorRole.LEAD}))),
        PlanRevision.plan_id.in_(_live_plans(principal)),
    )


def pdsa_studies(principal: Principal, today: date) -> Any:
    """PDSA cycles whose "do" is recorded and whose study (results) is not, on live plans the person
    leads or co-writes; due since the cycle was last changed."""
    return select(
        *_row(
            AgendaKind.PDSA_STUDY,
            PdsaCycle.id,
            PdsaCycle.question,
            func.timezone("UTC", PdsaCycle.updated_at),
            PdsaCycle.plan_id,
            PdsaCycle.id,
        )
    ).where(
        PdsaCycle.done.is_not(None),
        PdsaCycle.results.is_(None),
        PdsaCycle.decision.is_(None),
        PdsaCycle.plan_id.in_(_live_plans(principal)),
        PdsaCycle.plan_id.in_(_my_plans(principal, plans.WRITERS)),
    )


def walkthrough_support(principal: Principal, today: date) -> Any:
    """Classrooms a walkthrough the person observed said need support (coaching, PLC, feedback), in
    the last `SUPPORT_WINDOW`, among the observations they may read one by one. The title names the
    practice and the support, never the teacher: the link answers that, to those who may read it."""
    title = func.concat(
        cast(WalkthroughObservation.support, String),
        literal(" support after a walkthrough of "),
        Walkthrough.practice,
    )
    stmt = select(
        *_row(
            AgendaKind.WALKTHROUGH_SUPPORT,
            WalkthroughObservation.id,
            title,
            Walkthrough.observed_on,
            Walkthrough.plan_id,
            WalkthroughObservation.id,
        )
    ).where(
        WalkthroughObservation.support != SupportNeeded.NONE,
        Walkthrough.observer_person_id == _me(principal),
        Walkthrough.observed_on >= today - SUPPORT_WINDOW,
        Walkthrough.observed_on <= today,
    )
    return practice._observations_visible(stmt, principal)


def coaching_sessions(principal: Principal, today: date) -> Any:
    """The person's coaching sessions this week (today and the six days after), as the cycle's teacher
    or its coach: never sessions of cycles merely shared with them. Titled with the kind of session
    and the practice; the cycle's sessions are the link."""
    title = func.concat(cast(CoachingSession.kind, String), literal(" coaching session on "), Practice.name)
    day = func.timezone("UTC", CoachingSession.starts_at)
    return (
        select(
            *_row(
                AgendaKind.COACHING_SESSION,
                CoachingSession.id,
                title,
                day,
                null(),
                CoachingCycle.id,
            )
        )
        .join(CoachingCycle, CoachingCycle.id == CoachingSession.cycle_id)
        .join(Practice, Practice.id == CoachingCycle.practice_id)
        .where(
            CoachingCycle.district_id == principal.district_id,
            or_(
                CoachingCycle.teacher_person_id == _me(principal),
                coached_by(_me(principal)),
            ),
            cast(day, Date) >= today,
            cast(day, Date) < today + COACHING_WEEK,
        )
    )


# The agenda's sources, in no particular order (the agenda orders the items). Another area adds its
# own by appending a function of the same shape.
SOURCES: list[Source] = [
    action_steps,
    review_checkpoints,
    inputs_to_answer,
    revisions_to_decide,
    pdsa_studies,
    walkthrough_support,
    coaching_sessions,
]


async def my_agenda(
    session: AsyncSession, principal: Principal, *, today: date | None = None, limit: int = MAX_ITEMS
) -> Agenda:
    """What needs the signed-in person now, most urgent first (see the module's ordering rule), at most
    `limit` items, with the total. Everything in it is something the person may read through the same
    rules as anywhere else. `Unauthenticated` without a token; an API client or the operator is not a
    person and has an empty agenda. One statement."""
    require_authenticated(principal)
    as_of = today or utcnow().date()
    if principal.kind is not PrincipalKind.USER:
        return Agenda(as_of=as_of, total=0, items=[])
    parts = []
    for source in SOURCES:
        try:
            parts.append(source(principal, as_of))
        except PermissionDenied:
            continue  # the principal reads no rows of this kind at all
    if not parts:
        return Agenda(as_of=as_of, total=0, items=[])
    items = union_all(*parts).subquery("agenda")
    rank = case(KIND_RANK, value=items.c.kind, else_=len(KIND_RANK))
    stmt = (
        select(items, func.count().over().label("total"))
        .order_by(items.c.due_on, rank, items.c.id)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    return Agenda(
        as_of=as_of,
        total=rows[0].total if rows else 0,
        items=[
            AgendaItem(
                kind=row.kind,
                id=row.id,
                title=row.title,
                due_on=row.due_on,
                overdue=row.kind in DATED and row.due_on < as_of,
                plan_id=row.plan_id,
                link=LINKS[row.kind].format(row.link_id),
            )
            for row in rows
        ],
    )
