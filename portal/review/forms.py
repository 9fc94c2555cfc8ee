"""The grading form, compiled from the questionnaire's rubrics."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from portal.forms import WholeNumberField
from portal.texts import text_in


class QueueFilters(FlaskForm):
    """The review queue's filters, order and page, read from the query string. A value that
    does not validate counts as absent."""

    class Meta:
        csrf = False  # a GET form that only chooses what to show

    round = WholeNumberField()
    questionnaire = StringField()
    status = StringField()
    kind = StringField()
    reviewer = WholeNumberField()
    sort = SelectField(
        _l("Sort by"),
        choices=[
            SelectChoice("submitted", _l("Submitted")),
            SelectChoice("supplier", _l("Supplier")),
            SelectChoice("round", _l("Round")),
        ],
        default="submitted",
    )
    order = SelectField(
        _l("Order"),
        choices=[SelectChoice("asc", _l("Ascending")), SelectChoice("desc", _l("Descending"))],
        default="asc",
    )
    page = WholeNumberField(validators=[Optional(), NumberRange(min=1)])

    def applied(self) -> "QueueFilters":
        """Validate, and put back the default of every field that does not validate."""
        self.validate()
        for field_ in self:
            if field_.errors:
                field_.data = field_.default
                field_.errors = []
        return self

    def chosen(self) -> dict:
        """The filters as `services.queue` takes them; an id that is no whole number from 1
        up, or a blank, filters nothing."""

        def known(field_):
            return field_.data if field_.data and field_.data > 0 else None

        return {
            "round_id": known(self.round),
            "key": self.questionnaire.data or None,
            "status": self.status.data or None,
            "kind": self.kind.data or None,
            "reviewer_id": known(self.reviewer),
        }

    def ordering(self) -> dict:
        """The order and page as `services.queue` takes them (after `applied`)."""
        return {
            "sort": self.sort.data,
            "descending": self.order.data == "desc",
            "page": self.page.data or 1,
        }


class GradingBase(FlaskForm):
    #: Which button at the foot of the page was pressed: "save", "clarify" or "accept".
    action = StringField()
    #: The section whose "Save grades for this section" button was pressed, if one was.
    section = StringField()

    #: Set by `grading_form`: the gradable question keys and the document ids it holds.
    question_keys: tuple[str, ...] = ()
    document_ids: tuple[int, ...] = ()
    #: The capped grades: question key → (most points, the capping question's text).
    caps: dict[str, tuple[float, str]] = {}

    def entries(self) -> dict[str, dict]:
        """Points, comment and internal note per gradable question, as posted."""
        return {
            key: {
                "points": self[f"points_{key}"].data,
                "comment": (self[f"comment_{key}"].data or "").strip(),
                "note": (self[f"note_{key}"].data or "").strip(),
            }
            for key in self.question_keys
        }

    def decisions(self) -> dict[int, tuple[bool, str]]:
        """(accepted, reason) per document that has a verdict."""
        decisions = {}
        for document_id in self.document_ids:
            verdict = self[f"verdict_{document_id}"].data
            if verdict in ("accepted", "rejected"):
                reason = (self[f"reason_{document_id}"].data or "").strip()
                decisions[document_id] = (verdict == "accepted", reason)
        return decisions

    def asked(self) -> dict[str, str]:
        """The ticked questions, each with its comment to the supplier (the question asked)."""
        return {
            key: (self[f"comment_{key}"].data or "").strip()
            for key in self.question_keys
            if self[f"ask_{key}"].data
        }

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for key, (most, because_of) in self.caps.items():
            given = self[f"points_{key}"].data
            if given is not None and given > most:
                self[f"points_{key}"].errors.append(cap_message(most, because_of))
                valid = False
        for document_id, (accepted, reason) in self.decisions().items():
            if not accepted and not reason:
                self[f"reason_{document_id}"].errors.append(_l("Say why the document is rejected."))
                valid = False
        asked = self.asked()
        if self.action.data == "clarify" and (not asked or not all(asked.values())):
            self.form_errors.append(
                _l(
                    "Tick the answers to ask about, and write your question "
                    "in each one's comment to the supplier."
                )
            )
            valid = False
        return valid


def cap_message(most: float, because_of: str):
    """Why a grade cannot be higher: the cap and the question whose answer sets it."""
    return _l(
        "This grade can be at most %(points)s: the answer to “%(question)s” limits it.",
        points=f"{most:g}",
        question=because_of,
    )


def grading_form(
    questions: list[dict], documents: list, lang: str, caps: dict | None = None, **kwargs
):
    """A form with, per gradable question, its rubric levels, a comment, an internal note and
    a box to ask about it; per evidence document, a verdict and a reason. `caps` (question
    key → `services.Cap`) are the grades an earlier answer caps: a higher level is refused."""
    attrs = {
        "question_keys": tuple(q["key"] for q in questions),
        "document_ids": tuple(d.id for d in documents),
        "caps": {
            key: (cap.points, text_in(cap.because_of["text"], lang))
            for key, cap in (caps or {}).items()
        },
    }
    for question in questions:
        key = question["key"]
        attrs[f"points_{key}"] = RadioField(
            _l("Grade"),
            coerce=float,
            validators=[Optional()],
            validate_choice=False,
            choices=[
                SelectChoice(
                    level["points"], f"{level['points']:g} – {text_in(level['description'], lang)}"
                )
                for level in question["rubric"]
            ],
        )
        attrs[f"comment_{key}"] = TextAreaField(
            _l("Comment to the supplier"), validators=[Length(max=5000)]
        )
        attrs[f"note_{key}"] = TextAreaField(
            _l("Internal note (only the region sees it)"), validators=[Length(max=5000)]
        )
        attrs[f"ask_{key}"] = BooleanField(_l("Ask the supplier about this answer"))
    for document in documents:
        attrs[f"verdict_{document.id}"] = SelectField(
            _l("Verdict"),
            validate_choice=False,
            choices=[
                SelectChoice("", _l("Not judged")),
                SelectChoice("accepted", _l("Accepted as proof")),
                SelectChoice("rejected", _l("Rejected")),
            ],
        )
        attrs[f"reason_{document.id}"] = StringField(
            _l("Reason for rejecting"), validators=[Length(max=1000)]
        )
    return type("GradingForm", (GradingBase,), attrs)(**kwargs)


@dataclass
class QuestionFields:
    """What one question's grading inputs show."""

    points: float | None = None
    comment: str = ""
    note: str = ""
    ask: bool = False
    #: The errors of the grade given.
    errors: list = field(default_factory=list)


@dataclass
class DocumentFields:
    """What one document's verdict inputs show."""

    verdict: str = ""
    reason: str = ""
    #: The errors of the reason given.
    errors: list = field(default_factory=list)


@dataclass
class ShownFields:
    """What the grading inputs show: the stored grades and verdicts, or what was posted with
    its errors. The page writes the inputs itself from these, so that a response of many
    questions is not rendered field by field through WTForms' widgets."""

    questions: dict[str, QuestionFields]
    documents: dict[int, DocumentFields]
    #: The posted form, for the error summary; None when the page shows what is stored.
    form: FlaskForm | None = None

    @property
    def has_errors(self) -> bool:
        return bool(self.form and self.form.errors)

    @classmethod
    def stored(cls, questions, documents, grades: dict, verdicts: dict) -> "ShownFields":
        """The gradable `questions` and the `documents` as their grades and verdicts stand."""
        shown = cls({q["key"]: QuestionFields() for q in questions}, {})
        for key, grade in grades.items():
            if key in shown.questions:
                shown.questions[key] = QuestionFields(grade.points, grade.comment, grade.note)
        for document in documents:
            verdict = verdicts.get(document.id)
            shown.documents[document.id] = (
                DocumentFields("accepted" if verdict.is_accepted else "rejected", verdict.reason)
                if verdict
                else DocumentFields()
            )
        return shown

    @classmethod
    def posted(cls, form: "GradingBase") -> "ShownFields":
        """What `form` was sent with, and its errors."""
        questions = {
            key: QuestionFields(
                form[f"points_{key}"].data,
                form[f"comment_{key}"].data or "",
                form[f"note_{key}"].data or "",
                bool(form[f"ask_{key}"].data),
                form[f"points_{key}"].errors,
            )
            for key in form.question_keys
        }
        documents = {
            i: DocumentFields(
                form[f"verdict_{i}"].data or "",
                form[f"reason_{i}"].data or "",
                form[f"reason_{i}"].errors,
            )
            for i in form.document_ids
        }
        return cls(questions, documents, form)


class AssignForm(FlaskForm):
    #: The choices (nobody, or one of the buyer's staff) are set by the view.
    reviewer = SelectField(_l("Reviewer"))


class AcceptForm(FlaskForm):
    """Accepting a response although some answers have no grade: carries the number of
    ungraded answers the reviewer was shown, so a change since is shown again."""

    ungraded = HiddenField()
