"""Response model for the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from app.core.schemas import PublicModel


class AuditEventPublic(PublicModel):
    id: uuid.UUID
    occurred_at: datetime = Field(validation_alias="created_at")
    district_id: uuid.UUID | None
    actor_kind: str = Field(description="`user`, `client` or `system` (the command line).")
    actor_id: uuid.UUID | None
    actor_label: str | None = Field(description="The actor's email or client name.")
    action: str = Field(examples=["school.update"])
    entity_type: str
    entity_id: uuid.UUID | None
    before: dict[str, Any] | None = Field(
        description="Changed fields before the write (all fields on delete)."
    )
    after: dict[str, Any] | None = Field(description="Changed fields after the write (all fields on create).")
    request_id: str | None = Field(description="Matches `X-Request-ID` of the request that wrote it.")
