"""Forms of the buyer-admin area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.forms import VersionedForm, WholeNumberField, email_field
from portal.orgs.services import (
    KIND_LABELS,
    SUPPLIER_KINDS,
    country_choices,
    is_country,
    normalise_org_number,
)


class OrganisationForm(VersionedForm):
    kind = SelectField(
        _l("Kind of supplier"),
        choices=[SelectChoice(kind.value, KIND_LABELS[kind]) for kind in SUPPLIER_KINDS],
        description=_l("A reseller sells products of several brands; a brand makes them."),
    )
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Enter the organisation's name.")),
            Length(max=200, message=_l("Use at most %(max)d characters.")),
        ],
    )
    org_number = StringField(
        _l("Swedish organisation number"),
        description=_l(
            "Ten digits, such as 556677-8899. Leave empty for a company registered outside Sweden."
        ),
        validators=[Optional()],
        filters=[lambda value: value.strip() if value else value],
    )
    country = SelectField(_l("Country of registration"), validate_choice=False)
    contact_email = email_field(_l("Contact e-mail address"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice(code, name) for code, name in country_choices()]

    def validate_org_number(self, field) -> None:
        if not field.data:
            return
        normalised = normalise_org_number(field.data)
        if normalised is None:
            raise ValidationError(
                _l(
                    "This is not a valid Swedish organisation number. Check "
                    "the digits: the last one is a check digit."
                )
            )
        field.data = normalised

    def validate_country(self, field) -> None:
        if not is_country(field.data or ""):
            raise ValidationError(_l("Choose a country from the list."))


class UserForm(VersionedForm):
    full_name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(_l("Enter the name.")),
            Length(max=200, message=_l("Use at most %(max)d characters.")),
        ],
    )
    role = SelectField(_l("Role"))

    def set_roles(self, roles) -> None:
        self.role.choices = [SelectChoice(r.value, r.label) for r in roles]


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    action = SelectField(_l("Event"), validators=[Optional()])
    organisation = WholeNumberField(_l("Organisation"), validators=[Optional()])

    def __init__(self, *args, actions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [SelectChoice("", _l("All events"))] + [
            SelectChoice(key, str(label)) for key, label in (actions or {}).items()
        ]

    def chosen(self) -> dict:
        """The filters to apply: none for values that do not validate."""
        if not self.validate():
            return {"action": None, "organisation_id": None}
        return {"action": self.action.data or None, "organisation_id": self.organisation.data}


class SupplierTwoFactorForm(FlaskForm):
    required = BooleanField(
        _l("Require two-factor sign-in of every supplier user"),
        description=_l(
            "Supplier users who have not set up an authenticator app are asked to at their "
            "next sign-in, and can no longer turn it off."
        ),
    )
