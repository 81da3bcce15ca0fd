"""GraphQL for webhook subscriptions and their delivery log. No rules here: `app.webhooks.service`."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from app.graphql.context import Context
from app.graphql.errors import UserError, run_mutation, validate_input
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import Connection, page_request, present_fields
from app.webhooks import service
from app.webhooks.models import DeliveryStatus, WebhookSubscription
from app.webhooks.schemas import SubscriptionCreate, SubscriptionUpdate


def _allow_private(info: Info[Context, None]) -> bool:
    request = getattr(info.context, "request", None)
    return bool(request is not None and request.app.state.settings.webhook_allow_private_addresses)


@strawberry.type(name="WebhookSubscription", description="An API client's subscription to events.")
class WebhookSubscriptionType:
    database_id: uuid.UUID
    api_client_id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    version: int

    @classmethod
    def from_model(cls, row: WebhookSubscription) -> WebhookSubscriptionType:
        return cls(
            database_id=row.id,
            api_client_id=row.api_client_id,
            url=row.url,
            description=row.description,
            event_types=list(row.event_types),
            enabled=row.enabled,
            disabled_reason=row.disabled_reason,
            failing_since=row.failing_since,
            version=row.version,
        )


@strawberry.type(name="WebhookDelivery", description="One event sent (or being retried) to a subscription.")
class WebhookDeliveryType:
    database_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None

    @classmethod
    def from_view(cls, view: service.DeliveryView) -> WebhookDeliveryType:
        d = view.delivery
        return cls(
            database_id=d.id,
            event_id=d.event_id,
            event_type=view.event_type,
            status=d.status.value,
            attempts=d.attempts,
            last_attempt_at=d.last_attempt_at,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            delivered_at=d.delivered_at,
        )


@strawberry.type
class WebhooksQuery:
    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="A client's own webhook subscriptions; district admins see every client's.",
    )
    async def webhook_subscriptions(
        self, info: Info[Context, None], first: int | None = 50, after: str | None = None
    ) -> Connection[WebhookSubscriptionType]:
        page = page_request(first, after)
        async with info.context.session() as session:
            result = await service.list_subscriptions(session, info.context.principal, page)
        return Connection.from_page(result, WebhookSubscriptionType.from_model)

    @strawberry.field(
        permission_classes=AUTHENTICATED, description="A subscription's delivery log, oldest first."
    )
    async def webhook_deliveries(
        self,
        info: Info[Context, None],
        subscription_id: uuid.UUID,
        first: int | None = 50,
        after: str | None = None,
        status: str | None = None,
    ) -> Connection[WebhookDeliveryType]:
        page = page_request(first, after)
        wanted = DeliveryStatus(status) if status in DeliveryStatus.__members__.values() else None
        async with info.context.session() as session:
            result = await service.list_deliveries(
                session, info.context.principal, subscription_id, page, wanted
            )
        return Connection.from_page(result, WebhookDeliveryType.from_view)


@strawberry.input
class CreateWebhookSubscriptionInput:
    url: str
    event_types: list[str]
    description: str | None = None
    api_client_id: uuid.UUID | None = None


@strawberry.input
class UpdateWebhookSubscriptionInput:
    id: uuid.UUID
    url: str | None = strawberry.UNSET
    event_types: list[str] | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    enabled: bool | None = strawberry.UNSET
    expected_version: int | None = None


@strawberry.type
class WebhookSubscriptionPayload:
    subscription: WebhookSubscriptionType | None = None
    secret: str | None = strawberry.field(
        default=None, description="The signing secret, only when the subscription is created. Store it now."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDeliveryType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteWebhookSubscriptionPayload:
    deleted_id: uuid.UUID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation(
        permission_classes=AUTHENTICATED,
        description="Subscribe an API client to events (Standard Webhooks, signed with the secret returned "
        "here once). Clients subscribe themselves; district admins name the client.",
    )
    async def create_webhook_subscription(
        self, info: Info[Context, None], input: CreateWebhookSubscriptionInput
    ) -> WebhookSubscriptionPayload:
        principal = info.context.principal

        async def work(session: AsyncSession) -> WebhookSubscriptionPayload:
            data = validate_input(SubscriptionCreate, present_fields(input))
            row, secret = await service.create_subscription(
                session, principal, data, allow_private=_allow_private(info)
            )
            return WebhookSubscriptionPayload(
                subscription=WebhookSubscriptionType.from_model(row), secret=secret
            )

        return await run_mutation(info.context, work, lambda e: WebhookSubscriptionPayload(user_errors=e))

    @strawberry.mutation(
        permission_classes=AUTHENTICATED,
        description="Change a subscription, or enable it again; send `expectedVersion` to refuse stale writes.",
    )
    async def update_webhook_subscription(
        self, info: Info[Context, None], input: UpdateWebhookSubscriptionInput
    ) -> WebhookSubscriptionPayload:
        principal = info.context.principal

        async def work(session: AsyncSession) -> WebhookSubscriptionPayload:
            data = validate_input(
                SubscriptionUpdate, present_fields(input, exclude=frozenset({"id", "expected_version"}))
            )
            row = await service.update_subscription(
                session,
                principal,
                input.id,
                data,
                allow_private=_allow_private(info),
                expected_version=input.expected_version,
            )
            return WebhookSubscriptionPayload(subscription=WebhookSubscriptionType.from_model(row))

        return await run_mutation(info.context, work, lambda e: WebhookSubscriptionPayload(user_errors=e))

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Stop a subscription.")
    async def delete_webhook_subscription(
        self, info: Info[Context, None], id: uuid.UUID
    ) -> DeleteWebhookSubscriptionPayload:
        principal = info.context.principal

        async def work(session: AsyncSession) -> DeleteWebhookSubscriptionPayload:
            await service.delete_subscription(session, principal, id)
            return DeleteWebhookSubscriptionPayload(deleted_id=id)

        return await run_mutation(
            info.context, work, lambda e: DeleteWebhookSubscriptionPayload(user_errors=e)
        )

    @strawberry.mutation(
        permission_classes=AUTHENTICATED, description="Send a delivery again, with the same `webhook-id`."
    )
    async def redeliver_webhook(self, info: Info[Context, None], id: uuid.UUID) -> WebhookDeliveryPayload:
        principal = info.context.principal

        async def work(session: AsyncSession) -> WebhookDeliveryPayload:
            view = await service.redeliver(session, principal, id)
            return WebhookDeliveryPayload(delivery=WebhookDeliveryType.from_view(view))

        return await run_mutation(info.context, work, lambda e: WebhookDeliveryPayload(user_errors=e))
