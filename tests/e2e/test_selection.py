"""The audit selection in the browser: the buyer admin finds countries of the suppliers'
factories missing from the country-risk table, imports the table (a file with a problem is
refused row by row, the corrected one taken), and reads the ranking with its formula and
each supplier's parts, in English and in Swedish."""

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.orgs.models import OrgKind
from portal.roles import Role
from portal.selection import services
from tests.e2e.conftest import assert_accessible, sign_in, status
from tests.fixtures.builders import make_factory, make_org, make_user, publish_version
from tests.fixtures.contracts import make_contract

pytestmark = pytest.mark.browser

HEADER = (
    "Country,Freedom of association,Freedom of association source,Freedom of association year,"
    "Working time,Working time source,Working time year,Gender inequality,"
    "Gender inequality source,Gender inequality year,Overall,Overall source,Overall year\n"
)


def test_the_admin_imports_the_country_risks_and_reads_the_ranking(page, live_server, tmp_path):
    tag = uuid.uuid4().hex[:6]
    riskier, safer = f"Kambo {tag} AB", f"Lugna {tag} AB"
    with live_server.db():
        version = publish_version(1)
        buyer = make_org(OrgKind.BUYER, name=f"Region {tag}")
        admin = make_user(buyer, Role.BUYER_ADMIN)
        login = (admin.email, admin.totp_secret)
        today = services.today()
        for name, country, value in ((riskier, "KH", 9_000_000), (safer, "IS", 1_000_000)):
            org = make_org(OrgKind.RESELLER, name=name)
            make_factory(org, country=country)
            make_contract(
                org,
                version,
                by=admin,
                value_sek=value,
                reference=f"RN-{tag}-{country}",
                starts_on=today - timedelta(days=30),
                ends_on=today + timedelta(days=700),
            )
    bad = tmp_path / "country-risks-bad.csv"
    bad.write_text(
        HEADER + "KH,85,Index A,2024,80,Index B,2024,61,Index C,2024,80,Index D,2024\n"
        "Atlantis,10,Index A,2024,10,Index B,2024,10,Index C,2024,10,Index D,2024\n"
    )
    good = tmp_path / "country-risks.csv"
    good.write_text(
        HEADER + "KH,85,Index A,2024,80,Index B,2024,61,Index C,2024,80,Index D,2024\n"
        "Iceland,5,Index A,2024,10,Index B,2024,6,Index C,2024,5,Index D,2024\n"
    )

    sign_in(page, *login, live_server=live_server)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Suppliers").click()
    page.get_by_role("link", name="Audit selection: suppliers ranked by risk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit selection")
    missing = page.locator("#unknown-countries")
    expect(missing).to_contain_text("Cambodia")
    expect(missing).to_contain_text("Iceland")
    assert_accessible(page)

    page.get_by_role("link", name="Country-risk table", exact=True).first.click()
    page.get_by_role("link", name="Import the table from a file").click()
    page.get_by_label("Country-risk table (CSV or XLSX)").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    problem = (
        page.get_by_role("table", name="Each problem with its row and column")
        .get_by_role("row")
        .nth(1)
    )
    expect(problem).to_contain_text("3")
    expect(problem).to_contain_text("“Atlantis” is not a country in ISO 3166.")
    assert_accessible(page)

    page.get_by_label("Country-risk table (CSV or XLSX)").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    expect(status(page)).to_contain_text("2 countries added")
    table = page.get_by_role("table", name="Each country's figures")
    expect(table.get_by_role("row", name="Cambodia")).to_contain_text(
        "76.5"
    )  # (85 + 80 + 61 + 80) / 4
    assert_accessible(page)

    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Audit selection", exact=True
    ).click()
    expect(page.locator("#unknown-countries")).to_have_count(0)
    expect(page.get_by_text("Risk score = 40 % × country")).to_be_visible()
    ranking = page.get_by_role("table", name="Contracted suppliers by risk score")
    row = ranking.get_by_role("row", name=riskier)
    expect(row).to_contain_text("Cambodia 76.5")
    expect(row).to_contain_text("no accepted response")
    below = ranking.get_by_role("row", name=safer)
    expect(below).to_contain_text("Iceland 6.5")
    assert_accessible(page)

    page.get_by_role("button", name="På svenska").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Urval för granskning")
    expect(page.get_by_text("Riskpoäng = 40 % × land")).to_be_visible()
    rangordning = page.get_by_role("table", name="Leverantörer med avtal efter riskpoäng")
    expect(rangordning.get_by_role("row", name=riskier)).to_contain_text("inget godkänt svar")
    assert_accessible(page)
