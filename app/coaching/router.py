"""REST for the practice catalogue and coaching cycles.

Parse, call the service, shape the reply. No rules here: who reads which cycle lives in
`app.coaching.service` (and the catalogue's in `app.practice.catalogue`), which GraphQL calls too.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query, Request, Response

from app.coaching import service as coaching
from app.coaching.models import CoachingStatus
from app.coaching.schemas import (
    CoachingCounts,
    CoachingCycleCreate,
    CoachingCyclePublic,
    CoachingCycleUpdate,
    CoachingObservationCreate,
    CoachingObservationPublic,
    CoachingObservationUpdate,
    CoachingSessionCreate,
    CoachingSessionPublic,
    CoachingShareCreate,
    CoachingSharePublic,
    PracticeFootprint,
)
from app.core.problems import problem_responses
from app.core.resources import Collection, Resource
from app.core.rest import AreaRouter, Caller, ExpectedVersion, ListParams, Session, list_body, set_etag
from app.core.schemas import ListResponse
from app.practice import catalogue
from app.practice.schemas import PracticeCreate, PracticePublic, PracticeUpdate

router = AreaRouter(tags=["coaching"])

PracticeId = Annotated[uuid.UUID, Path(description="The practice's id.")]
CycleId = Annotated[uuid.UUID, Path(description="The coaching cycle's id.")]
Period = Annotated[str | None, Query(min_length=1, max_length=32, description="Only this period's.")]
NOT_FOUND = problem_responses(404)
WRITE_ERRORS = problem_responses(404, 409, 412)


# --- the practice catalogue -------------------------------------------------------------------------


@router.get("/practices", response_model=ListResponse[PracticePublic])
async def list_practices(
    request: Request,
    response: Response,
    session: Session,
    principal: Caller,
    page: ListParams,
    include_retired: Annotated[bool, Query(description="Retired practices too.")] = False,
    name: Annotated[str | None, Query(min_length=1, max_length=200, description="Whatever its case.")] = None,
) -> dict[str, object]:
    """The district's catalogue of evidence-based practices, oldest first. Coaching cycles,
    walkthroughs, PDSA cycles and PLC meetings name a practice from here (`practice_id`)."""
    result = await catalogue.list_practices(
        session, principal, page, catalogue.PracticeFilter(include_retired, name)
    )
    return list_body(request, response, result, PracticePublic)


Collection(router, "/practices", PracticePublic).create(
    PracticeCreate,
    catalogue.create_practice,
    "Add a practice to the catalogue (district admins and district leaders).",
    etag=False,
    responses=problem_responses(409),
)


PRACTICES = Resource(router, "/practices/{practice_id}", PracticeId, PracticePublic)
PRACTICES.get(catalogue.get_practice, "One practice of the catalogue, with its version in the `ETag` header.")
PRACTICES.update(
    PracticeUpdate,
    catalogue.update_practice,
    """Rename, describe, retire (`retired: true`) or bring back a practice (district admins and
    leaders). A retired practice stays on what named it; nothing new names it. Send `If-Match`.""",
)


PRACTICES.view(
    "/footprint",
    PracticeFootprint,
    coaching.practice_footprint,
    """Where the practice is being learned (released coaching counts), tried (PDSA cycles), discussed
    (PLC meetings) and observed (walkthroughs), per school, as far as your role reads each; a part you
    cannot read is null.""",
    operation_id="getPracticeFootprint",
)


# --- coaching cycles --------------------------------------------------------------------------------


@router.get(
    "/coaching-cycles", operation_id="listCoachingCycles", response_model=ListResponse[CoachingCyclePublic]
)
async def list_cycles(
    request: Request,
    response: Response,
    session: Session,
    principal: Caller,
    page: ListParams,
    practice_id: Annotated[uuid.UUID | None, Query(description="Only cycles on this practice.")] = None,
    period: Period = None,
    status_filter: Annotated[CoachingStatus | None, Query(alias="status")] = None,
    role: Annotated[
        str | None,
        Query(
            pattern="^(teacher|coach)$", description="Only cycles where you are the teacher, or the coach."
        ),
    ] = None,
) -> dict[str, object]:
    """Coaching cycles you may read: yours as teacher or coach, and those a teacher shared with you.
    Nobody else's, whatever your role and whatever the filter. Every cycle returned is recorded in the
    audit trail as read by you. Leaders read counts (`/coaching-counts`)."""
    filters = coaching.CycleFilter(practice_id, period, status_filter, role == "teacher", role == "coach")
    result = await coaching.list_cycles(session, principal, page, filters)
    return list_body(request, response, result, CoachingCyclePublic)


Collection(router, "/coaching-cycles", CoachingCyclePublic).create(
    CoachingCycleCreate,
    coaching.start_cycle,
    "Start a coaching cycle as its teacher or its coach, around a practice of the catalogue.",
    operation_id="startCoachingCycle",
)

COACHING_CYCLES = Resource(router, "/coaching-cycles/{cycle_id}", CycleId, CoachingCyclePublic)
COACHING_CYCLES.get(
    coaching.get_cycle,
    """One cycle, for its teacher, its coach and those the teacher shared it with; for anyone else it
    does not exist (404). The read is recorded in the audit trail.""",
    operation_id="getCoachingCycle",
)
COACHING_CYCLES.update(
    CoachingCycleUpdate,
    coaching.update_cycle,
    """Co-write the goal (either of the two; a change waits for the teacher's agreement), agree to it
    or write the reflection (the teacher), complete or reopen the cycle. Send `If-Match`.""",
    operation_id="updateCoachingCycle",
)


COACHING_CYCLES.view(
    "/sessions",
    list[CoachingSessionPublic],
    coaching.list_sessions,
    "The cycle's sessions in time order.",
    operation_id="listCoachingSessions",
)
COACHING_CYCLES.add(
    "/sessions",
    CoachingSessionCreate,
    CoachingSessionPublic,
    coaching.schedule_session,
    "Schedule a plan, observe or debrief session (the teacher or the coach).",
    etag=False,
    operation_id="scheduleCoachingSession",
    responses=WRITE_ERRORS,
)


COACHING_SESSIONS = Resource(
    router, "/coaching-sessions/{session_id}", Annotated[uuid.UUID, Path(description="The session's id.")]
)
COACHING_SESSIONS.remove(
    coaching.cancel_session,
    "Take a session off the cycle (the teacher or the coach).",
    operation_id="cancelCoachingSession",
)


COACHING_CYCLES.view(
    "/observations",
    list[CoachingObservationPublic],
    coaching.list_observations,
    """Walkthrough observations of the teacher's classroom linked to the cycle: the level seen, the
    support the walkthrough said was needed, and whether it was given.""",
    operation_id="listCoachingObservations",
)


COACHING_CYCLES.add(
    "/observations",
    CoachingObservationCreate,
    CoachingObservationPublic,
    coaching.link_observation,
    "Link a walkthrough observation of the teacher's classroom (the teacher or the coach).",
    etag=False,
    operation_id="linkCoachingObservation",
    responses=WRITE_ERRORS,
)


LinkId = Annotated[uuid.UUID, Path(description="The link's id.")]


@router.patch(
    "/coaching-observations/{link_id}",
    operation_id="updateCoachingObservation",
    response_model=CoachingObservationPublic,
    responses=WRITE_ERRORS,
)
async def update_observation(
    link_id: LinkId,
    body: CoachingObservationUpdate,
    session: Session,
    principal: Caller,
    response: Response,
    expected_version: ExpectedVersion,
) -> CoachingObservationPublic:
    """Say whether the support the observation called for was given. Send `If-Match` with the link's
    `version`."""
    link = await coaching.set_support_given(
        session, principal, link_id, body.support_given, expected_version=expected_version
    )
    set_etag(response, link.version)
    return link


COACHING_OBSERVATIONS = Resource(router, "/coaching-observations/{link_id}", LinkId)
COACHING_OBSERVATIONS.remove(
    coaching.unlink_observation,
    "Unlink an observation from the cycle (the observation itself stays).",
    operation_id="unlinkCoachingObservation",
)


COACHING_CYCLES.view(
    "/shares",
    list[CoachingSharePublic],
    coaching.list_shares,
    "Whom the teacher shared the cycle with.",
    operation_id="listCoachingShares",
)
COACHING_CYCLES.add(
    "/shares",
    CoachingShareCreate,
    CoachingSharePublic,
    coaching.share_cycle,
    "The teacher lets a named person of the district read the cycle.",
    etag=False,
    operation_id="shareCoachingCycle",
    responses=WRITE_ERRORS,
)


COACHING_SHARES = Resource(
    router, "/coaching-shares/{share_id}", Annotated[uuid.UUID, Path(description="The share's id.")]
)
COACHING_SHARES.remove(
    coaching.unshare_cycle, "The teacher withdraws a share.", operation_id="unshareCoachingCycle"
)


@router.get("/coaching-counts", operation_id="getCoachingCounts", response_model=CoachingCounts)
async def coaching_counts(
    session: Session,
    principal: Caller,
    period: Period = None,
    practice_id: Annotated[uuid.UUID | None, Query(description="Only this practice's.")] = None,
) -> CoachingCounts:
    """How many coaching cycles, on which practices: per practice and released period, district-wide
    (leaders, coaches, district roles). Only released periods (`POST /releases` with subject
    `coaching`); a cell under the district's minimum of teachers, not counting teachers whose cycles
    you read one by one, is suppressed (figures null)."""
    return await coaching.coaching_counts(session, principal, period=period, practice_id=practice_id)
