"""Filling, saving, submitting and carrying answers over, through the pages."""

import json
import re
from datetime import timedelta

from portal.extensions import db
from portal.questionnaires import services
from portal.questionnaires.models import Answer, AnswerChange, Response
from tests.fixtures.builders import make_round, response_of
from tests.fixtures.web import csrf_token_from

BASICS = "basics"


def _section_url(response, key=BASICS):
    return f"/responses/{response.id}/sections/{key}"


def _start(client, response, carry=False):
    data = {"carry_over": "y"} if carry else {}
    return client.submit(f"/responses/{response.id}/start", data, page=f"/responses/{response.id}")


def _answers(response):
    return {
        a.question_key: a
        for a in db.session.scalars(db.select(Answer).where(Answer.response_id == response.id))
    }


def _seen(client, url) -> str:
    html = client.get(url).get_data(as_text=True)
    start = html.index('name="seen" type="hidden" value="') + len(
        'name="seen" type="hidden" value="'
    )
    return html[start : html.index('"', start)].replace("&#34;", '"')


def test_admin_opens_a_round_and_suppliers_see_it(
    client, make_client, admin, mini_v1, supplier_a, supplier_b, owner_a, owner_b
):
    client.login(admin)
    response = client.submit(
        "/admin/rounds/new",
        {
            "title": "Market dialogue PCs",
            "version": str(mini_v1.id),
            "closes_on": "2099-06-30",
            "organisations": [str(supplier_a.id)],
        },
    )
    assert response.headers["Location"] == "/admin/rounds"
    assert "Market dialogue PCs" in client.get("/admin/rounds").get_data(as_text=True)
    supplier = make_client()
    supplier.login(owner_a)
    page = supplier.get("/responses").get_data(as_text=True)
    assert "Market dialogue PCs" in page
    assert "Not started" in page
    assert "2099" in page
    other = make_client()
    other.login(owner_b)
    assert "Market dialogue PCs" not in other.get("/responses").get_data(as_text=True)


def test_a_round_needs_a_future_closing_date_and_organisations(client, admin, mini_v1):
    client.login(admin)
    html = client.submit(
        "/admin/rounds/new", {"title": "X", "version": str(mini_v1.id), "closes_on": "2001-01-01"}
    ).get_data(as_text=True)
    assert "The closing date has passed" in html
    assert "Choose at least one organisation." in html


def test_draft_keeps_invalid_answers_and_marks_them(client, owner_a, response_a):
    client.login(owner_a)
    _start(client, response_a)
    saved = client.submit(
        _section_url(response_a),
        {
            "q_has_policy": "yes",
            "q_policy_url": "www.example.com",
            "q_workers": "many",
            "q_audited_on": "2026-02-30",
            "q_name": "Eva",
        },
    )
    # Saved, but the page stays and says what needs attention, each linked to its field.
    assert saved.status_code == 200
    html = saved.get_data(as_text=True)
    assert "Your answers are saved, but 3 need attention:" in html
    assert "Your answers are saved.<" not in html
    assert '<a href="#q_workers">Number of workers: enter a number, such as 12 or 12.5.</a>' in html
    assert 'href="#q_policy_url"' in html
    assert 'href="#q_audited_on"' in html
    answers = _answers(response_a)
    assert answers["workers"].value == "many"
    assert answers["workers"].problems == ["Enter a number, such as 12 or 12.5."]
    assert answers["policy_url"].problems
    assert answers["audited_on"].problems
    page = client.get(_section_url(response_a)).get_data(as_text=True)
    assert 'value="many"' in page
    assert "Enter a number, such as 12 or 12.5." in page
    assert 'aria-invalid="true"' in page


def test_numbers_are_understood_as_people_type_them(client, owner_a, response_a):
    client.login(owner_a)
    _start(client, response_a)
    client.submit(_section_url(response_a), {"q_workers": "2 400"})
    assert _answers(response_a)["workers"].value == 2400
    client.submit(_section_url(response_a), {"q_workers": "-3"})
    assert _answers(response_a)["workers"].problems == ["Enter 0 or more."]


def test_progress_counts_required_visible_questions_only(client, owner_a, response_a):
    client.login(owner_a)
    _start(client, response_a)
    page = client.get(f"/responses/{response_a.id}").get_data(as_text=True)
    assert "0 of 2 required answered" in page  # policy_url is hidden until has_policy=yes
    client.submit(_section_url(response_a), {"q_has_policy": "yes", "q_workers": "10"})
    page = client.get(f"/responses/{response_a.id}").get_data(as_text=True)
    assert "2 of 3 required answered" in page  # policy_url now shows and is required
    client.submit(_section_url(response_a), {"q_has_policy": "no", "q_workers": "10"})
    assert "2 of 2 required answered" in client.get(f"/responses/{response_a.id}").get_data(
        as_text=True
    )


def test_submit_lists_every_problem_linked_to_its_field(client, owner_a, response_a):
    client.login(owner_a)
    _start(client, response_a)
    client.submit(_section_url(response_a), {"q_has_policy": "yes", "q_workers": "x"})
    response = client.submit(
        f"/responses/{response_a.id}/submit", page=f"/responses/{response_a.id}"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'href="{_section_url(response_a)}#q_policy_url"' in html
    assert f'href="{_section_url(response_a)}#q_workers"' in html
    assert "Number of workers: enter a number" in html
    assert f'href="/responses/{response_a.id}/sections/details#q_methods"' in html
    assert db.session.get(Response, response_a.id).status == "draft"


def test_a_complete_response_is_submitted_and_then_read_only(client, owner_a, response_a):
    client.login(owner_a)
    _start(client, response_a)
    client.submit(_section_url(response_a), {"q_has_policy": "no", "q_workers": "12"})
    client.submit(_section_url(response_a, "details"), {"q_methods": ["dialogue"]})
    response = client.submit(
        f"/responses/{response_a.id}/submit", page=f"/responses/{response_a.id}"
    )
    assert response.status_code == 302
    assert db.session.get(Response, response_a.id).status == "submitted"
    page = client.get(_section_url(response_a)).get_data(as_text=True)
    assert "This response can only be read now." in page
    assert 'name="q_workers"' not in page
    html = client.get(_section_url(response_a)).get_data(as_text=True)
    assert "<form" in html  # the header forms only; posting is refused:
    refused = client.post(_section_url(response_a), data={"q_workers": "99"})
    assert refused.status_code in (302, 400)
    assert _answers(response_a)["workers"].value == 12


def test_hidden_answers_are_not_required(client, owner_a, response_a):
    client.login(owner_a)
    _start(client, response_a)
    client.submit(_section_url(response_a), {"q_has_policy": "no", "q_workers": "1"})
    client.submit(_section_url(response_a, "details"), {"q_methods": ["dialogue"]})
    # audit_scheme is required but hidden (no audits), policy_url hidden (no policy)
    assert (
        client.submit(
            f"/responses/{response_a.id}/submit", page=f"/responses/{response_a.id}"
        ).status_code
        == 302
    )


def test_two_colleagues_never_overwrite_each_other_silently(
    client, make_client, owner_a, member_a, response_a
):
    client.login(owner_a)
    _start(client, response_a)
    colleague = make_client()
    colleague.login(member_a)
    url = _section_url(response_a)
    mine = _seen(client, url)
    theirs = _seen(colleague, url)
    first = client.submit(url, {"seen": mine, "q_name": "Anna", "q_workers": "5"})
    assert first.status_code == 302
    second = colleague.submit(
        url, {"seen": theirs, "q_name": "Adam", "q_workers": "", "q_audited_on": "2026-01-15"}
    )
    html = second.get_data(as_text=True)
    assert second.status_code == 200
    assert "A colleague saved at the same time" in html
    assert "Anna" in html
    assert 'value="Adam"' in html
    answers = _answers(response_a)
    assert answers["name"].value == "Anna"  # not overwritten
    assert answers["workers"].value == 5  # untouched by the colleague, so not a conflict
    assert answers["audited_on"].value == "2026-01-15"  # the colleague's other answer saved
    # Saving again, knowingly, replaces it.
    seen = html.split('name="seen" type="hidden" value="')[1].split('"')[0].replace("&#34;", '"')
    third = colleague.post(
        url,
        data={
            "csrf_token": _token(html),
            "seen": seen,
            "q_name": "Adam",
            "q_workers": "5",
            "q_audited_on": "2026-01-15",
        },
    )
    assert third.status_code == 302
    assert _answers(response_a)["name"].value == "Adam"


def _token(html):
    return csrf_token_from(html)


def test_every_change_is_kept_and_readable(
    client, make_client, owner_a, reviewer, owner_b, response_a
):
    client.login(owner_a)
    _start(client, response_a)
    client.submit(_section_url(response_a), {"q_name": "Eva"})
    client.submit(_section_url(response_a), {"q_name": "Eva Berg"})
    changes = db.session.scalars(db.select(AnswerChange).order_by(AnswerChange.id)).all()
    assert [(c.old_value, c.new_value, c.changed_by_id) for c in changes] == [
        (None, "Eva", owner_a.id),
        ("Eva", "Eva Berg", owner_a.id),
    ]
    page = client.get(f"/responses/{response_a.id}/history").get_data(as_text=True)
    assert "Eva Berg" in page
    assert owner_a.full_name in page
    stranger = make_client()
    stranger.login(owner_b)
    assert stranger.get(f"/responses/{response_a.id}/history").status_code == 404
    staff = make_client()
    staff.login(reviewer)
    assert staff.get(f"/responses/{response_a.id}/history").status_code == 404  # a draft


def test_reviewers_read_submitted_responses(client, make_client, owner_a, reviewer, response_a):
    client.login(owner_a)
    _start(client, response_a)
    client.submit(_section_url(response_a), {"q_has_policy": "no", "q_workers": "7"})
    client.submit(_section_url(response_a, "details"), {"q_methods": ["dialogue"]})
    client.submit(f"/responses/{response_a.id}/submit", page=f"/responses/{response_a.id}")
    staff = make_client()
    staff.login(reviewer)
    assert response_a.round.title in staff.get("/review").get_data(as_text=True)
    page = staff.get(f"/responses/{response_a.id}/answers").get_data(as_text=True)
    assert "Number of workers" in page
    assert re.search(r"<dd>\s*<p class=\"readonly-answer\">7</p>", page)
    refused = staff.submit(_section_url(response_a), {"q_workers": "1"}, page="/review")
    assert refused.status_code == 403
    # Sent back for clarification, the response stays readable for the region's staff.
    db.session.get(Response, response_a.id).status = "clarification"
    db.session.commit()
    for page in ("answers", "history", "export.json"):
        assert staff.get(f"/responses/{response_a.id}/{page}").status_code == 200, page


def test_supplier_b_cannot_reach_supplier_as_response(client, owner_b, response_a):
    client.login(owner_b)
    for path in ("", "/answers", "/history", "/export.json", "/sections/basics"):
        assert client.get(f"/responses/{response_a.id}{path}").status_code == 404


def test_export_as_json(client, owner_a, response_a):
    client.login(owner_a)
    _start(client, response_a)
    client.submit(_section_url(response_a), {"q_has_policy": "yes", "q_workers": "2 400"})
    reply = client.get(f"/responses/{response_a.id}/export.json")
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(reply.get_data(as_text=True))
    assert data["schema"] == "fair-ict-portal/response/2"
    assert data["market_answers"] == []  # the round asks no market questions
    assert data["questionnaire"] == "mini"
    assert data["version"] == 1
    basics = next(s for s in data["sections"] if s["key"] == "basics")
    workers = next(a for a in basics["answers"] if a["question"] == "workers")
    assert workers["value"] == 2400
    assert workers["problems"] == []
    assert "audit_scheme" not in json.dumps(data)  # hidden questions are not exported


def test_autosave_answers_json(client, owner_a, response_a):
    client.login(owner_a)
    _start(client, response_a)
    url = _section_url(response_a)
    reply = client.submit(url + "/autosave", {"q_workers": "abc"}, page=url)
    data = reply.get_json()
    assert data["saved"] == ["workers"]
    assert data["problems"] == {"workers": ["Enter a number, such as 12 or 12.5."]}
    assert json.loads(data["seen"])["workers"][0] == 1


def test_a_closed_round_cannot_be_changed(client, owner_a, response_a, monkeypatch):
    client.login(owner_a)
    _start(client, response_a)
    later = response_a.round.closes_at + timedelta(minutes=1)
    monkeypatch.setattr("portal.questionnaires.models.utcnow", lambda: later)
    response = client.submit(_section_url(response_a), {"q_workers": "3"})
    assert response.status_code == 302
    assert "workers" not in _answers(response_a)
    assert "closed" in client.get("/responses").get_data(as_text=True)


def test_start_v2_prefilled_from_v1(client, owner_a, supplier_a, response_a, mini_v2, admin):
    client.login(owner_a)
    _start(client, response_a)
    client.submit(
        _section_url(response_a),
        {"q_has_policy": "no", "q_workers": "12", "q_audited_on": "2026-01-15", "q_name": "Eva"},
    )
    client.submit(_section_url(response_a, "details"), {"q_methods": ["dialogue"]})
    client.submit(f"/responses/{response_a.id}/submit", page=f"/responses/{response_a.id}")
    new_round = make_round(mini_v2, [supplier_a], opened_by=admin, title="Follow-up")
    new = response_of(new_round, supplier_a)
    page = client.get(f"/responses/{new.id}").get_data(as_text=True)
    assert "version 1" in page
    assert "Start from the answers" in page
    _start(client, new, carry=True)
    answers = _answers(new)
    assert answers["has_policy"].value == "no"
    assert not answers["has_policy"].is_unconfirmed
    assert answers["workers"].value == 12
    assert answers["workers"].is_unconfirmed
    assert "name" not in answers  # the type changed: asked anew
    assert "audited_on" not in answers  # removed in v2; kept in v1's history
    assert _answers(response_a)["audited_on"].value == "2026-01-15"
    section = client.get(_section_url(new)).get_data(as_text=True)
    assert "Please confirm:" in section
    blocked = client.submit(f"/responses/{new.id}/submit", page=f"/responses/{new.id}")
    assert "check your answer and confirm it" in blocked.get_data(as_text=True)
    client.submit(
        _section_url(new), {"q_has_policy": "no", "q_workers": "12", "confirm_workers": "y"}
    )
    assert not _answers(new)["workers"].is_unconfirmed
    kinds = [c.kind for c in services.history(new)]
    assert "carry-over" in kinds
    assert "confirm" in kinds


def test_compare_versions_page(client, owner_a, mini_v2):
    client.login(owner_a)
    html = client.get("/questionnaires/mini/compare?from=1&to=2").get_data(as_text=True)
    for label, text in [
        ("New question", "Is there a grievance channel?"),
        ("Removed", "Latest audit"),
        ("Reworded", "Number of workers in final assembly"),
        ("Asked in a new way", "Contact person"),
    ]:
        assert label in html
        assert text in html  # the question as the supplier reads it, not its key
    for key in ("audited_on", "<code>"):
        assert key not in html
