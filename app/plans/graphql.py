"""GraphQL for improvement plans: the plan, its collaborators, its goal tree (goals measured by an
indicator, strategies, action steps), pre-planning evidence, revisions and review checkpoints.

Types, queries, mutations and loaders. No rules here: who may read or write a plan, the co-creation
policy for review, approval, and "after approval, by revision only" all live in `app.plans.service`,
which REST calls too.

The JSON fields of revisions (`changes`, a proposal's `fields`, a diff's `before`/`after`) are the
revision record itself, shared with REST: their keys are the REST field names (`owner_person_id`,
`indicator: {baseline_value}`) and ids in them are database UUIDs.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from app.auth.principal import Principal
from app.core.errors import NotFound
from app.core.pagination import MAX_LIMIT
from app.engagement.graphql import InputType
from app.graphql.context import Context
from app.graphql.cost import cost
from app.graphql.errors import UserError, validate_input
from app.graphql.kit import (
    ALL,
    answer,
    answered,
    arg,
    change,
    changes_of,
    children,
    choices,
    computed,
    converter,
    create,
    few_children,
    follow,
    id_arg,
    id_input,
    listing,
    mutation,
    node,
    node_resolver,
    node_resolver_via_service,
    one,
    removal,
    version_field,
)
from app.graphql.loaders import by_id, narrowed_page_loader, page_per_parent, parts_by_id
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import (
    Connection,
    actor_global_id,
    node_uuid,
    page_request,
    parse_global_id,
)
from app.identity.graphql import PersonType, person_field, person_of
from app.initiatives.graphql import (
    DirectionEnum,
    IndicatorKindEnum,
    IndicatorType,
    InitiativeType,
    initiative_by_id,
)
from app.initiatives.models import Indicator
from app.plans import service
from app.plans.models import (
    AcceptedRisk,
    ActionStep,
    CauseKind,
    CollaboratorRole,
    Evidence,
    EvidenceKind,
    Goal,
    Plan,
    PlanCollaborator,
    PlanRevision,
    PlanRevisionCause,
    PlanSignOff,
    PlanStatus,
    ReviewCheckpoint,
    RevisionStatus,
    SignOffKind,
    StepStatus,
    Strategy,
)
from app.plans.schemas import (
    AcceptedRiskCreate,
    ActionStepCreate,
    ActionStepUpdate,
    CheckpointCreate,
    CheckpointSchedule,
    CheckpointUpdate,
    CollaboratorCreate,
    CollaboratorUpdate,
    EvidenceCreate,
    GoalCreate,
    GoalProgress,
    GoalUpdate,
    PlanCreate,
    PlanProgress,
    PlanUpdate,
    PolicyCheck,
    RevisionCreate,
    RevisionDecision,
    RevisionDiff,
    ScaleUpRecord,
    SignOffCreate,
    StepProgress,
    StrategyCreate,
    StrategyProgress,
    StrategyUpdate,
)
from app.tenancy.graphql import SchoolType, VoiceEnum, school_by_id
from app.tenancy.models import Voice

PlanStatusEnum = strawberry.enum(
    PlanStatus,
    name="PlanStatus",
    description="DRAFT → IN_REVIEW → APPROVED → ACTIVE → CLOSED; review can send a plan back to DRAFT; "
    "an approved plan may also close. From APPROVED on, content changes by revision only.",
)
CollaboratorRoleEnum = strawberry.enum(
    CollaboratorRole,
    name="CollaboratorRole",
    description="LEAD and CO_AUTHOR write the plan; a REVIEWER reads it and follows its revisions.",
)
StepStatusEnum = strawberry.enum(
    StepStatus, name="StepStatus", description="BLOCKED needs the reason it is blocked."
)
EvidenceKindEnum = strawberry.enum(
    EvidenceKind,
    name="EvidenceKind",
    description="EXEMPLAR: from an island of excellence, a classroom or school where it already works.",
)
RevisionStatusEnum = strawberry.enum(RevisionStatus, name="RevisionStatus")
CauseKindEnum = strawberry.enum(CauseKind, name="CauseKind", description="What led to a revision.")


RevisionOpEnum = choices("RevisionOp", "What a revision's change does.", "add", "update", "remove")
RevisionEntityEnum = choices(
    "RevisionEntity",
    "What a revision's change (or a diff entry) is about.",
    "plan",
    "goal",
    "strategy",
    "action_step",
)
DiffChangeEnum = choices(
    "DiffChange", "How a part of the plan differs between two revisions.", "added", "removed", "changed"
)
DocumentFormatEnum = choices("DocumentFormat", "How a plan is rendered as a document.", "markdown", "html")


# The GraphQL type of the rows a revision's change names, and of what a cause points at.
_ENTITY_TYPES = {"plan": "Plan", "goal": "Goal", "strategy": "Strategy", "action_step": "ActionStep"}
_PARENT_TYPES = {"strategy": "Goal", "action_step": "Strategy"}
_CAUSE_TYPES = {
    CauseKind.INPUT: "Input",
    CauseKind.CHECKPOINT: "ReviewCheckpoint",
    CauseKind.MEASUREMENT: "Measurement",
    CauseKind.PDSA_CYCLE: "PdsaCycle",
    CauseKind.WALKTHROUGH: "Walkthrough",
}


plan_by_id = by_id(service.plans_by_id)
strategy_by_id = by_id(service.strategies_by_id)
collaborator_by_id = by_id(service.collaborators_by_id)
evidence_by_id = by_id(service.evidence_by_id)
sign_off_by_id = parts_by_id(PlanSignOff, "plan_id", service.plans_by_id)
accepted_risk_by_id = parts_by_id(AcceptedRisk, "plan_id", service.plans_by_id)
collaborators_by_plan = page_per_parent(service.collaborators_of_plans)
goals_by_plan = page_per_parent(service.goals_of_plans)
goal_indicator_by_id = by_id(service.indicators_by_id)
strategies_by_goal = page_per_parent(service.strategies_of_goals)
steps_by_strategy = page_per_parent(service.steps_of_strategies)
evidence_by_plan = page_per_parent(service.evidence_of_plans)
accepted_risks_by_plan = page_per_parent(service.accepted_risks_of_plans)
sign_offs_by_plan = page_per_parent(service.sign_offs_of_plans)
causes_by_revision = by_id(service.causes_of_revisions)
checkpoints_by_plan = page_per_parent(service.checkpoints_of_plans)


async def _get_strategy(session: AsyncSession, principal: Principal, strategy_id: uuid.UUID) -> Strategy:
    strategy, _ = await service._plan_child(session, principal, Strategy, strategy_id, "strategy", lock=False)
    return strategy


async def _get_checkpoint(
    session: AsyncSession, principal: Principal, checkpoint_id: uuid.UUID
) -> ReviewCheckpoint:
    checkpoint, _ = await service._plan_child(
        session, principal, ReviewCheckpoint, checkpoint_id, "review checkpoint", lock=False
    )
    return checkpoint


# --- types -------------------------------------------------------------------------------------------


@node(
    "PlanCollaborator",
    "Someone who writes (lead, co-author) or reviews a plan.",
    PlanCollaborator,
    ids={"plan_id": "Plan", "person_id": "Person"},
    person_uuid="row.person_id",
)
class CollaboratorType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this collaborator.")
    plan_id: relay.GlobalID
    person_id: relay.GlobalID
    role: CollaboratorRoleEnum  # type: ignore[valid-type]
    version: int
    created_at: datetime
    updated_at: datetime
    person_uuid: strawberry.Private[uuid.UUID]

    person = person_field(
        "The person; null for callers who do not read the district's people.", "person_uuid"
    )

    resolve_nodes = node_resolver("collaborator_by_id", collaborator_by_id, via="load_nodes")


def _effective_progress(self: Any) -> int:
    return self.step.effective_progress


def _is_pilot(self: Any) -> bool:
    return self.step.is_pilot


@node(
    "ActionStep",
    "Who does what by when under a strategy. A pilot tries it with a small group first.",
    ActionStep,
    ids={
        "plan_id": "Plan",
        "strategy_id": "Strategy",
        "owner_person_id": "Person",
        "scales_pilot_id": "ActionStep",
    },
    owner_uuid="row.owner_person_id",
    step="row",
)
class ActionStepType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this action step.")
    plan_id: relay.GlobalID
    strategy_id: relay.GlobalID
    title: str
    description: str | None
    owner_person_id: relay.GlobalID | None
    starts_on: date | None
    due_on: date | None
    status: StepStatusEnum  # type: ignore[valid-type]
    blocked_reason: str | None
    progress: int | None = strawberry.field(
        description="Percent done as set; null when derived from the status."
    )
    # Derived from the step when a client selects them, not for every step loaded.
    effective_progress: int = strawberry.field(
        resolver=_effective_progress,
        description="The progress that counts: 100 when done, else as set, else what the status says.",
    )
    weight: Decimal = strawberry.field(description="How much it counts in its strategy's progress.")
    pilot_group: str | None = strawberry.field(description="The small group that tries it first.")
    scale_up_criteria: str | None = strawberry.field(description="What would make it go whole-staff.")
    is_pilot: bool = strawberry.field(resolver=_is_pilot)
    scale_up_met_at: datetime | None = strawberry.field(
        description="When a pilot's scale-up criteria were recorded as met."
    )
    scale_up_met_by_label: str | None = strawberry.field(description="Who recorded them as met.")
    scale_up_evidence: str | None = strawberry.field(description="The evidence they were met on.")
    scales_pilot_id: relay.GlobalID | None = strawberry.field(
        description="For a rollout: the pilot it scales up; it starts once that pilot is done and its "
        "scale-up criteria are recorded as met."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    owner_uuid: strawberry.Private[uuid.UUID | None]
    step: strawberry.Private[Any]

    owner = person_field("Who owns it; null if nobody, or for callers who do not read people.", "owner_uuid")

    resolve_nodes = node_resolver_via_service(service.get_action_step)


@node(
    "Strategy",
    "A change idea under a goal, optionally naming the driver it acts on.",
    Strategy,
    ids={"plan_id": "Plan", "goal_id": "Goal", "carried_from_id": "Strategy"},
)
class StrategyType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this strategy.")
    plan_id: relay.GlobalID
    goal_id: relay.GlobalID
    title: str
    description: str | None
    driver: str | None = strawberry.field(description="The driver (of a driver diagram) it acts on.")
    weight: Decimal = strawberry.field(description="How much it counts in its goal's progress.")
    carried_from_id: relay.GlobalID | None = strawberry.field(
        description="The strategy of the previous cycle's plan this one carries forward."
    )
    version: int
    created_at: datetime
    updated_at: datetime

    action_steps = children(
        ActionStepType,
        "plan_steps_by_strategy",
        steps_by_strategy,
        updated_since=False,
        description="Its action steps, oldest first.",
    )

    resolve_nodes = node_resolver_via_service(_get_strategy)


@node(
    "Goal",
    "A measurable goal of a plan: its indicator holds the baseline and the target.",
    Goal,
    ids={"plan_id": "Plan", "carried_from_id": "Goal"},
    plan_uuid="row.plan_id",
    indicator_uuid="row.indicator_id",
)
class GoalType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this goal.")
    plan_id: relay.GlobalID
    statement: str
    weight: Decimal = strawberry.field(description="How much it counts in the plan's progress.")
    carried_from_id: relay.GlobalID | None = strawberry.field(
        description="The goal of the previous cycle's plan this one carries forward (same indicator)."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    plan_uuid: strawberry.Private[uuid.UUID]
    indicator_uuid: strawberry.Private[uuid.UUID]
    indicator_row: strawberry.Private[Indicator | None] = None

    @classmethod
    def from_row(cls, goal: Goal, indicator: Indicator | None = None) -> GoalType:
        node: GoalType = cls.from_model(goal)  # type: ignore[attr-defined]
        node.indicator_row = indicator
        return node

    @classmethod
    def from_view(cls, view: service.GoalView | None) -> GoalType | None:
        return cls.from_row(view.goal, view.indicator) if view is not None else None

    plan = follow("The plan the goal belongs to.", "PlanType", "plan_by_id", plan_by_id, "plan_uuid")

    @strawberry.field(description="How the goal is measured: unit, direction, baseline and target.")
    async def indicator(self, info: Info[Context, None]) -> IndicatorType | None:
        row = self.indicator_row
        if row is None:
            loader = info.context.loader("plan_goal_indicator_by_id", goal_indicator_by_id)
            row = await loader.load(self.indicator_uuid)
        return IndicatorType.from_model(row) if row is not None else None

    strategies = children(
        StrategyType,
        "plan_strategies_by_goal",
        strategies_by_goal,
        updated_since=False,
        description="Its strategies, oldest first.",
    )

    resolve_nodes = node_resolver_via_service(service.get_goal, convert="from_view")


SignOffKindEnum = strawberry.enum(
    SignOffKind, name="SignOffKind", description="REVIEW: a reviewer's; APPROVAL: the approver's."
)


@node(
    "PlanSignOff",
    "Who signed a plan off, when, with what note.",
    PlanSignOff,
    ids={"plan_id": "Plan", "person_id": "Person"},
    signed_by_global_id=lambda row: actor_global_id(row.signed_by_kind, row.signed_by_id),
)
class PlanSignOffType(relay.Node):
    database_id: uuid.UUID
    plan_id: relay.GlobalID
    kind: SignOffKindEnum  # type: ignore[valid-type]
    person_id: relay.GlobalID | None
    signed_by_kind: str
    signed_by_id: uuid.UUID | None = strawberry.field(
        deprecation_reason="A database UUID; use `signedByGlobalId`, the global id `node(id:)` answers."
    )
    signed_by_global_id: relay.GlobalID | None = strawberry.field(
        description="Who signed: a `User` or an `ApiClient`; null for the installation's operator."
    )
    signed_by_label: str | None
    note: str | None
    created_at: datetime

    resolve_nodes = node_resolver("sign_off_by_id", sign_off_by_id, via="load_nodes")


@node(
    "AcceptedRisk",
    "A barrier raised in the plan's co-creation that the plan carries unanswered, and why.",
    AcceptedRisk,
    ids={"plan_id": "Plan", "input_id": "Input"},
    accepted_by_global_id=lambda row: actor_global_id(row.accepted_by_kind, row.accepted_by_id),
)
class AcceptedRiskType(relay.Node):
    database_id: uuid.UUID
    plan_id: relay.GlobalID
    input_id: relay.GlobalID = strawberry.field(description="The barrier (an Input) carried unanswered.")
    reason: str
    accepted_by_kind: str
    accepted_by_id: uuid.UUID | None = strawberry.field(
        deprecation_reason="A database UUID; use `acceptedByGlobalId`, the global id `node(id:)` answers."
    )
    accepted_by_global_id: relay.GlobalID | None = strawberry.field(
        description="Who accepted it: a `User` or an `ApiClient`; null for the installation's operator."
    )
    accepted_by_label: str | None
    created_at: datetime

    resolve_nodes = node_resolver("accepted_risk_by_id", accepted_risk_by_id, via="load_nodes")


@node(
    "Evidence",
    "Something pre-planning collected for a plan.",
    Evidence,
    ids={"plan_id": "Plan", "exemplar_school_id": "School"},
)
class EvidenceType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this item.")
    plan_id: relay.GlobalID
    kind: EvidenceKindEnum  # type: ignore[valid-type]
    title: str
    description: str | None
    source_url: str | None
    collected_on: date | None
    exemplar_school_id: relay.GlobalID | None = strawberry.field(
        description="For an exemplar: the school where the practice already works."
    )
    created_at: datetime

    resolve_nodes = node_resolver("evidence_by_id", evidence_by_id, via="load_nodes")


@converter(
    PlanRevisionCause,
    target_id=lambda row: relay.GlobalID(_CAUSE_TYPES[row.kind], str(row.target_id)),
    target_database_id="row.target_id",
)
@strawberry.type(
    name="RevisionCause", description="What led to a revision: an input, a review or a measurement."
)
class RevisionCauseType:
    kind: CauseKindEnum  # type: ignore[valid-type]
    target_id: relay.GlobalID = strawberry.field(
        description="The global id of the Input, ReviewCheckpoint or Measurement."
    )
    target_database_id: uuid.UUID


@node(
    "PlanRevision",
    "A change to an approved plan: proposed with a reason and its causes, then accepted "
    "(applied, and numbered) or rejected by the lead. Number 0 is the plan as approved.",
    PlanRevision,
    ids={"plan_id": "Plan"},
    plan_uuid="row.plan_id",
)
class PlanRevisionType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this revision.")
    plan_id: relay.GlobalID
    number: int | None = strawberry.field(description="Given on acceptance, in order; null until then.")
    status: RevisionStatusEnum  # type: ignore[valid-type]
    reason: str
    changes: JSON = strawberry.field(
        description="The changes, as recorded: a list of {op, entity, id, parent_id, fields} with REST "
        "field names and database UUIDs."
    )
    proposed_by_label: str | None
    decided_by_label: str | None
    decided_at: datetime | None
    decision_note: str | None
    created_at: datetime
    causes: strawberry.Private[list[PlanRevisionCause] | None] = None
    plan_uuid: strawberry.Private[uuid.UUID | None] = None

    @classmethod
    def from_view(cls, view: service.RevisionView | None) -> PlanRevisionType | None:
        if view is None:
            return None
        node: PlanRevisionType = cls.from_model(view.revision)  # type: ignore[attr-defined]
        node.causes = view.causes
        return node

    @strawberry.field(description="What led to it: inputs, review checkpoints, measurements.")
    async def caused_by(self, info: Info[Context, None]) -> list[RevisionCauseType]:
        causes = self.causes
        if causes is None:
            loader = info.context.loader("plan_causes_by_revision", causes_by_revision)
            causes = await loader.load(self.database_id) or []
        return [RevisionCauseType.from_model(c) for c in causes]

    plan = follow(
        "The plan it revises (after an acceptance, at its new version).",
        "PlanType",
        "plan_by_id",
        plan_by_id,
        "plan_uuid",
    )

    resolve_nodes = node_resolver_via_service(service.get_revision, convert="from_view")


@node(
    "ReviewCheckpoint",
    "A scheduled review of a plan: when, who came, what was found and decided, and the revision it produced.",
    ReviewCheckpoint,
    ids={"plan_id": "Plan", "attendee_person_ids": "Person", "revision_id": "PlanRevision"},
)
class ReviewCheckpointType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this checkpoint.")
    plan_id: relay.GlobalID
    scheduled_on: date
    held_on: date | None
    attendee_person_ids: list[relay.GlobalID]
    summary: str | None
    decisions: str | None
    overdue: bool = strawberry.field(description="Its date has passed and it has not been held.")
    revision_id: relay.GlobalID | None = strawberry.field(description="The revision this review produced.")
    version: int
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Who attended, as people; those the caller does not read are left out.")
    async def attendees(self, info: Info[Context, None]) -> list[PersonType]:
        people = await asyncio.gather(*(person_of(info, p) for p in self.attendee_person_ids))
        return [person for person in people if person is not None]

    resolve_nodes = node_resolver_via_service(_get_checkpoint)


@converter(StepProgress, ids={"action_step_id": ("ActionStep", "id")})
@strawberry.type(name="StepProgress", description="An action step's progress, as it counts.")
class StepProgressType:
    action_step_id: relay.GlobalID
    title: str
    status: StepStatusEnum  # type: ignore[valid-type]
    weight: Decimal
    progress: int


@converter(
    StrategyProgress,
    ids={"strategy_id": ("Strategy", "id")},
    action_steps=lambda row: [StepProgressType.from_model(s) for s in row.action_steps],
)
@strawberry.type(
    name="StrategyProgress", description="A strategy's progress: the weighted mean of its steps."
)
class StrategyProgressType:
    strategy_id: relay.GlobalID
    title: str
    weight: Decimal
    progress: float | None = strawberry.field(description="Null with no action steps.")
    action_steps: list[StepProgressType]


@converter(
    GoalProgress,
    ids={"goal_id": ("Goal", "id")},
    strategies=lambda row: [StrategyProgressType.from_model(s) for s in row.strategies],
)
@strawberry.type(name="GoalProgress", description="A goal's progress: the weighted mean of its strategies.")
class GoalProgressType:
    goal_id: relay.GlobalID
    statement: str
    weight: Decimal
    progress: float | None = strawberry.field(description="Null while nothing under it has progress.")
    strategies: list[StrategyProgressType]


@converter(
    PlanProgress,
    ids={"plan_id": "Plan"},
    goals=lambda row: [GoalProgressType.from_model(g) for g in row.goals],
)
@strawberry.type(
    name="PlanProgress", description="How far along the plan is: one number, with the tree behind it."
)
class PlanProgressType:
    plan_id: relay.GlobalID
    progress: float | None = strawberry.field(
        description="Weighted mean of the goals' progress; null when empty."
    )
    goals: list[GoalProgressType]


@converter(
    PolicyCheck,
    ids={"plan_id": "Plan", "unanswered_barriers": "Input"},
    voices_heard=lambda row: [Voice(v) for v in row.voices_heard],
    voices_required=lambda row: [Voice(v) for v in row.voices_required],
    missing=lambda row: list(row.missing),
)
@strawberry.type(
    name="PolicyCheck",
    description="Whether the plan's co-creation record meets the district's policy for going to review.",
)
class PolicyCheckType:
    plan_id: relay.GlobalID
    met: bool
    co_creation_activities: int = strawberry.field(
        description="Held co-creation activities linked to the plan or its initiative."
    )
    required_activities: int
    voices_heard: list[VoiceEnum]  # type: ignore[valid-type]
    voices_required: list[VoiceEnum]  # type: ignore[valid-type]
    missing: list[str] = strawberry.field(description="What is missing, in words; empty when met.")
    judged_at: datetime | None = strawberry.field(
        description="When the record is judged as of: when the plan went to review (null for a draft: now)."
    )
    unanswered_barriers: list[relay.GlobalID] = strawberry.field(
        description="Barriers of its co-creation (Inputs) neither answered nor carried as accepted risks."
    )
    ready_for_approval: bool = strawberry.field(
        description="The policy is met and no barrier is left unanswered."
    )


@converter(
    barriers=lambda found: [InputType.from_model(i) for i in found[0]],
    leverage_points=lambda found: [InputType.from_model(i) for i in found[1]],
)
@strawberry.type(
    name="PrePlanning",
    description="The barriers and leverage points raised in the co-creation activities held for the plan: "
    "the inputs themselves, with contributors shown as the engagement rules allow.",
)
class PrePlanningType:
    barriers: list[InputType]
    leverage_points: list[InputType]


@strawberry.type(name="DiffEntry", description="A part of the plan that differs between two revisions.")
class DiffEntryType:
    entity: RevisionEntityEnum
    entity_id: relay.GlobalID
    change: DiffChangeEnum
    before: JSON | None = strawberry.field(description="Its fields that differ, before; null when added.")
    after: JSON | None = strawberry.field(description="Its fields that differ, after; null when removed.")


@converter(
    RevisionDiff,
    ids={"plan_id": "Plan"},
    entries=lambda row: [
        DiffEntryType(
            entity=RevisionEntityEnum(e.entity),
            entity_id=relay.GlobalID(_ENTITY_TYPES[e.entity], str(e.id)),
            change=DiffChangeEnum(e.change),
            before=e.before,
            after=e.after,
        )
        for e in row.entries
    ],
)
@strawberry.type(name="RevisionDiff", description="What changed between two accepted revisions of a plan.")
class RevisionDiffType:
    plan_id: relay.GlobalID
    from_number: int
    to_number: int
    entries: list[DiffEntryType]


@node(
    "Plan",
    "An improvement plan of one school (or of the district) for one cycle: co-authored, "
    "approved under the district's co-creation policy, and revised on evidence. Staff read their "
    "school's plans, collaborators the plans they work on, everyone the approved plans the district "
    "published.",
    Plan,
    ids={
        "district_id": "District",
        "school_id": "School",
        "initiative_id": "Initiative",
        "previous_plan_id": "Plan",
    },
    school_uuid="row.school_id",
    initiative_uuid="row.initiative_id",
)
class PlanType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this plan.")
    district_id: relay.GlobalID
    school_id: relay.GlobalID | None = strawberry.field(description="Null for a district plan.")
    initiative_id: relay.GlobalID | None
    cycle: str = strawberry.field(description="The school year, such as `2026-27`.")
    title: str
    summary: str | None
    status: PlanStatusEnum  # type: ignore[valid-type]
    published: bool = strawberry.field(description="Readable by the whole district (approved plans only).")
    approved_at: datetime | None
    approved_by_label: str | None
    submitted_at: datetime | None = strawberry.field(
        description="When it last went to review: its co-creation record is judged as it stood then."
    )
    previous_plan_id: relay.GlobalID | None = strawberry.field(
        description="The closed plan of the previous cycle this one continues."
    )
    version: int = strawberry.field(description="Send it back as `expectedVersion` when you update.")
    created_at: datetime
    updated_at: datetime
    school_uuid: strawberry.Private[uuid.UUID | None]
    initiative_uuid: strawberry.Private[uuid.UUID | None]

    school = follow(
        "The school, for a school's plan.", SchoolType, "school_by_id", school_by_id, "school_uuid"
    )

    initiative = follow(
        "The initiative it carries out; null if none, or if it is not there for you.",
        InitiativeType,
        "initiative_by_id",
        initiative_by_id,
        "initiative_uuid",
        refused_is_null=True,
    )

    collaborators = few_children(
        CollaboratorType,
        "plan_collaborators_by_plan",
        collaborators_by_plan,
        description=f"Who writes and reviews it, oldest first (at most {MAX_LIMIT}).",
    )

    goals = children(
        GoalType,
        "plan_goals_by_plan",
        goals_by_plan,
        convert="from_row",
        updated_since=False,
        description="Its goals, oldest first.",
    )

    evidence = few_children(
        EvidenceType,
        "plan_evidence_by_plan",
        evidence_by_plan,
        description=f"The evidence pre-planning collected, oldest first (at most {MAX_LIMIT}).",
        deprecation_reason=f"Stops at {MAX_LIMIT}; use `evidenceConnection`, which pages through all and counts them.",
    )

    sign_offs = few_children(
        PlanSignOffType,
        "plan_sign_offs_by_plan",
        sign_offs_by_plan,
        description=f"Who signed it off (its reviewers, and its approver with the approval), oldest first "
        f"(at most {MAX_LIMIT}).",
    )

    evidence_connection = children(
        EvidenceType,
        "plan_evidence_by_plan",
        evidence_by_plan,
        updated_since=False,
        description="The evidence pre-planning collected, oldest first.",
    )

    accepted_risks = few_children(
        AcceptedRiskType,
        "plan_accepted_risks_by_plan",
        accepted_risks_by_plan,
        description=f"The barriers of its co-creation it carries unanswered, with the reasons, oldest first "
        f"(at most {MAX_LIMIT}).",
        deprecation_reason=f"Stops at {MAX_LIMIT}; use `acceptedRisksConnection`, which pages through all "
        "and counts them.",
    )

    accepted_risks_connection = children(
        AcceptedRiskType,
        "plan_accepted_risks_by_plan",
        accepted_risks_by_plan,
        updated_since=False,
        description="The barriers of its co-creation it carries unanswered, with the reasons, oldest first.",
    )

    @strawberry.field(description="Its revisions, proposed, accepted and rejected, oldest first.")
    async def revisions(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        updated_since: datetime | None = None,
        status: Annotated[
            RevisionStatusEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only revisions in this status: proposed, accepted or rejected."),
        ] = None,
    ) -> Connection[PlanRevisionType]:
        page = page_request(first, after, updated_since)
        loader = narrowed_page_loader(
            info.context, "plan_revisions_by_plan", service.revisions_of_plans, status=status
        )
        result = await loader.load((self.database_id, page))
        return Connection.from_page(result, PlanRevisionType.from_model)

    @strawberry.field(
        description=f"Its review checkpoints, oldest first (at most {MAX_LIMIT}); `overdue` narrows to the "
        "overdue ones (true) or the others (false)."
    )
    async def checkpoints(
        self, info: Info[Context, None], overdue: bool | None = None
    ) -> list[ReviewCheckpointType]:
        loader = info.context.loader("plan_checkpoints_by_plan", checkpoints_by_plan)
        page = await loader.load((self.database_id, ALL))
        return [
            ReviewCheckpointType.from_model(c) for c in page.items if overdue is None or c.overdue is overdue
        ]

    progress = computed(
        "How far along it is, with the goal tree behind the number. Computed per plan: ask for it on one "
        "plan, not a long list.",
        PlanProgressType,
        service.plan_progress,
        weight=5_000,
    )

    policy_check = computed(
        "Whether its co-creation record meets the district's policy for going to review, and what is "
        "missing. Computed per plan.",
        PolicyCheckType,
        service.policy_check,
        weight=2_500,
    )

    pre_planning = computed(
        "The barriers and leverage points its co-creation activities raised. Computed per plan.",
        PrePlanningType,
        service.pre_planning_inputs,
        weight=2_500,
    )

    @strawberry.field(
        description="The plan as a document a school can share. Computed per plan.", metadata=cost(25_000)
    )
    async def document(
        self, info: Info[Context, None], format: DocumentFormatEnum = DocumentFormatEnum.MARKDOWN
    ) -> str:
        async with info.context.session() as session:
            return await service.plan_document(
                session,
                info.context.principal,
                self.database_id,
                as_html=format is DocumentFormatEnum.HTML,
            )

    resolve_nodes = node_resolver("plan_by_id", plan_by_id)


# --- queries ----------------------------------------------------------------------------------------


@strawberry.type
class PlansQuery:
    plans = listing(
        "Plans you can read (your school's, all of them for district-wide roles, those you collaborate on, "
        "and the approved plans the district published), oldest first.",
        PlanType,
        service.list_plans,
        service.PlanFilter,
        school_id=id_arg("School"),
        status=arg(PlanStatusEnum),
        cycle=arg(str, description="Such as `2026-27`."),
        initiative_id=id_arg("Initiative"),
    )

    plan = one(
        "One plan by its global id; null if it is not there for you.", PlanType, "plan_by_id", plan_by_id
    )

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="What changed between two accepted revisions of a plan (0 is the plan as approved). "
        "Null if the plan is not there for you; a `not_found` error for a revision number it does not have.",
    )
    async def plan_revision_diff(
        self,
        info: Info[Context, None],
        plan_id: relay.GlobalID,
        from_: Annotated[int, strawberry.argument(name="from", description="A revision number.")],
        to: Annotated[int, strawberry.argument(description="A revision number.")],
    ) -> RevisionDiffType | None:
        row_id = node_uuid(plan_id, "Plan")
        if row_id is None:
            return None
        async with info.context.session() as session:
            try:
                await service.get_plan(session, info.context.principal, row_id)
            except NotFound:
                return None
            diff = await service.diff_revisions(session, info.context.principal, row_id, from_, to)
        return RevisionDiffType.from_model(diff)

    overdue_checkpoints = listing(
        "Overdue review checkpoints of every plan you can read, oldest first.",
        ReviewCheckpointType,
        service.overdue_checkpoints,
        updated_since=False,
    )


# --- mutations --------------------------------------------------------------------------------------


@strawberry.input(description="A new plan, as a draft; a person who starts it becomes its lead.")
class CreatePlanInput:
    cycle: str = strawberry.field(description="The school year, such as `2026-27`.")
    title: str
    summary: str | None = strawberry.UNSET
    school_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="Omit for a district plan."
    )
    initiative_id: relay.GlobalID | None = strawberry.UNSET


@strawberry.input(description="Changes to a plan: omitted fields stay as they are.")
@changes_of(CreatePlanInput, exclude={"cycle", "school_id"})
class UpdatePlanInput:
    status: PlanStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="IN_REVIEW needs the co-creation policy met (the refusal lists what is missing); "
        "APPROVED needs an approver (a school leader for a school plan, a district leader for a district "
        "plan).",
    )
    published: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Publish an approved plan to the whole district."
    )


@strawberry.input(description="Invite a person of the district to write or review a plan.")
class AddCollaboratorInput:
    plan_id: relay.GlobalID
    person_id: relay.GlobalID
    role: CollaboratorRoleEnum  # type: ignore[valid-type]


@strawberry.input
@changes_of(AddCollaboratorInput, exclude={"plan_id", "person_id"})
class UpdateCollaboratorInput:
    pass


@strawberry.input(name="GoalIndicatorInput", description="How a new goal is measured.")
class GoalIndicatorInput:
    name: str
    unit: str
    direction: DirectionEnum  # type: ignore[valid-type]
    kind: IndicatorKindEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    baseline_value: Decimal | None = strawberry.UNSET
    baseline_date: date | None = strawberry.UNSET
    target_value: Decimal | None = strawberry.UNSET
    target_date: date | None = strawberry.UNSET
    feedback_measure: str | None = strawberry.UNSET


@strawberry.input(name="UpdateGoalIndicatorInput", description="Changes to a goal's measure.")
@changes_of(GoalIndicatorInput, versioned=False)
class UpdateGoalIndicatorInput:
    pass


@strawberry.input(description="A measurable goal for a plan that is not yet approved.")
class AddGoalInput:
    plan_id: relay.GlobalID
    statement: str
    indicator: GoalIndicatorInput
    weight: Decimal | None = strawberry.UNSET


@strawberry.input(description="Changes to a goal (before approval): omitted fields stay as they are.")
class UpdateGoalInput:
    id: relay.GlobalID
    expected_version: int | None = version_field()
    statement: str | None = strawberry.UNSET
    weight: Decimal | None = strawberry.UNSET
    indicator: UpdateGoalIndicatorInput | None = strawberry.UNSET


@strawberry.input(description="A change idea under a goal.")
class AddStrategyInput:
    goal_id: relay.GlobalID
    title: str
    description: str | None = strawberry.UNSET
    driver: str | None = strawberry.UNSET
    weight: Decimal | None = strawberry.UNSET


@strawberry.input(description="Changes to a strategy (before approval): omitted fields stay as they are.")
@changes_of(AddStrategyInput, exclude={"goal_id"})
class UpdateStrategyInput:
    pass


@strawberry.input(description="Who does what by when under a strategy.")
class AddActionStepInput:
    strategy_id: relay.GlobalID
    title: str
    description: str | None = strawberry.UNSET
    owner_person_id: relay.GlobalID | None = strawberry.UNSET
    starts_on: date | None = strawberry.UNSET
    due_on: date | None = strawberry.UNSET
    status: StepStatusEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    blocked_reason: str | None = strawberry.UNSET
    progress: int | None = strawberry.field(
        default=strawberry.UNSET, description="Percent done; omit to derive it from the status."
    )
    weight: Decimal | None = strawberry.UNSET
    pilot_group: str | None = strawberry.UNSET
    scale_up_criteria: str | None = strawberry.UNSET
    scales_pilot_id: relay.GlobalID | None = strawberry.UNSET


@strawberry.input(
    description="Changes to an action step. In an approved or active plan, `status`, `progress` and "
    "`blockedReason` are progress reports (its owner may send them too); anything else needs a revision."
)
@changes_of(AddActionStepInput, exclude={"strategy_id"})
class UpdateActionStepInput:
    progress: int | None = strawberry.UNSET


@strawberry.input(description="A pilot's scale-up criteria, recorded as met, on what evidence.")
class RecordScaleUpInput:
    step_id: relay.GlobalID
    evidence: str


@strawberry.input(description="Something pre-planning collected; it can be added at any stage but closed.")
class AddEvidenceInput:
    plan_id: relay.GlobalID
    kind: EvidenceKindEnum  # type: ignore[valid-type]
    title: str
    description: str | None = strawberry.UNSET
    source_url: str | None = strawberry.UNSET
    collected_on: date | None = strawberry.UNSET
    exemplar_school_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="For an exemplar: the school where the practice already works."
    )


@strawberry.input(description="A reviewer's sign-off on a plan in review.")
class SignOffPlanInput:
    plan_id: relay.GlobalID
    note: str | None = strawberry.UNSET


@strawberry.input(description="A barrier of the plan's co-creation to carry unanswered, and why.")
class AcceptPlanRiskInput:
    plan_id: relay.GlobalID
    input_id: relay.GlobalID = strawberry.field(
        description="The barrier: an Input of the plan's co-creation."
    )
    reason: str


@strawberry.input(
    name="RevisionChangeInput",
    description="One change a revision makes: ADD a GOAL (to the plan), a STRATEGY (`parentId`: its goal) "
    "or an ACTION_STEP (`parentId`: its strategy); UPDATE or REMOVE one by `id`; UPDATE the PLAN itself.",
)
class RevisionChangeInput:
    op: RevisionOpEnum
    entity: RevisionEntityEnum
    id: relay.GlobalID | None = strawberry.field(
        default=None, description="The Goal, Strategy or ActionStep updated or removed."
    )
    parent_id: relay.GlobalID | None = strawberry.field(
        default=None, description="For ADD: the Goal of a new strategy, the Strategy of a new step."
    )
    fields: JSON | None = strawberry.field(
        default=None,
        description="The values, with the REST field names (`title`, `owner_person_id`, "
        "`indicator: {target_value}`), as the revision records them; ids are database UUIDs.",
    )


@strawberry.input(name="RevisionCauseInput", description="What led to a revision.")
class RevisionCauseInput:
    kind: CauseKindEnum  # type: ignore[valid-type]
    id: relay.GlobalID = strawberry.field(
        description="The Input, ReviewCheckpoint, Measurement, PdsaCycle or Walkthrough."
    )


@strawberry.input(description="Propose a change to an approved or active plan; its lead decides.")
class ProposeRevisionInput:
    plan_id: relay.GlobalID
    reason: str = strawberry.field(description="Why the plan changes: what was learned.")
    changes: list[RevisionChangeInput]
    caused_by: list[RevisionCauseInput] | None = strawberry.UNSET


@strawberry.input(description="Accept a proposed revision: its changes apply together, or none does.")
class AcceptRevisionInput:
    id: relay.GlobalID
    expected_version: int | None = strawberry.field(
        default=None,
        description="The plan's version you read; a stale one is refused and nothing is written.",
    )
    note: str | None = strawberry.UNSET


@strawberry.input(description="Turn down a proposed revision, saying why.")
class RejectRevisionInput:
    id: relay.GlobalID
    note: str = strawberry.field(description="Why; its proposer reads it.")


@strawberry.input(description="A review of the plan, on a date.")
class AddCheckpointInput:
    plan_id: relay.GlobalID
    scheduled_on: date


@strawberry.input(description="A series of reviews: every `everyWeeks` weeks from `firstOn` through `until`.")
class ScheduleCheckpointsInput:
    plan_id: relay.GlobalID
    first_on: date
    until: date
    every_weeks: int | None = strawberry.field(default=strawberry.UNSET, description="6 unless given.")


@strawberry.input(description="Record a review: omitted fields stay as they are.")
@changes_of(AddCheckpointInput, exclude={"plan_id"})
class UpdateCheckpointInput:
    held_on: date | None = strawberry.UNSET
    attendee_person_ids: list[relay.GlobalID] | None = strawberry.field(
        default=strawberry.UNSET, description="People of the district who came."
    )
    summary: str | None = strawberry.UNSET
    decisions: str | None = strawberry.UNSET
    revision_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="The revision (of this plan) the review produced."
    )


@strawberry.type
class CheckpointsPayload:
    checkpoints: list[ReviewCheckpointType] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def revision_data(input: ProposeRevisionInput) -> RevisionCreate:
    changes = []
    for index, item in enumerate(input.changes):
        entity = item.entity.value
        changes.append(
            {
                "op": item.op.value,
                "entity": entity,
                "id": parse_global_id(item.id, _ENTITY_TYPES[entity], path=("changes", index, "id"))
                if item.id is not None
                else None,
                "parent_id": parse_global_id(
                    item.parent_id, _PARENT_TYPES.get(entity, "Plan"), path=("changes", index, "parent_id")
                )
                if item.parent_id is not None
                else None,
                "fields": {} if item.fields is None else item.fields,
            }
        )
    causes = [
        {
            "kind": cause.kind,
            "id": parse_global_id(cause.id, _CAUSE_TYPES[cause.kind], path=("caused_by", index, "id")),
        }
        for index, cause in enumerate(input.caused_by or [])
    ]
    return validate_input(RevisionCreate, {"reason": input.reason, "changes": changes, "caused_by": causes})


RemoveCollaboratorInput = id_input("RemoveCollaboratorInput")
RemoveGoalInput = id_input("RemoveGoalInput")
RemoveStrategyInput = id_input("RemoveStrategyInput")
RemoveActionStepInput = id_input("RemoveActionStepInput")
RemoveEvidenceInput = id_input("RemoveEvidenceInput")
RemoveCheckpointInput = id_input("RemoveCheckpointInput")

_PLAN = answered("PlanPayload", plan=PlanType)
_COLLABORATOR = answered("CollaboratorPayload", collaborator=CollaboratorType)
_STRATEGY = answered("StrategyPayload", strategy=StrategyType)
_ACTION_STEP = answered("ActionStepPayload", action_step=ActionStepType)
_EVIDENCE = answered("EvidencePayload", evidence=EvidenceType)
_PLAN_SIGN_OFF = answered("PlanSignOffPayload", sign_off=PlanSignOffType)
_PLAN_REVISION = answered(
    "PlanRevisionPayload", revision=PlanRevisionType, convert=PlanRevisionType.from_view
)
_CHECKPOINT = answered("CheckpointPayload", checkpoint=ReviewCheckpointType)
_CHECKPOINTS = answer(
    CheckpointsPayload, checkpoints=lambda rows: [ReviewCheckpointType.from_model(r) for r in rows]
)
_ACCEPTED_RISK = answered("AcceptedRiskPayload", accepted_risk=AcceptedRiskType)
_GOAL = answered("GoalPayload", goal=GoalType, convert=GoalType.from_view)


@strawberry.type
class PlansMutation:
    create_plan = mutation(
        "Start a plan as a draft: the district's (no schoolId) or one school's (district admins "
        "and leaders, a school's leaders for their school).",
        create(CreatePlanInput, _PLAN, service.create_plan, PlanCreate).ids(
            school_id="School", initiative_id="Initiative"
        ),
    )

    update_plan = mutation(
        "Change a plan or move it along; send `expectedVersion` to refuse stale writes. Content "
        "changes to an approved or active plan are refused (`conflict`): propose a revision.",
        change(UpdatePlanInput, _PLAN, service.update_plan, PlanUpdate).ids(initiative_id="Initiative"),
    )

    add_collaborator = mutation(
        "Invite a person of the district to write or review a plan (its lead, or a leader).",
        create(AddCollaboratorInput, _COLLABORATOR, service.add_collaborator, CollaboratorCreate)
        .under("plan_id", "Plan")
        .ids(person_id="Person"),
    )

    update_collaborator = mutation(
        "Change a collaborator's role.",
        change(UpdateCollaboratorInput, _COLLABORATOR, service.update_collaborator, CollaboratorUpdate),
    )

    remove_collaborator = mutation(
        "Take a collaborator off a plan.",
        removal(RemoveCollaboratorInput, service.remove_collaborator, "PlanCollaborator"),
    )

    add_goal = mutation(
        "Add a measurable goal, with the indicator that measures it (before approval).",
        create(AddGoalInput, _GOAL, service.add_goal, GoalCreate)
        .under("plan_id", "Plan")
        .nested("indicator"),
    )

    update_goal = mutation(
        "Change a goal or its measure.",
        change(UpdateGoalInput, _GOAL, service.update_goal, GoalUpdate).nested("indicator"),
    )

    remove_goal = mutation(
        "Remove a goal with its strategies, action steps and indicator (before approval).",
        removal(RemoveGoalInput, service.remove_goal, "Goal"),
    )

    add_strategy = mutation(
        "Add a strategy under a goal.",
        create(AddStrategyInput, _STRATEGY, service.add_strategy, StrategyCreate).under("goal_id", "Goal"),
    )

    update_strategy = mutation(
        "Change a strategy.", change(UpdateStrategyInput, _STRATEGY, service.update_strategy, StrategyUpdate)
    )

    remove_strategy = mutation(
        "Remove a strategy with its action steps.",
        removal(RemoveStrategyInput, service.remove_strategy, "Strategy"),
    )

    add_action_step = mutation(
        "Add an action step under a strategy.",
        create(AddActionStepInput, _ACTION_STEP, service.add_action_step, ActionStepCreate)
        .under("strategy_id", "Strategy")
        .ids(owner_person_id="Person", scales_pilot_id="ActionStep"),
    )

    update_action_step = mutation(
        "Change an action step, or report its progress (status, progress, blocked reason) once "
        "the plan is approved; send `expectedVersion` to refuse stale writes.",
        change(UpdateActionStepInput, _ACTION_STEP, service.update_action_step, ActionStepUpdate).ids(
            owner_person_id="Person", scales_pilot_id="ActionStep"
        ),
    )

    record_scale_up = mutation(
        "Record that a done pilot's scale-up criteria were met, on what evidence (you are recorded as who "
        "decided); once only. Rollouts that scale the pilot may then start.",
        create(RecordScaleUpInput, _ACTION_STEP, service.record_scale_up, ScaleUpRecord).under(
            "step_id", "ActionStep"
        ),
    )

    remove_action_step = mutation(
        "Remove an action step.", removal(RemoveActionStepInput, service.remove_action_step, "ActionStep")
    )

    add_evidence = mutation(
        "Add evidence pre-planning collected for a plan.",
        create(AddEvidenceInput, _EVIDENCE, service.add_evidence, EvidenceCreate)
        .under("plan_id", "Plan")
        .ids(exemplar_school_id="School"),
    )

    sign_off_plan = mutation(
        "Sign off a plan in review, as one of its reviewers (or one who may approve it), once per "
        "submission. Approval takes someone other than the plan's lead, where the district separates duties.",
        create(SignOffPlanInput, _PLAN_SIGN_OFF, service.sign_off, SignOffCreate).under("plan_id", "Plan"),
    )

    accept_plan_risk = mutation(
        "Carry a barrier of the plan's co-creation as an accepted risk, with the reason: approval needs every "
        "barrier answered or carried. The plan's lead or an approver, before approval.",
        create(AcceptPlanRiskInput, _ACCEPTED_RISK, service.accept_risk, AcceptedRiskCreate)
        .under("plan_id", "Plan")
        .ids(input_id="Input"),
    )

    remove_evidence = mutation(
        "Remove an evidence item.", removal(RemoveEvidenceInput, service.remove_evidence, "Evidence")
    )

    propose_revision = mutation(
        "Propose a revision of an approved or active plan (its lead, co-authors or leaders): "
        "the changes are checked now and applied when the lead accepts.",
        create(ProposeRevisionInput, _PLAN_REVISION, service.propose_revision, revision_data).under(
            "plan_id", "Plan"
        ),
    )

    accept_revision = mutation(
        "Accept a proposed revision (the plan's lead, or its approver): every change applies or "
        "none does; the revision is numbered and the plan's version moves on.",
        change(AcceptRevisionInput, _PLAN_REVISION, service.accept_revision, RevisionDecision),
    )

    reject_revision = mutation(
        "Reject a proposed revision, saying why (the plan's lead, or its approver).",
        change(RejectRevisionInput, _PLAN_REVISION, service.reject_revision, RevisionDecision).unversioned(),
    )

    add_checkpoint = mutation(
        "Schedule a review of a plan.",
        create(AddCheckpointInput, _CHECKPOINT, service.add_checkpoint, CheckpointCreate).under(
            "plan_id", "Plan"
        ),
    )

    schedule_checkpoints = mutation(
        "Schedule a series of reviews, every `everyWeeks` weeks (6 unless given).",
        create(
            ScheduleCheckpointsInput, _CHECKPOINTS, service.schedule_checkpoints, CheckpointSchedule
        ).under("plan_id", "Plan"),
    )

    update_checkpoint = mutation(
        "Record a review: when it was held, who came, what it found and decided, and the revision it produced.",
        change(UpdateCheckpointInput, _CHECKPOINT, service.update_checkpoint, CheckpointUpdate).ids(
            revision_id="PlanRevision", attendee_person_ids="Person"
        ),
    )

    remove_checkpoint = mutation(
        "Remove a review that was not held (a held review stays on the record).",
        removal(RemoveCheckpointInput, service.remove_checkpoint, "ReviewCheckpoint"),
    )
