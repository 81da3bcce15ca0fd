"""A release: the published, suppressed tables of one subject for one closed period.

Immutable by construction: no service updates or deletes a row; a correction is a new row with the
next `revision`, allowed only where every difference from the last one passes suppression itself.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from app.core.models import EntityBase, db_enum


class ReleaseSubject(StrEnum):
    BEHAVIOR = "behavior"
    FEEDBACK = "feedback"
    COACHING = "coaching"


class Release(EntityBase, table=True):
    """One subject's figures for one closed period, as published: suppressed cells are null here."""

    __tablename__ = "release"
    __table_args__ = (
        UniqueConstraint("district_id", "subject", "period", "revision"),
        Index("ix_release_district_id_created_at_id", "district_id", "created_at", "id"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )
    # What each published cell was drawn from (which teachers' results): needed to hide a cell from a
    # reader who knows some of them, and never returned, nor copied into the audit trail.
    __audit_redacted__ = frozenset({"basis", "tables"})

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    subject: ReleaseSubject = Field(sa_type=db_enum(ReleaseSubject), nullable=False)
    period: str = Field(max_length=32, nullable=False)
    period_start: date | None = None
    period_end: date | None = None
    revision: int = Field(default=1, nullable=False)
    min_cell_size: int = Field(nullable=False)
    min_people: int = Field(nullable=False)
    # The records it was computed from (referrals, or feedback results).
    items: int = Field(nullable=False)
    tables: dict[str, Any] = Field(sa_type=JSONB, nullable=False)
    basis: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB, nullable=False)
    # The suppression audit's verdict: cells published and suppressed, the narrowest interval.
    audit: dict[str, Any] = Field(sa_type=JSONB, nullable=False)
