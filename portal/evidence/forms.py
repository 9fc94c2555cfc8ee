"""The upload form of an evidence document."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectChoice, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import Length, Optional, ValidationError

from portal.evidence.labels import KIND_LABELS
from portal.forms import FindsChoices


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class UploadForm(FindsChoices):
    file = FileField(
        _l("File"),
        description=_l("PDF, PNG, JPEG, XLSX, DOCX, ODT, ODS, CSV or TXT, at most %(mb)d MB."),
        validators=[FileRequired(_l("Choose a file to upload."))],
    )
    kind = SelectField(_l("What the document is"))
    issuer = StringField(
        _l("Issued by"),
        filters=[_strip],
        description=_l("The certification body, auditor or author."),
        validators=[Optional(), Length(max=200)],
    )
    reference = StringField(
        _l("Reference number"), filters=[_strip], validators=[Optional(), Length(max=100)]
    )
    issued_on = DateField(_l("Issue date"), validators=[Optional()])
    valid_until = DateField(
        _l("Valid until"),
        description=_l("For certificates: the portal reminds you before it expires."),
        validators=[Optional()],
    )
    factories = SelectMultipleField(
        _l("Factories it covers"),
        coerce=int,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )

    def __init__(self, *args, kinds=None, max_mb: int = 25, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k, KIND_LABELS[k]) for k in (kinds or KIND_LABELS)]
        self.factories.choices = []
        self.file.description = _l(
            "PDF, PNG, JPEG, XLSX, DOCX, ODT, ODS, CSV or TXT, at most %(mb)d MB.", mb=max_mb
        )

    def offer(self, factories) -> None:
        """The factories to tick (see FindsChoices)."""
        self.factories.choices = [SelectChoice(f.id, f.name) for f in factories]

    def validate_valid_until(self, field):
        if field.data and self.issued_on.data and field.data < self.issued_on.data:
            raise ValidationError(_l("The document cannot expire before it was issued."))
