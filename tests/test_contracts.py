"""Contracts: the buyer admin adds and changes them (a colleague's save in between is caught,
nothing typed is lost), every wrong value is named at its field, reviewers read them,
suppliers see only their own; the report falls due months after the start and is requested
once, from the contract page or by `flask contracts request-reports` as it falls due."""

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import update

from portal.contracts import services
from portal.contracts.services import Contract, add_months
from portal.extensions import db
from portal.questionnaires.models import Response, ResponseStatus, Round
from portal.questionnaires.services import submit
from portal.rounds import reminders
from portal.timeutil import utcnow
from tests.fixtures.builders import fill_with_samples, make_round
from tests.fixtures.contracts import make_contract
from tests.fixtures.web import hidden_inputs

TODAY = utcnow().date()


@pytest.fixture
def contract_a(supplier_a, mini_v1, admin):
    return make_contract(
        supplier_a,
        mini_v1,
        by=admin,
        reference="RN-2026-0142",
        title="Laptops for the hospitals",
        starts_on=TODAY - timedelta(days=100),
        ends_on=TODAY + timedelta(days=700),
    )


def _form(supplier, version, **changes) -> dict:
    values = {
        "organisation_id": str(supplier.id),
        "reference": "RN-2026-0200",
        "title": "Monitors for the clinics",
        "category": "monitors",
        "value_sek": "4 800 000",
        "starts_on": "2026-02-01",
        "ends_on": "2028-01-31",
        "brands": "Lumenic\nOrbis\nlumenic",
        "report_version_id": str(version.id),
        "report_months": "6",
    }
    return {**values, **changes}


def _errors(html: str) -> str:
    """The error summary's items, as the page shows them."""
    start = html.find('class="error-summary"')
    return unescape(html[start : html.find("</div>", start)]) if start >= 0 else ""


def _contract(reference: str) -> Contract | None:
    db.session.expire_all()
    return db.session.scalar(db.select(Contract).where(Contract.reference == reference))


# The due date -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (date(2026, 1, 15), 6, date(2026, 7, 15)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),  # February is shorter
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # a leap year
        (date(2026, 10, 31), 3, date(2027, 1, 31)),  # across the year
        (date(2026, 3, 1), 12, date(2027, 3, 1)),
    ],
)
def test_the_report_falls_due_calendar_months_after_the_start(start, months, due):
    assert add_months(start, months) == due


# What other features read --------------------------------------------------------------------
def test_current_contracts_their_value_and_periods(
    app_context, admin, supplier_a, supplier_b, mini_v1, count_queries
):
    """Running today means from the start day to the end day, both included; values are
    summed per supplier; overlapping or back-to-back contracts make one contract period."""

    def contract(org, starts_on, ends_on, value):
        return make_contract(
            org, mini_v1, by=admin, starts_on=starts_on, ends_on=ends_on, value_sek=value
        )

    day = date(2026, 6, 1)
    starts_today = contract(supplier_a, day, date(2027, 5, 31), 100)
    ends_today = contract(supplier_a, date(2025, 6, 1), day, 20)
    follows_on = contract(supplier_a, date(2027, 6, 1), date(2028, 5, 31), 3)
    later = contract(supplier_a, date(2029, 1, 1), date(2029, 12, 31), 4000)
    ended = contract(supplier_b, date(2024, 1, 1), date(2026, 5, 31), 50_000)
    db.session.expire_all()

    with count_queries() as counter:
        running = services.current_contracts(day)
        names = [c.organisation.name for c in running]
    assert counter.count == 1
    assert [c.id for c in running] == [ends_today.id, starts_today.id]
    assert names == ["Alfa Data AB", "Alfa Data AB"]
    assert services.contract_value_by_organisation(day) == {supplier_a.id: 120}
    assert services.contract_value_by_organisation(current_only=False) == {
        supplier_a.id: 4123,
        supplier_b.id: 50_000,
    }
    periods = services.contract_periods()
    assert [(p.starts_on, p.ends_on, p.contract_ids) for p in periods[supplier_a.id]] == [
        (date(2025, 6, 1), date(2028, 5, 31), [ends_today.id, starts_today.id, follows_on.id]),
        (date(2029, 1, 1), date(2029, 12, 31), [later.id]),
    ]
    assert [p.contract_ids for p in services.contract_periods([supplier_b.id])[supplier_b.id]] == [
        [ended.id]
    ]
    assert services.contracts_of(supplier_b.id) == [ended]


# Adding and changing --------------------------------------------------------------------------
def test_the_admin_adds_a_contract_and_sees_it_listed(client, admin, supplier_a, mini_v1):
    client.login(admin)

    reply = client.submit("/contracts/new", _form(supplier_a, mini_v1))

    assert reply.status_code == 302
    contract = _contract("RN-2026-0200")
    assert reply.headers["Location"].endswith(f"/contracts/{contract.id}")
    assert contract.organisation_id == supplier_a.id
    assert contract.value_sek == 4_800_000
    assert contract.brands == ["Lumenic", "Orbis"]  # each brand once
    assert contract.report_due_on == date(2026, 8, 1)
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Monitors for the clinics" in page
    assert "4,800,000" in page
    assert "1 Aug 2026, 6 months after the start" in page
    listed = client.get("/contracts").get_data(as_text=True)
    assert "RN-2026-0200" in listed
    assert "Alfa Data AB" in listed


def test_the_report_months_default_to_the_configuration(client, app, admin, mini_v1, monkeypatch):
    monkeypatch.setitem(app.config, "CONTRACT_REPORT_MONTHS", 9)
    client.login(admin)
    page = client.get("/contracts/new").get_data(as_text=True)
    [months] = re.findall(r'<input[^>]*name="report_months"[^>]*>', page)
    assert 'value="9"' in months


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_on": "2026-01-31"}, "ends_on", "The contract must end after it starts."),
        ({"ends_on": "2026-02-01"}, "ends_on", "The contract must end after it starts."),
        ({"value_sek": "-5"}, "value_sek", "The value cannot be negative."),
        ({"value_sek": "12,5 miljoner"}, "value_sek", "Enter the value in whole kronor"),
        ({"value_sek": ""}, "value_sek", "Enter the contract's value in kronor."),
        ({"value_sek": "9" * 14}, "value_sek", "The value is too large."),
        ({"category": "tablets"}, "category", "Choose a category from the list."),
        ({"category": ""}, "category", "Choose the contract's category."),
        ({"brands": " \n , "}, "brands", "Enter at least one brand, one per line."),
        ({"brands": "x" * 201}, "brands", "at most 200 characters"),
        ({"brands": "\n".join(f"B{n}" for n in range(51))}, "brands", "at most 50 brands"),
        ({"organisation_id": "999999"}, "organisation_id", "Choose a supplier from the list."),
        ({"organisation_id": "abc"}, "organisation_id", "Choose a supplier from the list."),
        ({"report_version_id": "999999"}, "report_version_id", "Choose a questionnaire version"),
        ({"reference": ""}, "reference", "Enter the contract reference."),
        ({"reference": "R" * 101}, "reference", "Use at most 100 characters."),
        ({"title": ""}, "title", "Give the contract a title."),
        ({"starts_on": "2026-02-30"}, "starts_on", "Enter the start date as YYYY-MM-DD."),
        ({"starts_on": "1999-12-31"}, "starts_on", "Enter a date between 2000 and 2100."),
        ({"ends_on": "2101-01-01"}, "ends_on", "Enter a date between 2000 and 2100."),
        ({"report_months": "0"}, "report_months", "from 1 to 120"),
        ({"report_months": "121"}, "report_months", "from 1 to 120"),
        ({"report_months": "six"}, "report_months", "from 1 to 120"),
    ],
)
def test_every_wrong_value_is_named_at_its_field(
    client, admin, supplier_a, mini_v1, changes, field, message
):
    client.login(admin)

    reply = client.submit("/contracts/new", _form(supplier_a, mini_v1, **changes))

    html = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert f'<a href="#{field}">' in html, _errors(html)
    assert message in _errors(html)
    assert _contract(changes.get("reference", "RN-2026-0200")) is None


def test_the_buyer_cannot_hold_a_contract(client, admin, buyer, supplier_a, mini_v1):
    client.login(admin)
    reply = client.submit("/contracts/new", _form(supplier_a, mini_v1, organisation_id=buyer.id))
    assert reply.status_code == 422
    assert "Choose a supplier from the list." in reply.get_data(as_text=True)


def test_a_reference_is_used_once(client, admin, supplier_a, mini_v1, contract_a):
    client.login(admin)

    reply = client.submit("/contracts/new", _form(supplier_a, mini_v1, reference="rn-2026-0142"))

    assert reply.status_code == 422
    assert "Another contract has this reference." in reply.get_data(as_text=True)


def test_the_admin_changes_a_contract(client, admin, contract_a, supplier_a, mini_v1):
    client.login(admin)
    url = f"/contracts/{contract_a.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "Lumenic\nOrbis</textarea>" in page
    assert 'value="12 500 000"' in page

    reply = client.submit(
        url, _form(supplier_a, mini_v1, reference="RN-2026-0142", value_sek="13000000")
    )

    assert reply.status_code == 302
    contract = _contract("RN-2026-0142")
    assert contract.value_sek == 13_000_000
    assert contract.category == "monitors"
    assert contract.version == 2


def test_a_colleagues_save_in_between_is_reported_and_nothing_is_lost(
    client, make_client, admin, contract_a, supplier_a, mini_v1
):
    url = f"/contracts/{contract_a.id}/edit"
    client.login(admin)
    colleague = make_client()
    colleague.login(admin)
    opened = client.get(url).get_data(as_text=True)  # opened before the colleague saves
    hidden = hidden_inputs(opened, action=url, page=url)
    mine = _form(supplier_a, mini_v1, reference="RN-2026-0142", title="Mine")
    theirs = _form(supplier_a, mini_v1, reference="RN-2026-0142", title="Theirs")
    assert colleague.submit(url, theirs).status_code == 302

    reply = client.post(url, data={**hidden, **mine})

    html = reply.get_data(as_text=True)
    assert reply.status_code == 409
    assert "Someone else saved changes while you were editing." in html
    assert "Saved now: <strong>Theirs</strong>" in html
    assert 'value="Mine"' in html  # what this admin typed is kept
    assert _contract("RN-2026-0142").title == "Theirs"
    # Saving again, knowingly, replaces their version.
    hidden_now = hidden_inputs(html, action=url, page=url)
    assert client.post(url, data={**hidden_now, **mine}).status_code == 302
    assert _contract("RN-2026-0142").title == "Mine"


# Who sees what ---------------------------------------------------------------------------------
def test_reviewers_read_contracts_but_cannot_change_them(client, reviewer, contract_a):
    client.login(reviewer)
    assert client.get("/contracts").status_code == 200
    page = client.get(f"/contracts/{contract_a.id}").get_data(as_text=True)
    assert "Laptops for the hospitals" in page
    assert "Change the contract" not in page
    assert "Request the report" not in page
    assert client.get(f"/contracts/{contract_a.id}/edit").status_code == 403
    assert client.get("/contracts/new").status_code == 403


def test_a_supplier_sees_its_own_contracts_only(
    client, owner_a, owner_b, contract_a, supplier_b, mini_v1, admin
):
    theirs = make_contract(supplier_b, mini_v1, by=admin, reference="RN-B-1")
    client.login(owner_a)
    mine = client.get("/supplier/contracts").get_data(as_text=True)
    assert "RN-2026-0142" in mine
    assert "RN-B-1" not in mine
    assert client.get(f"/contracts/{contract_a.id}").status_code == 200
    assert client.get(f"/contracts/{theirs.id}").status_code == 404
    for url in ("/contracts", "/contracts/new", f"/contracts/{contract_a.id}/edit"):
        assert client.get(url).status_code == 403, url
    refused = client.submit(
        f"/contracts/{contract_a.id}/request-report",
        {"closes_on": TODAY.isoformat()},
        page="/supplier/contracts",
    )
    assert refused.status_code == 403
    assert _contract("RN-2026-0142").report_round_id is None
    client.logout()
    client.login(owner_b)
    assert client.get(f"/contracts/{contract_a.id}").status_code == 404
    assert "RN-2026-0142" not in client.get("/supplier/contracts").get_data(as_text=True)


def test_the_list_comes_a_page_at_a_time(client, admin, supplier_a, mini_v1, monkeypatch):
    for n in range(12):
        make_contract(supplier_a, mini_v1, by=admin, reference=f"RN-P-{n:02d}")
    monkeypatch.setattr(services, "PER_PAGE", 5)
    client.login(admin)
    first = client.get("/contracts").get_data(as_text=True)
    assert "Showing 1–5 of 12" in first
    third = client.get("/contracts?page=3").get_data(as_text=True)
    assert "Showing 11–12 of 12" in third


# Requesting the report -------------------------------------------------------------------------
def _rounds_of(contract) -> list[Round]:
    return db.session.scalars(
        db.select(Round).join(Response).where(Response.organisation_id == contract.organisation_id)
    ).all()


def test_requesting_the_report_opens_one_follow_up_round(client, admin, contract_a, owner_a):
    client.login(admin)
    url = f"/contracts/{contract_a.id}"
    due = contract_a.report_due_on
    page = client.get(url).get_data(as_text=True)
    assert f'value="{due.isoformat()}"' in page  # closing on the due date unless changed
    closes_on = TODAY + timedelta(days=20)

    reply = client.submit(f"{url}/request-report", {"closes_on": closes_on.isoformat()}, page=url)

    assert reply.status_code == 302
    contract = _contract("RN-2026-0142")
    round_ = contract.report_round
    assert round_.kind == "follow_up"
    assert round_.version_id == contract.report_version_id
    assert round_.title == "Laptops for the hospitals (RN-2026-0142)"
    assert round_.closes_at.astimezone(services.ZoneInfo("Europe/Stockholm")).date() == closes_on
    assert [r.id for r in _rounds_of(contract)] == [round_.id]
    page = client.get(url).get_data(as_text=True)
    assert "Requested: answer by" in page
    assert "Request the report" not in page
    # Posting again (an old page, a second click) opens nothing more.
    again = client.post(f"{url}/request-report", data={"closes_on": closes_on.isoformat()})
    assert again.status_code in (400, 422)
    assert [r.id for r in _rounds_of(_contract("RN-2026-0142"))] == [round_.id]
    # The supplier sees the request and reaches its response from the contract.
    client.logout()
    client.login(owner_a)
    mine = client.get("/supplier/contracts").get_data(as_text=True)
    response = db.session.scalar(db.select(Response).where(Response.round_id == round_.id))
    assert "Requested: answer by" in mine
    assert f'href="/responses/{response.id}"' in mine


def test_a_closing_date_in_the_past_is_refused(client, admin, contract_a):
    client.login(admin)
    url = f"/contracts/{contract_a.id}"
    yesterday = (TODAY - timedelta(days=1)).isoformat()

    reply = client.submit(f"{url}/request-report", {"closes_on": yesterday}, page=url)

    assert reply.status_code == 422
    assert "The closing date has passed. Choose a later date." in reply.get_data(as_text=True)
    assert _contract("RN-2026-0142").report_round_id is None


def test_once_requested_the_supplier_and_questionnaire_stay(
    client, admin, contract_a, supplier_a, supplier_b, mini_v1
):
    services.request_report(contract_a, actor=admin, closes_on=TODAY + timedelta(days=10))
    db.session.commit()
    client.login(admin)
    url = f"/contracts/{contract_a.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="organisation_id"' not in page
    assert "can no longer change" in page

    reply = client.submit(
        url,
        _form(supplier_b, mini_v1, reference="RN-2026-0142", title="Renamed"),
    )

    assert reply.status_code == 302
    contract = _contract("RN-2026-0142")
    assert (contract.title, contract.organisation_id) == ("Renamed", supplier_a.id)


def test_the_report_states(app_context, admin, owner_a, supplier_a, mini_v1):
    """Not yet due, overdue without a request, requested, overdue after the deadline, and
    submitted."""
    later = make_contract(supplier_a, mini_v1, by=admin, starts_on=TODAY)
    forgotten = make_contract(supplier_a, mini_v1, by=admin, starts_on=TODAY - timedelta(400))
    asked = make_contract(supplier_a, mini_v1, by=admin, starts_on=TODAY - timedelta(170))
    answered = make_contract(supplier_a, mini_v1, by=admin, starts_on=TODAY - timedelta(170))
    for contract in (asked, answered):
        services.request_report(contract, actor=admin, closes_on=TODAY + timedelta(days=5))
    response = db.session.scalar(
        db.select(Response).where(Response.round_id == answered.report_round_id)
    )
    fill_with_samples(response, owner_a)
    assert submit(response, user=owner_a) == []
    db.session.commit()

    states = services.report_states([later, forgotten, asked, answered])

    assert [states[c.id].state for c in (later, forgotten, asked, answered)] == [
        "not_due",
        "overdue",
        "requested",
        "submitted",
    ]
    assert states[answered.id].response.status == ResponseStatus.SUBMITTED
    after = datetime.combine(TODAY + timedelta(days=7), datetime.min.time(), tzinfo=UTC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "utcnow", lambda: after)
        late = services.report_states([asked, answered])
    assert [late[asked.id].state, late[answered.id].state] == ["overdue", "submitted"]


# The command --------------------------------------------------------------------------------
@pytest.fixture
def frozen(monkeypatch):
    """Freeze the contracts' clock at 10:00 UTC (noon in Swedish summer time) on a day."""

    def freeze(day: date):
        moment = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
        monkeypatch.setattr(services, "utcnow", lambda: moment)

    return freeze


def test_the_command_requests_reports_as_they_fall_due_once(
    app, app_context, admin, supplier_a, supplier_b, mini_v1, frozen
):
    """Frozen on 1 June 2026 with 30 days' notice: a report due 1 July is requested, one due
    2 July is not yet, one already requested is left alone, one overdue and never requested
    is requested with the notice period to answer; running again requests nothing."""
    starts = {
        "due_in_30": date(2026, 1, 1),  # due 1 July 2026
        "due_in_31": date(2026, 1, 2),  # due 2 July 2026
        "requested": date(2025, 12, 15),
        "overdue": date(2025, 10, 1),  # due 1 April 2026
        "ended": date(2025, 1, 1),
    }
    contracts = {
        name: make_contract(
            supplier_b if name == "requested" else supplier_a,
            mini_v1,
            by=admin,
            reference=name,
            starts_on=start,
            ends_on=date(2026, 5, 31) if name == "ended" else date(2027, 12, 31),
        )
        for name, start in starts.items()
    }
    frozen(date(2026, 5, 1))
    services.request_report(contracts["requested"], actor=admin, closes_on=date(2026, 6, 15))
    db.session.commit()
    frozen(date(2026, 6, 1))
    runner = app.test_cli_runner()

    first = runner.invoke(args=["contracts", "request-reports"])

    assert first.exit_code == 0, first.output
    assert "2 report(s) requested." in first.output
    db.session.expire_all()
    requested = {name for name, c in contracts.items() if c.report_round_id}
    assert requested == {"due_in_30", "overdue", "requested"}
    zone = services.ZoneInfo("Europe/Stockholm")
    closes = {
        name: contracts[name].report_round.closes_at.astimezone(zone).date()
        for name in ("due_in_30", "overdue")
    }
    assert closes == {"due_in_30": date(2026, 7, 1), "overdue": date(2026, 7, 1)}
    rounds = db.session.scalar(db.select(db.func.count(Round.id)))

    second = runner.invoke(args=["contracts", "request-reports"])

    assert "0 report(s) requested." in second.output
    assert db.session.scalar(db.select(db.func.count(Round.id))) == rounds
    frozen(date(2026, 6, 2))
    third = runner.invoke(args=["contracts", "request-reports"])
    assert "1 report(s) requested." in third.output
    db.session.expire_all()
    assert contracts["due_in_31"].report_round_id is not None
    assert contracts["ended"].report_round_id is None


def test_the_notice_period_is_configurable(
    app, app_context, admin, supplier_a, mini_v1, frozen, monkeypatch
):
    contract = make_contract(supplier_a, mini_v1, by=admin, starts_on=date(2026, 1, 1))
    monkeypatch.setitem(app.config, "CONTRACT_REPORT_NOTICE_DAYS", 10)
    frozen(date(2026, 6, 1))
    assert services.reports_to_request() == []
    frozen(date(2026, 6, 21))
    assert services.reports_to_request() == [contract]


def test_a_request_that_lost_the_race_opens_no_round(
    app_context, admin, contract_a, supplier_a, mini_v1
):
    """Two requests at once (two cron runs, a click and a run): the contract row is claimed,
    so the one that read the contract before the other saved opens no round."""
    first = make_round(mini_v1, [supplier_a], opened_by=admin, title="The other request")
    assert contract_a.report_round_id is None  # as this request read it
    db.session.execute(
        update(Contract)
        .where(Contract.id == contract_a.id)
        .values(report_round_id=first.id)
        .execution_options(synchronize_session=False)
    )
    rounds = db.session.scalar(db.select(db.func.count(Round.id)))

    with pytest.raises(services.ContractError):
        services.request_report(contract_a, actor=admin, closes_on=TODAY + timedelta(9))

    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Round.id))) == rounds
    assert db.session.get(Contract, contract_a.id).report_round_id == first.id


def test_a_requested_report_is_reminded_like_any_round(
    app_context, admin, contract_a, owner_a, outbox
):
    """`flask rounds remind` reminds the supplier of the report round before it closes, once."""
    round_ = services.request_report(contract_a, actor=admin, closes_on=TODAY + timedelta(days=20))
    db.session.commit()
    week_before = round_.closes_at - timedelta(days=7, hours=-1)

    assert reminders.send_due_reminders(week_before) == (1, 0)
    assert reminders.send_due_reminders(week_before) == (0, 0)

    assert [message["To"] for message in outbox] == [owner_a.email]
    assert "Laptops for the hospitals (RN-2026-0142)" in outbox[0].get_content()


def test_a_request_by_the_command_is_logged_as_the_portals(
    client, app, admin, supplier_a, mini_v1, frozen
):
    make_contract(supplier_a, mini_v1, by=admin, reference="RN-C-1", starts_on=date(2026, 1, 1))
    frozen(date(2026, 6, 10))
    assert (
        "1 report(s) requested."
        in app.test_cli_runner().invoke(args=["contracts", "request-reports"]).output
    )
    client.login(admin)
    page = unescape(client.get("/admin/audit?action=contract.report_requested").get_data(True))
    assert (
        "The portal asked Alfa Data AB for the report on the contract RN-C-1 by 1 Jul 2026, "
        "as it falls due." in page
    )
