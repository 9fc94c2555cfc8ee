"""The buyer reads a market dialogue's maturity in the browser, in English and in Swedish:
chart, table, advice and comments; the admin raises the requirement threshold."""

import pytest
from playwright.sync_api import expect

from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in, status
from tests.fixtures.builders import make_org, make_user, publish_version
from tests.test_market_maturity import market_round

pytestmark = pytest.mark.browser


def test_the_buyer_reads_the_market_maturity_in_both_languages(page, live_server):
    with live_server.db():
        version = publish_version(1, key="market")
        market_round(version, 40, title="Market dialogue laptops")
        buyer = make_org(OrgKind.BUYER, name="Region Mognad")
        admin = make_user(buyer, Role.BUYER_ADMIN)
        admin_login = (admin.email, admin.totp_secret)

    sign_in(page, *admin_login, live_server=live_server)
    page.get_by_role("navigation").get_by_role("link", name="Market maturity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Market maturity")
    assert_accessible(page)

    page.get_by_role("link", name="Market dialogue laptops", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Market maturity: Market dialogue laptops"
    )
    chart = page.get_by_role("img", name="Share of respondents meeting each criterion today")
    expect(chart).to_be_visible()
    table = page.get_by_role("table", name="Each criterion")
    expect(table.get_by_role("row", name="Transparency")).to_contain_text(
        "Ready to be a mandatory requirement"
    )
    expect(table.get_by_role("row", name="Minerals policy")).to_contain_text(
        "Milestone path and more dialogue"
    )
    expect(page.get_by_role("main")).to_contain_text("High effort for few award points")
    expect(page.get_by_role("main")).to_contain_text("Committees take time (25).")
    assert_accessible(page)

    page.get_by_label("Mandatory requirement from (percent meeting it)").fill("70")
    page.get_by_role("button", name="Save the thresholds").click()
    expect(status(page)).to_have_text("The thresholds are saved.")
    expect(table.get_by_role("row", name="Transparency")).to_contain_text("Award criterion")
    assert_accessible(page)

    page.get_by_role("button", name="På svenska").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Marknadsmognad: Market dialogue laptops"
    )
    expect(
        page.get_by_role("img", name="Andel svarande som uppfyller varje kriterium i dag")
    ).to_be_visible()
    expect(page.get_by_role("table", name="Varje kriterium")).to_contain_text("Tilldelningspoäng")
    assert_accessible(page)
