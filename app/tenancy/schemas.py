"""Request and response models for districts and schools (never the table models themselves)."""

from __future__ import annotations

import uuid
import zoneinfo
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from app.core.schemas import Name, PublicModel, RequestModel, SourcedId, UpdateModel, VersionedEntityPublic
from app.tenancy.models import GroupDimension, Voice

# OneRoster 1.2 / CEDS grade codes.
GradeLevel = Literal[
    "IT", "PR", "PK", "TK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13",
    "PS", "UG", "Other",
]  # fmt: skip


def _known_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


TimeZone = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["America/Chicago"]),
    AfterValidator(_known_timezone),
]
# Floors no district setting goes under: below them an aggregate describes a handful of people.
MIN_CELL_FLOOR = 10
MIN_PEOPLE_FLOOR = 3
MinCellSize = Annotated[
    int,
    Field(
        ge=MIN_CELL_FLOOR,
        le=1000,
        description="Aggregates about fewer students than this are suppressed (small-cell suppression). "
        "At least 10, and it only rises: a figure released under a higher minimum must not reappear "
        "under a lower one.",
    ),
]
MinPeople = Annotated[
    int,
    Field(ge=MIN_PEOPLE_FLOOR, le=100, description="At least 3; it only rises."),
]


LapseDays = Annotated[
    int,
    Field(
        ge=1,
        le=3650,
        description="Days co-production may lapse, or an input wait for an answer, before the triangle flags it.",
    ),
]


def _distinct_voices(voices: list[Voice]) -> list[Voice]:
    if len(set(voices)) != len(voices):
        raise ValueError("each voice at most once")
    return voices


MinCoCreation = Annotated[
    int,
    Field(
        ge=0,
        le=50,
        description="Held co-creation activities, linked to a plan or its initiative and attended, that a "
        "plan needs before it goes to review (0: no minimum).",
    ),
]
Voices = Annotated[
    list[Voice],
    Field(
        max_length=len(Voice),
        description="Whose voices must be among those who attended a plan's co-creation before it goes to "
        "review (`families_or_community`: either will do).",
    ),
    AfterValidator(_distinct_voices),
]
SeparatePlanApproval = Annotated[
    bool,
    Field(
        description="Separation of duties: a plan is approved by someone other than its lead (on by default)."
    ),
]


class ExpectedGroup(RequestModel):
    """A group the district expects to hear from: everyone whose `dimension` is `value` (a stakeholder
    category or a kind of attendee by its code; a language, neighbourhood, community role or tag as the
    district records it, case aside)."""

    dimension: GroupDimension
    value: Annotated[str, Field(min_length=1, max_length=100)]


class ExpectedGroupPublic(PublicModel):
    dimension: GroupDimension
    value: str


def _distinct_groups(groups: list[ExpectedGroup]) -> list[ExpectedGroup]:
    seen = {(g.dimension, g.value.casefold()) for g in groups}
    if len(seen) != len(groups):
        raise ValueError("each group at most once")
    return groups


ExpectedGroups = Annotated[
    list[ExpectedGroup],
    Field(
        max_length=50,
        description="The groups the district expects to hear from; an initiative's representation says, "
        "for each, whether it was heard in co-creation and in co-production.",
    ),
    AfterValidator(_distinct_groups),
]


class DistrictCreate(RequestModel):
    name: Name
    timezone: TimeZone = "UTC"
    min_cell_size: MinCellSize = 10
    min_teachers: MinPeople = Field(default=3, description="Teachers a feedback aggregate needs; at least 3.")
    min_classrooms: MinPeople = Field(
        default=3, description="Classrooms a walkthrough summary needs; at least 3."
    )
    engagement_lapse_days: LapseDays = 60
    sourced_id: SourcedId | None = None


class DistrictUpdate(UpdateModel):
    name: Name = None  # type: ignore[assignment]
    timezone: TimeZone = None  # type: ignore[assignment]
    min_cell_size: MinCellSize = None  # type: ignore[assignment]
    min_teachers: MinPeople = Field(  # type: ignore[assignment]
        default=None, description="Teachers a feedback aggregate needs; only rises."
    )
    min_classrooms: MinPeople = Field(  # type: ignore[assignment]
        default=None, description="Classrooms a walkthrough summary needs; only rises."
    )
    engagement_lapse_days: LapseDays = None  # type: ignore[assignment]
    plan_min_co_creation: MinCoCreation = None  # type: ignore[assignment]
    school_plan_voices: Voices = None  # type: ignore[assignment]
    district_plan_voices: Voices = None  # type: ignore[assignment]
    separate_plan_approval: SeparatePlanApproval = None  # type: ignore[assignment]
    expected_groups: ExpectedGroups = None  # type: ignore[assignment]
    sourced_id: SourcedId | None = None


class DistrictPublic(VersionedEntityPublic):
    name: str
    timezone: str
    min_cell_size: int
    min_teachers: int
    min_classrooms: int
    engagement_lapse_days: int
    plan_min_co_creation: MinCoCreation
    school_plan_voices: list[Voice] = Field(description="Voices a school plan's co-creation must include.")
    district_plan_voices: list[Voice] = Field(
        description="Voices a district plan's co-creation must include."
    )
    separate_plan_approval: SeparatePlanApproval
    expected_groups: list[ExpectedGroupPublic] = Field(
        description="The groups the district expects to hear from."
    )
    sourced_id: str | None


class SchoolCreate(RequestModel):
    name: Name
    sourced_id: SourcedId | None = None
    grade_low: GradeLevel | None = None
    grade_high: GradeLevel | None = None


class SchoolUpdate(UpdateModel):
    name: Name = None  # type: ignore[assignment]
    sourced_id: SourcedId | None = None
    grade_low: GradeLevel | None = None
    grade_high: GradeLevel | None = None


class SchoolPublic(VersionedEntityPublic):
    district_id: uuid.UUID
    name: str
    sourced_id: str | None
    grade_low: str | None
    grade_high: str | None
