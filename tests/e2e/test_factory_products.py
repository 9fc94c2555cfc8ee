"""A supplier ties a component factory to the product models and the factory it supplies,
gives its workforce make-up, sees the list as it stood the day before, and records when the
list was confirmed with a brand."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portal.factories.services import today
from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in_with_password
from tests.fixtures.builders import make_factory, make_org, make_user

pytestmark = pytest.mark.browser


def test_a_factory_tied_to_products_its_history_and_a_brand_confirmation(page, live_server):
    with live_server.db():
        organisation = make_org(OrgKind.RESELLER)
        email = make_user(organisation, Role.SUPPLIER_OWNER).email
        make_factory(organisation, name="Lumen Assembly", country="VN", brands=["Lumenic"])
        make_factory(
            organisation,
            name="Kunshan Boards",
            role="main_component",
            entered_on=date(2024, 1, 1),
            product_models="Lumen 13 board",
        )
    sign_in_with_password(page, email)
    page.goto("/factories")
    page.get_by_role("table", name="Factories").get_by_role(
        "link", name="Kunshan Boards", exact=True
    ).click()

    page.get_by_label("Product models it makes for the contract").fill("Lumen 14 board")
    page.get_by_label("Final-assembly factory it supplies").select_option(label="Lumen Assembly")
    page.get_by_label("Women (%)").fill("120")
    page.get_by_label("Migrant workers (%)").fill("30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Enter a whole percentage from 0 to 100, such as 45."
    )
    expect(page.get_by_label("Women (%)")).to_have_value("120")
    assert_accessible(page)
    page.get_by_label("Women (%)").fill("45")
    page.get_by_role("button", name="Save").click()

    table = page.get_by_role("table", name="Factories")
    boards = table.get_by_role("row").filter(has_text="Kunshan Boards")
    expect(boards).to_contain_text("Supplies Lumen Assembly")
    expect(boards).to_contain_text("Lumen 14 board")
    expect(boards).to_contain_text("Women: 45%")
    expect(boards).to_contain_text("Migrant workers: 30%")
    assert_accessible(page)

    # The day before, the factory's details were those it had then.
    yesterday = today() - timedelta(days=1)
    page.get_by_label("Show the list as it stood on").fill(yesterday.isoformat())
    page.get_by_role("button", name="Show").click()
    earlier = page.get_by_role("table", name="Factories").get_by_role("row")
    earlier = earlier.filter(has_text="Kunshan Boards")
    expect(earlier).to_contain_text("Lumen 13 board")
    expect(earlier).not_to_contain_text("Women: 45%")
    page.get_by_role("link", name="Back to today").click()

    # The list was confirmed with the brand its assembly factory names.
    expect(page.get_by_text("Not yet confirmed with Lumenic")).to_be_visible()
    page.get_by_label("Brand", exact=True).select_option("Lumenic")
    page.get_by_label("Confirmed on").fill(yesterday.isoformat())
    page.get_by_role("button", name="Record the date").click()
    expect(page.get_by_role("status").first).to_contain_text("confirmed with Lumenic")
    confirmed = f"Confirmed with Lumenic on {yesterday:%-d %b %Y}"
    expect(page.get_by_role("listitem").filter(has_text=confirmed)).to_be_visible()
    assert_accessible(page)
