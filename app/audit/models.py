"""The audit trail: who changed what, from what to what, when, under which request."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from app.core.models import EntityBase


class AuditEvent(EntityBase, table=True):
    """One write. Appended in the same transaction as the write it records, so neither exists alone.

    `created_at` is when the write happened (shown as `occurred_at`); events are never updated.

    `before` and `after` hold the changed columns only (all columns for a create or delete), with
    secrets (hashes, token digests) left out by name.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_district_id_created_at_id", "district_id", "created_at", "id"),
        Index("ix_audit_event_entity", "entity_type", "entity_id"),
        # Whose rows a reader has read (`teachers_read_by`): asked on every read of a released figure.
        Index("ix_audit_event_actor_id_action", "actor_id", "action"),
    )

    # No foreign key: the trail is append-only history and must not be cascaded away with its subject
    # (and the row it describes may be inserted in the same flush, in any order).
    district_id: uuid.UUID | None = Field(default=None)
    actor_kind: str = Field(max_length=16, nullable=False)
    actor_id: uuid.UUID | None = Field(default=None)
    actor_label: str | None = Field(default=None, max_length=320)
    action: str = Field(max_length=64, nullable=False)
    entity_type: str = Field(max_length=64, nullable=False)
    entity_id: uuid.UUID | None = Field(default=None)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    request_id: str | None = Field(default=None, max_length=128)
