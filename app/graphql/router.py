"""The `/graphql` endpoint, with a GraphiQL page whose assets the service serves itself."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from strawberry.fastapi import GraphQLRouter

from app.core.config import Settings
from app.graphql.context import get_context
from app.graphql.schema import build_schema

_GRAPHIQL_HTML = (Path(__file__).parent.parent / "static" / "graphiql.html").read_text()


class OfflineGraphQLRouter(GraphQLRouter):
    """Strawberry's router, but GraphiQL loads React and GraphiQL from `/static`, not a CDN, so the IDE
    works inside a district's closed network."""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(_GRAPHIQL_HTML)


def build_graphql_router(settings: Settings) -> GraphQLRouter:
    return OfflineGraphQLRouter(
        build_schema(settings),
        context_getter=get_context,
        graphql_ide="graphiql" if settings.graphql_ide else None,
        include_in_schema=False,
        multipart_uploads_enabled=False,
    )
