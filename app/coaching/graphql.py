"""GraphQL for the practice catalogue and coaching cycles.

Types, queries and mutations. No rules here: who reads which cycle lives in `app.coaching.service`
(the catalogue's in `app.practice.catalogue`), which REST calls too. Reads of cycles are audited by
the service in the resolver's own unit of work, which commits, as over REST.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.coaching import service as coaching
from app.coaching.models import (
    CoachingCycle,
    CoachingSession,
    CoachingSessionKind,
    CoachingShare,
    CoachingStatus,
)
from app.coaching.schemas import (
    CoachingCountCell,
    CoachingCycleCreate,
    CoachingCycleUpdate,
    CoachingObservationCreate,
    CoachingObservationPublic,
    CoachingSessionCreate,
    CoachingShareCreate,
    PracticeFootprint,
    SchoolCount,
)
from app.graphql.context import Context
from app.graphql.cost import cost
from app.graphql.kit import (
    RemoveInput,
    answer,
    answered,
    arg,
    audited_node_resolver,
    change,
    converter,
    create,
    id_arg,
    listing,
    mutation,
    node,
    one_as_node,
    payload,
    read,
    removal,
    report,
    version_field,
)
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import (
    parse_global_id,
)
from app.practice import catalogue
from app.practice.graphql import (
    CreatePracticeInput,
    ImplementationLevelEnum,
    PracticePayload,
    PracticeType,
    SupportNeededEnum,
    UpdatePracticeInput,
)
from app.practice.schemas import PracticeCreate, PracticeUpdate

CoachingStatusEnum = strawberry.enum(
    CoachingStatus, name="CoachingStatus", description="ACTIVE or COMPLETED."
)
CoachingSessionKindEnum = strawberry.enum(
    CoachingSessionKind, name="CoachingSessionKind", description="PLAN, OBSERVE or DEBRIEF."
)


# --- types ------------------------------------------------------------------------------------------


@node(
    "CoachingCycle",
    "A teacher and a coach around one practice. Only the two, and the people the teacher "
    "shared it with, can ever read it; every read is audited.",
    CoachingCycle,
    ids={
        "school_id": "School",
        "teacher_person_id": "Person",
        "coach_person_id": "Person",
        "practice_id": "Practice",
    },
)
class CoachingCycleType(relay.Node):
    database_id: uuid.UUID
    school_id: relay.GlobalID
    teacher_person_id: relay.GlobalID
    coach_person_id: relay.GlobalID
    practice_id: relay.GlobalID
    period: str
    goal: str | None
    goal_agreed_at: datetime | None = strawberry.field(
        description="When the teacher agreed to the goal as it stands."
    )
    reflection: str | None = strawberry.field(description="The teacher's own.")
    status: CoachingStatusEnum  # type: ignore[valid-type]
    version: int
    created_at: datetime
    updated_at: datetime

    resolve_nodes = audited_node_resolver(coaching.cycles_by_id)


@node(
    "CoachingSession",
    "A scheduled plan, observe or debrief session.",
    CoachingSession,
    ids={"cycle_id": "CoachingCycle"},
)
class CoachingSessionType(relay.Node):
    database_id: uuid.UUID
    cycle_id: relay.GlobalID
    kind: CoachingSessionKindEnum  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    notes: str | None

    resolve_nodes = audited_node_resolver(coaching.sessions_by_id)


@node(
    "CoachingObservation",
    "A walkthrough observation of the teacher's classroom linked to the cycle: the support "
    "it said was needed and whether it was given.",
    CoachingObservationPublic,
    ids={
        "cycle_id": "CoachingCycle",
        "observation_id": "WalkthroughObservation",
        "walkthrough_id": "Walkthrough",
    },
)
class CoachingObservationType(relay.Node):
    database_id: uuid.UUID
    cycle_id: relay.GlobalID
    observation_id: relay.GlobalID
    walkthrough_id: relay.GlobalID
    observed_on: date
    level: ImplementationLevelEnum  # type: ignore[valid-type]
    support_needed: SupportNeededEnum  # type: ignore[valid-type]
    support_given: bool
    version: int

    resolve_nodes = audited_node_resolver(coaching.observations_by_id)


@node(
    "CoachingShare",
    "The teacher's choice to let a named person read the cycle.",
    CoachingShare,
    ids={"cycle_id": "CoachingCycle", "person_id": "Person"},
)
class CoachingShareType(relay.Node):
    database_id: uuid.UUID
    cycle_id: relay.GlobalID
    person_id: relay.GlobalID
    created_at: datetime

    resolve_nodes = audited_node_resolver(coaching.shares_by_id)


@converter(CoachingCountCell, ids={"practice_id": "Practice"})
@strawberry.type(
    name="CoachingCountCell",
    description="Cycles and teachers on one practice in one released period, district-wide; suppressed "
    "(figures null) under the district's minimum of teachers, not counting teachers you know of.",
)
class CoachingCountCellType:
    practice_id: relay.GlobalID
    period: str
    revision: int
    released_at: datetime
    suppressed: bool
    cycles: int | None
    teachers: int | None


@converter(cells=lambda row: [CoachingCountCellType.from_model(c) for c in row.cells])
@strawberry.type(name="CoachingCounts", description="Released coaching counts, per practice and period.")
class CoachingCountsType:
    min_teachers: int
    cells: list[CoachingCountCellType]


@strawberry.type(name="SchoolCount", description="How many, at one school.")
class SchoolCountType:
    school_id: relay.GlobalID
    count: int


def _schools(counts: list[SchoolCount] | None) -> list[SchoolCountType] | None:
    if counts is None:
        return None
    return [
        SchoolCountType(school_id=relay.GlobalID("School", str(c.school_id)), count=c.count) for c in counts
    ]


@converter(
    PracticeFootprint,
    ids={"practice_id": "Practice"},
    learned=lambda row: [CoachingCountCellType.from_model(c) for c in row.learned],
    tried=lambda row: _schools(row.tried),
    discussed=lambda row: _schools(row.discussed),
    observed=lambda row: _schools(row.observed),
)
@strawberry.type(
    name="PracticeFootprint",
    description="Where a practice is being learned (coaching), tried (PDSA), discussed (PLC) and observed "
    "(walkthroughs); a part your role cannot read is null.",
)
class PracticeFootprintType:
    practice_id: relay.GlobalID
    learned: list[CoachingCountCellType]
    tried: list[SchoolCountType] | None
    discussed: list[SchoolCountType] | None
    observed: list[SchoolCountType] | None


# --- queries ----------------------------------------------------------------------------------------


def _of_cycle(description: str, node: Any, call: Any) -> Any:
    """A top-level list of what one coaching cycle holds, by the cycle's global id (`cycleId`, a
    `not_found` error for anything else); the reads are audited, so they run in a unit of work that
    commits."""

    async def resolve(self: Any, info: Info[Context, None], cycle_id: relay.GlobalID) -> Any:
        row_id = parse_global_id(cycle_id, "CoachingCycle", field="cycleId")
        async with info.context.transaction() as session:
            rows = await call(session, info.context.principal, row_id)
        return [node.from_model(row) for row in rows]

    resolve.__annotations__["return"] = list[node]
    return strawberry.field(
        resolver=resolve, permission_classes=AUTHENTICATED, description=description, metadata=cost(20)
    )


@strawberry.type
class CoachingQuery:
    practices = listing(
        "The district's practice catalogue.",
        PracticeType,
        catalogue.list_practices,
        catalogue.PracticeFilter,
        updated_since=False,
        include_retired=arg(bool, default=False),
        name=arg(str),
    )

    practice_footprint = report(
        "Where a practice is learned, tried, discussed and observed.",
        PracticeFootprintType,
        coaching.practice_footprint,
        metadata=cost(4),
        practice_id=id_arg("Practice", required=True),
    )

    coaching_cycles = listing(
        "Coaching cycles you may read: yours as teacher or coach, and those shared with you, whatever the "
        "filter. Every cycle returned is recorded in the audit trail as read by you.",
        CoachingCycleType,
        coaching.list_cycles,
        coaching.CycleFilter,
        updated_since=False,
        audited=True,
        practice_id=id_arg("Practice"),
        period=arg(str),
        status=arg(CoachingStatusEnum),
        as_teacher=arg(bool, default=False),
        as_coach=arg(bool, default=False),
    )

    coaching_cycle = one_as_node(
        "One coaching cycle, for its teacher, its coach and those shared with (audited); null for everyone "
        "else, as for an id that does not exist.",
        CoachingCycleType,
    )

    coaching_sessions = _of_cycle(
        "A cycle's sessions in time order.", CoachingSessionType, coaching.list_sessions
    )

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Your own coaching sessions (as teacher or coach) starting in [start, end).",
        metadata=cost(20),
    )
    async def my_coaching_sessions(
        self, info: Info[Context, None], start: datetime, end: datetime
    ) -> list[CoachingSessionType]:
        rows = await read(info, coaching.coaching_sessions_for, start, end)
        return [CoachingSessionType.from_model(s) for s, _ in rows]

    coaching_observations = _of_cycle(
        "Walkthrough observations linked to a cycle.", CoachingObservationType, coaching.list_observations
    )

    coaching_shares = _of_cycle(
        "Whom the teacher shared a cycle with.", CoachingShareType, coaching.list_shares
    )

    coaching_counts = report(
        "How many coaching cycles, on which practices: released counts for leaders and coaches.",
        CoachingCountsType,
        coaching.coaching_counts,
        metadata=cost(4),
        period=arg(str),
        practice_id=id_arg("Practice"),
    )


# --- mutations --------------------------------------------------------------------------------------


@strawberry.input(description="Start a coaching cycle as its teacher or its coach, naming the other.")
class StartCoachingCycleInput:
    school_id: relay.GlobalID
    practice_id: relay.GlobalID
    period: str
    teacher_person_id: relay.GlobalID | None = None
    coach_person_id: relay.GlobalID | None = None
    goal: str | None = None


@strawberry.input(description="Co-write the goal, agree to it, reflect, complete; fields left out stay.")
class UpdateCoachingCycleInput:
    id: relay.GlobalID
    expected_version: int | None = version_field()
    goal: str | None = strawberry.UNSET
    goal_agreed: bool | None = strawberry.UNSET
    reflection: str | None = strawberry.UNSET
    status: CoachingStatusEnum | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.input(description="A plan, observe or debrief session of a cycle.")
class ScheduleCoachingSessionInput:
    cycle_id: relay.GlobalID
    kind: CoachingSessionKindEnum  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    notes: str | None = None


@strawberry.input(description="Link a walkthrough observation of the teacher's classroom.")
class LinkCoachingObservationInput:
    cycle_id: relay.GlobalID
    observation_id: relay.GlobalID
    support_given: bool = False


@strawberry.input(description="Whether the support a linked observation called for was given.")
class SetCoachingSupportGivenInput:
    id: relay.GlobalID
    support_given: bool
    expected_version: int | None = version_field()


@strawberry.input(description="Let a named person read your coaching cycle.")
class ShareCoachingCycleInput:
    cycle_id: relay.GlobalID
    person_id: relay.GlobalID


CoachingObservationPayload = payload(
    "CoachingObservationPayload", coaching_observation=CoachingObservationType
)

_PRACTICE = answer(PracticePayload, practice=PracticeType.from_model)
_COACHING_CYCLE = answered("CoachingCyclePayload", coaching_cycle=CoachingCycleType)
_COACHING_SESSION = answered("CoachingSessionPayload", coaching_session=CoachingSessionType)
_COACHING_SHARE = answered("CoachingSharePayload", coaching_share=CoachingShareType)
_COACHING_OBSERVATION = answer(
    CoachingObservationPayload, coaching_observation=CoachingObservationType.from_model
)


@strawberry.type
class CoachingMutation:
    create_practice = mutation(
        "Add a practice to the catalogue.",
        create(CreatePracticeInput, _PRACTICE, catalogue.create_practice, PracticeCreate),
    )

    update_practice = mutation(
        "Change or retire a practice.",
        change(UpdatePracticeInput, _PRACTICE, catalogue.update_practice, PracticeUpdate),
    )

    start_coaching_cycle = mutation(
        "Start a coaching cycle.",
        create(StartCoachingCycleInput, _COACHING_CYCLE, coaching.start_cycle, CoachingCycleCreate).ids(
            school_id="School", practice_id="Practice", teacher_person_id="Person", coach_person_id="Person"
        ),
    )

    update_coaching_cycle = mutation(
        "Change a coaching cycle.",
        change(UpdateCoachingCycleInput, _COACHING_CYCLE, coaching.update_cycle, CoachingCycleUpdate),
    )

    schedule_coaching_session = mutation(
        "Schedule a coaching session.",
        create(
            ScheduleCoachingSessionInput, _COACHING_SESSION, coaching.schedule_session, CoachingSessionCreate
        ).under("cycle_id", "CoachingCycle"),
    )

    cancel_coaching_session = mutation(
        "Cancel a coaching session.", removal(RemoveInput, coaching.cancel_session, "CoachingSession")
    )

    link_coaching_observation = mutation(
        "Link a walkthrough observation.",
        create(
            LinkCoachingObservationInput,
            _COACHING_OBSERVATION,
            coaching.link_observation,
            CoachingObservationCreate,
        )
        .under("cycle_id", "CoachingCycle")
        .ids(observation_id="WalkthroughObservation"),
    )

    set_coaching_support_given = mutation(
        "Say whether the support was given.",
        change(
            SetCoachingSupportGivenInput,
            _COACHING_OBSERVATION,
            coaching.set_support_given,
            lambda input: input.support_given,
        ),
    )

    share_coaching_cycle = mutation(
        "Share your coaching cycle.",
        create(ShareCoachingCycleInput, _COACHING_SHARE, coaching.share_cycle, CoachingShareCreate)
        .under("cycle_id", "CoachingCycle")
        .ids(person_id="Person"),
    )

    unshare_coaching_cycle = mutation(
        "Withdraw a share you made.", removal(RemoveInput, coaching.unshare_cycle, "CoachingShare")
    )
