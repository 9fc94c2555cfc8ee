"""Form pieces shared by every feature."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from portal.arguments import MAX_INTEGER
from portal.passwords import MAX_LENGTH, password_problems
from portal.roles import Role


class ConfirmForm(FlaskForm):
    """A button that changes state: carries only the CSRF token."""


class WholeNumberField(IntegerField):
    """A whole number that fits the database's INTEGER columns. A larger one is the user's
    mistake, shown at the field: passed on, it would fail in the database, and WTForms'
    NumberRange turns a number of hundreds of digits into a float, which fails there too."""

    too_large = False

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.too_large = self.data is not None and abs(self.data) > MAX_INTEGER
        if self.too_large:
            self.data = None

    def pre_validate(self, form):
        # Before the validators: DataRequired would otherwise ask for a number.
        if self.too_large:
            raise StopValidation(_l("The number is too large."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def email_field(label=None, **kwargs) -> EmailField:
    return EmailField(
        label or _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter an e-mail address.")),
            Length(max=254, message=_l("Use at most 254 characters.")),
            Email(
                message=_l("Enter an e-mail address like name@example.com."),
                check_deliverability=False,
            ),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
        **kwargs,
    )


class NewPassword:
    """Validator: the password rules, with the form's e-mail (if any) as context."""

    def __init__(self, email_field_name: str | None = "email"):
        self.email_field_name = email_field_name

    def __call__(self, form, field) -> None:
        named = form._fields.get(self.email_field_name) if self.email_field_name else None
        email = getattr(form, "context_email", None) or (named.data if named else None)
        problems = password_problems(field.data or "", email=email)
        if problems:
            raise ValidationError(" ".join(problems))


def new_password_fields():
    """The pair of fields for choosing a password (used by reset, invitation, change)."""
    password = PasswordField(
        _l("New password"),
        description=_l("At least 8 characters. A few unrelated words make a good password."),
        validators=[DataRequired(_l("Choose a password.")), NewPassword()],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the password.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
    )
    return password, confirm


class VersionedForm(FlaskForm):
    """An edit form that carries the version of the row it was opened on."""

    version = HiddenField()

    def opened_version(self) -> int:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return -1


class InviteForm(FlaskForm):
    """An invitation to join an organisation: whom, and in which role (the admin's and the
    owner's team pages alike)."""

    email = email_field(_l("E-mail address of the person to invite"))
    # No role is preselected: an owner or administrator invited by a slip of the mouse has
    # rights nobody meant to give, so the person inviting must choose.
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose the role to invite as."))])

    def set_roles(self, roles) -> None:
        self.role.choices = [SelectChoice("", _l("Choose a role"))] + [
            SelectChoice(r.value, r.label) for r in roles
        ]

    @property
    def role_enum(self) -> Role:
        return Role(self.role.data)


#: How much of a search is used.
MAX_SEARCH = 100


class NameSearchForm(FlaskForm):
    """A list's search by name and its page, read from the query string; a value that does
    not validate counts as absent."""

    class Meta:
        csrf = False  # a GET form that only chooses what to show

    q = StringField(
        _l("Name contains"), filters=[_strip], validators=[Optional(), Length(max=MAX_SEARCH)]
    )
    page = WholeNumberField(validators=[Optional(), NumberRange(min=1)])

    def applied(self) -> "NameSearchForm":
        self.validate()
        for field in self:
            if field.errors:
                field.data, field.errors = None, []
        return self

    @property
    def search(self) -> str:
        return self.q.data or ""


class FindsChoices(FlaskForm):
    """A form that asks which of a list that may be too long to list whole something
    concerns (a register's factories, portal.factories.services.factory_choices; the supplier
    organisations of a round, portal.questionnaires.services.organisation_choices): a search
    field ("find") and a Find button (name "action", value "find") that sends the whole form,
    so that what is typed and chosen stays while the list is narrowed."""

    find = StringField(filters=[_strip], validators=[Optional(), Length(max=MAX_SEARCH)])
    action = StringField()

    @property
    def finding(self) -> bool:
        """Whether the form was sent with its Find button rather than to be saved."""
        return self.is_submitted() and self.action.data == "find"

    @property
    def search(self) -> str:
        """The search sent (empty when none), at most MAX_SEARCH characters of it."""
        return (self.find.data or "")[:MAX_SEARCH]
