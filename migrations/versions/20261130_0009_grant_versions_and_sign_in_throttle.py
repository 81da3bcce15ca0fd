"""grant versions, known sign-in addresses, throttle back-off, account emails unique per district

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grant_version",
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("principal_id", name=op.f("pk_grant_version")),
    )
    op.create_table(
        "known_sign_in_address",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("last_signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_known_sign_in_address_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "address", name=op.f("pk_known_sign_in_address")),
    )
    op.add_column("login_throttle", sa.Column("lockouts", sa.Integer(), server_default="0", nullable=False))
    op.drop_index("uq_user_account_lower_email", table_name="user_account")
    op.create_index(
        "uq_user_account_district_id_lower_email",
        "user_account",
        ["district_id", sa.literal_column("lower(email)")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_user_account_district_id_lower_email", table_name="user_account")
    op.create_index(
        "uq_user_account_lower_email", "user_account", [sa.literal_column("lower(email)")], unique=True
    )
    op.drop_column("login_throttle", "lockouts")
    op.drop_table("known_sign_in_address")
    op.drop_table("grant_version")
