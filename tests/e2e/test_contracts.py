"""Contracts in the browser: the buyer administrator adds a contract (a wrong end date is
named first), asks for its report and finds it requested in the list, and the supplier, in
Swedish, finds the request and its way to the report."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.orgs.models import OrgKind
from portal.roles import Role
from portal.timeutil import utcnow
from tests.e2e.conftest import assert_accessible, error_summary, sign_in, status
from tests.fixtures.builders import make_org, make_user, publish_shipped
from tests.fixtures.web import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def test_admin_adds_a_contract_and_requests_its_report(page, page_sv, live_server):
    today = utcnow().date()
    starts_on = today - timedelta(days=160)
    with live_server.db():
        publish_shipped("ict-social-report", 1)
        buyer = make_org(OrgKind.BUYER, name="Region Testland")
        admin = make_user(buyer, Role.BUYER_ADMIN)
        supplier = make_org(OrgKind.RESELLER, name="Alfa Data AB")
        owner = make_user(supplier, Role.SUPPLIER_OWNER)
        admin_email, secret, owner_email = admin.email, admin.totp_secret, owner.email

    sign_in(page, admin_email, secret, live_server=live_server)
    page.get_by_role("link", name="Contracts and their reports").click()
    page.get_by_role("link", name="Add a contract").click()
    expect(page.get_by_label("Report due, in months after the start")).to_have_value("6")
    assert_accessible(page)
    page.get_by_label("Supplier").select_option(label="Alfa Data AB")
    page.get_by_label("Contract reference").fill("RN-2026-0142")
    page.get_by_label("Title").fill("Laptops for the hospitals")
    page.get_by_label("Category").select_option(label="PCs")
    page.get_by_label("Value (SEK)").fill("12 500 000")
    page.get_by_label("Start date").fill(starts_on.isoformat())
    page.get_by_label("End date").fill(starts_on.isoformat())
    page.get_by_label("Brands delivered").fill("Lumenic\nOrbis")
    page.get_by_role("button", name="Save").click()
    expect(error_summary(page)).to_contain_text("The contract must end after it starts.")
    assert_accessible(page)
    page.get_by_label("End date").fill((starts_on + timedelta(days=730)).isoformat())
    page.get_by_role("button", name="Save").click()
    expect(status(page)).to_have_text("The contract RN-2026-0142 has been added.")
    due = page.get_by_role("definition").filter(has_text="6 months after the start")
    expect(due).to_be_visible()
    closes_on = today + timedelta(days=30)
    page.get_by_label("Closing date").fill(closes_on.isoformat())
    page.get_by_role("button", name="Request the report").click()
    expect(status(page)).to_contain_text("The report has been requested from Alfa Data AB")
    expect(page.get_by_role("main")).to_contain_text("Requested: answer by")
    assert_accessible(page)
    # The list of contracts shows where each report stands.
    page.get_by_role("navigation").get_by_role("link", name="Contracts").click()
    expect(page.get_by_role("row").filter(has_text="RN-2026-0142")).to_contain_text("Requested")
    assert_accessible(page)

    page_sv.goto("/login")
    page_sv.locator("#email").fill(owner_email)
    page_sv.locator("#password").fill(DEFAULT_PASSWORD)
    page_sv.get_by_role("button", name="Logga in", exact=True).click()
    page_sv.get_by_role("link", name="Era avtal och avtalsrapporter").click()
    row = page_sv.get_by_role("row").filter(has_text="RN-2026-0142")
    expect(row).to_contain_text("Begärd: svara senast")
    assert_accessible(page_sv)
    row.get_by_role("link", name="Gå till rapporten").click()
    expect(page_sv.get_by_role("heading", level=1)).to_contain_text("Laptops for the hospitals")
    assert_accessible(page_sv)
