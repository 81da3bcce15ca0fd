"""Alembic, driven from code: `triangle migrate`, `triangle serve`, `/readyz` and the tests share it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Alembic takes a second or more to import: only the commands that migrate load it.
    from alembic.config import Config
    from sqlalchemy import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def migrations_dir() -> Path:
    """`app/_migrations` in an installed wheel; the repository's `migrations/` in a checkout."""
    for candidate in (_PACKAGE_DIR / "_migrations", _PACKAGE_DIR.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise RuntimeError("Alembic migrations not found next to the app package")


def alembic_config(database_url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if database_url:
        # ConfigParser interpolation: a literal % in a URL must be doubled.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*(.*)$", re.MULTILINE)


def script_head() -> str | None:
    """The head revision read straight from the migration files' `revision` / `down_revision` lines,
    without importing Alembic; None when that is not one clear head (Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (migrations_dir() / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


# Held (transaction-scoped) while migrations run, so that processes migrating one database at the same
# time (`triangle serve` starting while `triangle demo` runs, several instances starting together) take
# turns: the second finds the database at head once the first has committed, and does nothing.
_MIGRATION_LOCK = 0x7472_6961_6E67_6C65  # "triangle"


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Apply every pending migration in one transaction, one migrating process at a time."""
    from alembic import command
    from sqlalchemy import text

    def _upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        await connection.run_sync(_upgrade)


async def migrate(database_url: str) -> None:
    """Bring the database to the head revision. A database already there is left alone without
    running Alembic's environment, which imports every table model (and with them much of the service),
    and without importing Alembic at all: the database's `alembic_version` is read directly and
    compared with the head named in the migration files (`script_head`). A console command against an
    up-to-date database then starts in a fraction of the time."""
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        head = script_head()
        if head is not None:
            try:
                async with engine.connect() as connection:
                    current = (
                        await connection.execute(text("SELECT version_num FROM alembic_version"))
                    ).all()
            except ProgrammingError:  # no alembic_version yet: a new database
                current = []
            if [row[0] for row in current] == [head]:
                return
        async with engine.connect() as connection:
            revision = await connection.run_sync(current_revision)
        if revision is None or revision != head_revision():
            await upgrade_to_head(engine)
    finally:
        await engine.dispose()
