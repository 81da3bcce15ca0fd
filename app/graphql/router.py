"""The `/graphql` endpoint, with a GraphiQL page whose assets the service serves itself."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.unset import UNSET

from app.core.config import Settings
from app.core.metrics import observe_graphql, operation_of
from app.core.middleware import page_policy
from app.core.request_context import current_request_id
from app.graphql.context import get_context
from app.graphql.schema import build_schema

logger = logging.getLogger(__name__)

_GRAPHIQL_HTML = (Path(__file__).parent.parent / "static" / "graphiql.html").read_text()
_GRAPHIQL_POLICY = page_policy(_GRAPHIQL_HTML)

# Deeper than any input of this schema (its deepest input is a handful of levels), shallow enough that
# nothing downstream that walks a value recursively comes near Python's recursion limit.
MAX_JSON_DEPTH = 64


# The largest request body read. The largest input of this schema, 5,000 measurements in one
# `recordMeasurements`, is about 1.5 MB of JSON; nothing legitimate comes near 4 MiB, while an
# uncapped body is memory and seconds of coercion for anyone who can reach the endpoint, token or not.
MAX_BODY_BYTES = 4 * 2**20

# The code of a request GraphQL refuses before running anything, by the HTTP status it is refused with.
_REQUEST_ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def request_refusal(status: int, message: str) -> Response:
    """A request refused before any operation ran (not JSON, not one operation, a name of the wrong
    type, a mutation by GET …), answered as the GraphQL-over-HTTP specification's request error: a
    JSON document with `errors` and no `data`, coded like every other GraphQL error, so a client's
    error handling reads it instead of choking on a line of text. Logged at info: it is the client's."""
    code = _REQUEST_ERROR_CODES.get(status, "bad_request")
    logger.info("graphql request refused: %s", message, extra={"code": code})
    body = {
        "errors": [{"message": message, "extensions": {"code": code, "request_id": current_request_id()}}]
    }
    headers = {"Allow": "GET, POST"} if status == 405 else None
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def json_depth(value: object) -> int:
    """How deeply a decoded JSON value nests (0 for a scalar), walked without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
            stack.extend((child, depth) for child in item)
    return deepest


class OfflineGraphQLRouter(GraphQLRouter):
    """Strawberry's router, but GraphiQL loads React and GraphiQL from `/static`, not a CDN, so the IDE
    works inside a district's closed network, and answers are encoded by orjson."""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(_GRAPHIQL_HTML, headers={"Content-Security-Policy": _GRAPHIQL_POLICY})

    def decode_json(self, data: str | bytes) -> object:
        """The request's JSON (a POST body, or a GET's `variables`). Bytes that are not UTF-8, and
        documents nested deeper than `MAX_JSON_DEPTH`, are malformed requests: 400, as in REST."""
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            # orjson refuses invalid UTF-8 and nesting beyond 1024 levels as malformed JSON too.
            raise HTTPException(400, "Unable to parse request body as UTF-8 JSON.") from exc
        if json_depth(value) > MAX_JSON_DEPTH:
            raise HTTPException(400, f"The request nests deeper than {MAX_JSON_DEPTH} levels.")
        return value

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry's handling, with its request errors (which it answers as plain text) answered in
        GraphQL's shape (`request_refusal`)."""
        try:
            if getattr(request, "method", None) == "POST":
                await _read_capped(request)
            return await super().run(request, context=context, root_value=root_value)
        except HTTPException as exc:
            return request_refusal(exc.status_code, exc.reason)

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Strawberry's parsing, which checks `query`, `variables` and `extensions` but not
        `operationName`: a number there crashed the request (500) further on."""
        parsed = await super().parse_http_body(request)
        for data in parsed if isinstance(parsed, list) else (parsed,):
            if not isinstance(data.operation_name, str | None):
                raise HTTPException(
                    400, "The GraphQL operation's `operationName` must be a string or null, if provided."
                )
        return parsed

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        """Strawberry's execution, counted and timed per operation name for `/metrics`. A mutation sent
        by GET is refused with 405, as the GraphQL-over-HTTP specification says (strawberry says 400)."""
        request_data = kwargs.get("request_data", args[-1] if args else None)
        name, kind = operation_of(
            getattr(request_data, "query", None), getattr(request_data, "operation_name", None)
        )
        started = time.perf_counter()
        ok = False
        try:
            result = await super().execute_single(*args, **kwargs)
            ok = not getattr(result, "errors", None)
            return result
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, exc.reason) from exc
            raise
        finally:
            observe_graphql(name, kind, ok, time.perf_counter() - started)

    def encode_json(self, data: object) -> str | bytes:
        """UTF-8 JSON, as REST answers (the standard library's encoder is a tenth of a plan page's
        time, orjson's a hundredth). What orjson refuses (an integer beyond 64 bits inside a JSON
        scalar) falls back to the standard library."""
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:
            return super().encode_json(data)


async def _read_capped(request: Request) -> None:
    """Read the body, refusing it (413) once it is longer than `MAX_BODY_BYTES`, whatever
    `Content-Length` says (a chunked body has none); what was read is kept for strawberry, which
    reads the body again through `request.body()`."""
    too_large = HTTPException(413, f"The request body is larger than {MAX_BODY_BYTES:,} bytes.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise too_large
    request._body = bytes(body)  # starlette's cache of the body, which `request.body()` answers


def build_graphql_router(settings: Settings) -> GraphQLRouter:
    return OfflineGraphQLRouter(
        build_schema(settings),
        context_getter=get_context,
        graphql_ide="graphiql" if settings.graphql_ide else None,
        include_in_schema=False,
        multipart_uploads_enabled=False,
    )
