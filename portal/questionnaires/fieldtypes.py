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

from portal.timeutil import show_date

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
        """The answer as one line of text (a colleague's conflicting answer, JSON replies);
        pages that show answers use templates/questionnaires/_answer.html."""
        return "" if value is None else str(value)

    def keep(self, value, stored):
        """The posted value with whatever of the stored one the form does not edit."""
        return value


class Problem(str):
    """A problem with an answer: its message, and for a table where it is (the row number
    from 1 and the column key), so that pages can mark that cell. Stored as the message
    alone; answers stored before problems had places read the same."""

    row: int | None
    column: str | None

    def __new__(cls, message: str, row: int | None = None, column: str | None = None):
        problem = super().__new__(cls, message)
        problem.row, problem.column = row, column
        return problem


def lower_first(text: str) -> str:
    """A sentence continued after a colon: "Enter 100 or less." → "enter 100 or less."."""
    return text[:1].lower() + text[1:]


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

    def labels(self, value, question, lang) -> list[str]:
        """The chosen options' labels, in the definition's order."""
        labels = {o["value"]: text_in(o["label"], lang) for o in question.get("options", [])}
        return [labels.get(v, v) for v in value or []]

    def display(self, value, question, lang):
        return ", ".join(self.labels(value, question, lang))


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

    def display(self, value, question, lang):
        return show_date(value)


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
        return TextAreaField(
            _l("Note on the documents (optional)"),
            description=_l("Which document shows what, if that is not clear from the documents."),
            render_kw={"rows": 3},
        )

    def from_field(self, field, question):
        note = (field.data or "").strip()
        return ({"note": note} if note else None), []

    def keep(self, value, stored):
        """The number of files is kept by the evidence feature, never by the form."""
        files = stored.get("files") if isinstance(stored, dict) else None
        if not files:
            return value
        return {**(value or {}), "files": files}

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
        rows = []
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
        return (rows or None), self.problems(rows, question)

    def _row_problems(self, row, question, number) -> list[Problem]:
        """Each cell's problems, naming the row and the column. Rows are numbered as they are
        stored and shown again, empty rows left out."""
        problems = []
        lang = str(get_locale())
        for column in question["columns"]:
            value = row.get(column["key"])
            label = text_in(column["label"], lang)
            if column.get("required") and value is None:
                message = _l("Fill in %(column)s in row %(n)d.", column=label, n=number)
                problems.append(Problem(str(message), number, column["key"]))
            check = _CELL_PROBLEMS.get(column["type"])
            for problem in check(value, column) if check else []:
                message = _l(
                    "Row %(n)d, %(column)s: %(problem)s",
                    n=number,
                    column=label,
                    problem=lower_first(problem),
                )
                problems.append(Problem(str(message), number, column["key"]))
        return problems

    def problems(self, value, question) -> list[Problem]:
        problems = []
        for number, row in enumerate(value or [], start=1):
            problems += self._row_problems(row, question, number)
        if value and question.get("min_rows") and len(value) < question["min_rows"]:
            problems.append(
                Problem(str(_l("Fill in at least %(n)d rows.", n=question["min_rows"])))
            )
        return problems

    def problems_by_cell(self, problems: list[str]) -> dict[tuple[int, str], list[int]]:
        """Where each placed problem is: (row number, column key) → positions in `problems`."""
        cells: dict[tuple[int, str], list[int]] = {}
        for index, problem in enumerate(problems):
            if getattr(problem, "row", None):
                cells.setdefault((problem.row, problem.column), []).append(index)
        return cells

    def cell_text(self, column: dict, value, lang: str) -> str:
        """A cell as a person reads it: an option's label, a number as typed."""
        if value is None or value == "":
            return ""
        if column["type"] == "single_choice":
            labels = {o["value"]: text_in(o["label"], lang) for o in column.get("options", [])}
            return labels.get(value, str(value))
        if column["type"] == "number" and not isinstance(value, str | bool):
            return _fmt(value)
        return str(value)

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
        """One line: "Brand name: Acme, Share of contract volume: 40 %; Brand name: …"."""
        rows = []
        for row in value or []:
            cells = []
            for column in question["columns"]:
                text = self.cell_text(column, row.get(column["key"]), lang)
                unit = text_in(column.get("unit"), lang)
                if text:
                    cells.append(f"{text_in(column['label'], lang)}: {text} {unit}".strip())
            rows.append(", ".join(cells))
        return "; ".join(rows)


@register
class FactoryList(FieldType):
    """The factories of the supplier's register; frozen into the response on submission."""

    name = "factory_list"
    own_keys = frozenset({"roles"})
    gradable = False

    def form_field(self, question, lang):
        return None  # nothing to type: the register is the answer

    def is_answered(self, value):
        return True  # a frozen list is the answer; a draft's register is checked below

    def register_problems(self, question: dict, coverage, brands: list[str]) -> list[str]:
        """Why the register does not answer the question yet (empty when it does).

        Met when the register holds a current final-assembly factory (or, for a question
        that asks only for component factories, one of those) and every brand in `brands`
        has a current final-assembly factory. `coverage` is a factories.services.Coverage.
        """
        roles = question.get("roles") or ["final_assembly", "main_component"]
        if "final_assembly" not in roles:
            if coverage.count(roles):
                return []
            return [str(_l("Your factory register has no current factory of this kind yet."))]
        if not coverage.count(["final_assembly"]):
            return [
                str(
                    _l(
                        "Your factory register has no current final-assembly factory yet. "
                        "Add the factories that assemble the products."
                    )
                )
            ]
        missing = coverage.unassembled(brands)
        if missing:
            return [
                str(
                    _l(
                        "No current final-assembly factory in your factory register makes "
                        "%(brands)s. Name the brand on the factory that assembles it.",
                        brands=", ".join(missing),
                    )
                )
            ]
        return []

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
