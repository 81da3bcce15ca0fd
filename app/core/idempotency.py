"""`Idempotency-Key` on every POST that creates: a retry gets the first answer and creates nothing new.

A client that did not hear back (a timeout, a dropped connection) may send the same request again with
the same key. The first request with a key claims it by inserting a row in the request's own
transaction, so the claim and what the request creates commit together or not at all:

- the same key and the same request (method, path, query, body, caller) again → the first answer,
  replayed (status, body, `Location`, `ETag`, `Content-Type`) with `Idempotent-Replayed: true`, and the
  operation does not run;
- the same key with a different request → 422 (`idempotency_key_reused`), nothing runs;
- two at once → PostgreSQL's unique index makes the second wait for the first's transaction; if the first
  commits, the second replays its answer (waiting briefly for it to be recorded), if it fails, the second
  runs as if it were first. Never two objects.

The answer is recorded in the same transaction as the claim and what the request wrote (the unit of work
commits after the route handler has produced its response), so there is no moment when a key is claimed,
its object exists, and its answer is missing.

Keys belong to the caller (principal kind, district and id), so one caller can never be answered from
another's key. They are kept 24 hours; a key older than that is claimed afresh. Only successful answers
are kept: a request that failed wrote nothing, so retrying it with the same key runs it again.

Installed once, centrally: `AreaRouter` gives every `POST` route whose status is 201 this dependency and
the `IdempotentRoute` class that records the answer (`app.core.rest`).
"""

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import Column, DateTime, LargeBinary, UniqueConstraint, delete, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from app.auth.dependencies import get_principal
from app.auth.principal import Principal
from app.core.errors import Conflict, FieldError, ValidationFailed

KEEP_FOR = timedelta(hours=24)
# The answer commits with the claim, so a visible claim has its answer; this only bounds the wait should
# a claim ever be visible without one (a 409 then).
WAIT_FOR_ANSWER_SECONDS = 2.0
_POLL_SECONDS = 0.05
# The answer's headers worth replaying; the rest (request id, security headers) belong to each answer.
REPLAYED_HEADERS = ("content-type", "location", "etag", "link")
REPLAYED_MARKER = "Idempotent-Replayed"
HEADER = "Idempotency-Key"
HEADER_DESCRIPTION = (
    "Any unique string of yours (a UUID is ideal), up to 255 characters. A retry with the same key and "
    "the same request within 24 hours gets the first answer and creates nothing new "
    "(`Idempotent-Replayed: true`); the same key with a different request is a 422."
)


class IdempotencyKey(SQLModel, table=True):
    """A caller's `Idempotency-Key`, the hash of the request that first used it, and its answer
    (none yet while that request runs)."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("caller", "key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # `<kind>:<district id>:<principal id>`: keys are scoped to the caller and its district.
    caller: str = Field(max_length=120, nullable=False)
    key: str = Field(max_length=255, nullable=False)
    request_hash: str = Field(max_length=64, nullable=False)
    created_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    status_code: int | None = Field(default=None, nullable=True)
    response_headers: dict[str, str] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    response_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


_table = IdempotencyKey.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class _Claim:
    id: uuid.UUID
    session: AsyncSession  # the request's, still in its transaction when the answer is recorded


class _Replay(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def caller_of(principal: Principal) -> str:
    return f"{principal.kind.value}:{principal.district_id}:{principal.id}"


async def request_hash(request: Request, caller: str) -> str:
    """What makes two requests "the same": method, path, query, caller and body (JSON compared by
    meaning, so key order and whitespace do not matter)."""
    body = await request.body()
    try:
        canonical: Any = json.loads(body) if body else None
    except ValueError:
        canonical = body.hex()
    material = json.dumps(
        [request.method, request.url.path, request.url.query, caller, canonical],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(material.encode()).hexdigest()


def idempotency_dependency(session_dependency: Any) -> Callable[..., Coroutine[Any, Any, None]]:
    """The dependency, bound to the request's unit of work (`app.core.rest`), which it shares with the
    route: the claim commits with what the route writes."""

    async def idempotency(
        request: Request,
        principal: Annotated[Principal, Depends(get_principal)],
        session: Annotated[AsyncSession, Depends(session_dependency, scope="function")],
        idempotency_key: Annotated[
            str | None,
            Header(alias=HEADER, min_length=1, max_length=255, description=HEADER_DESCRIPTION),
        ] = None,
    ) -> None:
        if idempotency_key is None:
            return
        caller = caller_of(principal)
        digest = await request_hash(request, caller)
        claimed = await _claim(session, caller, idempotency_key, digest)
        if claimed is not None:
            request.state.idempotency_claim = _Claim(claimed, session)
            return
        await _answer_from_earlier(session, caller, idempotency_key, digest)

    return idempotency


async def _claim(session: AsyncSession, caller: str, key: str, digest: str) -> uuid.UUID | None:
    """Insert the claim, or take over an expired one; None when a live claim exists (after waiting for
    a concurrent claim's transaction to end, which the unique index does for us)."""
    now = func.now()
    statement = (
        insert(_table)
        .values(
            id=uuid.uuid4(),
            caller=caller,
            key=key,
            request_hash=digest,
            created_at=now,
            expires_at=now + KEEP_FOR,
        )
        .on_conflict_do_update(
            index_elements=[_table.c.caller, _table.c.key],
            set_={
                "request_hash": digest,
                "created_at": now,
                "expires_at": now + KEEP_FOR,
                "status_code": None,
                "response_headers": None,
                "response_body": None,
            },
            where=_table.c.expires_at < now,
        )
        .returning(_table.c.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def _answer_from_earlier(session: AsyncSession, caller: str, key: str, digest: str) -> None:
    """Raise the earlier answer as a replay, or the reason there is none."""
    waited = 0.0
    while True:
        row = (
            await session.execute(
                select(
                    _table.c.request_hash,
                    _table.c.status_code,
                    _table.c.response_headers,
                    _table.c.response_body,
                ).where(_table.c.caller == caller, _table.c.key == key)
            )
        ).one_or_none()
        if row is None:
            # The earlier claim went away (it failed, or expired and was purged) between our statements.
            raise Conflict(
                "A request with this Idempotency-Key just failed; send it again.",
                errors=[FieldError(("header", HEADER), "Retry.", "idempotency_key_in_progress")],
            )
        if row.request_hash != digest:
            raise ValidationFailed(
                "This Idempotency-Key was used for a different request; use a new key for a new request.",
                errors=[
                    FieldError(
                        ("header", HEADER),
                        "Already used with another method, path, body or caller.",
                        "idempotency_key_reused",
                    )
                ],
            )
        if row.status_code is not None:
            headers = {**(row.response_headers or {}), REPLAYED_MARKER: "true"}
            raise _Replay(Response(content=row.response_body, status_code=row.status_code, headers=headers))
        if waited >= WAIT_FOR_ANSWER_SECONDS:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; try again shortly.",
                errors=[FieldError(("header", HEADER), "In progress.", "idempotency_key_in_progress")],
            )
        await asyncio.sleep(_POLL_SECONDS)
        waited += _POLL_SECONDS


class IdempotentRoute(APIRoute):
    """A route that replays an earlier answer instead of running, and records its own answer when it
    has claimed an `Idempotency-Key`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await handle(request)
            except _Replay as replay:
                return replay.response
            claim: _Claim | None = getattr(request.state, "idempotency_claim", None)
            if claim is not None:
                await _record(claim, response)
            return response

        return handler


async def _record(claim: _Claim, response: Response) -> None:
    """Keep a successful answer for replays, in the route's own transaction (FastAPI commits the unit
    of work only after the route handler has returned its response), so the claim, what the request
    wrote and its answer commit together; forget the claim of any other answer, so a retry runs again.
    """
    body = getattr(response, "body", None)
    if 200 <= response.status_code < 300 and isinstance(body, bytes):
        headers = {name: response.headers[name] for name in REPLAYED_HEADERS if name in response.headers}
        await claim.session.execute(
            update(_table)
            .where(_table.c.id == claim.id)
            .values(status_code=response.status_code, response_headers=headers, response_body=body)
        )
    else:
        await claim.session.execute(delete(_table).where(_table.c.id == claim.id))
