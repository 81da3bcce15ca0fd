"""improvement plans

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:35:20.041719
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=True),
        sa.Column("initiative_id", sa.Uuid(), nullable=True),
        sa.Column("cycle", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("draft", "in_review", "approved", "active", "closed", name="planstatus"),
            nullable=False,
        ),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_label", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.CheckConstraint("cycle ~ '^[0-9]{4}-[0-9]{2}$'", name=op.f("ck_plan_cycle_format")),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_plan_district_id_district"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_plan_initiative_id_initiative"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_plan_school_id_school"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
    )
    op.create_index(
        "ix_plan_district_id_created_at_id", "plan", ["district_id", "created_at", "id"], unique=False
    )
    op.create_index(op.f("ix_plan_school_id"), "plan", ["school_id"], unique=False)
    op.create_index(op.f("ix_plan_updated_at"), "plan", ["updated_at"], unique=False)
    op.create_table(
        "evidence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "student_work", "lesson_plan", "data", "exemplar", "research", "other", name="evidencekind"
            ),
            nullable=False,
        ),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("collected_on", sa.Date(), nullable=True),
        sa.Column("exemplar_school_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_evidence_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["exemplar_school_id"],
            ["school.id"],
            name=op.f("fk_evidence_exemplar_school_id_school"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_evidence_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    op.create_index(
        "ix_evidence_plan_id_created_at_id", "evidence", ["plan_id", "created_at", "id"], unique=False
    )
    op.create_index(op.f("ix_evidence_updated_at"), "evidence", ["updated_at"], unique=False)
    op.create_table(
        "goal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("indicator_id", sa.Uuid(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("weight", sa.Numeric(precision=8, scale=3), nullable=False),
        sa.CheckConstraint("weight > 0", name=op.f("ck_goal_weight_positive")),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_goal_district_id_district"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_goal_indicator_id_indicator"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_goal_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal")),
        sa.UniqueConstraint("indicator_id", name=op.f("uq_goal_indicator_id")),
    )
    op.create_index("ix_goal_plan_id_created_at_id", "goal", ["plan_id", "created_at", "id"], unique=False)
    op.create_index(op.f("ix_goal_updated_at"), "goal", ["updated_at"], unique=False)
    op.create_table(
        "plan_collaborator",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.Enum("lead", "co_author", "reviewer", name="collaboratorrole"), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_plan_collaborator_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_plan_collaborator_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_collaborator_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_collaborator")),
        sa.UniqueConstraint("plan_id", "person_id", name=op.f("uq_plan_collaborator_plan_id_person_id")),
    )
    op.create_index(op.f("ix_plan_collaborator_person_id"), "plan_collaborator", ["person_id"], unique=False)
    op.create_index(
        "ix_plan_collaborator_plan_id_created_at_id",
        "plan_collaborator",
        ["plan_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_plan_collaborator_updated_at"), "plan_collaborator", ["updated_at"], unique=False
    )
    op.create_table(
        "plan_revision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column(
            "status", sa.Enum("proposed", "accepted", "rejected", name="revisionstatus"), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("proposed_by_label", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("proposed_by_person_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by_label", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_plan_revision_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_revision_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_person_id"],
            ["person.id"],
            name=op.f("fk_plan_revision_proposed_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_revision")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_plan_revision_plan_id_number")),
    )
    op.create_index(
        "ix_plan_revision_plan_id_created_at_id",
        "plan_revision",
        ["plan_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_plan_revision_updated_at"), "plan_revision", ["updated_at"], unique=False)
    op.create_table(
        "plan_revision_cause",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("revision_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("input", "checkpoint", "measurement", name="causekind"), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_plan_revision_cause_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["plan_revision.id"],
            name=op.f("fk_plan_revision_cause_revision_id_plan_revision"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_revision_cause")),
        sa.UniqueConstraint(
            "revision_id", "kind", "target_id", name=op.f("uq_plan_revision_cause_revision_id_kind_target_id")
        ),
    )
    op.create_index(
        op.f("ix_plan_revision_cause_updated_at"), "plan_revision_cause", ["updated_at"], unique=False
    )
    op.create_table(
        "review_checkpoint",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("scheduled_on", sa.Date(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("attendee_person_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("decisions", sa.Text(), nullable=True),
        sa.Column("revision_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_review_checkpoint_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_review_checkpoint_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["plan_revision.id"],
            name=op.f("fk_review_checkpoint_revision_id_plan_revision"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_checkpoint")),
    )
    op.create_index(
        "ix_review_checkpoint_plan_id_created_at_id",
        "review_checkpoint",
        ["plan_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_review_checkpoint_updated_at"), "review_checkpoint", ["updated_at"], unique=False
    )
    op.create_table(
        "strategy",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("driver", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("weight", sa.Numeric(precision=8, scale=3), nullable=False),
        sa.CheckConstraint("weight > 0", name=op.f("ck_strategy_weight_positive")),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_strategy_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goal.id"], name=op.f("fk_strategy_goal_id_goal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_strategy_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy")),
    )
    op.create_index(
        "ix_strategy_goal_id_created_at_id", "strategy", ["goal_id", "created_at", "id"], unique=False
    )
    op.create_index(op.f("ix_strategy_plan_id"), "strategy", ["plan_id"], unique=False)
    op.create_index(op.f("ix_strategy_updated_at"), "strategy", ["updated_at"], unique=False)
    op.create_table(
        "action_step",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("strategy_id", sa.Uuid(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_person_id", sa.Uuid(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("not_started", "in_progress", "done", "blocked", name="stepstatus"),
            nullable=False,
        ),
        sa.Column("blocked_reason", sa.Text(), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=True),
        sa.Column("weight", sa.Numeric(precision=8, scale=3), nullable=False),
        sa.Column("pilot_group", sa.Text(), nullable=True),
        sa.Column("scale_up_criteria", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status <> 'blocked' OR blocked_reason IS NOT NULL",
            name=op.f("ck_action_step_blocked_has_reason"),
        ),
        sa.CheckConstraint(
            "due_on IS NULL OR starts_on IS NULL OR due_on >= starts_on",
            name=op.f("ck_action_step_dates_in_order"),
        ),
        sa.CheckConstraint(
            "progress IS NULL OR (progress >= 0 AND progress <= 100)",
            name=op.f("ck_action_step_progress_range"),
        ),
        sa.CheckConstraint("weight > 0", name=op.f("ck_action_step_weight_positive")),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_action_step_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_person_id"],
            ["person.id"],
            name=op.f("fk_action_step_owner_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_action_step_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategy.id"],
            name=op.f("fk_action_step_strategy_id_strategy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_step")),
    )
    op.create_index(op.f("ix_action_step_plan_id"), "action_step", ["plan_id"], unique=False)
    op.create_index(
        "ix_action_step_strategy_id_created_at_id",
        "action_step",
        ["strategy_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_action_step_updated_at"), "action_step", ["updated_at"], unique=False)
    op.add_column("activity", sa.Column("plan_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_activity_plan_id"), "activity", ["plan_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_activity_plan_id_plan"), "activity", "plan", ["plan_id"], ["id"], ondelete="SET NULL"
    )
    op.add_column(
        "district", sa.Column("plan_min_co_creation", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column(
        "district",
        sa.Column(
            "school_plan_voices",
            postgresql.ARRAY(sa.String(length=32)),
            server_default="{teachers}",
            nullable=False,
        ),
    )
    op.add_column(
        "district",
        sa.Column(
            "district_plan_voices",
            postgresql.ARRAY(sa.String(length=32)),
            server_default="{teachers,families_or_community}",
            nullable=False,
        ),
    )
    op.create_check_constraint(
        op.f("ck_district_plan_min_co_creation_not_negative"), "district", "plan_min_co_creation >= 0"
    )
    # What an input changed now includes plan items. (PostgreSQL cannot drop an enum value again, so
    # the downgrade leaves these in place; no row can use them once the plan tables are gone.)
    for value in ("goal", "strategy", "action_step"):
        op.execute(f"ALTER TYPE changetarget ADD VALUE IF NOT EXISTS '{value}'")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_district_plan_min_co_creation_not_negative"), "district", type_="check")
    op.drop_column("district", "district_plan_voices")
    op.drop_column("district", "school_plan_voices")
    op.drop_column("district", "plan_min_co_creation")
    op.drop_constraint(op.f("fk_activity_plan_id_plan"), "activity", type_="foreignkey")
    op.drop_index(op.f("ix_activity_plan_id"), table_name="activity")
    op.drop_column("activity", "plan_id")
    op.drop_index(op.f("ix_action_step_updated_at"), table_name="action_step")
    op.drop_index("ix_action_step_strategy_id_created_at_id", table_name="action_step")
    op.drop_index(op.f("ix_action_step_plan_id"), table_name="action_step")
    op.drop_table("action_step")
    op.drop_index(op.f("ix_strategy_updated_at"), table_name="strategy")
    op.drop_index(op.f("ix_strategy_plan_id"), table_name="strategy")
    op.drop_index("ix_strategy_goal_id_created_at_id", table_name="strategy")
    op.drop_table("strategy")
    op.drop_index(op.f("ix_review_checkpoint_updated_at"), table_name="review_checkpoint")
    op.drop_index("ix_review_checkpoint_plan_id_created_at_id", table_name="review_checkpoint")
    op.drop_table("review_checkpoint")
    op.drop_index(op.f("ix_plan_revision_cause_updated_at"), table_name="plan_revision_cause")
    op.drop_table("plan_revision_cause")
    op.drop_index(op.f("ix_plan_revision_updated_at"), table_name="plan_revision")
    op.drop_index("ix_plan_revision_plan_id_created_at_id", table_name="plan_revision")
    op.drop_table("plan_revision")
    op.drop_index(op.f("ix_plan_collaborator_updated_at"), table_name="plan_collaborator")
    op.drop_index("ix_plan_collaborator_plan_id_created_at_id", table_name="plan_collaborator")
    op.drop_index(op.f("ix_plan_collaborator_person_id"), table_name="plan_collaborator")
    op.drop_table("plan_collaborator")
    op.drop_index(op.f("ix_goal_updated_at"), table_name="goal")
    op.drop_index("ix_goal_plan_id_created_at_id", table_name="goal")
    op.drop_table("goal")
    op.drop_index(op.f("ix_evidence_updated_at"), table_name="evidence")
    op.drop_index("ix_evidence_plan_id_created_at_id", table_name="evidence")
    op.drop_table("evidence")
    op.drop_index(op.f("ix_plan_updated_at"), table_name="plan")
    op.drop_index(op.f("ix_plan_school_id"), table_name="plan")
    op.drop_index("ix_plan_district_id_created_at_id", table_name="plan")
    op.drop_table("plan")
    for name in (
        "planstatus",
        "collaboratorrole",
        "stepstatus",
        "evidencekind",
        "revisionstatus",
        "causekind",
    ):
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
