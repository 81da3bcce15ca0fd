"""Response models of the agenda."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field

from app.agenda.service import AgendaKind
from app.core.schemas import PublicModel


class AgendaItemPublic(PublicModel):
    kind: AgendaKind = Field(
        description="What needs you: a step, a review, an input, a revision, a study, support."
    )
    id: uuid.UUID = Field(
        description="The id of the thing (the step, checkpoint, input, revision, cycle, observation)."
    )
    title: str = Field(description="The thing in words (at most 200 characters).")
    due_on: date = Field(
        description="When it fell or falls due; for things that wait for an answer, since when they wait."
    )
    overdue: bool = Field(description="A dated thing (step, review) whose day has passed.")
    plan_id: uuid.UUID | None = Field(description="The plan it belongs to, if any.")
    link: str = Field(description="Where to read it over REST.")


class AgendaPublic(PublicModel):
    """What needs you now, most urgent first: by the day each fell due (oldest first), then by kind."""

    as_of: date = Field(description="The day (UTC) due and overdue are judged on.")
    total: int = Field(description="How many things need you (`items` holds at most 200, the most urgent).")
    items: list[AgendaItemPublic]
