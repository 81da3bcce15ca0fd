"""Request and response models of next year's plan and a plan's lineage."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from app.core.schemas import PublicModel, RequestModel, Title
from app.plans.schemas import PlanPublic


class NextPlanCreate(RequestModel):
    title: Title | None = Field(
        default=None, description="The new plan's title; by default the closed plan's, with the next cycle."
    )


class CarriedPublic(PublicModel):
    kind: Literal["goal", "strategy"]
    id: uuid.UUID = Field(description="The new goal or strategy, in the new plan.")
    carried_from_id: uuid.UUID = Field(description="The one it carries, in the closed plan.")
    title: str


class ArchivedPublic(PublicModel):
    kind: Literal["goal", "strategy"]
    id: uuid.UUID = Field(description="The goal or strategy met, which stays in the closed plan.")
    title: str


class NextPlanPublic(PublicModel):
    plan: PlanPublic = Field(description="The next cycle's plan, a draft.")
    previous_plan_id: uuid.UUID
    carried: list[CarriedPublic] = Field(description="Goals and strategies not met, carried forward.")
    archived: list[ArchivedPublic] = Field(description="Goals and strategies met, left in the closed plan.")


class LineagePlan(PublicModel):
    id: uuid.UUID
    cycle: str
    title: str
    status: str
    previous_plan_id: uuid.UUID | None


class LineagePublic(PublicModel):
    """The plans of a chain of cycles, oldest first; those you may not read are left out."""

    plan_id: uuid.UUID
    plans: list[LineagePlan]
