"""Prometheus metrics (prometheus-client): requests, the connection pool, GraphQL operations, SIS sync.

One set of series per process. Under `triangle serve --workers N` every worker writes its values to
files in `PROMETHEUS_MULTIPROC_DIR` (set by `triangle serve` before the workers start) and `/metrics`
adds up all workers' files, whichever worker answers the scrape.

Labels are bounded: routes are templates (`/api/v1/plans/{plan_id}`, never an id), GraphQL operations
are the names clients give them (anonymous ones are `anonymous`; names are cut at 64 characters).
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["CONTENT_TYPE_LATEST"]

REQUESTS = Counter(
    "triangle_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "triangle_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
POOL_IN_USE = Gauge(
    "triangle_db_pool_in_use",
    "Database connections checked out of the pool (a request holds one while it runs).",
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "triangle_db_pool_waiting",
    "Requests waiting for (or opening) a database connection.",
    multiprocess_mode="livesum",
)
POOL_CAPACITY = Gauge(
    "triangle_db_pool_capacity",
    "Connections the pool may hold at once (pool size plus overflow).",
    multiprocess_mode="livesum",
)
GRAPHQL_OPERATIONS = Counter(
    "triangle_graphql_operations",
    "GraphQL operations executed, by operation name, type and outcome (ok or error).",
    ["operation", "type", "outcome"],
)
GRAPHQL_SECONDS = Histogram(
    "triangle_graphql_operation_duration_seconds",
    "Time to execute a GraphQL operation, by operation name.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SYNC_ROWS = Counter(
    "triangle_sync_rows",
    "SIS sync records, by entity, source and result (created, updated, unchanged, deleted, rejected).",
    ["entity", "source", "result"],
)

SYNC_RESULTS = ("created", "updated", "unchanged", "deleted", "rejected")


def render() -> bytes:
    """Every series in the text exposition format, summed over workers when there are several."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


def route_of(scope: dict[str, Any]) -> str:
    """The template of the route that served a request (`/api/v1/plans/{plan_id}`), never its path."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    actual = scope.get("path", "")
    if isinstance(template, str):
        # A route of an included router knows its path below the router's prefix (`/users/{user_id}`):
        # the prefix (`/api/v1`, static) is the request path's segments before it.
        tail = [part for part in template.split("/") if part]
        parts = [part for part in actual.split("/") if part]
        head = parts[: max(len(parts) - len(tail), 0)]
        return "/" + "/".join(head + tail)
    if actual.startswith("/static/"):
        return "/static"
    return "unmatched"


# The methods a series is kept for; any other a client makes up (HTTP lets it send any token) is
# counted as OTHER, so no caller can grow the number of series, and with it /metrics, at will.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Each (method, route, status)'s counter and histogram children, looked up once: `labels()` takes a
# lock and builds its key on every call, which on a small read is a measurable share of the request.
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    if method not in _METHODS:
        method = "OTHER"
    key = (method, route, status)
    series = _SERIES.get(key)
    if series is None:
        series = _SERIES[key] = (
            REQUESTS.labels(method, route, str(status)),
            REQUEST_SECONDS.labels(method, route),
        )
    series[0].inc()
    series[1].observe(seconds)


_OPERATION = re.compile(r"^\s*(?:#[^\n]*\n\s*)*(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")


def operation_of(query: str | None, operation_name: str | None) -> tuple[str, str]:
    """The operation's name and type, as far as they can be told without parsing the document."""
    match = _OPERATION.match(query or "")
    kind = match.group(1) if match else ("query" if (query or "").lstrip().startswith("{") else "unknown")
    name = operation_name or (match.group(2) if match else None) or "anonymous"
    return name[:64], kind


def observe_graphql(name: str, kind: str, ok: bool, seconds: float) -> None:
    GRAPHQL_OPERATIONS.labels(name, kind, "ok" if ok else "error").inc()
    GRAPHQL_SECONDS.labels(name).observe(seconds)


def observe_sync(entity: str, source: str, counts: dict[str, Any]) -> None:
    for result in SYNC_RESULTS:
        value = counts.get(result) or 0
        if value:
            SYNC_ROWS.labels(entity, source, result).inc(value)


def instrument_pool(engine: AsyncEngine, capacity: int) -> None:
    """Keep the pool gauges current for `engine`: checkouts and checkins move `in_use`, and a
    checkout that has to wait (or open a connection) counts in `waiting` until it has one."""
    from sqlalchemy import event

    pool = engine.sync_engine.pool
    POOL_CAPACITY.inc(capacity)
    event.listen(pool, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(pool, "checkin", lambda *_: POOL_IN_USE.dec())
    take = pool._do_get  # the blocking part of a checkout: waiting for a free slot, or connecting

    def waited_get() -> Any:
        if not pool._pool.empty():  # a free connection is handed out at once: nobody waits
            return take()
        POOL_WAITING.inc()
        try:
            return take()
        finally:
            POOL_WAITING.dec()

    pool._do_get = waited_get  # type: ignore[method-assign]


def release_pool(capacity: int) -> None:
    """The engine is disposed: its capacity leaves the gauge."""
    POOL_CAPACITY.dec(capacity)


def elapsed_since(started: float) -> float:
    return time.perf_counter() - started
