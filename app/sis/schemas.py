"""Request and response models for SIS sync and behaviour analytics.

Sync records speak OneRoster 1.2: camelCase field names (`sourcedId`, `status`, `dateLastModified`),
references to other records by their `sourcedId`. A sync script can send what its SIS exports and
read back the same shape. Everything else (counts, runs, analytics) follows the service's snake_case.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.alias_generators import to_camel

from app.core.schemas import AwareDateTime, Name, PublicModel, SourcedId
from app.identity.models import StaffRole
from app.sis.models import (
    EnrollmentRole,
    ReferralSeverity,
    SupportDomain,
    SyncRunStatus,
    SyncSource,
)
from app.tenancy.schemas import GradeLevel

# The most records one `PUT /sync/{entity}` call may carry.
MAX_BATCH = 10_000


class SyncEntity(StrEnum):
    """What a sync script can push, in the order a full sync should push it (references first)."""

    SCHOOLS = "schools"
    STAFF = "staff"
    STUDENTS = "students"
    CLASSES = "classes"
    ENROLLMENTS = "enrollments"
    REFERRALS = "referrals"
    TIER_ASSIGNMENTS = "tier-assignments"


BEHAVIOR_ENTITIES = frozenset({SyncEntity.REFERRALS, SyncEntity.TIER_ASSIGNMENTS})


class RecordStatus(StrEnum):
    """OneRoster `statusType`: `tobedeleted` soft-deletes the record."""

    ACTIVE = "active"
    TOBEDELETED = "tobedeleted"


# --- incoming records --------------------------------------------------------------------------------


class SyncRecord(BaseModel):
    """What every record carries. Unknown fields are refused, so a misspelt field is never dropped."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, str_strip_whitespace=True
    )

    sourced_id: SourcedId
    status: RecordStatus = RecordStatus.ACTIVE
    date_last_modified: AwareDateTime | None = None


class DeletionRecord(BaseModel):
    """A record with `status=tobedeleted`: only its sourcedId matters; other fields are not checked."""

    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, str_strip_whitespace=True)

    sourced_id: SourcedId
    status: Literal[RecordStatus.TOBEDELETED]
    date_last_modified: AwareDateTime | None = None


class SchoolRecord(SyncRecord):
    """A school (OneRoster `orgs` of type `school`); matched to an existing school by sourcedId."""

    name: Name


Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)]


class StaffRecord(SyncRecord):
    """A member of staff (OneRoster `users` with role teacher, administrator or aide)."""

    role: StaffRole
    given_name: Name
    family_name: Name
    email: Email | None = None


class StudentRecord(SyncRecord):
    """A student: sourcedId, school and grade. Names and contact details are accepted and discarded."""

    school: SourcedId = Field(description="The school's sourcedId.")
    grade: GradeLevel | None = None


class ClassRecord(SyncRecord):
    """A class (OneRoster `classes`) at one school."""

    title: Name
    school: SourcedId = Field(description="The school's sourcedId.")
    class_code: Annotated[str, StringConstraints(max_length=64)] | None = None


class EnrollmentRecord(SyncRecord):
    """A student or member of staff in a class. `user` is a student's or a staff member's sourcedId,
    according to `role`."""

    section: SourcedId = Field(alias="class", description="The class's sourcedId.")
    user: SourcedId
    role: EnrollmentRole
    primary: bool = False
    begin_date: date | None = None
    end_date: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> EnrollmentRecord:
        if self.begin_date and self.end_date and self.end_date < self.begin_date:
            raise ValueError("endDate is before beginDate")
        return self


class ReferralRecord(SyncRecord):
    """A behaviour referral."""

    student: SourcedId
    school: SourcedId
    staff: SourcedId | None = Field(default=None, description="The reporting staff member's sourcedId.")
    occurred_on: date = Field(alias="date")
    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    severity: ReferralSeverity


class TierAssignmentRecord(SyncRecord):
    """A student's tier of support in one domain, from `effectiveFrom` to `effectiveTo` (open-ended
    when absent)."""

    student: SourcedId
    domain: SupportDomain
    tier: int = Field(ge=1, le=3)
    effective_from: date
    effective_to: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> TierAssignmentRecord:
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effectiveTo is before effectiveFrom")
        return self


RECORD_MODELS: dict[SyncEntity, type[SyncRecord]] = {
    SyncEntity.SCHOOLS: SchoolRecord,
    SyncEntity.STAFF: StaffRecord,
    SyncEntity.STUDENTS: StudentRecord,
    SyncEntity.CLASSES: ClassRecord,
    SyncEntity.ENROLLMENTS: EnrollmentRecord,
    SyncEntity.REFERRALS: ReferralRecord,
    SyncEntity.TIER_ASSIGNMENTS: TierAssignmentRecord,
}

# OneRoster `users` fields a feed may send that the service has no use for: accepted and discarded.
IGNORED_USER_FIELDS = frozenset(
    {
        "enabledUser",
        "username",
        "userIds",
        "middleName",
        "identifier",
        "sms",
        "phone",
        "agentSourcedIds",
        "password",
        "userMasterIdentifier",
        "resourceSourcedIds",
        "preferredGivenName",
        "preferredMiddleName",
        "preferredFamilyName",
        "preferredFirstName",
        "preferredLastName",
        "pronouns",
        "primaryOrg",
        "metadata",
    }
)
# Students are pseudonymous: whatever names and contact details a feed sends are dropped unread.
STUDENT_PERSONAL_FIELDS = frozenset({"givenName", "familyName", "email", "birthDate", "sex"})


class SyncBatch(BaseModel):
    """One call's records, applied in one transaction."""

    model_config = ConfigDict(extra="forbid")

    records: list[dict[str, Any]] = Field(
        max_length=MAX_BATCH,
        description=f"Up to {MAX_BATCH:,} OneRoster records of the entity named in the path.",
    )


# --- outgoing records --------------------------------------------------------------------------------


class RecordPublic(BaseModel):
    """A synced record as the SIS sent it, with the service's id and when it last changed here."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)

    id: uuid.UUID
    sourced_id: str
    status: RecordStatus
    date_last_modified: datetime | None
    updated_at: datetime
    change_version: int = Field(
        description="The version of the row's last change: pass the highest you have applied, plus one, "
        "as `min_change_version` (see `GET /sync/change-versions`)."
    )


class SchoolRecordPublic(RecordPublic):
    name: str


class StaffRecordPublic(RecordPublic):
    role: StaffRole
    display_name: str
    email: str | None


class StudentRecordPublic(RecordPublic):
    school: str
    grade: str | None


class ClassRecordPublic(RecordPublic):
    title: str
    school: str
    class_code: str | None


class EnrollmentRecordPublic(RecordPublic):
    section: str = Field(alias="class")
    school: str
    user: str
    role: EnrollmentRole
    primary: bool
    begin_date: date | None
    end_date: date | None


class ReferralRecordPublic(RecordPublic):
    student: str
    school: str
    staff: str | None
    occurred_on: date = Field(alias="date")
    category: str
    severity: ReferralSeverity


class TierAssignmentRecordPublic(RecordPublic):
    student: str
    domain: SupportDomain
    tier: int
    effective_from: date
    effective_to: date | None


PUBLIC_MODELS: dict[SyncEntity, type[RecordPublic]] = {
    SyncEntity.SCHOOLS: SchoolRecordPublic,
    SyncEntity.STAFF: StaffRecordPublic,
    SyncEntity.STUDENTS: StudentRecordPublic,
    SyncEntity.CLASSES: ClassRecordPublic,
    SyncEntity.ENROLLMENTS: EnrollmentRecordPublic,
    SyncEntity.REFERRALS: ReferralRecordPublic,
    SyncEntity.TIER_ASSIGNMENTS: TierAssignmentRecordPublic,
}


class DeletedRecord(BaseModel):
    """A record the SIS deleted (or a bulk import archived), by its sourcedId."""

    sourced_id: str = Field(serialization_alias="sourcedId")
    deleted_at: datetime
    change_version: int = Field(serialization_alias="changeVersion")


class AvailableChangeVersions(BaseModel):
    """The change versions the feed can serve now (Ed-Fi's `availableChangeVersions`)."""

    oldest_change_version: int = Field(description="The lowest version a row can have.")
    newest_change_version: int = Field(
        description="The highest version no running transaction can still write. Pull with "
        "`min_change_version` = the `newest_change_version` of your last pull + 1 and "
        "`max_change_version` = this; keep this as the start of your next pull."
    )


class DeletedRecordList(BaseModel):
    items: list[DeletedRecord]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


# --- runs --------------------------------------------------------------------------------------------


class RowErrorPublic(BaseModel):
    """One refused record: where it was, which field, and why."""

    row: int | None = Field(
        description="Bulk API: the record's index in `records` (from 0). CSV: the line in the file "
        "(the header is line 1). Null for a problem with a whole file."
    )
    file: str | None = Field(default=None, description="CSV import: the file, e.g. `users.csv`.")
    sourced_id: str | None = None
    field: str | None = Field(description="The OneRoster field (or CSV column); null for the whole record.")
    message: str
    code: str
    dependents: int = Field(
        default=0,
        description="CSV import: how many later records were skipped because they refer to this one "
        "(counted `skipped` in their file, not listed as errors of their own).",
    )


class EntityCounts(BaseModel):
    mode: Literal["bulk", "delta"] | None = Field(
        default=None, description="CSV import: how the manifest said to read the file."
    )
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    missing: int | None = Field(
        default=None,
        description="Bulk-mode CSV file: records held here but absent from the file. They are archived "
        "(and counted in `deleted`) only when the import asked for `archive_missing`.",
    )
    skipped: int | None = Field(
        default=None,
        description="CSV import: rows not applied: rows the service keeps no record of (district and "
        "other non-school orgs, parents, guardians and other roles), and records that refer to a "
        "refused record (whose error counts them in `dependents`).",
    )
    stale: int | None = Field(
        default=None,
        description="Records sent with a `dateLastModified` older than the one stored: not applied "
        "(present when there were any).",
    )


class SyncRunPublic(PublicModel):
    """What one sync did. The answer to every sync call, and what `GET /sync/runs` lists."""

    id: uuid.UUID
    source: SyncSource
    entity: str | None
    status: SyncRunStatus
    partial: bool
    archive_missing: bool
    actor_kind: str
    actor_id: uuid.UUID | None
    actor_label: str | None
    started_at: datetime
    finished_at: datetime
    received: int
    created: int
    updated: int
    unchanged: int
    deleted: int
    rejected: int
    counts: dict[str, EntityCounts] = Field(description="The same counts per entity.")
    errors: list[RowErrorPublic] = Field(description="The refused records (the first 1,000).")
    error_count: int = Field(description="How many records were refused in all.")


# --- behaviour analytics -----------------------------------------------------------------------------


class Cell(BaseModel):
    """One figure of an aggregate. `value` is null and `suppressed` true when it describes fewer students
    than the district's minimum n, or when it would let such a figure be worked out from a total."""

    value: float | None
    suppressed: bool


class TierRow(BaseModel):
    tier: int
    students: Cell
    share: Cell


class DomainTiers(BaseModel):
    domain: SupportDomain
    tiers: list[TierRow] = Field(
        description="Students at tiers 1, 2 and 3 (a student with no assignment in the period is at tier 1)."
    )


class ReferralBucketRow(BaseModel):
    bucket: Literal["0", "1", "2-5", "6+"]
    students: Cell
    share: Cell


class SchoolBehaviorSummary(BaseModel):
    """One school's students by tier of support and by number of referrals in the period."""

    school_id: uuid.UUID | None = Field(description="Null for the district as a whole.")
    school_name: str
    enrolled: Cell
    tiers: list[DomainTiers]
    referral_buckets: list[ReferralBucketRow]


class BehaviorRelease(BaseModel):
    """Which release the figures come from. Figures are published only for closed periods, computed
    once and never changed; data that arrives later waits for a correction release."""

    period: str = Field(description="The released period's name, e.g. `2026-10`.")
    period_start: date
    period_end: date
    revision: int = Field(description="1 for the first release of the period; corrections count up.")
    released_at: datetime
    late_referrals: int = Field(
        description="Referrals of the period recorded, changed or removed since the release: not in it."
    )
    min_cell_size: int = Field(description="The minimum n the release was suppressed under.")


class BehaviorOverview(BehaviorRelease):
    """Per school (and for the district, for district-wide roles) the share of students at each tier
    and with 0, 1, 2–5 and 6+ referrals in the released period."""

    district: SchoolBehaviorSummary | None = Field(
        description="The district as a whole; only for callers who see every school."
    )
    schools: list[SchoolBehaviorSummary]


class TeacherRow(BaseModel):
    person_id: uuid.UUID
    sourced_id: str | None
    display_name: str
    enrolled_students: Cell = Field(description="Distinct students in the teacher's classes at the school.")
    referrals: Cell = Field(description="Referrals the teacher reported at the school in the period.")
    referrals_per_student: Cell
    relative_to_school: Cell = Field(
        description="The teacher's referrals per student divided by the school's referrals per student "
        "per teacher (what all its teachers reported over all their teacher-student pairs): 1.0 = the "
        "school's rate, however many teachers each student has."
    )


class GradeRow(BaseModel):
    grade: str
    enrolled: Cell
    students_with_referrals: Cell
    referrals: Cell
    referrals_per_student: Cell


class CategoryRow(BaseModel):
    category: str
    referrals: Cell
    students: Cell = Field(description="Distinct students with a referral of this category.")


class SchoolBehaviorDetail(BaseModel):
    """One school in depth, as a release stores it."""

    summary: SchoolBehaviorSummary
    referrals: Cell = Field(description="Referrals of the school's enrolled students in the period.")
    referrals_per_student: Cell
    teachers: list[TeacherRow]
    by_grade: list[GradeRow]
    by_category: list[CategoryRow] = Field(
        description="Every category referred in the district in the period, zeros included."
    )


class SchoolBehaviorReport(BehaviorRelease, SchoolBehaviorDetail):
    """One school in depth: its summary, referral rates per teacher against the school's, and the
    breakdowns by grade and by category."""
