"""Request and response models for activities, participations, inputs and the reports built on them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from app.core.schemas import (
    EntityPublic,
    Prose,
    PublicModel,
    RequestModel,
    Title,
    UpdateModel,
    VersionedEntityPublic,
)
from app.engagement.models import (
    ActivityKind,
    ActivityStatus,
    AttendeeKind,
    ChangeTarget,
    Disposition,
    InputKind,
    Mode,
    ParticipantRole,
)
from app.initiatives.models import ParticipationLevel, StakeholderCategory
from app.tenancy.models import GroupDimension

FieldName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class ActivityCreate(RequestModel):
    mode: Mode = Field(description="`co_creation` shapes a design; `co_production` keeps people in the work.")
    kind: ActivityKind
    title: Title
    held_on: date = Field(description="When it takes (or took) place.")
    participation_level: ParticipationLevel = Field(description="The IAP2 level the activity offers.")
    initiative_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = Field(
        default=None, description="The improvement plan whose pre-planning this co-creation serves."
    )
    school_id: uuid.UUID | None = Field(
        default=None, description="Defaults to the initiative's (or the plan's) school."
    )
    status: ActivityStatus = ActivityStatus.PLANNED
    summary: Prose | None = None
    invitation: Prose | None = Field(
        default=None, description="What the people asked to take part receive: when, where, why it matters."
    )
    published: bool = False


class ActivityUpdate(UpdateModel):
    title: Title = None  # type: ignore[assignment]
    held_on: date = None  # type: ignore[assignment]
    participation_level: ParticipationLevel = None  # type: ignore[assignment]
    status: ActivityStatus = None  # type: ignore[assignment]
    summary: Prose | None = None
    invitation: Prose | None = None
    published: bool = None  # type: ignore[assignment]


class ActivityPublic(VersionedEntityPublic):
    district_id: uuid.UUID
    school_id: uuid.UUID | None
    initiative_id: uuid.UUID | None
    plan_id: uuid.UUID | None
    mode: Mode
    kind: ActivityKind
    title: str
    held_on: date
    status: ActivityStatus
    participation_level: ParticipationLevel
    summary: str | None
    invitation: str | None
    published: bool
    language: str | None = Field(
        default=None,
        description="The language of the translation served in `title`, `summary` and `invitation` "
        "(your `Accept-Language`, or your preferred language); null when they are the original.",
    )
    original: ActivityText | None = Field(
        default=None, description="The original text, beside a translation; null when none is served."
    )
    translated: list[TranslationNote] = Field(
        default_factory=list, description="Every translated field, by whom and when it was entered."
    )


class ParticipationCreate(RequestModel):
    """Give exactly one of `stakeholder_id` (a person or a group of the authorizing environment) or
    `person_id`."""

    stakeholder_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    role: ParticipantRole = ParticipantRole.PARTICIPANT
    attended: bool = True
    may_be_named: bool = Field(
        default=False, description="The participant agreed to be named in published reports."
    )


class ParticipationUpdate(UpdateModel):
    role: ParticipantRole = None  # type: ignore[assignment]
    attended: bool = None  # type: ignore[assignment]
    may_be_named: bool = None  # type: ignore[assignment]


class ParticipationPublic(VersionedEntityPublic):
    activity_id: uuid.UUID
    stakeholder_id: uuid.UUID | None
    person_id: uuid.UUID | None
    role: ParticipantRole
    attended: bool
    attendance_recorded_at: datetime = Field(description="When `attended` was last written.")
    may_be_named: bool


class InputCreate(RequestModel):
    participation_id: uuid.UUID = Field(description="The contributor: a participation in this activity.")
    kind: InputKind
    text: Prose


class InputUpdate(UpdateModel):
    """Record what became of an input. A declined or adapted input needs a `reason`; a `response` is what
    was said back to the contributor (its time is recorded)."""

    disposition: Disposition = None  # type: ignore[assignment]
    reason: Prose | None = None
    response: Prose | None = None


class InputPublic(VersionedEntityPublic):
    activity_id: uuid.UUID
    participation_id: uuid.UUID
    kind: InputKind
    text: str
    disposition: Disposition
    reason: str | None
    response: str | None
    responded_at: datetime | None
    language: str | None = Field(default=None, description="The language served; null for the original.")
    original: InputText | None = Field(default=None, description="The original text, beside a translation.")
    translated: list[TranslationNote] = Field(
        default_factory=list, description="Every translated field, by whom and when it was entered."
    )


class InputLinkCreate(RequestModel):
    target: ChangeTarget
    target_id: uuid.UUID = Field(description="The initiative (for a field) or the capacity item.")
    field_name: FieldName | None = Field(default=None, description="For `initiative_field`: which field.")
    note: Prose | None = None


class InputLinkPublic(EntityPublic):
    input_id: uuid.UUID
    target: ChangeTarget
    target_id: uuid.UUID
    field_name: str | None
    note: str | None


# --- reports ----------------------------------------------------------------------------------------


class ReportedChange(InputLinkPublic):
    label: str | None = Field(default=None, description="What was changed, in words.")


class ReportedInput(PublicModel):
    id: uuid.UUID
    kind: InputKind
    text: str
    activity_title: str
    contributor: str | None = Field(
        description="Named only to staff who run the work, or when the contributor agreed to be named."
    )
    reason: str | None
    response: str | None
    responded_at: datetime | None
    changed: list[ReportedChange]
    language: str | None = Field(
        default=None, description="The language of the translation served in `text` and `response`."
    )
    original: InputText | None = Field(default=None, description="The original, beside a translation.")


class DispositionGroup(PublicModel):
    disposition: Disposition
    inputs: list[ReportedInput]


class YouSaidWeDid(PublicModel):
    """Every input to an initiative's (or a plan's) activities, grouped by what became of it."""

    initiative_id: uuid.UUID | None = Field(default=None, description="The initiative reported on.")
    plan_id: uuid.UUID | None = Field(default=None, description="The plan reported on.")
    groups: list[DispositionGroup]
    total_inputs: int
    responded_share: float | None = Field(
        description="Share of inputs that got a response (0..1); null if none."
    )
    median_days_to_response: float | None


class NamedStakeholder(PublicModel):
    stakeholder_id: uuid.UUID
    name: str
    category: StakeholderCategory


class ModeCount(PublicModel):
    mode: Mode
    people: int | None = Field(description="People who attended; null when suppressed.")
    suppressed: bool


class KindCount(PublicModel):
    mode: Mode
    kind: AttendeeKind
    people: int | None = Field(description="People of this kind who attended; null when suppressed.")
    suppressed: bool


class BreakdownCell(PublicModel):
    mode: Mode
    dimension: GroupDimension
    value: str | None = Field(description="The attribute's value; null for people with none recorded.")
    people: int | None = Field(description="People with this value who attended; null when suppressed.")
    suppressed: bool


class ExpectedGroupCoverage(PublicModel):
    dimension: GroupDimension
    value: str
    heard_in_co_creation: bool
    heard_in_co_production: bool


class Representation(PublicModel):
    """Who took part in an initiative's held co-creation and co-production, and who did not.

    Categories: which stakeholder categories attended (a person takes the category of any stakeholder
    that stands for them, and the one their own kind and roles give: a teacher, a family member…), and
    which categories of the authorizing environment are missing. Stakeholders: every mapped stakeholder
    that has not taken part, by name, whatever its category. People: how many attended, by kind and by
    the attributes the district records (preferred language, neighbourhood, community role, tags),
    small-cell suppressed (`people` null and `suppressed` true). Expected groups: for each group the
    district expects to hear from, whether it was heard."""

    initiative_id: uuid.UUID
    environment_categories: list[StakeholderCategory]
    co_creation: list[StakeholderCategory]
    co_production: list[StakeholderCategory]
    missing_from_co_creation: list[StakeholderCategory]
    missing_from_co_production: list[StakeholderCategory]
    never_took_part: list[StakeholderCategory]
    stakeholders_never_took_part: list[NamedStakeholder]
    stakeholders_missing_from_co_creation: list[NamedStakeholder]
    people: list[ModeCount]
    people_by_kind: list[KindCount]
    breakdown: list[BreakdownCell]
    expected_groups: list[ExpectedGroupCoverage]
    languages_heard: list[str] = Field(
        default_factory=list,
        description="The preferred languages (BCP 47) of the people and stakeholders who attended its held "
        "activities: which languages the initiative heard from.",
    )


# --- translations -----------------------------------------------------------------------------------


class ActivityText(PublicModel):
    title: str
    summary: str | None
    invitation: str | None


class InputText(PublicModel):
    text: str
    response: str | None


class TranslationNote(PublicModel):
    """One translated field: entered by a person, never by a machine."""

    language: str
    field: str
    entered_by_person_id: uuid.UUID
    entered_at: datetime
    outdated: bool = Field(description="The original changed after the translation was entered.")


class ActivityTranslation(RequestModel):
    """The activity's text in one language, entered by you; fields left out keep their translation."""

    title: Title | None = None
    summary: Prose | None = None
    invitation: Prose | None = None


class InputTranslation(RequestModel):
    """What was said, and the "we did" answer, in one language, entered by you."""

    text: Prose | None = None
    response: Prose | None = None
