"""`flask ladder publish N` (`flask questionnaires check` checks the ladder files too)."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db
from portal.ladder.services import PublishError, ladder_file, publish

group = AppGroup("ladder", help="Publish the worker-empowerment ladder.")

FOLDER = click.option(
    "--folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The folder holding <key>/v<N>.yaml files (default: QUESTIONNAIRES_FOLDER).",
)


def _folder(folder: Path | None) -> Path:
    return folder or Path(current_app.config["QUESTIONNAIRES_FOLDER"])


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
