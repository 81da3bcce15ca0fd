"""Shared REST plumbing: the unit of work, list parameters, `Link` headers, ETags and `If-Match`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.routing import Match
from starlette.types import Message, Scope

from app.auth.dependencies import get_principal
from app.auth.principal import Principal
from app.core.db import session_scope
from app.core.errors import FieldError, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from app.core.idempotency import IdempotentRoute, idempotency_dependency
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest, require_aware
from app.core.problems import problem_responses
from app.core.replies import json_response, list_json, model_json
from app.core.repository import VERSION_NOT_SENT, VersionCheck
from app.core.schemas import IsoDateTime

_AREA_PROBLEMS = problem_responses(401, 403, 422)


class AreaRouter(APIRouter):
    """An area's REST router, which says "not mine" at once to a path outside its resources.

    FastAPI tries a request against every route of every included router in turn, so without this a
    request for the last area first runs a path match for each route of all the others. A path can
    only match a route here if it contains the first literal segment of that route's path, so a path
    that contains none of them is turned away without trying any route.
    """

    _segments: frozenset[str] | None = None
    _segments_of: int = -1

    def __init__(self, *, responses: dict[int | str, dict[str, Any]] | None = None, **kwargs: Any) -> None:
        """Every operation of an area may answer 401, 403 and 422 as problem details, unless the area
        says otherwise (`responses`)."""
        super().__init__(responses=_AREA_PROBLEMS if responses is None else responses, **kwargs)

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        """A route's operation id is the camel case of its function's name (`get_plan_lineage` is
        `getPlanLineage`) unless it names another, as the routes `app.core.resources` declares are.

        Every `POST` that creates (status 201) takes an `Idempotency-Key` (`app.core.idempotency`):
        the dependency declares the header in the contract and claims the key, the route class replays
        or records the answer."""
        kwargs["operation_id"] = kwargs.get("operation_id") or camel_case(
            kwargs.get("name") or endpoint.__name__
        )
        methods = {m.upper() for m in kwargs.get("methods") or ()}
        if "POST" in methods and kwargs.get("status_code") == 201:
            kwargs["dependencies"] = [*(kwargs.get("dependencies") or ()), Depends(_idempotency)]
            kwargs["route_class_override"] = IdempotentRoute
        super().add_api_route(path, endpoint, **kwargs)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        segments = self._first_segments()
        if segments is not None and segments.isdisjoint(scope.get("path", "").split("/")):
            return Match.NONE, {}
        return super().matches(scope)

    def _first_segments(self) -> frozenset[str] | None:
        if self._segments_of != len(self.routes):
            found: set[str] = set()
            for route in self.routes:
                first = route.path.split("/")[1] if isinstance(route, APIRoute) else ""
                if not first or "{" in first:
                    found = set()  # a route this cannot reason about: always try the routes
                    break
                found.add(first)
            self._segments, self._segments_of = (frozenset(found) or None), len(self.routes)
        return self._segments


def camel_case(name: str) -> str:
    """`get_plan_lineage` as `getPlanLineage`: a REST operation id, or a GraphQL field's name."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


async def _unit_of_work(
    request: Request, principal: Annotated[Principal, Depends(get_principal)]
) -> AsyncIterator[AsyncSession]:
    """One session on one connection per request; for writes, one transaction committed before the
    response is sent.

    Declared with `scope="function"` so the commit runs when the route returns, not after the response
    has gone out (FastAPI >= 0.118 otherwise runs teardown after sending): a failed commit is reported to
    the client instead of being lost behind a 2xx. Writes are audited as the calling principal. A GET
    or HEAD only reads, and its statements go without BEGIN and COMMIT (`create_read_session_factory`).
    """
    state = request.app.state
    factory = state.read_session_factory if request.method in _READS else state.session_factory
    async with session_scope(factory, principal) as session:
        yield session


_READS = frozenset({"GET", "HEAD"})


Session = Annotated[AsyncSession, Depends(_unit_of_work, scope="function")]
_idempotency = idempotency_dependency(_unit_of_work)
# The caller, resolved once per request (FastAPI caches the dependency, shared with the unit of work).
Caller = Annotated[Principal, Depends(get_principal)]


async def upload_field(request: Request, name: str, limit: int) -> tuple[UploadFile, FormData]:
    """The file in multipart field `name`, read only up to `limit` bytes of request body:
    `PayloadTooLarge` (413) as soon as the body is longer, whatever `Content-Length` claims, and
    `ValidationFailed` when there is no such file. The caller closes the form.

    For routes that must decide something (who may upload) before a byte of the upload is read:
    a route that declares `File(...)` has FastAPI read the whole body before the route runs.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Uploads are limited to {limit} bytes.", extra={"limit": limit})
    received = 0
    receive = request.receive

    async def capped() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise PayloadTooLarge(f"Uploads are limited to {limit} bytes.", extra={"limit": limit})
        return message

    form = await Request(request.scope, capped).form(max_files=1, max_fields=10)
    upload = form.get(name)
    if not isinstance(upload, UploadFile):
        await form.close()
        raise ValidationFailed(
            f"Send the file as multipart field `{name}`.",
            errors=[FieldError(("body", name), "Field required.", "missing")],
        )
    return upload, form


async def known_query_parameters(request: Request) -> None:
    """Refuse a query parameter the operation does not declare (422, `extra_forbidden`), as an unknown
    body field is refused.

    Ignored, a misspelt filter widens the answer silently: `?updatedSince=` (the sync records' casing)
    or `?status=` on a list filtered by `stage` answered the whole list, and a sync script pulled
    everything every night without knowing. Installed on the API router (`app.main`), so every
    operation has it; the read lane (`app.core.read_lane`) hands any request with an unknown parameter
    to FastAPI, which answers with this."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = [name for name in request.query_params if name not in _declared_queries(route)]
    if unknown:
        raise ValidationFailed(
            f"Unknown query parameter(s): {', '.join(sorted(set(unknown)))}.",
            errors=[
                FieldError(("query", name), "Unknown query parameter.", "extra_forbidden")
                for name in dict.fromkeys(unknown)
            ],
        )


async def json_bodies_only(request: Request) -> None:
    """Refuse a body sent as anything but JSON (415) to an operation that takes JSON.

    `curl -d '{…}'` sends `application/x-www-form-urlencoded`, other clients `text/plain` or no type:
    FastAPI then validated the raw bytes and answered 422 "Input should be a valid dictionary", which
    sends an integrator looking at the body instead of the header. `application/json` with a charset,
    and any `+json` type, are JSON. Forms (the token endpoint) and uploads are not asked. Installed
    with `known_query_parameters`."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not _takes_json(route):
        return
    if request.headers.get("content-length", "") in ("", "0") and "transfer-encoding" not in request.headers:
        return  # nothing sent: FastAPI names the missing body
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    raise UnsupportedMediaType(
        f"This operation takes application/json, not {media_type or 'a body without Content-Type'}.",
        errors=[FieldError(("header", "Content-Type"), "Send application/json.", "unsupported_media_type")],
    )


def _takes_json(route: APIRoute) -> bool:
    field = route.body_field
    return field is not None and not isinstance(field.field_info, params.Form | params.File)


def _declared_queries(route: APIRoute) -> frozenset[str]:
    declared: frozenset[str] | None = getattr(route, "_declared_queries", None)
    if declared is None:
        declared = frozenset(_query_aliases(route.dependant))
        route._declared_queries = declared  # type: ignore[attr-defined]
    return declared


def _query_aliases(dependant: Dependant) -> Iterator[str]:
    for param in dependant.query_params:
        yield param.alias
    for sub in dependant.dependencies:
        yield from _query_aliases(sub)


def require_zone(value: datetime | None, parameter: str) -> datetime | None:
    return require_aware(value, ("query", parameter))


async def _page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
    ] = None,
    updated_since: Annotated[
        IsoDateTime | None,
        Query(description="Only rows changed at or after this time (ISO 8601 with a zone)."),
    ] = None,
) -> PageRequest:
    if updated_since is not None and updated_since.tzinfo is None:
        raise ValidationFailed(
            "updated_since needs a time zone.",
            errors=[
                FieldError(
                    ("query", "updated_since"), "Give a zone, e.g. 2026-09-01T00:00:00Z.", "naive_datetime"
                )
            ],
        )
    return PageRequest(limit=limit, cursor=cursor, updated_since=updated_since)


ListParams = Annotated[PageRequest, Depends(_page_request)]


class ListOrder(StrEnum):
    OLDEST = "oldest"
    NEWEST = "newest"


async def _newest_first(
    order: Annotated[
        ListOrder,
        Query(
            description="`oldest` first (the default, for catching up with `updated_since`) or "
            "`newest` first (for reading the latest). `next_cursor` continues in the same order."
        ),
    ] = ListOrder.OLDEST,
) -> bool:
    return order is ListOrder.NEWEST


# `?order=newest` on lists that people read from the latest end (audit events, sync runs).
NewestFirst = Annotated[bool, Depends(_newest_first)]


def list_body(request: Request, response: Response, page: Page[Any], public_model: Any) -> Response:
    """The list as its `ListResponse[public_model]` JSON (`app.core.replies`), plus an RFC 8288
    `Link: <…>; rel="next"` header when there is a next page, and any header the route set on
    `response`."""
    return reply(response, list_json(public_model, page.items, page.next_cursor), _next_link(request, page))


def one_body(response: Response, value: Any, public_model: Any, *, version: int | None = None) -> Response:
    """One object as `public_model`'s JSON (`app.core.replies`), with its `ETag` when `version` is
    given, and any header the route set on `response`."""
    headers = {"ETag": f'"{version}"'} if version is not None else None
    return reply(response, model_json(public_model, value), headers)


def reply(response: Response, body: bytes, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer written once, carrying what the route set on its `response` (status, headers):
    FastAPI sends a returned `Response` as it is, without validating it again."""
    answer = json_response(body, response.status_code or 200, headers)
    answer.raw_headers.extend(response.raw_headers)
    return answer


def _next_link(request: Request, page: Page[Any]) -> dict[str, str] | None:
    if page.next_cursor is None:
        return None
    next_url = request.url.include_query_params(cursor=page.next_cursor)
    return {"Link": f'<{next_url}>; rel="next"'}


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,9})"\s*$')


async def _expected_version(
    if_match: Annotated[
        str | None,
        Header(
            description='The `ETag` you read (e.g. `"3"`); a stale one gets 412 and nothing is written. '
            "`*` writes over whatever version is current. Without the header the write is refused "
            "with 428.",
        ),
    ] = None,
) -> VersionCheck:
    # Required, not optional: a client that forgets the header would otherwise silently overwrite
    # someone else's newer write (the lost update RFC 6585's 428 exists for). `*` opts out knowingly.
    # The refusal itself is the service's (`check_version`), once it knows the caller may write.
    if if_match is None:
        return VERSION_NOT_SENT
    if if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match)
    if match is None:
        raise ValidationFailed(
            'If-Match must be an ETag this service returned, such as "3".',
            errors=[
                FieldError(("header", "If-Match"), "Not an ETag issued by this service.", "invalid_etag")
            ],
        )
    return int(match.group(1))


ExpectedVersion = Annotated[VersionCheck, Depends(_expected_version)]
