"""The bulk write path shared by the JSON sync API and the OneRoster CSV import.

A chunk of records goes through two steps:

1. `prepare`: validate each record, refuse duplicates, resolve the sourcedIds it refers to (one query
   per kind of reference, scoped to the district), and collect row-level errors. Nothing is written.
2. `write`: one `UPDATE … FROM unnest(…)` for the records marked `tobedeleted` and one
   `INSERT … SELECT FROM unnest(…) ON CONFLICT (district_id, sourced_id) DO UPDATE … WHERE <changed>`
   for the rest. Rows that already hold what was sent are not touched (so `updated_at` keeps its
   meaning and the same batch twice changes nothing), and `RETURNING (xmax = 0)` tells created rows from
   updated ones.

Statements go straight to asyncpg on the session's own connection, inside the session's transaction:
the ORM would spend more time building objects than PostgreSQL spends writing them. The SyncRun row
the service records for the batch is the audit trail of these writes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.sis.schemas import (
    IGNORED_USER_FIELDS,
    RECORD_MODELS,
    STUDENT_PERSONAL_FIELDS,
    ClassRecord,
    DeletionRecord,
    EnrollmentRecord,
    RecordStatus,
    ReferralRecord,
    SchoolRecord,
    StaffRecord,
    StudentRecord,
    SyncEntity,
    SyncRecord,
    TierAssignmentRecord,
)

# The code of a record refused for referring to a deleted one (REST answers 409 when that is all).
DELETED_REFERENCE = "deleted_reference"

# The most row errors a run keeps (the count is always complete).
MAX_KEPT_ERRORS = 1_000


@dataclass(slots=True)
class RowError:
    row: int | None
    field: str | None
    message: str
    code: str
    sourced_id: str | None = None
    file: str | None = None
    # CSV import: how many later records were skipped because they depend on this refused one.
    dependents: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "file": self.file,
            "sourced_id": self.sourced_id,
            "field": self.field,
            "message": self.message,
            "code": self.code,
            "dependents": self.dependents,
        }


@dataclass(slots=True)
class Counts:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    missing: int | None = None
    mode: str | None = None
    # CSV import: records not applied because a record they refer to was refused (see `Prepared`), and
    # rows the service keeps no record of (district orgs, parents and guardians).
    skipped: int | None = None
    # Records whose dateLastModified is older than the stored one: not applied (present when any).
    stale: int | None = None

    def add(self, other: Counts) -> None:
        self.received += other.received
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted
        self.rejected += other.rejected
        if other.skipped is not None:
            self.skipped = (self.skipped or 0) + other.skipped
        if other.stale:
            self.stale = (self.stale or 0) + other.stale

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "received": self.received,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "rejected": self.rejected,
        }
        if self.mode is not None:
            data["mode"] = self.mode
        if self.missing is not None:
            data["missing"] = self.missing
        if self.skipped is not None:
            data["skipped"] = self.skipped
        if self.stale:
            data["stale"] = self.stale
        return data


# --- tables ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    # The element type of the array parameter that carries the column, and the SQL type it is cast to.
    array_type: str
    cast: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    modified: str = "date_last_modified"
    deleted: str = "deleted_at"
    versioned: bool = False
    # Columns every synced row of this table gets, as SQL literals (staff are persons of kind staff).
    constants: tuple[tuple[str, str], ...] = ()
    # Which rows of the table the SIS owns (persons who are not synced staff are never archived).
    owned: str = "TRUE"


TABLES: dict[SyncEntity, Table] = {
    SyncEntity.SCHOOLS: Table(
        "school",
        (Column("name", "text"),),
        modified="sis_date_last_modified",
        deleted="sis_deleted_at",
        versioned=True,
        owned="t.sourced_id IS NOT NULL",
    ),
    SyncEntity.STAFF: Table(
        "person",
        (
            Column("display_name", "text"),
            Column("email", "text"),
            Column("staff_role", "text", "staffrole"),
        ),
        modified="sis_date_last_modified",
        deleted="sis_deleted_at",
        versioned=True,
        constants=(("kind", "'staff'::personkind"),),
        owned="t.staff_role IS NOT NULL",
    ),
    SyncEntity.STUDENTS: Table("student", (Column("school_id", "uuid"), Column("grade", "text"))),
    SyncEntity.CLASSES: Table(
        "section", (Column("school_id", "uuid"), Column("title", "text"), Column("class_code", "text"))
    ),
    SyncEntity.ENROLLMENTS: Table(
        "enrollment",
        (
            Column("school_id", "uuid"),
            Column("section_id", "uuid"),
            Column("student_id", "uuid"),
            Column("person_id", "uuid"),
            Column("role", "text", "enrollmentrole"),
            Column("is_primary", "bool"),
            Column("begin_date", "date"),
            Column("end_date", "date"),
        ),
    ),
    SyncEntity.REFERRALS: Table(
        "behavior_referral",
        (
            Column("school_id", "uuid"),
            Column("student_id", "uuid"),
            Column("reporter_person_id", "uuid"),
            Column("occurred_on", "date"),
            Column("category", "text"),
            Column("severity", "text", "referralseverity"),
        ),
    ),
    SyncEntity.TIER_ASSIGNMENTS: Table(
        "tier_assignment",
        (
            Column("student_id", "uuid"),
            Column("domain", "text", "supportdomain"),
            Column("tier", "int2"),
            Column("effective_from", "date"),
            Column("effective_to", "date"),
        ),
    ),
}


# The writing transaction's id: the row's change version (see `app.core.models.change_version_column`).
CHANGE_VERSION = "pg_current_xact_id()::text::bigint"


def _upsert_sql(table: Table) -> str:
    columns = [*table.columns, Column(table.modified, "timestamptz")]
    names = [c.name for c in columns]
    constant_names = [name for name, _ in table.constants]
    arrays = ", ".join(f"${i + 3}::{c.array_type}[]" for i, c in enumerate(columns))
    selected = ", ".join(f"u.{c.name}::{c.cast}" if c.cast else f"u.{c.name}" for c in columns)
    constant_values = "".join(f", {value}" for _, value in table.constants)
    compared = [*names, *constant_names]
    assignments = ", ".join(f"{name} = excluded.{name}" for name in compared)
    version = ", version = t.version + 1" if table.versioned else ""
    return f"""
        WITH up AS (
            INSERT INTO {table.name} AS t
                (id, district_id, sourced_id, change_version, {", ".join(names + constant_names)})
            SELECT gen_random_uuid(), $1, u.sourced_id, {CHANGE_VERSION}, {selected}{constant_values}
            FROM unnest($2::text[], {arrays}) AS u(sourced_id, {", ".join(names)})
            ON CONFLICT (district_id, sourced_id) DO UPDATE
            SET {assignments}, {table.deleted} = NULL, updated_at = now(),
                change_version = excluded.change_version{version}
            WHERE ({", ".join(f"t.{n}" for n in compared)}, t.{table.deleted})
                IS DISTINCT FROM ({", ".join(f"excluded.{n}" for n in compared)}, NULL)
                AND NOT coalesce(excluded.{table.modified} < t.{table.modified}, FALSE)
            RETURNING (xmax = 0) AS created
        ),
        -- Records the SIS sent with a dateLastModified older than the one stored: never applied.
        stale AS (
            SELECT count(*) AS n
            FROM unnest($2::text[], ${len(columns) + 2}::timestamptz[]) AS s(sourced_id, modified)
            JOIN {table.name} AS t ON t.district_id = $1 AND t.sourced_id = s.sourced_id
            WHERE s.modified < t.{table.modified}
        )
        SELECT count(*) FILTER (WHERE created) AS created, count(*) AS written, (SELECT n FROM stale) AS stale
        FROM up
    """  # noqa: S608  (identifiers come from the constant TABLES above; values are parameters)


def _delete_sql(table: Table) -> str:
    """Soft-delete the sent sourcedIds; returns the ids deleted and how many deletions were stale (dated
    before the stored record's dateLastModified: older news than what is stored, never applied)."""
    version = ", version = t.version + 1" if table.versioned else ""
    return f"""
        WITH sent AS (
            SELECT * FROM unnest($2::text[], $3::timestamptz[]) AS u(sourced_id, modified)
        ),
        gone AS (
            UPDATE {table.name} AS t
            SET {table.deleted} = now(), {table.modified} = coalesce(u.modified, t.{table.modified}),
                updated_at = now(), change_version = {CHANGE_VERSION}{version}
            FROM sent AS u
            WHERE t.district_id = $1 AND t.sourced_id = u.sourced_id AND t.{table.deleted} IS NULL
                AND {table.owned} AND NOT coalesce(u.modified < t.{table.modified}, FALSE)
            RETURNING t.id
        )
        SELECT coalesce((SELECT array_agg(id) FROM gone), '{{}}') AS ids,
            (SELECT count(*) FROM sent AS u
             JOIN {table.name} AS t ON t.district_id = $1 AND t.sourced_id = u.sourced_id
             WHERE t.{table.deleted} IS NULL AND {table.owned} AND u.modified < t.{table.modified}) AS stale
    """  # noqa: S608


def _adopt_sql(table: str, column: str) -> str:
    """Give the SIS's sourcedId to the one row of the district without one whose `column` matches
    (case-insensitively), when exactly one matches and the sourcedId is not taken yet."""
    return f"""
        WITH sent AS (
            SELECT DISTINCT ON (lower(u.value)) u.sourced_id, lower(u.value) AS value
            FROM unnest($2::text[], $3::text[]) AS u(sourced_id, value)
            WHERE u.value IS NOT NULL
            ORDER BY lower(u.value), u.sourced_id
        ),
        candidates AS (
            SELECT lower(t.{column}) AS value, min(t.id::text)::uuid AS id, count(*) AS n
            FROM {table} AS t
            WHERE t.district_id = $1 AND t.sourced_id IS NULL AND lower(t.{column}) IN (SELECT value FROM sent)
            GROUP BY lower(t.{column})
        )
        UPDATE {table} AS t SET sourced_id = s.sourced_id
        FROM sent AS s JOIN candidates AS c ON c.value = s.value AND c.n = 1
        WHERE t.id = c.id
            AND NOT EXISTS (SELECT 1 FROM {table} AS o WHERE o.district_id = $1 AND o.sourced_id = s.sourced_id)
    """  # noqa: S608


ADOPT_SQL = {
    SyncEntity.SCHOOLS: _adopt_sql("school", "name"),
    SyncEntity.STAFF: _adopt_sql("person", "email"),
}
UPSERT_SQL = {entity: _upsert_sql(table) for entity, table in TABLES.items()}
DELETE_SQL = {entity: _delete_sql(table) for entity, table in TABLES.items()}


def missing_sql(entity: SyncEntity, seen_table: str, *, archive: bool) -> str:
    """Count the district's live records of `entity` whose sourcedId is not in `seen_table` (or, with
    `archive`, archive them and return their ids)."""
    table = TABLES[entity]
    where = f"""
        t.district_id = $1 AND t.{table.deleted} IS NULL AND t.sourced_id IS NOT NULL AND {table.owned}
        AND NOT EXISTS (SELECT 1 FROM {seen_table} AS s WHERE s.sourced_id = t.sourced_id)
    """  # noqa: S608
    if not archive:
        return f"SELECT count(*) FROM {table.name} AS t WHERE {where}"  # noqa: S608
    version = ", version = t.version + 1" if table.versioned else ""
    return f"""
        WITH gone AS (
            UPDATE {table.name} AS t
            SET {table.deleted} = now(), updated_at = now(), change_version = {CHANGE_VERSION}{version}
            WHERE {where} RETURNING t.id
        )
        SELECT id FROM gone
    """  # noqa: S608


# --- references --------------------------------------------------------------------------------------


# kind of reference -> the lookup of its sourcedIds. A join on `unnest` rather than `= ANY($2)`: rows
# written earlier in the same transaction have no statistics yet, and a sequential scan testing each
# row against a 5,000-element array is quadratic.
def _lookup(table: str, columns: str = "t.id", deleted: str = "deleted_at") -> str:
    return (
        f"SELECT t.sourced_id, {columns}, t.{deleted} IS NOT NULL AS deleted "  # noqa: S608
        f"FROM unnest($2::text[]) AS u(sourced_id) "
        f"JOIN {table} AS t ON t.district_id = $1 AND t.sourced_id = u.sourced_id"
    )


_REFERENCE_LOOKUPS = {
    "school": _lookup("school", deleted="sis_deleted_at"),
    "student": _lookup("student"),
    "staff": _lookup("person", deleted="sis_deleted_at"),
    "section": _lookup("section", "t.id, t.school_id"),
}

# What a deletion ends: entity -> (table, column pointing at the deleted row, the child's own entity
# when its deletion ends more). Referrals are history and stay.
_DEPENDANTS: dict[SyncEntity, tuple[tuple[str, str, SyncEntity | None], ...]] = {
    SyncEntity.SCHOOLS: (
        ("student", "school_id", SyncEntity.STUDENTS),
        ("section", "school_id", SyncEntity.CLASSES),
    ),
    SyncEntity.STUDENTS: (("enrollment", "student_id", None), ("tier_assignment", "student_id", None)),
    SyncEntity.STAFF: (("enrollment", "person_id", None),),
    SyncEntity.CLASSES: (("enrollment", "section_id", None),),
}


async def end_dependants(
    connection: asyncpg.Connection, district_id: uuid.UUID, entity: SyncEntity, ids: list[uuid.UUID]
) -> int:
    """Soft-delete the live records that depend on the deleted `ids` of `entity` (a deleted student's
    enrollments and tiers, a deleted class's enrollments, a deleted school's students and classes and
    theirs), as their own deletions in the change feed. Returns how many were ended."""
    ended = 0
    if not ids:
        return ended
    for table, column, child in _DEPENDANTS.get(entity, ()):
        rows = await connection.fetch(
            f"UPDATE {table} SET deleted_at = now(), updated_at = now(), "  # noqa: S608
            f"change_version = {CHANGE_VERSION} WHERE district_id = $1 AND {column} = ANY($2::uuid[]) "
            "AND deleted_at IS NULL RETURNING id",
            district_id,
            ids,
        )
        ended += len(rows)
        if child is not None:
            ended += await end_dependants(connection, district_id, child, [r["id"] for r in rows])
    return ended


_REFERENCE_WORDS = {"school": "school", "student": "student", "staff": "member of staff", "section": "class"}


def _references(entity: SyncEntity, record: SyncRecord) -> list[tuple[str, str, str]]:
    """(kind, sourcedId, field) for every record this one points at."""
    if isinstance(record, StudentRecord | ClassRecord):
        return [("school", record.school, "school")]
    if isinstance(record, EnrollmentRecord):
        user_kind = "student" if record.role == "student" else "staff"
        return [("section", record.section, "class"), (user_kind, record.user, "user")]
    if isinstance(record, ReferralRecord):
        found = [("student", record.student, "student"), ("school", record.school, "school")]
        if record.staff is not None:
            found.append(("staff", record.staff, "staff"))
        return found
    if isinstance(record, TierAssignmentRecord):
        return [("student", record.student, "student")]
    return []


def _values(record: SyncRecord, refs: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    """The record's column values, in its table's column order (date_last_modified last)."""
    if isinstance(record, SchoolRecord):
        return (record.name, record.date_last_modified)
    if isinstance(record, StaffRecord):
        display_name = f"{record.given_name} {record.family_name}"[:200]
        return (display_name, record.email, record.role.value, record.date_last_modified)
    if isinstance(record, StudentRecord):
        return (refs["school"][record.school], record.grade, record.date_last_modified)
    if isinstance(record, ClassRecord):
        return (refs["school"][record.school], record.title, record.class_code, record.date_last_modified)
    if isinstance(record, EnrollmentRecord):
        section_id, school_id = refs["section"][record.section]
        is_student = record.role == "student"
        user_id = refs["student" if is_student else "staff"][record.user]
        return (
            school_id,
            section_id,
            user_id if is_student else None,
            None if is_student else user_id,
            record.role.value,
            record.primary,
            record.begin_date,
            record.end_date,
            record.date_last_modified,
        )
    if isinstance(record, ReferralRecord):
        return (
            refs["school"][record.school],
            refs["student"][record.student],
            refs["staff"][record.staff] if record.staff is not None else None,
            record.occurred_on,
            record.category,
            record.severity.value,
            record.date_last_modified,
        )
    if isinstance(record, TierAssignmentRecord):
        return (
            refs["student"][record.student],
            record.domain.value,
            record.tier,
            record.effective_from,
            record.effective_to,
            record.date_last_modified,
        )
    raise TypeError(f"no columns for {type(record).__name__}")


# --- parsing -----------------------------------------------------------------------------------------


def _dropped_fields(entity: SyncEntity) -> frozenset[str]:
    if entity is SyncEntity.STUDENTS:
        return IGNORED_USER_FIELDS | STUDENT_PERSONAL_FIELDS
    if entity is SyncEntity.STAFF:
        return IGNORED_USER_FIELDS
    return frozenset()


DROPPED_FIELDS = {entity: _dropped_fields(entity) for entity in SyncEntity}


def parse_record(
    entity: SyncEntity, raw: Any
) -> SyncRecord | DeletionRecord | list[tuple[str | None, str, str]]:
    """The validated record, or its errors as (field, message, code). Personal fields a student record
    carries are dropped before anything else looks at it."""
    if not isinstance(raw, dict):
        return [(None, "A record must be an object.", "not_an_object")]
    dropped = DROPPED_FIELDS[entity]
    if dropped and not dropped.isdisjoint(raw):
        raw = {key: value for key, value in raw.items() if key not in dropped}
    try:
        if raw.get("status") == RecordStatus.TOBEDELETED:
            return DeletionRecord.model_validate(raw)
        return RECORD_MODELS[entity].model_validate(raw)
    except ValidationError as exc:
        return [
            (".".join(str(part) for part in error["loc"]) or None, error["msg"], error["type"])
            for error in exc.errors(include_url=False, include_input=False)
        ]


def _validate(
    entity: SyncEntity,
    rows: Iterable[tuple[int, Any]],
    prepared: Prepared,
    refuse: Callable[[int, str | None, str | None, str, str], None],
) -> tuple[list[tuple[int, SyncRecord | DeletionRecord]], set[str]]:
    """Parse `rows`, refusing invalid records and sourcedIds repeated within them (run in a thread)."""
    parsed: list[tuple[int, SyncRecord | DeletionRecord]] = []
    seen_here: set[str] = set()
    for row, raw in rows:
        prepared.received += 1
        result = parse_record(entity, raw)
        raw_id = raw.get("sourcedId") if isinstance(raw, dict) else None
        sourced_id = raw_id if isinstance(raw_id, str) else None
        if sourced_id is not None:
            if sourced_id in seen_here:
                refuse(
                    row, sourced_id, "sourcedId", "This sourcedId appears earlier in the batch.", "duplicate"
                )
                continue
            seen_here.add(sourced_id)
        if isinstance(result, list):
            for fld, message, code in result:
                refuse(row, sourced_id, fld, message, code)
            continue
        parsed.append((row, result))
    return parsed, seen_here


# --- prepare and write -------------------------------------------------------------------------------


@dataclass(slots=True)
class Prepared:
    """A chunk after validation: what can be written, and what was refused."""

    entity: SyncEntity
    received: int = 0
    upserts: list[tuple[Any, ...]] = field(default_factory=list)
    upsert_ids: list[str] = field(default_factory=list)
    deletions: list[tuple[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rejected_rows: int = 0
    # Valid records that point at a record the import refused: (sourcedId, the root cause's file and
    # row). They are counted `skipped`, not reported as errors of their own: one bad school is one
    # error, not one per student, class and enrollment under it.
    skipped: list[tuple[str, str | None, int | None]] = field(default_factory=list)
    # Valid records that point only at records the import holds back (valid, but not written because
    # the import is being rejected): neither written nor refused.
    held: list[str] = field(default_factory=list)


# entity -> the kind of reference its records are to others (see `_REFERENCE_LOOKUPS`).
REFERENCE_KIND = {
    SyncEntity.SCHOOLS: "school",
    SyncEntity.STAFF: "staff",
    SyncEntity.STUDENTS: "student",
    SyncEntity.CLASSES: "section",
}


class NotWritten:
    """The sourcedIds one import refused or held back, by kind, with the root cause of each.

    A temporary table of the import's transaction (memory stays flat however many records are
    refused). A record whose missing references are all here is a dependant, not an error of its own.
    """

    def __init__(self, connection: asyncpg.Connection, suffix: str) -> None:
        self.connection = connection
        self.table = f"not_written_{suffix}"
        self.created = False

    async def add(self, kind: str, rows: Sequence[tuple[str, str | None, int | None]]) -> None:
        """Remember (sourcedId, cause file, cause row) of `kind`; a null cause means held back."""
        if not rows:
            return
        if not self.created:
            await self.connection.execute(
                f"CREATE TEMP TABLE {self.table} (kind text, sourced_id text, file text, row int, "
                "PRIMARY KEY (kind, sourced_id)) ON COMMIT DROP"
            )
            self.created = True
        await self.connection.execute(
            f"INSERT INTO {self.table} SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[]) "  # noqa: S608
            "ON CONFLICT DO NOTHING",
            kind,
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
        )

    async def find(
        self, wanted: set[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[str | None, int | None]]:
        if not wanted or not self.created:
            return {}
        rows = await self.connection.fetch(
            f"SELECT n.kind, n.sourced_id, n.file, n.row FROM unnest($1::text[], $2::text[]) "  # noqa: S608
            f"AS u(kind, sourced_id) JOIN {self.table} AS n USING (kind, sourced_id)",
            [k for k, _ in wanted],
            [sid for _, sid in wanted],
        )
        return {(r["kind"], r["sourced_id"]): (r["file"], r["row"]) for r in rows}


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under `session`, inside the session's transaction."""
    connection = await session.connection()
    # SQLAlchemy begins its transaction lazily, on the first statement: make sure it has begun, so the
    # raw statements below join it rather than autocommit.
    await connection.exec_driver_sql("SELECT 1")
    raw = await connection.get_raw_connection()
    return raw.driver_connection  # type: ignore[return-value]


class BulkWriter:
    """Prepares and writes chunks of one district's records on one connection."""

    def __init__(self, connection: asyncpg.Connection, district_id: uuid.UUID) -> None:
        self.connection = connection
        self.district_id = district_id

    async def prepare(
        self,
        entity: SyncEntity,
        rows: Iterable[tuple[int, Any]],
        *,
        file: str | None = None,
        seen_table: str | None = None,
        not_written: NotWritten | None = None,
    ) -> Prepared:
        """Validate `rows` (row number, raw record) of `entity`. With `seen_table`, sourcedIds seen in
        earlier chunks of the same file count as duplicates too (and are remembered for archiving).
        With `not_written`, records that point only at records refused (or held back) earlier are
        counted as skipped dependants of those, not refused themselves."""
        prepared = Prepared(entity)
        bad_rows: set[int] = set()

        def refuse(row: int, sourced_id: str | None, fld: str | None, message: str, code: str) -> None:
            prepared.errors.append(RowError(row, fld, message, code, sourced_id, file))
            bad_rows.add(row)

        # Validation is CPU work with no I/O: a worker thread does it, so the event loop keeps serving
        # other requests while a large chunk is checked.
        parsed, seen_here = await asyncio.to_thread(_validate, entity, rows, prepared, refuse)

        if seen_table is not None and seen_here:
            fresh = await self.connection.fetch(
                f"INSERT INTO {seen_table} (sourced_id) SELECT unnest($1::text[]) "
                "ON CONFLICT DO NOTHING RETURNING sourced_id",
                list(seen_here),
            )
            if len(fresh) != len(seen_here):
                earlier = seen_here - {r[0] for r in fresh}
                kept = []
                for row, record in parsed:
                    if record.sourced_id in earlier:
                        refuse(
                            row,
                            record.sourced_id,
                            "sourcedId",
                            "This sourcedId appears earlier in the file.",
                            "duplicate",
                        )
                    else:
                        kept.append((row, record))
                parsed = kept

        refs = await self._resolve(entity, [r for _, r in parsed if isinstance(r, SyncRecord)])
        causes: dict[tuple[str, str], tuple[str | None, int | None]] = {}
        if not_written is not None:
            causes = await not_written.find(
                {
                    (kind, sid)
                    for _, record in parsed
                    if isinstance(record, SyncRecord)
                    for kind, sid, _ in _references(entity, record)
                    if sid not in refs.get(kind, {})
                }
            )
        names_taken = await self._school_names_taken(parsed) if entity is SyncEntity.SCHOOLS else {}
        for row, record in parsed:
            if isinstance(record, DeletionRecord):
                prepared.deletions.append((record.sourced_id, record.date_last_modified))
                continue
            unresolved = [
                (kind, sid, fld)
                for kind, sid, fld in _references(entity, record)
                if sid not in refs.get(kind, {})
            ]
            if unresolved and all((kind, sid) in causes for kind, sid, _ in unresolved):
                roots = [causes[kind, sid] for kind, sid, _ in unresolved if causes[kind, sid][0] is not None]
                if roots:
                    prepared.skipped.append((record.sourced_id, *roots[0]))
                else:
                    prepared.held.append(record.sourced_id)
                continue
            unresolved = [(kind, sid, fld) for kind, sid, fld in unresolved if (kind, sid) not in causes]
            for kind, sid, fld in unresolved:
                if sid in refs.get(f"deleted {kind}", {}):
                    refuse(
                        row,
                        record.sourced_id,
                        fld,
                        f"The {_REFERENCE_WORDS[kind]} {sid!r} was deleted: nothing new may refer to it.",
                        DELETED_REFERENCE,
                    )
                    continue
                refuse(
                    row,
                    record.sourced_id,
                    fld,
                    f"No {_REFERENCE_WORDS[kind]} with sourcedId {sid!r} in this district.",
                    "unknown_reference",
                )
            if isinstance(record, SchoolRecord) and record.name.lower() in names_taken:
                other = names_taken[record.name.lower()]
                # A school made by hand (no sourcedId) is adopted by the SIS record of its name.
                if other is not None and other != record.sourced_id:
                    refuse(
                        row,
                        record.sourced_id,
                        "name",
                        "Another school of the district has this name.",
                        "duplicate",
                    )
                    continue
                names_taken[record.name.lower()] = record.sourced_id
            elif isinstance(record, SchoolRecord):
                names_taken[record.name.lower()] = record.sourced_id
            if unresolved:
                continue
            prepared.upsert_ids.append(record.sourced_id)
            prepared.upserts.append(_values(record, refs))
        prepared.rejected_rows = len(bad_rows)
        prepared.errors.sort(key=lambda error: error.row if error.row is not None else -1)
        return prepared

    async def _resolve(self, entity: SyncEntity, records: Sequence[SyncRecord]) -> dict[str, dict[str, Any]]:
        wanted: dict[str, set[str]] = {}
        for record in records:
            for kind, sourced_id, _ in _references(entity, record):
                wanted.setdefault(kind, set()).add(sourced_id)
        found: dict[str, dict[str, Any]] = {}
        for kind, ids in wanted.items():
            rows = await self.connection.fetch(_REFERENCE_LOOKUPS[kind], self.district_id, list(ids))
            if kind == "section":
                found[kind] = {r["sourced_id"]: (r["id"], r["school_id"]) for r in rows if not r["deleted"]}
            else:
                found[kind] = {r["sourced_id"]: r["id"] for r in rows if not r["deleted"]}
            found[f"deleted {kind}"] = {r["sourced_id"]: None for r in rows if r["deleted"]}
        return found

    async def _school_names_taken(self, parsed: list[tuple[int, Any]]) -> dict[str, str | None]:
        """Lower-cased names of the district's schools (among those in the chunk) -> their sourcedId."""
        names = [r.name.lower() for _, r in parsed if isinstance(r, SchoolRecord)]
        if not names:
            return {}
        rows = await self.connection.fetch(
            "SELECT lower(name) AS name, sourced_id FROM school WHERE district_id = $1 AND lower(name) = ANY($2::text[])",
            self.district_id,
            names,
        )
        return {r["name"]: r["sourced_id"] for r in rows}

    async def write(self, prepared: Prepared) -> Counts:
        """Apply a prepared chunk. Records already as sent are left untouched and counted unchanged."""
        entity = prepared.entity
        counts = Counts(
            received=prepared.received, rejected=prepared.rejected_rows, skipped=len(prepared.skipped) or None
        )
        if prepared.deletions:
            ids, modified = zip(*sorted(prepared.deletions, key=lambda pair: pair[0]), strict=True)
            gone = await self.connection.fetchrow(
                DELETE_SQL[entity], self.district_id, list(ids), list(modified)
            )
            counts.deleted = len(gone["ids"])
            counts.stale = gone["stale"] or None
            await end_dependants(self.connection, self.district_id, entity, list(gone["ids"]))
        if prepared.upserts and entity in ADOPT_SQL:
            # Rows made here before the SIS knew them (a school made by hand, a teacher who signed up)
            # become the SIS's records, rather than duplicates: schools by name, staff by email.
            key = 0 if entity is SyncEntity.SCHOOLS else 1  # name / email among the columns
            await self.connection.execute(
                ADOPT_SQL[entity],
                self.district_id,
                prepared.upsert_ids,
                [values[key] for values in prepared.upserts],
            )
        if prepared.upserts:
            # In sourcedId order, so two syncs racing over the same records lock them in the same order.
            ordered = sorted(
                zip(prepared.upsert_ids, prepared.upserts, strict=True), key=lambda pair: pair[0]
            )
            ids = [sourced_id for sourced_id, _ in ordered]
            columns = [list(column) for column in zip(*(values for _, values in ordered), strict=True)]
            result = await self.connection.fetchrow(UPSERT_SQL[entity], self.district_id, ids, *columns)
            counts.created = result["created"]
            counts.updated = result["written"] - result["created"]
            counts.stale = (counts.stale or 0) + result["stale"] or None
        counts.unchanged = (
            len(prepared.upserts)
            + len(prepared.deletions)
            - counts.created
            - counts.updated
            - counts.deleted
            - (counts.stale or 0)
        )
        return counts
