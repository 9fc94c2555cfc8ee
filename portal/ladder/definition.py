"""Ladder definitions: the YAML file's shape, loading and checking it, and reading it.

A ladder lives beside the questionnaires, as questionnaires/<key>/v<N>.yaml with
`kind: ladder`: data reviewed like code, never edited once marks refer to it.
"""

from pathlib import Path

from marshmallow import RAISE, Schema, fields, validate

from portal.definitions import (
    KEY,
    Problem,
    Text,
    VersionedContent,
    VersionedSchema,
    load_definition,
)
from portal.questionnaires.services import EVIDENCE_KINDS
from portal.texts import text_in

KIND = "ladder"


class MilestoneSchema(Schema):
    """One step of the ladder and what proves it."""

    class Meta:
        unknown = RAISE

    key = fields.String(required=True, validate=KEY)
    step = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    title = fields.Nested(Text, required=True)
    #: What the supplier shows to prove the step, concretely.
    description = fields.Nested(Text, required=True)
    evidence = fields.List(fields.String(validate=validate.OneOf(EVIDENCE_KINDS)), required=True)


class LadderSchema(VersionedSchema):
    """A whole ladder version, as written in questionnaires/<key>/v<N>.yaml."""

    FORMAT_VERSION = 1
    FORMAT_NAME = "ladder "

    kind = fields.String(required=True, validate=validate.Equal(KIND))
    intro = fields.Nested(Text)
    milestones = fields.List(
        fields.Nested(MilestoneSchema), required=True, validate=validate.Length(min=2)
    )


def check_milestones(content: dict) -> list[tuple[str, str]]:
    """Problems no schema can see: steps out of order, repeated keys, a step without
    evidence."""
    problems = []
    seen = set()
    for index, milestone in enumerate(content["milestones"]):
        path = f"milestones[{index}]"
        if milestone["step"] != index:
            problems.append(
                (f"{path}.step", f"Must be {index}: steps run 0, 1, 2 … in file order.")
            )
        if milestone["key"] in seen:
            problems.append((f"{path}.key", f"Duplicate milestone key {milestone['key']!r}."))
        seen.add(milestone["key"])
        if index > 0 and not milestone["evidence"]:
            problems.append((f"{path}.evidence", "Name the kinds of evidence that prove it."))
    return problems


def load_ladder(path: Path) -> tuple[dict | None, list[Problem]]:
    """The checked content of a ladder file, or None and every problem found."""
    return load_definition(path, LadderSchema(), check_milestones)


class Ladder(VersionedContent):
    """Read access to the content of one ladder version."""

    def intro(self, lang: str) -> str:
        return text_in(self.content.get("intro"), lang)

    @property
    def milestones(self) -> list[dict]:
        """Every milestone, step 0 first."""
        return self.content["milestones"]

    @property
    def markable(self) -> list[dict]:
        """The milestones a reviewer marks: every step but 0, where everyone starts."""
        return [m for m in self.milestones if m["step"] > 0]

    @property
    def top(self) -> int:
        return self.milestones[-1]["step"]

    def milestone(self, key: str) -> dict | None:
        return next((m for m in self.milestones if m["key"] == key), None)

    def at(self, step: int) -> dict | None:
        """The milestone of a step (steps are the list's indexes, checked on loading)."""
        return self.milestones[step] if 0 <= step < len(self.milestones) else None
