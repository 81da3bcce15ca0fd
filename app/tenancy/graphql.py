"""GraphQL for districts and schools: types, queries, mutations and loaders. No rules here."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from app.auth.principal import Principal
from app.graphql.context import Context
from app.graphql.errors import validate_input
from app.graphql.kit import (
    VERSIONED,
    answer,
    change,
    changes_of,
    converter,
    create,
    follow,
    mutation,
    mutation_by,
    node_resolver,
    one,
    payload,
    read,
    version_field,
)
from app.graphql.loaders import by_id, page_per_parent
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import Connection, page_request, parse_global_id, present_fields
from app.tenancy import service
from app.tenancy.models import District, GroupDimension, School, Voice
from app.tenancy.schemas import DistrictUpdate, SchoolCreate, SchoolUpdate

district_by_id = by_id(service.districts_by_id)
school_by_id = by_id(service.schools_by_id)
schools_by_district = page_per_parent(service.list_schools_of_districts)


GroupDimensionEnum = strawberry.enum(
    GroupDimension, name="GroupDimension", description="What an expected group is defined by."
)


@strawberry.type(name="ExpectedGroup", description="A group the district expects to hear from.")
class ExpectedGroupType:
    dimension: GroupDimensionEnum  # type: ignore[valid-type]
    value: str


@strawberry.input(description="A group the district expects to hear from.")
class ExpectedGroupInput:
    dimension: GroupDimensionEnum  # type: ignore[valid-type]
    value: str


VoiceEnum = strawberry.enum(
    Voice, name="Voice", description="A group whose voice a plan's co-creation must include."
)


@converter(
    District,
    school_plan_voices=lambda row: [Voice(v) for v in row.school_plan_voices],
    district_plan_voices=lambda row: [Voice(v) for v in row.district_plan_voices],
    expected_groups=lambda row: [
        ExpectedGroupType(dimension=GroupDimension(g["dimension"]), value=g["value"])
        for g in row.expected_groups
    ],
)
@strawberry.type(name="District", description="A school district: the tenant every other object belongs to.")
class DistrictType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this district.")
    name: str
    timezone: str
    min_cell_size: int = strawberry.field(
        description="Aggregates about fewer students are suppressed. At least 10; only rises."
    )
    min_teachers: int = strawberry.field(
        description="Teachers a feedback aggregate needs (fewer: suppressed). At least 3; only rises."
    )
    min_classrooms: int = strawberry.field(
        description="Classrooms a walkthrough summary needs (fewer: suppressed). At least 3; only rises."
    )
    engagement_lapse_days: int = strawberry.field(
        description="Days co-production may lapse, or an input wait for an answer, before the triangle flags it."
    )
    plan_min_co_creation: int = strawberry.field(
        description="Held, attended co-creation activities a plan needs before it goes to review."
    )
    school_plan_voices: list[VoiceEnum] = strawberry.field(  # type: ignore[valid-type]
        description="Voices a school plan's co-creation must include."
    )
    district_plan_voices: list[VoiceEnum] = strawberry.field(  # type: ignore[valid-type]
        description="Voices a district plan's co-creation must include."
    )
    separate_plan_approval: bool = strawberry.field(
        description="Separation of duties: a plan is approved by someone other than its lead."
    )
    expected_groups: list[ExpectedGroupType] = strawberry.field(
        description="The groups the district expects to hear from (see an initiative's representation)."
    )
    sourced_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="The district's schools, oldest first.")
    async def schools(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        updated_since: datetime | None = None,
    ) -> Connection[SchoolType]:
        page = page_request(first, after, updated_since)
        loader = info.context.loader("schools_by_district", schools_by_district)
        result = await loader.load((self.database_id, page))
        return Connection.from_page(result, SchoolType.from_model)

    resolve_nodes = node_resolver("district_by_id", district_by_id)


@converter(School)
@strawberry.type(name="School", description="A school of one district.")
class SchoolType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this school.")
    district_id: strawberry.Private[uuid.UUID]
    name: str
    sourced_id: str | None
    grade_low: str | None
    grade_high: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    district = follow(
        "The district the school belongs to.", DistrictType, "district_by_id", district_by_id, "district_id"
    )

    resolve_nodes = node_resolver("school_by_id", school_by_id)


# --- queries ----------------------------------------------------------------------------------------


@strawberry.type
class TenancyQuery:
    # Resolved by hand, not by `listing`: the service function is looked up when called (a test breaks it).
    @strawberry.field(
        permission_classes=AUTHENTICATED, description="The districts you can see, oldest first."
    )
    async def districts(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        updated_since: datetime | None = None,
    ) -> Connection[DistrictType]:
        result = await read(info, service.list_districts, page_request(first, after, updated_since))
        return Connection.from_page(result, DistrictType.from_model)

    district = one(
        "One district by its global id; null if it is not there for you.",
        DistrictType,
        "district_by_id",
        district_by_id,
    )

    school = one(
        "One school by its global id; null if it is not there for you.",
        SchoolType,
        "school_by_id",
        school_by_id,
    )


# --- mutations --------------------------------------------------------------------------------------


@strawberry.input(description="Changes to a district: omitted fields stay as they are.")
class UpdateDistrictInput:
    id: relay.GlobalID
    expected_version: int | None = version_field()
    name: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    min_cell_size: int | None = strawberry.UNSET
    min_teachers: int | None = strawberry.UNSET
    min_classrooms: int | None = strawberry.UNSET
    engagement_lapse_days: int | None = strawberry.UNSET
    plan_min_co_creation: int | None = strawberry.UNSET
    school_plan_voices: list[VoiceEnum] | None = strawberry.UNSET  # type: ignore[valid-type]
    district_plan_voices: list[VoiceEnum] | None = strawberry.UNSET  # type: ignore[valid-type]
    separate_plan_approval: bool | None = strawberry.UNSET
    expected_groups: list[ExpectedGroupInput] | None = strawberry.UNSET
    sourced_id: str | None = strawberry.UNSET


@strawberry.input(description="A new school in a district.")
class CreateSchoolInput:
    district_id: relay.GlobalID
    name: str
    sourced_id: str | None = strawberry.UNSET
    grade_low: str | None = strawberry.UNSET
    grade_high: str | None = strawberry.UNSET


@strawberry.input(description="Changes to a school: omitted fields stay as they are.")
@changes_of(CreateSchoolInput, exclude={"district_id"})
class UpdateSchoolInput:
    pass


DistrictPayload = payload("DistrictPayload", district=DistrictType)
SchoolPayload = payload("SchoolPayload", school=SchoolType)


async def _update_district(
    session: AsyncSession, principal: Principal, input: UpdateDistrictInput
) -> District:
    district_id = parse_global_id(input.id, "District")
    fields = present_fields(input, exclude=VERSIONED)
    if fields.get("expected_groups"):
        fields["expected_groups"] = [vars(g) for g in fields["expected_groups"]]
    data = validate_input(DistrictUpdate, fields)
    return await service.update_district(
        session, principal, district_id, data, expected_version=input.expected_version
    )


_SCHOOL = answer(SchoolPayload, school=SchoolType.from_model)


@strawberry.type
class TenancyMutation:
    update_district = mutation_by(
        "Change a district; send `expectedVersion` to refuse stale writes.",
        UpdateDistrictInput,
        answer(DistrictPayload, district=DistrictType.from_model),
        _update_district,
    )

    create_school = mutation(
        "Create a school in a district.",
        create(CreateSchoolInput, _SCHOOL, service.create_school, SchoolCreate).under(
            "district_id", "District"
        ),
    )

    update_school = mutation(
        "Change a school; send `expectedVersion` to refuse stale writes.",
        change(UpdateSchoolInput, _SCHOOL, service.update_school, SchoolUpdate),
    )
