"""Ladder marks per brand

Revision ID: e12b1a4d5c6f
Revises: d12a0f3c4b5e
Create Date: 2026-11-30 13:00:00.000000

A milestone mark may name one of the supplier's brands; a mark without one holds for the
whole organisation, as every mark did so far. Marks had no uniqueness to extend: they are
history, the latest per milestone (and now per brand) being the current one.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e12b1a4d5c6f'
down_revision = 'd12a0f3c4b5e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('milestone_marks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brand', sa.String(length=200), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_milestone_marks_brand_not_blank'), "brand IS NULL OR brand <> ''"
        )


def downgrade():
    with op.batch_alter_table('milestone_marks', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_milestone_marks_brand_not_blank'), type_='check')
        batch_op.drop_column('brand')
