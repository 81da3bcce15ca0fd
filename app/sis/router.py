"""REST for SIS sync (bulk upserts, the OneRoster CSV import, the change feed, sync runs) and for
behaviour analytics.

Parse, call the service, shape the reply. No rules here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import Message

from app.core.errors import FieldError
from app.core.openapi import document_schema, model_schema
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.core.problems import problem_response, problem_responses
from app.core.rest import Caller, ListParams, NewestFirst, Session, list_body, require_zone, upload_field
from app.core.schemas import IsoDateTime, ListResponse
from app.sis import analytics, service
from app.sis.bulk import DELETED_REFERENCE, DROPPED_FIELDS
from app.sis.models import SyncRun, SyncRunStatus
from app.sis.schemas import (
    MAX_BATCH,
    PUBLIC_MODELS,
    RECORD_MODELS,
    AvailableChangeVersions,
    BehaviorOverview,
    DeletedRecord,
    DeletedRecordList,
    DeletionRecord,
    SchoolBehaviorReport,
    SyncBatch,
    SyncEntity,
    SyncRunPublic,
)
from app.sis.service import BatchRejected, ChangeWindow, InvalidBundle, ReferenceToDeleted


class _BodyTooLarge(Exception):
    """The request body grew past the limit while it was being read."""


class LimitedBodyRoute(APIRoute):
    """A route that refuses a request body larger than `settings.sync_max_upload_bytes` (413), by its
    declared length before reading anything, and by counting what arrives when no length is declared."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit: int = request.app.state.settings.sync_max_upload_bytes
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                return _too_large(request, limit)
            receive = request._receive
            received = 0

            async def counting() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise _BodyTooLarge
                return message

            request._receive = counting
            try:
                return await handler(request)
            except _BodyTooLarge:
                return _too_large(request, limit)
            except HTTPException as exc:
                # FastAPI reports any failure while reading a body as a 400: say what it was.
                if isinstance(exc.__cause__, _BodyTooLarge):
                    return _too_large(request, limit)
                raise

        return limited


def _too_large(request: Request, limit: int) -> JSONResponse:
    return problem_response(
        request,
        code="payload_too_large",
        title="Request body too large",
        status=413,
        detail=f"The request body is larger than {limit:,} bytes, the most a sync request may send. "
        "Split the batch, or ask the operator to raise TRIANGLE_SYNC_MAX_UPLOAD_BYTES.",
    )


sync_router = APIRouter(
    prefix="/sync",
    tags=["sync"],
    responses=problem_responses(401, 403, 413, 422, 503),
    route_class=LimitedBodyRoute,
)
analytics_router = APIRouter(
    prefix="/behavior-analytics", tags=["behavior analytics"], responses=problem_responses(401, 403, 422)
)

_CONFLICT = {
    **problem_responses(409)[409],
    "description": "Nothing was applied: every refused record refers to a record that was deleted "
    "(`errors` names each one; `sync_run` is the recorded run).",
}
_REJECTION = {
    **problem_responses(422)[422],
    "description": "Nothing was applied: `errors` names each refused record and `sync_run` is the "
    "recorded run (or a field of the request is invalid).",
}

# --- bulk upserts and the change feed, one set of routes per entity ---------------------------------

MinChangeVersion = Annotated[
    int | None,
    Query(
        ge=0,
        description="Only changes at or above this version: the `newest_change_version` of your last "
        "pull plus one (`GET /sync/change-versions`).",
    ),
]
MaxChangeVersion = Annotated[
    int | None,
    Query(
        ge=0,
        description="Only changes at or below this version: the `newest_change_version` you read before "
        "this pull. Versions a running transaction may still write are never served.",
    ),
]


@sync_router.get(
    "/change-versions", operation_id="getAvailableChangeVersions", response_model=AvailableChangeVersions
)
async def available_change_versions(session: Session, principal: Caller) -> AvailableChangeVersions:
    """The change versions the feed can serve now (Ed-Fi's `availableChangeVersions`).

    To pull changes without ever missing one: read `newest_change_version` here, then page through
    `GET /sync/{entity}?min_change_version=<last newest + 1>&max_change_version=<newest>` and
    `GET /sync/{entity}/deletes` with the same window, and keep `newest` for the next pull. A sync that
    is still running when you pull has versions above `newest`; you get its rows on a later pull."""
    versions = await service.available_change_versions(session, principal)
    return AvailableChangeVersions(
        oldest_change_version=versions.oldest, newest_change_version=versions.newest
    )


def _operation_name(entity: SyncEntity) -> str:
    return "".join(part.capitalize() for part in entity.value.split("-"))


def _rejection(request: Request, run: SyncRun, *, bundle: bool) -> JSONResponse:
    """A rejected run as a problem document; its `errors` point at each refused record."""
    errors = []
    for error in run.errors:
        if bundle:
            where: list[str | int] = ["body", "bundle"]
            where += [error["file"]] if error["file"] else []
        else:
            where = ["body", "records"]
        where += [error["row"]] if error["row"] is not None else []
        where += [error["field"]] if error["field"] else []
        errors.append(FieldError(tuple(where), error["message"], error["code"]))
    invalid_bundle = bundle and not run.counts
    kind = InvalidBundle if invalid_bundle else BatchRejected
    if run.errors and all(error["code"] == DELETED_REFERENCE for error in run.errors):
        kind = ReferenceToDeleted
    detail = (
        run.errors[0]["message"]
        if invalid_bundle and run.errors
        else f"{run.error_count} record(s) refused; nothing was applied. Fix them, or send `partial=true` "
        "to apply the valid records."
    )
    return problem_response(
        request,
        code=kind.code,
        title=kind.title,
        status=kind.status,
        detail=detail,
        errors=errors,
        extra={"sync_run": SyncRunPublic.model_validate(run).model_dump(mode="json")},
    )


def _documented_batch(entity: SyncEntity, name: str) -> dict[str, str]:
    """The contract's schema of a sync batch of `entity`: each record as its model checks it (a
    `status: tobedeleted` record needs only its sourcedId), the OneRoster fields accepted and
    discarded listed too. The body itself is checked record by record (`service.sync_batch`), so that
    each refused record is named and `partial=true` can apply the rest."""
    record, refers_to = model_schema(RECORD_MODELS[entity])
    for field in sorted(DROPPED_FIELDS[entity]):
        record["properties"][field] = {"description": "Accepted and discarded: never stored."}
    deletion, _ = model_schema(DeletionRecord)
    batch = {
        "type": "object",
        "additionalProperties": False,
        "required": ["records"],
        "properties": {
            "records": {
                "type": "array",
                "maxItems": MAX_BATCH,
                "description": SyncBatch.model_fields["records"].description,
                "items": {
                    "anyOf": [
                        document_schema(RECORD_MODELS[entity].__name__, record, refers_to),
                        document_schema("DeletionSyncRecord", deletion),
                    ]
                },
            }
        },
    }
    return document_schema(f"{name}SyncBatch", batch)


def _add_entity_routes(entity: SyncEntity) -> None:
    name = _operation_name(entity)
    public = PUBLIC_MODELS[entity]
    words = entity.value.replace("-", " ")

    async def put_records(
        request: Request,
        body: SyncBatch,
        session: Session,
        principal: Caller,
        partial: Annotated[
            bool, Query(description="Apply the valid records and report the rest, instead of nothing.")
        ] = False,
    ) -> Any:
        run = await service.sync_batch(session, principal, entity, body.records, partial=partial)
        if run.status is SyncRunStatus.REJECTED:
            return _rejection(request, run, bundle=False)
        return SyncRunPublic.model_validate(run)

    put_records.__doc__ = (
        f"Upsert up to {MAX_BATCH:,} {words} by `sourcedId`, in one transaction.\n\n"
        "Idempotent: records equal to what is stored are counted `unchanged` and not touched, so the same "
        "batch twice changes nothing. `status: tobedeleted` soft-deletes a record. References to other "
        "records are sourcedIds of this district. If any record is invalid nothing is applied (422, each "
        "refused record named by row, field and message) unless `partial=true`. The answer is the "
        "recorded sync run, with created/updated/unchanged/deleted counts."
    )
    sync_router.put(
        f"/{entity.value}",
        operation_id=f"sync{name}",
        response_model=SyncRunPublic,
        responses={409: _CONFLICT, 422: _REJECTION},
        summary=f"Sync {words}",
        openapi_extra={
            "requestBody": {"content": {"application/json": {"schema": _documented_batch(entity, name)}}}
        },
    )(put_records)

    async def list_records(
        request: Request,
        response: Response,
        session: Session,
        principal: Caller,
        page: ListParams,
        min_change_version: MinChangeVersion = None,
        max_change_version: MaxChangeVersion = None,
    ) -> Response:
        window = ChangeWindow(min_change_version, max_change_version)
        result = await service.list_records(session, principal, entity, page, window)
        return list_body(request, response, result, public)

    list_records.__doc__ = (
        f"The district's live {words} as OneRoster records, oldest first. To get only what changed, "
        "pass `min_change_version` and `max_change_version` (see `GET /sync/change-versions`): no change "
        "is ever skipped. `updated_since` still works but can skip rows: a sync that began before that "
        "time and committed after it has earlier `updatedAt` values than the time you pass. Deletions "
        f"are at `/sync/{entity.value}/deletes`."
    )
    sync_router.get(
        f"/{entity.value}",
        operation_id=f"listSynced{name}",
        response_model=ListResponse[public],  # type: ignore[valid-type]
        summary=f"List synced {words}",
    )(list_records)

    async def list_deletes(
        request: Request,
        response: Response,
        session: Session,
        principal: Caller,
        since: Annotated[
            IsoDateTime | None,
            Query(description="Only deletions at or after this time (ISO 8601 with a zone)."),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = DEFAULT_LIMIT,
        cursor: Annotated[
            str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
        ] = None,
        min_change_version: MinChangeVersion = None,
        max_change_version: MaxChangeVersion = None,
    ) -> DeletedRecordList:
        result = await service.list_deletes(
            session,
            principal,
            entity,
            since=require_zone(since, "since"),
            limit=limit,
            cursor=cursor,
            window=ChangeWindow(min_change_version, max_change_version),
        )
        if result.next_cursor is not None:
            next_url = request.url.include_query_params(cursor=result.next_cursor)
            response.headers["Link"] = f'<{next_url}>; rel="next"'
        return DeletedRecordList(
            items=[
                DeletedRecord(
                    sourced_id=d.sourced_id, deleted_at=d.deleted_at, change_version=d.change_version
                )
                for d in result.items
            ],
            next_cursor=result.next_cursor,
        )

    list_deletes.__doc__ = (
        f"{words.capitalize()} deleted by the SIS (`status: tobedeleted`) or archived by a bulk import, "
        "by `sourcedId`, oldest deletion first, so a downstream system can apply the deletes without "
        "knowing this service's ids. Pull by `min_change_version`/`max_change_version` (never skips a "
        "deletion); `since` (a time) can skip deletions committed late, like `updated_since`."
    )
    sync_router.get(
        f"/{entity.value}/deletes",
        operation_id=f"listDeleted{name}",
        response_model=DeletedRecordList,
        response_model_by_alias=True,
        summary=f"List deleted {words}",
    )(list_deletes)


# --- sync runs ---------------------------------------------------------------------------------------


@sync_router.get("/runs", operation_id="listSyncRuns", response_model=ListResponse[SyncRunPublic])
async def list_runs(
    request: Request,
    response: Response,
    session: Session,
    principal: Caller,
    page: ListParams,
    newest_first: NewestFirst,
    entity: Annotated[str | None, Query(max_length=32, description="Only runs of this entity.")] = None,
    status: Annotated[SyncRunStatus | None, Query(description="Only runs with this outcome.")] = None,
) -> Response:
    """Every sync of the district, oldest first (or `order=newest`), with who ran it, when, its counts and refused records.
    `updated_since` gives the runs since a time (what last night's sync did)."""
    result = await service.list_runs(
        session, principal, page, entity=entity, status=status, newest_first=newest_first
    )
    return list_body(request, response, result, SyncRunPublic)


@sync_router.get(
    "/runs/{run_id}",
    operation_id="getSyncRun",
    response_model=SyncRunPublic,
    responses=problem_responses(404),
)
async def get_run(
    run_id: Annotated[uuid.UUID, Path(description="The run's id.")], session: Session, principal: Caller
) -> SyncRunPublic:
    """One sync run."""
    return SyncRunPublic.model_validate(await service.get_run(session, principal, run_id))


# --- the OneRoster CSV bundle ------------------------------------------------------------------------


@sync_router.post(
    "/oneroster",
    operation_id="importOneRosterBundle",
    response_model=SyncRunPublic,
    responses={409: _CONFLICT, 422: _REJECTION, **problem_responses(413)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["bundle"],
                        "properties": {
                            "bundle": {
                                "type": "string",
                                "format": "binary",
                                "description": "The OneRoster 1.2 CSV bundle: a zip with manifest.csv.",
                            }
                        },
                    }
                }
            },
        }
    },
)
async def import_oneroster(
    request: Request,
    session: Session,
    principal: Caller,
    partial: Annotated[
        bool, Query(description="Apply the valid records and report the rest, instead of nothing.")
    ] = False,
    archive_missing: Annotated[
        bool,
        Query(
            description="For files in `bulk` mode, archive (soft-delete) the records held here but absent "
            "from the file. Without it they are only counted as `missing`. A file with refused lines "
            "archives nothing."
        ),
    ] = False,
) -> Any:
    """Import a OneRoster 1.2 CSV bundle (`multipart/form-data`, field `bundle`).

    `manifest.csv` names each file's mode: `bulk` (the file is the whole set), `delta` (only changes;
    `status: tobedeleted` deletes) or `absent`. Read: orgs (type school), roles, users, classes,
    enrollments, and Triangle's `referrals.csv` and `tierAssignments.csv`. Student names in users.csv
    are never read. Files are streamed, so bundles of any size use the same memory. A bundle that cannot
    be read (not a zip, a zip bomb, missing manifest, file or column, a damaged member, not UTF-8) or
    that holds invalid
    records applies nothing (422), unless `partial=true` for invalid records. Who may sync is
    checked before the upload is read (403 with nothing recorded); an upload over the configured size
    (`TRIANGLE_SYNC_MAX_UPLOAD_BYTES`) is refused with 413 as it arrives."""
    service.require_may_import(principal)
    limit = request.app.state.settings.sync_max_upload_bytes
    bundle, form = await upload_field(request, "bundle", limit)
    try:
        run = await service.import_oneroster(
            session, principal, bundle.file, partial=partial, archive_missing=archive_missing
        )
    finally:
        await form.close()
    if run.status is SyncRunStatus.REJECTED:
        return _rejection(request, run, bundle=True)
    return SyncRunPublic.model_validate(run)


for _entity in SyncEntity:
    _add_entity_routes(_entity)


# --- behaviour analytics -----------------------------------------------------------------------------

ReleasedPeriod = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=32,
        description="A released period (`GET /releases`); the latest released period when left out. "
        "There are no arbitrary date windows: two windows' difference is a third, unsuppressed.",
        examples=["2026-10"],
    ),
]


@analytics_router.get(
    "", operation_id="getBehaviorOverview", response_model=BehaviorOverview, responses=problem_responses(404)
)
async def behavior_overview(
    session: Session, principal: Caller, period: ReleasedPeriod = None
) -> BehaviorOverview:
    """For each school you may see (and the district as a whole, for district-wide roles): the share of
    enrolled students at each tier of behaviour and academic support, and with 0, 1, 2–5 and 6+
    referrals, in a released period. Figures are computed once when the district releases a closed
    period and never change; cells about fewer students than the district's minimum n are suppressed,
    with every cell that would let them be worked out from anything else published. 404 when the
    period was not released."""
    return await analytics.overview(session, principal, period)


@analytics_router.get(
    "/schools/{school_id}",
    operation_id="getSchoolBehaviorReport",
    response_model=SchoolBehaviorReport,
    responses=problem_responses(404),
)
async def school_report(
    school_id: Annotated[uuid.UUID, Path(description="The school's id.")],
    session: Session,
    principal: Caller,
    period: ReleasedPeriod = None,
) -> SchoolBehaviorReport:
    """One school in a released period: its tiers and referral counts, referrals per enrolled student
    for each teacher next to the school's rate, and the breakdowns by grade and by category (every
    category of the district, zeros included). School leaders see their school; district roles every
    school. Reading teachers' rates is recorded in the audit trail."""
    return await analytics.school_report(session, principal, school_id, period)


router = APIRouter()
router.include_router(sync_router)
router.include_router(analytics_router)
