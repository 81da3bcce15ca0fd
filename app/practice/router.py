"""REST for the practice side of progress monitoring: walkthroughs and their observations, PDSA cycles,
PLC meetings and the needs they surface, and student feedback results.

Parse, call the service, shape the reply. No rules here: who may read what lives in
`app.practice.service` and `app.practice.feedback`, which GraphQL calls too.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query, Request, Response, status

from app.core.problems import problem_responses
from app.core.resources import Collection, Resource
from app.core.rest import (
    AreaRouter,
    Caller,
    ExpectedVersion,
    ListParams,
    Session,
    list_body,
    set_etag,
)
from app.core.schemas import IsoDate, ListResponse
from app.practice import feedback
from app.practice import service as practice
from app.practice.models import PdsaDecision
from app.practice.schemas import (
    FeedbackAggregates,
    FeedbackResultCreate,
    FeedbackResultPublic,
    FeedbackShareCreate,
    FeedbackSharePublic,
    ObservationCreate,
    ObservationPublic,
    ObservationUpdate,
    PdsaCycleCreate,
    PdsaCyclePublic,
    PdsaCycleUpdate,
    PdsaDecisionCreate,
    PlcMeetingCreate,
    PlcMeetingPublic,
    PlcMeetingUpdate,
    PlcNeeds,
    WalkthroughCreate,
    WalkthroughPublic,
    WalkthroughSummary,
    WalkthroughTrend,
    WalkthroughUpdate,
    WhoNeedsSupport,
)

router = AreaRouter(tags=["progress monitoring"])

WalkthroughId = Annotated[uuid.UUID, Path(description="The walkthrough's id.")]
ObservationId = Annotated[uuid.UUID, Path(description="The observation's id.")]
StrategyId = Annotated[uuid.UUID, Path(description="The strategy's id.")]
CycleId = Annotated[uuid.UUID, Path(description="The PDSA cycle's id.")]
MeetingId = Annotated[uuid.UUID, Path(description="The PLC meeting's id.")]
ResultId = Annotated[uuid.UUID, Path(description="The feedback result's id.")]
ShareId = Annotated[uuid.UUID, Path(description="The feedback share's id.")]
SchoolFilter = Annotated[uuid.UUID | None, Query(description="Only this school's.")]
Text = Annotated[str | None, Query(min_length=1, max_length=200)]
WRITE_ERRORS = problem_responses(404, 409, 412)
NOT_FOUND = problem_responses(404)


# --- walkthroughs -----------------------------------------------------------------------------------


Collection(router, "/walkthroughs", WalkthroughPublic).list(
    practice.list_walkthroughs,
    """Walkthroughs you can see, oldest first: your school's (all of the district's, for district-wide
    roles), and any that observed your classroom.""",
    filters={
        "school_id": SchoolFilter,
        "plan_id": Annotated[uuid.UUID | None, Query(description="Only walkthroughs monitoring this plan.")],
        "practice_name": Annotated[
            str | None,
            Query(alias="practice", min_length=1, max_length=200, description="Whatever its case."),
        ],
    },
    filter_of=practice.WalkthroughFilter,
)


Collection(router, "/walkthroughs", WalkthroughPublic).create(
    WalkthroughCreate,
    practice.create_walkthrough,
    """Record a walkthrough looking for a practice at a school, usually after the professional learning
    on it (`activity_id`). School leaders, coaches and district leaders. The observer defaults to you.""",
)


WALKTHROUGHS = Resource(router, "/walkthroughs/{walkthrough_id}", WalkthroughId, WalkthroughPublic)
WALKTHROUGHS.get(practice.get_walkthrough, "One walkthrough, with its version in the `ETag` header.")
WALKTHROUGHS.update(
    WalkthroughUpdate,
    practice.update_walkthrough,
    "Change a walkthrough (its school stays). Send `If-Match`.",
)
WALKTHROUGHS.remove(practice.remove_walkthrough, "Remove a walkthrough with its observations.")


@router.post(
    "/walkthroughs/{walkthrough_id}/close",
    response_model=WalkthroughPublic,
    responses=NOT_FOUND,
)
async def close_walkthrough(
    walkthrough_id: WalkthroughId, response: Response, session: Session, principal: Caller
) -> WalkthroughPublic:
    """Close the walkthrough: its summary is computed from the classrooms of the school's teachers,
    stored and published, and its observations can no longer be added, changed or removed (409).
    Closing a closed walkthrough changes nothing. School leaders, coaches and district leaders."""
    walkthrough = await practice.close_walkthrough(session, principal, walkthrough_id)
    set_etag(response, walkthrough.version)
    return WalkthroughPublic.model_validate(walkthrough)


WALKTHROUGHS.view(
    "/summary",
    WalkthroughSummary,
    practice.walkthrough_summary,
    """How much of the practice was in classrooms: the share at each level, published once the
    walkthrough is closed. While open, and below the district's minimum of classrooms (three at least,
    your own classroom not counted for you), it is `suppressed` (levels null): its shares would single
    teachers out.""",
    operation_id="getWalkthroughSummary",
)


WALKTHROUGHS.view(
    "/trend",
    WalkthroughTrend,
    practice.walkthrough_trend,
    "The summaries of every walkthrough of the same practice at the same school, oldest first.",
    operation_id="getWalkthroughTrend",
)


WALKTHROUGHS.view(
    "/support",
    WhoNeedsSupport,
    practice.who_needs_support,
    """Who needs which support (coaching, PLC, feedback) after the walkthrough, by name. School
    leaders, coaches and district roles only; never other teachers.""",
    operation_id="getWhoNeedsSupport",
)


WALKTHROUGHS.items(
    "/observations",
    ObservationPublic,
    practice.list_observations,
    "The classrooms observed. Leaders and coaches see every one; a teacher sees only their own.",
    filters={
        "teacher_person_id": Annotated[uuid.UUID | None, Query(description="Only this teacher's classroom.")]
    },
)


WALKTHROUGHS.add(
    "/observations",
    ObservationCreate,
    ObservationPublic,
    practice.add_observation,
    """Record one classroom: the teacher (a member of staff; once per walkthrough), the implementation
    level and the support that would help.""",
    etag=False,
    responses=problem_responses(404, 409),
)


Collection(router, "/me/observations", ObservationPublic).list(
    practice.list_my_observations,
    "Your own classroom's observations, across every walkthrough, oldest first.",
)


OBSERVATIONS = Resource(router, "/observations/{observation_id}", ObservationId, ObservationPublic)
OBSERVATIONS.get(
    practice.get_observation,
    """One observation: for the teacher observed, and the school's leaders and coaches. The `ETag`
    header carries its version for a later `If-Match`.""",
)
OBSERVATIONS.update(
    ObservationUpdate,
    practice.update_observation,
    "Change the level, support or note of an observation. Send `If-Match`.",
)
OBSERVATIONS.remove(practice.remove_observation)


# --- PDSA cycles ------------------------------------------------------------------------------------


Collection(router, "/pdsa-cycles", PdsaCyclePublic).list(
    practice.list_pdsa_cycles,
    """PDSA cycles of the plans you can read, oldest first.""",
    filters={
        "plan_id": Annotated[uuid.UUID | None, Query(description="Only this plan's cycles.")],
        "strategy_id": Annotated[uuid.UUID | None, Query(description="Only this strategy's cycles.")],
        "decision": Annotated[PdsaDecision | None, Query(description="adopt, adapt or abandon.")],
    },
    filter_of=practice.PdsaFilter,
    responses=NOT_FOUND,
)


STRATEGIES = Resource(router, "/strategies/{strategy_id}", StrategyId)
STRATEGIES.add(
    "/pdsa-cycles",
    PdsaCycleCreate,
    PdsaCyclePublic,
    practice.create_pdsa_cycle,
    """Start a plan-do-study-act cycle on a strategy: the question, the prediction and the plan. For
    the plan's lead and co-authors, and leaders in reach of it.""",
    responses=problem_responses(404, 409),
)


PDSA_CYCLES = Resource(router, "/pdsa-cycles/{cycle_id}", CycleId, PdsaCyclePublic)
PDSA_CYCLES.get(practice.get_pdsa_cycle, "One PDSA cycle, with its version in the `ETag` header.")
PDSA_CYCLES.update(
    PdsaCycleUpdate,
    practice.update_pdsa_cycle,
    """Record what was done (`done`) and what happened (`results`). Once results are in, the question
    and prediction stay as written (409); a decided cycle no longer changes (409). Send `If-Match`.""",
)


@router.post(
    "/pdsa-cycles/{cycle_id}/decision",
    response_model=PdsaCyclePublic,
    responses=WRITE_ERRORS,
)
async def decide_pdsa_cycle(
    cycle_id: CycleId,
    body: PdsaDecisionCreate,
    response: Response,
    session: Session,
    principal: Caller,
    expected_version: ExpectedVersion,
) -> PdsaCyclePublic:
    """Adopt, adapt or abandon, once, on the results (422 without them). With `revision`, propose a
    revision of the plan (approved or active plans; 409 otherwise); its id is kept as `revision_id`
    for the plan's lead to accept or reject."""
    cycle = await practice.decide_pdsa_cycle(
        session, principal, cycle_id, body, expected_version=expected_version
    )
    set_etag(response, cycle.version)
    return PdsaCyclePublic.model_validate(cycle)


PDSA_CYCLES.remove(practice.remove_pdsa_cycle, "Remove a cycle; a revision it proposed stays with the plan.")


# --- PLC meetings -----------------------------------------------------------------------------------


Collection(router, "/plc-meetings", PlcMeetingPublic).list(
    practice.list_plc_meetings,
    """PLC meetings you can read, oldest first: all of your school's, for its teachers and coaches;
    only those shared with leadership, for leaders.""",
    filters={
        "school_id": SchoolFilter,
        "team": Annotated[str | None, Query(min_length=1, max_length=200, description="Whatever its case.")],
        "shared_with_leadership": Annotated[bool | None, Query(description="Only shared, or only unshared.")],
        "need": Annotated[
            str | None, Query(min_length=1, max_length=64, description="Meetings tagging this need.")
        ],
    },
    filter_of=practice.PlcFilter,
)


Collection(router, "/plc-meetings", PlcMeetingPublic).create(
    PlcMeetingCreate,
    practice.create_plc_meeting,
    """Record a PLC meeting (the school's teachers and coaches): team, date, agenda, notes and the
    needs it surfaced. Leadership reads it only with `shared_with_leadership`.""",
)


PLC_MEETINGS = Resource(router, "/plc-meetings/{meeting_id}", MeetingId, PlcMeetingPublic)
PLC_MEETINGS.get(
    practice.get_plc_meeting,
    "One PLC meeting (for leadership: only if shared), with its version in the `ETag` header.",
)
PLC_MEETINGS.update(
    PlcMeetingUpdate,
    practice.update_plc_meeting,
    "Change a PLC meeting, sharing it with leadership or not. Send `If-Match`.",
)
PLC_MEETINGS.remove(practice.remove_plc_meeting)


@router.get("/plc-needs", operation_id="getPlcNeeds", response_model=PlcNeeds, responses=NOT_FOUND)
async def plc_needs(
    session: Session,
    principal: Caller,
    school_id: SchoolFilter = None,
    since: Annotated[IsoDate | None, Query(description="Only meetings on or after this date.")] = None,
) -> PlcNeeds:
    """The needs common across the PLCs that shared with the leadership team, most frequent first, then
    most recent: at one school, or every school in your reach. Unshared meetings never count."""
    return await practice.plc_needs(session, principal, school_id=school_id, since=since)


# --- student feedback -------------------------------------------------------------------------------


@router.post(
    "/feedback-results",
    status_code=status.HTTP_201_CREATED,
    response_model=FeedbackResultPublic,
    responses={
        200: {
            "model": FeedbackResultPublic,
            "description": "Replaced the result of this teacher, measure and period.",
        },
        **problem_responses(404, 409),
    },
)
async def record_feedback_result(
    body: FeedbackResultCreate, response: Response, session: Session, principal: Caller
) -> FeedbackResultPublic:
    """Record a student feedback result about a class: a teacher their own, a survey integration
    (`monitoring:write`) anyone's, naming `teacher_person_id`. The same teacher, measure and period
    again replaces the result (200); the first time is 201. Results are private to the teacher."""
    row, created = await feedback.record_feedback_result(session, principal, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return FeedbackResultPublic.model_validate(row)


Collection(router, "/feedback-results", FeedbackResultPublic).list(
    feedback.list_feedback_results,
    """Feedback results you may read: your own, and those teachers shared with you. Nobody else's,
    whatever your role and whatever the filter. Every result returned is recorded in the audit trail
    as read by you.""",
    filters={
        "teacher_person_id": Annotated[
            uuid.UUID | None, Query(description="Only this teacher's (yours, or one who shared with you).")
        ],
        "measure": Text,
        "period": Annotated[str | None, Query(min_length=1, max_length=32)],
    },
    filter_of=feedback.FeedbackFilter,
)


@router.get(
    "/me/feedback-results",
    response_model=ListResponse[FeedbackResultPublic],
)
async def list_my_feedback_results(
    request: Request,
    response: Response,
    session: Session,
    principal: Caller,
    page: ListParams,
    measure: Text = None,
    period: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
) -> Response:
    """Your own feedback results, oldest first (each read is recorded in the audit trail)."""
    filters = feedback.FeedbackFilter(None, measure, period, mine=True)
    result = await feedback.list_feedback_results(session, principal, page, filters)
    return list_body(request, response, result, FeedbackResultPublic)


@router.get(
    "/feedback-results/{result_id}",
    response_model=FeedbackResultPublic,
    responses=NOT_FOUND,
)
async def get_feedback_result(
    result_id: ResultId, session: Session, principal: Caller
) -> FeedbackResultPublic:
    """One result, for its teacher and those the teacher shared with; for anyone else it does not exist
    (404). The read is recorded in the audit trail."""
    row = await feedback.get_feedback_result(session, principal, result_id)
    return FeedbackResultPublic.model_validate(row)


FEEDBACK_RESULTS = Resource(router, "/feedback-results/{result_id}", ResultId)
FEEDBACK_RESULTS.remove(
    feedback.remove_feedback_result, "The teacher takes one of their results off the record."
)


FEEDBACK_SHARE_LIST = Collection(router, "/feedback-shares", FeedbackSharePublic)
FEEDBACK_SHARE_LIST.list(feedback.list_feedback_shares, "The shares you made, and those made with you.")
FEEDBACK_SHARE_LIST.create(
    FeedbackShareCreate,
    feedback.share_feedback,
    """Let a named person of the district (a coach, say) read your feedback results. Withdraw it
    whenever you like.""",
    etag=False,
    responses=problem_responses(404, 409),
)


FEEDBACK_SHARES = Resource(router, "/feedback-shares/{share_id}", ShareId)
FEEDBACK_SHARES.remove(feedback.unshare_feedback, "Withdraw a share you made.")


@router.get(
    "/feedback-aggregates",
    operation_id="getFeedbackAggregates",
    response_model=FeedbackAggregates,
    responses=NOT_FOUND,
)
async def feedback_aggregates(
    session: Session,
    principal: Caller,
    school_id: SchoolFilter = None,
    measure: Text = None,
    period: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
) -> FeedbackAggregates:
    """School-level feedback, one cell per school, measure and period in your reach (leaders, coaches,
    district roles). A cell is suppressed (figures null) below the district's minimum n of students or
    below three teachers' classes. Filters choose cells; they never change what a cell is drawn from."""
    filters = feedback.AggregateFilter(school_id, measure, period)
    return await feedback.feedback_aggregates(session, principal, filters)
