"""The market-maturity page's forms: the round to compare with, and the admin's thresholds."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from portal.forms import WholeNumberField


class CompareForm(FlaskForm):
    """The earlier round to compare with, from the query string ("" for none)."""

    class Meta:
        csrf = False  # a GET form that only chooses what to show

    compare = SelectField(_l("Compare with an earlier round"), choices=[], validate_choice=False)

    def offer(self, rounds) -> None:
        self.compare.choices = [("", _l("No comparison")), *((str(r.id), r.title) for r in rounds)]

    def chosen(self, rounds):
        """The chosen round among `rounds`, or None."""
        return next((r for r in rounds if str(r.id) == self.compare.data), None)


def _percent(label):
    return WholeNumberField(
        label,
        validators=[
            InputRequired(_l("Enter a percentage from 0 to 100.")),
            NumberRange(0, 100, _l("Enter a percentage from 0 to 100.")),
        ],
    )


class ThresholdsForm(FlaskForm):
    requirement = _percent(_l("Mandatory requirement from (percent meeting it)"))
    award = _percent(_l("Award criterion from (percent meeting it)"))

    def validate_award(self, field) -> None:
        if (
            field.data is not None
            and self.requirement.data is not None
            and field.data > self.requirement.data
        ):
            raise ValidationError(
                _l("The award threshold cannot be above the requirement threshold.")
            )
