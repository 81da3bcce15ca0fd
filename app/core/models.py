"""Columns every table shares: a UUID key, UTC timestamps, and (where co-authors race) a version."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, DateTime, MetaData, func
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

# Constraint names must be deterministic before the first migration, or Alembic cannot drop or alter
# them later. Set here, in the module every table model imports, before any table class is declared.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


def db_enum(kind: type[StrEnum]) -> SAEnum:
    """Store a StrEnum by its value, as a PostgreSQL enum type named after the class."""
    return SAEnum(
        kind, name=kind.__name__.lower(), values_callable=lambda members: [m.value for m in members]
    )


def change_version_column() -> Any:
    """A `change_version` column: the id of the transaction that last wrote the row (a 64-bit xid8).

    A trigger of migration 0010 stamps it on every INSERT and UPDATE that does not set it (the bulk
    SIS writer sets it itself), so no writer can forget. The SIS change feed serves rows below the
    oldest transaction of this database still running in its snapshot (`app.sis.service._WATERMARK`):
    every transaction with a smaller id has ended, so no row can still turn up behind that watermark
    (unlike a timestamp, taken at a transaction's start).
    """
    return Field(default=0, sa_type=BigInteger, nullable=False, sa_column_kwargs={"server_default": "0"})


class EntityBase(SQLModel):
    """Identity and timestamps.

    `updated_at` is set in Python on every UPDATE (not by the server) so the value is known without a
    round trip and without expiring the attribute; the server defaults cover rows written by raw SQL
    (bulk COPY paths).
    """

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now()},
        nullable=False,
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "onupdate": utcnow},
        nullable=False,
        index=True,
    )


class VersionedEntityBase(EntityBase):
    """An entity people edit concurrently: every successful write increments `version`.

    Clients send the version they read (REST `If-Match`, GraphQL `expectedVersion`); a stale one is
    refused and changes nothing. Services lock the row while they compare, so the check cannot race.
    """

    version: int = Field(default=1, ge=1, nullable=False, sa_column_kwargs={"server_default": "1"})
