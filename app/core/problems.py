"""RFC 9457 problem details: the one shape of every REST error.

Handlers here turn domain errors, request-validation errors, routing errors and unexpected exceptions
into `application/problem+json`. Unexpected exceptions are not handled here: they reach
`RequestContextMiddleware`, which logs them and answers a masked 500 carrying only the request id.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import DomainError, FieldError, ValidationFailed
from app.core.request_context import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "/problems/"


class ProblemFieldError(BaseModel):
    path: list[str | int] = Field(description="Where the error is, e.g. `['body', 'name']`.")
    message: str
    code: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI reference naming the problem type; GET it for a description.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="The request path that failed.")
    request_id: str | None = Field(default=None, description="Quote this when reporting a problem.")
    errors: list[ProblemFieldError] = Field(default_factory=list)


def problem_response(
    request: Request,
    *,
    code: str,
    title: str,
    status: int,
    detail: str | None,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": current_request_id(),
        "errors": [e.as_dict() for e in errors or []],
    }
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


REQUEST_LOCATIONS = frozenset({"body", "query", "path", "header"})


def placed_in_body(errors: list[FieldError]) -> list[FieldError]:
    """Service field paths are relative to the input; in REST the input is the request body."""
    return [
        e if e.path and e.path[0] in REQUEST_LOCATIONS else FieldError(("body", *e.path), e.message, e.code)
        for e in errors
    ]


def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if exc.retry_after is not None:
        headers = {"Retry-After": str(exc.retry_after)}
    elif exc.status == 429 and exc.extra and "retry_after" in exc.extra:
        headers = {"Retry-After": str(exc.extra["retry_after"])}
    elif exc.status == 503:
        from app.core.availability import RETRY_AFTER_SECONDS

        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return problem_response(
        request,
        code=exc.code,
        title=exc.title,
        status=exc.status,
        detail=exc.detail,
        errors=placed_in_body(exc.errors),
        extra=exc.extra,
        headers=headers,
    )


def field_errors_from_pydantic(raw: list[Any]) -> list[FieldError]:
    """Pydantic's error list as field errors, without echoing the rejected input back."""
    return [
        FieldError(path=tuple(err.get("loc", ())), message=err.get("msg", "Invalid value"), code=err["type"])
        for err in raw
    ]


def _request_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = field_errors_from_pydantic(list(exc.errors()))
    return problem_response(
        request,
        code=ValidationFailed.code,
        title=ValidationFailed.title,
        status=422,
        detail=f"{len(errors)} invalid field(s) in the request.",
        errors=errors,
    )


def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Routing errors (unknown path, wrong method) in the same problem shape as everything else."""
    kind = next((k for k in DomainError.registry.values() if k.status == exc.status_code), None)
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(methods_of_path(request))
        if request.method == "OPTIONS":
            # RFC 9110 §9.3.7: what the path takes, for anyone (it tells nothing of any object). No
            # route declares OPTIONS, so routing refused it; a CORS preflight never gets here.
            return Response(status_code=204, headers=headers)
    return problem_response(
        request,
        code=kind.code if kind else f"http_{exc.status_code}",
        title=kind.title if kind else "HTTP error",
        status=exc.status_code,
        detail=str(exc.detail) if exc.detail else None,
        headers=headers or None,
    )


def methods_of_path(request: Request) -> list[str]:
    """Every method some route serves at this request's path (RFC 9110 §15.5.6: `Allow` on a 405).

    Starlette names only the methods of the first route whose path matched, but one path is often
    served by several routes (GET and PATCH of one resource are two operations).
    """
    path = request.scope["path"]
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods |= set(route.methods or ())
    if "GET" in methods:
        methods.add("HEAD")  # answered as GET without the body (`app.core.middleware.HeadAsGet`)
    if methods:
        methods.add("OPTIONS")  # answered with this list (`_http_error`)
    return sorted(methods)


TRANSPORT_PROBLEMS: dict[str, dict[str, Any]] = {
    "400": {
        "description": "The body could not be parsed (not JSON, not UTF-8, or nested too deeply).",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
    "422": {
        "description": "Validation failed; `errors` lists each field. Text holding NUL or an unpaired "
        "surrogate is refused so, wherever it is sent.",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
    "415": {
        "description": "The body is not `application/json` (or a `+json` type); nothing was written.",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
}


def declare_transport_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare in the OpenAPI document the problems any operation may answer before its route runs:
    422 for forbidden text in a path or query (every operation), 400 for an unparseable body (every
    operation that takes one) and 415 for a body that is not JSON (every operation that takes JSON).
    Operations that declare their own keep their own."""
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("422", TRANSPORT_PROBLEMS["422"])
            if "requestBody" in operation:
                responses.setdefault("400", TRANSPORT_PROBLEMS["400"])
                if "application/json" in operation["requestBody"].get("content", {}):
                    responses.setdefault("415", TRANSPORT_PROBLEMS["415"])
    return schema


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _request_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problem documents an operation can answer with."""
    descriptions = {
        400: "Malformed request.",
        401: "Missing or invalid bearer token.",
        403: "The caller's role or scopes do not allow this.",
        404: "Not found (or in another district).",
        409: "Conflicts with the current state (e.g. a duplicate).",
        412: "`If-Match` names a stale version; nothing was written.",
        413: "The request body is larger than this operation accepts; nothing was written.",
        422: "Validation failed; `errors` lists each field.",
        428: "`If-Match` is missing on a write to a versioned resource; nothing was written.",
        429: "Too many requests.",
        503: "Unavailable for a moment (the database out of reach, or busy); nothing was written. Retry "
        "after `Retry-After` seconds.",
    }
    return {
        status: {
            "model": Problem,
            "description": descriptions[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
