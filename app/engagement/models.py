"""Co-creation and co-production: who was in the room, what they said, and what became of it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from app.core.models import EntityBase, VersionedEntityBase, db_enum, utcnow
from app.initiatives.models import ParticipationLevel


class Mode(StrEnum):
    """Co-creation shapes the design of a value proposition; co-production keeps people in the work."""

    CO_CREATION = "co_creation"
    CO_PRODUCTION = "co_production"


class ActivityKind(StrEnum):
    NEEDS_ASSESSMENT = "needs_assessment"
    DESIGN_SESSION = "design_session"
    DESIGN_TEAM_MEETING = "design_team_meeting"
    LISTENING_SESSION = "listening_session"
    OVERSIGHT_COUNCIL_MEETING = "oversight_council_meeting"
    CO_TEACHING = "co_teaching"
    CO_LED_PLC = "co_led_plc"
    COACHING_CYCLE = "coaching_cycle"
    WALKTHROUGH_DEBRIEF = "walkthrough_debrief"
    FEEDBACK_REVIEW = "feedback_review"
    PROFESSIONAL_LEARNING = "professional_learning"
    SURVEY = "survey"


class ActivityStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


# A planned activity is held or called off; a cancelled one can be planned again. Once held, it is part
# of the record people were promised, and stays held.
ACTIVITY_TRANSITIONS: dict[ActivityStatus, frozenset[ActivityStatus]] = {
    ActivityStatus.PLANNED: frozenset({ActivityStatus.HELD, ActivityStatus.CANCELLED}),
    ActivityStatus.CANCELLED: frozenset({ActivityStatus.PLANNED}),
    ActivityStatus.HELD: frozenset(),
}


class ParticipantRole(StrEnum):
    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"
    DECISION_MAKER = "decision_maker"
    OBSERVER = "observer"


class AttendeeKind(StrEnum):
    """What kind of person attended: a person's kind, and for staff what their roles say."""

    TEACHER = "teacher"
    SCHOOL_LEADER = "school_leader"
    DISTRICT_STAFF = "district_staff"
    OTHER_STAFF = "other_staff"
    FAMILY = "family"
    STUDENT = "student"
    COMMUNITY_MEMBER = "community_member"
    PARTNER = "partner"


class InputKind(StrEnum):
    IDEA = "idea"
    CONCERN = "concern"
    BARRIER = "barrier"
    LEVERAGE_POINT = "leverage_point"
    QUESTION = "question"
    DECISION = "decision"


class Disposition(StrEnum):
    OPEN = "open"
    UNDER_CONSIDERATION = "under_consideration"
    ADOPTED = "adopted"
    ADAPTED = "adapted"
    DECLINED = "declined"
    DEFERRED = "deferred"


# What became of an input, step by step. Deferred inputs can be taken up again; adopted, adapted and
# declined are answers given to the community and stay as given.
DISPOSITION_TRANSITIONS: dict[Disposition, frozenset[Disposition]] = {
    Disposition.OPEN: frozenset(
        {
            Disposition.UNDER_CONSIDERATION,
            Disposition.ADOPTED,
            Disposition.ADAPTED,
            Disposition.DECLINED,
            Disposition.DEFERRED,
        }
    ),
    Disposition.UNDER_CONSIDERATION: frozenset(
        {Disposition.ADOPTED, Disposition.ADAPTED, Disposition.DECLINED, Disposition.DEFERRED}
    ),
    Disposition.DEFERRED: frozenset({Disposition.UNDER_CONSIDERATION}),
    Disposition.ADOPTED: frozenset(),
    Disposition.ADAPTED: frozenset(),
    Disposition.DECLINED: frozenset(),
}
# A "no" or a "yes, but" owes the contributor a reason.
NEEDS_REASON = frozenset({Disposition.ADAPTED, Disposition.DECLINED})


class ChangeTarget(StrEnum):
    """What an input changed."""

    INITIATIVE_FIELD = "initiative_field"
    CAPACITY_ITEM = "capacity_item"
    GOAL = "goal"
    STRATEGY = "strategy"
    ACTION_STEP = "action_step"


class Activity(VersionedEntityBase, table=True):
    """A co-creation or co-production activity: a design session, a listening session, a co-led PLC…"""

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_district_id_created_at_id", "district_id", "created_at", "id"),
        Index("ix_activity_initiative_id_created_at_id", "initiative_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    school_id: uuid.UUID | None = Field(default=None, foreign_key="school.id", ondelete="CASCADE")
    initiative_id: uuid.UUID | None = Field(default=None, foreign_key="initiative.id", ondelete="SET NULL")
    # Co-creation for a plan's pre-planning: its inputs are the plan's barriers and leverage points.
    plan_id: uuid.UUID | None = Field(default=None, foreign_key="plan.id", index=True, ondelete="SET NULL")
    mode: Mode = Field(sa_type=db_enum(Mode), nullable=False)
    kind: ActivityKind = Field(sa_type=db_enum(ActivityKind), nullable=False)
    title: str = Field(max_length=200, nullable=False)
    held_on: date = Field(nullable=False)
    status: ActivityStatus = Field(
        default=ActivityStatus.PLANNED, sa_type=db_enum(ActivityStatus), nullable=False
    )
    participation_level: ParticipationLevel = Field(sa_type=db_enum(ParticipationLevel), nullable=False)
    summary: str | None = Field(default=None, sa_type=Text)
    # What the people asked to take part receive: when, where, why their voice matters.
    invitation: str | None = Field(default=None, sa_type=Text)
    published: bool = Field(default=False, nullable=False)
    # Translations entered by people, stored with the text they translate: language tag → field →
    # {"text", "entered_by_person_id", "entered_at"}. Never machine-made (`app.engagement.translations`).
    translations: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSONB, nullable=False, sa_column_kwargs={"server_default": "{}"}
    )


class Participation(VersionedEntityBase, table=True):
    """Who took part in an activity: a stakeholder (a person or a group) or a person, and in what role."""

    __tablename__ = "participation"
    __table_args__ = (
        CheckConstraint("(stakeholder_id IS NULL) <> (person_id IS NULL)", name="stakeholder_or_person"),
        UniqueConstraint("activity_id", "stakeholder_id"),
        UniqueConstraint("activity_id", "person_id"),
        Index("ix_participation_activity_id_created_at_id", "activity_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    activity_id: uuid.UUID = Field(foreign_key="activity.id", nullable=False, ondelete="CASCADE")
    stakeholder_id: uuid.UUID | None = Field(default=None, foreign_key="stakeholder.id", ondelete="CASCADE")
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", index=True, ondelete="CASCADE")
    role: ParticipantRole = Field(
        default=ParticipantRole.PARTICIPANT, sa_type=db_enum(ParticipantRole), nullable=False
    )
    attended: bool = Field(default=True, nullable=False)
    # When `attended` was last written: the co-creation policy counts attendance as it stood when a plan
    # went to review, so an absence turned into attendance afterwards does not count for it.
    attendance_recorded_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": func.now()},
    )
    # Published reports name a contributor only with their agreement.
    may_be_named: bool = Field(default=False, nullable=False)


class Input(VersionedEntityBase, table=True):
    """What a participant contributed, and what became of it: "you said, we did"."""

    __tablename__ = "input"
    __table_args__ = (Index("ix_input_activity_id_created_at_id", "activity_id", "created_at", "id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    activity_id: uuid.UUID = Field(foreign_key="activity.id", nullable=False, ondelete="CASCADE")
    participation_id: uuid.UUID = Field(foreign_key="participation.id", nullable=False, ondelete="CASCADE")
    kind: InputKind = Field(sa_type=db_enum(InputKind), nullable=False)
    text: str = Field(sa_type=Text, nullable=False)
    disposition: Disposition = Field(default=Disposition.OPEN, sa_type=db_enum(Disposition), nullable=False)
    reason: str | None = Field(default=None, sa_type=Text)
    response: str | None = Field(default=None, sa_type=Text)
    responded_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # Translations entered by people, stored with the text they translate: language tag → field →
    # {"text", "entered_by_person_id", "entered_at"}. Never machine-made (`app.engagement.translations`).
    translations: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSONB, nullable=False, sa_column_kwargs={"server_default": "{}"}
    )


class InputLink(EntityBase, table=True):
    """Something an input changed: a field of the initiative, or a capacity item."""

    __tablename__ = "input_link"
    __table_args__ = (Index("ix_input_link_input_id_created_at_id", "input_id", "created_at", "id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    input_id: uuid.UUID = Field(foreign_key="input.id", nullable=False, ondelete="CASCADE")
    target: ChangeTarget = Field(sa_type=db_enum(ChangeTarget), nullable=False)
    target_id: uuid.UUID = Field(nullable=False)
    field_name: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, sa_type=Text)
