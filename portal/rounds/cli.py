"""`flask rounds remind`: reminders of a round's closing time, each sent once."""

import click
from flask.cli import AppGroup

from portal.rounds.reminders import send_due_reminders

group = AppGroup("rounds", help="Rounds of questionnaires.")


@group.command("remind")
def remind_command():
    """E-mail the owners and members of each organisation that has not submitted its response
    in an open round, on the round's reminder days before its closing time for them.

    Each reminder is sent once and committed as it goes, so this can run from cron every hour:
    a run that stops half-way leaves the rest to the next one, which repeats nothing sent.
    After an outage only the latest reminder due is sent. Exits with an error when a mail
    could not be sent (the next run tries it again).
    """
    sent, failed = send_due_reminders()
    click.echo(f"{sent} reminder(s) sent.")
    if failed:
        raise click.ClickException(f"{failed} reminder(s) could not be sent; see the log.")
