"""GraphQL for next year's plan and a plan's lineage. No rules here: `app.continuity.service`, which
REST calls too."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from app.continuity import service
from app.continuity.schemas import NextPlanCreate
from app.core.errors import NotFound
from app.graphql.context import Context
from app.graphql.cost import cost
from app.graphql.errors import UserError, run_mutation, validate_input
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import node_uuid, parse_global_id, present_fields
from app.plans.graphql import PlanType

# Relay and Apollo key their stores by `id`: an `id` that is a Goal's or a Strategy's, on a record that
# is not that Goal or Strategy, would overwrite it there.
_NAMES_ANOTHER = (
    "Names the goal or strategy, not this record; clients key their stores by `id`. Use `itemId`."
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


def _kind_name(kind: str) -> str:
    return "Goal" if kind == "goal" else "Strategy"


def _failed(errors: list[UserError]) -> NextPlanPayload:
    return NextPlanPayload(user_errors=errors)


@strawberry.type
class ContinuityQuery:
    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="The chain of cycles a plan belongs to, oldest first (the plans it continues and those "
        "that continue it); plans you may not read are left out. Null if the plan is not there for you.",
        metadata=cost(1),
    )
    async def plan_lineage(self, info: Info[Context, None], plan_id: relay.GlobalID) -> list[PlanType] | None:
        target = node_uuid(plan_id, "Plan")
        if target is None:
            return None
        async with info.context.session() as session:
            try:
                found = await service.lineage(session, info.context.principal, target)
            except NotFound:
                return None
        return [PlanType.from_model(p) for p in found.plans]


@strawberry.type
class ContinuityMutation:
    @strawberry.mutation(
        permission_classes=AUTHENTICATED,
        description="Start the next cycle's plan from a closed plan: goals not met carry forward (same "
        "indicator, so the run chart spans the years) with their strategies not complete; goals met and "
        "complete strategies are archived. Refused (`conflict`) when the plan is not closed or already "
        "started its next plan.",
    )
    async def start_next_plan(self, info: Info[Context, None], input: StartNextPlanInput) -> NextPlanPayload:
        async def work(session: AsyncSession) -> NextPlanPayload:
            plan_id = parse_global_id(input.plan_id, "Plan", field="planId")
            data = validate_input(NextPlanCreate, present_fields(input, exclude=frozenset({"plan_id"})))
            started = await service.start_next_plan(
                session, info.context.principal, plan_id, title=data.title
            )
            return NextPlanPayload(
                plan=PlanType.from_model(started.plan),
                previous_plan_id=relay.GlobalID("Plan", str(started.previous.id)),
                carried=[
                    CarriedType(
                        kind=c.kind,
                        item_id=relay.GlobalID(_kind_name(c.kind), str(c.id)),
                        carried_from_id=relay.GlobalID(_kind_name(c.kind), str(c.carried_from_id)),
                        title=c.title,
                    )
                    for c in started.carried
                ],
                archived=[
                    ArchivedType(
                        kind=a.kind, item_id=relay.GlobalID(_kind_name(a.kind), str(a.id)), title=a.title
                    )
                    for a in started.archived
                ],
            )

        return await run_mutation(info.context, work, _failed)
