"""GraphQL for the audit trail (district admins)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from app.audit import service
from app.audit.models import AuditEvent
from app.core.pagination import require_aware
from app.graphql.context import Context
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import Connection, page_request


@strawberry.type(
    name="AuditEvent", description="One write: who, what, before and after, when, which request."
)
class AuditEventType:
    database_id: uuid.UUID
    occurred_at: datetime
    actor_kind: str
    actor_id: uuid.UUID | None
    actor_label: str | None
    action: str
    entity_type: str
    entity_id: uuid.UUID | None
    before: JSON | None
    after: JSON | None
    request_id: str | None

    @classmethod
    def from_model(cls, event: AuditEvent) -> AuditEventType:
        return cls(
            database_id=event.id,
            occurred_at=event.created_at,
            actor_kind=event.actor_kind,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            action=event.action,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            before=event.before,
            after=event.after,
            request_id=event.request_id,
        )


@strawberry.type
class AuditQuery:
    @strawberry.field(permission_classes=AUTHENTICATED, description="Every write in your district (admins).")
    async def audit_events(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        entity_type: str | None = None,
        entity_id: uuid.UUID | None = None,
        actor_id: uuid.UUID | None = None,
        occurred_from: datetime | None = None,
        occurred_until: datetime | None = None,
    ) -> Connection[AuditEventType]:
        page = page_request(first, after)
        filters = service.AuditFilter(
            entity_type,
            entity_id,
            actor_id,
            require_aware(occurred_from, ("occurredFrom",)),
            require_aware(occurred_until, ("occurredUntil",)),
        )
        async with info.context.session() as session:
            result = await service.list_audit_events(session, info.context.principal, page, filters)
        return Connection.from_page(result, AuditEventType.from_model)
