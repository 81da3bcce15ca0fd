"""initiatives and their authorizing environment

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:22:59.977655
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "initiative",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("public_value", sa.Text(), nullable=False),
        sa.Column("beneficiaries", sa.Text(), nullable=True),
        sa.Column(
            "stage",
            sa.Enum(
                "exploring", "co_designing", "approved", "implementing", "sustaining", "retired", name="stage"
            ),
            nullable=False,
        ),
        sa.Column("owner_person_id", sa.Uuid(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_initiative_dates_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_initiative_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_person_id"],
            ["person.id"],
            name=op.f("fk_initiative_owner_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_initiative_school_id_school"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative")),
    )
    op.create_index(
        "ix_initiative_district_id_created_at_id",
        "initiative",
        ["district_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_initiative_school_id"), "initiative", ["school_id"], unique=False)
    op.create_index(op.f("ix_initiative_updated_at"), "initiative", ["updated_at"], unique=False)
    op.create_table(
        "stakeholder",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "family",
                "student",
                "teacher",
                "union",
                "board",
                "community_organization",
                "district_office",
                "school_leadership",
                "charter_office",
                "business",
                "higher_education",
                "other",
                name="stakeholdercategory",
            ),
            nullable=False,
        ),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("formal_authority", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_stakeholder_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_stakeholder_person_id_person"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stakeholder")),
    )
    op.create_index(
        "ix_stakeholder_district_id_created_at_id",
        "stakeholder",
        ["district_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_stakeholder_updated_at"), "stakeholder", ["updated_at"], unique=False)
    op.create_table(
        "capacity_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("initiative_id", sa.Uuid(), nullable=False),
        sa.Column(
            "category",
            sa.Enum("people", "structures", "systems", "skills", "resources", name="capacitycategory"),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status", sa.Enum("missing", "building", "in_place", name="capacitystatus"), nullable=False
        ),
        sa.Column("owner_person_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_capacity_item_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_capacity_item_initiative_id_initiative"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_person_id"],
            ["person.id"],
            name=op.f("fk_capacity_item_owner_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_item")),
    )
    op.create_index(
        "ix_capacity_item_initiative_id_created_at_id",
        "capacity_item",
        ["initiative_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_capacity_item_updated_at"), "capacity_item", ["updated_at"], unique=False)
    op.create_table(
        "indicator",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=True),
        sa.Column("initiative_id", sa.Uuid(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("implementation", "outcome", "perception", "process", name="indicatorkind"),
            nullable=False,
        ),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("direction", sa.Enum("increase", "decrease", "maintain", name="direction"), nullable=False),
        sa.Column("baseline_value", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("baseline_date", sa.Date(), nullable=True),
        sa.Column("target_value", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_indicator_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_indicator_initiative_id_initiative"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_indicator_school_id_school"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
    )
    op.create_index(
        "ix_indicator_initiative_id_created_at_id",
        "indicator",
        ["initiative_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_indicator_updated_at"), "indicator", ["updated_at"], unique=False)
    op.create_table(
        "initiative_stakeholder",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("initiative_id", sa.Uuid(), nullable=False),
        sa.Column("stakeholder_id", sa.Uuid(), nullable=False),
        sa.Column("power", sa.Integer(), nullable=False),
        sa.Column("interest", sa.Integer(), nullable=False),
        sa.Column(
            "stance",
            sa.Enum("opposed", "skeptical", "neutral", "supportive", "champion", name="stance"),
            nullable=False,
        ),
        sa.Column(
            "participation_level",
            sa.Enum("inform", "consult", "involve", "collaborate", "empower", name="participationlevel"),
            nullable=False,
        ),
        sa.Column("key_authorizer", sa.Boolean(), nullable=False),
        sa.CheckConstraint("interest BETWEEN 1 AND 5", name=op.f("ck_initiative_stakeholder_interest_range")),
        sa.CheckConstraint("power BETWEEN 1 AND 5", name=op.f("ck_initiative_stakeholder_power_range")),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_initiative_stakeholder_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_initiative_stakeholder_initiative_id_initiative"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stakeholder_id"],
            ["stakeholder.id"],
            name=op.f("fk_initiative_stakeholder_stakeholder_id_stakeholder"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative_stakeholder")),
        sa.UniqueConstraint(
            "initiative_id",
            "stakeholder_id",
            name=op.f("uq_initiative_stakeholder_initiative_id_stakeholder_id"),
        ),
    )
    op.create_index(
        "ix_initiative_stakeholder_initiative_id_created_at_id",
        "initiative_stakeholder",
        ["initiative_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_initiative_stakeholder_stakeholder_id"),
        "initiative_stakeholder",
        ["stakeholder_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_initiative_stakeholder_updated_at"), "initiative_stakeholder", ["updated_at"], unique=False
    )
    op.create_table(
        "stance_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("initiative_stakeholder_id", sa.Uuid(), nullable=False),
        sa.Column(
            "from_stance",
            sa.Enum("opposed", "skeptical", "neutral", "supportive", "champion", name="stance"),
            nullable=True,
        ),
        sa.Column(
            "to_stance",
            sa.Enum("opposed", "skeptical", "neutral", "supportive", "champion", name="stance"),
            nullable=False,
        ),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("activity_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by_label", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_stance_change_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["initiative_stakeholder_id"],
            ["initiative_stakeholder.id"],
            name=op.f("fk_stance_change_initiative_stakeholder_id_initiative_stakeholder"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stance_change")),
    )
    op.create_index(
        "ix_stance_change_placement_created_at_id",
        "stance_change",
        ["initiative_stakeholder_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(op.f("ix_stance_change_updated_at"), "stance_change", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_stance_change_updated_at"), table_name="stance_change")
    op.drop_index("ix_stance_change_placement_created_at_id", table_name="stance_change")
    op.drop_table("stance_change")
    op.drop_index(op.f("ix_initiative_stakeholder_updated_at"), table_name="initiative_stakeholder")
    op.drop_index(op.f("ix_initiative_stakeholder_stakeholder_id"), table_name="initiative_stakeholder")
    op.drop_index(
        "ix_initiative_stakeholder_initiative_id_created_at_id", table_name="initiative_stakeholder"
    )
    op.drop_table("initiative_stakeholder")
    op.drop_index(op.f("ix_indicator_updated_at"), table_name="indicator")
    op.drop_index("ix_indicator_initiative_id_created_at_id", table_name="indicator")
    op.drop_table("indicator")
    op.drop_index(op.f("ix_capacity_item_updated_at"), table_name="capacity_item")
    op.drop_index("ix_capacity_item_initiative_id_created_at_id", table_name="capacity_item")
    op.drop_table("capacity_item")
    op.drop_index(op.f("ix_stakeholder_updated_at"), table_name="stakeholder")
    op.drop_index("ix_stakeholder_district_id_created_at_id", table_name="stakeholder")
    op.drop_table("stakeholder")
    op.drop_index(op.f("ix_initiative_updated_at"), table_name="initiative")
    op.drop_index(op.f("ix_initiative_school_id"), table_name="initiative")
    op.drop_index("ix_initiative_district_id_created_at_id", table_name="initiative")
    op.drop_table("initiative")
    sa.Enum(name="stage").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="stakeholdercategory").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="capacitycategory").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="capacitystatus").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="indicatorkind").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="direction").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="stance").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="participationlevel").drop(op.get_bind(), checkfirst=True)
