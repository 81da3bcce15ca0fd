"""Request and response models for webhook subscriptions and their delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, HttpUrl

from app.core.schemas import EntityPublic, PublicModel, RequestModel, UpdateModel, VersionedEntityPublic
from app.webhooks.events import EventType
from app.webhooks.models import DeliveryStatus


class SubscriptionCreate(RequestModel):
    """Subscribe an API client to events. A client subscribes itself (leave `api_client_id` out); a
    district admin names the client."""

    url: HttpUrl = Field(description="Where events are POSTed: https, on a public address.")
    event_types: list[EventType] = Field(min_length=1, max_length=len(EventType))
    description: str | None = Field(default=None, max_length=200)
    api_client_id: uuid.UUID | None = Field(
        default=None, description="District admins: the client the events are for. Clients: leave out."
    )


class SubscriptionUpdate(UpdateModel):
    url: HttpUrl | None = None
    event_types: list[EventType] | None = Field(default=None, min_length=1, max_length=len(EventType))
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = Field(
        default=None, description="Re-enable a subscription disabled after a day of failures."
    )


class SubscriptionPublic(VersionedEntityPublic):
    api_client_id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None


class SubscriptionCreated(SubscriptionPublic):
    secret: str = Field(
        description="The signing secret (`whsec_…`). Shown this once: store it now to verify signatures."
    )


class DeliveryPublic(EntityPublic):
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None


class AttemptPublic(PublicModel):
    id: uuid.UUID
    created_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
