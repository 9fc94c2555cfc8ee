"""`flask contracts request-reports`: ask each supplier for its contract report as it falls
due, once."""

import click
from flask.cli import AppGroup

from portal.contracts.services import request_due_reports

group = AppGroup("contracts", help="Contracts and their reports.")


@group.command("request-reports")
def request_reports_command():
    """Request every contract report that falls due within CONTRACT_REPORT_NOTICE_DAYS (30 by
    default), or has fallen due, and has not been requested: a follow-up round on the
    contract's report questionnaire for its supplier, closing on the due date (or, when that
    has passed, the notice period from today).

    Each request is committed on its own and a contract is requested once, so this can run
    from cron every day: a second run, or one at the same time, requests nothing again.
    Reminders then come from `flask rounds remind`.
    """
    requested = request_due_reports()
    for contract in requested:
        click.echo(f"Requested the report on {contract.reference} ({contract.organisation.name}).")
    click.echo(f"{len(requested)} report(s) requested.")
