"""GraphQL for the audit trail (district admins)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from app.audit import service
from app.audit.models import AuditEvent
from app.core.pagination import require_aware
from app.graphql.context import Context
from app.graphql.kit import converter, read
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import (
    ACTOR_TYPES,
    TABLE_OF_NODE_TYPE,
    Connection,
    actor_global_id,
    entity_global_id,
    node_uuid,
    page_request,
)


@converter(
    AuditEvent,
    occurred_at="row.created_at",
    actor_global_id=lambda row: actor_global_id(row.actor_kind, row.actor_id),
    entity_global_id=lambda row: entity_global_id(row.entity_type, row.entity_id),
)
@strawberry.type(
    name="AuditEvent", description="One write: who, what, before and after, when, which request."
)
class AuditEventType:
    database_id: uuid.UUID
    occurred_at: datetime
    actor_kind: str
    actor_id: uuid.UUID | None = strawberry.field(
        deprecation_reason="A database UUID; use `actorGlobalId`, the global id `node(id:)` answers."
    )
    actor_global_id: relay.GlobalID | None = strawberry.field(
        description="Who wrote: a `User` or an `ApiClient`; null for the installation's operator."
    )
    actor_label: str | None
    action: str
    entity_type: str
    entity_id: uuid.UUID | None = strawberry.field(
        deprecation_reason="A database UUID; use `entityGlobalId`, the global id `node(id:)` answers."
    )
    entity_global_id: relay.GlobalID | None = strawberry.field(
        description="What was written, when it is a `Node` (null for rows GraphQL does not show, such as "
        "sync records and webhook deliveries): `node(id:)` answers it while it exists and you may read it."
    )
    before: JSON | None
    after: JSON | None
    request_id: str | None


# A filter no row meets: a global id of a type that is never written, or two filters that disagree.
_NOTHING = uuid.UUID(int=0)


def _entity_filter(
    value: relay.GlobalID, entity_type: str | None, entity_id: uuid.UUID | None
) -> tuple[str, uuid.UUID]:
    """`entityType` and `entityId` from an entity's global id, meeting any given alongside it."""
    table = TABLE_OF_NODE_TYPE.get(value.type_name)
    row_id = node_uuid(value, value.type_name)
    if table is None or row_id is None or entity_type not in (None, table) or entity_id not in (None, row_id):
        return entity_type or value.type_name, _NOTHING
    return table, row_id


def _actor_filter(value: relay.GlobalID, actor_id: uuid.UUID | None) -> uuid.UUID:
    """`actorId` from an actor's global id, meeting any given alongside it."""
    row_id = node_uuid(value, value.type_name) if value.type_name in ACTOR_TYPES.values() else None
    if row_id is None or actor_id not in (None, row_id):
        return _NOTHING
    return row_id


@strawberry.type
class AuditQuery:
    @strawberry.field(permission_classes=AUTHENTICATED, description="Every write in your district (admins).")
    async def audit_events(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        entity_type: str | None = None,
        entity_id: Annotated[
            uuid.UUID | None,
            strawberry.argument(deprecation_reason="A database UUID; use `entityGlobalId`."),
        ] = None,
        actor_id: Annotated[
            uuid.UUID | None,
            strawberry.argument(deprecation_reason="A database UUID; use `actorGlobalId`."),
        ] = None,
        entity_global_id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(description="Only writes of this object (the id `node(id:)` takes)."),
        ] = None,
        actor_global_id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(description="Only writes by this `User` or `ApiClient`."),
        ] = None,
        occurred_from: datetime | None = None,
        occurred_until: datetime | None = None,
    ) -> Connection[AuditEventType]:
        page = page_request(first, after)
        if entity_global_id is not None:
            entity_type, entity_id = _entity_filter(entity_global_id, entity_type, entity_id)
        if actor_global_id is not None:
            actor_id = _actor_filter(actor_global_id, actor_id)
        filters = service.AuditFilter(
            entity_type,
            entity_id,
            actor_id,
            require_aware(occurred_from, ("occurredFrom",)),
            require_aware(occurred_until, ("occurredUntil",)),
        )
        result = await read(info, service.list_audit_events, page, filters)
        return Connection.from_page(result, AuditEventType.from_model)
