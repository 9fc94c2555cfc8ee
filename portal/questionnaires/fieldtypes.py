"""The registry of question types.

Each type declares which definition keys it takes, the WTForms field that edits it, how a
posted field becomes the stored answer (keeping what was typed even when it is not valid,
so that a draft loses nothing), how a stored answer goes back into the form, and whether
an answer counts as given. Add a type by subclassing `FieldType` and registering it.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)

REGISTRY: dict[str, "FieldType"] = {}


def register(cls):
    REGISTRY[cls.name] = cls()
    return cls


def text_in(text: dict | None, lang: str) -> str:
    """A definition text in the language, falling back to the other one."""
    if not text:
        return ""
    return text.get(lang) or text.get("sv") or text.get("en") or ""


def _choices(options, lang, *, blank=False):
    choices = [SelectChoice(o["value"], text_in(o["label"], lang)) for o in options]
    return ([SelectChoice("", str(_l("Choose")))] if blank else []) + choices


class FieldType:
    name = ""
    #: Definition keys this type accepts besides the common ones.
    own_keys: frozenset = frozenset()
    answerable = True
    gradable = True

    def check(self, question: dict) -> list[tuple[str, str]]:
        """Type-specific problems in a definition, as (sub-path, message)."""
        return []

    def form_field(self, question: dict, lang: str):
        raise NotImplementedError

    def from_field(self, field, question: dict):
        """(stored value, problems) from a bound form field."""
        value = (field.data or "").strip() if isinstance(field.data, str) else field.data
        return (value or None), []

    def to_form(self, value, question: dict):
        return value

    def is_answered(self, value) -> bool:
        return value not in (None, "", [], {})

    def problems(self, value, question: dict) -> list[str]:
        """Problems with a stored value (checked again when the response is submitted)."""
        return []

    def display(self, value, question: dict, lang: str) -> str:
        """The answer as text for read-only pages, history and print."""
        return "" if value is None else str(value)


@register
class ShortText(FieldType):
    name = "short_text"
    own_keys = frozenset({"max_length"})
    default_max = 300

    def limit(self, question):
        return question.get("max_length", self.default_max)

    def form_field(self, question, lang):
        return StringField(render_kw={"maxlength": self.limit(question)})

    def from_field(self, field, question):
        value, _ = super().from_field(field, question)
        return value, self.problems(value, question)

    def problems(self, value, question):
        if value and len(value) > self.limit(question):
            return [str(_l("Use at most %(n)d characters.", n=self.limit(question)))]
        return []


@register
class LongText(ShortText):
    name = "long_text"
    default_max = 10_000

    def form_field(self, question, lang):
        return TextAreaField(render_kw={"rows": 6})


@register
class YesNo(FieldType):
    name = "yes_no"

    def form_field(self, question, lang):
        return RadioField(
            choices=[SelectChoice("yes", str(_l("Yes"))), SelectChoice("no", str(_l("No")))],
            validate_choice=False,
        )

    def from_field(self, field, question):
        value = field.data if field.data in ("yes", "no") else None
        return value, []

    def display(self, value, question, lang):
        return {"yes": str(_l("Yes")), "no": str(_l("No"))}.get(value, "")


@register
class SingleChoice(FieldType):
    name = "single_choice"
    own_keys = frozenset({"options"})

    def check(self, question):
        return [] if question.get("options") else [("options", "Give at least two options.")]

    def form_field(self, question, lang):
        if len(question["options"]) > 7:
            return SelectField(
                choices=_choices(question["options"], lang, blank=True), validate_choice=False
            )
        return RadioField(choices=_choices(question["options"], lang), validate_choice=False)

    def from_field(self, field, question):
        values = {o["value"] for o in question["options"]}
        return (field.data if field.data in values else None), []

    def display(self, value, question, lang):
        labels = {o["value"]: text_in(o["label"], lang) for o in question.get("options", [])}
        return labels.get(value, value or "")


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


@register
class MultipleChoice(SingleChoice):
    name = "multiple_choice"

    def form_field(self, question, lang):
        return CheckboxesField(choices=_choices(question["options"], lang), validate_choice=False)

    def from_field(self, field, question):
        order = [o["value"] for o in question["options"]]
        chosen = set(field.data or [])
        return [v for v in order if v in chosen] or None, []

    def display(self, value, question, lang):
        labels = {o["value"]: text_in(o["label"], lang) for o in question.get("options", [])}
        return ", ".join(labels.get(v, v) for v in value or [])


def parse_number(raw: str):
    """A number from what a person typed: spaces, non-breaking spaces and a decimal comma
    are fine ("2 400", "12,5"). Returns None when it is not a number."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", raw).replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def number_problems(value, spec) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [str(_l("Enter a number, such as 12 or 12.5."))]
    if spec.get("integer") and not float(value).is_integer():
        return [str(_l("Enter a whole number."))]
    if "min" in spec and value < spec["min"]:
        return [str(_l("Enter %(min)s or more.", min=_fmt(spec["min"])))]
    if "max" in spec and value > spec["max"]:
        return [str(_l("Enter %(max)s or less.", max=_fmt(spec["max"])))]
    return []


def _fmt(number) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


@register
class Number(FieldType):
    name = "number"
    own_keys = frozenset({"unit", "min", "max", "integer"})

    def form_field(self, question, lang):
        return StringField(render_kw={"inputmode": "decimal", "class": "input input--short"})

    def from_field(self, field, question):
        raw = (field.data or "").strip()
        if not raw:
            return None, []
        number = parse_number(raw)
        value = raw if number is None else number
        return value, number_problems(value, question)

    def problems(self, value, question):
        return number_problems(value, question)

    def to_form(self, value, question):
        if value is None:
            return ""
        return _fmt(value) if not isinstance(value, str) else value

    def display(self, value, question, lang):
        unit = text_in(question.get("unit"), lang)
        shown = self.to_form(value, question)
        return f"{shown} {unit}".strip() if shown else ""


def date_problems(value) -> list[str]:
    if not value:
        return []
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return [str(_l("Enter a date as YYYY-MM-DD, such as 2026-03-31."))]
    return []


@register
class Date(FieldType):
    name = "date"

    def form_field(self, question, lang):
        return StringField(widget=widgets.DateInput(), render_kw={"class": "input input--short"})

    def from_field(self, field, question):
        value = (field.data or "").strip() or None
        return value, date_problems(value)

    def problems(self, value, question):
        return date_problems(value)


_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def url_problems(value) -> list[str]:
    if value and not _URL.match(value):
        return [str(_l("Enter a web address starting with https:// or http://."))]
    return []


@register
class Url(FieldType):
    name = "url"

    def form_field(self, question, lang):
        return StringField(widget=widgets.URLInput(), render_kw={"spellcheck": "false"})

    def from_field(self, field, question):
        value = (field.data or "").strip() or None
        return value, url_problems(value)

    def problems(self, value, question):
        return url_problems(value)


@register
class Evidence(FieldType):
    """An evidence slot. The note says which document proves what; the files themselves
    are attached by the evidence feature."""

    name = "evidence"

    def check(self, question):
        return [] if question.get("evidence") else [("evidence", "Name the evidence kinds.")]

    def form_field(self, question, lang):
        return TextAreaField(render_kw={"rows": 3})

    def from_field(self, field, question):
        note = (field.data or "").strip()
        return ({"note": note} if note else None), []

    def to_form(self, value, question):
        return (value or {}).get("note", "")

    def is_answered(self, value):
        return bool(value and (value.get("note") or value.get("files")))

    def display(self, value, question, lang):
        return (value or {}).get("note", "")


_CELL_PROBLEMS = {
    "number": number_problems,
    "date": lambda value, column: date_problems(value),
    "url": lambda value, column: url_problems(value),
}


@register
class Table(FieldType):
    name = "table"
    own_keys = frozenset({"columns", "min_rows", "max_rows"})
    #: Empty rows offered beyond the filled ones, so rows can be added without JavaScript.
    spare_rows = 2

    def check(self, question):
        keys = [c["key"] for c in question.get("columns", [])]
        problems = [] if keys else [("columns", "Give at least one column.")]
        if len(keys) != len(set(keys)):
            problems.append(("columns", "Column keys must be unique."))
        return problems

    def row_form(self, question, lang):
        attrs = {}
        for column in question["columns"]:
            label = text_in(column["label"], lang)
            if column["type"] == "single_choice":
                attrs[column["key"]] = SelectField(
                    label,
                    choices=_choices(column["options"], lang, blank=True),
                    validate_choice=False,
                )
            elif column["type"] == "date":
                attrs[column["key"]] = StringField(label, widget=widgets.DateInput())
            else:
                attrs[column["key"]] = StringField(label)
        return type("RowForm", (Form,), attrs)

    def form_field(self, question, lang):
        return FieldList(
            FormField(self.row_form(question, lang)), max_entries=question.get("max_rows", 50)
        )

    def from_field(self, field, question):
        rows, problems = [], []
        for entry in field.entries:
            row = {}
            for column in question["columns"]:
                raw = entry.form[column["key"]].data
                raw = raw.strip() if isinstance(raw, str) else raw
                if column["type"] == "number" and raw:
                    parsed = parse_number(raw)
                    raw = raw if parsed is None else parsed
                row[column["key"]] = raw if raw not in ("", None) else None
            if any(v is not None for v in row.values()):
                rows.append(row)
                problems += self._row_problems(row, question, len(rows))
        return (rows or None), problems

    def _row_problems(self, row, question, number) -> list[str]:
        problems = []
        for column in question["columns"]:
            value = row.get(column["key"])
            label = column["label"]
            if column.get("required") and value is None:
                problems.append(
                    str(
                        _l(
                            "Row %(n)d: fill in %(column)s.",
                            n=number,
                            column=text_in(label, str(get_locale())),
                        )
                    )
                )
            check = _CELL_PROBLEMS.get(column["type"])
            for problem in check(value, column) if check else []:
                problems.append(str(_l("Row %(n)d: %(problem)s", n=number, problem=problem)))
        return problems

    def problems(self, value, question):
        problems = []
        for number, row in enumerate(value or [], start=1):
            problems += self._row_problems(row, question, number)
        if value and question.get("min_rows") and len(value) < question["min_rows"]:
            problems.append(str(_l("Fill in at least %(n)d rows.", n=question["min_rows"])))
        return problems

    def to_form(self, value, question):
        rows = [
            {
                key: (_fmt(v) if isinstance(v, int | float) and not isinstance(v, bool) else v)
                for key, v in row.items()
            }
            for row in value or []
        ]
        spare = min(self.spare_rows, question.get("max_rows", 50) - len(rows))
        return rows + [{} for _ in range(max(spare, 0))]

    def display(self, value, question, lang):
        return str(len(value or []))


@register
class FactoryList(FieldType):
    """The factories of the supplier's register; frozen into the response on submission."""

    name = "factory_list"
    own_keys = frozenset({"roles"})
    gradable = False

    def form_field(self, question, lang):
        return None  # nothing to type: the register is the answer

    def is_answered(self, value):
        return True  # the register itself is checked by its own feature

    def display(self, value, question, lang):
        if value is None:
            return ""
        return str(_l("%(n)d factories", n=len(value)))


@register
class Guidance(FieldType):
    name = "guidance"
    answerable = False
    gradable = False

    def form_field(self, question, lang):
        return None

    def is_answered(self, value):
        return True
