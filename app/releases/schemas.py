"""Request and response models for releases."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.core.schemas import PublicModel, RequestModel
from app.releases.models import ReleaseSubject

PeriodName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")
]


class ReleaseCreate(RequestModel):
    """Release a closed period's figures. Behaviour figures need the period's dates; feedback results
    carry their own period name, and releasing it is what closes it."""

    subject: ReleaseSubject
    period: PeriodName = Field(examples=["2026-10", "2026-fall"])
    period_start: date | None = Field(default=None, description="Behaviour: the period's first day.")
    period_end: date | None = Field(
        default=None, description="Behaviour: the period's last day, which must be past."
    )


class ReleaseAudit(BaseModel):
    """The suppression audit's verdict on the release."""

    cells: int = Field(description="Cells computed.")
    suppressed: int = Field(description="Cells suppressed.")
    narrowest_interval: float | None = Field(
        description="The narrowest interval any suppressed cell can be pinned to from everything "
        "published (null: unbounded, or nothing suppressed)."
    )
    required_width: int = Field(description="The minimum n: no interval may be narrower.")
    safe: bool


class ReleasePublic(PublicModel):
    id: uuid.UUID
    subject: ReleaseSubject
    period: str
    period_start: date | None
    period_end: date | None
    revision: int = Field(description="1 for the first release of the period; corrections count up.")
    released_at: datetime
    min_cell_size: int
    min_people: int = Field(description="Teachers (feedback) a published cell needed.")
    audit: ReleaseAudit
