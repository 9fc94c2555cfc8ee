"""A supplier imports its factories from an Open Supply Hub download and exports the list again
in Open Supply Hub's layout, whose headers are OSH's own (tests/fixtures/osh/README.md names the
OSH source they were taken from)."""

import csv
import io
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in_with_password
from tests.fixtures.builders import make_org, make_user

pytestmark = pytest.mark.browser
OSH = Path(__file__).parent.parent / "fixtures" / "osh"


def test_import_an_osh_download_and_export_in_osh_layout(page, live_server):
    with live_server.db():
        owner = make_user(make_org(OrgKind.RESELLER), Role.SUPPLIER_OWNER)
        email = owner.email
    sign_in_with_password(page, email)
    page.get_by_role("navigation").get_by_role("link", name="Factory list").click()
    page.get_by_role("link", name="Import from a file").click()
    page.get_by_label("Factory list (CSV or XLSX)").set_input_files(OSH / "download.csv")
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    rows = page.get_by_role("table", name="Rows of the file")
    expect(rows.get_by_role("row").filter(has_text="Ayutthaya Example Battery")).to_contain_text(
        "closed"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Add the factories").click()
    expect(page.get_by_role("status").first).to_contain_text("4 factories were added")
    table = page.get_by_role("table", name="Factories")
    expect(table).to_contain_text("Part of Example Computer Holdings Ltd.")
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_text("In Open Supply Hub's layout:").get_by_role("link", name="CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(text)))
    accepted = json.loads((OSH / "list_columns.json").read_text())
    download_headers = json.loads((OSH / "download_columns.json").read_text())["headers"]
    assert set(exported[0]) <= set(accepted["accepted"]) | set(download_headers)
    assert set(accepted["required"]) <= set(exported[0])
    by_id = {row["os_id"]: row for row in exported}
    assert set(by_id) == {
        "CN2019303BQ3FZP",
        "VN2021145K7W2PQ",
        "TW2020078HX3M9C",
        "TH2019211R5T8NZ",
    }
    kunshan = by_id["CN2019303BQ3FZP"]
    assert kunshan["facility_type"] == "Final Product Assembly"
    assert kunshan["number_of_workers"] == "100-900"
    assert kunshan["parent_company"] == "Example Computer Holdings Ltd."
    assert (kunshan["lat"], kunshan["lng"]) == ("31.3856", "120.981")
    assert by_id["TW2020078HX3M9C"]["native_language_name"] == "新竹範例顯示器股份有限公司"

    # The edit form shows the parent company and the coordinates it was imported with.
    table.get_by_role("link", name="Kunshan Example Computer Co. Ltd.", exact=True).click()
    expect(page.get_by_label("Parent company")).to_have_value("Example Computer Holdings Ltd.")
    expect(page.get_by_label("Latitude")).to_have_value("31.3856")
    page.get_by_label("Longitude").fill("200")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("from -180 to 180")
    assert_accessible(page)
