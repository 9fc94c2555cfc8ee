"""The questions of a section page, made in two steps.

What a question shows that depends only on its version, its section and the language (the
label, the hint, the options, a table's head, the rubric) is made once and kept with the
definition (`SectionParts`, see `Definition.memo`): the version's content never changes.
Each request then fills in what depends on the answers (`question_views`): the values, which
options are chosen, problems, conflicts, which questions show. The fields' markup is WTForms'
own, rendered once around a placeholder and filled in per request with the escaped value.
"""

from dataclasses import dataclass, field

from flask import current_app, get_template_attribute
from flask_babel import gettext
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape
from wtforms import SelectMultipleField

from portal.questionnaires.fieldtypes import REGISTRY
from portal.questionnaires.forms import SectionFormBase, field_name, section_form_class
from portal.texts import text_in

#: Stands for a field's value while its markup is made once.
_HOLE = "\x1f"
#: The types whose question is a fieldset with a legend (a single choice among many is a
#: drop-down list with a label instead).
_GROUPED = ("yes_no", "single_choice", "multiple_choice", "table", "evidence")
#: Single choices with more options than this are a drop-down list.
_MOST_RADIOS = 7
_NOTHING = Markup("")


def _shown(value) -> str:
    """What a text field shows for its data (WTForms' StringField._value)."""
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class TextMarkup:
    """A text field (input or textarea) around its value. Its ARIA attributes go right
    after the tag's name: WTForms sorts attributes by name, and theirs come first."""

    tag: str
    rest: str
    end: str

    @classmethod
    def of(cls, html: str) -> "TextMarkup":
        before, end = html.split(_HOLE)
        tag, rest = before.split(" ", 1)
        return cls(tag, " " + rest, end)

    def render(self, value, aria: str = "", rest: str | None = None) -> str:
        return f"{self.tag}{aria}{rest or self.rest}{escape(_shown(value))}{self.end}"


@dataclass(frozen=True, slots=True)
class ChoiceMarkup:
    """A list of radio buttons or check boxes, or a drop-down list: the start, each option
    as it is when not chosen and when chosen, and the end."""

    tag: str
    rest: str
    options: tuple[tuple[str, str, str], ...]
    end: str
    #: Check boxes: any number of options can be chosen.
    multiple: bool

    @classmethod
    def of(cls, field, item: str, end: str, **attrs) -> "ChoiceMarkup":
        values = [c.value for c in field.iter_choices()]
        multiple = isinstance(field, SelectMultipleField)
        field.data = [] if multiple else None
        start, *plain = _items(str(field(**attrs)), item, end)
        chosen = []
        for index, value in enumerate(values):
            field.data = [value] if multiple else value
            chosen.append(_items(str(field(**attrs)), item, end)[1 + index])
        tag, rest = start.split(" ", 1)
        options = tuple(zip(values, plain, chosen, strict=True))
        return cls(tag, " " + rest, options, end, multiple)

    def render(self, chosen, aria: str = "", rest: str | None = None) -> str:
        """`chosen`: what the field holds (WTForms' data): a value, or for check boxes a
        list of values; compared as text, as WTForms compares them."""
        if self.multiple:
            picked = {str(v) for v in chosen} if isinstance(chosen, list) else set()
            items = [on if value in picked else off for value, off, on in self.options]
        else:
            text = None if chosen is None else str(chosen)
            items = [on if value == text else off for value, off, on in self.options]
        return f"{self.tag}{aria}{rest or self.rest}{''.join(items)}{self.end}"


def _items(html: str, item: str, end: str) -> list[str]:
    """A widget's markup cut into its start, its options and its end."""
    if not html.endswith(end):
        raise ValueError(f"{html[:80]}… does not end with {end}")
    start, *items = html[: -len(end)].split(item)
    return [start, *(item + i for i in items)]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    #: The column's label, escaped, for each cell's aria-label.
    label: str
    cell: TextMarkup | ChoiceMarkup
    #: The cell's attributes after the ARIA ones, cut where the row number goes.
    rest: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TableMarkup:
    start: str
    columns: tuple[Column, ...]
    #: "row %(n)d" in the page's language.
    row_label: str
    end: str

    def render(self, rows: list[tuple[int, dict]], faulty: dict, err_id: str, name: str) -> str:
        """The table with `rows` as (index in the form, {column key: value}); cells with
        problems are marked and point at them."""
        out = [self.start]
        for number, (index, values) in enumerate(rows, start=1):
            out.append(f'<tr><th scope="row">{number}</th>')
            row_name = f"{name}-{index}-"
            row = escape(self.row_label % {"n": number})
            for column in self.columns:
                aria = ""
                at_fault = faulty.get((number, column.key))
                if at_fault:
                    ids = " ".join(f"{err_id}-{i}" for i in at_fault)
                    aria = f' aria-describedby="{ids}" aria-invalid="true"'
                aria += f' aria-label="{column.label}, {row}"'
                rest = row_name.join(column.rest)
                value = values.get(column.key)
                out.append(f"<td>{column.cell.render(value, aria, rest)}</td>")
            out.append("</tr>")
        out.append(self.end)
        return "".join(out)


@dataclass(slots=True)
class QuestionParts:
    """What a question shows whatever the answers, in one language. (Question keys are
    lower-case letters, digits and _, as the definition's schema checks: they go into
    markup as they are.)"""

    question: dict
    key: str
    kind: str
    grouped: bool
    #: The attributes of the question's element after its class: its id, its key and its
    #: condition (`data-show-if`).
    identity: str
    #: The legend or label, the hint and the accepted evidence (a heading for guidance).
    head: Markup
    #: The rubric, the end of the fieldset and of the question.
    end: Markup
    #: The field: text, a choice or a table; none for guidance, evidence and factory lists.
    widget: TextMarkup | ChoiceMarkup | TableMarkup | None = None
    #: An evidence slot's note: its label and hint, and the field.
    note_head: Markup = _NOTHING
    note: TextMarkup | None = None
    #: Keys of earlier answers whose note ("this is covered by …") stands before this one.
    credit_notes: tuple[str, ...] = ()
    #: What the link to attach a document says (a question that takes documents).
    attach_label: Markup = _NOTHING


@dataclass(slots=True)
class SectionParts:
    questions: list[QuestionParts]
    #: The page script's messages, as attributes of the form.
    messages: Markup
    #: The buttons under the section.
    actions: Markup
    #: The same, leading on to the market questions (the last section, in a round asking them).
    actions_to_market: Markup
    #: "Error:", before each problem for screen readers.
    error_label: Markup


def section_parts(definition, section: dict, lang: str) -> SectionParts:
    """The section's parts in `lang`, made once per version (and again on every request
    while templates reload, as in development)."""
    if current_app.jinja_env.auto_reload:
        return _make_parts(definition, section, lang)
    return definition.memo(
        ("page", section["key"], lang), lambda: _make_parts(definition, section, lang)
    )


def _make_parts(definition, section: dict, lang: str) -> SectionParts:
    form_class = section_form_class(definition, section, lang)
    form = form_class(formdata=None, meta={"csrf": False})
    macros = {
        name: get_template_attribute("questionnaires/_question.html", name) for name in _MACROS
    }
    keys = [q["key"] for q in section["questions"]]
    has_next = definition.section_index(section["key"]) + 1 < len(definition.sections)
    return SectionParts(
        [_question_parts(definition, q, form, macros, keys, lang) for q in section["questions"]],
        messages=macros["messages"](),
        actions=macros["actions"](has_next),
        actions_to_market=macros["actions"](has_next, to_market=True),
        error_label=macros["error_label"](),
    )


_MACROS = (
    "show_if",
    "head",
    "tail",
    "table_start",
    "table_end",
    "note_head",
    "attach_label",
    "messages",
    "actions",
    "error_label",
)


def _question_parts(definition, question, form, macros, keys, lang) -> QuestionParts:
    key, kind = question["key"], question["type"]
    field_ = form._fields.get(field_name(key))
    grouped = kind in _GROUPED and not (
        kind == "single_choice" and len(question["options"]) > _MOST_RADIOS
    )
    parts = QuestionParts(
        question=question,
        key=key,
        kind=kind,
        grouped=grouped,
        identity=f' id="question-{key}" data-question="{key}"{macros["show_if"](question)}',
        head=macros["head"](question, lang, grouped, field_ is not None),
        end=macros["tail"](question, lang, grouped) + Markup("</div>"),
        credit_notes=_credit_notes(definition, key, keys),
    )
    if question.get("evidence"):
        parts.attach_label = macros["attach_label"](question, lang)
    if field_ is None:
        return parts
    if kind == "table":
        parts.widget = _table(question, field_, macros, lang)
    elif kind == "evidence":
        parts.note_head = macros["note_head"](key, field_.label.text, field_.description)
        field_.data = _HOLE
        aria = {"aria-describedby": f"note-hint-{key}"}
        parts.note = TextMarkup.of(str(field_(id=f"note-{key}", **{"class": "input"}, **aria)))
    elif grouped:
        css = "checkboxes" if kind == "multiple_choice" else "radios"
        parts.widget = _wrapped(
            ChoiceMarkup.of(
                field_, "<li>", "</ul>", **{"class": "choice-list", "id": f"choices-{key}"}
            ),
            f'<div class="{css}">',
            "</div>",
        )
    elif field_.type == "SelectField":
        parts.widget = ChoiceMarkup.of(field_, "<option", "</select>", **{"class": "input"})
    else:
        field_.data = _HOLE
        css = "input" + (" input--short" if kind in ("number", "date") else "")
        parts.widget = TextMarkup.of(str(field_(**{"class": css})))
    return parts


def _wrapped(choices: ChoiceMarkup, before: str, after: str) -> ChoiceMarkup:
    return ChoiceMarkup(
        before + choices.tag, choices.rest, choices.options, choices.end + after, choices.multiple
    )


def _credit_notes(definition, key: str, keys: list[str]) -> tuple[str, ...]:
    """The answers that can satisfy this question and whose note stands before it: the
    first question of this section that the answer covers."""
    found = []
    for satisfier in definition.satisfied_by.get(key, ()):
        covered = definition.questions[satisfier]["satisfies"]["questions"]
        if next((k for k in covered if k in keys), None) == key:
            found.append(satisfier)
    return tuple(found)


def _table(question, field_, macros, lang) -> TableMarkup:
    field_.process(None, [{}])
    cells = field_.entries[0].form
    row0 = f"{field_.name}-0-"
    columns = []
    for column in question["columns"]:
        cell = cells[column["key"]]
        if cell.type == "SelectField":
            markup = ChoiceMarkup.of(cell, "<option", "</select>", **{"class": "input"})
        else:
            cell.data = _HOLE
            markup = TextMarkup.of(str(cell(**{"class": "input"})))
        label = escape(text_in(column["label"], lang))
        columns.append(Column(column["key"], label, markup, tuple(markup.rest.split(row0))))
    return TableMarkup(
        start=str(macros["table_start"](question, lang)),
        columns=tuple(columns),
        row_label=gettext("row %(n)d"),
        end=str(macros["table_end"](question, lang)),
    )


# Per request ----------------------------------------------------------------------------------
@dataclass(slots=True)
class QuestionView:
    """One question as this request shows it."""

    parts: QuestionParts
    answer: object
    problems: list
    hidden: bool
    readonly: bool
    #: The ids of the hint, the problems and the conflict notice, for aria-describedby.
    described: str = ""
    conflict: object = None
    control: Markup = _NOTHING
    note: Markup = _NOTHING
    #: The answers that can satisfy this question, for the page's script.
    credit_rules: list = field(default_factory=list)
    #: The credit notes before the question: (rule, note text).
    credit_notes: list = field(default_factory=list)
    #: The documents attached to the answer, and the clarification thread on it.
    documents: list = field(default_factory=list)
    thread: list = field(default_factory=list)
    #: The credit notes before the question, its element's start, its fieldset's start and
    #: its label or legend with the hint.
    start: Markup = _NOTHING
    #: Nothing to show but the field (and an empty evidence slot): no notice, problem,
    #: document or thread.
    plain: bool = True
    #: A plain question whole (its start, its field, an empty evidence slot and the note on
    #: documents where it has them, its end), written in one piece.
    whole: Markup = _NOTHING
    #: Where to attach a document to it.
    attach_url: str = ""


def question_views(
    definition,
    section: dict,
    parts: SectionParts,
    *,
    answers: dict,
    values: dict,
    shown: dict,
    visible: set[str],
    conflicts: dict,
    is_open,
    readonly: bool,
    lang: str,
    documents: dict | None = None,
    threads: dict | None = None,
    attach_url=None,
) -> list[QuestionView]:
    """The section's questions for this request. `values` holds the stored answers' values
    (for conditions), `shown` what each field shows (`stored_fields` or `posted_fields`),
    `is_open(key)` whether the supplier may change an answer now; `documents` and
    `threads` are by question key, `attach_url(key)` where to attach a document."""
    views = []
    documents, threads = documents or {}, threads or {}
    for part in parts.questions:
        key = part.key
        answer = answers.get(key)
        problems = answer.problems if answer else []
        if part.kind == "table" and problems:
            # A table's problems name their row and column, so that only those cells are marked.
            problems = REGISTRY["table"].problems(answer.value, part.question)
        view = QuestionView(
            part,
            answer,
            problems,
            hidden=key not in visible,
            readonly=readonly or not is_open(key),
            conflict=conflicts.get(key),
            documents=documents.get(key) or [],
            thread=threads.get(key) or [],
        )
        if part.kind != "guidance":
            _fill(view, shown.get(key), lang)
        if part.credit_notes or key in definition.satisfied_by:
            _credits(view, definition, values, lang)
        if part.question.get("evidence") and attach_url and not view.readonly:
            view.attach_url = attach_url(key)
        _start(view)
        views.append(view)
    return views


def _start(view: QuestionView) -> None:
    part = view.parts
    html = [
        f'<div class="notice" data-credit-note="{_json_attribute(rule)}"'
        f"{'' if rule['now'] else ' hidden'}><p>{escape(text)}</p></div>"
        for rule, text in view.credit_notes
    ]
    html.append('<div class="question')
    if view.problems:
        html.append(" field--error")
    if part.kind == "guidance":
        html.append(" question--guidance")
    html.append(f'"{part.identity}')
    if view.credit_rules:
        html.append(f' data-credited-when="{_json_attribute(view.credit_rules)}"')
    html.append(" hidden>" if view.hidden else ">")
    if part.grouped:
        described = f' aria-describedby="{view.described}"' if view.described else ""
        html.append(f'<fieldset class="fieldset" id="q_{part.key}" tabindex="-1"{described}>')
    html.append(part.head)
    view.start = Markup("".join(html))  # noqa: S704 - every value in it is escaped
    view.plain = part.kind == "guidance" or not (
        view.problems
        or view.conflict
        or view.readonly
        or view.thread
        or (view.answer and view.answer.is_unconfirmed)
        or part.kind == "factory_list"
        or view.documents
    )
    if view.plain:
        slot = _empty_evidence_slot(view) if part.question.get("evidence") else ""
        view.whole = Markup(  # noqa: S704 - markup, each value in it escaped
            f"{view.start}\n  {view.control}{slot}{view.note}{part.end}"
        )


def _empty_evidence_slot(view: QuestionView) -> str:
    """Where a question that takes documents and has none yet offers to attach one, as
    section.html writes the slot when there are documents to list."""
    attach = ""
    if view.attach_url:
        attach = (
            f'<a class="button button--secondary" href="{escape(view.attach_url)}">'
            f"{view.parts.attach_label}</a>"
        )
    return f'\n  <div class="evidence-slot">{attach}</div>\n  '


def _json_attribute(value) -> str:
    """A value as an attribute holds it, as `value|tojson|forceescape` writes it."""
    policies = current_app.jinja_env.policies
    dumps, options = policies["json.dumps_function"], policies["json.dumps_kwargs"]
    return escape(str(htmlsafe_json_dumps(value, dumps=dumps, **options)))


def _fill(view: QuestionView, shown, lang: str) -> None:
    part, key = view.parts, view.parts.key
    described = []
    if part.question.get("help"):
        described.append(f"help-{key}")
    if view.problems:
        described.append(f"err-{key}")
    if view.conflict:
        described.append(f"conflict-{key}")
    view.described = " ".join(described)
    if view.readonly:
        return
    if part.note is not None:
        view.note = Markup(  # noqa: S704 - the value in the note's field is escaped
            f'<div class="field evidence-note">{part.note_head}{part.note.render(shown)}</div>'
        )
    widget = part.widget
    if widget is None:
        return
    if isinstance(widget, TableMarkup):
        faulty = REGISTRY["table"].problems_by_cell(view.problems)
        html = widget.render(shown or [], faulty, f"err-{key}", field_name(key))
    elif part.grouped:
        html = widget.render(shown)
    else:
        aria = f' aria-describedby="{view.described}"' if view.described else ""
        if view.problems:
            aria += ' aria-invalid="true"'
        html = widget.render(shown, aria)
        unit = part.question.get("unit")
        if part.kind == "number" and unit:
            html += f' <span class="unit">{escape(text_in(unit, lang))}</span>'
    view.control = Markup(html)  # noqa: S704 - WTForms' markup with every value escaped


def _credits(view: QuestionView, definition, values: dict, lang: str) -> None:
    key = view.parts.key
    view.credit_rules = definition.credit_rules(key, values)
    by_question = {rule["question"]: rule for rule in view.credit_rules}
    for satisfier in view.parts.credit_notes:
        note = definition.questions[satisfier]["satisfies"].get("note")
        view.credit_notes.append((by_question[satisfier], text_in(note, lang)))


def stored_fields(section: dict, answers: dict) -> dict:
    """What each field shows for the stored answers, by question key: a text, the options
    chosen, or a table's rows as (index, {column key: value})."""
    shown = {}
    for question in section["questions"]:
        key, kind = question["key"], question["type"]
        answer = answers.get(key)
        if answer is None and kind != "table":
            continue
        value = REGISTRY[kind].to_form(answer.value if answer else None, question)
        if kind == "table":
            value = list(enumerate(value))
        shown[key] = value
    return shown


def posted_fields(form: SectionFormBase, section: dict) -> dict:
    """What each field shows as it was posted (a page shown again with a conflict)."""
    shown = {}
    for question in section["questions"]:
        field_ = form._fields.get(field_name(question["key"]))
        if field_ is None:
            continue
        if question["type"] == "table":
            shown[question["key"]] = [
                (
                    int(entry.name.rsplit("-", 1)[1]),
                    {k: f.data for k, f in entry.form._fields.items()},
                )
                for entry in field_.entries
            ]
        else:
            shown[question["key"]] = field_.data
    return shown
