"""Configuration: environment variables read once, validated, and passed down explicitly.

Every setting has a safe default so `triangle serve` works on a fresh machine with nothing set.
`DATABASE_URL` unset means the embedded PostgreSQL in the data directory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    database_read_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_READ_URL", "TRIANGLE_DATABASE_READ_URL"),
        description="Optional PostgreSQL URL of a read replica: requests that only read (REST GET, "
        "GraphQL queries) run their SELECTs there; everything a request writes, and every request "
        "that writes, uses `DATABASE_URL`.",
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="The signing keys (`keys/`) and, without `DATABASE_URL`, the embedded PostgreSQL "
        "(`pgdata/`). Default `$XDG_DATA_HOME/triangle`, else `~/.local/share/triangle`.",
    )

    environment: str = Field(
        default="development",
        description="`production` turns GraphQL introspection and GraphiQL off unless "
        "`TRIANGLE_GRAPHQL_INTROSPECTION` / `TRIANGLE_GRAPHQL_IDE` say otherwise; also a label in logs.",
    )
    log_level: str = Field(default="INFO", description="Log level: DEBUG, INFO, WARNING or ERROR.")
    log_json: bool = Field(default=True, description="JSON lines on stderr; `false` for plain text.")

    # Serving (`triangle serve`).
    shutdown_timeout_seconds: int = Field(
        default=30,
        ge=1,
        le=3600,
        description="On SIGTERM/SIGINT, how long requests in flight may take to finish before the "
        "workers are stopped anyway.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        validation_alias=AliasChoices("FORWARDED_ALLOW_IPS", "TRIANGLE_FORWARDED_ALLOW_IPS"),
        description="Comma-separated addresses (or networks) of the proxies whose `X-Forwarded-For` "
        "is believed; the client address (logs, login throttles) comes from it only for those. "
        "`*` trusts everyone: only when nothing but the proxy can reach the service.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to call the APIs from a browser (CORS), comma-separated: "
        "`https://app.example.org,https://admin.example.org`. Empty: no cross-origin calls.",
    )
    metrics_token: str | None = Field(
        default=None,
        description="When set, `GET /metrics` requires `Authorization: Bearer <this token>`.",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="When set, `/metrics` is served on this port only (by `triangle serve`), not "
        "on the API's port.",
    )

    # A request holds one connection from its first statement to its end, so the pool is sized for the
    # requests one worker serves at once: connections beyond it are opened and closed per burst.
    db_pool_size: int = Field(
        default=20,
        ge=1,
        le=200,
        description="Connections kept per worker; a request holds one while it runs, so size it for "
        "the requests a worker serves at once.",
    )
    db_max_overflow: int = Field(
        default=10, ge=0, le=200, description="Connections opened beyond the pool for bursts, then closed."
    )
    # Connections are replaced after this long, before servers, proxies or firewalls drop idle ones.
    db_pool_recycle_seconds: int = Field(
        default=1800,
        ge=30,
        le=86_400,
        description="Connections are replaced after this long (keep it below your proxy's or "
        "firewall's idle timeout).",
    )

    # GraphQL abuse limits (api.md): depth, aliases and tokens are capped.
    # Relay spends two levels per list (edges, node): 14 reaches plans → goals → strategies → action
    # steps → their fields, and no further.
    graphql_max_depth: int = Field(default=14, ge=2, le=50, description="Deepest GraphQL query accepted.")
    graphql_max_aliases: int = Field(
        default=30, ge=1, le=1000, description="Most aliases in one GraphQL document."
    )
    graphql_max_tokens: int = Field(
        default=2000, ge=100, le=100_000, description="Most tokens in one GraphQL document."
    )
    graphql_max_cost: int = Field(
        default=500_000,
        ge=100,
        le=100_000_000,
        description="Highest price of one GraphQL operation: objects it may read (page sizes multiplied "
        "down nested connections) plus the weight of fields computed per object (see Conventions).",
    )
    # Introspection and GraphiQL: on in development, off when `environment` is `production` unless
    # set explicitly (`_production_defaults`).
    graphql_introspection: bool = Field(default=True, description="`false` turns GraphQL introspection off.")
    # Queries seen before run from compiled plans (app.graphql.execution); this many are kept.
    graphql_compiled_queries: int = Field(
        default=256,
        ge=0,
        le=10_000,
        description="Query documents kept compiled per worker; `0` interprets every request.",
    )
    # Run every query both ways and fail loudly when the plan's answer differs from the interpreter's.
    # For the test suite: it doubles the work of every query.
    graphql_verify_compiled: bool = Field(
        default=False,
        description="Run every query through the interpreter and its plan and fail on a difference "
        "(the test suite's setting; doubles the work).",
    )
    graphql_ide: bool = Field(default=True, description="`false` stops serving GraphiQL at `/graphql`.")

    # Tokens (RFC 6749, RFC 7519/8725). Signing keys are `<kid>.pem` files in `jwt_keys_dir` (default
    # `data_dir/keys`, created with one key on first start): the newest signs, every one verifies, so a
    # key is rotated by adding a new file and removed once the tokens it signed have expired.
    jwt_issuer: str = Field(default="triangle", description="The `iss` of issued tokens.")
    jwt_audience: str = Field(default="triangle-api", description="The `aud` of issued access tokens.")
    jwt_keys_dir: Path | None = Field(
        default=None,
        description="ES256 signing keys, `<kid>.pem`; unset: `data_dir/keys`. Created with one key on "
        "first start. Every worker and replica must see the same folder (a shared volume or a "
        "mounted secret): a key added there signs from the next token on, in every process.",
    )
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400, description="Access token lifetime.")
    refresh_token_ttl_days: int = Field(default=30, ge=1, le=365, description="Refresh token lifetime.")

    # Failed password attempts (sign-in, and changing one's own password), see `app.auth.throttle`:
    # `login_max_failures_per_account` for one account from one address, or
    # `login_max_failures_per_account_from_new_addresses` for one account from addresses it never
    # signed in from, or `login_max_failures_per_address` from one address across accounts, within
    # `login_window_seconds`, lock that attempt for `login_lockout_seconds`, doubling with each lock
    # in a row up to `login_max_lockout_seconds`. The owner at an address they signed in from before
    # is never locked by others' failures; a valid API client never by its address's.
    login_max_failures_per_account: int = Field(
        default=5,
        ge=1,
        description="Failed password attempts for one account from one address before that pair is locked.",
    )
    login_max_failures_per_account_from_new_addresses: int = Field(
        default=20,
        ge=1,
        description="Failures for one account from addresses it never signed in from, before it is locked for new addresses.",
    )
    login_max_failures_per_address: int = Field(
        default=30,
        ge=1,
        description="Failures from one address across accounts, before that address is locked for accounts not known there (behind a proxy, see `FORWARDED_ALLOW_IPS`).",
    )
    login_window_seconds: int = Field(default=900, ge=1, description="The window failures are counted in.")
    login_lockout_seconds: int = Field(
        default=60,
        ge=1,
        description="The first lock; each lock in a row lasts twice as long, up to `TRIANGLE_LOGIN_MAX_LOCKOUT_SECONDS`.",
    )
    login_max_lockout_seconds: int = Field(default=86_400, ge=1, description="The longest lock.")

    # The largest OneRoster bundle `POST /sync/oneroster` accepts; larger uploads are refused (413)
    # as they arrive, before they are stored.
    sync_max_upload_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="Largest request body a sync route reads (a OneRoster zip, a JSON batch), in bytes; "
        "larger ones are refused with 413 as they arrive. A 50,000-student bundle zips to about 10 MB.",
    )

    # How long a worker trusts a grant version it looked up without hearing from PostgreSQL
    # (`app.auth.grants`): the bound on a revoked token's life if change notifications stall.
    grant_cache_seconds: int = Field(
        default=30,
        ge=0,
        le=3600,
        description="How long a worker trusts a grant version it looked up if change notifications stall (see Security).",
    )

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
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="This service's public address, for links in webhook payloads and open data.",
    )

    # Webhooks: a subscription URL must resolve to public addresses only (no loopback, private or
    # link-local targets) unless this is set, for a receiver on the same machine or network.
    webhook_allow_private_addresses: bool = Field(
        default=False,
        description="`true` lets webhook subscriptions point at private or loopback addresses, over http too.",
    )
    # Run the webhook delivery worker inside this app's process. `triangle serve` turns it on (unless
    # `--no-worker`: then run `triangle worker` on its own); an app made elsewhere (tests) runs none.
    webhook_worker: bool = Field(
        default=False,
        description="Run the webhook delivery worker in this process (`triangle serve` sets it unless `--no-worker`).",
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, le=60, description="How long an idle webhook worker waits before looking again."
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="How long a webhook receiver has to answer."
    )
    # Retries back off exponentially from the base to the cap; a subscription failing for
    # `webhook_disable_after_seconds` is disabled.
    webhook_retry_base_seconds: float = Field(
        default=30.0,
        ge=0,
        description="First webhook retry delay, doubling each time up to `TRIANGLE_WEBHOOK_RETRY_MAX_SECONDS`.",
    )
    webhook_retry_max_seconds: float = Field(
        default=3600.0, ge=0, description="The longest delay between webhook retries."
    )
    webhook_disable_after_seconds: int = Field(
        default=86_400, ge=1, description="A webhook subscription failing this long is disabled."
    )
    # Sent and given-up deliveries (and their events) are kept this long for the delivery log. Longer
    # than the week a due checkpoint is looked back for, so a pruned `checkpoint.due` is never raised again.
    webhook_retention_days: int = Field(
        default=30,
        ge=8,
        description="Sent and given-up deliveries (and their events) stay in the delivery log this long.",
    )

    # Open data: requests per address per minute, counted in PostgreSQL so every worker agrees.
    open_data_requests_per_minute: int = Field(
        default=120, ge=1, description="Open-data requests per address per minute (counted in PostgreSQL)."
    )
    # The open-data pages may be cached this long by browsers and CDNs.
    open_data_max_age_seconds: int = Field(
        default=300, ge=0, description="How long browsers and CDNs may cache open data."
    )

    @property
    def keys_dir(self) -> Path:
        return self.jwt_keys_dir or self.data_dir / "keys"

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level.upper()

    @field_validator("database_url", "database_read_url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        return to_asyncpg_url(url) if url else None


def settings_reference() -> str:
    """The configuration reference (a Markdown table of every setting: variable, default, meaning),
    made from this class so it cannot drift; the README carries it (`triangle settings-reference`)."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        variables = alias.choices if isinstance(alias, AliasChoices) else [f"TRIANGLE_{name.upper()}"]
        if name == "data_dir":
            default = "`~/.local/share/triangle`"
        elif field.default_factory is not None:
            default = "empty"
        elif field.default is None:
            default = "unset"
        else:
            default = f"`{str(field.default).lower() if isinstance(field.default, bool) else field.default}`"
        rows.append(f"| `{variables[0]}` | {default} | {field.description} |")
    return "\n".join(rows) + "\n"


def to_asyncpg_url(url: str) -> str:
    """Point a PostgreSQL URL at the asyncpg driver, keeping everything else (query string included)."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgresql://…)")


@lru_cache
def get_settings() -> Settings:
    return Settings()
