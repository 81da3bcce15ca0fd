"""What the OpenAPI document says beyond FastAPI's defaults, so generated clients learn the truth.

- **Security**: the OAuth 2 flows of `POST /api/v1/auth/token` (a person's password grant, an API
  client's client-credentials grant, with the scopes a client may hold) and plain bearer tokens, and a
  `security` requirement on every operation whose route resolves the caller, so Swagger UI shows its
  Authorize button and generators attach the token. Routes that do not resolve a caller (the token
  endpoint itself, health probes) carry none.
- **Conditional reads**: `If-None-Match` and its 304 on reads of versioned resources.
- **Problems answered before a route runs** (`declare_transport_problems`): a 400 for a body that
  does not parse, a 422 for forbidden text.
- **Response headers**: `X-Request-ID` on every response; `ETag` on reads and writes of versioned
  resources (the paths whose `PATCH` takes `If-Match`); `Link` (`rel="next"`) on cursor-paginated lists;
  `Retry-After` on 429 and 503.

It is derived from the routes themselves, not listed by hand, so a new route is described the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import _get_api_route_for_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, WithJsonSchema

from app.auth.dependencies import get_principal
from app.auth.permissions import Scope
from app.core.problems import (
    PROBLEM_MEDIA_TYPE,
    TRANSPORT_PROBLEMS,
    declare_transport_problems,
    problem_responses,
)

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105  (a path, not a secret)
OAUTH2 = "OAuth2"
BEARER = "BearerToken"

_SCOPE_DESCRIPTIONS = {
    Scope.READ: "Read what the client's district holds (no single student's referrals).",
    Scope.ROSTER_WRITE: "Sync rosters (OneRoster) into the district.",
    Scope.REFERRALS_WRITE: "Send behaviour referrals and tiers.",
    Scope.MONITORING_WRITE: "Record measurements.",
    Scope.REFERRALS_READ: "Read single students' referrals and tiers back.",
}

# What `app.core.rest` accepts in `If-Match`: one strong or weak ETag this service issued, or `*`.
_IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"\d{1,9}")\s*$'

PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}

_HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "This request's id: quote it when reporting a problem (it is in every log line).",
        "schema": {"type": "string"},
    },
    "ETag": {
        "description": 'The version you read, e.g. `"3"`: send it back as `If-Match` to write.',
        "schema": {"type": "string"},
    },
    "Link": {
        "description": 'RFC 8288 `<…>; rel="next"` when there is a next page.',
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    },
}


# Schemas the contract describes although no route validates a body with them directly (an area adds
# its own with `document_schema`): they go into `components.schemas` under their names.
_DOCUMENTED: dict[str, dict[str, Any]] = {}
REF_TEMPLATE = "#/components/schemas/{model}"


def model_schema(model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`model`'s JSON Schema as a request body reads it, and the schemas it refers to."""
    schema = model.model_json_schema(by_alias=True, ref_template=REF_TEMPLATE, mode="validation")
    return schema, schema.pop("$defs", {})


def document_schema(
    name: str, schema: dict[str, Any], refers_to: dict[str, Any] | None = None
) -> dict[str, str]:
    """Put `schema` in the contract as `name` and answer a `$ref` to it: for a body an area checks
    record by record itself (so one bad record is named, not the whole body refused), which the
    contract should still describe field by field."""
    _DOCUMENTED.update(refers_to or {})
    _DOCUMENTED[name] = schema
    return {"$ref": REF_TEMPLATE.format(model=name)}


def checked_one_by_one(*models: type[BaseModel]) -> Any:
    """The type of a value a service checks itself (a batch record by record, so a bad record is
    named by its index and `partial=true` can apply the rest; a revision's change by its entity): a
    plain object to validation, `model` (or any one of `models`) in the contract, so a generated
    client gets a typed value, not a bare `dict`."""
    refs = [document_schema(model.__name__, *model_schema(model)) for model in models]
    return Annotated[dict[str, Any], WithJsonSchema(refs[0] if len(refs) == 1 else {"anyOf": refs})]


def install_openapi(app: FastAPI) -> None:
    """Wrap `app.openapi`: FastAPI's document (which it builds once and keeps) plus what this module
    adds, added once."""
    fastapi_document = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            describe(fastapi_document(), app)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def describe(document: dict[str, Any], app: FastAPI) -> None:
    declare_transport_problems(document)
    components = document.setdefault("components", {})
    components["securitySchemes"] = _security_schemes()
    for name, schema in _DOCUMENTED.items():
        components.setdefault("schemas", {}).setdefault(name, schema)
    components.setdefault("headers", {}).update(_HEADERS)
    authenticated = {
        (route.path_format, method.lower())
        for route in _api_routes(app)
        if _resolves_caller(route.dependant)
        for method in route.methods
    }
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    versioned = {path for path, operations in paths.items() if _takes_if_match(operations.get("patch"))}
    for path, operations in paths.items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if path in versioned and method == "get":
                _declare_if_none_match(operation)
            if _takes_if_match(operation):
                _require_if_match(operation)
            if (path, method) in authenticated:
                operation["security"] = [{OAUTH2: []}, {BEARER: []}]
            for status, response in operation["responses"].items():
                if not status.startswith(("2", "3")):
                    _as_problem(status, response)
                headers = response.setdefault("headers", {})
                headers["X-Request-ID"] = {"$ref": "#/components/headers/X-Request-ID"}
                if status in ("429", "503"):
                    headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
                if not status.startswith("2"):
                    continue
                if path in versioned and method in ("get", "patch"):
                    headers["ETag"] = {"$ref": "#/components/headers/ETag"}
                if method == "get" and _has_query_parameter(operation, "cursor"):
                    headers["Link"] = {"$ref": "#/components/headers/Link"}
    _drop_unreferenced(document, ("HTTPValidationError", "ValidationError"))


def _as_problem(status: str, response: dict[str, Any]) -> None:
    """A problem is sent as a problem document (`app.core.problems`) and nothing else: not as the
    `application/json` FastAPI adds beside it for a `model`, nor as FastAPI's own `HTTPValidationError`
    (a list in `detail`), which it declares as the 422 of routes that declare none. (The token
    endpoint's RFC 6749 errors are JSON of their own, and stay so.)"""
    content = response.get("content") or {}
    if PROBLEM_MEDIA_TYPE in content:
        response["content"] = {PROBLEM_MEDIA_TYPE: content[PROBLEM_MEDIA_TYPE]}
    elif content.get("application/json", {}).get("schema") == _FASTAPI_VALIDATION_ERROR:
        response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": dict(PROBLEM_SCHEMA)}}
        response["description"] = TRANSPORT_PROBLEMS[status]["description"]


_FASTAPI_VALIDATION_ERROR = {"$ref": "#/components/schemas/HTTPValidationError"}


def _drop_unreferenced(document: dict[str, Any], names: tuple[str, ...]) -> None:
    """Remove FastAPI's schemas nothing refers to any more (in order: the first may refer to the next)."""
    schemas = document.get("components", {}).get("schemas", {})
    for name in names:
        if name in schemas and f'"#/components/schemas/{name}"' not in json.dumps(document):
            del schemas[name]


def _require_if_match(operation: dict[str, Any]) -> None:
    """`If-Match` is required on versioned writes (`app.core.rest`): the server answers 428 without it,
    so the contract says so, and generated clients make it a required argument."""
    for parameter in operation.get("parameters", ()):
        if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "pattern": _IF_MATCH_PATTERN}
    declared = problem_responses(428)[428]
    operation["responses"]["428"] = {key: declared[key] for key in ("description", "content")}


def _declare_if_none_match(operation: dict[str, Any]) -> None:
    """A read of a versioned resource answers `If-None-Match` with 304 (`app.core.middleware`)."""
    operation.setdefault("parameters", []).append(
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": 'The `ETag` you hold (e.g. `"3"`): 304 and no body when it is still current.',
            "schema": {"type": "string"},
        }
    )
    operation["responses"]["304"] = {"description": "Not modified: the version you hold is current."}


def _security_schemes() -> dict[str, Any]:
    scopes = {scope.value: _SCOPE_DESCRIPTIONS.get(scope, scope.value) for scope in Scope}
    return {
        OAUTH2: {
            "type": "oauth2",
            "description": "A person signs in with the password grant; an API client uses client "
            "credentials with the scopes it was granted. Access tokens are short-lived JWTs (ES256).",
            "flows": {
                "password": {"tokenUrl": TOKEN_URL, "refreshUrl": TOKEN_URL, "scopes": {}},
                "clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": scopes},
            },
        },
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from the token endpoint: `Authorization: Bearer <token>`.",
        },
    }


def _api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Every API route as the OpenAPI document sees it (FastAPI keeps included routers lazily)."""
    for context in routing.iter_route_contexts(app.routes):
        route = _get_api_route_for_openapi(context)
        if route is not None:
            yield route


def _resolves_caller(dependant: Dependant) -> bool:
    return any(d.call is get_principal for d in _dependants(dependant))


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependants(sub)


def _takes_if_match(operation: dict[str, Any] | None) -> bool:
    return operation is not None and any(
        p.get("in") == "header" and p.get("name", "").lower() == "if-match"
        for p in operation.get("parameters", ())
    )


def _has_query_parameter(operation: dict[str, Any], name: str) -> bool:
    return any(p.get("in") == "query" and p.get("name") == name for p in operation.get("parameters", ()))
