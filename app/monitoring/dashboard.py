"""The plan dashboard: one plan at a glance, in one call and a fixed number of queries.

For whoever may read the plan (`app.plans.service.get_plan`): each goal's indicator with its status
and run-chart signals (a goal's indicator is read wherever its plan is), the action steps overdue, the
review checkpoints overdue or due within `DUE_WITHIN`, the latest walkthrough of the plan whose levels
can be shown, as shares of classrooms per level, and the inputs of the plan's co-creation activities
still open. A goal measured by student feedback (its indicator names a `feedback_measure`) carries the
released school aggregates of that measure, suppressed as they are everywhere.

Walkthrough levels are an aggregate of the walkthrough tables: no teacher is named, only callers who
read the school's walkthroughs (`WALKTHROUGH_READ`) get them, and a walkthrough of fewer than
`MIN_CLASSROOMS` classrooms shows no levels at all (the rule walkthroughs follow everywhere). Inputs
are shown as the engagement area shows them: a contributor who did not agree to be named is left out of
the list (but counted) for callers who may not read contributors.

"Overdue" and "due" are judged on the UTC date, as the plans area judges a checkpoint overdue.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Action
from app.auth.policy import visible
from app.auth.principal import Principal
from app.core.errors import PermissionDenied
from app.core.models import utcnow
from app.engagement import service as engagement
from app.engagement.models import Activity, Disposition, Input, Mode
from app.engagement.schemas import InputPublic
from app.initiatives.models import Indicator
from app.initiatives.schemas import IndicatorPublic
from app.monitoring import measurements
from app.monitoring.schemas import (
    GoalDashboard,
    IndicatorStatusPublic,
    OpenInputs,
    PlanDashboard,
)
from app.plans import service as plans
from app.plans.models import ActionStep, Goal, Plan, ReviewCheckpoint, StepStatus
from app.plans.schemas import ActionStepPublic, CheckpointPublic
from app.practice import feedback
from app.practice import service as practice
from app.practice.models import Walkthrough
from app.practice.schemas import FeedbackCell, WalkthroughSummary

# A checkpoint not yet held is "due" from today until this many days ahead.
DUE_WITHIN = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class GoalView:
    goal: Goal
    indicator: Indicator
    status: IndicatorStatusPublic
    # For a goal measured by student feedback: the released school aggregates of its measure.
    feedback: list[FeedbackCell]


@dataclass(frozen=True, slots=True)
class DashboardView:
    """The dashboard's rows, for transports that render rows their own way (GraphQL)."""

    plan: Plan
    as_of: date
    goals: list[GoalView]
    overdue_steps: list[ActionStep]
    overdue_checkpoints: list[ReviewCheckpoint]
    due_checkpoints: list[ReviewCheckpoint]
    walkthrough: WalkthroughSummary | None
    open_input_count: int
    open_inputs: list[Input]


async def dashboard_view(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, today: date | None = None
) -> DashboardView:
    """The dashboard of the plan. `NotFound` when the plan is not there for the principal,
    `PermissionDenied` for a principal that reads no plans (as `get_plan`)."""
    plan = await plans.get_plan(session, principal, plan_id)
    as_of = today or utcnow().date()
    rows = await plans.goals_with_indicators(session, plan.id)
    series = await measurements.series_of_indicators(session, [indicator for _, indicator in rows])
    cells = await _feedback_cells(session, principal, plan, {i.feedback_measure for _, i in rows})
    goals = [
        GoalView(
            goal,
            indicator,
            measurements.assess(indicator, series[indicator.id]),
            [c for c in cells if c.measure == indicator.feedback_measure],
        )
        for goal, indicator in rows
    ]
    overdue_steps = list(
        (
            await session.execute(
                select(ActionStep)
                .where(
                    ActionStep.plan_id == plan.id,
                    ActionStep.due_on < as_of,
                    ActionStep.status != StepStatus.DONE,
                )
                .order_by(ActionStep.due_on, ActionStep.created_at, ActionStep.id)
            )
        ).scalars()
    )
    checkpoints = list(
        (
            await session.execute(
                select(ReviewCheckpoint)
                .where(
                    ReviewCheckpoint.plan_id == plan.id,
                    ReviewCheckpoint.held_on.is_(None),
                    ReviewCheckpoint.scheduled_on <= as_of + DUE_WITHIN,
                )
                .order_by(ReviewCheckpoint.scheduled_on, ReviewCheckpoint.created_at, ReviewCheckpoint.id)
            )
        ).scalars()
    )
    open_inputs = [
        i
        for i in await engagement.inputs_of_plan(session, principal, plan.id)
        if i.disposition is Disposition.OPEN
    ]
    open_count = await session.scalar(
        select(func.count())
        .select_from(Input)
        .join(Activity, Activity.id == Input.activity_id)
        .where(
            Activity.plan_id == plan.id,
            Activity.mode == Mode.CO_CREATION,
            Input.disposition == Disposition.OPEN,
        )
    )
    return DashboardView(
        plan=plan,
        as_of=as_of,
        goals=goals,
        overdue_steps=overdue_steps,
        overdue_checkpoints=[c for c in checkpoints if c.scheduled_on < as_of],
        due_checkpoints=[c for c in checkpoints if c.scheduled_on >= as_of],
        walkthrough=await latest_walkthrough(session, principal, plan.id),
        open_input_count=open_count or 0,
        open_inputs=open_inputs,
    )


async def plan_dashboard(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, today: date | None = None
) -> PlanDashboard:
    """The dashboard of the plan as one document (see `dashboard_view` for the errors)."""
    view = await dashboard_view(session, principal, plan_id, today=today)
    return PlanDashboard(
        plan_id=view.plan.id,
        title=view.plan.title,
        cycle=view.plan.cycle,
        status=view.plan.status,
        as_of=view.as_of,
        goals=[
            GoalDashboard(
                goal_id=g.goal.id,
                statement=g.goal.statement,
                indicator=IndicatorPublic.model_validate(g.indicator),
                status=g.status,
                feedback=g.feedback,
            )
            for g in view.goals
        ],
        overdue_action_steps=[ActionStepPublic.model_validate(s) for s in view.overdue_steps],
        overdue_checkpoints=[CheckpointPublic.model_validate(c) for c in view.overdue_checkpoints],
        due_checkpoints=[CheckpointPublic.model_validate(c) for c in view.due_checkpoints],
        latest_walkthrough=view.walkthrough,
        open_inputs=OpenInputs(
            count=view.open_input_count, items=[InputPublic.model_validate(i) for i in view.open_inputs]
        ),
    )


# How far back the dashboard looks for a walkthrough whose levels it may show.
WALKTHROUGHS_LOOKED_AT = 50


async def latest_walkthrough(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID
) -> WalkthroughSummary | None:
    """The latest walkthrough of the plan the principal may read whose levels are shown (closed, and
    not suppressed for this reader), as shares of classrooms per level: a walkthrough still open, or
    of too few classrooms, does not hide the last one that can be read. When none of them can, the
    latest (suppressed) one; None when there is none (or the principal reads no walkthroughs)."""
    try:
        stmt = visible(select(Walkthrough), Walkthrough, principal, Action.WALKTHROUGH_READ)
    except PermissionDenied:
        return None
    recent = list(
        (
            await session.execute(
                stmt.where(Walkthrough.plan_id == plan_id)
                .order_by(
                    Walkthrough.observed_on.desc(), Walkthrough.created_at.desc(), Walkthrough.id.desc()
                )
                .limit(WALKTHROUGHS_LOOKED_AT)
            )
        ).scalars()
    )
    if not recent:
        return None
    summaries = await practice.summaries_of(session, principal, recent)
    return next((s for s in summaries if not s.suppressed), summaries[0])


async def _feedback_cells(
    session: AsyncSession, principal: Principal, plan: Plan, measures: set[str | None]
) -> list[FeedbackCell]:
    """The released student-feedback aggregates of the plan's school for the measures its goals are
    measured by, as the principal may read them (suppressed where small); none for a district plan, or
    for a principal who reads no aggregates."""
    measures.discard(None)
    if not measures or plan.school_id is None:
        return []
    try:
        report = await feedback.feedback_aggregates(
            session, principal, feedback.AggregateFilter(school_id=plan.school_id)
        )
    except PermissionDenied:
        return []
    return [c for c in report.cells if c.measure in measures]
