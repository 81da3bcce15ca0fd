"""Behaviour analytics: what share of students need tier 2 or 3 support, and how referral patterns
differ among teachers, published as releases (`app.releases`) with every small cell suppressed over
the whole district at once (`app.sis.suppression`).

Definitions, where the words leave room:

- *Enrolled*: the school's live students (not deleted by the SIS) when the release is computed.
- *Tier*: a student's highest tier in a domain among the assignments in force during the period; a
  student with none is at tier 1 (universal support is everyone's).
- *Referrals*: live referrals dated in the period, at the school, of its enrolled students.
- *A teacher's students*: enrolled students in the live classes at the school where the teacher has a
  live teacher enrollment; their rate is the referrals they reported per such student, next to the
  school's referrals per enrolled student.
- A referral count is suppressed by the number of distinct students behind it, a teacher's referrals
  included (they describe the students referred, whatever the size of the class); a teacher's class
  size by the number of students they teach.
- *Categories*: every category referred anywhere in the district in the period is listed for every
  school, zeros included (a row shown only when not zero would say "none" of the others).

Everything derivable from one release is one system: the district's schools × buckets and tiers, the
district totals, each school's referrals, grades, categories and teachers, with the sums and bounds
that tie them together. Suppression and its interval audit run over all of it, once, when the release
is made; a read returns what was stored. School leaders see their school; district admins and leaders
(and `read` clients) every school and the district as a whole.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, get_args

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import read_event
from app.auth.permissions import Action
from app.auth.policy import allowed_schools, authorize, get_visible, require
from app.auth.principal import Principal
from app.core.errors import FieldError, NotFound, PermissionDenied
from app.releases.models import Release, ReleaseSubject
from app.sis.models import BehaviorReferral, SupportDomain
from app.sis.schemas import (
    BehaviorOverview,
    CategoryRow,
    Cell,
    DomainTiers,
    GradeRow,
    ReferralBucketRow,
    SchoolBehaviorDetail,
    SchoolBehaviorReport,
    SchoolBehaviorSummary,
    TeacherRow,
    TierRow,
)
from app.sis.suppression import Bound, Figure, Interval, Partition, suppress
from app.tenancy.models import District, School
from app.tenancy.schemas import GradeLevel

BUCKETS = ("0", "1", "2-5", "6+")
TIERS = (1, 2, 3)
DOMAINS = tuple(SupportDomain)
GRADE_ORDER = {grade: position for position, grade in enumerate(get_args(GradeLevel))}
UNSPECIFIED_GRADE = "unspecified"
DISTRICT = "district"
TEACHER_RATES_READ = "behavior_teacher_rates.read"


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date


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


_CATEGORIES = text(
    """
    SELECT DISTINCT r.category FROM behavior_referral AS r
    JOIN student AS s ON s.id = r.student_id AND s.school_id = r.school_id AND s.deleted_at IS NULL
    WHERE r.district_id = :district AND r.deleted_at IS NULL AND r.occurred_on BETWEEN :start AND :end
    ORDER BY r.category
    """
)

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
        SELECT r.reporter_person_id AS person_id, count(*) AS referrals,
            count(DISTINCT r.student_id) AS referred
        FROM behavior_referral AS r JOIN student AS s ON s.id = r.student_id AND s.school_id = r.school_id
        WHERE r.school_id = :school AND r.deleted_at IS NULL AND s.deleted_at IS NULL
            AND r.occurred_on BETWEEN :start AND :end AND r.reporter_person_id IS NOT NULL
        GROUP BY r.reporter_person_id
    )
    SELECT p.id, p.sourced_id, p.display_name, coalesce(taught.students, 0) AS students,
        coalesce(reported.referrals, 0) AS referrals, coalesce(reported.referred, 0) AS referred
    FROM (SELECT DISTINCT person_id FROM teaching) AS t
    JOIN person AS p ON p.id = t.person_id
    LEFT JOIN taught ON taught.person_id = t.person_id
    LEFT JOIN reported ON reported.person_id = t.person_id
    ORDER BY p.display_name, p.id
    """
)


@dataclass
class System:
    """Every cell of a release and the relations among them, before and after suppression."""

    cells: dict[Any, Figure]
    partitions: list[Partition]
    bounds: list[Bound]
    schools: list[uuid.UUID]  # schools with enrolled students, by name
    names: dict[uuid.UUID, str]
    categories: list[str]
    grades: dict[uuid.UUID, list[str]]
    teachers: dict[uuid.UUID, list[Any]]


def _add(system: System, key: Any, value: Any, n: Any) -> None:
    # SQL sums arrive as Decimal; the audit's linear programmes want plain numbers.
    system.cells[key] = Figure(int(value), int(n))


async def _district_cells(session: AsyncSession, district_id: uuid.UUID, when: Period) -> System:
    """The district-wide table: enrolled, tiers and referral buckets per school and for the district."""
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
    schools = sorted(base, key=lambda school_id: (names.get(school_id, "").lower(), str(school_id)))
    categories = [row.category for row in await session.execute(_CATEGORIES, params)]
    system = System({}, [], [], schools, names, categories, {}, {})
    cells = system.cells
    for key in [*schools, DISTRICT]:
        _add(system, ("enrolled", key), 0, 0)
        for bucket in BUCKETS:
            _add(system, ("bucket", key, bucket), 0, 0)
        for domain in DOMAINS:
            for tier in TIERS:
                _add(system, ("tier", key, domain.value, tier), 0, 0)
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
            cells[key] = Figure(int(count), int(count))
            total = cells[(key[0], DISTRICT, *key[2:])]
            total.value += count
            total.n += count
        with_referrals = row.b1 + row.b2_5 + row.b6
        _add(system, ("with", school_id), with_referrals, with_referrals)
        _add(system, ("referrals", school_id), int(row.referrals), with_referrals)
        system.partitions.append(
            Partition(tuple(("bucket", school_id, b) for b in BUCKETS[1:]), ("with", school_id))
        )
        system.bounds.append(Bound((("with", school_id),), ("referrals", school_id)))
    for key in [*schools, DISTRICT]:
        enrolled = ("enrolled", key)
        system.partitions.append(Partition(tuple(("bucket", key, b) for b in BUCKETS), enrolled))
        for domain in DOMAINS:
            system.partitions.append(
                Partition(tuple(("tier", key, domain.value, t) for t in TIERS), enrolled)
            )
    # Columns: each school's cell is part of the district's.
    system.partitions.append(Partition(tuple(("enrolled", s) for s in schools), ("enrolled", DISTRICT)))
    for bucket in BUCKETS:
        system.partitions.append(
            Partition(tuple(("bucket", s, bucket) for s in schools), ("bucket", DISTRICT, bucket))
        )
    for domain in DOMAINS:
        for tier in TIERS:
            system.partitions.append(
                Partition(
                    tuple(("tier", s, domain.value, tier) for s in schools),
                    ("tier", DISTRICT, domain.value, tier),
                )
            )
    return system


async def _school_cells(
    session: AsyncSession, system: System, school_id: uuid.UUID, when: Period, min_n: int
) -> None:
    """One school's breakdowns, tied to its row of the district table."""
    params = {"school": school_id, "start": when.start, "end": when.end, "unspecified": UNSPECIFIED_GRADE}
    grades = sorted(
        (await session.execute(_BY_GRADE, params)).all(),
        key=lambda row: (GRADE_ORDER.get(row.grade, len(GRADE_ORDER)), row.grade),
    )
    system.grades[school_id] = [row.grade for row in grades]
    for row in grades:
        _add(system, ("g_enrolled", school_id, row.grade), row.enrolled, row.enrolled)
        _add(system, ("g_with", school_id, row.grade), row.with_referrals, row.with_referrals)
        _add(system, ("g_referrals", school_id, row.grade), row.referrals, row.with_referrals)
        # A grade too small to show hides everything about it.
        if row.enrolled < min_n:
            system.cells[("g_with", school_id, row.grade)].suppressed = True
            system.cells[("g_referrals", school_id, row.grade)].suppressed = True
        system.bounds.append(Bound((("g_with", school_id, row.grade),), ("g_enrolled", school_id, row.grade)))
        system.bounds.append(
            Bound((("g_with", school_id, row.grade),), ("g_referrals", school_id, row.grade))
        )
    for measure, total in (("g_enrolled", "enrolled"), ("g_with", "with"), ("g_referrals", "referrals")):
        system.partitions.append(
            Partition(tuple((measure, school_id, row.grade) for row in grades), (total, school_id))
        )
    by_category = {row.category: row for row in (await session.execute(_BY_CATEGORY, params)).all()}
    for category in system.categories:
        row = by_category.get(category)
        referrals, students = (row.referrals, row.students) if row is not None else (0, 0)
        _add(system, ("c_referrals", school_id, category), referrals, students)
        _add(system, ("c_students", school_id, category), students, students)
        system.bounds.append(
            Bound((("c_students", school_id, category),), ("c_referrals", school_id, category))
        )
        system.bounds.append(Bound((("c_students", school_id, category),), ("with", school_id)))
    system.partitions.append(
        Partition(tuple(("c_referrals", school_id, c) for c in system.categories), ("referrals", school_id))
    )
    teachers = (await session.execute(_TEACHERS, params)).all()
    system.teachers[school_id] = teachers
    for row in teachers:
        _add(system, ("t_students", school_id, row.id), row.students, row.students)
        _add(system, ("t_referrals", school_id, row.id), row.referrals, row.referred)
        system.bounds.append(Bound((("t_students", school_id, row.id),), ("enrolled", school_id)))
    # What teachers reported is part of the school's referrals (the rest came from other staff).
    system.bounds.append(
        Bound(tuple(("t_referrals", school_id, row.id) for row in teachers), ("referrals", school_id))
    )


_REFERRED = text(
    """
    SELECT r.school_id, r.student_id, count(*) AS referrals,
        md5(string_agg(r.category || '|' || coalesce(r.reporter_person_id::text, ''), ','
            ORDER BY r.category, r.reporter_person_id)) AS digest
    FROM behavior_referral AS r JOIN student AS s ON s.id = r.student_id AND s.school_id = r.school_id
    WHERE r.district_id = :district AND r.deleted_at IS NULL AND s.deleted_at IS NULL
        AND r.occurred_on BETWEEN :start AND :end
    GROUP BY r.school_id, r.student_id
    """
)


@dataclass
class BehaviorRelease:
    """What a behaviour release stores: the published tables, the audit's verdict, its size, and its
    basis: per school, each referred student's referrals in the period (how many, and a digest of
    their categories and reporters), never returned, so a correction can tell how many students its
    differences come from."""

    tables: dict[str, Any]
    audit: dict[str, Any]
    items: int
    basis: dict[str, Any]


async def _referred(session: AsyncSession, district_id: uuid.UUID, when: Period) -> dict[str, Any]:
    params = {"district": district_id, "start": when.start, "end": when.end}
    referred: dict[str, dict[str, list[Any]]] = {}
    for row in await session.execute(_REFERRED, params):
        referred.setdefault(str(row.school_id), {})[str(row.student_id)] = [int(row.referrals), row.digest]
    return {"referred": referred}


async def compute_release(
    session: AsyncSession, district_id: uuid.UUID, when: Period, min_n: int, *, period: str
) -> BehaviorRelease:
    """Every behaviour table of the district for `when`, suppressed as one system and audited: no
    suppressed cell's interval is narrower than `min_n`."""
    system = await _district_cells(session, district_id, when)
    for school_id in system.schools:
        await _school_cells(session, system, school_id, when, min_n)
    sensitive = {key for key, cell in system.cells.items() if cell.n < min_n or cell.suppressed}
    intervals = suppress(system.cells, system.partitions, min_n, system.bounds)
    district_name = await session.scalar(select(District.name).where(District.id == district_id))
    reports = {
        str(school_id): _report(system, school_id, system.names.get(school_id, "")).model_dump(mode="json")
        for school_id in system.schools
    }
    items = await session.scalar(
        select(func.count())
        .select_from(BehaviorReferral)
        .where(
            BehaviorReferral.district_id == district_id,
            BehaviorReferral.deleted_at.is_(None),
            BehaviorReferral.occurred_on.between(when.start, when.end),
        )
    )
    return BehaviorRelease(
        tables={
            "district": _summary(system, DISTRICT, district_name or "").model_dump(mode="json"),
            "schools": reports,
        },
        audit=_verdict(system.cells, {k: i for k, i in intervals.items() if k in sensitive}, min_n),
        items=int(items or 0),
        basis=await _referred(session, district_id, when),
    )


def _verdict(cells: dict[Any, Figure], intervals: dict[Any, Interval], min_n: int) -> dict[str, Any]:
    narrowest = min((i.width for i in intervals.values()), default=None)
    return {
        "cells": len(cells),
        "suppressed": sum(1 for c in cells.values() if c.suppressed),
        "narrowest_interval": None if narrowest is None or narrowest == float("inf") else narrowest,
        "required_width": min_n,
        "safe": narrowest is None or narrowest >= min_n,
    }


def _summary(system: System, key: Any, name: str) -> SchoolBehaviorSummary:
    cells = system.cells
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


def _teaching_rate(system: System, school_id: uuid.UUID) -> Figure:
    """The school's referrals per student per teacher: what its teachers reported over all their
    (teacher, student) pairs. A student with five teachers counts once for each, so a teacher whose
    students are referred as often as the school's are, by each of their teachers, is at exactly 1.0
    (dividing by referrals per enrolled student would put every teacher of such a school near 1/5).
    Hidden when any teacher's figures are: it would give them away."""
    rows = system.teachers[school_id]
    referrals = [system.cells[("t_referrals", school_id, row.id)] for row in rows]
    pairs = [system.cells[("t_students", school_id, row.id)] for row in rows]
    total_pairs = sum(f.value for f in pairs)
    return Figure(
        sum(f.value for f in referrals) / total_pairs if total_pairs else 0.0,
        int(total_pairs),
        any(f.suppressed for f in (*referrals, *pairs)),
    )


def _report(system: System, school_id: uuid.UUID, name: str) -> SchoolBehaviorDetail:
    cells = system.cells
    enrolled = cells[("enrolled", school_id)]
    referrals = cells[("referrals", school_id)]
    school_rate = _ratio(referrals, enrolled)
    teaching_rate = _teaching_rate(system, school_id)
    teachers = []
    for row in system.teachers[school_id]:
        rate = _ratio(cells[("t_referrals", school_id, row.id)], cells[("t_students", school_id, row.id)])
        teachers.append(
            TeacherRow(
                person_id=row.id,
                sourced_id=row.sourced_id,
                display_name=row.display_name,
                enrolled_students=_cell(cells[("t_students", school_id, row.id)]),
                referrals=_cell(cells[("t_referrals", school_id, row.id)]),
                referrals_per_student=_cell(rate, digits=4),
                relative_to_school=_cell(_ratio(rate, teaching_rate), digits=2),
            )
        )
    return SchoolBehaviorDetail(
        summary=_summary(system, school_id, name),
        referrals=_cell(referrals),
        referrals_per_student=_cell(school_rate, digits=4),
        teachers=teachers,
        by_grade=[
            GradeRow(
                grade=grade,
                enrolled=_cell(cells[("g_enrolled", school_id, grade)]),
                students_with_referrals=_cell(cells[("g_with", school_id, grade)]),
                referrals=_cell(cells[("g_referrals", school_id, grade)]),
                referrals_per_student=_cell(
                    _ratio(cells[("g_referrals", school_id, grade)], cells[("g_enrolled", school_id, grade)]),
                    digits=4,
                ),
            )
            for grade in system.grades[school_id]
        ],
        by_category=[
            CategoryRow(
                category=category,
                referrals=_cell(cells[("c_referrals", school_id, category)]),
                students=_cell(cells[("c_students", school_id, category)]),
            )
            for category in system.categories
        ],
    )


# --- reading a release -------------------------------------------------------------------------------


async def latest_release(
    session: AsyncSession, district_id: uuid.UUID, subject: ReleaseSubject, period: str | None
) -> Release:
    """The latest revision of the release of `period` (the latest period released, without one);
    `NotFound` when nothing was released."""
    stmt = select(Release).where(Release.district_id == district_id, Release.subject == subject)
    if period is not None:
        stmt = stmt.where(Release.period == period)
    stmt = stmt.order_by(
        Release.period_end.desc().nulls_last(), Release.created_at.desc(), Release.revision.desc()
    )
    release = (await session.execute(stmt.limit(1))).scalar_one_or_none()
    if release is None:
        what = f"for the period {period!r}" if period is not None else "yet"
        raise NotFound(
            f"No behaviour figures were released {what}.",
            errors=[
                FieldError(("query", "period"), "Name a released period (GET /releases).", "not_released")
            ],
        )
    return release


async def _late_referrals(session: AsyncSession, release: Release) -> int:
    """Referrals of the period recorded, changed or removed since the release: waiting for a correction."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(BehaviorReferral)
            .where(
                BehaviorReferral.district_id == release.district_id,
                BehaviorReferral.occurred_on.between(release.period_start, release.period_end),
                BehaviorReferral.updated_at > release.created_at,
            )
        )
        or 0
    )


def _particulars(release: Release, late: int) -> dict[str, Any]:
    return {
        "period": release.period,
        "period_start": release.period_start,
        "period_end": release.period_end,
        "revision": release.revision,
        "released_at": release.created_at,
        "late_referrals": late,
        "min_cell_size": release.min_cell_size,
    }


async def overview(session: AsyncSession, principal: Principal, period: str | None) -> BehaviorOverview:
    """Tiers and referral buckets of the released `period` (the latest, without one) for each school
    the principal may see, and for the district when it sees them all. Raises `PermissionDenied` for
    roles without behaviour analytics and `NotFound` when the period was not released."""
    require(principal, Action.BEHAVIOR_ANALYTICS_READ)
    district_id = _district_of(principal)
    release = await latest_release(session, district_id, ReleaseSubject.BEHAVIOR, period)
    allowed = allowed_schools(principal, Action.BEHAVIOR_ANALYTICS_READ)
    schools = [
        SchoolBehaviorSummary.model_validate(report["summary"])
        for school_id, report in release.tables["schools"].items()
        if allowed is None or uuid.UUID(school_id) in allowed
    ]
    return BehaviorOverview(
        **_particulars(release, await _late_referrals(session, release)),
        district=SchoolBehaviorSummary.model_validate(release.tables["district"])
        if allowed is None
        else None,
        schools=schools,
    )


async def school_report(
    session: AsyncSession, principal: Principal, school_id: uuid.UUID, period: str | None
) -> SchoolBehaviorReport:
    """One school in the released `period`: its summary, the school's referral rate, each teacher's
    next to it, and the breakdowns by grade and category. The read of teachers' rates is audited.
    `NotFound` for a school of another district or a period not released; `PermissionDenied` for a
    school the principal may not see analytics of."""
    school = await get_visible(session, School, school_id, principal, Action.SCHOOL_READ, what="school")
    authorize(principal, Action.BEHAVIOR_ANALYTICS_READ, district_id=school.district_id, school_id=school.id)
    release = await latest_release(session, school.district_id, ReleaseSubject.BEHAVIOR, period)
    stored = release.tables["schools"].get(str(school.id))
    body = stored if stored is not None else _empty_report(school)
    report = SchoolBehaviorReport(**_particulars(release, await _late_referrals(session, release)), **body)
    if report.teachers:
        # Teachers' referral rates are teacher-level figures: who read them, and when, is on record.
        session.add(
            read_event(
                principal,
                TEACHER_RATES_READ,
                district_id=school.district_id,
                entity_type="school",
                entity_id=school.id,
                after={"release_id": str(release.id), "teachers": len(report.teachers)},
            )
        )
        await session.flush()
    return report


def _empty_report(school: School) -> dict[str, Any]:
    hidden = Cell(value=None, suppressed=True)
    summary = SchoolBehaviorSummary(
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
    return {
        "summary": summary.model_dump(mode="json"),
        "referrals": hidden.model_dump(),
        "referrals_per_student": hidden.model_dump(),
        "teachers": [],
        "by_grade": [],
        "by_category": [],
    }
