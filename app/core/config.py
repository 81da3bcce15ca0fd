"""Configuration: environment variables read once, validated, and passed down explicitly.

Every setting has a safe default so `triangle serve` works on a fresh machine with nothing set.
`DATABASE_URL` unset means the embedded PostgreSQL in the data directory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, field_validator, model_validator
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

    # GraphQL abuse limits (api.md): depth, aliases and tokens are capped.
    # Relay spends two levels per list (edges, node): 14 reaches plans → goals → strategies → action
    # steps → their fields, and no further.
    graphql_max_depth: int = Field(default=14, ge=2, le=50)
    graphql_max_aliases: int = Field(default=30, ge=1, le=1000)
    graphql_max_tokens: int = Field(default=2000, ge=100, le=100_000)
    # The most an operation may cost before it runs: objects it may read (page sizes multiplied down
    # nested connections) plus the declared weight of fields computed per object (app/graphql/cost.py).
    graphql_max_cost: int = Field(default=500_000, ge=100, le=100_000_000)
    # Introspection and GraphiQL: on in development, off when `environment` is `production` unless
    # set explicitly (`_production_defaults`).
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

    # Failed password attempts (sign-in, and changing one's own password), see `app.auth.throttle`:
    # `login_max_failures_per_account` for one account from one address, or
    # `login_max_failures_per_account_from_new_addresses` for one account from addresses it never
    # signed in from, or `login_max_failures_per_address` from one address across accounts, within
    # `login_window_seconds`, lock that attempt for `login_lockout_seconds`, doubling with each lock
    # in a row up to `login_max_lockout_seconds`. The owner at an address they signed in from before
    # is never locked by others' failures; a valid API client never by its address's.
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_account_from_new_addresses: int = Field(default=20, ge=1)
    login_max_failures_per_address: int = Field(default=30, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    login_lockout_seconds: int = Field(default=60, ge=1)
    login_max_lockout_seconds: int = Field(default=86_400, ge=1)

    # The largest OneRoster bundle `POST /sync/oneroster` accepts; larger uploads are refused (413)
    # as they arrive, before they are stored.
    sync_max_upload_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)

    # How long a worker trusts a grant version it looked up without hearing from PostgreSQL
    # (`app.auth.grants`): the bound on a revoked token's life if change notifications stall.
    grant_cache_seconds: int = Field(default=30, ge=0, le=3600)

    @model_validator(mode="before")
    @classmethod
    def _production_defaults(cls, values: Any) -> Any:
        """In production, GraphQL introspection and GraphiQL are off unless switched on explicitly:
        a production schema is for the clients built against the committed SDL, not for exploring."""
        if isinstance(values, dict) and str(values.get("environment", "")).lower() == "production":
            values.setdefault("graphql_introspection", False)
            values.setdefault("graphql_ide", False)
        return values

    # Where links in webhook payloads and open-data files point: this service's public address.
    public_base_url: str = "http://127.0.0.1:8000"

    # Webhooks: a subscription URL must resolve to public addresses only (no loopback, private or
    # link-local targets) unless this is set, for a receiver on the same machine or network.
    webhook_allow_private_addresses: bool = False
    # Run the webhook delivery worker inside this app's process. `triangle serve` turns it on (unless
    # `--no-worker`: then run `triangle worker` on its own); an app made elsewhere (tests) runs none.
    webhook_worker: bool = False
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Retries back off exponentially from the base to the cap; a subscription failing for
    # `webhook_disable_after_seconds` is disabled.
    webhook_retry_base_seconds: float = Field(default=30.0, ge=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, ge=0)
    webhook_disable_after_seconds: int = Field(default=86_400, ge=1)
    # Sent and given-up deliveries (and their events) are kept this long for the delivery log. Longer
    # than the week a due checkpoint is looked back for, so a pruned `checkpoint.due` is never raised again.
    webhook_retention_days: int = Field(default=30, ge=8)

    # Open data: requests per address per minute, counted in PostgreSQL so every worker agrees.
    open_data_requests_per_minute: int = Field(default=120, ge=1)
    # The open-data pages may be cached this long by browsers and CDNs.
    open_data_max_age_seconds: int = Field(default=300, ge=0)

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
