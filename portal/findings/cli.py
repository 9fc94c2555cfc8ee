"""`flask findings remind`: overdue corrective actions, each deadline told once."""

import click
from flask.cli import AppGroup

from portal.findings.reminders import send_due_notices

group = AppGroup("findings", help="Findings and their corrective actions.")


@group.command("remind")
def remind_command():
    """E-mail the owners and members of each supplier whose corrective action plan or proof
    is overdue, and the reviewer who recorded the finding.

    Each deadline is told once and committed as it goes, so this can run from cron every
    hour; a deadline that a reviewer extends is told again if the new day passes too. Exits
    with an error when a mail could not be sent (the next run tries it again).
    """
    sent, failed = send_due_notices()
    click.echo(f"{sent} overdue notice(s) sent.")
    if failed:
        raise click.ClickException(f"{failed} notice(s) could not be sent; see the log.")
