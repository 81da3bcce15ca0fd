"""Student feedback results: formative surveys about a teacher's class, which are the teacher's own.

Both transports call these; neither adds rules. Every function takes the session and the principal,
raises `DomainError`s, flushes and never commits.

The rules, which no role map can loosen:
- A result is read only by its teacher (the caller's person is the result's teacher) and by the people
  the teacher named in a `FeedbackShare`. For anyone else, whatever their role, a result does not exist:
  reading it is `NotFound`, worded exactly as for an id that was never issued; lists hold only what the
  caller may read, so a filter naming another teacher finds nothing.
- Every read of a result (a list page, one result, a GraphQL node) appends a `feedback.read` audit
  event in the reader's own transaction: no read without its record.
- A teacher records their own results (`FEEDBACK_RECORD` at the school); a survey integration
  (`monitoring:write`) records anyone's. The same teacher, measure and period again replaces the result.
- Leaders, coaches and district roles read school-level aggregates only (`FEEDBACK_AGGREGATE_READ`): one
  cell per school, measure and period, never split further and never summed across schools, so no
  cell can be recovered by subtracting others. A cell is suppressed (every figure null) when it would
  describe fewer students than the district's minimum n or fewer than three teachers' classes; the
  results the reader may already see (their own, those shared with them) do not count toward either,
  because the reader could subtract them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth.permissions import Action
from app.auth.policy import allowed_schools, authorize, require, require_authenticated, visible
from app.auth.principal import Principal
from app.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from app.core.pagination import Page, PageRequest, paginate
from app.core.repository import apply_changes, flush_or_conflict
from app.core.request_context import current_request_id
from app.core.sql import any_of
from app.identity.models import Person
from app.initiatives.service import _district_of
from app.monitoring.models import FeedbackResult, FeedbackShare
from app.monitoring.practice import _in_district, _staff_member, own_person_id, require_person
from app.monitoring.practice_schemas import (
    FeedbackAggregates,
    FeedbackCell,
    FeedbackResultCreate,
    FeedbackShareCreate,
)
from app.tenancy.models import District, School

# A "school average" of fewer teachers than this is a teacher's result, or two teachers' one of whom
# can subtract their own.
MIN_TEACHERS = 3
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
    """Results `person_id` may read: their own and those shared with them, in their district."""
    if person_id is None or district_id is None:
        return false()
    return (FeedbackResult.district_id == district_id) & or_(
        FeedbackResult.teacher_person_id == person_id,
        FeedbackResult.teacher_person_id.in_(_shared_with(person_id)),
    )


async def _record_reads(
    session: AsyncSession, principal: Principal, reader: uuid.UUID, rows: list[FeedbackResult]
) -> None:
    """One `feedback.read` audit event per result read, flushed now: if the record cannot be written,
    the read fails with it. The event names whose result was read and how, never the result."""
    session.add_all(
        AuditEvent(
            district_id=row.district_id,
            actor_kind=principal.kind.value,
            actor_id=principal.id,
            actor_label=principal.label,
            action=READ_ACTION,
            entity_type="feedback_result",
            entity_id=row.id,
            after={
                "teacher_person_id": str(row.teacher_person_id),
                "access": "own" if row.teacher_person_id == reader else "shared",
            },
            request_id=current_request_id(),
        )
        for row in rows
    )
    await session.flush()


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
    if filters.teacher_person_id is not None:
        stmt = stmt.where(FeedbackResult.teacher_person_id == filters.teacher_person_id)
    if filters.measure is not None:
        stmt = stmt.where(FeedbackResult.measure == filters.measure)
    if filters.period is not None:
        stmt = stmt.where(FeedbackResult.period == filters.period)
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
    await _in_district(session, School, school_id, district_id, ("school_id",), "school")
    authorize(principal, Action.FEEDBACK_RECORD, district_id=district_id, school_id=school_id)
    if own is None:
        await _staff_member(session, district_id, teacher, "teacher_person_id")
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
        apply_changes(existing, values)
        await session.flush()
        return existing, False
    row = FeedbackResult(
        district_id=district_id, teacher_person_id=teacher, measure=data.measure, period=data.period, **values
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


async def share_feedback(
    session: AsyncSession, principal: Principal, data: FeedbackShareCreate
) -> FeedbackShare:
    """Let a named person of the district read all of the caller's feedback results. Raises
    `PermissionDenied` (not a person), `NotFound` (no such person in the district), `ValidationFailed`
    (yourself) and `Conflict` (already shared)."""
    teacher = await require_person(session, principal, "Only a teacher shares their own feedback results.")
    district_id = _district_of(principal)
    await _in_district(session, Person, data.person_id, district_id, ("person_id",), "person")
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


async def feedback_aggregates(
    session: AsyncSession, principal: Principal, filters: AggregateFilter
) -> FeedbackAggregates:
    """Per school, measure and period within the caller's reach: the respondent-weighted favourable
    share, respondents and teachers, or a suppressed cell (see the module's rules). Filters only choose
    which cells are returned; they never change what a cell is computed from.

    Raises `PermissionDenied` (no aggregate right, or not at the school asked for) and `NotFound` (a
    school not in the district).
    """
    district_id = _district_of(principal)
    if filters.school_id is not None:
        await _in_district(session, School, filters.school_id, district_id, ("query", "school_id"), "school")
        authorize(
            principal, Action.FEEDBACK_AGGREGATE_READ, district_id=district_id, school_id=filters.school_id
        )
    columns = select(
        FeedbackResult.school_id,
        FeedbackResult.measure,
        FeedbackResult.period,
        FeedbackResult.teacher_person_id,
        FeedbackResult.favourable_share,
        FeedbackResult.respondents,
    )
    stmt = visible(columns, FeedbackResult, principal, Action.FEEDBACK_AGGREGATE_READ).where(
        FeedbackResult.district_id == district_id, FeedbackResult.respondents > 0
    )
    if filters.school_id is not None:
        stmt = stmt.where(FeedbackResult.school_id == filters.school_id)
    if filters.measure is not None:
        stmt = stmt.where(FeedbackResult.measure == filters.measure)
    if filters.period is not None:
        stmt = stmt.where(FeedbackResult.period == filters.period)
    min_n = await session.scalar(select(District.min_cell_size).where(District.id == district_id))
    known = await _known_teachers(session, principal)
    cells: dict[tuple[uuid.UUID, str, str], list[Any]] = defaultdict(list)
    for row in (await session.execute(stmt)).all():
        cells[(row.school_id, row.measure, row.period)].append(row)
    return FeedbackAggregates(
        min_cell_size=min_n,
        min_teachers=MIN_TEACHERS,
        cells=[
            _cell(key, rows, known, min_n)
            for key, rows in sorted(cells.items(), key=lambda item: (item[0][1], item[0][2], str(item[0][0])))
        ],
    )


async def _known_teachers(session: AsyncSession, principal: Principal) -> frozenset[uuid.UUID]:
    """Teachers whose results the caller may read one by one: themselves and those who shared."""
    person = await own_person_id(session, principal)
    if person is None:
        return frozenset()
    shared = await session.scalars(_shared_with(person))
    return frozenset({person, *shared})


def _cell(
    key: tuple[uuid.UUID, str, str], rows: list[Any], known: frozenset[uuid.UUID], min_n: int
) -> FeedbackCell:
    school_id, measure, period = key
    unknown = [r for r in rows if r.teacher_person_id not in known]
    suppressed = len(unknown) < MIN_TEACHERS or sum(r.respondents for r in unknown) < min_n
    if suppressed:
        return FeedbackCell(
            school_id=school_id,
            measure=measure,
            period=period,
            suppressed=True,
            favourable_share=None,
            respondents=None,
            teachers=None,
        )
    respondents = sum(r.respondents for r in rows)
    favourable = sum((Decimal(r.favourable_share) * r.respondents for r in rows), Decimal(0))
    return FeedbackCell(
        school_id=school_id,
        measure=measure,
        period=period,
        suppressed=False,
        favourable_share=round(float(favourable / respondents), 2),
        respondents=respondents,
        teachers=len(rows),
    )
