"""The application factory: `create_app()` wires settings, database, both APIs and operations."""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

import app.models  # noqa: F401  (every table registered before the first query)
from app.agenda.router import router as agenda_router
from app.audit.router import router as audit_router
from app.auth.grants import GrantVersions
from app.auth.router import router as auth_router
from app.coaching.router import router as coaching_router
from app.continuity.router import router as continuity_router
from app.core import metrics
from app.core.availability import RETRY_AFTER_SECONDS, DatabaseUnavailable, outage
from app.core.availability import watch as watch_availability
from app.core.config import Settings, get_settings
from app.core.db import (
    create_engine,
    create_read_session_factory,
    create_session_factory,
    resolve_database_url,
)
from app.core.errors import DomainError, NotFound, Unauthenticated
from app.core.input_guard import InputGuard
from app.core.logging import configure_logging
from app.core.middleware import ConditionalGet, HeadAsGet, RequestContextMiddleware, page_policy
from app.core.migrations import head_revision
from app.core.openapi import install_openapi
from app.core.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers, problem_response
from app.core.read_lane import ReadLane, lane_of
from app.core.rest import json_bodies_only, known_query_parameters
from app.core.security import KeyRing, TokenSigner
from app.engagement.router import router as engagement_router
from app.graphql.lane import GraphQLLane
from app.graphql.router import build_graphql_router
from app.identity.router import router as identity_router
from app.initiatives.router import router as initiatives_router
from app.monitoring.router import router as monitoring_router
from app.opendata.router import public as open_data_public
from app.opendata.router import router as open_data_router
from app.plans.router import router as plans_router
from app.portfolio.router import router as portfolio_router
from app.practice.router import router as practice_router
from app.releases.router import router as releases_router
from app.sis.router import router as sis_router
from app.tenancy.router import router as tenancy_router
from app.version import build_info, package_version
from app.webhooks.router import router as webhooks_router

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).parent / "static"

DESCRIPTION = """
Triangle holds the work of district and school improvement done *with* people: strategic-triangle
initiatives, their authorizing environment, co-creation and co-production, improvement plans, progress
monitoring and SIS sync.

* Lists are cursor-paginated (`limit`, `cursor`, `next_cursor`, `Link: rel="next"`) and accept
  `updated_since` for incremental sync.
* Errors are RFC 9457 problem documents (`application/problem+json`). An unknown body field or query
  parameter is a 422 (a misspelt filter never silently answers the whole list); a body that is not
  JSON is a 415.
* Updates take `If-Match` with the `ETag` you read; a stale one gets 412 and changes nothing. A read
  with `If-None-Match: <the ETag you hold>` answers 304 with no body when nothing changed.
* A `POST` that creates takes an `Idempotency-Key`: a retry with the same key gets the first answer.
* The same domain is available over GraphQL at `/graphql`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(resolve_database_url(settings), settings)
        app.state.engine = engine
        watch_availability(engine)
        capacity = settings.db_pool_size + settings.db_max_overflow
        metrics.instrument_pool(engine, capacity)
        app.state.session_factory = create_session_factory(engine)
        replica = None
        if settings.database_read_url:
            replica = create_engine(settings.database_read_url, settings)
            watch_availability(replica)
            metrics.instrument_pool(replica, capacity)
        app.state.read_engine = replica
        app.state.read_session_factory = create_read_session_factory(engine, replica)
        app.state.token_signer = TokenSigner(KeyRing.load_or_create(settings.keys_dir), settings.jwt_issuer)
        app.state.grant_versions = GrantVersions(
            engine.url.render_as_string(hide_password=False), settings.grant_cache_seconds
        )
        await app.state.grant_versions.start()
        lane_of(app)  # every route prepared now, so that what it makes is frozen with the rest
        _freeze_startup_objects()
        stop_worker = _start_webhook_worker(app, settings) if settings.webhook_worker else None
        try:
            yield
        finally:
            if stop_worker is not None:
                await stop_worker()
            await app.state.grant_versions.close()
            await engine.dispose()
            metrics.release_pool(capacity)
            if replica is not None:
                await replica.dispose()
                metrics.release_pool(capacity)

    app = FastAPI(
        title="Triangle",
        version=package_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from local assets
        redoc_url=None,
        openapi_url="/openapi.json",
        separate_input_output_schemas=True,
    )
    app.state.settings = settings
    # Added first, so it runs inside the request context (its refusals carry the request id).
    app.add_middleware(GraphQLLane)  # innermost: compiled GraphQL queries without FastAPI's dispatch
    app.add_middleware(ReadLane)  # plain GET reads without FastAPI's dispatch
    app.add_middleware(ConditionalGet)  # it sees the route's ETag, the others see its 304
    app.add_middleware(InputGuard, graphql_path="/graphql")
    app.add_middleware(HeadAsGet)  # every layer inside sees the GET a HEAD stands for
    app.add_middleware(RequestContextMiddleware)
    if settings.cors_origins:
        # Outside the request-context layer: a preflight is answered here, before any routing (the
        # routes know no OPTIONS), and answers carry the CORS headers even when they are problems.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
            # Every header the contract declares, so a browser can send and read what it promises
            # (an `Idempotency-Key` retry, a conditional read, a replay's marker).
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "If-Match",
                "If-None-Match",
                "X-Request-ID",
            ],
            expose_headers=[
                "ETag",
                "Idempotent-Replayed",
                "Link",
                "Location",
                "Retry-After",
                "X-Request-ID",
            ],
            # Bearer tokens, never cookies: credentials mode stays off.
            allow_credentials=False,
            max_age=600,
        )
    install_problem_handlers(app)
    install_openapi(app)

    # Every operation refuses a query parameter it does not declare, and one that takes JSON a body
    # of another media type (`app.core.rest`).
    api = APIRouter(
        prefix=API_PREFIX, dependencies=[Depends(known_query_parameters), Depends(json_bodies_only)]
    )
    api.include_router(auth_router)
    api.include_router(tenancy_router)
    api.include_router(identity_router)
    api.include_router(agenda_router)
    api.include_router(initiatives_router)
    api.include_router(engagement_router)
    api.include_router(plans_router)
    api.include_router(continuity_router)
    api.include_router(portfolio_router)
    api.include_router(practice_router)
    api.include_router(coaching_router)
    api.include_router(monitoring_router)
    api.include_router(sis_router)
    api.include_router(releases_router)
    api.include_router(audit_router)
    api.include_router(webhooks_router)
    api.include_router(open_data_router)
    # FastAPI matches a request against the routes in order, every route of an included router before
    # the next: /graphql first, or each GraphQL request would first be tried against every REST route.
    graphql_router = build_graphql_router(settings)
    app.state.graphql_schema = graphql_router.schema
    app.state.graphql_router = graphql_router  # the GraphQL lane answers as it does
    app.include_router(graphql_router, prefix="/graphql", include_in_schema=False)
    app.include_router(api)
    app.include_router(open_data_public)
    app.include_router(_operations_router())
    if settings.metrics_port is None:
        app.include_router(_metrics_router(settings))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _start_webhook_worker(app: FastAPI, settings: Settings) -> Callable[[], Awaitable[None]]:
    """Run the webhook delivery worker beside the requests of this process; returns its stop."""
    from app.webhooks.worker import Worker

    worker = Worker(app.state.session_factory, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="webhook-worker")

    async def stop_worker() -> None:
        stop.set()
        await task
        await worker.aclose()

    return stop_worker


def _freeze_startup_objects() -> None:
    """Move everything start-up made (modules, schemas, routes: some 450,000 objects) out of the
    cyclic garbage collector's reach, in each worker, and let the collector run less often.

    They live as long as the process, yet every full collection would walk them again, pausing
    requests for tenths of a second. Frozen, the collector only looks at what requests create.
    Once per process: a process that starts apps again (the test suite) freezes only the first
    start-up, so what later apps leave behind stays collectable.

    Requests leave no reference cycles on the read paths (tests/test_read_path.py proves it), so the
    collector's young-generation runs find nothing to free there: every 700 allocations they walked
    the objects of the requests in flight instead (under 16 concurrent connections, 1.5 ms of a
    nested GraphQL page's 8 and most of a REST read's collector time). Every 10,000 they still catch
    what other paths leave, within a few megabytes.
    """
    global _startup_frozen
    if _startup_frozen:
        return
    _startup_frozen = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])


_startup_frozen = False
# Allocations (less deallocations) between two young-generation collections; Python's default is 700.
YOUNG_COLLECTION_THRESHOLD = 10_000


def _metrics_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", include_in_schema=False)
    async def metrics_endpoint(request: Request) -> Response:
        """Prometheus metrics; with `TRIANGLE_METRICS_TOKEN` set, only for `Authorization: Bearer` it."""
        if settings.metrics_token is not None:
            scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or not secrets.compare_digest(
                given.strip().encode(), settings.metrics_token.encode()
            ):
                raise Unauthenticated("`/metrics` needs `Authorization: Bearer <TRIANGLE_METRICS_TOKEN>`.")
        return Response(metrics.render(), media_type=metrics.CONTENT_TYPE_LATEST)

    return router


def _not_ready(request: Request, reason: str, detail: str, **extra: str | None) -> JSONResponse:
    return problem_response(
        request,
        code=DatabaseUnavailable.code,
        title=DatabaseUnavailable.title,
        status=503,
        detail=detail,
        extra={"reason": reason, **extra},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])
    head = head_revision()

    @router.get("/healthz", operation_id="healthz", response_model=dict[str, str])
    async def healthz() -> dict[str, str]:
        """The process is alive. Touches nothing else, so it is safe for a liveness probe."""
        return {"status": "ok"}

    @router.get(
        "/readyz",
        operation_id="readyz",
        response_model=dict[str, str | None],
        responses={
            503: {
                "description": "Database unreachable or not migrated to the head revision: a problem "
                "document with `reason` and `Retry-After`.",
                "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
        },
    )
    async def readyz(request: Request) -> JSONResponse:
        """Ready to serve: the database answers and is migrated to the revision this build expects."""
        try:
            async with request.app.state.engine.connect() as connection:
                migrated = await connection.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
                current = (
                    await connection.scalar(text("SELECT version_num FROM alembic_version"))
                    if migrated
                    else None
                )
        except Exception as exc:
            # Logged once per outage (not per probe), whatever the error: a probe has nothing else to do.
            outage.failed(exc, "/readyz")
            return _not_ready(request, "database unreachable", "The database cannot be reached.")
        if current != head:
            return _not_ready(
                request,
                "database not migrated",
                f"The database is at revision {current}; this build expects {head}.",
                revision=current,
                expected=head,
            )
        return JSONResponse({"status": "ok", "revision": current})

    @router.get("/version", operation_id="version", response_model=dict[str, str | None])
    async def version() -> dict[str, str | None]:
        """This build: the package version, the git revision when known, and the schema revision it
        migrates to."""
        return build_info()

    @router.get("/", include_in_schema=False)
    async def root() -> dict[str, str]:
        """Where to go from here."""
        return {
            "name": "Triangle",
            "version": package_version(),
            "docs": "/docs",
            "openapi": "/openapi.json",
            "graphql": "/graphql",
            "api": API_PREFIX,
        }

    @router.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Triangle API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png",
        )
        page.headers["Content-Security-Policy"] = page_policy(bytes(page.body).decode())
        return page

    @router.get("/problems/{code}", include_in_schema=False)
    async def problem_type(code: str) -> dict[str, object]:
        """What a problem `type` means: every problem document's `type` resolves here."""
        kind = DomainError.registry.get(code)
        if kind is None:
            raise NotFound(f"No problem type {code!r}.")
        return {
            "type": f"/problems/{code}",
            "title": kind.title,
            "status": kind.status,
            "description": kind.description,
        }

    return router
