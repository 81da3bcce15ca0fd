"""Next year's plan: a closed plan starts the next cycle's plan, and every plan shows its lineage.

Starting the next plan from a closed one (`start_next_plan`):

- the new plan is a draft of the next cycle (2026-27 → 2027-28) at the same school, for the same
  initiative (so a multi-year initiative holds the plans of each year: `GET /plans?initiative_id=`),
  with the same collaborators, and `previous_plan_id` naming the closed plan;
- a goal not met carries forward: a new goal with the same statement and weight, measured by the same
  indicator, so the indicator's series and its run chart continue across the years, and
  `carried_from_id` naming the goal it carries. A goal is met when its indicator's latest value has
  reached the target the better way (at or above for "increase", at or below for "decrease"; on track
  for "maintain"); a goal with no target or no measurement is not met;
- under a carried goal, each strategy not complete (weighted progress below 100, or nothing under it
  yet) carries forward the same way, with `carried_from_id`; its action steps stay with the closed
  plan (the new year plans its own);
- goals met, and complete strategies, are archived: they stay, read-only, in the closed plan, and the
  answer lists them.

Refused with `Conflict` (409) when the plan is not closed, or when it already started a next plan
(once only, whoever asks; the database holds the same rule, so two racing starts make one plan).
Who: whoever may start a plan where the closed plan belongs (`plan:create` there) and reads it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Action
from app.auth.policy import authorize_on
from app.auth.principal import Principal, PrincipalKind
from app.core.errors import Conflict, FieldError
from app.core.repository import flush_or_conflict
from app.identity.models import User
from app.initiatives.models import Direction, Indicator
from app.monitoring import measurements
from app.monitoring.signals import IndicatorStatus
from app.plans import service as plans
from app.plans.models import (
    CollaboratorRole,
    Plan,
    PlanCollaborator,
    PlanStatus,
    Strategy,
)


@dataclass(frozen=True, slots=True)
class Archived:
    """A goal or strategy of the closed plan that was met, and so stays there."""

    kind: str  # "goal" or "strategy"
    id: uuid.UUID
    title: str


@dataclass(frozen=True, slots=True)
class Carried:
    """A goal or strategy carried into the new plan: the new row and the one it carries."""

    kind: str
    id: uuid.UUID
    carried_from_id: uuid.UUID
    title: str


@dataclass(frozen=True, slots=True)
class NextPlan:
    plan: Plan
    previous: Plan
    carried: list[Carried]
    archived: list[Archived]


def next_cycle(cycle: str) -> str:
    """The cycle after `cycle`: 2026-27 → 2027-28."""
    start = int(cycle[:4]) + 1
    return f"{start}-{(start + 1) % 100:02d}"


def goal_met(indicator: Indicator, status: Any) -> bool:
    """Whether the goal's indicator reached its target the better way (see the module)."""
    if indicator.direction is Direction.MAINTAIN:
        return bool(status.status is IndicatorStatus.ON_TRACK)
    if indicator.target_value is None or status.latest is None:
        return False
    latest: Decimal = status.latest.value
    if indicator.direction is Direction.INCREASE:
        return latest >= indicator.target_value
    return latest <= indicator.target_value


async def start_next_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, title: str | None = None
) -> NextPlan:
    """Start the next cycle's plan from the closed plan `plan_id` (see the module for what carries).

    Raises `NotFound` (no such plan for the principal), `PermissionDenied` (may not start plans where
    it belongs), `Conflict` (not closed: code `plan_not_closed`; already continued: code
    `next_plan_exists`, with the next plan's id).
    """
    previous = await plans.get_plan(session, principal, plan_id, lock=True)
    authorize_on(principal, Action.PLAN_CREATE, previous)
    if previous.status is not PlanStatus.CLOSED:
        raise Conflict(
            f"The plan is {previous.status.value}: only a closed plan starts the next cycle's plan. Close it "
            "first.",
            errors=[FieldError(("path", "plan_id"), "Not closed.", "plan_not_closed")],
        )
    existing = await session.scalar(select(Plan.id).where(Plan.previous_plan_id == previous.id))
    if existing is not None:
        raise _already(previous.id, existing)

    plan = Plan(
        district_id=previous.district_id,
        school_id=previous.school_id,
        initiative_id=previous.initiative_id,
        cycle=next_cycle(previous.cycle),
        title=title or _next_title(previous),
        summary=previous.summary,
        previous_plan_id=previous.id,
    )
    session.add(plan)
    await flush_or_conflict(
        session, {"uq_plan_previous_plan_id": ("plan_id", "This plan already started the next cycle's plan.")}
    )
    await _carry_collaborators(session, principal, previous, plan)

    goal_rows = await plans.goals_with_indicators(session, previous.id)
    series = await measurements.series_of_indicators(session, [i for _, i in goal_rows])
    progress = (await plans.progress_of_plans(session, [previous.id]))[previous.id]
    strategy_progress = {s.id: s.progress for g in progress.goals for s in g.strategies}
    strategies = list(
        (
            await session.execute(
                select(Strategy)
                .where(Strategy.plan_id == previous.id)
                .order_by(Strategy.created_at, Strategy.id)
            )
        ).scalars()
    )
    carried: list[Carried] = []
    archived: list[Archived] = []
    for goal, indicator in goal_rows:
        mine = [s for s in strategies if s.goal_id == goal.id]
        if goal_met(indicator, measurements.assess(indicator, series[indicator.id])):
            archived.append(Archived("goal", goal.id, goal.statement))
            archived += [Archived("strategy", s.id, s.title) for s in mine]
            continue
        new_goal = await _carry(session, plan, carried, "goal", goal, indicator_id=indicator.id)
        for strategy in mine:
            done = strategy_progress.get(strategy.id)
            if done is not None and done >= 100:
                archived.append(Archived("strategy", strategy.id, strategy.title))
                continue
            await _carry(session, plan, carried, "strategy", strategy, goal_id=new_goal.id)
    return NextPlan(plan=plan, previous=previous, carried=carried, archived=archived)


# What carries over of a goal and of a strategy, the first naming it in `Carried`; the rest (progress,
# measurements, steps) starts afresh.
_CARRIED_FIELDS: dict[str, tuple[str, ...]] = {
    "goal": ("statement", "weight"),
    "strategy": ("title", "description", "driver", "weight"),
}


async def _carry(
    session: AsyncSession, plan: Plan, carried: list[Carried], kind: str, original: Any, **links: Any
) -> Any:
    """A copy of `original` (a goal or a strategy) in the next plan, tied to its new rows by `links`,
    remembering where it came from (`carried_from_id`); noted in `carried`."""
    fields = _CARRIED_FIELDS[kind]
    copy = type(original)(
        district_id=plan.district_id,
        plan_id=plan.id,
        carried_from_id=original.id,
        **{name: getattr(original, name) for name in fields},
        **links,
    )
    session.add(copy)
    await session.flush()
    carried.append(Carried(kind, copy.id, original.id, getattr(original, fields[0])))
    return copy


def _already(previous_id: uuid.UUID, next_id: uuid.UUID) -> Conflict:
    return Conflict(
        f"Plan {previous_id} already started the next cycle's plan ({next_id}); a plan starts one next "
        "plan only.",
        errors=[FieldError(("path", "plan_id"), "Already continued.", "next_plan_exists")],
        extra={"next_plan_id": str(next_id)},
    )


def _next_title(previous: Plan) -> str:
    following = next_cycle(previous.cycle)
    if previous.cycle in previous.title:
        return previous.title.replace(previous.cycle, following)[:200]
    return f"{previous.title} {following}"[:200]


async def _carry_collaborators(
    session: AsyncSession, principal: Principal, previous: Plan, plan: Plan
) -> None:
    """The team continues: the same lead, co-authors and reviewers. Without a lead, a user who starts
    the plan leads it, as when starting any plan."""
    team = list(
        (
            await session.execute(select(PlanCollaborator).where(PlanCollaborator.plan_id == previous.id))
        ).scalars()
    )
    for member in team:
        session.add(
            PlanCollaborator(
                district_id=plan.district_id, plan_id=plan.id, person_id=member.person_id, role=member.role
            )
        )
    if principal.kind is PrincipalKind.USER and not any(m.role is CollaboratorRole.LEAD for m in team):
        person_id = await session.scalar(select(User.person_id).where(User.id == principal.id))
        if person_id is not None and person_id not in {m.person_id for m in team}:
            session.add(
                PlanCollaborator(
                    district_id=plan.district_id,
                    plan_id=plan.id,
                    person_id=person_id,
                    role=CollaboratorRole.LEAD,
                )
            )
    await session.flush()


@dataclass(frozen=True, slots=True)
class Lineage:
    plan_id: uuid.UUID
    plans: list[Plan]  # oldest first, the plan itself included; those the principal may not read left out


async def lineage(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> Lineage:
    """The chain of plans the plan belongs to, oldest cycle first: the plans it continues and those
    that continue it. Plans of the chain the principal may not read are left out. `NotFound` when the
    plan itself is not there for the principal. One statement for the chain, however long."""
    plan = await plans.get_plan(session, principal, plan_id)
    back = (
        select(Plan.id, Plan.previous_plan_id, literal(0).label("depth"))
        .where(Plan.id == plan.id)
        .cte("back", recursive=True)
    )
    back = back.union_all(
        select(Plan.id, Plan.previous_plan_id, (back.c.depth - 1).label("depth")).where(
            Plan.id == back.c.previous_plan_id
        )
    )
    forward = (
        select(Plan.id, literal(0).label("depth")).where(Plan.id == plan.id).cte("forward", recursive=True)
    )
    forward = forward.union_all(
        select(Plan.id, (forward.c.depth + 1).label("depth")).where(Plan.previous_plan_id == forward.c.id)
    )
    chain = union_all(select(back.c.id, back.c.depth), select(forward.c.id, forward.c.depth)).subquery(
        "chain"
    )
    stmt = plans._plans_visible(
        select(Plan).join(chain, chain.c.id == Plan.id).where(Plan.district_id == plan.district_id), principal
    ).order_by(chain.c.depth)
    seen: set[uuid.UUID] = set()
    found = []
    for row in (await session.execute(stmt)).scalars():
        if row.id not in seen:
            seen.add(row.id)
            found.append(row)
    return Lineage(plan_id=plan.id, plans=found)
