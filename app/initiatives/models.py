"""The strategic triangle and the authorizing environment.

An Initiative holds three corners together: public value (its statement and the indicators that
measure it), organizational capacity (capacity items) and legitimacy and support (the stakeholders of
its authorizing environment, each placed with power, interest, stance and participation level).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field

from app.core.models import EntityBase, VersionedEntityBase, db_enum


class Stage(StrEnum):
    EXPLORING = "exploring"
    CO_DESIGNING = "co_designing"
    APPROVED = "approved"
    IMPLEMENTING = "implementing"
    SUSTAINING = "sustaining"
    RETIRED = "retired"


# Where an initiative may go from each stage. Forward one step; back to design when what was learned
# calls for it; retire from anywhere; nothing comes back from retirement.
STAGE_TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.EXPLORING: frozenset({Stage.CO_DESIGNING, Stage.RETIRED}),
    Stage.CO_DESIGNING: frozenset({Stage.EXPLORING, Stage.APPROVED, Stage.RETIRED}),
    Stage.APPROVED: frozenset({Stage.CO_DESIGNING, Stage.IMPLEMENTING, Stage.RETIRED}),
    Stage.IMPLEMENTING: frozenset({Stage.CO_DESIGNING, Stage.SUSTAINING, Stage.RETIRED}),
    Stage.SUSTAINING: frozenset({Stage.IMPLEMENTING, Stage.RETIRED}),
    Stage.RETIRED: frozenset(),
}


class IndicatorKind(StrEnum):
    IMPLEMENTATION = "implementation"
    OUTCOME = "outcome"
    PERCEPTION = "perception"
    PROCESS = "process"


class Direction(StrEnum):
    """Which way is better."""

    INCREASE = "increase"
    DECREASE = "decrease"
    MAINTAIN = "maintain"


class CapacityCategory(StrEnum):
    PEOPLE = "people"
    STRUCTURES = "structures"
    SYSTEMS = "systems"
    SKILLS = "skills"
    RESOURCES = "resources"


class CapacityStatus(StrEnum):
    MISSING = "missing"
    BUILDING = "building"
    IN_PLACE = "in_place"


class StakeholderCategory(StrEnum):
    FAMILY = "family"
    STUDENT = "student"
    TEACHER = "teacher"
    UNION = "union"
    BOARD = "board"
    COMMUNITY_ORGANIZATION = "community_organization"
    DISTRICT_OFFICE = "district_office"
    SCHOOL_LEADERSHIP = "school_leadership"
    CHARTER_OFFICE = "charter_office"
    BUSINESS = "business"
    HIGHER_EDUCATION = "higher_education"
    OTHER = "other"


class Stance(StrEnum):
    OPPOSED = "opposed"
    SKEPTICAL = "skeptical"
    NEUTRAL = "neutral"
    SUPPORTIVE = "supportive"
    CHAMPION = "champion"


# Stances in order, so "moving down" has a meaning.
STANCE_ORDER = [Stance.OPPOSED, Stance.SKEPTICAL, Stance.NEUTRAL, Stance.SUPPORTIVE, Stance.CHAMPION]


class ParticipationLevel(StrEnum):
    """The IAP2 spectrum of public participation, in order of increasing influence."""

    INFORM = "inform"
    CONSULT = "consult"
    INVOLVE = "involve"
    COLLABORATE = "collaborate"
    EMPOWER = "empower"


PARTICIPATION_ORDER = list(ParticipationLevel)


class Initiative(VersionedEntityBase, table=True):
    """A strategic-triangle initiative of the district (school_id null) or of one school."""

    __tablename__ = "initiative"
    __table_args__ = (
        Index("ix_initiative_district_id_created_at_id", "district_id", "created_at", "id"),
        CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates_in_order"
        ),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    school_id: uuid.UUID | None = Field(default=None, foreign_key="school.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200, nullable=False)
    summary: str | None = Field(default=None, sa_type=Text)
    public_value: str = Field(sa_type=Text, nullable=False)
    beneficiaries: str | None = Field(default=None, sa_type=Text)
    stage: Stage = Field(default=Stage.EXPLORING, sa_type=db_enum(Stage), nullable=False)
    owner_person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    starts_on: date | None = None
    ends_on: date | None = None
    published: bool = Field(default=False, nullable=False)


class Indicator(VersionedEntityBase, table=True):
    """A measure: what is counted, in which unit, which way is better, from where to where by when.

    General on purpose: an initiative's value measures today, plan goals and progress monitoring later
    (`initiative_id` is then null and the owner refers to the indicator instead).
    """

    __tablename__ = "indicator"
    __table_args__ = (Index("ix_indicator_initiative_id_created_at_id", "initiative_id", "created_at", "id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    school_id: uuid.UUID | None = Field(default=None, foreign_key="school.id", ondelete="CASCADE")
    initiative_id: uuid.UUID | None = Field(default=None, foreign_key="initiative.id", ondelete="CASCADE")
    name: str = Field(max_length=200, nullable=False)
    kind: IndicatorKind = Field(default=IndicatorKind.OUTCOME, sa_type=db_enum(IndicatorKind), nullable=False)
    unit: str = Field(max_length=50, nullable=False)
    direction: Direction = Field(sa_type=db_enum(Direction), nullable=False)
    baseline_value: Decimal | None = Field(default=None, sa_type=Numeric(14, 4))
    baseline_date: date | None = None
    target_value: Decimal | None = Field(default=None, sa_type=Numeric(14, 4))
    target_date: date | None = None
    # Measured by student feedback: the survey measure whose released school aggregate it reads.
    feedback_measure: str | None = Field(default=None, max_length=100)


class CapacityItem(VersionedEntityBase, table=True):
    """Something the initiative needs in order to deliver its value: people, structures, systems, skills
    or resources, and how far it is in place."""

    __tablename__ = "capacity_item"
    __table_args__ = (
        Index("ix_capacity_item_initiative_id_created_at_id", "initiative_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    initiative_id: uuid.UUID = Field(foreign_key="initiative.id", nullable=False, ondelete="CASCADE")
    category: CapacityCategory = Field(sa_type=db_enum(CapacityCategory), nullable=False)
    description: str = Field(sa_type=Text, nullable=False)
    status: CapacityStatus = Field(
        default=CapacityStatus.MISSING, sa_type=db_enum(CapacityStatus), nullable=False
    )
    owner_person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")


class Stakeholder(VersionedEntityBase, table=True):
    """A member of the district's authorizing environment: a person, or a group or body (a board, a
    union, a parent association). Placed per initiative by `InitiativeStakeholder`."""

    __tablename__ = "stakeholder"
    __table_args__ = (Index("ix_stakeholder_district_id_created_at_id", "district_id", "created_at", "id"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    name: str = Field(max_length=200, nullable=False)
    category: StakeholderCategory = Field(sa_type=db_enum(StakeholderCategory), nullable=False)
    is_group: bool = Field(default=False, nullable=False)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    formal_authority: bool = Field(default=False, nullable=False)
    description: str | None = Field(default=None, sa_type=Text)
    # The language the stakeholder (a person, or a group's members) is best reached in, as a BCP 47 tag.
    preferred_language: str | None = Field(default=None, max_length=35)
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


class InitiativeStakeholder(VersionedEntityBase, table=True):
    """A stakeholder's place in one initiative's authorizing environment."""

    __tablename__ = "initiative_stakeholder"
    __table_args__ = (
        UniqueConstraint("initiative_id", "stakeholder_id"),
        CheckConstraint("power BETWEEN 1 AND 5", name="power_range"),
        CheckConstraint("interest BETWEEN 1 AND 5", name="interest_range"),
        Index("ix_initiative_stakeholder_initiative_id_created_at_id", "initiative_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    initiative_id: uuid.UUID = Field(foreign_key="initiative.id", nullable=False, ondelete="CASCADE")
    stakeholder_id: uuid.UUID = Field(
        foreign_key="stakeholder.id", nullable=False, index=True, ondelete="CASCADE"
    )
    power: int = Field(nullable=False)
    interest: int = Field(nullable=False)
    stance: Stance = Field(sa_type=db_enum(Stance), nullable=False)
    participation_level: ParticipationLevel = Field(
        default=ParticipationLevel.INFORM, sa_type=db_enum(ParticipationLevel), nullable=False
    )
    key_authorizer: bool = Field(default=False, nullable=False)


class StanceChange(EntityBase, table=True):
    """One change of a stakeholder's stance on an initiative, kept forever with the evidence behind it.
    The first entry (from_stance null) is the stance recorded when the stakeholder was placed."""

    __tablename__ = "stance_change"
    __table_args__ = (
        Index("ix_stance_change_placement_created_at_id", "initiative_stakeholder_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    initiative_stakeholder_id: uuid.UUID = Field(
        foreign_key="initiative_stakeholder.id", nullable=False, ondelete="CASCADE"
    )
    from_stance: Stance | None = Field(default=None, sa_type=db_enum(Stance))
    to_stance: Stance = Field(sa_type=db_enum(Stance), nullable=False)
    evidence: str | None = Field(default=None, sa_type=Text)
    # Activities arrive with co-creation; the id is kept now so history written today can point at one.
    activity_id: uuid.UUID | None = None
    recorded_by_kind: str = Field(max_length=16, nullable=False)
    recorded_by_id: uuid.UUID | None = None
    recorded_by_label: str | None = Field(default=None, max_length=320)


class StageChange(EntityBase, table=True):
    """One move of an initiative from a stage to another: who moved it, and when (`created_at`).

    The first entry (from_stage null) is the stage the initiative was started at. Kept forever: dates
    decide sequence, so co-creation counts for a stage only if it was held, and recorded, before the
    initiative entered that stage (see `app.engagement.findings`)."""

    __tablename__ = "stage_change"
    __table_args__ = (
        Index("ix_stage_change_initiative_id_created_at_id", "initiative_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    initiative_id: uuid.UUID = Field(foreign_key="initiative.id", nullable=False, ondelete="CASCADE")
    from_stage: Stage | None = Field(default=None, sa_type=db_enum(Stage))
    to_stage: Stage = Field(sa_type=db_enum(Stage), nullable=False)
    changed_by_kind: str = Field(max_length=16, nullable=False)
    changed_by_id: uuid.UUID | None = None
    changed_by_label: str | None = Field(default=None, max_length=320)
