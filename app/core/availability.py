"""The database being unreachable: recognised, answered 503 with `Retry-After`, logged once per outage.

When PostgreSQL stops (a restart, a failover, a network cut), every request that needs it fails with
some driver or socket error. Those are not bugs in the request: the client should retry later, and the
operator needs one line saying the database went away and one saying it came back, not a traceback
per request or probe. Nothing here reconnects: the pool discards connections that died and opens new
ones on the next checkout, so the service recovers by itself as soon as the database answers again.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.errors import DomainError

logger = logging.getLogger("triangle.database")

# Seconds a client is asked to wait before retrying: a restart of PostgreSQL takes a few.
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(DomainError):
    code = "unavailable"
    title = "Service unavailable"
    status = 503
    description = (
        "The database cannot be reached just now. Nothing was written; retry after the number of "
        "seconds in `Retry-After`."
    )


# Errors the server or the network raise when PostgreSQL is down, restarting or out of reach. A query
# the server *refused* (a constraint, a syntax error) is none of these.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, broken pipe
    TimeoutError,
    FileNotFoundError,  # the embedded server's unix socket is gone
    asyncpg.exceptions.PostgresConnectionError,  # 08xxx, CannotConnectNow (starting up, shutting down)
    asyncpg.exceptions.OperatorInterventionError,  # 57xxx: admin shutdown, crash shutdown
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,  # "connection is closed"
    DisconnectionError,
    PoolTimeout,  # every connection is in use and none came back in time
)


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` (or what caused it) says the database is out of reach, rather than a bug or a
    refused statement."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, asyncpg.exceptions.QueryCanceledError):
            return False  # 57014 is an operator intervention too, but the server is up
        if isinstance(exc, _UNAVAILABLE):
            return True
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False


class Outage:
    """Whether this process currently believes the database is down, for logging once per outage."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down = False
        self.failures = 0

    def failed(self, exc: BaseException, where: str | None = None) -> None:
        """A request found the database unreachable: the first one of an outage logs a warning."""
        with self._lock:
            first, self.down = not self.down, True
            self.failures += 1
        if first:
            logger.warning(
                "database unavailable; answering 503 until it is back",
                extra={"error": _describe(exc), "path": where},
            )

    def connected(self) -> None:
        """A new connection was made: if the database was down, it is back."""
        with self._lock:
            was_down, failures = self.down, self.failures
            self.down, self.failures = False, 0
        if was_down:
            logger.warning("database available again", extra={"failed_requests": failures})


outage = Outage()


def watch(engine: AsyncEngine) -> None:
    """Let the engine's new connections end an outage."""
    event.listen(engine.sync_engine, "connect", _on_connect)


def _on_connect(*_: Any) -> None:
    outage.connected()


def _describe(exc: BaseException) -> str:
    """The root cause in one line: its type and message, no traceback (and no URL: asyncpg's messages
    name the host at most)."""
    root: BaseException = exc
    while (cause := getattr(root, "orig", None) or root.__cause__) is not None and cause is not root:
        root = cause
    return f"{type(root).__name__}: {root}"[:300]
