"""The CSV import's fast checks agree with the record models: what they accept, the model accepts with
the same staged columns; what the model refuses, they leave to the model (so messages stay its own)."""

from __future__ import annotations

import pytest

from app.sis.bulk import FAST_CHECKS, Checked, _Doubt, _staged, parse_record
from app.sis.schemas import SyncEntity

GOOD = "2024-05-01T10:20:30Z"
CASES: dict[SyncEntity, list[dict[str, str]]] = {
    SyncEntity.STUDENTS: [
        {"sourcedId": "s1", "school": "sch"},
        {"sourcedId": "s1", "school": "sch", "grade": "05", "status": "active", "dateLastModified": GOOD},
        {"sourcedId": "s1", "school": "sch", "grade": "5"},
        {"sourcedId": "s1", "school": "sch", "dateLastModified": "2024-05-01T10:20:30"},
        {"sourcedId": "s1", "school": "sch", "dateLastModified": "2024-05-01T10:20:30.123456+05:30"},
        {"sourcedId": "s1", "school": "sch", "dateLastModified": "2024-02-30T10:20:30Z"},
        {"sourcedId": "s1", "school": "sch", "dateLastModified": "2024-05-01 10:20:30Z"},
        {"sourcedId": "s1", "school": "sch", "status": "tobedeleted"},
        {"sourcedId": "s1", "school": "sch", "status": "gone"},
        {"sourcedId": "s1"},
        {"school": "sch"},
        {"sourcedId": "x" * 256, "school": "sch"},
        {"sourcedId": "x" * 255, "school": "y" * 255},
        {"sourcedId": "s1", "school": "sch", "nickname": "Al"},
    ],
    SyncEntity.CLASSES: [
        {"sourcedId": "c1", "title": "Maths", "school": "sch"},
        {"sourcedId": "c1", "title": "Maths", "school": "sch", "classCode": "M" * 64},
        {"sourcedId": "c1", "title": "Maths", "school": "sch", "classCode": "M" * 65},
        {"sourcedId": "c1", "title": "T" * 201, "school": "sch"},
        {"sourcedId": "c1", "school": "sch"},
    ],
    SyncEntity.ENROLLMENTS: [
        {"sourcedId": "e1", "class": "c1", "user": "s1", "role": "student"},
        {"sourcedId": "e1", "class": "c1", "user": "t1", "role": "teacher", "primary": "true"},
        {"sourcedId": "e1", "class": "c1", "user": "t1", "role": "teacher", "primary": "TRUE"},
        {"sourcedId": "e1", "class": "c1", "user": "t1", "role": "teacher", "primary": "maybe"},
        {"sourcedId": "e1", "class": "c1", "user": "s1", "role": "Student"},
        {"sourcedId": "e1", "class": "c1", "user": "s1", "role": "student", "beginDate": "2024-09-01",
         "endDate": "2025-06-30"},
        {"sourcedId": "e1", "class": "c1", "user": "s1", "role": "student", "beginDate": "2024-09-01",
         "endDate": "2024-06-30"},
        {"sourcedId": "e1", "class": "c1", "user": "s1", "role": "student", "endDate": "2025-13-01"},
        {"sourcedId": "e1", "class": "c1", "user": "s1", "role": "student", "endDate": "20250601"},
        {"sourcedId": "e1", "user": "s1", "role": "student"},
    ],
    SyncEntity.REFERRALS: [
        {"sourcedId": "r1", "student": "s1", "school": "sch", "date": "2024-10-01", "category": "defiance",
         "severity": "minor"},
        {"sourcedId": "r1", "student": "s1", "school": "sch", "staff": "t1", "date": "2024-10-01",
         "category": "defiance", "severity": "major", "dateLastModified": GOOD},
        {"sourcedId": "r1", "student": "s1", "school": "sch", "date": "2024-10-01", "category": "d" * 65,
         "severity": "minor"},
        {"sourcedId": "r1", "student": "s1", "school": "sch", "date": "2024-10-01", "category": "x",
         "severity": "severe"},
        {"sourcedId": "r1", "student": "s1", "school": "sch", "category": "x", "severity": "minor"},
        {"sourcedId": "r1", "school": "sch", "date": "2024-10-01", "category": "x", "severity": "minor"},
    ],
    SyncEntity.TIER_ASSIGNMENTS: [
        {"sourcedId": "t1", "student": "s1", "domain": "behavior", "tier": "2", "effectiveFrom": "2024-09-01"},
        {"sourcedId": "t1", "student": "s1", "domain": "academic", "tier": "3", "effectiveFrom": "2024-09-01",
         "effectiveTo": "2025-01-01"},
        {"sourcedId": "t1", "student": "s1", "domain": "academic", "tier": "3", "effectiveFrom": "2024-09-01",
         "effectiveTo": "2024-01-01"},
        {"sourcedId": "t1", "student": "s1", "domain": "behavior", "tier": "4", "effectiveFrom": "2024-09-01"},
        {"sourcedId": "t1", "student": "s1", "domain": "behavior", "tier": "02", "effectiveFrom": "2024-09-01"},
        {"sourcedId": "t1", "student": "s1", "domain": "social", "tier": "1", "effectiveFrom": "2024-09-01"},
        {"sourcedId": "t1", "student": "s1", "domain": "behavior", "tier": "1"},
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("entity", "record"), [(entity, record) for entity, records in CASES.items() for record in records]
)
def test_the_fast_checks_accept_only_what_the_model_accepts_with_the_same_columns(
    entity: SyncEntity, record: dict[str, str]
) -> None:
    model = parse_record(entity, record)
    try:
        checked = FAST_CHECKS[entity](record)
    except _Doubt:
        return  # the model decides, with its own message
    assert isinstance(checked, Checked)
    assert not isinstance(model, list), f"fast checks accepted what the model refuses: {model}"
    assert checked.sourced_id == model.sourced_id
    assert checked.values == _staged(model)


def test_the_common_case_takes_the_fast_path() -> None:
    # Each entity's first case is a plain valid record: it must not need the model.
    for entity, records in CASES.items():
        assert isinstance(FAST_CHECKS[entity](records[0]), Checked)
