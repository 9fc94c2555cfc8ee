"""`flask totp rotate-key`: TOTP secrets re-encrypted with the newest key."""

import click
from flask.cli import AppGroup

from portal.auth.mfa import reencrypt_secrets
from portal.encryption import UndecryptableError
from portal.extensions import db

group = AppGroup("totp", help="Two-factor sign-in secrets.")


@group.command("rotate-key")
def rotate_key_command():
    """Re-encrypt every stored TOTP secret with the first key in TOTP_ENCRYPTION_KEYS.

    Put the new key first in TOTP_ENCRYPTION_KEYS (the old ones after it), restart the
    portal, run this, then remove the old keys. Safe to run again.
    """
    try:
        count = reencrypt_secrets()
    except UndecryptableError as error:
        db.session.rollback()
        raise click.ClickException(
            f"{error}. Nothing was changed: add the missing key after the new one and run "
            "this again."
        ) from error
    db.session.commit()
    click.echo(f"{count} secret(s) now encrypted with the newest key.")
