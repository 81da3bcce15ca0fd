"""The `/graphql` endpoint, with a GraphiQL page whose assets the service serves itself."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse
from strawberry.fastapi import GraphQLRouter

from app.core.config import Settings
from app.core.metrics import observe_graphql, operation_of
from app.graphql.context import get_context
from app.graphql.schema import build_schema

_GRAPHIQL_HTML = (Path(__file__).parent.parent / "static" / "graphiql.html").read_text()


class OfflineGraphQLRouter(GraphQLRouter):
    """Strawberry's router, but GraphiQL loads React and GraphiQL from `/static`, not a CDN, so the IDE
    works inside a district's closed network, and answers are encoded by orjson."""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(_GRAPHIQL_HTML)

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
