"""Coaching cycles: the rules, for REST and GraphQL alike. Every function takes the session and the
principal, raises `DomainError`s, flushes and never commits.

The rules, which no role map can loosen (the trust rule of student feedback, `policy.private_to`):
- A cycle, its sessions, its linked observations and its shares are read only by its teacher, its
  coach (while they coach at its school: a coach whose role was taken away is its coach no more), and
  the people the teacher shared the cycle with. For anyone else, whatever their role
  (a district admin, a principal, another teacher, another district's coach), the cycle does not
  exist: `NotFound`, worded as for an id never issued; lists hold only what the caller may read.
  Every read of a cycle appends a `coaching_cycle.read` audit event in the reader's transaction.
- A cycle is started by its teacher or its coach (`COACHING_CYCLE_START`): the teacher teaches at the
  school, the coach holds the coach role there or district-wide, the practice is in the district's
  catalogue and not retired. Both parties write the goal; any change to it waits for the teacher's
  agreement again; only the teacher agrees, writes the reflection and shares the cycle, and only while
  the cycle's period is unreleased (a share reaches no cycle of a period released before it was made).
- Leaders and coaches read counts only (`COACHING_AGGREGATE_READ`), and only as released
  (`app.releases`): per practice and period, district-wide, computed once when the district releases
  the period and never recomputed, so a cycle started or ended later changes nothing a reader can
  difference. A cell is suppressed under the district's minimum number of teachers, and for a reader
  when the teachers they know of one by one (their own cycles, those shared with them) leave fewer.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_reads_of_teachers, teachers_known_by
from app.auth.permissions import Action
from app.auth.policy import authorize, private_to, require, require_authenticated
from app.auth.principal import Principal
from app.coaching.models import (
    CoachingCycle,
    CoachingObservation,
    CoachingSession,
    CoachingShare,
    CoachingStatus,
)
from app.coaching.schemas import (
    CoachingCountCell,
    CoachingCounts,
    CoachingCycleCreate,
    CoachingCycleUpdate,
    CoachingObservationCreate,
    CoachingObservationPublic,
    CoachingSessionCreate,
    CoachingShareCreate,
    PracticeFootprint,
    SchoolCount,
)
from app.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.core.pagination import Page, PageRequest, paginate
from app.core.repository import (
    VersionCheck,
    apply_changes,
    check_version,
    flush_or_conflict,
    get_part_or_404,
    referenced_row,
    where_equal,
)
from app.core.sql import any_of
from app.identity.models import Person, Role, RoleAssignment, User
from app.plans import service as plans
from app.plans.models import Plan
from app.practice import catalogue
from app.practice import service as practice
from app.practice.feedback import hidden_cells
from app.practice.models import PdsaCycle, PlcMeeting, Walkthrough, WalkthroughObservation
from app.releases.computed import ComputedRelease
from app.releases.models import Release, ReleaseSubject
from app.releases.reading import latest_revisions
from app.tenancy.models import District, School

READ_ACTION = "coaching_cycle.read"
_NOT_A_PERSON = (
    "Coaching cycles are read only by their teacher, their coach and those the teacher shares with."
)
_LINK_UNIQUE = {
    "uq_coaching_observation_cycle_id_observation_id": (
        "observation_id",
        "The observation is already linked to the cycle.",
    )
}
_SHARE_UNIQUE = {
    "uq_coaching_share_cycle_id_person_id": ("person_id", "You already share the cycle with them."),
}


@dataclass(frozen=True, slots=True)
class CycleFilter:
    practice_id: uuid.UUID | None = None
    period: str | None = None
    status: CoachingStatus | None = None
    as_teacher: bool = False
    as_coach: bool = False


def _not_found(cycle_id: uuid.UUID) -> NotFound:
    # One wording for "never issued", "another district's" and "not yours".
    return NotFound(f"No coaching cycle with id {cycle_id}.")


def _district_of(principal: Principal) -> uuid.UUID:
    if principal.district_id is None:
        raise PermissionDenied("Coaching cycles belong to a district.")
    return principal.district_id


def _released_before(moment: Any) -> Any:
    """Whether the cycle's period had its coaching counts released before `moment`."""
    return (
        select(Release.id)
        .where(
            Release.district_id == CoachingCycle.district_id,
            Release.subject == ReleaseSubject.COACHING,
            Release.period == CoachingCycle.period,
            Release.created_at < moment,
        )
        .exists()
    )


def coached_by(reader: Any) -> ColumnElement[bool]:
    """Cycles `reader` (a person id, or an expression naming one) coaches, while they coach at the cycle's school (the coach role there or
    district-wide, an active login): a coach whose role was taken away (who became the school's
    principal, say) is no longer the teacher's coach, and reads the cycle only if the teacher shares
    it with them."""
    return (CoachingCycle.coach_person_id == reader) & CoachingCycle.coach_person_id.in_(
        coaches_of_school(CoachingCycle.school_id)
    )


def _readable(reader: uuid.UUID | None, district_id: uuid.UUID | None) -> ColumnElement[bool]:
    """Cycles `reader` may read: theirs as teacher, those they coach (`coached_by`), and those the
    teacher shared with them while the cycle's period was unreleased (as for feedback: a reader who
    read the released counts before the share could otherwise subtract the shared cycle from them)."""
    shared = (
        select(CoachingShare.id)
        .where(
            CoachingShare.cycle_id == CoachingCycle.id,
            CoachingShare.person_id == reader,
            ~_released_before(CoachingShare.created_at),
        )
        .exists()
    )
    return private_to(
        reader,
        district_id,
        CoachingCycle.district_id,
        (CoachingCycle.teacher_person_id,),
        or_(coached_by(reader), shared),
    )


async def _coaches_at(session: AsyncSession, person: uuid.UUID, school_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The schools among `school_ids` where `person` coaches now (as `coaches_of_school` says)."""
    if not school_ids:
        return set()
    grants = set(
        await session.scalars(
            select(RoleAssignment.school_id)
            .join(User, User.id == RoleAssignment.user_id)
            .where(User.person_id == person, RoleAssignment.role == Role.COACH, User.is_active.is_(True))
        )
    )
    return set(school_ids) if None in grants else school_ids & grants


def _access(cycle: Any, reader: uuid.UUID, coached: set[uuid.UUID]) -> str:
    if cycle.teacher_person_id == reader:
        return "teacher"
    if cycle.coach_person_id == reader and cycle.school_id in coached:
        return "coach"
    return "shared"


async def _record_reads(
    session: AsyncSession, principal: Principal, reader: uuid.UUID, rows: list[Any]
) -> None:
    """One `coaching_cycle.read` audit event per cycle read, flushed now: no read without its record.
    The event names whose cycle was read and how, never what it says."""
    coached = await _coaches_at(
        session, reader, {row.school_id for row in rows if row.coach_person_id == reader}
    )
    await record_reads_of_teachers(
        session, principal, READ_ACTION, "coaching_cycle", rows, lambda row: _access(row, reader, coached)
    )


# --- reading cycles ---------------------------------------------------------------------------------


async def list_cycles(
    session: AsyncSession, principal: Principal, page: PageRequest, filters: CycleFilter
) -> Page[CoachingCycle]:
    """The cycles the caller may read (theirs as teacher or coach, those shared with them), oldest
    first, narrowed by `filters`; each one returned is audited as read. API clients read none
    (`PermissionDenied`)."""
    reader = await practice.require_person(session, principal, _NOT_A_PERSON)
    stmt = select(CoachingCycle).where(_readable(reader, principal.district_id))
    if filters.as_teacher:
        stmt = stmt.where(CoachingCycle.teacher_person_id == reader)
    if filters.as_coach:
        stmt = stmt.where(coached_by(reader))
    stmt = where_equal(stmt, CoachingCycle, filters, "practice_id", "period", "status")
    result = await paginate(session, stmt, CoachingCycle, page)
    await _record_reads(session, principal, reader, result.items)
    return result


async def cycles_by_id(
    session: AsyncSession, principal: Principal, cycle_ids: list[uuid.UUID], *, lock: bool = False
) -> dict[uuid.UUID, CoachingCycle]:
    """The cycles among `cycle_ids` the caller may read, each audited as read; the rest are absent."""
    require_authenticated(principal)
    reader = await practice.own_person_id(session, principal)
    if reader is None or not cycle_ids:
        return {}
    stmt = select(CoachingCycle).where(
        any_of(CoachingCycle.id, cycle_ids), _readable(reader, principal.district_id)
    )
    if lock:
        stmt = stmt.with_for_update()
    rows = list((await session.execute(stmt)).scalars())
    await _record_reads(session, principal, reader, rows)
    return {row.id: row for row in rows}


async def _of_readable_cycles(
    session: AsyncSession, principal: Principal, model: Any, row_ids: list[uuid.UUID]
) -> list[Any]:
    """The rows of `model` (a part of a cycle: session, linked observation, share) among `row_ids`
    whose cycle the caller reads, by the rule of `cycles_by_id`, which audits the cycles as read: a
    part is read only through its cycle, over REST as here."""
    if not row_ids:
        return []
    rows = list((await session.execute(select(model).where(any_of(model.id, row_ids)))).scalars())
    readable = await cycles_by_id(session, principal, list({row.cycle_id for row in rows}))
    return [row for row in rows if row.cycle_id in readable]


async def sessions_by_id(
    session: AsyncSession, principal: Principal, session_ids: list[uuid.UUID]
) -> dict[uuid.UUID, CoachingSession]:
    """The sessions among `session_ids` of cycles the caller reads (for `node(id:)`)."""
    return {
        row.id: row for row in await _of_readable_cycles(session, principal, CoachingSession, session_ids)
    }


async def shares_by_id(
    session: AsyncSession, principal: Principal, share_ids: list[uuid.UUID]
) -> dict[uuid.UUID, CoachingShare]:
    """The shares among `share_ids` of cycles the caller reads (for `node(id:)`)."""
    return {row.id: row for row in await _of_readable_cycles(session, principal, CoachingShare, share_ids)}


async def observations_by_id(
    session: AsyncSession, principal: Principal, link_ids: list[uuid.UUID]
) -> dict[uuid.UUID, CoachingObservationPublic]:
    """The linked observations among `link_ids` of cycles the caller reads (for `node(id:)`)."""
    links = await _of_readable_cycles(session, principal, CoachingObservation, link_ids)
    if not links:
        return {}
    stmt = _observation_rows(
        select(CoachingObservation, WalkthroughObservation, Walkthrough).where(
            any_of(CoachingObservation.id, [link.id for link in links])
        )
    )
    return {link.id: _public_link(link, obs, walk) for link, obs, walk in (await session.execute(stmt)).all()}


async def get_cycle(
    session: AsyncSession, principal: Principal, cycle_id: uuid.UUID, *, lock: bool = False
) -> CoachingCycle:
    """One cycle, to its teacher, its coach or someone the teacher shared it with (audited as read);
    `NotFound` for everyone else, exactly as for an id that does not exist."""
    found = await cycles_by_id(session, principal, [cycle_id], lock=lock)
    if cycle_id not in found:
        raise _not_found(cycle_id)
    return found[cycle_id]


async def _party_cycle(
    session: AsyncSession, principal: Principal, cycle_id: uuid.UUID, *, teacher_only: str | None = None
) -> tuple[CoachingCycle, uuid.UUID]:
    """The cycle, locked, for its teacher or coach to change. Someone it is shared with reads it but
    changes nothing (`PermissionDenied`); with `teacher_only`, the coach neither."""
    cycle = await get_cycle(session, principal, cycle_id, lock=True)
    person = await practice.own_person_id(session, principal)
    parties = {cycle.teacher_person_id}
    if (
        not teacher_only
        and person == cycle.coach_person_id
        and await _coaches_at(session, person, {cycle.school_id})
    ):
        parties.add(person)
    if person not in parties:
        raise PermissionDenied(teacher_only or "Only the cycle's teacher and coach change it.")
    return cycle, person  # type: ignore[return-value]


async def _part_of_cycle(
    session: AsyncSession,
    principal: Principal,
    model: type[Any],
    row_id: uuid.UUID,
    *,
    what: str,
    teacher_only: str | None = None,
) -> Any:
    """A part of a cycle (a session, a linked observation, a share), locked, for the cycle's parties to
    change as `_party_cycle` says; `NotFound` for anyone who cannot read the cycle."""

    async def of_party_cycle(row: Any) -> None:
        await _party_cycle(session, principal, row.cycle_id, teacher_only=teacher_only)

    return await get_part_or_404(
        session, model, row_id, of_party_cycle, what=what, lock=True, district_id=principal.district_id
    )


# --- starting and changing cycles -------------------------------------------------------------------


def coaches_of_school(school_id: Any) -> Any:
    """People who may coach at a school: an active login with the coach role there or district-wide."""
    return (
        select(User.person_id)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.role == Role.COACH,
            or_(RoleAssignment.school_id == school_id, RoleAssignment.school_id.is_(None)),
            User.is_active.is_(True),
        )
    )


async def start_cycle(
    session: AsyncSession, principal: Principal, data: CoachingCycleCreate
) -> CoachingCycle:
    """Start a cycle as its teacher or its coach, naming the other. Raises `PermissionDenied` (not a
    teacher or coach, or naming neither side as yourself), `NotFound` (a school, person or practice not
    in the district, named by field) and `ValidationFailed` (the teacher does not teach at the school,
    the coach does not coach there, one person on both sides, a retired practice)."""
    district_id = _district_of(principal)
    me = await practice.require_person(
        session, principal, "Only a teacher or a coach starts a coaching cycle."
    )
    await referenced_row(session, School, data.school_id, district_id, ("school_id",), "school")
    authorize(principal, Action.COACHING_CYCLE_START, district_id=district_id, school_id=data.school_id)
    teacher = data.teacher_person_id or me
    coach = data.coach_person_id or me
    if me not in (teacher, coach):
        raise PermissionDenied("You start coaching cycles you are part of, as the teacher or the coach.")
    if teacher == coach:
        raise ValidationFailed(
            "A coaching cycle joins two people.",
            errors=[FieldError(("coach_person_id",), "Name the coach (or the teacher).", "same_person")],
        )
    for field, person in (("teacher_person_id", teacher), ("coach_person_id", coach)):
        await referenced_row(session, Person, person, district_id, (field,), "person")
    if not await practice.is_teacher_of(session, teacher, data.school_id):
        raise ValidationFailed(
            "The teacher does not teach at the school.",
            errors=[FieldError(("teacher_person_id",), "Name a teacher of the school.", "not_a_teacher")],
        )
    is_coach = await session.scalar(
        select(func.count())
        .where(User.person_id == coach)
        .where(User.person_id.in_(coaches_of_school(data.school_id)))
    )
    if not is_coach:
        raise ValidationFailed(
            "The coach does not coach at the school.",
            errors=[
                FieldError(("coach_person_id",), "Name a coach of the school or the district.", "not_a_coach")
            ],
        )
    await catalogue.check_practice(session, district_id, data.practice_id)
    cycle = CoachingCycle(
        district_id=district_id,
        school_id=data.school_id,
        teacher_person_id=teacher,
        coach_person_id=coach,
        practice_id=data.practice_id,
        period=data.period,
        goal=data.goal,
        # The teacher who writes the goal as they start the cycle has agreed to it.
        goal_agreed_at=datetime.now(UTC) if data.goal is not None and me == teacher else None,
    )
    session.add(cycle)
    await session.flush()
    return cycle


async def update_cycle(
    session: AsyncSession,
    principal: Principal,
    cycle_id: uuid.UUID,
    data: CoachingCycleUpdate,
    *,
    expected_version: int | None = None,
) -> CoachingCycle:
    """Change the goal (either party; it then waits for the teacher's agreement), agree to it or write
    the reflection (the teacher only), complete or reopen the cycle (either). Raises `NotFound`,
    `PermissionDenied`, `StaleVersion` and `ValidationFailed` (agreeing to no goal)."""
    cycle, me = await _party_cycle(session, principal, cycle_id)
    check_version(cycle, expected_version, what="coaching cycle")
    changes = data.changes()
    agreed = changes.pop("goal_agreed", None)
    teacher_fields = [f for f in ("reflection",) if f in changes] + (
        ["goal_agreed"] if agreed is not None else []
    )
    if teacher_fields and me != cycle.teacher_person_id:
        raise PermissionDenied(
            "Only the teacher agrees to the goal and writes the reflection.",
            extra={"fields": teacher_fields},
        )
    goal_changed = "goal" in changes and changes["goal"] != cycle.goal
    if goal_changed:
        changes["goal_agreed_at"] = None
    if agreed is True:
        if changes.get("goal", cycle.goal) is None:
            raise ValidationFailed(
                "There is no goal to agree to yet.",
                errors=[FieldError(("goal_agreed",), "Write the goal first.", "no_goal")],
            )
        if cycle.goal_agreed_at is None or goal_changed:
            changes["goal_agreed_at"] = datetime.now(UTC)
    elif agreed is False:
        changes["goal_agreed_at"] = None
    apply_changes(cycle, changes)
    await session.flush()
    return cycle


# --- sessions ---------------------------------------------------------------------------------------


async def list_sessions(
    session: AsyncSession, principal: Principal, cycle_id: uuid.UUID
) -> list[CoachingSession]:
    """The cycle's sessions in time order, for whoever reads the cycle."""
    await get_cycle(session, principal, cycle_id)
    return (await sessions_of_cycles(session, [cycle_id])).get(cycle_id, [])


async def sessions_of_cycles(
    session: AsyncSession, cycle_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[CoachingSession]]:
    """The sessions of cycles the caller already read (for DataLoaders), in time order."""
    stmt = (
        select(CoachingSession)
        .where(any_of(CoachingSession.cycle_id, cycle_ids))
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )
    grouped: dict[uuid.UUID, list[CoachingSession]] = defaultdict(list)
    for row in (await session.execute(stmt)).scalars():
        grouped[row.cycle_id].append(row)
    return grouped


async def schedule_session(
    session: AsyncSession, principal: Principal, cycle_id: uuid.UUID, data: CoachingSessionCreate
) -> CoachingSession:
    """Schedule a plan, observe or debrief session (the teacher or the coach). Raises `NotFound`,
    `PermissionDenied` and `Conflict` (a completed cycle)."""
    cycle, _ = await _party_cycle(session, principal, cycle_id)
    if cycle.status is CoachingStatus.COMPLETED:
        raise Conflict("The cycle is completed; reopen it to schedule more sessions.")
    row = CoachingSession(district_id=cycle.district_id, cycle_id=cycle.id, **data.model_dump())
    session.add(row)
    await session.flush()
    return row


async def cancel_session(session: AsyncSession, principal: Principal, session_id: uuid.UUID) -> None:
    """Take a session off the cycle (the teacher or the coach); `NotFound` for anyone else."""
    row = await _part_of_cycle(session, principal, CoachingSession, session_id, what="coaching session")
    await session.delete(row)
    await session.flush()


async def coaching_sessions_for(
    session: AsyncSession, principal: Principal, start: datetime, end: datetime
) -> list[tuple[CoachingSession, CoachingCycle]]:
    """The caller's own coaching sessions (as the cycle's teacher or coach) starting in [start, end),
    in time order, with their cycle: for "coaching sessions this week" on the agenda. Cycles merely
    shared with the caller are not their sessions. Callers who are not a person have none."""
    require_authenticated(principal)
    me = await practice.own_person_id(session, principal)
    if me is None:
        return []
    stmt = (
        select(CoachingSession, CoachingCycle)
        .join(CoachingCycle, CoachingCycle.id == CoachingSession.cycle_id)
        .where(
            CoachingCycle.district_id == principal.district_id,
            or_(CoachingCycle.teacher_person_id == me, coached_by(me)),
            CoachingSession.starts_at >= start,
            CoachingSession.starts_at < end,
        )
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )
    return [(s, c) for s, c in (await session.execute(stmt)).all()]


# --- linked observations ----------------------------------------------------------------------------


def _observation_rows(stmt: Any) -> Any:
    return stmt.join(
        WalkthroughObservation, WalkthroughObservation.id == CoachingObservation.observation_id
    ).join(Walkthrough, Walkthrough.id == WalkthroughObservation.walkthrough_id)


def _public_link(
    link: CoachingObservation, observation: WalkthroughObservation, walkthrough: Walkthrough
) -> CoachingObservationPublic:
    return CoachingObservationPublic(
        id=link.id,
        cycle_id=link.cycle_id,
        observation_id=observation.id,
        walkthrough_id=walkthrough.id,
        observed_on=walkthrough.observed_on,
        level=observation.level,
        support_needed=observation.support,
        support_given=link.support_given,
        version=link.version,
    )


async def observations_of_cycles(
    session: AsyncSession, cycle_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[CoachingObservationPublic]]:
    """The linked observations of cycles the caller already read, oldest walkthrough first."""
    stmt = _observation_rows(
        select(CoachingObservation, WalkthroughObservation, Walkthrough).where(
            any_of(CoachingObservation.cycle_id, cycle_ids)
        )
    ).order_by(Walkthrough.observed_on, CoachingObservation.id)
    grouped: dict[uuid.UUID, list[CoachingObservationPublic]] = defaultdict(list)
    for link, observation, walkthrough in (await session.execute(stmt)).all():
        grouped[link.cycle_id].append(_public_link(link, observation, walkthrough))
    return grouped


async def list_observations(
    session: AsyncSession, principal: Principal, cycle_id: uuid.UUID
) -> list[CoachingObservationPublic]:
    """The walkthrough observations linked to the cycle, for whoever reads the cycle."""
    await get_cycle(session, principal, cycle_id)
    return (await observations_of_cycles(session, [cycle_id])).get(cycle_id, [])


async def link_observation(
    session: AsyncSession, principal: Principal, cycle_id: uuid.UUID, data: CoachingObservationCreate
) -> CoachingObservationPublic:
    """Link a walkthrough observation of the teacher's classroom (the teacher or the coach), saying
    whether the support it called for was given. Raises `NotFound` (a cycle or observation not there),
    `ValidationFailed` (another teacher's classroom) and `Conflict` (already linked)."""
    cycle, _ = await _party_cycle(session, principal, cycle_id)
    found = (
        await session.execute(
            select(WalkthroughObservation, Walkthrough)
            .join(Walkthrough, Walkthrough.id == WalkthroughObservation.walkthrough_id)
            .where(
                WalkthroughObservation.id == data.observation_id,
                WalkthroughObservation.district_id == cycle.district_id,
            )
        )
    ).one_or_none()
    if found is None:
        raise NotFound(
            f"No walkthrough observation with id {data.observation_id} in this district.",
            errors=[FieldError(("observation_id",), "Not found in this district.", "not_found")],
        )
    observation, walkthrough = found
    if observation.teacher_person_id != cycle.teacher_person_id:
        raise ValidationFailed(
            "The observation is of another teacher's classroom.",
            errors=[
                FieldError(("observation_id",), "Link observations of the cycle's teacher.", "other_teacher")
            ],
        )
    link = CoachingObservation(
        district_id=cycle.district_id,
        cycle_id=cycle.id,
        observation_id=observation.id,
        support_given=data.support_given,
    )
    session.add(link)
    await flush_or_conflict(session, _LINK_UNIQUE)
    return _public_link(link, observation, walkthrough)


async def _link_for_update(
    session: AsyncSession, principal: Principal, link_id: uuid.UUID
) -> CoachingObservation:
    return await _part_of_cycle(session, principal, CoachingObservation, link_id, what="linked observation")


async def set_support_given(
    session: AsyncSession,
    principal: Principal,
    link_id: uuid.UUID,
    support_given: bool,
    *,
    expected_version: VersionCheck = None,
) -> CoachingObservationPublic:
    """Say whether the support a linked observation called for was given (the teacher or the coach)."""
    link = await _link_for_update(session, principal, link_id)
    check_version(link, expected_version, what="linked observation")
    apply_changes(link, {"support_given": support_given})
    await session.flush()
    rows = (await observations_of_cycles(session, [link.cycle_id]))[link.cycle_id]
    return next(r for r in rows if r.id == link.id)


async def unlink_observation(session: AsyncSession, principal: Principal, link_id: uuid.UUID) -> None:
    link = await _link_for_update(session, principal, link_id)
    await session.delete(link)
    await session.flush()


# --- sharing ----------------------------------------------------------------------------------------


async def list_shares(
    session: AsyncSession, principal: Principal, cycle_id: uuid.UUID
) -> list[CoachingShare]:
    """Whom the teacher shared the cycle with, for whoever reads the cycle."""
    await get_cycle(session, principal, cycle_id)
    stmt = (
        select(CoachingShare)
        .where(CoachingShare.cycle_id == cycle_id)
        .order_by(CoachingShare.created_at, CoachingShare.id)
    )
    return list((await session.execute(stmt)).scalars())


async def share_cycle(
    session: AsyncSession, principal: Principal, cycle_id: uuid.UUID, data: CoachingShareCreate
) -> CoachingShare:
    """The teacher lets a named person of the district read the cycle. Raises `NotFound`,
    `PermissionDenied` (not the teacher), `ValidationFailed` (a party to the cycle already) and
    `Conflict` (already shared, or the period's counts already released)."""
    cycle, _ = await _party_cycle(
        session, principal, cycle_id, teacher_only="Only the teacher shares their coaching cycle."
    )
    released = await session.scalar(select(_released_before(func.now())).where(CoachingCycle.id == cycle.id))
    if released:
        raise Conflict(
            f"The coaching counts of {cycle.period} are released: a reader who read them could subtract "
            "your cycle from them. Cycles of a released period are no longer shared.",
            errors=[FieldError(("person_id",), "The period's counts are released.", "period_released")],
        )
    await referenced_row(session, Person, data.person_id, cycle.district_id, ("person_id",), "person")
    if data.person_id in (cycle.teacher_person_id, cycle.coach_person_id):
        raise ValidationFailed(
            "They are in the cycle already.",
            errors=[FieldError(("person_id",), "Name someone outside the cycle.", "already_party")],
        )
    share = CoachingShare(district_id=cycle.district_id, cycle_id=cycle.id, person_id=data.person_id)
    session.add(share)
    await flush_or_conflict(session, _SHARE_UNIQUE)
    return share


async def unshare_cycle(session: AsyncSession, principal: Principal, share_id: uuid.UUID) -> None:
    """The teacher withdraws a share; `NotFound` for anyone who cannot read the cycle."""
    share = await _part_of_cycle(
        session,
        principal,
        CoachingShare,
        share_id,
        what="coaching share",
        teacher_only="Only the teacher withdraws a share.",
    )
    await session.delete(share)
    await session.flush()


# --- released counts --------------------------------------------------------------------------------


async def compute_release(
    session: AsyncSession, district_id: uuid.UUID, period: str, min_teachers: int
) -> ComputedRelease:
    """Per practice, the period's cycles and distinct teachers, district-wide; a cell is suppressed
    below `min_teachers` teachers. No cell is a sum of others, but
    two cells pooling the same teachers subtract: the release suppresses such pairs
    (`app.releases.service._suppress_overlaps`)."""
    stmt = (
        select(CoachingCycle.practice_id, CoachingCycle.teacher_person_id, func.count())
        .where(CoachingCycle.district_id == district_id, CoachingCycle.period == period)
        .group_by(CoachingCycle.practice_id, CoachingCycle.teacher_person_id)
    )
    groups: dict[uuid.UUID, list[tuple[str, int]]] = defaultdict(list)
    items = 0
    for practice_id, teacher, n in (await session.execute(stmt)).all():
        groups[practice_id].append((str(teacher), n))
        items += n
    cells: dict[str, Any] = {}
    basis: dict[str, Any] = {}
    for practice_id, rows in sorted(groups.items(), key=lambda g: str(g[0])):
        key = str(practice_id)
        hidden = len(rows) < min_teachers
        cells[key] = {
            "practice_id": key,
            "cycles": {"value": None if hidden else sum(n for _, n in rows), "suppressed": hidden},
            "teachers": {"value": None if hidden else len(rows), "suppressed": hidden},
        }
        basis[key] = [[teacher, n] for teacher, n in rows]
    suppressed = sum(1 for c in cells.values() if c["cycles"]["suppressed"])
    return ComputedRelease(
        tables={"cells": cells},
        basis=basis,
        audit={
            "cells": len(cells),
            "suppressed": suppressed,
            "narrowest_interval": None,
            "required_width": min_teachers,
            "safe": True,
        },
        items=items,
    )


async def _known_teachers(session: AsyncSession, principal: Principal) -> frozenset[str]:
    """Teachers whose cycles the caller may read one by one (as teacher, coach or shared reader), or
    once read (a share since withdrawn, a cycle since removed)."""
    person = await practice.own_person_id(session, principal)
    if person is None or principal.district_id is None:
        return frozenset()
    stmt = select(CoachingCycle.teacher_person_id).where(_readable(person, principal.district_id)).distinct()
    read = await teachers_known_by(session, principal.district_id, person, READ_ACTION)
    return frozenset({str(person), *(str(t) for t in await session.scalars(stmt)), *read})


async def coaching_counts(
    session: AsyncSession,
    principal: Principal,
    *,
    period: str | None = None,
    practice_id: uuid.UUID | None = None,
) -> CoachingCounts:
    """Released coaching counts within reach (leaders, coaches, district roles): per practice and
    released period, district-wide, from the latest revision of each release, suppressed as the
    module says. Filters only choose which cells are returned. Raises `PermissionDenied`."""
    district_id = _district_of(principal)
    require(principal, Action.COACHING_AGGREGATE_READ)
    district = await session.get(District, district_id)
    if district is None:
        raise PermissionDenied("Coaching counts belong to a district.")
    released = await latest_revisions(session, district_id, ReleaseSubject.COACHING)
    known = await _known_teachers(session, principal)
    # A teacher's cycles count as items toward no minimum but the number of teachers.
    hidden = hidden_cells(released, known, 0, "cycles")
    cells = []
    for revisions in released:
        release = revisions.latest
        if period is not None and release.period != period:
            continue
        for key, stored in release.tables["cells"].items():
            if practice_id is not None and key != str(practice_id):
                continue
            suppressed = key in hidden[release.period]
            cells.append(
                CoachingCountCell(
                    practice_id=uuid.UUID(key),
                    period=release.period,
                    revision=release.revision,
                    released_at=release.created_at,
                    suppressed=suppressed,
                    cycles=None if suppressed else stored["cycles"]["value"],
                    teachers=None if suppressed else stored["teachers"]["value"],
                )
            )
    cells.sort(key=lambda c: (c.period, str(c.practice_id)))
    return CoachingCounts(min_teachers=district.min_teachers, cells=cells)


# --- where a practice is learned, tried and observed ------------------------------------------------


async def _per_school(session: AsyncSession, stmt: Any) -> list[SchoolCount]:
    return [SchoolCount(school_id=s, count=n) for s, n in (await session.execute(stmt)).all()]


async def practice_footprint(
    session: AsyncSession, principal: Principal, practice_id: uuid.UUID
) -> PracticeFootprint:
    """Where a catalogue practice is being learned (released coaching counts, if the caller reads
    them), tried (PDSA cycles of the plans they read), discussed (PLC meetings they read) and observed
    (walkthroughs they read), per school. A part the caller has no right to is null, never a 403 of
    the whole. Raises `NotFound` (a practice not in the district)."""
    await catalogue.get_practice(session, principal, practice_id)
    try:
        learned = (await coaching_counts(session, principal, practice_id=practice_id)).cells
    except PermissionDenied:
        learned = []
    tried = discussed = observed = None
    try:
        readable = plans._plans_visible(select(Plan.id), principal)
        tried = await _per_school(
            session,
            select(Plan.school_id, func.count())
            .select_from(PdsaCycle)
            .join(Plan, Plan.id == PdsaCycle.plan_id)
            .where(
                PdsaCycle.practice_id == practice_id,
                PdsaCycle.plan_id.in_(readable),
                Plan.school_id.is_not(None),
            )
            .group_by(Plan.school_id),
        )
    except PermissionDenied:
        pass
    with contextlib.suppress(PermissionDenied):
        discussed = await _per_school(
            session,
            practice._plc_visible(select(PlcMeeting.school_id, func.count()), principal)
            .where(PlcMeeting.practice_id == practice_id)
            .group_by(PlcMeeting.school_id),
        )
    with contextlib.suppress(PermissionDenied):
        observed = await _per_school(
            session,
            practice._walkthroughs_visible(select(Walkthrough.school_id, func.count()), principal)
            .where(Walkthrough.practice_id == practice_id)
            .group_by(Walkthrough.school_id),
        )
    return PracticeFootprint(
        practice_id=practice_id, learned=learned, tried=tried, discussed=discussed, observed=observed
    )
