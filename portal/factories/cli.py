"""`flask imports purge`: uploaded factory lists that nobody confirmed do not stay."""

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db
from portal.factories.services import purge_expired_imports

group = AppGroup("imports", help="Uploaded factory lists waiting to be confirmed.")


@group.command("purge")
def purge_command():
    """Delete the factory imports that were uploaded but not confirmed within
    FACTORY_IMPORT_EXPIRY_HOURS (24 by default). Confirmed imports stay.

    Deleting only what has expired, it can run from cron as often as you like (every hour,
    say); the portal also refuses expired imports when nobody has purged them yet.
    """
    removed = purge_expired_imports()
    db.session.commit()
    hours = current_app.config["FACTORY_IMPORT_EXPIRY_HOURS"]
    click.echo(f"Removed {removed} unconfirmed factory import(s) older than {hours} hours.")
