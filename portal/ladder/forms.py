"""The reviewer's marking form, compiled from the ladder: one group of fields per milestone."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from portal.ladder.labels import STATUS_LABELS
from portal.questionnaires.services import EVIDENCE_LABELS
from portal.timeutil import utcnow

if TYPE_CHECKING:
    from portal.evidence.services import EvidenceDocument

PARTS = ("status", "marked_on", "document", "evidence_note", "note")


def part_name(part: str, milestone_key: str) -> str:
    """The field name of one part of a milestone's mark, such as `status-workers_trained`."""
    return f"{part}-{milestone_key}"


def _id_or_none(value):
    if value in (None, ""):
        return None
    return int(value)


class MarkingFormBase(FlaskForm):
    #: The ladder version the page showed; marks made against a newer one are refused.
    version = HiddenField()
    #: "" for the whole organisation, or one of the supplier's brands (offered only when it
    #: names some).
    brand = SelectField(
        _l("Marks for"),
        description=_l(
            "A mark for the whole organisation holds for every brand; a mark for one brand "
            "holds for that brand only."
        ),
        choices=[],
        validate_choice=False,  # checked in validate(), with a message that says why
    )

    milestone_keys: tuple[str, ...] = ()
    #: The evidence kinds each milestone accepts, by milestone key.
    accepted_kinds: dict[str, tuple[str, ...]] = {}
    #: The supplier's documents by id, to name the kind of one posted for the wrong step.
    documents: dict[int, "EvidenceDocument"] = {}

    def made_on(self, version_id: int) -> bool:
        """Whether the marks were made on the page of this ladder version. If not, the form
        is set to it and says so: the reviewer checks the milestones and sends again."""
        if self.version.data == str(version_id):
            return True
        self.version.data = str(version_id)
        self.form_errors.append(
            _l(
                "The ladder has a new version since you opened this page. Check the "
                "milestones, then send the marks again."
            )
        )
        return False

    def part(self, part: str, milestone_key: str):
        return self[part_name(part, milestone_key)]

    @property
    def chosen_brand(self) -> str | None:
        """The brand the marks are for, or None for the whole organisation."""
        return self.brand.data or None

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        if self.brand.data and self.brand.data not in {c[0] for c in self.brand.choices}:
            self.brand.errors.append(
                _l("Choose the whole organisation or one of the supplier's brands from the list.")
            )
        today = utcnow().date()
        chosen = 0
        for key in self.milestone_keys:
            status, day, document, evidence_note, note = (self.part(p, key) for p in PARTS)
            if not status.data:
                day.errors[:] = []  # a date alone records nothing
                if document.data or evidence_note.data or note.data:
                    status.errors.append(
                        _l("Choose a status to record this mark, or clear its evidence and note.")
                    )
                continue
            chosen += 1
            if day.data is None:
                day.errors[:] = [_l("Enter the date as YYYY-MM-DD.")]
            elif day.data > today:
                day.errors.append(_l("The date cannot be in the future."))
            if document.data is not None:
                self._check_document(key, document)
            if status.data == "achieved" and not document.data and not evidence_note.data:
                evidence_note.errors.append(
                    _l("An achieved milestone needs evidence: choose a document or describe it.")
                )
        if not chosen and not self.errors:
            self.form_errors.append(_l("Choose a status for at least one milestone."))
        return not self.errors

    def _check_document(self, key: str, field) -> None:
        """Only a document of a kind the milestone accepts proves it (the list offers no
        other; this refuses one posted anyway, saying why)."""
        accepted = self.accepted_kinds.get(key, ())
        chosen = self.documents.get(field.data)
        if chosen is None:
            field.errors.append(_l("Choose one of the supplier's documents from the list."))
        elif chosen.kind not in accepted:
            field.errors.append(
                _l(
                    "%(file)s is a document of the kind %(kind)s; this step accepts only: "
                    "%(accepted)s.",
                    file=chosen.filename,
                    kind=EVIDENCE_LABELS.get(chosen.kind, chosen.kind),
                    accepted=", ".join(str(EVIDENCE_LABELS.get(k, k)) for k in accepted),
                )
            )

    def marks(self) -> list[dict]:
        """The marks to record: one per milestone given a status, in ladder order."""
        return [
            {
                "milestone_key": key,
                "status": self.part("status", key).data,
                "marked_on": self.part("marked_on", key).data,
                "evidence_document_id": self.part("document", key).data,
                "evidence_note": (self.part("evidence_note", key).data or "").strip(),
                "note": (self.part("note", key).data or "").strip(),
            }
            for key in self.milestone_keys
            if self.part("status", key).data
        ]


def marking_form(
    milestones: list[dict],
    documents: list["EvidenceDocument"],
    brands: Sequence[str] = (),
    **kwargs,
):
    """A bound form with a status, date, document, evidence note and note per milestone, and
    the choice of whom the marks are for: the whole organisation or one of `brands`."""
    statuses = [SelectChoice("", _l("Leave as it is"))] + [
        SelectChoice(code, label) for code, label in STATUS_LABELS.items()
    ]
    attrs: dict = {
        "milestone_keys": tuple(m["key"] for m in milestones),
        "accepted_kinds": {m["key"]: tuple(m["evidence"]) for m in milestones},
        "documents": {d.id: d for d in documents},
    }
    for milestone in milestones:
        key = milestone["key"]
        # Only the documents of the kinds this milestone names as its evidence.
        files = [SelectChoice("", _l("No document"))] + [
            SelectChoice(str(d.id), f"{d.filename} ({EVIDENCE_LABELS.get(d.kind, d.kind)})")
            for d in documents
            if d.kind in milestone["evidence"]
        ]
        attrs[part_name("status", key)] = SelectField(_l("Status"), choices=statuses, default="")
        attrs[part_name("marked_on", key)] = DateField(
            _l("Holds from"), description=_l("The date of the evidence, as YYYY-MM-DD.")
        )
        attrs[part_name("document", key)] = SelectField(
            _l("Evidence document"),
            description=_l("The supplier's documents of the kinds this step accepts."),
            choices=files,
            coerce=_id_or_none,
            validate_choice=False,  # checked in validate(), with a message that says why
        )
        attrs[part_name("evidence_note", key)] = TextAreaField(
            _l("Evidence in words"),
            description=_l("When the evidence is not an uploaded document: what you saw, where."),
            validators=[Optional(), Length(max=5000)],
        )
        attrs[part_name("note", key)] = TextAreaField(
            _l("Note to the supplier"), validators=[Optional(), Length(max=5000)]
        )
    form = type("MarkingForm", (MarkingFormBase,), attrs)(**kwargs)
    form.brand.choices = [("", _l("The whole organisation (every brand)"))] + [
        (name, name) for name in brands
    ]
    if not form.is_submitted():
        today = utcnow().date()
        for milestone in milestones:
            form.part("marked_on", milestone["key"]).data = today
    return form
