"""Forms of a user's own account page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from portal.forms import new_password_fields
from portal.passwords import MAX_LENGTH


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()


class PasswordCheckForm(FlaskForm):
    """Confirms a sensitive change (turning off two-factor, new recovery codes)."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class AccountEnrolForm(PasswordCheckForm):
    code = StringField(
        _l("Six-digit code from the app"),
        validators=[DataRequired(_l("Enter the six-digit code shown in the app.")), Length(max=16)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class DisableMfaForm(PasswordCheckForm):
    code = StringField(
        _l("Code from the app, or a recovery code"),
        validators=[DataRequired(_l("Enter a code.")), Length(max=32)],
        render_kw={"autocomplete": "one-time-code"},
    )
