"""Configuration: environment variables read once, validated, and passed down explicitly.

Every setting has a safe default so `triangle serve` works on a fresh machine with nothing set.
`DATABASE_URL` unset means the embedded PostgreSQL in the data directory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """A per-user data folder, following the XDG base-directory convention."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "triangle"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIANGLE_", extra="ignore", frozen=True)

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "TRIANGLE_DATABASE_URL"),
        description="PostgreSQL URL. Unset: start the embedded PostgreSQL in `data_dir`.",
    )
    data_dir: Path = Field(default_factory=default_data_dir)

    environment: str = "development"
    log_level: str = "INFO"
    log_json: bool = True

    # A request holds one connection from its first statement to its end, so the pool is sized for the
    # requests one worker serves at once: connections beyond it are opened and closed per burst.
    db_pool_size: int = Field(default=20, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    # Connections are replaced after this long, before servers, proxies or firewalls drop idle ones.
    db_pool_recycle_seconds: int = Field(default=1800, ge=30, le=86_400)

    # SIS sync: the largest request body a sync route reads (a OneRoster zip, a JSON batch), in bytes.
    # Larger ones are refused with 413 before they are read. A 50,000-student bundle zips to ~10 MB.
    sis_max_upload_bytes: int = Field(default=256 * 1024**2, ge=1024)

    # GraphQL abuse limits (api.md): depth, aliases and tokens are capped.
    # Relay spends two levels per list (edges, node): 14 reaches plans → goals → strategies → action
    # steps → their fields, and no further.
    graphql_max_depth: int = Field(default=14, ge=2, le=50)
    graphql_max_aliases: int = Field(default=30, ge=1, le=1000)
    graphql_max_tokens: int = Field(default=2000, ge=100, le=100_000)
    graphql_introspection: bool = True
    # Queries seen before run from compiled plans (app.graphql.execution); this many are kept.
    graphql_compiled_queries: int = Field(default=256, ge=0, le=10_000)
    # Run every query both ways and fail loudly when the plan's answer differs from the interpreter's.
    # For the test suite: it doubles the work of every query.
    graphql_verify_compiled: bool = False
    graphql_ide: bool = True

    # Tokens (RFC 6749, RFC 7519/8725). Signing keys are `<kid>.pem` files in `jwt_keys_dir` (default
    # `data_dir/keys`, created with one key on first start): the newest signs, every one verifies, so a
    # key is rotated by adding a new file and removed once the tokens it signed have expired.
    jwt_issuer: str = "triangle"
    jwt_audience: str = "triangle-api"
    jwt_keys_dir: Path | None = None
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=365)

    # Failed sign-ins: after `login_max_failures_per_account` failures for one account (or
    # `login_max_failures_per_address` from one address) within `login_window_seconds`, further
    # attempts are refused for `login_lockout_seconds`.
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=30, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    login_lockout_seconds: int = Field(default=900, ge=1)

    @property
    def keys_dir(self) -> Path:
        return self.jwt_keys_dir or self.data_dir / "keys"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        return to_asyncpg_url(url) if url else None


def to_asyncpg_url(url: str) -> str:
    """Point a PostgreSQL URL at the asyncpg driver, keeping everything else (query string included)."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgresql://…)")


@lru_cache
def get_settings() -> Settings:
    return Settings()
