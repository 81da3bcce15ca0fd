"""People, their logins and roles, and integrators' API clients: who can act in a district."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ARRAY, DateTime, Index, String, UniqueConstraint, text
from sqlmodel import Field

from app.core.models import EntityBase, VersionedEntityBase, change_version_column, db_enum, utcnow


class PersonKind(StrEnum):
    STAFF = "staff"
    FAMILY = "family"
    STUDENT = "student"
    COMMUNITY_MEMBER = "community_member"
    PARTNER = "partner"


class StaffRole(StrEnum):
    """What a member of staff does, in OneRoster's words: set on staff the district's SIS syncs."""

    TEACHER = "teacher"
    ADMINISTRATOR = "administrator"
    AIDE = "aide"


class Role(StrEnum):
    """The roles of domain.md. Granted per district, or per school for the school-level ones."""

    DISTRICT_ADMIN = "district_admin"
    DISTRICT_LEADER = "district_leader"
    SCHOOL_LEADER = "school_leader"
    COACH = "coach"
    TEACHER = "teacher"
    COMMUNITY_MEMBER = "community_member"
    VIEWER = "viewer"


class Person(VersionedEntityBase, table=True):
    """Anyone the work involves: staff, family, community member, partner. Not necessarily a login."""

    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("district_id", "sourced_id"),
        Index("ix_person_district_id_created_at_id", "district_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    display_name: str = Field(max_length=200, nullable=False)
    kind: PersonKind = Field(sa_type=db_enum(PersonKind), nullable=False)
    email: str | None = Field(default=None, max_length=320)
    # The language the person reads and speaks, as a BCP 47 tag (`es`, `vi`, `zh-Hant`).
    preferred_language: str | None = Field(default=None, max_length=35)
    # The person's id in the district's SIS (OneRoster `users.sourcedId`), for roster sync.
    sourced_id: str | None = Field(default=None, max_length=255)
    # Staff synced from the SIS: their OneRoster role, the SIS's `dateLastModified`, and when the SIS
    # marked them `tobedeleted` (the person stays, so history that names them keeps its meaning).
    staff_role: StaffRole | None = Field(default=None, sa_type=db_enum(StaffRole))
    sis_date_last_modified: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    sis_deleted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # What a district uses to see who is missing from its co-creation (see `app.engagement.voices`),
    # with `preferred_language` above.
    neighbourhood: str | None = Field(default=None, max_length=100)
    community_role: str | None = Field(default=None, max_length=100)
    tags: list[str] = Field(
        default_factory=list,
        sa_type=ARRAY(String(64)),
        nullable=False,
        sa_column_kwargs={"server_default": "{}"},
    )
    # The SIS change feed's version of the row (see `change_version_column`).
    change_version: int = change_version_column()


class User(VersionedEntityBase, table=True):
    """A login. One account belongs to one district, and its email is unique within the district.

    Not across the installation: a district admin creating an account must learn nothing about
    other districts' accounts, and a refusal for an email taken elsewhere would tell them it is.
    The password grant names no district, so it tries the password against every account with the
    email (oldest first) and signs in to the one it opens (`app.auth.service.password_grant`).
    """

    __tablename__ = "user_account"
    __table_args__ = (
        Index("uq_user_account_district_id_lower_email", "district_id", text("lower(email)"), unique=True),
        Index("ix_user_account_district_id_created_at_id", "district_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    person_id: uuid.UUID = Field(foreign_key="person.id", nullable=False, unique=True, ondelete="CASCADE")
    email: str = Field(max_length=320, nullable=False)
    password_hash: str = Field(max_length=255, nullable=False)
    is_active: bool = Field(default=True, nullable=False)
    password_changed_at: datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False
    )


class RoleAssignment(EntityBase, table=True):
    """A role granted to a user in a district (school_id null) or at one school."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "school_id", postgresql_nulls_not_distinct=True),
        Index("ix_role_assignment_district_id_created_at_id", "district_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="user_account.id", nullable=False, index=True, ondelete="CASCADE")
    school_id: uuid.UUID | None = Field(default=None, foreign_key="school.id", ondelete="CASCADE")
    role: Role = Field(sa_type=db_enum(Role), nullable=False)


class ApiClient(VersionedEntityBase, table=True):
    """An integrator's machine identity (OAuth 2 client credentials) in one district, with scopes."""

    __tablename__ = "api_client"
    __table_args__ = (Index("ix_api_client_district_id_created_at_id", "district_id", "created_at", "id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    name: str = Field(max_length=200, nullable=False)
    client_id: str = Field(max_length=64, nullable=False, unique=True)
    secret_hash: str = Field(max_length=255, nullable=False)
    scopes: list[str] = Field(sa_type=ARRAY(String(64)), nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
