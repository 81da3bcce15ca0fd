"""GraphQL for co-creation and co-production: activities, who took part, what they said, what became of
it, and the reports built on that record ("you said, we did", representation).

Types, queries, mutations and loaders. No rules here: who may read an activity, whose identity is shown,
who may record what and how dispositions move all live in `app.engagement.service`, which REST calls too.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from app.auth.principal import Principal
from app.core.errors import NotFound, PermissionDenied
from app.core.pagination import MAX_LIMIT, PageRequest
from app.engagement import models, schemas, service, translations
from app.engagement.localize import ACTIVITY_FIELDS, INPUT_FIELDS, localized, notes
from app.graphql.context import Context
from app.graphql.errors import validate_input
from app.graphql.kit import (
    Id,
    answer,
    arg,
    change,
    changes_of,
    children,
    converter,
    create,
    fields,
    follow,
    id_arg,
    id_input,
    listing,
    lookup,
    mutate,
    mutation,
    mutation_by,
    node_resolver,
    node_resolver_via_service,
    one,
    payload,
    read,
    removal,
)
from app.graphql.loaders import by_id, narrowed_page_loader, page_per_parent
from app.graphql.permissions import AUTHENTICATED
from app.graphql.relay import Connection, node_uuid, page_request, parse_global_id, present_fields
from app.identity.graphql import person_field
from app.initiatives.graphql import (
    InitiativeType,
    ParticipationLevelEnum,
    StakeholderCategoryEnum,
    StakeholderType,
    initiative_by_id,
    stakeholder_by_id,
)
from app.tenancy.graphql import GroupDimensionEnum, SchoolType, school_by_id

ModeEnum = strawberry.enum(
    models.Mode,
    name="Mode",
    description="`CO_CREATION` shapes a design; `CO_PRODUCTION` keeps people in the work.",
)
ActivityKindEnum = strawberry.enum(models.ActivityKind, name="ActivityKind")
ActivityStatusEnum = strawberry.enum(
    models.ActivityStatus,
    name="ActivityStatus",
    description="PLANNED goes to HELD or CANCELLED; CANCELLED can be PLANNED again; HELD stays held.",
)
ParticipantRoleEnum = strawberry.enum(models.ParticipantRole, name="ParticipantRole")
InputKindEnum = strawberry.enum(models.InputKind, name="InputKind")
DispositionEnum = strawberry.enum(
    models.Disposition,
    name="Disposition",
    description="What became of an input. ADOPTED, ADAPTED and DECLINED are final; ADAPTED and DECLINED "
    "need a reason.",
)
ChangeTargetEnum = strawberry.enum(
    models.ChangeTarget, name="ChangeTarget", description="What an input changed."
)

activity_by_id = by_id(service.activities_by_id)
participation_by_id = by_id(service.participations_by_id)
input_link_by_id = by_id(service.input_links_by_id)
activities_by_initiative = page_per_parent(service.activities_of_initiatives)
participations_by_activity = page_per_parent(service.participations_of_activities)
links_by_input = page_per_parent(service.links_of_inputs)

# An input's links are few; `changed` is a plain list, read as one page this long.
_ALL_LINKS = PageRequest(limit=MAX_LIMIT)


# The GraphQL type of what a link's `targetId` names, by its target.
_TARGET_TYPES: dict[models.ChangeTarget, str] = {
    models.ChangeTarget.INITIATIVE_FIELD: "Initiative",
    models.ChangeTarget.CAPACITY_ITEM: "CapacityItem",
    models.ChangeTarget.GOAL: "Goal",
    models.ChangeTarget.STRATEGY: "Strategy",
    models.ChangeTarget.ACTION_STEP: "ActionStep",
}


# --- types -------------------------------------------------------------------------------------------


async def reader_languages(info: Info[Context, None], language: str | None) -> list[str]:
    """The reader's languages, once per request and argument: the `language` argument, else the
    request's Accept-Language header, else the reader's preferred language."""
    cache = info.context.loader("reader_languages", lambda _: {})
    if language not in cache:
        asked = language if language is not None else info.context.request.headers.get("accept-language")
        async with info.context.session() as session:
            cache[language] = await translations.reader_languages(session, info.context.principal, asked)
    return cache[language]


async def _activity(self: Any, info: Info[Context, None]) -> ActivityType | None:
    """The activity of a participation or an input."""
    loader = info.context.loader("activity_by_id", activity_by_id)
    return ActivityType.from_model(await loader.load(self.activity_uuid))


@converter(schemas.TranslationNote, ids={"entered_by_person_id": "Person"})
@strawberry.type(name="TranslationNote", description="One translated field, entered by a person.")
class TranslationNoteType:
    language: str
    field: str
    entered_by_person_id: relay.GlobalID
    entered_at: datetime
    outdated: bool = strawberry.field(description="The original changed after it was entered.")


@strawberry.type(name="LocalizedActivity", description="An activity's text in the reader's language.")
class LocalizedActivityType:
    language: str | None = strawberry.field(description="The translation's language; null: the original.")
    title: str
    summary: str | None
    invitation: str | None


@strawberry.type(name="LocalizedInput", description="An input's text in the reader's language.")
class LocalizedInputType:
    language: str | None = strawberry.field(description="The translation's language; null: the original.")
    text: str
    response: str | None


@strawberry.type(name="InputText", description="What was said and answered, as originally written.")
class InputTextType:
    text: str
    response: str | None


@converter(
    models.InputLink,
    ids={"input_id": "Input"},
    target_id=lambda row: relay.GlobalID(_TARGET_TYPES[row.target], str(row.target_id)),
)
@strawberry.type(
    name="InputLink", description="Something an input changed: a field of its initiative, or a capacity item."
)
class InputLinkType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this link.")
    input_id: relay.GlobalID
    target: ChangeTargetEnum  # type: ignore[valid-type]
    target_id: relay.GlobalID = strawberry.field(
        description="The initiative (for `INITIATIVE_FIELD`), the capacity item, or the plan's goal, "
        "strategy or action step."
    )
    field_name: str | None = strawberry.field(
        description="For `INITIATIVE_FIELD`: which field, e.g. `title`."
    )
    note: str | None
    created_at: datetime

    resolve_nodes = node_resolver("input_link_by_id", input_link_by_id, via="load_nodes")


@converter(
    models.Participation,
    ids={"activity_id": "Activity", "stakeholder_id": "Stakeholder", "person_id": "Person"},
    activity_uuid="row.activity_id",
    stakeholder_uuid="row.stakeholder_id",
)
@strawberry.type(
    name="Participation",
    description="Someone who took part in an activity: a stakeholder (a person or a group) or a person. "
    "Those who do not run the work see only participants who agreed to be named, and themselves.",
)
class ParticipationType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(
        description="The UUID the REST API uses for this participation."
    )
    activity_id: relay.GlobalID
    stakeholder_id: relay.GlobalID | None = strawberry.field(description="Null when a person took part.")
    person_id: relay.GlobalID | None = strawberry.field(description="Null when a stakeholder took part.")
    role: ParticipantRoleEnum  # type: ignore[valid-type]
    attended: bool
    attendance_recorded_at: datetime = strawberry.field(description="When `attended` was last written.")
    may_be_named: bool = strawberry.field(
        description="The participant agreed to be named in published reports."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    activity_uuid: strawberry.Private[uuid.UUID]
    stakeholder_uuid: strawberry.Private[uuid.UUID | None]

    person = person_field(
        "The person who took part: null for a stakeholder, and for callers who do not read "
        "the district's people.",
        "person_id",
    )

    @strawberry.field(
        description="The stakeholder who took part: null for a person, and for callers who do not see the "
        "authorizing environment (leaders, coaches and admins do)."
    )
    async def stakeholder(self, info: Info[Context, None]) -> StakeholderType | None:
        if self.stakeholder_uuid is None:
            return None
        loader = info.context.loader("stakeholder_by_id", stakeholder_by_id)
        try:
            return StakeholderType.from_model(await loader.load(self.stakeholder_uuid))
        except PermissionDenied:
            return None

    activity = strawberry.field(resolver=_activity, description="The activity taken part in.")

    resolve_nodes = node_resolver("participation_by_id", participation_by_id)


@converter(
    models.Input,
    ids={"activity_id": "Activity", "participation_id": "Participation"},
    translated=lambda row: [TranslationNoteType.from_model(n) for n in notes(row, INPUT_FIELDS)],
    activity_uuid="row.activity_id",
    participation_uuid="row.participation_id",
    row="row",
)
@strawberry.type(
    name="Input",
    description="What a participant contributed to an activity, and what became of it. Those who do not "
    "run the work see the inputs of contributors who agreed to be named, and their own.",
)
class InputType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this input.")
    activity_id: relay.GlobalID
    participation_id: relay.GlobalID
    kind: InputKindEnum  # type: ignore[valid-type]
    text: str
    disposition: DispositionEnum  # type: ignore[valid-type]
    reason: str | None = strawberry.field(description="Why it was adapted or declined.")
    response: str | None = strawberry.field(description="What was said back to the contributor.")
    responded_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    translated: list[TranslationNoteType] = strawberry.field(
        description="Every translated field, by whom and when it was entered."
    )
    activity_uuid: strawberry.Private[uuid.UUID]
    participation_uuid: strawberry.Private[uuid.UUID]
    row: strawberry.Private[Any]

    @strawberry.field(
        description="What was said and answered in your language where a person translated it (the "
        "`language` argument, else your Accept-Language header, else your preferred language); the "
        "original stays in `text` and `response`."
    )
    async def localized(self, info: Info[Context, None], language: str | None = None) -> LocalizedInputType:
        served, texts = localized(self.row, INPUT_FIELDS, await reader_languages(info, language))
        return LocalizedInputType(language=served, text=texts["text"], response=texts["response"])

    participation = follow(
        "Who contributed it.",
        ParticipationType,
        "participation_by_id",
        participation_by_id,
        "participation_uuid",
    )

    activity = strawberry.field(resolver=_activity, description="The activity it was contributed to.")

    @strawberry.field(description="What it changed, oldest first.")
    async def changed(self, info: Info[Context, None]) -> list[InputLinkType]:
        loader = info.context.loader("links_by_input", links_by_input)
        page = await loader.load((self.database_id, _ALL_LINKS))
        return [InputLinkType.from_model(link) for link in page.items]

    resolve_nodes = node_resolver_via_service(service.get_input)


@converter(
    models.Activity,
    ids={"district_id": "District", "school_id": "School", "initiative_id": "Initiative", "plan_id": "Plan"},
    translated=lambda row: [TranslationNoteType.from_model(n) for n in notes(row, ACTIVITY_FIELDS)],
    school_uuid="row.school_id",
    initiative_uuid="row.initiative_id",
    row="row",
)
@strawberry.type(
    name="Activity",
    description="A co-creation or co-production activity: a design session, a listening session, a "
    "co-led PLC… Staff read their school's; everyone reads published ones and those they took part in.",
)
class ActivityType(relay.Node):
    id: relay.NodeID[str]
    database_id: uuid.UUID = strawberry.field(description="The UUID the REST API uses for this activity.")
    district_id: relay.GlobalID
    school_id: relay.GlobalID | None = strawberry.field(description="Null for a district activity.")
    initiative_id: relay.GlobalID | None
    plan_id: relay.GlobalID | None = strawberry.field(
        description="The improvement plan whose pre-planning this co-creation serves."
    )
    mode: ModeEnum  # type: ignore[valid-type]
    kind: ActivityKindEnum  # type: ignore[valid-type]
    title: str
    held_on: date = strawberry.field(description="When it takes (or took) place.")
    status: ActivityStatusEnum  # type: ignore[valid-type]
    participation_level: ParticipationLevelEnum = strawberry.field(  # type: ignore[valid-type]
        description="The IAP2 level the activity offers."
    )
    summary: str | None
    invitation: str | None = strawberry.field(
        description="What the people asked to take part receive: when, where, why it matters."
    )
    published: bool
    version: int
    created_at: datetime
    updated_at: datetime
    translated: list[TranslationNoteType] = strawberry.field(
        description="Every translated field, by whom and when it was entered."
    )
    school_uuid: strawberry.Private[uuid.UUID | None]
    initiative_uuid: strawberry.Private[uuid.UUID | None]
    row: strawberry.Private[Any]

    @strawberry.field(
        description="The title, summary and invitation in your language where a person translated them "
        "(the `language` argument, else your Accept-Language header, else your preferred language); the "
        "originals stay in their own fields."
    )
    async def localized(
        self, info: Info[Context, None], language: str | None = None
    ) -> LocalizedActivityType:
        served, texts = localized(self.row, ACTIVITY_FIELDS, await reader_languages(info, language))
        return LocalizedActivityType(language=served, **texts)

    initiative = follow(
        "The initiative it serves; null if none, or if it is not there for you.",
        InitiativeType,
        "initiative_by_id",
        initiative_by_id,
        "initiative_uuid",
    )

    school = follow(
        "The school, for a school's activity.", SchoolType, "school_by_id", school_by_id, "school_uuid"
    )

    participations = children(
        ParticipationType,
        "participations_by_activity",
        participations_by_activity,
        description="Who took part, oldest first: everyone, to those who run the work; otherwise those who "
        "agreed to be named, and you.",
    )

    @strawberry.field(
        description="What was said, oldest first: every input, to those who run the work; otherwise those "
        "of contributors who agreed to be named, and your own (the rest reach everyone anonymised, "
        "through `youSaidWeDid`)."
    )
    async def inputs(
        self,
        info: Info[Context, None],
        first: int | None = 50,
        after: str | None = None,
        updated_since: datetime | None = None,
        disposition: Annotated[
            DispositionEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only inputs with this disposition."),
        ] = None,
    ) -> Connection[InputType]:
        page = page_request(first, after, updated_since)
        loader = narrowed_page_loader(
            info.context, "inputs_by_activity", service.inputs_of_activities, disposition=disposition
        )
        result = await loader.load((self.database_id, page))
        return Connection.from_page(result, InputType.from_model)

    resolve_nodes = node_resolver("activity_by_id", activity_by_id)


# --- reports -----------------------------------------------------------------------------------------


@converter(
    schemas.ReportedInput,
    ids={"input_id": ("Input", "id")},
    changed=lambda row: [InputLinkType.from_model(link) for link in row.changed],
    original=lambda row: (
        InputTextType(text=row.original.text, response=row.original.response) if row.original else None
    ),
)
@strawberry.type(
    name="ReportedInput", description='An input as the community reads it in "you said, we did".'
)
class ReportedInputType:
    input_id: relay.GlobalID = strawberry.field(description="The input reported, as `node(id:)` answers it.")
    database_id: uuid.UUID
    kind: InputKindEnum  # type: ignore[valid-type]
    text: str
    activity_title: str
    contributor: str | None = strawberry.field(
        description="Named only to staff who run the work, or when the contributor agreed to be named."
    )
    reason: str | None
    response: str | None
    responded_at: datetime | None
    changed: list[InputLinkType]
    language: str | None = strawberry.field(
        description="The language of the translation served in `text`, `response` and `activityTitle`; "
        "null for the original."
    )
    original: InputTextType | None = strawberry.field(description="The original, beside a translation.")

    @strawberry.field(
        deprecation_reason="Names the Input, not this report of it; clients key their stores by `id`. "
        "Use `inputId`."
    )
    def id(self) -> relay.GlobalID:
        return self.input_id


@converter(schemas.DispositionGroup, inputs=lambda row: [ReportedInputType.from_model(i) for i in row.inputs])
@strawberry.type(name="DispositionGroup", description="The inputs that share a disposition.")
class DispositionGroupType:
    disposition: DispositionEnum  # type: ignore[valid-type]
    inputs: list[ReportedInputType]


@converter(
    schemas.YouSaidWeDid,
    ids={"initiative_id": "Initiative"},
    groups=lambda row: [DispositionGroupType.from_model(g) for g in row.groups],
)
@strawberry.type(
    name="YouSaidWeDid",
    description="Every input to an initiative's activities, grouped by what became of it, with the "
    "responses given and what each changed.",
)
class YouSaidWeDidType:
    initiative_id: relay.GlobalID
    groups: list[DispositionGroupType] = strawberry.field(description="Only dispositions that have inputs.")
    total_inputs: int
    responded_share: float | None = strawberry.field(
        description="Share of inputs that got a response (0 to 1); null if there are none."
    )
    median_days_to_response: float | None


AttendeeKindEnum = strawberry.enum(
    models.AttendeeKind, name="AttendeeKind", description="What kind of person attended an activity."
)


@converter(schemas.NamedStakeholder, ids={"stakeholder_id": "Stakeholder"})
@strawberry.type(name="NamedStakeholder", description="A mapped stakeholder, by name.")
class NamedStakeholderType:
    stakeholder_id: relay.GlobalID
    name: str
    category: StakeholderCategoryEnum  # type: ignore[valid-type]


@strawberry.type(name="ModeCount", description="People who attended in one mode; null when suppressed.")
class ModeCountType:
    mode: ModeEnum  # type: ignore[valid-type]
    people: int | None
    suppressed: bool


@strawberry.type(name="KindCount", description="People of one kind who attended; null when suppressed.")
class KindCountType:
    mode: ModeEnum  # type: ignore[valid-type]
    kind: AttendeeKindEnum  # type: ignore[valid-type]
    people: int | None
    suppressed: bool


@strawberry.type(
    name="BreakdownCell",
    description="People with one value of an attribute who attended (value null: none recorded); null "
    "when suppressed.",
)
class BreakdownCellType:
    mode: ModeEnum  # type: ignore[valid-type]
    dimension: GroupDimensionEnum  # type: ignore[valid-type]
    value: str | None
    people: int | None
    suppressed: bool


@strawberry.type(
    name="ExpectedGroupCoverage", description="Whether a group the district expects to hear from was heard."
)
class ExpectedGroupCoverageType:
    dimension: GroupDimensionEnum  # type: ignore[valid-type]
    value: str
    heard_in_co_creation: bool
    heard_in_co_production: bool


@converter(
    schemas.Representation,
    ids={"initiative_id": "Initiative"},
    stakeholders_never_took_part=lambda row: [
        NamedStakeholderType.from_model(s) for s in row.stakeholders_never_took_part
    ],
    stakeholders_missing_from_co_creation=lambda row: [
        NamedStakeholderType.from_model(s) for s in row.stakeholders_missing_from_co_creation
    ],
    people=lambda row: [ModeCountType(**c.model_dump()) for c in row.people],
    people_by_kind=lambda row: [KindCountType(**c.model_dump()) for c in row.people_by_kind],
    breakdown=lambda row: [BreakdownCellType(**c.model_dump()) for c in row.breakdown],
    expected_groups=lambda row: [ExpectedGroupCoverageType(**c.model_dump()) for c in row.expected_groups],
)
@strawberry.type(
    name="Representation",
    description="Who took part in an initiative's held activities, by mode, and who did not: stakeholder "
    "categories, mapped stakeholders by name, people counted by kind and by the district's attributes "
    "(small-cell suppressed), and the groups the district expects to hear from.",
)
class RepresentationType:
    initiative_id: relay.GlobalID
    environment_categories: list[StakeholderCategoryEnum]  # type: ignore[valid-type]
    co_creation: list[StakeholderCategoryEnum]  # type: ignore[valid-type]
    co_production: list[StakeholderCategoryEnum]  # type: ignore[valid-type]
    missing_from_co_creation: list[StakeholderCategoryEnum]  # type: ignore[valid-type]
    missing_from_co_production: list[StakeholderCategoryEnum]  # type: ignore[valid-type]
    never_took_part: list[StakeholderCategoryEnum]  # type: ignore[valid-type]
    languages_heard: list[str] = strawberry.field(
        description="The preferred languages (BCP 47) of those who attended its held activities."
    )
    stakeholders_never_took_part: list[NamedStakeholderType]
    stakeholders_missing_from_co_creation: list[NamedStakeholderType]
    people: list[ModeCountType]
    people_by_kind: list[KindCountType]
    breakdown: list[BreakdownCellType]
    expected_groups: list[ExpectedGroupCoverageType]


# --- queries ----------------------------------------------------------------------------------------


@strawberry.type
class EngagementQuery:
    activities = listing(
        "Activities you can read (your school's, the district's for district-wide roles, the published ones "
        "and those you took part in), oldest first.",
        ActivityType,
        service.list_activities,
        service.ActivityFilter,
        initiative_id=id_arg("Initiative"),
        school_id=id_arg("School"),
        mode=arg(ModeEnum),
        status=arg(ActivityStatusEnum),
    )

    activity = one(
        "One activity by its global id; null if it is not there for you.",
        ActivityType,
        "activity_by_id",
        activity_by_id,
    )

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description='"You said, we did" for an initiative: whoever reads the initiative reads it; '
        "contributors are named only where they agreed or to those who run the work. Null if the "
        "initiative is not there for you.",
    )
    async def you_said_we_did(
        self,
        info: Info[Context, None],
        initiative_id: relay.GlobalID,
        language: Annotated[
            str | None,
            strawberry.argument(
                description="The languages you read (`es`, or `es-MX, es;q=0.9`); else your "
                "Accept-Language header, else your preferred language."
            ),
        ] = None,
    ) -> YouSaidWeDidType | None:
        row_id = node_uuid(initiative_id, "Initiative")
        if row_id is None:
            return None
        wanted = await reader_languages(info, language)
        try:
            report = await read(info, service.you_said_we_did, row_id, wanted)
        except NotFound:
            return None
        return YouSaidWeDidType.from_model(report)

    representation = lookup(
        "Which stakeholder categories of an initiative's authorizing environment took part in its held "
        "activities (leaders, coaches and admins; a `forbidden` error for other roles). Null if the "
        "initiative is not there for you.",
        RepresentationType,
        service.representation,
        RepresentationType.from_model,
        node="Initiative",
        id_name="initiative_id",
    )


# --- mutations --------------------------------------------------------------------------------------


@strawberry.input(
    description="A new activity; it takes its initiative's (or plan's) school unless given one."
)
class CreateActivityInput:
    mode: ModeEnum  # type: ignore[valid-type]
    kind: ActivityKindEnum  # type: ignore[valid-type]
    title: str
    held_on: date
    participation_level: ParticipationLevelEnum = strawberry.field(  # type: ignore[valid-type]
        description="The IAP2 level the activity offers."
    )
    initiative_id: relay.GlobalID | None = strawberry.UNSET
    plan_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET,
        description="The improvement plan whose pre-planning this co-creation serves.",
    )
    school_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="Omit to take the initiative's (or the plan's) school, or none."
    )
    status: ActivityStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="PLANNED unless given; a HELD activity cannot be in the future."
    )
    summary: str | None = strawberry.UNSET
    invitation: str | None = strawberry.UNSET
    published: bool | None = strawberry.UNSET


@strawberry.input(description="Changes to an activity: omitted fields stay as they are.")
@changes_of(CreateActivityInput, exclude={"mode", "kind", "initiative_id", "plan_id", "school_id"})
class UpdateActivityInput:
    participation_level: ParticipationLevelEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    status: ActivityStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="PLANNED goes to HELD or CANCELLED; CANCELLED back to PLANNED. Marking it HELD raises "
        "the recorded IAP2 level of those who attended.",
    )


@strawberry.input(description="Who took part: exactly one of a stakeholder or a person of the district.")
class AddParticipationInput:
    activity_id: relay.GlobalID
    stakeholder_id: relay.GlobalID | None = strawberry.UNSET
    person_id: relay.GlobalID | None = strawberry.UNSET
    role: ParticipantRoleEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    attended: bool | None = strawberry.field(default=strawberry.UNSET, description="True unless given.")
    may_be_named: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="The participant agreed to be named in published reports (false unless given).",
    )


@strawberry.input(
    description="Changes to a participation. Participants may change only `mayBeNamed` on their own."
)
@changes_of(AddParticipationInput, exclude={"activity_id", "stakeholder_id", "person_id"})
class UpdateParticipationInput:
    attended: bool | None = strawberry.UNSET
    may_be_named: bool | None = strawberry.UNSET


@strawberry.input(description="What a participant contributed to a held activity.")
class AddInputInput:
    activity_id: relay.GlobalID
    participation_id: relay.GlobalID = strawberry.field(
        description="The contributor: a participation in this activity (your own, unless you run it)."
    )
    kind: InputKindEnum  # type: ignore[valid-type]
    text: str


@strawberry.input(description="What became of an input: omitted fields stay as they are.")
@changes_of(AddInputInput, exclude={"activity_id", "participation_id", "kind", "text"})
class UpdateInputInput:
    disposition: DispositionEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="ADAPTED and DECLINED need a reason."
    )
    reason: str | None = strawberry.UNSET
    response: str | None = strawberry.field(
        default=strawberry.UNSET, description="What is said back to the contributor; its time is recorded."
    )


@strawberry.input(description="Record what an input changed, within its activity's initiative.")
class LinkInputInput:
    input_id: relay.GlobalID
    target: ChangeTargetEnum  # type: ignore[valid-type]
    target_id: relay.GlobalID = strawberry.field(
        description="The initiative (for `INITIATIVE_FIELD`), the capacity item, or the plan's goal, "
        "strategy or action step."
    )
    field_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="For `INITIATIVE_FIELD`: which field, e.g. `title`."
    )
    note: str | None = strawberry.UNSET


async def _link_input(session: AsyncSession, principal: Principal, input: LinkInputInput) -> models.InputLink:
    # What `targetId` names depends on `target`: its type is known only with the input.
    input_id = parse_global_id(input.input_id, "Input", field="inputId")
    fields = present_fields(input, exclude=frozenset({"input_id"}))
    fields["target_id"] = parse_global_id(input.target_id, _TARGET_TYPES[input.target], field="targetId")
    return await service.link_input(
        session, principal, input_id, validate_input(schemas.InputLinkCreate, fields)
    )


RemoveParticipationInput = id_input("RemoveParticipationInput")
UnlinkInputInput = id_input("UnlinkInputInput")

ActivityPayload = payload("ActivityPayload", activity=ActivityType)
ParticipationPayload = payload("ParticipationPayload", participation=ParticipationType)
InputPayload = payload("InputPayload", input=InputType)
InputLinkPayload = payload("InputLinkPayload", input_link=InputLinkType)

_ACTIVITY = answer(ActivityPayload, activity=ActivityType.from_model)
_PARTICIPATION = answer(ParticipationPayload, participation=ParticipationType.from_model)
_INPUT = answer(InputPayload, input=InputType.from_model)


@strawberry.type
class EngagementMutation:
    create_activity = mutation(
        "Record a co-creation or co-production activity (district admins and leaders, a "
        "school's leaders and coaches).",
        create(CreateActivityInput, _ACTIVITY, service.create_activity, schemas.ActivityCreate).ids(
            initiative_id="Initiative", plan_id="Plan", school_id="School"
        ),
    )

    update_activity = mutation(
        "Change an activity, its status included; send `expectedVersion` to refuse stale writes.",
        change(UpdateActivityInput, _ACTIVITY, service.update_activity, schemas.ActivityUpdate),
    )

    add_participation = mutation(
        "Record who took part in an activity; attending a held activity raises the stakeholder's "
        "recorded IAP2 level in its initiative.",
        create(AddParticipationInput, _PARTICIPATION, service.add_participation, schemas.ParticipationCreate)
        .under("activity_id", "Activity")
        .ids(stakeholder_id="Stakeholder", person_id="Person"),
    )

    update_participation = mutation(
        "Change a participation; a participant may change whether they agree to be named.",
        change(
            UpdateParticipationInput,
            _PARTICIPATION,
            service.update_participation,
            schemas.ParticipationUpdate,
        ),
    )

    remove_participation = mutation(
        "Take a participation off the record; refused (`conflict`) while it has inputs.",
        removal(RemoveParticipationInput, service.remove_participation, "Participation"),
    )

    add_input = mutation(
        "Record what a participant contributed to a held activity: your own, or anyone's in an "
        "activity you run.",
        create(AddInputInput, _INPUT, service.add_input, schemas.InputCreate)
        .under("activity_id", "Activity")
        .ids(participation_id="Participation"),
    )

    update_input = mutation(
        "Record what became of an input and the response; send `expectedVersion` to refuse stale writes.",
        change(UpdateInputInput, _INPUT, service.update_input, schemas.InputUpdate),
    )

    link_input = mutation_by(
        "Record what an input changed: a field of its initiative, or one of its capacity items.",
        LinkInputInput,
        answer(InputLinkPayload, input_link=InputLinkType.from_model),
        _link_input,
    )

    unlink_input = mutation(
        "Remove a record of what an input changed.",
        removal(UnlinkInputInput, service.unlink_input, "InputLink"),
    )


@strawberry.input(description="An activity's text in one language, entered by you; fields left out stay.")
class TranslateActivityInput:
    activity_id: relay.GlobalID
    language: str = strawberry.field(description="A BCP 47 tag, e.g. `es` or `zh-Hant`.")
    title: str | None = strawberry.UNSET
    summary: str | None = strawberry.UNSET
    invitation: str | None = strawberry.UNSET


@strawberry.input(description="Take an activity's translation in one language off.")
class RemoveActivityTranslationInput:
    activity_id: relay.GlobalID
    language: str


@strawberry.input(description="What was said, or the answer given, in one language, entered by you.")
class TranslateInputInput:
    input_id: relay.GlobalID
    language: str
    text: str | None = strawberry.UNSET
    response: str | None = strawberry.UNSET


@strawberry.type
class TranslationMutation:
    @strawberry.mutation(
        permission_classes=AUTHENTICATED,
        description="Enter an activity's title, summary or invitation in a language (those who run it; "
        "people only, never an API client).",
    )
    async def translate_activity(
        self, info: Info[Context, None], input: TranslateActivityInput
    ) -> ActivityPayload:
        activity = Id(input.activity_id, "Activity", "activityId")
        data = fields(schemas.ActivityTranslation, input, exclude={"activity_id", "language"})
        return await mutate(info, _ACTIVITY, translations.translate_activity, activity, input.language, data)

    @strawberry.mutation(permission_classes=AUTHENTICATED, description="Take an activity's translation off.")
    async def remove_activity_translation(
        self, info: Info[Context, None], input: RemoveActivityTranslationInput
    ) -> ActivityPayload:
        activity = Id(input.activity_id, "Activity", "activityId")
        return await mutate(
            info, _ACTIVITY, translations.remove_activity_translation, activity, input.language
        )

    @strawberry.mutation(
        permission_classes=AUTHENTICATED,
        description="Enter what was said, or the answer given, in a language (those who run its activity).",
    )
    async def translate_input(self, info: Info[Context, None], input: TranslateInputInput) -> InputPayload:
        input_ = Id(input.input_id, "Input", "inputId")
        data = fields(schemas.InputTranslation, input, exclude={"input_id", "language"})
        return await mutate(info, _INPUT, translations.translate_input, input_, input.language, data)
