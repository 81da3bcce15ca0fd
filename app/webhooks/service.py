"""Webhook subscriptions: who may subscribe to what, where events may go, and the delivery log.

The rules:
- A subscription belongs to one API client of the district. The client manages its own; district
  admins (`WEBHOOK_MANAGE`) manage every client's. Another client's subscription is not found.
- A client is told only of events its scopes would let it read (`EVENT_ACTIONS`): asking for more is
  refused, and a delivery is skipped if the client lost the scope since (checked again at send time).
- The URL must use https and resolve to public addresses only (`app.webhooks.addresses`), unless
  the installation allows private ones (`webhook_allow_private_addresses`, for local receivers).
- The secret is made here and returned once, by `create_subscription`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Action
from app.auth.policy import authorize, authorize_for_client, require_authenticated, scopes_cover
from app.auth.principal import Principal, PrincipalKind
from app.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from app.core.models import utcnow
from app.core.pagination import Page, PageRequest, paginate
from app.core.repository import VersionCheck, apply_changes, check_version, get_part_or_404, where_given
from app.core.sql import any_of
from app.identity.models import ApiClient
from app.webhooks import addresses, signing
from app.webhooks.events import EVENT_ACTIONS, EventType
from app.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from app.webhooks.schemas import SubscriptionCreate, SubscriptionUpdate


@dataclass(frozen=True, slots=True)
class DeliveryView:
    delivery: WebhookDelivery
    event_type: str


async def _client(session: AsyncSession, principal: Principal, api_client_id: uuid.UUID | None) -> ApiClient:
    require_authenticated(principal)
    if api_client_id is None:
        if principal.kind is not PrincipalKind.CLIENT or principal.id is None:
            raise ValidationFailed(
                "Name the API client the events are for.",
                errors=[
                    FieldError(("api_client_id",), "Required unless a client subscribes itself.", "required")
                ],
            )
        api_client_id = principal.id
    client = await session.get(ApiClient, api_client_id)
    if client is None or client.district_id != principal.district_id or client.revoked_at is not None:
        raise NotFound(
            f"No API client with id {api_client_id}.",
            errors=[FieldError(("api_client_id",), "Not an active client of this district.", "not_found")],
        )
    authorize_for_client(principal, client.id, client.district_id)
    return client


def _check_events(client: ApiClient, event_types: list[EventType]) -> list[str]:
    uncovered = [t for t in event_types if not scopes_cover(client.scopes, EVENT_ACTIONS[t])]
    if uncovered:
        raise ValidationFailed(
            "The client's scopes do not cover every event asked for: it is told only of what it may read.",
            errors=[
                FieldError(("event_types", event_types.index(t)), f"{t.value} needs more scopes.", "scope")
                for t in uncovered
            ],
        )
    return list(dict.fromkeys(t.value for t in event_types))


async def _check_url(url: str, allow_private: bool) -> str:
    try:
        await addresses.check_url(url, allow_private=allow_private)
    except addresses.RefusedAddress as exc:
        raise ValidationFailed(str(exc), errors=[FieldError(("url",), str(exc), "refused_address")]) from exc
    return url


async def create_subscription(
    session: AsyncSession, principal: Principal, data: SubscriptionCreate, *, allow_private: bool
) -> tuple[WebhookSubscription, str]:
    """Subscribe a client to events; returns the subscription and its secret, which is never shown
    again. Raises `NotFound` (the client), `PermissionDenied` and `ValidationFailed` (events the
    client's scopes do not cover, a URL that is not https or not public)."""
    client = await _client(session, principal, data.api_client_id)
    event_types = _check_events(client, data.event_types)
    url = await _check_url(str(data.url), allow_private)
    secret = signing.new_secret()
    subscription = WebhookSubscription(
        district_id=client.district_id,
        api_client_id=client.id,
        url=url,
        description=data.description,
        event_types=event_types,
        secret=secret,
    )
    session.add(subscription)
    await session.flush()
    return subscription, secret


def _visible(principal: Principal, district_id: uuid.UUID) -> Any:
    stmt = select(WebhookSubscription).where(WebhookSubscription.district_id == district_id)
    if principal.kind is PrincipalKind.CLIENT:
        return stmt.where(WebhookSubscription.api_client_id == principal.id)
    authorize(principal, Action.WEBHOOK_MANAGE, district_id=district_id)
    return stmt


async def list_subscriptions(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> Page[WebhookSubscription]:
    """A client's own subscriptions; for district admins, every client's in the district."""
    require_authenticated(principal)
    if principal.district_id is None:
        raise PermissionDenied("Webhook subscriptions belong to a district.")
    return await paginate(session, _visible(principal, principal.district_id), WebhookSubscription, page)


async def get_subscription(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, *, lock: bool = False
) -> WebhookSubscription:
    """One subscription the caller manages. Raises `NotFound` for any other."""
    require_authenticated(principal)
    subscription = await session.get(WebhookSubscription, subscription_id, with_for_update=lock)
    if subscription is None:
        raise NotFound(f"No webhook subscription with id {subscription_id}.")
    try:
        authorize_for_client(principal, subscription.api_client_id, subscription.district_id)
    except NotFound:
        raise NotFound(f"No webhook subscription with id {subscription_id}.") from None
    return subscription


async def subscriptions_by_id(
    session: AsyncSession, principal: Principal, subscription_ids: list[uuid.UUID]
) -> dict[uuid.UUID, WebhookSubscription]:
    """The subscriptions among `subscription_ids` the caller manages (for DataLoaders and `node(id:)`),
    by the rule `get_subscription` applies to one: the rest are absent."""
    require_authenticated(principal)
    if principal.district_id is None or not subscription_ids:
        return {}
    stmt = _visible(principal, principal.district_id).where(any_of(WebhookSubscription.id, subscription_ids))
    return {row.id: row for row in (await session.execute(stmt)).scalars()}


async def deliveries_by_id(
    session: AsyncSession, principal: Principal, delivery_ids: list[uuid.UUID]
) -> dict[uuid.UUID, DeliveryView]:
    """The deliveries among `delivery_ids` of subscriptions the caller manages, with their event's
    type (for `node(id:)`); the rest are absent, as `list_deliveries` shows none of them."""
    require_authenticated(principal)
    if principal.district_id is None or not delivery_ids:
        return {}
    visible = _visible(principal, principal.district_id).with_only_columns(WebhookSubscription.id)
    stmt = (
        select(WebhookDelivery, WebhookEvent.type)
        .outerjoin(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(any_of(WebhookDelivery.id, delivery_ids), WebhookDelivery.subscription_id.in_(visible))
    )
    rows = (await session.execute(stmt)).all()
    return {delivery.id: DeliveryView(delivery, event_type or "") for delivery, event_type in rows}


async def update_subscription(
    session: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    data: SubscriptionUpdate,
    *,
    allow_private: bool,
    expected_version: VersionCheck = None,
) -> WebhookSubscription:
    """Change the URL, events or description, or enable it again (which forgets past failures)."""
    subscription = await get_subscription(session, principal, subscription_id, lock=True)
    check_version(subscription, expected_version, what="webhook subscription")
    changes = data.changes()
    for name in ("url", "event_types", "enabled"):
        if name in changes and changes[name] is None:
            raise ValidationFailed(
                f"{name} cannot be null.", errors=[FieldError((name,), "Leave it out instead.", "null")]
            )
    if "url" in changes:
        changes["url"] = await _check_url(str(changes["url"]), allow_private)
    if "event_types" in changes:
        client = await session.get_one(ApiClient, subscription.api_client_id)
        changes["event_types"] = _check_events(client, data.event_types or [])
    if changes.get("enabled") and not subscription.enabled:
        changes |= {"disabled_reason": None, "failing_since": None}
    apply_changes(subscription, changes)
    await session.flush()
    return subscription


async def delete_subscription(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> None:
    """Remove the subscription; its pending deliveries go with it."""
    subscription = await get_subscription(session, principal, subscription_id, lock=True)
    await session.delete(subscription)
    await session.flush()


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    page: PageRequest,
    status: DeliveryStatus | None = None,
) -> Page[DeliveryView]:
    """The subscription's delivery log, oldest first: each event, its state and last answer."""
    subscription = await get_subscription(session, principal, subscription_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    stmt = where_given(stmt, WebhookDelivery, status=status)
    found = await paginate(session, stmt, WebhookDelivery, page)
    types: dict[uuid.UUID, str] = {}
    if found.items:
        types = dict(
            (
                await session.execute(
                    select(WebhookEvent.id, WebhookEvent.type).where(
                        WebhookEvent.id.in_([d.event_id for d in found.items])
                    )
                )
            ).all()
        )
    views = [DeliveryView(d, types.get(d.event_id, "")) for d in found.items]
    return found.with_items(views)


async def _delivery(session: AsyncSession, principal: Principal, delivery_id: uuid.UUID) -> WebhookDelivery:
    async def of_managed_subscription(row: WebhookDelivery) -> None:
        await get_subscription(session, principal, row.subscription_id)

    return await get_part_or_404(
        session, WebhookDelivery, delivery_id, of_managed_subscription, what="webhook delivery", lock=True
    )


async def list_attempts(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID, page: PageRequest
) -> Page[WebhookAttempt]:
    """Every try of one delivery: when, the receiver's status code or the error, how long it took."""
    delivery = await _delivery(session, principal, delivery_id)
    stmt = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
    return await paginate(session, stmt, WebhookAttempt, page)


async def redeliver(session: AsyncSession, principal: Principal, delivery_id: uuid.UUID) -> DeliveryView:
    """Send a delivery again as soon as a worker is free, whatever became of it: the receiver gets the
    same `webhook-id`, so it can tell a repeat. Raises `NotFound` and `ValidationFailed` (the
    subscription is disabled: enable it first)."""
    delivery = await _delivery(session, principal, delivery_id)
    subscription = await session.get_one(WebhookSubscription, delivery.subscription_id)
    if not subscription.enabled:
        raise ValidationFailed(
            "The subscription is disabled; enable it first.",
            errors=[FieldError(("subscription",), "Disabled.", "disabled")],
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = utcnow()
    delivery.delivered_at = None
    await session.flush()
    event_type = await session.scalar(select(WebhookEvent.type).where(WebhookEvent.id == delivery.event_id))
    return DeliveryView(delivery, event_type or "")
