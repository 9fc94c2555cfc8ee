"""The supplier at a glance, for the buyer's staff: each part of the page shows what the
database holds for that supplier and nobody else (contracts and their reports, rounds with
the status and score of each response, the ladder step and its climb, factories by country
and role, findings with the clocks of their corrective actions, the place in the audit
selection), with the Swedish calendar frozen; suppliers never reach it; and the page asks the
database the same number of times however much the supplier holds."""

import html
import re
from datetime import UTC, date, datetime

import pytest

from portal.contracts import services as contract_services
from portal.extensions import db
from portal.findings import deadlines
from portal.findings import services as finding_services
from portal.ladder import services as ladder_services
from portal.questionnaires.models import ResponseStatus
from portal.review import services as review_services
from portal.review.models import Grade
from tests.fixtures.builders import (
    make_answer,
    make_factory,
    make_round,
    response_of,
)
from tests.fixtures.contracts import make_contract
from tests.fixtures.findings import make_finding

#: The day the page is read on, unless a test moves it.
TODAY = date(2026, 3, 10)
POLICY, TRAINED = "rights_policy_communicated", "workers_trained"


@pytest.fixture
def today(monkeypatch):
    """Freezes the Swedish calendar of the contracts and the findings on a day (at noon in
    Stockholm); today(day) moves it."""

    def freeze(day: date) -> date:
        moment = datetime(day.year, day.month, day.day, 11, tzinfo=UTC)
        monkeypatch.setattr(deadlines, "utcnow", lambda: moment)
        monkeypatch.setattr(contract_services, "utcnow", lambda: moment)
        return day

    freeze(TODAY)
    return freeze


@pytest.fixture
def ladder(app_context):
    ladder_services.publish(1)
    version, _ = ladder_services.publish(2)
    db.session.commit()
    return version


def _url(organisation) -> str:
    return f"/review/suppliers/{organisation.id}"


def _text(fragment: str) -> str:
    """Text as a reader gets it: tags dropped, entities decoded, spaces joined."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _rows(page: str, caption: str) -> list[str]:
    """The text of each body row of the table whose caption starts with `caption`."""
    for table in re.findall(r"<table.*?</table>", page, re.S):
        found = re.search(r"<caption[^>]*>(.*?)</caption>", table, re.S)
        if found and _text(found.group(1)).startswith(caption):
            body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
            return [_text(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    raise AssertionError(f"no table captioned {caption!r}")


def _section(page: str, anchor: str) -> str:
    """The text of the page from the heading with id `anchor` to the next such heading."""
    start = page.index(f'id="{anchor}"')
    end = page.find("<h2 ", start + 1)
    return _text(page[start : end if end > 0 else None])


def _accepted(response, reviewer, *, points: dict):
    """Submit the response with a policy and audits, grade it and accept it."""
    _graded(response, points)
    review_services.accept(response, actor=reviewer, lang="en")
    db.session.commit()


def _graded(response, points: dict):
    make_answer(response, "has_policy", "yes")
    make_answer(response, "methods", ["audits"])
    for key, given in points.items():
        db.session.add(Grade(response_id=response.id, question_key=key, points=given))
    response.status = ResponseStatus.SUBMITTED.value
    response.submitted_at = datetime(2026, 1, 20, 9, tzinfo=UTC)
    db.session.commit()


# What the page shows ---------------------------------------------------------------------------
def test_each_part_shows_what_the_database_holds(
    client, today, ladder, reviewer, admin, supplier_a, supplier_b, mini_v1
):
    running = make_contract(
        supplier_a,
        mini_v1,
        by=admin,
        reference="RN-2026-0101",
        title="Laptops for the hospitals",
        value_sek=12_500_000,
        brands=["Lumenic", "Orbis"],
    )
    make_contract(
        supplier_a,
        mini_v1,
        by=admin,
        reference="RN-2022-0007",
        title="Monitors, ended",
        category="monitors",
        value_sek=800_000,
        starts_on=date(2022, 1, 1),
        ends_on=date(2023, 12, 31),
    )
    make_contract(supplier_b, mini_v1, by=admin, reference="RN-2026-9999", title="Not A's")

    tender = make_round(mini_v1, [supplier_a, supplier_b], opened_by=admin, title="Tender 2026")
    _accepted(response_of(tender, supplier_a), reviewer, points={"has_policy": 2, "methods": 3})
    waiting = make_round(mini_v1, [supplier_a], opened_by=admin, title="Follow-up, in review")
    _graded(response_of(waiting, supplier_a), {"has_policy": 2})
    make_round(mini_v1, [supplier_a], opened_by=admin, title="Market dialogue, not started")

    ladder_services.mark(supplier_a, POLICY, "achieved", date(2025, 3, 1), None, "x", "", reviewer)
    ladder_services.mark(supplier_a, TRAINED, "achieved", date(2025, 9, 1), None, "y", "", reviewer)
    db.session.commit()

    shenzhen = make_factory(supplier_a, name="Shenzhen Assembly", country="CN")
    make_factory(supplier_a, country="CN")
    make_factory(supplier_a, country="CN", role="main_component")
    make_factory(supplier_a, country="VN", role="main_component")
    make_factory(supplier_a, country="MY", left_on=date(2025, 12, 31))  # left: not counted
    make_factory(supplier_b, country="MX")  # another supplier's

    late = make_finding(
        supplier_a,
        reviewer,
        on=date(2026, 1, 15),  # plan due 15 February
        title="Overtime above 60 hours",
        contract_id=running.id,
        factory_id=shenzhen.id,
    )
    make_finding(
        supplier_a,
        reviewer,
        on=date(2026, 3, 1),  # plan due 1 April
        title="No grievance channel",
        severity="minor",
        clause="freedom_of_association",
    )
    make_finding(supplier_b, reviewer, title="B's finding")

    client.login(reviewer)
    reply = client.get(_url(supplier_a))
    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    assert "<h1>Alfa Data AB</h1>" in page

    contracts = _rows(page, "Contracts of Alfa Data AB")
    assert len(contracts) == 2
    assert contracts[0].startswith("RN-2026-0101 Laptops for the hospitals PCs 12,500,000")
    assert "Lumenic, Orbis" in contracts[0]
    assert "Not yet due: due 15 Jul 2026" in contracts[0]
    assert contracts[1].startswith("RN-2022-0007 Monitors, ended Monitors 800,000")
    assert "Overdue: due 1 Jul 2022, not yet requested" in contracts[1]
    assert "RN-2026-9999" not in page
    assert f'href="/contracts/{running.id}"' in page

    responses = _rows(page, "The rounds Alfa Data AB was asked to answer")
    assert [r.split(" Tender")[0].split(" Mini")[0] for r in responses] == [
        "Market dialogue, not started",
        "Follow-up, in review",
        "Tender 2026",
    ]
    scored = review_services.scores_of(response_of(tender, supplier_a), "en")
    assert scored.award_points == pytest.approx(15.0)  # every graded answer at the top
    assert "Not started" in responses[0]
    assert responses[0].endswith("–")
    assert "To review" in responses[1]
    in_review = review_services.scores_of(response_of(waiting, supplier_a), "en")
    assert f"{in_review.award_points:.2f} of 15 award points" in responses[1]
    assert "1 answer not graded yet" in responses[1]
    assert "Accepted" in responses[2]
    assert responses[2].endswith("15.00 of 15 award points")
    assert f'href="/review/responses/{response_of(tender, supplier_a).id}"' in page

    ladder_part = _section(page, "ladder")
    assert "Step 2 of 8:" in ladder_part
    assert ladder.ladder.at(2)["title"]["en"] in ladder_part
    assert _rows(page, "The chart's data") == ["1 Mar 2025 1", "1 Sep 2025 2"]
    assert f'href="/review/ladder/{supplier_a.id}"' in page

    assert _rows(page, "Factories in the supply chain of Alfa Data AB") == [
        "China 2 1 3",
        "Vietnam 0 1 1",
    ]
    assert "Total 2 2 4" in _section(page, "factories")
    assert f"/review/factories?supplier={supplier_a.id}" in page

    findings = _rows(page, "Findings at Alfa Data AB")
    assert len(findings) == 2
    assert findings[0].startswith("Overtime above 60 hours Working hours, 15 Jan 2026 Major")
    assert "RN-2026-0101 Shenzhen Assembly (China)" in findings[0]
    assert "15 Feb 2026 Overdue by 23 days 15 Jul 2026" in findings[0]
    assert findings[1].startswith("No grievance channel")
    assert "1 Apr 2026 22 days left 1 Sep 2026" in findings[1]
    assert "B's finding" not in page
    assert f'href="/review/findings/{late.id}"' in page
    assert "Open findings 2, 1 overdue" in _text(page)

    selection = _section(page, "selection")
    # Unknown countries 100 × 40 % + answers 0 + findings (10 + 25) × 20 % + value 100 × 20 %.
    assert "Rank 2 of 2 suppliers with a contract running today, with a risk score of 67." in (
        selection
    )
    parts = _rows(page, "The parts of the risk score of Alfa Data AB")
    assert [row.split(" ")[0] for row in parts] == ["Country", "Answers", "Open", "Contract"]
    assert "China not in the table; Vietnam not in the table" in parts[0]
    assert "100 % of the points in Tender 2026" in parts[1]
    assert "1 minor, 1 major" in parts[2]
    assert parts[3] == "Contract value 100 20 12,500,000 SEK"
    # Two ranked: the riskier one (B, without an accepted response) is proposed, not A.
    assert "Proposed" not in selection


def test_the_clock_of_a_corrective_action_runs_on_the_swedish_calendar(
    client, today, reviewer, supplier_a, owner_a
):
    """Recorded on 15 January, the plan is due 15 February: days left until then, due on the
    day itself, overdue from the day after; once the plan is sent the clock waits for the
    reviewer, and once accepted the correction's clock runs."""
    finding_id = make_finding(supplier_a, reviewer, on=date(2026, 1, 15)).id
    client.login(reviewer)

    def action():
        return finding_services.finding_for(reviewer, finding_id).action

    def row() -> str:
        return _rows(client.get(_url(supplier_a)).get_data(as_text=True), "Findings at")[0]

    today(date(2026, 2, 14))
    assert "Waiting for the plan 15 Feb 2026 1 day left 15 Jul 2026" in row()
    today(date(2026, 2, 15))
    assert "Waiting for the plan 15 Feb 2026 Due today 15 Jul 2026" in row()
    today(date(2026, 2, 16))
    page = client.get(_url(supplier_a)).get_data(as_text=True)
    assert "15 Feb 2026 Overdue by 1 day" in _rows(page, "Findings at")[0]
    assert 'class="flag flag--expired"' in page

    finding_services.submit(action(), "Our plan.", [], user=owner_a, expected_version=1)
    db.session.commit()
    assert "Plan awaiting review 15 Feb 2026 15 Jul 2026" in row()
    assert "Overdue" not in row()

    finding_services.decide(action(), accept=True, reason="", user=reviewer, expected_version=2)
    db.session.commit()
    assert "Plan accepted, proof due 15 Feb 2026 15 Jul 2026 149 days left" in row()
    today(date(2026, 7, 20))
    assert "Plan accepted, proof due 15 Feb 2026 15 Jul 2026 Overdue by 5 days" in row()


# Who reaches it ---------------------------------------------------------------------------------
def test_only_the_buyers_staff_reach_a_suppliers_page(
    client, make_client, admin, reviewer, owner_a, member_a, owner_b, supplier_a, buyer
):
    for user in (owner_a, member_a, owner_b):
        other = make_client()
        other.login(user)
        assert other.get(_url(supplier_a)).status_code == 403
        assert other.get(_url(user.organisation)).status_code == 403
    anonymous = make_client().get(_url(supplier_a))
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]

    client.login(reviewer)
    assert client.get(_url(supplier_a)).status_code == 200
    assert client.get(_url(buyer)).status_code == 404  # the buyer is no supplier
    assert client.get("/review/suppliers/987654").status_code == 404
    assert "Users and details of" not in client.get(_url(supplier_a)).get_data(as_text=True)
    staff = make_client()
    staff.login(admin)
    page = staff.get(_url(supplier_a)).get_data(as_text=True)
    assert f'href="/admin/organisations/{supplier_a.id}">Users and details of Alfa Data AB' in page


def test_the_supplier_lists_link_to_each_suppliers_page(
    client, make_client, admin, reviewer, supplier_a, supplier_b, buyer, mini_v1
):
    make_contract(supplier_b, mini_v1, by=admin)
    make_finding(supplier_b, reviewer)
    client.login(reviewer)
    home = client.get("/review").get_data(as_text=True)
    assert f'<a href="{_url(supplier_a)}">Alfa Data AB</a>' in home
    assert f'<a href="{_url(supplier_b)}">Beta Devices Ltd</a>' in home
    for listing in ("/contracts", "/review/findings"):
        page = client.get(listing).get_data(as_text=True)
        assert f'<a href="{_url(supplier_b)}">Beta Devices Ltd</a>' in page
    staff = make_client()
    staff.login(admin)
    organisation = staff.get(f"/admin/organisations/{supplier_a.id}").get_data(as_text=True)
    assert f'href="{_url(supplier_a)}"' in organisation
    own = staff.get(f"/admin/organisations/{buyer.id}").get_data(as_text=True)
    assert "/review/suppliers/" not in own


# How often it asks the database -----------------------------------------------------------------
def _hold(organisation, n: int, *, version, admin, reviewer, start: int):
    """Give the supplier n more of everything the page lists: contracts (the first with its
    report requested), submitted and graded responses, factories in n countries, findings on
    those contracts and factories, and ladder marks for the whole organisation and a brand."""
    countries = ["CN", "VN", "MY", "TH", "MX", "IN", "TW"]
    for i in range(start, start + n):
        contract = make_contract(
            organisation, version, by=admin, reference=f"RN-Q-{organisation.id}-{i}"
        )
        if i == 0:
            contract_services.request_report(contract, actor=admin)
            db.session.commit()
        round_ = make_round(version, [organisation], opened_by=admin, title=f"Round {i}")
        _graded(response_of(round_, organisation), {"has_policy": 2})
        country = countries[i % len(countries)]
        factory = make_factory(organisation, country=country, brands=["Lumenic"])
        make_factory(organisation, country=country, role="main_component")
        make_finding(
            organisation,
            reviewer,
            on=date(2026, 1, 15),
            contract_id=contract.id,
            factory_id=factory.id,
        )
        ladder_services.mark(
            organisation, POLICY, "achieved", date(2025, 3, 1 + i), None, "x", "", reviewer
        )
        ladder_services.mark(
            organisation,
            TRAINED,
            "achieved",
            date(2025, 4, 1 + i),
            None,
            "x",
            "",
            reviewer,
            brand="Lumenic",
        )
        db.session.commit()


def test_the_page_asks_the_database_as_often_for_a_large_supplier_as_for_a_small_one(
    client, today, ladder, admin, reviewer, supplier_a, supplier_b, mini_v1, count_queries
):
    roles = {"version": mini_v1, "admin": admin, "reviewer": reviewer}
    _hold(supplier_a, 1, start=0, **roles)
    _hold(supplier_b, 1, start=0, **roles)
    client.login(reviewer)
    assert client.get(_url(supplier_a)).status_code == 200  # definitions read once
    with count_queries() as small:
        page = client.get(_url(supplier_a)).get_data(as_text=True)
    assert len(_rows(page, "Findings at")) == 1

    _hold(supplier_a, 6, start=1, **roles)
    with count_queries() as large:
        page = client.get(_url(supplier_a)).get_data(as_text=True)
    assert len(_rows(page, "Contracts of")) == 7
    assert len(_rows(page, "The rounds")) == 8  # and the report's round
    assert len(_rows(page, "Factories in the supply chain")) == 7
    assert len(_rows(page, "Findings at")) == 7
    assert large.count == small.count, (small.count, large.count)
