"""next cycle plans: a plan's lineage, goals and strategies carried forward

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("plan", sa.Column("previous_plan_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_plan_previous_plan_id_plan"),
        "plan",
        "plan",
        ["previous_plan_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_unique_constraint(op.f("uq_plan_previous_plan_id"), "plan", ["previous_plan_id"])

    # A carried goal is measured by the same indicator as the goal it carries: one goal per indicator
    # per plan, no longer per indicator.
    op.drop_constraint(op.f("uq_goal_indicator_id"), "goal", type_="unique")
    op.create_index(op.f("ix_goal_indicator_id"), "goal", ["indicator_id"], unique=False)
    op.create_unique_constraint(op.f("uq_goal_plan_id_indicator_id"), "goal", ["plan_id", "indicator_id"])
    op.add_column("goal", sa.Column("carried_from_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_goal_carried_from_id_goal"), "goal", "goal", ["carried_from_id"], ["id"], ondelete="SET NULL"
    )

    op.add_column("strategy", sa.Column("carried_from_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_strategy_carried_from_id_strategy"),
        "strategy",
        "strategy",
        ["carried_from_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_strategy_carried_from_id_strategy"), "strategy", type_="foreignkey")
    op.drop_column("strategy", "carried_from_id")
    # Carried goals share their indicator: the old rule cannot hold again while they exist.
    op.execute("DELETE FROM goal WHERE carried_from_id IS NOT NULL")
    op.drop_constraint(op.f("fk_goal_carried_from_id_goal"), "goal", type_="foreignkey")
    op.drop_column("goal", "carried_from_id")
    op.drop_constraint(op.f("uq_goal_plan_id_indicator_id"), "goal", type_="unique")
    op.drop_index(op.f("ix_goal_indicator_id"), table_name="goal")
    op.create_unique_constraint(op.f("uq_goal_indicator_id"), "goal", ["indicator_id"])
    op.drop_constraint(op.f("uq_plan_previous_plan_id"), "plan", type_="unique")
    op.drop_constraint(op.f("fk_plan_previous_plan_id_plan"), "plan", type_="foreignkey")
    op.drop_column("plan", "previous_plan_id")
