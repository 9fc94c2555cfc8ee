"""Forms of signing in, two-factor codes, password reset and invitations."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.forms import email_field, new_password_fields
from portal.orgs.services import country_choices, is_country
from portal.passwords import MAX_LENGTH


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Enter your password.")),
            Length(max=MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    #: Offered when the account is being throttled: the password and a code together get in
    #: whatever others have tried (portal/auth/throttle.py).
    code = StringField(
        _l("Code from your authenticator app"),
        description=_l(
            "If you use an authenticator app, enter its code with your password to sign in at "
            "once. Otherwise leave this empty."
        ),
        validators=[Optional(), Length(max=16)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        description=_l(
            "The six-digit code from your authenticator app, or one of your recovery codes."
        ),
        validators=[DataRequired(_l("Enter a code.")), Length(max=32)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "text",
            "spellcheck": "false",
            "autocapitalize": "none",
        },
    )


class EnrolForm(FlaskForm):
    code = StringField(
        _l("Six-digit code from the app"),
        validators=[DataRequired(_l("Enter the six-digit code shown in the app.")), Length(max=16)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ForgotPasswordForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()


class AcceptInvitationForm(FlaskForm):
    full_name = StringField(
        _l("Your full name"),
        validators=[
            DataRequired(_l("Enter your name.")),
            Length(max=200, message=_l("Use at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "name"},
    )
    password, confirm = new_password_fields()


class AcceptNewOrganisationForm(AcceptInvitationForm):
    """Accepting an invitation to a new organisation: it is made with the account, so the
    person also says where it is registered."""

    country = SelectField(_l("Country of registration"), validate_choice=False, default="SE")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice(code, name) for code, name in country_choices()]

    def validate_country(self, field) -> None:
        if not is_country(field.data or ""):
            raise ValidationError(_l("Choose a country from the list."))
