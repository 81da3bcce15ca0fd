"""GraphQL for the practice catalogue and coaching cycles.

Types, queries and mutations. No rules here: who reads which cycle lives in `app.coaching.service`
(the catalogue's in `app.monitoring.catalogue`), which REST calls too. Reads of cycles are audited by
the service in the resolver's own unit of work, which commits, as over REST.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
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
from app.graphql.errors import UserError, run_mutation, validate_input
from app.graphql.loaders import by_id, load_nodes
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import (
    Connection,
    node_uuid,
    page_request,
    parse_global_id,
    present_fields,
)
from app.graphql.relay import parse_optional_global_id as _optional_id
from app.monitoring import catalogue
from app.monitoring.models import Practice
from app.monitoring.practice_graphql import (
    ImplementationLevelEnum,
    RemovalPayload,
    RemoveInput,
    SupportNeededEnum,
)
from app.monitoring.practice_schemas import PracticeCreate, PracticeUpdate

CoachingStatusEnum = strawberry.enum(
    CoachingStatus, name="CoachingStatus", description="ACTIVE or COMPLETED."
)
CoachingSessionKindEnum = strawberry.enum(
    CoachingSessionKind, name="CoachingSessionKind", description="PLAN, OBSERVE or DEBRIEF."
)
_VERSIONED = frozenset({"id", "expected_version"})
_EXPECTED_VERSION = "The version you read; a stale one is refused and nothing is written."


def _failed(payload: type[Any]) -> Any:
    def on_error(errors: list[UserError]) -> Any:
        return payload(user_errors=errors)

    return on_error


# --- types ------------------------------------------------------------------------------------------


async def _audited_nodes(
    info: Info[Context, None], fetch: Any, node_ids: Iterable[str], convert: Any
) -> list[Any]:
    """`node(id:)` for the parts of a cycle: read through the service's rule for the cycle, in a unit
    of work because reading a cycle is audited (as `CoachingCycle.resolve_nodes` does)."""
    ids: list[uuid.UUID | None] = []
    for node_id in node_ids:
        try:
            ids.append(uuid.UUID(node_id))
        except ValueError:
            ids.append(None)
    async with info.context.transaction() as session:
        found = await fetch(session, info.context.principal, [i for i in ids if i is not None])
    return [convert(found[i]) if i is not None and i in found else None for i in ids]


practice_by_id = by_id(catalogue.practices_by_id)


@strawberry.type(name="Practice", description="An evidence-based practice of the district's catalogue.")
class PracticeType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID
    name: str
    description: str | None
    evidence: str | None
    retired: bool
    version: int
    created_at: datetime

    @classmethod
    def from_row(cls, row: Practice) -> PracticeType:
        return cls(
            id=str(row.id),
            database_id=row.id,
            name=row.name,
            description=row.description,
            evidence=row.evidence,
            retired=row.retired,
            version=row.version,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[PracticeType | None]:
        return await load_nodes(info, "practice_by_id", practice_by_id, node_ids, cls.from_row)


@strawberry.type(
    name="CoachingCycle",
    description="A teacher and a coach around one practice. Only the two, and the people the teacher "
    "shared it with, can ever read it; every read is audited.",
)
class CoachingCycleType(relay.Node):
    id: relay.NodeID[str]
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

    @classmethod
    def from_row(cls, row: CoachingCycle) -> CoachingCycleType:
        return cls(
            id=str(row.id),
            database_id=row.id,
            school_id=relay.GlobalID("School", str(row.school_id)),
            teacher_person_id=relay.GlobalID("Person", str(row.teacher_person_id)),
            coach_person_id=relay.GlobalID("Person", str(row.coach_person_id)),
            practice_id=relay.GlobalID("Practice", str(row.practice_id)),
            period=row.period,
            goal=row.goal,
            goal_agreed_at=row.goal_agreed_at,
            reflection=row.reflection,
            status=row.status,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[CoachingCycleType | None]:
        ids: list[uuid.UUID | None] = []
        for node_id in node_ids:
            try:
                ids.append(uuid.UUID(node_id))
            except ValueError:
                ids.append(None)
        async with info.context.transaction() as session:  # the reads are audited
            found = await coaching.cycles_by_id(
                session, info.context.principal, [i for i in ids if i is not None]
            )
        return [cls.from_row(found[i]) if i is not None and i in found else None for i in ids]


@strawberry.type(name="CoachingSession", description="A scheduled plan, observe or debrief session.")
class CoachingSessionType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID
    cycle_id: relay.GlobalID
    kind: CoachingSessionKindEnum  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    notes: str | None

    @classmethod
    def from_row(cls, row: CoachingSession) -> CoachingSessionType:
        return cls(
            id=str(row.id),
            database_id=row.id,
            cycle_id=relay.GlobalID("CoachingCycle", str(row.cycle_id)),
            kind=row.kind,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            notes=row.notes,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[CoachingSessionType | None]:
        return await _audited_nodes(info, coaching.sessions_by_id, node_ids, cls.from_row)


@strawberry.type(
    name="CoachingObservation",
    description="A walkthrough observation of the teacher's classroom linked to the cycle: the support "
    "it said was needed and whether it was given.",
)
class CoachingObservationType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID
    cycle_id: relay.GlobalID
    observation_id: relay.GlobalID
    walkthrough_id: relay.GlobalID
    observed_on: date
    level: ImplementationLevelEnum  # type: ignore[valid-type]
    support_needed: SupportNeededEnum  # type: ignore[valid-type]
    support_given: bool
    version: int

    @classmethod
    def from_schema(cls, link: CoachingObservationPublic) -> CoachingObservationType:
        return cls(
            id=str(link.id),
            database_id=link.id,
            cycle_id=relay.GlobalID("CoachingCycle", str(link.cycle_id)),
            observation_id=relay.GlobalID("WalkthroughObservation", str(link.observation_id)),
            walkthrough_id=relay.GlobalID("Walkthrough", str(link.walkthrough_id)),
            observed_on=link.observed_on,
            level=link.level,
            support_needed=link.support_needed,
            support_given=link.support_given,
            version=link.version,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[CoachingObservationType | None]:
        return await _audited_nodes(info, coaching.observations_by_id, node_ids, cls.from_schema)


@strawberry.type(
    name="CoachingShare", description="The teacher's choice to let a named person read the cycle."
)
class CoachingShareType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID
    cycle_id: relay.GlobalID
    person_id: relay.GlobalID
    created_at: datetime

    @classmethod
    def from_row(cls, row: CoachingShare) -> CoachingShareType:
        return cls(
            id=str(row.id),
            database_id=row.id,
            cycle_id=relay.GlobalID("CoachingCycle", str(row.cycle_id)),
            person_id=relay.GlobalID("Person", str(row.person_id)),
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[CoachingShareType | None]:
        return await _audited_nodes(info, coaching.shares_by_id, node_ids, cls.from_row)


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

    @classmethod
    def from_schema(cls, cell: CoachingCountCell) -> CoachingCountCellType:
        return cls(
            practice_id=relay.GlobalID("Practice", str(cell.practice_id)),
            period=cell.period,
            revision=cell.revision,
            released_at=cell.released_at,
            suppressed=cell.suppressed,
            cycles=cell.cycles,
            teachers=cell.teachers,
        )


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

    @classmethod
    def from_schema(cls, report: PracticeFootprint) -> PracticeFootprintType:
        return cls(
            practice_id=relay.GlobalID("Practice", str(report.practice_id)),
            learned=[CoachingCountCellType.from_schema(c) for c in report.learned],
            tried=_schools(report.tried),
            discussed=_schools(report.discussed),
            observed=_schools(report.observed),
        )


# --- queries ----------------------------------------------------------------------------------------


@strawberry.type
class CoachingQuery:
    @strawberry.field(permission_classes=AUTHENTICATED, description="The district's practice catalogue.")
    async def practices(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        include_retired: bool = False,
        name: str | None = None,
    ) -> Connection[PracticeType]:
        page = page_request(first, after)
        async with info.context.session() as session:
            result = await catalogue.list_practices(
                session, info.context.principal, page, catalogue.PracticeFilter(include_retired, name)
            )
        return Connection.from_page(result, PracticeType.from_row)

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Where a practice is learned, tried, discussed and observed.",
        metadata=cost(4),
    )
    async def practice_footprint(
        self, info: Info[Context, None], practice_id: relay.GlobalID
    ) -> PracticeFootprintType:
        row_id = parse_global_id(practice_id, "Practice", field="practiceId")
        async with info.context.session() as session:
            report = await coaching.practice_footprint(session, info.context.principal, row_id)
        return PracticeFootprintType.from_schema(report)

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Coaching cycles you may read: yours as teacher or coach, and those shared with you, "
        "whatever the filter. Every cycle returned is recorded in the audit trail as read by you.",
    )
    async def coaching_cycles(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        practice_id: relay.GlobalID | None = None,
        period: str | None = None,
        status: CoachingStatusEnum | None = None,  # type: ignore[valid-type]
        as_teacher: bool = False,
        as_coach: bool = False,
    ) -> Connection[CoachingCycleType]:
        page = page_request(first, after)
        filters = coaching.CycleFilter(
            _optional_id(practice_id, "Practice", field="practiceId"), period, status, as_teacher, as_coach
        )
        async with info.context.transaction() as session:
            result = await coaching.list_cycles(session, info.context.principal, page, filters)
        return Connection.from_page(result, CoachingCycleType.from_row)

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="One coaching cycle, for its teacher, its coach and those shared with (audited); null "
        "for everyone else, as for an id that does not exist.",
    )
    async def coaching_cycle(self, info: Info[Context, None], id: relay.GlobalID) -> CoachingCycleType | None:
        row_id = node_uuid(id, "CoachingCycle")
        if row_id is None:
            return None
        async with info.context.transaction() as session:
            found = await coaching.cycles_by_id(session, info.context.principal, [row_id])
        return CoachingCycleType.from_row(found[row_id]) if row_id in found else None

    @strawberry.field(
        permission_classes=AUTHENTICATED, description="A cycle's sessions in time order.", metadata=cost(20)
    )
    async def coaching_sessions(
        self, info: Info[Context, None], cycle_id: relay.GlobalID
    ) -> list[CoachingSessionType]:
        row_id = parse_global_id(cycle_id, "CoachingCycle", field="cycleId")
        async with info.context.transaction() as session:
            rows = await coaching.list_sessions(session, info.context.principal, row_id)
        return [CoachingSessionType.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Your own coaching sessions (as teacher or coach) starting in [start, end).",
        metadata=cost(20),
    )
    async def my_coaching_sessions(
        self, info: Info[Context, None], start: datetime, end: datetime
    ) -> list[CoachingSessionType]:
        async with info.context.session() as session:
            rows = await coaching.coaching_sessions_for(session, info.context.principal, start, end)
        return [CoachingSessionType.from_row(s) for s, _ in rows]

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Walkthrough observations linked to a cycle.",
        metadata=cost(20),
    )
    async def coaching_observations(
        self, info: Info[Context, None], cycle_id: relay.GlobalID
    ) -> list[CoachingObservationType]:
        row_id = parse_global_id(cycle_id, "CoachingCycle", field="cycleId")
        async with info.context.transaction() as session:
            links = await coaching.list_observations(session, info.context.principal, row_id)
        return [CoachingObservationType.from_schema(link) for link in links]

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Whom the teacher shared a cycle with.",
        metadata=cost(20),
    )
    async def coaching_shares(
        self, info: Info[Context, None], cycle_id: relay.GlobalID
    ) -> list[CoachingShareType]:
        row_id = parse_global_id(cycle_id, "CoachingCycle", field="cycleId")
        async with info.context.transaction() as session:
            rows = await coaching.list_shares(session, info.context.principal, row_id)
        return [CoachingShareType.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="How many coaching cycles, on which practices: released counts for leaders and coaches.",
        metadata=cost(4),
    )
    async def coaching_counts(
        self, info: Info[Context, None], period: str | None = None, practice_id: relay.GlobalID | None = None
    ) -> CoachingCountsType:
        practice = _optional_id(practice_id, "Practice", field="practiceId")
        async with info.context.session() as session:
            report = await coaching.coaching_counts(
                session, info.context.principal, period=period, practice_id=practice
            )
        return CoachingCountsType(
            min_teachers=report.min_teachers,
            cells=[CoachingCountCellType.from_schema(c) for c in report.cells],
        )


# --- mutations --------------------------------------------------------------------------------------


@strawberry.input(description="A practice for the district's catalogue.")
class CreatePracticeInput:
    name: str
    description: str | None = None
    evidence: str | None = None


@strawberry.input(description="Change or retire a practice; fields left out stay as they are.")
class UpdatePracticeInput:
    id: relay.GlobalID
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    evidence: str | None = strawberry.UNSET
    retired: bool | None = strawberry.UNSET


@strawberry.type
class PracticePayload:
    practice: PracticeType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


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
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)
    goal: str | None = strawberry.UNSET
    goal_agreed: bool | None = strawberry.UNSET
    reflection: str | None = strawberry.UNSET
    status: CoachingStatusEnum | None = strawberry.UNSET  # type: ignore[valid-type]


@strawberry.type
class CoachingCyclePayload:
    coaching_cycle: CoachingCycleType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="A plan, observe or debrief session of a cycle.")
class ScheduleCoachingSessionInput:
    cycle_id: relay.GlobalID
    kind: CoachingSessionKindEnum  # type: ignore[valid-type]
    starts_at: datetime
    ends_at: datetime
    notes: str | None = None


@strawberry.type
class CoachingSessionPayload:
    coaching_session: CoachingSessionType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Link a walkthrough observation of the teacher's classroom.")
class LinkCoachingObservationInput:
    cycle_id: relay.GlobalID
    observation_id: relay.GlobalID
    support_given: bool = False


@strawberry.input(description="Whether the support a linked observation called for was given.")
class SetCoachingSupportGivenInput:
    id: relay.GlobalID
    support_given: bool
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED_VERSION)


@strawberry.type
class CoachingObservationPayload:
    coaching_observation: CoachingObservationType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Let a named person read your coaching cycle.")
class ShareCoachingCycleInput:
    cycle_id: relay.GlobalID
    person_id: relay.GlobalID


@strawberry.type
class CoachingSharePayload:
    coaching_share: CoachingShareType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CoachingMutation:
    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Add a practice to the catalogue.")
    async def create_practice(self, info: Info[Context, None], input: CreatePracticeInput) -> PracticePayload:
        async def work(session: AsyncSession) -> PracticePayload:
            data = validate_input(PracticeCreate, present_fields(input))
            row = await catalogue.create_practice(session, info.context.principal, data)
            return PracticePayload(practice=PracticeType.from_row(row))

        return await run_mutation(info.context, work, _failed(PracticePayload))

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Change or retire a practice.")
    async def update_practice(self, info: Info[Context, None], input: UpdatePracticeInput) -> PracticePayload:
        async def work(session: AsyncSession) -> PracticePayload:
            row_id = parse_global_id(input.id, "Practice")
            data = validate_input(PracticeUpdate, present_fields(input, exclude=_VERSIONED))
            row = await catalogue.update_practice(
                session, info.context.principal, row_id, data, expected_version=input.expected_version
            )
            return PracticePayload(practice=PracticeType.from_row(row))

        return await run_mutation(info.context, work, _failed(PracticePayload))

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Start a coaching cycle.")
    async def start_coaching_cycle(
        self, info: Info[Context, None], input: StartCoachingCycleInput
    ) -> CoachingCyclePayload:
        async def work(session: AsyncSession) -> CoachingCyclePayload:
            fields = present_fields(input)
            fields["school_id"] = parse_global_id(input.school_id, "School", field="schoolId")
            fields["practice_id"] = parse_global_id(input.practice_id, "Practice", field="practiceId")
            fields["teacher_person_id"] = _optional_id(
                input.teacher_person_id, "Person", field="teacherPersonId"
            )
            fields["coach_person_id"] = _optional_id(input.coach_person_id, "Person", field="coachPersonId")
            data = validate_input(CoachingCycleCreate, fields)
            row = await coaching.start_cycle(session, info.context.principal, data)
            return CoachingCyclePayload(coaching_cycle=CoachingCycleType.from_row(row))

        return await run_mutation(info.context, work, _failed(CoachingCyclePayload))

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Change a coaching cycle.")
    async def update_coaching_cycle(
        self, info: Info[Context, None], input: UpdateCoachingCycleInput
    ) -> CoachingCyclePayload:
        async def work(session: AsyncSession) -> CoachingCyclePayload:
            row_id = parse_global_id(input.id, "CoachingCycle")
            data = validate_input(CoachingCycleUpdate, present_fields(input, exclude=_VERSIONED))
            row = await coaching.update_cycle(
                session, info.context.principal, row_id, data, expected_version=input.expected_version
            )
            return CoachingCyclePayload(coaching_cycle=CoachingCycleType.from_row(row))

        return await run_mutation(info.context, work, _failed(CoachingCyclePayload))

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Schedule a coaching session.")
    async def schedule_coaching_session(
        self, info: Info[Context, None], input: ScheduleCoachingSessionInput
    ) -> CoachingSessionPayload:
        async def work(session: AsyncSession) -> CoachingSessionPayload:
            cycle_id = parse_global_id(input.cycle_id, "CoachingCycle", field="cycleId")
            data = validate_input(
                CoachingSessionCreate, present_fields(input, exclude=frozenset({"cycle_id"}))
            )
            row = await coaching.schedule_session(session, info.context.principal, cycle_id, data)
            return CoachingSessionPayload(coaching_session=CoachingSessionType.from_row(row))

        return await run_mutation(info.context, work, _failed(CoachingSessionPayload))

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Cancel a coaching session.")
    async def cancel_coaching_session(self, info: Info[Context, None], input: RemoveInput) -> RemovalPayload:
        async def work(session: AsyncSession) -> RemovalPayload:
            await coaching.cancel_session(
                session, info.context.principal, parse_global_id(input.id, "CoachingSession")
            )
            return RemovalPayload(removed_id=input.id)

        return await run_mutation(info.context, work, _failed(RemovalPayload))

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Link a walkthrough observation.")
    async def link_coaching_observation(
        self, info: Info[Context, None], input: LinkCoachingObservationInput
    ) -> CoachingObservationPayload:
        async def work(session: AsyncSession) -> CoachingObservationPayload:
            cycle_id = parse_global_id(input.cycle_id, "CoachingCycle", field="cycleId")
            observation = parse_global_id(
                input.observation_id, "WalkthroughObservation", field="observationId"
            )
            data = CoachingObservationCreate(observation_id=observation, support_given=input.support_given)
            link = await coaching.link_observation(session, info.context.principal, cycle_id, data)
            return CoachingObservationPayload(coaching_observation=CoachingObservationType.from_schema(link))

        return await run_mutation(info.context, work, _failed(CoachingObservationPayload))

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Say whether the support was given.")
    async def set_coaching_support_given(
        self, info: Info[Context, None], input: SetCoachingSupportGivenInput
    ) -> CoachingObservationPayload:
        async def work(session: AsyncSession) -> CoachingObservationPayload:
            link_id = parse_global_id(input.id, "CoachingObservation")
            link = await coaching.set_support_given(
                session,
                info.context.principal,
                link_id,
                input.support_given,
                expected_version=input.expected_version,
            )
            return CoachingObservationPayload(coaching_observation=CoachingObservationType.from_schema(link))

        return await run_mutation(info.context, work, _failed(CoachingObservationPayload))

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Share your coaching cycle.")
    async def share_coaching_cycle(
        self, info: Info[Context, None], input: ShareCoachingCycleInput
    ) -> CoachingSharePayload:
        async def work(session: AsyncSession) -> CoachingSharePayload:
            cycle_id = parse_global_id(input.cycle_id, "CoachingCycle", field="cycleId")
            person_id = parse_global_id(input.person_id, "Person", field="personId")
            share = await coaching.share_cycle(
                session, info.context.principal, cycle_id, CoachingShareCreate(person_id=person_id)
            )
            return CoachingSharePayload(coaching_share=CoachingShareType.from_row(share))

        return await run_mutation(info.context, work, _failed(CoachingSharePayload))

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Withdraw a share you made.")
    async def unshare_coaching_cycle(self, info: Info[Context, None], input: RemoveInput) -> RemovalPayload:
        async def work(session: AsyncSession) -> RemovalPayload:
            await coaching.unshare_cycle(
                session, info.context.principal, parse_global_id(input.id, "CoachingShare")
            )
            return RemovalPayload(removed_id=input.id)

        return await run_mutation(info.context, work, _failed(RemovalPayload))
