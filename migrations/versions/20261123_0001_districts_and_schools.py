"""districts and schools

Revision ID: 0001
Revises:
Create Date: 2026-11-23 00:56:22.001546
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "district",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("min_cell_size", sa.Integer(), nullable=False),
        sa.Column("sourced_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.CheckConstraint("min_cell_size >= 1", name=op.f("ck_district_min_cell_size_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district")),
        sa.UniqueConstraint("sourced_id", name=op.f("uq_district_sourced_id")),
    )
    op.create_index(op.f("ix_district_updated_at"), "district", ["updated_at"], unique=False)
    op.create_index("uq_district_lower_name", "district", [sa.literal_column("lower(name)")], unique=True)
    op.create_table(
        "school",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("sourced_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("grade_low", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("grade_high", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_school_district_id_district"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school")),
        sa.UniqueConstraint("district_id", "sourced_id", name=op.f("uq_school_district_id_sourced_id")),
    )
    op.create_index(
        "ix_school_district_id_created_at_id", "school", ["district_id", "created_at", "id"], unique=False
    )
    op.create_index(op.f("ix_school_updated_at"), "school", ["updated_at"], unique=False)
    op.create_index(
        "uq_school_district_id_lower_name",
        "school",
        ["district_id", sa.literal_column("lower(name)")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_school_district_id_lower_name", table_name="school")
    op.drop_index(op.f("ix_school_updated_at"), table_name="school")
    op.drop_index("ix_school_district_id_created_at_id", table_name="school")
    op.drop_table("school")
    op.drop_index("uq_district_lower_name", table_name="district")
    op.drop_index(op.f("ix_district_updated_at"), table_name="district")
    op.drop_table("district")
