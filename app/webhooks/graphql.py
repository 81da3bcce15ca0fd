"""GraphQL for webhook subscriptions and their delivery log. No rules here: `app.webhooks.service`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from app.auth.permissions import Action
from app.auth.policy import get_visible_many
from app.auth.principal import Principal
from app.core.errors import FieldError, ValidationFailed
from app.graphql.context import Context
from app.graphql.errors import UserError, validate_input
from app.graphql.kit import (
    Answer,
    answer,
    converter,
    listing,
    mutate,
    mutate_arguments,
    node_resolver,
    payload,
    read,
)
from app.graphql.loaders import by_id, load_nodes
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import Connection, page_request, parse_global_id, present_fields
from app.identity.graphql import ApiClientType
from app.identity.models import ApiClient
from app.webhooks import service
from app.webhooks.models import DeliveryStatus, WebhookSubscription
from app.webhooks.schemas import SubscriptionCreate, SubscriptionUpdate


def _allow_private(info: Info[Context, None]) -> bool:
    request = getattr(info.context, "request", None)
    return bool(request is not None and request.app.state.settings.webhook_allow_private_addresses)


def _either_id(
    raw: uuid.UUID | None, global_id: relay.GlobalID | None, type_name: str, *, raw_field: str, field: str
) -> uuid.UUID:
    """The row named by its global id (`field`) or, as before global ids, by its UUID (`raw_field`,
    deprecated): exactly one of the two."""
    if (raw is None) == (global_id is None):
        raise ValidationFailed(
            f"Give {field} (or the deprecated {raw_field}), not both or neither.",
            errors=[FieldError((field,), f"Give the {type_name}'s global id.", "required")],
        )
    return raw if raw is not None else parse_global_id(global_id, type_name, field=field)  # type: ignore[arg-type]


subscription_by_id = by_id(service.subscriptions_by_id)
api_client_by_id = by_id(
    lambda session, principal, ids: get_visible_many(
        session, ApiClient, ids, principal, Action.API_CLIENT_MANAGE
    )
)
delivery_by_id = by_id(service.deliveries_by_id)

_RAW = "A database UUID; use `{}`, the global id `node(id:)` answers."


@converter(WebhookSubscription, event_types=lambda row: list(row.event_types))
@strawberry.type(name="WebhookSubscription", description="An API client's subscription to events.")
class WebhookSubscriptionType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID
    api_client_id: uuid.UUID = strawberry.field(deprecation_reason=_RAW.format("apiClient { id }"))
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    version: int

    @strawberry.field(description="The API client the events go to (null to whoever may not read it).")
    async def api_client(self, info: Info[Context, None]) -> ApiClientType | None:
        found = await load_nodes(
            info, "api_client_by_id", api_client_by_id, [str(self.api_client_id)], ApiClientType.from_model
        )
        return found[0]

    resolve_nodes = node_resolver("webhook_subscription_by_id", subscription_by_id, via="load_nodes")


@strawberry.type(name="WebhookDelivery", description="One event sent (or being retried) to a subscription.")
class WebhookDeliveryType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID
    subscription_id: relay.GlobalID = strawberry.field(description="The subscription it was sent to.")
    event_id: uuid.UUID = strawberry.field(
        description="The event's id, sent as the `webhook-id` header (events are no nodes of their own)."
    )
    event_type: str
    status: str
    attempts: int
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None

    @strawberry.field(description="The subscription it was sent to.")
    async def subscription(self, info: Info[Context, None]) -> WebhookSubscriptionType | None:
        found = await WebhookSubscriptionType.resolve_nodes(
            info=info, node_ids=[self.subscription_id.node_id]
        )
        return found[0]

    @classmethod
    def from_view(cls, view: service.DeliveryView) -> WebhookDeliveryType:
        d = view.delivery
        return cls(
            id=str(d.id),
            database_id=d.id,
            subscription_id=relay.GlobalID("WebhookSubscription", str(d.subscription_id)),
            event_id=d.event_id,
            event_type=view.event_type,
            status=d.status.value,
            attempts=d.attempts,
            last_attempt_at=d.last_attempt_at,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            delivered_at=d.delivered_at,
        )

    resolve_nodes = node_resolver(
        "webhook_delivery_by_id", delivery_by_id, via="load_nodes", convert="from_view"
    )


@strawberry.type
class WebhooksQuery:
    webhook_subscriptions = listing(
        "A client's own webhook subscriptions; district admins see every client's.",
        WebhookSubscriptionType,
        service.list_subscriptions,
        updated_since=False,
    )

    @strawberry.field(
        permission_classes=AUTHENTICATED, description="A subscription's delivery log, oldest first."
    )
    async def webhook_deliveries(
        self,
        info: Info[Context, None],
        subscription_id: Annotated[
            uuid.UUID | None, strawberry.argument(deprecation_reason=_RAW.format("subscriptionGlobalId"))
        ] = None,
        first: int | None = 50,
        after: str | None = None,
        status: str | None = None,
        subscription_global_id: Annotated[
            relay.GlobalID | None, strawberry.argument(description="The subscription.")
        ] = None,
    ) -> Connection[WebhookDeliveryType]:
        page = page_request(first, after)
        subscription_id = _subscription_id(subscription_id, subscription_global_id, "subscriptionId")
        wanted = DeliveryStatus(status) if status in DeliveryStatus.__members__.values() else None
        result = await read(info, service.list_deliveries, subscription_id, page, wanted)
        return Connection.from_page(result, WebhookDeliveryType.from_view)


@strawberry.input
class CreateWebhookSubscriptionInput:
    url: str
    event_types: list[str]
    description: str | None = None
    api_client_id: uuid.UUID | None = strawberry.field(
        default=None, deprecation_reason=_RAW.format("apiClientGlobalId")
    )
    api_client_global_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The client to subscribe (district admins); by default yourself."
    )


@strawberry.input
class UpdateWebhookSubscriptionInput:
    id: uuid.UUID | None = strawberry.field(
        default=None, deprecation_reason=_RAW.format("subscriptionGlobalId")
    )
    subscription_global_id: relay.GlobalID | None = None
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


WebhookDeliveryPayload = payload("WebhookDeliveryPayload", delivery=WebhookDeliveryType)


@strawberry.type
class DeleteWebhookSubscriptionPayload:
    deleted_id: uuid.UUID | None = strawberry.field(
        default=None, deprecation_reason=_RAW.format("deletedGlobalId")
    )
    deleted_global_id: relay.GlobalID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _subscription_id(raw: uuid.UUID | None, global_id: relay.GlobalID | None, raw_field: str) -> uuid.UUID:
    return _either_id(
        raw, global_id, "WebhookSubscription", raw_field=raw_field, field="subscriptionGlobalId"
    )


async def _create(
    session: AsyncSession, principal: Principal, input: CreateWebhookSubscriptionInput, allow_private: bool
) -> tuple[WebhookSubscription, str]:
    fields = present_fields(input, exclude=frozenset({"api_client_global_id"}))
    if input.api_client_global_id is not None:
        fields["api_client_id"] = _either_id(
            input.api_client_id,
            input.api_client_global_id,
            "ApiClient",
            raw_field="apiClientId",
            field="apiClientGlobalId",
        )
    data = validate_input(SubscriptionCreate, fields)
    return await service.create_subscription(session, principal, data, allow_private=allow_private)


async def _update(
    session: AsyncSession, principal: Principal, input: UpdateWebhookSubscriptionInput, allow_private: bool
) -> WebhookSubscription:
    fields = present_fields(input, exclude=frozenset({"id", "subscription_global_id", "expected_version"}))
    data = validate_input(SubscriptionUpdate, fields)
    subscription_id = _subscription_id(input.id, input.subscription_global_id, "id")
    return await service.update_subscription(
        session,
        principal,
        subscription_id,
        data,
        allow_private=allow_private,
        expected_version=input.expected_version,
    )


async def _delete(
    session: AsyncSession, principal: Principal, raw: uuid.UUID | None, global_id: relay.GlobalID | None
) -> uuid.UUID:
    subscription_id = _subscription_id(raw, global_id, "id")
    await service.delete_subscription(session, principal, subscription_id)
    return subscription_id


async def _redeliver(
    session: AsyncSession, principal: Principal, raw: uuid.UUID | None, global_id: relay.GlobalID | None
) -> service.DeliveryView:
    delivery_id = _either_id(raw, global_id, "WebhookDelivery", raw_field="id", field="deliveryGlobalId")
    return await service.redeliver(session, principal, delivery_id)


_CREATED = Answer(
    WebhookSubscriptionPayload,
    convert=lambda created: {
        "subscription": WebhookSubscriptionType.from_model(created[0]),
        "secret": created[1],
    },
)
_SUBSCRIPTION = answer(WebhookSubscriptionPayload, subscription=WebhookSubscriptionType.from_model)
_DELETED = Answer(
    DeleteWebhookSubscriptionPayload,
    convert=lambda deleted: {
        "deleted_id": deleted,
        "deleted_global_id": relay.GlobalID("WebhookSubscription", str(deleted)),
    },
)
_REDELIVERED = answer(WebhookDeliveryPayload, delivery=WebhookDeliveryType.from_view)


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
        return await mutate(info, _CREATED, _create, input, _allow_private(info))

    @strawberry.mutation(
        permission_classes=AUTHENTICATED,
        description="Change a subscription, or enable it again; send `expectedVersion` to refuse stale writes.",
    )
    async def update_webhook_subscription(
        self, info: Info[Context, None], input: UpdateWebhookSubscriptionInput
    ) -> WebhookSubscriptionPayload:
        return await mutate(info, _SUBSCRIPTION, _update, input, _allow_private(info))

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Stop a subscription.")
    async def delete_webhook_subscription(
        self,
        info: Info[Context, None],
        id: Annotated[
            uuid.UUID | None, strawberry.argument(deprecation_reason=_RAW.format("subscriptionGlobalId"))
        ] = None,
        subscription_global_id: relay.GlobalID | None = None,
    ) -> DeleteWebhookSubscriptionPayload:
        return await mutate_arguments(info, _DELETED, _delete, id, subscription_global_id)

    @strawberry.mutation(
        permission_classes=AUTHENTICATED, description="Send a delivery again, with the same `webhook-id`."
    )
    async def redeliver_webhook(
        self,
        info: Info[Context, None],
        id: Annotated[
            uuid.UUID | None, strawberry.argument(deprecation_reason=_RAW.format("deliveryGlobalId"))
        ] = None,
        delivery_global_id: relay.GlobalID | None = None,
    ) -> WebhookDeliveryPayload:
        return await mutate_arguments(info, _REDELIVERED, _redeliver, id, delivery_global_id)
