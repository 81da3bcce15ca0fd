"""who has led a plan and stepped down or left (`plan.former_lead_person_ids`), so separation of duties
refuses their approval as it refuses the current lead's

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing plans start with nobody remembered (the audit trail holds who led them before); the
    # default fills their rows and is then dropped, as the model declares none.
    op.add_column(
        "plan",
        sa.Column(
            "former_lead_person_ids",
            postgresql.ARRAY(sa.Uuid()),
            nullable=False,
            server_default=sa.text("'{}'::uuid[]"),
        ),
    )
    op.alter_column("plan", "former_lead_person_ids", server_default=None)


def downgrade() -> None:
    op.drop_column("plan", "former_lead_person_ids")
