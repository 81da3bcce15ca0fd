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


def upgrade() -> None:
    # Nullable, no default: adding the column rewrites nothing.
    for table in TABLES:
        op.add_column(table, sa.Column("sis_hash", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "sis_hash")
