"""A finding through plan, proof and closure in the browser: a reviewer (in English) records
it with an audit report, the supplier (in Swedish) sends a corrective action plan, the
reviewer accepts it, the supplier sends proof of the correction, and the reviewer closes the
finding; axe on every page on the way."""

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.factories import services as factory_services
from portal.orgs.models import OrgKind
from portal.roles import Role
from portal.timeutil import utcnow
from tests.e2e.conftest import assert_accessible, sign_in, status
from tests.e2e.journeys import PDF
from tests.fixtures.builders import make_factory, make_org, make_user
from tests.fixtures.web import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def _sign_in_in_swedish(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_a_finding_from_record_to_closure(page, page_sv, live_server, tmp_path):
    tag = uuid.uuid4().hex[:8]
    title = f"Overtime above 60 hours a week {tag}"
    with live_server.db():
        reviewer = make_user(make_org(OrgKind.BUYER, name=f"Region {tag}"), Role.REVIEWER)
        supplier = make_org(OrgKind.RESELLER, name=f"Nordlys {tag} AB")
        owner = make_user(supplier, Role.SUPPLIER_OWNER)
        make_factory(supplier, name=f"Kunshan Assembly {tag}")
        reviewer_login, owner_email = (reviewer.email, reviewer.totp_secret), owner.email
        supplier_name = supplier.name
    report = tmp_path / "Audit report.pdf"
    report.write_bytes(PDF)
    timesheets = tmp_path / "Tidrapporter.pdf"
    timesheets.write_bytes(PDF.replace(b"Count 0", b"Count 0 "))

    # The reviewer records the finding from the start page.
    sign_in(page, *reviewer_login, live_server=live_server)
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Suppliers").click()
    page.get_by_role("link", name="Findings and corrective actions").click()
    assert_accessible(page)
    page.get_by_role("link", name="Record a finding").click()
    page.get_by_label("Supplier").select_option(label=supplier_name)
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Short title").fill(title)
    page.get_by_label("Where it was found").select_option(label="Factory audit")
    found_on = utcnow().date() - timedelta(days=7)
    page.get_by_label("Date of the report or audit").fill(found_on.isoformat())
    page.get_by_label("Contract clause").select_option(label="Working hours")
    page.get_by_label("Factory").select_option(label=f"Kunshan Assembly {tag} (CN)")
    page.get_by_role("button", name="Record the finding").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose the severity.")
    assert_accessible(page)
    page.get_by_label("Major", exact=True).check()
    page.get_by_label("What was found").fill("Workers on line 3 worked 72 hours in one week.")
    page.get_by_label("Evidence documents").set_input_files(report)
    page.get_by_role("button", name="Record the finding").click()
    expect(status(page)).to_contain_text("The finding has been recorded")
    expect(page.get_by_role("link", name="Audit report.pdf")).to_be_visible()
    assert_accessible(page)

    # The supplier, in Swedish, finds it on the start page and sends a plan.
    _sign_in_in_swedish(page_sv, owner_email)
    findings = page_sv.get_by_role("region", name="Avvikelser från regionen")
    expect(findings).to_contain_text("1 avvikelse är öppen.")
    assert_accessible(page_sv)
    findings.get_by_role("link", name="Se era avvikelser och åtgärder").click()
    assert_accessible(page_sv)
    page_sv.get_by_role("link", name=title).click()
    expect(page_sv.get_by_role("heading", level=2, name="Skicka er åtgärdsplan")).to_be_visible()
    assert_accessible(page_sv)
    page_sv.get_by_label("Er åtgärdsplan").fill(
        "Overtime is capped at 12 hours a week; the factory reports the hours monthly."
    )
    page_sv.get_by_role("button", name="Skicka till regionen").click()
    expect(status(page_sv)).to_contain_text("Skickat.")
    expect(page_sv.get_by_role("main")).to_contain_text("Plan väntar på granskning")
    assert_accessible(page_sv)

    # The reviewer accepts the plan.
    page.reload()
    page.get_by_label("Accept the plan").check()
    page.get_by_role("button", name="Save the decision").click()
    expect(status(page)).to_contain_text("Your decision has been saved")
    assert_accessible(page)

    # The supplier sends proof of the correction with a document.
    page_sv.reload()
    expect(page_sv.get_by_role("main")).to_contain_text("Plan godkänd, underlag ska lämnas")
    page_sv.get_by_label("Hur avvikelsen har åtgärdats").fill("Hours now average 58 a week.")
    page_sv.get_by_label("Dokument", exact=True).set_input_files(timesheets)
    page_sv.get_by_role("button", name="Skicka till regionen").click()
    expect(page_sv.get_by_role("link", name="Tidrapporter.pdf")).to_be_visible()
    assert_accessible(page_sv)

    # The reviewer reads the proof, opens its document and closes the finding.
    page.reload()
    with page.expect_download() as download:
        page.get_by_role("link", name="Tidrapporter.pdf").click()
    assert download.value.path().read_bytes() == timesheets.read_bytes()
    page.get_by_label("Accept the proof and close the finding").check()
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_role("main")).to_contain_text("Proof accepted, finding closed")
    assert_accessible(page)

    page_sv.reload()
    expect(page_sv.get_by_role("main")).to_contain_text("Underlaget godkänt, avvikelsen avslutad")
    expect(page_sv.get_by_role("button", name="Skicka till regionen")).to_have_count(0)
    assert_accessible(page_sv)


def test_a_finding_names_a_factory_found_in_a_long_register(page, live_server):
    tag = uuid.uuid4().hex[:8]
    with live_server.db():
        reviewer = make_user(make_org(OrgKind.BUYER, name=f"Region {tag}"), Role.REVIEWER)
        supplier = make_org(OrgKind.BRAND, name=f"Lumenic {tag} Ltd")
        for n in range(factory_services.ALL_CHOICES_UP_TO + 10):
            make_factory(supplier, name=f"Works {tag} {n:02d}")
        reviewer_login, supplier_id = (reviewer.email, reviewer.totp_secret), supplier.id

    sign_in(page, *reviewer_login, live_server=live_server)
    page.goto(f"/review/findings/new/{supplier_id}")
    page.get_by_label("Short title").fill("Overtime above 60 hours a week")
    search = page.get_by_label("Find factories by name or city")
    search.fill(f"works {tag} 59")
    search.press("Enter")  # the form's first button: Find

    count = page.locator("#find-count")
    expect(count).to_have_text("1 of 1 factory is shown.")
    expect(count).to_be_focused()
    expect(page.get_by_label("Short title")).to_have_value("Overtime above 60 hours a week")
    assert_accessible(page)
    page.get_by_label("Factory", exact=True).select_option(label=f"Works {tag} 59 (CN)")
    page.get_by_label("Where it was found").select_option(label="Factory audit")
    page.get_by_label("Date of the report or audit").fill(utcnow().date().isoformat())
    page.get_by_label("Minor", exact=True).check()
    page.get_by_label("What was found").fill("Time records show 66 hours a week.")
    page.get_by_role("button", name="Record the finding").click()

    expect(status(page)).to_contain_text("The finding has been recorded")
    expect(page.get_by_role("main")).to_contain_text(f"Works {tag} 59")
