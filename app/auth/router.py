"""The token endpoint (RFC 6749) and revocation (RFC 7009). Form-encoded in, JSON out, never cached."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal
from urllib.parse import unquote_plus

from fastapi import Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from app.auth import service
from app.auth.service import InvalidClient, InvalidRequest, OAuthError, UnsupportedGrantType
from app.core.errors import RateLimited
from app.core.problems import problem_responses
from app.core.rest import AreaRouter

router = AreaRouter(prefix="/auth", tags=["auth"], responses=problem_responses(422))

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str | None = Field(
        default=None,
        description="Password and refresh grants only. Single use: each refresh returns a new one.",
    )
    scope: str | None = Field(
        default=None, description="Client credentials: the scopes granted, space-separated."
    )


class OAuthErrorResponse(BaseModel):
    error: str = Field(description="RFC 6749 §5.2 code: invalid_request, invalid_client, invalid_grant, …")
    error_description: str | None = None


def oauth_error_response(exc: OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if isinstance(exc, InvalidClient):
        headers["WWW-Authenticate"] = 'Basic realm="triangle"'
    return JSONResponse(
        {"error": exc.error, "error_description": exc.detail}, status_code=exc.status, headers=headers
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """Client id and secret from HTTP Basic (RFC 6749 §2.3.1: each form-urlencoded, then joined)."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("Malformed Basic credentials.") from exc
    if not sep:
        raise InvalidClient("Malformed Basic credentials.")
    return unquote_plus(client_id), unquote_plus(secret)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


FormField = Annotated[str | None, Form(max_length=4096)]


@router.post(
    "/token",
    response_model=TokenResponse,
    responses={
        400: {"model": OAuthErrorResponse, "description": "invalid_request, invalid_grant, invalid_scope, …"},
        401: {"model": OAuthErrorResponse, "description": "invalid_client"},
        429: {"model": OAuthErrorResponse, "description": "Too many failed attempts; see `Retry-After`."},
    },
)
async def issue_token(
    request: Request,
    grant_type: FormField = None,
    username: FormField = None,
    password: FormField = None,
    client_id: FormField = None,
    client_secret: FormField = None,
    refresh_token: FormField = None,
    scope: FormField = None,
) -> Response:
    """Get an access token (`application/x-www-form-urlencoded`, RFC 6749).

    - People: `grant_type=password&username=EMAIL&password=…` → an access token and a refresh token.
    - Integrators: `grant_type=client_credentials` with the client id and secret in HTTP Basic or as
      `client_id`/`client_secret` form fields, optionally `scope=` (a subset of the client's scopes).
    - Renewal: `grant_type=refresh_token&refresh_token=…` → new tokens; the old refresh token is spent.

    Send the access token as `Authorization: Bearer <token>`. Errors are RFC 6749 JSON
    (`{"error": "invalid_grant", …}`); repeated failures are throttled with 429 and `Retry-After`.
    """
    state = request.app.state
    try:
        if grant_type == "password":
            if not username or password is None:
                raise InvalidRequest("The password grant needs `username` and `password`.")
            issued = await service.password_grant(
                state.session_factory,
                state.token_signer,
                state.settings,
                username=username,
                password=password,
                address=_address(request),
            )
        elif grant_type == "client_credentials":
            basic = _basic_credentials(request)
            if basic is not None and (client_id or client_secret):
                raise InvalidRequest("Send client credentials one way: HTTP Basic or form fields, not both.")
            cid, secret = basic or (client_id, client_secret)
            if not cid or not secret:
                raise InvalidClient("Client authentication needs a client id and secret.")
            issued = await service.client_credentials_grant(
                state.session_factory,
                state.token_signer,
                state.settings,
                client_id=cid,
                client_secret=secret,
                requested_scope=scope,
                address=_address(request),
            )
        elif grant_type == "refresh_token":
            if not refresh_token:
                raise InvalidRequest("The refresh_token grant needs `refresh_token`.")
            issued = await service.refresh_token_grant(
                state.session_factory, state.token_signer, state.settings, refresh_token=refresh_token
            )
        elif grant_type is None:
            raise InvalidRequest("`grant_type` is required.")
        else:
            raise UnsupportedGrantType("Supported: password, client_credentials, refresh_token.")
    except OAuthError as exc:
        return oauth_error_response(exc)
    except RateLimited as exc:
        return JSONResponse(
            {"error": "invalid_request", "error_description": exc.detail},
            status_code=429,
            headers={**NO_STORE, "Retry-After": str(exc.extra["retry_after"])},
        )
    body = TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
        scope=issued.scope or None,
    )
    return JSONResponse(body.model_dump(exclude_none=True), headers=NO_STORE)


@router.post(
    "/revoke",
    status_code=200,
    # The answer is an empty body (RFC 7009 §2.2): declared so, not as JSON a generated client would parse.
    response_class=Response,
    responses={200: {"description": "Revoked (or never known): an empty body."}},
)
async def revoke_token(request: Request, token: Annotated[str, Form(max_length=4096)]) -> Response:
    """Log out (RFC 7009): revoke a refresh token and every token rotated from it, or an access
    token, which ends (with every other access token of its account or client issued so far) from
    the next request on.

    Always answers 200, even for a token that was unknown or already revoked, so the endpoint says
    nothing about which tokens exist.
    """
    state = request.app.state
    await service.revoke_token(state.session_factory, state.token_signer, state.settings, token)
    return Response(status_code=200, headers=NO_STORE)
