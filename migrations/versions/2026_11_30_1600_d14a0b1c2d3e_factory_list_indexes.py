"""Indexes for the paged factory lists

Revision ID: d14a0b1c2d3e
Revises: c13d2e3f4051
Create Date: 2026-11-30 16:00:00.000000

The factory lists are read a page at a time. The buyer's table of every supplier's current
factories (left_on IS NULL: partial indexes) counts them per country from an index and reads
a page in the order of country, the last change, the number of workers, or role and country,
instead of sorting all of them first; a supplier's own list reads its default order (role,
then country) from an index of its organisation.
"""
from alembic import op
import sqlalchemy as sa


revision = "d14a0b1c2d3e"
down_revision = "c13d2e3f4051"
branch_labels = None
depends_on = None

#: Indexes of the current factories only.
CURRENT_INDEXES = {
    "ix_factories_current_country": ["country"],
    "ix_factories_current_updated_at": ["updated_at"],
    "ix_factories_current_workers_min": ["workers_min"],
    "ix_factories_current_role_country": ["role", "country"],
}
CURRENT = sa.text("left_on IS NULL")


def upgrade():
    for name, columns in CURRENT_INDEXES.items():
        op.create_index(
            name,
            "factories",
            columns,
            unique=False,
            sqlite_where=CURRENT,
            postgresql_where=CURRENT,
        )
    op.create_index(
        "ix_factories_organisation_role_country",
        "factories",
        ["organisation_id", "role", "country"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_factories_organisation_role_country", table_name="factories")
    for name in reversed(list(CURRENT_INDEXES)):
        op.drop_index(name, table_name="factories")
