"""REST for next year's plan and a plan's lineage. Parse, call the service, shape the reply."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Body, Path, Response, status

from app.continuity import service
from app.continuity.schemas import (
    ArchivedPublic,
    CarriedPublic,
    LineagePlan,
    LineagePublic,
    NextPlanCreate,
    NextPlanPublic,
)
from app.core.problems import problem_responses
from app.core.rest import AreaRouter, Caller, Session, set_etag
from app.plans.schemas import PlanPublic

router = AreaRouter(tags=["plans"])

PlanId = Annotated[uuid.UUID, Path(description="The plan's id.")]


@router.post(
    "/plans/{plan_id}/next-plan",
    status_code=status.HTTP_201_CREATED,
    response_model=NextPlanPublic,
    responses=problem_responses(404, 409),
)
async def start_next_plan(
    plan_id: PlanId,
    response: Response,
    session: Session,
    principal: Caller,
    body: Annotated[NextPlanCreate | None, Body()] = None,
) -> NextPlanPublic:
    """Start the next cycle's plan from a closed plan, as a draft at the same school, for the same
    initiative, with the same collaborators. Goals not met (their indicator's latest value short of the
    target) carry forward, measured by the same indicator so its run chart spans the years, with their
    strategies not complete; goals met and complete strategies are archived in the closed plan. The new
    plan's `previous_plan_id` names the closed one. 409 when the plan is not closed
    (`plan_not_closed`) or already started its next plan (`next_plan_exists`). Whoever may start plans
    where it belongs."""
    started = await service.start_next_plan(
        session, principal, plan_id, title=body.title if body is not None else None
    )
    set_etag(response, started.plan.version)
    return NextPlanPublic(
        plan=PlanPublic.model_validate(started.plan),
        previous_plan_id=started.previous.id,
        carried=[CarriedPublic.model_validate(c) for c in started.carried],
        archived=[ArchivedPublic.model_validate(a) for a in started.archived],
    )


@router.get(
    "/plans/{plan_id}/lineage",
    response_model=LineagePublic,
    responses=problem_responses(404),
)
async def get_plan_lineage(plan_id: PlanId, session: Session, principal: Caller) -> LineagePublic:
    """The chain of cycles the plan belongs to, oldest first: the plans it continues and those that
    continue it (the plan itself included). Plans of the chain you may not read are left out."""
    found = await service.lineage(session, principal, plan_id)
    return LineagePublic(
        plan_id=found.plan_id,
        plans=[
            LineagePlan(
                id=p.id,
                cycle=p.cycle,
                title=p.title,
                status=p.status.value,
                previous_plan_id=p.previous_plan_id,
            )
            for p in found.plans
        ],
    )
