"""Field permissions for GraphQL: the entry check before any resolver runs.

Each field on `Query` and `Mutation` declares `permission_classes` (a test walks the schema and fails
when one does not, unless the field is on the explicit public list). The classes only ask the one
policy; the fine-grained rules (role, school, district) are applied by the services both APIs share.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from app.auth.policy import require_authenticated

# Fields anyone may call without a token. Empty today: even `node` answers only for the caller.
PUBLIC_FIELDS: frozenset[str] = frozenset()


class IsAuthenticated(BasePermission):
    """The caller presented a valid access token (a person or an API client)."""

    message = "Send a bearer token: Authorization: Bearer <access token>."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # Raises `Unauthenticated` (a domain error, reported with extensions.code) for anonymous callers,
        # saying why when a token was sent and refused.
        if info.context.token_refusal is not None:
            raise info.context.token_refusal
        require_authenticated(info.context.principal)
        return True


AUTHENTICATED = [IsAuthenticated]
