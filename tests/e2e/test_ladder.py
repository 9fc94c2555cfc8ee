"""A reviewer marks a ladder milestone in the browser, then one for a single brand; the buyer's
chart shows the climb; the supplier sees its step, each brand's, and what the next one asks."""

import pyotp
import pytest
from playwright.sync_api import expect

from portal.auth.models import User
from portal.extensions import db
from portal.ladder import services
from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible
from tests.fixtures.builders import make_factory, make_org, make_user
from tests.fixtures.web import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def _publish_ladder(live_server) -> int:
    """Publish every shipped ladder version; the newest is the one marked. Returns its top
    step."""
    with live_server.db():
        services.publish(1)
        version, _ = services.publish(2)
        return version.ladder.top


def _sign_in(page, email: str, totp_secret: str | None = None) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if totp_secret:
        page.get_by_label("Code", exact=True).fill(pyotp.TOTP(totp_secret).now())
        page.get_by_role("button", name="Continue").click()


def _allow_new_code(user_id: int, live_server) -> None:
    """A code's 30-second step is never accepted twice: forget the step used."""
    with live_server.db():
        db.session.get(User, user_id).totp_last_step = None


def test_a_reviewer_marks_a_milestone_and_the_supplier_sees_its_step(page, live_server):
    top = _publish_ladder(live_server)
    with live_server.db():
        buyer = make_org(OrgKind.BUYER, name="Region Stegen")
        reviewer = make_user(buyer, Role.REVIEWER, full_name="Rita Reviewer")
        supplier = make_org(OrgKind.RESELLER, name="Ladder Climb AB")
        make_factory(supplier, brands=["Lumenic", "Orbis"])
        owner = make_user(supplier, Role.SUPPLIER_OWNER)
        reviewer_id, reviewer_email, secret = reviewer.id, reviewer.email, reviewer.totp_secret
        owner_email = owner.email

    _allow_new_code(reviewer_id, live_server)
    _sign_in(page, reviewer_email, secret)
    page.get_by_role("navigation").get_by_role("link", name="Ladder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The worker-empowerment ladder")
    assert_accessible(page)

    page.get_by_role("link", name="Ladder Climb AB").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ladder marks for Ladder Climb AB")
    assert_accessible(page)

    # Sending nothing explains what is missing.
    page.get_by_role("button", name="Record the marks").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose a status for at least one milestone.")
    assert_accessible(page)

    step_one = page.get_by_role("group", name="Step 1: A policy on freedom of association")
    step_one.get_by_label("Status").select_option("achieved")
    step_one.get_by_label("Holds from").fill("2025-03-01")
    step_one.get_by_label("Evidence in words").fill("Policy on notice boards in Chinese, seen.")
    step_one.get_by_label("Note to the supplier").fill("Well communicated.")
    page.get_by_role("button", name="Record the marks").click()
    expect(page.get_by_role("status")).to_have_text("Marks recorded: 1.")
    history = page.get_by_role("table", name="Every mark for this supplier, newest first")
    expect(history).to_contain_text("Policy on notice boards in Chinese, seen.")
    expect(history).to_contain_text("Rita Reviewer")
    assert_accessible(page)

    # One brand climbs a step further; the supplier stays where all its brands are.
    page.get_by_label("Marks for").select_option("Orbis")
    step_two = page.get_by_role("group", name="Step 2: Workers are trained")
    step_two.get_by_label("Status").select_option("achieved")
    step_two.get_by_label("Holds from").fill("2025-04-01")
    step_two.get_by_label("Evidence in words").fill("Training records for the Orbis line.")
    page.get_by_role("button", name="Record the marks").click()
    expect(page.get_by_role("status")).to_have_text("Marks recorded: 1.")
    expect(page.get_by_text(f"Step 1 of {top}:")).to_be_visible()
    brands = page.get_by_role("table", name="Step of each brand")
    expect(brands.get_by_role("row", name="Orbis")).to_contain_text("2")
    expect(brands.get_by_role("row", name="Lumenic")).to_contain_text("1")
    expect(step_two).to_contain_text("Marked for Orbis: Achieved (1 Apr 2025).")
    assert_accessible(page)

    # The buyer's overview now has the climb chart and its table.
    page.get_by_role("navigation").get_by_role("link", name="Ladder").click()
    expect(page.get_by_role("img", name="Ladder step of each supplier over time")).to_be_visible()
    climb = page.get_by_role("table", name="The chart's data")
    expect(climb.get_by_role("row", name="Ladder Climb AB").first).to_contain_text("1 Mar 2025")
    standing = page.get_by_role("table", name="The ladder step of each supplier now")
    expect(standing.get_by_role("row", name="Ladder Climb AB")).to_contain_text("Orbis: step 2")
    assert_accessible(page)

    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    _sign_in(page, owner_email)
    page.get_by_role("navigation").get_by_role("link", name="Ladder").click()
    expect(page.get_by_text(f"Step 1 of {top}:")).to_be_visible()
    expect(
        page.get_by_role("table", name="Step of each brand").get_by_role("row", name="Orbis")
    ).to_contain_text("2")
    expect(
        page.get_by_role(
            "heading", name="Step 2: Workers are trained on their rights and on process chemicals"
        )
    ).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Training record")).to_be_visible()
    expect(page.get_by_role("table", name="The milestones of the ladder")).to_contain_text(
        "Well communicated."
    )
    assert_accessible(page)


def test_the_supplier_reads_the_ladder_in_swedish(page_sv, live_server):
    _publish_ladder(live_server)
    with live_server.db():
        owner = make_user(make_org(OrgKind.BRAND, name="Svensk Stege AB"), Role.SUPPLIER_OWNER)
        email = owner.email
    page_sv.goto("/login")
    page_sv.get_by_label("E-postadress").fill(email)
    page_sv.get_by_label("Lösenord", exact=True).fill(DEFAULT_PASSWORD)
    page_sv.get_by_role("main").get_by_role("button", name="Logga in").click()
    expect(page_sv.get_by_role("heading", level=1)).to_have_text("Svensk Stege AB")
    page_sv.goto("/ladder")
    expect(page_sv.get_by_role("heading", level=1)).to_have_text(
        "Trappan för arbetstagarinflytande"
    )
    expect(page_sv.locator("html")).to_have_attribute("lang", "sv")
    assert_accessible(page_sv)
