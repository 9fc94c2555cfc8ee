"""Operator commands: `flask create-admin`, `flask load-demo`, and where every command group is
wired. Each commits its own work."""

import secrets
import string

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from portal.auth.cli import group as totp_commands
from portal.auth.services import User, find_user_by_email, normalise_email
from portal.contracts.cli import group as contract_commands
from portal.definitions import check_command
from portal.demo import load
from portal.evidence.services import remind
from portal.extensions import db
from portal.factories.cli import group as import_commands
from portal.findings.cli import group as findings_commands
from portal.ladder.cli import group as ladder_commands
from portal.ladder.services import LADDERS
from portal.orgs.models import OrgKind
from portal.orgs.services import buyer_organisation, create_organisation
from portal.passwords import hash_password, password_problems
from portal.questionnaires.cli import group as questionnaire_commands
from portal.questionnaires.services import QUESTIONNAIRES
from portal.roles import Role
from portal.rounds.cli import group as round_commands

evidence_commands = AppGroup("evidence", help="Evidence documents.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(load_demo)
    # Every kind of definition file lives in the one folder, so one check reads them all.
    questionnaire_commands.add_command(check_command(QUESTIONNAIRES, LADDERS))
    app.cli.add_command(questionnaire_commands)
    app.cli.add_command(evidence_commands)
    app.cli.add_command(ladder_commands)
    app.cli.add_command(import_commands)
    app.cli.add_command(round_commands)
    app.cli.add_command(contract_commands)
    app.cli.add_command(findings_commands)
    app.cli.add_command(totp_commands)


def _validate_password(ctx, param, value: str) -> str:
    with force_locale("en"):  # operators' commands speak English, like their --help
        problems = password_problems(value)
    if problems:
        raise click.BadParameter(" ".join(problems))
    return value


@click.command("create-admin")
@click.argument("email")
@click.option("--name", required=True, help="The administrator's full name.")
@click.option(
    "--organisation",
    "organisation_name",
    default=None,
    help="Name of the buyer organisation; needed only when none exists yet.",
)
@click.option(
    "--contact-email",
    default=None,
    help="The buyer organisation's contact address (defaults to EMAIL).",
)
@click.password_option(
    help="Prompted for (hidden, twice) when not given.", callback=_validate_password
)
def create_admin(email, name, organisation_name, contact_email, password):
    """Create a buyer administrator (and the buyer organisation if there is none).

    The administrator sets up two-factor sign-in at the first sign-in.
    """
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise click.ClickException(f"{email} already has an account.")
    buyer = buyer_organisation()
    if buyer is None:
        if not organisation_name:
            raise click.ClickException(
                "There is no buyer organisation yet: give its name with --organisation."
            )
        buyer = create_organisation(
            kind=OrgKind.BUYER,
            name=organisation_name,
            org_number=None,
            country="SE",
            contact_email=contact_email or email,
            actor=None,
        )
    db.session.add(
        User(
            organisation_id=buyer.id,
            email=email,
            full_name=name,
            role=Role.BUYER_ADMIN.value,
            password_hash=hash_password(password),
        )
    )
    db.session.commit()
    click.echo(f"Created buyer administrator {email} in {buyer.name}.")


@click.command("load-demo")
@click.option(
    "--password",
    default=None,
    help="Password for every demo account (a random one is made when not given).",
)
def load_demo(password):
    """Load demo organisations and users, and print their logins (development only).

    Running it again keeps existing data and sets a new demo password.
    """
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Demo data is never loaded in production.")
    # Letters and digits only: easy to copy, and never mistaken for a command-line option.
    alphabet = string.ascii_letters + string.digits
    password = password or "".join(secrets.choice(alphabet) for _ in range(14))
    logins = load(password)
    db.session.commit()
    click.echo("")
    click.echo(f"Demo logins (password for all: {password})")
    for email, role, organisation in logins:
        click.echo(f"  {email:<34} {role:<16} {organisation}")
    click.echo("Buyer staff set up two-factor sign-in with an authenticator app the first time.")
    click.echo("")


@evidence_commands.command("remind")
def remind_command():
    """E-mail supplier owners about certificates that expire within 60 days or have expired.

    Each document is mentioned once per threshold, so this can run from cron every day.
    """
    sent = remind()
    db.session.commit()
    click.echo(f"{sent} reminder(s) sent.")
