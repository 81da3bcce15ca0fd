"""Alembic, driven from code: `triangle migrate`, `triangle serve`, `/readyz` and the tests share it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def migrations_dir() -> Path:
    """`app/_migrations` in an installed wheel; the repository's `migrations/` in a checkout."""
    for candidate in (_PACKAGE_DIR / "_migrations", _PACKAGE_DIR.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise RuntimeError("Alembic migrations not found next to the app package")


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if database_url:
        # ConfigParser interpolation: a literal % in a URL must be doubled.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


# Held (transaction-scoped) while migrations run, so that processes migrating one database at the same
# time (`triangle serve` starting while `triangle demo` runs, several instances starting together) take
# turns: the second finds the database at head once the first has committed, and does nothing.
_MIGRATION_LOCK = 0x7472_6961_6E67_6C65  # "triangle"


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Apply every pending migration in one transaction, one migrating process at a time."""

    def _upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        await connection.run_sync(_upgrade)


async def migrate(database_url: str) -> None:
    """Bring the database to the head revision. A database already there is left alone without
    running Alembic's environment, which imports every table model (and with them much of the service):
    a console command against an up-to-date database then starts in a fraction of the time."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(current_revision)
        if current is None or current != head_revision():
            await upgrade_to_head(engine)
    finally:
        await engine.dispose()
