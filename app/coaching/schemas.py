"""Request and response models for coaching cycles, their sessions, links and shares, and the
counts leaders read."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field, model_validator

from app.coaching.models import CoachingSessionKind, CoachingStatus
from app.core.schemas import (
    EntityPublic,
    IsoDateTime,
    Prose,
    PublicModel,
    RequestModel,
    UpdateModel,
    VersionedEntityPublic,
)
from app.practice.models import ImplementationLevel, SupportNeeded
from app.releases.schemas import PeriodName


class CoachingCycleCreate(RequestModel):
    """Start a coaching cycle. You are its teacher or its coach: name the other one (the teacher
    teaches at the school; the coach coaches there or district-wide)."""

    school_id: uuid.UUID
    practice_id: uuid.UUID = Field(description="The practice, from the district's catalogue.")
    period: PeriodName = Field(examples=["2026-27", "2026-fall"], description="The term or year it runs in.")
    teacher_person_id: uuid.UUID | None = Field(default=None, description="Defaults to you.")
    coach_person_id: uuid.UUID | None = Field(default=None, description="Defaults to you.")
    goal: Prose | None = Field(default=None, description="The goal, co-written; the teacher agrees to it.")


class CoachingCycleUpdate(UpdateModel):
    goal: Prose | None = Field(
        default=None,
        description="Either of the two writes it; a change waits for the teacher's agreement again.",
    )
    goal_agreed: bool = Field(
        default=None,  # type: ignore[assignment]
        description="The teacher agrees to the goal as written (the teacher only).",
    )
    reflection: Prose | None = Field(
        default=None, description="The teacher's own reflection (the teacher only)."
    )
    status: CoachingStatus = None  # type: ignore[assignment]


class CoachingCyclePublic(VersionedEntityPublic):
    district_id: uuid.UUID
    school_id: uuid.UUID
    teacher_person_id: uuid.UUID
    coach_person_id: uuid.UUID
    practice_id: uuid.UUID
    period: str
    goal: str | None
    goal_agreed_at: datetime | None = Field(description="When the teacher agreed to the goal as it stands.")
    reflection: str | None
    status: CoachingStatus


class CoachingSessionCreate(RequestModel):
    kind: CoachingSessionKind
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    notes: Prose | None = None

    @model_validator(mode="after")
    def _order(self) -> CoachingSessionCreate:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("Give times with a zone (ISO 8601, e.g. 2026-12-01T09:00:00Z).")
        if self.ends_at <= self.starts_at:
            raise ValueError("A session ends after it starts.")
        return self


class CoachingSessionPublic(EntityPublic):
    district_id: uuid.UUID
    cycle_id: uuid.UUID
    kind: CoachingSessionKind
    starts_at: datetime
    ends_at: datetime
    notes: str | None


class CoachingObservationCreate(RequestModel):
    observation_id: uuid.UUID = Field(description="A walkthrough observation of the teacher's classroom.")
    support_given: bool = Field(default=False, description="Whether the support it called for was given.")


class CoachingObservationUpdate(RequestModel):
    support_given: bool


class CoachingObservationPublic(PublicModel):
    id: uuid.UUID
    cycle_id: uuid.UUID
    observation_id: uuid.UUID
    walkthrough_id: uuid.UUID
    observed_on: date
    level: ImplementationLevel
    support_needed: SupportNeeded = Field(description="The support the walkthrough said was needed.")
    support_given: bool
    version: int = Field(description="Send it back in `If-Match` when you change `support_given`.")


class CoachingShareCreate(RequestModel):
    person_id: uuid.UUID = Field(description="Someone of the district the teacher lets read the cycle.")


class CoachingSharePublic(EntityPublic):
    cycle_id: uuid.UUID
    person_id: uuid.UUID


class CoachingCountCell(PublicModel):
    practice_id: uuid.UUID
    period: str
    revision: int
    released_at: datetime
    suppressed: bool
    cycles: int | None = Field(
        description="Coaching cycles on the practice in the period; null if suppressed."
    )
    teachers: int | None = Field(description="Distinct teachers coached on it; null if suppressed.")


class CoachingCounts(PublicModel):
    """Released coaching counts: per practice and period, district-wide."""

    min_teachers: int = Field(description="Teachers a shown cell needs, not counting those you know of.")
    cells: list[CoachingCountCell]


class SchoolCount(PublicModel):
    school_id: uuid.UUID
    count: int


class PracticeFootprint(PublicModel):
    """Where a practice is being learned (coaching), tried (PDSA), discussed (PLC) and observed
    (walkthroughs), as far as you can see each."""

    practice_id: uuid.UUID
    learned: list[CoachingCountCell] = Field(description="Released coaching counts for the practice.")
    tried: list[SchoolCount] | None = Field(description="PDSA cycles per school; null without the right.")
    discussed: list[SchoolCount] | None = Field(
        description="PLC meetings per school; null without the right."
    )
    observed: list[SchoolCount] | None = Field(description="Walkthroughs per school; null without the right.")
