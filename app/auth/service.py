"""Token grants (RFC 6749): password, client credentials and refresh token, plus revocation (RFC 7009).

Access tokens are short-lived signed JWTs carrying who the caller is, its district and its roles or
scopes. Refresh tokens are opaque random strings stored only as digests, so they can be revoked:
logout, a password change and deactivation end them. Failed sign-ins are throttled per account and per
address, counted in PostgreSQL so every worker sees the same numbers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import throttle
from app.auth.grants import GrantVersions, end_grant, grant_version
from app.auth.models import RefreshToken
from app.auth.permissions import Scope
from app.auth.principal import Grant, Principal, PrincipalKind
from app.core.config import Settings
from app.core.db import session_scope
from app.core.errors import DomainError, RateLimited
from app.core.models import utcnow
from app.core.security import (
    InvalidToken,
    TokenSigner,
    burn_verify_time,
    fingerprint,
    new_token_secret,
    verify_secret,
)
from app.identity.models import ApiClient, RoleAssignment, User

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105  RFC 9068: an access token can never be mistaken for another kind
# The grant version an access token was issued under (`app.auth.grants`).
GRANT_VERSION_CLAIM = "gv"


class OAuthError(DomainError):
    """An RFC 6749 §5.2 error: rendered as `{"error": …, "error_description": …}`, not a problem."""

    code = "oauth_error"
    title = "OAuth error"
    status = 400
    description = "The token request was refused; `error` says why (RFC 6749 §5.2)."
    error: ClassVar[str] = "invalid_request"


class InvalidRequest(OAuthError):
    code = "invalid_request"
    error = "invalid_request"


class InvalidClient(OAuthError):
    code = "invalid_client"
    error = "invalid_client"
    status = 401


class InvalidGrant(OAuthError):
    code = "invalid_grant"
    error = "invalid_grant"


class InvalidScope(OAuthError):
    code = "invalid_scope"
    error = "invalid_scope"


class UnsupportedGrantType(OAuthError):
    code = "unsupported_grant_type"
    error = "unsupported_grant_type"


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None


# --- principals in and out of tokens ----------------------------------------------------------------


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The principal a verified access token describes; a token of unknown shape is invalid."""
    try:
        kind = PrincipalKind(claims["kind"])
        district_id = uuid.UUID(claims["district"])
        subject = uuid.UUID(claims["sub"])
        if kind is PrincipalKind.USER:
            grants = tuple(
                Grant(role=role, school_id=uuid.UUID(school) if school else None)
                for role, school in claims["roles"]
            )
            return Principal(
                kind=kind, id=subject, district_id=district_id, grants=grants, label=claims.get("name")
            )
        if kind is PrincipalKind.CLIENT:
            scopes = frozenset(str(claims["scope"]).split())
            return Principal(
                kind=kind, id=subject, district_id=district_id, scopes=scopes, label=claims.get("name")
            )
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidToken("unexpected claims") from exc
    raise InvalidToken("unexpected principal kind")


def _user_claims(user: User, grants: list[RoleAssignment], version: int) -> dict[str, Any]:
    return {
        "kind": PrincipalKind.USER.value,
        "district": str(user.district_id),
        "name": user.email,
        "roles": [[g.role.value, str(g.school_id) if g.school_id else None] for g in grants],
        GRANT_VERSION_CLAIM: version,
    }


def _issue_access(signer: TokenSigner, settings: Settings, subject: uuid.UUID, claims: dict[str, Any]) -> str:
    return signer.issue(
        subject=str(subject),
        audience=settings.jwt_audience,
        ttl=timedelta(seconds=settings.access_token_ttl_seconds),
        token_type=ACCESS_TOKEN_TYPE,
        claims=claims,
    )


def verify_access_token(signer: TokenSigner, settings: Settings, token: str) -> Principal:
    """The principal of a validly signed access token; `InvalidToken` for anything else. Says
    nothing about whether its grant still holds: `authenticate` does."""
    claims = signer.verify(token, audience=settings.jwt_audience, token_type=ACCESS_TOKEN_TYPE)
    return principal_from_claims(claims)


# The principal of each verified token, beside the claims it was made from. `principal_from_claims` is
# a pure function of the claims, which `TokenSigner.verify` keeps per token while the token is valid,
# and a `Principal` is immutable: a client presenting the same token call after call gets the same
# principal without parsing its ids and grants again. An entry is used only with the very claims
# object it was made from, so a token verified afresh (its key rotated, its cache entry expired) makes
# its principal afresh too.
_PRINCIPALS: dict[str, tuple[dict[str, Any], Principal]] = {}
_PRINCIPALS_KEPT = 10_000


def _principal_of(token: str, claims: dict[str, Any]) -> Principal:
    kept = _PRINCIPALS.get(token)
    if kept is not None and kept[0] is claims:
        return kept[1]
    principal = principal_from_claims(claims)
    if len(_PRINCIPALS) >= _PRINCIPALS_KEPT:
        _PRINCIPALS.clear()
    _PRINCIPALS[token] = (claims, principal)
    return principal


async def authenticate(
    signer: TokenSigner, settings: Settings, versions: GrantVersions, token: str
) -> Principal:
    """The principal of an access token that is validly signed, unexpired, and issued under the
    principal's current grant; `InvalidToken` for anything else.

    The signature check is cached per token (`TokenSigner.verify`): a pure function of the token and
    our keys. The grant is checked on every request, against a version this worker keeps until
    PostgreSQL says it changed (`app.auth.grants`), so a deactivated account, a removed role, a
    revoked client or a revoked token is refused from the next request on.
    """
    claims = signer.verify(token, audience=settings.jwt_audience, token_type=ACCESS_TOKEN_TYPE)
    principal = _principal_of(token, claims)
    issued_under = claims.get(GRANT_VERSION_CLAIM, 0)
    if not isinstance(issued_under, int) or principal.id is None:
        raise InvalidToken("unexpected claims")
    if issued_under < await versions.current(principal.id):
        raise InvalidToken("grant ended")
    return principal


# --- grants -----------------------------------------------------------------------------------------


async def password_grant(
    factory: async_sessionmaker[AsyncSession],
    signer: TokenSigner,
    settings: Settings,
    *,
    username: str,
    password: str,
    address: str,
) -> IssuedTokens:
    """Sign a person in. `RateLimited` while the attempt is locked out (`app.auth.throttle`),
    `InvalidGrant` for a wrong email or password or an inactive account (the same answer for each, so
    accounts cannot be enumerated).

    Emails are unique per district, not across districts: with accounts in several districts under
    one email, the password opens the oldest account it matches."""
    async with session_scope(factory) as session:
        accounts = list(
            await session.scalars(
                select(User)
                .where(func.lower(User.email) == username.strip().lower())
                .order_by(User.created_at, User.id)
            )
        )
    user = await throttle.check_passwords(
        factory, settings, email=username, accounts=accounts, password=password, address=address
    )
    if user is None:
        raise InvalidGrant("The email or password is wrong, or the account is not active.")

    async with session_scope(factory) as session:
        grants = await _grants_of(session, user.id)
        version = await grant_version(session, user.id)
        refresh = await _new_refresh_token(session, settings, user.id, family_id=uuid.uuid4())
    access = _issue_access(signer, settings, user.id, _user_claims(user, grants, version))
    return IssuedTokens(access, settings.access_token_ttl_seconds, "", refresh)


async def client_credentials_grant(
    factory: async_sessionmaker[AsyncSession],
    signer: TokenSigner,
    settings: Settings,
    *,
    client_id: str,
    client_secret: str,
    requested_scope: str | None,
    address: str,
) -> IssuedTokens:
    """Authenticate an integrator's ApiClient. `InvalidClient` for an unknown, revoked or wrongly
    authenticated client; `InvalidScope` when it asks for a scope it was not granted. No refresh token:
    a client simply asks again (RFC 6749 §4.4.3).

    An address locked out for failed attempts still serves a client whose secret is right (a SIS
    host may share its address with a guesser); a wrong one from there is refused with
    `RateLimited` before its hash is checked."""
    place = throttle.address_key(address)
    async with session_scope(factory) as session:
        locked = await throttle.locked_for(session, [place])
        client = await session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
        version = await grant_version(session, client.id) if client is not None else 0
    if client is None and locked is None:
        burn_verify_time(client_secret)
    ok = client is not None and client.revoked_at is None and verify_secret(client.secret_hash, client_secret)
    if not ok or client is None:
        if locked is not None:
            raise RateLimited(
                f"Too many failed attempts; try again in {locked} seconds.", extra={"retry_after": locked}
            )
        async with session_scope(factory) as session:
            await throttle.record_failure(session, place, settings, settings.login_max_failures_per_address)
        raise InvalidClient("Unknown client, wrong secret, or the client was revoked.")

    granted = set(client.scopes)
    scopes = granted if not requested_scope else set(requested_scope.split())
    if not scopes <= granted or not scopes <= {s.value for s in Scope}:
        raise InvalidScope(f"This client may ask only for: {' '.join(sorted(granted))}.")
    scope = " ".join(sorted(scopes))
    claims = {
        "kind": PrincipalKind.CLIENT.value,
        "district": str(client.district_id),
        "name": client.name,
        "scope": scope,
        GRANT_VERSION_CLAIM: version,
    }
    access = _issue_access(signer, settings, client.id, claims)
    return IssuedTokens(access, settings.access_token_ttl_seconds, scope)


async def refresh_token_grant(
    factory: async_sessionmaker[AsyncSession], signer: TokenSigner, settings: Settings, *, refresh_token: str
) -> IssuedTokens:
    """Trade a refresh token for a new access token and a new refresh token (rotation).

    Roles are read again from the database, so a role granted or revoked since sign-in takes effect.
    A refresh token used twice means it was stolen: its whole family is revoked and the grant refused.
    """
    reuse_detected = False
    async with session_scope(factory) as session:
        # Locked, so two concurrent uses of one token cannot both rotate it.
        stored = await session.scalar(
            select(RefreshToken)
            .where(RefreshToken.token_digest == fingerprint(refresh_token))
            .with_for_update()
        )
        if stored is None:
            raise InvalidGrant("Unknown refresh token.")
        now = utcnow()
        if stored.revoked_at is not None:
            await _revoke_family(session, stored.family_id, now)  # committed: the refusal must stick
            reuse_detected = True
        else:
            if stored.expires_at <= now:
                raise InvalidGrant("The refresh token has expired; sign in again.")
            user = await session.get(User, stored.user_id)
            if user is None or not user.is_active:
                raise InvalidGrant("The account is not active.")
            stored.revoked_at = now
            grants = await _grants_of(session, user.id)
            version = await grant_version(session, user.id)
            new_refresh = await _new_refresh_token(session, settings, user.id, family_id=stored.family_id)
    if reuse_detected:
        raise InvalidGrant("This refresh token was already used or revoked; sign in again.")
    access = _issue_access(signer, settings, user.id, _user_claims(user, grants, version))
    return IssuedTokens(access, settings.access_token_ttl_seconds, "", new_refresh)


async def revoke_refresh_token(factory: async_sessionmaker[AsyncSession], token: str) -> None:
    """Log out: end the refresh token's whole family. Unknown tokens are ignored (RFC 7009 §2.2)."""
    async with session_scope(factory) as session:
        stored = await session.scalar(
            select(RefreshToken).where(RefreshToken.token_digest == fingerprint(token))
        )
        if stored is not None:
            await _revoke_family(session, stored.family_id, utcnow())


async def revoke_token(
    factory: async_sessionmaker[AsyncSession], signer: TokenSigner, settings: Settings, token: str
) -> None:
    """RFC 7009 revocation of either kind of token. A refresh token ends its family; an access token
    ends with every other access token of its user or client issued so far (a grant version cannot
    single one out), from the next request on. Refresh tokens of the user's other sessions still
    work, so those sessions simply refresh. Anything else is ignored, as RFC 7009 §2.2 asks."""
    try:
        principal = verify_access_token(signer, settings, token)
    except InvalidToken:
        await revoke_refresh_token(factory, token)
        return
    if principal.id is not None:
        async with session_scope(factory) as session:
            await end_grant(session, principal.id)


async def revoke_all_refresh_tokens(session: AsyncSession, user_id: uuid.UUID) -> None:
    """End every session of a user (password change, deactivation). Flushes; the caller commits."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


# --- helpers ----------------------------------------------------------------------------------------


async def _grants_of(session: AsyncSession, user_id: uuid.UUID) -> list[RoleAssignment]:
    stmt = select(RoleAssignment).where(RoleAssignment.user_id == user_id).order_by(RoleAssignment.created_at)
    return list((await session.execute(stmt)).scalars())


async def _new_refresh_token(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, family_id: uuid.UUID
) -> str:
    token = new_token_secret()
    session.add(
        RefreshToken(
            user_id=user_id,
            family_id=family_id,
            token_digest=fingerprint(token),
            expires_at=utcnow() + timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    await session.flush()
    return token


async def _revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
