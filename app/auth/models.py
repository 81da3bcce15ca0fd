"""What authentication keeps in the database: refresh tokens and login throttles."""

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
    """Failed sign-ins counted per key (`account:<email>` or `address:<ip>`) in a sliding window.

    Kept in PostgreSQL, not in process memory, so every worker and every instance sees the same count.
    """

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=400)
    failures: int = Field(default=0, nullable=False)
    window_started_at: datetime = Field(sa_type=DateTime(timezone=True), nullable=False)
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
