"""releases, closed walkthroughs and suppression minimums

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 22:19:22.154145
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "release",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sa.Enum("behavior", "feedback", name="releasesubject"), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("min_cell_size", sa.Integer(), nullable=False),
        sa.Column("min_people", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("tables", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("basis", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("audit", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_release_revision_positive")),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_release_district_id_district"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release")),
        sa.UniqueConstraint(
            "district_id",
            "subject",
            "period",
            "revision",
            name=op.f("uq_release_district_id_subject_period_revision"),
        ),
    )
    op.create_index("ix_release_district_id_created_at_id", "release", ["district_id", "created_at", "id"])
    op.create_index(op.f("ix_release_updated_at"), "release", ["updated_at"])

    op.add_column("district", sa.Column("min_teachers", sa.Integer(), server_default="3", nullable=False))
    op.add_column("district", sa.Column("min_classrooms", sa.Integer(), server_default="3", nullable=False))
    # The minimum n has a floor of 10 from now on: a district below it is raised to it.
    op.execute("UPDATE district SET min_cell_size = 10 WHERE min_cell_size < 10")
    op.drop_constraint(op.f("ck_district_min_cell_size_positive"), "district", type_="check")
    op.create_check_constraint(op.f("ck_district_min_cell_size_floor"), "district", "min_cell_size >= 10")
    op.create_check_constraint(op.f("ck_district_min_teachers_floor"), "district", "min_teachers >= 3")
    op.create_check_constraint(op.f("ck_district_min_classrooms_floor"), "district", "min_classrooms >= 3")

    op.add_column("feedback_result", sa.Column("recorded_by_client_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_feedback_result_recorded_by_client_id_api_client"),
        "feedback_result",
        "api_client",
        ["recorded_by_client_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column("walkthrough", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "walkthrough", sa.Column("released_summary", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("walkthrough", "released_summary")
    op.drop_column("walkthrough", "closed_at")
    op.drop_constraint(
        op.f("fk_feedback_result_recorded_by_client_id_api_client"), "feedback_result", type_="foreignkey"
    )
    op.drop_column("feedback_result", "recorded_by_client_id")
    op.drop_constraint(op.f("ck_district_min_classrooms_floor"), "district", type_="check")
    op.drop_constraint(op.f("ck_district_min_teachers_floor"), "district", type_="check")
    op.drop_constraint(op.f("ck_district_min_cell_size_floor"), "district", type_="check")
    op.create_check_constraint(op.f("ck_district_min_cell_size_positive"), "district", "min_cell_size >= 1")
    op.drop_column("district", "min_classrooms")
    op.drop_column("district", "min_teachers")
    op.drop_index(op.f("ix_release_updated_at"), table_name="release")
    op.drop_index("ix_release_district_id_created_at_id", table_name="release")
    op.drop_table("release")
    sa.Enum(name="releasesubject").drop(op.get_bind(), checkfirst=False)
