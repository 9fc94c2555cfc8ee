"""`flask ladder publish N` (`flask questionnaires check` checks the ladder files too)."""

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.ladder.services import PublishError, ladder_file, publish
from portal.questionnaires.cli import FOLDER
from portal.questionnaires.cli import folder_or_default as _folder

group = AppGroup("ladder", help="Publish the worker-empowerment ladder.")


@group.command("publish")
@click.argument("number", type=int)
@FOLDER
def publish_command(number, folder):
    """Load questionnaires/worker-empowerment-ladder/vNUMBER.yaml into the database. The
    highest published number is the ladder reviewers mark against; a version that has marks
    never changes."""
    try:
        version, outcome = publish(number, root=_folder(folder))
    except PublishError as error:
        db.session.rollback()
        for message in error.messages:
            click.echo(message, err=True)
        raise click.ClickException(
            f"{ladder_file(number, root=_folder(folder))} was not published."
        ) from error
    db.session.commit()
    messages = {
        "published": f"Published {version.label} ({len(version.ladder.milestones)} milestones).",
        "unchanged": f"{version.label} is already published and unchanged.",
        "updated": f"Updated {version.label}: it had no marks yet.",
    }
    click.echo(messages[outcome])
