"""`flask questionnaires publish KEY N` (`flask questionnaires check`, which reads every kind of
definition file, is added to this group where the commands are wired: `portal.cli`)."""

import click
from flask.cli import AppGroup

from portal.definitions import FOLDER, publish_and_report
from portal.questionnaires.services import QUESTIONNAIRES

group = AppGroup("questionnaires", help="Check and publish questionnaire definitions.")


@group.command("publish")
@click.argument("key")
@click.argument("number", type=int)
@FOLDER
def publish_command(key, number, folder):
    """Load questionnaires/KEY/vNUMBER.yaml into the database. A version that has responses
    never changes: a changed file for it is refused, naming the changed questions."""
    publish_and_report(
        QUESTIONNAIRES,
        key,
        number,
        folder,
        size=lambda version: f"{len(version.definition.questions)} questions",
    )
