"""Demo SIS data: a generated roster and a year of behaviour referrals for each demo school.

Generated from a fixed seed per district, so every fresh install shows the same students, classes and
referral patterns (dates are relative to today, so "this year" always has data). Loaded through the
bulk sync service as the operator, the way a district's sync script would push it, so it obeys the
same rules and leaves sync runs to look at.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import SYSTEM, Principal
from app.core.models import utcnow
from app.sis import service
from app.sis.schemas import SyncEntity
from app.tenancy.models import District, School
from app.tenancy.schemas import GradeLevel

STUDENTS_PER_SCHOOL = 120
TEACHERS_PER_SCHOOL = 5
CATEGORIES = ("disruption", "defiance", "tardiness", "disrespect", "technology misuse", "fighting")
CATEGORY_WEIGHTS = (30, 20, 20, 15, 10, 5)
GIVEN = ("Alex", "Bea", "Chidi", "Dara", "Elif", "Farah", "Gus", "Hana", "Ivo", "June", "Kofi", "Lena")
FAMILY = ("Adler", "Banerjee", "Castillo", "Duarte", "Eze", "Fischer", "Greene", "Haddad", "Ito", "Jensen")
GRADES = [g for g in GradeLevel.__args__ if g not in {"IT", "PR", "TK", "PS", "UG", "Other", "13"}]  # type: ignore[attr-defined]


def _grades(school: School) -> list[str]:
    low = GRADES.index(school.grade_low) if school.grade_low in GRADES else 0
    high = GRADES.index(school.grade_high) if school.grade_high in GRADES else len(GRADES) - 1
    return GRADES[low : high + 1]


def _referral_count(rng: random.Random) -> int:
    """Most students have none; a few have many (the long tail tier 3 support is for)."""
    draw = rng.random()
    if draw < 0.62:
        return 0
    if draw < 0.80:
        return 1
    if draw < 0.95:
        return rng.randint(2, 5)
    return rng.randint(6, 11)


def generate(district_key: str, schools: list[School]) -> dict[SyncEntity, list[dict[str, Any]]]:
    """The district's roster and a year of referrals and tiers, as sync records."""
    rng = random.Random(f"triangle-demo-{district_key}")  # noqa: S311  (demo data, not secrets)
    today = utcnow().date()
    records: dict[SyncEntity, list[dict[str, Any]]] = {entity: [] for entity in SyncEntity}
    for school in schools:
        code = school.sourced_id or str(school.id)
        teachers = [f"{code}-t{n}" for n in range(1, TEACHERS_PER_SCHOOL + 1)]
        for sourced_id in teachers:
            records[SyncEntity.STAFF].append(
                {
                    "sourcedId": sourced_id,
                    "role": "teacher",
                    "givenName": rng.choice(GIVEN),
                    "familyName": rng.choice(FAMILY),
                }
            )
        for index, teacher in enumerate(teachers):
            section = f"{code}-c{index + 1}"
            records[SyncEntity.CLASSES].append(
                {"sourcedId": section, "title": f"Homeroom {index + 1}", "school": code}
            )
            records[SyncEntity.ENROLLMENTS].append(
                {"sourcedId": f"{section}-{teacher}", "class": section, "user": teacher, "role": "teacher"}
            )
        grades = _grades(school)
        for n in range(STUDENTS_PER_SCHOOL):
            student = f"{code}-s{n:04}"
            homeroom = n % len(teachers)
            records[SyncEntity.STUDENTS].append(
                {"sourcedId": student, "school": code, "grade": grades[n % len(grades)]}
            )
            records[SyncEntity.ENROLLMENTS].append(
                {
                    "sourcedId": f"{code}-c{homeroom + 1}-{student}",
                    "class": f"{code}-c{homeroom + 1}",
                    "user": student,
                    "role": "student",
                }
            )
            referrals = _referral_count(rng)
            for r in range(referrals):
                day = today - timedelta(days=rng.randint(1, 365))
                # Most referrals come from the student's own teacher; the first teacher refers more.
                staff = teachers[homeroom] if rng.random() < 0.8 else teachers[0]
                records[SyncEntity.REFERRALS].append(
                    {
                        "sourcedId": f"{student}-r{r + 1}",
                        "student": student,
                        "school": code,
                        "staff": staff,
                        "date": day.isoformat(),
                        "category": rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0],
                        "severity": "major" if rng.random() < 0.15 else "minor",
                    }
                )
            behavior_tier = 3 if referrals >= 6 else 2 if referrals >= 2 and rng.random() < 0.6 else 1
            academic_tier = rng.choices((1, 2, 3), (80, 15, 5))[0]
            start = today - timedelta(days=300)
            for domain, tier in (("behavior", behavior_tier), ("academic", academic_tier)):
                if tier > 1:
                    records[SyncEntity.TIER_ASSIGNMENTS].append(
                        {
                            "sourcedId": f"{student}-{domain}",
                            "student": student,
                            "domain": domain,
                            "tier": tier,
                            "effectiveFrom": start.isoformat(),
                        }
                    )
    return records


async def seed_sis(session: AsyncSession, district_id: uuid.UUID) -> dict[str, int]:
    """Push the demo roster and behaviour data of one district through the bulk sync service.
    Returns how many records of each entity were created."""
    operator = Principal(kind=SYSTEM.kind, district_id=district_id, label="demo SIS sync")
    district = await session.get(District, district_id)
    schools = list(
        (
            await session.execute(
                select(School).where(School.district_id == district_id).order_by(School.created_at, School.id)
            )
        ).scalars()
    )
    key = (district.sourced_id if district else None) or str(district_id)
    created: dict[str, int] = {}
    for entity, records in generate(key, schools).items():
        if entity is SyncEntity.SCHOOLS or not records:
            continue
        run = await service.sync_batch(session, operator, entity, records)
        created[entity.value] = run.created
    return created
