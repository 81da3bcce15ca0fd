"""coaching cycles, the practice catalogue, and families' languages

Revision ID: 0017
Revises: 0020
Create Date: 2026-11-30 04:03:36.204775
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Coaching counts are released like feedback aggregates. ADD VALUE commits with the migration; the
    # value is used by no statement of this transaction.
    op.execute("ALTER TYPE releasesubject ADD VALUE IF NOT EXISTS 'coaching'")
    # Families' languages: a preferred language per person and stakeholder; translations entered by
    # people, stored with the text they translate.
    op.add_column(
        "person", sa.Column("preferred_language", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True)
    )
    op.add_column(
        "stakeholder",
        sa.Column("preferred_language", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True),
    )
    op.add_column("activity", sa.Column("invitation", sa.Text(), nullable=True))
    op.add_column(
        "activity",
        sa.Column(
            "translations", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
    )
    op.add_column(
        "input",
        sa.Column(
            "translations", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
    )
    op.create_table(
        "practice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_practice_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice")),
        sa.UniqueConstraint("district_id", "name", name=op.f("uq_practice_district_id_name")),
    )
    op.create_index(op.f("ix_practice_updated_at"), "practice", ["updated_at"], unique=False)
    op.create_table(
        "coaching_cycle",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("teacher_person_id", sa.Uuid(), nullable=False),
        sa.Column("coach_person_id", sa.Uuid(), nullable=False),
        sa.Column("practice_id", sa.Uuid(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("goal", sa.Text(), nullable=True),
        sa.Column("goal_agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reflection", sa.Text(), nullable=True),
        sa.Column("status", sa.Enum("active", "completed", name="coachingstatus"), nullable=False),
        sa.CheckConstraint(
            "teacher_person_id <> coach_person_id", name=op.f("ck_coaching_cycle_coach_is_not_teacher")
        ),
        sa.ForeignKeyConstraint(
            ["coach_person_id"],
            ["person.id"],
            name=op.f("fk_coaching_cycle_coach_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_coaching_cycle_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
            name=op.f("fk_coaching_cycle_practice_id_practice"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_coaching_cycle_school_id_school"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["teacher_person_id"],
            ["person.id"],
            name=op.f("fk_coaching_cycle_teacher_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_cycle")),
    )
    op.create_index(
        op.f("ix_coaching_cycle_coach_person_id"), "coaching_cycle", ["coach_person_id"], unique=False
    )
    op.create_index(
        "ix_coaching_cycle_district_id_created_at_id",
        "coaching_cycle",
        ["district_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_coaching_cycle_practice_id"), "coaching_cycle", ["practice_id"], unique=False)
    op.create_index(op.f("ix_coaching_cycle_school_id"), "coaching_cycle", ["school_id"], unique=False)
    op.create_index(
        op.f("ix_coaching_cycle_teacher_person_id"), "coaching_cycle", ["teacher_person_id"], unique=False
    )
    op.create_index(op.f("ix_coaching_cycle_updated_at"), "coaching_cycle", ["updated_at"], unique=False)
    op.create_table(
        "coaching_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("cycle_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum("plan", "observe", "debrief", name="coachingsessionkind"), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_coaching_session_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["coaching_cycle.id"],
            name=op.f("fk_coaching_session_cycle_id_coaching_cycle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_coaching_session_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_session")),
    )
    op.create_index(
        "ix_coaching_session_cycle_id_starts_at", "coaching_session", ["cycle_id", "starts_at"], unique=False
    )
    op.create_index(op.f("ix_coaching_session_updated_at"), "coaching_session", ["updated_at"], unique=False)
    op.create_table(
        "coaching_share",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("cycle_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["coaching_cycle.id"],
            name=op.f("fk_coaching_share_cycle_id_coaching_cycle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_coaching_share_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_coaching_share_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_share")),
        sa.UniqueConstraint("cycle_id", "person_id", name=op.f("uq_coaching_share_cycle_id_person_id")),
    )
    op.create_index(op.f("ix_coaching_share_person_id"), "coaching_share", ["person_id"], unique=False)
    op.create_index(op.f("ix_coaching_share_updated_at"), "coaching_share", ["updated_at"], unique=False)
    op.create_table(
        "coaching_observation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("cycle_id", sa.Uuid(), nullable=False),
        sa.Column("observation_id", sa.Uuid(), nullable=False),
        sa.Column("support_given", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["coaching_cycle.id"],
            name=op.f("fk_coaching_observation_cycle_id_coaching_cycle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_coaching_observation_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["walkthrough_observation.id"],
            name=op.f("fk_coaching_observation_observation_id_walkthrough_observation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_observation")),
        sa.UniqueConstraint(
            "cycle_id", "observation_id", name=op.f("uq_coaching_observation_cycle_id_observation_id")
        ),
    )
    op.create_index(
        op.f("ix_coaching_observation_cycle_id"), "coaching_observation", ["cycle_id"], unique=False
    )
    op.create_index(
        op.f("ix_coaching_observation_updated_at"), "coaching_observation", ["updated_at"], unique=False
    )
    op.add_column("pdsa_cycle", sa.Column("practice_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_pdsa_cycle_practice_id"), "pdsa_cycle", ["practice_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_pdsa_cycle_practice_id_practice"),
        "pdsa_cycle",
        "practice",
        ["practice_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.add_column("plc_meeting", sa.Column("practice_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_plc_meeting_practice_id"), "plc_meeting", ["practice_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_plc_meeting_practice_id_practice"),
        "plc_meeting",
        "practice",
        ["practice_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.add_column("walkthrough", sa.Column("practice_id", sa.Uuid(), nullable=True))
    op.create_index(op.f("ix_walkthrough_practice_id"), "walkthrough", ["practice_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_walkthrough_practice_id_practice"),
        "walkthrough",
        "practice",
        ["practice_id"],
        ["id"],
        ondelete="RESTRICT",
    )


def downgrade() -> None:
    op.drop_column("stakeholder", "preferred_language")
    op.drop_column("person", "preferred_language")
    op.drop_column("input", "translations")
    op.drop_column("activity", "translations")
    op.drop_column("activity", "invitation")
    op.drop_constraint(op.f("fk_walkthrough_practice_id_practice"), "walkthrough", type_="foreignkey")
    op.drop_index(op.f("ix_walkthrough_practice_id"), table_name="walkthrough")
    op.drop_column("walkthrough", "practice_id")
    op.drop_constraint(op.f("fk_plc_meeting_practice_id_practice"), "plc_meeting", type_="foreignkey")
    op.drop_index(op.f("ix_plc_meeting_practice_id"), table_name="plc_meeting")
    op.drop_column("plc_meeting", "practice_id")
    op.drop_constraint(op.f("fk_pdsa_cycle_practice_id_practice"), "pdsa_cycle", type_="foreignkey")
    op.drop_index(op.f("ix_pdsa_cycle_practice_id"), table_name="pdsa_cycle")
    op.drop_column("pdsa_cycle", "practice_id")
    op.drop_index(op.f("ix_coaching_observation_updated_at"), table_name="coaching_observation")
    op.drop_index(op.f("ix_coaching_observation_cycle_id"), table_name="coaching_observation")
    op.drop_table("coaching_observation")
    op.drop_index(op.f("ix_coaching_share_updated_at"), table_name="coaching_share")
    op.drop_index(op.f("ix_coaching_share_person_id"), table_name="coaching_share")
    op.drop_table("coaching_share")
    op.drop_index(op.f("ix_coaching_session_updated_at"), table_name="coaching_session")
    op.drop_index("ix_coaching_session_cycle_id_starts_at", table_name="coaching_session")
    op.drop_table("coaching_session")
    op.drop_index(op.f("ix_coaching_cycle_updated_at"), table_name="coaching_cycle")
    op.drop_index(op.f("ix_coaching_cycle_teacher_person_id"), table_name="coaching_cycle")
    op.drop_index(op.f("ix_coaching_cycle_school_id"), table_name="coaching_cycle")
    op.drop_index(op.f("ix_coaching_cycle_practice_id"), table_name="coaching_cycle")
    op.drop_index("ix_coaching_cycle_district_id_created_at_id", table_name="coaching_cycle")
    op.drop_index(op.f("ix_coaching_cycle_coach_person_id"), table_name="coaching_cycle")
    op.drop_table("coaching_cycle")
    op.drop_index(op.f("ix_practice_updated_at"), table_name="practice")
    op.drop_table("practice")
    sa.Enum(name="coachingsessionkind").drop(op.get_bind(), checkfirst=False)
    sa.Enum(name="coachingstatus").drop(op.get_bind(), checkfirst=False)
    # PostgreSQL cannot drop one value of an enum: releases of subject 'coaching' go, the value stays.
    op.execute("DELETE FROM release WHERE subject = 'coaching'")
