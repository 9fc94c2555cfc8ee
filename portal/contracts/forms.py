"""Forms of the contract pages: they parse and check what was typed, nothing more."""

import re
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from portal.contracts.services import (
    CATEGORY_LABELS,
    MAX_BRAND_LENGTH,
    MAX_BRANDS,
    clean_brands,
)
from portal.forms import VersionedForm, WholeNumberField

#: The range of days a contract may start and end in: wide enough for any real contract,
#: narrow enough that every date computed from them exists.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
#: The largest value a contract may have, in kronor (a trillion: far above any real one).
MAX_VALUE_SEK = 10**12
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_WHOLE_KRONOR = re.compile(r"-?[0-9]{1,16}")


class KronorField(StringField):
    """A whole number of kronor, typed with or without spaces between the thousands
    ("1 250 000"); `data` is the number, or None when what was typed is not one."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        typed = _SPACES.sub("", self.raw or "").removesuffix("kr").removesuffix(":-")
        self.data = int(typed) if _WHOLE_KRONOR.fullmatch(typed) else None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:,}".replace(",", " ")

    def pre_validate(self, form):
        if self.data is None:
            message = (
                _l("Enter the value in whole kronor, such as 1 250 000.")
                if (self.raw or "").strip()
                else _l("Enter the contract's value in kronor.")
            )
            raise ValidationError(message)
        if self.data < 0:
            raise ValidationError(_l("The value cannot be negative."))
        if self.data > MAX_VALUE_SEK:
            raise ValidationError(_l("The value is too large."))


def _day_field(label, message):
    return DateField(label, validators=[DataRequired(message)])


class ContractForm(VersionedForm):
    organisation_id = SelectField(
        _l("Supplier"),
        validators=[DataRequired(_l("Choose the supplier."))],
        validate_choice=False,
    )
    reference = StringField(
        _l("Contract reference"),
        description=_l("The region's contract number, such as RS 2026-0142."),
        validators=[
            DataRequired(_l("Enter the contract reference.")),
            Length(max=100, message=_l("Use at most %(max)d characters.")),
        ],
        filters=[lambda value: " ".join(value.split()) if value else value],
    )
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Give the contract a title.")),
            Length(max=300, message=_l("Use at most %(max)d characters.")),
        ],
        filters=[lambda value: value.strip() if value else value],
    )
    category = SelectField(
        _l("Category"),
        validators=[DataRequired(_l("Choose the contract's category."))],
        validate_choice=False,
    )
    value_sek = KronorField(
        _l("Value (SEK)"),
        description=_l("The contract's estimated total value in whole kronor."),
    )
    starts_on = _day_field(_l("Start date"), _l("Enter the start date as YYYY-MM-DD."))
    ends_on = _day_field(_l("End date"), _l("Enter the end date as YYYY-MM-DD."))
    brands = TextAreaField(
        _l("Brands delivered"),
        description=_l("One brand per line, as the products are labelled."),
        validators=[Length(max=20_000, message=_l("Use at most %(max)d characters."))],
    )
    report_version_id = SelectField(
        _l("Report questionnaire"),
        description=_l("The questionnaire version the supplier's report answers."),
        validators=[DataRequired(_l("Choose the report questionnaire."))],
        validate_choice=False,
    )
    report_months = WholeNumberField(
        _l("Report due, in months after the start"),
        validators=[
            InputRequired(_l("Enter a whole number of months from 1 to 120.")),
            NumberRange(
                min=1, max=120, message=_l("Enter a whole number of months from 1 to 120.")
            ),
        ],
    )

    def offer(self, organisations: list[tuple[int, str]], versions: list[tuple[int, str]]):
        """Set what can be chosen: suppliers and questionnaire versions as (id, label)."""
        self.organisation_id.choices = [SelectChoice("", _l("Choose a supplier"))] + [
            SelectChoice(str(i), name) for i, name in organisations
        ]
        self.category.choices = [SelectChoice("", _l("Choose a category"))] + [
            SelectChoice(key, label) for key, label in CATEGORY_LABELS.items()
        ]
        self.report_version_id.choices = [SelectChoice(str(i), label) for i, label in versions]
        if self.report_months.data is None and not self.report_months.raw_data:
            self.report_months.data = current_app.config["CONTRACT_REPORT_MONTHS"]

    def validate_organisation_id(self, field) -> None:
        _one_of(field, _l("Choose a supplier from the list."))

    def validate_category(self, field) -> None:
        _one_of(field, _l("Choose a category from the list."))

    def validate_report_version_id(self, field) -> None:
        _one_of(field, _l("Choose a questionnaire version from the list."))

    def validate_starts_on(self, field) -> None:
        if not EARLIEST <= field.data <= LATEST:
            raise ValidationError(_l("Enter a date between 2000 and 2100."))

    def validate_ends_on(self, field) -> None:
        if not EARLIEST <= field.data <= LATEST:
            raise ValidationError(_l("Enter a date between 2000 and 2100."))
        if self.starts_on.data and field.data <= self.starts_on.data:
            raise ValidationError(_l("The contract must end after it starts."))

    def validate_brands(self, field) -> None:
        brands = clean_brands(field.data or "")
        if not brands:
            raise ValidationError(_l("Enter at least one brand, one per line."))
        if len(brands) > MAX_BRANDS:
            raise ValidationError(_l("List at most %(max)d brands.", max=MAX_BRANDS))
        if any(len(name) > MAX_BRAND_LENGTH for name in brands):
            raise ValidationError(
                _l("Each brand's name may have at most %(max)d characters.", max=MAX_BRAND_LENGTH)
            )

    def values(self, fixed: dict | None = None) -> dict:
        """What was typed, as the services take it; `fixed` gives the values of the fields
        the form no longer offers (removed because they cannot change)."""
        values = dict(fixed or {})
        for name in ("organisation_id", "report_version_id"):
            if name in self:
                values[name] = int(self[name].data)
        for name in ("reference", "title", "category", "value_sek", "starts_on", "ends_on"):
            values[name] = self[name].data
        values["brands"] = clean_brands(self.brands.data or "")
        values["report_months"] = self.report_months.data
        return values


def _one_of(field, message) -> None:
    if field.data not in {str(choice[0]) for choice in field.iter_choices() if choice[0]}:
        raise ValidationError(message)


class RequestReportForm(FlaskForm):
    """Ask the supplier for the report now: a follow-up round closing on a chosen day."""

    closes_on = DateField(
        _l("Closing date"),
        description=_l("The supplier can answer until the end of this day, Swedish time."),
        validators=[DataRequired(_l("Enter the closing date as YYYY-MM-DD."))],
    )

    def validate_closes_on(self, field) -> None:
        if field.data > LATEST:
            raise ValidationError(_l("Enter a date between 2000 and 2100."))
