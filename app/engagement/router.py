"""REST for co-creation and co-production: activities, who took part, what they said, what became of
it, and the reports built on that record ("you said, we did"; representation).

Parse, call the service, shape the reply. No rules here.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Header, Path, Query, Request, Response, status

from app.core.problems import problem_responses
from app.core.resources import Resource
from app.core.rest import (
    AreaRouter,
    Caller,
    ExpectedVersion,
    ListParams,
    Session,
    list_body,
    set_etag,
)
from app.core.schemas import ListResponse
from app.engagement import service, translations
from app.engagement.models import ActivityStatus, Disposition, Mode
from app.engagement.schemas import (
    ActivityCreate,
    ActivityPublic,
    ActivityTranslation,
    ActivityUpdate,
    InputCreate,
    InputLinkCreate,
    InputLinkPublic,
    InputPublic,
    InputTranslation,
    InputUpdate,
    ParticipationCreate,
    ParticipationPublic,
    ParticipationUpdate,
    Representation,
    YouSaidWeDid,
)

router = AreaRouter(tags=["engagement"])

ActivityId = Annotated[uuid.UUID, Path(description="The activity's id.")]
ParticipationId = Annotated[uuid.UUID, Path(description="The participation's id.")]
InputId = Annotated[uuid.UUID, Path(description="The input's id.")]
InitiativeId = Annotated[uuid.UUID, Path(description="The initiative's id.")]
WRITE_ERRORS = problem_responses(404, 409, 412)
AcceptLanguage = Annotated[
    str | None,
    Header(
        alias="Accept-Language",
        description="The languages you read, e.g. `es-MX, es;q=0.9`. Text comes in the first a person "
        "translated it into, with the original beside it; without the header, in your preferred language.",
    ),
]
Language = Annotated[str, Path(max_length=35, description="A BCP 47 language tag, e.g. `es` or `zh-Hant`.")]


async def _wanted(
    session: Session, principal: Caller, accept_language: str | None, response: Response
) -> list[str]:
    # Replies differ by language for the same version: caches must keep them apart.
    response.headers["Vary"] = "Accept-Language"
    return await translations.reader_languages(session, principal, accept_language)


# --- activities -------------------------------------------------------------------------------------


@router.get("/activities", response_model=ListResponse[ActivityPublic])
async def list_activities(
    request: Request,
    response: Response,
    session: Session,
    principal: Caller,
    page: ListParams,
    initiative_id: Annotated[
        uuid.UUID | None, Query(description="Only this initiative's activities.")
    ] = None,
    school_id: Annotated[uuid.UUID | None, Query(description="Only this school's activities.")] = None,
    mode: Annotated[Mode | None, Query(description="`co_creation` or `co_production`.")] = None,
    status: Annotated[ActivityStatus | None, Query(description="planned, held or cancelled.")] = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """Co-creation and co-production activities you can see, oldest first: your school's (all of the
    district's, for district-wide roles), every published one, and those you took part in. Filter by
    initiative, school, mode or status; `updated_since` for sync."""
    filters = service.ActivityFilter(initiative_id, school_id, mode, status)
    result = await service.list_activities(session, principal, page, filters)
    wanted = await _wanted(session, principal, accept_language, response)
    localized = translations.localized_page(result, translations.activity_public, wanted)
    return list_body(request, response, localized, ActivityPublic)


@router.post(
    "/activities",
    status_code=status.HTTP_201_CREATED,
    response_model=ActivityPublic,
    responses=problem_responses(404),
)
async def create_activity(
    body: ActivityCreate, response: Response, session: Session, principal: Caller
) -> ActivityPublic:
    """Record a co-creation or co-production activity (a design session, a listening session, a
    co-led PLC…), usually `planned`. It takes its initiative's school unless `school_id` is given; a
    school that contradicts a school initiative's is refused, and a `held` activity cannot be dated
    in the future. District admins and leaders, or the school's leaders and coaches."""
    activity = await service.create_activity(session, principal, body)
    set_etag(response, activity.version)
    return translations.activity_public(activity, [])


@router.get(
    "/activities/{activity_id}",
    response_model=ActivityPublic,
    responses=problem_responses(404),
)
async def get_activity(
    activity_id: ActivityId,
    response: Response,
    session: Session,
    principal: Caller,
    accept_language: AcceptLanguage = None,
) -> ActivityPublic:
    """One activity, with its version in the `ETag` header, in your language where someone translated
    it (the original beside it)."""
    activity = await service.get_activity(session, principal, activity_id)
    set_etag(response, activity.version)
    return translations.activity_public(
        activity, await _wanted(session, principal, accept_language, response)
    )


@router.patch(
    "/activities/{activity_id}",
    response_model=ActivityPublic,
    responses=WRITE_ERRORS,
)
async def update_activity(
    activity_id: ActivityId,
    body: ActivityUpdate,
    response: Response,
    session: Session,
    principal: Caller,
    expected_version: ExpectedVersion,
) -> ActivityPublic:
    """Change an activity, its status included (planned → held or cancelled; cancelled → planned; a
    held activity stays held). Marking it held raises the recorded participation level of the
    stakeholders who attended, on its initiative, to the activity's level. Send `If-Match`."""
    activity = await service.update_activity(
        session, principal, activity_id, body, expected_version=expected_version
    )
    set_etag(response, activity.version)
    return translations.activity_public(activity, [])


@router.put(
    "/activities/{activity_id}/translations/{language}",
    response_model=ActivityPublic,
    responses=WRITE_ERRORS,
)
async def translate_activity(
    activity_id: ActivityId,
    language: Language,
    body: ActivityTranslation,
    response: Response,
    session: Session,
    principal: Caller,
) -> ActivityPublic:
    """Enter the activity's title, summary or invitation in a language, as the person who translated
    it (those who run the activity; never an API client: translations are people's). The reply is in
    that language, the original beside it."""
    activity = await translations.translate_activity(session, principal, activity_id, language, body)
    set_etag(response, activity.version)
    return translations.activity_public(activity, [translations.language_of_path(language)])


@router.delete(
    "/activities/{activity_id}/translations/{language}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(404),
)
async def remove_activity_translation(
    activity_id: ActivityId, language: Language, session: Session, principal: Caller
) -> Response:
    """Take a translation of the activity off."""
    await translations.remove_activity_translation(session, principal, activity_id, language)
    return Response(status_code=204)


# --- participations ---------------------------------------------------------------------------------


ACTIVITIES = Resource(router, "/activities/{activity_id}", ActivityId)
ACTIVITIES.items(
    "/participations",
    ParticipationPublic,
    service.list_participations,
    """Who took part in the activity. Staff who run the work see everyone; others see the
    participants who agreed to be named, and their own participation.""",
)


ACTIVITIES.add(
    "/participations",
    ParticipationCreate,
    ParticipationPublic,
    service.add_participation,
    """Record who took part: exactly one of a stakeholder or a person of the district (either is
    recorded once per activity; a second time is 409). Nobody takes part in a cancelled activity. An
    attended participation in a held activity of an initiative raises the stakeholder's recorded
    participation level there to the activity's level; it never lowers it.""",
    etag=False,
    responses=problem_responses(404, 409),
)


PARTICIPATIONS = Resource(router, "/participations/{participation_id}", ParticipationId, ParticipationPublic)
PARTICIPATIONS.get(
    service.get_participation,
    """One participation, if you may see who it is (see `listParticipations`). The `ETag` header
    carries its version for a later `If-Match`.""",
)
PARTICIPATIONS.update(
    ParticipationUpdate,
    service.update_participation,
    """Change a participation. Those who run the activity change anything; a participant may change
    only `may_be_named` on their own (their consent to be named is theirs to give or take back).
    Send `If-Match`.""",
    responses=problem_responses(404, 412),
)
PARTICIPATIONS.remove(
    service.remove_participation,
    """Take a participation off the record. Refused (409) while the participant has inputs on the
    record, which would go with it.""",
    responses=problem_responses(404, 409),
)


# --- inputs -----------------------------------------------------------------------------------------


@router.get(
    "/activities/{activity_id}/inputs",
    response_model=ListResponse[InputPublic],
    responses=problem_responses(404),
)
async def list_inputs(
    activity_id: ActivityId,
    request: Request,
    response: Response,
    session: Session,
    principal: Caller,
    page: ListParams,
    disposition: Annotated[
        Disposition | None, Query(description="Only inputs with this disposition.")
    ] = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    """What was said in the activity, oldest first. Staff who run the work see every input; others
    see those of contributors who agreed to be named, and their own (everyone reads the rest,
    anonymised, in the initiative's "you said, we did")."""
    result = await service.list_inputs(session, principal, activity_id, page, disposition=disposition)
    wanted = await _wanted(session, principal, accept_language, response)
    localized = translations.localized_page(result, translations.input_public, wanted)
    return list_body(request, response, localized, InputPublic)


@router.post(
    "/activities/{activity_id}/inputs",
    status_code=status.HTTP_201_CREATED,
    response_model=InputPublic,
    responses=problem_responses(404),
)
async def add_input(
    activity_id: ActivityId, body: InputCreate, response: Response, session: Session, principal: Caller
) -> InputPublic:
    """Record what a participant contributed (an idea, a concern, a barrier…) to a held activity.
    `participation_id` names the contributor, a participation in this activity: a participant
    contributes through their own; those who run the activity record anyone's. It starts `open`."""
    row = await service.add_input(session, principal, activity_id, body)
    set_etag(response, row.version)
    return translations.input_public(row, [])


@router.get(
    "/inputs/{input_id}",
    response_model=InputPublic,
    responses=problem_responses(404),
)
async def get_input(
    input_id: InputId,
    response: Response,
    session: Session,
    principal: Caller,
    accept_language: AcceptLanguage = None,
) -> InputPublic:
    """One input, with its version in the `ETag` header, if you may see who gave it; in your language
    where someone translated it (the original beside it)."""
    row = await service.get_input(session, principal, input_id)
    set_etag(response, row.version)
    return translations.input_public(row, await _wanted(session, principal, accept_language, response))


@router.patch(
    "/inputs/{input_id}",
    response_model=InputPublic,
    responses=WRITE_ERRORS,
)
async def update_input(
    input_id: InputId,
    body: InputUpdate,
    response: Response,
    session: Session,
    principal: Caller,
    expected_version: ExpectedVersion,
) -> InputPublic:
    """Record what became of an input. Its `disposition` goes open → under_consideration → adopted,
    adapted, declined or deferred (deferred can be taken up again; adopted, adapted and declined are
    final); adapted and declined need a `reason`. A `response` is what was said back to the
    contributor, stamped with `responded_at`. Those who run the activity. Send `If-Match`."""
    row = await service.update_input(session, principal, input_id, body, expected_version=expected_version)
    set_etag(response, row.version)
    return translations.input_public(row, [])


@router.put(
    "/inputs/{input_id}/translations/{language}",
    response_model=InputPublic,
    responses=WRITE_ERRORS,
)
async def translate_input(
    input_id: InputId,
    language: Language,
    body: InputTranslation,
    response: Response,
    session: Session,
    principal: Caller,
) -> InputPublic:
    """Enter what was said, or the "we did" answer, in a language, as the person who translated it
    (those who run its activity). The reply is in that language, the original beside it."""
    row = await translations.translate_input(session, principal, input_id, language, body)
    set_etag(response, row.version)
    return translations.input_public(row, [translations.language_of_path(language)])


# --- what an input changed --------------------------------------------------------------------------


INPUTS = Resource(router, "/inputs/{input_id}", InputId)
INPUTS.items(
    "/links",
    InputLinkPublic,
    service.list_input_links,
    "What the input changed: fields of its initiative and capacity items.",
)


INPUTS.add(
    "/links",
    InputLinkCreate,
    InputLinkPublic,
    service.link_input,
    """Record something the input changed: a field of the activity's initiative (`target`
    `initiative_field`, `target_id` the initiative, `field_name` the field) or one of that
    initiative's capacity items (`capacity_item`, no `field_name`). Those who run the activity.""",
    etag=False,
)


INPUT_LINKS = Resource(
    router, "/input-links/{link_id}", Annotated[uuid.UUID, Path(description="The input link's id.")]
)
INPUT_LINKS.remove(service.unlink_input, "Remove a record of what an input changed.")


# --- reports ----------------------------------------------------------------------------------------


@router.get(
    "/initiatives/{initiative_id}/you-said-we-did",
    response_model=YouSaidWeDid,
    responses=problem_responses(404),
)
async def get_you_said_we_did(
    initiative_id: InitiativeId,
    response: Response,
    session: Session,
    principal: Caller,
    accept_language: AcceptLanguage = None,
) -> YouSaidWeDid:
    """ "You said, we did": every input to the initiative's activities, grouped by disposition, with
    the reason, the response and what it changed; the share of inputs that got a response and the
    median days it took. Whoever reads the initiative reads it; contributors are named only to staff
    who run the work, or where they agreed to be named (otherwise `contributor` is null). What was
    said and answered comes in your language where a person translated it, the original beside it."""
    wanted = await _wanted(session, principal, accept_language, response)
    return await service.you_said_we_did(session, principal, initiative_id, wanted)


INITIATIVES = Resource(router, "/initiatives/{initiative_id}", InitiativeId)
INITIATIVES.view(
    "/representation",
    Representation,
    service.representation,
    """Which stakeholder categories of the initiative's authorizing environment attended its held
    co-creation and co-production activities, and which are missing from each or never took part, and
    the languages it heard from. For those who see the authorizing environment.""",
    name="get_representation",
)
