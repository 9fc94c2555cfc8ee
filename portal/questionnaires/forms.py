"""Compiling a section of a definition into a WTForms form (see fieldtypes.REGISTRY)."""

import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, ValidationError

from portal.forms import WholeNumberField
from portal.questionnaires.fieldtypes import REGISTRY
from portal.questionnaires.services import SectionInput, digest
from portal.timeutil import utcnow


def field_name(question_key: str) -> str:
    return f"q_{question_key}"


def confirm_name(question_key: str) -> str:
    return f"confirm_{question_key}"


class SectionFormBase(FlaskForm):
    #: JSON {question key: [answer version, value digest]} as the page showed them.
    seen = HiddenField()
    #: Set by the button pressed: "next" (next section), "overview", or empty (stay).
    next = StringField()

    def seen_answers(self) -> dict[str, tuple[int, str]]:
        try:
            data = json.loads(self.seen.data or "{}")
        except (ValueError, RecursionError):  # not what the page sent: "[[[[…" nests deeply
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            str(k): (int(v[0]), str(v[1]))
            for k, v in data.items()
            if isinstance(v, list) and len(v) == 2 and isinstance(v[0], int)
        }


def seen_json(answers) -> str:
    """The `seen` field's value for answers as they are now."""
    return json.dumps({k: [a.version, digest(a.value)] for k, a in answers.items()})


def reply_name(question_key: str) -> str:
    return f"reply_{question_key}"


def section_form(
    section: dict,
    lang: str,
    *,
    unconfirmed: set[str] = frozenset(),
    reply_keys: set[str] = frozenset(),
    **kwargs,
):
    """A form class for the answerable questions of one section, bound and returned.

    Questions a reviewer asked about get a reply field for the clarification thread.
    """
    attrs = {}
    for key in reply_keys:
        attrs[reply_name(key)] = TextAreaField(
            _l("Your reply to the region"), validators=[Length(max=5000)]
        )
    for question in section["questions"]:
        field = REGISTRY[question["type"]].form_field(question, lang)
        if field is not None:
            attrs[field_name(question["key"])] = field
        if question["key"] in unconfirmed:
            attrs[confirm_name(question["key"])] = BooleanField()
    form_class = type("SectionForm", (SectionFormBase,), attrs)
    return form_class(**kwargs)


def section_input(form, section: dict) -> SectionInput:
    """What was posted with a section's validated form, each answer parsed by its type, as
    plain data for `services.save_section`."""
    answers, confirmed, replies = {}, set(), {}
    for question in section["questions"]:
        key = question["key"]
        field = form._fields.get(field_name(key))
        if field is not None:
            answers[key], _problems = REGISTRY[question["type"]].from_field(field, question)
        confirm = form._fields.get(confirm_name(key))
        if confirm is not None and confirm.data:
            confirmed.add(key)
        reply = form._fields.get(reply_name(key))
        if reply is not None:
            replies[key] = reply.data or ""
    return SectionInput(answers, form.seen_answers(), confirmed, replies)


class CompareForm(FlaskForm):
    """The two versions of a questionnaire to compare, by number, from the query string."""

    class Meta:
        csrf = False  # a GET form that only chooses what to show

    old = WholeNumberField(name="from")
    new = WholeNumberField(name="to")

    def number(self, field) -> int | None:
        """The field's version number; None when it is blank or no number from 1 up."""
        return field.data if field.data and field.data > 0 else None


class StartForm(FlaskForm):
    carry_over = BooleanField(_l("Start from the answers of our earlier response"), default=True)


class RoundForm(FlaskForm):
    title = StringField(
        _l("Title of the round"),
        description=_l("Suppliers see it, for example “Market dialogue PCs 2027”."),
        validators=[
            DataRequired(_l("Give the round a title.")),
            Length(max=200, message=_l("Use at most %(max)d characters.")),
        ],
    )
    version = SelectField(
        _l("Questionnaire version"),
        validators=[DataRequired(_l("Choose a questionnaire version."))],
    )
    closes_on = DateField(
        _l("Closing date"),
        description=_l("Answers can be given until the end of this day, Swedish time."),
        validators=[DataRequired(_l("Enter the closing date as YYYY-MM-DD."))],
    )
    organisations = SelectMultipleField(
        _l("Supplier organisations"),
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        validators=[DataRequired(_l("Choose at least one organisation."))],
    )

    def offer(self, versions: list[tuple[int, str]], organisations: list[tuple[int, str]]):
        """Set what can be chosen: versions and organisations as (id, label)."""
        self.version.choices = [SelectChoice(str(i), label) for i, label in versions]
        self.organisations.choices = [SelectChoice(str(i), name) for i, name in organisations]

    def validate_closes_on(self, field) -> None:
        if field.data and field.data < utcnow().date():
            raise ValidationError(_l("The closing date has passed. Choose a later date."))
