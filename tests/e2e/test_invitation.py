"""Invitations in the browser: a buyer administrator adds a supplier organisation and invites
its first owner, who accepts in another browser and then invites a colleague."""

import re
import uuid

import pyotp
import pytest
from playwright.sync_api import expect

from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible
from tests.e2e.conftest import error_summary as _error_summary
from tests.e2e.conftest import sign_in_with_password as _sign_in_with_password
from tests.e2e.conftest import status as _status
from tests.fixtures.builders import make_org, make_user
from tests.fixtures.web import link_in

pytestmark = pytest.mark.browser

#: What follows the page's own name in every <title>.
SITE = " \N{EN DASH} Fair ICT supplier portal"


@pytest.fixture
def other_browser(chromium, live_server):
    """Opens a page in a new browser context: no cookies shared with `page`."""
    contexts = []

    def open_page():
        context = chromium.new_context(base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def _invitation_link(live_server, email: str) -> str:
    messages = live_server.mail_to(email)
    assert len(messages) == 1, [m["To"] for m in live_server.outbox]
    return link_in(messages[0], "/invitation/")


def _accept(page, link: str, full_name: str, password: str) -> None:
    page.goto(link)
    page.get_by_label("Your full name").fill(full_name)
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("Repeat the new password").fill(password)
    page.get_by_role("button", name="Create account").click()


def test_admin_invites_a_supplier_owner_who_invites_a_colleague(page, other_browser, live_server):
    tag = uuid.uuid4().hex[:8]
    org_name = f"Gamma Data {tag} AB"
    owner_email = f"owner-{tag}@gamma.example.com"
    colleague_email = f"colleague-{tag}@gamma.example.com"
    owner_password = "violet kettle under moonlight"
    colleague_password = "seven quiet harbour lamps"

    with live_server.db():
        buyer = make_org(OrgKind.BUYER, name="Region Testland")
        admin = make_user(buyer, Role.BUYER_ADMIN, full_name="Ada Admin")
        admin_email, secret = admin.email, admin.totp_secret

    # The administrator signs in with a code from the app and opens Organisations.
    _sign_in_with_password(page, admin_email)
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Organisations"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")
    assert_accessible(page)

    # Add a supplier organisation; a wrong check digit is caught and linked to its field.
    page.get_by_role("link", name="Add a supplier organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a supplier organisation")
    assert_accessible(page)
    page.get_by_label("Kind of supplier").select_option(label="Reseller")
    page.get_by_label("Name", exact=True).fill(org_name)
    number = page.get_by_label("Swedish organisation number")
    number.fill("556677-8890")
    expect(page.get_by_label("Country of registration")).to_have_value("SE")
    page.get_by_label("Contact e-mail address").fill(f"info-{tag}@gamma.example.com")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_title(f"Error: Add a supplier organisation{SITE}")
    summary = _error_summary(page)
    expect(summary).to_be_focused()
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name", exact=True)).to_have_value(org_name)
    assert_accessible(page)
    summary.get_by_role(
        "link", name=re.compile("^This is not a valid Swedish organisation number")
    ).click()
    expect(number).to_be_focused()

    number.fill("556677-8899")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(org_name)
    expect(_status(page)).to_have_text(f"{org_name} has been added. Invite its first user below.")
    assert_accessible(page)

    # Invite the first user as supplier owner.
    invite_form = page.get_by_role("form", name="Invite a user")
    invite_form.get_by_label("E-mail address of the person to invite").fill(owner_email)
    invite_form.get_by_label("Role").select_option(label="Supplier owner")
    invite_form.get_by_role("button", name="Send invitation").click()
    expect(_status(page)).to_have_text(f"An invitation has been sent to {owner_email}.")
    expect(page.get_by_role("listitem").filter(has_text=owner_email)).to_contain_text(
        "Supplier owner"
    )
    assert_accessible(page)

    # The owner opens the e-mailed link in their own browser.
    owner = other_browser()
    link = _invitation_link(live_server, owner_email)
    owner.goto(link)
    expect(owner.get_by_role("heading", level=1)).to_have_text("Create your account")
    expect(owner.get_by_role("definition").filter(has_text=org_name)).to_be_visible()
    assert_accessible(owner)

    _accept(owner, link, "Olga Owner", "password123")
    expect(owner).to_have_title(f"Error: Create your account{SITE}")
    summary = _error_summary(owner)
    expect(summary.get_by_role("link", name=re.compile("too common"))).to_be_visible()
    expect(owner.get_by_label("New password", exact=True)).to_have_attribute("aria-invalid", "true")
    assert_accessible(owner)

    owner.get_by_label("Your full name").fill("Olga Owner")
    owner.get_by_label("New password", exact=True).fill(owner_password)
    owner.get_by_label("Repeat the new password").fill(owner_password)
    owner.get_by_role("button", name="Create account").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(_status(owner)).to_have_text(
        "Your account is ready. Sign in with your e-mail address and the password you chose."
    )

    _sign_in_with_password(owner, owner_email, owner_password)
    expect(owner).to_have_url(f"{live_server.url}/supplier")
    expect(owner.get_by_role("heading", level=1)).to_have_text(org_name)
    expect(owner.get_by_role("banner")).to_contain_text(f"Olga Owner · {org_name}")
    assert_accessible(owner)

    # The owner invites a colleague from the Team page.
    owner.get_by_role("navigation", name="Main menu").get_by_role("link", name="Team").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text(f"Team of {org_name}")
    assert_accessible(owner)
    team_form = owner.get_by_role("form", name="Invite a colleague")
    team_form.get_by_label("E-mail address of the person to invite").fill(colleague_email)
    team_form.get_by_label("Role").select_option(label="Supplier member")
    team_form.get_by_role("button", name="Send invitation").click()
    expect(_status(owner)).to_have_text(f"An invitation has been sent to {colleague_email}.")
    assert_accessible(owner)

    # The colleague accepts in yet another browser and signs in.
    colleague = other_browser()
    _accept(
        colleague,
        _invitation_link(live_server, colleague_email),
        "Carl Colleague",
        colleague_password,
    )
    expect(colleague.get_by_role("heading", level=1)).to_have_text("Sign in")
    _sign_in_with_password(colleague, colleague_email, colleague_password)
    expect(colleague).to_have_url(f"{live_server.url}/supplier")
    expect(colleague.get_by_role("heading", level=1)).to_have_text(org_name)

    # The owner now sees both people in the team, and no open invitation.
    owner.reload()
    team = owner.get_by_role("table", name="People with access for your organisation")
    expect(team.get_by_role("row").filter(has_text=colleague_email)).to_contain_text(
        "Supplier member"
    )
    expect(team.get_by_role("row").filter(has_text=owner_email)).to_contain_text("Supplier owner")
    expect(owner.get_by_role("heading", name="Invitations not yet accepted")).to_have_count(0)
