"""Subscriptions, the outbox of events, deliveries and every attempt made.

The outbox row (`WebhookEvent`) is written by the service that made the change, in its transaction:
an event exists exactly when its change was committed. Workers fan each event out into one
`WebhookDelivery` per matching subscription and send those, claiming rows with `FOR UPDATE SKIP
LOCKED` so no two workers ever hold the same delivery.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from app.core.models import EntityBase, VersionedEntityBase, db_enum, utcnow


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    # Given up: the subscription was disabled after a day of failures.
    FAILED = "failed"


class WebhookSubscription(VersionedEntityBase, table=True):
    """An API client's wish to be told of events, at one URL, signed with its own secret."""

    __tablename__ = "webhook_subscription"
    __table_args__ = (
        Index("ix_webhook_subscription_district_id_created_at_id", "district_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    api_client_id: uuid.UUID = Field(
        foreign_key="api_client.id", nullable=False, index=True, ondelete="CASCADE"
    )
    url: str = Field(max_length=2000, nullable=False)
    description: str | None = Field(default=None, max_length=200)
    event_types: list[str] = Field(sa_type=ARRAY(String(64)), nullable=False)
    # The signing key, `whsec_` + base64. Kept in the clear because signing needs it; shown once, never
    # returned again, and redacted from the audit trail by its name.
    secret: str = Field(max_length=100, nullable=False)
    enabled: bool = Field(default=True, nullable=False)
    disabled_reason: str | None = Field(default=None, max_length=200)
    # The first failure since the last success: a day of failures disables the subscription.
    failing_since: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class WebhookEvent(EntityBase, table=True):
    """One event in the outbox: its type, the district, the ids it is about. Never private content."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        Index(
            "ix_webhook_event_pending",
            "created_at",
            postgresql_where="dispatched_at IS NULL",
        ),
        Index("ix_webhook_event_district_id_created_at_id", "district_id", "created_at", "id"),
        # Events the worker raises itself (a checkpoint falling due) carry a key so they are raised once.
        UniqueConstraint("dedup_key"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    type: str = Field(max_length=64, nullable=False)
    subject_id: uuid.UUID = Field(nullable=False)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB, nullable=False)
    dedup_key: str | None = Field(default=None, max_length=200)
    dispatched_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class WebhookDelivery(EntityBase, table=True):
    """One event for one subscription: pending until delivered, retried with back-off."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_delivery_due", "next_attempt_at", postgresql_where="status = 'pending'"),
        Index("ix_webhook_delivery_subscription_id_created_at_id", "subscription_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    subscription_id: uuid.UUID = Field(
        foreign_key="webhook_subscription.id", nullable=False, ondelete="CASCADE"
    )
    event_id: uuid.UUID = Field(
        foreign_key="webhook_event.id", nullable=False, index=True, ondelete="CASCADE"
    )
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=db_enum(DeliveryStatus), nullable=False
    )
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)
    last_attempt_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_type=Text)
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class WebhookAttempt(EntityBase, table=True):
    """One try of a delivery: when, what the receiver answered, how long it took."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (
        Index("ix_webhook_attempt_delivery_id_created_at_id", "delivery_id", "created_at", "id"),
    )

    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    delivery_id: uuid.UUID = Field(foreign_key="webhook_delivery.id", nullable=False, ondelete="CASCADE")
    status_code: int | None = None
    error: str | None = Field(default=None, sa_type=Text)
    duration_ms: int = Field(nullable=False)


class IndicatorStatusSeen(SQLModel, table=True):
    """The last status of an indicator an event was raised for, so a change is raised once."""

    __tablename__ = "webhook_indicator_status"

    indicator_id: uuid.UUID = Field(primary_key=True, foreign_key="indicator.id", ondelete="CASCADE")
    district_id: uuid.UUID = Field(foreign_key="district.id", nullable=False, ondelete="CASCADE")
    status: str = Field(max_length=32, nullable=False)
