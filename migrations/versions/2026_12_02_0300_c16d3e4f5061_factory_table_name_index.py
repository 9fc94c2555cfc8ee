"""An index for the buyer's factory table in its first order (PostgreSQL)

Revision ID: c16d3e4f5061
Revises: b15c2d3e4f50
Create Date: 2026-12-02 03:00:00.000000

The buyer's table of every supplier's current factories is shown first by country, then by
name (lower(name), then id). With only the country indexed, PostgreSQL sorted every factory
of the first country by name to show 25 of them; with this index it reads them in order.
SQLite, the single-user default, goes on sorting (its lists are small).
"""
from alembic import op
import sqlalchemy as sa


revision = "c16d3e4f5061"
down_revision = "b15c2d3e4f50"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        "ix_factories_current_country_name",
        "factories",
        ["country", sa.text("lower(name)"), "id"],
        unique=False,
        postgresql_where=sa.text("left_on IS NULL"),
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_factories_current_country_name", table_name="factories")
