"""The `/graphql` endpoint, with a GraphiQL page whose assets the service serves itself."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from fastapi import Request
from fastapi.responses import HTMLResponse
from strawberry.fastapi import GraphQLRouter

from app.core.config import Settings
from app.core.metrics import observe_graphql, operation_of
from app.core.middleware import page_policy
from app.graphql.context import get_context
from app.graphql.schema import build_schema

_GRAPHIQL_HTML = (Path(__file__).parent.parent / "static" / "graphiql.html").read_text()
_GRAPHIQL_POLICY = page_policy(_GRAPHIQL_HTML)

# Deeper than any input of this schema (its deepest input is a handful of levels), shallow enough that
# nothing downstream that walks a value recursively comes near Python's recursion limit.
MAX_JSON_DEPTH = 64


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

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        """Strawberry's execution, counted and timed per operation name for `/metrics`."""
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


def build_graphql_router(settings: Settings) -> GraphQLRouter:
    return OfflineGraphQLRouter(
        build_schema(settings),
        context_getter=get_context,
        graphql_ide="graphiql" if settings.graphql_ide else None,
        include_in_schema=False,
        multipart_uploads_enabled=False,
    )
