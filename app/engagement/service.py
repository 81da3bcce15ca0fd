"""The rules for co-creation and co-production: activities, who took part, what they said and what
became of it, and the reports built on that record.

Both transports call these; neither adds rules. Every function takes the session and the principal,
raises `DomainError`s, flushes and never commits.

Who may do what (see `app.auth.permissions`):
- An activity belongs to its school (or to the district). Staff read their school's activities,
  everyone reads published ones, and anyone reads the activities they took part in. District admins
  and leaders, and a school's leaders and coaches, run them (`ACTIVITY_MANAGE`).
- Who said what is for the people running the work (`CONTRIBUTOR_READ`). Everyone else sees the
  participations and inputs of contributors who agreed to be named, and their own.
- A participant contributes inputs to an activity they took part in; staff who run the activity can
  record inputs for anyone in it (what was said in the room).
"""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

import app.engagement.findings  # noqa: F401  (registers this area's triangle findings)
from app.auth.permissions import Action
from app.auth.policy import (
    allowed_schools,
    authorize,
    authorize_on,
    children_visible_many,
    get_scoped,
    get_scoped_many,
    visible,
)
from app.auth.principal import Principal, PrincipalKind
from app.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.core.models import utcnow
from app.core.pagination import Page, PageRequest, paginate, paginate_per_parent
from app.core.repository import (
    VersionCheck,
    apply_changes,
    check_version,
    flush_or_conflict,
    get_part_or_404,
    no_such,
    one_or_404,
    referenced_row,
    where_equal,
    where_given,
)
from app.core.sql import any_of
from app.engagement import voices
from app.engagement.localize import ACTIVITY_FIELDS, INPUT_FIELDS, localized
from app.engagement.models import (
    ACTIVITY_TRANSITIONS,
    DISPOSITION_TRANSITIONS,
    NEEDS_REASON,
    Activity,
    ActivityStatus,
    ChangeTarget,
    Disposition,
    Input,
    InputLink,
    Mode,
    Participation,
)
from app.engagement.schemas import (
    ActivityCreate,
    ActivityUpdate,
    DispositionGroup,
    InputCreate,
    InputLinkCreate,
    InputText,
    InputUpdate,
    ParticipationCreate,
    ParticipationUpdate,
    ReportedChange,
    ReportedInput,
    Representation,
    YouSaidWeDid,
)
from app.identity.models import Person, User
from app.initiatives import service as initiatives
from app.initiatives.models import (
    PARTICIPATION_ORDER,
    CapacityItem,
    Initiative,
    InitiativeStakeholder,
    Stakeholder,
    StakeholderCategory,
)
from app.plans.models import ActionStep, Goal, Plan, Strategy
from app.tenancy.models import District
from app.webhooks import events as webhooks

# The plan items an input can have changed, by link target.
PLAN_ITEMS: dict[ChangeTarget, type[Goal] | type[Strategy] | type[ActionStep]] = {
    ChangeTarget.GOAL: Goal,
    ChangeTarget.STRATEGY: Strategy,
    ChangeTarget.ACTION_STEP: ActionStep,
}

# The fields of an initiative an input can be said to have changed.
INITIATIVE_FIELDS = frozenset(
    {"title", "summary", "public_value", "beneficiaries", "stage", "owner_person_id", "starts_on", "ends_on"}
)

_PARTICIPATION_UNIQUE = {
    "uq_participation_activity_id_stakeholder_id": (
        "stakeholder_id",
        "This stakeholder is already recorded as taking part in the activity.",
    ),
    "uq_participation_activity_id_person_id": (
        "person_id",
        "This person is already recorded as taking part in the activity.",
    ),
}


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    initiative_id: uuid.UUID | None = None
    school_id: uuid.UUID | None = None
    mode: Mode | None = None
    status: ActivityStatus | None = None


# --- who the principal is in the record -------------------------------------------------------------


def _own_participations(principal: Principal) -> Any:
    """The participations that are the principal's own: as a person, or as the stakeholder that stands
    for that person. A subquery of participation ids; empty for clients."""
    if principal.kind is not PrincipalKind.USER or principal.id is None:
        return select(Participation.id).where(false())
    person = select(User.person_id).where(User.id == principal.id).scalar_subquery()
    as_stakeholder = select(Stakeholder.id).where(Stakeholder.person_id == person)
    return select(Participation.id).where(
        or_(Participation.person_id == person, Participation.stakeholder_id.in_(as_stakeholder))
    )


def _activities_visible(stmt: Any, principal: Principal) -> Any:
    """`stmt` over activities, narrowed to those the principal may read: its school's, the published
    ones, and those it took part in."""
    took_part = None
    if principal.kind is PrincipalKind.USER:
        own = _own_participations(principal)
        took_part = Activity.id.in_(select(Participation.activity_id).where(Participation.id.in_(own)))
    return visible(stmt, Activity, principal, Action.ACTIVITY_READ, also=took_part)


def _named_to(principal: Principal) -> ColumnElement[bool]:
    """Participations whose identity the principal may see, for a query already joined to Activity:
    all of them where it may read contributors, else those who agreed to be named and its own."""
    schools = allowed_schools(principal, Action.CONTRIBUTOR_READ)
    if schools is None:
        return true()
    own = _own_participations(principal)
    conditions = [Participation.may_be_named.is_(True), Participation.id.in_(own)]
    if schools:
        conditions.append(Activity.school_id.in_(schools))
    return or_(*conditions)


def _names_contributor(
    principal: Principal,
    activity: Activity,
    participation: Participation,
    own: frozenset[uuid.UUID] = frozenset(),
) -> bool:
    """The same rule as `_named_to`, for one row already in hand (used by the report); `own` holds the
    ids of the principal's own participations among those in hand."""
    schools = allowed_schools(principal, Action.CONTRIBUTOR_READ)
    if schools is None or participation.may_be_named or participation.id in own:
        return True
    return activity.school_id is not None and activity.school_id in schools


# --- activities -------------------------------------------------------------------------------------


async def list_activities(
    session: AsyncSession, principal: Principal, page: PageRequest, filters: ActivityFilter
) -> Page[Activity]:
    """The activities the principal may read, oldest first, narrowed by `filters`."""
    stmt = _activities_visible(select(Activity), principal)
    stmt = where_equal(stmt, Activity, filters, "initiative_id", "school_id", "mode", "status")
    return await paginate(session, stmt, Activity, page)


async def get_activity(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, *, lock: bool = False
) -> Activity:
    """The activity; `NotFound` when it is not there for the principal. `lock` locks it for update."""
    return await get_scoped(
        session,
        principal,
        Activity,
        activity_id,
        "activity",
        lambda stmt: _activities_visible(stmt, principal),
        lock=lock,
    )


async def activities_by_id(
    session: AsyncSession, principal: Principal, activity_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Activity]:
    """The readable activities among `activity_ids`, by id (as `app.auth.policy.get_visible_many`: a
    principal with no right to activities at all is refused only for ids of its own district)."""
    return await get_scoped_many(
        session, principal, Activity, activity_ids, lambda stmt: _activities_visible(stmt, principal)
    )


async def activities_of_initiatives(
    session: AsyncSession, principal: Principal, initiative_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[Activity]]:
    """A page of readable activities per initiative (a DataLoader batch)."""
    stmt = _activities_visible(select(Activity), principal)
    return await paginate_per_parent(
        session, stmt, Activity, Activity.initiative_id, initiative_ids, page, answer_for=initiative_ids
    )


async def create_activity(session: AsyncSession, principal: Principal, data: ActivityCreate) -> Activity:
    """Record an activity. It takes its school from its initiative unless one is given; a school that
    contradicts a school initiative's is refused. A held activity cannot lie in the future.

    Raises `PermissionDenied`, `NotFound` (an initiative or school not in the district, named by field)
    and `ValidationFailed`.
    """
    district_id = initiatives._district_of(principal)
    school_id = data.school_id
    owners: list[tuple[str, Initiative | Plan]] = []
    named: tuple[tuple[str, Any, uuid.UUID | None], ...] = (
        ("initiative", Initiative, data.initiative_id),
        ("plan", Plan, data.plan_id),
    )
    for what, model, owner_id in named:
        if owner_id is not None:
            owner = await referenced_row(session, model, owner_id, district_id, (f"{what}_id",), what)
            await _check_readable_owner(session, principal, what, owner)
            owners.append((what, owner))
    for what, owner in owners:
        if owner.school_id is None:
            continue
        if school_id is not None and school_id != owner.school_id:
            raise ValidationFailed(
                f"The activity's school differs from its {what}'s.",
                errors=[
                    FieldError(
                        ("school_id",) if data.school_id is not None else (f"{what}_id",),
                        f"The {what} belongs to another school.",
                        "school_mismatch",
                    )
                ],
            )
        school_id = owner.school_id
    await initiatives._check_references(session, district_id, school_id=school_id)
    authorize(principal, Action.ACTIVITY_MANAGE, district_id=district_id, school_id=school_id)
    activity = Activity(
        district_id=district_id, **data.model_dump(exclude={"school_id"}), school_id=school_id
    )
    _check_held_on(activity)
    session.add(activity)
    await session.flush()
    return activity


async def _check_readable_owner(
    session: AsyncSession, principal: Principal, what: str, owner: Initiative | Plan
) -> None:
    """An activity counts toward its initiative's or plan's co-creation record (the policy a plan's
    approval checks, the sessions its document names): it is linked only to one its runner reads.
    Another is `NotFound` on the field, worded as one not in the district."""
    from app.plans import service as plans  # plans reads this area's inputs too; import on use

    try:
        if isinstance(owner, Initiative):
            readable = owner.id in await initiatives.initiatives_by_id(session, principal, [owner.id])
        else:
            readable = owner.id in await plans.plans_by_id(session, principal, [owner.id])
    except PermissionDenied:
        readable = False
    if not readable:
        raise NotFound(
            f"No {what} with id {owner.id} in this district.",
            errors=[FieldError((f"{what}_id",), "Not found in this district.", "not_found")],
        )


async def update_activity(
    session: AsyncSession,
    principal: Principal,
    activity_id: uuid.UUID,
    data: ActivityUpdate,
    *,
    expected_version: VersionCheck = None,
) -> Activity:
    """Change an activity. Its status follows `ACTIVITY_TRANSITIONS` (planned → held or cancelled;
    cancelled → planned). Marking it held raises the recorded IAP2 level of those who attended.

    Raises `NotFound`, `PermissionDenied`, `StaleVersion` and `ValidationFailed`.
    """
    activity = await _activity_for_update(session, principal, activity_id)
    check_version(activity, expected_version, what="activity")
    changes = data.changes()
    new_status = changes.get("status")
    if (
        new_status is not None
        and new_status != activity.status
        and new_status not in ACTIVITY_TRANSITIONS[activity.status]
    ):
        allowed = ", ".join(sorted(s.value for s in ACTIVITY_TRANSITIONS[activity.status])) or "none"
        raise ValidationFailed(
            f"An activity cannot go from {activity.status.value} to {new_status.value}.",
            errors=[
                FieldError(("status",), f"From {activity.status.value}: {allowed}.", "illegal_transition")
            ],
        )
    apply_changes(activity, changes)
    _check_held_on(activity)
    await session.flush()
    if activity.status is ActivityStatus.HELD:
        attended = await _all(
            session,
            select(Participation).where(
                Participation.activity_id == activity.id, Participation.attended.is_(True)
            ),
        )
        await _raise_participation_levels(session, activity, attended)
    return activity


async def _activity_for_update(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID
) -> Activity:
    """The activity, locked, once the principal may run it (readers who may not get 403)."""
    activity = await get_activity(session, principal, activity_id, lock=True)
    authorize_on(principal, Action.ACTIVITY_MANAGE, activity)
    return activity


# --- participations ---------------------------------------------------------------------------------


async def list_participations(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, page: PageRequest
) -> Page[Participation]:
    """Who took part in the activity: everyone, to those who read contributors; otherwise the
    participants who agreed to be named, and the caller's own participation."""
    await get_activity(session, principal, activity_id)
    return await paginate(
        session,
        _participations_named(principal).where(Participation.activity_id == activity_id),
        Participation,
        page,
    )


async def participations_of_activities(
    session: AsyncSession, principal: Principal, activity_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[Participation]]:
    """A page of participations per readable activity (a DataLoader batch)."""
    readable = list(await activities_by_id(session, principal, activity_ids))
    return await paginate_per_parent(
        session,
        _participations_named(principal),
        Participation,
        Participation.activity_id,
        readable,
        page,
        answer_for=activity_ids,
    )


async def get_participation(
    session: AsyncSession, principal: Principal, participation_id: uuid.UUID
) -> Participation:
    stmt = _participations_named(principal).where(Participation.id == participation_id)
    participation = await one_or_404(session, stmt, what="participation", row_id=participation_id)
    if not await activities_by_id(session, principal, [participation.activity_id]):
        raise no_such("participation", participation_id)
    return participation  # type: ignore[no-any-return]


async def participations_by_id(
    session: AsyncSession, principal: Principal, participation_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Participation]:
    """The participations among `participation_ids` that `get_participation` would answer (a DataLoader
    batch): named to the principal, in an activity it may read."""
    stmt = _participations_named(principal).where(any_of(Participation.id, participation_ids))
    rows = list((await session.execute(stmt)).scalars())
    if not rows:
        return {}
    readable = await activities_by_id(session, principal, list({p.activity_id for p in rows}))
    return {p.id: p for p in rows if p.activity_id in readable}


def _participations_named(principal: Principal) -> Any:
    """Participations of the principal's district whose identity it may see (see `_named_to`)."""
    return _named(principal, Participation, (Activity, Activity.id == Participation.activity_id))


def _named(principal: Principal, model: Any, *joins: tuple[Any, Any]) -> Any:
    """Rows of `model` (participations, inputs) of the principal's district whose person's identity it
    may see (`_named_to`), joined to their participation and activity by `joins` (target, on)."""
    stmt = select(model)
    if principal.kind is PrincipalKind.SYSTEM:
        return stmt
    for target, on in joins:
        stmt = stmt.join(target, on)
    return stmt.where(model.district_id == principal.district_id, _named_to(principal))


async def add_participation(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, data: ParticipationCreate
) -> Participation:
    """Record who took part. Exactly one of a stakeholder or a person, of the activity's district. When
    the activity is held and linked to an initiative, an attended participation raises the stakeholder's
    recorded IAP2 level there to the activity's level (never lowers it).

    Raises `NotFound` (activity, or a participant of another district, named by field), `Conflict`
    (already recorded) and `ValidationFailed` (both or neither given; a cancelled activity).
    """
    activity = await _activity_for_update(session, principal, activity_id)
    if (data.stakeholder_id is None) == (data.person_id is None):
        raise ValidationFailed(
            "Give exactly one of stakeholder_id or person_id.",
            errors=[
                FieldError(("stakeholder_id",), "Give a stakeholder or a person, not both.", "one_of"),
                FieldError(("person_id",), "Give a stakeholder or a person, not both.", "one_of"),
            ],
        )
    if activity.status is ActivityStatus.CANCELLED:
        raise ValidationFailed(
            "Nobody takes part in a cancelled activity.",
            errors=[FieldError(("activity_id",), "The activity is cancelled.", "activity_cancelled")],
        )
    if data.stakeholder_id is not None:
        await referenced_row(
            session,
            Stakeholder,
            data.stakeholder_id,
            activity.district_id,
            ("stakeholder_id",),
            "stakeholder",
        )
    await initiatives._check_references(session, activity.district_id, person_id=data.person_id)
    participation = Participation(
        district_id=activity.district_id, activity_id=activity.id, **data.model_dump()
    )
    session.add(participation)
    await flush_or_conflict(session, _PARTICIPATION_UNIQUE)
    await _raise_participation_levels(session, activity, [participation])
    return participation


async def update_participation(
    session: AsyncSession,
    principal: Principal,
    participation_id: uuid.UUID,
    data: ParticipationUpdate,
    *,
    expected_version: VersionCheck = None,
) -> Participation:
    """Change a participation. Those who run the activity change anything; a participant may change
    only whether they agree to be named (their consent is theirs to give or take back). A change of
    `attended` is dated (`attendance_recorded_at`): a plan already in review was judged on attendance as
    it stood then, so an absence turned into attendance afterwards does not count for it."""
    participation = await get_participation(session, principal, participation_id)
    locked = select(Activity).where(Activity.id == participation.activity_id).with_for_update()
    activity = (await session.execute(locked)).scalar_one()
    changes = data.changes()
    try:
        authorize_on(principal, Action.ACTIVITY_MANAGE, activity)
    except PermissionDenied:
        if set(changes) - {"may_be_named"} or not await _is_own(session, principal, participation):
            raise
    # The activity's row lock (above) serialises writers of its participations, so this cannot race.
    check_version(participation, expected_version, what="participation")
    if "attended" in changes and changes["attended"] != participation.attended:
        # Dates decide: attendance counts for a plan only as it stood when the plan went to review.
        participation.attendance_recorded_at = utcnow()
    apply_changes(participation, changes)
    await session.flush()
    await _raise_participation_levels(session, activity, [participation])
    return participation


async def remove_participation(
    session: AsyncSession, principal: Principal, participation_id: uuid.UUID
) -> None:
    """Take a participation off the record; refused (409) while it has inputs, which would go with it."""
    participation = await get_participation(session, principal, participation_id)
    await _activity_for_update(session, principal, participation.activity_id)
    has_inputs = await session.scalar(
        select(Input.id).where(Input.participation_id == participation.id).limit(1)
    )
    if has_inputs is not None:
        raise Conflict(
            "This participant's inputs are on the record; remove the participation only if they have none.",
        )
    await session.delete(participation)
    await session.flush()


async def _is_own(session: AsyncSession, principal: Principal, participation: Participation) -> bool:
    found = await session.scalar(
        select(Participation.id).where(
            Participation.id == participation.id, Participation.id.in_(_own_participations(principal))
        )
    )
    return found is not None


async def _raise_participation_levels(
    session: AsyncSession, activity: Activity, participations: list[Participation]
) -> None:
    """Attended participations in a held activity lift the stakeholders' recorded IAP2 level for the
    activity's initiative to the activity's level. A level is never lowered here: a lower-level activity
    says nothing against a higher one already reached."""
    if activity.initiative_id is None or activity.status is not ActivityStatus.HELD:
        return
    attended = [p for p in participations if p.attended]
    stakeholder_ids = {p.stakeholder_id for p in attended if p.stakeholder_id is not None}
    person_ids = {p.person_id for p in attended if p.person_id is not None}
    if person_ids:
        stakeholder_ids |= set(
            await _all(session, select(Stakeholder.id).where(any_of(Stakeholder.person_id, person_ids)))
        )
    if not stakeholder_ids:
        return
    placements = await _all(
        session,
        select(InitiativeStakeholder)
        .where(
            InitiativeStakeholder.initiative_id == activity.initiative_id,
            any_of(InitiativeStakeholder.stakeholder_id, stakeholder_ids),
        )
        .with_for_update(),
    )
    reached = PARTICIPATION_ORDER.index(activity.participation_level)
    for placement in placements:
        if PARTICIPATION_ORDER.index(placement.participation_level) < reached:
            apply_changes(placement, {"participation_level": activity.participation_level})
    await session.flush()


# --- inputs -----------------------------------------------------------------------------------------


def _inputs_named(principal: Principal) -> Any:
    return _named(
        principal,
        Input,
        (Participation, Participation.id == Input.participation_id),
        (Activity, Activity.id == Input.activity_id),
    )


async def list_inputs(
    session: AsyncSession,
    principal: Principal,
    activity_id: uuid.UUID,
    page: PageRequest,
    *,
    disposition: Disposition | None = None,
) -> Page[Input]:
    """What was said in the activity, oldest first: every input to those who read contributors;
    otherwise those of named contributors and the caller's own (the rest reach everyone anonymised,
    through the initiative's "you said, we did")."""
    await get_activity(session, principal, activity_id)
    stmt = _inputs_named(principal).where(Input.activity_id == activity_id)
    stmt = where_given(stmt, Input, disposition=disposition)
    return await paginate(session, stmt, Input, page)


async def inputs_of_activities(
    session: AsyncSession,
    principal: Principal,
    activity_ids: list[uuid.UUID],
    page: PageRequest,
    *,
    disposition: Disposition | None = None,
) -> dict[uuid.UUID, Page[Input]]:
    """A page of inputs per readable activity (a DataLoader batch), as `list_inputs` filters them."""
    readable = list(await activities_by_id(session, principal, activity_ids))
    stmt = where_given(_inputs_named(principal), Input, disposition=disposition)
    return await paginate_per_parent(
        session, stmt, Input, Input.activity_id, readable, page, answer_for=activity_ids
    )


async def get_input(session: AsyncSession, principal: Principal, input_id: uuid.UUID) -> Input:
    row = (await session.execute(_inputs_named(principal).where(Input.id == input_id))).scalar_one_or_none()
    if row is None or not await activities_by_id(session, principal, [row.activity_id]):
        raise NotFound(f"No input with id {input_id}.")
    return row


async def inputs_by_id(
    session: AsyncSession, principal: Principal, input_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Input]:
    """The inputs among `input_ids` that `get_input` would answer (a DataLoader batch): named to the
    principal, in an activity it may read."""
    if not input_ids:
        return {}
    rows = list(
        (await session.execute(_inputs_named(principal).where(any_of(Input.id, input_ids)))).scalars()
    )
    if not rows:
        return {}
    readable = await activities_by_id(session, principal, list({row.activity_id for row in rows}))
    return {row.id: row for row in rows if row.activity_id in readable}


async def inputs_of_plan(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> list[Input]:
    """What was said in the co-creation activities held for a plan's pre-planning, oldest first: the
    plan's barriers and leverage points are these inputs, not copies. Contributors are shown as
    everywhere in this area (callers check the plan is readable)."""
    stmt = (
        _inputs_named(principal)
        .where(Activity.plan_id == plan_id, Activity.mode == Mode.CO_CREATION)
        .order_by(Input.created_at, Input.id)
    )
    if principal.kind is PrincipalKind.SYSTEM:
        stmt = stmt.join(Activity, Activity.id == Input.activity_id)
    return await _all(session, stmt)


async def add_input(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, data: InputCreate
) -> Input:
    """Record what a participant contributed. The activity must have been held; the contributor is a
    participation in it. A participant records their own; those who run the activity record anyone's.

    Raises `NotFound` (activity; a participation not of this activity, named by field),
    `PermissionDenied` and `ValidationFailed` (a planned or cancelled activity).
    """
    activity = await get_activity(session, principal, activity_id)
    participation = await session.get(Participation, data.participation_id)
    if participation is None or participation.activity_id != activity.id:
        raise NotFound(
            f"No participation with id {data.participation_id} in this activity.",
            errors=[FieldError(("participation_id",), "Not a participation in this activity.", "not_found")],
        )
    try:
        authorize_on(principal, Action.ACTIVITY_MANAGE, activity)
    except PermissionDenied:
        authorize(principal, Action.INPUT_CONTRIBUTE, district_id=activity.district_id)
        if not await _is_own(session, principal, participation):
            raise PermissionDenied(
                "You can contribute only as yourself, through your own participation.",
                extra={"action": Action.INPUT_CONTRIBUTE.value},
            ) from None
    if activity.status is not ActivityStatus.HELD:
        raise ValidationFailed(
            f"Inputs are recorded for held activities; this one is {activity.status.value}.",
            errors=[
                FieldError(("activity_id",), f"The activity is {activity.status.value}.", "activity_not_held")
            ],
        )
    row = Input(district_id=activity.district_id, activity_id=activity.id, **data.model_dump())
    session.add(row)
    webhooks.emit(
        session, row.district_id, webhooks.EventType.INPUT_RECORDED, row.id, activity_id=activity.id
    )
    await session.flush()
    return row


async def update_input(
    session: AsyncSession,
    principal: Principal,
    input_id: uuid.UUID,
    data: InputUpdate,
    *,
    expected_version: VersionCheck = None,
) -> Input:
    """Record what became of an input. Dispositions follow `DISPOSITION_TRANSITIONS`; adapted and
    declined need a reason; a new response is stamped with the time it was given.

    Raises `NotFound`, `PermissionDenied`, `StaleVersion` and `ValidationFailed`.
    """
    row = await _input_for_update(session, principal, input_id)
    check_version(row, expected_version, what="input")
    changes = data.changes()
    new = changes.get("disposition")
    if new is not None and new != row.disposition and new not in DISPOSITION_TRANSITIONS[row.disposition]:
        allowed = ", ".join(sorted(d.value for d in DISPOSITION_TRANSITIONS[row.disposition])) or "none"
        raise ValidationFailed(
            f"An input cannot go from {row.disposition.value} to {new.value}.",
            errors=[
                FieldError(
                    ("disposition",), f"From {row.disposition.value}: {allowed}.", "illegal_transition"
                )
            ],
        )
    disposition = new or row.disposition
    reason = changes.get("reason", row.reason)
    if disposition in NEEDS_REASON and not reason:
        raise ValidationFailed(
            f"An input that is {disposition.value} needs a reason the contributor can read.",
            errors=[FieldError(("reason",), f"Required when {disposition.value}.", "reason_required")],
        )
    if "response" in changes and changes["response"] != row.response:
        changes["responded_at"] = utcnow() if changes["response"] is not None else None
        if changes["response"] is not None:
            webhooks.emit(
                session,
                row.district_id,
                webhooks.EventType.INPUT_ANSWERED,
                row.id,
                activity_id=row.activity_id,
            )
    apply_changes(row, changes)
    await session.flush()
    return row


async def _input_for_update(session: AsyncSession, principal: Principal, input_id: uuid.UUID) -> Input:
    async def of_activity_to_change(row: Input) -> None:
        await _activity_for_update(session, principal, row.activity_id)

    return await get_part_or_404(session, Input, input_id, of_activity_to_change, what="input", lock=True)


# --- what an input changed --------------------------------------------------------------------------


async def list_input_links(
    session: AsyncSession, principal: Principal, input_id: uuid.UUID, page: PageRequest
) -> Page[InputLink]:
    await get_input(session, principal, input_id)
    return await paginate(session, select(InputLink).where(InputLink.input_id == input_id), InputLink, page)


async def links_of_inputs(
    session: AsyncSession, principal: Principal, input_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[InputLink]]:
    """Links of inputs the caller was allowed to list; the district filter keeps forged ids out."""
    stmt = select(InputLink).where(InputLink.district_id == principal.district_id)
    if principal.kind is PrincipalKind.SYSTEM:
        stmt = select(InputLink)
    return await paginate_per_parent(
        session, stmt, InputLink, InputLink.input_id, input_ids, page, answer_for=input_ids
    )


async def input_links_by_id(
    session: AsyncSession, principal: Principal, link_ids: list[uuid.UUID]
) -> dict[uuid.UUID, InputLink]:
    """The links among `link_ids` of inputs the principal may read (a DataLoader batch)."""
    return await children_visible_many(session, principal, InputLink, link_ids, "input_id", inputs_by_id)


async def link_input(
    session: AsyncSession, principal: Principal, input_id: uuid.UUID, data: InputLinkCreate
) -> InputLink:
    """Record what an input changed: a field of its initiative (`field_name` required), or one of that
    initiative's capacity items. The target must belong to the activity's initiative.

    Raises `NotFound` (the input; a target elsewhere, named by field) and `ValidationFailed`.
    """
    row = await _input_for_update(session, principal, input_id)
    activity = (await session.execute(select(Activity).where(Activity.id == row.activity_id))).scalar_one()
    if data.target is not ChangeTarget.INITIATIVE_FIELD and data.field_name is not None:
        raise ValidationFailed(
            "field_name is for initiative fields only.",
            errors=[FieldError(("field_name",), "Leave it out for this target.", "not_applicable")],
        )
    if data.target is ChangeTarget.INITIATIVE_FIELD:
        if data.field_name not in INITIATIVE_FIELDS:
            raise ValidationFailed(
                "Name the initiative field the input changed.",
                errors=[
                    FieldError(
                        ("field_name",), f"One of: {', '.join(sorted(INITIATIVE_FIELDS))}.", "unknown_field"
                    )
                ],
            )
        found = data.target_id == activity.initiative_id
    elif data.target is ChangeTarget.CAPACITY_ITEM:
        item = await session.get(CapacityItem, data.target_id)
        found = (
            item is not None
            and activity.initiative_id is not None
            and item.initiative_id == activity.initiative_id
        )
    else:
        plan_item = await session.get(PLAN_ITEMS[data.target], data.target_id)
        found = plan_item is not None and await _serves_plan(session, activity, plan_item.plan_id)
    if not found:
        raise NotFound(
            f"No {data.target.value.replace('_', ' ')} with id {data.target_id} in this input's initiative "
            "or plan.",
            errors=[
                FieldError(("target_id",), "Not part of the activity's initiative or plan.", "not_found")
            ],
        )
    link = InputLink(district_id=row.district_id, input_id=row.id, **data.model_dump())
    session.add(link)
    await session.flush()
    return link


async def unlink_input(session: AsyncSession, principal: Principal, link_id: uuid.UUID) -> None:
    async def of_input_to_change(row: InputLink) -> None:
        await _input_for_update(session, principal, row.input_id)

    link = await get_part_or_404(session, InputLink, link_id, of_input_to_change, what="input link")
    await session.delete(link)
    await session.flush()


# --- reports ----------------------------------------------------------------------------------------


async def you_said_we_did(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID, languages: Sequence[str] = ()
) -> YouSaidWeDid:
    """Every input to the initiative's activities (and to those held for its plans), grouped by
    disposition, with the response and what it changed; the share that got a response and the median
    days it took. Whoever may read the initiative (everyone, once published) reads it; contributors are
    named only to those who read contributors, to themselves, or where they agreed to be named. Each
    input's text, answer and activity title come in the first of `languages` a person translated them
    into, with the original beside them."""
    initiative = await initiatives.get_initiative(session, principal, initiative_id)
    its_plans = select(Plan.id).where(Plan.initiative_id == initiative.id)
    condition = or_(Activity.initiative_id == initiative.id, Activity.plan_id.in_(its_plans))
    report = await _report(session, principal, condition, languages)
    return report.model_copy(update={"initiative_id": initiative.id})


async def you_said_we_did_for_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, languages: Sequence[str] = ()
) -> YouSaidWeDid:
    """The same report for one plan: inputs of the activities held for it, and inputs that changed its
    goals, strategies or action steps. Whoever may read the plan reads it."""
    from app.plans import service as plans  # plans reads this area's inputs too; import on use

    plan = await plans.get_plan(session, principal, plan_id)
    items = [
        select(model.id).where(model.plan_id == plan.id)
        for model in PLAN_ITEMS.values()  # type: ignore[attr-defined]
    ]
    changed_it = select(InputLink.input_id).where(
        InputLink.target.in_(list(PLAN_ITEMS)), InputLink.target_id.in_(items[0].union(*items[1:]))
    )
    condition = or_(Activity.plan_id == plan.id, Input.id.in_(changed_it))
    report = await _report(session, principal, condition, languages)
    return report.model_copy(update={"plan_id": plan.id})


async def _report(
    session: AsyncSession, principal: Principal, condition: Any, languages: Sequence[str] = ()
) -> YouSaidWeDid:
    stmt = (
        select(Input, Participation, Activity)
        .join(Participation, Participation.id == Input.participation_id)
        .join(Activity, Activity.id == Input.activity_id)
        .where(condition)
        .order_by(Input.created_at, Input.id)
    )
    rows = (await session.execute(stmt)).all()
    names = await _contributor_names(session, [p for _, p, _ in rows])
    own: frozenset[uuid.UUID] = frozenset()
    links: dict[uuid.UUID, list[ReportedChange]] = defaultdict(list)
    if rows:
        mine = _own_participations(principal).where(Participation.id.in_([p.id for _, p, _ in rows]))
        own = frozenset(await _all(session, mine))
        link_rows = await _all(
            session,
            select(InputLink)
            .where(any_of(InputLink.input_id, [i.id for i, _, _ in rows]))
            .order_by(InputLink.created_at, InputLink.id),
        )
        labels = await _link_labels(session, link_rows)
        for link in link_rows:
            links[link.input_id].append(
                ReportedChange.model_validate(link).model_copy(update={"label": labels.get(link.id)})
            )
    grouped: dict[Disposition, list[ReportedInput]] = {d: [] for d in Disposition}
    for row, participation, activity in rows:
        language, texts = localized(row, INPUT_FIELDS, languages)
        _, titled = localized(activity, ACTIVITY_FIELDS, languages)
        grouped[row.disposition].append(
            ReportedInput(
                id=row.id,
                kind=row.kind,
                text=texts["text"],
                activity_title=titled["title"],
                language=language,
                original=InputText(text=row.text, response=row.response) if language else None,
                contributor=names.get(participation.id)
                if _names_contributor(principal, activity, participation, own)
                else None,
                reason=row.reason,
                response=texts["response"],
                responded_at=row.responded_at,
                changed=links[row.id],
            )
        )
    responded = [(i, a) for i, _, a in rows if i.responded_at is not None]
    # Counted from when the input was given (the day of its activity), not from when it was typed in:
    # notes written up a month later must not make a month's wait look like a day's.
    days = [max(0, (i.responded_at.date() - a.held_on).days) for i, a in responded]  # type: ignore[union-attr]
    return YouSaidWeDid(
        initiative_id=None,
        groups=[DispositionGroup(disposition=d, inputs=inputs) for d, inputs in grouped.items() if inputs],
        total_inputs=len(rows),
        responded_share=round(len(responded) / len(rows), 4) if rows else None,
        median_days_to_response=round(statistics.median(days), 2) if days else None,
    )


async def _link_labels(session: AsyncSession, links: list[InputLink]) -> dict[uuid.UUID, str]:
    """What each link changed, in words a reader of the report understands."""
    columns: dict[ChangeTarget, Any] = {
        ChangeTarget.CAPACITY_ITEM: (CapacityItem.id, CapacityItem.description),
        ChangeTarget.GOAL: (Goal.id, Goal.statement),
        ChangeTarget.STRATEGY: (Strategy.id, Strategy.title),
        ChangeTarget.ACTION_STEP: (ActionStep.id, ActionStep.title),
    }
    labels: dict[uuid.UUID, str] = {}
    for target, (id_column, label_column) in columns.items():
        wanted = {link.target_id for link in links if link.target is target}
        if wanted:
            found = dict(
                (await session.execute(select(id_column, label_column).where(id_column.in_(wanted)))).all()
            )
            labels |= {link.id: found[link.target_id] for link in links if link.target_id in found}
    for link in links:
        if link.target is ChangeTarget.INITIATIVE_FIELD and link.field_name:
            labels[link.id] = f"the initiative's {link.field_name.replace('_', ' ')}"
    return labels


async def representation(
    session: AsyncSession, principal: Principal, initiative_id: uuid.UUID
) -> Representation:
    """Who took part in the initiative's held co-creation and co-production, and who did not: stakeholder
    categories, every mapped stakeholder that never took part by name, people counted by kind and by
    the district's attributes (small-cell suppressed), and the district's expected groups, heard or not
    (see `app.engagement.voices`). For those who see the authorizing environment."""
    initiative = await initiatives._initiative_with_environment(session, principal, initiative_id)
    placements = await initiatives._placements_with_stakeholders(session, initiative.id)
    district = await session.get(District, initiative.district_id)
    assert district is not None  # noqa: S101 (an initiative's district exists: foreign key)
    environment = {s.category for _, s in placements}
    heard = await voices.load_voices(session, initiative.district_id, initiative.id)
    creation = voices.categories_heard(heard, Mode.CO_CREATION)
    production = voices.categories_heard(heard, Mode.CO_PRODUCTION)
    order = list(StakeholderCategory)

    def ordered(categories: set[StakeholderCategory]) -> list[StakeholderCategory]:
        return sorted(categories, key=order.index)

    people, by_kind, breakdown = voices.counted(heard, district)
    languages_heard = voices.languages_heard(heard)
    return Representation(
        initiative_id=initiative.id,
        environment_categories=ordered(environment),
        co_creation=ordered(creation),
        co_production=ordered(production),
        missing_from_co_creation=ordered(environment - creation),
        missing_from_co_production=ordered(environment - production),
        never_took_part=ordered(environment - creation - production),
        stakeholders_never_took_part=voices.not_heard(heard, placements, list(Mode)),
        stakeholders_missing_from_co_creation=voices.not_heard(heard, placements, [Mode.CO_CREATION]),
        people=people,
        people_by_kind=by_kind,
        breakdown=breakdown,
        expected_groups=voices.coverage(heard, district),
        languages_heard=languages_heard,
    )


# --- helpers ----------------------------------------------------------------------------------------


async def _contributor_names(
    session: AsyncSession, participations: list[Participation]
) -> dict[uuid.UUID, str]:
    """Display names of participants: the stakeholder's name, or the person's."""
    stakeholder_ids = {p.stakeholder_id for p in participations if p.stakeholder_id is not None}
    person_ids = {p.person_id for p in participations if p.person_id is not None}
    stakeholders: dict[uuid.UUID, str] = {}
    if stakeholder_ids:
        found = await session.execute(
            select(Stakeholder.id, Stakeholder.name).where(any_of(Stakeholder.id, stakeholder_ids))
        )
        stakeholders = dict(found.all())
    people: dict[uuid.UUID, str] = {}
    if person_ids:
        found = await session.execute(
            select(Person.id, Person.display_name).where(any_of(Person.id, person_ids))
        )
        people = dict(found.all())
    names: dict[uuid.UUID, str] = {}
    for p in participations:
        name = stakeholders.get(p.stakeholder_id) if p.stakeholder_id else people.get(p.person_id)
        if name is not None:
            names[p.id] = name
    return names


async def _serves_plan(session: AsyncSession, activity: Activity, plan_id: uuid.UUID) -> bool:
    """An activity serves a plan when it was held for it, or for the initiative the plan carries out."""
    if activity.plan_id == plan_id:
        return True
    if activity.initiative_id is None:
        return False
    plan_initiative = await session.scalar(select(Plan.initiative_id).where(Plan.id == plan_id))
    return plan_initiative == activity.initiative_id


def _check_held_on(activity: Activity) -> None:
    if activity.status is ActivityStatus.HELD and activity.held_on > utcnow().date():
        raise ValidationFailed(
            "A held activity cannot be dated in the future.",
            errors=[FieldError(("held_on",), "On or before today for a held activity.", "held_in_future")],
        )


async def _all(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.execute(stmt)).scalars())
