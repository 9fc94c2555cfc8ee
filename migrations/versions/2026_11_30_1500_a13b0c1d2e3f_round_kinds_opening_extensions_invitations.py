"""Round kinds, opening times, reminders, deadline extensions and invitations of new organisations

Revision ID: a13b0c1d2e3f
Revises: f16a2b3c4d5e
Create Date: 2026-11-30 15:00:00.000000

A round gets its kind (existing rounds were tenders), an opening time (existing rounds opened
when they were created) and the days before closing on which reminders are due (14, 7 and 1).
An organisation may be given a later closing time in a round, with a reason. An invitation may
name a new organisation, made when the invitation is accepted; one sent with a round makes the
new organisation join that round.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a13b0c1d2e3f"
down_revision = "f16a2b3c4d5e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminder_days", sa.JSON(), nullable=True))
    op.execute(
        "UPDATE rounds SET kind = 'tender', opens_at = created_at, reminder_days = '[14, 7, 1]'"
    )
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("opens_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("reminder_days", existing_type=sa.JSON(), nullable=False)
        batch_op.create_check_constraint(
            batch_op.f("ck_rounds_kind_known"),
            "kind IN ('rfi', 'market_dialogue', 'tender', 'follow_up')",
        )

    op.create_table(
        "round_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("extended_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(reason) > 0", name=op.f("ck_round_extensions_reason_given")),
        sa.ForeignKeyConstraint(
            ["extended_by_id"],
            ["users.id"],
            name=op.f("fk_round_extensions_extended_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_round_extensions_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_extensions_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_extensions")),
        sa.UniqueConstraint(
            "round_id", "organisation_id", name=op.f("uq_round_extensions_round_id")
        ),
    )
    with op.batch_alter_table("round_extensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_round_extensions_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("new_organisation_name", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("new_organisation_kind", sa.String(length=16), nullable=True))
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            batch_op.f("ck_invitations_organisation_known"),
            "organisation_id IS NOT NULL OR (new_organisation_name IS NOT NULL "
            "AND new_organisation_kind IN ('reseller', 'brand') AND role = 'supplier_owner')",
        )

    op.create_table(
        "round_invitations",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitations.id"],
            name=op.f("fk_round_invitations_invitation_id_invitations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_invitations_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", "invitation_id", name=op.f("pk_round_invitations")),
    )
    with op.batch_alter_table("round_invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_round_invitations_invitation_id"), ["invitation_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("round_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_invitations_invitation_id"))
    op.drop_table("round_invitations")

    # Invitations to organisations never made cannot stay without an organisation.
    op.execute("DELETE FROM invitations WHERE organisation_id IS NULL")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_invitations_organisation_known"), type_="check")
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("new_organisation_kind")
        batch_op.drop_column("new_organisation_name")

    with op.batch_alter_table("round_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_extensions_organisation_id"))
    op.drop_table("round_extensions")

    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_rounds_kind_known"), type_="check")
        batch_op.drop_column("reminder_days")
        batch_op.drop_column("opens_at")
        batch_op.drop_column("kind")
