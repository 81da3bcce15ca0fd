"""The rules for monitoring practice: walkthroughs and their observations, PDSA cycles and PLC meetings.
(Student feedback, with its stricter privacy, is `app.practice.feedback`.)

Both transports call these; neither adds rules. Every function takes the session and the principal,
raises `DomainError`s, flushes and never commits.

Who may do what (see `app.auth.permissions`):
- Walkthroughs belong to their school. Its staff read them and their aggregate picture
  (`WALKTHROUGH_READ`); who was observed at which level, and who needs which support, is for leaders
  and coaches (`WALKTHROUGH_DETAIL_READ`); leaders and coaches run them (`WALKTHROUGH_MANAGE`). A
  teacher always reads their own observations, and never another teacher's. Every read of an
  observation (one, a list, the support list, a GraphQL node) is audited as read, in the reader's own
  transaction.
- A walkthrough's summary is published when it is closed (`close_walkthrough`): the level counts are
  computed then, from the classrooms of the school's teachers (an active teacher role there), stored,
  and the observations are locked, so no classroom added, changed or removed after a read can be
  differenced out of two reads. Below the district's minimum of classrooms (three at least) it shows
  no levels; the reader's own classroom never counts toward that minimum for them, since they know
  their own level and could subtract it.
- PDSA cycles belong to a strategy of a plan: whoever reads the plan reads them, whoever authors it
  (`app.plans.service`'s rule) runs them. A decision may propose a revision of an approved plan.
- PLC meetings belong to the teachers in them: the school's teachers and coaches read and record them
  (`PLC_READ`, `PLC_RECORD`); leadership reads only the meetings a PLC shared (`PLC_READ_SHARED`), and
  the roll-up of needs counts only shared meetings, whoever reads it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import column, func, literal, literal_column, select, table, union
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.recorder import record_reads_of_teachers, teachers_read_by
from app.auth.permissions import Action
from app.auth.policy import (
    allowed_schools,
    authorize,
    authorize_on,
    get_scoped,
    get_scoped_many,
    require_authenticated,
    visible,
)
from app.auth.principal import Principal, PrincipalKind
from app.coaching.models import CoachingCycle, CoachingShare
from app.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.core.models import utcnow
from app.core.pagination import Page, PageRequest, paginate, paginate_per_parent
from app.core.repository import (
    VersionCheck,
    apply_changes,
    check_version,
    flush_or_conflict,
    referenced_row,
    where_equal,
    where_given,
)
from app.core.sql import any_of
from app.engagement.models import Activity
from app.identity.models import Person, PersonKind, Role, RoleAssignment, User
from app.initiatives.service import _district_of
from app.plans import service as plans
from app.plans.models import CauseKind, Plan, PlanStatus, Strategy
from app.plans.schemas import MAX_CAUSES, CauseRef, RevisionCreate
from app.practice import catalogue
from app.practice.models import (
    ImplementationLevel,
    PdsaCycle,
    PdsaDecision,
    PlcMeeting,
    SupportNeeded,
    Walkthrough,
    WalkthroughObservation,
)
from app.practice.schemas import (
    LevelShare,
    NeedRollup,
    ObservationCreate,
    ObservationUpdate,
    PdsaCycleCreate,
    PdsaCycleUpdate,
    PdsaDecisionCreate,
    PlcMeetingCreate,
    PlcMeetingUpdate,
    PlcNeeds,
    SupportEntry,
    SupportGroup,
    WalkthroughCreate,
    WalkthroughSummary,
    WalkthroughTrend,
    WalkthroughUpdate,
    WhoNeedsSupport,
)
from app.releases.computed import overlapping
from app.tenancy.models import District, School

OBSERVATION_READ = "walkthrough_observation.read"
# `app.coaching.service.READ_ACTION`, which imports this module: a cycle read names its teacher.
CYCLE_READ = "coaching_cycle.read"
_DEVELOPING_OR_ABOVE = frozenset({ImplementationLevel.DEVELOPING, ImplementationLevel.PROFICIENT})

_OBSERVATION_UNIQUE = {
    "uq_walkthrough_observation_walkthrough_id_teacher_person_id": (
        "teacher_person_id",
        "This teacher's classroom is already recorded in the walkthrough.",
    )
}


# --- who the principal is ---------------------------------------------------------------------------


def own_person(principal: Principal) -> Any:
    """The principal's person, as a scalar subquery (NULL for API clients and the operator, so a
    comparison with it matches nothing)."""
    if principal.kind is not PrincipalKind.USER or principal.id is None:
        return select(User.person_id).where(False).scalar_subquery()
    return select(User.person_id).where(User.id == principal.id).scalar_subquery()


async def own_person_id(session: AsyncSession, principal: Principal) -> uuid.UUID | None:
    """The principal's person id; None for API clients and the operator."""
    if principal.kind is not PrincipalKind.USER or principal.id is None:
        return None
    return await session.scalar(select(User.person_id).where(User.id == principal.id))


async def require_person(session: AsyncSession, principal: Principal, why: str) -> uuid.UUID:
    """The principal's person id; `Unauthenticated` without a token, `PermissionDenied` for callers who
    are not a person."""
    require_authenticated(principal)
    person_id = await own_person_id(session, principal)
    if person_id is None:
        raise PermissionDenied(why)
    return person_id


# --- shared helpers ---------------------------------------------------------------------------------


async def _staff_member(
    session: AsyncSession, district_id: uuid.UUID, person_id: uuid.UUID, field: str
) -> Person:
    person = await referenced_row(session, Person, person_id, district_id, (field,), "person")
    if person.kind is not PersonKind.STAFF:
        raise ValidationFailed(
            "Only staff teach classes.",
            errors=[FieldError((field,), "Name a member of staff.", "not_staff")],
        )
    return person


# The roster's tables belong to the SIS area, which builds on this one: the two columns this rule needs
# are named here rather than importing its models.
_ENROLLMENT = table(
    "enrollment", column("person_id"), column("section_id"), column("role"), column("deleted_at")
)
_SECTION = table("section", column("id"), column("school_id"), column("deleted_at"))


def teachers_of_school(school_id: Any) -> Any:
    """The people who count as teachers of a school toward a privacy minimum: an active login holding
    the teacher role there, or a teacher the SIS rosters in a live class of the school. Never people
    an admin or an integration made up with neither, so invented staff cannot pad a small group until
    it shows."""
    by_role = (
        select(User.person_id)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.school_id == school_id,
            RoleAssignment.role == Role.TEACHER,
            User.is_active.is_(True),
        )
    )
    by_roster = (
        select(_ENROLLMENT.c.person_id)
        .join(_SECTION, _SECTION.c.id == _ENROLLMENT.c.section_id)
        .where(
            _SECTION.c.school_id == school_id,
            _SECTION.c.deleted_at.is_(None),
            _ENROLLMENT.c.deleted_at.is_(None),
            _ENROLLMENT.c.role == literal_column("'teacher'"),
        )
    )
    return union(by_role, by_roster)


async def is_teacher_of(session: AsyncSession, person_id: uuid.UUID, school_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(literal(person_id).in_(teachers_of_school(school_id)))))


async def _all(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.execute(stmt)).scalars())


# --- walkthroughs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WalkthroughFilter:
    school_id: uuid.UUID | None = None
    plan_id: uuid.UUID | None = None
    practice: str | None = None


def _walkthroughs_visible(stmt: Any, principal: Principal) -> Any:
    """Walkthroughs of the schools where the principal reads walkthroughs (a teacher's own observations
    are readable wherever they are: see `_observations_visible`)."""
    return visible(stmt, Walkthrough, principal, Action.WALKTHROUGH_READ)


async def list_walkthroughs(
    session: AsyncSession, principal: Principal, page: PageRequest, filters: WalkthroughFilter
) -> Page[Walkthrough]:
    """The walkthroughs of the schools where the principal reads walkthroughs, oldest first, narrowed by
    `filters` (a practice matches whatever its case)."""
    stmt = _walkthroughs_visible(select(Walkthrough), principal)
    stmt = where_equal(stmt, Walkthrough, filters, "school_id", "plan_id")
    if filters.practice is not None:
        stmt = stmt.where(func.lower(Walkthrough.practice) == filters.practice.strip().lower())
    return await paginate(session, stmt, Walkthrough, page)


async def get_walkthrough(
    session: AsyncSession, principal: Principal, walkthrough_id: uuid.UUID, *, lock: bool = False
) -> Walkthrough:
    """The walkthrough; `NotFound` when it is not there for the principal."""
    scope = lambda stmt: _walkthroughs_visible(stmt, principal)  # noqa: E731
    return await get_scoped(session, principal, Walkthrough, walkthrough_id, "walkthrough", scope, lock=lock)


async def walkthroughs_by_id(
    session: AsyncSession, principal: Principal, walkthrough_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Walkthrough]:
    return await get_scoped_many(
        session, principal, Walkthrough, walkthrough_ids, lambda stmt: _walkthroughs_visible(stmt, principal)
    )


async def _walkthrough_for_update(
    session: AsyncSession, principal: Principal, walkthrough_id: uuid.UUID
) -> Walkthrough:
    walkthrough = await get_walkthrough(session, principal, walkthrough_id, lock=True)
    authorize_on(principal, Action.WALKTHROUGH_MANAGE, walkthrough)
    return walkthrough


async def _check_walkthrough_links(
    session: AsyncSession,
    district_id: uuid.UUID,
    school_id: uuid.UUID,
    fields: dict[str, Any],
    keep_practice: uuid.UUID | None = None,
) -> None:
    """The observer, plan, professional learning and practice a walkthrough names are of its district;
    a school plan or activity is of its school."""
    await catalogue.check_practice(session, district_id, fields.get("practice_id"), unchanged=keep_practice)
    if fields.get("observer_person_id") is not None:
        await referenced_row(
            session, Person, fields["observer_person_id"], district_id, ("observer_person_id",), "person"
        )
    for field, model, what in (("plan_id", Plan, "plan"), ("activity_id", Activity, "activity")):
        if fields.get(field) is None:
            continue
        row = await referenced_row(session, model, fields[field], district_id, (field,), what)
        if row.school_id is not None and row.school_id != school_id:
            raise ValidationFailed(
                f"The {what} belongs to another school.",
                errors=[
                    FieldError((field,), f"Name a {what} of the walkthrough's school.", "school_mismatch")
                ],
            )


async def create_walkthrough(
    session: AsyncSession, principal: Principal, data: WalkthroughCreate
) -> Walkthrough:
    """Record a walkthrough at a school. The observer defaults to the caller.

    Raises `PermissionDenied` (not a leader or coach there), `NotFound` (a school, person, plan or
    activity not in the district, named by field) and `ValidationFailed` (a plan or activity of
    another school).
    """
    district_id = _district_of(principal)
    await referenced_row(session, School, data.school_id, district_id, ("school_id",), "school")
    authorize(principal, Action.WALKTHROUGH_MANAGE, district_id=district_id, school_id=data.school_id)
    fields = data.model_dump()
    await _check_walkthrough_links(session, district_id, data.school_id, fields)
    if fields["observer_person_id"] is None:
        fields["observer_person_id"] = await own_person_id(session, principal)
    walkthrough = Walkthrough(district_id=district_id, **fields)
    session.add(walkthrough)
    await session.flush()
    return walkthrough


async def update_walkthrough(
    session: AsyncSession,
    principal: Principal,
    walkthrough_id: uuid.UUID,
    data: WalkthroughUpdate,
    *,
    expected_version: VersionCheck = None,
) -> Walkthrough:
    """Change a walkthrough (not its school). Raises `NotFound`, `PermissionDenied`, `StaleVersion` and
    `ValidationFailed`."""
    walkthrough = await _walkthrough_for_update(session, principal, walkthrough_id)
    check_version(walkthrough, expected_version, what="walkthrough")
    changes = data.changes()
    await _check_walkthrough_links(
        session, walkthrough.district_id, walkthrough.school_id, changes, walkthrough.practice_id
    )
    apply_changes(walkthrough, changes)
    await session.flush()
    return walkthrough


async def remove_walkthrough(session: AsyncSession, principal: Principal, walkthrough_id: uuid.UUID) -> None:
    """Remove a walkthrough with its observations."""
    walkthrough = await _walkthrough_for_update(session, principal, walkthrough_id)
    await session.delete(walkthrough)
    await session.flush()


# --- observations -----------------------------------------------------------------------------------


async def _record_observation_reads(session: AsyncSession, principal: Principal, rows: list[Any]) -> None:
    """One `walkthrough_observation.read` audit event per observation read, flushed now: if the record
    cannot be written, the read fails with it. The event names whose classroom was read, never what
    was seen in it."""
    if not rows:
        return
    reader = await own_person_id(session, principal)
    await record_reads_of_teachers(
        session,
        principal,
        OBSERVATION_READ,
        "walkthrough_observation",
        rows,
        lambda row: "own" if row.teacher_person_id == reader else "leadership",
    )


def _observations_visible(stmt: Any, principal: Principal) -> Any:
    """`stmt` over observations, joined to their walkthrough and narrowed to those the principal may read
    one by one: every observation where it reads walkthrough detail, and its own."""
    stmt = stmt.join(Walkthrough, Walkthrough.id == WalkthroughObservation.walkthrough_id)
    mine = None
    if principal.kind is PrincipalKind.USER:
        mine = WalkthroughObservation.teacher_person_id == own_person(principal)
    return visible(stmt, Walkthrough, principal, Action.WALKTHROUGH_DETAIL_READ, also=mine)


async def list_observations(
    session: AsyncSession,
    principal: Principal,
    walkthrough_id: uuid.UUID,
    page: PageRequest,
    *,
    teacher_person_id: uuid.UUID | None = None,
) -> Page[WalkthroughObservation]:
    """The walkthrough's observations the principal may read: all of them for leaders and coaches, a
    teacher's own for a teacher (another teacher's never, whatever the filter)."""
    await get_walkthrough(session, principal, walkthrough_id)
    stmt = _observations_visible(select(WalkthroughObservation), principal).where(
        WalkthroughObservation.walkthrough_id == walkthrough_id
    )
    stmt = where_given(stmt, WalkthroughObservation, teacher_person_id=teacher_person_id)
    result = await paginate(session, stmt, WalkthroughObservation, page)
    await _record_observation_reads(session, principal, result.items)
    return result


async def observations_of_walkthroughs(
    session: AsyncSession,
    principal: Principal,
    walkthrough_ids: list[uuid.UUID],
    page: PageRequest,
    *,
    teacher_person_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, Page[WalkthroughObservation]]:
    """A page of readable observations per walkthrough (a DataLoader batch), only one teacher's
    classroom when `teacher_person_id` is given (as `list_observations`)."""
    readable = list(await walkthroughs_by_id(session, principal, walkthrough_ids))
    stmt = _observations_visible(select(WalkthroughObservation), principal)
    stmt = where_given(stmt, WalkthroughObservation, teacher_person_id=teacher_person_id)
    pages = await paginate_per_parent(
        session,
        stmt,
        WalkthroughObservation,
        WalkthroughObservation.walkthrough_id,
        readable,
        page,
        answer_for=walkthrough_ids,
    )
    await _record_observation_reads(session, principal, [row for p in pages.values() for row in p.items])
    return pages


async def list_my_observations(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> Page[WalkthroughObservation]:
    """The caller's own observations, across every walkthrough that observed their classroom."""
    person_id = await require_person(session, principal, "Observations are of people's classrooms.")
    stmt = select(WalkthroughObservation).where(
        WalkthroughObservation.teacher_person_id == person_id,
        WalkthroughObservation.district_id == principal.district_id,
    )
    result = await paginate(session, stmt, WalkthroughObservation, page)
    await _record_observation_reads(session, principal, result.items)
    return result


async def get_observation(
    session: AsyncSession, principal: Principal, observation_id: uuid.UUID, *, lock: bool = False
) -> WalkthroughObservation:
    """One observation, to leaders and coaches of its school and to the teacher observed; anyone else
    gets `NotFound`, as for an id that does not exist."""
    scope = lambda stmt: _observations_visible(stmt, principal)  # noqa: E731
    observation = await get_scoped(
        session, principal, WalkthroughObservation, observation_id, "observation", scope, lock=lock
    )
    await _record_observation_reads(session, principal, [observation])
    return observation


async def observations_by_id(
    session: AsyncSession, principal: Principal, observation_ids: list[uuid.UUID]
) -> dict[uuid.UUID, WalkthroughObservation]:
    scope = lambda stmt: _observations_visible(stmt, principal)  # noqa: E731
    found = await get_scoped_many(session, principal, WalkthroughObservation, observation_ids, scope)
    await _record_observation_reads(session, principal, list(found.values()))
    return found


async def add_observation(
    session: AsyncSession, principal: Principal, walkthrough_id: uuid.UUID, data: ObservationCreate
) -> WalkthroughObservation:
    """Record one classroom: whose (a member of staff), the level, the support that would help. Each
    teacher's classroom is recorded once per walkthrough (again: `Conflict`)."""
    walkthrough = await _walkthrough_for_update(session, principal, walkthrough_id)
    _require_open_walkthrough(walkthrough)
    await _staff_member(session, walkthrough.district_id, data.teacher_person_id, "teacher_person_id")
    observation = WalkthroughObservation(
        district_id=walkthrough.district_id, walkthrough_id=walkthrough.id, **data.model_dump()
    )
    session.add(observation)
    await flush_or_conflict(session, _OBSERVATION_UNIQUE)
    return observation


async def _observation_for_update(
    session: AsyncSession, principal: Principal, observation_id: uuid.UUID
) -> WalkthroughObservation:
    observation = await get_scoped(
        session,
        principal,
        WalkthroughObservation,
        observation_id,
        "observation",
        lambda stmt: _observations_visible(stmt, principal),
        lock=True,
    )
    try:
        walkthrough = await _walkthrough_for_update(session, principal, observation.walkthrough_id)
    except NotFound:
        raise NotFound(f"No observation with id {observation_id}.") from None
    _require_open_walkthrough(walkthrough)
    return observation


def _require_open_walkthrough(walkthrough: Walkthrough) -> None:
    if walkthrough.closed_at is not None:
        raise Conflict(
            "The walkthrough is closed and its summary published: its classrooms no longer change."
        )


async def close_walkthrough(
    session: AsyncSession, principal: Principal, walkthrough_id: uuid.UUID
) -> Walkthrough:
    """Close a walkthrough: its summary is computed from the classrooms of the school's teachers,
    stored and published, and its observations are locked. Closing twice changes nothing. Raises
    `NotFound` and `PermissionDenied` (not a leader or coach of the school)."""
    walkthrough = await _walkthrough_for_update(session, principal, walkthrough_id)
    if walkthrough.closed_at is not None:
        return walkthrough
    stmt = select(WalkthroughObservation.teacher_person_id, WalkthroughObservation.level).where(
        WalkthroughObservation.walkthrough_id == walkthrough.id,
        WalkthroughObservation.teacher_person_id.in_(teachers_of_school(walkthrough.school_id)),
    )
    counted = (await session.execute(stmt)).all()
    counts: dict[str, int] = defaultdict(int)
    for _, level in counted:
        counts[level.value] += 1
    walkthrough.released_summary = {
        "counts": dict(counts),
        "teachers": sorted(str(teacher) for teacher, _ in counted),
    }
    walkthrough.closed_at = utcnow()
    await session.flush()
    return walkthrough


async def update_observation(
    session: AsyncSession,
    principal: Principal,
    observation_id: uuid.UUID,
    data: ObservationUpdate,
    *,
    expected_version: VersionCheck = None,
) -> WalkthroughObservation:
    observation = await _observation_for_update(session, principal, observation_id)
    check_version(observation, expected_version, what="observation")
    apply_changes(observation, data.changes())
    await session.flush()
    return observation


async def remove_observation(session: AsyncSession, principal: Principal, observation_id: uuid.UUID) -> None:
    observation = await _observation_for_update(session, principal, observation_id)
    await session.delete(observation)
    await session.flush()


# --- the walkthrough picture ------------------------------------------------------------------------


def _summary(
    walkthrough: Walkthrough,
    observed: int,
    known: frozenset[str],
    min_classrooms: int,
    overlapped: frozenset[uuid.UUID] = frozenset(),
) -> WalkthroughSummary:
    released = walkthrough.released_summary if walkthrough.closed_at is not None else None
    if released is None:
        counts: dict[str, int] = {}
        total = observed
        suppressed = True
    else:
        counts = released["counts"]
        total = sum(counts.values())
        # Classrooms the reader knows one by one (their own, a colleague's they read) do not help
        # hide the others from them.
        others = total - sum(1 for teacher in released["teachers"] if teacher in known)
        suppressed = others < min_classrooms or walkthrough.id in overlapped
    levels = [
        LevelShare(
            level=level,
            classrooms=None if suppressed else counts.get(level.value, 0),
            share=None if suppressed else round(counts.get(level.value, 0) / total, 4),
        )
        for level in ImplementationLevel
    ]
    implementing = sum(counts.get(level.value, 0) for level in _DEVELOPING_OR_ABOVE)
    return WalkthroughSummary(
        walkthrough_id=walkthrough.id,
        school_id=walkthrough.school_id,
        practice=walkthrough.practice,
        observed_on=walkthrough.observed_on,
        closed=walkthrough.closed_at is not None,
        classrooms=total,
        suppressed=suppressed,
        levels=levels,
        developing_or_above=None if suppressed else round(implementing / total, 4),
    )


async def summaries_of(
    session: AsyncSession, principal: Principal, walkthroughs: list[Any]
) -> list[WalkthroughSummary]:
    """The summary of each walkthrough as `principal` may see it; the caller has checked it may read
    them. Open walkthroughs show how many classrooms were observed so far, and no levels."""
    observed: dict[uuid.UUID, int] = {}
    open_ids = [w.id for w in walkthroughs if w.closed_at is None]
    if open_ids:
        stmt = (
            select(WalkthroughObservation.walkthrough_id, func.count())
            .where(any_of(WalkthroughObservation.walkthrough_id, open_ids))
            .group_by(WalkthroughObservation.walkthrough_id)
        )
        observed = dict((await session.execute(stmt)).all())
    reader, min_classrooms = None, 3
    if walkthroughs:
        # The reader's person and the district's minimum, in one statement.
        row = (
            await session.execute(
                select(own_person(principal), District.min_classrooms).where(
                    District.id == walkthroughs[0].district_id
                )
            )
        ).one_or_none()
        if row is not None:
            reader, min_classrooms = row
    own = frozenset({str(reader)}) if reader is not None else frozenset()
    detail = allowed_schools(principal, Action.WALKTHROUGH_DETAIL_READ)
    known = own
    if reader is not None and any(
        w.closed_at is not None and detail is not None and w.school_id not in detail for w in walkthroughs
    ):
        known = own | await _classrooms_known_to(session, walkthroughs[0].district_id, reader)
    # Without the right to every classroom, two walkthroughs of a practice at a school whose
    # classrooms differ by fewer than the minimum are one summary too many (see `_overlapped`).
    counted = [
        w
        for w in walkthroughs
        if w.closed_at is not None and detail is not None and w.school_id not in detail
    ]
    overlapped = await _overlapped(session, counted, known, min_classrooms) if counted else frozenset()
    return [
        _summary(
            w,
            observed.get(w.id, 0),
            own if detail is None or w.school_id in detail else known,
            min_classrooms,
            overlapped,
        )
        for w in walkthroughs
    ]


async def _overlapped(
    session: AsyncSession, walkthroughs: list[Walkthrough], known: frozenset[str], min_classrooms: int
) -> frozenset[uuid.UUID]:
    """Which of `walkthroughs` (closed) hide from a reader who knows the classrooms `known` because
    an earlier closed walkthrough of the same practice at the same school counted classrooms that
    differ from theirs by fewer than `min_classrooms`, less those known ({a,b,c} then {a,b,c,d}: the
    two summaries' difference is d's level). Each school's walkthroughs of a practice, whatever its
    case and whenever, in the order they closed: a summary shown stays shown when a later one
    closes, and the later one hides (`app.releases.computed.overlapping`, the rule feedback and
    coaching releases apply across their cells). Whether a walkthrough hides from this reader for
    its own classrooms is `_summary`'s; one statement for the whole batch."""
    schools = {w.school_id for w in walkthroughs}
    practices = {w.practice.lower() for w in walkthroughs}
    stmt = (
        select(Walkthrough.id, Walkthrough.school_id, Walkthrough.practice, Walkthrough.released_summary)
        .where(
            Walkthrough.district_id == walkthroughs[0].district_id,
            any_of(Walkthrough.school_id, list(schools)),
            func.lower(Walkthrough.practice).in_(practices),
            Walkthrough.closed_at.is_not(None),
        )
        .order_by(Walkthrough.closed_at, Walkthrough.id)
    )
    groups: dict[tuple[uuid.UUID, str], list[str]] = defaultdict(list)
    basis: dict[str, list[list[Any]]] = {}
    for row in (await session.execute(stmt)).all():
        teachers = (row.released_summary or {}).get("teachers", [])
        # Walkthroughs too small to show for a reader who knows nobody never were shown.
        if len(teachers) < min_classrooms:
            continue
        basis[str(row.id)] = [[teacher, 0] for teacher in teachers]
        groups[(row.school_id, row.practice.lower())].append(str(row.id))
    hidden: set[str] = set()
    for keys in groups.values():
        hidden |= overlapping(basis, keys, known, min_classrooms, 0)
    return frozenset(uuid.UUID(key) for key in hidden)


async def _classrooms_known_to(
    session: AsyncSession, district_id: uuid.UUID, person: uuid.UUID
) -> frozenset[str]:
    """Teachers whose walkthrough levels `person` may read, or once read, one by one without the
    right to every observation of the school: the teachers of coaching cycles they coach or were
    shared (a cycle carries its teacher's linked observations), and every teacher whose observation
    or cycle they read (the audit trail's read events: a share withdrawn since is not forgotten).
    Readers with that right (leaders, coaches of the school) read every classroom anyway."""
    cycles = select(CoachingCycle.teacher_person_id).where(
        CoachingCycle.district_id == district_id,
        (CoachingCycle.coach_person_id == person)
        | CoachingCycle.id.in_(select(CoachingShare.cycle_id).where(CoachingShare.person_id == person)),
    )
    readable = {str(teacher) for teacher in await session.scalars(cycles)}
    read = await teachers_read_by(session, district_id, person, OBSERVATION_READ, CYCLE_READ)
    return frozenset(readable | read)


async def walkthrough_summary(
    session: AsyncSession, principal: Principal, walkthrough_id: uuid.UUID
) -> WalkthroughSummary:
    """The share of classrooms at each level, once the walkthrough is closed, for whoever reads it.
    Suppressed (levels null) while open, and below the district's minimum of classrooms not counting
    the reader's own."""
    walkthrough = await get_walkthrough(session, principal, walkthrough_id)
    (summary,) = await summaries_of(session, principal, [walkthrough])
    return summary


async def walkthrough_summaries(
    session: AsyncSession, principal: Principal, walkthrough_ids: list[uuid.UUID]
) -> dict[uuid.UUID, WalkthroughSummary]:
    """Summaries of the readable walkthroughs among `walkthrough_ids` (a DataLoader batch; the plan
    dashboard's "latest walkthrough level")."""
    readable = await walkthroughs_by_id(session, principal, walkthrough_ids)
    return {s.walkthrough_id: s for s in await summaries_of(session, principal, list(readable.values()))}


async def walkthrough_trend(
    session: AsyncSession, principal: Principal, walkthrough_id: uuid.UUID
) -> WalkthroughTrend:
    """Every readable walkthrough of the same practice (whatever its case) at the same school, oldest
    first, each with its summary."""
    walkthrough = await get_walkthrough(session, principal, walkthrough_id)
    stmt = _walkthroughs_visible(select(Walkthrough), principal).where(
        Walkthrough.school_id == walkthrough.school_id,
        func.lower(Walkthrough.practice) == walkthrough.practice.lower(),
    )
    same = await _all(session, stmt.order_by(Walkthrough.observed_on, Walkthrough.created_at, Walkthrough.id))
    return WalkthroughTrend(
        school_id=walkthrough.school_id,
        practice=walkthrough.practice,
        walkthroughs=await summaries_of(session, principal, same),
    )


async def who_needs_support(
    session: AsyncSession, principal: Principal, walkthrough_id: uuid.UUID
) -> WhoNeedsSupport:
    """Who needs which support after the walkthrough (coaching, PLC, feedback), by name. For leaders and
    coaches of the school (`PermissionDenied` for other readers of the walkthrough)."""
    walkthrough = await get_walkthrough(session, principal, walkthrough_id)
    authorize_on(principal, Action.WALKTHROUGH_DETAIL_READ, walkthrough)
    stmt = (
        select(WalkthroughObservation, Person.display_name)
        .join(Person, Person.id == WalkthroughObservation.teacher_person_id)
        .where(
            WalkthroughObservation.walkthrough_id == walkthrough.id,
            WalkthroughObservation.support != SupportNeeded.NONE,
        )
        .order_by(Person.display_name, WalkthroughObservation.id)
    )
    groups: dict[SupportNeeded, list[SupportEntry]] = defaultdict(list)
    rows = (await session.execute(stmt)).all()
    await _record_observation_reads(session, principal, [observation for observation, _ in rows])
    for observation, name in rows:
        groups[observation.support].append(
            SupportEntry(
                observation_id=observation.id,
                teacher_person_id=observation.teacher_person_id,
                teacher_name=name,
                level=observation.level,
                note=observation.note,
            )
        )
    return WhoNeedsSupport(
        walkthrough_id=walkthrough.id,
        groups=[SupportGroup(support=s, teachers=groups[s]) for s in SupportNeeded if groups.get(s)],
    )


# --- PDSA cycles ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PdsaFilter:
    plan_id: uuid.UUID | None = None
    strategy_id: uuid.UUID | None = None
    decision: PdsaDecision | None = None


async def list_pdsa_cycles(
    session: AsyncSession, principal: Principal, page: PageRequest, filters: PdsaFilter
) -> Page[PdsaCycle]:
    """The PDSA cycles of the plans the principal may read, oldest first. A plan or strategy named in
    `filters` must be readable (`NotFound` otherwise)."""
    if filters.plan_id is not None:
        await plans.get_plan(session, principal, filters.plan_id)
    if filters.strategy_id is not None:
        await plans._plan_child(session, principal, Strategy, filters.strategy_id, "strategy", lock=False)
    readable = plans._plans_visible(select(Plan.id), principal)
    stmt = select(PdsaCycle).where(PdsaCycle.plan_id.in_(readable))
    stmt = where_equal(stmt, PdsaCycle, filters, "plan_id", "strategy_id", "decision")
    return await paginate(session, stmt, PdsaCycle, page)


async def get_pdsa_cycle(
    session: AsyncSession, principal: Principal, cycle_id: uuid.UUID, *, lock: bool = False
) -> PdsaCycle:
    """The cycle, for whoever reads its plan; `NotFound` otherwise."""
    cycle, _ = await plans._plan_child(session, principal, PdsaCycle, cycle_id, "PDSA cycle", lock=lock)
    return cycle


async def pdsa_cycles_by_id(
    session: AsyncSession, principal: Principal, cycle_ids: list[uuid.UUID]
) -> dict[uuid.UUID, PdsaCycle]:
    rows = await _all(
        session,
        select(PdsaCycle).where(
            any_of(PdsaCycle.id, cycle_ids), PdsaCycle.district_id == principal.district_id
        ),
    )
    if not rows:
        return {}
    readable = await plans.plans_by_id(session, principal, list({c.plan_id for c in rows}))
    return {c.id: c for c in rows if c.plan_id in readable}


async def _cycle_for_edit(
    session: AsyncSession, principal: Principal, cycle_id: uuid.UUID
) -> tuple[PdsaCycle, Plan]:
    cycle, plan = await plans._plan_child(session, principal, PdsaCycle, cycle_id, "PDSA cycle")
    await plans.authorize_pdsa(session, principal, plan)
    return cycle, plan


def _require_open(cycle: PdsaCycle) -> None:
    if cycle.decision is not None:
        raise Conflict(f"The cycle was decided ({cycle.decision.value}); its record stays as it was.")


async def create_pdsa_cycle(
    session: AsyncSession, principal: Principal, strategy_id: uuid.UUID, data: PdsaCycleCreate
) -> PdsaCycle:
    """Start a PDSA cycle on a strategy: its question, prediction and plan. For the plan's authors
    (its lead and co-authors, or leaders in reach); not on a closed plan (`Conflict`)."""
    strategy, plan = await plans._plan_child(
        session, principal, Strategy, strategy_id, "strategy", lock=False
    )
    await plans.authorize_pdsa(session, principal, plan)
    if plan.status is PlanStatus.CLOSED:
        raise Conflict("The plan is closed; it no longer changes.")
    await catalogue.check_practice(session, plan.district_id, data.practice_id)
    cycle = PdsaCycle(
        district_id=plan.district_id, plan_id=plan.id, strategy_id=strategy.id, **data.model_dump()
    )
    session.add(cycle)
    await session.flush()
    return cycle


async def update_pdsa_cycle(
    session: AsyncSession,
    principal: Principal,
    cycle_id: uuid.UUID,
    data: PdsaCycleUpdate,
    *,
    expected_version: VersionCheck = None,
) -> PdsaCycle:
    """Record what was done and the results, or change the plan of the cycle. The question and the
    prediction stay as written once results are in (a prediction rewritten after the fact teaches
    nothing); a decided cycle no longer changes (`Conflict` for both)."""
    cycle, _ = await _cycle_for_edit(session, principal, cycle_id)
    check_version(cycle, expected_version, what="PDSA cycle")
    _require_open(cycle)
    changes = data.changes()
    if "practice_id" in changes:
        await catalogue.check_practice(
            session, cycle.district_id, changes["practice_id"], unchanged=cycle.practice_id
        )
    frozen = [f for f in ("question", "prediction") if f in changes and changes[f] != getattr(cycle, f)]
    if cycle.results is not None and frozen:
        raise Conflict(
            "The results are in: the question and prediction stay as they were written.",
            errors=[
                FieldError((f,), "Written before the results; not changed after.", "frozen") for f in frozen
            ],
        )
    apply_changes(cycle, changes)
    await session.flush()
    return cycle


async def decide_pdsa_cycle(
    session: AsyncSession,
    principal: Principal,
    cycle_id: uuid.UUID,
    data: PdsaDecisionCreate,
    *,
    expected_version: VersionCheck = None,
) -> PdsaCycle:
    """Act on what the cycle showed: adopt, adapt or abandon. A decision needs results (recorded before,
    or given with it) and is made once (`Conflict` after). With `revision`, it proposes a revision of
    the plan (`app.plans.service.propose_revision`: the plan must be approved or active, or `Conflict`)
    and the cycle keeps its id."""
    cycle, plan = await _cycle_for_edit(session, principal, cycle_id)
    check_version(cycle, expected_version, what="PDSA cycle")
    _require_open(cycle)
    results = data.results or cycle.results
    if results is None:
        raise ValidationFailed(
            "Record the results before deciding: the decision acts on what the cycle showed.",
            errors=[FieldError(("results",), "Required before a decision.", "results_required")],
        )
    changes: dict[str, Any] = {
        "results": results,
        "decision": data.decision,
        "decided_on": data.decided_on or utcnow().date(),
    }
    if data.revision is not None:
        reason = data.revision.reason or f"PDSA cycle ({data.decision.value}): {cycle.question}"[:20_000]
        # The cycle is the cause of what it proposes: cited whether or not the caller listed it.
        causes = list(data.revision.caused_by)
        cited = any(c.kind is CauseKind.PDSA_CYCLE and c.id == cycle.id for c in causes)
        if not cited and len(causes) < MAX_CAUSES:
            causes.append(CauseRef(kind=CauseKind.PDSA_CYCLE, id=cycle.id))
        proposal = RevisionCreate(reason=reason, changes=data.revision.changes, caused_by=causes)
        try:
            view = await plans.propose_revision(session, principal, plan.id, proposal)
        except ValidationFailed as exc:
            raise ValidationFailed(
                exc.detail, errors=[FieldError(("revision", *e.path), e.message, e.code) for e in exc.errors]
            ) from exc
        except NotFound as exc:
            if not exc.errors:
                raise
            raise NotFound(
                exc.detail, errors=[FieldError(("revision", *e.path), e.message, e.code) for e in exc.errors]
            ) from exc
        changes["revision_id"] = view.revision.id
    apply_changes(cycle, changes)
    await session.flush()
    return cycle


async def remove_pdsa_cycle(session: AsyncSession, principal: Principal, cycle_id: uuid.UUID) -> None:
    """Remove a cycle. A revision it proposed stays with the plan."""
    cycle, _ = await _cycle_for_edit(session, principal, cycle_id)
    await session.delete(cycle)
    await session.flush()


# --- PLC meetings -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlcFilter:
    school_id: uuid.UUID | None = None
    team: str | None = None
    shared_with_leadership: bool | None = None
    need: str | None = None


def _plc_visible(stmt: Any, principal: Principal) -> Any:
    """PLC meetings the principal may read: all of a school's, for its teachers and coaches; the shared
    ones, for its leadership. A principal with neither right gets `PermissionDenied`."""
    try:
        shared = visible(select(PlcMeeting.id), PlcMeeting, principal, Action.PLC_READ_SHARED).where(
            PlcMeeting.shared_with_leadership.is_(True)
        )
    except PermissionDenied as no_right:
        try:
            return visible(stmt, PlcMeeting, principal, Action.PLC_READ)
        except PermissionDenied:
            raise no_right from None
    return visible(stmt, PlcMeeting, principal, Action.PLC_READ, also=PlcMeeting.id.in_(shared))


async def list_plc_meetings(
    session: AsyncSession, principal: Principal, page: PageRequest, filters: PlcFilter
) -> Page[PlcMeeting]:
    """The PLC meetings the principal may read, oldest first, narrowed by `filters` (a team matches
    whatever its case; `need` is one tag)."""
    stmt = _plc_visible(select(PlcMeeting), principal)
    if filters.school_id is not None:
        stmt = stmt.where(PlcMeeting.school_id == filters.school_id)
    if filters.team is not None:
        stmt = stmt.where(func.lower(PlcMeeting.team) == filters.team.strip().lower())
    if filters.shared_with_leadership is not None:
        stmt = stmt.where(PlcMeeting.shared_with_leadership.is_(filters.shared_with_leadership))
    if filters.need is not None:
        stmt = stmt.where(PlcMeeting.needs.contains([" ".join(filters.need.lower().split())]))
    return await paginate(session, stmt, PlcMeeting, page)


async def get_plc_meeting(
    session: AsyncSession, principal: Principal, meeting_id: uuid.UUID, *, lock: bool = False
) -> PlcMeeting:
    """The meeting; `NotFound` when it is not there for the principal (for leadership: not shared)."""
    scope = lambda stmt: _plc_visible(stmt, principal)  # noqa: E731
    return await get_scoped(session, principal, PlcMeeting, meeting_id, "PLC meeting", scope, lock=lock)


async def plc_meetings_by_id(
    session: AsyncSession, principal: Principal, meeting_ids: list[uuid.UUID]
) -> dict[uuid.UUID, PlcMeeting]:
    return await get_scoped_many(
        session, principal, PlcMeeting, meeting_ids, lambda stmt: _plc_visible(stmt, principal)
    )


async def create_plc_meeting(
    session: AsyncSession, principal: Principal, data: PlcMeetingCreate
) -> PlcMeeting:
    """Record a PLC meeting at a school (its teachers and coaches). Not shared with leadership unless
    the PLC says so."""
    district_id = _district_of(principal)
    await referenced_row(session, School, data.school_id, district_id, ("school_id",), "school")
    authorize(principal, Action.PLC_RECORD, district_id=district_id, school_id=data.school_id)
    await catalogue.check_practice(session, district_id, data.practice_id)
    meeting = PlcMeeting(district_id=district_id, **data.model_dump())
    session.add(meeting)
    await session.flush()
    return meeting


async def _meeting_for_update(
    session: AsyncSession, principal: Principal, meeting_id: uuid.UUID
) -> PlcMeeting:
    meeting = await get_plc_meeting(session, principal, meeting_id, lock=True)
    authorize_on(principal, Action.PLC_RECORD, meeting)
    return meeting


async def update_plc_meeting(
    session: AsyncSession,
    principal: Principal,
    meeting_id: uuid.UUID,
    data: PlcMeetingUpdate,
    *,
    expected_version: VersionCheck = None,
) -> PlcMeeting:
    """Change a meeting, sharing with leadership included (its teachers and coaches)."""
    meeting = await _meeting_for_update(session, principal, meeting_id)
    check_version(meeting, expected_version, what="PLC meeting")
    changes = data.changes()
    if "practice_id" in changes:
        await catalogue.check_practice(
            session, meeting.district_id, changes["practice_id"], unchanged=meeting.practice_id
        )
    apply_changes(meeting, changes)
    await session.flush()
    return meeting


async def remove_plc_meeting(session: AsyncSession, principal: Principal, meeting_id: uuid.UUID) -> None:
    meeting = await _meeting_for_update(session, principal, meeting_id)
    await session.delete(meeting)
    await session.flush()


async def plc_needs(
    session: AsyncSession,
    principal: Principal,
    *,
    school_id: uuid.UUID | None = None,
    since: date | None = None,
) -> PlcNeeds:
    """Common needs across the PLC meetings shared with leadership, at one school or (for district
    roles) at every school in reach: each need with how many meetings and teams raised it and when,
    most frequent first, then most recent. Meetings not shared never count, whoever asks, so everyone
    who reads the roll-up reads the same one.

    Raises `NotFound` (a school not in the district) and `PermissionDenied` (no PLC right there).
    """
    district_id = _district_of(principal)
    if school_id is not None:
        await referenced_row(session, School, school_id, district_id, ("query", "school_id"), "school")
        try:
            authorize(principal, Action.PLC_READ_SHARED, district_id=district_id, school_id=school_id)
        except PermissionDenied:
            authorize(principal, Action.PLC_READ, district_id=district_id, school_id=school_id)
    columns = select(PlcMeeting.school_id, PlcMeeting.team, PlcMeeting.met_on, PlcMeeting.needs)
    stmt = _plc_visible(columns, principal).where(
        PlcMeeting.district_id == district_id, PlcMeeting.shared_with_leadership.is_(True)
    )
    stmt = where_given(stmt, PlcMeeting, school_id=school_id)
    if since is not None:
        stmt = stmt.where(PlcMeeting.met_on >= since)
    rows = (await session.execute(stmt)).all()
    meetings: dict[str, int] = defaultdict(int)
    teams: dict[str, set[tuple[uuid.UUID, str]]] = defaultdict(set)
    dates: dict[str, list[date]] = defaultdict(list)
    for school, team, met_on, needs in rows:
        for need in set(needs):
            meetings[need] += 1
            teams[need].add((school, team.lower()))
            dates[need].append(met_on)
    rollup = [
        NeedRollup(
            need=need,
            meetings=meetings[need],
            teams=len(teams[need]),
            schools=len({school for school, _ in teams[need]}),
            first_raised_on=min(dates[need]),
            last_raised_on=max(dates[need]),
        )
        for need in meetings
    ]
    rollup.sort(key=lambda r: (-r.meetings, -r.last_raised_on.toordinal(), r.need))
    return PlcNeeds(school_id=school_id, since=since, meetings=len(rows), needs=rollup)
