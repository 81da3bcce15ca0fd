"""Response models of the district portfolio."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field

from app.core.schemas import PublicModel
from app.plans.models import PlanStatus
from app.practice.schemas import WalkthroughSummary


class GoalStatusCounts(PublicModel):
    on_track: int
    at_risk: int
    off_track: int
    no_data: int


class SignalCounts(PublicModel):
    favourable: int = Field(description="Run-chart signals pointing the better way for their indicator.")
    unfavourable: int = Field(description="Signals pointing the wrong way.")
    other: int = Field(description="Signals with no side, or of indicators that hold a level.")


class CoCreationCoverage(PublicModel):
    activities: int = Field(
        description="Held, attended co-creation activities linked to the plan or its initiative."
    )
    voices_heard: list[str]
    voices_required: list[str] = Field(description="The voices the district requires for a school plan.")
    voices_missing: list[str]


class PortfolioPlan(PublicModel):
    rank: int = Field(description="1 is the plan whose school needs help most (see the ordering rule).")
    plan_id: uuid.UUID
    school_id: uuid.UUID
    school_name: str
    title: str
    cycle: str
    status: PlanStatus
    progress: float | None = Field(description="Weighted progress, 0–100, as `GET /plans/{id}/progress`.")
    goals: GoalStatusCounts
    signals: SignalCounts
    overdue_action_steps: int
    overdue_checkpoints: int
    due_checkpoints: int = Field(description="Reviews not held, due from today to 14 days ahead.")
    co_creation: CoCreationCoverage
    revisions_this_term: int = Field(description="Revisions accepted in the last 90 days.")
    latest_walkthrough: WalkthroughSummary | None = Field(
        description="The plan's latest closed walkthrough, suppressed below the district's minimum."
    )
    attention: list[str] = Field(description="Why the plan is where it is in the order, in words.")


class PracticeSchoolPublic(PublicModel):
    school_id: uuid.UUID
    school_name: str
    walkthrough: WalkthroughSummary


class PracticeAcrossSchools(PublicModel):
    practice: str = Field(description="The catalogue's name for it, or a walkthrough's own label.")
    practice_id: uuid.UUID | None = Field(
        description="The practice of the district's catalogue; null for walkthroughs not tagged with one."
    )
    schools: list[PracticeSchoolPublic] = Field(description="Each school's latest closed walkthrough of it.")
    shown_schools: int = Field(description="Schools whose figure is shown (not suppressed).")
    classrooms: int = Field(description="Classrooms behind the pooled share (shown schools only).")
    developing_or_above: float | None = Field(
        description="Share of classrooms at developing or proficient, pooled over the shown schools only."
    )


class PortfolioPublic(PublicModel):
    """Every school plan of the district, the schools that need help first: more goals off track, then
    more at risk, more overdue work (steps and reviews), more unfavourable run-chart signals, lower
    progress (none before some), more voices missing; then school name."""

    as_of: date
    term_starts_on: date = Field(description="Revisions count from this day (90 days back).")
    plans: list[PortfolioPlan]
    practices: list[PracticeAcrossSchools]
