"""A district's open-data choice, and the per-address request counter of the public surface."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from app.core.models import VersionedEntityBase

DEFAULT_LICENCE = "CC-BY-4.0"


class OpenDataSetting(VersionedEntityBase, table=True):
    """Whether a district publishes open data, under which path and licence. Off until it opts in."""

    __tablename__ = "open_data_setting"
    __table_args__ = (CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'", name="slug_format"),)

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, unique=True, ondelete="CASCADE")
    enabled: bool = Field(default=False, nullable=False)
    # The stable public path: /open-data/{slug}/…
    slug: str = Field(max_length=63, nullable=False, unique=True)
    licence: str = Field(default=DEFAULT_LICENCE, max_length=64, nullable=False)
    # The languages pages are offered in, first the default (BCP 47 tags).
    languages: list[str] = Field(default_factory=lambda: ["en"], sa_type=ARRAY(String(16)), nullable=False)
    contact: str | None = Field(default=None, max_length=200)


class OpenDataRate(SQLModel, table=True):
    """Requests one address made to the public surface in the current window.

    In PostgreSQL, not in process memory, so every worker and every replica count the same requests.
    """

    __tablename__ = "open_data_rate"

    address: str = Field(primary_key=True, max_length=64)
    window_started_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    requests: int = Field(default=0, nullable=False)
