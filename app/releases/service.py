"""Releases: the only way a figure that pools people is published.

The rules:
- A release is for one subject (behaviour analytics, student feedback, coaching counts) and one period the district
  names. Behaviour periods have dates, must be over (the last day past in the district's time zone)
  and never overlap another released period, so no two releases subtract into a window nobody
  suppressed. A feedback period is the name results carry; releasing it closes it.
- It is computed once, stored, and never updated or deleted. Later records, deletes, shares and roster
  changes do not change it; reads say how many late items it leaves out.
- Releasing the same period again is a correction: a new revision, allowed only when every
  difference from the previous revision passes suppression itself (`Conflict` otherwise), because
  two revisions read one after the other are a table of differences. For figures drawn from
  people's records (feedback, coaching) that means the people whose records changed, too: a cell
  may change only through at least the minimum of people (and of respondents), whatever the counts;
  for behaviour, a school's (the district's) figures only through at least the minimum n of students
  whose referrals in the period changed.
- District admins and district leaders release (`RELEASE_PUBLISH`); any signed-in person of the
  district may list what was released.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Action
from app.auth.policy import require, require_authenticated
from app.auth.principal import Principal
from app.coaching import service as coaching
from app.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from app.core.pagination import Page, PageRequest, paginate
from app.core.repository import flush_or_conflict, where_given
from app.practice import feedback
from app.releases.computed import by_size, differ_too_little, overlapping
from app.releases.models import Release, ReleaseSubject
from app.releases.reading import latest_revisions
from app.releases.schemas import ReleaseCreate
from app.sis import analytics
from app.tenancy.models import District

_UNIQUE = {
    "uq_release_district_id_subject_period_revision": (
        "period",
        "The period was released at the same moment; read the releases and try again.",
    )
}
# Cells whose value is a count; shares and rates follow from counts, so only counts are compared.
_RATIOS = frozenset({"share", "referrals_per_student", "relative_to_school", "favourable_share"})


def _district_of(principal: Principal) -> uuid.UUID:
    if principal.district_id is None:
        raise PermissionDenied("Releases belong to a district.")
    return principal.district_id


async def list_releases(
    session: AsyncSession, principal: Principal, page: PageRequest, subject: ReleaseSubject | None = None
) -> Page[Release]:
    """The district's releases, oldest first (every revision)."""
    require_authenticated(principal)
    stmt = select(Release).where(Release.district_id == _district_of(principal))
    stmt = where_given(stmt, Release, subject=subject)
    return await paginate(session, stmt, Release, page)


async def create_release(session: AsyncSession, principal: Principal, data: ReleaseCreate) -> Release:
    """Compute, suppress, audit and store a period's figures. Raises `PermissionDenied` (not a district
    admin or leader), `ValidationFailed` (dates missing, backwards or not yet past) and `Conflict`
    (overlapping another released period, or a correction whose differences would be too small)."""
    require(principal, Action.RELEASE_PUBLISH)
    district_id = _district_of(principal)
    district = await session.get(District, district_id, with_for_update=True)  # one release at a time
    if district is None:
        raise PermissionDenied("Releases belong to a district.")
    previous = (
        await session.execute(
            select(Release)
            .where(
                Release.district_id == district_id,
                Release.subject == data.subject,
                Release.period == data.period,
            )
            .order_by(Release.revision.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if data.subject is ReleaseSubject.BEHAVIOR:
        when = await _behavior_period(session, district, data, previous)
        computed = await analytics.compute_release(
            session, district_id, when, district.min_cell_size, period=data.period
        )
        tables, basis, audit, items = computed.tables, computed.basis, computed.audit, computed.items
        min_people = 0
    else:
        if data.period_start is not None or data.period_end is not None:
            raise ValidationFailed(
                "Feedback and coaching periods are named, not dated.",
                errors=[FieldError(("period_start",), "Leave out for a named period.", "not_applicable")],
            )
        when = None
    if data.subject is ReleaseSubject.COACHING:
        released = await coaching.compute_release(session, district_id, data.period, district.min_teachers)
        tables, basis, audit, items = released.tables, released.basis, released.audit, released.items
        min_people = district.min_teachers
    elif data.subject is ReleaseSubject.FEEDBACK:
        released = await feedback.compute_release(
            session, district_id, data.period, district.min_cell_size, district.min_teachers
        )
        tables, basis, audit, items = released.tables, released.basis, released.audit, released.items
        min_people = district.min_teachers
    # A feedback cell's items are respondents; a coaching cell's are counted by teachers only.
    min_items = 0 if data.subject is ReleaseSubject.COACHING else district.min_cell_size
    if data.subject is not ReleaseSubject.BEHAVIOR:
        others = await latest_revisions(session, district_id, data.subject)
        shown = [
            r.latest.basis.get(key, [])
            for r in others
            if r.latest.period != data.period
            for key, cell in r.latest.tables.get("cells", {}).items()
            if not _hidden(cell)
        ]
        _suppress_overlaps(tables, basis, audit, min_people, min_items, shown)
    if previous is not None:
        _refuse_legacy(previous)
        # Coaching cells count teachers' cycles: a correction moves them by the minimum of teachers.
        min_n = min_people if data.subject is ReleaseSubject.COACHING else district.min_cell_size
        _check_correction(previous, tables, min_n, min_people)
        if data.subject is ReleaseSubject.BEHAVIOR:
            _check_changed_students(previous, tables, basis, district.min_cell_size)
        else:
            _check_changed_people(previous, tables, basis, min_people, min_items)
    release = Release(
        district_id=district_id,
        subject=data.subject,
        period=data.period,
        period_start=when.start if when else None,
        period_end=when.end if when else None,
        revision=previous.revision + 1 if previous is not None else 1,
        min_cell_size=district.min_cell_size,
        min_people=min_people,
        items=items,
        tables=tables,
        basis=basis,
        audit=audit,
    )
    session.add(release)
    await flush_or_conflict(session, _UNIQUE)
    return release


async def _behavior_period(
    session: AsyncSession, district: District, data: ReleaseCreate, previous: Release | None
) -> analytics.Period:
    if data.period_start is None or data.period_end is None:
        raise ValidationFailed(
            "A behaviour release needs the period's dates.",
            errors=[
                FieldError((field,), "Required for behaviour.", "required")
                for field in ("period_start", "period_end")
                if getattr(data, field) is None
            ],
        )
    if data.period_end < data.period_start:
        raise ValidationFailed(
            "The period ends before it starts.",
            errors=[FieldError(("period_end",), "Must be on or after period_start.", "period_order")],
        )
    today = datetime.now(zoneinfo.ZoneInfo(district.timezone)).date()
    if data.period_end >= today:
        raise ValidationFailed(
            "Only a closed period is released: figures of an open one would move with every record.",
            errors=[FieldError(("period_end",), "Must be before today in the district.", "period_open")],
        )
    if previous is not None and (previous.period_start, previous.period_end) != (
        data.period_start,
        data.period_end,
    ):
        raise Conflict(
            f"The period {data.period!r} was released as {previous.period_start} to {previous.period_end}.",
            errors=[FieldError(("period",), "A correction keeps the period's dates.", "period_changed")],
        )
    overlapping = await session.scalar(
        select(func.count())
        .select_from(Release)
        .where(
            Release.district_id == district.id,
            Release.subject == ReleaseSubject.BEHAVIOR,
            Release.period != data.period,
            Release.period_start <= data.period_end,
            Release.period_end >= data.period_start,
        )
    )
    if overlapping:
        raise Conflict(
            "The period overlaps one already released: the two would subtract into a window never suppressed.",
            errors=[FieldError(("period_start",), "Release periods that do not overlap.", "overlap")],
        )
    return analytics.Period(data.period_start, data.period_end)


def _counts(node: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], dict[str, Any]]:
    """Every count cell of a release's tables by a stable path (rows keyed by their id or name)."""
    found: dict[tuple[str, ...], dict[str, Any]] = {}
    if isinstance(node, dict):
        if set(node) == {"value", "suppressed"}:
            if path[-1] not in _RATIOS:
                found[path] = node
            return found
        for key, value in node.items():
            found |= _counts(value, (*path, str(key)))
    elif isinstance(node, list):
        for item in node:
            label = next(
                (
                    str(item[k])
                    for k in ("person_id", "grade", "category", "bucket", "tier", "domain", "key")
                    if isinstance(item, dict) and k in item
                ),
                None,
            )
            found |= _counts(item, (*path, label or str(len(found))))
    return found


def _refuse_legacy(previous: Release) -> None:
    """A correction is compared with the previous revision's basis: who each published cell was drawn
    from and what they held. A revision stored before the basis said enough (a feedback release
    whose entries lack each teacher's share, a behaviour release without its referred students, a
    release with cells and no basis at all) cannot say who a correction changed, so a correction
    of it is refused rather than compared on counts alone: a value-only change of one teacher, or
    ten late referrals of one student, would pass. The basis of a past release cannot be rebuilt
    (results and referrals have changed since), and the late data is counted as late meanwhile."""
    cells = previous.tables.get("cells") if previous.subject is not ReleaseSubject.BEHAVIOR else None
    if previous.subject is ReleaseSubject.BEHAVIOR:
        legacy = "referred" not in previous.basis
    elif previous.subject is ReleaseSubject.FEEDBACK:
        legacy = any(
            key not in previous.basis or any(len(entry) < 3 for entry in previous.basis[key])
            for key in cells or {}
        )
    else:
        legacy = any(key not in previous.basis for key in cells or {})
    if legacy:
        raise Conflict(
            f"Revision {previous.revision} of {previous.period!r} was released before releases kept "
            "what each cell was drawn from, so a correction's difference cannot be checked for who "
            "it describes. It stays as released; its late data is counted as late.",
            errors=[
                FieldError(("period",), "A release without a full basis is not corrected.", "legacy_release")
            ],
        )


def _check_changed_people(
    previous: Release, tables: dict[str, Any], basis: dict[str, Any], min_people: int, min_items: int
) -> None:
    """A correction of a release drawn from people's records (`basis`: per cell, each person's entry)
    may change a published cell only through at least `min_people` people whose entries changed
    (added, removed or different), holding at least `min_items` items between them: the two
    revisions read one after the other are the changed people's difference. The counts alone cannot
    tell: one teacher replacing their result keeps the number of teachers, and may keep the
    respondents too, while the share moves by exactly their change."""
    if not basis and not previous.basis:
        return
    before_cells, after_cells = previous.tables.get("cells", {}), tables.get("cells", {})
    too_small = []
    for key, old_cell in before_cells.items():
        new_cell = after_cells.get(key)
        if new_cell is None or (_hidden(old_cell) and _hidden(new_cell)):
            continue
        if differ_too_little(
            previous.basis.get(key, []), basis.get(key, []), frozenset(), min_people, min_items
        ):
            too_small.append(key)
    if too_small:
        raise Conflict(
            f"A correction would change {len(too_small)} published cell(s) through fewer people than "
            "the minimum, and the difference would be theirs. The late data waits for a change big "
            "enough to publish.",
        )


def _check_changed_students(
    previous: Release, tables: dict[str, Any], basis: dict[str, Any], min_n: int
) -> None:
    """A behaviour correction may move a published figure of a school (of the district) only through
    at least `min_n` students whose referrals in the period changed there (anywhere): the counts
    alone cannot tell, since ten late referrals of one student already at 6+ move the referral
    counts by ten and no count of students at all. A previous revision without a basis (released
    before it was kept) is not compared."""
    if "referred" not in previous.basis or "referred" not in basis:
        return
    old, new = previous.basis["referred"], basis["referred"]
    changed = {
        school: sum(
            1
            for student in old.get(school, {}).keys() | new.get(school, {}).keys()
            if old.get(school, {}).get(student) != new.get(school, {}).get(student)
        )
        for school in old.keys() | new.keys()
    }
    parts = [("district", previous.tables.get("district"), tables.get("district"), sum(changed.values()))]
    parts += [
        (school, part, tables.get("schools", {}).get(school), changed.get(school, 0))
        for school, part in previous.tables.get("schools", {}).items()
    ]
    too_small = [
        name
        for name, before, after, students in parts
        if 0 < students < min_n and before is not None and after is not None and _moved(before, after)
    ]
    if too_small:
        raise Conflict(
            f"A correction would change published figures of {len(too_small)} part(s) through the "
            "referrals of fewer students than the minimum, and the difference would be theirs. The "
            "late data waits for a change big enough to publish.",
        )


def _moved(before: Any, after: Any) -> bool:
    """Whether any figure shown in both `before` and `after` has another value."""
    old, new = _counts(before), _counts(after)
    return any(
        not cell["suppressed"]
        and path in new
        and not new[path]["suppressed"]
        and new[path]["value"] != cell["value"]
        for path, cell in old.items()
    )


def _suppress_overlaps(
    tables: dict[str, Any],
    basis: dict[str, Any],
    audit: dict[str, Any],
    min_people: int,
    min_items: int,
    shown_before: list[list[list[Any]]],
) -> None:
    """Complementary suppression across the cells of a release drawn from people's records: two shown
    cells pooling some of the same teachers (two measures of one school; two practices' coaching
    counts) must differ by none or at least `min_people` teachers holding `min_items` items, or
    their difference is those teachers' (respondents(M2) - respondents(M1) = one teacher's class).
    The bigger cell is kept, the smaller hidden (`app.releases.computed.overlapping`), before the
    release is stored, so every reader and every correction sees the same published cells. Cells
    shown by other periods' releases (`shown_before`) are kept whatever: the two periods' cells of
    one school and measure subtract as well (fall's four teachers less spring's three), and the one
    released first stays as it was read."""
    cells = tables.get("cells", {})
    shown = by_size(basis, [key for key, cell in cells.items() if not _hidden(cell)])
    hide = overlapping(basis, shown, frozenset(), min_people, min_items, shown_before)
    for key in hide:
        for figure in cells[key].values():
            if isinstance(figure, dict) and "suppressed" in figure:
                figure["value"], figure["suppressed"] = None, True
    if hide:
        audit["suppressed"] = audit.get("suppressed", 0) + len(hide)
        audit["overlap_suppressed"] = len(hide)


def _hidden(cell: dict[str, Any]) -> bool:
    return all(v["suppressed"] for v in cell.values() if isinstance(v, dict) and "suppressed" in v)


def _check_correction(previous: Release, tables: dict[str, Any], min_n: int, min_people: int) -> None:
    """A correction may only differ from the previous revision where the difference itself could be
    published: a cell hidden before stays hidden, and a shown count moves by zero or by at least the
    minimum n (feedback: teachers by at least the minimum number of teachers)."""
    before, after = _counts(previous.tables), _counts(tables)
    too_small = []
    for path, old in before.items():
        new = after.get(path)
        if new is None:
            continue
        if old["suppressed"]:
            if not new["suppressed"]:
                too_small.append(path)
            continue
        if new["suppressed"]:
            continue
        change = abs((new["value"] or 0) - (old["value"] or 0))
        required = min_people if path[-1] == "teachers" else min_n
        if change and change < required:
            too_small.append(path)
    if too_small:
        raise Conflict(
            f"A correction would change {len(too_small)} figure(s) by less than the minimum, and the "
            "difference would describe that few people. The late data waits for a change big enough "
            "to publish.",
        )
