"""The migrations build exactly the schema the models describe, and run both ways."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

import app.models  # noqa: F401
from app.core.db import metadata
from app.core.migrations import alembic_config, head_revision, migrate


def _diff(connection: Connection) -> list:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return compare_metadata(context, metadata)


async def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_diff)
    finally:
        await engine.dispose()
    assert differences == [], f"models and migrations disagree; add a migration: {differences}"


async def test_migrations_upgrade_downgrade_and_upgrade_again(empty_database_url: str) -> None:
    await migrate(empty_database_url)
    engine = create_async_engine(empty_database_url)

    def downgrade_to_base(connection: Connection) -> list[str]:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        return inspect(connection).get_table_names()

    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    try:
        async with engine.begin() as connection:
            remaining = await connection.run_sync(downgrade_to_base)
        assert remaining == ["alembic_version"]
        await migrate(empty_database_url)
        async with engine.connect() as connection:
            assert await connection.run_sync(current) == head_revision()
    finally:
        await engine.dispose()
