"""GraphQL for the district portfolio. No rules here: `app.portfolio.service`, which REST calls too."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.graphql.context import Context
from app.graphql.cost import cost
from app.graphql.kit import read
from app.graphql.permissions import AUTHENTICATED
from app.plans.graphql import PlanType
from app.portfolio import service
from app.practice.graphql import WalkthroughSummaryType


@strawberry.type(name="PortfolioGoalCounts", description="A plan's goals by where their indicators stand.")
class GoalCountsType:
    on_track: int
    at_risk: int
    off_track: int
    no_data: int


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

    @classmethod
    def from_row(cls, row: service.PlanRow) -> PortfolioPlanType:
        return cls(
            rank=row.rank,
            plan=PlanType.from_model(row.plan),
            school_id=relay.GlobalID("School", str(row.plan.school_id)),
            school_name=row.school_name,
            progress=row.progress,
            goals=GoalCountsType(
                on_track=row.goals.on_track,
                at_risk=row.goals.at_risk,
                off_track=row.goals.off_track,
                no_data=row.goals.no_data,
            ),
            favourable_signals=row.signals_favourable,
            unfavourable_signals=row.signals_unfavourable,
            other_signals=row.signals_other,
            overdue_action_steps=row.overdue_steps,
            overdue_checkpoints=row.overdue_checkpoints,
            due_checkpoints=row.due_checkpoints,
            co_creation_activities=row.co_creation_activities,
            voices_heard=row.voices_heard,
            voices_required=row.voices_required,
            voices_missing=row.voices_missing,
            revisions_this_term=row.revisions_this_term,
            latest_walkthrough=WalkthroughSummaryType.from_model(row.walkthrough)
            if row.walkthrough
            else None,
            attention=row.attention,
        )


@strawberry.type(name="PracticeSchool", description="A school's latest closed walkthrough of a practice.")
class PracticeSchoolType:
    school_id: relay.GlobalID
    school_name: str
    walkthrough: WalkthroughSummaryType


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
        portfolio = await read(info, service.district_portfolio, cycle=cycle)
        return PortfolioType(
            as_of=portfolio.as_of,
            term_starts_on=portfolio.term_starts_on,
            plans=[PortfolioPlanType.from_row(r) for r in portfolio.plans],
            practices=[
                PracticeAcrossSchoolsType(
                    practice=p.practice,
                    practice_id=relay.GlobalID("Practice", str(p.practice_id)) if p.practice_id else None,
                    schools=[
                        PracticeSchoolType(
                            school_id=relay.GlobalID("School", str(s.school_id)),
                            school_name=s.school_name,
                            walkthrough=WalkthroughSummaryType.from_model(s.summary),
                        )
                        for s in p.schools
                    ],
                    shown_schools=p.shown_schools,
                    classrooms=p.classrooms,
                    developing_or_above=p.developing_or_above,
                )
                for p in portfolio.practices
            ],
        )
