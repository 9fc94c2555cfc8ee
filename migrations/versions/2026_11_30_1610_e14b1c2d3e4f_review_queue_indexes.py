"""Indexes for the paged review queue

Revision ID: e14b1c2d3e4f
Revises: d14a0b1c2d3e
Create Date: 2026-11-30 16:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = "e14b1c2d3e4f"
down_revision = "d14a0b1c2d3e"
branch_labels = None
depends_on = None


def upgrade():
    # The review queue is read oldest submission first (or newest), a page at a time: with
    # this index a page reads its own rows instead of sorting every submitted response.
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_responses_submitted_at"), ["submitted_at"], unique=False)


def downgrade():
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_responses_submitted_at"))
