"""SIS sync: the roster and behaviour data a district's student information system pushes in.

Every row is keyed by `(district_id, sourced_id)`, the SIS's own OneRoster 1.2 `sourcedId`, so a sync
script upserts without knowing our ids and a client of one district can never reach another's rows by
guessing. Students are pseudonymous: no column here holds a student's name, whatever a feed sends.

Schools and staff are the service's own `School` and `Person` rows (matched by `sourced_id`); the tables
here hold what only the SIS knows. A OneRoster `status=tobedeleted` sets `deleted_at` (a soft delete:
history and analytics keep their meaning, and the change feed can report it); `dateLastModified` is kept
as the SIS sent it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, LargeBinary, SmallInteger, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from app.core.models import EntityBase, change_version_column, db_enum


class EnrollmentRole(StrEnum):
    """A person's part in a class (OneRoster `enrollments.role`)."""

    STUDENT = "student"
    TEACHER = "teacher"
    AIDE = "aide"
    ADMINISTRATOR = "administrator"
    PROCTOR = "proctor"


class SupportDomain(StrEnum):
    """What a tier of support is about (MTSS: behaviour and academics are tiered separately)."""

    BEHAVIOR = "behavior"
    ACADEMIC = "academic"


class ReferralSeverity(StrEnum):
    """PBIS's split: a minor referral is handled in the classroom, a major one by the office."""

    MINOR = "minor"
    MAJOR = "major"


class SyncSource(StrEnum):
    BULK_API = "bulk_api"
    ONEROSTER_CSV = "oneroster_csv"


class SyncRunStatus(StrEnum):
    # Every record applied (or was already as sent).
    APPLIED = "applied"
    # `partial=true`: the valid records applied, the rejected ones are listed.
    PARTIALLY_APPLIED = "partially_applied"
    # Nothing applied: a record (or the bundle itself) was invalid and the caller did not ask for partial.
    REJECTED = "rejected"


class SisRecord(EntityBase):
    """What every SIS-owned row has: its district, its sourcedId, and the SIS's own bookkeeping."""

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    sourced_id: str = Field(max_length=255, nullable=False)
    date_last_modified: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # Set when the SIS sends `status=tobedeleted` (or a bulk import archives a missing record).
    deleted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # The id of the transaction that last wrote the row (see `change_version_column`).
    change_version: int = change_version_column()
    # The OneRoster CSV import's digest of the record it last wrote here (`app.sis.oneroster`): a line
    # of a later import with the same digest is known unchanged without being parsed or validated.
    # Null when the row was last written otherwise (the JSON sync API).
    sis_hash: bytes | None = Field(default=None, sa_type=LargeBinary)


class Student(SisRecord, table=True):
    """A student, pseudonymous by design: the sourcedId, the school, the grade. Never a name."""

    __tablename__ = "student"
    __table_args__ = (
        UniqueConstraint("district_id", "sourced_id"),
        Index("ix_student_district_id_created_at_id", "district_id", "created_at", "id"),
        Index("ix_student_district_id_deleted_at", "district_id", "deleted_at"),
        Index("ix_student_district_id_change_version", "district_id", "change_version"),
    )

    school_id: uuid.UUID = Field(foreign_key="school.id", nullable=False, index=True, ondelete="CASCADE")
    # OneRoster / CEDS grade code (`KG`, `01` … `12`, …).
    grade: str | None = Field(default=None, max_length=8)


class Section(SisRecord, table=True):
    """A class (OneRoster `classes`): one group of students with its teachers, at one school."""

    __tablename__ = "section"
    __table_args__ = (
        UniqueConstraint("district_id", "sourced_id"),
        Index("ix_section_district_id_created_at_id", "district_id", "created_at", "id"),
        Index("ix_section_district_id_deleted_at", "district_id", "deleted_at"),
        Index("ix_section_district_id_change_version", "district_id", "change_version"),
    )

    school_id: uuid.UUID = Field(foreign_key="school.id", nullable=False, index=True, ondelete="CASCADE")
    title: str = Field(max_length=200, nullable=False)
    class_code: str | None = Field(default=None, max_length=64)


class Enrollment(SisRecord, table=True):
    """A student or a member of staff in a class, with their part in it."""

    __tablename__ = "enrollment"
    __table_args__ = (
        UniqueConstraint("district_id", "sourced_id"),
        Index("ix_enrollment_district_id_created_at_id", "district_id", "created_at", "id"),
        Index("ix_enrollment_district_id_deleted_at", "district_id", "deleted_at"),
        Index("ix_enrollment_district_id_change_version", "district_id", "change_version"),
        CheckConstraint("(student_id IS NULL) <> (person_id IS NULL)", name="student_or_staff"),
        CheckConstraint(
            "end_date IS NULL OR begin_date IS NULL OR end_date >= begin_date", name="dates_in_order"
        ),
    )

    school_id: uuid.UUID = Field(foreign_key="school.id", nullable=False, ondelete="CASCADE")
    section_id: uuid.UUID = Field(foreign_key="section.id", nullable=False, index=True, ondelete="CASCADE")
    student_id: uuid.UUID | None = Field(
        default=None, foreign_key="student.id", index=True, ondelete="CASCADE"
    )
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", index=True, ondelete="CASCADE")
    role: EnrollmentRole = Field(sa_type=db_enum(EnrollmentRole), nullable=False)
    is_primary: bool = Field(default=False, nullable=False)
    begin_date: date | None = None
    end_date: date | None = None


class BehaviorReferral(SisRecord, table=True):
    """One behaviour referral: which student, where, reported by whom, when, what kind, how serious."""

    __tablename__ = "behavior_referral"
    __table_args__ = (
        UniqueConstraint("district_id", "sourced_id"),
        Index("ix_behavior_referral_district_id_created_at_id", "district_id", "created_at", "id"),
        Index("ix_behavior_referral_district_id_deleted_at", "district_id", "deleted_at"),
        Index("ix_behavior_referral_district_id_change_version", "district_id", "change_version"),
        Index("ix_behavior_referral_school_id_occurred_on", "school_id", "occurred_on"),
    )

    school_id: uuid.UUID = Field(foreign_key="school.id", nullable=False, ondelete="CASCADE")
    student_id: uuid.UUID = Field(foreign_key="student.id", nullable=False, index=True, ondelete="CASCADE")
    # The member of staff who reported it (null when the SIS does not say).
    reporter_person_id: uuid.UUID | None = Field(
        default=None, foreign_key="person.id", index=True, ondelete="SET NULL"
    )
    occurred_on: date = Field(nullable=False)
    # The district's own behaviour code ("disruption", "defiance", …).
    category: str = Field(max_length=64, nullable=False)
    severity: ReferralSeverity = Field(sa_type=db_enum(ReferralSeverity), nullable=False)


class TierAssignment(SisRecord, table=True):
    """A student's tier of support (1 universal, 2 targeted, 3 intensive) in one domain, over a span."""

    __tablename__ = "tier_assignment"
    __table_args__ = (
        UniqueConstraint("district_id", "sourced_id"),
        Index("ix_tier_assignment_district_id_created_at_id", "district_id", "created_at", "id"),
        Index("ix_tier_assignment_district_id_deleted_at", "district_id", "deleted_at"),
        Index("ix_tier_assignment_district_id_change_version", "district_id", "change_version"),
        CheckConstraint("tier BETWEEN 1 AND 3", name="tier_range"),
        CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="effective_dates_in_order"
        ),
    )

    student_id: uuid.UUID = Field(foreign_key="student.id", nullable=False, index=True, ondelete="CASCADE")
    domain: SupportDomain = Field(sa_type=db_enum(SupportDomain), nullable=False)
    tier: int = Field(sa_type=SmallInteger, nullable=False)
    effective_from: date = Field(nullable=False)
    effective_to: date | None = None


class SyncRun(EntityBase, table=True):
    """One sync: who ran it, from where, when, what it did and which records it refused.

    `counts` breaks the totals down per entity (`{"students": {"created": 3, …}}`); `errors` keeps the
    first rejected records (row, field, message), `error_count` how many there were in all. A bulk
    write leaves this row (and its audit event) rather than one audit event per record.
    """

    __tablename__ = "sync_run"
    __table_args__ = (Index("ix_sync_run_district_id_created_at_id", "district_id", "created_at", "id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    source: SyncSource = Field(sa_type=db_enum(SyncSource), nullable=False)
    # `students`, `enrollments`, … for a bulk call; null for a OneRoster bundle (see `counts`).
    entity: str | None = Field(default=None, max_length=32)
    status: SyncRunStatus = Field(sa_type=db_enum(SyncRunStatus), nullable=False)
    partial: bool = Field(default=False, nullable=False)
    archive_missing: bool = Field(default=False, nullable=False)
    actor_kind: str = Field(max_length=16, nullable=False)
    actor_id: uuid.UUID | None = Field(default=None)
    actor_label: str | None = Field(default=None, max_length=320)
    started_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    finished_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    received: int = Field(default=0, nullable=False)
    created: int = Field(default=0, nullable=False)
    updated: int = Field(default=0, nullable=False)
    unchanged: int = Field(default=0, nullable=False)
    deleted: int = Field(default=0, nullable=False)
    rejected: int = Field(default=0, nullable=False)
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB, nullable=False)
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB, nullable=False)
    error_count: int = Field(default=0, nullable=False)
