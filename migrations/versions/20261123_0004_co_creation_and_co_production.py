"""co-creation and co-production

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 01:36:16.003361
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activity",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=True),
        sa.Column("initiative_id", sa.Uuid(), nullable=True),
        sa.Column("mode", sa.Enum("co_creation", "co_production", name="mode"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "needs_assessment",
                "design_session",
                "design_team_meeting",
                "listening_session",
                "oversight_council_meeting",
                "co_teaching",
                "co_led_plc",
                "coaching_cycle",
                "walkthrough_debrief",
                "feedback_review",
                "professional_learning",
                "survey",
                name="activitykind",
            ),
            nullable=False,
        ),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("status", sa.Enum("planned", "held", "cancelled", name="activitystatus"), nullable=False),
        sa.Column(
            "participation_level",
            postgresql.ENUM(name="participationlevel", create_type=False),
            nullable=False,
        ),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_activity_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_activity_initiative_id_initiative"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_activity_school_id_school"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    op.create_index(
        "ix_activity_district_id_created_at_id", "activity", ["district_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_activity_initiative_id_created_at_id",
        "activity",
        ["initiative_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_activity_updated_at"), "activity", ["updated_at"], unique=False)
    op.create_table(
        "participation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("stakeholder_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column(
            "role",
            sa.Enum("facilitator", "participant", "decision_maker", "observer", name="participantrole"),
            nullable=False,
        ),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column("may_be_named", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(stakeholder_id IS NULL) <> (person_id IS NULL)",
            name=op.f("ck_participation_stakeholder_or_person"),
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_participation_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_participation_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_participation_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["stakeholder_id"],
            ["stakeholder.id"],
            name=op.f("fk_participation_stakeholder_id_stakeholder"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation")),
        sa.UniqueConstraint("activity_id", "person_id", name=op.f("uq_participation_activity_id_person_id")),
        sa.UniqueConstraint(
            "activity_id", "stakeholder_id", name=op.f("uq_participation_activity_id_stakeholder_id")
        ),
    )
    op.create_index(
        "ix_participation_activity_id_created_at_id",
        "participation",
        ["activity_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_participation_person_id"), "participation", ["person_id"], unique=False)
    op.create_index(op.f("ix_participation_updated_at"), "participation", ["updated_at"], unique=False)
    op.create_table(
        "input",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("participation_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("idea", "concern", "barrier", "leverage_point", "question", "decision", name="inputkind"),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "disposition",
            sa.Enum(
                "open",
                "under_consideration",
                "adopted",
                "adapted",
                "declined",
                "deferred",
                name="disposition",
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activity.id"], name=op.f("fk_input_activity_id_activity"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_input_district_id_district"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participation_id"],
            ["participation.id"],
            name=op.f("fk_input_participation_id_participation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_input")),
    )
    op.create_index(
        "ix_input_activity_id_created_at_id", "input", ["activity_id", "created_at", "id"], unique=False
    )
    op.create_index(op.f("ix_input_updated_at"), "input", ["updated_at"], unique=False)
    op.create_table(
        "input_link",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("input_id", sa.Uuid(), nullable=False),
        sa.Column(
            "target", sa.Enum("initiative_field", "capacity_item", name="changetarget"), nullable=False
        ),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("field_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_input_link_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["input_id"], ["input.id"], name=op.f("fk_input_link_input_id_input"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_input_link")),
    )
    op.create_index(
        "ix_input_link_input_id_created_at_id", "input_link", ["input_id", "created_at", "id"], unique=False
    )
    op.create_index(op.f("ix_input_link_updated_at"), "input_link", ["updated_at"], unique=False)
    op.add_column(
        "district", sa.Column("engagement_lapse_days", sa.Integer(), server_default="60", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_district_engagement_lapse_days_positive"), "district", "engagement_lapse_days >= 1"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_district_engagement_lapse_days_positive"), "district", type_="check")
    op.drop_column("district", "engagement_lapse_days")
    op.drop_index(op.f("ix_input_link_updated_at"), table_name="input_link")
    op.drop_index("ix_input_link_input_id_created_at_id", table_name="input_link")
    op.drop_table("input_link")
    op.drop_index(op.f("ix_input_updated_at"), table_name="input")
    op.drop_index("ix_input_activity_id_created_at_id", table_name="input")
    op.drop_table("input")
    op.drop_index(op.f("ix_participation_updated_at"), table_name="participation")
    op.drop_index(op.f("ix_participation_person_id"), table_name="participation")
    op.drop_index("ix_participation_activity_id_created_at_id", table_name="participation")
    op.drop_table("participation")
    op.drop_index(op.f("ix_activity_updated_at"), table_name="activity")
    op.drop_index("ix_activity_initiative_id_created_at_id", table_name="activity")
    op.drop_index("ix_activity_district_id_created_at_id", table_name="activity")
    op.drop_table("activity")
    sa.Enum(name="mode").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="activitykind").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="activitystatus").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="participantrole").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="inputkind").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="disposition").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="changetarget").drop(op.get_bind(), checkfirst=True)
