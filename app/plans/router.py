"""REST for improvement plans: the plan and its collaborators, the goal tree (goals, strategies, action
steps) and its progress, pre-planning (evidence, barriers and leverage points), the co-creation policy,
revisions and their diffs, review checkpoints, and the plan as a shareable document.

Parse, call the service, shape the reply. No rules here.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated

from fastapi import Body, Path, Query, Response, status
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.core.problems import problem_responses
from app.core.resources import Collection, Resource
from app.core.rest import (
    AreaRouter,
    Caller,
    ExpectedVersion,
    Session,
    set_etag,
)
from app.core.schemas import INT4_MAX
from app.plans import service
from app.plans.models import PlanStatus, RevisionStatus
from app.plans.schemas import (
    AcceptedRiskCreate,
    AcceptedRiskPublic,
    ActionStepCreate,
    ActionStepPublic,
    ActionStepUpdate,
    CheckpointCreate,
    CheckpointPublic,
    CheckpointSchedule,
    CheckpointUpdate,
    CollaboratorCreate,
    CollaboratorPublic,
    CollaboratorUpdate,
    EvidenceCreate,
    EvidencePublic,
    GoalCreate,
    GoalPublic,
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
    SignOffPublic,
    StrategyCreate,
    StrategyPublic,
    StrategyUpdate,
)

router = AreaRouter(tags=["plans"])

PlanId = Annotated[uuid.UUID, Path(description="The plan's id.")]
GoalId = Annotated[uuid.UUID, Path(description="The goal's id.")]
StrategyId = Annotated[uuid.UUID, Path(description="The strategy's id.")]
StepId = Annotated[uuid.UUID, Path(description="The action step's id.")]
RevisionId = Annotated[uuid.UUID, Path(description="The revision's id.")]
CheckpointId = Annotated[uuid.UUID, Path(description="The review checkpoint's id.")]
WRITE_ERRORS = problem_responses(404, 409, 412)


class ExportFormat(StrEnum):
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


# --- plans ------------------------------------------------------------------------------------------


Collection(router, "/plans", PlanPublic).list(
    service.list_plans,
    """Plans you can read, oldest first: your school's (all of the district's, for district-wide
    roles), those you collaborate on, and approved plans the district has published. Filter by school,
    status, cycle or initiative; `updated_since` for sync.""",
    filters={
        "school_id": Annotated[uuid.UUID | None, Query(description="Only this school's plans.")],
        "status": Annotated[PlanStatus | None, Query(description="Only plans with this status.")],
        "cycle": Annotated[
            str | None,
            Query(pattern=r"^\d{4}-\d{2}$", description="Only plans of this cycle, such as `2026-27`."),
        ],
        "initiative_id": Annotated[
            uuid.UUID | None, Query(description="Only plans that carry out this initiative.")
        ],
    },
    filter_of=service.PlanFilter,
)


Collection(router, "/plans", PlanPublic).create(
    PlanCreate,
    service.create_plan,
    """Start an improvement plan as a `draft`: a school's (`school_id`) or the district's (no
    `school_id`), for one cycle, optionally carrying out an initiative. Whoever starts it becomes its
    lead. District admins and leaders, or the school's leaders.""",
)


PLANS = Resource(router, "/plans/{plan_id}", PlanId, PlanPublic)
PLANS.get(
    service.read_plan,
    """One plan, with its version in the `ETag` header. For the whole plan in one document, see
    `exportPlan`.""",
    name="get_plan",
)
PLANS.update(
    PlanUpdate,
    service.update_plan,
    """Change a plan or move it along: draft → in_review → approved → active → closed (in_review →
    draft sends it back). Going to review needs the co-creation record the district's policy asks for
    (see `getPlanPolicyCheck`; a refusal lists what is `missing`); approving needs a leader of the
    plan's school (a district leader, for a district plan). From approval on, its content changes
    through revisions only (409 here). `published` opens an approved plan to the whole district. Its
    lead and co-authors, or leaders. Send `If-Match`: a stale one gets 412 with the `current_version`.""",
)


@router.get(
    "/plans/{plan_id}/export",
    response_model=PlanExport,
    responses={
        **problem_responses(404),
        200: {
            "description": "The plan as JSON, Markdown or printable HTML.",
            "content": {
                "text/markdown": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
    },
)
async def export_plan(
    plan_id: PlanId,
    session: Session,
    principal: Caller,
    export_format: Annotated[
        ExportFormat,
        Query(alias="format", description="`json` (default), `markdown` or `html` (printable)."),
    ] = ExportFormat.JSON,
) -> PlanExport | Response:
    """The whole plan in one document a school can share: its collaborators, goals with their
    measures, strategies and action steps, the evidence behind it, its reviews and its accepted
    revisions, with its overall progress. As JSON, Markdown (`text/markdown`) or printable HTML;
    `exportPlanMarkdown` and `exportPlanHtml` answer the text forms alone, for generated clients."""
    if export_format is ExportFormat.JSON:
        return await service.export_plan(session, principal, plan_id)
    return await _plan_document(session, principal, plan_id, as_html=export_format is ExportFormat.HTML)


# A generated client parses an answer by the first media type its operation declares, so each of the
# export's text forms is also an operation of its own, declaring only its media type.
@router.get(
    "/plans/{plan_id}/export/markdown",
    response_class=Response,
    responses={
        **problem_responses(404),
        200: {
            "description": "The plan as Markdown.",
            "content": {"text/markdown": {"schema": {"type": "string"}}},
        },
    },
)
async def export_plan_markdown(plan_id: PlanId, session: Session, principal: Caller) -> Response:
    """The whole plan as Markdown (`text/markdown`), as `exportPlan` with `format=markdown`."""
    return await _plan_document(session, principal, plan_id, as_html=False)


@router.get(
    "/plans/{plan_id}/export/html",
    response_class=HTMLResponse,
    responses={**problem_responses(404), 200: {"description": "The plan as a printable HTML page."}},
)
async def export_plan_html(plan_id: PlanId, session: Session, principal: Caller) -> Response:
    """The whole plan as a printable HTML page (`text/html`), as `exportPlan` with `format=html`."""
    return await _plan_document(session, principal, plan_id, as_html=True)


async def _plan_document(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, *, as_html: bool
) -> Response:
    document = await service.plan_document(session, principal, plan_id, as_html=as_html)
    if as_html:
        return HTMLResponse(document)
    return Response(document, media_type="text/markdown; charset=utf-8")


PLANS.view(
    "/progress",
    PlanProgress,
    service.plan_progress,
    """How far along the plan is, as one number with the tree behind it. An action step counts its
    progress as set, or as its status says (not started and blocked 0, in progress 50, done 100); a
    strategy is the weighted mean of its steps, a goal of its strategies, the plan of its goals. Parts
    with nothing under them have no progress (null) and do not count.""",
    name="get_plan_progress",
)


PLANS.view(
    "/policy-check",
    PolicyCheck,
    service.policy_check,
    """Whether the plan may go to review under the district's co-creation policy: how many held
    co-creation activities are linked to the plan (or its initiative), whose voices attended them,
    and, in words, what is `missing`.""",
    name="get_policy_check",
    operation_id="getPlanPolicyCheck",
)


# --- collaborators ----------------------------------------------------------------------------------


PLANS.items(
    "/collaborators",
    CollaboratorPublic,
    service.list_collaborators,
    "Who writes (lead, co-authors) and who reviews the plan.",
    operation_id="listPlanCollaborators",
)


PLANS.add(
    "/collaborators",
    CollaboratorCreate,
    CollaboratorPublic,
    service.add_collaborator,
    """Invite a person of the district to the plan as `lead`, `co_author` or `reviewer` (once per
    person; a second time is 409). The plan's lead, or whoever approves it.""",
    etag=False,
    operation_id="addPlanCollaborator",
    responses=problem_responses(404, 409),
)


PLAN_COLLABORATORS = Resource(
    router,
    "/plan-collaborators/{collaborator_id}",
    Annotated[uuid.UUID, Path(description="The collaborator's id.")],
    CollaboratorPublic,
)
PLAN_COLLABORATORS.update(
    CollaboratorUpdate,
    service.update_collaborator,
    """Change a collaborator's role. The plan's lead, or whoever approves it. Send `If-Match` with the
    collaborator's `ETag` (its `version`).""",
    operation_id="updatePlanCollaborator",
)
PLAN_COLLABORATORS.remove(
    service.remove_collaborator,
    "Take someone off the plan. The plan's lead, or whoever approves it.",
    operation_id="removePlanCollaborator",
)


# --- goals ------------------------------------------------------------------------------------------


PLANS.items(
    "/goals",
    GoalPublic,
    service.list_goals,
    "The plan's goals, oldest first, each with the indicator that measures it.",
    each=GoalPublic.from_view,
)


@router.post(
    "/plans/{plan_id}/goals",
    status_code=status.HTTP_201_CREATED,
    response_model=GoalPublic,
    responses=problem_responses(404, 409),
)
async def add_goal(
    plan_id: PlanId, body: GoalCreate, response: Response, session: Session, principal: Caller
) -> GoalPublic:
    """Add a measurable goal with its `indicator` (what is counted, baseline, target, target date).
    Before approval only; then propose a revision (409 here). Its lead and co-authors, or leaders."""
    view = await service.add_goal(session, principal, plan_id, body)
    set_etag(response, view.goal.version)
    return GoalPublic.from_view(view)


@router.get(
    "/goals/{goal_id}",
    response_model=GoalPublic,
    responses=problem_responses(404),
)
async def get_goal(goal_id: GoalId, response: Response, session: Session, principal: Caller) -> GoalPublic:
    """One goal with its indicator, and its version in the `ETag` header."""
    view = await service.get_goal(session, principal, goal_id)
    set_etag(response, view.goal.version)
    return GoalPublic.from_view(view)


@router.patch(
    "/goals/{goal_id}",
    response_model=GoalPublic,
    responses=WRITE_ERRORS,
)
async def update_goal(
    goal_id: GoalId,
    body: GoalUpdate,
    response: Response,
    session: Session,
    principal: Caller,
    expected_version: ExpectedVersion,
) -> GoalPublic:
    """Change a goal or its `indicator` (a change to the indicator is a change to the goal: its version
    moves). Before approval only; then propose a revision (409 here). Send `If-Match`."""
    view = await service.update_goal(session, principal, goal_id, body, expected_version=expected_version)
    set_etag(response, view.goal.version)
    return GoalPublic.from_view(view)


GOALS = Resource(router, "/goals/{goal_id}", GoalId)
GOALS.remove(
    service.remove_goal,
    "Remove a goal with its indicator, strategies and action steps. Before approval only.",
    responses=problem_responses(404, 409),
)


# --- strategies -------------------------------------------------------------------------------------


GOALS.items(
    "/strategies", StrategyPublic, service.list_strategies, "The change ideas under a goal, oldest first."
)


GOALS.add(
    "/strategies",
    StrategyCreate,
    StrategyPublic,
    service.add_strategy,
    """Add a change idea under the goal, optionally naming the `driver` it acts on, with its `weight`
    in the goal's progress. Before approval only.""",
    responses=problem_responses(404, 409),
)


STRATEGIES = Resource(router, "/strategies/{strategy_id}", StrategyId, StrategyPublic)
STRATEGIES.update(
    StrategyUpdate, service.update_strategy, "Change a strategy. Before approval only. Send `If-Match`."
)
STRATEGIES.remove(
    service.remove_strategy,
    "Remove a strategy with its action steps. Before approval only.",
    responses=problem_responses(404, 409),
)


# --- action steps -----------------------------------------------------------------------------------


STRATEGIES.items(
    "/action-steps",
    ActionStepPublic,
    service.list_action_steps,
    "Who does what by when under the strategy, oldest first, with each step's progress.",
)


STRATEGIES.add(
    "/action-steps",
    ActionStepCreate,
    ActionStepPublic,
    service.add_action_step,
    """Add an action step: its owner (a person of the district), start and due dates, status (a
    `blocked` step needs its `blocked_reason`), progress (leave out to derive it from the status),
    weight, and for a pilot the `pilot_group` that tries it first and the `scale_up_criteria` for
    going whole-staff. A rollout names the pilot it scales (`scales_pilot_id`) and cannot start before
    that pilot is done and its criteria are recorded as met. Before approval only.""",
    responses=problem_responses(404, 409),
)


ACTION_STEPS = Resource(router, "/action-steps/{step_id}", StepId, ActionStepPublic)
ACTION_STEPS.get(service.get_action_step, "One action step, with its version in the `ETag` header.")
ACTION_STEPS.update(
    ActionStepUpdate,
    service.update_action_step,
    """Change an action step. In an approved or active plan only its `status`, `progress` and
    `blocked_reason` change here (carrying out the plan is not changing it; its owner may report
    them too); anything else takes a revision (409). Unblocking clears the reason. Send `If-Match`.""",
)


@router.post(
    "/action-steps/{step_id}/scale-up",
    response_model=ActionStepPublic,
    responses=problem_responses(404, 409),
)
async def record_scale_up(
    step_id: StepId, body: ScaleUpRecord, response: Response, session: Session, principal: Caller
) -> ActionStepPublic:
    """Record that a pilot's scale-up criteria were met, and the evidence they were met on; the caller
    is recorded as who decided. The pilot must be done. Once only (409 after). Until then, a rollout
    that names this pilot (`scales_pilot_id`) cannot go in progress or done."""
    step = await service.record_scale_up(session, principal, step_id, body)
    set_etag(response, step.version)
    return ActionStepPublic.model_validate(step)


ACTION_STEPS.remove(
    service.remove_action_step,
    "Remove an action step. Before approval only.",
    responses=problem_responses(404, 409),
)


# --- pre-planning -----------------------------------------------------------------------------------


PLANS.items(
    "/evidence",
    EvidencePublic,
    service.list_evidence,
    "The evidence pre-planning collected for the plan, oldest first.",
)


PLANS.add(
    "/evidence",
    EvidenceCreate,
    EvidencePublic,
    service.add_evidence,
    """Add evidence: student work, a lesson plan, data, an exemplar from an "island of excellence"
    (`exemplar_school_id`: where the practice already works) or research. At any stage but closed:
    evidence is the record behind the plan, not a change to it.""",
    etag=False,
    responses=problem_responses(404, 409),
)


PLANS.items(
    "/sign-offs",
    SignOffPublic,
    service.list_sign_offs,
    """Who signed the plan off, oldest first: its reviewers while it was in review (`review`), and its
    approver with the approval (`approval`).""",
    name="list_plan_sign_offs",
)


PLANS.add(
    "/sign-offs",
    SignOffCreate,
    SignOffPublic,
    service.sign_off,
    """Sign off a plan in review, as one of its reviewers (or one who may approve it), with an optional
    note; once per submission. Approval itself takes someone other than the plan's lead and other
    than whoever sent it to review, where the district separates duties (the default).""",
    etag=False,
    name="sign_off_plan",
    responses=problem_responses(404, 409),
)


PLANS.items(
    "/accepted-risks",
    AcceptedRiskPublic,
    service.list_accepted_risks,
    """The barriers raised in the plan's co-creation that it carries unanswered, each with the reason
    and who decided, oldest first.""",
)


PLANS.add(
    "/accepted-risks",
    AcceptedRiskCreate,
    AcceptedRiskPublic,
    service.accept_risk,
    """Carry a barrier raised in the plan's co-creation as an accepted risk, with the reason. A plan is
    approved only when every such barrier is answered (a disposition other than open or under
    consideration) or carried like this. The plan's lead or an approver decides, before approval.""",
    etag=False,
    name="accept_plan_risk",
    responses=problem_responses(404, 409),
)


EVIDENCE = Resource(
    router, "/evidence/{evidence_id}", Annotated[uuid.UUID, Path(description="The evidence item's id.")]
)
EVIDENCE.remove(service.remove_evidence, "Remove an evidence item.")


PLANS.view(
    "/pre-planning",
    PrePlanning,
    service.pre_planning,
    """What pre-planning surfaced: every evidence item, and the barriers and leverage points raised in
    the co-creation activities held for the plan (the inputs themselves, shown as the engagement
    record allows).""",
    name="get_pre_planning",
)


# --- revisions --------------------------------------------------------------------------------------


PLANS.items(
    "/revisions",
    RevisionPublic,
    service.list_revisions,
    """The plan's revision history, oldest first: 0 is the plan as approved; each accepted revision
    has the next number. Each with its reason, its changes and what caused it.""",
    filters={
        "status": Annotated[RevisionStatus | None, Query(description="proposed, accepted or rejected.")]
    },
    each=RevisionPublic.from_view,
    operation_id="listPlanRevisions",
)


@router.post(
    "/plans/{plan_id}/revisions",
    operation_id="proposePlanRevision",
    status_code=status.HTTP_201_CREATED,
    response_model=RevisionPublic,
    responses=problem_responses(404, 409),
)
async def propose_revision(
    plan_id: PlanId, body: RevisionCreate, session: Session, principal: Caller
) -> RevisionPublic:
    """Propose a change to an approved or active plan: the `reason` (what was learned), what caused it
    (`caused_by`: inputs, review checkpoints or measurements) and the `changes`, each an `add`,
    `update` or `remove` of a goal, strategy or action step (or an `update` of the plan). Changes are
    checked now and applied only when accepted. Its lead and co-authors, or leaders."""
    view = await service.propose_revision(session, principal, plan_id, body)
    return RevisionPublic.from_view(view)


@router.get(
    "/plans/{plan_id}/revisions/diff",
    operation_id="diffPlanRevisions",
    response_model=RevisionDiff,
    responses=problem_responses(404),
)
async def diff_revisions(
    plan_id: PlanId,
    session: Session,
    principal: Caller,
    from_number: Annotated[
        int, Query(alias="from", ge=0, le=INT4_MAX, description="An accepted revision's number.")
    ],
    to_number: Annotated[
        int, Query(alias="to", ge=0, le=INT4_MAX, description="An accepted revision's number.")
    ],
) -> RevisionDiff:
    """What changed between two accepted revisions (0 is the plan as approved): every goal, strategy and
    action step added, removed or changed, with the fields that differ before and after."""
    return await service.diff_revisions(session, principal, plan_id, from_number, to_number)


@router.get(
    "/plan-revisions/{revision_id}",
    operation_id="getPlanRevision",
    response_model=RevisionPublic,
    responses=problem_responses(404),
)
async def get_revision(revision_id: RevisionId, session: Session, principal: Caller) -> RevisionPublic:
    """One revision, with its causes."""
    return RevisionPublic.from_view(await service.get_revision(session, principal, revision_id))


@router.post(
    "/plan-revisions/{revision_id}/accept",
    operation_id="acceptPlanRevision",
    response_model=RevisionPublic,
    responses=WRITE_ERRORS,
)
async def accept_revision(
    revision_id: RevisionId,
    session: Session,
    principal: Caller,
    expected_version: ExpectedVersion,
    body: Annotated[RevisionDecision | None, Body()] = None,
) -> RevisionPublic:
    """Accept a proposed revision: all its changes apply, in order, or none does (a change that no
    longer applies, say its goal was removed meanwhile, is 409 and nothing changes). It gets the next
    number and a snapshot of the plan it produced, and the plan's version moves on. The plan's lead, or
    whoever approves it. `If-Match` is the plan's `ETag`."""
    view = await service.accept_revision(
        session, principal, revision_id, body or RevisionDecision(), expected_version=expected_version
    )
    return RevisionPublic.from_view(view)


@router.post(
    "/plan-revisions/{revision_id}/reject",
    operation_id="rejectPlanRevision",
    response_model=RevisionPublic,
    responses=problem_responses(404, 409),
)
async def reject_revision(
    revision_id: RevisionId, body: RevisionDecision, session: Session, principal: Caller
) -> RevisionPublic:
    """Reject a proposed revision; the `note` (required) tells its proposer why. The plan's lead, or
    whoever approves it."""
    view = await service.reject_revision(session, principal, revision_id, body)
    return RevisionPublic.from_view(view)


# --- review checkpoints -----------------------------------------------------------------------------


PLANS.items(
    "/checkpoints",
    CheckpointPublic,
    service.list_checkpoints,
    """The plan's scheduled reviews, oldest first. A review is overdue when its date has passed and it
    has not been held.""",
    filters={
        "overdue": Annotated[
            bool | None, Query(description="Only overdue reviews (true) or only the others (false).")
        ]
    },
    operation_id="listReviewCheckpoints",
)


PLANS.add(
    "/checkpoints",
    CheckpointCreate,
    CheckpointPublic,
    service.add_checkpoint,
    "Schedule one review of the plan. Its lead and co-authors, or leaders; not on a closed plan.",
    operation_id="addReviewCheckpoint",
    responses=problem_responses(404, 409),
)


@router.post(
    "/plans/{plan_id}/checkpoints/schedule",
    operation_id="scheduleReviewCheckpoints",
    status_code=status.HTTP_201_CREATED,
    response_model=list[CheckpointPublic],
    responses=problem_responses(404, 409),
)
async def schedule_checkpoints(
    plan_id: PlanId, body: CheckpointSchedule, session: Session, principal: Caller
) -> list[CheckpointPublic]:
    """Schedule a series of reviews: every `every_weeks` weeks (6 by default) from `first_on` through
    `until`. Answers the reviews it scheduled, in date order."""
    checkpoints = await service.schedule_checkpoints(session, principal, plan_id, body)
    return [CheckpointPublic.model_validate(c) for c in checkpoints]


Collection(router, "/checkpoints/overdue", CheckpointPublic).list(
    service.overdue_checkpoints,
    "Every overdue review of the plans you can read, across the district, oldest first.",
    name="list_overdue_checkpoints",
)


CHECKPOINTS = Resource(router, "/checkpoints/{checkpoint_id}", CheckpointId, CheckpointPublic)
CHECKPOINTS.update(
    CheckpointUpdate,
    service.update_checkpoint,
    """Record a review: when it was `held_on` (not in the future), who attended (people of the
    district), the summary and decisions, and the revision it produced (one of this plan's). Send
    `If-Match`.""",
    operation_id="updateReviewCheckpoint",
)
CHECKPOINTS.remove(
    service.remove_checkpoint,
    "Cancel a review that has not been held (a held review stays on the record: 409).",
    operation_id="removeReviewCheckpoint",
    responses=problem_responses(404, 409),
)
