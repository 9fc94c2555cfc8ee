"""Format 3 of the questionnaire definitions (each criterion's intended use, market questions)
and the market questions of RFI and market-dialogue rounds: the check, the supplier's page,
its errors, saving with concurrent colleagues, progress, submission, and who sees the answers."""

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.questionnaires.models import MarketAnswer, Response
from tests.fixtures.builders import make_round, publish_version, response_of

FIXTURES = Path(__file__).parent / "fixtures"
CRITERIA = ["transparency", "monitoring", "worker_empowerment", "minerals_policy"]
REGULAR = {
    "supply_chain": {"q_factory_list_published": "yes", "q_audit_methods": "audits"},
    "workers": {"q_worker_committees": "yes"},
}


# The check ---------------------------------------------------------------------------------
def _check(app, folder: Path):
    return app.test_cli_runner().invoke(args=["questionnaires", "check", "--folder", str(folder)])


@pytest.mark.parametrize(
    "line",
    [
        "market-in-format-two/v1.yaml: criteria: criteria needs format_version: 3 at the top "
        "of the file.",
        "market-in-format-two/v1.yaml: market_questions: market_questions needs "
        "format_version: 3 at the top of the file.",
        "market-criteria/v1.yaml: criteria: Criterion 'worker_empowerment' is served by a "
        "question: list it with its intended use.",
        "market-criteria/v1.yaml: criteria.certification: No question serves 'certification': "
        "remove it.",
        "market-use/v1.yaml: criteria.transparency.value.intended_use: Must be one of: "
        "requirement, award, clause.",
    ],
)
def test_the_check_refuses_wrong_criteria_with_the_reason(app, line):
    result = _check(app, FIXTURES / "format-checks")
    assert result.exit_code == 1
    assert line in result.output


def test_the_format_three_fixture_and_older_formats_pass_the_check(app):
    result = _check(app, FIXTURES / "questionnaires")
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_a_format_three_definition_names_each_criterions_use(app_context):
    definition = publish_version(1, "market").definition
    assert definition.criteria == {
        "transparency": "requirement",
        "monitoring": "award",
        "worker_empowerment": "award",
        "minerals_policy": "clause",
    }
    assert definition.asks_market_questions
    older = publish_version(1).definition
    assert older.criteria == {}
    assert not older.asks_market_questions


# The supplier's page ------------------------------------------------------------------------
@pytest.fixture
def market_v1(app_context):
    return publish_version(1, "market")


def _round(version, organisation, kind="rfi"):
    round_ = make_round(version, [organisation])
    round_.kind = kind
    db.session.commit()
    return round_


@pytest.fixture
def rfi_response(market_v1, supplier_a):
    return response_of(_round(market_v1, supplier_a), supplier_a)


def _started(client, response):
    client.submit(f"/responses/{response.id}/start", page=f"/responses/{response.id}")
    return f"/responses/{response.id}/market"


def _complete(meets="yes", hours="8", **extra):
    data = {}
    for criterion in CRITERIA:
        data[f"m_{criterion}_meets"] = meets
        data[f"m_{criterion}_hours"] = hours
        data[f"m_{criterion}_comment"] = ""
        data[f"m_{criterion}_planned_by"] = ""
    return {**data, **extra}


def _stored(response) -> dict[str, MarketAnswer]:
    db.session.expire_all()
    rows = db.session.scalars(
        db.select(MarketAnswer).where(MarketAnswer.response_id == response.id)
    )
    return {row.criterion: row for row in rows}


def test_a_supplier_answers_the_market_questions(client, owner_a, rfi_response):
    client.login(owner_a)
    url = _started(client, rfi_response)
    overview = client.get(f"/responses/{rfi_response.id}").get_data(as_text=True)
    assert f'href="{url}"' in overview
    assert "Market questions" in overview
    page = client.get(url).get_data(as_text=True)
    assert "Transparency" in page
    assert "Mandatory requirement" in page
    assert "Contract clause" in page
    assert "Can you meet it today?" in page
    planned = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
    data = _complete(
        m_monitoring_meets="planned",
        m_monitoring_planned_by=planned,
        m_transparency_hours="2,5",
        m_transparency_comment="Published yearly.",
    )
    reply = client.submit(url, data)
    assert reply.status_code == 302
    stored = _stored(rfi_response)
    assert stored["transparency"].effort_hours == 2.5
    assert stored["transparency"].comment == "Published yearly."
    assert stored["monitoring"].meets == "planned"
    assert stored["monitoring"].planned_by.isoformat() == planned
    overview = client.get(f"/responses/{rfi_response.id}").get_data(as_text=True)
    assert "4 of 4 required answered" in overview


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("m_monitoring_meets", "planned", "Enter the date by which you plan to meet it."),
        ("m_transparency_hours", "-1", "Enter a number of hours from 0 to 10000."),
        ("m_transparency_hours", "1e999", "Enter a number of hours, such as 16 or 2,5."),
        ("m_transparency_hours", "99999999999", "Enter a number of hours from 0 to 10000."),
        ("m_transparency_comment", "x" * 2001, "Use at most 2000 characters."),
        ("m_transparency_meets", "maybe", "Not a valid choice."),
    ],
)
def test_a_wrong_answer_is_refused_and_nothing_is_saved(
    client, owner_a, rfi_response, field, value, message
):
    client.login(owner_a)
    url = _started(client, rfi_response)
    reply = client.submit(url, _complete(**{field: value}))
    assert reply.status_code == 422
    page = reply.get_data(as_text=True)
    assert "Nothing was saved" in page
    assert message in page
    assert 'aria-invalid="true"' in page or "field--error" in page
    assert _stored(rfi_response) == {}


def test_a_planned_date_must_not_have_passed(client, owner_a, rfi_response):
    client.login(owner_a)
    url = _started(client, rfi_response)
    data = _complete(m_monitoring_meets="planned", m_monitoring_planned_by="2001-01-01")
    reply = client.submit(url, data)
    assert reply.status_code == 422
    assert "The date has passed" in reply.get_data(as_text=True)


def test_submission_needs_every_criterion_answered(client, owner_a, rfi_response):
    client.login(owner_a)
    url = _started(client, rfi_response)
    for section, data in REGULAR.items():
        client.submit(f"/responses/{rfi_response.id}/sections/{section}", data)
    client.submit(url, _complete(m_minerals_policy_hours=""))
    submit = f"/responses/{rfi_response.id}/submit"
    refused = client.submit(submit, page=f"/responses/{rfi_response.id}")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Answer the market questions about this criterion." in page
    assert "Minerals policy" in page
    client.submit(url, _complete())
    accepted = client.submit(submit, page=f"/responses/{rfi_response.id}")
    assert accepted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Response, rfi_response.id).status == "submitted"
    # Frozen: the page only reads, and a post changes nothing.
    page = client.get(url).get_data(as_text=True)
    assert "This response can only be read now." in page
    assert 'name="m_transparency_hours"' not in page
    client.post(url, data=_complete(meets="no"))
    assert {a.meets for a in _stored(rfi_response).values()} == {"yes"}
    answers = client.get(f"/responses/{rfi_response.id}/answers").get_data(as_text=True)
    assert "Market questions" in answers
    assert "Mandatory requirement" in answers


def test_a_colleagues_newer_answer_is_not_overwritten(
    client, make_client, owner_a, member_a, rfi_response
):
    client.login(owner_a)
    url = _started(client, rfi_response)
    colleague = make_client()
    colleague.login(member_a)
    stale = client.get(url).get_data(as_text=True)
    colleague.submit(url, _complete(meets="partly"))
    seen = re.search(r'name="seen" type="hidden" value="([^"]*)"', stale)[1]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]*)"', stale)[1]
    reply = client.post(url, data={**_complete(meets="no"), "seen": seen, "csrf_token": token})
    assert reply.status_code == 200
    assert "A colleague saved at the same time" in reply.get_data(as_text=True)
    assert {a.meets for a in _stored(rfi_response).values()} == {"partly"}


@pytest.mark.parametrize("kind", ["tender", "follow_up"])
def test_tender_and_follow_up_rounds_ask_no_market_questions_and_export_none(
    client, owner_a, market_v1, supplier_a, kind
):
    response = response_of(_round(market_v1, supplier_a, kind), supplier_a)
    client.login(owner_a)
    url = _started(client, response)
    assert client.get(url).status_code == 404
    assert "Market questions" not in client.get(f"/responses/{response.id}").get_data(as_text=True)
    # The last section leads nowhere else: a hand-made "market" is a plain save.
    last = f"/responses/{response.id}/sections/workers"
    assert "market questions" not in client.get(last).get_data(as_text=True)
    reply = client.submit(last, {**REGULAR["workers"], "next": "market"})
    assert reply.headers["Location"] == last
    # Nor does the export hold market answers.
    assert client.get(f"/responses/{response.id}/export.json").get_json()["market_answers"] == []


def test_the_last_section_leads_on_to_the_market_questions(client, owner_a, rfi_response):
    client.login(owner_a)
    market = _started(client, rfi_response)
    first = f"/responses/{rfi_response.id}/sections/supply_chain"
    last = f"/responses/{rfi_response.id}/sections/workers"
    onward = "Save and go to the market questions"
    assert onward not in client.get(first).get_data(as_text=True)
    assert onward in client.get(last).get_data(as_text=True)
    reply = client.submit(last, {**REGULAR["workers"], "next": "market"})
    assert reply.status_code == 302
    assert reply.headers["Location"] == market


def test_a_version_without_market_questions_asks_none_in_an_rfi(
    client, owner_a, mini_v1, supplier_a
):
    response = response_of(_round(mini_v1, supplier_a), supplier_a)
    client.login(owner_a)
    assert client.get(_started(client, response)).status_code == 404


def test_the_reviewer_sees_the_market_answers(client, make_client, owner_a, rfi_response, reviewer):
    client.login(owner_a)
    url = _started(client, rfi_response)
    for section, data in REGULAR.items():
        client.submit(f"/responses/{rfi_response.id}/sections/{section}", data)
    client.submit(url, _complete(m_transparency_comment="Only for laptops."))
    client.submit(f"/responses/{rfi_response.id}/submit", page=f"/responses/{rfi_response.id}")
    staff = make_client()
    staff.login(reviewer)
    page = staff.get(f"/responses/{rfi_response.id}/answers").get_data(as_text=True)
    assert "Only for laptops." in page
    review = staff.get(f"/review/responses/{rfi_response.id}").get_data(as_text=True)
    assert "Market questions" in review
    assert "Only for laptops." in review


def test_the_export_holds_the_market_answers_in_the_pages_language(
    client, make_client, owner_a, rfi_response, reviewer
):
    client.login(owner_a)
    url = _started(client, rfi_response)
    export = f"/responses/{rfi_response.id}/export.json"
    # Before any answer: every criterion, with nothing given.
    before = client.get(export).get_json()
    assert before["schema"] == "fair-ict-portal/response/2"
    assert [a["criterion"] for a in before["market_answers"]] == CRITERIA
    assert {a["meets"] for a in before["market_answers"]} == {None}
    planned = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
    client.submit(
        url,
        _complete(
            m_monitoring_meets="planned",
            m_monitoring_planned_by=planned,
            m_transparency_hours="2,5",
            m_transparency_comment="Only for laptops.",
        ),
    )
    for section, data in REGULAR.items():
        client.submit(f"/responses/{rfi_response.id}/sections/{section}", data)
    client.submit(f"/responses/{rfi_response.id}/submit", page=f"/responses/{rfi_response.id}")
    staff = make_client()
    staff.login(reviewer)
    staff.submit("/language", {"lang": "sv", "next": "/"}, page="/review/queue")
    answers = {a["criterion"]: a for a in staff.get(export).get_json()["market_answers"]}
    assert answers["transparency"] == {
        "criterion": "transparency",
        "label": "Öppenhet",
        "intended_use": "requirement",
        "meets": "yes",
        "planned_by": None,
        "effort_hours": 2.5,
        "comment": "Only for laptops.",
        "updated_at": answers["transparency"]["updated_at"],
        "updated_by": owner_a.email,
    }
    assert answers["transparency"]["updated_at"]
    assert answers["monitoring"]["meets"] == "planned"
    assert answers["monitoring"]["planned_by"] == planned
    assert answers["minerals_policy"]["intended_use"] == "clause"


# Hostile input -------------------------------------------------------------------------------
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    meets=st.sampled_from(["yes", "partly", "no", "planned", "", "x"]),
    planned_by=st.one_of(st.text(max_size=30), st.dates().map(date.isoformat)),
    hours=st.one_of(
        st.text(max_size=80), st.floats(allow_nan=True).map(str), st.integers().map(str)
    ),
    comment=st.text(max_size=2100),
)
def test_any_market_input_is_saved_bounded_or_refused(
    client, owner_a, rfi_response, meets, planned_by, hours, comment
):
    if not getattr(client, "_started", False):
        client.login(owner_a)
        _started(client, rfi_response)
        client._started = True
    url = f"/responses/{rfi_response.id}/market"
    data = _complete(
        m_transparency_meets=meets,
        m_transparency_planned_by=planned_by,
        m_transparency_hours=hours,
        m_transparency_comment=comment,
    )
    reply = client.submit(url, data)
    # 400: a NUL byte anywhere in a form is refused before the view (portal.request_limits).
    assert reply.status_code in (302, 400, 422)
    stored = _stored(rfi_response).get("transparency")
    if stored is not None:
        assert stored.effort_hours is None or 0 <= stored.effort_hours <= 10_000
        assert stored.comment is None or len(stored.comment) <= 2000
        assert (stored.meets == "planned") == (stored.planned_by is not None)
