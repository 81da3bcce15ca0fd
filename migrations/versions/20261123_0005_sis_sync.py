"""SIS sync: students, classes, enrollments, behaviour referrals, tier assignments and sync runs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:39:28.652035
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.Enum("bulk_api", "oneroster_csv", name="syncsource"), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column(
            "status",
            sa.Enum("applied", "partially_applied", "rejected", name="syncrunstatus"),
            nullable=False,
        ),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("archive_missing", sa.Boolean(), nullable=False),
        sa.Column("actor_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_sync_run_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_run")),
    )
    op.create_index(
        "ix_sync_run_district_id_created_at_id", "sync_run", ["district_id", "created_at", "id"], unique=False
    )
    op.create_index(op.f("ix_sync_run_updated_at"), "sync_run", ["updated_at"], unique=False)
    op.create_table(
        "section",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("sourced_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("date_last_modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("class_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_section_district_id_district"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_section_school_id_school"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section")),
        sa.UniqueConstraint("district_id", "sourced_id", name=op.f("uq_section_district_id_sourced_id")),
    )
    op.create_index(
        "ix_section_district_id_created_at_id", "section", ["district_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_section_district_id_deleted_at", "section", ["district_id", "deleted_at"], unique=False
    )
    op.create_index(op.f("ix_section_school_id"), "section", ["school_id"], unique=False)
    op.create_index(op.f("ix_section_updated_at"), "section", ["updated_at"], unique=False)
    op.create_table(
        "student",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("sourced_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("date_last_modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"], ["district.id"], name=op.f("fk_student_district_id_district"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_student_school_id_school"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_student")),
        sa.UniqueConstraint("district_id", "sourced_id", name=op.f("uq_student_district_id_sourced_id")),
    )
    op.create_index(
        "ix_student_district_id_created_at_id", "student", ["district_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_student_district_id_deleted_at", "student", ["district_id", "deleted_at"], unique=False
    )
    op.create_index(op.f("ix_student_school_id"), "student", ["school_id"], unique=False)
    op.create_index(op.f("ix_student_updated_at"), "student", ["updated_at"], unique=False)
    op.create_table(
        "behavior_referral",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("sourced_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("date_last_modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("reporter_person_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("severity", sa.Enum("minor", "major", name="referralseverity"), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_behavior_referral_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_person_id"],
            ["person.id"],
            name=op.f("fk_behavior_referral_reporter_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_behavior_referral_school_id_school"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_behavior_referral_student_id_student"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_behavior_referral")),
        sa.UniqueConstraint(
            "district_id", "sourced_id", name=op.f("uq_behavior_referral_district_id_sourced_id")
        ),
    )
    op.create_index(
        "ix_behavior_referral_district_id_created_at_id",
        "behavior_referral",
        ["district_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_behavior_referral_district_id_deleted_at",
        "behavior_referral",
        ["district_id", "deleted_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_behavior_referral_reporter_person_id"),
        "behavior_referral",
        ["reporter_person_id"],
        unique=False,
    )
    op.create_index(
        "ix_behavior_referral_school_id_occurred_on",
        "behavior_referral",
        ["school_id", "occurred_on"],
        unique=False,
    )
    op.create_index(
        op.f("ix_behavior_referral_student_id"), "behavior_referral", ["student_id"], unique=False
    )
    op.create_index(
        op.f("ix_behavior_referral_updated_at"), "behavior_referral", ["updated_at"], unique=False
    )
    op.create_table(
        "enrollment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("sourced_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("date_last_modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("section_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column(
            "role",
            sa.Enum("student", "teacher", "aide", "administrator", "proctor", name="enrollmentrole"),
            nullable=False,
        ),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("begin_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "(student_id IS NULL) <> (person_id IS NULL)", name=op.f("ck_enrollment_student_or_staff")
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR begin_date IS NULL OR end_date >= begin_date",
            name=op.f("ck_enrollment_dates_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_enrollment_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_enrollment_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_enrollment_school_id_school"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["section.id"], name=op.f("fk_enrollment_section_id_section"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["student.id"], name=op.f("fk_enrollment_student_id_student"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment")),
        sa.UniqueConstraint("district_id", "sourced_id", name=op.f("uq_enrollment_district_id_sourced_id")),
    )
    op.create_index(
        "ix_enrollment_district_id_created_at_id",
        "enrollment",
        ["district_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_enrollment_district_id_deleted_at", "enrollment", ["district_id", "deleted_at"], unique=False
    )
    op.create_index(op.f("ix_enrollment_person_id"), "enrollment", ["person_id"], unique=False)
    op.create_index(op.f("ix_enrollment_section_id"), "enrollment", ["section_id"], unique=False)
    op.create_index(op.f("ix_enrollment_student_id"), "enrollment", ["student_id"], unique=False)
    op.create_index(op.f("ix_enrollment_updated_at"), "enrollment", ["updated_at"], unique=False)
    op.create_table(
        "tier_assignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("sourced_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("date_last_modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.Enum("behavior", "academic", name="supportdomain"), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from",
            name=op.f("ck_tier_assignment_effective_dates_in_order"),
        ),
        sa.CheckConstraint("tier BETWEEN 1 AND 3", name=op.f("ck_tier_assignment_tier_range")),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_tier_assignment_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_tier_assignment_student_id_student"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_assignment")),
        sa.UniqueConstraint(
            "district_id", "sourced_id", name=op.f("uq_tier_assignment_district_id_sourced_id")
        ),
    )
    op.create_index(
        "ix_tier_assignment_district_id_created_at_id",
        "tier_assignment",
        ["district_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_tier_assignment_district_id_deleted_at",
        "tier_assignment",
        ["district_id", "deleted_at"],
        unique=False,
    )
    op.create_index(op.f("ix_tier_assignment_student_id"), "tier_assignment", ["student_id"], unique=False)
    op.create_index(op.f("ix_tier_assignment_updated_at"), "tier_assignment", ["updated_at"], unique=False)
    sa.Enum("teacher", "administrator", "aide", name="staffrole").create(op.get_bind(), checkfirst=True)
    op.add_column(
        "person", sa.Column("staff_role", postgresql.ENUM(name="staffrole", create_type=False), nullable=True)
    )
    op.add_column("person", sa.Column("sis_date_last_modified", sa.DateTime(timezone=True), nullable=True))
    op.add_column("person", sa.Column("sis_deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("school", sa.Column("sis_date_last_modified", sa.DateTime(timezone=True), nullable=True))
    op.add_column("school", sa.Column("sis_deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("school", "sis_deleted_at")
    op.drop_column("school", "sis_date_last_modified")
    op.drop_column("person", "sis_deleted_at")
    op.drop_column("person", "sis_date_last_modified")
    op.drop_column("person", "staff_role")
    op.drop_index(op.f("ix_tier_assignment_updated_at"), table_name="tier_assignment")
    op.drop_index(op.f("ix_tier_assignment_student_id"), table_name="tier_assignment")
    op.drop_index("ix_tier_assignment_district_id_deleted_at", table_name="tier_assignment")
    op.drop_index("ix_tier_assignment_district_id_created_at_id", table_name="tier_assignment")
    op.drop_table("tier_assignment")
    op.drop_index(op.f("ix_enrollment_updated_at"), table_name="enrollment")
    op.drop_index(op.f("ix_enrollment_student_id"), table_name="enrollment")
    op.drop_index(op.f("ix_enrollment_section_id"), table_name="enrollment")
    op.drop_index(op.f("ix_enrollment_person_id"), table_name="enrollment")
    op.drop_index("ix_enrollment_district_id_deleted_at", table_name="enrollment")
    op.drop_index("ix_enrollment_district_id_created_at_id", table_name="enrollment")
    op.drop_table("enrollment")
    op.drop_index(op.f("ix_behavior_referral_updated_at"), table_name="behavior_referral")
    op.drop_index(op.f("ix_behavior_referral_student_id"), table_name="behavior_referral")
    op.drop_index("ix_behavior_referral_school_id_occurred_on", table_name="behavior_referral")
    op.drop_index(op.f("ix_behavior_referral_reporter_person_id"), table_name="behavior_referral")
    op.drop_index("ix_behavior_referral_district_id_deleted_at", table_name="behavior_referral")
    op.drop_index("ix_behavior_referral_district_id_created_at_id", table_name="behavior_referral")
    op.drop_table("behavior_referral")
    op.drop_index(op.f("ix_student_updated_at"), table_name="student")
    op.drop_index(op.f("ix_student_school_id"), table_name="student")
    op.drop_index("ix_student_district_id_deleted_at", table_name="student")
    op.drop_index("ix_student_district_id_created_at_id", table_name="student")
    op.drop_table("student")
    op.drop_index(op.f("ix_section_updated_at"), table_name="section")
    op.drop_index(op.f("ix_section_school_id"), table_name="section")
    op.drop_index("ix_section_district_id_deleted_at", table_name="section")
    op.drop_index("ix_section_district_id_created_at_id", table_name="section")
    op.drop_table("section")
    op.drop_index(op.f("ix_sync_run_updated_at"), table_name="sync_run")
    op.drop_index("ix_sync_run_district_id_created_at_id", table_name="sync_run")
    op.drop_table("sync_run")
    for name in (
        "staffrole",
        "supportdomain",
        "enrollmentrole",
        "referralseverity",
        "syncrunstatus",
        "syncsource",
    ):
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
