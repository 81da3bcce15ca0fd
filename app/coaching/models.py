"""Coaching cycles: a teacher and a coach around one practice of the district's catalogue.

"When teachers co-construct goals with their coach": the goal is co-written (the teacher agrees to
it), the sessions are scheduled (plan, observe, debrief), walkthrough observations of the teacher's
classroom are linked with whether the support they called for was given, and the teacher writes their
own reflection. A cycle is private to its teacher and coach unless the teacher shares it
(`CoachingShare`); leaders see released counts only (`app.coaching.service`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field

from app.core.models import EntityBase, VersionedEntityBase, db_enum


class CoachingStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"


class CoachingSessionKind(StrEnum):
    PLAN = "plan"
    OBSERVE = "observe"
    DEBRIEF = "debrief"


class CoachingCycle(VersionedEntityBase, table=True):
    """One teacher, one coach, one practice, one named period (a term or a school year)."""

    __tablename__ = "coaching_cycle"
    __table_args__ = (
        Index("ix_coaching_cycle_district_id_created_at_id", "district_id", "created_at", "id"),
        CheckConstraint("teacher_person_id <> coach_person_id", name="coach_is_not_teacher"),
    )
    # The audit trail's readers (district admins) are not party to the cycle: it records that a cycle
    # changed, never what the teacher and coach wrote.
    __audit_redacted__ = frozenset({"goal", "reflection"})

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    school_id: uuid.UUID = Field(foreign_key="school.id", nullable=False, index=True, ondelete="CASCADE")
    teacher_person_id: uuid.UUID = Field(
        foreign_key="person.id", nullable=False, index=True, ondelete="CASCADE"
    )
    coach_person_id: uuid.UUID = Field(
        foreign_key="person.id", nullable=False, index=True, ondelete="CASCADE"
    )
    practice_id: uuid.UUID = Field(foreign_key="practice.id", nullable=False, index=True, ondelete="RESTRICT")
    period: str = Field(max_length=32, nullable=False)
    goal: str | None = Field(default=None, sa_type=Text)
    # Set when the teacher agrees to the goal as written; any later change to the goal clears it.
    goal_agreed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    reflection: str | None = Field(default=None, sa_type=Text)
    status: CoachingStatus = Field(
        default=CoachingStatus.ACTIVE, sa_type=db_enum(CoachingStatus), nullable=False
    )


class CoachingSession(EntityBase, table=True):
    """A scheduled meeting of the cycle: planning, an observation in class, or a debrief."""

    __tablename__ = "coaching_session"
    __table_args__ = (
        Index("ix_coaching_session_cycle_id_starts_at", "cycle_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )
    __audit_redacted__ = frozenset({"notes"})

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    cycle_id: uuid.UUID = Field(foreign_key="coaching_cycle.id", nullable=False, ondelete="CASCADE")
    kind: CoachingSessionKind = Field(sa_type=db_enum(CoachingSessionKind), nullable=False)
    starts_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    ends_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    notes: str | None = Field(default=None, sa_type=Text)


class CoachingObservation(VersionedEntityBase, table=True):
    """A walkthrough observation of the teacher's classroom, linked into the cycle, with whether the
    support it said was needed was given."""

    __tablename__ = "coaching_observation"
    __table_args__ = (UniqueConstraint("cycle_id", "observation_id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    cycle_id: uuid.UUID = Field(
        foreign_key="coaching_cycle.id", nullable=False, index=True, ondelete="CASCADE"
    )
    observation_id: uuid.UUID = Field(
        foreign_key="walkthrough_observation.id", nullable=False, ondelete="CASCADE"
    )
    support_given: bool = Field(default=False, nullable=False)


class CoachingShare(EntityBase, table=True):
    """The teacher's choice to let one named person read a cycle (a school leader, a mentor)."""

    __tablename__ = "coaching_share"
    __table_args__ = (UniqueConstraint("cycle_id", "person_id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    cycle_id: uuid.UUID = Field(foreign_key="coaching_cycle.id", nullable=False, ondelete="CASCADE")
    person_id: uuid.UUID = Field(foreign_key="person.id", nullable=False, index=True, ondelete="CASCADE")
