"""the OneRoster CSV import's digest of the record it last wrote to each SIS row (`sis_hash`), so an
unchanged line of a re-import is recognised without being parsed, validated or staged

Revision ID: 0019
Revises: 0016
Create Date: 2026-11-30 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("student", "section", "enrollment", "behavior_referral", "tier_assignment")


def _stamp_on_update(table: str, when: str) -> None:
    op.execute(f"DROP TRIGGER stamp_change_version_on_update ON {table}")
    op.execute(
        f"CREATE TRIGGER stamp_change_version_on_update BEFORE UPDATE ON {table} FOR EACH ROW "
        f"WHEN ({when}) EXECUTE FUNCTION stamp_change_version()"
    )


def upgrade() -> None:
    for table in TABLES:
        # Nullable, no default: adding the column rewrites nothing.
        op.add_column(table, sa.Column("sis_hash", sa.LargeBinary(), nullable=True))
        # Recording a digest on a row already as sent is no change a reader could see: it takes no new
        # change version. Only the bulk writer writes `sis_hash`, and when it changes anything else
        # it stamps the change version itself (see `app.sis.bulk._upsert_sql`).
        _stamp_on_update(
            table,
            "NEW.change_version = OLD.change_version AND NEW.sis_hash IS NOT DISTINCT FROM OLD.sis_hash",
        )


def downgrade() -> None:
    for table in TABLES:
        _stamp_on_update(table, "NEW.change_version = OLD.change_version")
        op.drop_column(table, "sis_hash")
