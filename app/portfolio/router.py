"""REST for the district portfolio. Parse, call the service, shape the reply."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.core.rest import AreaRouter, Caller, Session
from app.portfolio import service
from app.portfolio.schemas import (
    CoCreationCoverage,
    GoalStatusCounts,
    PortfolioPlan,
    PortfolioPublic,
    PracticeAcrossSchools,
    PracticeSchoolPublic,
    SignalCounts,
)

router = AreaRouter(tags=["portfolio"])


def plan_public(row: service.PlanRow) -> PortfolioPlan:
    return PortfolioPlan(
        rank=row.rank,
        plan_id=row.plan.id,
        school_id=row.plan.school_id,  # type: ignore[arg-type]
        school_name=row.school_name,
        title=row.plan.title,
        cycle=row.plan.cycle,
        status=row.plan.status,
        progress=row.progress,
        goals=GoalStatusCounts(
            on_track=row.goals.on_track,
            at_risk=row.goals.at_risk,
            off_track=row.goals.off_track,
            no_data=row.goals.no_data,
        ),
        signals=SignalCounts(
            favourable=row.signals_favourable, unfavourable=row.signals_unfavourable, other=row.signals_other
        ),
        overdue_action_steps=row.overdue_steps,
        overdue_checkpoints=row.overdue_checkpoints,
        due_checkpoints=row.due_checkpoints,
        co_creation=CoCreationCoverage(
            activities=row.co_creation_activities,
            voices_heard=row.voices_heard,
            voices_required=row.voices_required,
            voices_missing=row.voices_missing,
        ),
        revisions_this_term=row.revisions_this_term,
        latest_walkthrough=row.walkthrough,
        attention=row.attention,
    )


def portfolio_public(portfolio: service.Portfolio) -> PortfolioPublic:
    return PortfolioPublic(
        as_of=portfolio.as_of,
        term_starts_on=portfolio.term_starts_on,
        plans=[plan_public(r) for r in portfolio.plans],
        practices=[
            PracticeAcrossSchools(
                practice=p.practice,
                practice_id=p.practice_id,
                schools=[
                    PracticeSchoolPublic(
                        school_id=s.school_id, school_name=s.school_name, walkthrough=s.summary
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


@router.get("/portfolio", operation_id="getDistrictPortfolio", response_model=PortfolioPublic)
async def get_portfolio(
    session: Session,
    principal: Caller,
    cycle: Annotated[
        str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$", description="Only plans of this cycle (2026-27).")
    ] = None,
) -> PortfolioPublic:
    """Every school plan of your district that is not closed, the schools that need help first: status,
    weighted progress, goals on track / at risk / off track, run-chart signals, overdue steps and
    reviews, co-creation coverage (voices heard against those required), revisions this term, the
    latest walkthrough; and walkthrough implementation by practice across schools (pooled over the
    schools whose own figure is shown). Ordered by: goals off track, then at risk, overdue work,
    unfavourable signals, lower progress, voices missing, school name. District leaders and admins."""
    return portfolio_public(await service.district_portfolio(session, principal, cycle=cycle))
