"""The one principal dependency, shared by REST routes and the GraphQL context."""

from __future__ import annotations

import logging

from fastapi import Request

from app.auth.principal import ANONYMOUS, Principal
from app.auth.service import verify_access_token
from app.core.errors import Unauthenticated
from app.core.request_context import note_principal
from app.core.security import InvalidToken

logger = logging.getLogger(__name__)


async def get_principal(request: Request) -> Principal:
    """Resolve the caller of this request from `Authorization: Bearer <token>` (RFC 6750).

    No header: the anonymous principal, which the policy refuses everywhere but on public fields (so
    GraphiQL's page still loads). A header that is not a valid access token: 401, whatever the route.
    """
    header = request.headers.get("authorization")
    if header is None:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Use `Authorization: Bearer <access token>`.")
    try:
        principal = verify_access_token(
            request.app.state.token_signer, request.app.state.settings, token.strip()
        )
    except InvalidToken as exc:
        # The reason is logged for operators, never the token itself.
        logger.info("access token refused", extra={"reason": str(exc)})
        raise Unauthenticated("The access token is invalid or expired.") from exc
    note_principal(principal.id)  # the request's log lines name the caller
    return principal
