"""Request and response models for the practice side of progress monitoring: walkthroughs and their
observations, PDSA cycles, PLC meetings and student feedback results."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from app.core.schemas import (
    DecimalNumber,
    EntityPublic,
    Prose,
    PublicModel,
    RequestModel,
    Title,
    UpdateModel,
    VersionedEntityPublic,
)
from app.plans.schemas import CauseRef, Change
from app.practice.models import ImplementationLevel, PdsaDecision, SupportNeeded

Measure = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Period = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Need = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Share = Annotated[DecimalNumber, Field(ge=0, le=1, max_digits=5, decimal_places=4)]
# The catalogue practice a walkthrough, a PDSA cycle or a PLC meeting concerns: as sent, and as answered.
PracticeChosen = Annotated[
    uuid.UUID | None,
    Field(description="The practice of the district's catalogue it concerns (`/practices`)."),
]
PracticeTagged = Annotated[
    uuid.UUID | None, Field(description="The practice of the district's catalogue, if tagged.")
]

MAX_NEEDS = 20


def normalise_needs(needs: list[str]) -> list[str]:
    """Tags as the roll-up counts them: lower case, single spaces, each once, in the order given."""
    seen: dict[str, None] = {}
    for need in needs:
        seen.setdefault(" ".join(need.lower().split()), None)
    return list(seen)


# --- walkthroughs -----------------------------------------------------------------------------------


class WalkthroughCreate(RequestModel):
    school_id: uuid.UUID
    practice: Title = Field(description="The practice looked for, e.g. `Turn and talk`.")
    practice_id: PracticeChosen = None
    observed_on: date
    observer_person_id: uuid.UUID | None = Field(
        default=None, description="Who walked through; defaults to you."
    )
    plan_id: uuid.UUID | None = Field(default=None, description="The improvement plan it monitors.")
    activity_id: uuid.UUID | None = Field(
        default=None, description="The professional learning it follows up on."
    )
    notes: Prose | None = Field(
        default=None,
        description="About the walkthrough as a whole: everyone who reads the walkthrough reads it, the "
        "school's teachers included. What concerns one classroom goes in that observation's `note`.",
    )


class WalkthroughUpdate(UpdateModel):
    practice: Title = None  # type: ignore[assignment]
    practice_id: uuid.UUID | None = None
    observed_on: date = None  # type: ignore[assignment]
    observer_person_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    activity_id: uuid.UUID | None = None
    notes: Prose | None = None


class WalkthroughPublic(VersionedEntityPublic):
    district_id: uuid.UUID
    school_id: uuid.UUID
    practice: str
    practice_id: PracticeTagged
    observed_on: date
    observer_person_id: uuid.UUID | None
    plan_id: uuid.UUID | None
    activity_id: uuid.UUID | None
    notes: str | None


class ObservationCreate(RequestModel):
    teacher_person_id: uuid.UUID = Field(description="Whose classroom: a member of staff.")
    level: ImplementationLevel
    support: SupportNeeded = SupportNeeded.NONE
    note: Prose | None = Field(
        default=None,
        description="Read only by the teacher observed, the school's leaders and coaches and district leaders.",
    )


class ObservationUpdate(UpdateModel):
    level: ImplementationLevel = None  # type: ignore[assignment]
    support: SupportNeeded = None  # type: ignore[assignment]
    note: Prose | None = None


class ObservationPublic(VersionedEntityPublic):
    walkthrough_id: uuid.UUID
    teacher_person_id: uuid.UUID
    level: ImplementationLevel
    support: SupportNeeded
    note: str | None


class LevelShare(PublicModel):
    level: ImplementationLevel
    classrooms: int | None = Field(description="Null when the walkthrough's picture is suppressed.")
    share: float | None = Field(description="0 to 1; null when suppressed.")


class WalkthroughSummary(PublicModel):
    """How much of the practice was in classrooms. A walkthrough of fewer than three classrooms shows
    no levels: its "share" would be one or two teachers' observations."""

    walkthrough_id: uuid.UUID
    school_id: uuid.UUID
    practice: str
    observed_on: date
    closed: bool = Field(description="Levels are published only once the walkthrough is closed.")
    classrooms: int = Field(
        description="Classrooms counted: observed so far while open; once closed, those of the school's "
        "teachers when it closed."
    )
    suppressed: bool = Field(
        description="True while the walkthrough is open, and when too few classrooms count (your own "
        "classroom never counts for you)."
    )
    levels: list[LevelShare] = Field(description="Every level, in order from not observed to proficient.")
    developing_or_above: float | None = Field(
        description="Share of classrooms at developing or proficient; null when suppressed."
    )


class WalkthroughTrend(PublicModel):
    school_id: uuid.UUID
    practice: str
    walkthroughs: list[WalkthroughSummary] = Field(description="Oldest first.")


class SupportEntry(PublicModel):
    observation_id: uuid.UUID
    teacher_person_id: uuid.UUID
    teacher_name: str
    level: ImplementationLevel
    note: str | None


class SupportGroup(PublicModel):
    support: SupportNeeded
    teachers: list[SupportEntry]


class WhoNeedsSupport(PublicModel):
    walkthrough_id: uuid.UUID
    groups: list[SupportGroup] = Field(description="Coaching, PLC and feedback, each listed if needed.")


# --- PDSA cycles ------------------------------------------------------------------------------------


class PdsaCycleCreate(RequestModel):
    question: Prose = Field(description="What the cycle tries to learn.")
    prediction: Prose = Field(description="What you expect to happen, written before you try.")
    plan: Prose = Field(description="Who does what, when, with whom, and what data is collected.")
    started_on: date | None = None
    practice_id: PracticeChosen = None


class PdsaCycleUpdate(UpdateModel):
    question: Prose = None  # type: ignore[assignment]
    prediction: Prose = None  # type: ignore[assignment]
    plan: Prose = None  # type: ignore[assignment]
    started_on: date | None = None
    practice_id: uuid.UUID | None = None
    done: Prose | None = Field(default=None, description="What was actually done.")
    results: Prose | None = Field(default=None, description="What happened, against the prediction.")


class PdsaRevisionProposal(RequestModel):
    """The plan revision a decision proposes, as `proposeRevision` takes it."""

    reason: Prose | None = Field(
        default=None, description="Why the plan changes; defaults to the cycle's question and decision."
    )
    changes: list[Change] = Field(min_length=1, max_length=200)
    caused_by: list[CauseRef] = Field(default_factory=list, max_length=50)


class PdsaDecisionCreate(RequestModel):
    decision: PdsaDecision
    decided_on: date | None = Field(default=None, description="Defaults to today.")
    results: Prose | None = Field(
        default=None, description="The results, if not recorded yet: a decision needs them."
    )
    revision: PdsaRevisionProposal | None = Field(
        default=None, description="A revision of the plan to propose (approved or active plans)."
    )


class PdsaCyclePublic(VersionedEntityPublic):
    district_id: uuid.UUID
    plan_id: uuid.UUID
    strategy_id: uuid.UUID
    question: str
    prediction: str
    plan: str
    started_on: date | None
    done: str | None
    results: str | None
    decision: PdsaDecision | None
    decided_on: date | None
    revision_id: uuid.UUID | None = Field(description="The plan revision the decision proposed.")
    practice_id: PracticeTagged


# --- PLC meetings -----------------------------------------------------------------------------------


class PlcMeetingCreate(RequestModel):
    school_id: uuid.UUID
    team: Title = Field(description="The PLC, e.g. `Grade 3 team`.")
    practice_id: PracticeChosen = None
    met_on: date
    agenda: Prose | None = None
    notes: Prose | None = None
    needs: list[Need] = Field(
        default_factory=list,
        max_length=MAX_NEEDS,
        description="Tags for what the team needs (stored in lower case, each once).",
    )
    shared_with_leadership: bool = Field(
        default=False, description="Whether the building leadership team may read it."
    )

    @field_validator("needs")
    @classmethod
    def _needs(cls, needs: list[str]) -> list[str]:
        return normalise_needs(needs)


class PlcMeetingUpdate(UpdateModel):
    team: Title = None  # type: ignore[assignment]
    practice_id: uuid.UUID | None = None
    met_on: date = None  # type: ignore[assignment]
    agenda: Prose | None = None
    notes: Prose | None = None
    needs: list[Need] = Field(default=None, max_length=MAX_NEEDS)  # type: ignore[assignment]
    shared_with_leadership: bool = None  # type: ignore[assignment]

    @field_validator("needs")
    @classmethod
    def _needs(cls, needs: list[str]) -> list[str]:
        return normalise_needs(needs)


class PlcMeetingPublic(VersionedEntityPublic):
    district_id: uuid.UUID
    school_id: uuid.UUID
    team: str
    met_on: date
    agenda: str | None
    notes: str | None
    needs: list[str]
    shared_with_leadership: bool
    practice_id: PracticeTagged


class NeedRollup(PublicModel):
    need: str
    meetings: int = Field(description="Shared meetings that raised it.")
    teams: int = Field(description="Distinct PLCs that raised it.")
    schools: int
    first_raised_on: date
    last_raised_on: date


class PlcNeeds(PublicModel):
    """Common needs across the PLCs that shared with leadership: most frequent first, then most recent."""

    school_id: uuid.UUID | None = Field(description="Null: every school within your reach.")
    since: date | None
    meetings: int = Field(description="Shared meetings considered.")
    needs: list[NeedRollup]


# --- student feedback -------------------------------------------------------------------------------


class FeedbackResultCreate(RequestModel):
    """One formative survey result about a teacher's class. Recording the same teacher, measure and
    period again replaces the earlier result."""

    measure: Measure = Field(description="What the survey measured, e.g. `belonging`.")
    period: Period = Field(description="When, e.g. `2026-fall`.")
    favourable_share: Share = Field(description="Share of favourable answers, 0 to 1.")
    respondents: int = Field(ge=0, le=100_000)
    school_id: uuid.UUID | None = Field(
        default=None, description="Defaults to your school, if you teach at one only."
    )
    teacher_person_id: uuid.UUID | None = Field(
        default=None, description="Survey integrations only: the teacher the result is about."
    )


class FeedbackResultPublic(EntityPublic):
    school_id: uuid.UUID
    teacher_person_id: uuid.UUID
    measure: str
    period: str
    favourable_share: DecimalNumber
    respondents: int


class FeedbackShareCreate(RequestModel):
    person_id: uuid.UUID = Field(description="Who may read your feedback results (a coach, say).")


class FeedbackSharePublic(EntityPublic):
    teacher_person_id: uuid.UUID
    person_id: uuid.UUID


class FeedbackCell(PublicModel):
    school_id: uuid.UUID
    measure: str
    period: str
    revision: int = Field(description="The release's revision (1, or a correction's number).")
    released_at: datetime
    suppressed: bool = Field(
        description="True when the cell would describe fewer students than the district's minimum n, "
        "or fewer than the minimum number of teachers' classes (three at least), counting neither "
        "results you can read one by one nor people who are not teachers of the school: then every "
        "figure is null."
    )
    favourable_share: float | None = Field(description="Weighted by respondents; null when suppressed.")
    respondents: int | None
    teachers: int | None = Field(description="Teachers whose classes contributed; null when suppressed.")
    late_results: int = Field(
        description="Results of the school, measure and period recorded or changed since the release: "
        "not in it."
    )


class FeedbackAggregates(PublicModel):
    min_cell_size: int
    min_teachers: int
    cells: list[FeedbackCell] = Field(
        description="One per school, measure and released period (the latest revision of each)."
    )


# --- the practice catalogue -------------------------------------------------------------------------


class PracticeCreate(RequestModel):
    """An evidence-based practice for the district's catalogue."""

    name: Title = Field(description="Unique in the district, whatever its case, e.g. `Turn and talk`.")
    description: Prose | None = Field(default=None, description="What the practice looks like in class.")
    evidence: Prose | None = Field(
        default=None, description="The research or guidance it rests on (a citation, a clearinghouse link)."
    )


class PracticeUpdate(UpdateModel):
    name: Title = None  # type: ignore[assignment]
    description: Prose | None = None
    evidence: Prose | None = None
    retired: bool = Field(
        default=None,  # type: ignore[assignment]
        description="A retired practice stays on what named it but is not named by anything new.",
    )


class PracticePublic(VersionedEntityPublic):
    district_id: uuid.UUID
    name: str
    description: str | None
    evidence: str | None
    retired: bool
