"""Country-risk table and follow-up selection

Revision ID: b15c2d3e4f50
Revises: a15b1c2d3e4f
Create Date: 2026-11-30 17:20:00.000000

The country-risk table (four figures from 0 to 100 per country, each with its source and
year) and the desktop audits planned from the risk ranking: one per supplier per contract
period, held by a unique constraint on the period's first day.
"""
from alembic import op
import sqlalchemy as sa


revision = "b15c2d3e4f50"
down_revision = "a15b1c2d3e4f"
branch_labels = None
depends_on = None

FIGURES = ("freedom_of_association", "working_time", "gender_inequality", "overall")


def _figure_columns():
    for name in FIGURES:
        yield sa.Column(name, sa.Float(), nullable=False)
        yield sa.Column(f"{name}_source", sa.String(length=300), nullable=False)
        yield sa.Column(f"{name}_year", sa.Integer(), nullable=False)


def _figure_checks():
    for name in FIGURES:
        yield sa.CheckConstraint(
            f"{name} BETWEEN 0 AND 100", name=op.f(f"ck_country_risks_{name}_range")
        )
        yield sa.CheckConstraint(
            f"{name}_year BETWEEN 1990 AND 2100", name=op.f(f"ck_country_risks_{name}_year_range")
        )


def upgrade():
    op.create_table('country_risks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    *_figure_columns(),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(country) = 2', name=op.f('ck_country_risks_country_alpha2')),
    *_figure_checks(),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_country_risks_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_country_risks')),
    sa.UniqueConstraint('country', name='uq_country_risks_country')
    )
    op.create_table('desktop_audits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period_starts_on', sa.Date(), nullable=False),
    sa.Column('period_ends_on', sa.Date(), nullable=False),
    sa.Column('contract_ids', sa.JSON(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('planned_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('period_ends_on >= period_starts_on', name=op.f('ck_desktop_audits_period_ordered')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_desktop_audits_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['planned_by_id'], ['users.id'], name=op.f('fk_desktop_audits_planned_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desktop_audits')),
    sa.UniqueConstraint('organisation_id', 'period_starts_on', name='uq_desktop_audits_organisation_id')
    )
    with op.batch_alter_table('desktop_audits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desktop_audits_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('desktop_audits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desktop_audits_organisation_id'))

    op.drop_table('desktop_audits')
    op.drop_table('country_risks')
