"""SIS change versions: a transaction-ordered `change_version` on every synced row

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 01:00:00

`updated_at` is the writing transaction's start time, but a row becomes visible when the transaction
commits, so a feed polled by time skips rows that commit after the poll with an earlier time. Each
synced row now carries the id of the transaction that last wrote it (`pg_current_xact_id()`), stamped
by a trigger wherever the writer does not set it itself, and the feed serves only versions below the
oldest running transaction (`pg_snapshot_xmin(pg_current_snapshot())`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("school", "person", "student", "section", "enrollment", "behavior_referral", "tier_assignment")
INDEXED = TABLES[2:]


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION stamp_change_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.change_version := pg_current_xact_id()::text::bigint;
            RETURN NEW;
        END
        $$
        """
    )
    for table in TABLES:
        op.add_column(table, sa.Column("change_version", sa.BigInteger(), server_default="0", nullable=False))
        # Only when the writer left the column alone: the bulk writer stamps rows itself, set-based.
        op.execute(
            f"CREATE TRIGGER stamp_change_version_on_insert BEFORE INSERT ON {table} FOR EACH ROW "
            "WHEN (NEW.change_version = 0) EXECUTE FUNCTION stamp_change_version()"
        )
        op.execute(
            f"CREATE TRIGGER stamp_change_version_on_update BEFORE UPDATE ON {table} FOR EACH ROW "
            "WHEN (NEW.change_version = OLD.change_version) EXECUTE FUNCTION stamp_change_version()"
        )
    for table in INDEXED:
        op.create_index(
            f"ix_{table}_district_id_change_version", table, ["district_id", "change_version"], unique=False
        )


def downgrade() -> None:
    for table in INDEXED:
        op.drop_index(f"ix_{table}_district_id_change_version", table_name=table)
    for table in TABLES:
        op.execute(f"DROP TRIGGER stamp_change_version_on_update ON {table}")
        op.execute(f"DROP TRIGGER stamp_change_version_on_insert ON {table}")
        op.drop_column(table, "change_version")
    op.execute("DROP FUNCTION stamp_change_version()")
