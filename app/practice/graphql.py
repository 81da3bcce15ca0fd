"""GraphQL for the practice side of progress monitoring: walkthroughs and their observations, PDSA
cycles, PLC meetings and their needs, and student feedback results.

Types, queries, mutations and loaders. No rules here: who reads which observation, meeting or result
lives in `app.practice.service` and `app.practice.feedback`, which REST calls too. Reads of
teacher-level feedback are audited by the service in the resolver's own unit of work, which commits:
a read and its audit event are one transaction here as over REST.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.core.pagination import Page
from app.graphql.context import Context
from app.graphql.errors import UserError, validate_input
from app.graphql.kit import (
    VERSIONED,
    Answer,
    RemoveInput,
    act,
    answered,
    arg,
    audited_node_resolver,
    change,
    changes_of,
    converter,
    create,
    follow,
    id_arg,
    listing,
    mutation,
    node,
    node_resolver,
    one,
    one_as_node,
    payload,
    ref,
    removal,
    report,
    version_field,
)
from app.graphql.loaders import by_id, narrowed_page_loader
from app.graphql.relay import (
    Connection,
    node_uuid,
    page_request,
    present_fields,
)
from app.identity.graphql import person_field
from app.plans.graphql import (
    ProposeRevisionInput,
    RevisionCauseInput,
    RevisionChangeInput,
    StrategyType,
    revision_data,
    strategy_by_id,
)
from app.practice import catalogue, feedback
from app.practice import service as practice
from app.practice.models import (
    FeedbackResult,
    FeedbackShare,
    ImplementationLevel,
    PdsaCycle,
    PdsaDecision,
    PlcMeeting,
    Practice,
    SupportNeeded,
    Walkthrough,
    WalkthroughObservation,
)
from app.practice.schemas import (
    FeedbackAggregates,
    FeedbackCell,
    FeedbackResultCreate,
    FeedbackShareCreate,
    ObservationCreate,
    ObservationUpdate,
    PdsaCycleCreate,
    PdsaCycleUpdate,
    PdsaDecisionCreate,
    PlcMeetingCreate,
    PlcMeetingUpdate,
    PlcNeeds,
    WalkthroughCreate,
    WalkthroughSummary,
    WalkthroughTrend,
    WalkthroughUpdate,
    WhoNeedsSupport,
)
from app.tenancy.graphql import SchoolType, school_by_id

ImplementationLevelEnum = strawberry.enum(
    ImplementationLevel,
    name="ImplementationLevel",
    description="How far a practice is in a classroom: NOT_OBSERVED, BEGINNING, DEVELOPING, PROFICIENT.",
)
SupportNeededEnum = strawberry.enum(
    SupportNeeded,
    name="SupportNeeded",
    description="What would help a teacher: NONE, COACHING, PLC, FEEDBACK.",
)
PdsaDecisionEnum = strawberry.enum(PdsaDecision, name="PdsaDecision", description="ADOPT, ADAPT or ABANDON.")

walkthrough_by_id = by_id(practice.walkthroughs_by_id)
walkthrough_summary_by_id = by_id(practice.walkthrough_summaries)
observation_by_id = by_id(practice.observations_by_id)
pdsa_cycle_by_id = by_id(practice.pdsa_cycles_by_id)
plc_meeting_by_id = by_id(practice.plc_meetings_by_id)
feedback_share_by_id = by_id(feedback.feedback_shares_by_id)


# --- the practice catalogue (its queries and mutations are coaching's, which uses it most) ----------


@node("Practice", "An evidence-based practice of the district's catalogue.", Practice)
class PracticeType(relay.Node):
    database_id: uuid.UUID
    name: str
    description: str | None
    evidence: str | None
    retired: bool
    version: int
    created_at: datetime

    resolve_nodes = node_resolver("practice_by_id", by_id(catalogue.practices_by_id), via="load_nodes")


@strawberry.input(description="A practice for the district's catalogue.")
class CreatePracticeInput:
    name: str
    description: str | None = None
    evidence: str | None = None


@strawberry.input(description="Change or retire a practice; fields left out stay as they are.")
@changes_of(CreatePracticeInput)
class UpdatePracticeInput:
    retired: bool | None = strawberry.UNSET


# --- walkthroughs -----------------------------------------------------------------------------------


@converter()
@strawberry.type(name="LevelShare", description="The classrooms at one implementation level.")
class LevelShareType:
    level: ImplementationLevelEnum  # type: ignore[valid-type]
    classrooms: int | None = strawberry.field(description="Null when the walkthrough is suppressed.")
    share: float | None = strawberry.field(description="0 to 1; null when suppressed.")


@converter(
    WalkthroughSummary,
    ids={"walkthrough_id": "Walkthrough", "school_id": "School"},
    levels=lambda row: [LevelShareType.from_model(s) for s in row.levels],
)
@strawberry.type(
    name="WalkthroughSummary",
    description="How much of the practice was in classrooms, published when the walkthrough is closed. While "
    "open, and below the district's minimum of classrooms (your own not counted for you): suppressed (levels "
    "null), since the shares would single teachers out.",
)
class WalkthroughSummaryType:
    walkthrough_id: relay.GlobalID
    school_id: relay.GlobalID
    practice: str
    observed_on: date
    closed: bool
    classrooms: int
    suppressed: bool
    levels: list[LevelShareType]
    developing_or_above: float | None = strawberry.field(
        description="Share of classrooms at DEVELOPING or PROFICIENT; null when suppressed."
    )


@converter(
    WalkthroughTrend,
    ids={"school_id": "School"},
    walkthroughs=lambda row: [WalkthroughSummaryType.from_model(s) for s in row.walkthroughs],
)
@strawberry.type(
    name="WalkthroughTrend", description="A school's walkthroughs of one practice, oldest first."
)
class WalkthroughTrendType:
    school_id: relay.GlobalID
    practice: str
    walkthroughs: list[WalkthroughSummaryType]


@node(
    "WalkthroughObservation",
    "One classroom in a walkthrough. Read by the teacher observed and the school's leaders and "
    "coaches; never by other teachers.",
    WalkthroughObservation,
    ids={"walkthrough_id": "Walkthrough", "teacher_person_id": "Person"},
    walkthrough_uuid="row.walkthrough_id",
)
class ObservationType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this observation.")
    walkthrough_id: relay.GlobalID
    teacher_person_id: relay.GlobalID
    level: ImplementationLevelEnum  # type: ignore[valid-type]
    support: SupportNeededEnum  # type: ignore[valid-type]
    note: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    walkthrough_uuid: strawberry.Private[uuid.UUID]

    teacher = person_field(
        "The teacher whose classroom it is; null for callers who do not read the district's people.",
        "teacher_person_id",
    )

    walkthrough = follow(
        "The walkthrough it is part of.",
        "WalkthroughType",
        "walkthrough_by_id",
        walkthrough_by_id,
        "walkthrough_uuid",
    )

    resolve_nodes = node_resolver("observation_by_id", observation_by_id, audited=True)


@node(
    "Walkthrough",
    "A walk through a school's classrooms looking for one practice, usually after the professional "
    "learning on it. Read by the school's staff, and by anyone it observed.",
    Walkthrough,
    ids={
        "district_id": "District",
        "school_id": "School",
        "practice_id": "Practice",
        "observer_person_id": "Person",
        "plan_id": "Plan",
        "activity_id": "Activity",
    },
    school_uuid="row.school_id",
)
class WalkthroughType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this walkthrough.")
    district_id: relay.GlobalID
    school_id: relay.GlobalID
    practice: str
    practice_id: relay.GlobalID | None = strawberry.field(
        description="The practice of the district's catalogue."
    )
    observed_on: date
    observer_person_id: relay.GlobalID | None
    plan_id: relay.GlobalID | None
    activity_id: relay.GlobalID | None = strawberry.field(
        description="The professional learning it follows up."
    )
    notes: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    school_uuid: strawberry.Private[uuid.UUID]

    observer = person_field(
        "Who walked through; null when not recorded, and for callers who do not read the district's people.",
        "observer_person_id",
    )

    school = follow("The school walked through.", SchoolType, "school_by_id", school_by_id, "school_uuid")

    summary = follow(
        "The share of classrooms at each level (suppressed below three classrooms).",
        WalkthroughSummaryType,
        "walkthrough_summary_by_id",
        walkthrough_summary_by_id,
        "database_id",
    )

    @strawberry.field(
        description="The classrooms observed, oldest first: all of them for leaders and coaches, your own for a "
        "teacher."
    )
    async def observations(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        updated_since: datetime | None = None,
        teacher_person_id: Annotated[
            relay.GlobalID | None, strawberry.argument(description="Only this teacher's classroom.")
        ] = None,
    ) -> Connection[ObservationType]:
        page = page_request(first, after, updated_since)
        teacher = node_uuid(teacher_person_id, "Person") if teacher_person_id is not None else None
        if teacher_person_id is not None and teacher is None:
            return Connection.from_page(Page([], None), ObservationType.from_model)
        loader = narrowed_page_loader(
            info.context,
            "observations_by_walkthrough",
            practice.observations_of_walkthroughs,
            teacher_person_id=teacher,
        )
        async with info.context.transaction():  # the reads are audited
            result = await loader.load((self.database_id, page))
        return Connection.from_page(result, ObservationType.from_model)

    resolve_nodes = node_resolver("walkthrough_by_id", walkthrough_by_id)


@converter(ids={"observation_id": "WalkthroughObservation", "teacher_person_id": "Person"})
@strawberry.type(name="SupportEntry", description="A teacher who needs a kind of support, and why.")
class SupportEntryType:
    observation_id: relay.GlobalID
    teacher_person_id: relay.GlobalID
    teacher_name: str
    level: ImplementationLevelEnum  # type: ignore[valid-type]
    note: str | None


@converter(teachers=lambda row: [SupportEntryType.from_model(e) for e in row.teachers])
@strawberry.type(name="SupportGroup", description="The teachers who need one kind of support.")
class SupportGroupType:
    support: SupportNeededEnum  # type: ignore[valid-type]
    teachers: list[SupportEntryType]


@converter(
    WhoNeedsSupport,
    ids={"walkthrough_id": "Walkthrough"},
    groups=lambda row: [SupportGroupType.from_model(group) for group in row.groups],
)
@strawberry.type(
    name="WhoNeedsSupport",
    description="Who needs which support after a walkthrough (school leaders, coaches, district roles).",
)
class WhoNeedsSupportType:
    walkthrough_id: relay.GlobalID
    groups: list[SupportGroupType]


# --- PDSA cycles ------------------------------------------------------------------------------------


@node(
    "PdsaCycle",
    "A plan-do-study-act cycle on a strategy: the question, the prediction, what was done, the "
    "results and the decision, which may have proposed a plan revision. Read by the plan's readers.",
    PdsaCycle,
    ids={
        "plan_id": "Plan",
        "strategy_id": "Strategy",
        "practice_id": "Practice",
        "revision_id": "PlanRevision",
    },
    strategy_uuid="row.strategy_id",
)
class PdsaCycleType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this cycle.")
    plan_id: relay.GlobalID
    strategy_id: relay.GlobalID
    practice_id: relay.GlobalID | None = strawberry.field(
        description="The practice of the district's catalogue."
    )
    question: str
    prediction: str
    plan: str = strawberry.field(description="Who does what, when; what data is collected.")
    started_on: date | None
    done: str | None
    results: str | None
    decision: PdsaDecisionEnum | None  # type: ignore[valid-type]
    decided_on: date | None
    revision_id: relay.GlobalID | None = strawberry.field(
        description="The plan revision the decision proposed."
    )
    version: int
    created_at: datetime
    updated_at: datetime

    strategy_uuid: strawberry.Private[uuid.UUID]

    strategy = follow(
        "The strategy the cycle tests; null when its plan is not yours to read.",
        StrategyType,
        "strategy_by_id",
        strategy_by_id,
        "strategy_uuid",
    )

    resolve_nodes = node_resolver("pdsa_cycle_by_id", pdsa_cycle_by_id)


# --- PLC meetings -----------------------------------------------------------------------------------


@node(
    "PlcMeeting",
    "A professional learning community meeting. Its school's teachers and coaches read it; "
    "leadership only if the PLC shared it.",
    PlcMeeting,
    ids={"school_id": "School", "practice_id": "Practice"},
    needs=lambda row: list(row.needs),
    school_uuid="row.school_id",
)
class PlcMeetingType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this meeting.")
    school_id: relay.GlobalID
    team: str
    practice_id: relay.GlobalID | None = strawberry.field(
        description="The practice of the district's catalogue."
    )
    met_on: date
    agenda: str | None
    notes: str | None
    needs: list[str]
    shared_with_leadership: bool
    version: int
    created_at: datetime
    updated_at: datetime

    school_uuid: strawberry.Private[uuid.UUID]

    school = follow("The school whose PLC met.", SchoolType, "school_by_id", school_by_id, "school_uuid")

    resolve_nodes = node_resolver("plc_meeting_by_id", plc_meeting_by_id)


@strawberry.type(name="NeedRollup", description="A need raised by PLCs that shared with leadership.")
class NeedRollupType:
    need: str
    meetings: int
    teams: int
    schools: int
    first_raised_on: date
    last_raised_on: date


@converter(
    PlcNeeds,
    ids={"school_id": "School"},
    needs=lambda row: [NeedRollupType(**n.model_dump()) for n in row.needs],
)
@strawberry.type(
    name="PlcNeeds",
    description="Common needs across the PLCs that shared with leadership: most frequent first, then most "
    "recent. Unshared meetings never count.",
)
class PlcNeedsType:
    school_id: relay.GlobalID | None
    since: date | None
    meetings: int
    needs: list[NeedRollupType]


# --- student feedback -------------------------------------------------------------------------------


@node(
    "FeedbackResult",
    "A formative student survey result about a teacher's class. Only the teacher, and the people "
    "the teacher shared with, can ever read it; every read is audited.",
    FeedbackResult,
    ids={"school_id": "School", "teacher_person_id": "Person"},
)
class FeedbackResultType(relay.Node):
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this result.")
    school_id: relay.GlobalID
    teacher_person_id: relay.GlobalID
    measure: str
    period: str
    favourable_share: Decimal = strawberry.field(description="0 to 1.")
    respondents: int
    created_at: datetime
    updated_at: datetime

    resolve_nodes = audited_node_resolver(feedback.feedback_results_by_id)


@node(
    "FeedbackShare",
    "A teacher's choice to let a named person read their results.",
    FeedbackShare,
    ids={"teacher_person_id": "Person", "person_id": "Person"},
)
class FeedbackShareType(relay.Node):
    database_id: uuid.UUID
    teacher_person_id: relay.GlobalID
    person_id: relay.GlobalID
    created_at: datetime

    resolve_nodes = node_resolver("feedback_share_by_id", feedback_share_by_id, via="load_nodes")


@converter(FeedbackCell, ids={"school_id": "School"})
@strawberry.type(
    name="FeedbackCell",
    description="One school, measure and released period. Suppressed (figures null) below the district's "
    "minimum n of students or its minimum of teachers' classes (three at least), counting neither results you "
    "can read one by one nor people who are not teachers of the school.",
)
class FeedbackCellType:
    school_id: relay.GlobalID
    measure: str
    period: str
    revision: int = strawberry.field(description="The release's revision (1, or a correction's number).")
    released_at: datetime
    suppressed: bool
    favourable_share: float | None = strawberry.field(description="Weighted by respondents.")
    respondents: int | None
    teachers: int | None
    late_results: int = strawberry.field(
        description="Results recorded or changed since the release: not in it."
    )


@converter(FeedbackAggregates, cells=lambda row: [FeedbackCellType.from_model(c) for c in row.cells])
@strawberry.type(
    name="FeedbackAggregates", description="School-level student feedback, suppressed where small."
)
class FeedbackAggregatesType:
    min_cell_size: int
    min_teachers: int
    cells: list[FeedbackCellType]


# --- queries ----------------------------------------------------------------------------------------


@strawberry.type
class PracticeQuery:
    walkthroughs = listing(
        "Walkthroughs you can read (your school's, the district's for district-wide roles, and those that "
        "observed you), oldest first.",
        WalkthroughType,
        practice.list_walkthroughs,
        practice.WalkthroughFilter,
        school_id=id_arg("School"),
        plan_id=id_arg("Plan"),
        practice=arg(str),
    )

    walkthrough = one(
        "One walkthrough; null if it is not there for you.",
        WalkthroughType,
        "walkthrough_by_id",
        walkthrough_by_id,
    )

    walkthrough_trend = report(
        "Every walkthrough of the same practice at the same school as this one, oldest first, each with its "
        "summary. Null if the walkthrough is not there for you.",
        WalkthroughTrendType,
        practice.walkthrough_trend,
        missing_is_null=True,
        walkthrough_id=id_arg("Walkthrough", required=True),
    )

    who_needs_support = report(
        "Who needs which support after a walkthrough (school leaders, coaches, district roles; a `forbidden` "
        "error for teachers). Null if the walkthrough is not there for you.",
        WhoNeedsSupportType,
        practice.who_needs_support,
        audited=True,
        missing_is_null=True,
        walkthrough_id=id_arg("Walkthrough", required=True),
    )

    my_observations = listing(
        "Your own classroom's observations across every walkthrough, oldest first.",
        ObservationType,
        practice.list_my_observations,
        updated_since=False,
        audited=True,
    )

    observation = one_as_node(
        "One observation (the teacher observed, the school's leaders and coaches); null otherwise.",
        ObservationType,
    )

    pdsa_cycles = listing(
        "PDSA cycles of the plans you can read, oldest first.",
        PdsaCycleType,
        practice.list_pdsa_cycles,
        practice.PdsaFilter,
        plan_id=id_arg("Plan"),
        strategy_id=id_arg("Strategy"),
        decision=arg(PdsaDecisionEnum),
    )

    pdsa_cycle = one(
        "One PDSA cycle; null if not there for you.", PdsaCycleType, "pdsa_cycle_by_id", pdsa_cycle_by_id
    )

    plc_meetings = listing(
        "PLC meetings you can read, oldest first: all of your school's for its teachers and coaches, the "
        "shared ones for leadership.",
        PlcMeetingType,
        practice.list_plc_meetings,
        practice.PlcFilter,
        school_id=id_arg("School"),
        team=arg(str),
        shared_with_leadership=arg(bool),
        need=arg(str),
    )

    plc_meeting = one(
        "One PLC meeting; null if it is not there for you (for leadership: not shared).",
        PlcMeetingType,
        "plc_meeting_by_id",
        plc_meeting_by_id,
    )

    plc_needs = report(
        "Common needs across the PLCs that shared with leadership, at one school or every school in your "
        "reach.",
        PlcNeedsType,
        practice.plc_needs,
        school_id=id_arg("School"),
        since=arg(date),
    )

    feedback_results = listing(
        "Feedback results you may read: your own and those shared with you, whatever the filter. Every "
        "result returned is recorded in the audit trail as read by you.",
        FeedbackResultType,
        feedback.list_feedback_results,
        feedback.FeedbackFilter,
        audited=True,
        teacher_person_id=id_arg("Person"),
        measure=arg(str),
        period=arg(str),
    )

    my_feedback_results = listing(
        "Your own feedback results, oldest first (each read is audited).",
        FeedbackResultType,
        feedback.list_feedback_results,
        partial(feedback.FeedbackFilter, mine=True),
        updated_since=False,
        audited=True,
        measure=arg(str),
        period=arg(str),
    )

    feedback_result = one_as_node(
        "One feedback result, for its teacher and those they shared with (audited); null for everyone "
        "else, as for an id that does not exist.",
        FeedbackResultType,
    )

    feedback_shares = listing(
        "The shares you made, and those made with you.",
        FeedbackShareType,
        feedback.list_feedback_shares,
        updated_since=False,
    )

    feedback_aggregates = report(
        "School-level student feedback in your reach (leaders, coaches, district roles), one cell per "
        "school, measure and period; small cells suppressed.",
        FeedbackAggregatesType,
        feedback.feedback_aggregates,
        feedback.AggregateFilter,
        school_id=id_arg("School"),
        measure=arg(str),
        period=arg(str),
    )


# --- mutations --------------------------------------------------------------------------------------


@strawberry.input(description="A walkthrough looking for a practice at a school.")
class CreateWalkthroughInput:
    school_id: relay.GlobalID
    practice: str
    practice_id: relay.GlobalID | None = strawberry.UNSET
    observed_on: date
    observer_person_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="Defaults to you."
    )
    plan_id: relay.GlobalID | None = strawberry.UNSET
    activity_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="The professional learning it follows up on."
    )
    notes: str | None = strawberry.field(
        default=strawberry.UNSET, description=WalkthroughCreate.model_fields["notes"].description
    )


@strawberry.input(description="Changes to a walkthrough: omitted fields stay as they are.")
@changes_of(CreateWalkthroughInput, exclude={"school_id"})
class UpdateWalkthroughInput:
    observer_person_id: relay.GlobalID | None = strawberry.UNSET
    activity_id: relay.GlobalID | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET


@strawberry.input(description="One classroom in a walkthrough.")
class AddObservationInput:
    walkthrough_id: relay.GlobalID
    teacher_person_id: relay.GlobalID = strawberry.field(description="Whose classroom: a member of staff.")
    level: ImplementationLevelEnum  # type: ignore[valid-type]
    support: SupportNeededEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    note: str | None = strawberry.field(
        default=strawberry.UNSET, description=ObservationCreate.model_fields["note"].description
    )


@strawberry.input(description="Changes to an observation: omitted fields stay as they are.")
@changes_of(AddObservationInput, exclude={"walkthrough_id", "teacher_person_id"})
class UpdateObservationInput:
    note: str | None = strawberry.UNSET


@strawberry.input(description="Start a PDSA cycle on a strategy.")
class CreatePdsaCycleInput:
    strategy_id: relay.GlobalID
    question: str
    prediction: str
    plan: str
    started_on: date | None = strawberry.UNSET
    practice_id: relay.GlobalID | None = strawberry.UNSET


@strawberry.input(
    description="Record what was done and the results; the question and prediction stay once results are in."
)
class UpdatePdsaCycleInput:
    id: relay.GlobalID
    expected_version: int | None = version_field()
    question: str | None = strawberry.UNSET
    prediction: str | None = strawberry.UNSET
    plan: str | None = strawberry.UNSET
    started_on: date | None = strawberry.UNSET
    done: str | None = strawberry.UNSET
    results: str | None = strawberry.UNSET
    practice_id: relay.GlobalID | None = strawberry.UNSET


@strawberry.input(description="The plan revision a PDSA decision proposes.")
class PdsaRevisionInput:
    reason: str | None = strawberry.field(
        default=strawberry.UNSET, description="Defaults to the cycle's question and decision."
    )
    changes: list[RevisionChangeInput]
    caused_by: list[RevisionCauseInput] | None = strawberry.UNSET


@strawberry.input(description="Adopt, adapt or abandon, once, on the results.")
class DecidePdsaCycleInput:
    id: relay.GlobalID
    expected_version: int | None = version_field()
    decision: PdsaDecisionEnum  # type: ignore[valid-type]
    decided_on: date | None = strawberry.UNSET
    results: str | None = strawberry.field(default=strawberry.UNSET, description="If not recorded yet.")
    revision: PdsaRevisionInput | None = strawberry.field(
        default=strawberry.UNSET, description="Propose a revision of the (approved or active) plan."
    )


@strawberry.input(description="A PLC meeting at a school.")
class CreatePlcMeetingInput:
    school_id: relay.GlobalID
    team: str
    met_on: date
    agenda: str | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    needs: list[str] | None = strawberry.UNSET
    shared_with_leadership: bool | None = strawberry.field(
        default=strawberry.UNSET, description="False unless given."
    )
    practice_id: relay.GlobalID | None = strawberry.UNSET


@strawberry.input(description="Changes to a PLC meeting: omitted fields stay as they are.")
@changes_of(CreatePlcMeetingInput, exclude={"school_id"})
class UpdatePlcMeetingInput:
    shared_with_leadership: bool | None = strawberry.UNSET


@strawberry.input(
    description="A student feedback result about a class: yours, or (survey integrations) a named teacher's. "
    "The same teacher, measure and period again replaces it."
)
class RecordFeedbackResultInput:
    measure: str
    period: str
    favourable_share: Decimal = strawberry.field(description="0 to 1.")
    respondents: int
    school_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="Defaults to your school, if you teach at one only."
    )
    teacher_person_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="Survey integrations only."
    )


@strawberry.type
class FeedbackResultPayload:
    feedback_result: FeedbackResultType | None = None
    created: bool | None = strawberry.field(default=None, description="False when it replaced a result.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Let a named person read your feedback results.")
class ShareFeedbackInput:
    person_id: relay.GlobalID


def _decision_data(input: DecidePdsaCycleInput) -> PdsaDecisionCreate:
    fields = present_fields(input, exclude=VERSIONED | {"revision"})
    if input.revision:
        revision = input.revision
        proposal = revision_data(
            ProposeRevisionInput(
                plan_id=relay.GlobalID("Plan", ""),
                reason=revision.reason or "-",
                changes=revision.changes,
                caused_by=revision.caused_by,
            )
        )
        fields["revision"] = {
            "reason": revision.reason or None,
            "changes": proposal.changes,
            "caused_by": proposal.caused_by,
        }
    return validate_input(PdsaDecisionCreate, fields)


PracticePayload = payload("PracticePayload", practice=PracticeType)

_PRACTICE_ID = ref("practice_id", "Practice")
_WALKTHROUGH_REFS = (
    _PRACTICE_ID,
    ref("observer_person_id", "Person"),
    ref("plan_id", "Plan"),
    ref("activity_id", "Activity"),
)
_FEEDBACK_RESULT = Answer(
    FeedbackResultPayload,
    convert=lambda found: {"feedback_result": FeedbackResultType.from_model(found[0]), "created": found[1]},
)
_FEEDBACK_SHARE = answered("FeedbackSharePayload", feedback_share=FeedbackShareType)
_WALKTHROUGH = answered("WalkthroughPayload", walkthrough=WalkthroughType)
_OBSERVATION = answered("ObservationPayload", observation=ObservationType)
_PDSA_CYCLE = answered("PdsaCyclePayload", pdsa_cycle=PdsaCycleType)
_PLC_MEETING = answered("PlcMeetingPayload", plc_meeting=PlcMeetingType)


@strawberry.type
class PracticeMutation:
    create_walkthrough = mutation(
        "Record a walkthrough (school leaders, coaches and district leaders).",
        create(CreateWalkthroughInput, _WALKTHROUGH, practice.create_walkthrough, WalkthroughCreate).ids(
            school_id="School",
            practice_id="Practice",
            observer_person_id="Person",
            plan_id="Plan",
            activity_id="Activity",
        ),
    )

    update_walkthrough = mutation(
        "Change a walkthrough; send `expectedVersion` to refuse stale writes.",
        change(UpdateWalkthroughInput, _WALKTHROUGH, practice.update_walkthrough, WalkthroughUpdate).ids(
            *_WALKTHROUGH_REFS
        ),
    )

    close_walkthrough = mutation(
        "Close a walkthrough: its summary is computed, stored and published, and its observations "
        "are locked. School leaders, coaches and district leaders.",
        act(RemoveInput, _WALKTHROUGH, practice.close_walkthrough),
    )

    remove_walkthrough = mutation(
        "Remove a walkthrough with its observations.",
        removal(RemoveInput, practice.remove_walkthrough, "Walkthrough"),
    )

    add_observation = mutation(
        "Record one classroom in a walkthrough: the teacher, the level, the support that would help.",
        create(AddObservationInput, _OBSERVATION, practice.add_observation, ObservationCreate)
        .under("walkthrough_id", "Walkthrough")
        .ids(teacher_person_id="Person"),
    )

    update_observation = mutation(
        "Change an observation.",
        change(UpdateObservationInput, _OBSERVATION, practice.update_observation, ObservationUpdate),
    )

    remove_observation = mutation(
        "Remove an observation.", removal(RemoveInput, practice.remove_observation, "WalkthroughObservation")
    )

    create_pdsa_cycle = mutation(
        "Start a PDSA cycle on a strategy (the plan's lead and co-authors, leaders in reach).",
        create(CreatePdsaCycleInput, _PDSA_CYCLE, practice.create_pdsa_cycle, PdsaCycleCreate)
        .under("strategy_id", "Strategy")
        .ids(practice_id="Practice"),
    )

    update_pdsa_cycle = mutation(
        "Record what was done and the results of a PDSA cycle; send `expectedVersion`.",
        change(UpdatePdsaCycleInput, _PDSA_CYCLE, practice.update_pdsa_cycle, PdsaCycleUpdate).ids(
            _PRACTICE_ID
        ),
    )

    decide_pdsa_cycle = mutation(
        "Decide a PDSA cycle (adopt, adapt, abandon), optionally proposing a plan revision.",
        change(DecidePdsaCycleInput, _PDSA_CYCLE, practice.decide_pdsa_cycle, _decision_data),
    )

    remove_pdsa_cycle = mutation(
        "Remove a PDSA cycle.", removal(RemoveInput, practice.remove_pdsa_cycle, "PdsaCycle")
    )

    create_plc_meeting = mutation(
        "Record a PLC meeting (the school's teachers and coaches).",
        create(CreatePlcMeetingInput, _PLC_MEETING, practice.create_plc_meeting, PlcMeetingCreate).ids(
            school_id="School", practice_id="Practice"
        ),
    )

    update_plc_meeting = mutation(
        "Change a PLC meeting, sharing it with leadership or not; send `expectedVersion`.",
        change(UpdatePlcMeetingInput, _PLC_MEETING, practice.update_plc_meeting, PlcMeetingUpdate).ids(
            _PRACTICE_ID
        ),
    )

    remove_plc_meeting = mutation(
        "Remove a PLC meeting.", removal(RemoveInput, practice.remove_plc_meeting, "PlcMeeting")
    )

    record_feedback_result = mutation(
        "Record a student feedback result: yours, or (survey integrations) a named teacher's.",
        create(
            RecordFeedbackResultInput, _FEEDBACK_RESULT, feedback.record_feedback_result, FeedbackResultCreate
        ).ids(school_id="School", teacher_person_id="Person"),
    )

    remove_feedback_result = mutation(
        "Take one of your results off the record.",
        removal(RemoveInput, feedback.remove_feedback_result, "FeedbackResult"),
    )

    share_feedback = mutation(
        "Let a named person read your feedback results.",
        create(ShareFeedbackInput, _FEEDBACK_SHARE, feedback.share_feedback, FeedbackShareCreate).ids(
            person_id="Person"
        ),
    )

    unshare_feedback = mutation(
        "Withdraw a share you made.", removal(RemoveInput, feedback.unshare_feedback, "FeedbackShare")
    )
