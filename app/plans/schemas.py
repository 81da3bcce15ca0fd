"""Request and response models for plans, their goal tree, pre-planning, revisions and reviews."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import Field, StringConstraints, field_validator, model_validator

from app.core.openapi import checked_one_by_one
from app.core.schemas import (
    DecimalNumber,
    EntityPublic,
    Prose,
    PublicModel,
    RequestModel,
    Title,
    UpdateModel,
    VersionedEntityPublic,
)
from app.engagement.schemas import InputPublic
from app.initiatives.schemas import IndicatorCreate, IndicatorPublic, IndicatorUpdate
from app.plans.models import (
    CauseKind,
    CollaboratorRole,
    EvidenceKind,
    PlanStatus,
    RevisionStatus,
    SignOffKind,
    StepStatus,
)

if TYPE_CHECKING:
    from app.plans.service import GoalView, RevisionView

Cycle = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\d{4}-\d{2}$"),
    Field(description="The school year, such as `2026-27`.", examples=["2026-27"]),
]
Weight = Annotated[
    DecimalNumber,
    Field(gt=0, max_digits=8, decimal_places=3, description="How much it counts in its parent's progress."),
]
Progress = Annotated[int, Field(ge=0, le=100, description="Percent done, 0-100.")]


# --- plans ------------------------------------------------------------------------------------------


class PlanCreate(RequestModel):
    cycle: Cycle
    title: Title
    summary: Prose | None = None
    school_id: uuid.UUID | None = Field(default=None, description="Leave out for a district plan.")
    initiative_id: uuid.UUID | None = None

    @field_validator("cycle")
    @classmethod
    def _cycle_years_follow(cls, cycle: str) -> str:
        _check_cycle(cycle)
        return cycle


class PlanUpdate(UpdateModel):
    """Change a plan. `status` moves it through draft → in_review → approved → active → closed (back to
    draft from review). `published` makes an approved plan readable by the whole district."""

    title: Title = None  # type: ignore[assignment]
    summary: Prose | None = None
    initiative_id: uuid.UUID | None = None
    status: PlanStatus = None  # type: ignore[assignment]
    published: bool = None  # type: ignore[assignment]


class PlanPublic(VersionedEntityPublic):
    district_id: uuid.UUID
    school_id: uuid.UUID | None
    initiative_id: uuid.UUID | None
    cycle: str
    title: str
    summary: str | None
    status: PlanStatus
    published: bool
    approved_at: datetime | None
    approved_by_label: str | None
    submitted_at: datetime | None = Field(
        description="When it last went to review: its co-creation record is judged as it stood then."
    )
    previous_plan_id: uuid.UUID | None = Field(
        default=None,
        description="The closed plan of the previous cycle this one continues (`GET /plans/{id}/lineage`).",
    )


def _check_cycle(cycle: str) -> None:
    start, end = cycle.split("-")
    if int(end) != (int(start) + 1) % 100:
        raise ValueError("The cycle's second year follows its first, as in 2026-27.")


class CollaboratorCreate(RequestModel):
    person_id: uuid.UUID
    role: CollaboratorRole


class CollaboratorUpdate(UpdateModel):
    role: CollaboratorRole = None  # type: ignore[assignment]


class CollaboratorPublic(VersionedEntityPublic):
    plan_id: uuid.UUID
    person_id: uuid.UUID
    role: CollaboratorRole


# --- the goal tree ----------------------------------------------------------------------------------


class GoalCreate(RequestModel):
    statement: Prose
    weight: Weight = Decimal(1)
    indicator: IndicatorCreate = Field(description="How the goal is measured: baseline, target, target date.")


class GoalUpdate(UpdateModel):
    statement: Prose = None  # type: ignore[assignment]
    weight: Weight = None  # type: ignore[assignment]
    indicator: IndicatorUpdate = None  # type: ignore[assignment]


class GoalPublic(VersionedEntityPublic):
    plan_id: uuid.UUID
    statement: str
    weight: DecimalNumber
    carried_from_id: uuid.UUID | None = Field(
        default=None, description="The goal of the previous cycle's plan this one carries forward."
    )
    indicator: IndicatorPublic

    @classmethod
    def from_view(cls, view: GoalView, **extra: Any) -> Self:
        """From the service's goal with the indicator that measures it (`extra`: a subclass's fields)."""
        fields = {name: getattr(view.goal, name) for name in GoalPublic.model_fields if name != "indicator"}
        return cls.model_validate(
            {**fields, "indicator": IndicatorPublic.model_validate(view.indicator), **extra}
        )


class StrategyCreate(RequestModel):
    title: Title
    description: Prose | None = None
    driver: Title | None = Field(default=None, description="The driver (of a driver diagram) it acts on.")
    weight: Weight = Decimal(1)


class StrategyUpdate(UpdateModel):
    title: Title = None  # type: ignore[assignment]
    description: Prose | None = None
    driver: Title | None = None
    weight: Weight = None  # type: ignore[assignment]


class StrategyPublic(VersionedEntityPublic):
    plan_id: uuid.UUID
    goal_id: uuid.UUID
    title: str
    description: str | None
    driver: str | None
    weight: DecimalNumber
    carried_from_id: uuid.UUID | None = Field(
        default=None, description="The strategy of the previous cycle's plan this one carries forward."
    )


class ActionStepCreate(RequestModel):
    title: Title
    description: Prose | None = None
    owner_person_id: uuid.UUID | None = None
    starts_on: date | None = None
    due_on: date | None = None
    status: StepStatus = StepStatus.NOT_STARTED
    blocked_reason: Prose | None = None
    progress: Progress | None = Field(default=None, description="Leave out to derive it from the status.")
    weight: Weight = Decimal(1)
    pilot_group: Prose | None = Field(default=None, description="The small group that tries it first.")
    scale_up_criteria: Prose | None = Field(default=None, description="What would make it go whole-staff.")
    scales_pilot_id: uuid.UUID | None = Field(
        default=None,
        description="For a rollout: the pilot (a step of the same plan) it scales up. It starts once that "
        "pilot is done and its scale-up criteria are recorded as met.",
    )


class ActionStepUpdate(UpdateModel):
    title: Title = None  # type: ignore[assignment]
    description: Prose | None = None
    owner_person_id: uuid.UUID | None = None
    starts_on: date | None = None
    due_on: date | None = None
    status: StepStatus = None  # type: ignore[assignment]
    blocked_reason: Prose | None = None
    progress: Progress | None = None
    weight: Weight = None  # type: ignore[assignment]
    pilot_group: Prose | None = None
    scale_up_criteria: Prose | None = None
    scales_pilot_id: uuid.UUID | None = None


# What may change in an approved plan without a revision: carrying out the plan is not changing it.
PROGRESS_FIELDS = frozenset({"status", "blocked_reason", "progress"})


class ActionStepPublic(VersionedEntityPublic):
    plan_id: uuid.UUID
    strategy_id: uuid.UUID
    title: str
    description: str | None
    owner_person_id: uuid.UUID | None
    starts_on: date | None
    due_on: date | None
    status: StepStatus
    blocked_reason: str | None
    progress: int | None = Field(description="As set; null when derived from the status.")
    effective_progress: int = Field(description="The progress that counts: as set, or from the status.")
    weight: DecimalNumber
    pilot_group: str | None
    scale_up_criteria: str | None
    is_pilot: bool
    scale_up_met_at: datetime | None = Field(
        description="When a pilot's scale-up criteria were recorded as met."
    )
    scale_up_met_by_label: str | None = Field(description="Who recorded them as met.")
    scale_up_evidence: str | None = Field(description="The evidence they were met on.")
    scales_pilot_id: uuid.UUID | None = Field(description="For a rollout: the pilot it scales up.")


class ScaleUpRecord(RequestModel):
    """A pilot's scale-up criteria, recorded as met, and the evidence they were met on."""

    evidence: Prose = Field(description="What showed the criteria were met (walkthrough data, results).")


# --- progress ---------------------------------------------------------------------------------------


class StepProgress(PublicModel):
    id: uuid.UUID
    title: str
    status: StepStatus
    weight: DecimalNumber
    progress: int


class StrategyProgress(PublicModel):
    id: uuid.UUID
    title: str
    weight: DecimalNumber
    progress: float | None = Field(description="Weighted mean of its steps; null with no steps.")
    action_steps: list[StepProgress]


class GoalProgress(PublicModel):
    id: uuid.UUID
    statement: str
    weight: DecimalNumber
    progress: float | None
    strategies: list[StrategyProgress]


class PlanProgress(PublicModel):
    """How far along the plan is: one number, with the tree behind it."""

    plan_id: uuid.UUID
    progress: float | None = Field(description="Weighted mean of the goals' progress; null when empty.")
    goals: list[GoalProgress]


# --- pre-planning -----------------------------------------------------------------------------------


class EvidenceCreate(RequestModel):
    kind: EvidenceKind
    title: Title
    description: Prose | None = None
    source_url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://")] | None = None
    collected_on: date | None = None
    exemplar_school_id: uuid.UUID | None = Field(
        default=None, description="For an exemplar: the school where the practice already works."
    )


class EvidencePublic(EntityPublic):
    plan_id: uuid.UUID
    kind: EvidenceKind
    title: str
    description: str | None
    source_url: str | None
    collected_on: date | None
    exemplar_school_id: uuid.UUID | None


class PrePlanning(PublicModel):
    """What pre-planning surfaced: the evidence collected, and the barriers and leverage points raised in
    the co-creation activities linked to the plan (the Inputs themselves, not copies)."""

    plan_id: uuid.UUID
    evidence: list[EvidencePublic]
    barriers: list[InputPublic]
    leverage_points: list[InputPublic]


class PolicyCheck(PublicModel):
    """Whether the plan's co-creation record meets the district's policy for going to review."""

    plan_id: uuid.UUID
    met: bool
    co_creation_activities: int
    required_activities: int
    voices_heard: list[str]
    voices_required: list[str]
    missing: list[str] = Field(description="What is missing, in words; empty when the policy is met.")
    judged_at: datetime | None = Field(
        description="The moment the record is judged as of: when the plan went to review (null for a "
        "draft, judged as of now). Co-creation counts only if held, recorded and attended by then."
    )
    unanswered_barriers: list[uuid.UUID] = Field(
        description="Barriers raised in the plan's co-creation that are neither answered (a disposition "
        "other than open or under consideration) nor carried as accepted risks: approval waits for them."
    )
    ready_for_approval: bool = Field(
        description="The policy is met and no barrier is left unanswered (approval also needs an approver)."
    )


class SignOffCreate(RequestModel):
    note: Prose | None = Field(default=None, description="What the reviewer wants on the record.")


class SignOffPublic(EntityPublic):
    plan_id: uuid.UUID
    kind: SignOffKind = Field(description="`review`: a reviewer's; `approval`: the approver's.")
    person_id: uuid.UUID | None
    signed_by_kind: str
    signed_by_id: uuid.UUID | None
    signed_by_label: str | None
    note: str | None


class AcceptedRiskCreate(RequestModel):
    input_id: uuid.UUID = Field(description="A barrier raised in one of the plan's co-creation activities.")
    reason: Prose = Field(description="Why the plan goes ahead with this barrier unanswered.")


class AcceptedRiskPublic(EntityPublic):
    plan_id: uuid.UUID
    input_id: uuid.UUID
    reason: str
    accepted_by_kind: str
    accepted_by_id: uuid.UUID | None
    accepted_by_label: str | None


# --- revisions --------------------------------------------------------------------------------------

Entity = Literal["plan", "goal", "strategy", "action_step"]


class Change(RequestModel):
    """One change a revision makes: `add` a goal (to the plan), a strategy (`parent_id`: its goal) or an
    action step (`parent_id`: its strategy); `update` or `remove` one by `id`; `update` the plan."""

    op: Literal["add", "update", "remove"]
    entity: Entity
    id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = None
    fields: checked_one_by_one(  # type: ignore[valid-type]
        GoalCreate, StrategyCreate, ActionStepCreate, PlanUpdate, GoalUpdate, StrategyUpdate, ActionStepUpdate
    ) = Field(
        default_factory=dict,
        description="For `add`, the new goal, strategy or action step; for `update`, the fields to "
        "change; for `remove`, nothing. Checked against the entity's own schema.",
    )

    @model_validator(mode="after")
    def _shape(self) -> Change:
        if self.entity == "plan" and self.op != "update":
            raise ValueError("The plan itself can only be updated.")
        if self.op in ("update", "remove") and self.entity != "plan" and self.id is None:
            raise ValueError(f"`{self.op}` needs the `id` of the {self.entity}.")
        if self.op == "add" and self.entity in ("strategy", "action_step") and self.parent_id is None:
            raise ValueError(f"Adding a {self.entity} needs its `parent_id`.")
        if self.op == "remove" and self.fields:
            raise ValueError("`remove` takes no fields.")
        return self


# Causes one revision may cite.
MAX_CAUSES = 50


class CauseRef(RequestModel):
    kind: CauseKind
    id: uuid.UUID


class RevisionCreate(RequestModel):
    reason: Prose = Field(description="Why the plan changes: what was learned.")
    changes: list[Change] = Field(min_length=1, max_length=200)
    caused_by: list[CauseRef] = Field(
        default_factory=list,
        max_length=MAX_CAUSES,
        description="Inputs, review checkpoints, measurements, PDSA cycles of the plan, or walkthroughs (of the "
        "plan, or at its school).",
    )


class RevisionDecision(RequestModel):
    note: Prose | None = None


class CausePublic(PublicModel):
    kind: CauseKind
    id: uuid.UUID = Field(validation_alias="target_id")


class RevisionPublic(EntityPublic):
    plan_id: uuid.UUID
    number: int | None = Field(description="Given on acceptance, in order; 0 is the plan as approved.")
    status: RevisionStatus
    reason: str
    changes: list[dict[str, Any]]
    caused_by: list[CausePublic]
    proposed_by_label: str | None
    decided_by_label: str | None
    decided_at: datetime | None
    decision_note: str | None

    @classmethod
    def from_view(cls, view: RevisionView) -> Self:
        """From the service's revision with the causes it names."""
        fields = {name: getattr(view.revision, name) for name in cls.model_fields if name != "caused_by"}
        causes = [CausePublic.model_validate(c) for c in view.causes]
        return cls.model_validate({**fields, "caused_by": causes})


class DiffEntry(PublicModel):
    entity: Entity
    id: uuid.UUID
    change: Literal["added", "removed", "changed"]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class RevisionDiff(PublicModel):
    plan_id: uuid.UUID
    from_number: int
    to_number: int
    entries: list[DiffEntry]


# --- review checkpoints -----------------------------------------------------------------------------


class CheckpointCreate(RequestModel):
    scheduled_on: date


class CheckpointSchedule(RequestModel):
    """A series of reviews: every `every_weeks` weeks from `first_on` up to `until`."""

    first_on: date
    every_weeks: int = Field(default=6, ge=1, le=26)
    until: date

    @model_validator(mode="after")
    def _in_order(self) -> CheckpointSchedule:
        if self.until < self.first_on:
            raise ValueError("`until` is before `first_on`.")
        if (self.until - self.first_on).days > 3 * 366:
            raise ValueError("Schedule at most three years ahead.")
        return self


class CheckpointUpdate(UpdateModel):
    scheduled_on: date = None  # type: ignore[assignment]
    held_on: date | None = None
    attendee_person_ids: list[uuid.UUID] = Field(default=None, max_length=200)  # type: ignore[assignment]
    summary: Prose | None = None
    decisions: Prose | None = None
    revision_id: uuid.UUID | None = Field(default=None, description="The revision this review produced.")


class CheckpointPublic(VersionedEntityPublic):
    plan_id: uuid.UUID
    scheduled_on: date
    held_on: date | None
    attendee_person_ids: list[uuid.UUID]
    summary: str | None
    decisions: str | None
    revision_id: uuid.UUID | None
    overdue: bool = Field(description="Its date has passed and it has not been held.")


# --- export -----------------------------------------------------------------------------------------


class StrategyTree(StrategyPublic):
    action_steps: list[ActionStepPublic]


class GoalTree(GoalPublic):
    strategies: list[StrategyTree]


class PlanExport(PlanPublic):
    """The whole plan in one document: who writes it, the goal tree with its measures, the evidence
    behind it, its reviews and its accepted revisions (0 is the plan as approved)."""

    progress: float | None = Field(description="How far along the plan is (see `getPlanProgress`).")
    collaborators: list[CollaboratorPublic]
    goals: list[GoalTree]
    evidence: list[EvidencePublic]
    checkpoints: list[CheckpointPublic]
    revisions: list[RevisionPublic]
