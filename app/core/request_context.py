"""What the logs, audit events and problem documents need to know about the request being served.

The request id, who is calling and from where, and whether the database failed it, in context
variables: tasks a request starts (strawberry's resolvers) copy the context, so they see the same
request. The principal and database flags live in one mutable `RequestFacts` per request, so what a
child task learns (the caller, once the token is verified) reaches the request's own log lines.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


@dataclass(slots=True)
class RequestFacts:
    client_address: str | None = None
    principal_id: str | None = None
    # Set when something in the request found the database unreachable: the answer becomes a 503.
    database_unavailable: bool = False


_facts: ContextVar[RequestFacts | None] = ContextVar("request_facts", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(request_id: str | None) -> object:
    return _request_id.set(request_id)


def current_facts() -> RequestFacts | None:
    return _facts.get()


def begin_request(facts: RequestFacts) -> object:
    return _facts.set(facts)


def note_principal(principal_id: object) -> None:
    """Name the caller in the request's later log lines."""
    facts = _facts.get()
    if facts is not None and principal_id is not None:
        facts.principal_id = str(principal_id)


def note_database_unavailable() -> None:
    facts = _facts.get()
    if facts is not None:
        facts.database_unavailable = True
