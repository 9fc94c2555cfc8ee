"""Factories tied to products, workforce make-up, history of details, brand confirmations

Revision ID: d12a0f3c4b5e
Revises: 2ba11037f757
Create Date: 2026-11-30 12:20:00.000000

A factory names the product models it makes and, for a main-component factory, what it
supplies; its workforce make-up in whole percentages; each edit of its details keeps the
previous ones with the days they were current; and the day the list was last confirmed with
each brand is kept per organisation.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd12a0f3c4b5e'
down_revision = '2ba11037f757'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('factory_brand_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('brand', sa.String(length=200), nullable=False),
    sa.Column('confirmed_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_factory_brand_confirmations_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_factory_brand_confirmations_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_factory_brand_confirmations')),
    sa.UniqueConstraint('organisation_id', 'brand', name='uq_factory_brand_confirmations_organisation_id')
    )
    op.create_table('factory_details_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('factory_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('valid_to >= valid_from', name=op.f('ck_factory_details_versions_valid_to_after_from')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_factory_details_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['factory_id'], ['factories.id'], name=op.f('fk_factory_details_versions_factory_id_factories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_factory_details_versions'))
    )
    with op.batch_alter_table('factory_details_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_factory_details_versions_factory_id'), ['factory_id'], unique=False)

    with op.batch_alter_table('factories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_models', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('supplies_factory_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('supplies_brand', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('women_percent', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('migrant_percent', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('agency_percent', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_factories_supplies_factory_id_factories'), 'factories', ['supplies_factory_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(batch_op.f('ck_factories_women_percent_range'), 'women_percent BETWEEN 0 AND 100')
        batch_op.create_check_constraint(batch_op.f('ck_factories_migrant_percent_range'), 'migrant_percent BETWEEN 0 AND 100')
        batch_op.create_check_constraint(batch_op.f('ck_factories_agency_percent_range'), 'agency_percent BETWEEN 0 AND 100')
        batch_op.create_check_constraint(batch_op.f('ck_factories_supplies_main_component'), "role = 'main_component' OR (supplies_factory_id IS NULL AND supplies_brand IS NULL)")


def downgrade():
    with op.batch_alter_table('factories', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_factories_supplies_main_component'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_factories_agency_percent_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_factories_migrant_percent_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_factories_women_percent_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_factories_supplies_factory_id_factories'), type_='foreignkey')
        batch_op.drop_column('agency_percent')
        batch_op.drop_column('migrant_percent')
        batch_op.drop_column('women_percent')
        batch_op.drop_column('supplies_brand')
        batch_op.drop_column('supplies_factory_id')
        batch_op.drop_column('product_models')

    with op.batch_alter_table('factory_details_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_factory_details_versions_factory_id'))

    op.drop_table('factory_details_versions')
    op.drop_table('factory_brand_confirmations')
