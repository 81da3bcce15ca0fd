"""The district portfolio: every school plan of the district side by side, for district leaders.

For each school plan that is not closed (narrowed by `cycle` if given): its status, weighted progress
(`app.plans.service.progress_of_plans`, the plan progress computation), its goals on track, at risk,
off track or without data and the run-chart signals of their indicators (`app.monitoring.measurements`,
the indicator status computation), overdue action steps, overdue and due review checkpoints,
co-creation coverage (the voices heard at its held co-creation activities against those the district
requires, counted as the co-creation policy counts them), revisions accepted this term, and its latest
closed walkthrough as the walkthrough summary shows it (suppressed below the district's minimum of
classrooms). Across schools, implementation by practice: each school's latest closed walkthrough of
each practice, and a pooled share over the schools whose own figure is shown, so the pooled figure
tells nothing a reader could not add up from the shown ones.

Ordering: the schools that need help come first. Plans are ordered by, in turn: more goals off track;
more goals at risk; more overdue work (overdue steps plus overdue checkpoints); more unfavourable
run-chart signals; lower weighted progress (a plan with no progress yet before any with some); fewer
voices heard than required, then school name, then plan id. `attention` says in words why a plan is
where it is.

Who: `portfolio:read` (district leaders and admins), and the district's own plans only. A constant
number of queries whatever the number of schools, plans, goals or measurements.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Action
from app.auth.policy import require, visible
from app.auth.principal import Principal
from app.core.errors import FieldError, PermissionDenied, ValidationFailed
from app.core.models import utcnow
from app.core.repository import where_given
from app.core.sql import any_of
from app.engagement.models import Activity, ActivityStatus, Mode, Participation
from app.initiatives.models import Indicator
from app.monitoring import measurements
from app.plans import service as plans
from app.plans.models import (
    ActionStep,
    Goal,
    Plan,
    PlanRevision,
    PlanStatus,
    ReviewCheckpoint,
    RevisionStatus,
    StepStatus,
)
from app.practice import service as practice
from app.practice.models import Practice, Walkthrough
from app.practice.schemas import WalkthroughSummary
from app.tenancy.models import District, School, Voice

# A checkpoint not yet held is "due" from today until this many days ahead (as on the plan dashboard).
DUE_WITHIN = timedelta(days=14)
CYCLE = re.compile(r"[0-9]{4}-[0-9]{2}")
# "This term": revisions accepted within this many days.
TERM = timedelta(days=90)


@dataclass(slots=True)
class GoalCounts:
    on_track: int = 0
    at_risk: int = 0
    off_track: int = 0
    no_data: int = 0


@dataclass(slots=True)
class PlanRow:
    """One school plan in the portfolio."""

    plan: Plan
    school_name: str
    progress: float | None
    goals: GoalCounts
    signals_favourable: int
    signals_unfavourable: int
    signals_other: int
    overdue_steps: int
    overdue_checkpoints: int
    due_checkpoints: int
    co_creation_activities: int
    voices_heard: list[str]
    voices_required: list[str]
    voices_missing: list[str]
    revisions_this_term: int
    walkthrough: WalkthroughSummary | None
    rank: int = 0
    attention: list[str] = field(default_factory=list)

    def need(self) -> tuple[Any, ...]:
        """The ordering key: greater need sorts first (see the module's ordering rule)."""
        return (
            -self.goals.off_track,
            -self.goals.at_risk,
            -(self.overdue_steps + self.overdue_checkpoints),
            -self.signals_unfavourable,
            -1 if self.progress is None else self.progress,
            -len(self.voices_missing),
            self.school_name,
            str(self.plan.id),
        )


@dataclass(frozen=True, slots=True)
class PracticeSchool:
    school_id: uuid.UUID
    school_name: str
    summary: WalkthroughSummary


@dataclass(frozen=True, slots=True)
class PracticeRow:
    """A practice across schools: each school's latest closed walkthrough of it."""

    practice: str
    practice_id: uuid.UUID | None
    schools: list[PracticeSchool]
    shown_schools: int
    classrooms: int
    developing_or_above: float | None


@dataclass(frozen=True, slots=True)
class Portfolio:
    as_of: date
    term_starts_on: date
    plans: list[PlanRow]
    practices: list[PracticeRow]


async def district_portfolio(
    session: AsyncSession, principal: Principal, *, cycle: str | None = None, today: date | None = None
) -> Portfolio:
    """Every school plan of the principal's district that is not closed (of `cycle`, if given), the
    schools that need help first, and walkthrough implementation by practice across schools.

    Raises `Unauthenticated`, `PermissionDenied` for anyone but district leaders and admins, and
    `ValidationFailed` for a cycle not written like 2026-27.
    """
    require(principal, Action.PORTFOLIO_READ)
    if cycle is not None and not CYCLE.fullmatch(cycle):
        raise ValidationFailed(
            "A cycle is written like 2026-27.",
            errors=[FieldError(("query", "cycle"), "Write it like 2026-27.", "invalid_cycle")],
        )
    as_of = today or utcnow().date()
    stmt = (
        select(Plan, School.name)
        .join(School, School.id == Plan.school_id)
        .where(Plan.status != PlanStatus.CLOSED)
        .order_by(School.name, Plan.created_at, Plan.id)
    )
    stmt = where_given(stmt, Plan, cycle=cycle)
    # One district's portfolio, even for the operator (whom `visible` lets read across districts).
    stmt = stmt.where(Plan.district_id == principal.district_id)
    found = (await session.execute(plans._plans_visible(stmt, principal))).all()
    district = await session.get(District, principal.district_id)
    practices = await _practices(session, principal)
    if not found or district is None:
        return Portfolio(as_of, as_of - TERM, [], practices)
    plan_ids = [p.id for p, _ in found]

    progress = await plans.progress_of_plans(session, plan_ids)
    goal_rows = (
        await session.execute(
            select(Goal.plan_id, Indicator)
            .join(Indicator, Indicator.id == Goal.indicator_id)
            .where(any_of(Goal.plan_id, plan_ids))
        )
    ).all()
    series = await measurements.series_of_indicators(session, [i for _, i in goal_rows])
    goals: dict[uuid.UUID, GoalCounts] = defaultdict(GoalCounts)
    signal_counts: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0, 0])
    for plan_id, indicator in goal_rows:
        status = measurements.assess(indicator, series[indicator.id])
        counts = goals[plan_id]
        setattr(counts, status.status.value, getattr(counts, status.status.value) + 1)
        for signal in status.run_chart.signals:
            slot = 0 if signal.favourable is True else 1 if signal.favourable is False else 2
            signal_counts[plan_id][slot] += 1

    overdue_steps = dict(
        (
            await session.execute(
                select(ActionStep.plan_id, func.count())
                .where(
                    any_of(ActionStep.plan_id, plan_ids),
                    ActionStep.due_on < as_of,
                    ActionStep.status != StepStatus.DONE,
                )
                .group_by(ActionStep.plan_id)
            )
        ).all()
    )
    checkpoints = (
        await session.execute(
            select(
                ReviewCheckpoint.plan_id,
                func.count().filter(ReviewCheckpoint.scheduled_on < as_of),
                func.count().filter(ReviewCheckpoint.scheduled_on >= as_of),
            )
            .where(
                any_of(ReviewCheckpoint.plan_id, plan_ids),
                ReviewCheckpoint.held_on.is_(None),
                ReviewCheckpoint.scheduled_on <= as_of + DUE_WITHIN,
            )
            .group_by(ReviewCheckpoint.plan_id)
        )
    ).all()
    overdue_reviews = {plan_id: overdue for plan_id, overdue, _ in checkpoints}
    due_reviews = {plan_id: due for plan_id, _, due in checkpoints}
    revisions = dict(
        (
            await session.execute(
                select(PlanRevision.plan_id, func.count())
                .where(
                    any_of(PlanRevision.plan_id, plan_ids),
                    PlanRevision.status == RevisionStatus.ACCEPTED,
                    PlanRevision.number > 0,  # number 0 is the plan as approved
                    PlanRevision.decided_at >= datetime.combine(as_of - TERM, time(), tzinfo=utcnow().tzinfo),
                )
                .group_by(PlanRevision.plan_id)
            )
        ).all()
    )
    activities, heard = await _co_creation(session, [p for p, _ in found])
    walkthroughs = await _latest_walkthroughs(session, principal, plan_ids)

    rows = []
    for plan, school_name in found:
        required = [Voice(v) for v in district.school_plan_voices]
        voices = heard.get(plan.id, set())
        favourable, unfavourable, other = signal_counts[plan.id]
        row = PlanRow(
            plan=plan,
            school_name=school_name,
            progress=progress[plan.id].progress,
            goals=goals[plan.id],
            signals_favourable=favourable,
            signals_unfavourable=unfavourable,
            signals_other=other,
            overdue_steps=overdue_steps.get(plan.id, 0),
            overdue_checkpoints=overdue_reviews.get(plan.id, 0),
            due_checkpoints=due_reviews.get(plan.id, 0),
            co_creation_activities=activities.get(plan.id, 0),
            voices_heard=sorted(v.value for v in voices),
            voices_required=[v.value for v in required],
            voices_missing=[v.value for v in required if not plans.voice_satisfied(v, voices)],
            revisions_this_term=revisions.get(plan.id, 0),
            walkthrough=walkthroughs.get(plan.id),
        )
        row.attention = _attention(row)
        rows.append(row)
    rows.sort(key=PlanRow.need)
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    return Portfolio(as_of, as_of - TERM, rows, practices)


def _attention(row: PlanRow) -> list[str]:
    said = []
    if row.goals.off_track:
        said.append(f"{row.goals.off_track} goal(s) off track")
    if row.goals.at_risk:
        said.append(f"{row.goals.at_risk} goal(s) at risk")
    if row.overdue_steps:
        said.append(f"{row.overdue_steps} action step(s) overdue")
    if row.overdue_checkpoints:
        said.append(f"{row.overdue_checkpoints} review(s) overdue")
    if row.signals_unfavourable:
        said.append(f"{row.signals_unfavourable} run-chart signal(s) pointing the wrong way")
    if row.voices_missing:
        said.append("not yet heard: " + ", ".join(row.voices_missing))
    return said


async def _co_creation(
    session: AsyncSession, found: list[Plan]
) -> tuple[dict[uuid.UUID, int], dict[uuid.UUID, set[Voice]]]:
    """Held co-creation activities linked to each plan or its initiative (as the co-creation policy
    counts them, as of now), and the voices heard at them."""
    now = utcnow()
    plan_ids = [p.id for p in found]
    initiative_ids = list({p.initiative_id for p in found if p.initiative_id is not None})
    attended = (
        select(Participation.id)
        .where(Participation.activity_id == Activity.id, Participation.attended.is_(True))
        .exists()
    )
    linked = [any_of(Activity.plan_id, plan_ids)]
    if initiative_ids:
        linked.append(any_of(Activity.initiative_id, initiative_ids))
    rows = (
        await session.execute(
            select(Activity.id, Activity.plan_id, Activity.initiative_id, Activity.school_id).where(
                or_(*linked),
                Activity.mode == Mode.CO_CREATION,
                Activity.status == ActivityStatus.HELD,
                Activity.held_on <= now.date(),
                attended,
            )
        )
    ).all()
    of_plan: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    plans_of_initiative: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for p in found:
        if p.initiative_id is not None:
            plans_of_initiative[p.initiative_id].append(p.id)
    wanted = set(plan_ids)
    school_of = {p.id: p.school_id for p in found}
    for activity_id, plan_id, initiative_id, school_id in rows:
        if plan_id in wanted:
            of_plan[plan_id].add(activity_id)
        for linked_plan in plans_of_initiative.get(initiative_id, []):
            if plans.counts_for_plan(school_id, school_of[linked_plan]):
                of_plan[linked_plan].add(activity_id)
    voices = await plans.voices_at_schools(session, [r[0] for r in rows], now)
    heard: dict[uuid.UUID, set[Voice]] = {}
    for plan_id, activity_ids in of_plan.items():
        heard[plan_id] = set().union(
            *(plans.voices_for_school(voices.get(a, set()), school_of[plan_id]) for a in activity_ids)
        )
    return {k: len(v) for k, v in of_plan.items()}, heard


async def _latest_walkthroughs(
    session: AsyncSession, principal: Principal, plan_ids: list[uuid.UUID]
) -> dict[uuid.UUID, WalkthroughSummary]:
    """The latest closed walkthrough of each plan, summarised (and suppressed) as everywhere."""
    try:
        stmt = visible(select(Walkthrough), Walkthrough, principal, Action.WALKTHROUGH_READ)
    except PermissionDenied:
        return {}
    latest = list(
        (
            await session.execute(
                stmt.where(any_of(Walkthrough.plan_id, plan_ids), Walkthrough.closed_at.is_not(None))
                .order_by(
                    Walkthrough.plan_id,
                    Walkthrough.observed_on.desc(),
                    Walkthrough.created_at.desc(),
                    Walkthrough.id.desc(),
                )
                .ext(distinct_on(Walkthrough.plan_id))
            )
        ).scalars()
    )
    summaries = await practice.summaries_of(session, principal, latest)
    return {w.plan_id: s for w, s in zip(latest, summaries, strict=True)}  # type: ignore[misc]


async def _practices(session: AsyncSession, principal: Principal) -> list[PracticeRow]:
    """Each practice walked through in the district: every school's latest closed walkthrough of it,
    and the share of classrooms at developing or above pooled over the schools whose figure is shown.
    A walkthrough tagged with a practice of the district's catalogue counts under that practice (by
    its catalogue name, whatever its free-text label says); an untagged one under its own label."""
    try:
        stmt = visible(
            select(Walkthrough, School.name, Practice.name), Walkthrough, principal, Action.WALKTHROUGH_READ
        )
    except PermissionDenied:
        return []
    which = func.coalesce(cast(Walkthrough.practice_id, String), Walkthrough.practice)
    latest = (
        await session.execute(
            stmt.join(School, School.id == Walkthrough.school_id)
            .outerjoin(Practice, Practice.id == Walkthrough.practice_id)
            .where(Walkthrough.closed_at.is_not(None), Walkthrough.district_id == principal.district_id)
            .order_by(
                which,
                Walkthrough.school_id,
                Walkthrough.observed_on.desc(),
                Walkthrough.created_at.desc(),
                Walkthrough.id.desc(),
            )
            .ext(distinct_on(which, Walkthrough.school_id))
        )
    ).all()
    summaries = await practice.summaries_of(session, principal, [w for w, _, _ in latest])
    by_practice: dict[tuple[uuid.UUID | None, str], list[PracticeSchool]] = defaultdict(list)
    for (walkthrough, school_name, catalogued), summary in zip(latest, summaries, strict=True):
        key = (walkthrough.practice_id, catalogued or walkthrough.practice)
        by_practice[key].append(PracticeSchool(walkthrough.school_id, school_name, summary))
    rows = []
    for (practice_id, name), schools in by_practice.items():
        shown = [s.summary for s in schools if not s.summary.suppressed]
        classrooms = sum(s.classrooms for s in shown)
        implementing = sum(round((s.developing_or_above or 0) * s.classrooms) for s in shown)
        rows.append(
            PracticeRow(
                practice=name,
                practice_id=practice_id,
                schools=sorted(schools, key=lambda s: s.school_name),
                shown_schools=len(shown),
                classrooms=classrooms,
                developing_or_above=round(implementing / classrooms, 4) if classrooms else None,
            )
        )
    return rows
