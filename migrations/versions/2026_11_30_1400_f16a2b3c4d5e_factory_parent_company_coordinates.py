"""Factory parent company and coordinates

Revision ID: f16a2b3c4d5e
Revises: e12b1a4d5c6f
Create Date: 2026-11-30 14:00:00.000000

A factory names the group that owns it (Open Supply Hub's parent_company, not the brands it
makes products for) and, when known, where it lies: latitude and longitude in degrees, each
within its range.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f16a2b3c4d5e'
down_revision = 'e12b1a4d5c6f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('factories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_company', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_factories_latitude_range'), 'latitude BETWEEN -90 AND 90'
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_factories_longitude_range'), 'longitude BETWEEN -180 AND 180'
        )


def downgrade():
    with op.batch_alter_table('factories', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_factories_longitude_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_factories_latitude_range'), type_='check')
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('parent_company')
