"""Forms of the public pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[AnyOf(("sv", "en"))])
    next = HiddenField()


class AccessibilityReportForm(FlaskForm):
    page = StringField(
        _l("Which page or part of the portal?"),
        validators=[Optional(), Length(max=500, message=_l("Use at most %(max)d characters."))],
    )
    description = TextAreaField(
        _l("What is the problem?"),
        description=_l(
            "Describe what you tried to do and what stopped you. Mention any "
            "assistive technology you use, if you like."
        ),
        validators=[
            DataRequired(_l("Describe the problem.")),
            Length(max=5000, message=_l("Use at most %(max)d characters.")),
        ],
    )
    email = EmailField(
        _l("Your e-mail address (if you want an answer)"),
        validators=[
            Optional(),
            Length(max=254),
            Email(
                message=_l("Enter an e-mail address like name@example.com."),
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": "email"},
    )
