"""Every write leaves an AuditEvent, recorded by the session itself so no service can forget one.

A `before_flush` hook on the session class turns each new, changed or deleted row into an event in the
same flush, hence the same transaction: a write and its audit event commit or roll back together. The
unit of work puts the principal and request id in `session.info`; rows written without one (migrations,
the command line) are attributed to the system.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, case, event, func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth.principal import SYSTEM, Principal, PrincipalKind
from app.core.request_context import current_request_id

PRINCIPAL_KEY = "principal"

# Bookkeeping that is not domain data: recording it would only add noise (and token digests).
# The webhook outbox and delivery log, and the open-data request counter, are machinery, not edits.
_NOT_AUDITED = frozenset(
    {
        "audit_event",
        "refresh_token",
        "login_throttle",
        "webhook_event",
        "webhook_delivery",
        "webhook_attempt",
        "webhook_indicator_status",
        "open_data_rate",
    }
)
# Never copied into an event, whatever the table: a column whose name says it holds a secret.
_SECRET_MARKERS = ("password", "secret", "hash", "digest", "token")
# Bumped on every write; the event's own position says as much.
_NOISE = frozenset({"updated_at", "version"})


class AuditedSession(Session):
    """The synchronous session class behind every `AsyncSession` of the app."""


def bind_principal(session: Any, principal: Principal) -> None:
    """Attribute the session's writes to `principal` (accepts an AsyncSession or a Session)."""
    session.info[PRINCIPAL_KEY] = principal


def read_event(
    principal: Principal,
    action: str,
    *,
    district_id: uuid.UUID,
    entity_type: str,
    entity_id: uuid.UUID,
    after: dict[str, Any],
) -> AuditEvent:
    """The audit record of a read (a teacher's result, an observation, per-teacher rates): who read
    what, and how; never the values read. The caller adds it to the session and flushes."""
    return AuditEvent(
        district_id=district_id,
        actor_kind=principal.kind.value,
        actor_id=principal.id,
        actor_label=principal.label,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        after=after,
        request_id=current_request_id(),
    )


async def record_reads_of_teachers(
    session: AsyncSession,
    principal: Principal,
    action: str,
    entity_type: str,
    rows: Iterable[Any],
    access: Callable[[Any], str],
) -> None:
    """One `action` audit event per row read that is about a teacher (a feedback result, an
    observation, a coaching cycle), flushed now: if the record cannot be written, the read fails with
    it. The event names whose row was read (`teacher_person_id`) and how (`access(row)`: own, shared,
    leadership…), never what the row says."""
    session.add_all(
        read_event(
            principal,
            action,
            district_id=row.district_id,
            entity_type=entity_type,
            entity_id=row.id,
            after={"teacher_person_id": str(row.teacher_person_id), "access": access(row)},
        )
        for row in rows
    )
    await session.flush()


async def teachers_read_by(
    session: AsyncSession, district_id: uuid.UUID, person_id: uuid.UUID, *actions: str
) -> set[str]:
    """Every teacher whose rows any login of `person_id` has read as one of `actions` (the events
    `record_reads_of_teachers` leaves), whenever: what a reader once read, they still know after the
    share that let them read it is withdrawn or the row is gone. A released figure that would hide
    from them while they could read those rows must keep hiding."""
    stmt = _read_by(district_id, person_id, actions).distinct()
    return {teacher for teacher in await session.scalars(stmt) if teacher}


def _read_by(district_id: uuid.UUID, person_id: uuid.UUID, actions: Sequence[str]) -> Any:
    from app.identity.models import User  # identity's models import nothing of the audit

    return select(AuditEvent.after["teacher_person_id"].astext).where(
        AuditEvent.actor_id.in_(select(User.id).where(User.person_id == person_id)),
        AuditEvent.action.in_(actions),
        AuditEvent.district_id == district_id,
        AuditEvent.actor_kind == PrincipalKind.USER.value,
    )


# Writes that make a login its maker can sign in as, put a person on a school's roster, or record a
# teacher's result or cycle: whoever did them knows what that person's account records (they chose
# its password, or its results).
_MAKING = (
    "person.create",
    "user_account.create",
    "user_account.update",
    "role_assignment.create",
    "enrollment.create",
    "enrollment.update",
    "feedback_result.create",
    "coaching_cycle.create",
)


async def teachers_known_by(
    session: AsyncSession, district_id: uuid.UUID, person_id: uuid.UUID, *actions: str
) -> set[str]:
    """`teachers_read_by`, and every person whose account, roster entry or records the reader made,
    in one statement: people any login of `person_id` (or an API client one of them created)
    created, gave a login, a password or a role, rostered in a section, or recorded a feedback
    result or a coaching cycle of (a survey client an admin made writes known results for real
    teachers who had none, beside one real result). A district admin who makes accounts at a
    school and records their results knows those results: toward a released cell's minimum, for that
    reader, those people count as known, like the results they were shared (the padding attack: two
    made-up teachers beside one real one make a three-teacher cell that is the real one's result)."""
    from app.identity.models import ApiClient, User  # identity's models import nothing of the audit

    logins = select(User.id).where(User.person_id == person_id)
    clients = select(AuditEvent.entity_id).where(
        AuditEvent.actor_id.in_(logins),
        AuditEvent.action == "api_client.create",
        AuditEvent.district_id == district_id,
    )
    made = AuditEvent.actor_id.in_(logins.union(select(ApiClient.id).where(ApiClient.id.in_(clients))))
    events = (
        select(AuditEvent)
        .where(
            made,
            AuditEvent.action.in_(_MAKING),
            AuditEvent.district_id == district_id,
            # An account's other changes (an email, deactivating it) give nobody its password.
            (AuditEvent.action != "user_account.update") | AuditEvent.after.has_key("password_hash"),
        )
        .subquery()
    )
    user_id = func.coalesce(events.c.after["user_id"].astext, func.cast(events.c.entity_id, String))
    person = func.coalesce(
        events.c.after["teacher_person_id"].astext,
        events.c.after["person_id"].astext,
        select(func.cast(User.person_id, String))
        .where(
            func.cast(User.id, String) == user_id,
            events.c.entity_type.in_(("user_account", "role_assignment")),
        )
        .scalar_subquery(),
        case((events.c.entity_type == "person", func.cast(events.c.entity_id, String))),
    )
    stmt = select(person).select_from(events).union(_read_by(district_id, person_id, actions))
    return {teacher for teacher in await session.scalars(stmt) if teacher}


def _is_secret(column: str) -> bool:
    return any(marker in column for marker in _SECRET_MARKERS)


def _is_private(row: Any, column: str) -> bool:
    return _is_private_column(type(row), column)


def _is_private_column(model: type, column: str) -> bool:
    """A secret by name, or a column the model declares private (`__audit_redacted__`): data only some
    people may read (a teacher's feedback results, a PLC's notes) must not reach every audit reader."""
    return _is_secret(column) or column in getattr(model, "__audit_redacted__", ())


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _snapshot(row: Any) -> dict[str, Any]:
    return {
        attr.key: _jsonable(getattr(row, attr.key))
        for attr in inspect(row).mapper.column_attrs
        if not _is_private(row, attr.key)
    }


def _changes(row: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    state = inspect(row)
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes() or attr.key in _NOISE:
            continue
        if _is_private(row, attr.key):
            # Say that it changed (a password reset is worth knowing), never what it was.
            before[attr.key] = after[attr.key] = "[redacted]"
            continue
        before[attr.key] = _jsonable(history.deleted[0]) if history.deleted else None
        after[attr.key] = _jsonable(history.added[0]) if history.added else None
    return before, after


def _event(session: Session, row: Any, verb: str, before: Any, after: Any) -> AuditEvent:
    principal: Principal = session.info.get(PRINCIPAL_KEY, SYSTEM)
    table = row.__tablename__
    district_id = row.id if table == "district" else getattr(row, "district_id", None)
    return AuditEvent(
        district_id=district_id,
        actor_kind=principal.kind.value,
        actor_id=principal.id,
        actor_label=principal.label,
        action=f"{table}.{verb}",
        entity_type=table,
        entity_id=getattr(row, "id", None),
        before=before,
        after=after,
        request_id=current_request_id(),
    )


@event.listens_for(AuditedSession, "before_flush")
def _record_writes(session: Session, flush_context: Any, instances: Any) -> None:
    events: list[AuditEvent] = []
    for row in session.new:
        if getattr(row, "__tablename__", None) not in _NOT_AUDITED:
            events.append(_event(session, row, "create", None, _snapshot(row)))
    for row in session.dirty:
        if getattr(row, "__tablename__", None) in _NOT_AUDITED or not session.is_modified(row):
            continue
        before, after = _changes(row)
        if after:
            events.append(_event(session, row, "update", before, after))
    for row in session.deleted:
        if getattr(row, "__tablename__", None) not in _NOT_AUDITED:
            events.append(_event(session, row, "delete", _snapshot(row), None))
    session.add_all(events)


async def record_inserted(session: AsyncSession, model: type, rows: Sequence[Mapping[str, Any]]) -> None:
    """The `<table>.create` events of rows a bulk path inserted with one SQL statement rather than
    through the session (so the flush hook cannot see them), written with one more statement in the
    same transaction. `rows` hold every column as inserted; each event's `after` is built by
    `_jsonable` with the same rules as the hook's `_snapshot` (private columns left out)."""
    if not rows:
        return
    table = model.__table__
    principal: Principal = session.info.get(PRINCIPAL_KEY, SYSTEM)
    columns = [c.key for c in table.columns if not _is_private_column(model, c.key)]
    statement = text(
        "INSERT INTO audit_event (id, created_at, updated_at, district_id, actor_kind, actor_id, "
        "actor_label, action, entity_type, entity_id, before, after, request_id) "
        "SELECT gen_random_uuid(), now(), now(), u.district_id, CAST(:actor_kind AS text), "
        "CAST(:actor_id AS uuid), CAST(:actor_label AS text), CAST(:action AS text), "
        "CAST(:entity_type AS text), u.entity_id, NULL, CAST(u.after AS jsonb), CAST(:request_id AS text) "
        "FROM unnest(CAST(:district_ids AS uuid[]), CAST(:entity_ids AS uuid[]), CAST(:afters AS text[])) "
        "AS u(district_id, entity_id, after)"
    )
    await session.execute(
        statement,
        {
            "actor_kind": principal.kind.value,
            "actor_id": principal.id,
            "actor_label": principal.label,
            "action": f"{table.name}.create",
            "entity_type": table.name,
            "request_id": current_request_id(),
            "district_ids": [
                row["id"] if table.name == "district" else row.get("district_id") for row in rows
            ],
            "entity_ids": [row["id"] for row in rows],
            "afters": [json.dumps({c: _jsonable(row[c]) for c in columns}) for row in rows],
        },
    )
