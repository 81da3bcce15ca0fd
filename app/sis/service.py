"""The rules of SIS sync: bulk upserts by sourcedId, the OneRoster CSV import, the change feed and runs.

Who may do what (see `app.auth.permissions`): clients with `roster:write` sync schools, staff, students,
classes and enrollments and read that pseudonymous roster back; clients with `referrals:write` sync
referrals and tier assignments but do not read single students' behaviour back (that takes
`referrals:read`); `read` clients read the roster; district admins do everything. Every row is scoped to
the caller's district: a sourcedId of another district is simply unknown here.

Every sync is recorded as a `SyncRun`, including the ones that applied nothing: a batch with an invalid
record applies nothing unless the caller asked for `partial`, and the run that says so is committed
all the same (the service returns it rather than raising, so the unit of work keeps it).
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, TypeVar

import asyncpg
from sqlalchemy import Select, literal_column, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.permissions import Action
from app.auth.policy import get_visible, require, require_authenticated, visible
from app.auth.principal import Principal
from app.core.errors import DomainError, PermissionDenied
from app.core.metrics import observe_sync
from app.core.models import utcnow
from app.core.pagination import Page, PageRequest, apply_filters, decode_cursor, encode_cursor, paginate
from app.identity.models import Person
from app.sis.bulk import BulkWriter, Counts, RowError, driver_connection
from app.sis.models import (
    BehaviorReferral,
    Enrollment,
    Section,
    Student,
    SyncRun,
    SyncRunStatus,
    SyncSource,
    TierAssignment,
)
from app.sis.oneroster import (
    BEHAVIOR_FILES,
    ROSTER_FILES,
    BundleError,
    BundleImport,
    ImportResult,
    Progress,
    open_bundle,
    read_manifest,
)
from app.sis.schemas import BEHAVIOR_ENTITIES, SyncEntity
from app.tenancy.models import School
from app.webhooks import events as webhooks

logger = logging.getLogger(__name__)
T = TypeVar("T")


def write_action(entity: SyncEntity) -> Action:
    return Action.BEHAVIOR_SYNC if entity in BEHAVIOR_ENTITIES else Action.ROSTER_SYNC


def read_action(entity: SyncEntity) -> Action:
    return Action.BEHAVIOR_READ if entity in BEHAVIOR_ENTITIES else Action.ROSTER_READ


def _district_of(principal: Principal) -> uuid.UUID:
    require_authenticated(principal)
    if principal.district_id is None:
        raise PermissionDenied("Syncing needs a principal of a district.")
    return principal.district_id


class BatchRejected(DomainError):
    """How REST reports a rejected run (the run itself is committed: see the module docstring)."""

    code = "batch_rejected"
    title = "Batch rejected"
    status = 422
    description = (
        "Some records are invalid, so nothing was applied. `errors` names each one (row, field, message); "
        "`sync_run` is the recorded run. Fix them, or send `partial=true` to apply the valid records."
    )


class ReferenceToDeleted(DomainError):
    """How REST reports a run refused only because its records refer to deleted ones (like Ed-Fi)."""

    code = "reference_to_deleted"
    title = "Reference to a deleted record"
    status = 409
    description = (
        "Records refer to records the SIS deleted (`status: tobedeleted`) or an import archived, so "
        "nothing was applied. `errors` names each one; `sync_run` is the recorded run."
    )


class SyncBusy(DomainError):
    """Concurrent syncs kept deadlocking over the same rows, even after retries."""

    code = "sync_busy"
    title = "Sync busy"
    status = 503
    retry_after = 5
    description = (
        "Another sync is writing the same records at this moment and the two kept getting in each "
        "other's way. Nothing was applied; send the same request again after `Retry-After` seconds."
    )


# A deadlock (or a serialization failure) between concurrent syncs is transient: PostgreSQL rolls one
# of them back, and running it again usually succeeds once the other has committed.
_TRANSIENT = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
WRITE_ATTEMPTS = 4


async def _retrying(connection: asyncpg.Connection, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` in a savepoint, again (after a short randomized pause) when it deadlocks with a
    concurrent sync; `SyncBusy` when it still does after `WRITE_ATTEMPTS`."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            async with connection.transaction():
                return await work()
        except _TRANSIENT as exc:
            logger.info("sync write deadlocked; retrying", extra={"attempt": attempt + 1, "error": str(exc)})
            await asyncio.sleep(0.05 * 2**attempt * (1 + random.random()))  # noqa: S311 (jitter, not secrets)
    raise SyncBusy("Another sync is writing the same records; nothing was applied. Try again shortly.")


class InvalidBundle(DomainError):
    code = "invalid_bundle"
    title = "Invalid OneRoster bundle"
    status = 422
    description = (
        "The upload cannot be read as a OneRoster CSV bundle (not a zip, a zip bomb, no manifest, a missing "
        "file or column, a damaged member, text that is not UTF-8). Nothing was applied."
    )


class _Rejected(Exception):
    """Rolls back a savepoint whose writes must not stay (carrying what the import found)."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("rejected")
        self.result = result


# --- writes ------------------------------------------------------------------------------------------


async def sync_batch(
    session: AsyncSession,
    principal: Principal,
    entity: SyncEntity,
    records: list[Any],
    *,
    partial: bool = False,
) -> SyncRun:
    """Upsert up to 10,000 `records` of `entity` by sourcedId in one transaction, and record the run.

    Records equal to what is stored change nothing (the same batch twice: all `unchanged`); records with
    `status=tobedeleted` are soft-deleted. When any record is invalid (a field, an unknown reference, a
    duplicate sourcedId) nothing is applied and the run's status is `rejected`, unless `partial`: then
    the valid records apply and the run is `partially_applied`. Either way every refused record is listed
    with its row, field and message. Raises `PermissionDenied` when the caller may not sync `entity`.
    """
    district_id = _district_of(principal)
    require(principal, write_action(entity))
    started = utcnow()
    writer = BulkWriter(await driver_connection(session), district_id)
    prepared = await writer.prepare(entity, enumerate(records))
    counts = Counts(received=prepared.received, rejected=prepared.rejected_rows)
    errors = prepared.errors
    if not errors or partial:
        try:
            counts = await _retrying(writer.connection, lambda: writer.write(prepared))
        except asyncpg.PostgresError as exc:
            # Every rule is checked before writing; this is the database refusing what slipped through.
            logger.warning(
                "sync batch refused by the database", extra={"entity": entity.value, "error": str(exc)}
            )
            counts = Counts(received=prepared.received, rejected=prepared.received)
            errors = [
                *errors,
                RowError(
                    None,
                    None,
                    "The batch could not be applied: the database refused it. Nothing was applied; the "
                    "server log has the details.",
                    "database_refused",
                ),
            ]
    status = _status(errors, partial)
    if status is SyncRunStatus.REJECTED:
        counts = Counts(received=counts.received, rejected=counts.rejected)
    return await _record_run(
        session,
        principal,
        district_id,
        source=SyncSource.BULK_API,
        entity=entity.value,
        started=started,
        status=status,
        partial=partial,
        counts={entity.value: counts},
        errors=errors,
        error_count=len(errors),
    )


def require_may_import(principal: Principal) -> None:
    """`PermissionDenied` (or `Unauthenticated`) unless the caller may sync something a bundle can
    hold: checked before an upload is read, so nobody else's upload costs a byte or records a run."""
    try:
        require(principal, Action.ROSTER_SYNC)
    except PermissionDenied:
        require(principal, Action.BEHAVIOR_SYNC)


async def import_oneroster(
    session: AsyncSession,
    principal: Principal,
    bundle: IO[bytes],
    *,
    partial: bool = False,
    archive_missing: bool = False,
    progress: Progress | None = None,
) -> SyncRun:
    """Import a OneRoster 1.2 CSV bundle (a zip with `manifest.csv`) into the caller's district.

    Each file is read in the mode its manifest names. In `bulk` mode, records held here but absent from
    the file are counted as `missing` and archived (soft-deleted) only when `archive_missing` is asked
    for. A bundle that cannot be read (not a zip, a zip bomb, no manifest, a missing file or column,
    a damaged member, text that is not UTF-8) applies nothing; invalid records apply nothing unless `partial`. Either way
    the run is recorded and returned. Raises `PermissionDenied` when the bundle holds files the caller
    may not sync (roster files need `roster:write`, behaviour files `referrals:write`).
    """
    require_may_import(principal)
    district_id = _district_of(principal)
    started = utcnow()
    result = ImportResult()
    try:
        zipped = open_bundle(bundle)
        manifest = read_manifest(zipped)
    except BundleError as exc:
        return await _bundle_rejected(session, principal, district_id, started, partial, archive_missing, exc)
    if manifest.modes.keys() & ROSTER_FILES:
        require(principal, Action.ROSTER_SYNC)
    if manifest.modes.keys() & BEHAVIOR_FILES:
        require(principal, Action.BEHAVIOR_SYNC)
    connection = await driver_connection(session)

    async def attempt() -> ImportResult:
        # A fresh importer and writer each attempt: what a rolled-back attempt counted, staged or
        # analysed (its temporary tables went with its savepoint) must not stay.
        importer = BundleImport(
            BulkWriter(connection, district_id),
            zipped,
            manifest,
            partial=partial,
            archive_missing=archive_missing,
            progress=progress,
        )
        outcome = await importer.run()
        if importer.failed:
            raise _Rejected(outcome)
        return outcome

    try:
        result = await _retrying(connection, attempt)
    except _Rejected as rejected:
        result = rejected.result
    except BundleError as exc:
        return await _bundle_rejected(session, principal, district_id, started, partial, archive_missing, exc)
    except asyncpg.PostgresError as exc:
        # Every rule is checked before writing; this is the database refusing what slipped through.
        logger.warning("bundle refused by the database", extra={"error": str(exc)})
        refused = BundleError(
            "The bundle could not be applied: the database refused it. Nothing was applied; the server "
            "log has the details.",
            code="database_refused",
        )
        return await _bundle_rejected(
            session, principal, district_id, started, partial, archive_missing, refused
        )
    status = _status(result.errors, partial)
    if status is SyncRunStatus.REJECTED:
        for counts in result.counts.values():
            counts.created = counts.updated = counts.unchanged = counts.deleted = 0
            counts.missing = None
    return await _record_run(
        session,
        principal,
        district_id,
        source=SyncSource.ONEROSTER_CSV,
        entity=None,
        started=started,
        status=status,
        partial=partial,
        archive_missing=archive_missing,
        counts=result.counts,
        errors=result.errors,
        error_count=result.error_count,
    )


async def _bundle_rejected(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID,
    started: datetime,
    partial: bool,
    archive_missing: bool,
    exc: BundleError,
) -> SyncRun:
    return await _record_run(
        session,
        principal,
        district_id,
        source=SyncSource.ONEROSTER_CSV,
        entity=None,
        started=started,
        status=SyncRunStatus.REJECTED,
        partial=partial,
        archive_missing=archive_missing,
        counts={},
        errors=[exc.error],
        error_count=1,
    )


def _status(errors: list[RowError], partial: bool) -> SyncRunStatus:
    if not errors:
        return SyncRunStatus.APPLIED
    if partial and not any(e.code == "database_refused" for e in errors):
        return SyncRunStatus.PARTIALLY_APPLIED
    return SyncRunStatus.REJECTED


async def _record_run(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID,
    *,
    source: SyncSource,
    entity: str | None,
    started: datetime,
    status: SyncRunStatus,
    partial: bool,
    counts: dict[str, Counts],
    errors: list[RowError],
    error_count: int,
    archive_missing: bool = False,
) -> SyncRun:
    total = Counts()
    for part in counts.values():
        total.add(part)
    run = SyncRun(
        district_id=district_id,
        source=source,
        entity=entity,
        status=status,
        partial=partial,
        archive_missing=archive_missing,
        actor_kind=principal.kind.value,
        actor_id=principal.id,
        actor_label=principal.label,
        started_at=started,
        finished_at=utcnow(),
        received=total.received,
        created=total.created,
        updated=total.updated,
        unchanged=total.unchanged,
        deleted=total.deleted,
        rejected=total.rejected,
        counts={name: part.as_dict() for name, part in counts.items()},
        errors=[e.as_dict() for e in errors[:1000]],
        error_count=error_count,
    )
    session.add(run)
    webhooks.emit(session, district_id, webhooks.EventType.SYNC_RUN_FINISHED, run.id, entity=entity)
    await session.flush()
    for name, part in counts.items():
        observe_sync(name, source.value, part.as_dict())
    return run


# --- the change feed ---------------------------------------------------------------------------------

_school = aliased(School)
_student = aliased(Student)
_section = aliased(Section)
_staff = aliased(Person)


def _record_query(entity: SyncEntity) -> tuple[Any, Select[Any]]:
    """The entity's primary model and a select of its live rows as OneRoster records (by field name)."""
    if entity is SyncEntity.SCHOOLS:
        return School, select(
            School.id,
            School.sourced_id,
            School.sis_date_last_modified.label("date_last_modified"),
            School.updated_at,
            School.change_version,
            School.name,
        ).where(School.sourced_id.is_not(None), School.sis_deleted_at.is_(None))
    if entity is SyncEntity.STAFF:
        return Person, select(
            Person.id,
            Person.sourced_id,
            Person.sis_date_last_modified.label("date_last_modified"),
            Person.updated_at,
            Person.change_version,
            Person.staff_role.label("role"),
            Person.display_name,
            Person.email,
        ).where(Person.staff_role.is_not(None), Person.sis_deleted_at.is_(None))
    if entity is SyncEntity.STUDENTS:
        return Student, (
            select(*_common(Student), _school.sourced_id.label("school"), Student.grade)
            .join(_school, _school.id == Student.school_id)
            .where(Student.deleted_at.is_(None))
        )
    if entity is SyncEntity.CLASSES:
        return Section, (
            select(*_common(Section), Section.title, _school.sourced_id.label("school"), Section.class_code)
            .join(_school, _school.id == Section.school_id)
            .where(Section.deleted_at.is_(None))
        )
    if entity is SyncEntity.ENROLLMENTS:
        return Enrollment, (
            select(
                *_common(Enrollment),
                _section.sourced_id.label("section"),
                _school.sourced_id.label("school"),
                _student.sourced_id.label("student_sid"),
                _staff.sourced_id.label("staff_sid"),
                Enrollment.role,
                Enrollment.is_primary.label("primary"),
                Enrollment.begin_date,
                Enrollment.end_date,
            )
            .join(_section, _section.id == Enrollment.section_id)
            .join(_school, _school.id == Enrollment.school_id)
            .outerjoin(_student, _student.id == Enrollment.student_id)
            .outerjoin(_staff, _staff.id == Enrollment.person_id)
            .where(Enrollment.deleted_at.is_(None))
        )
    if entity is SyncEntity.REFERRALS:
        return BehaviorReferral, (
            select(
                *_common(BehaviorReferral),
                _student.sourced_id.label("student"),
                _school.sourced_id.label("school"),
                _staff.sourced_id.label("staff"),
                BehaviorReferral.occurred_on,
                BehaviorReferral.category,
                BehaviorReferral.severity,
            )
            .join(_student, _student.id == BehaviorReferral.student_id)
            .join(_school, _school.id == BehaviorReferral.school_id)
            .outerjoin(_staff, _staff.id == BehaviorReferral.reporter_person_id)
            .where(BehaviorReferral.deleted_at.is_(None))
        )
    return TierAssignment, (
        select(
            *_common(TierAssignment),
            _student.sourced_id.label("student"),
            TierAssignment.domain,
            TierAssignment.tier,
            TierAssignment.effective_from,
            TierAssignment.effective_to,
        )
        .join(_student, _student.id == TierAssignment.student_id)
        .where(TierAssignment.deleted_at.is_(None))
    )


def _common(model: Any) -> tuple[Any, ...]:
    return (model.id, model.sourced_id, model.date_last_modified, model.updated_at, model.change_version)


# The change version below which no transaction of this database is still running: every row under it
# that will ever be visible already is. Evaluated inside the feed's own statement, from its snapshot.
#
# `pg_snapshot_xmin` alone is the oldest transaction of the whole server, and transaction ids are
# server-wide: a long writer in another database (another application on a shared server, a
# migration, another test's database) would hold every poller here back until it ends. So the
# snapshot's running transactions are taken one by one, and one is passed over only when it is known to
# belong to another database (a session there, or a transaction prepared there, holds it): it can
# never write a row here, and an id stays with the database that took it. A running id that cannot be
# placed (it ended since the snapshot, or the statistics do not show it) still holds the watermark:
# its rows, if it wrote any here, are invisible to this snapshot and must not fall behind the
# watermark. Ids are compared by their low 32 bits (`backend_xid` is a 32-bit xid): two running
# transactions are never 2^32 ids apart.
_WATERMARK = literal_column(
    """(SELECT coalesce(min(x.id::text::bigint), pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
    FROM pg_snapshot_xip(pg_current_snapshot()) AS x (id)
    WHERE NOT EXISTS (
        SELECT FROM pg_stat_activity AS a
        WHERE a.backend_xid::text::bigint = x.id::text::bigint % 4294967296
            AND a.datname <> current_database()
    ) AND NOT EXISTS (
        SELECT FROM pg_prepared_xacts AS p
        WHERE p.transaction::text::bigint = x.id::text::bigint % 4294967296
            AND p.database <> current_database()
    ))"""
)


@dataclass(frozen=True, slots=True)
class ChangeVersions:
    oldest: int
    newest: int


@dataclass(frozen=True, slots=True)
class ChangeWindow:
    """The change versions a caller asks for: `min_version` and `max_version`, both inclusive."""

    min_version: int | None = None
    max_version: int | None = None

    @property
    def asked(self) -> bool:
        return self.min_version is not None or self.max_version is not None


async def available_change_versions(session: AsyncSession, principal: Principal) -> ChangeVersions:
    """The change versions the feed can serve now (Ed-Fi's `availableChangeVersions`).

    `newest` is the highest version no running transaction can still write: ask the feed for
    `min_change_version` = your last `newest` + 1 and `max_change_version` = this `newest`, and no
    change is ever skipped, however long a sync that is still running takes to commit. Any principal
    of a district may ask (the number says nothing about the district's data)."""
    _district_of(principal)
    watermark = (await session.execute(select(_WATERMARK))).scalar_one()
    return ChangeVersions(oldest=0, newest=watermark - 1)


def _in_window(stmt: Select[Any], column: Any, window: ChangeWindow) -> Select[Any]:
    """Rows of `stmt` whose `column` is in `window`, and never above the watermark."""
    stmt = stmt.where(column < _WATERMARK)
    if window.min_version is not None:
        stmt = stmt.where(column >= window.min_version)
    if window.max_version is not None:
        stmt = stmt.where(column <= window.max_version)
    return stmt


async def list_records(
    session: AsyncSession,
    principal: Principal,
    entity: SyncEntity,
    page: PageRequest,
    window: ChangeWindow = ChangeWindow(),
) -> Page[dict[str, Any]]:
    """The district's live records of `entity`, oldest first, as OneRoster records.

    `window` (change versions, see `available_change_versions`) narrows them to what changed without
    ever skipping a change. `updated_since` narrows them by time, as before, but a row written by a
    transaction that began before that time and committed after it is never served by it: a poller
    that passes the time of its last pull can miss such rows. Raises `PermissionDenied` when the caller
    may not read them (single students' referrals and tiers need `referrals:read`)."""
    model, stmt = _record_query(entity)
    stmt = visible(stmt, model, principal, read_action(entity))
    if window.asked:
        stmt = _in_window(stmt, model.change_version, window)
    stmt = apply_filters(stmt, model, page).add_columns(model.created_at)
    stmt = stmt.order_by(model.created_at, model.id).limit(page.limit + 1)
    rows = [dict(row._mapping) for row in await session.execute(stmt)]
    for row in rows:
        row["status"] = "active"
        if entity is SyncEntity.ENROLLMENTS:
            student_sid, staff_sid = row.pop("student_sid"), row.pop("staff_sid")
            row["user"] = student_sid if student_sid is not None else staff_sid
    has_next = len(rows) > page.limit
    items = rows[: page.limit]
    cursor = encode_cursor(items[-1]["created_at"], items[-1]["id"]) if has_next and items else None
    return Page(items=items, next_cursor=cursor)


@dataclass(frozen=True, slots=True)
class Deleted:
    sourced_id: str
    deleted_at: datetime
    id: uuid.UUID
    change_version: int


_DELETED_COLUMN = {SyncEntity.SCHOOLS: "sis_deleted_at", SyncEntity.STAFF: "sis_deleted_at"}


async def list_deletes(
    session: AsyncSession,
    principal: Principal,
    entity: SyncEntity,
    *,
    since: datetime | None,
    limit: int,
    cursor: str | None,
    window: ChangeWindow = ChangeWindow(),
) -> Page[Deleted]:
    """Records of `entity` deleted (or archived), by sourcedId, oldest deletion first, so a downstream
    system can apply the deletes without knowing the service's ids. `window` (change versions) never
    skips a deletion; `since` (a time) can, like `updated_since` (see `list_records`). Readers of the
    entity and its sync clients may ask."""
    model, _ = _record_query(entity)
    deleted_at = getattr(model, _DELETED_COLUMN.get(entity, "deleted_at"))
    stmt = visible(
        select(model.sourced_id, deleted_at.label("deleted_at"), model.id, model.change_version).where(
            deleted_at.is_not(None), model.sourced_id.is_not(None)
        ),
        model,
        principal,
        read_action(entity),
        write_action(entity),
    )
    if since is not None:
        stmt = stmt.where(deleted_at >= since)
    if window.asked:
        stmt = _in_window(stmt, model.change_version, window)
    if cursor is not None:
        after, row_id = decode_cursor(cursor)
        stmt = stmt.where(tuple_(deleted_at, model.id) > tuple_(after, row_id))
    stmt = stmt.order_by(deleted_at, model.id).limit(limit + 1)
    rows = [Deleted(r.sourced_id, r.deleted_at, r.id, r.change_version) for r in await session.execute(stmt)]
    has_next = len(rows) > limit
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1].deleted_at, items[-1].id) if has_next and items else None
    return Page(items=items, next_cursor=next_cursor)


# --- runs --------------------------------------------------------------------------------------------


async def list_runs(
    session: AsyncSession,
    principal: Principal,
    page: PageRequest,
    *,
    entity: str | None = None,
    status: SyncRunStatus | None = None,
    newest_first: bool = False,
) -> Page[SyncRun]:
    """The district's sync runs, oldest first (or `newest_first`; `updated_since` for last night's), narrowed by entity
    (`students`, …) or status. Admins and sync clients may read them."""
    stmt = visible(select(SyncRun), SyncRun, principal, Action.SYNC_RUN_READ)
    if entity is not None:
        stmt = stmt.where(SyncRun.entity == entity)
    if status is not None:
        stmt = stmt.where(SyncRun.status == status)
    return await paginate(session, stmt, SyncRun, page, newest_first=newest_first)


async def get_run(session: AsyncSession, principal: Principal, run_id: uuid.UUID) -> SyncRun:
    """One sync run; `NotFound` when it is not the caller's district's."""
    return await get_visible(session, SyncRun, run_id, principal, Action.SYNC_RUN_READ, what="sync run")
