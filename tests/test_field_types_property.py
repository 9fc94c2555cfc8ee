"""Every field type against arbitrary input: generated (Hypothesis), not hand-picked.

Whatever a supplier types into any question, or any cell of a table, is saved as typed with
its problems, shows again on the section page, and costs no noticeable time; whatever an
answer already holds (also values older code stored, such as a number of 310 digits)
renders on every page that shows it. Two levels: the field types' own functions, fast and
with many examples, and the real save and pages over HTTP, with fewer.

Uses tests/fixtures/questionnaires/every-type/v1.yaml: one question of every type and a
table with a column of every column type, all in one section.
"""

import json
import math
import time
from datetime import date, timedelta

import pytest
from flask import render_template_string
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.questionnaires.definitions import Definition, load_file
from portal.questionnaires.fieldtypes import REGISTRY, parse_number
from portal.questionnaires.forms import field_name, section_form
from portal.questionnaires.models import Answer
from portal.questionnaires.schemas import COLUMN_TYPES
from portal.questionnaires.section_page import question_views, section_parts, stored_fields
from portal.questionnaires.services import StoredAnswer
from portal.texts import text_in
from tests.fixtures.builders import QUESTIONNAIRE_FIXTURES, make_round, publish_version, response_of
from tests.fixtures.web import hidden_inputs

#: The longest any one call may take, measured around it: a bound on what hostile input can
#: cost, not a speed figure (those are in bench/). A field's work is well under a millisecond;
#: this leaves room for a machine busy with browsers and still catches a slow path (reading
#: "1e1000000" took 32 seconds).
CALL_LIMIT = 1.0
#: The same for one request: a save, or a page.
REQUEST_LIMIT = 1.0

DEFINITION = Definition(load_file(QUESTIONNAIRE_FIXTURES / "every-type" / "v1.yaml")[0])
QUESTIONS = list(DEFINITION.questions.values())
#: Every place a person types or chooses: (question, None), or (table, column) per column.
TYPED = [
    (q, c)
    for q in QUESTIONS
    if REGISTRY[q["type"]].form_field(q, "en") is not None
    for c in q.get("columns") or [None]
]
WORKERS = DEFINITION.questions["workers"]
RISKS = DEFINITION.questions["risks"]
SEVERITY = RISKS["columns"][1]

# What the attack run found, and relatives: huge exponents, a number too large for
# a float, a decimal too long for one, dates that do not exist, long text, odd digits.
HOSTILE = [
    "1e1000000",
    "1e309",
    "-1e309",
    "1e5000",
    "9" * 5000,
    "1" * 400 + ",5",
    "0." + "0" * 400 + "1",
    "1e-1000000",
    "Infinity",
    "-inf",
    "NaN",
    "sNaN",
    "1_000",
    "99999-01-01",
    "2026-02-30",
    "20260101",
    "https://" + "a" * 20_000,
    "x" * 20_000,
    "\x00",
    "²",
    "١٢",
    "１２",
    "𝟏𝟐",
    "\u202e12",
]
NUMBERISH = st.from_regex(
    r"\A[+-]?[0-9 \u00a0]{0,25}([.,][0-9]{0,25})?([eE][+-]?[0-9]{1,10})?\Z", fullmatch=True
)
#: What a browser can send: any text but lone surrogates, which no form encoding carries,
#: and NUL, which HTML turns into U+FFFD and the portal refuses with 400 before any view
#: (portal/request_limits.py; tested below).
FORM_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00")),
    NUMBERISH,
    st.sampled_from([h for h in HOSTILE if "\x00" not in h]),
)
#: What a field type's functions may be handed directly: any string at all.
ANY_TEXT = st.one_of(st.text(), NUMBERISH, st.sampled_from(HOSTILE))
#: Any value JSON can hold (as the database stores answers), with integers far past what a
#: float holds and the non-finite floats SQLite's JSON keeps (PostgreSQL's does not).
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=10**300, max_value=10**4000),
        st.floats(),
        ANY_TEXT,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=10), children, max_size=4),
    ),
    max_leaves=10,
)
#: Rows shaped as a table stores them, with anything in their cells.
TABLE_ROWS = st.lists(
    st.dictionaries(st.sampled_from([c["key"] for c in RISKS["columns"]]), JSON_VALUES),
    max_size=6,
)


def _timed(call, *args, limit=CALL_LIMIT, **kwargs):
    """The call's result, asserting that it took less than `limit` seconds."""
    started = time.perf_counter()
    result = call(*args, **kwargs)
    elapsed = time.perf_counter() - started
    assert elapsed < limit, f"{getattr(call, '__name__', call)} took {elapsed:.2f} s"
    return result


def _stored(value):
    """The value as the database gives it back: JSON, and JSON PostgreSQL accepts."""
    return json.loads(json.dumps(value, allow_nan=False))


def _posted(question, text, column=None) -> list[tuple[str, str]]:
    """The form fields a browser sends with `text` typed (or chosen) in the question."""
    name = field_name(question["key"])
    if question["type"] == "table":
        return [(f"{name}-0-{column['key']}", text)]
    if question["type"] == "multiple_choice":
        return [(name, text), (name, question["options"][0]["value"])]
    return [(name, text)]


_ANSWER = (
    '{% from "questionnaires/_answer.html" import answer_value with context %}'
    "{{ answer_value(question, value, lang, count_files=true) }}"
)


#: A definition of one section per question of the fixture, holding only that question.
ALONE = Definition(
    {
        **DEFINITION.content,
        "sections": [
            {"key": f"only_{q['key']}", "title": q["text"], "questions": [q]} for q in QUESTIONS
        ],
    }
)


def _alone(question) -> dict:
    """The section of ALONE that holds only this question."""
    return ALONE.section(f"only_{question['key']}")


def _render_everywhere(question, value) -> str:
    """The value in its field as the section page draws it (to_form, then the field's
    markup, with the value's problems marked) and as a read-only answer (the macro every
    other page uses), as HTML."""
    kind = REGISTRY[question["type"]]
    key, section = question["key"], _alone(question)
    problems = _timed(kind.problems, value, question)
    answers = {key: StoredAnswer(value, problems, False, 1)}
    views = _timed(
        question_views,
        ALONE,
        section,
        section_parts(ALONE, section, "en"),
        answers=answers,
        values={key: value},
        shown=_timed(stored_fields, section, answers),
        visible={key},
        conflicts={},
        is_open=lambda key: True,
        readonly=False,
        lang="en",
    )
    html = str(views[0].control) + str(views[0].note)
    return html + _timed(
        render_template_string,
        _ANSWER,
        question=question,
        value=value,
        lang="en",
        registry=REGISTRY,
        text_in=text_in,
    )


def _assert_kept(question, column, text, stored, problems, html):
    """What was typed is stored as typed (or as the number it is) and shows on the page;
    what was chosen is one of the options or nothing."""
    where = column or question
    if question["type"] == "table":
        stored = stored[0].get(column["key"]) if stored else None
    elif question["type"] == "evidence":
        stored = stored["note"] if stored else None
    elif question["type"] == "multiple_choice":
        assert stored
        assert set(stored) <= {o["value"] for o in question["options"]}
        return
    options = {o["value"] for o in where.get("options", [])}
    if where["type"] == "yes_no":
        options = {"yes", "no"}
    if options:
        assert stored is None or stored in options
        return
    typed = text.strip()
    if not typed:
        return
    if where["type"] == "number" and not isinstance(stored, str):
        assert type(stored) in (int, float)
        assert math.isfinite(stored)
        assert abs(stored) < 10**15
        shown = REGISTRY["number"].to_form(stored, where)
        assert parse_number(shown) == stored, "a number shows as it saves again"
        return
    assert stored == typed, "a draft keeps what was typed"
    assert str(escape(typed)) in html, "the page shows what was typed"
    if where["type"] == "number":
        assert problems, "a number kept as text says what is wrong with it"
    if where["type"] == "date" and not problems:
        date.fromisoformat(typed)


@pytest.fixture(scope="module")
def warm(app):
    """The app after each question's answer was shown once: the first showing loads
    templates and locale data, which is no cost of the input."""
    with app.test_request_context():
        for question in QUESTIONS:
            _render_everywhere(question, None)
        _render_everywhere(DEFINITION.questions["audited_on"], "2026-01-01")
    return app


def test_the_fixture_has_every_field_type_and_column_type():
    assert {q["type"] for q in QUESTIONS} == set(REGISTRY)
    assert {c["type"] for c in RISKS["columns"]} == set(COLUMN_TYPES)


# 1. The field types' own functions ----------------------------------------------------------
@settings(
    max_examples=200,
    deadline=timedelta(seconds=3),
)
@given(case=st.sampled_from(TYPED), text=ANY_TEXT)
@example(case=(WORKERS, None), text="1e1000000")
@example(case=(RISKS, SEVERITY), text="1e309")
@example(case=(WORKERS, None), text="1e5000")
def test_any_typed_text_is_kept_with_its_problems_and_renders_fast(warm, case, text):
    question, column = case
    kind = REGISTRY[question["type"]]
    with warm.test_request_context():
        formdata = MultiDict(_posted(question, text, column))
        form = section_form(ALONE, _alone(question), "en", formdata=formdata, meta={"csrf": False})
        value, problems = _timed(kind.from_field, form[field_name(question["key"])], question)
        stored = _stored(value)
        assert _timed(kind.problems, stored, question) == problems
        _timed(kind.display, stored, question, "en")
        _timed(kind.is_answered, stored)
        html = _render_everywhere(question, stored)
    _assert_kept(question, column, text, stored, problems, html)


@settings(
    max_examples=150,
    deadline=timedelta(seconds=3),
)
@given(question=st.sampled_from(QUESTIONS), value=st.one_of(JSON_VALUES, TABLE_ROWS))
@example(question=WORKERS, value=10**309)
@example(question=RISKS, value=[{"severity": 10**309}])
@example(question=RISKS, value=[{"factory": "Acme"}] * 5)
def test_any_stored_value_renders_fast(warm, question, value):
    kind = REGISTRY[question["type"]]
    with warm.test_request_context():
        _timed(kind.problems, value, question)
        _timed(kind.display, value, question, "en")
        _timed(kind.is_answered, value)
        _render_everywhere(question, value)


# 2. The real save and pages --------------------------------------------------------------
@pytest.fixture
def every_type(app_context, admin, supplier_a):
    """A response to the every-type questionnaire, for supplier A."""
    version = publish_version(1, "every-type")
    return response_of(make_round(version, [supplier_a], opened_by=admin), supplier_a)


@pytest.fixture
def started(client, owner_a, every_type):
    """The response, started by its owner, signed in on `client`."""
    client.login(owner_a)
    client.submit(f"/responses/{every_type.id}/start", page=f"/responses/{every_type.id}")
    return every_type


def _section(response):
    return f"/responses/{response.id}/sections/all"


def _answer(response, key):
    db.session.expire_all()
    return db.session.scalar(
        db.select(Answer).where(Answer.response_id == response.id, Answer.question_key == key)
    )


def _get(client, url):
    reply = _timed(client.get, url, limit=REQUEST_LIMIT)
    assert reply.status_code == 200, url
    return reply.get_data(as_text=True)


def _save(client, response, fields, *, seen=None, autosave=False):
    """Post the fields with the page's hidden inputs (its token, and the answers it showed
    unless `seen` says otherwise), as the save button does or as the page's script does."""
    page = _section(response)
    hidden = hidden_inputs(_get(client, page), action=page, page=page)
    if seen is not None:
        hidden["seen"] = seen
    data = MultiDict([*hidden.items(), *MultiDict(fields).items(multi=True)])
    url = f"{page}/autosave" if autosave else page
    reply = _timed(client.post, url, data=data, limit=REQUEST_LIMIT)
    assert reply.status_code == 200 if autosave else reply.status_code in (200, 302)
    return reply


@pytest.mark.parametrize("typed", ["1e1000000", "1e309", "1e5000", "1" * 400 + ",5"])
def test_a_number_too_large_is_kept_as_typed_and_the_section_still_opens(client, started, typed):
    _save(
        client,
        started,
        {"q_workers": typed, "q_risks-0-factory": "Acme", "q_risks-0-severity": typed},
    )
    html = _get(client, _section(started))
    assert f'value="{typed}"' in html
    assert "Number of workers: enter a number, such as 12 or 12.5." in html
    assert "Row 1, Severity: enter a number, such as 12 or 12.5." in html
    assert _answer(started, "workers").value == typed
    assert _answer(started, "risks").value[0]["severity"] == typed
    for page in ("answers", "history", "export.json"):
        _get(client, f"/responses/{started.id}/{page}")


def test_numbers_stored_by_older_code_still_render(client, started):
    """A number of 310 digits (what "1e309" used to be saved as) locked the supplier out of
    their own section; it shows, with a problem, and can be put right."""
    db.session.add_all(
        [
            Answer(response_id=started.id, question_key="share", value=10**309),
            Answer(
                response_id=started.id,
                question_key="risks",
                value=[{"factory": "Acme", "severity": 10**309}],
                problems=["Row 1, Severity: enter 5 or less."],
            ),
        ]
    )
    db.session.commit()
    html = _get(client, _section(started))
    assert f'value="{10**309}"' in html
    assert "Row 1, Severity: enter a number of at most 15 digits." in html
    for page in ("answers", "history", "export.json"):
        _get(client, f"/responses/{started.id}/{page}")
    fixed = {"q_share": "12,5", "q_risks-0-factory": "Acme", "q_risks-0-severity": "3"}
    _save(client, started, fixed)
    assert _answer(started, "share").value == 12.5
    assert _answer(started, "risks").value == [
        {"factory": "Acme", "severity": 3, "status": None, "found_on": None, "report": None}
    ]


def test_rows_beyond_the_tables_limit_show_and_say_so(client, started):
    """An answer carried over from a version that allowed more rows."""
    rows = [{"factory": f"Factory {n}"} for n in range(5)]
    db.session.add(Answer(response_id=started.id, question_key="risks", value=rows))
    db.session.commit()
    html = _get(client, _section(started))
    assert 'value="Factory 4"' in html
    _save(client, started, {f"q_risks-{n}-factory": f"Factory {n}" for n in range(5)})
    assert len(_answer(started, "risks").value) == 5
    assert "Fill in at most 3 rows." in _get(client, _section(started))


def test_row_numbers_no_page_sends_are_ignored(client, started):
    odd = ["²", "٣", "9" * 5000, "-1", "99999"]
    _save(client, started, {f"q_risks-{n}-factory": f"Factory {n[:3]}" for n in odd})
    assert _answer(started, "risks") is None
    _save(client, started, {}, seen="[" * 50_000)


@settings(
    max_examples=15,
    deadline=timedelta(seconds=3),
    # One signed-in client and one response for all examples: each example posts every
    # field again, so what an earlier example saved is replaced, not piled up.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_text_in_every_field_saves_and_shows_again_over_http(client, started, data):
    typed, fields = {}, []
    for question, column in TYPED:
        label = question["key"] + (f".{column['key']}" if column else "")
        typed[label] = (question, column, data.draw(FORM_TEXT, label=label))
        fields += _posted(question, typed[label][2], column)
    # Now and then the hidden list of answers seen is not what the page sent either.
    seen = data.draw(st.one_of(st.none(), FORM_TEXT, st.just("[" * 50_000)), label="seen")
    _save(client, started, fields, seen=seen, autosave=data.draw(st.booleans(), label="auto"))
    html = _get(client, _section(started))
    for question, column, text in typed.values():
        answer = _answer(started, question["key"])
        value, problems = (answer.value, answer.problems) if answer else (None, [])
        _assert_kept(question, column, text, value, problems, html)
    for page in ("answers", "history", "export.json"):
        _get(client, f"/responses/{started.id}/{page}")


def test_a_nul_byte_in_any_field_is_refused_before_saving(client, started):
    """No browser sends a NUL (HTML turns it into U+FFFD) and PostgreSQL cannot store one: a
    post holding one is refused whole with 400, and nothing of it is saved."""
    for question, column in TYPED:
        fields = _posted(question, "bad\x00value", column)
        page = _section(started)
        hidden = hidden_inputs(_get(client, page), action=page, page=page)
        data = MultiDict([*hidden.items(), *MultiDict(fields).items(multi=True)])
        assert client.post(page, data=data).status_code == 400, question["key"]
    assert all(_answer(started, question["key"]) is None for question, _ in TYPED), (
        "nothing of a refused post is saved"
    )
