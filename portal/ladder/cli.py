"""`flask ladder publish N` (`flask questionnaires check` checks the ladder files too)."""

import click
from flask.cli import AppGroup

from portal.definitions import FOLDER, publish_and_report
from portal.ladder.services import LADDER_KEY, LADDERS, ladder_file

group = AppGroup("ladder", help="Publish the worker-empowerment ladder.")


@group.command("publish")
@click.argument("number", type=int)
@FOLDER
def publish_command(number, folder):
    """Load questionnaires/worker-empowerment-ladder/vNUMBER.yaml into the database. The
    highest published number is the ladder reviewers mark against; a version that has marks
    never changes."""
    publish_and_report(
        LADDERS,
        LADDER_KEY,
        number,
        folder,
        size=lambda version: f"{len(version.ladder.milestones)} milestones",
        subject=str(ladder_file(number, root=folder)),
    )
