"""REST for webhook subscriptions and their delivery log: parse, call the service, shape the reply."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Request, Response, status

from app.core.problems import problem_responses
from app.core.resources import Resource
from app.core.rest import AreaRouter, Caller, ExpectedVersion, ListParams, Session, list_body, set_etag
from app.core.schemas import ListResponse
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

router = AreaRouter(tags=["webhooks"], responses=problem_responses(401, 403, 422))

SubscriptionId = Annotated[uuid.UUID, Path(description="The subscription's id.")]
DeliveryId = Annotated[uuid.UUID, Path(description="The delivery's id.")]


def _allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.webhook_allow_private_addresses)


def _delivery(view: service.DeliveryView) -> DeliveryPublic:
    d = view.delivery
    return DeliveryPublic(
        id=d.id,
        created_at=d.created_at,
        updated_at=d.updated_at,
        subscription_id=d.subscription_id,
        event_id=d.event_id,
        event_type=view.event_type,
        status=d.status,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at if d.status is DeliveryStatus.PENDING else None,
        last_attempt_at=d.last_attempt_at,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        delivered_at=d.delivered_at,
    )


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


@router.get(
    "/webhook-subscriptions",
    operation_id="listWebhookSubscriptions",
    response_model=ListResponse[SubscriptionPublic],
)
async def list_subscriptions(
    request: Request, response: Response, session: Session, principal: Caller, page: ListParams
) -> Response:
    """A client's own subscriptions; district admins see every client's. Secrets are never listed."""
    return list_body(
        request, response, await service.list_subscriptions(session, principal, page), SubscriptionPublic
    )


@router.get(
    "/webhook-subscriptions/{subscription_id}",
    operation_id="getWebhookSubscription",
    response_model=SubscriptionPublic,
    responses=problem_responses(404),
)
async def get_subscription(
    subscription_id: SubscriptionId, response: Response, session: Session, principal: Caller
) -> WebhookSubscription:
    """One subscription: whether it is enabled, and since when it has been failing, if it is."""
    subscription = await service.get_subscription(session, principal, subscription_id)
    set_etag(response, subscription.version)
    return subscription


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


WEBHOOK_SUBSCRIPTIONS = Resource(router, "/webhook-subscriptions/{subscription_id}", SubscriptionId)
WEBHOOK_SUBSCRIPTIONS.remove(
    service.delete_subscription,
    "Stop the subscription; nothing more is sent, pending deliveries included.",
    operation_id="deleteWebhookSubscription",
)


@router.get(
    "/webhook-subscriptions/{subscription_id}/deliveries",
    operation_id="listWebhookDeliveries",
    response_model=ListResponse[DeliveryPublic],
    responses=problem_responses(404),
)
async def list_deliveries(
    subscription_id: SubscriptionId,
    request: Request,
    response: Response,
    session: Session,
    principal: Caller,
    page: ListParams,
    status: DeliveryStatus | None = None,
) -> Response:
    """The delivery log: every event sent (or being retried) to this subscription, oldest first, with
    the attempts made and the receiver's last answer. Retries back off exponentially."""
    result = await service.list_deliveries(session, principal, subscription_id, page, status)
    deliveries = result.with_items([_delivery(view) for view in result.items])
    return list_body(request, response, deliveries, DeliveryPublic)


@router.get(
    "/webhook-deliveries/{delivery_id}/attempts",
    operation_id="listWebhookAttempts",
    response_model=ListResponse[AttemptPublic],
    responses=problem_responses(404),
)
async def list_attempts(
    delivery_id: DeliveryId,
    request: Request,
    response: Response,
    session: Session,
    principal: Caller,
    page: ListParams,
) -> Response:
    """Every try of one delivery: when, the status code or the error, and how long it took."""
    return list_body(
        request, response, await service.list_attempts(session, principal, delivery_id, page), AttemptPublic
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
