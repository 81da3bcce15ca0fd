"""Reading the audit trail (district admins). Writing it is the session's job: app.audit.recorder."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth.permissions import Action
from app.auth.policy import require, visible
from app.auth.principal import Principal
from app.core.pagination import Page, PageRequest, paginate
from app.core.repository import where_equal


@dataclass(frozen=True, slots=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    occurred_from: datetime | None = None
    occurred_until: datetime | None = None
    newest_first: bool = False


async def list_audit_events(
    session: AsyncSession, principal: Principal, page: PageRequest, filters: AuditFilter
) -> Page[AuditEvent]:
    """The district's audit events, oldest first (newest first with `filters.newest_first`), narrowed
    by `filters`. District admins only."""
    require(principal, Action.AUDIT_READ)
    stmt = visible(select(AuditEvent), AuditEvent, principal, Action.AUDIT_READ)
    stmt = where_equal(stmt, AuditEvent, filters, "entity_type", "entity_id", "actor_id")
    if filters.occurred_from is not None:
        stmt = stmt.where(AuditEvent.created_at >= filters.occurred_from)
    if filters.occurred_until is not None:
        stmt = stmt.where(AuditEvent.created_at < filters.occurred_until)
    return await paginate(session, stmt, AuditEvent, page, newest_first=filters.newest_first)
