"""The forms of findings and corrective actions. They parse and validate; the services decide
what the state allows."""

from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.arguments import MAX_INTEGER
from portal.findings.deadlines import Stage, today
from portal.findings.labels import (
    CLAUSE_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    STAGE_LABELS,
    STATE_LABELS,
)
from portal.forms import FindsChoices, VersionedForm
from portal.timeutil import show_date

#: Files one submission may carry (the request's size limit applies to all of them together).
MAX_FILES = 10
#: The longest text of a finding, a plan, a proof or a reason.
MAX_TEXT = 20_000
#: The earliest day a finding can have been found on, and how far ahead a deadline may go.
EARLIEST = date(2000, 1, 1)
LATEST_YEARS_AHEAD = 10


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _files_field(label):
    return MultipleFileField(label)


def _describe_files(field) -> None:
    """The hint of a file field: how many files, of which types, how much in all (the
    request's limit, MAX_CONTENT_LENGTH, holds every file of one form)."""
    field.description = _l(
        "Optional. Up to %(n)d files, at most %(mb)d MB in all: PDF, PNG, JPEG, XLSX, DOCX, "
        "ODT, ODS, CSV or TXT.",
        n=MAX_FILES,
        mb=current_app.config["EVIDENCE_MAX_BYTES"] // 2**20,
    )
    field.validators = [_at_most_files]


def chosen_files(field) -> list:
    """The files actually chosen in a file field (a browser sends an empty part for none)."""
    return [f for f in field.data or [] if getattr(f, "filename", None)]


def _at_most_files(form, field):
    if len(chosen_files(field)) > MAX_FILES:
        raise ValidationError(_l("Choose at most %(n)d files.", n=MAX_FILES))


def _id_or_none_in_particular(value) -> int:
    """A contract's or factory's id; an empty choice is the first option, "no particular"
    one (0), as a browser sends it, rather than a choice that could not be read."""
    if value is None or str(value).strip() == "":
        return 0
    return int(value)


class SupplierChoice(FlaskForm):
    """The supplier a new finding concerns, chosen first: its contracts and factories are the
    choices of the finding's form."""

    class Meta:
        csrf = False  # a GET form that only chooses what to show

    organisation = SelectField(
        _l("Supplier"), coerce=int, validators=[InputRequired(_l("Choose the supplier."))]
    )

    def set_suppliers(self, suppliers) -> None:
        self.organisation.choices = [SelectChoice(o.id, o.name) for o in suppliers]


class FindingForm(FindsChoices):
    title = StringField(
        _l("Short title"),
        filters=[_strip],
        description=_l("Shown in lists and reminders, e.g. “Overtime above 60 hours a week”."),
        validators=[DataRequired(_l("Give the finding a short title.")), Length(max=200)],
    )
    source = SelectField(
        _l("Where it was found"),
        choices=[SelectChoice(k, v) for k, v in SOURCE_LABELS.items()],
    )
    found_on = DateField(
        _l("Date of the report or audit"),
        validators=[DataRequired(_l("Enter the date of the report or audit."))],
    )
    clause = SelectField(
        _l("Contract clause"), choices=[SelectChoice(k, v) for k, v in CLAUSE_LABELS.items()]
    )
    clause_reference = StringField(
        _l("Clause reference (optional)"),
        filters=[_strip],
        description=_l("Where the contract states it, e.g. “Annex 4, section 2.3”."),
        validators=[Optional(), Length(max=200)],
    )
    severity = RadioField(
        _l("Severity"),
        choices=[SelectChoice(k, v) for k, v in SEVERITY_LABELS.items()],
        validators=[InputRequired(_l("Choose the severity."))],
    )
    contract = SelectField(_l("Contract"), coerce=_id_or_none_in_particular)
    factory = SelectField(_l("Factory"), coerce=_id_or_none_in_particular)
    description = TextAreaField(
        _l("What was found"),
        filters=[_strip],
        description=_l(
            "The supplier reads this: describe the non-compliance and what it breaches."
        ),
        validators=[
            DataRequired(_l("Describe what was found.")),
            Length(max=MAX_TEXT, message=_l("Use at most %(max)d characters.")),
        ],
    )
    documents = _files_field(_l("Evidence documents"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer((), ())
        _describe_files(self.documents)

    def offer(self, contracts, factories) -> None:
        """The supplier's contracts and the factories to choose from (see FindsChoices)."""
        self.contract.choices = [SelectChoice(0, _l("No particular contract"))] + [
            SelectChoice(c.id, f"{c.reference} – {c.title}") for c in contracts
        ]
        self.factory.choices = [SelectChoice(0, _l("No particular factory"))] + [
            SelectChoice(f.id, f"{f.name} ({f.country})") for f in factories
        ]

    def validate_found_on(self, field):
        if field.data and not EARLIEST <= field.data <= today():
            raise ValidationError(_l("Enter a day that has come, from the year 2000."))


class SubmissionForm(VersionedForm):
    """The supplier's plan, or proof of the correction, with documents."""

    text = TextAreaField(
        _l("Your text"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Write what you send.")),
            Length(max=MAX_TEXT, message=_l("Use at most %(max)d characters.")),
        ],
    )
    documents = _files_field(_l("Documents"))

    def __init__(self, *args, stage: str = Stage.PLAN, **kwargs):
        super().__init__(*args, **kwargs)
        _describe_files(self.documents)
        if stage == Stage.PLAN:
            self.text.label.text = _l("Your corrective action plan")
            self.text.description = _l(
                "What you will do about the finding, who is responsible and by when, and how "
                "you will prevent it from happening again."
            )
        else:
            self.text.label.text = _l("How it was corrected")
            self.text.description = _l(
                "What has been done, and how the documents show it (audit report, records, "
                "photos, training lists)."
            )


class DecisionForm(VersionedForm):
    """A reviewer accepts the submitted plan or proof, or returns it with a reason."""

    decision = RadioField(
        _l("Your decision"),
        choices=[SelectChoice("accept", _l("Accept")), SelectChoice("return", _l("Return"))],
        validators=[InputRequired(_l("Choose whether to accept or return it."))],
    )
    reason = TextAreaField(
        _l("Reason"),
        filters=[_strip],
        description=_l("Required when you return it; the supplier reads it."),
        validators=[Length(max=MAX_TEXT, message=_l("Use at most %(max)d characters."))],
    )

    def set_stage(self, stage: str) -> None:
        if stage == Stage.PLAN:
            self.decision.choices = [
                SelectChoice("accept", _l("Accept the plan")),
                SelectChoice("return", _l("Return the plan to the supplier")),
            ]
        else:
            self.decision.choices = [
                SelectChoice("accept", _l("Accept the proof and close the finding")),
                SelectChoice("return", _l("Return the proof to the supplier")),
            ]

    def validate_reason(self, field):
        if self.decision.data == "return" and not field.data:
            raise ValidationError(_l("Give the reason for returning it."))


class ExtensionForm(VersionedForm):
    """A reviewer moves a deadline later, with a reason."""

    stage = SelectField(_l("Deadline"))
    due_on = DateField(_l("New last day"), validators=[DataRequired(_l("Enter the new last day."))])
    reason = TextAreaField(
        _l("Reason for the extension"),
        filters=[_strip],
        description=_l("Kept in the history; the supplier reads it."),
        validators=[
            DataRequired(_l("Give the reason for the extension.")),
            Length(max=MAX_TEXT, message=_l("Use at most %(max)d characters.")),
        ],
    )

    def set_stages(self, stages, due: dict) -> None:
        """Offer the deadlines that may be extended now, each with its present last day."""
        self.stage.choices = [
            SelectChoice(s.value, str(STAGE_LABELS[s]) % {"date": show_date(due[s])})
            for s in stages
        ]
        self.current_due = due

    def validate_due_on(self, field):
        current = getattr(self, "current_due", {}).get(self.stage.data)
        if field.data and current and field.data <= current:
            raise ValidationError(_l("Choose a day after the present last day."))
        if field.data and current and field.data.year > current.year + LATEST_YEARS_AHEAD:
            raise ValidationError(_l("Choose a day within ten years."))


class FindingFilters(FlaskForm):
    """The reviewers' list's filters, read from the query string; a value that does not
    validate counts as absent."""

    class Meta:
        csrf = False  # a GET form that only chooses what to show

    organisation = SelectField(_l("Supplier"), coerce=int, validate_choice=False)
    state = SelectField(_l("State"))
    severity = SelectField(_l("Severity"))
    overdue = BooleanField(_l("Only overdue"))

    def __init__(self, *args, suppliers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation.choices = [SelectChoice(0, _l("All suppliers"))] + [
            SelectChoice(o.id, o.name) for o in suppliers
        ]
        self.state.choices = [
            SelectChoice("", _l("All")),
            SelectChoice("open", _l("Open")),
            SelectChoice("waiting", _l("Awaiting a decision")),
        ] + [SelectChoice(k, v) for k, v in STATE_LABELS.items()]
        self.severity.choices = [SelectChoice("", _l("All"))] + [
            SelectChoice(k, v) for k, v in SEVERITY_LABELS.items()
        ]

    def chosen(self) -> dict:
        """The filters as `services.findings_page` takes them; anything invalid filters
        nothing."""
        self.validate()
        organisation = self.organisation.data if not self.organisation.errors else None
        return {
            "organisation_id": organisation if 0 < (organisation or 0) <= MAX_INTEGER else None,
            "state": self.state.data if not self.state.errors else None,
            "severity": self.severity.data if not self.severity.errors else None,
            "overdue": bool(self.overdue.data),
        }
