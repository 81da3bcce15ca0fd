"""co-creation that cannot be gamed: stage history, plan sign-offs and accepted risks, policy settings

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-30 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGE = postgresql.ENUM(name="stage", create_type=False)


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "stage_change",
        *_timestamps(),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("initiative_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage", STAGE, nullable=True),
        sa.Column("to_stage", STAGE, nullable=False),
        sa.Column("changed_by_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("changed_by_label", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_stage_change_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_stage_change_initiative_id_initiative"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_change")),
    )
    op.create_index(
        "ix_stage_change_initiative_id_created_at_id", "stage_change", ["initiative_id", "created_at", "id"]
    )
    op.create_index(op.f("ix_stage_change_updated_at"), "stage_change", ["updated_at"])
    # Initiatives from before the history was kept: one entry, at their last change, saying where they
    # stand. Without an entry into `approved`, the sequence rule has no date to judge them by and
    # counts their co-creation as before (see app.engagement.findings.design_settled_at).
    op.execute(
        "INSERT INTO stage_change (id, created_at, updated_at, district_id, initiative_id, from_stage, "
        "to_stage, changed_by_kind, changed_by_label) "
        "SELECT gen_random_uuid(), updated_at, updated_at, district_id, id, NULL, stage, 'system', "
        "'Stage history began' FROM initiative"
    )

    op.add_column(
        "district",
        sa.Column("separate_plan_approval", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.add_column("plan", sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
    # Plans past draft went to review at some point before their approval (or their last change).
    op.execute("UPDATE plan SET submitted_at = COALESCE(approved_at, updated_at) WHERE status <> 'draft'")
    op.create_table(
        "accepted_risk",
        *_timestamps(),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("input_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("accepted_by_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("accepted_by_id", sa.Uuid(), nullable=True),
        sa.Column("accepted_by_label", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_accepted_risk_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["input_id"], ["input.id"], name=op.f("fk_accepted_risk_input_id_input"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_accepted_risk_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accepted_risk")),
        sa.UniqueConstraint("plan_id", "input_id", name=op.f("uq_accepted_risk_plan_id_input_id")),
    )
    op.create_index(
        "ix_accepted_risk_plan_id_created_at_id", "accepted_risk", ["plan_id", "created_at", "id"]
    )
    op.create_index(op.f("ix_accepted_risk_updated_at"), "accepted_risk", ["updated_at"])

    op.add_column("plan", sa.Column("submitted_by_id", sa.Uuid(), nullable=True))
    op.create_table(
        "plan_sign_off",
        *_timestamps(),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("review", "approval", name="signoffkind"), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("signed_by_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("signed_by_id", sa.Uuid(), nullable=True),
        sa.Column("signed_by_label", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_plan_sign_off_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_plan_sign_off_person_id_person"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_sign_off_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_sign_off")),
    )
    op.create_index(
        "ix_plan_sign_off_plan_id_created_at_id", "plan_sign_off", ["plan_id", "created_at", "id"]
    )
    op.create_index(op.f("ix_plan_sign_off_updated_at"), "plan_sign_off", ["updated_at"])
    # One lead per plan: where a plan had several, the first stays lead and the others co-author it.
    op.execute(
        "UPDATE plan_collaborator c SET role = 'co_author' WHERE role = 'lead' AND EXISTS ("
        "SELECT 1 FROM plan_collaborator f WHERE f.plan_id = c.plan_id AND f.role = 'lead' "
        "AND (f.created_at, f.id) < (c.created_at, c.id))"
    )
    op.create_index(
        "uq_plan_collaborator_one_lead",
        "plan_collaborator",
        ["plan_id"],
        unique=True,
        postgresql_where=sa.text("role = 'lead'"),
    )
    # Revisions can cite what a PDSA cycle showed, or a walkthrough.
    op.execute("ALTER TYPE causekind ADD VALUE IF NOT EXISTS 'pdsa_cycle'")
    op.execute("ALTER TYPE causekind ADD VALUE IF NOT EXISTS 'walkthrough'")


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value: causes of the new kinds go, the type keeps its values.
    op.execute("DELETE FROM plan_revision_cause WHERE kind IN ('pdsa_cycle', 'walkthrough')")
    op.drop_index("uq_plan_collaborator_one_lead", table_name="plan_collaborator")
    op.drop_table("plan_sign_off")
    op.execute("DROP TYPE signoffkind")
    op.drop_column("plan", "submitted_by_id")
    op.drop_table("accepted_risk")
    op.drop_column("plan", "submitted_at")
    op.drop_column("district", "separate_plan_approval")
    op.drop_table("stage_change")
