"""The practice area's tables: the district's catalogue of practices, classroom walkthroughs and
their observations, PDSA cycles, PLC meetings and student feedback (moved out of
`app.monitoring.models`; the table names are those of the migrations).

None of this is evaluation. Who sees what is set in `app.auth.permissions` and enforced by the
services: a teacher's observations and feedback are theirs; leaders see school-level aggregates.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field

from app.core.models import EntityBase, VersionedEntityBase, db_enum


class ImplementationLevel(StrEnum):
    NOT_OBSERVED = "not_observed"
    BEGINNING = "beginning"
    DEVELOPING = "developing"
    PROFICIENT = "proficient"


class SupportNeeded(StrEnum):
    NONE = "none"
    COACHING = "coaching"
    PLC = "plc"
    FEEDBACK = "feedback"


class PdsaDecision(StrEnum):
    ADOPT = "adopt"
    ADAPT = "adapt"
    ABANDON = "abandon"


class Practice(VersionedEntityBase, table=True):
    """An evidence-based instructional practice in the district's catalogue, kept by district leaders.

    Coaching cycles, walkthroughs, PDSA cycles and PLC meetings name a practice from here rather than
    in free text, so the district can see where one practice is learned, tried and observed. A
    practice is retired rather than removed while anything names it.
    """

    __tablename__ = "practice"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    name: str = Field(max_length=200, nullable=False)
    description: str | None = Field(default=None, sa_type=Text)
    # The research or guidance the practice rests on (a citation, a clearinghouse link).
    evidence: str | None = Field(default=None, sa_type=Text)
    retired: bool = Field(default=False, nullable=False)


def practice_reference() -> Any:
    """A nullable reference to the practice catalogue; removing a practice is refused while named."""
    return Field(default=None, foreign_key="practice.id", index=True, ondelete="RESTRICT")


class Walkthrough(VersionedEntityBase, table=True):
    """A walk through classrooms looking for one practice, after the professional learning on it."""

    __tablename__ = "walkthrough"
    __table_args__ = (Index("ix_walkthrough_district_id_created_at_id", "district_id", "created_at", "id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    school_id: uuid.UUID = Field(foreign_key="school.id", nullable=False, index=True, ondelete="CASCADE")
    practice: str = Field(max_length=200, nullable=False)
    practice_id: uuid.UUID | None = practice_reference()
    observed_on: date = Field(nullable=False)
    observer_person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    plan_id: uuid.UUID | None = Field(default=None, foreign_key="plan.id", index=True, ondelete="SET NULL")
    # The professional learning the walkthrough follows up on.
    activity_id: uuid.UUID | None = Field(default=None, foreign_key="activity.id", ondelete="SET NULL")
    notes: str | None = Field(default=None, sa_type=Text)
    # Closing publishes the summary, computed once and kept (`released_summary`), and locks the
    # observations: a classroom added or changed after a read would be the difference of two reads.
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # The level counts of the classrooms that counted when it closed, and whose they were (never
    # returned: it says whether the reader's own classroom is among them).
    released_summary: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    __audit_redacted__ = frozenset({"released_summary"})


class WalkthroughObservation(VersionedEntityBase, table=True):
    """One classroom in a walkthrough: whose, how far the practice is in it, what support would help."""

    __tablename__ = "walkthrough_observation"
    __table_args__ = (
        UniqueConstraint("walkthrough_id", "teacher_person_id"),
        Index(
            "ix_walkthrough_observation_walkthrough_id_created_at_id", "walkthrough_id", "created_at", "id"
        ),
    )

    # The audit trail's readers (district admins) may not read a classroom's level, support or note:
    # the trail says a classroom was recorded, not what was seen in it.
    __audit_redacted__ = frozenset({"level", "support", "note"})

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    walkthrough_id: uuid.UUID = Field(foreign_key="walkthrough.id", nullable=False, ondelete="CASCADE")
    teacher_person_id: uuid.UUID = Field(
        foreign_key="person.id", nullable=False, index=True, ondelete="CASCADE"
    )
    level: ImplementationLevel = Field(sa_type=db_enum(ImplementationLevel), nullable=False)
    support: SupportNeeded = Field(default=SupportNeeded.NONE, sa_type=db_enum(SupportNeeded), nullable=False)
    note: str | None = Field(default=None, sa_type=Text)


class PdsaCycle(VersionedEntityBase, table=True):
    """Plan-do-study-act on a strategy: a small test whose decision can propose a plan revision."""

    __tablename__ = "pdsa_cycle"
    __table_args__ = (Index("ix_pdsa_cycle_strategy_id_created_at_id", "strategy_id", "created_at", "id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    plan_id: uuid.UUID = Field(foreign_key="plan.id", nullable=False, index=True, ondelete="CASCADE")
    strategy_id: uuid.UUID = Field(foreign_key="strategy.id", nullable=False, ondelete="CASCADE")
    practice_id: uuid.UUID | None = practice_reference()
    question: str = Field(sa_type=Text, nullable=False)
    prediction: str = Field(sa_type=Text, nullable=False)
    plan: str = Field(sa_type=Text, nullable=False)
    started_on: date | None = None
    done: str | None = Field(default=None, sa_type=Text)
    results: str | None = Field(default=None, sa_type=Text)
    decision: PdsaDecision | None = Field(default=None, sa_type=db_enum(PdsaDecision))
    decided_on: date | None = None
    # The plan revision the decision proposed, if any.
    revision_id: uuid.UUID | None = Field(default=None, foreign_key="plan_revision.id", ondelete="SET NULL")


class PlcMeeting(VersionedEntityBase, table=True):
    """A professional learning community meeting; its needs reach the leadership team only if shared."""

    __tablename__ = "plc_meeting"
    __table_args__ = (Index("ix_plc_meeting_school_id_created_at_id", "school_id", "created_at", "id"),)
    # District admins read the audit trail but not PLC notes: the trail says a meeting changed, not what
    # the teachers wrote.
    __audit_redacted__ = frozenset({"agenda", "notes", "needs"})

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    school_id: uuid.UUID = Field(foreign_key="school.id", nullable=False, ondelete="CASCADE")
    team: str = Field(max_length=200, nullable=False)
    practice_id: uuid.UUID | None = practice_reference()
    met_on: date = Field(nullable=False)
    agenda: str | None = Field(default=None, sa_type=Text)
    notes: str | None = Field(default=None, sa_type=Text)
    needs: list[str] = Field(default_factory=list, sa_type=ARRAY(String(64)), nullable=False)
    shared_with_leadership: bool = Field(default=False, nullable=False)


class FeedbackResult(EntityBase, table=True):
    """A formative student survey result about one teacher's class. The teacher's own: see the
    monitoring service for who else may ever see it (nobody, unless the teacher shares it)."""

    __tablename__ = "feedback_result"
    __table_args__ = (
        UniqueConstraint("teacher_person_id", "measure", "period"),
        Index("ix_feedback_result_teacher_person_id_created_at_id", "teacher_person_id", "created_at", "id"),
        CheckConstraint("favourable_share >= 0 AND favourable_share <= 1", name="share_in_range"),
        CheckConstraint("respondents >= 0", name="respondents_not_negative"),
    )
    # The audit trail records that a result was written, never the result: its readers are not the teacher.
    __audit_redacted__ = frozenset({"favourable_share", "respondents"})

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    school_id: uuid.UUID = Field(foreign_key="school.id", nullable=False, index=True, ondelete="CASCADE")
    teacher_person_id: uuid.UUID = Field(foreign_key="person.id", nullable=False, ondelete="CASCADE")
    measure: str = Field(max_length=100, nullable=False)
    favourable_share: Decimal = Field(sa_type=Numeric(5, 4), nullable=False)
    respondents: int = Field(nullable=False)
    period: str = Field(max_length=32, nullable=False)
    # Who wrote the result: the teacher's own login, or a survey integration's client. A client never
    # replaces a result it did not write.
    recorded_by_client_id: uuid.UUID | None = Field(
        default=None, foreign_key="api_client.id", ondelete="SET NULL"
    )


class FeedbackShare(EntityBase, table=True):
    """A teacher's choice to let one named person (a coach, say) see their feedback results."""

    __tablename__ = "feedback_share"
    __table_args__ = (UniqueConstraint("teacher_person_id", "person_id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    teacher_person_id: uuid.UUID = Field(
        foreign_key="person.id", nullable=False, index=True, ondelete="CASCADE"
    )
    person_id: uuid.UUID = Field(foreign_key="person.id", nullable=False, index=True, ondelete="CASCADE")
