"""Reminders sent for rounds, each once

Revision ID: b13c1d2e3f40
Revises: a13b0c1d2e3f
Create Date: 2026-11-30 15:10:00.000000

One row per reminder of a round's deadline sent to an organisation: its number of days
before closing is unique per round and organisation, so `flask rounds remind` sends each
reminder once however often it runs.
"""
from alembic import op
import sqlalchemy as sa


revision = "b13c1d2e3f40"
down_revision = "a13b0c1d2e3f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('round_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.CheckConstraint('days_before >= 0', name=op.f('ck_round_reminders_days_before_not_negative')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_round_reminders_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_reminders_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_reminders')),
    sa.UniqueConstraint('round_id', 'organisation_id', 'days_before', name='uq_round_reminders_round_id')
    )
    with op.batch_alter_table('round_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_reminders_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('round_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_reminders_organisation_id'))

    op.drop_table('round_reminders')
