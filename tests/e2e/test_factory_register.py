"""A supplier imports a real-shaped factory list in the browser, fixes the preview, confirms,
and looks at the list as it stood on an earlier date; and imports its own system's export,
matching the columns once."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.factories import services as factory_services
from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in, sign_in_with_password
from tests.fixtures.builders import make_factory, make_org, make_user
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
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_label("Factory list (CSV or XLSX)").set_input_files(SAMPLES / "problems.xlsx")
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    preview_url = page.url
    rows = page.get_by_role("table", name="Rows of the file")
    atlantis = rows.get_by_role("row").filter(has_text="Atlantis Optics")
    expect(atlantis).to_contain_text("'Atlantis' is not a country we recognise")
    expect(atlantis).to_contain_text("1 Sunken Road")  # each row's address
    expect(rows.get_by_role("row").filter(has_text="Chennai Server Assembly")).to_contain_text(
        "Country"
    )
    # At 1280 px the problems read as sentences, not a word per line, in full view.
    problems = atlantis.get_by_role("cell").last.bounding_box()
    region = page.get_by_role("region", name="Rows of the file").bounding_box()
    assert problems["width"] >= 300
    assert problems["x"] + problems["width"] <= region["x"] + region["width"] + 1
    # The near-duplicate of row 2 is left out unless the supplier keeps it.
    duplicate = page.get_by_label("Keep row 3 (otherwise left out as a duplicate)")
    expect(duplicate).not_to_be_checked()
    assert_accessible(page)

    # Confirming with errors left is refused, and nothing is written.
    page.get_by_role("button", name="Add the factories").click()
    expect(page.get_by_role("alert")).to_contain_text("Rows with errors must be fixed")
    page.get_by_role("navigation").get_by_role("link", name="Factory list").click()
    expect(page.get_by_text("No factories on this date.")).to_be_visible()
    page.goto(preview_url)

    # Leave out every row with an error, then confirm.
    for box in page.get_by_role("checkbox", name=re.compile(r"^Leave row \d+ out$")).all():
        box.check()
    page.get_by_role("button", name="Add the factories").click()
    expect(page.get_by_role("status").first).to_contain_text("3 factories were added")
    table = page.get_by_role("table", name="Factories")
    kunshan = table.get_by_role("link", name="Kunshan Mainboard Manufacturing", exact=True)
    expect(kunshan).to_have_count(1)
    expect(table).to_contain_text("Nordic Final Assembly Oy")
    assert_accessible(page)

    # The Kunshan factory left the supply chain last year.
    kunshan.click()
    page.get_by_label("Left the supply chain on").fill("2025-06-30")
    page.get_by_role("button", name="Record the date it left").click()
    page.get_by_label("Show the list as it stood on").fill("2025-01-15")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="In the supply chain on 15 Jan 2025")).to_be_visible()
    expect(page.get_by_role("table", name="Factories")).to_contain_text(
        "Kunshan Mainboard Manufacturing"
    )
    assert_accessible(page)


def test_an_export_with_its_own_headings_is_matched_once(page, live_server):
    with live_server.db():
        email = make_user(make_org(OrgKind.RESELLER), Role.SUPPLIER_OWNER).email
    sign_in_with_password(page, email)
    page.goto("/factories/import")
    erp = SAMPLES / "erp-export-german-cp1252.csv"
    page.get_by_label("Factory list (CSV or XLSX)").set_input_files(erp)
    page.get_by_role("button", name="Upload and check").click()

    # Each column of the file, with its first values and the importer's guess.
    expect(page.get_by_role("heading", level=1)).to_have_text("Match the columns")
    columns = page.get_by_role("table", name="Columns of the file")
    expect(columns.get_by_role("row").filter(has_text="Anschrift")).to_contain_text(
        "Hauptstraße 5, 80331 München"
    )
    expect(page.get_by_label("Werk")).to_have_value("name")
    expect(page.get_by_label("Anschrift")).to_have_value("address")
    expect(page.get_by_label("Land")).to_have_value("country")
    expect(page.get_by_label("Fac. type")).to_have_value("role")
    expect(page.get_by_label("Mitarbeiter")).to_have_value("")
    assert_accessible(page)

    # By keyboard: choose what the guess left out, then on to the preview.
    page.get_by_label("Mitarbeiter").focus()
    page.keyboard.type("Number of workers")
    expect(page.get_by_label("Mitarbeiter")).to_have_value("workers")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Read the rows with these columns")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    rows = page.get_by_role("table", name="Rows of the file")
    expect(rows.get_by_role("row").filter(has_text="Müller Präzision GmbH")).to_contain_text(
        "Hauptstraße 5, 80331 München"
    )
    expect(page.get_by_text("Columns not used: Bemerkung")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Add the factories").click()
    expect(page.get_by_role("status").first).to_contain_text("3 factories were added")

    # Next time the same headings go straight to the preview, matched as before.
    page.goto("/factories/import")
    page.get_by_label("Factory list (CSV or XLSX)").set_input_files(erp)
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    expect(page.get_by_role("main")).to_contain_text(
        "The columns were matched as you matched them for an earlier file"
    )
    page.get_by_role("link", name="Change how the columns are matched").click()
    expect(page.get_by_label("Mitarbeiter")).to_have_value("workers")


def test_a_component_factory_finds_the_factory_it_supplies_in_a_long_register(page, live_server):
    with live_server.db():
        org = make_org(OrgKind.RESELLER)
        owner = make_user(org, Role.SUPPLIER_OWNER)
        for n in range(factory_services.ALL_CHOICES_UP_TO + 20):
            make_factory(org, name=f"Assembly {n:02d}", city="Penang" if n % 2 else "Hanoi")
        email = owner.email
    sign_in(page, email)
    page.goto("/factories/new")
    page.get_by_label("Factory name", exact=True).fill("Kept Board Works")
    page.get_by_label("Country", exact=True).select_option(label="China")
    page.get_by_label("Role in the supply chain").select_option(label="Main component")
    count = page.locator("#find-count")
    expect(count).to_have_text("25 of 70 factories are shown.")
    assert_accessible(page)

    search = page.get_by_label("Find factories by name or city")
    search.fill("assembly 69")
    search.press("Enter")

    expect(count).to_have_text("1 of 1 factory is shown.")
    expect(count).to_be_focused()
    expect(page.get_by_label("Factory name", exact=True)).to_have_value("Kept Board Works")
    page.get_by_label("Final-assembly factory it supplies").select_option(label="Assembly 69")
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status").first).to_contain_text("Kept Board Works is in your")
    page.goto("/factories?q=kept")
    expect(page.get_by_text("Supplies Assembly 69")).to_be_visible()
