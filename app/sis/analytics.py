"""Behaviour analytics: what share of students need tier 2 or 3 support, and how referral patterns
differ among teachers, with every small cell suppressed (`app.sis.suppression`).

Definitions, where the words leave room:

- *Enrolled*: the school's live students (not deleted by the SIS).
- *Tier*: a student's highest tier in a domain among the assignments in force during the period; a
  student with none is at tier 1 (universal support is everyone's).
- *Referrals*: live referrals dated in the period, at the school, of its enrolled students.
- *A teacher's students*: enrolled students in the live classes at the school where the teacher has a
  live teacher enrollment; their rate is the referrals they reported per such student, next to the
  school's referrals per enrolled student.
- A referral count is suppressed by the number of distinct students behind it; a teacher's figures by
  the number of students they teach.

School leaders see their school; district admins and leaders (and `read` clients) every school and the
district as a whole. The suppression pattern is computed over the whole district whoever asks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, get_args

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Action
from app.auth.policy import allowed_schools, authorize, get_visible, require
from app.auth.principal import Principal
from app.core.errors import FieldError, PermissionDenied, ValidationFailed
from app.core.models import utcnow
from app.sis.models import SupportDomain
from app.sis.schemas import (
    BehaviorOverview,
    CategoryRow,
    Cell,
    DomainTiers,
    GradeRow,
    ReferralBucketRow,
    SchoolBehaviorReport,
    SchoolBehaviorSummary,
    TeacherRow,
    TierRow,
)
from app.sis.suppression import Figure, Partition, suppress
from app.tenancy.models import District, School
from app.tenancy.schemas import GradeLevel

BUCKETS = ("0", "1", "2-5", "6+")
TIERS = (1, 2, 3)
DOMAINS = tuple(SupportDomain)
GRADE_ORDER = {grade: position for position, grade in enumerate(get_args(GradeLevel))}
UNSPECIFIED_GRADE = "unspecified"
DISTRICT = "district"


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date


def period(start: date | None, end: date | None) -> Period:
    """The period asked for; by default the school year (1 July – 30 June) that holds today.
    `ValidationFailed` when it ends before it starts."""
    today = utcnow().date()
    year_start = date(today.year if today.month >= 7 else today.year - 1, 7, 1)
    if start is None:
        start = year_start if end is None else end - timedelta(days=364)
    if end is None:
        end = (
            date(start.year + 1, 6, 30) if (start.month, start.day) == (7, 1) else start + timedelta(days=364)
        )
    if end < start:
        raise ValidationFailed(
            "The period ends before it starts.",
            errors=[FieldError(("query", "period_end"), "Must be on or after period_start.", "period_order")],
        )
    return Period(start, end)


def _cell(figure: Figure | None, *, digits: int | None = None) -> Cell:
    if figure is None or figure.suppressed:
        return Cell(value=None, suppressed=True)
    value = round(figure.value, digits) if digits is not None else figure.value
    return Cell(value=value, suppressed=False)


def _ratio(numerator: Figure, denominator: Figure, *, scale_n: int | None = None) -> Figure:
    """A derived figure: hidden whenever either side is."""
    value = numerator.value / denominator.value if denominator.value else 0.0
    return Figure(
        value,
        scale_n if scale_n is not None else denominator.n,
        numerator.suppressed or denominator.suppressed,
    )


async def _min_cell_size(session: AsyncSession, district_id: uuid.UUID) -> int:
    return await session.scalar(select(District.min_cell_size).where(District.id == district_id)) or 10


def _district_of(principal: Principal) -> uuid.UUID:
    if principal.district_id is None:
        raise PermissionDenied("Analytics need a principal of a district.")
    return principal.district_id


# --- the district-wide table: enrolled, tiers and referral buckets per school ------------------------

_ENROLLED_AND_BUCKETS = text(
    """
    WITH enrolled AS (
        SELECT id, school_id FROM student WHERE district_id = :district AND deleted_at IS NULL
    ), referred AS (
        SELECT r.student_id, count(*) AS n
        FROM behavior_referral AS r JOIN enrolled AS e ON e.id = r.student_id AND e.school_id = r.school_id
        WHERE r.district_id = :district AND r.deleted_at IS NULL AND r.occurred_on BETWEEN :start AND :end
        GROUP BY r.student_id
    )
    SELECT e.school_id,
        count(*) AS enrolled,
        count(*) FILTER (WHERE referred.n IS NULL) AS b0,
        count(*) FILTER (WHERE referred.n = 1) AS b1,
        count(*) FILTER (WHERE referred.n BETWEEN 2 AND 5) AS b2_5,
        count(*) FILTER (WHERE referred.n >= 6) AS b6,
        coalesce(sum(referred.n), 0) AS referrals
    FROM enrolled AS e LEFT JOIN referred ON referred.student_id = e.id
    GROUP BY e.school_id
    """
)

_TIERS = text(
    """
    SELECT s.school_id, t.domain::text AS domain, t.tier, count(*) AS students
    FROM (
        SELECT student_id, domain, max(tier) AS tier FROM tier_assignment
        WHERE district_id = :district AND deleted_at IS NULL
            AND effective_from <= :end AND (effective_to IS NULL OR effective_to >= :start)
        GROUP BY student_id, domain
    ) AS t
    JOIN student AS s ON s.id = t.student_id AND s.deleted_at IS NULL
    WHERE t.tier > 1
    GROUP BY s.school_id, t.domain, t.tier
    """
)


@dataclass
class DistrictTable:
    cells: dict[Any, Figure]
    schools: list[uuid.UUID]  # schools with enrolled students, by name
    names: dict[uuid.UUID, str]
    referrals: dict[uuid.UUID, int]


async def _district_table(
    session: AsyncSession, district_id: uuid.UUID, when: Period, min_n: int
) -> DistrictTable:
    params = {"district": district_id, "start": when.start, "end": when.end}
    base = {row.school_id: row for row in await session.execute(_ENROLLED_AND_BUCKETS, params)}
    above_one: dict[tuple[uuid.UUID, str, int], int] = {
        (row.school_id, row.domain, row.tier): row.students for row in await session.execute(_TIERS, params)
    }
    names = {
        row.id: row.name
        for row in await session.execute(
            select(School.id, School.name).where(School.district_id == district_id)
        )
    }
    schools = sorted(base, key=lambda school_id: names.get(school_id, "").lower())
    cells: dict[Any, Figure] = {}
    partitions: list[Partition] = []
    for key in [*schools, DISTRICT]:
        cells[("enrolled", key)] = Figure(0, 0)
        for bucket in BUCKETS:
            cells[("bucket", key, bucket)] = Figure(0, 0)
        for domain in DOMAINS:
            for tier in TIERS:
                cells[("tier", key, domain.value, tier)] = Figure(0, 0)
    for school_id in schools:
        row = base[school_id]
        counts = {
            ("enrolled", school_id): row.enrolled,
            ("bucket", school_id, "0"): row.b0,
            ("bucket", school_id, "1"): row.b1,
            ("bucket", school_id, "2-5"): row.b2_5,
            ("bucket", school_id, "6+"): row.b6,
        }
        for domain in DOMAINS:
            t2 = above_one.get((school_id, domain.value, 2), 0)
            t3 = above_one.get((school_id, domain.value, 3), 0)
            counts |= {
                ("tier", school_id, domain.value, 1): row.enrolled - t2 - t3,
                ("tier", school_id, domain.value, 2): t2,
                ("tier", school_id, domain.value, 3): t3,
            }
        for key, count in counts.items():
            cells[key] = Figure(count, count)
            total = cells[(key[0], DISTRICT, *key[2:])]
            total.value += count
            total.n += count
    for key in [*schools, DISTRICT]:
        enrolled = ("enrolled", key)
        partitions.append(Partition(tuple(("bucket", key, b) for b in BUCKETS), enrolled))
        for domain in DOMAINS:
            partitions.append(Partition(tuple(("tier", key, domain.value, t) for t in TIERS), enrolled))
    # Columns: each school's cell is part of the district's.
    partitions.append(Partition(tuple(("enrolled", s) for s in schools), ("enrolled", DISTRICT)))
    for bucket in BUCKETS:
        partitions.append(
            Partition(tuple(("bucket", s, bucket) for s in schools), ("bucket", DISTRICT, bucket))
        )
    for domain in DOMAINS:
        for tier in TIERS:
            partitions.append(
                Partition(
                    tuple(("tier", s, domain.value, tier) for s in schools),
                    ("tier", DISTRICT, domain.value, tier),
                )
            )
    suppress(cells, partitions, min_n)
    referrals = {school_id: int(base[school_id].referrals) for school_id in schools}
    return DistrictTable(cells, schools, names, referrals)


def _summary(table: DistrictTable, key: Any, name: str) -> SchoolBehaviorSummary:
    cells = table.cells
    enrolled = cells[("enrolled", key)]
    return SchoolBehaviorSummary(
        school_id=None if key == DISTRICT else key,
        school_name=name,
        enrolled=_cell(enrolled),
        tiers=[
            DomainTiers(
                domain=domain,
                tiers=[
                    TierRow(
                        tier=tier,
                        students=_cell(cells[("tier", key, domain.value, tier)]),
                        share=_cell(_ratio(cells[("tier", key, domain.value, tier)], enrolled), digits=4),
                    )
                    for tier in TIERS
                ],
            )
            for domain in DOMAINS
        ],
        referral_buckets=[
            ReferralBucketRow(
                bucket=bucket,  # type: ignore[arg-type]
                students=_cell(cells[("bucket", key, bucket)]),
                share=_cell(_ratio(cells[("bucket", key, bucket)], enrolled), digits=4),
            )
            for bucket in BUCKETS
        ],
    )


async def overview(session: AsyncSession, principal: Principal, when: Period) -> BehaviorOverview:
    """Tiers and referral buckets for each school the principal may see, and for the district when it
    sees them all. Raises `PermissionDenied` for roles without behaviour analytics."""
    require(principal, Action.BEHAVIOR_ANALYTICS_READ)
    district_id = _district_of(principal)
    min_n = await _min_cell_size(session, district_id)
    table = await _district_table(session, district_id, when, min_n)
    allowed = allowed_schools(principal, Action.BEHAVIOR_ANALYTICS_READ)
    shown = [s for s in table.schools if allowed is None or s in allowed]
    district_name = await session.scalar(select(District.name).where(District.id == district_id))
    return BehaviorOverview(
        period_start=when.start,
        period_end=when.end,
        min_cell_size=min_n,
        district=_summary(table, DISTRICT, district_name or "") if allowed is None else None,
        schools=[_summary(table, s, table.names.get(s, "")) for s in shown],
    )


# --- one school in depth -----------------------------------------------------------------------------

_BY_GRADE = text(
    """
    WITH enrolled AS (
        SELECT id, coalesce(grade, :unspecified) AS grade FROM student
        WHERE school_id = :school AND deleted_at IS NULL
    ), referred AS (
        SELECT r.student_id, count(*) AS n FROM behavior_referral AS r JOIN enrolled AS e ON e.id = r.student_id
        WHERE r.school_id = :school AND r.deleted_at IS NULL AND r.occurred_on BETWEEN :start AND :end
        GROUP BY r.student_id
    )
    SELECT e.grade, count(*) AS enrolled, count(referred.n) AS with_referrals, coalesce(sum(referred.n), 0) AS referrals
    FROM enrolled AS e LEFT JOIN referred ON referred.student_id = e.id
    GROUP BY e.grade
    """
)

_BY_CATEGORY = text(
    """
    SELECT r.category, count(*) AS referrals, count(DISTINCT r.student_id) AS students
    FROM behavior_referral AS r JOIN student AS s ON s.id = r.student_id AND s.school_id = r.school_id
    WHERE r.school_id = :school AND r.deleted_at IS NULL AND s.deleted_at IS NULL
        AND r.occurred_on BETWEEN :start AND :end
    GROUP BY r.category ORDER BY r.category
    """
)

_TEACHERS = text(
    """
    WITH teaching AS (
        SELECT DISTINCT e.person_id, e.section_id
        FROM enrollment AS e JOIN section AS c ON c.id = e.section_id
        WHERE c.school_id = :school AND c.deleted_at IS NULL AND e.deleted_at IS NULL AND e.role = 'teacher'
    ), taught AS (
        SELECT t.person_id, count(DISTINCT e.student_id) AS students
        FROM teaching AS t
        JOIN enrollment AS e ON e.section_id = t.section_id AND e.role = 'student' AND e.deleted_at IS NULL
        JOIN student AS s ON s.id = e.student_id AND s.school_id = :school AND s.deleted_at IS NULL
        GROUP BY t.person_id
    ), reported AS (
        SELECT r.reporter_person_id AS person_id, count(*) AS referrals
        FROM behavior_referral AS r JOIN student AS s ON s.id = r.student_id AND s.school_id = r.school_id
        WHERE r.school_id = :school AND r.deleted_at IS NULL AND s.deleted_at IS NULL
            AND r.occurred_on BETWEEN :start AND :end AND r.reporter_person_id IS NOT NULL
        GROUP BY r.reporter_person_id
    )
    SELECT p.id, p.sourced_id, p.display_name, coalesce(taught.students, 0) AS students,
        coalesce(reported.referrals, 0) AS referrals
    FROM (SELECT DISTINCT person_id FROM teaching) AS t
    JOIN person AS p ON p.id = t.person_id
    LEFT JOIN taught ON taught.person_id = t.person_id
    LEFT JOIN reported ON reported.person_id = t.person_id
    ORDER BY p.display_name, p.id
    """
)


async def school_report(
    session: AsyncSession, principal: Principal, school_id: uuid.UUID, when: Period
) -> SchoolBehaviorReport:
    """One school: its summary, the school's referral rate, each teacher's next to it, and the
    breakdowns by grade and category. `NotFound` for a school of another district; `PermissionDenied`
    for a school the principal may not see analytics of."""
    school = await get_visible(session, School, school_id, principal, Action.SCHOOL_READ, what="school")
    authorize(principal, Action.BEHAVIOR_ANALYTICS_READ, district_id=school.district_id, school_id=school.id)
    min_n = await _min_cell_size(session, school.district_id)
    table = await _district_table(session, school.district_id, when, min_n)
    params = {"school": school.id, "start": when.start, "end": when.end, "unspecified": UNSPECIFIED_GRADE}
    cells = table.cells
    known = ("enrolled", school.id) in cells
    if known:
        decided = cells[("enrolled", school.id)]
        enrolled = Figure(decided.value, decided.n, decided.suppressed)
        b0 = cells[("bucket", school.id, "0")]
        with_referrals_n = int(enrolled.value - b0.value)
        referrals_count = table.referrals[school.id]
    else:
        enrolled = Figure(0, 0, True)
        b0 = Figure(0, 0, True)
        with_referrals_n = 0
        referrals_count = 0

    # The school's own figures, fixed as the district table decided them.
    local: dict[Any, Figure] = {
        "enrolled": enrolled,
        "with_referrals": Figure(with_referrals_n, with_referrals_n, enrolled.suppressed or b0.suppressed),
        "referrals": Figure(referrals_count, with_referrals_n),
    }
    partitions: list[Partition] = []
    grades = sorted(
        (await session.execute(_BY_GRADE, params)).all(),
        key=lambda row: (GRADE_ORDER.get(row.grade, len(GRADE_ORDER)), row.grade),
    )
    for row in grades:
        local[("enrolled", row.grade)] = Figure(row.enrolled, row.enrolled)
        local[("with_referrals", row.grade)] = Figure(row.with_referrals, row.with_referrals)
        local[("referrals", row.grade)] = Figure(row.referrals, row.with_referrals)
        # A grade too small to show hides everything about it.
        if row.enrolled < min_n:
            local[("with_referrals", row.grade)].suppressed = True
            local[("referrals", row.grade)].suppressed = True
    for measure in ("enrolled", "with_referrals", "referrals"):
        partitions.append(Partition(tuple((measure, row.grade) for row in grades), measure))
    categories = (await session.execute(_BY_CATEGORY, params)).all()
    for row in categories:
        local[("category_referrals", row.category)] = Figure(row.referrals, row.students)
        local[("category_students", row.category)] = Figure(row.students, row.students)
    partitions.append(
        Partition(tuple(("category_referrals", row.category) for row in categories), "referrals")
    )
    teachers = (await session.execute(_TEACHERS, params)).all()
    for row in teachers:
        local[("teacher_students", row.id)] = Figure(row.students, row.students)
        local[("teacher_referrals", row.id)] = Figure(row.referrals, row.students)
    suppress(local, partitions, min_n)

    school_rate = _ratio(local["referrals"], enrolled)
    return SchoolBehaviorReport(
        period_start=when.start,
        period_end=when.end,
        min_cell_size=min_n,
        summary=_summary(table, school.id, school.name) if known else _empty_summary(school),
        referrals=_cell(local["referrals"]),
        referrals_per_student=_cell(school_rate, digits=4),
        teachers=[
            TeacherRow(
                person_id=row.id,
                sourced_id=row.sourced_id,
                display_name=row.display_name,
                enrolled_students=_cell(local[("teacher_students", row.id)]),
                referrals=_cell(local[("teacher_referrals", row.id)]),
                referrals_per_student=_cell(rate := _teacher_rate(local, row.id), digits=4),
                relative_to_school=_cell(_ratio(rate, school_rate), digits=2),
            )
            for row in teachers
        ],
        by_grade=[
            GradeRow(
                grade=row.grade,
                enrolled=_cell(local[("enrolled", row.grade)]),
                students_with_referrals=_cell(local[("with_referrals", row.grade)]),
                referrals=_cell(local[("referrals", row.grade)]),
                referrals_per_student=_cell(
                    _ratio(local[("referrals", row.grade)], local[("enrolled", row.grade)]), digits=4
                ),
            )
            for row in grades
        ],
        by_category=[
            CategoryRow(
                category=row.category,
                referrals=_cell(local[("category_referrals", row.category)]),
                students=_cell(local[("category_students", row.category)]),
            )
            for row in categories
        ],
    )


def _teacher_rate(local: dict[Any, Figure], person_id: uuid.UUID) -> Figure:
    return _ratio(local[("teacher_referrals", person_id)], local[("teacher_students", person_id)])


def _empty_summary(school: School) -> SchoolBehaviorSummary:
    hidden = Cell(value=None, suppressed=True)
    return SchoolBehaviorSummary(
        school_id=school.id,
        school_name=school.name,
        enrolled=hidden,
        tiers=[
            DomainTiers(domain=d, tiers=[TierRow(tier=t, students=hidden, share=hidden) for t in TIERS])
            for d in DOMAINS
        ],
        referral_buckets=[
            ReferralBucketRow(bucket=b, students=hidden, share=hidden)  # type: ignore[arg-type]
            for b in BUCKETS
        ],
    )
