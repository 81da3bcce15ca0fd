"""Districts and schools: the tenants every other row belongs to."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, Index, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field

from app.core.models import VersionedEntityBase, change_version_column

DEFAULT_MIN_CELL_SIZE = 10
DEFAULT_ENGAGEMENT_LAPSE_DAYS = 60


class Voice(StrEnum):
    """A group whose voice a plan's co-creation record must include before the plan goes to review."""

    TEACHERS = "teachers"
    FAMILIES = "families"
    COMMUNITY = "community"
    FAMILIES_OR_COMMUNITY = "families_or_community"
    STUDENTS = "students"
    SCHOOL_LEADERS = "school_leaders"


class GroupDimension(StrEnum):
    """What an expected group is defined by: a stakeholder category, a kind of person, or one of the
    attributes stakeholders and people carry."""

    CATEGORY = "category"
    PERSON_KIND = "person_kind"
    PREFERRED_LANGUAGE = "preferred_language"
    NEIGHBOURHOOD = "neighbourhood"
    COMMUNITY_ROLE = "community_role"
    TAG = "tag"


# The default co-creation policy for plans: teachers took part in shaping every plan, and families or
# the community in shaping the district's.
DEFAULT_SCHOOL_PLAN_VOICES = [Voice.TEACHERS]
DEFAULT_DISTRICT_PLAN_VOICES = [Voice.TEACHERS, Voice.FAMILIES_OR_COMMUNITY]


class District(VersionedEntityBase, table=True):
    """A school district: the tenant. Nothing is ever visible across districts."""

    __tablename__ = "district"
    __table_args__ = (
        # Names are unique regardless of case: "Riverside USD" and "riverside usd" are one district.
        Index("uq_district_lower_name", text("lower(name)"), unique=True),
        CheckConstraint("min_cell_size >= 10", name="min_cell_size_floor"),
        CheckConstraint("min_teachers >= 3", name="min_teachers_floor"),
        CheckConstraint("min_classrooms >= 3", name="min_classrooms_floor"),
        CheckConstraint("engagement_lapse_days >= 1", name="engagement_lapse_days_positive"),
        CheckConstraint("plan_min_co_creation >= 0", name="plan_min_co_creation_not_negative"),
    )

    name: str = Field(max_length=200, nullable=False)
    timezone: str = Field(default="UTC", max_length=64, nullable=False)
    # Small-cell suppression: aggregates about fewer students than this are never shown.
    min_cell_size: int = Field(default=DEFAULT_MIN_CELL_SIZE, nullable=False)
    # A feedback aggregate of fewer teachers, or a walkthrough summary of fewer classrooms, describes
    # one or two people. Like the minimum n, these only rise (`app.tenancy.service.update_district`).
    min_teachers: int = Field(default=3, nullable=False, sa_column_kwargs={"server_default": "3"})
    min_classrooms: int = Field(default=3, nullable=False, sa_column_kwargs={"server_default": "3"})
    sourced_id: str | None = Field(default=None, max_length=255, unique=True)
    # How long co-production may lapse, or an input wait for an answer, before the triangle says so.
    engagement_lapse_days: int = Field(
        default=DEFAULT_ENGAGEMENT_LAPSE_DAYS,
        nullable=False,
        sa_column_kwargs={"server_default": str(DEFAULT_ENGAGEMENT_LAPSE_DAYS)},
    )
    # The co-creation policy a plan must meet before review: how many co-creation activities linked to
    # the plan (or its initiative) were held, and whose voices attended them.
    plan_min_co_creation: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})
    school_plan_voices: list[str] = Field(
        default_factory=lambda: [v.value for v in DEFAULT_SCHOOL_PLAN_VOICES],
        sa_type=ARRAY(String(32)),
        nullable=False,
        sa_column_kwargs={"server_default": "{teachers}"},
    )
    district_plan_voices: list[str] = Field(
        default_factory=lambda: [v.value for v in DEFAULT_DISTRICT_PLAN_VOICES],
        sa_type=ARRAY(String(32)),
        nullable=False,
        sa_column_kwargs={"server_default": "{teachers,families_or_community}"},
    )
    # Separation of duties: a plan is approved by someone other than its lead.
    separate_plan_approval: bool = Field(
        default=True, nullable=False, sa_column_kwargs={"server_default": "true"}
    )
    # The groups the district expects to hear from, as {"dimension": GroupDimension, "value": str}:
    # representation says, for each, whether it was heard (see `app.engagement.voices`).
    expected_groups: list[dict[str, str]] = Field(
        default_factory=list, sa_type=JSONB, nullable=False, sa_column_kwargs={"server_default": "[]"}
    )


class School(VersionedEntityBase, table=True):
    """A school of one district. School-scoped roles see only their school's unpublished work."""

    __tablename__ = "school"
    __table_args__ = (
        UniqueConstraint("district_id", "sourced_id"),
        Index("uq_school_district_id_lower_name", "district_id", text("lower(name)"), unique=True),
        Index("ix_school_district_id_created_at_id", "district_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    name: str = Field(max_length=200, nullable=False)
    # The school's id in the district's SIS (OneRoster `orgs.sourcedId`), for roster sync.
    sourced_id: str | None = Field(default=None, max_length=255)
    grade_low: str | None = Field(default=None, max_length=8)
    grade_high: str | None = Field(default=None, max_length=8)
    # Set by SIS sync: the SIS's `dateLastModified`, and when it marked the school `tobedeleted`.
    sis_date_last_modified: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    sis_deleted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # The SIS change feed's version of the row (see `change_version_column`).
    change_version: int = change_version_column()
