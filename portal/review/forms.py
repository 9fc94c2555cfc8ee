"""The grading form, compiled from the questionnaire's rubrics."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from portal.questionnaires.fieldtypes import text_in


class GradingBase(FlaskForm):
    #: Which button was pressed: "save", "clarify" or "accept".
    action = StringField()


def grading_form(questions: list[dict], documents: list, lang: str, **kwargs):
    """A form with, per gradable question, its rubric levels, a comment, an internal note and
    a box to ask about it; per evidence document, a verdict and a reason."""
    attrs = {}
    for question in questions:
        key = question["key"]
        attrs[f"points_{key}"] = RadioField(
            _l("Grade"),
            coerce=float,
            validators=[Optional()],
            validate_choice=False,
            choices=[
                SelectChoice(
                    level["points"], f"{level['points']:g} – {text_in(level['description'], lang)}"
                )
                for level in question["rubric"]
            ],
        )
        attrs[f"comment_{key}"] = TextAreaField(
            _l("Comment to the supplier"), validators=[Length(max=5000)]
        )
        attrs[f"note_{key}"] = TextAreaField(
            _l("Internal note (only the region sees it)"), validators=[Length(max=5000)]
        )
        attrs[f"ask_{key}"] = BooleanField(_l("Ask the supplier about this answer"))
    for document in documents:
        attrs[f"verdict_{document.id}"] = SelectField(
            _l("Verdict"),
            validate_choice=False,
            choices=[
                SelectChoice("", _l("Not judged")),
                SelectChoice("accepted", _l("Accepted as proof")),
                SelectChoice("rejected", _l("Rejected")),
            ],
        )
        attrs[f"reason_{document.id}"] = StringField(
            _l("Reason for rejecting"), validators=[Length(max=1000)]
        )
    return type("GradingForm", (GradingBase,), attrs)(**kwargs)


class AssignForm(FlaskForm):
    reviewer = SelectField(_l("Reviewer"), validate_choice=False)
