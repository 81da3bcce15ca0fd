"""Improvement plans: co-authored, pre-planned, approved under the district's co-creation policy and
revised on evidence.

A Plan holds goals (each measured by an Indicator, the same model initiatives use), strategies under
each goal and action steps under each strategy. Pre-planning is the evidence collected and the inputs
(barriers, leverage points) of the co-creation activities linked to the plan: those stay Inputs, never
copied. Once approved, the plan's content changes only through PlanRevisions, each with its reason,
what caused it, and a snapshot of the plan it produced, so any two revisions can be compared.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, Numeric, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import Uuid
from sqlmodel import Field

from app.core.models import EntityBase, VersionedEntityBase, db_enum


class PlanStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    ACTIVE = "active"
    CLOSED = "closed"


# Review can send a plan back to its authors; an approved plan goes live or is closed; nothing reopens
# a closed plan (the next cycle is a new plan).
PLAN_TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    PlanStatus.DRAFT: frozenset({PlanStatus.IN_REVIEW}),
    PlanStatus.IN_REVIEW: frozenset({PlanStatus.DRAFT, PlanStatus.APPROVED}),
    PlanStatus.APPROVED: frozenset({PlanStatus.ACTIVE, PlanStatus.CLOSED}),
    PlanStatus.ACTIVE: frozenset({PlanStatus.CLOSED}),
    PlanStatus.CLOSED: frozenset(),
}
# From approval on, the plan's content is changed by revisions only.
REVISED_STATUSES = frozenset({PlanStatus.APPROVED, PlanStatus.ACTIVE})


class CollaboratorRole(StrEnum):
    LEAD = "lead"
    CO_AUTHOR = "co_author"
    REVIEWER = "reviewer"


class StepStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"


# An action step's progress when none was set: what its status says about it.
STATUS_PROGRESS: dict[StepStatus, int] = {
    StepStatus.NOT_STARTED: 0,
    StepStatus.IN_PROGRESS: 50,
    StepStatus.BLOCKED: 0,
    StepStatus.DONE: 100,
}


class EvidenceKind(StrEnum):
    STUDENT_WORK = "student_work"
    LESSON_PLAN = "lesson_plan"
    DATA = "data"
    EXEMPLAR = "exemplar"  # from an "island of excellence": a classroom or school where it already works
    RESEARCH = "research"
    OTHER = "other"


class RevisionStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class CauseKind(StrEnum):
    """What led to a revision."""

    INPUT = "input"
    CHECKPOINT = "checkpoint"
    MEASUREMENT = "measurement"
    PDSA_CYCLE = "pdsa_cycle"  # what a small test showed
    WALKTHROUGH = "walkthrough"  # what was (or was not) seen in classrooms


class Plan(VersionedEntityBase, table=True):
    """An improvement plan of one school (or of the district, `school_id` null) for one cycle."""

    __tablename__ = "plan"
    __table_args__ = (
        Index("ix_plan_district_id_created_at_id", "district_id", "created_at", "id"),
        CheckConstraint("cycle ~ '^[0-9]{4}-[0-9]{2}$'", name="cycle_format"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    school_id: uuid.UUID | None = Field(default=None, foreign_key="school.id", index=True, ondelete="CASCADE")
    initiative_id: uuid.UUID | None = Field(default=None, foreign_key="initiative.id", ondelete="SET NULL")
    cycle: str = Field(max_length=7, nullable=False)
    title: str = Field(max_length=200, nullable=False)
    summary: str | None = Field(default=None, sa_type=Text)
    status: PlanStatus = Field(default=PlanStatus.DRAFT, sa_type=db_enum(PlanStatus), nullable=False)
    published: bool = Field(default=False, nullable=False)
    approved_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    approved_by_label: str | None = Field(default=None, max_length=320)
    # When it last went to review: its co-creation record is judged as it stood then, so sessions held
    # (or attendance written in) while it waits for approval do not count for it.
    submitted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # Who sent it to review (a user's or client's id): under separation of duties they do not approve it.
    submitted_by_id: uuid.UUID | None = None
    # Everyone who has led it and stepped down or left (person ids, oldest first): under separation of
    # duties they do not approve it either, however the lead changed hands before it was approved.
    former_lead_person_ids: list[uuid.UUID] = Field(
        default_factory=list, sa_type=ARRAY(Uuid()), nullable=False
    )
    # The closed plan of the previous cycle this one continues (its lineage); a plan starts one next
    # plan at most.
    previous_plan_id: uuid.UUID | None = Field(
        default=None, foreign_key="plan.id", unique=True, ondelete="SET NULL"
    )


class PlanCollaborator(VersionedEntityBase, table=True):
    """Someone who writes (lead, co-author) or reviews the plan. A plan has one lead at most."""

    __tablename__ = "plan_collaborator"
    __table_args__ = (
        UniqueConstraint("plan_id", "person_id"),
        Index("ix_plan_collaborator_plan_id_created_at_id", "plan_id", "created_at", "id"),
        Index(
            "uq_plan_collaborator_one_lead", "plan_id", unique=True, postgresql_where=text("role = 'lead'")
        ),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    plan_id: uuid.UUID = Field(foreign_key="plan.id", nullable=False, ondelete="CASCADE")
    person_id: uuid.UUID = Field(foreign_key="person.id", nullable=False, index=True, ondelete="CASCADE")
    role: CollaboratorRole = Field(sa_type=db_enum(CollaboratorRole), nullable=False)


class Goal(VersionedEntityBase, table=True):
    """A measurable goal: its indicator holds the baseline, target and target date.

    A goal carried into the next cycle's plan is measured by the same indicator, so its series (and
    run chart) spans the years; one plan measures an indicator with one goal at most."""

    __tablename__ = "goal"
    __table_args__ = (
        Index("ix_goal_plan_id_created_at_id", "plan_id", "created_at", "id"),
        UniqueConstraint("plan_id", "indicator_id"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    plan_id: uuid.UUID = Field(foreign_key="plan.id", nullable=False, ondelete="CASCADE")
    indicator_id: uuid.UUID = Field(
        foreign_key="indicator.id", nullable=False, index=True, ondelete="RESTRICT"
    )
    statement: str = Field(sa_type=Text, nullable=False)
    weight: Decimal = Field(default=Decimal(1), sa_type=Numeric(8, 3), nullable=False)
    # The goal of the previous cycle's plan this one carries forward (not met when that plan closed).
    carried_from_id: uuid.UUID | None = Field(default=None, foreign_key="goal.id", ondelete="SET NULL")


class Strategy(VersionedEntityBase, table=True):
    """A change idea under a goal, optionally naming the driver (of a driver diagram) it acts on."""

    __tablename__ = "strategy"
    __table_args__ = (
        Index("ix_strategy_goal_id_created_at_id", "goal_id", "created_at", "id"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    plan_id: uuid.UUID = Field(foreign_key="plan.id", nullable=False, index=True, ondelete="CASCADE")
    goal_id: uuid.UUID = Field(foreign_key="goal.id", nullable=False, ondelete="CASCADE")
    title: str = Field(max_length=200, nullable=False)
    description: str | None = Field(default=None, sa_type=Text)
    driver: str | None = Field(default=None, max_length=200)
    weight: Decimal = Field(default=Decimal(1), sa_type=Numeric(8, 3), nullable=False)
    # The strategy of the previous cycle's plan this one carries forward (not complete when it closed).
    carried_from_id: uuid.UUID | None = Field(default=None, foreign_key="strategy.id", ondelete="SET NULL")


class ActionStep(VersionedEntityBase, table=True):
    """Who does what by when under a strategy; a pilot tries it with a small group first."""

    __tablename__ = "action_step"
    __table_args__ = (
        Index("ix_action_step_strategy_id_created_at_id", "strategy_id", "created_at", "id"),
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("progress IS NULL OR (progress >= 0 AND progress <= 100)", name="progress_range"),
        CheckConstraint("due_on IS NULL OR starts_on IS NULL OR due_on >= starts_on", name="dates_in_order"),
        CheckConstraint("status <> 'blocked' OR blocked_reason IS NOT NULL", name="blocked_has_reason"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    plan_id: uuid.UUID = Field(foreign_key="plan.id", nullable=False, index=True, ondelete="CASCADE")
    strategy_id: uuid.UUID = Field(foreign_key="strategy.id", nullable=False, ondelete="CASCADE")
    title: str = Field(max_length=200, nullable=False)
    description: str | None = Field(default=None, sa_type=Text)
    owner_person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    starts_on: date | None = None
    due_on: date | None = None
    status: StepStatus = Field(default=StepStatus.NOT_STARTED, sa_type=db_enum(StepStatus), nullable=False)
    blocked_reason: str | None = Field(default=None, sa_type=Text)
    # Set by the owner, or null to derive it from the status (STATUS_PROGRESS).
    progress: int | None = None
    weight: Decimal = Field(default=Decimal(1), sa_type=Numeric(8, 3), nullable=False)
    # A pilot: the small group that tries it first, and what would make it go whole-staff.
    pilot_group: str | None = Field(default=None, sa_type=Text)
    scale_up_criteria: str | None = Field(default=None, sa_type=Text)
    # A pilot's scale-up criteria recorded as met: when, by whom, on what evidence.
    scale_up_met_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    scale_up_met_by_label: str | None = Field(default=None, max_length=320)
    scale_up_evidence: str | None = Field(default=None, sa_type=Text)
    # A rollout: the pilot (a step of the same plan) it scales up. It starts once that pilot is done and
    # its scale-up criteria are recorded as met.
    scales_pilot_id: uuid.UUID | None = Field(default=None, foreign_key="action_step.id", ondelete="SET NULL")

    @property
    def effective_progress(self) -> int:
        """The progress that counts: done is done; otherwise as set, or what the status says."""
        if self.status is StepStatus.DONE:
            return 100
        return self.progress if self.progress is not None else STATUS_PROGRESS[self.status]

    @property
    def is_pilot(self) -> bool:
        return self.pilot_group is not None


class SignOffKind(StrEnum):
    REVIEW = "review"  # a reviewer read the plan in review and signs it off
    APPROVAL = "approval"  # the approver's own sign-off, recorded with the approval


class PlanSignOff(EntityBase, table=True):
    """A sign-off on a plan in review: who (a reviewer, or the approver), when, with what note. Kept,
    and shown with the plan, so a board can see who read it before it was approved."""

    __tablename__ = "plan_sign_off"
    __table_args__ = (Index("ix_plan_sign_off_plan_id_created_at_id", "plan_id", "created_at", "id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    plan_id: uuid.UUID = Field(foreign_key="plan.id", nullable=False, ondelete="CASCADE")
    kind: SignOffKind = Field(sa_type=db_enum(SignOffKind), nullable=False)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    signed_by_kind: str = Field(max_length=16, nullable=False)
    signed_by_id: uuid.UUID | None = None
    signed_by_label: str | None = Field(default=None, max_length=320)
    note: str | None = Field(default=None, sa_type=Text)


class AcceptedRisk(EntityBase, table=True):
    """A barrier raised in the plan's co-creation that the plan goes ahead without answering, carried
    explicitly with the reason, by whoever decided it. An open barrier blocks approval unless it is
    answered or carried like this."""

    __tablename__ = "accepted_risk"
    __table_args__ = (
        UniqueConstraint("plan_id", "input_id"),
        Index("ix_accepted_risk_plan_id_created_at_id", "plan_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    plan_id: uuid.UUID = Field(foreign_key="plan.id", nullable=False, ondelete="CASCADE")
    input_id: uuid.UUID = Field(foreign_key="input.id", nullable=False, ondelete="CASCADE")
    reason: str = Field(sa_type=Text, nullable=False)
    accepted_by_kind: str = Field(max_length=16, nullable=False)
    accepted_by_id: uuid.UUID | None = None
    accepted_by_label: str | None = Field(default=None, max_length=320)


class Evidence(EntityBase, table=True):
    """Something pre-planning collected: student work, lesson plans, data, exemplars, research."""

    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_plan_id_created_at_id", "plan_id", "created_at", "id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    plan_id: uuid.UUID = Field(foreign_key="plan.id", nullable=False, ondelete="CASCADE")
    kind: EvidenceKind = Field(sa_type=db_enum(EvidenceKind), nullable=False)
    title: str = Field(max_length=200, nullable=False)
    description: str | None = Field(default=None, sa_type=Text)
    source_url: str | None = Field(default=None, max_length=2000)
    collected_on: date | None = None
    # For an exemplar: the school where the practice already works.
    exemplar_school_id: uuid.UUID | None = Field(default=None, foreign_key="school.id", ondelete="SET NULL")


class PlanRevision(EntityBase, table=True):
    """A change to an approved plan: proposed with a reason and its causes, accepted (and applied) or
    rejected by the lead. Number 0 is the plan as approved. `snapshot` is the plan after the revision."""

    __tablename__ = "plan_revision"
    __table_args__ = (
        UniqueConstraint("plan_id", "number"),
        Index("ix_plan_revision_plan_id_created_at_id", "plan_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    plan_id: uuid.UUID = Field(foreign_key="plan.id", nullable=False, ondelete="CASCADE")
    # Numbered when accepted, in order; proposals and rejections carry none.
    number: int | None = None
    status: RevisionStatus = Field(
        default=RevisionStatus.PROPOSED, sa_type=db_enum(RevisionStatus), nullable=False
    )
    reason: str = Field(sa_type=Text, nullable=False)
    changes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB, nullable=False)
    snapshot: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    proposed_by_label: str | None = Field(default=None, max_length=320)
    proposed_by_person_id: uuid.UUID | None = Field(
        default=None, foreign_key="person.id", ondelete="SET NULL"
    )
    decided_by_label: str | None = Field(default=None, max_length=320)
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    decision_note: str | None = Field(default=None, sa_type=Text)


class PlanRevisionCause(EntityBase, table=True):
    """What led to a revision: an input, a review checkpoint, a measurement, a PDSA cycle or a walkthrough."""

    __tablename__ = "plan_revision_cause"
    __table_args__ = (UniqueConstraint("revision_id", "kind", "target_id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    revision_id: uuid.UUID = Field(foreign_key="plan_revision.id", nullable=False, ondelete="CASCADE")
    kind: CauseKind = Field(sa_type=db_enum(CauseKind), nullable=False)
    target_id: uuid.UUID = Field(nullable=False)


class ReviewCheckpoint(VersionedEntityBase, table=True):
    """A scheduled review of the plan (every six weeks, say): when, who came, what was decided, and the
    revision it produced. Overdue when its date has passed and it has not been held."""

    __tablename__ = "review_checkpoint"
    __table_args__ = (Index("ix_review_checkpoint_plan_id_created_at_id", "plan_id", "created_at", "id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    plan_id: uuid.UUID = Field(foreign_key="plan.id", nullable=False, ondelete="CASCADE")
    scheduled_on: date = Field(nullable=False)
    held_on: date | None = None
    attendee_person_ids: list[uuid.UUID] = Field(default_factory=list, sa_type=ARRAY(Uuid()), nullable=False)
    summary: str | None = Field(default=None, sa_type=Text)
    decisions: str | None = Field(default=None, sa_type=Text)
    revision_id: uuid.UUID | None = Field(default=None, foreign_key="plan_revision.id", ondelete="SET NULL")

    @property
    def overdue(self) -> bool:
        return self.held_on is None and self.scheduled_on < datetime.now(UTC).date()
