"""GraphQL for next year's plan and a plan's lineage. No rules here: `app.continuity.service`, which
REST calls too."""

from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from app.auth.principal import Principal
from app.continuity import service
from app.continuity.schemas import NextPlanCreate
from app.graphql.cost import cost
from app.graphql.errors import UserError
from app.graphql.kit import Answer, converter, create, lookup, mutation
from app.plans.graphql import PlanType

# Relay and Apollo key their stores by `id`: an `id` that is a Goal's or a Strategy's, on a record that
# is not that Goal or Strategy, would overwrite it there.
_NAMES_ANOTHER = (
    "Names the goal or strategy, not this record; clients key their stores by `id`. Use `itemId`."
)


def _item_id(kind: str, row_id: uuid.UUID) -> relay.GlobalID:
    return relay.GlobalID("Goal" if kind == "goal" else "Strategy", str(row_id))


@converter(
    item_id=lambda row: _item_id(row.kind, row.id),
    carried_from_id=lambda row: _item_id(row.kind, row.carried_from_id),
)
@strawberry.type(name="CarriedForward", description="A goal or strategy not met, carried into the new plan.")
class CarriedType:
    kind: str = strawberry.field(description="`goal` or `strategy`.")
    item_id: relay.GlobalID = strawberry.field(description="The new goal or strategy, in the new plan.")
    carried_from_id: relay.GlobalID = strawberry.field(description="The one it carries, in the closed plan.")
    title: str

    @strawberry.field(deprecation_reason=_NAMES_ANOTHER)
    def id(self) -> relay.GlobalID:
        return self.item_id


@converter(item_id=lambda row: _item_id(row.kind, row.id))
@strawberry.type(name="Archived", description="A goal or strategy met, left in the closed plan.")
class ArchivedType:
    kind: str = strawberry.field(description="`goal` or `strategy`.")
    item_id: relay.GlobalID = strawberry.field(description="The goal or strategy, in the closed plan.")
    title: str

    @strawberry.field(deprecation_reason=_NAMES_ANOTHER)
    def id(self) -> relay.GlobalID:
        return self.item_id


@strawberry.type
class NextPlanPayload:
    plan: PlanType | None = None
    previous_plan_id: relay.GlobalID | None = None
    carried: list[CarriedType] = strawberry.field(default_factory=list)
    archived: list[ArchivedType] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Start the next cycle's plan from a closed plan.")
class StartNextPlanInput:
    plan_id: relay.GlobalID = strawberry.field(description="The closed plan.")
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="By default the closed plan's title, with the next cycle."
    )


async def _start_next_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, data: NextPlanCreate
) -> service.NextPlan:
    return await service.start_next_plan(session, principal, plan_id, title=data.title)


_STARTED = Answer(
    NextPlanPayload,
    convert=lambda started: {
        "plan": PlanType.from_model(started.plan),
        "previous_plan_id": relay.GlobalID("Plan", str(started.previous.id)),
        "carried": [CarriedType.from_model(c) for c in started.carried],
        "archived": [ArchivedType.from_model(a) for a in started.archived],
    },
)


@strawberry.type
class ContinuityQuery:
    plan_lineage = lookup(
        "The chain of cycles a plan belongs to, oldest first (the plans it continues and those that "
        "continue it); plans you may not read are left out. Null if the plan is not there for you.",
        list[PlanType],
        service.lineage,
        lambda found: [PlanType.from_model(p) for p in found.plans],
        node="Plan",
        id_name="plan_id",
        metadata=cost(1),
    )


@strawberry.type
class ContinuityMutation:
    start_next_plan = mutation(
        "Start the next cycle's plan from a closed plan: goals not met carry forward (same indicator, so "
        "the run chart spans the years) with their strategies not complete; goals met and complete "
        "strategies are archived. Refused (`conflict`) when the plan is not closed or already started its "
        "next plan.",
        create(StartNextPlanInput, _STARTED, _start_next_plan, NextPlanCreate).under("plan_id", "Plan"),
    )
