"""Forms of the follow-up selection: the shares to propose, planning desktop audits, the
country-risk table's upload and one country's figures."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectChoice, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from portal.forms import VersionedForm, WholeNumberField
from portal.selection.importing import FIGURE_LABELS
from portal.selection.models import FIGURES, FIRST_YEAR, SOURCE_LENGTH
from portal.selection.scoring import DEFAULT_SHARES

_NUMBER = re.compile(r"^\d{1,3}([.,]\d{1,2})?$")


class SharesForm(FlaskForm):
    """Which shares of the ranked suppliers to propose, from the query string."""

    class Meta:
        csrf = False  # a GET form that only chooses what to show

    lower = WholeNumberField(
        _l("Propose this share of the suppliers (percent)"),
        default=DEFAULT_SHARES[0],
        validators=[
            InputRequired(_l("Enter a percentage from 1 to 100.")),
            NumberRange(1, 100, _l("Enter a percentage from 1 to 100.")),
        ],
    )
    upper = WholeNumberField(
        _l("Up to this share if capacity allows (percent)"),
        default=DEFAULT_SHARES[1],
        validators=[
            InputRequired(_l("Enter a percentage from 1 to 100.")),
            NumberRange(1, 100, _l("Enter a percentage from 1 to 100.")),
        ],
    )

    def validate_upper(self, field) -> None:
        if field.data is not None and self.lower.data is not None and field.data < self.lower.data:
            raise ValidationError(
                _l("The share if capacity allows cannot be below the share proposed.")
            )

    def shares(self) -> tuple[int, int]:
        """The shares asked for when they are valid, else the defaults."""
        if self.validate():
            return self.lower.data, self.upper.data
        return DEFAULT_SHARES


class PlanForm(FlaskForm):
    """The suppliers to plan a desktop audit for this year."""

    organisations = SelectMultipleField(
        _l("Plan a desktop audit for"),
        coerce=int,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        validators=[DataRequired(_l("Choose at least one supplier."))],
    )
    lower = HiddenField()
    upper = HiddenField()

    def offer(self, rows) -> None:
        self.organisations.choices = [
            SelectChoice(row.organisation.id, row.organisation.name) for row in rows
        ]


class UploadForm(FlaskForm):
    file = FileField(
        _l("Country-risk table (CSV or XLSX)"),
        validators=[FileRequired(_l("Choose a file to upload."))],
    )


class FigureField(StringField):
    """A figure from 0 to 100, with a decimal point or comma ("45", "45,5")."""

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = float(self.raw.replace(",", ".")) if _NUMBER.match(self.raw) else None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:g}"

    def pre_validate(self, form) -> None:
        if not self.raw_data or not self.raw_data[0].strip():
            raise ValidationError(_l("Enter the figure, from 0 to 100."))
        if self.data is None or not 0 <= self.data <= 100:
            raise ValidationError(_l("The figure must be a number from 0 to 100."))


class CountryRiskForm(VersionedForm):
    """One country's four figures, each with its source and year."""

    def __init__(self, *args, last_year: int, **kwargs):
        super().__init__(*args, **kwargs)
        #: The latest year a figure may describe: the current one.
        self.last_year = last_year

    def values(self) -> dict:
        """The figures, sources and years as the table stores them."""
        found = {}
        for name in FIGURES:
            found[name] = round(self[name].data, 2)
            found[f"{name}_source"] = self[f"{name}_source"].data
            found[f"{name}_year"] = self[f"{name}_year"].data
        return found


def _year_range(form, field) -> None:
    if field.data is not None and not FIRST_YEAR <= field.data <= form.last_year:
        raise ValidationError(
            _l(
                "The year must be a whole number from %(first)d to %(last)d.",
                first=FIRST_YEAR,
                last=form.last_year,
            )
        )


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


for _name in FIGURES:
    _label = FIGURE_LABELS[_name]
    setattr(CountryRiskForm, _name, FigureField(_l("%(figure)s (0–100)", figure=_label)))
    setattr(
        CountryRiskForm,
        f"{_name}_source",
        StringField(
            _l("%(figure)s: source", figure=_label),
            filters=[_strip],
            validators=[
                DataRequired(_l("Name the source of the figure.")),
                Length(max=SOURCE_LENGTH, message=_l("Use at most %(max)d characters.")),
            ],
        ),
    )
    setattr(
        CountryRiskForm,
        f"{_name}_year",
        WholeNumberField(
            _l("%(figure)s: year", figure=_label),
            validators=[
                InputRequired(_l("Enter the year the figure describes.")),
                _year_range,
            ],
        ),
    )
