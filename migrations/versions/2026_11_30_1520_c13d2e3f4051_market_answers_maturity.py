"""Market answers per criterion and maturity thresholds per round

Revision ID: c13d2e3f4051
Revises: b13c1d2e3f40
Create Date: 2026-11-30 15:20:00.000000

In RFI and market-dialogue rounds a supplier says, per criterion, whether it meets it today
(yes, partly, no, or planned by a date), how many hours proving it would take, and a comment.
A round may set its own thresholds for the market-maturity verdicts (null: the defaults).
"""
from alembic import op
import sqlalchemy as sa


revision = "c13d2e3f4051"
down_revision = "b13c1d2e3f40"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "market_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=40), nullable=False),
        sa.Column("meets", sa.String(length=10), nullable=True),
        sa.Column("planned_by", sa.Date(), nullable=True),
        sa.Column("effort_hours", sa.Float(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "meets IS NULL OR meets IN ('yes', 'partly', 'no', 'planned')",
            name=op.f("ck_market_answers_meets_known"),
        ),
        sa.CheckConstraint(
            "(meets = 'planned') = (planned_by IS NOT NULL)",
            name=op.f("ck_market_answers_planned_has_date"),
        ),
        sa.CheckConstraint(
            "effort_hours IS NULL OR (effort_hours >= 0 AND effort_hours <= 10000)",
            name=op.f("ck_market_answers_effort_bounded"),
        ),
        sa.CheckConstraint(
            "comment IS NULL OR length(comment) <= 2000",
            name=op.f("ck_market_answers_comment_bounded"),
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_market_answers_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_market_answers_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_answers")),
        sa.UniqueConstraint(
            "response_id", "criterion", name="uq_market_answers_response_id"
        ),
    )
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("maturity_thresholds", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_column("maturity_thresholds")
    op.drop_table("market_answers")
