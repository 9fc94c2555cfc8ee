"""The audit selection as buyer staff meet it: the twenty suppliers of the hand-computed
ranking (tests/test_selection_scoring.py) built in the database with real contracts,
factories, accepted responses and findings, ranked on the page with the formula and each
supplier's parts, proposed for this year's follow-up, planned as desktop audits (one per
supplier per contract period) and downloaded."""

from datetime import UTC, date, datetime, timedelta

import pytest

from portal.extensions import db
from portal.findings.services import CorrectiveAction
from portal.selection import services
from portal.selection.models import DesktopAudit
from portal.spreadsheets import read_rows
from tests.fixtures.builders import make_factory, make_round, publish_version, response_of
from tests.fixtures.contracts import make_contract
from tests.fixtures.findings import make_finding
from tests.fixtures.selection import (
    TODAY,
    accept_with_share,
    contracted_suppliers,
    make_country_risk,
)
from tests.fixtures.web import csrf_token_from
from tests.test_selection_scoring import EXPECTED, FIGURES, SUPPLIERS


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(services, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def version(app_context):
    return publish_version(1)


@pytest.fixture
def twenty(today, version, admin, reviewer):
    for code, figures in FIGURES.items():
        make_country_risk(code, figures)
    return contracted_suppliers(SUPPLIERS, version=version, admin=admin, reviewer=reviewer)


def test_the_database_ranks_the_twenty_as_computed_by_hand(twenty, count_queries):
    with count_queries() as counter:
        ranking = services.ranking()

    assert [(r.organisation.name, round(r.score, 6)) for r in ranking.rows] == [
        (name, score) for name, _parts, score in EXPECTED
    ]
    assert [r.organisation.name for r in ranking.proposed] == [
        "Cobalt Systems Ltd",
        "Aurora Data AB",
    ]
    assert [r.organisation.name for r in ranking.capacity] == ["Elnet Nordic AB"]
    assert (ranking.lower_count, ranking.upper_count) == (2, 3)
    assert ranking.unknown_countries == ["BD"]
    assert counter.count <= 7


def test_the_queries_stay_the_same_however_many_suppliers(
    today, version, admin, reviewer, count_queries
):
    few = dict(list(SUPPLIERS.items())[:3])
    contracted_suppliers(few, version=version, admin=admin, reviewer=reviewer)
    with count_queries() as counter:
        services.ranking()
    for_three = counter.count

    more = dict(list(SUPPLIERS.items())[3:])
    contracted_suppliers(more, version=version, admin=admin, reviewer=reviewer)
    with count_queries() as counter:
        assert len(services.ranking().rows) == 20

    assert counter.count == for_three


def test_only_what_holds_today_counts(today, version, admin, reviewer):
    """A factory that has left, a closed finding, an older accepted response and an ended
    contract are not part of the score; a supplier without a running contract is not ranked."""
    make_country_risk("DE", (10, 10, 10, 10))
    [org] = contracted_suppliers(
        {"Solo AB": (("DE",), 0.5, {"minor": 1}, 1_000_000)},
        version=version,
        admin=admin,
        reviewer=reviewer,
    ).values()
    make_factory(org, country="BD", entered_on=date(2020, 1, 1), left_on=date(2026, 1, 1))
    make_factory(org, country="BD", entered_on=TODAY + timedelta(days=1))
    closed = make_finding(org, reviewer, on=date(2026, 2, 1), severity="critical")
    db.session.get(CorrectiveAction, closed.action.id).state = "closed"
    older = make_round(version, [org], opened_by=admin, title="Old tender")
    accept_with_share(response_of(older, org), 0.1, decided_at=datetime(2025, 1, 1, tzinfo=UTC))
    make_contract(
        org,
        version,
        by=admin,
        value_sek=9_000_000,
        starts_on=date(2024, 1, 1),
        ends_on=date(2025, 12, 31),
    )
    [ended] = contracted_suppliers(
        {"Ended AB": (("DE",), 0.5, {}, 5_000_000)}, version=version, admin=admin, reviewer=reviewer
    ).values()
    for contract in db.session.scalars(
        db.select(services.Contract).where(services.Contract.organisation_id == ended.id)
    ):
        contract.ends_on = TODAY - timedelta(days=1)
    db.session.commit()

    [row] = services.ranking().rows

    assert row.organisation.name == "Solo AB"
    assert [c.country for c in row.scored.countries] == ["DE"]
    assert row.open_findings == {"minor": 1}
    assert row.answer.share == pytest.approx(0.5)
    assert row.answer.round_title == "Tender"
    assert row.value_sek == 1_000_000
    # 0.4 × 10 + 0.2 × 50 + 0.2 × 10 + 0.2 × 100
    assert row.score == pytest.approx(36)


# The page ------------------------------------------------------------------------------------


def test_the_page_shows_the_formula_the_ranking_and_why(client, reviewer, twenty):
    client.login(reviewer)

    page = client.get("/selection/").get_data(as_text=True)

    formula = "Risk score = 40 % × country + 20 % × answers + 20 % × open findings"
    assert f"{formula} + 20 % × contract value" in page
    table = page.split('id="ranking-table"', 1)[1]
    positions = [table.index(f">{name}</th>") for name, _, _ in EXPECTED]
    assert positions == sorted(positions)
    cobalt = table.split(">Cobalt Systems Ltd</th>", 1)[1].split("</tr>", 1)[0]
    assert "<strong>70</strong>" in cobalt
    assert "Bangladesh <strong>not in the table</strong>" in cobalt
    assert "Taiwan 35" in cobalt
    assert "no accepted response" in cobalt
    assert "25,000,000 SEK" in cobalt
    assert "<strong>Proposed</strong>" in cobalt
    aurora = table.split(">Aurora Data AB</th>", 1)[1].split("</tr>", 1)[0]
    assert "50 % of the points in Tender" in aurora
    assert "1 major" in aurora
    assert "(adds 30)" in aurora  # the country part, 75 × 40 %
    elnet = table.split(">Elnet Nordic AB</th>", 1)[1].split("</tr>", 1)[0]
    assert "If capacity allows" in elnet
    delta = table.split(">Delta Devices GmbH</th>", 1)[1].split("</tr>", 1)[0]
    assert "no factories listed" in delta
    assert "These countries of the suppliers' factories are missing" in page.replace("&#39;", "'")
    assert "20 suppliers have a contract running today." in page
    assert "10 % of them is 2 and 15 % is 3" in page
    assert 'action="/selection/plan"' not in page  # reviewers do not plan


def test_the_shares_are_chosen_in_the_address(client, reviewer, twenty):
    client.login(reviewer)

    page = client.get("/selection/?lower=20&upper=30").get_data(as_text=True)

    proposed = page.split("Proposed for a desktop audit</dt>", 1)[1].split("</dd>", 1)[0]
    assert proposed.count("(") == 4  # 20 % of 20
    assert "Orion Storage AB (54)" in page.split("If capacity allows</dt>", 1)[1]
    assert 'value="20"' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("lower=20&upper=10", "The share if capacity allows cannot be below the share proposed."),
        ("lower=0&upper=10", "Enter a percentage from 1 to 100."),
        ("lower=abc&upper=15", "Enter a percentage from 1 to 100."),
        ("lower=10&upper=" + "9" * 30, "The number is too large."),
    ],
)
def test_shares_that_make_no_sense_are_explained_and_the_defaults_used(
    client, reviewer, twenty, query, message
):
    client.login(reviewer)

    page = client.get(f"/selection/?{query}").get_data(as_text=True)

    assert message in page
    assert "10 % of them is 2 and 15 % is 3" in page


def test_the_admin_plans_one_desktop_audit_per_supplier_and_contract_period(
    client, admin, twenty, version
):
    cobalt = twenty["Cobalt Systems Ltd"]
    second = make_contract(
        cobalt,
        version,
        by=admin,
        value_sek=0,
        starts_on=TODAY - timedelta(days=10),
        ends_on=TODAY + timedelta(days=900),
        reference="RN-COBALT-2",
    )
    client.login(admin)
    page = client.get("/selection/").get_data(as_text=True)
    assert 'action="/selection/plan"' in page

    response = client.submit(
        "/selection/plan",
        {
            "organisations": [str(cobalt.id), str(twenty["Aurora Data AB"].id)],
            "lower": "10",
            "upper": "15",
        },
        page="/selection/",
    )

    assert response.status_code == 302
    audits = {a.organisation_id: a for a in db.session.scalars(db.select(DesktopAudit))}
    assert sorted(audits) == sorted([cobalt.id, twenty["Aurora Data AB"].id])
    audit = audits[cobalt.id]
    assert (audit.year, audit.rank) == (2026, 1)
    assert audit.period_starts_on == TODAY - timedelta(days=200)
    assert audit.period_ends_on == TODAY + timedelta(days=900)  # both contracts, one period
    assert len(audit.contract_ids) == 2
    assert second.id in audit.contract_ids
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Desktop audits planned for 2026: 2." in page
    planned = page.split('id="planned"', 1)[1]
    assert "RN-COBALT-2" in planned.split(">Cobalt Systems Ltd</th>", 1)[1].split("</tr>", 1)[0]
    # Planned this year, they fill the proposal: only the one if capacity allows is left.
    assert "2 desktop audits are already planned for this year" in page
    assert services.ranking().proposed == []
    assert [r.organisation.name for r in services.ranking().capacity] == ["Elnet Nordic AB"]

    # Asking again for the same supplier plans nothing more.
    again = client.submit(
        "/selection/plan",
        {"organisations": [str(cobalt.id)], "lower": "10", "upper": "15"},
        page="/selection/",
    )
    assert again.status_code == 302
    assert db.session.scalar(db.select(db.func.count(DesktopAudit.id))) == 2


def test_next_year_the_audited_supplier_is_passed_over_until_its_period_ends(
    client, admin, twenty, monkeypatch
):
    cobalt = twenty["Cobalt Systems Ltd"]
    client.login(admin)
    client.submit(
        "/selection/plan",
        {"organisations": [str(cobalt.id)], "lower": "10", "upper": "15"},
        page="/selection/",
    )
    next_year = date(2027, 2, 1)
    monkeypatch.setattr(services, "today", lambda: next_year)

    ranking = services.ranking()

    first = ranking.rows[0]
    assert first.organisation.name == "Cobalt Systems Ltd"
    assert first.proposal is None
    assert first.audit.year == 2026
    assert [r.organisation.name for r in ranking.proposed] == ["Aurora Data AB", "Elnet Nordic AB"]


def test_a_planned_audit_can_be_removed(client, admin, twenty):
    cobalt = twenty["Cobalt Systems Ltd"]
    client.login(admin)
    client.submit(
        "/selection/plan",
        {"organisations": [str(cobalt.id)], "lower": "10", "upper": "15"},
        page="/selection/",
    )
    audit = db.session.scalar(db.select(DesktopAudit))

    response = client.submit(f"/selection/audits/{audit.id}/cancel", page="/selection/")

    assert response.status_code == 302
    assert db.session.scalar(db.select(DesktopAudit)) is None
    assert (
        client.submit(f"/selection/audits/{audit.id}/cancel", page="/selection/").status_code == 404
    )


def test_planning_nobody_or_a_stranger_plans_nothing(client, admin, twenty, supplier_b):
    client.login(admin)

    for chosen in ([], [str(supplier_b.id)], ["abc"]):
        response = client.submit(
            "/selection/plan",
            {"organisations": chosen, "lower": "10", "upper": "15"},
            page="/selection/",
            follow_redirects=True,
        )
        page = response.get_data(as_text=True)
        assert "Choose at least one supplier." in page or "is not a valid choice" in page

    assert db.session.scalar(db.select(DesktopAudit)) is None


# Downloads and access ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_ranking_downloads_with_its_parts(client, reviewer, twenty, fmt):
    db.session.get(
        type(twenty["Bergström IT AB"]), twenty["Bergström IT AB"].id
    ).name = "=cmd|' /C calc'!A0"
    db.session.commit()
    client.login(reviewer)

    response = client.get(f"/selection/ranking.{fmt}?lower=10&upper=15")

    assert response.headers["Content-Disposition"] == f'attachment; filename="risk-ranking.{fmt}"'
    rows = read_rows(response.data, f"risk-ranking.{fmt}")
    assert rows[0][:7] == [
        "Rank",
        "Supplier",
        "Risk score",
        "Country",
        "Answers",
        "Open findings",
        "Contract value",
    ]
    assert rows[1][:7] == ["1", "Cobalt Systems Ltd", "70", "100", "100", "0", "50"]
    assert rows[1][7:10] == ["BD", "BD, TW", "BD"]
    assert rows[1][-1] == "Proposed"
    assert rows[3][-1] == "If capacity allows"
    assert rows[20][1] == "'=cmd|' /C calc'!A0"  # last, and no formula


@pytest.mark.parametrize("path", ["/selection/", "/selection/ranking.csv"])
def test_suppliers_never_see_the_ranking(client, owner_a, path):
    client.login(owner_a)

    assert client.get(path).status_code == 403


def test_reviewers_may_not_plan(client, reviewer, twenty):
    client.login(reviewer)
    token = csrf_token_from(client.get("/accessibility").get_data(as_text=True))

    response = client.post("/selection/plan", data={"csrf_token": token, "organisations": ["1"]})

    assert response.status_code == 403


def test_an_empty_ranking_says_so(client, reviewer, today):
    client.login(reviewer)

    page = client.get("/selection/").get_data(as_text=True)

    assert "No supplier has a contract running today." in page
    assert "0 suppliers have a contract running today." in page
