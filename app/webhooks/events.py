"""The events integrators can subscribe to, and `emit`, which services call in their own transaction.

An event carries the ids it is about and nothing else: a receiver that wants the content reads it
through the API with its own token, where its scopes apply as on any read.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Action
from app.core.models import utcnow
from app.webhooks.models import WebhookEvent


class EventType(StrEnum):
    PLAN_SUBMITTED = "plan.submitted"
    PLAN_APPROVED = "plan.approved"
    PLAN_ACTIVATED = "plan.activated"
    PLAN_CLOSED = "plan.closed"
    REVISION_PROPOSED = "revision.proposed"
    REVISION_DECIDED = "revision.decided"
    INPUT_RECORDED = "input.recorded"
    INPUT_ANSWERED = "input.answered"
    CHECKPOINT_DUE = "checkpoint.due"
    CHECKPOINT_HELD = "checkpoint.held"
    MEASUREMENT_RECORDED = "measurement.recorded"
    INDICATOR_STATUS_CHANGED = "indicator.status_changed"
    SYNC_RUN_FINISHED = "sync_run.finished"


# What a client's scopes must cover to be told of an event: the read that would show its subject.
EVENT_ACTIONS: dict[EventType, Action] = {
    EventType.PLAN_SUBMITTED: Action.PLAN_READ,
    EventType.PLAN_APPROVED: Action.PLAN_READ,
    EventType.PLAN_ACTIVATED: Action.PLAN_READ,
    EventType.PLAN_CLOSED: Action.PLAN_READ,
    EventType.REVISION_PROPOSED: Action.PLAN_READ,
    EventType.REVISION_DECIDED: Action.PLAN_READ,
    EventType.INPUT_RECORDED: Action.ACTIVITY_READ,
    EventType.INPUT_ANSWERED: Action.ACTIVITY_READ,
    EventType.CHECKPOINT_DUE: Action.PLAN_READ,
    EventType.CHECKPOINT_HELD: Action.PLAN_READ,
    EventType.MEASUREMENT_RECORDED: Action.INITIATIVE_READ,
    EventType.INDICATOR_STATUS_CHANGED: Action.INITIATIVE_READ,
    EventType.SYNC_RUN_FINISHED: Action.SYNC_RUN_READ,
}

# Where the subject is read back, relative to the API root.
LINKS: dict[EventType, str] = {
    EventType.PLAN_SUBMITTED: "/plans/{id}",
    EventType.PLAN_APPROVED: "/plans/{id}",
    EventType.PLAN_ACTIVATED: "/plans/{id}",
    EventType.PLAN_CLOSED: "/plans/{id}",
    EventType.REVISION_PROPOSED: "/plan-revisions/{id}",
    EventType.REVISION_DECIDED: "/plan-revisions/{id}",
    EventType.INPUT_RECORDED: "/inputs/{id}",
    EventType.INPUT_ANSWERED: "/inputs/{id}",
    EventType.CHECKPOINT_DUE: "/checkpoints/{id}",
    EventType.CHECKPOINT_HELD: "/checkpoints/{id}",
    EventType.MEASUREMENT_RECORDED: "/measurements/{id}",
    EventType.INDICATOR_STATUS_CHANGED: "/indicators/{id}",
    EventType.SYNC_RUN_FINISHED: "/sync/runs/{id}",
}


def emit(
    session: AsyncSession,
    district_id: uuid.UUID,
    event_type: EventType,
    subject_id: uuid.UUID,
    *,
    dedup_key: str | None = None,
    **ids: uuid.UUID | str | None,
) -> None:
    """Record that `event_type` happened to `subject_id`, in the caller's transaction.

    Flushed with the caller's next flush and committed or rolled back with its change. `ids` are
    further ids (never content) a receiver may want without a read, such as the plan of a revision.
    """
    session.add(
        WebhookEvent(
            district_id=district_id,
            type=event_type.value,
            subject_id=subject_id,
            data=_plain(ids),
            dedup_key=dedup_key,
        )
    )


async def emit_many(
    session: AsyncSession,
    district_id: uuid.UUID,
    event_type: EventType,
    subjects: list[tuple[uuid.UUID, dict[str, Any]]],
) -> None:
    """`emit` for many subjects at once, as one INSERT (bulk writes record thousands of rows)."""
    if not subjects:
        return
    now = utcnow()
    await session.execute(
        insert(WebhookEvent),
        [
            {
                "id": uuid.uuid4(),
                "created_at": now,
                "updated_at": now,
                "district_id": district_id,
                "type": event_type.value,
                "subject_id": subject_id,
                "data": _plain(ids),
            }
            for subject_id, ids in subjects
        ],
    )


def _plain(ids: dict[str, Any]) -> dict[str, Any]:
    return {name: str(value) for name, value in ids.items() if value is not None}


# A plan's status and the event moving into it raises (a plan sent back to draft raises none).
_PLAN_EVENTS = {
    "in_review": EventType.PLAN_SUBMITTED,
    "approved": EventType.PLAN_APPROVED,
    "active": EventType.PLAN_ACTIVATED,
    "closed": EventType.PLAN_CLOSED,
}


def plan_moved(session: AsyncSession, plan: Any, new_status: Any) -> None:
    """The event for a plan that has just moved to `new_status` (None: it did not move)."""
    event_type = _PLAN_EVENTS.get(str(getattr(new_status, "value", new_status)))
    if event_type is not None:
        emit(session, plan.district_id, event_type, plan.id, school_id=plan.school_id)
