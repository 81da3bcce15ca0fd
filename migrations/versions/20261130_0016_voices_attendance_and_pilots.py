"""voices (attributes of stakeholders and people, the groups a district expects to hear from), when
attendance was recorded, pilots and the rollouts that scale them, indicators measured by student
feedback

Revision ID: 0016
Revises: 0018
Create Date: 2026-11-30 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _attributes(table: str) -> None:
    # `preferred_language` comes with families' languages (0017); voices read it too.
    op.add_column(table, sa.Column("neighbourhood", sa.String(length=100), nullable=True))
    op.add_column(table, sa.Column("community_role", sa.String(length=100), nullable=True))
    op.add_column(
        table,
        sa.Column("tags", postgresql.ARRAY(sa.String(length=64)), server_default="{}", nullable=False),
    )


def upgrade() -> None:
    _attributes("person")
    _attributes("stakeholder")
    op.add_column(
        "district",
        sa.Column(
            "expected_groups", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False
        ),
    )
    # Attendance written before this revision was written when its participation was.
    op.add_column(
        "participation",
        sa.Column(
            "attendance_recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=True,
        ),
    )
    op.execute("UPDATE participation SET attendance_recorded_at = created_at")
    op.alter_column("participation", "attendance_recorded_at", nullable=False)

    op.add_column("indicator", sa.Column("feedback_measure", sa.String(length=100), nullable=True))
    op.add_column("action_step", sa.Column("scale_up_met_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("action_step", sa.Column("scale_up_met_by_label", sa.String(length=320), nullable=True))
    op.add_column("action_step", sa.Column("scale_up_evidence", sa.Text(), nullable=True))
    op.add_column("action_step", sa.Column("scales_pilot_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_action_step_scales_pilot_id_action_step"),
        "action_step",
        "action_step",
        ["scales_pilot_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_action_step_scales_pilot_id_action_step"), "action_step", type_="foreignkey")
    for column in ("scales_pilot_id", "scale_up_evidence", "scale_up_met_by_label", "scale_up_met_at"):
        op.drop_column("action_step", column)
    op.drop_column("indicator", "feedback_measure")
    op.drop_column("participation", "attendance_recorded_at")
    op.drop_column("district", "expected_groups")
    for table in ("stakeholder", "person"):
        for column in ("tags", "community_role", "neighbourhood"):
            op.drop_column(table, column)
