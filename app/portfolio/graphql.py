"""GraphQL for the district portfolio. No rules here: `app.portfolio.service`, which REST calls too."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.graphql.context import Context
from app.graphql.cost import cost
from app.graphql.kit import converter, read
from app.graphql.permissions import AUTHENTICATED
from app.plans.graphql import PlanType
from app.portfolio import service
from app.practice.graphql import WalkthroughSummaryType


@converter(service.GoalCounts)
@strawberry.type(name="PortfolioGoalCounts", description="A plan's goals by where their indicators stand.")
class GoalCountsType:
    on_track: int
    at_risk: int
    off_track: int
    no_data: int


@converter(
    service.PlanRow,
    plan=lambda row: PlanType.from_model(row.plan),
    school_id=lambda row: relay.GlobalID("School", str(row.plan.school_id)),
    goals=lambda row: GoalCountsType.from_model(row.goals),
    favourable_signals="row.signals_favourable",
    unfavourable_signals="row.signals_unfavourable",
    other_signals="row.signals_other",
    overdue_action_steps="row.overdue_steps",
    latest_walkthrough=lambda row: WalkthroughSummaryType.from_model(row.walkthrough),
)
@strawberry.type(name="PortfolioPlan", description="One school plan in the district portfolio.")
class PortfolioPlanType:
    rank: int = strawberry.field(description="1 is the plan whose school needs help most.")
    plan: PlanType
    school_id: relay.GlobalID
    school_name: str
    progress: float | None = strawberry.field(description="Weighted progress, 0–100.")
    goals: GoalCountsType
    favourable_signals: int
    unfavourable_signals: int
    other_signals: int
    overdue_action_steps: int
    overdue_checkpoints: int
    due_checkpoints: int
    co_creation_activities: int
    voices_heard: list[str]
    voices_required: list[str]
    voices_missing: list[str]
    revisions_this_term: int = strawberry.field(description="Revisions accepted in the last 90 days.")
    latest_walkthrough: WalkthroughSummaryType | None
    attention: list[str] = strawberry.field(description="Why the plan is where it is in the order.")


@converter(
    service.PracticeSchool,
    ids={"school_id": "School"},
    walkthrough=lambda row: WalkthroughSummaryType.from_model(row.summary),
)
@strawberry.type(name="PracticeSchool", description="A school's latest closed walkthrough of a practice.")
class PracticeSchoolType:
    school_id: relay.GlobalID
    school_name: str
    walkthrough: WalkthroughSummaryType


@converter(
    service.PracticeRow,
    ids={"practice_id": "Practice"},
    schools=lambda row: [PracticeSchoolType.from_model(s) for s in row.schools],
)
@strawberry.type(name="PracticeAcrossSchools", description="A practice across the district's schools.")
class PracticeAcrossSchoolsType:
    practice: str
    practice_id: relay.GlobalID | None = strawberry.field(
        description="The practice of the district's catalogue; null for walkthroughs not tagged with one."
    )
    schools: list[PracticeSchoolType]
    shown_schools: int
    classrooms: int
    developing_or_above: float | None = strawberry.field(
        description="Pooled over the schools whose own figure is shown, only."
    )


@converter(
    service.Portfolio,
    plans=lambda row: [PortfolioPlanType.from_model(p) for p in row.plans],
    practices=lambda row: [PracticeAcrossSchoolsType.from_model(p) for p in row.practices],
)
@strawberry.type(
    name="DistrictPortfolio",
    description="Every school plan of the district, the schools that need help first: more goals off "
    "track, then at risk, more overdue work, more unfavourable signals, lower progress, more voices "
    "missing; then school name.",
)
class PortfolioType:
    as_of: date
    term_starts_on: date
    plans: list[PortfolioPlanType]
    practices: list[PracticeAcrossSchoolsType]


@strawberry.type
class PortfolioQuery:
    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="The district portfolio (district leaders and admins), of one cycle if given.",
        metadata=cost(10),
    )
    async def district_portfolio(self, info: Info[Context, None], cycle: str | None = None) -> PortfolioType:
        return PortfolioType.from_model(await read(info, service.district_portfolio, cycle=cycle))
