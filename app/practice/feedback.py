"""Student feedback results: formative surveys about a teacher's class, which are the teacher's own.

Both transports call these; neither adds rules. Every function takes the session and the principal,
raises `DomainError`s, flushes and never commits.

The rules, which no role map can loosen:
- A result is read only by its teacher (the caller's person is the result's teacher) and by the people
  the teacher named in a `FeedbackShare`, for periods not yet released when the share was made. For anyone else, whatever their role, a result does not exist:
  reading it is `NotFound`, worded exactly as for an id that was never issued; lists hold only what the
  caller may read, so a filter naming another teacher finds nothing.
- Every read of a result (a list page, one result, a GraphQL node) appends a `feedback.read` audit
  event in the reader's own transaction: no read without its record.
- A teacher records their own results (`FEEDBACK_RECORD` at the school); a survey integration
  (`monitoring:write`) records results of the school's teachers only (an active teacher role there),
  and never replaces a result it did not write. The same teacher, measure and period again replaces
  the result.
- Leaders, coaches and district roles read school-level aggregates only (`FEEDBACK_AGGREGATE_READ`),
  and only as released (`app.releases`): one cell per school, measure and released period, computed
  once when the district releases the period and never recomputed, so a result recorded, replaced or
  removed later changes nothing a reader can difference. Cells are never split further nor summed
  across schools. A cell counts only the results of the school's teachers when it was released; it is
  suppressed (every figure null) below the district's minimum n of students or minimum number of
  teachers (three at least), and, for a reader, when the results that reader may see one by one
  (their own, those shared with them) or once read (the audit trail remembers a share since
  withdrawn), or whose accounts they made, leave fewer than those minimums: they could subtract
  them. Two shown cells (two measures, two periods) never differ by fewer teachers than that
  either (`hidden_cells`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_reads_of_teachers, teachers_known_by
from app.auth.permissions import Action
from app.auth.policy import allowed_schools, authorize, private_to, require, require_authenticated
from app.auth.principal import Principal, PrincipalKind
from app.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.core.pagination import Page, PageRequest, paginate
from app.core.repository import apply_changes, flush_or_conflict, referenced_row, where_equal
from app.core.sql import any_of
from app.identity.models import Person
from app.initiatives.service import _district_of
from app.practice.models import FeedbackResult, FeedbackShare
from app.practice.schemas import (
    FeedbackAggregates,
    FeedbackCell,
    FeedbackResultCreate,
    FeedbackShareCreate,
)
from app.practice.service import (
    _staff_member,
    is_teacher_of,
    own_person_id,
    require_person,
    teachers_of_school,
)
from app.releases.computed import ComputedRelease, by_size, differ_too_little, overlapping
from app.releases.models import Release, ReleaseSubject
from app.releases.reading import Revisions, latest_revisions
from app.tenancy.models import District, School

READ_ACTION = "feedback.read"

_RESULT_UNIQUE = {
    "uq_feedback_result_teacher_person_id_measure_period": (
        "period",
        "A result for this teacher, measure and period was recorded at the same moment; send it again.",
    )
}
_SHARE_UNIQUE = {
    "uq_feedback_share_teacher_person_id_person_id": (
        "person_id",
        "You already share your results with them.",
    )
}
_NOT_A_PERSON = "Teacher-level feedback is read only by the teacher and the people they share it with."


@dataclass(frozen=True, slots=True)
class FeedbackFilter:
    teacher_person_id: uuid.UUID | None = None
    measure: str | None = None
    period: str | None = None
    mine: bool = False


@dataclass(frozen=True, slots=True)
class AggregateFilter:
    school_id: uuid.UUID | None = None
    measure: str | None = None
    period: str | None = None


def _not_found(result_id: uuid.UUID) -> NotFound:
    # One wording for "never issued", "another district's" and "not yours": nothing tells them apart.
    return NotFound(f"No feedback result with id {result_id}.")


def _shared_with(person_id: uuid.UUID) -> Any:
    """The teachers who shared their results with `person_id`."""
    return select(FeedbackShare.teacher_person_id).where(FeedbackShare.person_id == person_id)


def _readable(person_id: uuid.UUID | None, district_id: uuid.UUID | None) -> ColumnElement[bool]:
    """Results `person_id` may read: their own and those shared with them, in their district. A share
    reaches the results of periods still unreleased when it was made: a reader who read a released
    aggregate before the share could otherwise subtract the shared result from it."""
    released_before_share = (
        select(Release.id)
        .where(
            Release.district_id == FeedbackResult.district_id,
            Release.subject == ReleaseSubject.FEEDBACK,
            Release.period == FeedbackResult.period,
            Release.created_at < FeedbackShare.created_at,
        )
        .exists()
    )
    shared = (
        select(FeedbackShare.id)
        .where(
            FeedbackShare.person_id == person_id,
            FeedbackShare.teacher_person_id == FeedbackResult.teacher_person_id,
            ~released_before_share,
        )
        .exists()
    )
    return private_to(
        person_id, district_id, FeedbackResult.district_id, (FeedbackResult.teacher_person_id,), shared
    )


async def _record_reads(
    session: AsyncSession, principal: Principal, reader: uuid.UUID, rows: list[FeedbackResult]
) -> None:
    """One `feedback.read` audit event per result read, flushed now: if the record cannot be written,
    the read fails with it. The event names whose result was read and how, never the result."""
    await record_reads_of_teachers(
        session,
        principal,
        READ_ACTION,
        "feedback_result",
        rows,
        lambda row: "own" if row.teacher_person_id == reader else "shared",
    )


# --- reading results --------------------------------------------------------------------------------


async def list_feedback_results(
    session: AsyncSession, principal: Principal, page: PageRequest, filters: FeedbackFilter
) -> Page[FeedbackResult]:
    """The results the caller may read (their own, and those shared with them; only their own with
    `mine`), oldest first, narrowed by `filters`. Each one returned is audited as read. API clients read
    none (`PermissionDenied`)."""
    reader = await require_person(session, principal, _NOT_A_PERSON)
    stmt = select(FeedbackResult).where(_readable(reader, principal.district_id))
    if filters.mine:
        stmt = stmt.where(FeedbackResult.teacher_person_id == reader)
    stmt = where_equal(stmt, FeedbackResult, filters, "teacher_person_id", "measure", "period")
    result = await paginate(session, stmt, FeedbackResult, page)
    await _record_reads(session, principal, reader, result.items)
    return result


async def get_feedback_result(
    session: AsyncSession, principal: Principal, result_id: uuid.UUID
) -> FeedbackResult:
    """One result, to its teacher or someone it is shared with (audited as read); `NotFound` for
    everyone else, exactly as for an id that does not exist."""
    found = await feedback_results_by_id(session, principal, [result_id])
    if result_id not in found:
        raise _not_found(result_id)
    return found[result_id]


async def feedback_results_by_id(
    session: AsyncSession, principal: Principal, result_ids: list[uuid.UUID]
) -> dict[uuid.UUID, FeedbackResult]:
    """The results among `result_ids` the caller may read, each audited as read; the rest are absent."""
    require_authenticated(principal)
    reader = await own_person_id(session, principal)
    if reader is None or not result_ids:
        return {}
    stmt = select(FeedbackResult).where(
        any_of(FeedbackResult.id, result_ids), _readable(reader, principal.district_id)
    )
    rows = list((await session.execute(stmt)).scalars())
    await _record_reads(session, principal, reader, rows)
    return {row.id: row for row in rows}


# --- recording results ------------------------------------------------------------------------------


async def record_feedback_result(
    session: AsyncSession, principal: Principal, data: FeedbackResultCreate
) -> tuple[FeedbackResult, bool]:
    """Record a result, or replace the one of the same teacher, measure and period; says whether it
    created one. A person records their own (`teacher_person_id` left out or theirs) at a school where
    they may (`FEEDBACK_RECORD`: teachers); a survey integration names the teacher, a member of staff.
    The school defaults to the recorder's, where they teach at one school only.

    Raises `PermissionDenied`, `NotFound` (a school or teacher not in the district, named by field) and
    `ValidationFailed` (a missing teacher or school).
    """
    district_id = _district_of(principal)
    require(principal, Action.FEEDBACK_RECORD)
    own = await own_person_id(session, principal)
    if own is not None:
        if data.teacher_person_id not in (None, own):
            raise PermissionDenied(
                "You record feedback results about your own classes only.",
                extra={"action": Action.FEEDBACK_RECORD.value},
            )
        teacher = own
    elif data.teacher_person_id is None:
        raise ValidationFailed(
            "Name the teacher the result is about.",
            errors=[FieldError(("teacher_person_id",), "Required for survey integrations.", "required")],
        )
    else:
        teacher = data.teacher_person_id
    school_id = data.school_id
    if school_id is None:
        schools = allowed_schools(principal, Action.FEEDBACK_RECORD)
        if schools is not None and len(schools) == 1:
            (school_id,) = schools
        else:
            raise ValidationFailed(
                "Name the school of the class.",
                errors=[
                    FieldError(("school_id",), "Required unless you teach at one school only.", "required")
                ],
            )
    await referenced_row(session, School, school_id, district_id, ("school_id",), "school")
    authorize(principal, Action.FEEDBACK_RECORD, district_id=district_id, school_id=school_id)
    if own is None:
        await _staff_member(session, district_id, teacher, "teacher_person_id")
        # An integration records for the school's teachers only: a result for anyone else would pad
        # a small group with values its writer knows.
        if not await is_teacher_of(session, teacher, school_id):
            raise ValidationFailed(
                "The person is not a teacher of the school.",
                errors=[FieldError(("teacher_person_id",), "Name a teacher of the school.", "not_a_teacher")],
            )
    client_id = principal.id if own is None and principal.kind is PrincipalKind.CLIENT else None
    values = {
        "school_id": school_id,
        "favourable_share": data.favourable_share,
        "respondents": data.respondents,
    }
    existing = await session.scalar(
        select(FeedbackResult)
        .where(
            FeedbackResult.teacher_person_id == teacher,
            FeedbackResult.measure == data.measure,
            FeedbackResult.period == data.period,
        )
        .with_for_update()
    )
    if existing is not None:
        if own is None and existing.recorded_by_client_id != client_id:
            # Replacing a result and reading the aggregate again would be the old result's difference.
            raise Conflict(
                "This teacher's result for the measure and period was written by someone else; an "
                "integration replaces only the results it wrote.",
                errors=[
                    FieldError(("teacher_person_id",), "Already recorded by another writer.", "not_yours")
                ],
            )
        apply_changes(existing, values)
        await session.flush()
        return existing, False
    row = FeedbackResult(
        district_id=district_id,
        teacher_person_id=teacher,
        measure=data.measure,
        period=data.period,
        recorded_by_client_id=client_id,
        **values,
    )
    session.add(row)
    await flush_or_conflict(session, _RESULT_UNIQUE)
    return row, True


async def remove_feedback_result(session: AsyncSession, principal: Principal, result_id: uuid.UUID) -> None:
    """The teacher takes one of their results off the record; `NotFound` for anyone else."""
    reader = await own_person_id(session, principal)
    require_authenticated(principal)
    row = None
    if reader is not None:
        row = await session.scalar(
            select(FeedbackResult)
            .where(
                FeedbackResult.id == result_id,
                FeedbackResult.teacher_person_id == reader,
                FeedbackResult.district_id == principal.district_id,
            )
            .with_for_update()
        )
    if row is None:
        raise _not_found(result_id)
    await session.delete(row)
    await session.flush()


# --- sharing ----------------------------------------------------------------------------------------


async def list_feedback_shares(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> Page[FeedbackShare]:
    """The shares the caller is party to: those they made, and those made with them."""
    person = await require_person(session, principal, _NOT_A_PERSON)
    stmt = select(FeedbackShare).where(
        FeedbackShare.district_id == principal.district_id,
        or_(FeedbackShare.teacher_person_id == person, FeedbackShare.person_id == person),
    )
    return await paginate(session, stmt, FeedbackShare, page)


async def feedback_shares_by_id(
    session: AsyncSession, principal: Principal, share_ids: list[uuid.UUID]
) -> dict[uuid.UUID, FeedbackShare]:
    """The shares among `share_ids` the caller is party to (as `list_feedback_shares`), by id; a caller
    who is not a person is party to none."""
    require_authenticated(principal)
    if not share_ids or principal.kind is not PrincipalKind.USER:
        return {}
    person = await own_person_id(session, principal)
    if person is None:
        return {}
    stmt = select(FeedbackShare).where(
        any_of(FeedbackShare.id, share_ids),
        FeedbackShare.district_id == principal.district_id,
        or_(FeedbackShare.teacher_person_id == person, FeedbackShare.person_id == person),
    )
    return {row.id: row for row in (await session.execute(stmt)).scalars()}


async def share_feedback(
    session: AsyncSession, principal: Principal, data: FeedbackShareCreate
) -> FeedbackShare:
    """Let a named person of the district read all of the caller's feedback results. Raises
    `PermissionDenied` (not a person), `NotFound` (no such person in the district), `ValidationFailed`
    (yourself) and `Conflict` (already shared)."""
    teacher = await require_person(session, principal, "Only a teacher shares their own feedback results.")
    district_id = _district_of(principal)
    await referenced_row(session, Person, data.person_id, district_id, ("person_id",), "person")
    if data.person_id == teacher:
        raise ValidationFailed(
            "Your results are already yours.",
            errors=[FieldError(("person_id",), "Name someone else.", "self_share")],
        )
    share = FeedbackShare(district_id=district_id, teacher_person_id=teacher, person_id=data.person_id)
    session.add(share)
    await flush_or_conflict(session, _SHARE_UNIQUE)
    return share


async def unshare_feedback(session: AsyncSession, principal: Principal, share_id: uuid.UUID) -> None:
    """The teacher withdraws a share. The person shared with may read it but not withdraw it
    (`PermissionDenied`); for anyone else it does not exist (`NotFound`)."""
    person = await own_person_id(session, principal)
    require_authenticated(principal)
    share = await session.get(FeedbackShare, share_id, with_for_update=True)
    if share is None or person is None or person not in (share.teacher_person_id, share.person_id):
        raise NotFound(f"No feedback share with id {share_id}.")
    if share.teacher_person_id != person:
        raise PermissionDenied("Only the teacher who shared their results withdraws the share.")
    await session.delete(share)
    await session.flush()


# --- school-level aggregates ------------------------------------------------------------------------


async def compute_release(
    session: AsyncSession, district_id: uuid.UUID, period: str, min_n: int, min_teachers: int
) -> ComputedRelease:
    """Every school and measure of the period, from the results of each school's teachers (an active
    teacher role at the school now), each cell suppressed below `min_n` respondents or
    `min_teachers` teachers. No cell is a sum of others, but
    two cells pooling the same teachers subtract: the release suppresses such pairs
    (`app.releases.service._suppress_overlaps`)."""
    stmt = select(
        FeedbackResult.school_id,
        FeedbackResult.measure,
        FeedbackResult.teacher_person_id,
        FeedbackResult.favourable_share,
        FeedbackResult.respondents,
    ).where(
        FeedbackResult.district_id == district_id,
        FeedbackResult.period == period,
        FeedbackResult.respondents > 0,
        FeedbackResult.teacher_person_id.in_(teachers_of_school(FeedbackResult.school_id)),
    )
    groups: dict[tuple[uuid.UUID, str], list[Any]] = defaultdict(list)
    items = 0
    for row in (await session.execute(stmt)).all():
        groups[(row.school_id, row.measure)].append(row)
        items += 1
    cells: dict[str, Any] = {}
    basis: dict[str, Any] = {}
    for (school_id, measure), rows in sorted(groups.items(), key=lambda g: (g[0][1], str(g[0][0]))):
        key = f"{school_id}|{measure}"
        respondents = sum(r.respondents for r in rows)
        hidden = len(rows) < min_teachers or respondents < min_n
        favourable = sum((Decimal(r.favourable_share) * r.respondents for r in rows), Decimal(0))
        cells[key] = {
            "school_id": str(school_id),
            "measure": measure,
            "respondents": {"value": None if hidden else respondents, "suppressed": hidden},
            "teachers": {"value": None if hidden else len(rows), "suppressed": hidden},
            "favourable_share": {
                "value": None if hidden else round(float(favourable / respondents), 2),
                "suppressed": hidden,
            },
        }
        # Each teacher's respondents and share: what a correction compares to find who changed.
        basis[key] = [[str(r.teacher_person_id), r.respondents, str(r.favourable_share)] for r in rows]
    suppressed = sum(1 for c in cells.values() if c["respondents"]["suppressed"])
    return ComputedRelease(
        tables={"cells": cells},
        basis=basis,
        audit={
            "cells": len(cells),
            "suppressed": suppressed,
            "narrowest_interval": None,
            "required_width": min_n,
            "safe": True,
        },
        items=items,
    )


async def feedback_aggregates(
    session: AsyncSession, principal: Principal, filters: AggregateFilter
) -> FeedbackAggregates:
    """Per school, measure and released period within the caller's reach: the respondent-weighted
    favourable share, respondents and teachers, or a suppressed cell (see the module's rules), from
    the latest revision of each release. Filters only choose which cells are returned; they never
    change what a cell is computed from.

    Raises `PermissionDenied` (no aggregate right, or not at the school asked for) and `NotFound` (a
    school not in the district).
    """
    district_id = _district_of(principal)
    if filters.school_id is not None:
        await referenced_row(
            session, School, filters.school_id, district_id, ("query", "school_id"), "school"
        )
        authorize(
            principal, Action.FEEDBACK_AGGREGATE_READ, district_id=district_id, school_id=filters.school_id
        )
    require(principal, Action.FEEDBACK_AGGREGATE_READ)
    allowed = allowed_schools(principal, Action.FEEDBACK_AGGREGATE_READ)
    district = await session.get(District, district_id)
    if district is None:
        raise PermissionDenied("Aggregates belong to a district.")
    released = await latest_revisions(session, district_id, ReleaseSubject.FEEDBACK)
    known = await _known_teachers(session, principal)
    hidden = hidden_cells(released, known, None, "respondents")
    periods = [p for p in released if filters.period is None or p.latest.period == filters.period]
    late = await _late_results(session, district_id, [p.latest for p in periods])
    cells = []
    for revisions in periods:
        release = revisions.latest
        for key, stored in release.tables["cells"].items():
            school_id = uuid.UUID(stored["school_id"])
            if allowed is not None and school_id not in allowed:
                continue
            if filters.school_id is not None and school_id != filters.school_id:
                continue
            if filters.measure is not None and stored["measure"] != filters.measure:
                continue
            cells.append(_released_cell(release, stored, key in hidden[release.period], late))
    cells.sort(key=lambda c: (c.measure, c.period, str(c.school_id)))
    return FeedbackAggregates(
        min_cell_size=district.min_cell_size, min_teachers=district.min_teachers, cells=cells
    )


async def _late_results(
    session: AsyncSession, district_id: uuid.UUID, releases: list[Release]
) -> dict[tuple[str, str, str], int]:
    """Results recorded or changed after their period's release, per period, school and measure."""
    late: dict[tuple[str, str, str], int] = {}
    for release in releases:
        stmt = (
            select(FeedbackResult.school_id, FeedbackResult.measure, func.count())
            .where(
                FeedbackResult.district_id == district_id,
                FeedbackResult.period == release.period,
                FeedbackResult.updated_at > release.created_at,
            )
            .group_by(FeedbackResult.school_id, FeedbackResult.measure)
        )
        for school_id, measure, n in (await session.execute(stmt)).all():
            late[(release.period, str(school_id), measure)] = n
    return late


async def _known_teachers(session: AsyncSession, principal: Principal) -> frozenset[str]:
    """Teachers whose results the caller may read one by one, or once did: themselves, those who
    share with them, and those whose results they read before a share was withdrawn."""
    person = await own_person_id(session, principal)
    if person is None or principal.district_id is None:
        return frozenset()
    shared = await session.scalars(_shared_with(person))
    read = await teachers_known_by(session, principal.district_id, person, READ_ACTION)
    return frozenset({str(person), *(str(p) for p in shared), *read})


def hidden_from_reader(
    suppressed: bool,
    basis: list[list[Any]],
    known: frozenset[str],
    min_people: int,
    min_n: int,
    earlier: Sequence[list[list[Any]]] = (),
) -> bool:
    """Whether a released cell is hidden from one reader: suppressed when released, or, without the
    people whose records the reader may read one by one (`known`: their own, those shared with them),
    drawn from fewer than `min_people` people or `min_n` counted items (`basis` pairs a person with
    the items of theirs in the cell, then anything more). The reader could otherwise subtract what
    they know from it."""
    unknown = [entry[1] for entry in basis if entry[0] not in known]
    if suppressed or len(unknown) < min_people or sum(unknown) < min_n:
        return True
    # A correction is the difference between two revisions (`earlier`: the bases before this one,
    # oldest first): the people it changed, less those the reader knows, must be as many again.
    revisions = [*earlier, basis]
    for before, after in pairwise(revisions):
        if differ_too_little(before, after, known, min_people, min_n):
            return True
    return False


def hidden_cells(
    periods: list[Revisions], known: frozenset[str], min_n: int | None, figure: str
) -> dict[str, set[str]]:
    """Per released period, the cells of its latest revision hidden from one reader (`known`: the
    people whose records they may read or once read; `figure`: the cell's figure that says it was
    suppressed): each cell by `hidden_from_reader`, then across every cell still shown, of this
    period and of the periods released before it, which must not difference to fewer than the
    minimums of people the reader does not know (`app.releases.computed.overlapping`; the release
    suppressed such pairs for a reader who knows nobody). Give it every released period, whatever
    the reader asked for: a filter must not change what a cell is compared with. Feedback and
    coaching counts both call it; it reads no database."""
    hidden: dict[str, set[str]] = {}
    shown_before: list[list[list[Any]]] = []
    for revisions in sorted(periods, key=lambda r: (r.latest.created_at, r.latest.period)):
        release = revisions.latest
        cells = release.tables["cells"]
        items = release.min_cell_size if min_n is None else min_n
        alone = {
            key
            for key, stored in cells.items()
            if hidden_from_reader(
                stored[figure]["suppressed"],
                release.basis.get(key, []),
                known,
                release.min_people,
                items,
                revisions.earlier.get(key, []),
            )
        }
        shown = by_size(release.basis, [key for key in cells if key not in alone])
        hidden[release.period] = alone | overlapping(
            release.basis, shown, known, release.min_people, items, shown_before
        )
        shown_before += [release.basis.get(key, []) for key in shown if key not in hidden[release.period]]
    return hidden


def _released_cell(
    release: Release, stored: dict[str, Any], suppressed: bool, late: dict[tuple[str, str, str], int]
) -> FeedbackCell:
    return FeedbackCell(
        school_id=uuid.UUID(stored["school_id"]),
        measure=stored["measure"],
        period=release.period,
        revision=release.revision,
        released_at=release.created_at,
        suppressed=suppressed,
        favourable_share=None if suppressed else stored["favourable_share"]["value"],
        respondents=None if suppressed else stored["respondents"]["value"],
        teachers=None if suppressed else stored["teachers"]["value"],
        late_results=late.get((release.period, stored["school_id"], stored["measure"]), 0),
    )
