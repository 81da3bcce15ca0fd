"""REST for the audit trail."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request, Response

from app.audit import service
from app.audit.schemas import AuditEventPublic
from app.core.rest import AreaRouter, Caller, ListParams, NewestFirst, Session, list_body, require_zone
from app.core.schemas import IsoDateTime, ListResponse

router = AreaRouter(tags=["audit"])


@router.get("/audit-events", response_model=ListResponse[AuditEventPublic])
async def list_audit_events(
    request: Request,
    response: Response,
    session: Session,
    principal: Caller,
    page: ListParams,
    newest_first: NewestFirst,
    entity_type: Annotated[str | None, Query(max_length=64, examples=["school"])] = None,
    entity_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    occurred_from: Annotated[
        IsoDateTime | None, Query(description="Inclusive, ISO 8601 with a zone.")
    ] = None,
    occurred_until: Annotated[
        IsoDateTime | None, Query(description="Exclusive, ISO 8601 with a zone.")
    ] = None,
) -> Response:
    """Every write in your district: who (user, client or the system), what, before and after, and the
    request id. District admins only. Secrets never appear in it. Oldest first, or `order=newest`."""
    filters = service.AuditFilter(
        entity_type=entity_type,
        entity_id=entity_id,
        actor_id=actor_id,
        occurred_from=require_zone(occurred_from, "occurred_from"),
        occurred_until=require_zone(occurred_until, "occurred_until"),
        newest_first=newest_first,
    )
    result = await service.list_audit_events(session, principal, page, filters)
    return list_body(request, response, result, AuditEventPublic)
