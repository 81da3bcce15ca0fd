"""Who is calling: resolved once per request from the bearer token, passed to every service call.

Both transports take the principal from the same dependency (`app.auth.dependencies.get_principal`):
REST routes through `Depends`, GraphQL through its context getter, which is itself a FastAPI dependency.
The token carries who the caller is, its district and its roles or scopes; the database stays the
authority for what exists.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from app.identity.models import Role


class PrincipalKind(StrEnum):
    ANONYMOUS = "anonymous"
    USER = "user"
    CLIENT = "client"
    # The operator of this installation acting from the command line (create-admin, demo, imports).
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Grant:
    """A role held in the principal's district (`school_id` None) or at one school."""

    role: Role
    school_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    id: uuid.UUID | None = None
    district_id: uuid.UUID | None = None
    grants: tuple[Grant, ...] = ()
    scopes: frozenset[str] = field(default_factory=frozenset)
    # For audit events and logs: an email or a client name, never a secret.
    label: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.kind is not PrincipalKind.ANONYMOUS


ANONYMOUS = Principal(kind=PrincipalKind.ANONYMOUS)
SYSTEM = Principal(kind=PrincipalKind.SYSTEM, label="system")
