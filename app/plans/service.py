"""The rules for improvement plans: who writes them, what the goal tree holds, when a plan may go to
review, who approves it, and how an approved plan changes (by revision only).

Both transports call these; neither adds rules. Every function takes the session and the principal,
raises `DomainError`s, flushes and never commits.

Who may do what (see `app.auth.permissions`):
- Staff read their school's plans (district roles, all of them); everyone reads approved plans the
  district has published; collaborators read the plans they work on.
- Leaders (`PLAN_EDIT`: a school's leaders for its plans, district leaders and admins) edit any plan in
  their reach. Teachers and coaches (`PLAN_AUTHOR`) edit only plans they collaborate on as lead or
  co-author. Reviewers read and comment, through revisions' decisions; they do not edit.
- Approving takes a school leader for a school plan (`PLAN_APPROVE_SCHOOL`) and a district leader for a
  district plan (`PLAN_APPROVE_DISTRICT`); admins may do both.
- From approval on, content changes only through revisions: a collaborator proposes, the lead (or an
  approver) accepts, and the changes apply together or not at all. Carrying out the plan (an action
  step's status, progress, blocking reason) is not changing it and needs no revision.
"""

from __future__ import annotations

import html
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import and_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.permissions import Action
from app.auth.policy import (
    authorize,
    authorize_on,
    children_visible_many,
    require,
    require_authenticated,
    statements,
    visible,
    visible_page,
)
from app.auth.principal import Principal, PrincipalKind
from app.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from app.core.labels import label
from app.core.models import utcnow
from app.core.pagination import (
    Page,
    PageRequest,
    page_statement,
    paginate,
    paginate_children,
    paginate_per_parent,
)
from app.core.repository import (
    VersionCheck,
    apply_changes,
    check_version,
    flush_or_conflict,
    no_such,
    referenced_row,
    where_given,
)
from app.core.rows import columns_of, fetch_rows, read_rows
from app.core.sql import any_of
from app.engagement.models import Activity, ActivityStatus, Disposition, Input, InputKind, Mode, Participation
from app.engagement.schemas import InputPublic
from app.identity.models import Person, PersonKind, Role, RoleAssignment, User
from app.initiatives import service as initiatives
from app.initiatives.models import Indicator, Initiative, Stakeholder, StakeholderCategory
from app.initiatives.schemas import IndicatorUpdate
from app.monitoring.models import Measurement
from app.plans.models import (
    PLAN_TRANSITIONS,
    REVISED_STATUSES,
    AcceptedRisk,
    ActionStep,
    CauseKind,
    CollaboratorRole,
    Evidence,
    Goal,
    Plan,
    PlanCollaborator,
    PlanRevision,
    PlanRevisionCause,
    PlanSignOff,
    PlanStatus,
    ReviewCheckpoint,
    RevisionStatus,
    SignOffKind,
    StepStatus,
    Strategy,
)
from app.plans.schemas import (
    PROGRESS_FIELDS,
    AcceptedRiskCreate,
    ActionStepCreate,
    ActionStepUpdate,
    Change,
    CheckpointCreate,
    CheckpointSchedule,
    CheckpointUpdate,
    CollaboratorCreate,
    CollaboratorUpdate,
    DiffEntry,
    EvidenceCreate,
    EvidencePublic,
    GoalCreate,
    GoalProgress,
    GoalTree,
    GoalUpdate,
    PlanCreate,
    PlanExport,
    PlanProgress,
    PlanPublic,
    PlanUpdate,
    PolicyCheck,
    PrePlanning,
    RevisionCreate,
    RevisionDecision,
    RevisionDiff,
    RevisionPublic,
    ScaleUpRecord,
    SignOffCreate,
    StepProgress,
    StrategyCreate,
    StrategyProgress,
    StrategyPublic,
    StrategyTree,
    StrategyUpdate,
)
from app.practice.models import PdsaCycle, Walkthrough
from app.tenancy.models import District, Voice
from app.webhooks import events as webhooks

WRITERS = frozenset({CollaboratorRole.LEAD, CollaboratorRole.CO_AUTHOR})

_COLLABORATOR_UNIQUE = {
    "uq_plan_collaborator_plan_id_person_id": ("person_id", "This person already collaborates on the plan."),
    "uq_plan_collaborator_one_lead": ("role", "The plan already has a lead."),
}

# Whose voice a participant brings, by the category of the stakeholder they are or stand for.
CATEGORY_VOICES: dict[StakeholderCategory, Voice] = {
    StakeholderCategory.TEACHER: Voice.TEACHERS,
    StakeholderCategory.UNION: Voice.TEACHERS,
    StakeholderCategory.FAMILY: Voice.FAMILIES,
    StakeholderCategory.STUDENT: Voice.STUDENTS,
    StakeholderCategory.COMMUNITY_ORGANIZATION: Voice.COMMUNITY,
    StakeholderCategory.BUSINESS: Voice.COMMUNITY,
    StakeholderCategory.HIGHER_EDUCATION: Voice.COMMUNITY,
    StakeholderCategory.SCHOOL_LEADERSHIP: Voice.SCHOOL_LEADERS,
}
# ... or by who the person is, for a person taking part in their own name.
PERSON_KIND_VOICES: dict[PersonKind, Voice] = {
    PersonKind.FAMILY: Voice.FAMILIES,
    PersonKind.STUDENT: Voice.STUDENTS,
    PersonKind.COMMUNITY_MEMBER: Voice.COMMUNITY,
    PersonKind.PARTNER: Voice.COMMUNITY,
}
ROLE_VOICES: dict[Role, Voice] = {
    Role.TEACHER: Voice.TEACHERS,
    Role.COACH: Voice.TEACHERS,
    Role.SCHOOL_LEADER: Voice.SCHOOL_LEADERS,
    Role.COMMUNITY_MEMBER: Voice.COMMUNITY,
}
# Voices a member of staff never brings, whatever a stakeholder record files them under.
NOT_STAFF_VOICES = frozenset({Voice.FAMILIES, Voice.COMMUNITY, Voice.STUDENTS})
VOICE_WORDS: dict[Voice, str] = {
    Voice.TEACHERS: "teachers",
    Voice.FAMILIES: "families",
    Voice.COMMUNITY: "community members",
    Voice.FAMILIES_OR_COMMUNITY: "families or community members",
    Voice.STUDENTS: "students",
    Voice.SCHOOL_LEADERS: "school leaders",
}


@dataclass(frozen=True, slots=True)
class PlanFilter:
    school_id: uuid.UUID | None = None
    status: PlanStatus | None = None
    cycle: str | None = None
    initiative_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class GoalView:
    """A goal with the indicator that measures it."""

    goal: Goal
    indicator: Indicator


@dataclass(frozen=True, slots=True)
class RevisionView:
    revision: PlanRevision
    causes: list[PlanRevisionCause]


# --- who the principal is to a plan -----------------------------------------------------------------


def _own_person(principal: Principal) -> Any:
    return select(User.person_id).where(User.id == principal.id).scalar_subquery()


def _collaborating_on(principal: Principal, roles: frozenset[CollaboratorRole] | None = None) -> Any:
    """Ids of the plans the principal collaborates on (in any of `roles`)."""
    if principal.kind is not PrincipalKind.USER or principal.id is None:
        return select(PlanCollaborator.plan_id).where(False)
    stmt = select(PlanCollaborator.plan_id).where(PlanCollaborator.person_id == _own_person(principal))
    if roles is not None:
        stmt = stmt.where(PlanCollaborator.role.in_(roles))
    return stmt


async def _collaborator_role(
    session: AsyncSession, principal: Principal, plan: Plan
) -> CollaboratorRole | None:
    if principal.kind is not PrincipalKind.USER or principal.id is None:
        return None
    return await session.scalar(
        select(PlanCollaborator.role).where(
            PlanCollaborator.plan_id == plan.id, PlanCollaborator.person_id == _own_person(principal)
        )
    )


def _plans_visible(stmt: Any, principal: Principal) -> Any:
    also = Plan.id.in_(_collaborating_on(principal)) if principal.kind is PrincipalKind.USER else None
    return visible(stmt, Plan, principal, Action.PLAN_READ, also=also)


async def _authorize_author(session: AsyncSession, principal: Principal, plan: Plan) -> None:
    """Leaders in reach of the plan, or its lead and co-authors (who hold the author right)."""
    try:
        authorize_on(principal, Action.PLAN_EDIT, plan)
    except PermissionDenied:
        authorize_on(principal, Action.PLAN_AUTHOR, plan)
        if await _collaborator_role(session, principal, plan) not in WRITERS:
            raise PermissionDenied(
                "Only the plan's lead and co-authors, or leaders, edit it.",
                extra={"action": Action.PLAN_AUTHOR.value},
            ) from None


async def authorize_pdsa(session: AsyncSession, principal: Principal, plan: Plan) -> None:
    """Who runs PDSA cycles on the plan's strategies: its authors (as `_authorize_author`), and coaches
    of its school (a district-wide coach: any school) or among its reviewers. Raises `PermissionDenied`
    naming `pdsa:run`."""
    try:
        await _authorize_author(session, principal, plan)
        return
    except PermissionDenied:
        pass
    try:
        authorize_on(principal, Action.PDSA_RUN, plan)
        return
    except PermissionDenied:
        pass
    require(principal, Action.PDSA_RUN)
    if await _collaborator_role(session, principal, plan) is not CollaboratorRole.REVIEWER:
        raise PermissionDenied(
            "Only the plan's authors, leaders, and coaches of its school or among its reviewers run its "
            "PDSA cycles.",
            extra={"action": Action.PDSA_RUN.value},
        )


def _authorize_approver(principal: Principal, plan: Plan) -> None:
    action = Action.PLAN_APPROVE_SCHOOL if plan.school_id is not None else Action.PLAN_APPROVE_DISTRICT
    authorize_on(principal, action, plan)


async def _authorize_lead(session: AsyncSession, principal: Principal, plan: Plan) -> None:
    """The plan's lead, or whoever may approve it, decides on revisions and its life cycle. The lead
    writes the plan, so they hold the author right as its co-authors must (`_authorize_author`): a
    lead whose role was taken away (who left the school, say) decides nothing for it any more."""
    try:
        _authorize_approver(principal, plan)
    except PermissionDenied:
        authorize_on(principal, Action.PLAN_AUTHOR, plan)
        if await _collaborator_role(session, principal, plan) is not CollaboratorRole.LEAD:
            raise PermissionDenied(
                "Only the plan's lead, or whoever approves it, decides this.",
                extra={"action": Action.PLAN_EDIT.value},
            ) from None


# --- plans ------------------------------------------------------------------------------------------


async def list_plans(
    session: AsyncSession, principal: Principal, page: PageRequest, filters: PlanFilter
) -> Page[Plan]:
    """The plans the principal may read, oldest first, narrowed by `filters`."""
    return await visible_page(session, principal, "list_plans", filters, page, Plan, _plans_page)


def _plans_page(principal: Principal, filtered: frozenset[str], page: PageRequest) -> Any:
    """The list's statement for the filters given (each a column of the plan), values bound later."""
    stmt = _plans_visible(select(Plan), principal)
    for name in sorted(filtered):
        column = getattr(Plan, name)
        stmt = stmt.where(column == bindparam(name, type_=column.type))
    return page_statement(stmt, Plan, page)


async def get_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, lock: bool = False
) -> Plan:
    """The plan; `NotFound` when it is not there for the principal."""
    stmt = await _plan_statement(session, principal, plan_id, "entity", lock)
    plan = (await session.execute(stmt, {"plan_id": plan_id})).scalar_one_or_none()
    if plan is None:
        raise NotFound(f"No plan with id {plan_id}.")
    return plan


async def read_plan(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> Any:
    """The plan as a read row (`app.core.rows`), for a reply; what `get_plan` promises otherwise."""
    stmt = await _plan_statement(session, principal, plan_id, "row", False)
    found = await fetch_rows(session, stmt, {"plan_id": plan_id})
    if not found:
        raise NotFound(f"No plan with id {plan_id}.")
    return read_rows(Plan, found)[0]


async def _plan_statement(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, shape: str, lock: bool
) -> Any:
    try:
        return statements.get(("get_plan", shape, lock), principal, lambda: _one_plan(principal, shape, lock))
    except PermissionDenied:
        # No right to plans at all (a sync client): say so for its own district's plans, but another
        # district's plan (or none) stays a plain 404, as `get_visible` answers.
        if await session.scalar(select(Plan.district_id).where(Plan.id == plan_id)) == principal.district_id:
            raise
        raise NotFound(f"No plan with id {plan_id}.") from None


def _one_plan(principal: Principal, shape: str, lock: bool) -> Any:
    base = select(Plan) if shape == "entity" else select(*columns_of(Plan))
    stmt = _plans_visible(base.where(Plan.id == bindparam("plan_id")), principal)
    return stmt.with_for_update() if lock else stmt


async def plans_by_id(
    session: AsyncSession, principal: Principal, plan_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Plan]:
    try:
        stmt = _plans_visible(select(Plan).where(any_of(Plan.id, plan_ids)), principal)
    except PermissionDenied:
        # As `get_plan`: refused for its own district's plans, absent for another district's.
        own = select(func.count()).where(any_of(Plan.id, plan_ids), Plan.district_id == principal.district_id)
        if await session.scalar(own):
            raise
        return {}
    return {p.id: p for p in (await session.execute(stmt)).scalars()}


async def strategies_by_id(
    session: AsyncSession, principal: Principal, strategy_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Strategy]:
    """Strategies of plans the caller reads, in one statement; any other id (another district's, a plan
    not theirs to read) is simply absent."""
    joined = select(Strategy).join(Plan, Plan.id == Strategy.plan_id).where(any_of(Strategy.id, strategy_ids))
    try:
        stmt = _plans_visible(joined, principal)
    except PermissionDenied:
        return {}
    return {s.id: s for s in (await session.execute(stmt)).scalars()}


async def create_plan(session: AsyncSession, principal: Principal, data: PlanCreate) -> Plan:
    """Start a plan as a draft. A user who starts it becomes its lead.

    Raises `PermissionDenied`, `NotFound` (a school or initiative not in the district, named by field).
    """
    district_id = initiatives._district_of(principal)
    await initiatives._check_references(session, district_id, school_id=data.school_id)
    if data.initiative_id is not None:
        await _initiative_to_carry_out(session, principal, data.school_id, data.initiative_id)
    authorize(principal, Action.PLAN_CREATE, district_id=district_id, school_id=data.school_id)
    plan = Plan(district_id=district_id, **data.model_dump())
    session.add(plan)
    await session.flush()
    if principal.kind is PrincipalKind.USER and principal.id is not None:
        person_id = await session.scalar(select(User.person_id).where(User.id == principal.id))
        session.add(
            PlanCollaborator(
                district_id=district_id, plan_id=plan.id, person_id=person_id, role=CollaboratorRole.LEAD
            )
        )
        await session.flush()
    return plan


async def update_plan(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    data: PlanUpdate,
    *,
    expected_version: VersionCheck = None,
) -> Plan:
    """Change a plan or move it along. Submitting for review needs the co-creation record the district's
    policy asks for (the refusal lists what is missing); approving needs an approver; content changes
    to an approved or active plan go through revisions. Raises `NotFound`, `PermissionDenied`,
    `StaleVersion`, `Conflict` and `ValidationFailed`."""
    plan = await get_plan(session, principal, plan_id, lock=True)
    changes = data.changes()
    new_status = changes.pop("status", None)
    publish = changes.pop("published", None)
    # A status or publication the plan already has moves nothing: it needs the author's right like any
    # other edit, not no right at all.
    if new_status == plan.status:
        new_status = None
    if publish == plan.published:
        publish = None
    if changes or (new_status is None and publish is None):
        await _authorize_author(session, principal, plan)
    check_version(plan, expected_version, what="plan")
    if changes:
        _require_editable(plan)
        if changes.get("initiative_id") is not None:
            await _initiative_to_carry_out(session, principal, plan.school_id, changes["initiative_id"])
    if new_status is not None and new_status != plan.status:
        await _move(session, principal, plan, new_status)
        changes["status"] = new_status
    if publish is not None and publish != plan.published:
        authorize_on(principal, Action.PLAN_EDIT, plan)
        status = changes.get("status", plan.status)
        if publish and status not in (PlanStatus.APPROVED, PlanStatus.ACTIVE, PlanStatus.CLOSED):
            raise ValidationFailed(
                "Only an approved plan can be published.",
                errors=[FieldError(("published",), "Approve the plan first.", "not_approved")],
            )
        changes["published"] = publish
    apply_changes(plan, changes)
    webhooks.plan_moved(session, plan, changes.get("status"))
    await session.flush()
    if changes.get("status") is PlanStatus.APPROVED:
        await _record_approval(session, principal, plan)
    return plan


async def _move(session: AsyncSession, principal: Principal, plan: Plan, new_status: PlanStatus) -> None:
    if new_status not in PLAN_TRANSITIONS[plan.status]:
        allowed = ", ".join(sorted(s.value for s in PLAN_TRANSITIONS[plan.status])) or "none"
        raise ValidationFailed(
            f"A plan cannot go from {plan.status.value} to {new_status.value}.",
            errors=[FieldError(("status",), f"From {plan.status.value}: {allowed}.", "illegal_transition")],
        )
    if new_status is PlanStatus.IN_REVIEW:
        await _authorize_author(session, principal, plan)
        submitted_at = utcnow()
        check = await _judge(session, plan, submitted_at)
        if not check.met:
            raise ValidationFailed(
                "The plan's co-creation record does not yet meet the district's policy: "
                + "; ".join(check.missing),
                errors=[FieldError(("status",), m, "co_creation_policy") for m in check.missing],
                extra={"missing": check.missing},
            )
        plan.submitted_at = submitted_at
        plan.submitted_by_id = principal.id
    elif new_status is PlanStatus.APPROVED:
        _authorize_approver(principal, plan)
        await _check_separation_of_duties(session, principal, plan)
        await _check_ready_for_approval(session, plan)
    elif new_status is PlanStatus.DRAFT:
        # Sent back by review, or taken back by its authors.
        try:
            _authorize_approver(principal, plan)
        except PermissionDenied:
            await _authorize_author(session, principal, plan)
    else:
        await _authorize_lead(session, principal, plan)


async def _check_separation_of_duties(session: AsyncSession, principal: Principal, plan: Plan) -> None:
    """Where the district separates duties (its `separate_plan_approval`, on by default), the plan's
    lead does not approve it, nor does whoever sent it to review (so a lead who steps down to
    co-author on the way does not approve their own plan either)."""
    separate = await session.scalar(
        select(District.separate_plan_approval).where(District.id == plan.district_id)
    )
    if not separate:
        return
    is_lead = await _collaborator_role(session, principal, plan) is CollaboratorRole.LEAD
    submitted = principal.id is not None and principal.id == plan.submitted_by_id
    # A lead who hands the lead over (or leaves the plan) before it is approved still led it: stepping
    # down between the submission and the approval is not how a second pair of eyes is found.
    person = await _person_of(session, principal)
    led = person is not None and person in plan.former_lead_person_ids
    if is_lead or submitted or led:
        who = "its lead" if is_lead else "who led it" if led else "who sent it to review"
        raise PermissionDenied(
            f"Separation of duties: a plan is approved by someone other than {who}. Ask another approver.",
            extra={"action": "plan:approve", "reason": "separation_of_duties"},
        )


async def _person_of(session: AsyncSession, principal: Principal) -> uuid.UUID | None:
    if principal.kind is not PrincipalKind.USER or principal.id is None:
        return None
    return await session.scalar(select(User.person_id).where(User.id == principal.id))


async def _record_approval(session: AsyncSession, principal: Principal, plan: Plan) -> None:
    """Stamp the approval with the approver's sign-off, and keep the plan as approved as revision 0,
    the base of every diff."""
    plan.approved_at = utcnow()
    plan.approved_by_label = principal.label
    session.add(
        PlanSignOff(
            district_id=plan.district_id,
            plan_id=plan.id,
            kind=SignOffKind.APPROVAL,
            person_id=await _person_of(session, principal),
            signed_by_kind=principal.kind.value,
            signed_by_id=principal.id,
            signed_by_label=principal.label,
        )
    )
    session.add(
        PlanRevision(
            district_id=plan.district_id,
            plan_id=plan.id,
            number=0,
            status=RevisionStatus.ACCEPTED,
            reason="Approved.",
            snapshot=await snapshot(session, plan),
            proposed_by_label=principal.label,
            decided_by_label=principal.label,
            decided_at=plan.approved_at,
        )
    )
    await session.flush()


def _require_editable(plan: Plan, *, revising: bool = False) -> None:
    if plan.status is PlanStatus.CLOSED:
        raise Conflict("The plan is closed; start the next cycle's plan instead.")
    if plan.status in REVISED_STATUSES and not revising:
        raise Conflict(
            f"The plan is {plan.status.value}: propose a revision (POST /plans/{plan.id}/revisions) "
            "with the reason for the change.",
            extra={"plan_status": plan.status.value},
        )


# --- the co-creation policy -------------------------------------------------------------------------


async def policy_check(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> PolicyCheck:
    """Whether the plan may go to review, and then be approved.

    Going to review needs enough held co-creation activities linked to the plan (or its initiative),
    each attended by someone, and among those who attended, the voices the district requires. Dates
    decide: once the plan has gone to review, its record is judged as it stood at that moment
    (`judged_at`), so a session held, or attendance written in, while it waits for approval does not
    count for it: attendance is dated when it is written (`attendance_recorded_at`), so an absence
    turned into attendance after review never counts for the plan, and attendance withdrawn at any time
    no longer counts, even after approval (an approved plan's check then says its record no longer
    meets the policy). A school plan counts its own school's and district-wide sessions only, and staff
    roles of its own school (or district-wide) as voices. Approval also needs every barrier raised in
    the plan's co-creation answered, with a response given back, or carried as an accepted risk
    (`unanswered_barriers`). `missing` says, in words, what is not there.
    """
    plan = await get_plan(session, principal, plan_id)
    return await _judge(session, plan, _judged_at(plan))


def _judged_at(plan: Plan) -> datetime:
    """When a plan's co-creation record is judged: when it went to review, or now for a draft."""
    if plan.status is not PlanStatus.DRAFT and plan.submitted_at is not None:
        return plan.submitted_at
    return utcnow()


async def _judge(session: AsyncSession, plan: Plan, as_of: datetime) -> PolicyCheck:
    district = await session.get(District, plan.district_id)
    assert district is not None  # noqa: S101 (a plan's district exists: foreign key)
    linked = [Activity.plan_id == plan.id]
    if plan.initiative_id is not None:
        linked.append(Activity.initiative_id == plan.initiative_id)
    attended = and_(
        Participation.activity_id == Activity.id,
        Participation.attended.is_(True),
        Participation.attendance_recorded_at <= as_of,
    )
    activities = select(Activity.id).where(
        Activity.district_id == plan.district_id,
        or_(*linked),
        # Of the plan's school or district-wide (`counts_for_plan`).
        *(
            [or_(Activity.school_id.is_(None), Activity.school_id == plan.school_id)]
            if plan.school_id
            else []
        ),
        Activity.mode == Mode.CO_CREATION,
        Activity.status == ActivityStatus.HELD,
        # Held, and recorded, by the moment of judgment; and someone came.
        Activity.held_on <= as_of.date(),
        Activity.created_at <= as_of,
        exists(select(Participation.id).where(attended)),
    )
    activity_ids = list((await session.execute(activities)).scalars())
    heard = await _voices_heard(session, activity_ids, as_of, school_id=plan.school_id)
    required = [
        Voice(v) for v in (district.school_plan_voices if plan.school_id else district.district_plan_voices)
    ]
    missing: list[str] = []
    if len(activity_ids) < district.plan_min_co_creation:
        missing.append(
            f"{district.plan_min_co_creation} held co-creation activit"
            f"{'y' if district.plan_min_co_creation == 1 else 'ies'} linked to the plan or its initiative, "
            f"attended ({len(activity_ids)} so far)"
        )
    for voice in required:
        if not _voice_satisfied(voice, heard):
            missing.append(f"{VOICE_WORDS[voice]} among the participants of its co-creation")
    barriers = await _unanswered_barriers(session, plan)
    return PolicyCheck(
        plan_id=plan.id,
        met=not missing,
        co_creation_activities=len(activity_ids),
        required_activities=district.plan_min_co_creation,
        voices_heard=sorted(v.value for v in heard),
        voices_required=[v.value for v in required],
        missing=missing,
        judged_at=None if plan.status is PlanStatus.DRAFT else as_of,
        unanswered_barriers=barriers,
        ready_for_approval=not missing and not barriers,
    )


# A barrier is answered once it has a disposition that tells its contributor something, and the
# response given back to them: adopted (or deferred) with nothing said back is not an answer.
UNANSWERED = (Disposition.OPEN, Disposition.UNDER_CONSIDERATION)


async def _unanswered_barriers(session: AsyncSession, plan: Plan) -> list[uuid.UUID]:
    """Barriers raised in the plan's co-creation, still open or under consideration (or given a
    disposition with no response said back), and not carried as accepted risks, oldest first."""
    carried = select(AcceptedRisk.input_id).where(AcceptedRisk.plan_id == plan.id)
    stmt = (
        select(Input.id)
        .join(Activity, Activity.id == Input.activity_id)
        .where(
            Activity.plan_id == plan.id,
            Activity.mode == Mode.CO_CREATION,
            Input.kind == InputKind.BARRIER,
            or_(Input.disposition.in_(UNANSWERED), Input.response.is_(None)),
            Input.id.not_in(carried),
        )
        .order_by(Input.created_at, Input.id)
    )
    return list((await session.execute(stmt)).scalars())


async def _check_ready_for_approval(session: AsyncSession, plan: Plan) -> None:
    """The co-creation record as it stood when the plan went to review still meets the policy (the
    district may have raised it since), and no barrier is left unanswered."""
    check = await _judge(session, plan, _judged_at(plan))
    if check.ready_for_approval:
        return
    errors = [FieldError(("status",), m, "co_creation_policy") for m in check.missing]
    errors += [
        FieldError(
            ("status",),
            f"Barrier {b} is unanswered: answer it, or carry it as an accepted risk with a reason.",
            "unanswered_barrier",
        )
        for b in check.unanswered_barriers
    ]
    raise ValidationFailed(
        "The plan is not ready for approval: " + "; ".join(e.message for e in errors),
        errors=errors,
        extra={"missing": check.missing, "unanswered_barriers": [str(b) for b in check.unanswered_barriers]},
    )


# --- sign-offs --------------------------------------------------------------------------------------


async def list_sign_offs(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, page: PageRequest
) -> Page[PlanSignOff]:
    """Who signed the plan off (reviewers, and the approver with the approval), oldest first."""
    return await _parts_of_plan(session, principal, PlanSignOff, plan_id, page)


async def sign_offs_of_plans(
    session: AsyncSession, principal: Principal, plan_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[PlanSignOff]]:
    return await _per_plan(session, principal, PlanSignOff, plan_ids, page)


async def sign_off(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, data: SignOffCreate
) -> PlanSignOff:
    """A reviewer of the plan (or one who may approve it) signs it off while it is in review, once per
    submission. The sign-off is recorded and shown with the plan; approval stays the approver's.

    Raises `NotFound`, `PermissionDenied` (not a reviewer or approver), `Conflict` (not in review;
    already signed off since it went to review).
    """
    plan = await get_plan(session, principal, plan_id, lock=True)
    if await _collaborator_role(session, principal, plan) is not CollaboratorRole.REVIEWER:
        try:
            _authorize_approver(principal, plan)
        except PermissionDenied:
            raise PermissionDenied(
                "Only the plan's reviewers, or whoever may approve it, sign it off.",
                extra={"action": "plan:sign_off"},
            ) from None
    if plan.status is not PlanStatus.IN_REVIEW:
        raise Conflict(f"The plan is {plan.status.value}: reviewers sign off a plan in review.")
    already = select(PlanSignOff.id).where(
        PlanSignOff.plan_id == plan.id,
        PlanSignOff.signed_by_id == principal.id,
        PlanSignOff.created_at >= plan.submitted_at,
    )
    if principal.id is not None and await session.scalar(already) is not None:
        raise Conflict("You have already signed off this plan since it went to review.")
    row = PlanSignOff(
        district_id=plan.district_id,
        plan_id=plan.id,
        kind=SignOffKind.REVIEW,
        person_id=await _person_of(session, principal),
        signed_by_kind=principal.kind.value,
        signed_by_id=principal.id,
        signed_by_label=principal.label,
        note=data.note,
    )
    session.add(row)
    await session.flush()
    return row


# --- accepted risks ---------------------------------------------------------------------------------


async def list_accepted_risks(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, page: PageRequest
) -> Page[AcceptedRisk]:
    """The barriers the plan carries unanswered, with the reason and who decided, oldest first."""
    return await _parts_of_plan(session, principal, AcceptedRisk, plan_id, page)


async def accepted_risks_of_plans(
    session: AsyncSession, principal: Principal, plan_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[AcceptedRisk]]:
    return await _per_plan(session, principal, AcceptedRisk, plan_ids, page)


async def accept_risk(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, data: AcceptedRiskCreate
) -> AcceptedRisk:
    """Carry a barrier of the plan's co-creation as an accepted risk, with the reason, so the plan can
    be approved without answering it. The plan's lead or an approver decides, before approval.

    Raises `NotFound` (plan; an input that is not a barrier of this plan's co-creation, named by
    field), `PermissionDenied`, `Conflict` (already carried; the plan is past approval).
    """
    plan = await get_plan(session, principal, plan_id, lock=True)
    await _authorize_lead(session, principal, plan)
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.IN_REVIEW):
        raise Conflict(f"The plan is {plan.status.value}: risks are accepted before approval.")
    barrier = await session.scalar(
        select(Input)
        .join(Activity, Activity.id == Input.activity_id)
        .where(
            Input.id == data.input_id,
            Activity.plan_id == plan.id,
            Activity.mode == Mode.CO_CREATION,
            Input.kind == InputKind.BARRIER,
        )
    )
    if barrier is None:
        raise NotFound(
            f"No barrier with id {data.input_id} in this plan's co-creation.",
            errors=[FieldError(("input_id",), "Not a barrier raised for this plan.", "not_found")],
        )
    risk = AcceptedRisk(
        district_id=plan.district_id,
        plan_id=plan.id,
        input_id=barrier.id,
        reason=data.reason,
        accepted_by_kind=principal.kind.value,
        accepted_by_id=principal.id,
        accepted_by_label=principal.label,
    )
    session.add(risk)
    await flush_or_conflict(
        session,
        {"uq_accepted_risk_plan_id_input_id": ("input_id", "This barrier is already carried as a risk.")},
    )
    return risk


def _voice_satisfied(voice: Voice, heard: set[Voice]) -> bool:
    if voice is Voice.FAMILIES_OR_COMMUNITY:
        return bool(heard & {Voice.FAMILIES, Voice.COMMUNITY})
    return voice in heard


async def _voices_heard(
    session: AsyncSession, activity_ids: list[uuid.UUID], as_of: datetime, *, school_id: uuid.UUID | None
) -> set[Voice]:
    """The voices among those who attended the activities (as recorded by `as_of`): by stakeholder
    category, by the kind of person, and by the roles a person's account holds (for a school plan, its
    school's or district-wide roles only)."""
    heard: set[Voice] = set()
    for voices in (await voices_by_activity(session, activity_ids, as_of, school_id=school_id)).values():
        heard |= voices
    return heard


async def voices_by_activity(
    session: AsyncSession, activity_ids: list[uuid.UUID], as_of: datetime, *, school_id: uuid.UUID | None
) -> dict[uuid.UUID, set[Voice]]:
    """The voices heard at each activity (as `_voices_heard` counts them), in three queries. For a
    school's plan (`school_id`), staff speak for the school they work at: a teacher, coach or school
    leader of another school is not its teachers' or leaders' voice (district-wide roles are)."""
    found = await voices_at_schools(session, activity_ids, as_of)
    return {a: voices_for_school(heard, school_id) for a, heard in found.items()}


def voices_for_school(heard: set[tuple[Voice, uuid.UUID | None]], school_id: uuid.UUID | None) -> set[Voice]:
    """The voices of `voices_at_schools` that speak for a plan of `school_id` (any, for a district plan)."""
    return {voice for voice, at in heard if school_id is None or at is None or at == school_id}


async def voices_at_schools(
    session: AsyncSession, activity_ids: list[uuid.UUID], as_of: datetime
) -> dict[uuid.UUID, set[tuple[Voice, uuid.UUID | None]]]:
    """The voices heard at each activity, each with the school it speaks for: a staff role's school, or
    None (a stakeholder's category, a person's kind, a district-wide role), in three queries."""
    found: dict[uuid.UUID, set[tuple[Voice, uuid.UUID | None]]] = defaultdict(set)
    if not activity_ids:
        return found
    attended = and_(
        any_of(Participation.activity_id, activity_ids),
        Participation.attended.is_(True),
        Participation.attendance_recorded_at <= as_of,
    )
    by_stakeholder = (
        select(Participation.activity_id, Stakeholder.category, Person.kind)
        .join(
            Participation,
            or_(
                Participation.stakeholder_id == Stakeholder.id,
                and_(Participation.person_id.is_not(None), Participation.person_id == Stakeholder.person_id),
            ),
        )
        .outerjoin(Person, Person.id == Stakeholder.person_id)
        .where(attended)
    )
    for activity_id, category, kind in (await session.execute(by_stakeholder)).all():
        voice = CATEGORY_VOICES.get(category)
        # A member of staff speaks as staff: a stakeholder record filing them as a family, a student or
        # the community does not make them that voice.
        if voice is not None and not (kind is PersonKind.STAFF and voice in NOT_STAFF_VOICES):
            found[activity_id].add((voice, None))
    by_person = (
        select(Participation.activity_id, Person.kind)
        .join(Participation, Participation.person_id == Person.id)
        .where(attended)
    )
    for activity_id, kind in (await session.execute(by_person)).all():
        if kind in PERSON_KIND_VOICES:
            found[activity_id].add((PERSON_KIND_VOICES[kind], None))
    by_role = (
        select(Participation.activity_id, RoleAssignment.role, RoleAssignment.school_id)
        .join(User, User.id == RoleAssignment.user_id)
        .join(Participation, Participation.person_id == User.person_id)
        .where(attended)
    )
    for activity_id, role, school_id in (await session.execute(by_role)).all():
        if role in ROLE_VOICES:
            found[activity_id].add((ROLE_VOICES[role], school_id))
    return found


def counts_for_plan(activity_school_id: uuid.UUID | None, plan_school_id: uuid.UUID | None) -> bool:
    """Whether a co-creation activity (linked to the plan or its initiative) counts for the plan: a
    school plan's co-creation is held with its own school or district-wide; another school's sessions of
    the district initiative it carries out are that school's, not this one's."""
    return plan_school_id is None or activity_school_id is None or activity_school_id == plan_school_id


def voice_satisfied(voice: Voice, heard: set[Voice]) -> bool:
    """Whether `heard` includes the voice the district requires (families or community: either)."""
    return _voice_satisfied(voice, heard)


# --- collaborators ----------------------------------------------------------------------------------


async def list_collaborators(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, page: PageRequest
) -> Page[PlanCollaborator]:
    return await _parts_of_plan(session, principal, PlanCollaborator, plan_id, page)


async def collaborators_of_plans(
    session: AsyncSession, principal: Principal, plan_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[PlanCollaborator]]:
    return await _per_plan(session, principal, PlanCollaborator, plan_ids, page)


async def collaborators_by_id(
    session: AsyncSession, principal: Principal, collaborator_ids: list[uuid.UUID]
) -> dict[uuid.UUID, PlanCollaborator]:
    """The collaborators among `collaborator_ids` of plans the principal may read (a DataLoader batch)."""
    return await children_visible_many(
        session, principal, PlanCollaborator, collaborator_ids, "plan_id", plans_by_id
    )


async def add_collaborator(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, data: CollaboratorCreate
) -> PlanCollaborator:
    """Invite a person of the district to write or review the plan (its lead or a leader decides)."""
    plan = await get_plan(session, principal, plan_id, lock=True)
    await _authorize_lead(session, principal, plan)
    await initiatives._check_references(session, plan.district_id, person_id=data.person_id)
    if data.role is CollaboratorRole.LEAD:
        await _check_one_lead(session, plan, data.person_id)
    collaborator = PlanCollaborator(district_id=plan.district_id, plan_id=plan.id, **data.model_dump())
    session.add(collaborator)
    await flush_or_conflict(session, _COLLABORATOR_UNIQUE)
    return collaborator


async def update_collaborator(
    session: AsyncSession,
    principal: Principal,
    collaborator_id: uuid.UUID,
    data: CollaboratorUpdate,
    *,
    expected_version: VersionCheck = None,
) -> PlanCollaborator:
    collaborator, plan = await _plan_child(
        session, principal, PlanCollaborator, collaborator_id, "collaborator"
    )
    await _authorize_lead(session, principal, plan)
    check_version(collaborator, expected_version, what="collaborator")
    changes = data.changes()
    if changes.get("role") is CollaboratorRole.LEAD:
        await _check_one_lead(session, plan, collaborator.person_id)
    elif collaborator.role is CollaboratorRole.LEAD and changes.get("role") is not None:
        await _remember_former_lead(session, plan, collaborator.person_id)
    apply_changes(collaborator, changes)
    await session.flush()
    return collaborator


async def _check_one_lead(session: AsyncSession, plan: Plan, person_id: uuid.UUID) -> None:
    """A plan has one lead: making someone else lead needs the current one to step down first."""
    current = await session.scalar(
        select(PlanCollaborator.person_id).where(
            PlanCollaborator.plan_id == plan.id, PlanCollaborator.role == CollaboratorRole.LEAD
        )
    )
    if current is not None and current != person_id:
        raise Conflict(
            "The plan already has a lead: change the current lead's role first.",
            errors=[FieldError(("role",), "A plan has one lead.", "one_lead")],
        )


async def remove_collaborator(
    session: AsyncSession, principal: Principal, collaborator_id: uuid.UUID
) -> None:
    collaborator, plan = await _plan_child(
        session, principal, PlanCollaborator, collaborator_id, "collaborator"
    )
    await _authorize_lead(session, principal, plan)
    if collaborator.role is CollaboratorRole.LEAD:
        await _remember_former_lead(session, plan, collaborator.person_id)
    await session.delete(collaborator)
    await session.flush()


async def _remember_former_lead(session: AsyncSession, plan: Plan, person_id: uuid.UUID) -> None:
    """Keep that `person_id` led the plan (`Plan.former_lead_person_ids`, for separation of duties).
    One statement on the plan's row, which takes no new version: who leads it is not its content."""
    if person_id in plan.former_lead_person_ids:
        return
    await session.execute(
        update(Plan)
        .where(Plan.id == plan.id)
        .values(former_lead_person_ids=func.array_append(Plan.former_lead_person_ids, person_id))
        .execution_options(synchronize_session=False)
    )
    set_committed_value(plan, "former_lead_person_ids", [*plan.former_lead_person_ids, person_id])


# --- the goal tree ----------------------------------------------------------------------------------


async def list_goals(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, page: PageRequest
) -> Page[GoalView]:
    await get_plan(session, principal, plan_id)
    result = await paginate(session, select(Goal).where(Goal.plan_id == plan_id), Goal, page)
    return result.with_items(await _with_indicators(session, result.items))


async def goals_of_plans(
    session: AsyncSession, principal: Principal, plan_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[Goal]]:
    """Goals of plans the caller was allowed to read (a DataLoader batch under plans it already
    loaded through the policy, so the plans are not read again); the district filter keeps forged ids
    out."""
    return await paginate_children(
        session, Goal, Goal.plan_id, plan_ids, page, district_id=_district_of(principal)
    )


async def indicators_by_id(
    session: AsyncSession, principal: Principal, indicator_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Indicator]:
    """Indicators of goals the caller was allowed to list (the district filter keeps forged ids out)."""
    stmt = select(Indicator).where(any_of(Indicator.id, indicator_ids))
    if principal.kind is not PrincipalKind.SYSTEM:
        stmt = stmt.where(Indicator.district_id == principal.district_id)
    return {i.id: i for i in (await session.execute(stmt)).scalars()}


async def get_goal(session: AsyncSession, principal: Principal, goal_id: uuid.UUID) -> GoalView:
    goal, _ = await _plan_child(session, principal, Goal, goal_id, "goal", lock=False)
    (view,) = await _with_indicators(session, [goal])
    return view


async def add_goal(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    data: GoalCreate,
    *,
    revising: bool = False,
) -> GoalView:
    """Add a measurable goal; its indicator (baseline, target, target date) is created with it."""
    plan = await _plan_for_edit(session, principal, plan_id, revising=revising)
    indicator = Indicator(
        district_id=plan.district_id, school_id=plan.school_id, **data.indicator.model_dump()
    )
    initiatives._check_dates(
        indicator.baseline_date,
        indicator.target_date,
        fields=("indicator.baseline_date", "indicator.target_date"),
    )
    session.add(indicator)
    await session.flush()
    goal = Goal(
        district_id=plan.district_id,
        plan_id=plan.id,
        indicator_id=indicator.id,
        **data.model_dump(exclude={"indicator"}),
    )
    session.add(goal)
    await session.flush()
    return GoalView(goal, indicator)


async def update_goal(
    session: AsyncSession,
    principal: Principal,
    goal_id: uuid.UUID,
    data: GoalUpdate,
    *,
    expected_version: VersionCheck = None,
    revising: bool = False,
) -> GoalView:
    goal, plan = await _plan_child(session, principal, Goal, goal_id, "goal")
    await _check_edit(session, principal, plan, revising=revising)
    check_version(goal, expected_version, what="goal")
    changes = data.changes()
    indicator_changes = changes.pop("indicator", None) or {}
    indicator = await session.get(Indicator, goal.indicator_id, with_for_update=True)
    assert indicator is not None  # noqa: S101 (foreign key)
    initiatives._check_dates(
        indicator_changes.get("baseline_date", indicator.baseline_date),
        indicator_changes.get("target_date", indicator.target_date),
        fields=("indicator.baseline_date", "indicator.target_date"),
    )
    changed = apply_changes(indicator, indicator_changes)
    if not apply_changes(goal, changes) and changed:
        goal.version += 1  # the goal's measure changed: the goal changed
    await session.flush()
    return GoalView(goal, indicator)


async def _goal_of_indicator(
    session: AsyncSession, principal: Principal, indicator_id: uuid.UUID
) -> tuple[Goal, Plan] | None:
    """The goal an indicator measures and its plan, locked; None when it measures no goal. A goal the
    principal cannot see is `NotFound`, worded for the indicator."""
    goal_id = await session.scalar(select(Goal.id).where(Goal.indicator_id == indicator_id))
    if goal_id is None:
        return None
    try:
        return await _plan_child(session, principal, Goal, goal_id, "goal")
    except NotFound:
        raise NotFound(f"No measure with id {indicator_id}.") from None


async def update_goal_indicator(
    session: AsyncSession,
    principal: Principal,
    indicator_id: uuid.UUID,
    data: IndicatorUpdate,
    *,
    expected_version: int | None = None,
) -> Indicator | None:
    """Change a goal's indicator through the indicator endpoints, by the goal's rules: its plan's
    authors, before approval (an approved plan's goals change by revision: `Conflict`). The goal's
    version moves with its measure. None when the indicator measures no goal."""
    found = await _goal_of_indicator(session, principal, indicator_id)
    if found is None:
        return None
    goal, plan = found
    await _check_edit(session, principal, plan, revising=False)
    indicator = await session.get(Indicator, indicator_id, with_for_update=True)
    assert indicator is not None  # noqa: S101 (foreign key)
    check_version(indicator, expected_version, what="measure")
    changes = data.changes()
    initiatives._check_dates(
        changes.get("baseline_date", indicator.baseline_date),
        changes.get("target_date", indicator.target_date),
        fields=("baseline_date", "target_date"),
    )
    if apply_changes(indicator, changes):
        goal.version += 1  # the goal's measure changed: the goal changed
    await session.flush()
    return indicator


async def remove_goal_indicator(session: AsyncSession, principal: Principal, indicator_id: uuid.UUID) -> bool:
    """A goal's indicator goes with its goal: `Conflict` (remove the goal, or change its measure).
    False when the indicator measures no goal."""
    if await _goal_of_indicator(session, principal, indicator_id) is None:
        return False
    raise Conflict("A goal's measure goes with its goal: remove the goal, or change the measure.")


initiatives.INDICATOR_OWNERS.append(
    initiatives.IndicatorOwner(update=update_goal_indicator, remove=remove_goal_indicator)
)


async def remove_goal(
    session: AsyncSession, principal: Principal, goal_id: uuid.UUID, *, revising: bool = False
) -> None:
    """Remove a goal with its strategies and action steps, and its indicator unless the goal it was
    carried from (or one carried from it) still measures with it: the series belongs to them too."""
    goal, plan = await _plan_child(session, principal, Goal, goal_id, "goal")
    await _check_edit(session, principal, plan, revising=revising)
    indicator_id = goal.indicator_id
    await session.delete(goal)
    await session.flush()
    await session.execute(
        delete(Indicator).where(
            Indicator.id == indicator_id, ~exists(select(Goal.id).where(Goal.indicator_id == indicator_id))
        )
    )


async def list_strategies(
    session: AsyncSession, principal: Principal, goal_id: uuid.UUID, page: PageRequest
) -> Page[Strategy]:
    await _plan_child(session, principal, Goal, goal_id, "goal", lock=False)
    return await paginate(session, select(Strategy).where(Strategy.goal_id == goal_id), Strategy, page)


async def strategies_of_goals(
    session: AsyncSession, principal: Principal, goal_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[Strategy]]:
    """Strategies of goals the caller was allowed to list; the district filter keeps forged ids out."""
    return await paginate_children(
        session, Strategy, Strategy.goal_id, goal_ids, page, district_id=_district_of(principal)
    )


async def add_strategy(
    session: AsyncSession,
    principal: Principal,
    goal_id: uuid.UUID,
    data: StrategyCreate,
    *,
    revising: bool = False,
) -> Strategy:
    goal, plan = await _plan_child(session, principal, Goal, goal_id, "goal", lock=False)
    await _check_edit(session, principal, plan, revising=revising)
    strategy = Strategy(district_id=plan.district_id, plan_id=plan.id, goal_id=goal.id, **data.model_dump())
    session.add(strategy)
    await session.flush()
    return strategy


async def update_strategy(
    session: AsyncSession,
    principal: Principal,
    strategy_id: uuid.UUID,
    data: StrategyUpdate,
    *,
    expected_version: VersionCheck = None,
    revising: bool = False,
) -> Strategy:
    strategy, plan = await _plan_child(session, principal, Strategy, strategy_id, "strategy")
    await _check_edit(session, principal, plan, revising=revising)
    check_version(strategy, expected_version, what="strategy")
    apply_changes(strategy, data.changes())
    await session.flush()
    return strategy


async def remove_strategy(
    session: AsyncSession, principal: Principal, strategy_id: uuid.UUID, *, revising: bool = False
) -> None:
    strategy, plan = await _plan_child(session, principal, Strategy, strategy_id, "strategy")
    await _check_edit(session, principal, plan, revising=revising)
    await session.delete(strategy)
    await session.flush()


async def list_action_steps(
    session: AsyncSession, principal: Principal, strategy_id: uuid.UUID, page: PageRequest
) -> Page[ActionStep]:
    await _plan_child(session, principal, Strategy, strategy_id, "strategy", lock=False)
    stmt = select(ActionStep).where(ActionStep.strategy_id == strategy_id)
    return await paginate(session, stmt, ActionStep, page)


async def steps_of_strategies(
    session: AsyncSession, principal: Principal, strategy_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[ActionStep]]:
    return await paginate_children(
        session, ActionStep, ActionStep.strategy_id, strategy_ids, page, district_id=_district_of(principal)
    )


async def get_action_step(session: AsyncSession, principal: Principal, step_id: uuid.UUID) -> ActionStep:
    step, _ = await _plan_child(session, principal, ActionStep, step_id, "action step", lock=False)
    return step


async def add_action_step(
    session: AsyncSession,
    principal: Principal,
    strategy_id: uuid.UUID,
    data: ActionStepCreate,
    *,
    revising: bool = False,
) -> ActionStep:
    strategy, plan = await _plan_child(session, principal, Strategy, strategy_id, "strategy", lock=False)
    await _check_edit(session, principal, plan, revising=revising)
    await initiatives._check_references(session, plan.district_id, owner_person_id=data.owner_person_id)
    step = ActionStep(
        district_id=plan.district_id, plan_id=plan.id, strategy_id=strategy.id, **data.model_dump()
    )
    _check_step(step)
    await _check_rollout(session, plan, step)
    session.add(step)
    await session.flush()
    return step


async def update_action_step(
    session: AsyncSession,
    principal: Principal,
    step_id: uuid.UUID,
    data: ActionStepUpdate,
    *,
    expected_version: VersionCheck = None,
    revising: bool = False,
) -> ActionStep:
    """Change an action step. In an approved or active plan, its status, progress and blocking reason
    are progress reports (its owner may send them too); anything else needs a revision."""
    step, plan = await _plan_child(session, principal, ActionStep, step_id, "action step")
    changes = data.changes()
    reporting = plan.status in REVISED_STATUSES and set(changes) <= PROGRESS_FIELDS
    if reporting and not revising:
        await _authorize_reporter(session, principal, plan, step)
    else:
        await _check_edit(session, principal, plan, revising=revising)
    check_version(step, expected_version, what="action step")
    await initiatives._check_references(
        session, plan.district_id, owner_person_id=changes.get("owner_person_id")
    )
    if (
        changes.get("status") is not None
        and changes["status"].value != "blocked"
        and "blocked_reason" not in changes
    ):
        changes["blocked_reason"] = None  # unblocked: the reason no longer holds
    apply_changes(step, changes)
    _check_step(step)
    await _check_rollout(session, plan, step)
    await session.flush()
    return step


async def record_scale_up(
    session: AsyncSession, principal: Principal, step_id: uuid.UUID, data: ScaleUpRecord
) -> ActionStep:
    """Record that a pilot's scale-up criteria were met, by whom (the caller) and on what evidence, so
    the rollouts that scale it may start. The plan's authors or those who may approve it record it, once.

    Raises `ValidationFailed` (the step is not a pilot with scale-up criteria, or is not done yet),
    `Conflict` (already recorded, or the plan is closed), `PermissionDenied` and `NotFound`."""
    step, plan = await _plan_child(session, principal, ActionStep, step_id, "action step")
    try:
        _authorize_approver(principal, plan)
    except PermissionDenied:
        await _authorize_author(session, principal, plan)
    if plan.status is PlanStatus.CLOSED:
        raise Conflict("The plan is closed.")
    if not step.is_pilot or not step.scale_up_criteria:
        raise ValidationFailed(
            "Only a pilot with scale-up criteria can have them met.",
            errors=[FieldError(("step_id",), "Not a pilot with scale-up criteria.", "not_a_pilot")],
        )
    if step.status is not StepStatus.DONE:
        raise ValidationFailed(
            "A pilot's scale-up criteria are met once the pilot is done.",
            errors=[FieldError(("step_id",), f"The pilot is {step.status.value}.", "pilot_not_done")],
        )
    if step.scale_up_met_at is not None:
        raise Conflict(
            f"The scale-up criteria were recorded as met on {step.scale_up_met_at.date().isoformat()} by "
            f"{step.scale_up_met_by_label}."
        )
    apply_changes(
        step,
        {
            "scale_up_met_at": utcnow(),
            "scale_up_met_by_label": principal.label,
            "scale_up_evidence": data.evidence,
        },
    )
    await session.flush()
    return step


async def _check_rollout(session: AsyncSession, plan: Plan, step: ActionStep) -> None:
    """A rollout names a pilot of its own plan, and starts (in progress, or done) only once that pilot
    is done and its scale-up criteria are recorded as met: the whole staff follows a pilot that worked."""
    if step.scales_pilot_id is None:
        return
    pilot = await session.scalar(
        select(ActionStep).where(ActionStep.id == step.scales_pilot_id, ActionStep.plan_id == plan.id)
    )
    if pilot is None or pilot.id == step.id or not pilot.is_pilot:
        raise ValidationFailed(
            "A rollout scales a pilot step of the same plan.",
            errors=[FieldError(("scales_pilot_id",), "Not a pilot of this plan.", "not_a_pilot")],
        )
    starting = step.status in (StepStatus.IN_PROGRESS, StepStatus.DONE)
    if starting and (pilot.status is not StepStatus.DONE or pilot.scale_up_met_at is None):
        why = (
            f"its pilot '{pilot.title}' is {pilot.status.value}"
            if pilot.status is not StepStatus.DONE
            else f"the scale-up criteria of its pilot '{pilot.title}' are not recorded as met"
        )
        raise ValidationFailed(
            f"The rollout cannot start: {why}.",
            errors=[FieldError(("status",), f"Not before the pilot: {why}.", "pilot_not_scaled")],
        )


async def remove_action_step(
    session: AsyncSession, principal: Principal, step_id: uuid.UUID, *, revising: bool = False
) -> None:
    step, plan = await _plan_child(session, principal, ActionStep, step_id, "action step")
    await _check_edit(session, principal, plan, revising=revising)
    await session.delete(step)
    await session.flush()


async def _authorize_reporter(
    session: AsyncSession, principal: Principal, plan: Plan, step: ActionStep
) -> None:
    if plan.status is PlanStatus.CLOSED:
        raise Conflict("The plan is closed.")
    if principal.kind is PrincipalKind.USER and step.owner_person_id is not None:
        owner = await session.scalar(
            select(User.id).where(User.id == principal.id, User.person_id == step.owner_person_id)
        )
        if owner is not None:
            return
    await _authorize_author(session, principal, plan)


def _check_step(step: ActionStep) -> None:
    initiatives._check_dates(step.starts_on, step.due_on, fields=("starts_on", "due_on"))
    if step.status.value == "blocked" and not step.blocked_reason:
        raise ValidationFailed(
            "A blocked action step needs the reason it is blocked.",
            errors=[FieldError(("blocked_reason",), "Required when blocked.", "reason_required")],
        )


# --- progress ---------------------------------------------------------------------------------------


async def plan_progress(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> PlanProgress:
    """How far along the plan is. An action step counts its progress (as set, or from its status); a
    strategy, the weighted mean of its steps; a goal, of its strategies; the plan, of its goals. Parts
    with nothing under them yet have no progress and do not count in their parent's mean."""
    plan = await get_plan(session, principal, plan_id)
    return (await progress_of_plans(session, [plan.id]))[plan.id]


async def progress_of_plans(
    session: AsyncSession, plan_ids: list[uuid.UUID]
) -> dict[uuid.UUID, PlanProgress]:
    """The progress of each plan (as `plan_progress` computes it), in three queries whatever the number
    of plans. The caller has checked the plans are readable."""
    goals = await _all(
        session, select(Goal).where(any_of(Goal.plan_id, plan_ids)).order_by(Goal.created_at, Goal.id)
    )
    strategies = await _all(
        session,
        select(Strategy).where(any_of(Strategy.plan_id, plan_ids)).order_by(Strategy.created_at, Strategy.id),
    )
    steps = await _all(
        session,
        select(ActionStep)
        .where(any_of(ActionStep.plan_id, plan_ids))
        .order_by(ActionStep.created_at, ActionStep.id),
    )
    return progress_trees(plan_ids, goals, strategies, steps)


def progress_trees(
    plan_ids: list[uuid.UUID], goals: list[Goal], strategies: list[Strategy], steps: list[ActionStep]
) -> dict[uuid.UUID, PlanProgress]:
    """Each plan's progress tree from its rows (goals, strategies, steps in their order): the one place
    weighted progress is computed."""
    steps_of: dict[uuid.UUID, list[ActionStep]] = defaultdict(list)
    for step in steps:
        steps_of[step.strategy_id].append(step)
    strategies_of: dict[uuid.UUID, list[StrategyProgress]] = defaultdict(list)
    for strategy in strategies:
        mine = [
            StepProgress(
                id=s.id, title=s.title, status=s.status, weight=s.weight, progress=s.effective_progress
            )
            for s in steps_of[strategy.id]
        ]
        strategies_of[strategy.goal_id].append(
            StrategyProgress(
                id=strategy.id,
                title=strategy.title,
                weight=strategy.weight,
                progress=_weighted([(s.weight, s.progress) for s in mine]),
                action_steps=mine,
            )
        )
    goals_of: dict[uuid.UUID, list[GoalProgress]] = defaultdict(list)
    for g in goals:
        goals_of[g.plan_id].append(
            GoalProgress(
                id=g.id,
                statement=g.statement,
                weight=g.weight,
                progress=_weighted([(s.weight, s.progress) for s in strategies_of[g.id]]),
                strategies=strategies_of[g.id],
            )
        )
    return {
        plan_id: PlanProgress(
            plan_id=plan_id,
            progress=_weighted([(g.weight, g.progress) for g in goals_of[plan_id]]),
            goals=goals_of[plan_id],
        )
        for plan_id in plan_ids
    }


def _weighted(parts: list[tuple[Decimal, float | int | None]]) -> float | None:
    counted = [(w, p) for w, p in parts if p is not None]
    total = sum((w for w, _ in counted), Decimal(0))
    if not counted or total == 0:
        return None
    return round(float(sum(w * Decimal(str(p)) for w, p in counted) / total), 2)


# --- pre-planning -----------------------------------------------------------------------------------


async def list_evidence(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, page: PageRequest
) -> Page[Evidence]:
    return await _parts_of_plan(session, principal, Evidence, plan_id, page)


async def evidence_of_plans(
    session: AsyncSession, principal: Principal, plan_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[Evidence]]:
    return await _per_plan(session, principal, Evidence, plan_ids, page)


async def evidence_by_id(
    session: AsyncSession, principal: Principal, evidence_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Evidence]:
    """The evidence among `evidence_ids` of plans the principal may read (a DataLoader batch)."""
    return await children_visible_many(session, principal, Evidence, evidence_ids, "plan_id", plans_by_id)


async def add_evidence(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, data: EvidenceCreate
) -> Evidence:
    """Add what pre-planning collected. Evidence can be added at any stage: it is the record behind the
    plan, not a change to it."""
    plan = await get_plan(session, principal, plan_id)
    await _authorize_author(session, principal, plan)
    if plan.status is PlanStatus.CLOSED:
        raise Conflict("The plan is closed.")
    if data.exemplar_school_id is not None:
        try:
            await initiatives._check_references(session, plan.district_id, school_id=data.exemplar_school_id)
        except NotFound as exc:  # name the field the client sent, not `school_id`
            raise NotFound(
                exc.detail,
                errors=[FieldError(("exemplar_school_id",), "Not found in this district.", "not_found")],
            ) from None
    evidence = Evidence(district_id=plan.district_id, plan_id=plan.id, **data.model_dump())
    session.add(evidence)
    await session.flush()
    return evidence


async def remove_evidence(session: AsyncSession, principal: Principal, evidence_id: uuid.UUID) -> None:
    evidence, plan = await _plan_child(session, principal, Evidence, evidence_id, "evidence")
    await _authorize_author(session, principal, plan)
    await session.delete(evidence)
    await session.flush()


async def pre_planning_inputs(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID
) -> tuple[list[Input], list[Input]]:
    """The barriers and the leverage points raised in co-creation activities linked to the plan, as the
    engagement record holds them (contributors shown as the engagement rules allow)."""
    from app.engagement import service as engagement  # the engagement area owns who sees which input

    plan = await get_plan(session, principal, plan_id)
    inputs = await engagement.inputs_of_plan(session, principal, plan.id)
    barriers = [i for i in inputs if i.kind.value == "barrier"]
    leverage = [i for i in inputs if i.kind.value == "leverage_point"]
    return barriers, leverage


async def pre_planning(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> PrePlanning:
    """What pre-planning surfaced, in one piece: every evidence item collected for the plan, oldest
    first, and the barriers and leverage points of its co-creation activities."""
    plan = await get_plan(session, principal, plan_id)
    evidence = await _all(
        session,
        select(Evidence).where(Evidence.plan_id == plan.id).order_by(Evidence.created_at, Evidence.id),
    )
    barriers, leverage = await pre_planning_inputs(session, principal, plan.id)
    return PrePlanning(
        plan_id=plan.id,
        evidence=[EvidencePublic.model_validate(e) for e in evidence],
        barriers=[InputPublic.model_validate(i) for i in barriers],
        leverage_points=[InputPublic.model_validate(i) for i in leverage],
    )


# --- revisions --------------------------------------------------------------------------------------

_ENTITY_MODELS: dict[str, type[Any]] = {"goal": Goal, "strategy": Strategy, "action_step": ActionStep}
_CREATE_SCHEMAS: dict[str, type[BaseModel]] = {
    "goal": GoalCreate,
    "strategy": StrategyCreate,
    "action_step": ActionStepCreate,
}
_UPDATE_SCHEMAS: dict[str, type[BaseModel]] = {
    "plan": PlanUpdate,
    "goal": GoalUpdate,
    "strategy": StrategyUpdate,
    "action_step": ActionStepUpdate,
}
_PARENTS: dict[str, type[Any]] = {"strategy": Goal, "action_step": Strategy}


async def list_revisions(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    page: PageRequest,
    *,
    status: RevisionStatus | None = None,
) -> Page[RevisionView]:
    await get_plan(session, principal, plan_id)
    stmt = select(PlanRevision).where(PlanRevision.plan_id == plan_id)
    stmt = where_given(stmt, PlanRevision, status=status)
    result = await paginate(session, stmt, PlanRevision, page)
    return result.with_items(await _with_causes(session, result.items))


async def revisions_of_plans(
    session: AsyncSession,
    principal: Principal,
    plan_ids: list[uuid.UUID],
    page: PageRequest,
    *,
    status: RevisionStatus | None = None,
) -> dict[uuid.UUID, Page[PlanRevision]]:
    """A page of revisions per readable plan (a DataLoader batch), as `list_revisions` filters them."""
    readable = list(await plans_by_id(session, principal, plan_ids))
    stmt = where_given(select(PlanRevision), PlanRevision, status=status)
    return await paginate_per_parent(
        session, stmt, PlanRevision, PlanRevision.plan_id, readable, page, answer_for=plan_ids
    )


async def causes_of_revisions(
    session: AsyncSession, principal: Principal, revision_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[PlanRevisionCause]]:
    stmt = _in_district(select(PlanRevisionCause), PlanRevisionCause, principal).where(
        any_of(PlanRevisionCause.revision_id, revision_ids)
    )
    found: dict[uuid.UUID, list[PlanRevisionCause]] = {i: [] for i in revision_ids}
    for cause in (await session.execute(stmt.order_by(PlanRevisionCause.created_at))).scalars():
        found[cause.revision_id].append(cause)
    return found


async def get_revision(session: AsyncSession, principal: Principal, revision_id: uuid.UUID) -> RevisionView:
    revision, _ = await _plan_child(session, principal, PlanRevision, revision_id, "revision", lock=False)
    (view,) = await _with_causes(session, [revision])
    return view


async def propose_revision(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, data: RevisionCreate
) -> RevisionView:
    """Propose a change to an approved or active plan: its reason, what caused it, and the changes. The
    changes are checked now (fields, ids in this plan) and applied only when the lead accepts."""
    plan = await get_plan(session, principal, plan_id)
    await _authorize_author(session, principal, plan)
    if plan.status not in REVISED_STATUSES:
        raise Conflict(
            f"The plan is {plan.status.value}: "
            + ("edit it directly." if plan.status is not PlanStatus.CLOSED else "it no longer changes.")
        )
    for index, change in enumerate(data.changes):
        await _check_change(session, plan, index, change)
    await _check_causes(session, plan, data)
    person_id = None
    if principal.kind is PrincipalKind.USER:
        person_id = await session.scalar(select(User.person_id).where(User.id == principal.id))
    revision = PlanRevision(
        district_id=plan.district_id,
        plan_id=plan.id,
        reason=data.reason,
        changes=[c.model_dump(mode="json", exclude_none=True) for c in data.changes],
        proposed_by_label=principal.label,
        proposed_by_person_id=person_id,
    )
    session.add(revision)
    await session.flush()
    causes = [
        PlanRevisionCause(district_id=plan.district_id, revision_id=revision.id, kind=c.kind, target_id=c.id)
        for c in {(c.kind, c.id): c for c in data.caused_by}.values()
    ]
    session.add_all(causes)
    webhooks.emit(
        session, plan.district_id, webhooks.EventType.REVISION_PROPOSED, revision.id, plan_id=plan.id
    )
    await session.flush()
    return RevisionView(revision, causes)


async def accept_revision(
    session: AsyncSession,
    principal: Principal,
    revision_id: uuid.UUID,
    data: RevisionDecision,
    *,
    expected_version: VersionCheck = None,
) -> RevisionView:
    """Accept a proposed revision: every change applies, in order, or none does; the revision gets the
    next number and a snapshot of the plan it produced, and the plan's version moves on.
    `expected_version` is the plan's."""
    revision, plan = await _decidable(session, principal, revision_id)
    check_version(plan, expected_version, what="plan")
    for index, raw in enumerate(revision.changes):
        change = Change.model_validate(raw)
        try:
            await _apply_change(session, principal, plan, change)
        except (NotFound, ValidationFailed) as exc:
            raise Conflict(
                f"Change {index + 1} no longer applies ({exc.detail}); nothing was changed. Propose it again.",
                extra={"change": index},
            ) from exc
    number = await session.scalar(
        select(func.max(PlanRevision.number)).where(PlanRevision.plan_id == plan.id)
    )
    revision.number = (number or 0) + 1
    revision.status = RevisionStatus.ACCEPTED
    _decide(revision, principal, data)
    webhooks.emit(
        session, plan.district_id, webhooks.EventType.REVISION_DECIDED, revision.id, plan_id=plan.id
    )
    plan.version += 1
    await session.flush()
    revision.snapshot = await snapshot(session, plan)
    await session.flush()
    return (await _with_causes(session, [revision]))[0]


async def reject_revision(
    session: AsyncSession, principal: Principal, revision_id: uuid.UUID, data: RevisionDecision
) -> RevisionView:
    revision, _ = await _decidable(session, principal, revision_id)
    if not data.note:
        raise ValidationFailed(
            "Say why the revision is not accepted; its proposer reads it.",
            errors=[FieldError(("note",), "Required when rejecting.", "reason_required")],
        )
    revision.status = RevisionStatus.REJECTED
    _decide(revision, principal, data)
    webhooks.emit(
        session,
        revision.district_id,
        webhooks.EventType.REVISION_DECIDED,
        revision.id,
        plan_id=revision.plan_id,
    )
    await session.flush()
    return (await _with_causes(session, [revision]))[0]


async def _decidable(
    session: AsyncSession, principal: Principal, revision_id: uuid.UUID
) -> tuple[PlanRevision, Plan]:
    revision, plan = await _plan_child(session, principal, PlanRevision, revision_id, "revision")
    plan = await get_plan(session, principal, plan.id, lock=True)
    await _authorize_lead(session, principal, plan)
    if revision.status is not RevisionStatus.PROPOSED:
        raise Conflict(f"The revision was already {revision.status.value}.")
    if plan.status not in REVISED_STATUSES:
        raise Conflict(f"The plan is {plan.status.value}; revisions apply to approved and active plans.")
    return revision, plan


def _decide(revision: PlanRevision, principal: Principal, data: RevisionDecision) -> None:
    revision.decided_by_label = principal.label
    revision.decided_at = utcnow()
    revision.decision_note = data.note


async def _check_change(session: AsyncSession, plan: Plan, index: int, change: Change) -> None:
    """Validate one proposed change against its schema and the plan, naming where it is wrong."""
    path: tuple[str | int, ...] = ("changes", index)
    schema = _CREATE_SCHEMAS[change.entity] if change.op == "add" else _UPDATE_SCHEMAS[change.entity]
    if change.op != "remove":
        try:
            schema.model_validate(change.fields)
        except PydanticValidationError as exc:
            raise ValidationFailed(
                f"Change {index + 1} is not a valid {change.entity} {change.op}.",
                errors=[FieldError((*path, "fields", *e["loc"]), e["msg"], e["type"]) for e in exc.errors()],
            ) from None
        if change.entity == "plan" and {"status", "published"} & set(change.fields):
            raise ValidationFailed(
                "A revision changes the plan's content, not its status or publication.",
                errors=[FieldError((*path, "fields"), "Leave out status and published.", "not_revisable")],
            )
    targets = []
    if change.op in ("update", "remove") and change.entity != "plan":
        targets.append(("id", _ENTITY_MODELS[change.entity], change.id))
    if change.op == "add" and change.entity in _PARENTS:
        targets.append(("parent_id", _PARENTS[change.entity], change.parent_id))
    for field, model, row_id in targets:
        row = await session.get(model, row_id)
        if row is None or row.plan_id != plan.id:
            raise NotFound(
                f"Change {index + 1}: no {model.__tablename__.replace('_', ' ')} with id {row_id} in this plan.",
                errors=[FieldError((*path, field), "Not part of this plan.", "not_found")],
            )


async def _check_causes(session: AsyncSession, plan: Plan, data: RevisionCreate) -> None:
    for index, cause in enumerate(data.caused_by):
        if cause.kind is CauseKind.INPUT:
            row = await session.get(Input, cause.id)
            found = row is not None and row.district_id == plan.district_id
        elif cause.kind is CauseKind.CHECKPOINT:
            checkpoint = await session.get(ReviewCheckpoint, cause.id)
            found = checkpoint is not None and checkpoint.plan_id == plan.id
        elif cause.kind is CauseKind.PDSA_CYCLE:
            cycle = await session.get(PdsaCycle, cause.id)
            found = cycle is not None and cycle.plan_id == plan.id
        elif cause.kind is CauseKind.WALKTHROUGH:
            walkthrough = await session.get(Walkthrough, cause.id)
            found = walkthrough is not None and (
                walkthrough.plan_id == plan.id
                or (walkthrough.district_id == plan.district_id and walkthrough.school_id == plan.school_id)
            )
        else:
            found = await _measurement_exists(session, plan, cause.id)
        if not found:
            raise NotFound(
                f"No {cause.kind.value} with id {cause.id} for this plan.",
                errors=[FieldError(("caused_by", index, "id"), "Not found for this plan.", "not_found")],
            )


async def _measurement_exists(session: AsyncSession, plan: Plan, measurement_id: uuid.UUID) -> bool:
    """A measurement of the plan's district (of any indicator: a district measure can move a school plan)."""
    measurement = await session.get(Measurement, measurement_id)
    return measurement is not None and measurement.district_id == plan.district_id


async def _apply_change(session: AsyncSession, principal: Principal, plan: Plan, change: Change) -> None:
    fields = change.fields
    if change.entity == "plan":
        updates = PlanUpdate.model_validate(fields).changes()
        if updates.get("initiative_id") is not None:
            await _initiative_to_carry_out(session, principal, plan.school_id, updates["initiative_id"])
        for name, value in updates.items():
            setattr(plan, name, value)  # the acceptance moves the plan's version, once
        await session.flush()
        return
    # Each part of the tree is added, changed and removed by the same service functions as outside a
    # revision (their checks included), told that a revision does it.
    add, create_model, update, update_model, remove = {
        "goal": (add_goal, GoalCreate, update_goal, GoalUpdate, remove_goal),
        "strategy": (add_strategy, StrategyCreate, update_strategy, StrategyUpdate, remove_strategy),
        "action_step": (
            add_action_step,
            ActionStepCreate,
            update_action_step,
            ActionStepUpdate,
            remove_action_step,
        ),
    }[change.entity]
    if change.op == "add":
        # A goal is added to the plan; a strategy or an action step under its `parent_id`.
        parent_id = plan.id if change.entity == "goal" else change.parent_id
        await add(session, principal, parent_id, create_model.model_validate(fields), revising=True)
    elif change.op == "update":
        await update(session, principal, change.id, update_model.model_validate(fields), revising=True)
    else:
        await remove(session, principal, change.id, revising=True)


async def snapshot(session: AsyncSession, plan: Plan) -> dict[str, Any]:
    """The plan's content as plain JSON, for the revision record and for diffs."""
    goals = await _all(
        session, select(Goal).where(Goal.plan_id == plan.id).order_by(Goal.created_at, Goal.id)
    )
    views = await _with_indicators(session, goals)
    strategies = await _all(
        session,
        select(Strategy).where(Strategy.plan_id == plan.id).order_by(Strategy.created_at, Strategy.id),
    )
    steps = await _all(
        session,
        select(ActionStep)
        .where(ActionStep.plan_id == plan.id)
        .order_by(ActionStep.created_at, ActionStep.id),
    )
    indicator_fields = (
        "name",
        "unit",
        "direction",
        "baseline_value",
        "baseline_date",
        "target_value",
        "target_date",
    )
    return {
        "plan": _plain(
            {"id": plan.id, "title": plan.title, "summary": plan.summary, "initiative_id": plan.initiative_id}
        ),
        "goals": [
            _plain(
                {
                    "id": v.goal.id,
                    "statement": v.goal.statement,
                    "weight": v.goal.weight,
                    **{f"indicator.{f}": getattr(v.indicator, f) for f in indicator_fields},
                }
            )
            for v in views
        ],
        "strategies": [
            _plain(
                {
                    "id": s.id,
                    "goal_id": s.goal_id,
                    "title": s.title,
                    "description": s.description,
                    "driver": s.driver,
                    "weight": s.weight,
                }
            )
            for s in strategies
        ],
        "action_steps": [
            _plain(
                {
                    "id": s.id,
                    "strategy_id": s.strategy_id,
                    "title": s.title,
                    "description": s.description,
                    "owner_person_id": s.owner_person_id,
                    "starts_on": s.starts_on,
                    "due_on": s.due_on,
                    "weight": s.weight,
                    "pilot_group": s.pilot_group,
                    "scale_up_criteria": s.scale_up_criteria,
                }
            )
            for s in steps
        ],
    }


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        if isinstance(value, Decimal):
            return f"{value.normalize():f}" if value == value.to_integral() else str(value)
        return str(value.value) if hasattr(value, "value") else str(value)

    return {k: plain(v) for k, v in values.items()}


async def diff_revisions(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, from_number: int, to_number: int
) -> RevisionDiff:
    """What changed between two accepted revisions (0 is the plan as approved): each goal, strategy
    or action step added, removed or changed, with its fields before and after."""
    plan = await get_plan(session, principal, plan_id)
    found = {
        r.number: r
        for r in await _all(
            session,
            select(PlanRevision).where(
                PlanRevision.plan_id == plan.id, PlanRevision.number.in_([from_number, to_number])
            ),
        )
    }
    for parameter, number in (("from", from_number), ("to", to_number)):
        if number not in found:
            raise NotFound(
                f"The plan has no accepted revision number {number}.",
                errors=[FieldError(("query", parameter), "No such revision number.", "not_found")],
            )
    before, after = found[from_number].snapshot or {}, found[to_number].snapshot or {}
    entries: list[DiffEntry] = []
    for key, entity in (
        ("plan", "plan"),
        ("goals", "goal"),
        ("strategies", "strategy"),
        ("action_steps", "action_step"),
    ):
        old = _by_id(before.get(key))
        new = _by_id(after.get(key))
        for row_id in [*old, *(i for i in new if i not in old)]:
            a, b = old.get(row_id), new.get(row_id)
            if a == b:
                continue
            change = "added" if a is None else "removed" if b is None else "changed"
            if change == "changed":
                keys = {k for k in {*a, *b} if a.get(k) != b.get(k)}  # type: ignore[union-attr]
                a = {k: a.get(k) for k in keys}  # type: ignore[union-attr]
                b = {k: b.get(k) for k in keys}  # type: ignore[union-attr]
            entries.append(DiffEntry(entity=entity, id=uuid.UUID(row_id), change=change, before=a, after=b))  # type: ignore[arg-type]
    return RevisionDiff(plan_id=plan.id, from_number=from_number, to_number=to_number, entries=entries)


def _by_id(rows: Any) -> dict[str, dict[str, Any]]:
    if rows is None:
        return {}
    if isinstance(rows, dict):
        rows = [rows]
    return {row["id"]: {k: v for k, v in row.items() if k != "id"} for row in rows}


# --- review checkpoints -----------------------------------------------------------------------------


async def list_checkpoints(
    session: AsyncSession,
    principal: Principal,
    plan_id: uuid.UUID,
    page: PageRequest,
    *,
    overdue: bool | None = None,
) -> Page[ReviewCheckpoint]:
    await get_plan(session, principal, plan_id)
    stmt = select(ReviewCheckpoint).where(ReviewCheckpoint.plan_id == plan_id)
    if overdue is not None:
        stmt = stmt.where(_overdue() if overdue else ~_overdue())
    return await paginate(session, stmt, ReviewCheckpoint, page)


async def overdue_checkpoints(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> Page[ReviewCheckpoint]:
    """Every overdue review of the plans the principal may read, across the district."""
    readable = _plans_visible(select(Plan.id), principal)
    stmt = select(ReviewCheckpoint).where(ReviewCheckpoint.plan_id.in_(readable), _overdue())
    return await paginate(session, stmt, ReviewCheckpoint, page)


async def checkpoints_of_plans(
    session: AsyncSession, principal: Principal, plan_ids: list[uuid.UUID], page: PageRequest
) -> dict[uuid.UUID, Page[ReviewCheckpoint]]:
    return await _per_plan(session, principal, ReviewCheckpoint, plan_ids, page)


def _overdue() -> Any:
    return and_(ReviewCheckpoint.held_on.is_(None), ReviewCheckpoint.scheduled_on < utcnow().date())


async def add_checkpoint(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, data: CheckpointCreate
) -> ReviewCheckpoint:
    plan = await _plan_for_review(session, principal, plan_id)
    checkpoint = ReviewCheckpoint(
        district_id=plan.district_id, plan_id=plan.id, scheduled_on=data.scheduled_on
    )
    session.add(checkpoint)
    await session.flush()
    return checkpoint


async def schedule_checkpoints(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, data: CheckpointSchedule
) -> list[ReviewCheckpoint]:
    """Schedule a series of reviews, every `every_weeks` weeks from `first_on` through `until`."""
    plan = await _plan_for_review(session, principal, plan_id)
    dates: list[date] = []
    day = data.first_on
    while day <= data.until:
        dates.append(day)
        day += timedelta(weeks=data.every_weeks)
    checkpoints = [
        ReviewCheckpoint(district_id=plan.district_id, plan_id=plan.id, scheduled_on=d) for d in dates
    ]
    session.add_all(checkpoints)
    await session.flush()
    return checkpoints


async def update_checkpoint(
    session: AsyncSession,
    principal: Principal,
    checkpoint_id: uuid.UUID,
    data: CheckpointUpdate,
    *,
    expected_version: VersionCheck = None,
) -> ReviewCheckpoint:
    """Record a review: when it was held, who came (people of the district), what it found and decided,
    and the revision it produced (one of this plan's)."""
    checkpoint, plan = await _plan_child(
        session, principal, ReviewCheckpoint, checkpoint_id, "review checkpoint"
    )
    await _authorize_author(session, principal, plan)
    check_version(checkpoint, expected_version, what="review checkpoint")
    changes = data.changes()
    attendees = changes.get("attendee_person_ids") or []
    if attendees:
        found = set(
            await _all(
                session,
                select(Person.id).where(Person.id.in_(attendees), Person.district_id == plan.district_id),
            )
        )
        for index, person_id in enumerate(attendees):
            if person_id not in found:
                raise NotFound(
                    f"No person with id {person_id} in this district.",
                    errors=[
                        FieldError(("attendee_person_ids", index), "Not found in this district.", "not_found")
                    ],
                )
        changes["attendee_person_ids"] = list(dict.fromkeys(attendees))
    if changes.get("revision_id") is not None:
        revision = await session.get(PlanRevision, changes["revision_id"])
        if revision is None or revision.plan_id != plan.id:
            raise NotFound(
                f"No revision with id {changes['revision_id']} of this plan.",
                errors=[FieldError(("revision_id",), "Not a revision of this plan.", "not_found")],
            )
    if changes.get("held_on") is not None and changes["held_on"] > utcnow().date():
        raise ValidationFailed(
            "A review cannot have been held in the future.",
            errors=[FieldError(("held_on",), "On or before today.", "held_in_future")],
        )
    if changes.get("held_on") is not None and checkpoint.held_on is None:
        webhooks.emit(
            session, plan.district_id, webhooks.EventType.CHECKPOINT_HELD, checkpoint.id, plan_id=plan.id
        )
    apply_changes(checkpoint, changes)
    await session.flush()
    return checkpoint


async def remove_checkpoint(session: AsyncSession, principal: Principal, checkpoint_id: uuid.UUID) -> None:
    checkpoint, plan = await _plan_child(
        session, principal, ReviewCheckpoint, checkpoint_id, "review checkpoint"
    )
    await _authorize_author(session, principal, plan)
    if checkpoint.held_on is not None:
        raise Conflict("A review that was held stays on the record.")
    await session.delete(checkpoint)
    await session.flush()


async def _plan_for_review(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> Plan:
    plan = await get_plan(session, principal, plan_id)
    await _authorize_author(session, principal, plan)
    if plan.status is PlanStatus.CLOSED:
        raise Conflict("The plan is closed.")
    return plan


# --- export -----------------------------------------------------------------------------------------


async def export_plan(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> PlanExport:
    """The whole plan as one JSON document: its collaborators, the goal tree (each goal with its
    indicator, strategies and action steps, oldest first), the evidence, the review checkpoints (by
    date) and the accepted revisions (by number, with their causes)."""
    plan = await get_plan(session, principal, plan_id)
    progress = await plan_progress(session, principal, plan.id)

    def of_plan(model: Any) -> Any:
        return select(model).where(model.plan_id == plan.id).order_by(model.created_at, model.id)

    collaborators = await _all(session, of_plan(PlanCollaborator))
    goals = await _with_indicators(session, await _all(session, of_plan(Goal)))
    strategies = await _all(session, of_plan(Strategy))
    steps = await _all(session, of_plan(ActionStep))
    evidence = await _all(session, of_plan(Evidence))
    checkpoints = await _all(
        session,
        select(ReviewCheckpoint)
        .where(ReviewCheckpoint.plan_id == plan.id)
        .order_by(ReviewCheckpoint.scheduled_on, ReviewCheckpoint.id),
    )
    revisions = await _with_causes(
        session,
        await _all(
            session,
            select(PlanRevision)
            .where(PlanRevision.plan_id == plan.id, PlanRevision.status == RevisionStatus.ACCEPTED)
            .order_by(PlanRevision.number),
        ),
    )
    steps_of: dict[uuid.UUID, list[ActionStep]] = defaultdict(list)
    for step in steps:
        steps_of[step.strategy_id].append(step)
    strategies_of: dict[uuid.UUID, list[StrategyTree]] = defaultdict(list)
    for strategy in strategies:
        strategies_of[strategy.goal_id].append(
            StrategyTree.model_validate(
                {
                    **{name: getattr(strategy, name) for name in StrategyPublic.model_fields},
                    "action_steps": steps_of[strategy.id],
                }
            )
        )
    return PlanExport.model_validate(
        {
            **PlanPublic.model_validate(plan).model_dump(),
            "progress": progress.progress,
            "collaborators": collaborators,
            "goals": [GoalTree.from_view(v, strategies=strategies_of[v.goal.id]) for v in goals],
            "evidence": evidence,
            "checkpoints": checkpoints,
            "revisions": [RevisionPublic.from_view(r) for r in revisions],
        }
    )


async def plan_document(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, as_html: bool
) -> str:
    """The plan as a document a school can share (and hand to its board): Markdown, or printable HTML.
    Its authors by name, the goal tree with each pilot's scale-up criteria (and when they were met, by
    whom, on what evidence) and each rollout's pilot, the evidence, the co-creation record (the policy
    as judged, the sessions held and how many attended, the barriers raised and what became of them,
    the risks carried), the sign-offs, the reviews and the revisions."""
    plan = await get_plan(session, principal, plan_id)
    progress = await plan_progress(session, principal, plan.id)
    views = {
        v.goal.id: v
        for v in await _with_indicators(
            session, await _all(session, select(Goal).where(Goal.plan_id == plan.id))
        )
    }
    steps = {s.id: s for s in await _all(session, select(ActionStep).where(ActionStep.plan_id == plan.id))}
    evidence = await _all(
        session, select(Evidence).where(Evidence.plan_id == plan.id).order_by(Evidence.created_at)
    )
    checkpoints = await _all(
        session,
        select(ReviewCheckpoint)
        .where(ReviewCheckpoint.plan_id == plan.id)
        .order_by(ReviewCheckpoint.scheduled_on),
    )
    revisions = await _all(
        session,
        select(PlanRevision)
        .where(PlanRevision.plan_id == plan.id, PlanRevision.status == RevisionStatus.ACCEPTED)
        .order_by(PlanRevision.number),
    )

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:g}%"

    lines = [
        f"# {_md(plan.title)}",
        "",
        f"**Cycle** {plan.cycle} · **Status** {label(plan.status)} · **Progress** {pct(progress.progress)}",
        "",
    ]
    if plan.summary:
        lines += [_md(plan.summary), ""]
    lines += await _authors_section(session, plan)
    for goal in progress.goals:
        indicator = views[goal.id].indicator
        lines += [
            f"## Goal: {_md(goal.statement)}",
            "",
            f"Measured by *{_md(indicator.name)}* ({_md(indicator.unit)}): baseline "
            f"{_num(indicator.baseline_value)}, target {_num(indicator.target_value)}"
            f"{' by ' + indicator.target_date.isoformat() if indicator.target_date else ''}. "
            f"Progress {pct(goal.progress)}.",
            "",
        ]
        for strategy in goal.strategies:
            lines += [f"### Strategy: {_md(strategy.title)} ({pct(strategy.progress)})", ""]
            for s in strategy.action_steps:
                step = steps[s.id]
                due = f", due {step.due_on.isoformat()}" if step.due_on else ""
                pilot = f" — pilot with {_md(step.pilot_group)}" if step.pilot_group else ""
                if step.pilot_group and step.scale_up_criteria:
                    pilot += f"; scales up when: {_md(step.scale_up_criteria)}"
                if step.scale_up_met_at is not None:
                    pilot += (
                        f" (met {step.scale_up_met_at.date().isoformat()}, recorded by "
                        f"{_md(step.scale_up_met_by_label)}: {_md(step.scale_up_evidence)})"
                    )
                if step.scales_pilot_id is not None and step.scales_pilot_id in steps:
                    pilot += f" — scales up the pilot *{_md(steps[step.scales_pilot_id].title)}*"
                lines.append(f"- {_md(step.title)} ({label(step.status)}, {s.progress}%{due}){pilot}")
            lines.append("")
    if evidence:
        lines += ["## Evidence", ""] + [f"- {_md(e.title)} ({label(e.kind)})" for e in evidence] + [""]
    lines += await _co_creation_section(session, plan)
    if checkpoints:
        lines += ["## Reviews", ""]
        for c in checkpoints:
            state = (
                f"held {c.held_on.isoformat()}" if c.held_on else ("overdue" if c.overdue else "scheduled")
            )
            lines.append(
                f"- {c.scheduled_on.isoformat()}: {state}{' — ' + _md(c.summary) if c.summary else ''}"
            )
        lines.append("")
    if revisions:
        lines += ["## Revisions", ""] + [f"- {r.number}: {_md(r.reason)}" for r in revisions] + [""]
    markdown = "\n".join(lines)
    return _html(plan.title, lines) if as_html else markdown


async def _authors_section(session: AsyncSession, plan: Plan) -> list[str]:
    """Who wrote the plan and who reviews it, by name."""
    rows = (
        await session.execute(
            select(PlanCollaborator.role, Person.display_name)
            .join(Person, Person.id == PlanCollaborator.person_id)
            .where(PlanCollaborator.plan_id == plan.id)
            .order_by(PlanCollaborator.created_at, PlanCollaborator.id)
        )
    ).all()
    if not rows:
        return []
    words = {
        CollaboratorRole.LEAD: "Lead",
        CollaboratorRole.CO_AUTHOR: "Co-authors",
        CollaboratorRole.REVIEWER: "Reviewers",
    }
    lines = ["## Who wrote it", ""]
    for role in CollaboratorRole:
        names = [name for r, name in rows if r is role]
        if names:
            lines.append(f"- **{words[role]}**: {', '.join(_md(name) for name in names)}")
    return [*lines, ""]


async def _co_creation_section(session: AsyncSession, plan: Plan) -> list[str]:
    """The plan's co-creation record as a board would read it: the district's policy as judged, the
    co-creation sessions held for the plan or its initiative and how many attended each, the barriers
    raised and what became of them (or the risk carried, and why), and the sign-offs."""
    check = await _judge(session, plan, _judged_at(plan))
    linked = [Activity.plan_id == plan.id]
    if plan.initiative_id is not None:
        linked.append(Activity.initiative_id == plan.initiative_id)
    attended = (
        select(func.count())
        .where(Participation.activity_id == Activity.id, Participation.attended.is_(True))
        .correlate(Activity)
        .scalar_subquery()
    )
    sessions = (
        await session.execute(
            select(Activity, attended)
            .where(
                Activity.district_id == plan.district_id,
                or_(*linked),
                Activity.mode == Mode.CO_CREATION,
                Activity.status == ActivityStatus.HELD,
            )
            .order_by(Activity.held_on, Activity.id)
        )
    ).all()
    barriers = (
        await session.execute(
            select(Input, AcceptedRisk)
            .join(Activity, Activity.id == Input.activity_id)
            .outerjoin(AcceptedRisk, and_(AcceptedRisk.input_id == Input.id, AcceptedRisk.plan_id == plan.id))
            .where(Activity.plan_id == plan.id, Input.kind == InputKind.BARRIER)
            .order_by(Input.created_at, Input.id)
        )
    ).all()
    sign_offs = await _all(
        session,
        select(PlanSignOff)
        .where(PlanSignOff.plan_id == plan.id)
        .order_by(PlanSignOff.created_at, PlanSignOff.id),
    )
    judged = f" as it stood on {check.judged_at.date().isoformat()}" if check.judged_at else ""
    met = "meets" if check.met else "does not meet"
    voices = (
        f"; voices heard: {', '.join(label(v) for v in check.voices_heard)}" if check.voices_heard else ""
    )
    lines = [
        "## Co-creation",
        "",
        f"The co-creation record{judged} **{met}** the district's policy: {check.co_creation_activities} of "
        f"{check.required_activities} required session(s) held and attended{voices}.",
        "",
    ]
    if check.missing:
        lines += [*(f"- Still missing: {m}" for m in check.missing), ""]
    if sessions:
        lines += ["### Sessions", ""]
        lines += [
            f"- {a.held_on.isoformat()}: {_md(a.title)} ({label(a.kind)}, {label(a.participation_level)}), "
            f"{n} attended"
            for a, n in sessions
        ]
        lines.append("")
    if barriers:
        lines += ["### Barriers raised", ""]
        for barrier, risk in barriers:
            if risk is not None:
                fate = f"carried as an accepted risk: {_md(risk.reason)}"
            else:
                fate = label(barrier.disposition) + (f": {_md(barrier.response)}" if barrier.response else "")
            lines.append(f"- {_md(barrier.text)} — *{fate}*")
        lines.append("")
    if sign_offs:
        lines += ["### Sign-offs", ""]
        lines += [
            f"- {'Approved' if o.kind is SignOffKind.APPROVAL else 'Reviewed'} by {_md(o.signed_by_label)} on "
            f"{o.created_at.date().isoformat()}{': ' + _md(o.note) if o.note else ''}"
            for o in sign_offs
        ]
        lines.append("")
    return lines


def _num(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.normalize():f}"


# What people wrote goes into the document as text, never as Markdown: a summary, a note or a barrier
# could otherwise add a heading, a list item ("- Approved by the superintendent"), a link or raw HTML
# to a document the school hands its board. CommonMark lets any ASCII punctuation be escaped with a
# backslash; these are the characters that make markup inline, and those that make a block at the
# start of a line (a heading, a quote, a list, a setext underline).
_INLINE_MARKUP = re.compile(r"([\\`*_\[\]<>&|~])")
_BLOCK_MARKUP = re.compile(r"^([ \t]*)([#>+=-])", re.MULTILINE)
_NUMBERED = re.compile(r"^([ \t]*\d+)([.)])", re.MULTILINE)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def _md(text: str | None) -> str:
    """Someone's words as Markdown that shows them literally."""
    if not text:
        return ""
    text = _INLINE_MARKUP.sub(r"\\\1", text)
    text = _BLOCK_MARKUP.sub(r"\1\\\2", text)
    return _NUMBERED.sub(r"\1\\\2", text)


def _inline(text: str) -> str:
    """Markdown's emphasis in escaped text: **strong**, then *emphasis*; an escaped character (what
    people wrote, `_md`) is shown as itself."""
    text = re.sub(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![*\w\\])\*(?!\s)(.+?)(?<![\s\\])\*(?![*\w])", r"<em>\1</em>", text)
    return _ESCAPED.sub(r"\1", text)


def _html(title: str, lines: list[str]) -> str:
    """A small, printable rendering of the Markdown lines above (headings, bold, lists, paragraphs)."""
    body: list[str] = []
    in_list = False
    for line in lines:
        text = html.escape(line)
        if line.startswith("- "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{_inline(text[2:])}</li>")
            continue
        if in_list:
            body.append("</ul>")
            in_list = False
        if line.startswith("### "):
            body.append(f"<h3>{_inline(text[4:])}</h3>")
        elif line.startswith("## "):
            body.append(f"<h2>{_inline(text[3:])}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{_inline(text[2:])}</h1>")
        elif line:
            body.append(f"<p>{_inline(text)}</p>")
    if in_list:
        body.append("</ul>")
    style = "body{font:14px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;color:#222}h2{margin-top:2rem}"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>"
    )


# --- helpers ----------------------------------------------------------------------------------------


async def _plan_for_edit(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, revising: bool
) -> Plan:
    plan = await get_plan(session, principal, plan_id)
    await _check_edit(session, principal, plan, revising=revising)
    return plan


async def _check_edit(session: AsyncSession, principal: Principal, plan: Plan, *, revising: bool) -> None:
    if not revising:
        await _authorize_author(session, principal, plan)
    _require_editable(plan, revising=revising)


async def _plan_child(
    session: AsyncSession,
    principal: Principal,
    model: type[Any],
    row_id: uuid.UUID,
    what: str,
    *,
    lock: bool = True,
) -> tuple[Any, Plan]:
    """A row of a plan the principal may read, with its plan. Absent, another district's or not
    readable: `NotFound`, all three alike. An anonymous caller is `Unauthenticated`, as everywhere."""
    require_authenticated(principal)
    row = await session.get(model, row_id, with_for_update=lock)
    if row is None or (
        principal.kind is not PrincipalKind.SYSTEM and row.district_id != principal.district_id
    ):
        raise no_such(what, row_id)
    plan_id = row.plan_id if hasattr(row, "plan_id") else None
    try:
        plan = await get_plan(session, principal, plan_id)  # type: ignore[arg-type]
    except NotFound:
        raise no_such(what, row_id) from None
    return row, plan


async def _parts_of_plan(
    session: AsyncSession, principal: Principal, model: type[Any], plan_id: uuid.UUID, page: PageRequest
) -> Page[Any]:
    """A page of the plan's rows of `model` (its collaborators, evidence, sign-offs, accepted risks),
    oldest first, for whoever reads the plan; `NotFound` otherwise."""
    await get_plan(session, principal, plan_id)
    return await paginate(session, select(model).where(model.plan_id == plan_id), model, page)


async def _per_plan(
    session: AsyncSession,
    principal: Principal,
    model: type[Any],
    plan_ids: list[uuid.UUID],
    page: PageRequest,
) -> dict[uuid.UUID, Page[Any]]:
    """A page of rows of `model` per plan asked about (a DataLoader batch): empty for one the principal
    may not read."""
    readable = list(await plans_by_id(session, principal, plan_ids))
    return await paginate_per_parent(
        session, select(model), model, model.plan_id, readable, page, answer_for=plan_ids
    )


def _district_of(principal: Principal) -> uuid.UUID | None:
    """The district a read is kept in; None for the operator, who reads across districts."""
    return None if principal.kind is PrincipalKind.SYSTEM else principal.district_id


def _in_district(stmt: Any, model: Any, principal: Principal) -> Any:
    if principal.kind is PrincipalKind.SYSTEM:
        return stmt
    return stmt.where(model.district_id == principal.district_id)


async def goals_with_indicators(session: AsyncSession, plan_id: uuid.UUID) -> list[tuple[Goal, Indicator]]:
    """The plan's goals, oldest first, each with the indicator that measures it. Not scoped: for a
    caller that has already read the plan (its dashboard, the next cycle's plan)."""
    rows = await session.execute(
        select(Goal, Indicator)
        .join(Indicator, Indicator.id == Goal.indicator_id)
        .where(Goal.plan_id == plan_id)
        .order_by(Goal.created_at, Goal.id)
    )
    return [(goal, indicator) for goal, indicator in rows]


async def _with_indicators(session: AsyncSession, goals: list[Goal]) -> list[GoalView]:
    if not goals:
        return []
    found = await _all(
        session, select(Indicator).where(any_of(Indicator.id, [g.indicator_id for g in goals]))
    )
    by_id = {i.id: i for i in found}
    return [GoalView(g, by_id[g.indicator_id]) for g in goals]


async def _with_causes(session: AsyncSession, revisions: list[PlanRevision]) -> list[RevisionView]:
    if not revisions:
        return []
    stmt = select(PlanRevisionCause).where(any_of(PlanRevisionCause.revision_id, [r.id for r in revisions]))
    causes: dict[uuid.UUID, list[PlanRevisionCause]] = defaultdict(list)
    for cause in (await session.execute(stmt.order_by(PlanRevisionCause.created_at))).scalars():
        causes[cause.revision_id].append(cause)
    return [RevisionView(r, causes[r.id]) for r in revisions]


async def _initiative_to_carry_out(
    session: AsyncSession, principal: Principal, school_id: uuid.UUID | None, initiative_id: uuid.UUID
) -> Initiative:
    """The initiative a plan (of `school_id`, None for a district plan) is to carry out: one the
    principal reads, of the plan's school or of the district. A plan counts its initiative's
    co-creation sessions and names them in its document, so an initiative the writer cannot read (another
    school's unpublished one, say) is `NotFound` on the field, as one not in the district; another
    school's is `ValidationFailed` (`school_mismatch`)."""
    district_id = initiatives._district_of(principal)
    initiative = await referenced_row(
        session, Initiative, initiative_id, district_id, ("initiative_id",), "initiative"
    )
    try:
        readable = await initiatives.initiatives_by_id(session, principal, [initiative_id])
    except PermissionDenied:
        readable = {}
    if initiative_id not in readable:
        raise NotFound(
            f"No initiative with id {initiative_id} in this district.",
            errors=[FieldError(("initiative_id",), "Not found in this district.", "not_found")],
        )
    if initiative.school_id is not None and initiative.school_id != school_id:
        raise ValidationFailed(
            "The initiative belongs to another school.",
            errors=[
                FieldError(
                    ("initiative_id",),
                    "Name an initiative of the plan's school or the district.",
                    "school_mismatch",
                )
            ],
        )
    return initiative


async def _all(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.execute(stmt)).scalars())
