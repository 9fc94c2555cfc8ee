"""Findings and their corrective actions through the pages, with the clock frozen: a reviewer
records a finding with evidence, the supplier sends a plan and then proof, the reviewer
accepts or returns each with a reason and extends deadlines with a reason; overdue actions are
flagged on both sides; two people acting at once never overwrite each other silently; a
supplier sees its own findings only."""

import html
import io
import re
from datetime import UTC, date, datetime

import pytest
from werkzeug.datastructures import FileStorage

from portal.audit.models import AuditEvent
from portal.contracts.services import Contract
from portal.extensions import db
from portal.factories import services as factory_services
from portal.findings import deadlines, services
from portal.findings.models import ActionStep, CorrectiveAction, Finding, FindingDocument
from portal.roles import Role
from tests.fixtures.builders import make_factory, make_user
from tests.fixtures.findings import make_finding

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def evidence_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_STORAGE_URL", f"file://{tmp_path / 'evidence'}")


@pytest.fixture
def today(monkeypatch):
    """Freezes the Swedish calendar: today(day) makes it `day` (at noon in Stockholm)."""

    def freeze(day: date) -> date:
        moment = datetime(day.year, day.month, day.day, 11, tzinfo=UTC)
        monkeypatch.setattr(deadlines, "utcnow", lambda: moment)
        return day

    freeze(date(2026, 3, 10))
    return freeze


def make_contract(organisation, version, reference="RS-2026-0042", **fields) -> Contract:
    contract = Contract(
        organisation_id=organisation.id,
        reference=reference,
        title=fields.pop("title", "Laptops and docking stations"),
        category="pcs",
        value_sek=12_000_000,
        starts_on=date(2026, 1, 1),
        ends_on=date(2029, 12, 31),
        brands=["Lumenic"],
        report_version_id=version.id,
        **fields,
    )
    db.session.add(contract)
    db.session.commit()
    return contract


def _text(reply) -> str:
    """The page's text as a reader gets it: tags dropped, entities decoded, spaces joined."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", reply.get_data(as_text=True))).split())


def _pdf(name="audit.pdf"):
    return (io.BytesIO(PDF), name)


def _action(finding_id: int) -> CorrectiveAction:
    db.session.expire_all()
    return db.session.scalar(
        db.select(CorrectiveAction).where(CorrectiveAction.finding_id == finding_id)
    )


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


# Recording --------------------------------------------------------------------------------
def test_a_reviewer_records_a_finding_and_the_supplier_sees_it(
    client, today, reviewer, supplier_a, supplier_b, owner_a, member_a, owner_b, mini_v1
):
    contract = make_contract(supplier_a, mini_v1)
    make_contract(supplier_b, mini_v1, reference="RS-2026-0099", title="Monitors")
    factory = make_factory(supplier_a, name="Kunshan Assembly")
    make_factory(supplier_b, name="Elsewhere Works")
    client.login(reviewer)
    chooser = client.get("/review/findings/new")
    assert "Alfa Data AB" in _text(chooser)
    reply = client.get(f"/review/findings/new?organisation={supplier_a.id}")
    assert reply.headers["Location"] == f"/review/findings/new/{supplier_a.id}"
    form = _text(client.get(reply.headers["Location"]))
    assert "RS-2026-0042 – Laptops and docking stations" in form
    assert "Kunshan Assembly" in form
    assert "RS-2026-0099" not in form  # only the supplier's own contracts and factories
    assert "Elsewhere Works" not in form

    reply = client.submit(
        f"/review/findings/new/{supplier_a.id}",
        {
            "title": "Overtime above 60 hours a week",
            "source": "independent_monitoring",
            "found_on": "2026-02-20",
            "clause": "working_hours",
            "clause_reference": "Annex 4, 2.3",
            "severity": "major",
            "contract": str(contract.id),
            "factory": str(factory.id),
            "description": "Workers on line 3 worked 72 hours in the week of the visit.",
            "documents": [_pdf("Electronics Watch report.pdf"), _pdf("timesheets.pdf")],
        },
    )
    assert reply.status_code == 302, _text(reply)
    [finding] = db.session.scalars(db.select(Finding)).all()
    assert reply.headers["Location"] == f"/review/findings/{finding.id}"
    assert (finding.contract_id, finding.factory_id) == (contract.id, factory.id)
    action = finding.action
    assert (action.state, action.opened_on) == ("plan_due", date(2026, 3, 10))
    assert (action.plan_due_on, action.correction_due_on) == (date(2026, 4, 10), date(2026, 9, 10))
    page = _text(client.get(reply.headers["Location"]))
    assert "Plan due 10 Apr 2026" in page
    assert "Correction due 10 Sep 2026" in page
    assert "Independent monitoring report (e.g. Electronics Watch), 20 Feb 2026" in page
    [event] = _events("finding.recorded")
    assert event.organisation_id == supplier_a.id
    links = db.session.scalars(db.select(FindingDocument)).all()
    assert [link.document.filename for link in links] == [
        "Electronics Watch report.pdf",
        "timesheets.pdf",
    ]
    assert {link.document.kind for link in links} == {"independent_monitoring_report"}
    client.logout()

    for user in (owner_a, member_a):
        client.login(user)
        home = _text(client.get("/supplier"))
        assert "1 finding is open. 1 waits for your plan or proof." in home
        listed = _text(client.get("/findings"))
        assert "Overtime above 60 hours a week" in listed
        page = client.get(f"/findings/{finding.id}")
        assert "Workers on line 3 worked 72 hours" in _text(page)
        assert "Send your corrective action plan" in _text(page)
        download = client.get(f"/findings/{finding.id}/documents/{links[0].document_id}")
        assert download.status_code == 200
        assert download.get_data() == PDF
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
        client.logout()

    client.login(owner_b)
    assert "Overtime" not in _text(client.get("/findings"))
    assert "finding is open" not in _text(client.get("/supplier"))
    assert client.get(f"/findings/{finding.id}").status_code == 404
    document_url = f"/findings/{finding.id}/documents/{links[0].document_id}"
    assert client.get(document_url).status_code == 404
    reply = client.post(f"/findings/{finding.id}/submit", data={"text": "Not ours."})
    assert reply.status_code in (400, 404)
    assert _action(finding.id).state == "plan_due"


@pytest.mark.parametrize(
    ("plan", "correction", "due", "words"),
    [
        (
            1,
            6,
            (date(2026, 4, 10), date(2026, 9, 10)),
            "send a corrective action plan within a month, then proof of the correction "
            "within 6 months of the finding.",
        ),
        (
            2,
            12,
            (date(2026, 5, 10), date(2027, 3, 10)),
            "send a corrective action plan within 2 months, then proof of the correction "
            "within 12 months of the finding.",
        ),
    ],
)
def test_the_configured_periods_set_the_deadlines_and_the_suppliers_page_says_them(
    app, client, today, reviewer, supplier_a, owner_a, monkeypatch, plan, correction, due, words
):
    monkeypatch.setitem(app.config, "CAP_PLAN_MONTHS", plan)
    monkeypatch.setitem(app.config, "CAP_CORRECTION_MONTHS", correction)
    client.login(reviewer)
    reply = client.submit(
        f"/review/findings/new/{supplier_a.id}",
        {
            "title": "No written contracts for agency workers",
            "source": "desktop_audit",
            "found_on": "2026-03-02",
            "clause": "other",
            "severity": "minor",
            # An empty choice is "no particular" contract or factory, as 0 is.
            "contract": "0",
            "factory": "",
            "description": "The agency's workers had no written contract.",
        },
    )
    assert reply.status_code == 302, _text(reply)
    finding = db.session.scalar(db.select(Finding))
    assert (finding.contract_id, finding.factory_id) == (None, None)
    assert (finding.action.plan_due_on, finding.action.correction_due_on) == due
    client.logout()
    client.login(owner_a)
    assert words in _text(client.get("/findings"))


def test_the_finding_form_refuses_what_is_not_the_suppliers(
    client, today, reviewer, supplier_a, supplier_b, mini_v1
):
    theirs = make_contract(supplier_b, mini_v1, reference="RS-B")
    other_factory = make_factory(supplier_b)
    client.login(reviewer)
    reply = client.submit(
        f"/review/findings/new/{supplier_a.id}",
        {
            "title": "",
            "source": "desktop_audit",
            "found_on": "2026-03-11",  # tomorrow
            "clause": "wages",
            "contract": str(theirs.id),
            "factory": str(other_factory.id),
            "description": "",
        },
    )
    assert reply.status_code == 200
    page = _text(reply)
    assert "Give the finding a short title." in page
    assert "Enter a day that has come, from the year 2000." in page
    assert "Choose the severity." in page
    assert "Describe what was found." in page
    assert page.count("Not a valid choice.") == 4  # contract and factory, summary and field
    assert db.session.scalar(db.select(db.func.count(Finding.id))) == 0
    # The service holds the rule too, whoever calls it.
    with pytest.raises(deadlines.NotAllowed):
        make_finding(supplier_a, reviewer, contract_id=theirs.id)
    assert client.get(f"/review/findings/new/{reviewer.organisation_id}").status_code == 404


# Plan, proof and closure ----------------------------------------------------------------
def _options(html_page: str) -> list[tuple[str, str]]:
    """(value, label) of the options of the page's factory choice."""
    choice = html_page.split('id="factory"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)<', choice)


def test_a_finding_at_a_supplier_with_a_long_register_finds_its_factory(
    client, today, reviewer, supplier_a, supplier_b
):
    factories = [
        make_factory(supplier_a, name=f"Works {n:02d}")
        for n in range(factory_services.ALL_CHOICES_UP_TO + 10)
    ]
    theirs = make_factory(supplier_b, name="Works 99")
    page = f"/review/findings/new/{supplier_a.id}"
    typed = {
        "title": "Overtime above 60 hours a week",
        "source": "factory_audit",
        "found_on": "2026-03-02",
        "clause": "other",
        "severity": "minor",
        "contract": "0",
        "description": "Time records show 66 hours a week.",
    }
    client.login(reviewer)

    offered = _options(client.get(page).get_data(as_text=True))

    assert len(offered) == 26  # "no particular factory" and a page of the register
    assert "Works 59 (CN)" not in dict(offered).values()
    found = client.submit(page, {**typed, "action": "find", "find": "works 59"})
    found = found.get_data(as_text=True)
    assert _options(found) == [
        ("0", "No particular factory"),
        (str(factories[59].id), "Works 59 (CN)"),
    ]
    assert "1 of 1 factory is shown." in found
    assert 'value="Overtime above 60 hours a week"' in found
    assert db.session.scalar(db.select(db.func.count(Finding.id))) == 0
    refused = client.submit(page, {**typed, "factory": str(theirs.id)})
    assert refused.status_code == 200
    assert db.session.scalar(db.select(db.func.count(Finding.id))) == 0

    reply = client.submit(page, {**typed, "factory": str(factories[59].id)})

    assert reply.status_code == 302, _text(reply)
    assert db.session.scalar(db.select(Finding)).factory_id == factories[59].id


def test_plan_and_proof_are_returned_with_reasons_and_accepted_until_closed(
    client, today, reviewer, admin, supplier_a, owner_a
):
    finding = make_finding(supplier_a, reviewer)
    url, review_url = f"/findings/{finding.id}", f"/review/findings/{finding.id}"

    client.login(owner_a)
    reply = client.submit(f"{url}/submit", {"text": ""}, page=url)
    assert reply.status_code == 400
    assert "Write what you send." in _text(reply)
    reply = client.submit(
        f"{url}/submit",
        {"text": "We cap overtime at 12 hours a week.", "documents": [_pdf("policy.pdf")]},
        page=url,
    )
    assert reply.status_code == 302
    assert _action(finding.id).state == "plan_submitted"
    assert "The region's reviewer is reading what you sent." in _text(client.get(url))
    client.logout()

    client.login(reviewer)
    page = _text(client.get(review_url))
    assert "Plan sent" in page
    assert "We cap overtime at 12 hours a week." in page
    assert "policy.pdf" in page
    reply = client.submit(f"{review_url}/decide", {"decision": "return"}, page=review_url)
    assert reply.status_code == 400
    assert "Give the reason for returning it." in _text(reply)
    assert _action(finding.id).state == "plan_submitted"
    reason = "Say who checks the hours, and how often."
    reply = client.submit(
        f"{review_url}/decide", {"decision": "return", "reason": reason}, page=review_url
    )
    assert reply.status_code == 302
    assert _action(finding.id).state == "plan_returned"
    client.logout()

    client.login(owner_a)
    page = _text(client.get(url))
    assert "Plan returned" in page
    assert reason in page
    assert "Send a revised version." in page
    client.submit(f"{url}/submit", {"text": "The HR manager checks monthly."}, page=url)
    client.logout()

    client.login(reviewer)
    client.submit(f"{review_url}/decide", {"decision": "accept"}, page=review_url)
    assert _action(finding.id).state == "plan_accepted"
    client.logout()

    client.login(owner_a)
    assert "Send proof of the correction" in _text(client.get(url))
    client.submit(
        f"{url}/submit",
        {"text": "Hours now average 58.", "documents": [_pdf("timesheets-may.pdf")]},
        page=url,
    )
    client.logout()

    client.login(reviewer)
    client.submit(
        f"{review_url}/decide", {"decision": "return", "reason": "Show June too."}, page=review_url
    )
    client.logout()
    client.login(owner_a)
    client.submit(f"{url}/submit", {"text": "June attached."}, page=url)
    client.logout()
    client.login(reviewer)
    reply = client.submit(f"{review_url}/decide", {"decision": "accept"}, page=review_url)
    assert reply.status_code == 302
    action = _action(finding.id)
    assert action.state == "closed"
    assert action.closed_at is not None
    assert [(s.kind, s.stage) for s in action.steps] == [
        ("submitted", "plan"),
        ("returned", "plan"),
        ("submitted", "plan"),
        ("accepted", "plan"),
        ("submitted", "correction"),
        ("returned", "correction"),
        ("submitted", "correction"),
        ("accepted", "correction"),
    ]
    page = _text(client.get(review_url))
    assert "Proof accepted, finding closed" in page
    assert "Decide on" not in page
    assert "Extend a deadline" not in page  # nothing runs any more
    assert len(_events("finding.submitted")) == 4
    assert len(_events("finding.decided")) == 4
    client.logout()
    client.login(admin)
    log = _text(client.get("/admin/audit?action=finding.decided"))
    assert (
        "Rita Reviewer returned Alfa Data AB's plan for the finding “Overtime above 60 hours a "
        "week”: Say who checks the hours, and how often." in log
    )
    assert "Rita Reviewer accepted Alfa Data AB's proof and closed the finding" in log
    client.logout()
    client.login(owner_a)
    assert "finding is open" not in _text(client.get("/supplier"))
    # Closed: nothing more can be sent.
    reply = client.post(f"{url}/submit", data={"text": "More.", "version": str(action.version)})
    assert reply.status_code in (400, 409)
    assert _action(finding.id).state == "closed"


def test_nothing_to_decide_is_refused_and_the_state_stays(client, today, reviewer, supplier_a):
    finding = make_finding(supplier_a, reviewer)
    client.login(reviewer)
    review_url = f"/review/findings/{finding.id}"
    assert "Decide on" not in _text(client.get(review_url))
    version = _action(finding.id).version
    reply = client.submit(
        f"{review_url}/decide", {"decision": "accept", "version": str(version)}, page=review_url
    )
    assert reply.status_code == 409
    assert _action(finding.id).state == "plan_due"
    assert _action(finding.id).steps == []


# Deadlines, extensions and overdue flags ---------------------------------------------------
def test_an_overdue_plan_is_flagged_on_both_sides_until_extended(
    client, today, reviewer, admin, supplier_a, supplier_b, owner_a
):
    late = make_finding(supplier_a, reviewer, title="No freedom of association policy")
    on_time = make_finding(supplier_b, reviewer, title="Missing chemical list")
    today(date(2026, 4, 10))  # the last day of the plan: still in time
    client.login(owner_a)
    assert "overdue" not in _text(client.get("/supplier")).lower()
    client.logout()

    today(date(2026, 4, 11))
    waiting = _action(on_time.id)
    waiting.state = "plan_submitted"  # sent in time, waiting for the reviewer
    db.session.commit()
    client.login(owner_a)
    home = _text(client.get("/supplier"))
    assert "1 overdue" in home
    assert "1 finding is overdue." in _text(client.get("/findings"))
    page = _text(client.get(f"/findings/{late.id}"))
    assert "Overdue The plan was due on 10 Apr 2026." in page
    client.logout()

    client.login(reviewer)
    assert "1 awaiting a decision, 1 overdue" in _text(client.get("/review"))
    listed = _text(client.get(f"/review/findings?overdue=y&organisation={supplier_a.id}"))
    assert "1 finding matches." in listed
    assert "No freedom of association policy" in listed
    assert "Missing chemical list" not in listed
    every = _text(client.get("/review/findings?state=waiting"))
    assert "Missing chemical list" in every
    assert "No freedom of association policy" not in every
    filters = client.get("/review/findings?overdue=y&severity=major").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="overdue"|name="overdue"[^>]*checked', filters)
    assert '<option selected value="major">' in filters

    review_url = f"/review/findings/{late.id}"
    reply = client.submit(
        f"{review_url}/extend", {"stage": "plan", "due_on": "2026-05-08"}, page=review_url
    )
    assert reply.status_code == 400
    assert "Give the reason for the extension." in _text(reply)
    reply = client.submit(
        f"{review_url}/extend",
        {"stage": "plan", "due_on": "2026-04-01", "reason": "Too early."},
        page=review_url,
    )
    assert "Choose a day after the present last day." in _text(reply)
    reply = client.submit(
        f"{review_url}/extend",
        {"stage": "plan", "due_on": "2026-05-08", "reason": "The factory changed owners."},
        page=review_url,
    )
    assert reply.status_code == 302
    action = _action(late.id)
    assert action.plan_due_on == date(2026, 5, 8)
    [step] = action.steps
    assert (step.kind, step.old_due_on, step.new_due_on) == (
        "extended",
        date(2026, 4, 10),
        date(2026, 5, 8),
    )
    client.logout()
    client.login(admin)
    log = _text(client.get("/admin/audit?action=finding.extended"))
    assert (
        "Rita Reviewer moved the last day for Alfa Data AB's plan for the finding “No freedom of "
        "association policy” from 10 Apr 2026 to 8 May 2026, because: The factory changed "
        "owners." in log
    )
    client.logout()

    client.login(owner_a)
    assert "overdue" not in _text(client.get("/supplier")).lower()
    page = _text(client.get(f"/findings/{late.id}"))
    assert "Plan deadline extended from 10 Apr 2026 to 8 May 2026" in page
    assert "The factory changed owners." in page
    assert "Plan due 8 May 2026" in page
    today(date(2026, 5, 9))
    assert "1 overdue" in _text(client.get("/supplier"))


def test_the_correction_deadline_runs_once_the_plan_is_accepted(
    client, today, reviewer, supplier_a, owner_a
):
    finding = make_finding(supplier_a, reviewer)
    action = finding.action
    services.submit(action, "A plan.", [], user=owner_a, expected_version=action.version)
    services.decide(action, accept=True, reason="", user=reviewer, expected_version=action.version)
    db.session.commit()
    client.login(owner_a)
    today(date(2026, 9, 10))
    page = _text(client.get(f"/findings/{finding.id}"))
    assert "Send proof of the correction" in page
    assert "Due on 10 Sep 2026." in page
    assert "Overdue" not in page
    today(date(2026, 9, 11))
    page = _text(client.get(f"/findings/{finding.id}"))
    assert "The correction and its proof were due on 10 Sep 2026." in page
    # The reviewer extends the correction; the plan's deadline is no longer offered.
    client.logout()
    client.login(reviewer)
    review_url = f"/review/findings/{finding.id}"
    form = client.get(review_url).get_data(as_text=True)
    assert '<option value="correction">The correction and its proof, now due 10 Sep 2026' in form
    assert '<option value="plan">' not in form
    client.submit(
        f"{review_url}/extend",
        {"stage": "correction", "due_on": "2026-12-15", "reason": "A new audit in November."},
        page=review_url,
    )
    assert _action(finding.id).correction_due_on == date(2026, 12, 15)
    assert not services.clock(_action(finding.id)).overdue


# Two people at once ---------------------------------------------------------------------
def test_two_reviewers_deciding_at_once_do_not_overwrite_each_other(
    client, make_client, today, reviewer, admin, supplier_a, owner_a
):
    finding = make_finding(supplier_a, reviewer)
    action = finding.action
    services.submit(action, "A plan.", [], user=owner_a, expected_version=action.version)
    db.session.commit()
    review_url = f"/review/findings/{finding.id}"
    client.login(reviewer)
    other = make_client()
    other.login(admin)
    # Both open the page; the administrator decides first.
    opened = client.get(review_url).get_data(as_text=True)
    reply = other.submit(f"{review_url}/decide", {"decision": "accept"}, page=review_url)
    assert reply.status_code == 302
    version = re.search(r'name="version" type="hidden" value="(\d+)"', opened).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', opened).group(1)
    reply = client.post(
        f"{review_url}/decide",
        data={
            "csrf_token": token,
            "version": version,
            "decision": "return",
            "reason": "Too vague about who checks.",
        },
    )
    assert reply.status_code == 409
    page = _text(reply)
    assert "Someone changed this finding while you had the page open" in page
    assert "What you wrote, not saved: Too vague about who checks." in page
    assert "Plan accepted" in page
    action = _action(finding.id)
    assert action.state == "plan_accepted"
    assert [(s.kind, s.by_id) for s in action.steps] == [
        ("submitted", owner_a.id),
        ("accepted", admin.id),
    ]


def test_a_plan_sent_while_a_reviewer_extends_is_refused_and_kept_for_sending_again(
    client, make_client, today, reviewer, supplier_a, owner_a
):
    finding = make_finding(supplier_a, reviewer)
    url, review_url = f"/findings/{finding.id}", f"/review/findings/{finding.id}"
    client.login(owner_a)
    opened = client.get(url).get_data(as_text=True)
    staff = make_client()
    staff.login(reviewer)
    staff.submit(
        f"{review_url}/extend",
        {"stage": "plan", "due_on": "2026-05-01", "reason": "Asked for by phone."},
        page=review_url,
    )
    version = re.search(r'name="version" type="hidden" value="(\d+)"', opened).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', opened).group(1)
    plan = "We will cap overtime at 12 hours a week."
    reply = client.post(
        f"{url}/submit", data={"csrf_token": token, "version": version, "text": plan}
    )
    assert reply.status_code == 409
    page = _text(reply)
    assert f"What you wrote, not saved: {plan}" in page
    assert re.search(rf"<textarea[^>]*>\s*{plan}</textarea>", reply.get_data(as_text=True))
    assert "Plan deadline extended from 10 Apr 2026 to 1 May 2026" in page
    action = _action(finding.id)
    assert (action.state, action.plan_due_on) == ("plan_due", date(2026, 5, 1))
    # Sent again from the page as it is now, it goes through.
    assert client.submit(f"{url}/submit", {"text": plan}, page=url).status_code == 302
    assert _action(finding.id).state == "plan_submitted"


def test_a_change_made_between_reading_and_writing_is_refused(today, reviewer, supplier_a):
    """The check on the page's version holds in the database too: another request that
    wrote after this one read the action makes the write fail, not overwrite."""
    finding = make_finding(supplier_a, reviewer)
    action = finding.action
    seen = action.version
    db.session.execute(
        db.update(CorrectiveAction)
        .where(CorrectiveAction.id == action.id)
        .values(version=CorrectiveAction.version + 1, plan_due_on=date(2026, 6, 1))
    )
    with pytest.raises(services.StaleAction):
        services.extend(
            action, "plan", date(2026, 5, 1), "Why.", user=reviewer, expected_version=seen
        )
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(ActionStep.id))) == 0
    assert not _events("finding.extended")


# Who sees what ---------------------------------------------------------------------------
def test_a_document_is_served_only_with_its_own_finding(
    client, today, reviewer, supplier_a, owner_a, owner_b
):
    own = make_finding(supplier_a, reviewer, files=[_file("own.pdf")])
    theirs = make_finding(owner_b.organisation, reviewer, files=[_file("theirs.pdf")])
    own_doc = db.session.scalar(
        db.select(FindingDocument.document_id).where(FindingDocument.finding_id == own.id)
    )
    their_doc = db.session.scalar(
        db.select(FindingDocument.document_id).where(FindingDocument.finding_id == theirs.id)
    )
    client.login(owner_a)
    assert client.get(f"/findings/{own.id}/documents/{own_doc}").status_code == 200
    # Another finding's document through one's own finding, or directly as evidence.
    assert client.get(f"/findings/{own.id}/documents/{their_doc}").status_code == 404
    assert client.get(f"/evidence/{their_doc}/download").status_code == 404
    # The supplier cannot remove the region's document, nor one it sent with a plan.
    assert client.get(f"/evidence/{own_doc}/remove").status_code == 404
    colleague = make_user(supplier_a, Role.SUPPLIER_MEMBER)
    client.logout()
    client.login(colleague)
    assert client.get(f"/findings/{theirs.id}").status_code == 404


def _file(name: str):
    return FileStorage(stream=io.BytesIO(PDF), filename=name)


def test_a_refused_file_sends_nothing(client, today, reviewer, supplier_a, owner_a):
    finding = make_finding(supplier_a, reviewer)
    url = f"/findings/{finding.id}"
    client.login(owner_a)
    disguised = (io.BytesIO(b"<!doctype html><script>alert(1)</script>"), "plan.pdf")
    reply = client.submit(
        f"{url}/submit", {"text": "Our plan.", "documents": [_pdf(), disguised]}, page=url
    )
    assert reply.status_code == 400
    assert "HTML" in _text(reply)
    action = _action(finding.id)
    assert (action.state, action.steps) == ("plan_due", [])
    assert db.session.scalar(db.select(db.func.count(FindingDocument.document_id))) == 0
