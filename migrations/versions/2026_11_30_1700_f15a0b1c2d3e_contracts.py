"""Contracts with social clauses and their reports

Revision ID: f15a0b1c2d3e
Revises: e14b1c2d3e4f
Create Date: 2026-11-30 17:00:00.000000

A contract ties a supplier organisation to one of the buyer's eight ICT categories, with its
value, its start and end, the brands delivered and the questionnaire version of its report;
the report falls due some months after the start and is requested through a follow-up round.
"""
from alembic import op
import sqlalchemy as sa


revision = "f15a0b1c2d3e"
down_revision = "e14b1c2d3e4f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("value_sek", sa.BigInteger(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("brands", sa.JSON(), nullable=False),
        sa.Column("report_version_id", sa.Integer(), nullable=False),
        sa.Column("report_months", sa.Integer(), nullable=False),
        sa.Column("report_round_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "category IN ('pcs', 'monitors', 'thin_clients', 'medical_panel_pcs', "
            "'network_security', 'servers_storage', 'desktop_equipment', 'small_printers')",
            name=op.f("ck_contracts_category_known"),
        ),
        sa.CheckConstraint("value_sek >= 0", name=op.f("ck_contracts_value_not_negative")),
        sa.CheckConstraint("ends_on > starts_on", name=op.f("ck_contracts_ends_after_start")),
        sa.CheckConstraint(
            "report_months BETWEEN 1 AND 120", name=op.f("ck_contracts_report_months_range")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_contracts_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_version_id"],
            ["questionnaire_versions.id"],
            name=op.f("fk_contracts_report_version_id_questionnaire_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["report_round_id"],
            ["rounds.id"],
            name=op.f("fk_contracts_report_round_id_rounds"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("reference", name=op.f("uq_contracts_reference")),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contracts_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contracts_report_round_id"), ["report_round_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_report_round_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_organisation_id"))
    op.drop_table("contracts")
