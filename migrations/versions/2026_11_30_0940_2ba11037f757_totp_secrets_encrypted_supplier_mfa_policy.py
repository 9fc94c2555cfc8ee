"""TOTP secrets encrypted at rest, set-up secrets server-side, supplier two-factor policy

Revision ID: 2ba11037f757
Revises: fa9323c7e6aa
Create Date: 2026-11-30 09:40:12.512338

The secrets already stored in plain text are encrypted here with the newest key of
TOTP_ENCRYPTION_KEYS (read from the application's configuration, as `flask db upgrade`
runs inside it); the downgrade decrypts them with any of the keys.
"""
from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app


# revision identifiers, used by Alembic.
revision = '2ba11037f757'
down_revision = 'fa9323c7e6aa'
branch_labels = None
depends_on = None


def _keys():
    keys = [k.strip() for k in current_app.config["TOTP_ENCRYPTION_KEYS"].split(",") if k.strip()]
    return MultiFernet([Fernet(key) for key in keys])


def _secrets(connection):
    return connection.execute(
        sa.text("SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL")
    ).all()


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret',
               existing_type=sa.String(length=64),
               type_=sa.String(length=255),
               existing_nullable=True)
        batch_op.add_column(sa.Column('totp_pending_secret', sa.String(length=255), nullable=True))

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_mfa_required_for_suppliers', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_organisations_mfa_policy_buyer_only'),
            "kind = 'buyer' OR NOT is_mfa_required_for_suppliers",
        )

    # Data: every secret stored in plain text so far is encrypted with the newest key.
    connection = op.get_bind()
    box = _keys()
    for user_id, secret in _secrets(connection):
        connection.execute(
            sa.text("UPDATE users SET totp_secret = :token WHERE id = :id"),
            {"token": box.encrypt(secret.encode()).decode("ascii"), "id": user_id},
        )


def downgrade():
    connection = op.get_bind()
    box = _keys()
    for user_id, token in _secrets(connection):
        connection.execute(
            sa.text("UPDATE users SET totp_secret = :secret WHERE id = :id"),
            {"secret": box.decrypt(token.encode("ascii")).decode(), "id": user_id},
        )

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organisations_mfa_policy_buyer_only'), type_='check')
        batch_op.drop_column('is_mfa_required_for_suppliers')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_pending_secret')
        batch_op.alter_column('totp_secret',
               existing_type=sa.String(length=255),
               type_=sa.String(length=64),
               existing_nullable=True)
