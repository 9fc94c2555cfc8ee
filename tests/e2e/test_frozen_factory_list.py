"""A reviewer reads a long factory list frozen into a submitted response: the review page
shows its first factories and links to the whole list, which is searched, sorted and paged
with the keyboard, and leads back to the answer."""

import pytest
from playwright.sync_api import expect

from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in
from tests.fixtures.builders import make_factory, make_org, make_user
from tests.fixtures.review import submitted_shipped_response

pytestmark = pytest.mark.browser


def test_a_reviewer_searches_and_pages_a_long_frozen_list(page, live_server):
    with live_server.db():
        buyer = make_org(OrgKind.BUYER)
        reviewer = make_user(buyer, Role.REVIEWER)
        org = make_org(OrgKind.RESELLER, name="Long List AB")
        owner = make_user(org, Role.SUPPLIER_OWNER)
        for n in range(120):
            make_factory(org, name=f"Works {n:03d}", city="Penang" if n % 4 else "Hanoi")
        response = submitted_shipped_response(org, owner, opened_by=reviewer)
        ids = {"reviewer": (reviewer.email, reviewer.totp_secret), "response": response.id}

    sign_in(page, *ids["reviewer"], live_server=live_server)
    page.goto(f"/review/responses/{ids['response']}")
    expect(page.get_by_role("table", name="the first 20")).to_be_visible()
    link = page.get_by_role("link", name="See all 122 factories, with search and sorting")
    link.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Factory list of Long List AB")
    expect(page.get_by_text("Showing 1–100 of 122")).to_be_visible()
    assert_accessible(page)
    search = page.get_by_label("Name or city contains")
    search.fill("hanoi")
    page.get_by_label("Sort by").select_option(label="Name")
    page.get_by_label("Order").select_option(label="Descending")
    search.focus()
    page.keyboard.press("Enter")

    table = page.get_by_role("table", name="30 factories match")
    expect(table).to_be_visible()
    expect(table.get_by_role("rowheader").first).to_contain_text("Works 116")
    assert "q=hanoi" in page.url
    assert "sort=name" in page.url
    page.get_by_role("link", name="Clear the filters").click()
    page.get_by_role("navigation", name="Pages of the factory list").get_by_role(
        "link", name="Next page"
    ).click()
    expect(page.get_by_text("Showing 101–122 of 122")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Back to the review").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Long List AB")
