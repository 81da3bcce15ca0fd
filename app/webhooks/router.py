"""REST for webhook subscriptions and their delivery log: parse, call the service, shape the reply."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Request, Response, status

from app.core.problems import problem_responses
from app.core.resources import Collection, Resource
from app.core.rest import AreaRouter, Caller, ExpectedVersion, Session, set_etag
from app.webhooks import service
from app.webhooks.models import DeliveryStatus, WebhookSubscription
from app.webhooks.schemas import (
    AttemptPublic,
    DeliveryPublic,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
    SubscriptionUpdate,
)

router = AreaRouter(tags=["webhooks"])

SubscriptionId = Annotated[uuid.UUID, Path(description="The subscription's id.")]
DeliveryId = Annotated[uuid.UUID, Path(description="The delivery's id.")]


def _allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.webhook_allow_private_addresses)


def _delivery(view: service.DeliveryView) -> DeliveryPublic:
    d = view.delivery
    next_attempt_at = d.next_attempt_at if d.status is DeliveryStatus.PENDING else None
    return DeliveryPublic.from_row(d, event_type=view.event_type, next_attempt_at=next_attempt_at)


@router.post(
    "/webhook-subscriptions",
    operation_id="createWebhookSubscription",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionCreated,
    responses=problem_responses(404),
)
async def create_subscription(
    body: SubscriptionCreate, request: Request, response: Response, session: Session, principal: Caller
) -> SubscriptionCreated:
    """Subscribe an API client to events. Each event is POSTed to `url` as JSON (`type`, `timestamp`,
    `data` with the subject's `id`, related ids and a `link`; never content), signed following
    Standard Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,` + base64
    HMAC-SHA256 of `{id}.{timestamp}.{body}` keyed with the secret). The secret is in this reply
    only. A client subscribes itself; district admins subscribe any client of the district. Events
    the client's scopes do not cover are refused; the URL must be https on a public address."""
    subscription, secret = await service.create_subscription(
        session, principal, body, allow_private=_allow_private(request)
    )
    set_etag(response, subscription.version)
    return SubscriptionCreated(**SubscriptionPublic.model_validate(subscription).model_dump(), secret=secret)


Collection(router, "/webhook-subscriptions", SubscriptionPublic).list(
    service.list_subscriptions,
    "A client's own subscriptions; district admins see every client's. Secrets are never listed.",
    operation_id="listWebhookSubscriptions",
)


WEBHOOK_SUBSCRIPTIONS = Resource(
    router, "/webhook-subscriptions/{subscription_id}", SubscriptionId, SubscriptionPublic
)
WEBHOOK_SUBSCRIPTIONS.get(
    service.get_subscription,
    "One subscription: whether it is enabled, and since when it has been failing, if it is.",
    operation_id="getWebhookSubscription",
)


@router.patch(
    "/webhook-subscriptions/{subscription_id}",
    operation_id="updateWebhookSubscription",
    response_model=SubscriptionPublic,
    responses=problem_responses(404, 412),
)
async def update_subscription(
    subscription_id: SubscriptionId,
    body: SubscriptionUpdate,
    request: Request,
    response: Response,
    session: Session,
    principal: Caller,
    expected_version: ExpectedVersion,
) -> WebhookSubscription:
    """Change the URL, the events or the description; `enabled: true` turns a subscription disabled
    after a day of failures back on (pending deliveries it gave up on can then be redelivered)."""
    subscription = await service.update_subscription(
        session,
        principal,
        subscription_id,
        body,
        allow_private=_allow_private(request),
        expected_version=expected_version,
    )
    set_etag(response, subscription.version)
    return subscription


WEBHOOK_SUBSCRIPTIONS.remove(
    service.delete_subscription,
    "Stop the subscription; nothing more is sent, pending deliveries included.",
    operation_id="deleteWebhookSubscription",
)


WEBHOOK_SUBSCRIPTIONS.items(
    "/deliveries",
    DeliveryPublic,
    service.list_deliveries,
    """The delivery log: every event sent (or being retried) to this subscription, oldest first, with
    the attempts made and the receiver's last answer. Retries back off exponentially.""",
    filters={"status": DeliveryStatus | None},
    each=_delivery,
    operation_id="listWebhookDeliveries",
)


WEBHOOK_DELIVERIES = Resource(router, "/webhook-deliveries/{delivery_id}", DeliveryId)
WEBHOOK_DELIVERIES.items(
    "/attempts",
    AttemptPublic,
    service.list_attempts,
    "Every try of one delivery: when, the status code or the error, and how long it took.",
    operation_id="listWebhookAttempts",
)


@router.post(
    "/webhook-deliveries/{delivery_id}/redeliver",
    operation_id="redeliverWebhook",
    response_model=DeliveryPublic,
    responses=problem_responses(404),
)
async def redeliver(delivery_id: DeliveryId, session: Session, principal: Caller) -> DeliveryPublic:
    """Send the event again, as soon as a worker is free, with the same `webhook-id`."""
    return _delivery(await service.redeliver(session, principal, delivery_id))
