"""progress monitoring

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 20:06:05.563371
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_result",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("teacher_person_id", sa.Uuid(), nullable=False),
        sa.Column("measure", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("favourable_share", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.CheckConstraint(
            "favourable_share >= 0 AND favourable_share <= 1", name=op.f("ck_feedback_result_share_in_range")
        ),
        sa.CheckConstraint("respondents >= 0", name=op.f("ck_feedback_result_respondents_not_negative")),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_feedback_result_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_feedback_result_school_id_school"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["teacher_person_id"],
            ["person.id"],
            name=op.f("fk_feedback_result_teacher_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_result")),
        sa.UniqueConstraint(
            "teacher_person_id",
            "measure",
            "period",
            name=op.f("uq_feedback_result_teacher_person_id_measure_period"),
        ),
    )
    op.create_index(op.f("ix_feedback_result_school_id"), "feedback_result", ["school_id"], unique=False)
    op.create_index(
        "ix_feedback_result_teacher_person_id_created_at_id",
        "feedback_result",
        ["teacher_person_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_feedback_result_updated_at"), "feedback_result", ["updated_at"], unique=False)
    op.create_table(
        "feedback_share",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("teacher_person_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_feedback_share_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_feedback_share_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["teacher_person_id"],
            ["person.id"],
            name=op.f("fk_feedback_share_teacher_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_share")),
        sa.UniqueConstraint(
            "teacher_person_id", "person_id", name=op.f("uq_feedback_share_teacher_person_id_person_id")
        ),
    )
    op.create_index(op.f("ix_feedback_share_person_id"), "feedback_share", ["person_id"], unique=False)
    op.create_index(
        op.f("ix_feedback_share_teacher_person_id"), "feedback_share", ["teacher_person_id"], unique=False
    )
    op.create_index(op.f("ix_feedback_share_updated_at"), "feedback_share", ["updated_at"], unique=False)
    op.create_table(
        "plc_meeting",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("needs", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("shared_with_leadership", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_plc_meeting_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_plc_meeting_school_id_school"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plc_meeting")),
    )
    op.create_index(
        "ix_plc_meeting_school_id_created_at_id",
        "plc_meeting",
        ["school_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_plc_meeting_updated_at"), "plc_meeting", ["updated_at"], unique=False)
    op.create_table(
        "measurement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("indicator_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=True),
        sa.Column("value", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("client_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.CheckConstraint("n IS NULL OR n >= 0", name=op.f("ck_measurement_n_not_negative")),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_measurement_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_measurement_indicator_id_indicator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_measurement_school_id_school"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurement")),
        sa.UniqueConstraint("district_id", "client_key", name=op.f("uq_measurement_district_id_client_key")),
    )
    op.create_index(
        "ix_measurement_indicator_id_created_at_id",
        "measurement",
        ["indicator_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_measurement_indicator_id_measured_on",
        "measurement",
        ["indicator_id", "measured_on"],
        unique=False,
    )
    op.create_index(op.f("ix_measurement_updated_at"), "measurement", ["updated_at"], unique=False)
    op.create_table(
        "walkthrough",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("practice", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("observer_person_id", sa.Uuid(), nullable=True),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("activity_id", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_walkthrough_activity_id_activity"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_walkthrough_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["observer_person_id"],
            ["person.id"],
            name=op.f("fk_walkthrough_observer_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_walkthrough_plan_id_plan"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_walkthrough_school_id_school"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walkthrough")),
    )
    op.create_index(
        "ix_walkthrough_district_id_created_at_id",
        "walkthrough",
        ["district_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_walkthrough_plan_id"), "walkthrough", ["plan_id"], unique=False)
    op.create_index(op.f("ix_walkthrough_school_id"), "walkthrough", ["school_id"], unique=False)
    op.create_index(op.f("ix_walkthrough_updated_at"), "walkthrough", ["updated_at"], unique=False)
    op.create_table(
        "pdsa_cycle",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("strategy_id", sa.Uuid(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("prediction", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("done", sa.Text(), nullable=True),
        sa.Column("results", sa.Text(), nullable=True),
        sa.Column("decision", sa.Enum("adopt", "adapt", "abandon", name="pdsadecision"), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("revision_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_pdsa_cycle_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_pdsa_cycle_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["plan_revision.id"],
            name=op.f("fk_pdsa_cycle_revision_id_plan_revision"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategy.id"],
            name=op.f("fk_pdsa_cycle_strategy_id_strategy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pdsa_cycle")),
    )
    op.create_index(op.f("ix_pdsa_cycle_plan_id"), "pdsa_cycle", ["plan_id"], unique=False)
    op.create_index(
        "ix_pdsa_cycle_strategy_id_created_at_id",
        "pdsa_cycle",
        ["strategy_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_pdsa_cycle_updated_at"), "pdsa_cycle", ["updated_at"], unique=False)
    op.create_table(
        "walkthrough_observation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("walkthrough_id", sa.Uuid(), nullable=False),
        sa.Column("teacher_person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "level",
            sa.Enum("not_observed", "beginning", "developing", "proficient", name="implementationlevel"),
            nullable=False,
        ),
        sa.Column(
            "support", sa.Enum("none", "coaching", "plc", "feedback", name="supportneeded"), nullable=False
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_walkthrough_observation_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_person_id"],
            ["person.id"],
            name=op.f("fk_walkthrough_observation_teacher_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["walkthrough_id"],
            ["walkthrough.id"],
            name=op.f("fk_walkthrough_observation_walkthrough_id_walkthrough"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walkthrough_observation")),
        sa.UniqueConstraint(
            "walkthrough_id",
            "teacher_person_id",
            name=op.f("uq_walkthrough_observation_walkthrough_id_teacher_person_id"),
        ),
    )
    op.create_index(
        op.f("ix_walkthrough_observation_teacher_person_id"),
        "walkthrough_observation",
        ["teacher_person_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_walkthrough_observation_updated_at"), "walkthrough_observation", ["updated_at"], unique=False
    )
    op.create_index(
        "ix_walkthrough_observation_walkthrough_id_created_at_id",
        "walkthrough_observation",
        ["walkthrough_id", "created_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_walkthrough_observation_walkthrough_id_created_at_id", table_name="walkthrough_observation"
    )
    op.drop_index(op.f("ix_walkthrough_observation_updated_at"), table_name="walkthrough_observation")
    op.drop_index(op.f("ix_walkthrough_observation_teacher_person_id"), table_name="walkthrough_observation")
    op.drop_table("walkthrough_observation")
    op.drop_index(op.f("ix_pdsa_cycle_updated_at"), table_name="pdsa_cycle")
    op.drop_index("ix_pdsa_cycle_strategy_id_created_at_id", table_name="pdsa_cycle")
    op.drop_index(op.f("ix_pdsa_cycle_plan_id"), table_name="pdsa_cycle")
    op.drop_table("pdsa_cycle")
    op.drop_index(op.f("ix_walkthrough_updated_at"), table_name="walkthrough")
    op.drop_index(op.f("ix_walkthrough_school_id"), table_name="walkthrough")
    op.drop_index(op.f("ix_walkthrough_plan_id"), table_name="walkthrough")
    op.drop_index("ix_walkthrough_district_id_created_at_id", table_name="walkthrough")
    op.drop_table("walkthrough")
    op.drop_index(op.f("ix_measurement_updated_at"), table_name="measurement")
    op.drop_index("ix_measurement_indicator_id_measured_on", table_name="measurement")
    op.drop_index("ix_measurement_indicator_id_created_at_id", table_name="measurement")
    op.drop_table("measurement")
    op.drop_index(op.f("ix_plc_meeting_updated_at"), table_name="plc_meeting")
    op.drop_index("ix_plc_meeting_school_id_created_at_id", table_name="plc_meeting")
    op.drop_table("plc_meeting")
    op.drop_index(op.f("ix_feedback_share_updated_at"), table_name="feedback_share")
    op.drop_index(op.f("ix_feedback_share_teacher_person_id"), table_name="feedback_share")
    op.drop_index(op.f("ix_feedback_share_person_id"), table_name="feedback_share")
    op.drop_table("feedback_share")
    op.drop_index(op.f("ix_feedback_result_updated_at"), table_name="feedback_result")
    op.drop_index("ix_feedback_result_teacher_person_id_created_at_id", table_name="feedback_result")
    op.drop_index(op.f("ix_feedback_result_school_id"), table_name="feedback_result")
    op.drop_table("feedback_result")
    for name in ("implementationlevel", "supportneeded", "pdsadecision"):
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
