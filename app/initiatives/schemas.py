"""Request and response models for initiatives, their measures, capacity and authorizing environment."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from app.core.languages import LanguageTag
from app.core.schemas import (
    CommunityRole,
    DecimalNumber,
    EntityPublic,
    Name,
    Neighbourhood,
    Prose,
    PublicModel,
    RequestModel,
    Tags,
    Title,
    UpdateModel,
    VersionedEntityPublic,
)
from app.initiatives.models import (
    CapacityCategory,
    CapacityStatus,
    Direction,
    IndicatorKind,
    ParticipationLevel,
    Stage,
    Stakeholder,
    StakeholderCategory,
    Stance,
)

Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Score = Annotated[int, Field(ge=1, le=5, description="1 (low) to 5 (high).")]
Measure = Annotated[DecimalNumber, Field(max_digits=14, decimal_places=4)]


# --- initiatives ------------------------------------------------------------------------------------


class InitiativeCreate(RequestModel):
    title: Title
    public_value: Prose = Field(description="The benefit to the community, in the community's words.")
    summary: Prose | None = None
    beneficiaries: Prose | None = Field(default=None, description="Who the public value is for.")
    school_id: uuid.UUID | None = Field(default=None, description="Null for a district initiative.")
    owner_person_id: uuid.UUID | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    published: bool = False


class InitiativeUpdate(UpdateModel):
    title: Title = None  # type: ignore[assignment]
    public_value: Prose = None  # type: ignore[assignment]
    summary: Prose | None = None
    beneficiaries: Prose | None = None
    stage: Stage = Field(
        default=None,  # type: ignore[assignment]
        description="Moves along exploring → co_designing → approved → implementing → sustaining; "
        "back to co_designing when needed; retired from anywhere. Approving needs the approve right.",
    )
    owner_person_id: uuid.UUID | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    published: bool = None  # type: ignore[assignment]


class InitiativePublic(VersionedEntityPublic):
    district_id: uuid.UUID
    school_id: uuid.UUID | None
    title: str
    summary: str | None
    public_value: str
    beneficiaries: str | None
    stage: Stage
    owner_person_id: uuid.UUID | None
    starts_on: date | None
    ends_on: date | None
    published: bool


# --- value measures ---------------------------------------------------------------------------------


FeedbackMeasure = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(
        description="For a measure taken by student feedback: the survey measure (as feedback results "
        "name it) whose released school aggregate a plan's dashboard reads for it."
    ),
]


class IndicatorCreate(RequestModel):
    name: Name
    kind: IndicatorKind = IndicatorKind.OUTCOME
    unit: Unit = Field(examples=["% of students", "count"])
    direction: Direction
    baseline_value: Measure | None = None
    baseline_date: date | None = None
    target_value: Measure | None = None
    target_date: date | None = None
    feedback_measure: FeedbackMeasure | None = None


class IndicatorUpdate(UpdateModel):
    name: Name = None  # type: ignore[assignment]
    kind: IndicatorKind = None  # type: ignore[assignment]
    unit: Unit = None  # type: ignore[assignment]
    direction: Direction = None  # type: ignore[assignment]
    baseline_value: Measure | None = None
    baseline_date: date | None = None
    target_value: Measure | None = None
    target_date: date | None = None
    feedback_measure: FeedbackMeasure | None = None


class IndicatorPublic(VersionedEntityPublic):
    district_id: uuid.UUID
    initiative_id: uuid.UUID | None
    name: str
    kind: IndicatorKind
    unit: str
    direction: Direction
    baseline_value: DecimalNumber | None
    baseline_date: date | None
    target_value: DecimalNumber | None
    target_date: date | None
    feedback_measure: str | None = Field(
        description="Measured by student feedback: the survey measure whose released aggregate it reads."
    )


# --- capacity ---------------------------------------------------------------------------------------


class CapacityItemCreate(RequestModel):
    category: CapacityCategory
    description: Prose
    status: CapacityStatus = CapacityStatus.MISSING
    owner_person_id: uuid.UUID | None = None


class CapacityItemUpdate(UpdateModel):
    category: CapacityCategory = None  # type: ignore[assignment]
    description: Prose = None  # type: ignore[assignment]
    status: CapacityStatus = None  # type: ignore[assignment]
    owner_person_id: uuid.UUID | None = None


class CapacityItemPublic(VersionedEntityPublic):
    district_id: uuid.UUID
    initiative_id: uuid.UUID
    category: CapacityCategory
    description: str
    status: CapacityStatus
    owner_person_id: uuid.UUID | None


# --- stakeholders -----------------------------------------------------------------------------------


class StakeholderCreate(RequestModel):
    name: Name
    category: StakeholderCategory
    is_group: bool = Field(
        default=False, description="A group or body (a board, a union) rather than a person."
    )
    person_id: uuid.UUID | None = None
    formal_authority: bool = Field(default=False, description="Can formally approve or block initiatives.")
    description: Prose | None = None
    preferred_language: LanguageTag | None = Field(
        default=None, description="A BCP 47 tag (`es`, `vi`, `zh-Hant`): the language to reach them in."
    )
    neighbourhood: Neighbourhood | None = None
    community_role: CommunityRole | None = None
    tags: Tags = []


class StakeholderUpdate(UpdateModel):
    name: Name = None  # type: ignore[assignment]
    category: StakeholderCategory = None  # type: ignore[assignment]
    is_group: bool = None  # type: ignore[assignment]
    person_id: uuid.UUID | None = None
    formal_authority: bool = None  # type: ignore[assignment]
    description: Prose | None = None
    preferred_language: LanguageTag | None = None
    neighbourhood: Neighbourhood | None = None
    community_role: CommunityRole | None = None
    tags: Tags = None  # type: ignore[assignment]


class StakeholderPublic(VersionedEntityPublic):
    district_id: uuid.UUID
    name: str
    category: StakeholderCategory
    is_group: bool
    person_id: uuid.UUID | None
    formal_authority: bool
    description: str | None
    preferred_language: str | None
    neighbourhood: str | None
    community_role: str | None
    tags: list[str]


class PlacementCreate(RequestModel):
    """Place a stakeholder in an initiative's authorizing environment."""

    stakeholder_id: uuid.UUID
    power: Score
    interest: Score
    stance: Stance
    participation_level: ParticipationLevel = ParticipationLevel.INFORM
    key_authorizer: bool = False
    evidence: Prose | None = Field(default=None, description="What the recorded stance is based on.")


class PlacementUpdate(UpdateModel):
    power: Score = None  # type: ignore[assignment]
    interest: Score = None  # type: ignore[assignment]
    stance: Stance = None  # type: ignore[assignment]
    participation_level: ParticipationLevel = None  # type: ignore[assignment]
    key_authorizer: bool = None  # type: ignore[assignment]
    evidence: Prose | None = Field(
        default=None, description="With a stance change: what it is based on (kept in the stance history)."
    )

    def changes(self) -> dict[str, object]:
        return self.model_dump(exclude_unset=True, exclude={"evidence"})


class StanceChangePublic(EntityPublic):
    from_stance: Stance | None
    to_stance: Stance
    evidence: str | None
    activity_id: uuid.UUID | None
    recorded_by_kind: str
    recorded_by_id: uuid.UUID | None
    recorded_by_label: str | None


class StageChangePublic(EntityPublic):
    """One move of an initiative between stages; `created_at` is when it was moved."""

    initiative_id: uuid.UUID
    from_stage: Stage | None = Field(description="Null on the first entry: the stage it was started at.")
    to_stage: Stage
    changed_by_kind: str
    changed_by_id: uuid.UUID | None
    changed_by_label: str | None


class PlacementPublic(VersionedEntityPublic):
    district_id: uuid.UUID
    initiative_id: uuid.UUID
    stakeholder_id: uuid.UUID
    power: int
    interest: int
    stance: Stance
    participation_level: ParticipationLevel
    key_authorizer: bool


# --- the map and the triangle ------------------------------------------------------------------------

Quadrant = Literal["key_players", "keep_satisfied", "keep_informed", "monitor"]


class MapEntry(PublicModel):
    placement_id: uuid.UUID
    stakeholder: StakeholderPublic
    power: int
    interest: int
    quadrant: Quadrant
    stance: Stance
    participation_level: ParticipationLevel
    key_authorizer: bool


class AuthorizingEnvironmentMap(PublicModel):
    """Stakeholders on the power/interest grid (power and interest of 3 or more count as high)."""

    initiative_id: uuid.UUID
    quadrants: dict[Quadrant, list[MapEntry]]
    stance_counts: dict[Stance, int]


Severity = Literal["high", "medium", "low", "credit"]
Corner = Literal["public_value", "capacity", "legitimacy"]


class Finding(PublicModel):
    code: str = Field(examples=["legitimacy.narrow_coalition"])
    corner: Corner
    severity: Severity = Field(description="`credit` findings add to a corner; the others take away.")
    explanation: str
    subjects: list[uuid.UUID] = Field(
        default_factory=list, description="Ids of the rows the finding is about."
    )


class CornerScore(PublicModel):
    corner: Corner
    score: int = Field(ge=0, le=100)
    findings: list[Finding]


class TriangleDiagnosis(PublicModel):
    initiative_id: uuid.UUID
    corners: list[CornerScore]
    weakest: Corner = Field(description="The corner with the lowest score (the first, on a tie).")


def stakeholder_public(stakeholder: Stakeholder) -> StakeholderPublic:
    return StakeholderPublic.model_validate(stakeholder)
