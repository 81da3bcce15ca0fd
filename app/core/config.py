"""Configuration: environment variables read once, validated, and passed down explicitly.

Every setting has a safe default so `triangle serve` works on a fresh machine with nothing set.
`DATABASE_URL` unset means the embedded PostgreSQL in the data directory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
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
        default="development", description="A label for logs: `production`, `staging`, …"
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

    # Failed sign-ins: after `login_max_failures_per_account` failures for one account (or
    # `login_max_failures_per_address` from one address) within `login_window_seconds`, further
    # attempts are refused for `login_lockout_seconds`.
    login_max_failures_per_account: int = Field(
        default=5, ge=1, description="Failed sign-ins for one account before it is locked out."
    )
    login_max_failures_per_address: int = Field(
        default=30,
        ge=1,
        description="Failed sign-ins from one client address before it is locked out (behind a proxy, "
        "see `FORWARDED_ALLOW_IPS`).",
    )
    login_window_seconds: int = Field(default=900, ge=1, description="The window failures are counted in.")
    login_lockout_seconds: int = Field(default=900, ge=1, description="How long a lockout lasts.")

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
