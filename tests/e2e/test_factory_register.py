"""A supplier imports a real-shaped factory list in the browser, fixes the preview, confirms,
and looks at the list as it stood on an earlier date."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.auth.models import Role
from portal.orgs.models import OrgKind
from tests.e2e.conftest import assert_accessible
from tests.fixtures.builders import make_org, make_user
from tests.fixtures.web import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser
SAMPLES = Path(__file__).parent.parent / "fixtures" / "factory-lists"


def test_upload_preview_fix_confirm_and_look_back(page, live_server):
    with live_server.db():
        owner = make_user(make_org(OrgKind.RESELLER), Role.SUPPLIER_OWNER)
        email = owner.email
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation").get_by_role("link", name="Factory list").click()
    assert_accessible(page)

    page.get_by_role("link", name="Import from a file").click()
    assert_accessible(page)
    page.get_by_label("Factory list (CSV or XLSX)").set_input_files(SAMPLES / "problems.xlsx")
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    preview_url = page.url
    rows = page.get_by_role("table", name="Rows of the file")
    expect(rows.get_by_role("row").filter(has_text="Atlantis Optics")).to_contain_text("Atlantis")
    expect(rows.get_by_role("row").filter(has_text="Chennai Server Assembly")).to_contain_text(
        "Country"
    )
    assert_accessible(page)

    # Confirming with errors left is refused, and nothing is written.
    page.get_by_role("button", name="Add the factories").click()
    expect(page.get_by_role("alert")).to_contain_text("Rows with errors must be fixed")
    page.get_by_role("navigation").get_by_role("link", name="Factory list").click()
    expect(page.get_by_text("No factories on this date.")).to_be_visible()
    page.goto(preview_url)

    # Leave out every row with an error, then confirm.
    for box in page.get_by_role("checkbox").all():
        box.check()
    page.get_by_role("button", name="Add the factories").click()
    expect(page.get_by_role("status").first).to_contain_text("factories were added")
    table = page.get_by_role("table", name="Factories")
    expect(table).to_contain_text("Kunshan Mainboard Manufacturing")
    expect(table).to_contain_text("Nordic Final Assembly Oy")
    assert_accessible(page)

    # The Kunshan factory left the supply chain last year.
    table.get_by_role("link", name="Kunshan Mainboard Manufacturing").first.click()
    page.get_by_label("Left the supply chain on").fill("2025-06-30")
    page.get_by_role("button", name="Record the date it left").click()
    page.get_by_label("Show the list as it stood on").fill("2025-01-15")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="In the supply chain on 2025-01-15")).to_be_visible()
    expect(page.get_by_role("table", name="Factories")).to_contain_text(
        "Kunshan Mainboard Manufacturing"
    )
    assert_accessible(page)
