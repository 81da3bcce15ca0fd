"""Progress monitoring: is the practice moving outcomes?

Measurements feed indicators (the same Indicator model initiatives and plan goals use). Whether the
practice is in classrooms (walkthroughs, PDSA cycles, PLC meetings, student feedback) is the practice
area's, `app.practice.models`.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Numeric, UniqueConstraint
from sqlmodel import Field

from app.core.models import EntityBase


class Measurement(EntityBase, table=True):
    """One value of an indicator: when, how many it was drawn from, from where."""

    __tablename__ = "measurement"
    __table_args__ = (
        Index("ix_measurement_indicator_id_measured_on", "indicator_id", "measured_on"),
        Index("ix_measurement_indicator_id_created_at_id", "indicator_id", "created_at", "id"),
        # A client's key makes a bulk add idempotent: the same key twice is the same measurement.
        UniqueConstraint("district_id", "client_key"),
        CheckConstraint("n IS NULL OR n >= 0", name="n_not_negative"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    indicator_id: uuid.UUID = Field(foreign_key="indicator.id", nullable=False, ondelete="CASCADE")
    school_id: uuid.UUID | None = Field(default=None, foreign_key="school.id", ondelete="CASCADE")
    value: Decimal = Field(sa_type=Numeric(14, 4), nullable=False)
    measured_on: date = Field(nullable=False)
    n: int | None = None
    source: str | None = Field(default=None, max_length=200)
    client_key: str | None = Field(default=None, max_length=200)
