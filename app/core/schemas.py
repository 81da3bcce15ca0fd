"""Building blocks for request and response models shared by every area."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")

# A human-facing name: trimmed, never blank.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# An identifier from the district's SIS (OneRoster sourcedId).
SourcedId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are rejected, so a misspelt field is never dropped
    silently and no client can set a field it should not (mass assignment)."""

    model_config = ConfigDict(extra="forbid")


class UpdateModel(RequestModel):
    """Base of PATCH bodies. Fields default to None *without validation*, so an omitted field means
    "leave as is" while an explicit `null` on a required column is still refused by its type."""

    def changes(self) -> dict[str, object]:
        return self.model_dump(exclude_unset=True)


class PublicModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EntityPublic(PublicModel):
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class VersionedEntityPublic(EntityPublic):
    version: int = Field(
        description="Send it back in `If-Match` when you update, so you never overwrite a newer write."
    )


class ListResponse(BaseModel, Generic[T]):
    """A page of a cursor-paginated list."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )
