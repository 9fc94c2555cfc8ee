"""The registry of question types.

Each type declares which definition keys it takes, the WTForms field that edits it, how a
posted field becomes the stored answer (keeping what was typed even when it is not valid,
so that a draft loses nothing), how a stored answer goes back into the form, and whether
an answer counts as given. Add a type by subclassing `FieldType` and registering it.
"""

import datetime as dt
import math
import re
from collections import Counter
from decimal import Decimal

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
from wtforms.utils import unset_value

from portal.texts import text_in
from portal.timeutil import show_date

REGISTRY: dict[str, "FieldType"] = {}


def register(cls):
    REGISTRY[cls.name] = cls()
    return cls


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


def length_problems(value, limit: int) -> list[str]:
    if isinstance(value, str) and len(value) > limit:
        return [str(_l("Use at most %(n)d characters.", n=limit))]
    return []


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
        return length_problems(value, self.limit(question))


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
        if value in ("yes", "no"):
            return str(_l("Yes")) if value == "yes" else str(_l("No"))
        return "" if value is None else str(value)


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
        return option_label(question.get("options", []), value, lang)


def option_label(options: list[dict], value, lang: str) -> str:
    """The label of the option stored as `value`; any other stored value as text."""
    if value is None:
        return ""
    if isinstance(value, str):
        labels = {o["value"]: text_in(o["label"], lang) for o in options}
        return labels.get(value, value)
    return str(value)


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

    def to_form(self, value, question):
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def labels(self, value, question, lang) -> list[str]:
        """The chosen options' labels, in the definition's order."""
        values = value if isinstance(value, list) else [] if value is None else [value]
        return [option_label(question.get("options", []), v, lang) for v in values]

    def display(self, value, question, lang):
        return ", ".join(self.labels(value, question, lang))


#: The most digits a number answer has: more than any count, share or sum of money needs,
#: and no more than a float keeps exactly, so that a number reads back as it was typed.
NUMBER_DIGITS = 15
#: Longer text is not read as a number at all (it is kept as typed, with a problem), so that
#: no input makes reading or showing a number cost time.
_NUMBER_CHARS = 60
# Digits with at most one decimal separator, once spaces (between thousands) are taken out.
# No exponent, "inf" or "nan": Decimal reads "1e1000000" at once, but making an int of it
# takes half a minute and showing it is refused.
_NUMBER = re.compile(r"([+-]?)([0-9]*)(?:[.,]([0-9]*))?", re.ASCII)
_SPACES = re.compile(r"\s+")


def _number_parts(raw: str) -> tuple[str, str, str] | None:
    """(sign, whole digits, decimal digits) of what a person typed, or None when it is not
    written as a number."""
    if len(raw) > _NUMBER_CHARS:
        return None
    match = _NUMBER.fullmatch(_SPACES.sub("", raw))
    if match is None or not (match[2] or match[3]):
        return None
    sign, whole, fraction = match.groups(default="")
    return sign, whole, fraction


def _digits(parts: tuple[str, str, str]) -> int:
    return len(parts[1].lstrip("0")) + len(parts[2].rstrip("0"))


def parse_number(raw: str) -> int | float | None:
    """A number from what a person typed: spaces, non-breaking spaces and a decimal comma
    are fine ("2 400", "12,5"). Returns None when it is not a number or has more than
    NUMBER_DIGITS digits (the work is bounded by the length of the text)."""
    parts = _number_parts(raw)
    if parts is None or _digits(parts) > NUMBER_DIGITS:
        return None
    sign, whole, fraction = parts
    if fraction.rstrip("0"):
        return float(f"{sign}{whole or 0}.{fraction}")
    return int(f"{sign}{whole or 0}")


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number_problems(value, spec) -> list[str]:
    """Problems with a stored number answer or cell: any stored value (text as typed, or
    what older versions stored, such as a number too large for a float) gives a list."""
    if value is None or value == "":
        return []
    number, problem = _readable(value)
    if problem:
        return [problem]
    if spec.get("integer") and not float(number).is_integer():
        problem = _l("Enter a whole number.")
    elif "min" in spec and number < spec["min"]:
        problem = _l("Enter %(min)s or more.", min=_fmt(spec["min"]))
    elif "max" in spec and number > spec["max"]:
        problem = _l("Enter %(max)s or less.", max=_fmt(spec["max"]))
    return [str(problem)] if problem else []


def _readable(value) -> tuple[int | float | None, str | None]:
    """A stored value as a number within NUMBER_DIGITS, or why it is not one."""
    if isinstance(value, str):
        parts = _number_parts(value)
        if parts is not None and _digits(parts) > NUMBER_DIGITS:
            value = math.inf  # written as a number, with too many digits: too large
        else:
            value = parse_number(value)
    if not _is_number(value) or (isinstance(value, float) and math.isnan(value)):
        return None, str(_l("Enter a number, such as 12 or 12.5."))
    if abs(value) >= 10**NUMBER_DIGITS:
        return None, str(_l("Enter a number of at most %(n)d digits.", n=NUMBER_DIGITS))
    return value, None


def _fmt(number) -> str:
    """A stored number as a person reads it ("12", "12.5"); anything else as text. Never
    fails: an int of any size JSON can hold is shown in full, without a float, and a
    fraction without an exponent ("0.00001", not "1e-05"), so that it can be saved again."""
    if isinstance(number, float):
        if number.is_integer():
            return str(int(number))
        if math.isfinite(number):
            return format(Decimal(repr(number)), "f")
    return str(number)


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


# The form a date field sends; checked before the calendar is asked whether the day exists.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def date_problems(value) -> list[str]:
    if value is None or value == "":
        return []
    try:
        if not (isinstance(value, str) and _DATE.fullmatch(value)):
            raise ValueError(value)
        dt.date.fromisoformat(value)
    except ValueError:
        return [str(_l("Enter a date as YYYY-MM-DD, such as 2026-03-31."))]
    return []


def show_any_date(value) -> str:
    """A stored date as a person reads it; a date not as written as typed; any other stored
    value as text."""
    return show_date(value) if isinstance(value, str) else "" if value is None else str(value)


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
        return show_any_date(value)


_URL = re.compile(r"https?://[^\s/$.?#]\S*", re.IGNORECASE)
#: Longer addresses than browsers and servers reliably pass on.
URL_MAX_LENGTH = 2000


def url_problems(value) -> list[str]:
    if value is None or value == "":
        return []
    if not (isinstance(value, str) and _URL.fullmatch(value)):
        return [str(_l("Enter a web address starting with https:// or http://."))]
    return length_problems(value, URL_MAX_LENGTH)


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


#: The longest note on an evidence slot's documents.
NOTE_MAX_LENGTH = 5000


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
        value = {"note": note} if note else None
        return value, self.problems(value, question)

    def problems(self, value, question):
        return length_problems(self.note(value), NOTE_MAX_LENGTH)

    def note(self, value) -> str:
        """The note of a stored slot ("" when there is none, or the value is not a slot)."""
        note = value.get("note") if isinstance(value, dict) else None
        return "" if note is None else str(note)

    def keep(self, value, stored):
        """The number of files is kept by the evidence feature, never by the form."""
        files = stored.get("files") if isinstance(stored, dict) else None
        if not files:
            return value
        return {**(value or {}), "files": files}

    def to_form(self, value, question):
        return self.note(value)

    def is_answered(self, value):
        return isinstance(value, dict) and bool(value.get("note") or value.get("files"))

    def display(self, value, question, lang):
        return self.note(value)


_CELL_PROBLEMS = {
    "short_text": lambda value, column: length_problems(value, ShortText.default_max),
    "number": number_problems,
    "date": lambda value, column: date_problems(value),
    "url": lambda value, column: url_problems(value),
}
#: The most rows a table's form reads from a post, whatever its own limit: the most any
#: definition may allow. Rows beyond the question's `max_rows` are kept, with a problem.
TABLE_ROWS_LIMIT = 500
# A row's number in a posted name ("q_risks-2-factory"): ASCII digits only, few of them.
_ROW_INDEX = re.compile(r"[0-9]{1,4}", re.ASCII)


class TableRows(FieldList):
    """The rows of a table. Reads only row numbers a page could have sent ("²" and numbers
    of thousands of digits pass str.isdigit, but int() fails on them), and shows every
    stored row, even beyond max_entries (an answer carried over from a version that allowed
    more); max_entries bounds only what a post makes it read."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for name in formdata:
            if name.startswith(prefix):
                index = name[offset:].split(self._field_separator, 1)[0]
                if _ROW_INDEX.fullmatch(index):
                    yield int(index)

    def process(self, formdata, data=unset_value, extra_filters=None):
        limit = self.max_entries
        if not formdata and isinstance(data, list):
            self.max_entries = max(limit or 0, len(data)) or None
        try:
            super().process(formdata, data, extra_filters)
        finally:
            self.max_entries = limit


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
            elif column["type"] == "number":
                # A phone offers its keypad of digits, as for a question of type number.
                attrs[column["key"]] = StringField(label, render_kw={"inputmode": "decimal"})
            else:
                attrs[column["key"]] = StringField(label)
        return type("RowForm", (Form,), attrs)

    def form_field(self, question, lang):
        # Labels given spare WTForms translating one made from the name, for every row.
        return TableRows(
            FormField(self.row_form(question, lang), label=""),
            label=text_in(question["text"], lang),
            max_entries=TABLE_ROWS_LIMIT,
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
                if column["type"] == "single_choice":
                    raw = raw if raw in {o["value"] for o in column["options"]} else None
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

    def rows(self, value) -> list[dict]:
        """The rows of a stored answer; anything else a value may hold is no row."""
        return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []

    def problems(self, value, question) -> list[Problem]:
        problems = []
        rows = self.rows(value)
        for number, row in enumerate(rows, start=1):
            problems += self._row_problems(row, question, number)
        if rows and question.get("min_rows") and len(rows) < question["min_rows"]:
            problems.append(
                Problem(str(_l("Fill in at least %(n)d rows.", n=question["min_rows"])))
            )
        most = question.get("max_rows", 50)
        if len(rows) > most:
            problems.append(Problem(str(_l("Fill in at most %(n)d rows.", n=most))))
        return problems

    def problems_by_cell(self, problems: list[str]) -> dict[tuple[int, str], list[int]]:
        """Where each placed problem is: (row number, column key) → positions in `problems`."""
        cells: dict[tuple[int, str], list[int]] = {}
        for index, problem in enumerate(problems):
            if getattr(problem, "row", None):
                cells.setdefault((problem.row, problem.column), []).append(index)
        return cells

    def cell_text(self, column: dict, value, lang: str) -> str:
        """A cell as a person reads it: an option's label, a number or a date as typed."""
        if value is None or value == "":
            return ""
        if column["type"] == "single_choice":
            return option_label(column.get("options", []), value, lang)
        if column["type"] == "date":
            return show_any_date(value)
        return _fmt(value)

    def to_form(self, value, question):
        rows = [
            {
                column["key"]: (_fmt(v) if _is_number(v) else v)
                for column in question["columns"]
                if (v := row.get(column["key"])) is not None
            }
            for row in self.rows(value)
        ]
        spare = min(self.spare_rows, question.get("max_rows", 50) - len(rows))
        return rows + [{} for _ in range(max(spare, 0))]

    def display(self, value, question, lang):
        """One line: "Brand name: Acme, Share of contract volume: 40 %; Brand name: …"."""
        rows = []
        for row in self.rows(value):
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
    #: Rows of a frozen list shown with the answer; the whole list has a page of its own.
    shown_at_most = 20

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

    def factories(self, value) -> list[dict]:
        """The factories of a frozen list; anything else a value may hold is none."""
        return [f for f in value if isinstance(f, dict)] if isinstance(value, list) else []

    def role_counts(self, factories: list[dict]) -> dict[str, int]:
        """How many factories of a frozen list have each role."""
        return dict(Counter(f.get("role") for f in factories))

    def display(self, value, question, lang):
        if value is None:
            return ""
        return str(_l("%(n)d factories", n=len(self.factories(value))))


@register
class Guidance(FieldType):
    name = "guidance"
    answerable = False
    gradable = False

    def form_field(self, question, lang):
        return None

    def is_answered(self, value):
        return True
