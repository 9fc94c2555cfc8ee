"""Compiling a section of a definition into a WTForms form (see fieldtypes.REGISTRY)."""

import json
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from portal.forms import FindsChoices, WholeNumberField
from portal.orgs.services import KIND_LABELS, SUPPLIER_KINDS, OrgKind
from portal.questionnaires.fieldtypes import REGISTRY, parse_number
from portal.questionnaires.market import MarketValue, seen_of
from portal.questionnaires.models import MAX_EFFORT_HOURS, MAX_MARKET_COMMENT, MarketAnswer
from portal.questionnaires.services import (
    DEFAULT_REMINDER_DAYS,
    ROUND_KIND_LABELS,
    NewOrganisation,
    RoundKind,
    SectionInput,
    digest,
)
from portal.texts import text_in
from portal.timeutil import utcnow


def field_name(question_key: str) -> str:
    return f"q_{question_key}"


def confirm_name(question_key: str) -> str:
    return f"confirm_{question_key}"


class SectionFormBase(FlaskForm):
    # Labels are given (never shown): without one WTForms translates one made from the
    # field's name, each time a form is made.
    #: JSON {question key: [answer version, value digest]} as the page showed them.
    seen = HiddenField("seen")
    #: Set by the button pressed: "next" (next section), "overview", or empty (stay).
    next = StringField("next")

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


def seen_json(answers, keys) -> str:
    """The `seen` field's value for the answers to the questions `keys` as they are now."""
    return json.dumps(
        {k: [answers[k].version, digest(answers[k].value)] for k in keys if k in answers}
    )


def reply_name(question_key: str) -> str:
    return f"reply_{question_key}"


def section_form_class(definition, section: dict, lang: str) -> type[SectionFormBase]:
    """The form class of a section's answerable questions in `lang` (option labels are in
    it), made once per version: its content never changes."""
    return definition.memo(
        ("form", section["key"], lang), lambda: _section_form_class(section, lang)
    )


def _section_form_class(section: dict, lang: str) -> type[SectionFormBase]:
    attrs = {}
    for question in section["questions"]:
        field = REGISTRY[question["type"]].form_field(question, lang)
        if field is None:
            continue
        if not field.args and "label" not in field.kwargs:
            field.kwargs["label"] = text_in(question["text"], lang)  # see SectionFormBase
        attrs[field_name(question["key"])] = field
    return type("SectionForm", (SectionFormBase,), attrs)


def _extra_fields(section: dict, unconfirmed, reply_keys) -> dict:
    """A box to confirm each carried-over answer of the section in `unconfirmed`, and a reply
    field for each question in `reply_keys`."""
    attrs = {}
    for question in section["questions"]:
        key = question["key"]
        if key in reply_keys:
            attrs[reply_name(key)] = TextAreaField(
                _l("Your reply to the region"), validators=[Length(max=5000)]
            )
        if key in unconfirmed:
            attrs[confirm_name(key)] = BooleanField(confirm_name(key))  # see SectionFormBase
    return attrs


def section_form(
    definition,
    section: dict,
    lang: str,
    *,
    unconfirmed: set[str] = frozenset(),
    reply_keys: set[str] = frozenset(),
    **kwargs,
):
    """A form for the answerable questions of one section, bound and returned.

    Carried-over answers not confirmed yet (`unconfirmed`) get a box to confirm them, and
    questions a reviewer asked about (`reply_keys`) a reply field for the clarification thread.
    """
    form_class = section_form_class(definition, section, lang)
    extras = _extra_fields(section, unconfirmed, reply_keys)
    if extras:
        form_class = type("SectionForm", (form_class,), extras)
    return form_class(**kwargs)


def section_extras(section: dict, *, unconfirmed, reply_keys) -> FlaskForm | None:
    """Only the confirmation boxes and reply fields of a section's form, unposted, for a
    page that shows the stored answers; None when the section has neither."""
    extras = _extra_fields(section, unconfirmed, reply_keys)
    if not extras:
        return None
    return type("SectionExtras", (FlaskForm,), extras)(formdata=None, meta={"csrf": False})


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


class NewOrganisationForm(Form):
    """One organisation not yet in the portal, invited through one person (a row of the
    round form; a row left empty is no organisation)."""

    name = StringField(_l("Name of the organisation"), validators=[Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(str(k), KIND_LABELS[k]) for k in SUPPLIER_KINDS],
        default=str(OrgKind.RESELLER),
    )
    email = EmailField(
        _l("E-mail address of the person to invite"),
        validators=[
            Optional(),
            Length(max=254, message=_l("Use at most 254 characters.")),
            Email(
                message=_l("Enter an e-mail address like name@example.com."),
                check_deliverability=False,
            ),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )

    @property
    def is_empty(self) -> bool:
        return not (self.name.data or "").strip() and not (self.email.data or "").strip()

    def validate(self, extra_validators=None) -> bool:
        """A row is all or nothing: a name without an address (or the other way) is an
        error, an empty row no organisation."""
        valid = super().validate(extra_validators)
        if self.is_empty:
            return valid
        if not (self.name.data or "").strip():
            self.name.errors.append(_l("Enter the name of the organisation."))
            valid = False
        if not self.email.data:
            self.email.errors.append(_l("Enter an e-mail address."))
            valid = False
        return valid


#: Empty rows offered on the round form for organisations that are not in the portal yet.
NEW_ORGANISATION_ROWS = 3


def _organisations_field():
    return SelectMultipleField(
        _l("Supplier organisations"),
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        validate_choice=True,
        # Someone else added it to the round meanwhile, or it was removed from the portal.
        invalid_choice_message=_l(
            "An organisation you chose can no longer be chosen; the list shows those that can."
        ),
    )


def _new_organisation_rows():
    # As many rows as the page offers, whatever a request sends: each row filled in is an
    # invitation mailed.
    return FieldList(
        FormField(NewOrganisationForm),
        min_entries=NEW_ORGANISATION_ROWS,
        max_entries=NEW_ORGANISATION_ROWS,
    )


class InviteesForm(FindsChoices):
    """Who takes part in a round: supplier organisations in the portal (`organisations`), and
    new ones invited by e-mail (`new`; rows left empty are none). At least one of either. A
    subclass declares the two fields where they belong among its own. When there are too
    many organisations to list, they are searched (see FindsChoices)."""

    def offer_organisations(self, organisations: list[tuple[int, str]]) -> None:
        """The supplier organisations that can be chosen, as (id, name)."""
        self.organisations.choices = [SelectChoice(str(i), name) for i, name in organisations]

    def new_organisations(self) -> list[NewOrganisation]:
        """The rows filled in, as plain data."""
        return [
            NewOrganisation(row.form.name.data.strip(), row.form.kind.data, row.form.email.data)
            for row in self.new
            if not row.form.is_empty
        ]

    def validate_organisations(self, field) -> None:
        if not field.data and not self.new_organisations():
            raise ValidationError(_l("Choose at least one organisation."))


class RoundForm(InviteesForm):
    kind = SelectField(
        _l("Kind of round"),
        choices=[SelectChoice(str(k), label) for k, label in ROUND_KIND_LABELS.items()],
        default=str(RoundKind.TENDER),
    )
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
    opens_on = DateField(
        _l("Opening date"),
        description=_l("Leave empty to open the round at once."),
        validators=[Optional()],
    )
    opens_time = TimeField(
        _l("Opening time"),
        description=_l("Swedish time; empty means the start of the day."),
        validators=[Optional()],
    )
    closes_on = DateField(
        _l("Closing date"),
        description=_l("Answers can be given until the end of this day, Swedish time."),
        validators=[DataRequired(_l("Enter the closing date as YYYY-MM-DD."))],
    )
    closes_time = TimeField(
        _l("Closing time"),
        description=_l("Swedish time; empty means the end of the day (23:59)."),
        validators=[Optional()],
    )
    organisations = _organisations_field()
    new = _new_organisation_rows()
    reminder_days = StringField(
        _l("Reminders, in days before closing"),
        description=_l(
            "Suppliers that have not submitted are reminded on these days, for example "
            "“14, 7, 1”. Leave empty for no reminders."
        ),
        default=", ".join(str(d) for d in DEFAULT_REMINDER_DAYS),
        validators=[Length(max=100)],
    )

    def offer(self, versions: list[tuple[int, str]], organisations: list[tuple[int, str]]):
        """Set what can be chosen: versions and organisations as (id, label)."""
        self.version.choices = [SelectChoice(str(i), label) for i, label in versions]
        self.offer_organisations(organisations)

    def opens_at(self, moment) -> datetime | None:
        """The opening moment (`moment(day, time)` reads a Swedish clock); None: at once."""
        if not self.opens_on.data:
            return None
        return moment(self.opens_on.data, self.opens_time.data or time(0, 0))

    def closes_at(self, moment) -> datetime:
        """The closing moment, read on a Swedish clock by `moment(day, time)`."""
        return moment(self.closes_on.data, self.closes_time.data or time(23, 59, 59))

    def days(self) -> list[int]:
        """The reminder days as numbers, most days before closing first."""
        found = {int(part) for part in _DAYS.findall(self.reminder_days.data or "")}
        return sorted(found, reverse=True)

    def validate_closes_on(self, field) -> None:
        if field.data and field.data < utcnow().date():
            raise ValidationError(_l("The closing date has passed. Choose a later date."))

    def validate_opens_on(self, field) -> None:
        if field.data and self.closes_on.data and field.data > self.closes_on.data:
            raise ValidationError(_l("The round must open before it closes."))

    def validate_reminder_days(self, field) -> None:
        text = (field.data or "").strip()
        if text and not _DAYS_LIST.match(text):
            raise ValidationError(
                _l("Write whole numbers of days from 1 to 365, separated by commas.")
            )
        if any(not 1 <= day <= 365 for day in self.days()):
            raise ValidationError(
                _l("Write whole numbers of days from 1 to 365, separated by commas.")
            )


class ExtensionForm(FlaskForm):
    """A later closing time for one organisation in a round, and why."""

    organisation = SelectField(
        _l("Organisation"), validators=[DataRequired(_l("Choose the organisation."))]
    )
    closes_on = DateField(
        _l("New closing date"),
        validators=[DataRequired(_l("Enter the closing date as YYYY-MM-DD."))],
    )
    closes_time = TimeField(
        _l("New closing time"),
        description=_l("Swedish time; empty means the end of the day (23:59)."),
        validators=[Optional()],
    )
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Shown in the audit log, for example what the supplier asked for."),
        validators=[
            DataRequired(_l("Give the reason for the extension.")),
            Length(max=1000, message=_l("Use at most %(max)d characters.")),
        ],
    )

    def offer(self, organisations: list[tuple[int, str]]) -> None:
        """Set the organisations of the round that can be chosen, as (id, name)."""
        self.organisation.choices = [SelectChoice(str(i), name) for i, name in organisations]

    def closes_at(self, moment) -> datetime:
        """The new closing moment, read on a Swedish clock by `moment(day, time)`."""
        return moment(self.closes_on.data, self.closes_time.data or time(23, 59, 59))

    def validate_closes_on(self, field) -> None:
        if field.data and field.data < utcnow().date():
            raise ValidationError(_l("The closing date has passed. Choose a later date."))


_DAYS = re.compile(r"\d+")
_DAYS_LIST = re.compile(r"^\d{1,3}(\s*,\s*\d{1,3})*$")


# The market questions ----------------------------------------------------------------------------
MEETS_LABELS = {
    "yes": _l("Yes"),
    "partly": _l("Partly"),
    "no": _l("No"),
    "planned": _l("Planned by a date"),
}


def market_name(criterion: str, part: str) -> str:
    """The form field of one part ("meets", "planned_by", "hours", "comment") of a criterion's
    market answer."""
    return f"m_{criterion}_{part}"


class MarketFormBase(FlaskForm):
    #: JSON {criterion: [answer version, value digest]} as the page showed them.
    seen = HiddenField()
    #: "overview" when the button to return to the overview was pressed.
    next = StringField()

    seen_answers = SectionFormBase.seen_answers

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        today = datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
        for criterion in self.criteria:
            meets = self._fields[market_name(criterion, "meets")].data
            field = self._fields[market_name(criterion, "planned_by")]
            if meets != "planned" or field.errors:
                continue
            day = _market_date(field.data)
            if day is None:
                field.errors = [_l("Enter the date by which you plan to meet it.")]
            elif day < today:
                field.errors = [_l("The date has passed. Choose a later date.")]
            valid = valid and not field.errors
        return valid


def _market_date(raw) -> date | None:
    if not isinstance(raw, str) or not _ISO_DAY.fullmatch(raw.strip()):
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _check_day(form, field) -> None:
    if (field.data or "").strip() and _market_date(field.data) is None:
        raise ValidationError(_l("Enter a date as YYYY-MM-DD, such as 2026-03-31."))


def _check_hours(form, field) -> None:
    raw = (field.data or "").strip()
    if not raw:
        return
    hours = parse_number(raw)
    if hours is None:
        raise ValidationError(_l("Enter a number of hours, such as 16 or 2,5."))
    if not 0 <= hours <= MAX_EFFORT_HOURS:
        raise ValidationError(
            _l("Enter a number of hours from 0 to %(max)d.", max=MAX_EFFORT_HOURS)
        )


def market_form(criteria: dict[str, str], **kwargs):
    """The market questions' form for these criteria (criterion: intended use), bound."""
    attrs = {"criteria": list(criteria)}
    for criterion in criteria:
        attrs[market_name(criterion, "meets")] = RadioField(
            _l("Can you meet it today?"),
            choices=[SelectChoice(value, label) for value, label in MEETS_LABELS.items()],
            validators=[Optional()],
        )
        attrs[market_name(criterion, "planned_by")] = StringField(
            _l("Planned by"), validators=[Length(max=10), _check_day]
        )
        attrs[market_name(criterion, "hours")] = StringField(
            _l("How many hours would it take you to provide the verification?"),
            validators=[Length(max=60), _check_hours],
        )
        attrs[market_name(criterion, "comment")] = TextAreaField(
            _l("Comment"),
            validators=[
                Length(max=MAX_MARKET_COMMENT, message=_l("Use at most %(max)d characters."))
            ],
        )
    return type("MarketForm", (MarketFormBase,), attrs)(**kwargs)


def market_values(form) -> dict[str, MarketValue]:
    """The validated form's answers as plain data for `market.save_market`."""
    values = {}
    for criterion in form.criteria:
        meets = form._fields[market_name(criterion, "meets")].data or None
        hours = (form._fields[market_name(criterion, "hours")].data or "").strip()
        comment = (form._fields[market_name(criterion, "comment")].data or "").strip()
        values[criterion] = MarketValue(
            meets=meets,
            planned_by=_market_date(form._fields[market_name(criterion, "planned_by")].data)
            if meets == "planned"
            else None,
            effort_hours=float(parse_number(hours)) if hours else None,
            comment=comment or None,
        )
    return values


def market_data(answers: dict[str, MarketAnswer]) -> dict:
    """The form's data for the stored answers."""
    data = {}
    for criterion, answer in answers.items():
        data[market_name(criterion, "meets")] = answer.meets
        data[market_name(criterion, "planned_by")] = (
            answer.planned_by.isoformat() if answer.planned_by else ""
        )
        hours = answer.effort_hours
        data[market_name(criterion, "hours")] = "" if hours is None else f"{hours:g}"
        data[market_name(criterion, "comment")] = answer.comment or ""
    return data


def market_seen_json(answers: dict[str, MarketAnswer]) -> str:
    """The market form's `seen` value for the answers as they are now."""
    return json.dumps({c: list(v) for c, v in seen_of(answers).items()})


class JoinRoundForm(InviteesForm):
    """Organisations added to a round that has not closed."""

    organisations = _organisations_field()
    new = _new_organisation_rows()
