"""GraphQL for initiatives, their measures and capacity, stakeholders and the authorizing environment.

Types, queries, mutations and loaders. No rules here: who may see or change what, stage transitions and
stance history all live in `app.initiatives.service`, which REST calls too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, get_args

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.core.pagination import Page
from app.graphql.context import Context
from app.graphql.cost import cost
from app.graphql.kit import (
    answer,
    arg,
    change,
    changes_of,
    children,
    choices,
    converter,
    create,
    follow,
    id_arg,
    id_input,
    listing,
    mutation,
    node_resolver,
    one,
    payload,
    read,
    ref,
    removal,
    version_field,
)
from app.graphql.loaders import by_id, load_nodes, narrowed_page_loader, page_per_parent, parts_by_id
from app.graphql.relay import Connection, actor_global_id, node_uuid, page_request
from app.identity.graphql import person_field
from app.initiatives import models, schemas, service
from app.tenancy.graphql import SchoolType, school_by_id

if TYPE_CHECKING:
    from app.engagement.graphql import ActivityType
    from app.monitoring.graphql import IndicatorStatusReportType, MeasurementType

StageEnum = strawberry.enum(models.Stage, name="Stage")
IndicatorKindEnum = strawberry.enum(models.IndicatorKind, name="IndicatorKind")
DirectionEnum = strawberry.enum(models.Direction, name="Direction")
CapacityCategoryEnum = strawberry.enum(models.CapacityCategory, name="CapacityCategory")
CapacityStatusEnum = strawberry.enum(models.CapacityStatus, name="CapacityStatus")
StakeholderCategoryEnum = strawberry.enum(models.StakeholderCategory, name="StakeholderCategory")
StanceEnum = strawberry.enum(models.Stance, name="Stance")
ParticipationLevelEnum = strawberry.enum(models.ParticipationLevel, name="ParticipationLevel")


# The diagnosis speaks in string literals (`schemas.Corner` and friends); GraphQL clients get enums.
CornerEnum = choices("Corner", "A corner of the strategic triangle.", *get_args(schemas.Corner))
SeverityEnum = choices(
    "Severity", "`CREDIT` findings add to a corner; the others take away.", *get_args(schemas.Severity)
)
QuadrantEnum = choices("Quadrant", "A cell of the power/interest grid.", *get_args(schemas.Quadrant))

initiative_by_id = by_id(service.initiatives_by_id)
stakeholder_by_id = by_id(service.stakeholders_by_id)
capacity_item_by_id = by_id(service.capacity_items_by_id)
placement_by_id = by_id(service.placements_by_id)
stage_change_by_id = parts_by_id(models.StageChange, "initiative_id", service.initiatives_by_id)
stance_change_by_id = parts_by_id(models.StanceChange, "initiative_stakeholder_id", service.placements_by_id)
measures_by_initiative = page_per_parent(service.measures_of_initiatives)
capacity_by_initiative = page_per_parent(service.capacity_of_initiatives)
placements_by_initiative = page_per_parent(service.placements_of_initiatives)
stance_history_by_placement = page_per_parent(service.stance_history_of_placements)
stage_history_by_initiative = page_per_parent(service.stage_history_of_initiatives)


# --- types -------------------------------------------------------------------------------------------


@converter(models.Indicator, ids={"initiative_id": "Initiative", "school_id": "School"})
@strawberry.type(name="Indicator", description="A measure of an initiative's public value.")
class IndicatorType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this measure.")
    initiative_id: relay.GlobalID | None
    school_id: relay.GlobalID | None
    name: str
    kind: IndicatorKindEnum  # type: ignore[valid-type]
    unit: str
    direction: DirectionEnum = strawberry.field(description="Which way is better.")  # type: ignore[valid-type]
    baseline_value: Decimal | None
    baseline_date: date | None
    target_value: Decimal | None
    target_date: date | None
    feedback_measure: str | None = strawberry.field(
        description="Measured by student feedback: the survey measure whose released aggregate it reads."
    )
    version: int
    created_at: datetime
    updated_at: datetime

    # Progress monitoring builds on indicators (its module imports this one); the way back is lazy.
    @strawberry.field(
        description="Its measurements in the order they were recorded (for whoever reads what it measures)."
    )
    async def measurements(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        updated_since: datetime | None = None,
        school_id: Annotated[
            relay.GlobalID | None, strawberry.argument(description="Only this school's values.")
        ] = None,
    ) -> Connection[Annotated[MeasurementType, strawberry.lazy("app.monitoring.graphql")]]:
        from app.monitoring import measurements
        from app.monitoring.graphql import MeasurementType

        page = page_request(first, after, updated_since)
        school = node_uuid(school_id, "School") if school_id is not None else None
        if school_id is not None and school is None:
            return Connection.from_page(Page([], None), MeasurementType.from_model)
        loader = narrowed_page_loader(
            info.context,
            "measurements_by_indicator",
            measurements.measurements_of_indicators,
            school_id=school,
        )
        result = await loader.load((self.database_id, page))
        return Connection.from_page(result, MeasurementType.from_model)

    @strawberry.field(
        description="Where it stands (on track, at risk, off track, no data) and what its run chart signals."
    )
    async def status(
        self, info: Info[Context, None]
    ) -> Annotated[IndicatorStatusReportType, strawberry.lazy("app.monitoring.graphql")] | None:
        from app.monitoring.graphql import IndicatorStatusReportType, indicator_status_by_id

        loader = info.context.loader("indicator_status_by_id", indicator_status_by_id)
        return IndicatorStatusReportType.from_model(await loader.load(self.database_id))

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[IndicatorType | None]:
        from app.monitoring.measurements import readable_indicators

        return await load_nodes(info, "indicator_by_id", by_id(readable_indicators), node_ids, cls.from_model)


@converter(models.CapacityItem, ids={"initiative_id": "Initiative", "owner_person_id": "Person"})
@strawberry.type(
    name="CapacityItem", description="Something the initiative needs in order to deliver, and how far it is."
)
class CapacityItemType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this item.")
    initiative_id: relay.GlobalID
    category: CapacityCategoryEnum  # type: ignore[valid-type]
    description: str
    status: CapacityStatusEnum  # type: ignore[valid-type]
    owner_person_id: relay.GlobalID | None
    version: int
    created_at: datetime
    updated_at: datetime

    resolve_nodes = node_resolver("capacity_item_by_id", capacity_item_by_id, via="load_nodes")


@converter(
    models.Stakeholder,
    ids={"district_id": "District", "person_id": "Person"},
    tags=lambda row: list(row.tags),
)
@strawberry.type(
    name="Stakeholder",
    description="A member of the district's authorizing environment: a person, or a group or body.",
)
class StakeholderType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this stakeholder.")
    district_id: relay.GlobalID
    name: str
    category: StakeholderCategoryEnum  # type: ignore[valid-type]
    is_group: bool = strawberry.field(description="A group or body (a board, a union) rather than a person.")
    person_id: relay.GlobalID | None
    formal_authority: bool = strawberry.field(description="Can formally approve or block initiatives.")
    description: str | None
    preferred_language: str | None = strawberry.field(
        description="A BCP 47 tag: the language to reach them in."
    )
    neighbourhood: str | None
    community_role: str | None
    tags: list[str]
    version: int
    created_at: datetime
    updated_at: datetime

    resolve_nodes = node_resolver("stakeholder_by_id", stakeholder_by_id)


@converter(
    models.StageChange,
    changed_by_global_id=lambda row: actor_global_id(row.changed_by_kind, row.changed_by_id),
)
@strawberry.type(
    name="StageChange",
    description="One move of an initiative between stages: who, from where to where, when.",
)
class StageChangeType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID
    from_stage: StageEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="Null on the first entry: the stage the initiative was started at."
    )
    to_stage: StageEnum  # type: ignore[valid-type]
    changed_by_kind: str
    changed_by_id: uuid.UUID | None = strawberry.field(
        deprecation_reason="A database UUID; use `changedByGlobalId`, the global id `node(id:)` answers."
    )
    changed_by_global_id: relay.GlobalID | None = strawberry.field(
        description="Who moved it: a `User` or an `ApiClient`; null for the installation's operator."
    )
    changed_by_label: str | None
    created_at: datetime = strawberry.field(description="When it was moved.")

    resolve_nodes = node_resolver("stage_change_by_id", stage_change_by_id, via="load_nodes")


@converter(
    models.StanceChange,
    ids={"activity_global_id": ("Activity", "activity_id")},
    recorded_by_global_id=lambda row: actor_global_id(row.recorded_by_kind, row.recorded_by_id),
)
@strawberry.type(name="StanceChange", description="One recorded stance of a stakeholder, with its evidence.")
class StanceChangeType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID
    from_stance: StanceEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="Null on the first entry: the stance recorded when the stakeholder was placed."
    )
    to_stance: StanceEnum  # type: ignore[valid-type]
    evidence: str | None
    activity_id: uuid.UUID | None = strawberry.field(
        deprecation_reason="A database UUID; use `activityGlobalId`, the global id `node(id:)` answers."
    )
    activity_global_id: relay.GlobalID | None = strawberry.field(
        description="The engagement activity the stance was seen at, if any."
    )
    recorded_by_kind: str
    recorded_by_id: uuid.UUID | None = strawberry.field(
        deprecation_reason="A database UUID; use `recordedByGlobalId`, the global id `node(id:)` answers."
    )
    recorded_by_global_id: relay.GlobalID | None = strawberry.field(
        description="Who recorded it: a `User` or an `ApiClient`; null for the installation's operator."
    )
    recorded_by_label: str | None
    created_at: datetime

    resolve_nodes = node_resolver("stance_change_by_id", stance_change_by_id, via="load_nodes")


@converter(
    models.InitiativeStakeholder,
    ids={"initiative_id": "Initiative", "stakeholder_id": "Stakeholder"},
    stakeholder_uuid="row.stakeholder_id",
    initiative_uuid="row.initiative_id",
)
@strawberry.type(
    name="InitiativeStakeholder",
    description="A stakeholder's place in one initiative's authorizing environment.",
)
class PlacementType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this placement.")
    initiative_id: relay.GlobalID
    stakeholder_id: relay.GlobalID
    power: int = strawberry.field(description="1 (low) to 5 (high).")
    interest: int = strawberry.field(description="1 (low) to 5 (high).")
    stance: StanceEnum  # type: ignore[valid-type]
    participation_level: ParticipationLevelEnum  # type: ignore[valid-type]
    key_authorizer: bool
    version: int
    created_at: datetime
    updated_at: datetime
    stakeholder_uuid: strawberry.Private[uuid.UUID]
    initiative_uuid: strawberry.Private[uuid.UUID]

    stakeholder = follow(
        "Who is placed.", StakeholderType, "stakeholder_by_id", stakeholder_by_id, "stakeholder_uuid"
    )

    @strawberry.field(description="The initiative this placement belongs to.")
    async def initiative(self, info: Info[Context, None]) -> InitiativeType | None:
        loader = info.context.loader("initiative_by_id", initiative_by_id)
        return InitiativeType.from_model(await loader.load(self.initiative_uuid))

    stance_history = children(
        StanceChangeType,
        "stance_history_by_placement",
        stance_history_by_placement,
        updated_since=False,
        description="Every recorded stance, oldest first (the first is the one placed with).",
    )

    resolve_nodes = node_resolver("placement_by_id", placement_by_id, via="load_nodes")


# What a finding's subjects are, by its code (the rules in `app/initiatives/findings.py` and
# `app/engagement/findings.py`; codes with no subjects are absent).
SUBJECT_TYPES: dict[str, str] = {
    "public_value.no_baseline": "Indicator",
    "capacity.missing_while_implementing": "CapacityItem",
    "legitimacy.key_stakeholder_resisting": "InitiativeStakeholder",
    "legitimacy.narrow_coalition": "InitiativeStakeholder",
    "legitimacy.formal_authority_only_informed": "InitiativeStakeholder",
    "legitimacy.stance_trending_down": "InitiativeStakeholder",
    "legitimacy.built_then_asked": "Stakeholder",
    "legitimacy.inputs_left_open": "Input",
    "legitimacy.co_creation_credit": "Activity",
}


@converter(
    schemas.Finding,
    corner=lambda row: CornerEnum(row.corner),
    severity=lambda row: SeverityEnum(row.severity),
    subjects=lambda row: list(row.subjects),
    subject_ids=lambda row: [relay.GlobalID(SUBJECT_TYPES[row.code], str(s)) for s in row.subjects],
)
@strawberry.type(description="Something a diagnosis rule saw in the initiative's triangle.")
class TriangleFinding:
    code: str = strawberry.field(description="Stable code, e.g. `legitimacy.narrow_coalition`.")
    corner: CornerEnum
    severity: SeverityEnum
    explanation: str
    subjects: list[uuid.UUID] = strawberry.field(
        description="Database UUIDs of the rows the finding is about.",
        deprecation_reason="Database UUIDs; use `subjectIds`, global ids `node(id:)` answers.",
    )
    subject_ids: list[relay.GlobalID] = strawberry.field(
        description="What the finding is about, as its code says: measures (`Indicator`), `CapacityItem`s, "
        "placements (`InitiativeStakeholder`), `Stakeholder`s, `Input`s or `Activity`s."
    )


@converter(
    schemas.CornerScore,
    corner=lambda row: CornerEnum(row.corner),
    findings=lambda row: [TriangleFinding.from_model(f) for f in row.findings],
)
@strawberry.type(description="One corner's score (0 to 100) and the findings behind it.")
class TriangleCorner:
    corner: CornerEnum
    score: int
    findings: list[TriangleFinding]


@converter(
    schemas.TriangleDiagnosis,
    corners=lambda row: [TriangleCorner.from_model(c) for c in row.corners],
    weakest=lambda row: CornerEnum(row.weakest),
)
@strawberry.type(description="Where an initiative's strategic triangle is weak, corner by corner.")
class TriangleDiagnosisType:
    corners: list[TriangleCorner]
    weakest: CornerEnum = strawberry.field(description="The lowest-scoring corner (the first, on a tie).")


@converter(
    schemas.MapEntry,
    ids={"placement_id": "InitiativeStakeholder"},
    stakeholder=lambda row: StakeholderType.from_model(row.stakeholder),
    quadrant=lambda row: QuadrantEnum(row.quadrant),
)
@strawberry.type(description="A stakeholder on the power/interest grid.")
class AuthorizingEnvironmentEntry:
    placement_id: relay.GlobalID
    stakeholder: StakeholderType
    power: int
    interest: int
    quadrant: QuadrantEnum
    stance: StanceEnum  # type: ignore[valid-type]
    participation_level: ParticipationLevelEnum  # type: ignore[valid-type]
    key_authorizer: bool


@strawberry.type(description="Mendelow's grid: power and interest of 3 or more count as high.")
class AuthorizingQuadrants:
    key_players: list[AuthorizingEnvironmentEntry] = strawberry.field(description="Manage closely.")
    keep_satisfied: list[AuthorizingEnvironmentEntry] = strawberry.field(
        description="Powerful, less interested."
    )
    keep_informed: list[AuthorizingEnvironmentEntry] = strawberry.field(
        description="Interested, less powerful."
    )
    monitor: list[AuthorizingEnvironmentEntry]


@strawberry.type
class StanceCount:
    stance: StanceEnum  # type: ignore[valid-type]
    count: int


@strawberry.type(description="The initiative's stakeholders on the grid, with their stances: data to draw.")
class AuthorizingEnvironment:
    quadrants: AuthorizingQuadrants
    stance_counts: list[StanceCount] = strawberry.field(description="Every stance, opposed to champion.")

    @classmethod
    def from_schema(cls, environment: schemas.AuthorizingEnvironmentMap) -> AuthorizingEnvironment:
        cells = {
            quadrant: [AuthorizingEnvironmentEntry.from_model(entry) for entry in entries]
            for quadrant, entries in environment.quadrants.items()
        }
        return cls(
            quadrants=AuthorizingQuadrants(
                key_players=cells.get("key_players", []),
                keep_satisfied=cells.get("keep_satisfied", []),
                keep_informed=cells.get("keep_informed", []),
                monitor=cells.get("monitor", []),
            ),
            stance_counts=[
                StanceCount(stance=stance, count=environment.stance_counts.get(stance, 0))
                for stance in models.Stance
            ],
        )


@converter(
    models.Initiative,
    ids={"district_id": "District", "school_id": "School", "owner_person_id": "Person"},
    school_uuid="row.school_id",
)
@strawberry.type(
    name="Initiative",
    description="A strategic-triangle initiative of the district (no school) or of one school.",
)
class InitiativeType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this initiative.")
    district_id: relay.GlobalID
    school_id: relay.GlobalID | None = strawberry.field(description="Null for a district initiative.")
    title: str
    summary: str | None
    public_value: str = strawberry.field(description="The benefit to the community, in its own words.")
    beneficiaries: str | None
    stage: StageEnum  # type: ignore[valid-type]
    owner_person_id: relay.GlobalID | None
    starts_on: date | None
    ends_on: date | None
    published: bool
    version: int
    created_at: datetime
    updated_at: datetime
    school_uuid: strawberry.Private[uuid.UUID | None]

    owner = person_field(
        "The person who owns the initiative; null when none is named, and for "
        "callers who do not read the district's people.",
        "owner_person_id",
    )

    school = follow(
        "The school, for a school's initiative.", SchoolType, "school_by_id", school_by_id, "school_uuid"
    )

    measures = children(
        IndicatorType,
        "measures_by_initiative",
        measures_by_initiative,
        description="The measures of its public value, oldest first.",
    )

    capacity_items = children(
        CapacityItemType,
        "capacity_by_initiative",
        capacity_by_initiative,
        description="What it needs in order to deliver (organizational capacity), oldest first.",
    )

    stage_history = children(
        StageChangeType,
        "stage_history_by_initiative",
        stage_history_by_initiative,
        updated_since=False,
        description="Every move between stages, oldest first: who moved it, from which stage to which, "
        "and when. Co-creation counts for a stage only if held, and recorded, before it was entered.",
    )

    @strawberry.field(
        description="Its co-creation and co-production activities you can read (see `activities`), oldest "
        "first."
    )
    async def activities(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        updated_since: datetime | None = None,
    ) -> Connection[Annotated[ActivityType, strawberry.lazy("app.engagement.graphql")]]:
        # Engagement builds on initiatives (an activity names its initiative), so its module imports this
        # one; the way back is lazy.
        from app.engagement.graphql import ActivityType, activities_by_initiative

        page = page_request(first, after, updated_since)
        loader = info.context.loader("activities_by_initiative", activities_by_initiative)
        result = await loader.load((self.database_id, page))
        return Connection.from_page(result, ActivityType.from_model)

    stakeholders = children(
        PlacementType,
        "placements_by_initiative",
        placements_by_initiative,
        nullable=True,
        description="Its authorizing environment: who is placed, and where each stands (leaders, coaches "
        "and admins; null with a `forbidden` error for other roles).",
    )

    @strawberry.field(
        description="Where its triangle is weak, with the findings behind each corner's score (leaders, "
        "coaches and admins). One diagnosis per initiative: ask for it on one initiative, not a long list.",
        metadata=cost(2_500),
    )
    async def triangle(self, info: Info[Context, None]) -> TriangleDiagnosisType | None:
        diagnosis = await read(info, service.triangle, self.database_id)
        return TriangleDiagnosisType.from_model(diagnosis)

    @strawberry.field(
        description="Its stakeholders on the power/interest grid, with stance counts (leaders, coaches "
        "and admins).",
        metadata=cost(2_500),
    )
    async def authorizing_environment(self, info: Info[Context, None]) -> AuthorizingEnvironment | None:
        environment = await read(info, service.authorizing_environment, self.database_id)
        return AuthorizingEnvironment.from_schema(environment)

    resolve_nodes = node_resolver("initiative_by_id", initiative_by_id)


# --- queries ----------------------------------------------------------------------------------------


@strawberry.type
class InitiativesQuery:
    initiatives = listing(
        "Initiatives you can see (your school's, the district's for district-wide roles, and everything "
        "published), oldest first.",
        InitiativeType,
        service.list_initiatives,
        service.InitiativeFilter,
        stage=arg(StageEnum),
        school_id=id_arg("School"),
        owner_person_id=id_arg("Person"),
        stakeholder_category=arg(
            StakeholderCategoryEnum, description="Only initiatives with a stakeholder of this category."
        ),
    )

    initiative = one(
        "One initiative by its global id; null if it is not there for you.",
        InitiativeType,
        "initiative_by_id",
        initiative_by_id,
    )

    stakeholders = listing(
        "The district's stakeholders, oldest first (leaders, coaches, admins, read clients).",
        StakeholderType,
        service.list_stakeholders,
        category=arg(StakeholderCategoryEnum),
    )


# --- mutations --------------------------------------------------------------------------------------


@strawberry.input(description="A new initiative, at the exploring stage.")
class CreateInitiativeInput:
    title: str
    public_value: str
    summary: str | None = strawberry.UNSET
    beneficiaries: str | None = strawberry.UNSET
    school_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="Omit for a district initiative."
    )
    owner_person_id: relay.GlobalID | None = strawberry.UNSET
    starts_on: date | None = strawberry.UNSET
    ends_on: date | None = strawberry.UNSET
    published: bool | None = strawberry.UNSET


@strawberry.input(description="Changes to an initiative: omitted fields stay as they are.")
class UpdateInitiativeInput:
    id: relay.GlobalID
    expected_version: int | None = version_field()
    title: str | None = strawberry.UNSET
    public_value: str | None = strawberry.UNSET
    summary: str | None = strawberry.UNSET
    beneficiaries: str | None = strawberry.UNSET
    stage: StageEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="Forward one step, back to CO_DESIGNING when needed, RETIRED from anywhere; "
        "APPROVED needs the approve right.",
    )
    owner_person_id: relay.GlobalID | None = strawberry.UNSET
    starts_on: date | None = strawberry.UNSET
    ends_on: date | None = strawberry.UNSET
    published: bool | None = strawberry.UNSET


@strawberry.input(description="A new measure of an initiative's public value.")
class AddMeasureInput:
    initiative_id: relay.GlobalID
    name: str
    unit: str
    direction: DirectionEnum  # type: ignore[valid-type]
    kind: IndicatorKindEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    baseline_value: Decimal | None = strawberry.UNSET
    baseline_date: date | None = strawberry.UNSET
    target_value: Decimal | None = strawberry.UNSET
    target_date: date | None = strawberry.UNSET
    feedback_measure: str | None = strawberry.UNSET


@strawberry.input(description="Changes to a measure: omitted fields stay as they are.")
class UpdateMeasureInput:
    id: relay.GlobalID
    expected_version: int | None = version_field()
    name: str | None = strawberry.UNSET
    kind: IndicatorKindEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    unit: str | None = strawberry.UNSET
    direction: DirectionEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    baseline_value: Decimal | None = strawberry.UNSET
    baseline_date: date | None = strawberry.UNSET
    target_value: Decimal | None = strawberry.UNSET
    target_date: date | None = strawberry.UNSET
    feedback_measure: str | None = strawberry.UNSET


@strawberry.input(description="Something the initiative needs in order to deliver.")
class AddCapacityItemInput:
    initiative_id: relay.GlobalID
    category: CapacityCategoryEnum  # type: ignore[valid-type]
    description: str
    status: CapacityStatusEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    owner_person_id: relay.GlobalID | None = strawberry.UNSET


@strawberry.input(description="Changes to a capacity item: omitted fields stay as they are.")
@changes_of(AddCapacityItemInput, exclude={"initiative_id"})
class UpdateCapacityItemInput:
    pass


@strawberry.input(description="A new member of the district's authorizing environment.")
class CreateStakeholderInput:
    name: str
    category: StakeholderCategoryEnum  # type: ignore[valid-type]
    is_group: bool | None = strawberry.UNSET
    person_id: relay.GlobalID | None = strawberry.UNSET
    formal_authority: bool | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    preferred_language: str | None = strawberry.UNSET
    neighbourhood: str | None = strawberry.UNSET
    community_role: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET


@strawberry.input(description="Changes to a stakeholder: omitted fields stay as they are.")
@changes_of(CreateStakeholderInput)
class UpdateStakeholderInput:
    pass


@strawberry.input(
    description="Place a stakeholder of the district in an initiative's authorizing environment."
)
class PlaceStakeholderInput:
    initiative_id: relay.GlobalID
    stakeholder_id: relay.GlobalID
    power: int = strawberry.field(description="1 (low) to 5 (high).")
    interest: int = strawberry.field(description="1 (low) to 5 (high).")
    stance: StanceEnum  # type: ignore[valid-type]
    participation_level: ParticipationLevelEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    key_authorizer: bool | None = strawberry.UNSET
    evidence: str | None = strawberry.field(
        default=strawberry.UNSET, description="What the recorded stance is based on."
    )


@strawberry.input(description="Changes to a placement; a new stance is added to its history.")
@changes_of(PlaceStakeholderInput, exclude={"initiative_id", "stakeholder_id"})
class UpdatePlacementInput:
    power: int | None = strawberry.UNSET
    interest: int | None = strawberry.UNSET
    evidence: str | None = strawberry.field(
        default=strawberry.UNSET, description="With a new stance only: what it is based on."
    )


RemoveMeasureInput = id_input("RemoveMeasureInput")
RemoveCapacityItemInput = id_input("RemoveCapacityItemInput")
RemovePlacementInput = id_input("RemovePlacementInput")

InitiativePayload = payload("InitiativePayload", initiative=InitiativeType)
MeasurePayload = payload("MeasurePayload", measure=IndicatorType)
CapacityItemPayload = payload("CapacityItemPayload", capacity_item=CapacityItemType)
StakeholderPayload = payload("StakeholderPayload", stakeholder=StakeholderType)
PlacementPayload = payload("PlacementPayload", placement=PlacementType)

_INITIATIVE = answer(InitiativePayload, initiative=InitiativeType.from_model)
_MEASURE = answer(MeasurePayload, measure=IndicatorType.from_model)
_CAPACITY_ITEM = answer(CapacityItemPayload, capacity_item=CapacityItemType.from_model)
_STAKEHOLDER = answer(StakeholderPayload, stakeholder=StakeholderType.from_model)
_PLACEMENT = answer(PlacementPayload, placement=PlacementType.from_model)
_OWNER = ref("owner_person_id", "Person")


@strawberry.type
class InitiativesMutation:
    create_initiative = mutation(
        "Start an initiative: the district's (no schoolId) or one school's.",
        create(CreateInitiativeInput, _INITIATIVE, service.create_initiative, schemas.InitiativeCreate).ids(
            _OWNER, school_id="School"
        ),
    )

    update_initiative = mutation(
        "Change an initiative, its stage included; send `expectedVersion` to refuse stale writes.",
        change(UpdateInitiativeInput, _INITIATIVE, service.update_initiative, schemas.InitiativeUpdate).ids(
            _OWNER
        ),
    )

    add_measure = mutation(
        "Add a measure of the public value.",
        create(AddMeasureInput, _MEASURE, service.add_measure, schemas.IndicatorCreate).under(
            "initiative_id", "Initiative"
        ),
    )

    update_measure = mutation(
        "Change a measure.",
        change(UpdateMeasureInput, _MEASURE, service.update_measure, schemas.IndicatorUpdate),
    )

    remove_measure = mutation(
        "Remove a measure.", removal(RemoveMeasureInput, service.remove_measure, "Indicator")
    )

    add_capacity_item = mutation(
        "Add something the initiative needs.",
        create(AddCapacityItemInput, _CAPACITY_ITEM, service.add_capacity_item, schemas.CapacityItemCreate)
        .under("initiative_id", "Initiative")
        .ids(_OWNER),
    )

    update_capacity_item = mutation(
        "Change a capacity item.",
        change(
            UpdateCapacityItemInput, _CAPACITY_ITEM, service.update_capacity_item, schemas.CapacityItemUpdate
        ).ids(_OWNER),
    )

    remove_capacity_item = mutation(
        "Remove a capacity item.",
        removal(RemoveCapacityItemInput, service.remove_capacity_item, "CapacityItem"),
    )

    create_stakeholder = mutation(
        "Add a member of the district's authorizing environment.",
        create(
            CreateStakeholderInput, _STAKEHOLDER, service.create_stakeholder, schemas.StakeholderCreate
        ).ids(person_id="Person"),
    )

    update_stakeholder = mutation(
        "Change a stakeholder.",
        change(
            UpdateStakeholderInput, _STAKEHOLDER, service.update_stakeholder, schemas.StakeholderUpdate
        ).ids(person_id="Person"),
    )

    place_stakeholder = mutation(
        "Place a stakeholder in an initiative's authorizing environment; the stance opens its "
        "stance history.",
        create(PlaceStakeholderInput, _PLACEMENT, service.place_stakeholder, schemas.PlacementCreate)
        .under("initiative_id", "Initiative")
        .ids(stakeholder_id="Stakeholder"),
    )

    update_placement = mutation(
        "Change a stakeholder's place; a new stance goes into its history with the evidence.",
        change(UpdatePlacementInput, _PLACEMENT, service.update_placement, schemas.PlacementUpdate),
    )

    remove_placement = mutation(
        "Take a stakeholder out of an initiative's authorizing environment (its history goes too).",
        removal(RemovePlacementInput, service.remove_placement, "InitiativeStakeholder"),
    )
