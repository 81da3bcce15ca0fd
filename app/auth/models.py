"""What authentication keeps in the database: refresh tokens, login throttles, the addresses an
account signs in from, and the grant version that ends access tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from app.core.models import EntityBase


class RefreshToken(EntityBase, table=True):
    """An opaque, revocable refresh token, stored only as its SHA-256 digest.

    Refresh tokens rotate: each use issues a new one in the same `family_id` and revokes the old. A
    revoked token presented again means it leaked, so the whole family is revoked (RFC 6749 §10.4,
    OAuth 2.0 Security BCP).
    """

    __tablename__ = "refresh_token"

    user_id: uuid.UUID = Field(foreign_key="user_account.id", nullable=False, index=True, ondelete="CASCADE")
    family_id: uuid.UUID = Field(nullable=False, index=True)
    token_digest: str = Field(max_length=64, nullable=False, unique=True)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class LoginThrottle(SQLModel, table=True):
    """Failed password attempts counted per key in a window (see `app.auth.throttle` for the keys).

    Kept in PostgreSQL, not in process memory, so every worker and every instance sees the same count.
    `lockouts` counts the locks in a row, so each lock lasts twice as long as the one before.
    """

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=400)
    failures: int = Field(default=0, nullable=False)
    window_started_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    lockouts: int = Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})


class KnownSignInAddress(SQLModel, table=True):
    """An address an account has signed in from with its password. Its owner is never locked out
    from here by failures that come from elsewhere, or by other accounts' failures at this address."""

    __tablename__ = "known_sign_in_address"

    user_id: uuid.UUID = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    address: str = Field(primary_key=True, max_length=64)
    last_signed_in_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)


class GrantVersion(SQLModel, table=True):
    """How many times a principal's grant has ended: a user deactivated, a role taken away, a
    password set, an API client revoked, an access token revoked. An access token carries the version
    it was issued under (`gv`) and dies once the version moves past it (`app.auth.grants`).

    No row means version 0. `principal_id` is a user's or an API client's id (the two never collide:
    both are random UUIDs), so no foreign key.
    """

    __tablename__ = "grant_version"

    principal_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(default=0, nullable=False)
    changed_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
