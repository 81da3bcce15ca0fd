"""The GraphQL lane: a query the service has compiled is answered without FastAPI's dispatch.

`POST /graphql` goes through FastAPI's routing (the included routers matched one by one), the
dependency solving of strawberry's route (the context getter, its merged context, the sub-response,
background tasks) and strawberry's HTTP view before the schema executes; for a compiled plan page that
is a tenth of the request. Front ends send the same few queries again and again, and a compiled one is
known to be a valid query of this schema, so this ASGI layer, innermost of ours like the read lane
(`app.core.read_lane`), answers such a request itself:

- only `POST /graphql` with `Content-Type: application/json` exactly, no query string, no streaming
  `Accept`, and a body that is one JSON object with nothing but `query` (a string or null),
  `variables` (an object or null), `operationName` (a string or null) and `extensions` (an object or
  null), no deeper than the router allows;
- only when the document (its text, or the persisted query its hash names) already has a compiled plan
  under that operation name: a query that parsed and validated before;
- with everything the route does, done the same way: the caller and the context from
  `app.graphql.context.open_context` (bad tokens included), `schema.execute` (limits, prices, the
  plan or the interpreter, error shaping, verification when on), the per-operation metrics, strawberry's
  response shape and the router's JSON encoder, and the context closed after.

Anything else, and anything that fails before the schema runs, goes to FastAPI unchanged (the body is
replayed), which answers it as always: the lane never writes an answer of its own.
`tests/test_graphql_lane.py` holds both paths to the same bytes for every role.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from fastapi import BackgroundTasks
from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http import process_result
from strawberry.types.graphql import OperationType

from app.core.metrics import observe_graphql, operation_of
from app.graphql.context import open_context
from app.graphql.router import MAX_BODY_BYTES, MAX_JSON_DEPTH, json_depth

_FIELDS = frozenset({"query", "variables", "operationName", "extensions"})
_POST_OPERATIONS = OperationType.from_http("POST")


class GraphQLLane:
    # Off, every request goes to FastAPI (tests compare the two paths).
    enabled = True

    def __init__(self, app: ASGIApp, path: str = "/graphql") -> None:
        self.app = app
        self.path = path
        self._route: Any = None
        self._built_for: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != self.path
            or scope.get("root_path")
            or scope.get("query_string")
            or not self.enabled
            or not _plain_headers(scope)
        ):
            await self.app(scope, receive, send)
            return
        body, more, unfinished = await _read_body(receive)
        replay = _replaying(body, more, receive, unfinished)
        try:
            served = None if more or unfinished or len(body) > MAX_BODY_BYTES else self._servable(scope, body)
        except Exception:
            served = None
        if served is None:
            await self.app(scope, replay, send)
            return
        try:
            request = Request(scope, replay)
            context = await open_context(request)
        except Exception:
            await self.app(scope, replay, send)  # FastAPI meets the same failure and answers it
            return
        # From here on the schema runs: whatever happens is answered as the route would (an
        # exception goes to the outer layers, as one escaping the route does), never run twice.
        response = await self._execute(scope, request, context, *served)
        await response(scope, replay, send)

    def _servable(self, scope: Scope, body: bytes) -> tuple[Any, ...] | None:
        """The request's parts when the lane answers it, else None."""
        app = scope.get("app")
        schema = getattr(getattr(app, "state", None), "graphql_schema", None)
        router = getattr(getattr(app, "state", None), "graphql_router", None)
        if schema is None or router is None:
            return None
        data = orjson.loads(body)
        if type(data) is not dict or not data.keys() <= _FIELDS or json_depth(data) > MAX_JSON_DEPTH:
            return None
        query, variables = data.get("query"), data.get("variables")
        operation_name, extensions = data.get("operationName"), data.get("extensions")
        if not (
            isinstance(query, str | None)
            and isinstance(variables, dict | None)
            and isinstance(operation_name, str | None)
            and isinstance(extensions, dict | None)
        ):
            return None
        text = query if query is not None else schema.documents.peek(extensions)
        if text is None or not schema.plans.get((text, operation_name)):
            return None
        route = self._route_of(app)
        if route is None:
            return None
        return schema, router, route, query, variables, operation_name, extensions

    async def _execute(
        self,
        scope: Scope,
        request: Request,
        context: Any,
        schema: Any,
        router: Any,
        route: Any,
        query: str | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        extensions: dict[str, Any] | None,
    ) -> Response:
        # What strawberry's FastAPI integration merges into a context.
        sub_response = Response()
        del sub_response.headers["content-length"]
        sub_response.status_code = None  # type: ignore[assignment]
        background = BackgroundTasks()
        context.request, context.response, context.background_tasks = request, sub_response, background
        scope["route"], scope["endpoint"] = route, route.endpoint
        try:
            name, kind = operation_of(query, operation_name)
            started = time.perf_counter()
            ok = False
            try:
                result = await schema.execute(
                    query,
                    variable_values=variables,
                    context_value=context,
                    operation_name=operation_name,
                    allowed_operation_types=_POST_OPERATIONS,
                    operation_extensions=extensions,
                )
                ok = not result.errors
            finally:
                observe_graphql(name, kind, ok, time.perf_counter() - started)
            response = router.create_response(response_data=process_result(result), sub_response=sub_response)
        finally:
            await context.close()
        if background.tasks:
            response.background = background
        return response  # type: ignore[no-any-return]

    def _route_of(self, app: Any) -> Any:
        """FastAPI's `POST /graphql` route, for the metrics and logs that name a request's route."""
        if self._built_for is not app:
            self._route, self._built_for = None, app
            for context in iter_route_contexts(app.routes):
                if context.path == self.path and "POST" in (context.methods or ()):
                    self._route = context.original_route
                    break
        return self._route


def _plain_headers(scope: Scope) -> bool:
    """`Content-Type: application/json` exactly, and no `Accept` asking for a stream."""
    content_type = None
    for name, value in scope["headers"]:
        if name == b"content-type":
            if content_type is not None:
                return False
            content_type = value
        elif name == b"accept" and (b"multipart" in value or b"event-stream" in value):
            return False
    return content_type == b"application/json"


async def _read_body(receive: Receive) -> tuple[bytes, bool, bool]:
    """The request's body, read whole; `more` when the client disconnected before its end;
    `unfinished` when it is longer than the router reads (`MAX_BODY_BYTES`): the lane stops reading
    there and leaves the rest, and the refusal, to the router."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True, False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False, False
        if size > MAX_BODY_BYTES:
            return b"".join(chunks), False, True


def _replaying(body: bytes, disconnected: bool, receive: Receive, unfinished: bool = False) -> Receive:
    """A `receive` that hands out the body already read (saying more follows when it is
    `unfinished`), then defers to the server's."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if disconnected:
                return {"type": "http.disconnect"}
            return {"type": "http.request", "body": body, "more_body": unfinished}
        return await receive()

    return replay
