"""`flask questionnaires check` and `flask questionnaires publish KEY N`."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db
from portal.ladder.definition import load_ladder
from portal.questionnaires.definitions import definition_files, is_ladder, load_file
from portal.questionnaires.services import PublishError, publish

group = AppGroup("questionnaires", help="Check and publish questionnaire definitions.")


FOLDER = click.option(
    "--folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The folder holding <key>/v<N>.yaml files (default: QUESTIONNAIRES_FOLDER).",
)


def folder_or_default(folder: Path | None) -> Path:
    """The --folder given, or QUESTIONNAIRES_FOLDER."""
    return folder or Path(current_app.config["QUESTIONNAIRES_FOLDER"])


@group.command("check")
@FOLDER
def check_command(folder):
    """Check every questionnaires/<key>/v<N>.yaml and list every problem with its path."""
    files = definition_files(folder_or_default(folder))
    problems = []
    for path in files:
        # Ladders live beside questionnaires and are checked by their own loader.
        problems += (load_ladder(path) if is_ladder(path) else load_file(path))[1]
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in {len(files)} file(s).")
    click.echo(f"{len(files)} definition file(s), no problems.")


@group.command("publish")
@click.argument("key")
@click.argument("number", type=int)
@FOLDER
def publish_command(key, number, folder):
    """Load questionnaires/KEY/vNUMBER.yaml into the database. A version that has responses
    never changes: a changed file for it is refused, naming the changed questions."""
    try:
        version, outcome = publish(key, number, root=folder_or_default(folder))
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
