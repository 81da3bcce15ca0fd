"""The bulk write path shared by the JSON sync API and the OneRoster CSV import.

A chunk of records goes through two steps:

1. `prepare`: validate each record in Python (a worker thread), refuse duplicates, COPY the valid ones
   into a temporary stage of their entity (`sis_stage_<entity>`, dropped at commit), and check every
   sourcedId they refer to in one statement over the stage (missing or deleted references become
   row-level errors, or skipped dependants of a refused record; their rows leave the stage). Nothing
   is written to the real tables.
2. `write`: one `UPDATE … FROM unnest(…)` for the records marked `tobedeleted` and one
   `INSERT … SELECT … FROM <stage> JOIN <referenced tables> … ON CONFLICT (district_id, sourced_id)
   DO UPDATE … WHERE <changed>` for the rest. Staged rows that already match what is stored are left
   out before the insert, so they are not touched at all (no lock, no new row version, no change
   version: `updated_at` keeps its meaning and the same batch twice changes nothing), and
   `RETURNING (xmax = 0)` tells created rows from updated ones.

Statements go straight to asyncpg on the session's own connection, inside the session's transaction:
the ORM would spend more time building objects than PostgreSQL spends writing them. The SyncRun row
the service records for the batch is the audit trail of these writes.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, get_args

import asyncpg
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.schemas import refuse_instants_beyond_utc
from app.sis.models import EnrollmentRole, ReferralSeverity, SupportDomain
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
from app.tenancy.schemas import GradeLevel

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
    # Whether the table keeps the CSV import's digest of each row (`sis_hash`, see `match_sql`), and
    # its references as (column, table referred to, that table's deletion column, a condition on the
    # referred row `r` and the row `t` for columns derived from it): a row counts as unchanged by
    # digest only while every record it refers to is live and what it took from them still holds.
    hashed: bool = False
    refers: tuple[tuple[str, str, str, str], ...] = ()


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
    SyncEntity.STUDENTS: Table(
        "student",
        (Column("school_id", "uuid"), Column("grade", "text")),
        hashed=True,
        refers=(("school_id", "school", "sis_deleted_at", ""),),
    ),
    SyncEntity.CLASSES: Table(
        "section",
        (Column("school_id", "uuid"), Column("title", "text"), Column("class_code", "text")),
        hashed=True,
        refers=(("school_id", "school", "sis_deleted_at", ""),),
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
        hashed=True,
        refers=(
            # An enrollment's school is its class's: a class moved to another school moves it.
            ("section_id", "section", "deleted_at", " AND r.school_id = t.school_id"),
            ("student_id", "student", "deleted_at", ""),
            ("person_id", "person", "sis_deleted_at", ""),
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
        hashed=True,
        refers=(
            ("school_id", "school", "sis_deleted_at", ""),
            ("student_id", "student", "deleted_at", ""),
            ("reporter_person_id", "person", "sis_deleted_at", ""),
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
        hashed=True,
        refers=(("student_id", "student", "deleted_at", ""),),
    ),
}


# A new row's id: time-ordered (the layout of a UUIDv7: milliseconds since 1970, then 74 random bits),
# so the primary key and the `(district_id, created_at, id)` index of a bulk insert append at their
# right edge instead of landing on a random leaf page per row. Computed per row after the insert's sort.
NEW_ID = (
    "(lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7'"
    " || substr(replace(gen_random_uuid()::text, '-', ''), 14, 19))::uuid"
)

# The writing transaction's id: the row's change version (see `app.core.models.change_version_column`).
CHANGE_VERSION = "pg_current_xact_id()::text::bigint"


@dataclass(frozen=True, slots=True)
class Stage:
    """How a chunk of one entity's records is staged before it is written: the columns of its temporary
    table (after `row` and `sourced_id`; references as the sourcedIds sent), the references checked
    set-based, and how each column of the real table is computed from the staged row."""

    columns: tuple[tuple[str, str], ...]
    # (staging column, kind of reference, the record's field): see `_REFERENCE_TABLES`.
    references: tuple[tuple[str, str, str], ...] = ()
    # Joins that resolve the references (the rows pointing at missing ones are gone from the stage).
    joins: str = ""
    # Column of the real table -> its expression over the staged row `s` and the joins.
    select: tuple[tuple[str, str], ...] = ()


# The district's id as the sync's probes compare it (see `probe`): a sub-select (an InitPlan), so the
# planner sees a value it does not know, and estimates a range from it with its default selectivity
# rather than from what the statistics say about this district.
DISTRICT = "(SELECT $1::uuid)"


def probe(table: str, alias: str, key: str, *, outer: bool = False) -> str:
    """A join to the stored row of `table` whose `(district_id, sourced_id)` is (the sync's district,
    `key`): one probe of the unique index per outer row, whatever the statistics say.

    Written as an equality, the probe could be answered by any index that starts with `district_id`,
    and when the statistics take the district for a row or two (a new district while ANALYZE knows
    others well; tables analysed while small), the planner takes one of those: a scan of the whole
    district per staged row. So it is written as "the first key at or after (district, key) in the
    unique key's order": a row comparison, `ORDER BY` both columns and `LIMIT 1`. Only the unique
    index returns that order, so any other plan must read and sort a third of the table (the default
    estimate for a range from an unknown value); the unique index reads one entry. LATERAL fixes the
    join order (the outer row first) and the join condition keeps the entry only if it is that key."""
    join = "LEFT JOIN LATERAL" if outer else "JOIN LATERAL"
    return (
        f" {join} (SELECT * FROM {table} AS k WHERE (k.district_id, k.sourced_id) >= ({DISTRICT}, {key})"  # noqa: S608
        f" ORDER BY k.district_id, k.sourced_id LIMIT 1) AS {alias}"
        f" ON {alias}.district_id = $1 AND {alias}.sourced_id = {key}"
    )


def _join(table: str, alias: str, column: str, *, outer: bool = False) -> str:
    # References stay ordinary joins: most of a chunk's rows refer to a few hundred classes and a
    # district's students, which a hash join reads once; a probe per row costs about three times the
    # whole upsert of a first import (measured at 20,000 students). See bench/README.md, sixth pass.
    join = "LEFT JOIN" if outer else "JOIN"
    return f" {join} {table} AS {alias} ON {alias}.district_id = $1 AND {alias}.sourced_id = s.{column}"


STAGES: dict[SyncEntity, Stage] = {
    SyncEntity.SCHOOLS: Stage((("name", "text"),), select=(("name", "s.name"),)),
    SyncEntity.STAFF: Stage(
        (("display_name", "text"), ("email", "text"), ("staff_role", "text")),
        select=(
            ("display_name", "s.display_name"),
            ("email", "s.email"),
            ("staff_role", "s.staff_role::staffrole"),
        ),
    ),
    SyncEntity.STUDENTS: Stage(
        (("school", "text"), ("grade", "text")),
        (("school", "school", "school"),),
        _join("school", "sc", "school"),
        (("school_id", "sc.id"), ("grade", "s.grade")),
    ),
    SyncEntity.CLASSES: Stage(
        (("school", "text"), ("title", "text"), ("class_code", "text")),
        (("school", "school", "school"),),
        _join("school", "sc", "school"),
        (("school_id", "sc.id"), ("title", "s.title"), ("class_code", "s.class_code")),
    ),
    SyncEntity.ENROLLMENTS: Stage(
        (
            ("section", "text"),
            ("student", "text"),
            ("person", "text"),
            ("role", "text"),
            ("is_primary", "bool"),
            ("begin_date", "date"),
            ("end_date", "date"),
        ),
        (("section", "section", "class"), ("student", "student", "user"), ("person", "staff", "user")),
        _join("section", "sec", "section")
        + _join("student", "st", "student", outer=True)
        + _join("person", "p", "person", outer=True),
        (
            ("school_id", "sec.school_id"),
            ("section_id", "sec.id"),
            ("student_id", "st.id"),
            ("person_id", "p.id"),
            ("role", "s.role::enrollmentrole"),
            ("is_primary", "s.is_primary"),
            ("begin_date", "s.begin_date"),
            ("end_date", "s.end_date"),
        ),
    ),
    SyncEntity.REFERRALS: Stage(
        (
            ("student", "text"),
            ("school", "text"),
            ("staff", "text"),
            ("occurred_on", "date"),
            ("category", "text"),
            ("severity", "text"),
        ),
        (("student", "student", "student"), ("school", "school", "school"), ("staff", "staff", "staff")),
        _join("school", "sc", "school")
        + _join("student", "st", "student")
        + _join("person", "p", "staff", outer=True),
        (
            ("school_id", "sc.id"),
            ("student_id", "st.id"),
            ("reporter_person_id", "p.id"),
            ("occurred_on", "s.occurred_on"),
            ("category", "s.category"),
            ("severity", "s.severity::referralseverity"),
        ),
    ),
    SyncEntity.TIER_ASSIGNMENTS: Stage(
        (
            ("student", "text"),
            ("domain", "text"),
            ("tier", "int2"),
            ("effective_from", "date"),
            ("effective_to", "date"),
        ),
        (("student", "student", "student"),),
        _join("student", "st", "student"),
        (
            ("student_id", "st.id"),
            ("domain", "s.domain::supportdomain"),
            ("tier", "s.tier"),
            ("effective_from", "s.effective_from"),
            ("effective_to", "s.effective_to"),
        ),
    ),
}


def stage_table(entity: SyncEntity) -> str:
    return f"sis_stage_{entity.value.replace('-', '_')}"


def _stage_ddl(entity: SyncEntity) -> str:
    columns = "".join(f", {name} {type_}" for name, type_ in STAGES[entity].columns)
    return (
        f"CREATE TEMP TABLE IF NOT EXISTS {stage_table(entity)} "
        f"(row int, sourced_id text{columns}, modified timestamptz, hash bytea) ON COMMIT DROP"
    )


def _upsert_sql(entity: SyncEntity, table: Table) -> str:
    """The staged chunk into the real table: rows not there yet are inserted, rows whose columns differ
    (and whose dateLastModified is not older than the stored one) are updated, rows already as sent
    are not touched at all (no lock, no new row version, no change version)."""
    stage = STAGES[entity]
    select = dict(stage.select)
    names = [c.name for c in table.columns]
    constant_names = [name for name, _ in table.constants]
    constant_values = [value for _, value in table.constants]
    src = ", ".join([*(f"{select[n]} AS {n}" for n in names), f"s.modified AS {table.modified}"])
    cols = [*names, table.modified]
    # The digest is written with the row but is not part of what "differs" compares: a row already as
    # sent is not rewritten for a new digest; `rehash` only records the digest on it (no new change
    # version: nothing a reader sees changed).
    hash_src = ", s.hash AS sis_hash" if table.hashed else ""
    hash_col = ", sis_hash" if table.hashed else ""
    hash_val = ", c.sis_hash" if table.hashed else ""
    hash_set = ", sis_hash = excluded.sis_hash" if table.hashed else ""
    rehash_when = "NOT c.new AND NOT c.differs AND c.hash_differs"
    rehash = (
        f"""
        rehash AS (
            UPDATE {table.name} AS t SET sis_hash = c.sis_hash
            FROM compared AS c
            -- The ids also as an array: the table is then read by its primary key (a join alone may be
            -- planned as a scan of the whole table, every district, per chunk).
            WHERE t.id = ANY(ARRAY(SELECT c.stored_id FROM compared AS c WHERE {rehash_when}))
                AND t.id = c.stored_id AND {rehash_when}
        ),"""  # noqa: S608
        if table.hashed
        else ""
    )
    compared_t = [*(f"t.{n}" for n in [*names, table.modified, *constant_names])]
    # Stored as sent but with another digest (or none): only the digest is recorded (`rehash`), by the id.
    rehash_flag = ""
    if table.hashed:
        rehash_flag = ",\n                (c.sis_hash IS NOT NULL AND t.sis_hash IS DISTINCT FROM c.sis_hash) AS hash_differs"
    compared_c = [*(f"c.{n}" for n in cols), *constant_values]
    assignments = ", ".join(f"{name} = excluded.{name}" for name in [*cols, *constant_names])
    version = ", version = t.version + 1" if table.versioned else ""
    return f"""
        WITH src AS MATERIALIZED (
            SELECT s.sourced_id, {src}{hash_src} FROM {stage_table(entity)} AS s{stage.joins}
        ),
        -- Each staged row next to the stored one: new, differing, or sent with an older dateLastModified.
        -- The stored row is found by a probe of the unique key (see `probe`), never by a plan that
        -- depends on how many rows the statistics think the district has.
        compared AS MATERIALIZED (
            SELECT c.*, t.id AS stored_id, t.id IS NULL AS new,
                coalesce(c.{table.modified} < t.{table.modified}, FALSE) AS stale,
                ({", ".join(compared_t)}, t.{table.deleted}) IS DISTINCT FROM ({", ".join(compared_c)}, NULL)
                    AS differs{rehash_flag}
            FROM src AS c{probe(table.name, "t", "c.sourced_id", outer=True)}
        ),
        changed AS (
            SELECT * FROM compared AS c WHERE c.new OR (c.differs AND NOT c.stale)
        ),{rehash}
        up AS (
            INSERT INTO {table.name} AS t
                (id, district_id, sourced_id, change_version, {", ".join(cols + constant_names)}{hash_col})
            SELECT {NEW_ID}, $1, c.sourced_id, {CHANGE_VERSION},
                {", ".join([*(f"c.{n}" for n in cols), *constant_values])}{hash_val}
            FROM changed AS c
            -- In sourcedId order, so two syncs racing over the same records lock them in the same order.
            ORDER BY c.sourced_id
            ON CONFLICT (district_id, sourced_id) DO UPDATE
            SET {assignments}, {table.deleted} = NULL, updated_at = now(),
                change_version = excluded.change_version{version}{hash_set}
            WHERE ({", ".join(compared_t)}, t.{table.deleted})
                IS DISTINCT FROM ({", ".join(f"excluded.{n}" for n in [*cols, *constant_names])}, NULL)
                AND NOT coalesce(excluded.{table.modified} < t.{table.modified}, FALSE)
            RETURNING (xmax = 0) AS created
        ),
        -- Records the SIS sent with a dateLastModified older than the one stored: never applied.
        stale AS (SELECT count(*) FILTER (WHERE stale) AS n FROM compared)
        SELECT count(*) FILTER (WHERE created) AS created, count(*) AS written, (SELECT n FROM stale) AS stale
        FROM up
    """  # noqa: S608  (identifiers come from the constant TABLES and STAGES; values are parameters)


def _check_sql(entity: SyncEntity) -> str | None:
    """The staged rows whose references do not resolve to a live record: (row, reference index, whether
    the record referred to exists but is deleted). One statement for every reference of the chunk."""
    stage = STAGES[entity]
    if not stage.references:
        return None
    parts = []
    for index, (column, kind, _) in enumerate(stage.references):
        table, deleted = _REFERENCE_TABLES[kind]
        parts.append(
            f"SELECT s.row, {index} AS ref, t.sourced_id IS NOT NULL AS deleted "  # noqa: S608
            f"FROM {stage_table(entity)} AS s "
            f"LEFT JOIN {table} AS t ON t.district_id = $1 AND t.sourced_id = s.{column} "
            f"WHERE s.{column} IS NOT NULL AND (t.sourced_id IS NULL OR t.{deleted} IS NOT NULL)"
        )
    return " UNION ALL ".join(parts)


# kind of reference -> (table, its deletion column).
_REFERENCE_TABLES = {
    "school": ("school", "sis_deleted_at"),
    "student": ("student", "deleted_at"),
    "staff": ("person", "sis_deleted_at"),
    "section": ("section", "deleted_at"),
}


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
UPSERT_SQL = {entity: _upsert_sql(entity, table) for entity, table in TABLES.items()}
STAGE_DDL = {entity: _stage_ddl(entity) for entity in TABLES}
CHECK_SQL = {entity: _check_sql(entity) for entity in TABLES}
DELETE_SQL = {entity: _delete_sql(table) for entity, table in TABLES.items()}


def seen_from_stage_sql(entity: SyncEntity, seen_table: str) -> str:
    """Remember the staged chunk's sourcedIds in the file's seen-table; return the staged rows whose
    sourcedId an earlier chunk already had (duplicates). The seen-table has no key: duplicates are
    found by a join, and a repeated sourcedId stored twice does no harm.

    Written as a join, not `EXISTS`: the semi-join was planned as a hash aggregate of every sourcedId
    of the file so far, built again for each chunk (216 ms at the fifth 20,000-row enrollment chunk,
    and growing), where the join hashes the chunk and reads the seen-table once (90 ms there). A sourcedId is in the chunk once (repeats within it are refused before staging),
    so `DISTINCT` only folds a sourcedId the seen-table holds twice."""
    stage = stage_table(entity)
    return f"""
        WITH earlier AS (
            SELECT DISTINCT s.row FROM {seen_table} AS n JOIN {stage} AS s ON s.sourced_id = n.sourced_id
        ),
        remembered AS (INSERT INTO {seen_table} (sourced_id) SELECT s.sourced_id FROM {stage} AS s)
        SELECT row FROM earlier
    """  # noqa: S608


# The (sourcedId, digest) pairs of a chunk's lines, COPYed and analysed before `match_sql` reads them:
# an array parameter would be estimated at a handful of rows, and the planner would then check the
# (keyless) seen-table once per line.
DIGESTS_TABLE = "sis_line_digests"
DIGESTS_DDL = f"CREATE TEMP TABLE IF NOT EXISTS {DIGESTS_TABLE} (sourced_id text, hash bytea) ON COMMIT DROP"


def match_sql(entity: SyncEntity, seen_table: str) -> str:
    """The CSV lines known unchanged by their digest: the pairs of `DIGESTS_TABLE` whose live row
    carries that digest, every record it refers to live, and whose sourcedId no earlier chunk of the
    file had (an earlier one makes it a duplicate: the full path reports that). They are remembered in
    the file's seen-table (for later duplicates and for archiving) and returned; nothing else of them
    needs doing. Lines the import would refuse never match: a digest is only stored for a record the
    import validated and wrote, and a reference deleted since is checked here."""
    table = TABLES[entity]
    # Each referred record by a probe of its primary key per matched row (LATERAL, `OFFSET 0`: as an
    # EXISTS, the planner may hash the whole referred table, every district's rows, once per chunk).
    live_joins = "".join(
        f" LEFT JOIN LATERAL (SELECT r.{deleted} IS NULL{derived.replace('t.', 'm.')} AS live "  # noqa: S608
        f"FROM {referred} AS r WHERE r.id = m.{column} OFFSET 0) AS l{index} ON TRUE"
        for index, (column, referred, deleted, derived) in enumerate(table.refers)
    )
    live = " AND ".join(
        f"(m.{column} IS NULL OR coalesce(l{index}.live, FALSE))"
        for index, (column, _, _, _) in enumerate(table.refers)
    )
    columns = "".join(
        f", t.{name}"
        for name in dict.fromkeys(c for ref in table.refers for c in (ref[0], *_derived_columns(ref[3])))
    )
    return f"""
        -- Earlier chunks' sourcedIds first, on their own: joined to the table first, the digest
        -- comparison would be estimated at a row or two and the seen-table scanned once per line.
        WITH fresh AS MATERIALIZED (
            SELECT u.sourced_id, u.hash FROM {DIGESTS_TABLE} AS u
            WHERE NOT EXISTS (SELECT FROM {seen_table} AS n WHERE n.sourced_id = u.sourced_id)
        ),
        -- The liveness of what a row refers to is checked only for the rows that matched: as a
        -- filter of the join, the planner may check it for every row of the district.
        -- The stored row by a probe of its unique key (see `probe`); digest and liveness after it.
        found AS MATERIALIZED (
            SELECT u.sourced_id{columns} FROM fresh AS u{probe(table.name, "t", "u.sourced_id")}
            WHERE t.sis_hash = u.hash AND t.{table.deleted} IS NULL
        ),
        matched AS MATERIALIZED (
            SELECT m.sourced_id FROM found AS m{live_joins} WHERE {live or "TRUE"}
        ),
        remembered AS (INSERT INTO {seen_table} (sourced_id) SELECT sourced_id FROM matched)
        SELECT sourced_id FROM matched
    """  # noqa: S608


def _derived_columns(derived: str) -> list[str]:
    """The columns of `t` a derived condition of `Table.refers` reads (`" AND r.x = t.y"` -> `["y"]`)."""
    return re.findall(r"\bt\.(\w+)", derived)


def has_hashes_sql(entity: SyncEntity) -> str:
    """Whether any live row of the district carries a digest (if none, matching is not worth a query)."""
    table = TABLES[entity]
    return (
        f"SELECT EXISTS (SELECT FROM {table.name} WHERE district_id = $1 "  # noqa: S608
        f"AND {table.deleted} IS NULL AND sis_hash IS NOT NULL)"
    )


def without_rows(validated: Validated, rows: set[int], sourced_ids: set[str]) -> Validated:
    """`validated` less the given rows (lines already known unchanged by their digest)."""
    return Validated(
        received=validated.received - len(rows),
        parsed=[(row, record) for row, record in validated.parsed if row not in rows],
        seen_here=validated.seen_here - sourced_ids,
        errors=[error for error in validated.errors if error.row not in rows],
        bad_rows=validated.bad_rows - rows,
    )


def seen_from_list_sql(seen_table: str) -> str:
    """`seen_from_stage_sql` for sourcedIds that are not staged (refused lines, deletions): returns
    those an earlier chunk already had."""
    return f"""
        WITH sent AS (SELECT DISTINCT unnest($1::text[]) AS sourced_id),
        remembered AS (INSERT INTO {seen_table} (sourced_id) SELECT sourced_id FROM sent)
        SELECT u.sourced_id FROM sent AS u
        WHERE EXISTS (SELECT FROM {seen_table} AS n WHERE n.sourced_id = u.sourced_id)
    """  # noqa: S608


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


def _staged(record: SyncRecord) -> tuple[Any, ...]:
    """The record's staged columns, in `STAGES` order (references as sourcedIds; dateLastModified last)."""
    if isinstance(record, SchoolRecord):
        return (record.name, record.date_last_modified)
    if isinstance(record, StaffRecord):
        display_name = f"{record.given_name} {record.family_name}"[:200]
        return (display_name, record.email, record.role.value, record.date_last_modified)
    if isinstance(record, StudentRecord):
        return (record.school, record.grade, record.date_last_modified)
    if isinstance(record, ClassRecord):
        return (record.school, record.title, record.class_code, record.date_last_modified)
    if isinstance(record, EnrollmentRecord):
        is_student = record.role == "student"
        return (
            record.section,
            record.user if is_student else None,
            None if is_student else record.user,
            record.role.value,
            record.primary,
            record.begin_date,
            record.end_date,
            record.date_last_modified,
        )
    if isinstance(record, ReferralRecord):
        return (
            record.student,
            record.school,
            record.staff,
            record.occurred_on,
            record.category,
            record.severity.value,
            record.date_last_modified,
        )
    if isinstance(record, TierAssignmentRecord):
        return (
            record.student,
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


@dataclass(slots=True)
class Validated:
    """A chunk's records after validation, before anything is asked of the database."""

    received: int = 0
    parsed: list[tuple[int, SyncRecord | DeletionRecord | Checked]] = field(default_factory=list)
    # Every sourcedId of the chunk (valid or not), for the duplicates of later chunks.
    seen_here: set[str] = field(default_factory=set)
    errors: list[RowError] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)


def validate(
    entity: SyncEntity, rows: Iterable[tuple[int, Any]], *, file: str | None = None, csv_records: bool = False
) -> Validated:
    """Parse `rows`, refusing invalid records and sourcedIds repeated within them. Pure CPU work: run
    it in a worker thread. With `csv_records` (CSV records only: mapped fields, stripped non-empty
    strings), records pass the fast checks (`FAST_CHECKS`) first and the model sees only the rest."""
    fast = FAST_CHECKS.get(entity) if csv_records else None
    out = Validated()
    parsed, seen_here = out.parsed, out.seen_here

    def refuse(row: int, sourced_id: str | None, fld: str | None, message: str, code: str) -> None:
        out.errors.append(RowError(row, fld, message, code, sourced_id, file))
        out.bad_rows.add(row)

    for row, raw in rows:
        out.received += 1
        result: SyncRecord | DeletionRecord | Checked | list[tuple[str | None, str, str]]
        if fast is not None:
            try:
                result = fast(raw)
            except _Doubt:
                result = parse_record(entity, raw)
        else:
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
    return out


# --- the fast path for CSV records -------------------------------------------------------------------
#
# A CSV import validates hundreds of thousands of records; building a pydantic model for each costs
# more than PostgreSQL spends writing it. A CSV record (`app.sis.oneroster`: only the columns the
# importer maps, every value a stripped, non-empty string) is first given to precompiled checks per
# field that produce its staged columns directly. They accept only what the record's model accepts,
# with the same values; a record they have any doubt about (a deletion, an unusual date format, a
# value out of range, an invalid one) goes through `parse_record`, so every message and code is the
# model's own.


@dataclass(frozen=True, slots=True)
class Checked:
    """A record that passed the fast checks: its sourcedId and its staged columns (see `_staged`)."""

    sourced_id: str
    values: tuple[Any, ...]


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}").fullmatch
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})").fullmatch
_GRADES = frozenset(get_args(GradeLevel))
_ENROLLMENT_ROLES = frozenset(role.value for role in EnrollmentRole)
_SEVERITIES = frozenset(severity.value for severity in ReferralSeverity)
_DOMAINS = frozenset(domain.value for domain in SupportDomain)
_BOOLS = {"true": True, "false": False, "1": True, "0": False}
_TIERS = {"1": 1, "2": 2, "3": 3}
_COMMON_FIELDS = ("sourcedId", "status", "dateLastModified")


class _Doubt(Exception):
    """The fast checks cannot vouch for the record: the model decides."""


# Parsed dates by their text: a roster repeats the same few hundred dates (bounded: cleared when full).
_DATES: dict[str, date] = {}


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    parsed = _DATES.get(value)
    if parsed is not None:
        return parsed
    if not _DATE(value):
        raise _Doubt
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise _Doubt from None
    if len(_DATES) >= 10_000:
        _DATES.clear()
    _DATES[value] = parsed
    return parsed


def _id(value: str | None, *, optional: bool = False) -> str | None:
    # Present values are non-empty and stripped; SourcedId allows up to 255 characters.
    if value is None:
        if optional:
            return None
        raise _Doubt
    if len(value) > 255:
        raise _Doubt
    return value


def _common(record: dict[str, str], fields: frozenset[str]) -> tuple[str, datetime | None]:
    """The sourcedId and dateLastModified of an active record with only known fields."""
    sourced_id = record.get("sourcedId")
    if (
        sourced_id is None
        or len(sourced_id) > 255
        or not record.keys() <= fields
        or record.get("status", "active") != "active"
    ):
        raise _Doubt
    modified = record.get("dateLastModified")
    if modified is None:
        return sourced_id, None
    if not _DATETIME(modified):
        raise _Doubt
    try:
        # An instant UTC cannot write goes to the full check too, which names the field.
        return sourced_id, refuse_instants_beyond_utc(datetime.fromisoformat(modified))
    except ValueError:
        raise _Doubt from None


def _fields(*names: str) -> frozenset[str]:
    return frozenset((*_COMMON_FIELDS, *names))


_STUDENT_FIELDS = _fields("school", "grade")
_CLASS_FIELDS = _fields("title", "school", "classCode")
_ENROLLMENT_FIELDS = _fields("class", "user", "role", "primary", "beginDate", "endDate")
_REFERRAL_FIELDS = _fields("student", "school", "staff", "date", "category", "severity")
_TIER_FIELDS = _fields("student", "domain", "tier", "effectiveFrom", "effectiveTo")


def _fast_student(r: dict[str, str]) -> Checked:
    sourced_id, modified = _common(r, _STUDENT_FIELDS)
    grade = r.get("grade")
    if grade is not None and grade not in _GRADES:
        raise _Doubt
    return Checked(sourced_id, (_id(r.get("school")), grade, modified))


def _fast_class(r: dict[str, str]) -> Checked:
    sourced_id, modified = _common(r, _CLASS_FIELDS)
    title = r.get("title")
    code = r.get("classCode")
    if title is None or len(title) > 200 or (code is not None and len(code) > 64):
        raise _Doubt
    return Checked(sourced_id, (_id(r.get("school")), title, code, modified))


def _fast_enrollment(r: dict[str, str]) -> Checked:
    sourced_id, modified = _common(r, _ENROLLMENT_FIELDS)
    role = r.get("role")
    if role not in _ENROLLMENT_ROLES:
        raise _Doubt
    primary = r.get("primary")
    is_primary = False if primary is None else _BOOLS.get(primary)
    if is_primary is None:
        raise _Doubt
    begin, end = _date(r.get("beginDate")), _date(r.get("endDate"))
    if begin and end and end < begin:
        raise _Doubt
    section, user = _id(r.get("class")), _id(r.get("user"))
    student = role == "student"
    values = (section, user if student else None, None if student else user, role, is_primary, begin, end)
    return Checked(sourced_id, (*values, modified))


def _fast_referral(r: dict[str, str]) -> Checked:
    sourced_id, modified = _common(r, _REFERRAL_FIELDS)
    category, severity = r.get("category"), r.get("severity")
    student, school, staff = r.get("student"), r.get("school"), r.get("staff")
    if (
        category is None
        or len(category) > 64
        or severity not in _SEVERITIES
        or student is None
        or school is None
        or len(student) > 255
        or len(school) > 255
        or (staff is not None and len(staff) > 255)
    ):
        raise _Doubt
    occurred_on = _date(r.get("date"))
    if occurred_on is None:
        raise _Doubt
    return Checked(sourced_id, (student, school, staff, occurred_on, category, severity, modified))


def _fast_tier(r: dict[str, str]) -> Checked:
    sourced_id, modified = _common(r, _TIER_FIELDS)
    domain, tier = r.get("domain"), _TIERS.get(r.get("tier", ""))
    if domain not in _DOMAINS or tier is None:
        raise _Doubt
    start, end = _date(r.get("effectiveFrom")), _date(r.get("effectiveTo"))
    if start is None or (end and end < start):
        raise _Doubt
    return Checked(sourced_id, (_id(r.get("student")), domain, tier, start, end, modified))


FAST_CHECKS: dict[SyncEntity, Callable[[dict[str, str]], Checked]] = {
    SyncEntity.STUDENTS: _fast_student,
    SyncEntity.CLASSES: _fast_class,
    SyncEntity.ENROLLMENTS: _fast_enrollment,
    SyncEntity.REFERRALS: _fast_referral,
    SyncEntity.TIER_ASSIGNMENTS: _fast_tier,
}


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


# entity -> the kind of reference its records are to others (see `_REFERENCE_TABLES`).
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
    driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
    # The bulk statements join tens of thousands of staged rows: their estimated cost passes the
    # server's JIT threshold, and compiling them (hundreds of milliseconds, every statement) costs
    # more than it saves on statements that run in about that time. For this transaction only.
    await driver.execute("SET LOCAL jit = off")
    return driver


class BulkWriter:
    """Prepares and writes chunks of one district's records on one connection."""

    def __init__(self, connection: asyncpg.Connection, district_id: uuid.UUID) -> None:
        self.connection = connection
        self.district_id = district_id
        # The stages analysed in this transaction (see `prepare`). A writer serves one transaction (or
        # savepoint): the stages are temporary tables that go with it.
        self._analysed: set[SyncEntity] = set()

    async def prepare(
        self,
        entity: SyncEntity,
        rows: Iterable[tuple[int, Any]] = (),
        *,
        file: str | None = None,
        seen_table: str | None = None,
        not_written: NotWritten | None = None,
        csv_records: bool = False,
        validated: Validated | None = None,
        hashes: dict[int, bytes] | None = None,
    ) -> Prepared:
        """Validate `rows` (row number, raw record) of `entity`. With `seen_table`, sourcedIds seen in
        earlier chunks of the same file count as duplicates too (and are remembered for archiving).
        With `not_written`, records that point only at records refused (or held back) earlier are
        counted as skipped dependants of those, not refused themselves. `csv_records` says the records
        come from CSV (only mapped fields, every value a stripped non-empty string): they may take the
        fast checks (`FAST_CHECKS`). `validated` is the outcome of `validate` over the rows when the
        caller has already run it (the CSV import does, in the thread that reads ahead). `hashes` are the
        CSV import's digests of the records by row, written with them (see `match_sql`)."""
        if validated is None:
            # Validation is CPU work with no I/O: a worker thread does it, so the event loop keeps
            # serving other requests while a large chunk is checked.
            validated = await asyncio.to_thread(validate, entity, rows, file=file, csv_records=csv_records)
        prepared = Prepared(entity, received=validated.received, errors=validated.errors)
        bad_rows = validated.bad_rows
        parsed, seen_here = validated.parsed, validated.seen_here

        def refuse(row: int, sourced_id: str | None, fld: str | None, message: str, code: str) -> None:
            prepared.errors.append(RowError(row, fld, message, code, sourced_id, file))
            bad_rows.add(row)

        # Every valid record but the deletions goes into the stage (COPY); the stage is what the
        # duplicate check, the school-name check, the reference check and the upsert all read.
        candidates: dict[int, tuple[SyncRecord | Checked, tuple[Any, ...]]] = {}
        deletions: list[tuple[int, DeletionRecord]] = []
        for row, record in parsed:
            if isinstance(record, DeletionRecord):
                deletions.append((row, record))
            else:
                candidates[row] = (record, record.values if isinstance(record, Checked) else _staged(record))
        stage = stage_table(entity)
        await self.connection.execute(STAGE_DDL[entity])
        await self.connection.execute(f"TRUNCATE {stage}")
        if candidates:
            await self.connection.copy_records_to_table(
                stage,
                records=[
                    (row, record.sourced_id, *values, hashes.get(row) if hashes else None)
                    for row, (record, values) in candidates.items()
                ],
            )
            # A temporary table has no statistics until analysed: without them the planner takes the
            # stage for a handful of rows and joins it to the real tables badly. Once per stage is
            # enough: TRUNCATE keeps the column statistics, and the planner scales the row count by the
            # pages the next chunk fills (analysing every 20,000-row chunk again cost more than the
            # reference check).
            if entity not in self._analysed:
                await self.connection.execute(f"ANALYZE {stage}")
                self._analysed.add(entity)
        dropped: list[int] = []

        if seen_table is not None and seen_here:
            # sourcedIds of earlier chunks of the file are duplicates; this chunk's join them. The
            # staged ones go from stage to seen-table inside the server; only the few others (refused
            # lines, deletions) travel as a parameter. Only duplicates come back.
            earlier_rows = set()
            if candidates:
                earlier_rows = {
                    r[0] for r in await self.connection.fetch(seen_from_stage_sql(entity, seen_table))
                }
            staged_ids = {record.sourced_id for record, _ in candidates.values()}
            others = [sid for sid in seen_here if sid not in staged_ids]
            earlier_ids: set[str] = set()
            if others:
                earlier_ids = {
                    r[0] for r in await self.connection.fetch(seen_from_list_sql(seen_table), others)
                }
            for row, record in [
                *((row, candidates[row][0]) for row in sorted(earlier_rows)),
                *((row, record) for row, record in deletions if record.sourced_id in earlier_ids),
            ]:
                refuse(
                    row,
                    record.sourced_id,
                    "sourcedId",
                    "This sourcedId appears earlier in the file.",
                    "duplicate",
                )
            for row in earlier_rows:
                del candidates[row]
                dropped.append(row)
            if earlier_ids:
                deletions = [
                    (row, record) for row, record in deletions if record.sourced_id not in earlier_ids
                ]
        prepared.deletions = [(record.sourced_id, record.date_last_modified) for _, record in deletions]

        if entity is SyncEntity.SCHOOLS:
            # Schools refuse a name another school of the district holds (schools have no references).
            names_taken = await self._school_names_taken([(row, r) for row, (r, _) in candidates.items()])
            for row, (record, _) in list(candidates.items()):
                if not isinstance(record, SchoolRecord):
                    continue  # never: schools have no fast checks
                other = names_taken.get(record.name.lower(), record.sourced_id)
                # A school made by hand (no sourcedId) is adopted by the SIS record of its name.
                if other is not None and other != record.sourced_id:
                    refuse(
                        row,
                        record.sourced_id,
                        "name",
                        "Another school of the district has this name.",
                        "duplicate",
                    )
                    del candidates[row]
                    dropped.append(row)
                    continue
                names_taken[record.name.lower()] = record.sourced_id

        # Then the references of what is left, checked in one statement.
        unresolved_rows: dict[int, list[tuple[str, str, str, bool]]] = {}
        if candidates and CHECK_SQL[entity] is not None:
            references = STAGES[entity].references
            for found in await self.connection.fetch(CHECK_SQL[entity], self.district_id):
                if found["row"] not in candidates:
                    continue  # a duplicate or a school refused for its name: already answered
                column, kind, fld = references[found["ref"]]
                record, values = candidates[found["row"]]
                sid = values[[name for name, _ in STAGES[entity].columns].index(column)]
                unresolved_rows.setdefault(found["row"], []).append((kind, sid, fld, found["deleted"]))
        causes: dict[tuple[str, str], tuple[str | None, int | None]] = {}
        if not_written is not None and unresolved_rows:
            causes = await not_written.find(
                {(kind, sid) for unresolved in unresolved_rows.values() for kind, sid, _, _ in unresolved}
            )
        for row in sorted(unresolved_rows):
            record, _ = candidates.pop(row)
            dropped.append(row)
            unresolved = sorted(
                unresolved_rows[row],
                key=lambda ref: [fld for _, _, fld in STAGES[entity].references].index(ref[2]),
            )
            if all((kind, sid) in causes for kind, sid, _, _ in unresolved):
                roots = [
                    causes[kind, sid] for kind, sid, _, _ in unresolved if causes[kind, sid][0] is not None
                ]
                if roots:
                    prepared.skipped.append((record.sourced_id, *roots[0]))
                else:
                    prepared.held.append(record.sourced_id)
                continue
            for kind, sid, fld, deleted in unresolved:
                if (kind, sid) in causes:
                    continue
                if deleted:
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
        if dropped:
            await self.connection.execute(f"DELETE FROM {stage} WHERE row = ANY($1::int[])", dropped)  # noqa: S608
        for record, values in candidates.values():
            prepared.upsert_ids.append(record.sourced_id)
            prepared.upserts.append(values)
        prepared.rejected_rows = len(bad_rows)
        prepared.errors.sort(key=lambda error: error.row if error.row is not None else -1)
        return prepared

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
            # The stage `prepare` filled: one set-based statement.
            result = await self.connection.fetchrow(UPSERT_SQL[entity], self.district_id)
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
