"""The one principal dependency, shared by REST routes and the GraphQL context."""

from __future__ import annotations

import logging

from fastapi import Request

from app.auth.principal import ANONYMOUS, Principal
from app.auth.service import authenticate
from app.auth.throttle import PasswordAttempt
from app.core.errors import Unauthenticated
from app.core.request_context import note_principal
from app.core.security import InvalidToken

logger = logging.getLogger(__name__)


def client_address(request: Request) -> str:
    """The caller's address, as the server sees it (behind a proxy, run uvicorn with
    `--proxy-headers` and `--forwarded-allow-ips` so this is the client's, not the proxy's)."""
    return request.client.host if request.client else "unknown"


def password_attempt(request: Request) -> PasswordAttempt:
    """What checking a person's password in this request needs (`app.auth.throttle`)."""
    state = request.app.state
    return PasswordAttempt(state.session_factory, state.settings, client_address(request))


async def get_principal(request: Request) -> Principal:
    """Resolve the caller of this request from `Authorization: Bearer <token>` (RFC 6750).

    No header: the anonymous principal, which the policy refuses everywhere but on public fields (so
    GraphiQL's page still loads). A header that is not a valid access token, or one whose grant has
    ended since it was issued (`app.auth.grants`): 401, whatever the route.
    """
    header = request.headers.get("authorization")
    if header is None:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Use `Authorization: Bearer <access token>`.")
    try:
        state = request.app.state
        principal = await authenticate(
            state.token_signer, state.settings, state.grant_versions, token.strip()
        )
    except InvalidToken as exc:
        # The reason is logged for operators, never the token itself.
        logger.info("access token refused", extra={"reason": str(exc)})
        raise Unauthenticated("The access token is invalid or expired.") from exc
    note_principal(principal.id)  # the request's log lines name the caller
    return principal
