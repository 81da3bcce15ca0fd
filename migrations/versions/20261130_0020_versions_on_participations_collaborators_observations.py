"""versions on participations, plan collaborators and walkthrough observations

Their REST updates take `If-Match` like every other edited row, so a write based on a stale read is
refused (412) instead of silently overwriting a newer one.

Revision ID: 0020
Revises: 0014
Create Date: 2026-11-30 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("participation", "plan_collaborator", "walkthrough_observation")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    for table in _TABLES:
        op.drop_column(table, "version")
