"""`flask questionnaires check` and `flask questionnaires publish KEY N`."""

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.questionnaires.definitions import definition_files, load_file
from portal.questionnaires.services import PublishError, publish

group = AppGroup("questionnaires", help="Check and publish questionnaire definitions.")


@group.command("check")
def check_command():
    """Check every questionnaires/<key>/v<N>.yaml and list every problem with its path."""
    files = definition_files()
    problems = []
    for path in files:
        problems += load_file(path)[1]
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in {len(files)} file(s).")
    click.echo(f"{len(files)} definition file(s), no problems.")


@group.command("publish")
@click.argument("key")
@click.argument("number", type=int)
def publish_command(key, number):
    """Load questionnaires/KEY/vNUMBER.yaml into the database. A version that has responses
    never changes: a changed file for it is refused, naming the changed questions."""
    try:
        version, outcome = publish(key, number)
    except PublishError as error:
        db.session.rollback()
        for message in error.messages:
            click.echo(message, err=True)
        raise click.ClickException(f"{key} v{number} was not published.") from error
    db.session.commit()
    messages = {
        "published": f"Published {version.label} ({len(version.definition.questions)} questions).",
        "unchanged": f"{version.label} is already published and unchanged.",
        "updated": f"Updated {version.label}: it had no responses yet.",
    }
    click.echo(messages[outcome])
