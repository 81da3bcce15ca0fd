"""The per-request GraphQL context: who is calling, the request's one database session, and the loaders.

A GraphQL request is one connection and one transaction, like a REST request. Every resolver and every
DataLoader batch of the request reads through `context.session()`; the session (`RequestSession`)
serializes their statements, because strawberry resolves sibling fields concurrently and one connection
runs one statement at a time anyway. A mutation field writes inside `context.transaction()`, which
commits when the field succeeds and rolls back when it raises, so each mutation field stays its own unit
of work (GraphQL runs mutation fields one after another).

DataLoaders are built here, per request, never at module level: a module-level loader would cache rows
across requests and across districts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.fastapi import BaseContext

from app.audit.recorder import bind_principal
from app.auth.dependencies import get_principal
from app.auth.principal import ANONYMOUS, Principal
from app.core.db import committed
from app.core.errors import Unauthenticated


@dataclass
class Context(BaseContext):
    principal: Principal
    session_factory: async_sessionmaker[AsyncSession]
    # For query operations: statements without BEGIN/COMMIT (`app.core.db.create_read_session_factory`).
    read_session_factory: async_sessionmaker[AsyncSession] | None = None
    # Set once the operation is known to be a query, before the first resolver reads.
    read_only: bool = False
    _loaders: dict[str, Any] = field(default_factory=dict)
    _session: AsyncSession | None = None
    # Whether a unit of work committed in this request (a mutation, or a read that is audited).
    wrote: bool = False
    # Why the request's bearer token was refused (bad, expired, revoked), if it was: the caller is then
    # anonymous, and every field that needs a caller answers with this error (code `unauthenticated`),
    # in GraphQL's shape like a missing token, not as a REST problem document.
    token_refusal: Unauthenticated | None = None

    def __post_init__(self) -> None:
        super().__init__()

    def loader(self, name: str, factory: Any) -> Any:
        """The request's loader called `name`, built on first use by `factory(context)`."""
        existing = self._loaders.get(name)
        if existing is None:
            existing = self._loaders[name] = factory(self)
        return existing

    def _shared_session(self) -> AsyncSession:
        if self._session is None:
            factory = self.session_factory
            if self.read_only and self.read_session_factory is not None:
                factory = self.read_session_factory
            self._session = factory()
            # Writes in the request are attributed to the caller in the audit trail.
            bind_principal(self._session, self.principal)
        return self._session

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The request's session, for reads. Leaving the block keeps it open for the next reader."""
        yield self._shared_session()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The request's session as one unit of work: commit on success, roll back when it raises.

        Either way the loaders are dropped: what they cached was read before the write (or may have
        been rolled back), and a payload must show the state after it.
        """
        self.wrote = True
        try:
            async with committed(self._shared_session()) as session:
                yield session
        finally:
            self.forget_loaded()

    def forget_loaded(self) -> None:
        """Drop the loaders and what they cached, so the next read goes to the database again."""
        self._loaders.clear()

    async def close(self) -> None:
        """End the request's transaction (nothing is left to commit: mutations commit themselves).

        The loaders go too. Each loader's batch function holds this context, and the context holds
        the loaders: a reference cycle that would keep every row, page and future the request loaded
        alive until the cyclic collector's next full run. Broken here, they are freed the moment the
        request ends, so a nested query leaves the collector nothing to do (and under concurrency,
        nothing for it to walk again and again).
        """
        self.forget_loaded()
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


async def open_context(request: Request) -> Context:
    """The request's context: its caller (anonymous, with the reason, when the token is refused) and
    the app's session factories. The caller of this closes it (`Context.close`)."""
    state = request.app.state
    try:
        principal, refusal = await get_principal(request), None
    except Unauthenticated as exc:
        principal, refusal = ANONYMOUS, exc
    return Context(
        principal=principal,
        session_factory=state.session_factory,
        read_session_factory=state.read_session_factory,
        token_refusal=refusal,
    )


async def get_context(request: Request) -> AsyncIterator[Context]:
    """The route's context dependency (the GraphQL lane, `app.graphql.lane`, opens it the same way)."""
    context = await open_context(request)
    try:
        yield context
    finally:
        await context.close()
