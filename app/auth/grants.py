"""Access tokens die with their grant, on the next request, without a database trip per request.

Every user and API client has a grant version in PostgreSQL (`GrantVersion`, 0 when no row). An
access token carries the version it was issued under (`gv`). Whatever ends a grant moves the version
on (`end_grant`): a user deactivated, a role taken away, a password set, an API client revoked, an
access token revoked. From then on every token issued before is refused with 401; a person signs in
again or trades their refresh token (which the same change may have ended too), a client asks again.

Each worker keeps the versions it has looked up (`GrantVersions`) and learns of changes from
PostgreSQL: `end_grant` sends a `NOTIFY` in the same transaction, delivered when it commits, and every
worker's listening connection forgets that principal's version. The worker that made the change
forgets it as its transaction commits, so its very next request sees it. How long a token can
outlive its grant, at worst:

- in the worker that ended it: not at all (the next request is refused);
- in other workers and replicas: the time PostgreSQL takes to deliver the notification (milliseconds);
- if a worker's listening connection is lost, it looks every version up afresh until it has listened
  again, and forgets everything it knew when it has; a connection that stalls without failing is
  bounded by `grant_cache_seconds` (30 s by default), after which a kept version is looked up again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from typing import Any

import asyncpg
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

CHANNEL = "triangle_grant_ended"
_ENDED = "triangle_grants_ended"

_END_GRANT = text(
    "WITH ended AS ("
    " INSERT INTO grant_version (principal_id, version, changed_at) VALUES (:principal_id, 1, now())"
    " ON CONFLICT (principal_id) DO UPDATE"
    " SET version = grant_version.version + 1, changed_at = now()"
    " RETURNING principal_id, version)"
    " SELECT pg_notify(:channel, principal_id::text) FROM ended"
)
_VERSION_OF = "SELECT version FROM grant_version WHERE principal_id = $1"


async def end_grant(session: AsyncSession, principal_id: uuid.UUID) -> None:
    """End every access token issued so far to this user or API client. Takes effect when the
    session commits (and is undone with it on a rollback). Flushes; the caller commits."""
    await session.execute(_END_GRANT, {"principal_id": principal_id, "channel": CHANNEL})
    session.sync_session.info.setdefault(_ENDED, set()).add(principal_id)


async def grant_version(session: AsyncSession, principal_id: uuid.UUID) -> int:
    """The version a token issued now carries."""
    found = await session.scalar(
        text("SELECT version FROM grant_version WHERE principal_id = :principal_id"),
        {"principal_id": principal_id},
    )
    return int(found or 0)


# Every live cache in this process: a commit that ended grants tells them all at once.
_caches: weakref.WeakSet[GrantVersions] = weakref.WeakSet()


@event.listens_for(Session, "after_commit")
def _forget_ended_grants(session: Session) -> None:
    ended = session.info.pop(_ENDED, None)
    if ended:
        for cache in list(_caches):
            cache.forget(ended)


@event.listens_for(Session, "after_rollback")
def _drop_unended_grants(session: Session) -> None:
    session.info.pop(_ENDED, None)


class GrantVersions:
    """The grant versions this worker has looked up, kept until PostgreSQL says one changed.

    Versions are looked up (and changes listened for) on one connection of its own, outside the
    request's pool: a request costs no statement of its own unless its principal's version is not
    known here yet.
    """

    def __init__(self, database_url: str, keep_seconds: float) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self.keep_seconds = keep_seconds
        self._known: dict[uuid.UUID, tuple[int, float]] = {}
        # Lookups under way, by principal, with the `_changes` they began under: the requests that
        # find a principal's version unknown at once (every request in flight, when it expires) share
        # one statement instead of queueing one each on the connection.
        self._looking: dict[uuid.UUID, tuple[int, asyncio.Future[int]]] = {}
        # Counts what may have made a version looked up earlier wrong: a notification, a commit that
        # ended grants here, a lost or new connection. A lookup that began before one is not kept.
        self._changes = 0
        self._connection: asyncpg.Connection | None = None
        self._listening = False
        self._lock = asyncio.Lock()
        self._keeper: asyncio.Task[None] | None = None
        _caches.add(self)

    async def start(self) -> None:
        await self._connect()
        self._keeper = asyncio.get_running_loop().create_task(self._keep_listening())

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
        self._connection, self._listening = None, False
        _caches.discard(self)

    def forget(self, principal_ids: Any) -> None:
        self._changes += 1
        for principal_id in principal_ids:
            self._known.pop(principal_id, None)

    async def current(self, principal_id: uuid.UUID) -> int:
        """The principal's grant version now."""
        kept = self._known.get(principal_id)
        now = time.monotonic()
        if kept is not None and self._listening and now - kept[1] < self.keep_seconds:
            return kept[0]
        looking = self._looking.get(principal_id)
        if looking is None or looking[0] != self._changes:
            # Only a lookup begun since the last change may answer: one begun before it may have
            # read the version the change replaced.
            lookup = asyncio.ensure_future(self._look_up(principal_id, now))
            looking = self._looking[principal_id] = (self._changes, lookup)
            lookup.add_done_callback(lambda done: self._done_looking(principal_id, done))
        # Shielded: a request that goes away (a client disconnecting) does not cancel the others'.
        return await asyncio.shield(looking[1])

    async def _look_up(self, principal_id: uuid.UUID, now: float) -> int:
        changes = self._changes
        async with self._lock:
            connection = self._connection
            if connection is None or connection.is_closed():
                connection = await self._connect()
                changes = self._changes
            found = await connection.fetchval(_VERSION_OF, principal_id)
        version = int(found or 0)
        # Kept only if nothing changed while the statement ran: a notification that arrived in the
        # meantime may be about the very version just read.
        if self._listening and self._changes == changes:
            self._known[principal_id] = (version, now)
        return version

    def _done_looking(self, principal_id: uuid.UUID, lookup: asyncio.Future[int]) -> None:
        looking = self._looking.get(principal_id)
        if looking is not None and looking[1] is lookup:
            del self._looking[principal_id]
        if not lookup.cancelled():
            lookup.exception()  # retrieved: each waiter raises it; nobody waiting is no error to log

    async def _connect(self) -> asyncpg.Connection:
        """(Re)open the connection and listen on it; what was kept before may have been missed."""
        self._listening = False
        self._changes += 1
        self._known.clear()
        connection = await asyncpg.connect(self._dsn, server_settings={"application_name": "triangle-grants"})
        await connection.add_listener(CHANNEL, self._on_notification)
        connection.add_termination_listener(self._on_termination)
        self._connection = connection
        self._changes += 1
        self._known.clear()
        self._listening = True
        return connection

    def _on_notification(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            self.forget([uuid.UUID(payload)])

    def _on_termination(self, connection: Any) -> None:
        self._listening = False
        self._changes += 1
        self._known.clear()

    async def _keep_listening(self) -> None:
        """Reopen a lost listening connection (every few seconds until it comes back)."""
        while True:
            await asyncio.sleep(2)
            connection = self._connection
            if connection is not None and not connection.is_closed() and self._listening:
                continue
            try:
                async with self._lock:
                    await self._connect()
            except (OSError, asyncpg.PostgresError):
                logger.warning("grant version listener: cannot reconnect yet", exc_info=True)
